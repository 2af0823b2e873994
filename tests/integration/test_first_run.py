"""The first run as a new user meets it: the key file, the banner, `generate` finding the server,
the key list at 80 columns, one-line setting errors, and the real reason of a failed pull."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import LIMNER, cli_env, run_cli
from tests.support.live_server import free_port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data", columns=80)  # a plain terminal


def test_keys_create_out_writes_a_private_file(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "first-key"
    target.write_text("old\n")
    target.chmod(0o644)  # an existing file is made private too
    result = run_cli(
        "keys", "create", "--name", "a rather long key name here", "--out", str(target), env=env
    )
    assert result.returncode == 0, result.stderr
    key = target.read_text().strip()
    assert key.startswith("lmn_") and key not in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    listing = run_cli("keys", "list", env=env)
    assert key[:12] in listing.stdout  # the whole prefix, at 80 columns


@pytest.mark.parametrize(
    "command",
    [
        ["keys", "list"],
        ["keys", "create"],
        ["serve", "--port", "1"],
        ["worker"],
        ["generate", "a lighthouse", "--api-key", "lmn_x"],
        ["credits", "grant", "lmn_00000000", "1"],
    ],
)
def test_an_invalid_setting_is_one_line_naming_the_variable(
    env: dict[str, str], command: list[str]
) -> None:
    result = run_cli(*command, env={**env, "LIMNER_RATE_LIMIT_FREE": "banana"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "LIMNER_RATE_LIMIT_FREE" in lines[0] and "10/minute" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_an_invalid_choice_names_what_is_accepted(env: dict[str, str]) -> None:
    result = run_cli("keys", "list", env={**env, "LIMNER_BACKEND": "gpu"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: LIMNER_BACKEND='gpu' is not accepted: "
        "it should be 'auto', 'placeholder' or 'diffusers'"
    )


def test_an_undecodable_list_setting_is_one_line_too(env: dict[str, str]) -> None:
    result = run_cli("keys", "list", env={**env, "LIMNER_WEBHOOK_RETRY_SCHEDULE_S": "banana"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: LIMNER_WEBHOOK_RETRY_SCHEDULE_S is not accepted: it should be JSON "
        "(a list such as [0, 5, 300])"
    ]


def test_serve_prints_the_exports_last_and_generate_finds_the_server(
    env: dict[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "data" / "first-key"
    assert run_cli("keys", "create", "--out", str(key_file), env=env).returncode == 0
    key = key_file.read_text().strip()
    port = free_port()
    server = subprocess.Popen(
        [*LIMNER, "serve", "--port", str(port), "--key-file", str(key_file)],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        seen: list[str] = []
        for line in server.stdout:  # blocks until the banner: the server is listening then
            seen.append(line.rstrip("\n"))
            if line.startswith("export LIMNER_API_KEY="):
                break
        url = f"http://127.0.0.1:{port}"
        assert f"export LIMNER_URL={url}" in seen
        assert seen[-1] == f"export LIMNER_API_KEY={key}"
        assert any("Uvicorn running" in line for line in seen[:-1])  # the key comes after

        # no LIMNER_URL: the CLI reads the URL this data dir was served on
        out = tmp_path / "lighthouse.png"
        generated = run_cli(
            "generate",
            "a lighthouse at dusk",
            "--out",
            str(out),
            env={**env, "LIMNER_API_KEY": key},
        )
        assert generated.returncode == 0, generated.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        server.terminate()
        server.wait(timeout=60)
        if server.stdout is not None:
            server.stdout.close()


def test_models_pull_prints_the_real_reason(env: dict[str, str], tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    models = tmp_path / "models.toml"
    preset = (
        'pipeline = "example-org/no-such-model"\n'
        "steps = 2\nguidance = 0.0\nwidth = 64\nheight = 64\n"
    )
    models.write_text(
        "".join(
            f"[{style}.{quality}]\n{preset}" + ("" if style == "realistic" else "enabled = false\n")
            for style in ("realistic", "anime", "nude")
            for quality in ("fast", "hires")
        )
    )
    closed = free_port()  # nothing listens there: the Hub is unreachable
    result = run_cli(
        "models",
        "pull",
        env={
            **env,
            "LIMNER_MODELS_FILE": str(models),
            "HF_ENDPOINT": f"http://127.0.0.1:{closed}",
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_OFFLINE": "0",
            "COLUMNS": "400",
        },
    )
    assert result.returncode == 1
    assert "stacktrace above" not in result.stderr
    assert "ConnectError" in result.stderr or "Connection refused" in result.stderr, result.stderr
