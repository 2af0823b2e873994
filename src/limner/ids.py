"""Identifiers: short public ids and long unguessable tokens."""

from __future__ import annotations

import base64
import secrets


def _b32(nbytes: int) -> str:
    return base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=").lower()


def new_generation_id() -> str:
    """`gen_` + 16 base32 characters (80 random bits), in the contract's `gen_...` form."""
    return "gen_" + _b32(10)


def new_reservation_id() -> str:
    return "res_" + _b32(10)


def new_instance_id() -> str:
    """Names one run of a server process (see `limner.recovery`)."""
    return "ins_" + _b32(10)


def new_event_id() -> str:
    return "mod_" + _b32(10)


def new_image_token() -> str:
    """256 random bits, URL-safe: names a stored image and cannot be guessed."""
    return secrets.token_urlsafe(32)


def new_upload_id() -> str:
    """`upl_` + 16 base32 characters: names an upload in media references."""
    return "upl_" + _b32(10)


def new_character_id() -> str:
    """`chr_` + 16 base32 characters: names a character in `character_id`."""
    return "chr_" + _b32(10)


def new_character_media_id() -> str:
    """`chm_` + 16 base32 characters: a character's stored reference (never a media reference
    a request can name: only the character uses it)."""
    return "chm_" + _b32(10)
