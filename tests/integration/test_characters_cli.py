"""`limner characters create/list/get/delete` and `limner generate --character`, as a user runs
them (subprocesses) against a live server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.support.cli import cli_env, create_key, run_cli, start_server
from tests.support.live_server import free_port, wait_until_ready


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


def test_characters_commands_against_a_live_server(env: dict[str, str], tmp_path: Path) -> None:
    key = create_key(env, "--plan", "pro", "--credits", "5")
    other = create_key(env)
    port = free_port()
    server = start_server(env, port)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        mine = {**env, "LIMNER_URL": f"http://127.0.0.1:{port}", "LIMNER_API_KEY": key}
        theirs = {**mine, "LIMNER_API_KEY": other}
        picture = tmp_path / "hiker.png"
        Image.new("RGB", (40, 40), (180, 40, 40)).save(picture)

        made = run_cli(
            "characters", "create", "Mara", str(picture), "--style", "anime",
            "--description", "a tall hiker with a red scarf", env=mine,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        character_id = made.stdout.strip().splitlines()[-1]
        assert character_id.startswith("chr_") and "anime" in made.stderr

        listed = run_cli("characters", "list", env=mine)
        assert listed.returncode == 0 and character_id in listed.stdout
        shown = json.loads(run_cli("characters", "get", character_id, env=mine).stdout)
        assert shown["name"] == "Mara" and shown["references"][0]["source"] == "upload"

        out = tmp_path / "scene.png"
        scene = run_cli(
            "generate", "a market street in the rain", "--character", character_id,
            "--out", str(out), env=mine,
        )  # fmt: skip
        assert scene.returncode == 0, scene.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        refused = run_cli("generate", "a harbour", "--character", character_id, env=theirs)
        assert refused.returncode == 1 and "validation_error" in refused.stderr
        assert run_cli("characters", "get", character_id, env=theirs).returncode == 1

        assert run_cli("characters", "delete", character_id, env=mine).returncode == 0
        gone = run_cli("characters", "get", character_id, env=mine)
        assert gone.returncode == 1 and "not_found" in gone.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)
