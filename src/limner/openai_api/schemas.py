"""The response bodies of the OpenAI surface, in OpenAI's shape (the official SDKs parse them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ImageData", "ImagesResponse", "ModelList", "ModelPublic", "OpenAIErrorBody"]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(
        description="invalid_request_error | insufficient_quota | requests | server_error"
    )
    param: str | None = Field(None, description="The parameter at fault, where there is one.")
    code: str | None = Field(
        None,
        examples=["content_policy_violation"],
        description="invalid_value, unsupported_parameter, content_policy_violation, "
        "insufficient_quota, rate_limit_exceeded, invalid_api_key, ...",
    )


class OpenAIErrorBody(BaseModel):
    """Every error of the OpenAI surface (the v1 endpoints keep their own shape)."""

    error: OpenAIErrorDetail


class ImageData(BaseModel):
    url: str | None = Field(None, description="response_format url: the stored PNG.")
    b64_json: str | None = Field(
        None, description="response_format b64_json: the image in output_format, base64."
    )


class ImagesResponse(BaseModel):
    """`POST /v1/images/generations`. The generation's id is the `X-Limner-Generation-Id`
    header; it is in the generations list of the key like any other."""

    created: int = Field(description="Unix seconds.")
    data: list[ImageData]
    output_format: Literal["png", "jpeg", "webp"]
    size: str | None = Field(None, examples=["512x512"])


class ModelPublic(BaseModel):
    id: str = Field(examples=["realistic", "anime.hires"])
    object: Literal["model"] = "model"
    created: int = Field(0, description="Unix seconds; 0: not tracked.")
    owned_by: str = "limner"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelPublic]
