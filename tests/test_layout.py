"""The layout the code is meant to keep: two wings on one seam (the release), imports one way.

The build (cakg.build) reads the core only; the serving side never imports the build (nor
pyshacl or owlrl, which only the build uses); nothing imports the edges (cakg.web, cakg.cli).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
CORE = {
    "cakg",
    "cakg.config",
    "cakg.errors",
    "cakg.hrefs",
    "cakg.namespaces",
    "cakg.release",
    "cakg.search_keys",
    "cakg.site_nav",
    "cakg.sparql_terms",
    "cakg.sparql_text",
    "cakg.terms",
    "cakg.queries",
    "cakg.queries.graph",
    "cakg.queries.header",
    "cakg.queries.params",
}
EDGES = ("cakg.web", "cakg.cli", "cakg.__main__")


def imports() -> dict[str, set[str]]:
    """Each module of src/cakg and the cakg modules it imports (at any level of its code)."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {_module(name) for name in names if name.startswith("cakg")}
    return found


def _module(name: str) -> str:
    """The module `name` is (a name imported from a module is that module)."""
    parts = name.split(".")
    while parts:
        path = SRC.joinpath(*parts)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    raise AssertionError(f"no module for {name}")


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_build_imports_only_the_core_and_itself() -> None:
    wrong = {
        (module, target)
        for module, targets in imports().items()
        if _in(module, "cakg.build")
        for target in targets
        if not (_in(target, "cakg.build") or target in CORE)
    }
    assert wrong == set()


def test_the_serving_side_never_imports_the_build() -> None:
    wrong = {
        (module, target)
        for module, targets in imports().items()
        if not _in(module, "cakg.build") and module != "cakg.cli"  # cli: its build commands
        for target in targets
        if _in(target, "cakg.build")
    }
    assert wrong == set()


def test_nothing_imports_the_edges() -> None:
    wrong = {
        (module, target)
        for module, targets in imports().items()
        if not any(_in(module, edge) for edge in EDGES)
        for target in targets
        if any(_in(target, edge) for edge in EDGES)
    }
    assert wrong == set()


@pytest.mark.parametrize(
    "module",
    [
        "cakg.cli",
        "cakg.web",
        "cakg.web.server",
        "cakg.publish",
        "cakg.stats",
        "cakg.inference_explanation",  # the build's rules read backwards, without the build
    ],
)
def test_a_serving_process_loads_neither_the_build_nor_pyshacl_nor_owlrl(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyshacl', 'owlrl') "
        "or m.startswith('cakg.build')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
