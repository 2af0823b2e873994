"""The multipart bodies of OpenAI's `images.edit` and `images.create_variation`, read at the edge.

The official SDKs send the picture as the file part `image` (a list of pictures as `image[]`),
the mask as `mask`, and every other parameter as a text part. The body is read through the byte
limit as it streams in (room for each picture the endpoint takes, within
`LIMNER_MAX_UPLOAD_BYTES`, plus the framing), before anything parses it; the pictures are then
checked by the media code like any other input (`limner.media.refs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from limner.api.deps import limited_stream
from limner.config import Settings
from limner.errors import InvalidRequest, ValidationFailed
from limner.openai_api import UnsupportedParameter

__all__ = ["OpenAIForm", "multipart_body", "read_form"]

#: room for the multipart boundaries, part headers and the text parameters around the pictures
FORM_OVERHEAD_BYTES = 64 * 1024
#: more file parts than any client sends: refused as a malformed body before they are read
MAX_FILES = 8
#: OpenAI documents about twenty parameters; more text parts than this is not a real client
MAX_FIELDS = 48
#: the SDKs name a list of files `name[]`; one picture sent that way is the same as `name`
ARRAY_SUFFIX = "[]"


@dataclass
class OpenAIForm:
    """The text parameters and the file parts (`image[]` counted as `image`) of one request."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)

    def picture(self, name: str, *, required: bool) -> bytes | None:
        """The one picture sent as `name`; none, when not required, is None. Several pictures
        are refused rather than all but one silently dropped."""
        found = self.files.get(name, [])
        if not found:
            if required:
                raise ValidationFailed(
                    name, f"{name}: send the picture as a file in the multipart field '{name}'"
                )
            return None
        if len(found) > 1:
            raise ValidationFailed(
                name, f"{name}: this server edits one picture per request; {len(found)} were sent"
            )
        return found[0]


async def read_form(request: Request, settings: Settings, *, files: tuple[str, ...]) -> OpenAIForm:
    """Parse the multipart body of an endpoint whose file parts are `files` (each at most one
    picture within the upload limit). A file part of another name is an unsupported parameter
    named as such; a picture sent as text is refused naming its field."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidRequest(
            "This endpoint takes multipart/form-data: the picture as the file part `image` and "
            "the parameters as text parts (as the OpenAI SDKs send them)."
        )
    limit = len(files) * settings.max_upload_bytes + FORM_OVERHEAD_BYTES
    stream = limited_stream(request, limit)
    try:
        form = await MultiPartParser(
            request.headers, stream, max_files=MAX_FILES, max_fields=MAX_FIELDS
        ).parse()
    except MultiPartException as exc:
        raise InvalidRequest(f"The multipart body is malformed ({exc}).") from exc
    parsed = OpenAIForm()
    try:
        for raw_name, value in form.multi_items():
            name = raw_name.removesuffix(ARRAY_SUFFIX)
            if isinstance(value, UploadFile):
                if name not in files:
                    raise UnsupportedParameter(
                        name,
                        f"`{name}` is not a file this endpoint takes (it takes {_names(files)}).",
                    )
                parsed.files.setdefault(name, []).append(await value.read())
            elif name in files:
                raise ValidationFailed(
                    name, f"{name}: send the picture as a file, not as text (multipart file part)"
                )
            else:
                parsed.fields[name] = value
    finally:
        await form.close()
    return parsed


def multipart_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI `requestBody` of a multipart endpoint documented by `model` (its component
    is added by `create_app` from the routes' `EXTRA_SCHEMAS`)."""
    title = model.model_config.get("title") or model.__name__
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"$ref": f"#/components/schemas/{title}"}}
            },
        }
    }


def _names(files: tuple[str, ...]) -> str:
    return " and ".join(f"`{name}`" for name in files)
