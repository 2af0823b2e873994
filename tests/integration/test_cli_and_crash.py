"""The `limner` command as a user runs it, and a server killed in the middle of a generation."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from limner.config import Settings
from limner.db.engine import Database
from limner.db.tables import Generation, Reservation
from tests.support.cli import cli_env, create_key, run_cli, start_server
from tests.support.live_server import free_port, wait_until_ready


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


def test_keys_and_credits_commands(env: dict[str, str]) -> None:
    key = create_key(env, "--plan", "pro", "--credits", "3", "--name", "studio")
    assert key.startswith("lmn_")
    prefix = key[:12]

    listing = run_cli("keys", "list", env=env)
    assert prefix in listing.stdout and "studio" in listing.stdout
    assert key not in listing.stdout  # only the prefix is ever shown again

    granted = run_cli("credits", "grant", prefix, "5", env=env)
    assert granted.returncode == 0 and "+5" in granted.stdout
    history = run_cli("credits", "history", prefix, env=env)
    assert history.returncode == 0 and "ledger consistent" in history.stdout

    assert run_cli("keys", "revoke", prefix, env=env).returncode == 0
    assert "revoked" in run_cli("keys", "list", env=env).stdout.lower()
    missing = run_cli("credits", "grant", "lmn_ffffffff", "5", env=env)
    assert missing.returncode == 1 and "No key" in missing.stderr
    bad_plan = run_cli("keys", "create", "--plan", "gold", env=env)
    assert bad_plan.returncode == 1 and "plan" in bad_plan.stderr


def test_keys_create_test_makes_a_test_key_that_keys_list_shows_as_such(
    env: dict[str, str],
) -> None:
    created = run_cli("keys", "create", "--test", "--name", "ci", env=env)
    assert created.returncode == 0, created.stderr
    assert "test key" in created.stdout
    test_key = created.stdout.strip().splitlines()[-1]
    live_key = create_key(env, "--name", "app")
    rows = run_cli("keys", "list", env=env).stdout.splitlines()
    test_row = next(line for line in rows if test_key[:12] in line)
    live_row = next(line for line in rows if live_key[:12] in line)
    assert test_row.split()[3] == "test" and live_row.split()[3] == "live"  # the mode column


def test_cli_generate_against_a_live_server(env: dict[str, str], tmp_path: Path) -> None:
    key = create_key(env)
    port = free_port()
    server = start_server(env, port)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        out = tmp_path / "lighthouse.png"
        result = run_cli(
            "generate",
            "a lighthouse at dusk",
            "--out",
            str(out),
            "--seed",
            "3",
            "--width",
            "320",
            "--height",
            "256",
            env={**env, "LIMNER_URL": f"http://127.0.0.1:{port}", "LIMNER_API_KEY": key},
        )
        assert result.returncode == 0, result.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image

        with Image.open(out) as made:
            assert made.size == (320, 256)
        verified = run_cli("verify", str(out), env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "Made by this server: generation gen_" in verified.stdout
        stranger = out.parent / "plain.png"
        Image.new("RGB", (256, 256), (120, 130, 140)).save(stranger)
        unverified = run_cli("verify", str(stranger), env=env)
        assert unverified.returncode == 1 and "No Limner watermark" in unverified.stdout
        refused = run_cli(
            "generate",
            "x",
            "--quality",
            "ultra",
            env={**env, "LIMNER_URL": f"http://127.0.0.1:{port}", "LIMNER_API_KEY": key},
        )
        assert refused.returncode == 1 and "validation_error" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow  # a real kill -9 and restart
@pytest.mark.xdist_group("crash")
def test_sigkill_during_generation_never_charges(env: dict[str, str]) -> None:
    key = create_key(env)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    slow = {**env, "LIMNER_PLACEHOLDER_DELAY_S": "60"}
    server = start_server(slow, port)
    database = Database(Settings(data_dir=Path(env["LIMNER_DATA_DIR"])).resolved_database_url())
    try:
        wait_until_ready(base)
        threading.Thread(
            target=lambda: _swallow(
                lambda: httpx.post(
                    f"{base}/api/v1/generate",
                    json={"prompt": "a lighthouse at dusk", "quality": "hires"},
                    headers=headers,
                    timeout=90,
                )
            ),
            daemon=True,
        ).start()
        deadline = time.monotonic() + 30
        while not _open_reservations(database):
            assert time.monotonic() < deadline, "the generation never started"
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()

    assert _open_reservations(database) == 1  # the crash left money on hold

    server = start_server(env, port)
    try:
        wait_until_ready(base)
        account = httpx.get(f"{base}/api/v1/account", headers=headers).json()
        assert account["credits_available"] == 5
        assert _open_reservations(database) == 0
        with database.transaction() as session:
            generation = session.scalars(select(Generation)).one()
            assert (generation.status, generation.credits_used) == ("failed", 0)
    finally:
        server.terminate()
        server.wait(timeout=20)
        database.dispose()


def _open_reservations(database: Database) -> int:
    with database.transaction() as session:
        return len(session.scalars(select(Reservation).where(Reservation.status == "open")).all())


def _swallow(call) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def test_cli_inpaint_and_outpaint_from_local_files(env: dict[str, str], tmp_path: Path) -> None:
    """`limner generate --type inpaint --image in.png --mask m.png`: the files are uploaded, the
    result keeps the input's size and `limner verify` says it was made from an input."""
    from PIL import Image

    key = create_key(env)
    port = free_port()
    server = start_server(env, port)
    client_env = {**env, "LIMNER_URL": f"http://127.0.0.1:{port}", "LIMNER_API_KEY": key}
    source, mask = tmp_path / "in.png", tmp_path / "m.png"
    Image.new("RGB", (120, 80), (60, 120, 180)).save(source)
    painted = Image.new("L", (60, 40), 0)
    painted.paste(255, (10, 10, 40, 30))
    painted.save(mask)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        out = tmp_path / "inpainted.png"
        args = ["--type", "inpaint", "--image", str(source), "--mask", str(mask)]
        made = run_cli("generate", "a lighthouse at dusk", *args, "--out", str(out), env=client_env)
        assert made.returncode == 0, made.stderr
        with Image.open(out) as picture:
            assert picture.size == (120, 80)
        verified = run_cli("verify", str(out), env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "Made from an input picture" in verified.stdout
        grown = tmp_path / "grown.png"
        args = ["--type", "outpaint", "--image", str(out), "--expand", "8,8,0,16"]
        made = run_cli("generate", "a lighthouse", *args, "--out", str(grown), env=client_env)
        assert made.returncode == 0, made.stderr
        with Image.open(grown) as picture:
            assert picture.size == (136, 96)
        bad = run_cli(
            "generate",
            "x",
            "--type",
            "outpaint",
            "--image",
            str(out),
            "--expand",
            "8,8",
            env=client_env,
        )
        assert bad.returncode == 2 and "LEFT,RIGHT,TOP,BOTTOM" in bad.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)
