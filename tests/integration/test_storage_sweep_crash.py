"""A server killed after writing a request's first image leaves a file no row owns; the sweep
removes it, and keeps the files of generations that have rows."""

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
from limner.db.tables import Generation
from tests.support.cli import cli_env, create_key, run_cli, start_server
from tests.support.live_server import free_port, wait_until_ready

# a real kill -9 and restart: slow, and one worker runs them in turn (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


def stored_files(data_dir: Path) -> set[str]:
    return {path.name for path in (data_dir / "images").glob("*/*.png")}


def upload_with_cli(env: dict[str, str], base: str, key: str, tmp_path: Path) -> str:
    from PIL import Image

    picture = tmp_path / "harbour.png"
    Image.new("RGB", (48, 32), (20, 60, 90)).save(picture)
    result = run_cli("upload", str(picture), env={**env, "LIMNER_URL": base, "LIMNER_API_KEY": key})
    assert result.returncode == 0, result.stderr
    assert "48x32" in result.stderr
    upload_id = result.stdout.strip().splitlines()[-1]
    assert upload_id.startswith("upl_")
    return upload_id


def test_a_killed_requests_file_is_swept_and_live_files_stay(
    env: dict[str, str], tmp_path: Path
) -> None:
    data_dir = Path(env["LIMNER_DATA_DIR"])
    key = create_key(env, "--credits", "10")
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # eight images made together (half a second each), then stamped and stored one by one: the
    # kill lands when the first is on disk, before the request is settled
    server = start_server({**env, "LIMNER_PLACEHOLDER_DELAY_S": "0.5"}, port)
    database = Database(Settings(data_dir=data_dir).resolved_database_url())
    try:
        wait_until_ready(base)
        kept = httpx.post(
            f"{base}/api/v1/generate",
            json={"prompt": "a lighthouse at dusk"},
            headers=headers,
            timeout=60,
        )
        assert kept.status_code == 200, kept.text
        kept_file = kept.json()["image_url"].rsplit("/", 1)[1]
        assert stored_files(data_dir) == {kept_file}

        def batch() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    f"{base}/api/v1/generate",
                    json={"prompt": "a harbour in the rain", "n": 8},
                    headers=headers,
                    timeout=90,
                )

        threading.Thread(target=batch, daemon=True).start()
        deadline = time.monotonic() + 60
        while len(stored_files(data_dir)) < 2:  # the batch's first image is on disk
            assert time.monotonic() < deadline, "the batch never stored an image"
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
    orphans = stored_files(data_dir) - {kept_file}
    assert orphans, "the killed batch left no file"

    server = start_server(env, port)
    try:
        wait_until_ready(base)  # crash recovery fails the killed batch; its files stay orphaned
        with database.read() as session:
            statuses = {g.prompt: g.status for g in session.scalars(select(Generation))}
        assert statuses == {"a lighthouse at dusk": "completed", "a harbour in the rain": "failed"}
        upload_id = upload_with_cli(env, base, key, tmp_path)
        kept_upload = stored_files(data_dir) - {kept_file, *orphans}
        assert len(kept_upload) == 1

        # young files are kept: a running generation's images have no row yet either
        within_grace = run_cli("storage", "sweep", env=env)
        assert within_grace.returncode == 0, within_grace.stderr
        assert "Removed 0 object(s)" in within_grace.stdout
        assert stored_files(data_dir) == {kept_file, *orphans, *kept_upload}

        swept = run_cli("storage", "sweep", "--grace-s", "0", env=env)
        assert swept.returncode == 0, swept.stderr
        assert f"Removed {len(orphans)} object(s) no row owns" in swept.stdout
        assert stored_files(data_dir) == {kept_file, *kept_upload}
        assert httpx.get(f"{base}/api/v1/uploads/{upload_id}", headers=headers).is_success
        assert httpx.get(kept.json()["image_url"].replace("http://127.0.0.1:8000", base)).is_success
    finally:
        server.terminate()
        server.wait(timeout=20)
        database.dispose()
