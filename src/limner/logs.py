"""Log records as text or as one JSON object a line (`LIMNER_LOG_FORMAT`), with the request id.

The request id is set per request by `limner.api.middleware`; records logged while serving that
request (in the request's task or the threads it hands work to) carry it.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from limner.config import LogFormat

#: the id of the HTTP request being served, "" outside a request
request_id_var: ContextVar[str] = ContextVar("limner_request_id", default="")

# uvicorn configures these after the app is built; they are re-pointed at start-up
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extra}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _RESERVED and name not in entry and not name.startswith("_"):
                entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Point the root logger (and uvicorn's) at one handler in the chosen format. Text keeps the
    formats uvicorn set up, adding only the request id filter."""
    if log_format is LogFormat.text:
        for name in ("", *_SERVER_LOGGERS):
            for handler in logging.getLogger(name).handlers:
                _add_filter_once(handler)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # limner.access writes the same line with the request id and route; uvicorn's would repeat it
    logging.getLogger("uvicorn.access").propagate = False


def _add_filter_once(handler: logging.Handler) -> None:
    if not any(isinstance(existing, RequestIdFilter) for existing in handler.filters):
        handler.addFilter(RequestIdFilter())
