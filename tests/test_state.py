"""One current release per request (cakg.web.state), and releases in use kept (cakg.release).

After `cakg build` switches `current` under a running server, every route answers from the new
release within RELEASE_POLL seconds, no response mixes two releases, and a release a server
still uses is not pruned.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cakg.build import build_dataset
from cakg.config import Settings
from cakg.release import RELEASES, Release, current_id, remove_unused
from cakg.web import close_app, create_app, state

from .test_server import serve_process

JSON = {"Accept": "application/json"}
DOC = Path("graph") / "sources" / "doc-1.ttl"
VISIT = "https://w3id.org/cakg/id/visit/tiny-2021"
GRAPH = "https://w3id.org/cakg/graph/sources/doc-1"
LABEL_QUERY = (
    f"SELECT ?label WHERE {{ <{VISIT}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
)


def rename_the_visit(root: Path, label: str) -> None:
    doc = root / DOC
    text = doc.read_text(encoding="utf-8")
    old = text.split('rdfs:label "', 1)[1].split('"', 1)[0]
    doc.write_text(text.replace(f'rdfs:label "{old}"', f'rdfs:label "{label}"'), encoding="utf-8")


def label_of(client: FlaskClient) -> str:
    r = client.get("/sparql", query_string={"query": LABEL_QUERY, "format": "json"})
    assert r.status_code == 200, r.text
    return str(r.get_json()["results"]["bindings"][0]["label"]["value"])


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The real app (its own zygote and workers) on a private copy of the tiny project, which
    looks at `current` on every request."""
    monkeypatch.setattr(state, "RELEASE_POLL", 0.0)
    build_dataset(settings)
    app = create_app(
        settings.replace(query_workers=1, short_workers=0, result_cache=False), {"TESTING": True}
    )
    yield app
    close_app(app)


def test_every_route_answers_from_the_new_release_after_a_rebuild(
    app: Flask, settings: Settings
) -> None:
    client = app.test_client()
    assert label_of(client) == "Test state visit"
    before = client.get("/healthz").get_json()
    rename_the_visit(settings.root, "Renamed visit")
    after_build = build_dataset(settings).manifest["version"]
    assert after_build != before["version"]

    assert label_of(client) == "Renamed visit"
    health = client.get("/healthz").get_json()
    assert (health["version"], health["release"]) == (after_build, current_id(settings))
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"}).text
    assert f'"{after_build}"' in void and f'"{before["version"]}"' not in void
    with client.get("/dumps/cakg.nq") as dump:
        assert "Renamed visit" in dump.text
    stored = client.get("/store", query_string={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    assert "Renamed visit" in stored.text and "Test state visit" not in stored.text
    page = client.get("/data/visit/tiny-2021.ttl").text
    assert "Renamed visit" in page
    saved = client.get("/queries/labelled-things.json", query_string={"contains": "renamed"})
    assert saved.status_code == 200
    assert "Renamed visit" in saved.text


def test_the_saved_queries_come_from_the_release(app: Flask, settings: Settings) -> None:
    """A saved query edited after the build is not served until the next build."""
    client = app.test_client()
    names = {q["name"] for q in client.get("/queries", headers=JSON).get_json()["queries"]}
    (settings.root / "queries" / "partners-of.rq").unlink()
    assert {q["name"] for q in client.get("/queries", headers=JSON).get_json()["queries"]} == names
    build_dataset(settings)
    now = {q["name"] for q in client.get("/queries", headers=JSON).get_json()["queries"]}
    assert now == names - {"partners-of"}


@pytest.mark.slow  # two builds while three readers keep asking: about 10 s
def test_a_request_keeps_its_release_while_current_switches(app: Flask, settings: Settings) -> None:
    """Readers in threads while two rebuilds switch `current`: each response's engine version
    and release id agree (one release per response), and none fails."""
    seen: list[tuple[str, str]] = []
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        client = app.test_client()
        while not done.is_set():
            r = client.get("/healthz")
            if r.status_code != 200:
                failures.append(r.text)
                return
            body = r.get_json()
            seen.append((body["version"], body["release"]))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for label in ("First rename", "Second rename"):
            rename_the_visit(settings.root, label)
            build_dataset(settings)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert failures == []
    assert len({version for version, _ in seen}) >= 2  # the readers saw a switch
    assert all(release.startswith(version) for version, release in seen)


def test_a_release_in_use_is_not_pruned(app: Flask, settings: Settings) -> None:
    """Two builds while the app serves the first release and gets no request: the build keeps
    the new release and the one it replaced, and also the first, which the app still uses.
    Once the app has moved on, the next build removes it."""
    first = current_id(settings)
    for label in ("Second", "Third"):
        rename_the_visit(settings.root, label)
        build_dataset(settings)
    releases = settings.out / RELEASES
    assert (releases / first / "manifest.json").is_file()  # in use: kept
    assert label_of(app.test_client()) == "Third"  # the app moves to the newest
    rename_the_visit(settings.root, "Fourth")
    build_dataset(settings)
    assert not (releases / first).exists()


def test_remove_unused_skips_a_locked_release_and_removes_it_once_free(tmp_path: Path) -> None:
    releases = tmp_path / RELEASES
    for name in ("a", "b", "c"):
        (releases / name).mkdir(parents=True)
        (releases / name / "manifest.json").write_text(json.dumps({"version": name}))
    held = Release.open(releases / "a")
    assert remove_unused(releases, keep={"c"}) == ["a"]
    assert sorted(p.name for p in releases.iterdir()) == ["a", "c"]
    held.close()
    assert remove_unused(releases, keep={"c"}) == []
    assert sorted(p.name for p in releases.iterdir()) == ["c"]


def test_a_release_being_removed_cannot_be_opened(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    with pytest.raises(FileNotFoundError):  # no manifest: removed, or never complete
        Release.open(folder)


def test_the_app_serves_503_until_the_first_build_then_the_build(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "RELEASE_POLL", 0.0)
    app = create_app(settings.replace(query_workers=1, short_workers=0), {"TESTING": True})
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 503
        assert client.get("/sparql", query_string={"query": LABEL_QUERY}).status_code == 503
        build_dataset(settings)
        assert label_of(client) == "Test state visit"
    finally:
        close_app(app)


# ---------------------------------------------------------------- the real `cakg serve`


def _get(url: str, accept: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _label(url: str) -> str:
    query = urllib.parse.urlencode({"query": LABEL_QUERY, "format": "json"})
    status, body = _get(f"{url}/sparql?{query}")
    assert status == 200, body
    bindings: list[dict[str, Any]] = json.loads(body)["results"]["bindings"]
    return str(bindings[0]["label"]["value"])


@pytest.mark.server
def test_cakg_serve_switches_every_web_process_to_a_rebuilt_release(settings: Settings) -> None:
    """Two web processes sharing one zygote; a rebuild renames a label while a reader keeps
    asking /healthz. Within RELEASE_POLL (+ the time to load) every web process answers from
    the new release, on every route; no response fails or mixes releases."""
    build_dataset(settings)
    served = serve_process(
        settings.root,
        CAKG_WEB_PROCESSES="2",
        CAKG_THREADS="4",
        CAKG_QUERY_WORKERS="1",
        CAKG_SHORT_WORKERS="1",
        CAKG_RESULT_CACHE="0",
    )
    server = next(served)
    url = server.url
    try:
        assert _label(url) == "Test state visit"
        seen: list[tuple[int, str, str]] = []
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                status, body = _get(f"{url}/healthz")
                health = json.loads(body)
                seen.append((status, health["version"], health["release"]))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            rename_the_visit(settings.root, "Renamed while serving")
            version = build_dataset(settings).manifest["version"]
            switched = time.monotonic()
            deadline = switched + state.RELEASE_POLL + 10
            streak = 0  # consecutive new answers: requests go to either web process
            while streak < 20 and time.monotonic() < deadline:
                streak = streak + 1 if _label(url) == "Renamed while serving" else 0
            took = time.monotonic() - switched
        finally:
            done.set()
            reader.join()
        assert streak == 20, f"not every web process switched within {took:.1f} s"
        assert all(status == 200 for status, _, _ in seen)
        assert all(release.startswith(v) for _, v, release in seen)
        assert seen[-1][1] == version
        status, void = _get(f"{url}/.well-known/void", "application/n-triples")
        assert status == 200 and f'"{version}"' in void.decode()
        status, dump = _get(f"{url}/dumps/cakg.nq", "application/n-quads")
        assert status == 200 and b"Renamed while serving" in dump
        graph = urllib.parse.quote(GRAPH, safe="")
        status, stored = _get(f"{url}/store?graph={graph}", "text/turtle")
        assert status == 200 and b"Renamed while serving" in stored
        assert b"serving release" in bytes(server.log)  # the switch is logged
    finally:
        with pytest.raises(StopIteration):
            next(served)
