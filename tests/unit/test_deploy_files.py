"""The deployment files stay valid without a Docker engine: the compose file parses and wires
every service, every `LIMNER_*` variable is a real setting, and the Dockerfiles copy files that
exist and start commands that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from limner.cli import app
from limner.config import Settings

yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILES = ["Dockerfile", "Dockerfile.cuda"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def env(service: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in service.get("environment", {}).items()}


def test_compose_has_every_tier(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "minio", "api", "worker"} <= set(services)
    api = services["api"]
    assert {"migrate", "redis", "worker", "minio-bucket"} <= set(api["depends_on"])
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["limner", "db", "upgrade"]
    assert "8000:8000" in api["ports"]


def test_compose_wires_the_api_to_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    settings = env(services["api"])
    postgres = env(services["postgres"])
    database = settings["LIMNER_DATABASE_URL"]
    assert database.startswith("postgresql+psycopg://")
    assert (
        f"{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{postgres['POSTGRES_DB']}" in database
    )
    assert settings["LIMNER_REDIS_URL"].startswith("redis://redis:6379/")
    assert settings["LIMNER_STORAGE_URL"].startswith("s3://limner-images")
    assert settings["LIMNER_S3_ENDPOINT_URL"] == "http://minio:9000"
    minio = env(services["minio"])
    assert (settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )
    bucket = settings["LIMNER_STORAGE_URL"].removeprefix("s3://").split("/")[0]
    assert f"local/{bucket}" in services["minio-bucket"]["command"][0]
    command = services["api"]["command"]
    assert "--workers=ray" in command and "--ray-address=ray://worker:10001" in command
    assert "--ray-client-server-port=10001" in services["worker"]["command"]


def test_every_limner_variable_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {f"LIMNER_{name.upper()}" for name in Settings.model_fields}
    for name, service in compose["services"].items():
        unknown = {key for key in env(service) if key.startswith("LIMNER_")} - fields
        assert not unknown, f"{name} sets unknown settings {unknown}"
    values = {k: v for k, v in env(compose["services"]["api"]).items() if k.startswith("LIMNER_")}
    Settings(**{k.removeprefix("LIMNER_").lower(): v for k, v in values.items()})  # validates


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dockerfiles_copy_what_exists_and_pin_torch_first(dockerfile: str) -> None:
    text = (DEPLOY / dockerfile).read_text()
    sources = [
        part
        for line in re.findall(r"^COPY\s+(.+)$", text, flags=re.MULTILINE)
        for part in line.split()[:-1]
        if not part.startswith("--")
    ]
    assert sources, "no COPY found"
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile} copies missing {source}"
    torch_at = text.index('"torch==${TORCH_VERSION}"')
    limner_at = text.index('".[${LIMNER_EXTRAS}]"')
    assert torch_at < limner_at
    assert re.search(r"^ARG TORCH_VERSION=2\.13\.0$", text, flags=re.MULTILINE)
    extras = re.search(r"^ARG LIMNER_EXTRAS=(\S+)$", text, flags=re.MULTILINE)
    assert extras is not None
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(extras.group(1).split(",")) <= set(declared)
    assert {"diffusers", "postgres", "redis", "s3"} <= set(extras.group(1).split(","))


def test_the_compose_builds_point_at_real_dockerfiles(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).is_file(), name


def test_the_commands_the_files_run_exist() -> None:
    runner = CliRunner()
    serve = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert serve.exit_code == 0
    for option in ("--processes", "--workers", "--ray-address", "--host", "--port"):
        assert option in serve.output
    assert runner.invoke(app, ["db", "upgrade", "--help"]).exit_code == 0


def pins() -> dict[str, str]:
    from packaging.utils import canonicalize_name

    result = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            result[canonicalize_name(name)] = version
    return result


def test_the_lock_pins_every_dependency_within_the_ranges_of_pyproject() -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = pins()
    requirements = [
        *project["dependencies"],
        *(line for extra in project["optional-dependencies"].values() for line in extra),
    ]
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == "torch":
            assert name not in locked  # installed first, CPU or CUDA build, never from the lock
            continue
        assert name in locked, f"{name} is not in constraints.txt (run scripts/lock)"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"constraints.txt pins {name}=={locked[name]} outside pyproject's {requirement}"
        )
    assert not [name for name in locked if name.startswith(("nvidia-", "triton", "torch"))]


@pytest.mark.parametrize("path", ["scripts/install", "deploy/Dockerfile", "deploy/Dockerfile.cuda"])
def test_installs_use_the_lock(path: str) -> None:
    text = (ROOT / path).read_text()
    installs = [line for line in text.splitlines() if "pip install" in line and '".[' in line]
    assert installs, f"{path} installs no limner"
    for line in installs:
        assert "-c constraints.txt" in line, f"{path}: {line.strip()}"
    if path == "scripts/install":  # torch goes in first, through scripts/install-torch
        assert "scripts/install-torch" in text
        installer = (ROOT / "scripts" / "install-torch").read_text()
        torch_lines = [line for line in installer.splitlines() if "pip install" in line]
    else:
        torch_lines = [
            line for line in text.splitlines() if "pip install" in line and "torch" in line
        ]
    assert torch_lines, f"{path} installs no torch"
    for line in torch_lines:  # torch is the machine's choice (CPU or CUDA), pinned by version
        assert "constraints" not in line


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    missing = [
        f"LIMNER_{name.upper()}"
        for name in Settings.model_fields
        if f"`LIMNER_{name.upper()}`" not in docs
    ]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_docs_cite_only_files_of_this_repository() -> None:
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text()
        assert "/work/" not in text, f"{path.name} cites a path outside the repository"
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_docs_name_migrations_that_exist() -> None:
    versions = ROOT / "src/limner/db/migrations/versions"
    existing = {path.stem for path in versions.glob("0*.py")}
    for path in (ROOT / "docs").glob("*.md"):
        for name in re.findall(r"`(\d{4}_\w+)`", path.read_text()):
            assert name in existing, f"{path.name} names migration {name}; there are {existing}"


def test_install_steps_in_docs_are_in_the_scripts() -> None:
    scripts = "\n".join((ROOT / "scripts" / name).read_text() for name in ("install", "test"))
    step = re.compile(r"installed with `--no-deps`|pip install[^\n]*--no-deps")
    for path in (ROOT / "docs").glob("*.md"):
        if step.search(path.read_text()):
            assert "--no-deps" in scripts, f"{path.name} describes a --no-deps step no script has"
