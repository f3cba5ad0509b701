"""Always up, never half-written (issue 18): what a build does to the release being served.

- a rebuild never removes or rewrites the served release before the switch;
- the dumps of one dataset version are byte-identical from one build to the next;
- a killed build leaves nothing the next build does not remove;
- a failed build is recorded beside `current`, and `/healthz` and `cakg serve` say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cakg.build import build_dataset, pipeline, write
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.errors import ParseError
from cakg.release import dataset_dir, load_manifest
from cakg.web import close_app, create_app

from .conftest import INVALID

DOC = Path("graph") / "sources" / "doc-1.ttl"
BROKEN = INVALID / "syntax" / "broken.ttl"  # a syntax error on line 6
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def _unreadable(release: Path) -> str | None:
    """What of `release` (its manifest, every file the manifest lists) fails to open; None
    when all of it reads."""
    try:
        manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
        for name in manifest["files"]:
            with (release / name).open("rb") as f:
                f.read(1)
    except (OSError, ValueError) as e:
        return f"{release}: {e!r}"
    return None


class _Probed:
    """A stand-in for a module (os, shutil) of the build: after each call of `names`, `check()`
    runs, so that every step of the build that changes the file system is checked at once."""

    def __init__(self, module: ModuleType, names: set[str], check: Callable[[str], None]):
        self._module = module
        self._names = names
        self._check = check

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if name not in self._names:
            return attr

        def probed(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            self._check(f"after {self._module.__name__}.{name}{args}")
            return result

        return probed


def _add_a_prefix(root: Path) -> None:
    """The same triples (the same version), other bytes: one more prefix in the Turtle dumps."""
    doc = root / DOC
    doc.write_text("@prefix zz: <http://example.org/zz#> .\n" + doc.read_text())


def _rename_the_visit(root: Path) -> None:
    doc = root / DOC
    doc.write_text(doc.read_text().replace("Test state visit", "Test state visit, renamed"))


@pytest.mark.parametrize(
    "change",
    [None, _add_a_prefix, _rename_the_visit],
    ids=["unchanged", "same-version-other-bytes", "new-version"],
)
def test_a_rebuild_never_leaves_the_served_release_unreadable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None] | None
) -> None:
    first = build_dataset(settings)
    current = dataset_dir(settings)
    started = current.resolve()  # where a running server's engine reads (worker respawns)
    if change is not None:
        change(settings.root)
    failures: list[str] = []

    def check(step: str) -> None:
        failures.extend(f"{step}: {e}" for e in (_unreadable(current), _unreadable(started)) if e)

    for module in (pipeline, write):  # the build's steps, the release's writing
        monkeypatch.setattr(module, "os", _Probed(os, {"replace", "rename", "unlink"}, check))
        monkeypatch.setattr(module, "shutil", _Probed(shutil, {"rmtree", "move"}, check))

    app = create_app(settings, {"TESTING": True, "CAKG_ENGINE": open_engine(settings)})
    client = app.test_client()
    done = threading.Event()
    reads = [0, 0]

    def read_files() -> None:  # the way the server's /dumps opens them, as fast as it can
        while not done.is_set() and reads[0] < 1_000_000:
            if problem := _unreadable(current):
                failures.append(f"reader: {problem}")
            reads[0] += 1

    def get_dumps() -> None:
        while not done.is_set() and reads[1] < 100_000:
            for name in ("cakg.nq", "cakg.trig.gz"):
                try:
                    with client.get(f"/dumps/{name}") as response:
                        status = response.status_code
                except OSError as e:  # TESTING: the app's exceptions come through
                    failures.append(f"GET /dumps/{name}: {e!r}")
                else:
                    if status != 200:
                        failures.append(f"GET /dumps/{name}: {status}")
            reads[1] += 1

    readers = [threading.Thread(target=read_files), threading.Thread(target=get_dumps)]
    for thread in readers:
        thread.start()
    try:
        again = build_dataset(settings, force=True)
    finally:
        done.set()
        for thread in readers:
            thread.join()
        close_app(app)
    assert failures == []
    assert reads[0] > 0 and reads[1] > 0
    assert again.built
    assert load_manifest(settings)["version"] == again.manifest["version"]
    assert _unreadable(current) is None and _unreadable(started) is None
    same_version = again.manifest["version"] == first.manifest["version"]
    assert same_version == (change is not _rename_the_visit)
    if change is None:  # byte-identical: the served folder is kept as it is
        assert current.resolve() == started
    else:
        assert current.resolve() != started


def test_a_release_of_the_same_version_with_other_bytes_gets_its_own_folder(
    settings: Settings,
) -> None:
    first = build_dataset(settings)
    version = first.manifest["version"]
    _add_a_prefix(settings.root)
    second = build_dataset(settings)
    assert second.manifest["version"] == version
    assert second.manifest["files"]["cakg.ttl"] != first.manifest["files"]["cakg.ttl"]
    assert second.directory.name == f"{version}-2"
    releases = settings.out / "releases"
    assert sorted(p.name for p in releases.iterdir()) == [version, f"{version}-2"]
    # back to the first bytes: the release that has them is served again, not rewritten
    doc = settings.root / DOC
    doc.write_text(doc.read_text().split("\n", 1)[1])
    third = build_dataset(settings)
    assert third.directory.name == version
    assert third.manifest["files"] == first.manifest["files"]
    assert os.readlink(dataset_dir(settings)) == f"releases/{version}"


def _build_in_a_process(settings: Settings, hash_seed: str, reasoner: str) -> dict[str, Any]:
    """`cakg build --force` in its own process (its own string hashes); the manifest."""
    cakg = [sys.executable, "-m", "cakg", "--root", str(settings.root), "--reasoner", reasoner]
    subprocess.run(
        [*cakg, "build", "--force", "-q"],
        check=True,
        env={**CHILD_ENV, "PYTHONHASHSEED": hash_seed},
        timeout=300,
    )
    manifest: dict[str, Any] = load_manifest(settings)
    for name, info in manifest["files"].items():  # the manifest tells the truth
        data = (dataset_dir(settings) / name).read_bytes()
        assert info == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return manifest


@pytest.mark.parametrize("reasoner", ["owlrl", "rules"])
@pytest.mark.slow
def test_one_version_has_byte_identical_dumps_in_every_build(
    settings: Settings, reasoner: str
) -> None:
    first = _build_in_a_process(settings, "1", reasoner)
    assert "_:" in (dataset_dir(settings) / "cakg.nq").read_text()  # blank nodes: the hard part
    second = _build_in_a_process(settings, "2", reasoner)
    assert second["version"] == first["version"]
    assert second["files"] == first["files"]
    assert second["built"] >= first["built"]


# A build that stops (as if killed) once its release is half written: the dumps are there,
# not yet gzipped, nothing is renamed yet.
STOPPED_BUILD = """
import sys
from cakg.build import build_dataset, write
from cakg.config import Settings

gzip = write._gzip

def stop(path):
    gzip(path)
    print("half-written", flush=True)
    sys.stdin.read()

write._gzip = stop
build_dataset(Settings(root=sys.argv[1]), force=True)
"""


def _wait_for_line(proc: subprocess.Popen[bytes], deadline: float) -> bytes:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if selector.select(timeout=deadline - time.monotonic()):
            return proc.stdout.readline()
    raise AssertionError("the build did not get to writing its release")


def test_the_next_build_removes_what_a_killed_build_left(settings: Settings) -> None:
    first = build_dataset(settings)
    proc = subprocess.Popen(
        [sys.executable, "-c", STOPPED_BUILD, str(settings.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,  # a readline after select() must not buffer lines that select() cannot see
        env=CHILD_ENV,
    )
    try:
        assert _wait_for_line(proc, time.monotonic() + 120) == b"half-written\n"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for stream in (proc.stdin, proc.stdout):
            assert stream is not None
            stream.close()
    left = [p for p in settings.out.iterdir() if p.name.startswith(".staging-")]
    assert len(left) == 1
    left_files = {p.name for p in left[0].rglob("*")}
    assert load_manifest(settings) == first.manifest  # the served release is untouched
    assert _unreadable(dataset_dir(settings)) is None

    again = build_dataset(settings)  # nothing changed: up to date, and it cleans up
    assert not again.built
    assert not [p for p in settings.out.iterdir() if p.name.startswith(".staging-")]
    assert {"cakg.nq", "cakg.trig", "cakg.ttl"} <= left_files  # the half-written release
    assert "quads.nq" in left_files  # and the parsed quads (not in the system's /tmp)


def test_the_next_build_removes_stale_working_files(settings: Settings) -> None:
    build_dataset(settings)
    out = settings.out
    (out / ".staging-abc123" / "release").mkdir(parents=True)
    (out / ".staging-abc123" / "release" / "cakg.nq").write_text("<a> <b> <c")
    (out / ".staging-failed-build.json").write_text("{")
    (out / ".current.tmp").symlink_to("releases/gone")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, check=True, text=True).stdout.strip()  # fmt: skip
    cache = out / "validate-cache"
    (cache / f".unit-x.json.{dead}.tmp").write_text("{")
    mine = cache / f".unit-y.json.{os.getpid()}.tmp"  # a live writer's (`cakg validate`)
    mine.write_text("{")
    build_dataset(settings)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock"]
    assert [p.name for p in cache.glob(".*.tmp")] == [mine.name]


# --- a failed build while a release is served ----------------------------------------------


def test_healthz_names_the_failed_build_until_a_build_succeeds(settings: Settings) -> None:
    first = build_dataset(settings)
    app = create_app(settings, {"TESTING": True, "CAKG_ENGINE": open_engine(settings)})
    client = app.test_client()
    try:
        assert client.get("/healthz").get_json()["build_error"] is None
        shutil.copy(BROKEN, settings.root / "graph" / "sources")
        with pytest.raises(ParseError) as caught:
            build_dataset(settings)
        body = client.get("/healthz").get_json()
        assert body["status"] == "ok" and body["version"] == first.manifest["version"]
        error = body["build_error"]
        assert error["error"] == "parse-error"
        assert error["message"] == str(caught.value)
        assert (error["file"], error["line"]) == ("graph/sources/broken.ttl", 6)
        assert error["column"] == caught.value.column
        assert error["serving"] == first.manifest["version"]
        (settings.root / "graph" / "sources" / "broken.ttl").unlink()
        build_dataset(settings)  # up to date again: the error is gone
        assert client.get("/healthz").get_json()["build_error"] is None
    finally:
        close_app(app)


@pytest.mark.server
def test_serve_keeps_serving_the_last_good_release_when_a_source_breaks(
    settings: Settings,
) -> None:
    """The real `cakg serve`: it starts on the release built before, says why in its log and
    in /healthz."""
    first = build_dataset(settings)
    shutil.copy(BROKEN, settings.root / "graph" / "sources")
    env = {**CHILD_ENV, "CAKG_WEB_PROCESSES": "1", "CAKG_QUERY_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cakg", "--root", str(settings.root), "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        bufsize=0,  # a readline after select() must not buffer lines that select() cannot see
        env=env,
    )
    try:
        log, url = _read_log_until_serving(proc, time.monotonic() + 120)
        with urllib.request.urlopen(f"{url}/healthz", timeout=30) as r:
            health = json.loads(r.read())
    finally:
        proc.terminate()
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()
    version = first.manifest["version"]
    assert health["version"] == version
    assert health["build_error"]["file"] == "graph/sources/broken.ttl"
    assert health["build_error"]["line"] == 6
    warnings = [line for line in log.splitlines() if line.startswith("cakg: warning: ")]
    assert warnings[0].startswith("cakg: warning: the last build failed (at ")
    assert "): graph/sources/broken.ttl:6:" in warnings[0]
    assert f"serving the last good release instead: version {version} " in warnings[1]
    assert "Traceback" not in log


def _read_log_until_serving(proc: subprocess.Popen[bytes], deadline: float) -> tuple[str, str]:
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    seen = ""
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = proc.stderr.readline().decode()
        if not line:
            break
        seen += line
        if "serving cakg at " in line:
            return seen, line.split("serving cakg at ", 1)[1].split()[0].rstrip("/")
    raise AssertionError(f"cakg serve did not start:\n{seen}")
