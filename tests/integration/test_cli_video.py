"""`limner generate --type t2v --out clip.mp4` and `--type i2v --image still.png` against a live
server (subprocesses), then `limner verify clip.mp4` names the generation."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from limner.media.video import probe
from tests.support.cli import cli_env, create_key, run_cli, start_server
from tests.support.live_server import free_port, wait_until_ready


def test_cli_makes_and_verifies_videos(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    key = create_key(env, "--credits", "10")
    port = free_port()
    server = start_server(env, port)
    client_env = {**env, "LIMNER_URL": f"http://127.0.0.1:{port}", "LIMNER_API_KEY": key}
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        clip = tmp_path / "clip.mp4"
        made = run_cli(
            "generate", "a lighthouse at dusk", "--type", "t2v", "--duration", "1", "--fps", "6",
            "--out", str(clip), env=client_env,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        info = probe(clip.read_bytes())
        assert (info.frames, info.fps, info.codec) == (6, 6.0, "h264")
        verified = run_cli("verify", str(clip), env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        generation_id = made.stdout.split(":", 1)[0].strip()
        assert f"Made by this server: generation {generation_id}" in verified.stdout

        still = tmp_path / "still.png"
        Image.new("RGB", (64, 48), (20, 160, 60)).save(still)
        animated = tmp_path / "animated.mp4"
        made = run_cli(
            "generate", "a lighthouse at dusk", "--type", "i2v", "--image", str(still),
            "--duration", "1", "--out", str(animated), env=client_env,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert probe(animated.read_bytes()).frames == 8

        refused = run_cli(
            "generate", "a lighthouse", "--type", "t2v", "--duration", "11", env=client_env
        )
        assert refused.returncode == 1 and "validation_error" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)
