"""The baseline for bench_generate.py: a bare FastAPI JSON endpoint with no auth, DB or image."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.post("/api/v1/generate")
async def generate(body: dict) -> dict:
    return {
        "id": "gen_bare",
        "status": "completed",
        "type": "t2i",
        "image_url": "http://127.0.0.1/generations/x.png",
        "credits_used": 1,
        "created_at": "2025-12-25T10:30:00Z",
        "prompt_chars": len(str(body.get("prompt"))),
    }
