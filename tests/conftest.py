"""Shared fixtures: settings on a copy of the tiny graph, its build, the real project's build.

The endpoint's fixtures (apps, live servers, engines of each kind, an Oxigraph server) are in
tests/sparql_fixtures.py, registered here as a plugin for every test module.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Dataset

from cakg.build import BuildResult, build_dataset
from cakg.cli import main
from cakg.config import Settings
from cakg.release import dataset_dir

TESTS = Path(__file__).parent
REPO = TESTS.parent
TINY = TESTS / "data" / "tiny"
INVALID = TESTS / "data" / "invalid"

pytest_plugins = ["tests.sparql_fixtures"]

# A test that uses one of these fixtures, directly or through another one, starts a server (a live
# HTTP server thread, an Oxigraph server or a real `cakg serve`): it is marked `server`, as is every
# test on the remote engine (`engine[remote]`, over an Oxigraph server). The markers are declared
# in pyproject.toml; `make test-fast` leaves out slow, server, browser and w3c.
SERVER_FIXTURES = {"live_server", "limited_server", "oxigraph_servers", "served", "failing_store"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        remote = callspec is not None and callspec.params.get("engine") == "remote"
        if remote or SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build", ".venv", "__pycache__"))
    return target


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh, private copy of the tiny project (safe to modify)."""
    return Settings(root=copy_project(TINY, tmp_path / "tiny"))


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on a shared copy of the tiny project (do not modify)."""
    return Settings(root=copy_project(TINY, tmp_path_factory.mktemp("shared") / "tiny"))


@pytest.fixture(scope="session")
def built(tiny_settings: Settings) -> BuildResult:
    """The tiny project, built once for the session."""
    return build_dataset(tiny_settings)


@pytest.fixture(scope="session")
def project_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the repository's own sources, building into a temporary folder."""
    return Settings(root=REPO, build_dir=tmp_path_factory.mktemp("project-build"))


@pytest.fixture(scope="session")
def project_build(project_settings: Settings) -> BuildResult:
    """The repository's graph, built once for the session by the real pipeline."""
    return build_dataset(project_settings, force=True)


@pytest.fixture(scope="session")
def project_dataset(project_build: BuildResult, project_settings: Settings) -> Dataset:
    """The compiled project (asserted and inferred named graphs), union as default graph."""
    ds = Dataset(default_union=True)
    ds.parse(dataset_dir(project_settings) / "cakg.nq", format="nquads")
    return ds


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """Run `cakg ARGS...` in-process through its real entry point; returns code, stdout, stderr."""

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 1
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run
