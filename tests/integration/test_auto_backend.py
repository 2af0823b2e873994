"""`LIMNER_BACKEND=auto` on a first start, against a model hub the test runs (`HF_ENDPOINT`):
the fetch with its size estimate and progress bars, a connection dropped mid-file and resumed,
then a diffusers image over HTTP; a second start from the cache without the network; and an
unreachable hub, where the placeholder serves with its banner everywhere."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from limner.backends.auto import human_size
from tests.support.cli import LIMNER, cli_env, run_cli
from tests.support.fake_hub import FakeHub, running_hub
from tests.support.live_server import free_port
from tests.support.tiny_pipelines import TINY_IMAGE_SIZE, build_tiny_sd, build_tiny_taesd

SD, TAESD, SDXL = "limner-test/tiny-sd", "limner-test/tiny-taesd", "limner-test/tiny-sdxl"
#: the hub client reads a download in 10 MiB chunks and resumes from the last whole one
CHUNK = 10 * 1024 * 1024
#: a file of the tiny decoder's repo larger than one chunk (the real TAESD repo ships its
#: original `.pth` weights beside the diffusers files; `snapshot_download` takes them all)
BIG_FILE = "taesd_decoder.pth"


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hub")
    taesd = build_tiny_taesd(root / "taesd")
    (taesd / BIG_FILE).write_bytes(bytes(range(256)) * ((CHUNK + CHUNK // 2) // 256))
    return {SD: build_tiny_sd(root / "sd"), TAESD: taesd}


def write_models(path: Path, *, adult: Path) -> Path:
    """fast: the hub's tiny SD with its tiny decoder; hires: a hub model `auto` does not fetch
    on a CPU; the adult style: a folder the operator has not supplied."""
    tables = []
    for style in ("realistic", "anime", "nude"):
        for quality in ("fast", "hires"):
            if style == "nude":
                source = f"pipeline = {json.dumps(str(adult))}\n"
            elif quality == "fast":
                source = f'pipeline = "{SD}"\ntiny_vae = "{TAESD}"\n'
            else:
                source = f'pipeline = "{SDXL}"\n'
            tables.append(
                f"[{style}.{quality}]\n{source}steps = 2\nguidance = 0.0\n"
                f"width = {TINY_IMAGE_SIZE}\nheight = {TINY_IMAGE_SIZE}\n"
            )
    path.write_text("\n".join(tables), "utf-8")
    return path


@pytest.fixture
def hub(repos: dict[str, Path]) -> Iterator[FakeHub]:
    with running_hub() as running:
        for repo, folder in repos.items():
            running.add_repo(repo, folder)
        yield running


@pytest.fixture
def env(tmp_path: Path, hub: FakeHub) -> dict[str, str]:
    return cli_env(
        tmp_path / "data",
        LIMNER_BACKEND="auto",
        LIMNER_MODELS_FILE=str(write_models(tmp_path / "models.toml", adult=tmp_path / "adult")),
        LIMNER_DIFFUSERS_DEVICE="cpu",
        HF_ENDPOINT=hub.url,
        HF_HOME=str(tmp_path / "hf"),
        PYTHONUNBUFFERED="1",
    )


class Served:
    """`limner serve` as a user starts it; `lines` is everything it printed up to the banner."""

    def __init__(self, env: dict[str, str], key_file: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [*LIMNER, "serve", "--port", self.url.rsplit(":", 1)[1], "--key-file", str(key_file)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        for line in self.process.stdout:  # blocks until the banner: it listens then
            self.lines.append(line.rstrip("\n"))
            if line.startswith("export LIMNER_API_KEY="):
                break
        assert self.lines and self.lines[-1].startswith("export LIMNER_API_KEY="), self.text

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[type[Served], dict[str, str]]]:
    key_file = tmp_path / "data" / "first-key"
    assert run_cli("keys", "create", "--out", str(key_file), env=env).returncode == 0
    headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    started: list[Served] = []

    class Started(Served):
        def __init__(self, environment: dict[str, str] = env) -> None:
            super().__init__(environment, key_file)
            started.append(self)

    yield Started, headers
    for each in started:
        if each.process.poll() is None:
            each.stop()


def generate(url: str, headers: dict[str, str], quality: str = "fast") -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/generate",
        headers=headers,
        json={"prompt": "a lighthouse at dusk", "quality": quality, "style": "realistic"},
        timeout=300,
    )


def snapshot(hf_home: Path, repo: str) -> Path:
    folder = hf_home / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots"
    (only,) = folder.iterdir()
    return only


def downloaded_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def test_a_first_start_fetches_the_fast_models_resumes_a_dropped_file_and_serves_diffusers(
    serve: tuple[type[Served], dict[str, str]],
    hub: FakeHub,
    repos: dict[str, Path],
    tmp_path: Path,
) -> None:
    start, headers = serve
    hub.drop_once(TAESD, BIG_FILE, after=CHUNK + 4096)
    server = start()

    # the estimate came first, from the hub's metadata; it is what was downloaded, to the byte
    fetched = {
        repo: sum(
            f.stat().st_size for f in snapshot(tmp_path / "hf", repo).rglob("*") if f.is_file()
        )
        for repo in (SD, TAESD)
    }
    text = server.text
    assert f"about {human_size(sum(fetched.values()))} in all" in text
    assert f"{SD}: {human_size(fetched[SD])} ({fetched[SD]} bytes)" in text
    assert f"{TAESD}: {human_size(fetched[TAESD])} ({fetched[TAESD]} bytes)" in text
    assert text.index("First start: fetching 2 model(s)") < text.index("Fetching")  # progress
    # the dropped file was resumed with a Range request from the last whole chunk, not refetched
    assert hub.dropped.is_set()
    big = [r for r in hub.requested(TAESD) if r.method == "GET" and r.path.endswith(BIG_FILE)]
    assert [r.range for r in big] == [None, f"bytes={CHUNK}-"]
    cached = snapshot(tmp_path / "hf", TAESD) / BIG_FILE
    assert cached.read_bytes() == (repos[TAESD] / BIG_FILE).read_bytes()
    assert hub.requested(SDXL) == []  # hires is not fetched on a CPU unless asked

    assert "diffusers runs on cpu" in text  # the device and precision, said at start
    assert "(backend: diffusers (auto)" in text
    assert "PLACEHOLDER" not in text

    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["backend"] == "diffusers" and "notice" not in ready
    disabled = {row["preset"]: row.get("disabled") for row in ready["runtime"]}
    assert disabled["realistic.fast"] is None
    assert disabled["realistic.hires"] and disabled["nude.fast"]

    made = generate(server.url, headers)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["status"] == "completed" and body["backend"] == "diffusers"
    image = Image.open(io.BytesIO(httpx.get(body["image_url"]).content))
    assert image.size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)

    refused = generate(server.url, headers, quality="hires")
    assert refused.status_code == 503 and refused.json()["error"] == "generation_failed"
    server.stop()

    # the next start finds the models in the cache and does not touch the network
    hub.down = True
    again = start()
    assert "LIMNER_BACKEND=auto: diffusers" in again.text
    assert "First start" not in again.text
    assert hub.refused == 0
    assert httpx.get(f"{again.url}/readyz").json()["backend"] == "diffusers"


def test_an_unreachable_hub_serves_the_placeholder_with_its_banner_everywhere(
    serve: tuple[type[Served], dict[str, str]],
    hub: FakeHub,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    start, headers = serve
    hub.down = True  # every connection closes before an answer
    server = start()

    assert hub.refused == 1  # one look at the hub, no retries
    notice = [line for line in server.lines if "PLACEHOLDER BACKEND" in line]
    assert len(notice) == 2  # when it decides, and again above the ready lines
    assert f"the model hub ({hub.url}) cannot be reached" in notice[0]
    assert "(backend: placeholder (auto)" in server.text

    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["status"] == "ok" and ready["backend"] == "placeholder"
    assert (
        ready["notice"].startswith("PLACEHOLDER BACKEND") and "cannot be reached" in ready["notice"]
    )

    made = generate(server.url, headers)
    assert made.status_code == 200, made.text
    assert made.json()["backend"] == "placeholder"
    page = httpx.get(f"{server.url}/playground").text
    assert 'id="backend-notice"' in page and "PLACEHOLDER BACKEND" in page

    out = tmp_path / "lighthouse.png"
    key = headers["Authorization"].removeprefix("Bearer ")
    cli = run_cli(
        "generate",
        "a lighthouse at dusk",
        "--out",
        str(out),
        env={**env, "LIMNER_URL": server.url, "LIMNER_API_KEY": key},
    )
    assert cli.returncode == 0, cli.stderr
    assert "a placeholder image" in cli.stderr and out.is_file()
