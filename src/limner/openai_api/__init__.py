"""The OpenAI Images API surface: a thin translation onto the v1 engine (no HTTP here; the
routes are `limner.api.routes.openai`).

- `params`: OpenAI parameters -> the v1 body (with `output_format`: the engine encodes and
  stamps the stored image), plus the delivery (`response_format`, `size`, `user`); unsupported
  parameters (and `output_compression`) are refused naming them;
- `catalog`: the `model` ids (styles, registry presets, OpenAI's names as aliases);
- `sizing`: a client's size over the preset's pixels, made within them and resized up;
- `edits`: edits and variations -> `inpaint`/`i2i` bodies, OpenAI's mask convention;
- `schemas`: OpenAI's response and error bodies; `errors`: the error only it raises.
"""

from limner.openai_api.catalog import ModelChoice, list_models, resolve_model
from limner.openai_api.edits import EditForm, VariationForm, edit_call, openai_mask, variation_call
from limner.openai_api.errors import UnsupportedParameter
from limner.openai_api.params import (
    GenerationParams,
    ImageCall,
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
from limner.openai_api.sizing import SizePlan, plan_size

__all__ = [
    "EditForm",
    "GenerationParams",
    "ImageCall",
    "ImageData",
    "ImagesResponse",
    "ModelChoice",
    "ModelList",
    "ModelPublic",
    "OpenAIErrorBody",
    "Size",
    "SizePlan",
    "UnsupportedParameter",
    "VariationForm",
    "edit_call",
    "generation_call",
    "list_models",
    "openai_mask",
    "parse_size",
    "plan_size",
    "resolve_model",
    "variation_call",
]
