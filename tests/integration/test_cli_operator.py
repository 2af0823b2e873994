"""The operator commands as a new user meets them: `keys list` in an 80-column terminal, a
command run from a folder without the server's database, `models pull` without the model hub,
and command summaries that do not break mid-sentence."""

from __future__ import annotations

from pathlib import Path

import typer.main

from limner.cli import app
from tests.support.cli import cli_env, create_key, run_cli
from tests.support.live_server import free_port


def test_keys_list_fits_80_columns(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", columns=80)
    key = create_key(env, "--name", "a rather long key name for the studio team")
    other = create_key(env, "--plan", "pro", "--credits", "50", "--name", "studio")
    assert run_cli("keys", "revoke", other[:12], env=env).returncode == 0
    listing = run_cli("keys", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert "…" not in listing.stdout  # nothing cut: a long name wraps
    header = lines[0].split()
    assert header == ["prefix", "name", "plan", "mode", "available", "granted", "created", "notes"]
    words = listing.stdout.split()
    for word in ("a", "rather", "long", "key", "name", "for", "the", "studio", "team"):
        assert word in words
    assert key[:12] in words and other[:12] in words  # the whole prefix, always
    revoked = next(line for line in lines if other[:12] in line)
    assert "revoked" in revoked and "150" in revoked


def test_a_folder_without_the_database_is_refused_by_name(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "limner-data"
    env = cli_env(elsewhere)
    for command in (["keys", "list"], ["credits", "grant", "lmn_00000000", "5"]):
        refused = run_cli(*command, env=env)
        assert refused.returncode == 1
        assert f"no Limner database in {elsewhere}" in refused.stderr
        assert "LIMNER_DATA_DIR" in refused.stderr
    assert not elsewhere.exists()  # nothing made in the wrong folder
    # the commands that start a database still do
    assert create_key(env).startswith("lmn_")
    assert run_cli("keys", "list", env=env).returncode == 0


def test_models_pull_without_the_hub_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on: refused at once
    for hub in ({"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": nobody}):
        env = cli_env(data, LIMNER_BACKEND="diffusers", HF_HOME=str(tmp_path / "hf"), **hub)
        pulled = run_cli("models", "pull", env=env)
        assert pulled.returncode == 1
        assert pulled.stdout == ""
        assert len(pulled.stderr.strip().splitlines()) == 1, pulled.stderr
        assert pulled.stderr.startswith("error: nothing downloaded: ")


def test_command_summaries_are_one_line_each() -> None:
    """Typer shows a command's docstring in the command list with the source's line breaks;
    each summary is its first paragraph on one line, wrapped by the terminal, not the source."""
    root = typer.main.get_command(app)
    groups = {"limner": root}
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            groups[f"limner {name}"] = command
    summaries = {
        f"{label} {name}": command.short_help
        for label, group in groups.items()
        for name, command in group.commands.items()  # type: ignore[attr-defined]
        if not hasattr(command, "commands")
    }
    assert summaries["limner verify"] and "\n" not in summaries["limner verify"]
    assert summaries["limner verify"].endswith("(exit 1 if not).")
    assert all(summary and "\n" not in summary for summary in summaries.values()), summaries
