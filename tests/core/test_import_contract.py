"""The import contract of docs/ARCHITECTURE.md, read from the source (every import statement,
those inside functions and under TYPE_CHECKING included):

* imports run one way: no cycle among pricesync's modules;
* the engine (pricesync.core outside its CLI) imports no textual, rich, pricesync.tui or CLI;
* the clients, the dashboard (pricesync.tui) and the CLI (pricesync.core.cli), import of the
  engine only its front door, the package root pricesync.core;
* nothing imports the folders as top-level `core` or `tui`: the only import name is pricesync.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"core": "pricesync.core", "tui": "pricesync.tui"}  # folder -> import name
FRONT_DOOR = "pricesync.core"
CLI = "pricesync.core.cli"
UI_LIBRARIES = ("textual", "rich")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # absolute
    names: tuple[str, ...]  # of `from module import names`; () for `import module`

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [PACKAGES.get(rel.parts[0], rel.parts[0]), *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


def imports_of(path: Path) -> Iterator[Import]:
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield Import(path, node.lineno, module, tuple(a.name for a in node.names))


MODULES = {module_name(p): p for p in source_files(*PACKAGES)}


def targets(imp: Import) -> set[str]:
    """The pricesync modules an import runs: `from pkg import sub` runs pkg.sub when sub is a
    module, and pkg for every other name (a package's parents run implicitly, as always)."""
    subs = {f"{imp.module}.{n}" for n in imp.names if f"{imp.module}.{n}" in MODULES}
    if len(subs) < len(imp.names) or not imp.names:
        subs.add(imp.module)
    return {t for t in subs if t in MODULES}


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for imp in imports_of(path):
            edges[name] |= targets(imp) - {name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- the checks ----------------------------------------------------------------------------------


def test_the_checker_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_checker_reads_relative_and_lazy_imports():
    found = {(i.module, i.names) for i in imports_of(ROOT / "core" / "cli" / "main.py")}
    names = (
        "ConfigError",
        "PriceSyncError",
        "check_data_dir",
        "load_settings",
        "terminal",
        "version",
        "writable_data_dir",
    )
    assert (FRONT_DOOR, names) in found
    assert targets(Import(ROOT, 0, CLI, ("history", "main"))) == {f"{CLI}.history", f"{CLI}.main"}
    in_functions = {i for i in imports_of(ROOT / "core" / "sources.py") if i.names == ("aws_boto3",)}
    assert {t for i in in_functions for t in targets(i)} == {"pricesync.core.providers.aws_boto3"}


def test_imports_run_one_way():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_engine_imports_no_ui():
    bad = [
        f"{imp.where()} imports {imp.module}"
        for name, path in MODULES.items()
        if in_package(name, FRONT_DOOR) and not in_package(name, CLI)
        for imp in imports_of(path)
        if imp.module.split(".")[0] in UI_LIBRARIES
        or in_package(imp.module, "pricesync.tui")
        or in_package(imp.module, CLI)
    ]
    assert not bad, "the engine must not import a UI:\n" + "\n".join(bad)


@pytest.mark.parametrize("client", ["pricesync.tui", CLI])
def test_clients_use_only_the_front_door(client):
    bad = []
    for name, path in MODULES.items():
        if not in_package(name, client):
            continue
        for imp in imports_of(path):
            if not in_package(imp.module, FRONT_DOOR) or in_package(imp.module, client):
                continue
            reached = {t for t in targets(imp) if not in_package(t, client)}
            if reached != {FRONT_DOOR} or imp.module != FRONT_DOOR:
                bad.append(f"{imp.where()} imports {', '.join(sorted(reached)) or imp.module}")
    assert not bad, f"{client} may import only {FRONT_DOOR} itself:\n" + "\n".join(bad)


def test_nothing_imports_the_folders_as_top_level_packages():
    bad = [
        f"{imp.where()} imports {imp.module}"
        for path in source_files("core", "tui", "tests", "examples")
        for imp in imports_of(path)
        if imp.module.split(".")[0] in PACKAGES
    ]
    assert not bad, "import pricesync.core / pricesync.tui, not core / tui:\n" + "\n".join(bad)
