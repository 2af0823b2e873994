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
