"""The served OpenAPI schema documents every route, body and error response."""

from __future__ import annotations

from fastapi.testclient import TestClient
from openapi_spec_validator import validate


def test_schema_is_valid_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    validate(schema)  # raises on any violation of the OpenAPI specification
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/generate" in schema["paths"]


def test_generate_documents_its_body_and_every_contract_error(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/generate"]["post"]
    bodies = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert [body["$ref"].rsplit("/", 1)[1] for body in bodies] == [
        "GenerateRequest",
        "ImageToImageRequest",
        "InpaintRequest",
        "OutpaintRequest",
        "VideoRequest",
        "ImageToVideoRequest",
    ]
    components = schema["components"]["schemas"]
    assert components["GenerateRequest"]["properties"]["type"]["default"] == "t2i"
    for name, kind, fields in [
        ("ImageToImageRequest", "i2i", {"image", "strength"}),
        ("InpaintRequest", "inpaint", {"image", "mask"}),
        ("OutpaintRequest", "outpaint", {"image", "expand"}),
        ("ImageToVideoRequest", "i2v", {"image", "duration_s", "fps"}),
    ]:
        assert components[name]["properties"]["type"]["enum"] == [kind]
        assert set(components[name]["properties"]) >= fields | {"prompt", "n", "seed"}
        assert {"type", "prompt", "image"} <= set(components[name]["required"])
    request = components["GenerateRequest"]
    assert set(request["properties"]) >= {
        "prompt",
        "quality",
        "style",
        "appearance",
        "snap_caption",
        "seed",
    }
    assert request["required"] == ["prompt"]
    for status in ("200", "400", "401", "402", "403", "429", "500", "503"):
        assert status in operation["responses"], status
    assert "422" not in operation["responses"]
    error = operation["responses"]["402"]["content"]["application/json"]["schema"]["$ref"]
    assert error == "#/components/schemas/ErrorBody"


def test_every_schema_reference_resolves(client: TestClient) -> None:
    import json
    import re

    schema = client.get("/openapi.json").json()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert refs <= set(schema["components"]["schemas"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_the_openai_surface_documents_its_body_and_its_error_shape(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/images/generations"]["post"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/OpenAIImageGenerationRequest"
    request = schema["components"]["schemas"]["OpenAIImageGenerationRequest"]
    assert {"prompt", "model", "n", "size", "quality", "response_format", "output_format"} <= set(
        request["properties"]
    )
    assert request["required"] == ["prompt"]
    # output_format is the engine's own (stored and stamped in it); output_compression is refused
    output_format = request["properties"]["output_format"]
    assert {"png", "jpeg", "webp"} == {
        value for choice in output_format["anyOf"] for value in choice.get("enum", [])
    }
    assert "C2PA" in output_format["description"]
    assert "400" in request["properties"]["output_compression"]["description"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert answer == "#/components/schemas/ImagesResponse"
    for status in ("400", "401", "429", "500", "503"):
        error = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert error == "#/components/schemas/OpenAIErrorBody", status
    for path in ("/v1/models", "/v1/models/{model_id}"):
        assert path in schema["paths"], path
    for path, title, required in (
        ("/v1/images/edits", "OpenAIImageEditRequest", ["image", "prompt"]),
        ("/v1/images/variations", "OpenAIImageVariationRequest", ["image"]),
    ):
        operation = schema["paths"][path]["post"]
        form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
        assert form == f"#/components/schemas/{title}"
        fields = schema["components"]["schemas"][title]
        assert fields["required"] == required
        assert fields["properties"]["image"]["format"] == "binary"
        assert {"model", "n", "size", "response_format", "output_format", "user"} <= set(
            fields["properties"]
        )
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert answer == "#/components/schemas/ImagesResponse"
