"""Optional C2PA manifests: sign a stamped image with the operator's key, and validate one.

Uses `c2pa-python` (the Content Authenticity Initiative's binding of c2pa-rs), imported only here
and only when used; without it, stamping skips the manifest with one log line and verifying
reports `c2pa_valid=None`. Signing works offline: no time-stamp authority is contacted, so a
manifest's validity ends with its signing certificate's.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from limner.provenance._keys import SigningMaterial
from limner.provenance._metadata import FORMATS as IMAGE_FORMATS

#: what a manifest can be embedded in: the stamped image formats, and MP4 videos
FORMATS = {**IMAGE_FORMATS, "MP4": "video/mp4"}

log = logging.getLogger(__name__)

_INSTALL_HINT = "install `c2pa-python` (pip install 'limner[provenance]') to sign C2PA manifests"


def available() -> bool:
    """True when `c2pa-python` can be imported."""
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return False
    return True


#: an ingredient the output was made from (the input picture of an i2i, inpaint or outpaint)
PARENT_OF = "parentOf"
#: an ingredient that went into the output (a mask, a reference picture)
COMPONENT_OF = "componentOf"


@dataclass(frozen=True)
class Ingredient:
    """An input picture, recorded in the output's manifest (C2PA ingredient) with a hash of it."""

    data: bytes
    media_type: str
    #: `parentOf` (the picture edited) or `componentOf` (a mask, a reference)
    relationship: str
    #: what the request called it ("image", "mask")
    title: str


@dataclass(frozen=True)
class C2paReading:
    """What a C2PA check found. `valid`: signature and hashes good; `trusted`: chain anchored."""

    valid: bool | None
    trusted: bool | None
    digital_source_type: str | None = None
    #: the relationship of each ingredient recorded ("parentOf", "componentOf")
    ingredients: tuple[str, ...] = ()
    #: the manifest's title: the generation id Limner signs into it (trust it only when valid)
    title: str | None = None


class C2paSigner:
    """Signs encoded PNG, JPEG or MP4 bytes with one key; build once, use from any thread."""

    def __init__(self, material: SigningMaterial) -> None:
        import c2pa

        self._c2pa = c2pa
        self._material = material
        info = c2pa.C2paSignerInfo(
            b"es256", material.cert_chain_pem, material.private_key_pem, None
        )
        self._signer = c2pa.Signer.from_info(info)
        # c2pa-python does not document its Signer as thread-safe; signing is quick, so serialise.
        self._lock = threading.Lock()

    def sign(
        self,
        data: bytes,
        *,
        fmt: str,
        generator: str,
        generation_id: str,
        digital_source_type: str,
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes:
        """Return `data` with an embedded manifest: a `c2pa.created` action and source type,
        and each input picture as an ingredient (with its relationship)."""
        name, _, version = generator.partition(" ")
        manifest = {
            "claim_generator_info": [{"name": name, "version": version or "unknown"}],
            "title": generation_id,
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.created",
                                "digitalSourceType": digital_source_type,
                                "softwareAgent": {"name": generator},
                            }
                        ]
                    },
                }
            ],
        }
        dest = io.BytesIO()
        # c2pa-rs embeds a thumbnail by default, which triples a JPEG's size; the image is its own.
        context = self._c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        builder = self._c2pa.Builder(manifest, context=context)
        try:
            for ingredient in ingredients:
                builder.add_ingredient(
                    {
                        "title": ingredient.title,
                        "format": ingredient.media_type,
                        "relationship": ingredient.relationship,
                    },
                    ingredient.media_type,
                    io.BytesIO(ingredient.data),
                )
            with self._lock:
                builder.sign(self._signer, FORMATS[fmt], io.BytesIO(data), dest)
        finally:
            builder.close()
            context.close()
        return dest.getvalue()


def read(data: bytes, *, fmt: str, trust_anchors_pem: bytes | None = None) -> C2paReading:
    """Validate an embedded manifest; all None when there is none or c2pa-python is missing."""
    try:
        import c2pa
    except ImportError:
        return C2paReading(None, None)
    kwargs: dict[str, Any] = {}
    if trust_anchors_pem:
        kwargs["context"] = c2pa.Context.from_dict(
            {
                "verify": {"verify_trust": True},
                "trust": {"user_anchors": trust_anchors_pem.decode("ascii")},
            }
        )
    try:
        reader = c2pa.Reader(FORMATS[fmt], io.BytesIO(data), **kwargs)
    except c2pa.C2paError as exc:  # no manifest, or one too broken to parse
        if "ManifestNotFound" not in type(exc).__name__ and "not found" not in str(exc).lower():
            log.info("C2PA manifest could not be read: %s", exc)
            return C2paReading(False, False)
        return C2paReading(None, None)
    try:
        state = str(reader.get_validation_state())
        store = json.loads(reader.json())
    finally:
        reader.close()
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    title = active.get("title")
    return C2paReading(
        state in ("Valid", "Trusted"),
        state == "Trusted",
        _source_type(store),
        _relationships(store),
        title if isinstance(title, str) else None,
    )


def _relationships(store: dict[str, Any]) -> tuple[str, ...]:
    manifest = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    return tuple(
        str(ingredient.get("relationship", "componentOf"))
        for ingredient in manifest.get("ingredients", [])
    )


def _source_type(store: dict[str, Any]) -> str | None:
    manifest = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    for assertion in manifest.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("digitalSourceType"):
                    return str(action["digitalSourceType"])
    return None


def install_hint() -> str:
    """The log line used when C2PA signing is skipped for want of the library."""
    return _INSTALL_HINT
