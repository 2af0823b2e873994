"""The layering rules of docs/architecture.md, checked on the source (AST), not by convention:

- nothing in the library imports `limner.api` (the HTTP layer sits on top; `cli.py`, the other
  top layer, only starts it in `limner serve`);
- the engine (`limner.generation`) imports neither HTTP code nor the job queue above it;
- `jobs/` does not reach into the API or the old service module;
- `moderation/` writes no database rows;
- no generation status is assigned outside `limner/generation/lifecycle.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import limner

SOURCE = Path(limner.__file__).resolve().parent
LIFECYCLE = SOURCE / "generation" / "lifecycle.py"


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_any(tree: ast.Module, *prefixes: str) -> list[str]:
    return sorted(
        name
        for name in imported(tree)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    )


def test_the_walk_sees_the_package() -> None:
    names = {name for name, _path, _tree in modules()}
    assert {"limner.generation.lifecycle", "limner.wiring", "limner.api.app"} <= names


def test_nothing_below_the_api_imports_it() -> None:
    offenders = {
        name: imports_any(tree, "limner.api")
        for name, _path, tree in modules()
        if not name.startswith("limner.api") and name != "limner.cli"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_cli_imports_the_api_only_to_serve_it() -> None:
    tree = next(tree for name, _path, tree in modules() if name == "limner.cli")
    assert set(imports_any(tree, "limner.api")) <= {
        "limner.api",
        "limner.api.create_app",
        "limner.api.server",  # the uvicorn options and the server that runs the app
        "limner.api.server.serve",
        "limner.api.server.uvicorn_options",
    }


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "limner.generation",
            ("limner.api", "limner.jobs", "limner.service", "limner.wiring", "fastapi"),
        ),
        ("limner.jobs", ("limner.api", "limner.service", "limner.wiring", "fastapi")),
        ("limner.moderation", ("limner.db", "sqlalchemy", "limner.generation", "limner.api")),
        ("limner.backends", ("limner.db", "limner.generation.engine", "limner.api", "fastapi")),
    ],
)
def test_layers_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = {
        name: imports_any(tree, *forbidden)
        for name, _path, tree in modules()
        if name == package or name.startswith(package + ".")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def _is_update_of_generation(call: ast.Call) -> bool:
    """`update(Generation)...values(...)`: walk down the method chain to its root call."""
    node: ast.expr = call.func
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "update":
                return any(isinstance(a, ast.Name) and a.id == "Generation" for a in node.args)
            node = node.func
        else:
            node = node.value
    return False


def status_writes(tree: ast.Module) -> list[int]:
    """Lines that set a generation's status: `Generation(status=...)`,
    `update(Generation)....values(status=...)`, `<generation>.status = ...`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            keywords = {keyword.arg for keyword in node.keywords}
            if "status" not in keywords:
                continue
            if (isinstance(node.func, ast.Name) and node.func.id == "Generation") or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "values"
                and _is_update_of_generation(node)
            ):
                lines.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and "generation" in ast.unparse(target.value).lower()
                ):
                    lines.append(node.lineno)
    return lines


def test_no_status_is_assigned_outside_the_lifecycle() -> None:
    found = {str(path.relative_to(SOURCE)): status_writes(tree) for _n, path, tree in modules()}
    lifecycle = str(LIFECYCLE.relative_to(SOURCE))
    assert {name: lines for name, lines in found.items() if lines and name != lifecycle} == {}
    assert found[lifecycle], "the checker must see the lifecycle's own writes"


@pytest.mark.parametrize(
    "source",
    [
        "Generation(id='x', status='failed')",
        "update(Generation).where(Generation.id == 1).values(status='queued')",
        "generation.status = 'failed'",
    ],
)
def test_the_checker_catches_each_form(source: str) -> None:
    assert status_writes(ast.parse(source)) == [1]


def test_the_checker_leaves_other_statuses_alone() -> None:
    source = "delivery.status = 'pending'\nupdate(Reservation).values(status='released')"
    assert status_writes(ast.parse(source)) == []
