"""The OpenAI Images API surface: a thin translation onto the v1 engine (no HTTP here; the
routes are `limner.api.routes.openai`).

- `params`: OpenAI parameters -> the v1 body, plus the delivery (`response_format`,
  `output_format`, `size`, `user`); unsupported parameters are refused naming them;
- `catalog`: the `model` ids (styles, registry presets, OpenAI's names as aliases);
- `edits`: edits and variations -> `inpaint`/`i2i` bodies, OpenAI's mask convention;
- `output`: stored PNGs -> the requested format, provenance metadata carried over;
- `schemas`: OpenAI's response and error bodies; `errors`: the two errors only it raises.
"""

from limner.openai_api.catalog import ModelChoice, list_models, resolve_model
from limner.openai_api.edits import edit_call, openai_mask, variation_call
from limner.openai_api.errors import EndpointNotSupported, UnsupportedParameter
from limner.openai_api.output import b64_image, encode_image
from limner.openai_api.params import (
    GenerationParams,
    ImageCall,
    OutputFormat,
    Size,
    generation_call,
    parse_size,
)
from limner.openai_api.schemas import (
    ImageData,
    ImagesResponse,
    ModelList,
    ModelPublic,
    OpenAIErrorBody,
)

__all__ = [
    "EndpointNotSupported",
    "GenerationParams",
    "ImageCall",
    "ImageData",
    "ImagesResponse",
    "ModelChoice",
    "ModelList",
    "ModelPublic",
    "OpenAIErrorBody",
    "OutputFormat",
    "Size",
    "UnsupportedParameter",
    "b64_image",
    "edit_call",
    "encode_image",
    "generation_call",
    "list_models",
    "openai_mask",
    "parse_size",
    "resolve_model",
    "variation_call",
]
