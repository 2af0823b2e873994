"""The errors only the OpenAI surface raises (`limner.api.errors` maps them, like all others).

LimnerError
├── ValidationFailed
│   └── UnsupportedParameter     (400; OpenAI shape: code `unsupported_parameter`, `param` names it)
└── InvalidRequest
    └── EndpointNotSupported     (400; OpenAI shape: code `unsupported_endpoint`: an endpoint of
                                  OpenAI's API this server does not serve yet)
"""

from __future__ import annotations

from limner.errors import InvalidRequest, ValidationFailed

__all__ = ["EndpointNotSupported", "UnsupportedParameter"]


class UnsupportedParameter(ValidationFailed):
    """A parameter (or one of its values) this server does not offer: 400, naming it. A
    `ValidationFailed`, so the v1 mapping would show it as `validation_error` on the field."""


class EndpointNotSupported(InvalidRequest):
    code = "unsupported_endpoint"

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"{endpoint} is not supported yet on this server: {reason}")
