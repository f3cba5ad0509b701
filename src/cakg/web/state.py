"""The release being served and its engine, one per request (as flaskr's db.py keeps its
connection): `served()`, `release()`, `engine()`, `settings()`, `memo()`, `search_index()`.

`ServedReleases` keeps the current release (cakg.release.Release, locked as in use so the
build does not prune it) and the engine over it. Each request checks one out when it arrives
(`RequestScope`, the WSGI middleware in front of the app) and answers every part of its
response from that one; so no response mixes two releases.

When `cakg build` switches `current`, the first request that arrives RELEASE_POLL seconds or
more after the last look (one readlink) opens the new release and its engine, then makes it
current; requests that arrive meanwhile go on with the old one. The old release and engine
are closed when the last request using them ends. A rebuild that kept the release (the same
dumps) but replaced its manifest and docs is picked up the same way, with the same engine.
A release that cannot be opened (its engine fails to load) is logged and the old one kept.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_request_context, request

from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.errors import BuildMissingError, CakgError
from cakg.release import MANIFEST, Release, current_id, no_release
from cakg.request_context import entered
from cakg.search import SearchIndex
from cakg.void import dataset_counts
from cakg.web.request_ids import request_id

log = logging.getLogger(__name__)

RELEASE_POLL = 1.0  # seconds between two looks at `current`
MEMO_SIZE = 32  # values memoised per release (a few keys per page kind); bounded all the same
EXTENSION = "cakg.releases"  # app.extensions[EXTENSION]: the app's ServedReleases
ENVIRON = "cakg.served"  # environ[ENVIRON]: the request's Served
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_MISSING = object()


@dataclass(eq=False)
class Served:
    """One release and the engine over it, with the requests using them."""

    release: Release | None  # None: a test's fixed engine, served before any build
    engine: Engine
    owner: bool  # closes the release when retired and unused
    engine_owner: bool  # closes the engine then too
    users: int = 0
    retired: bool = False
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    stamp: int = 0  # the manifest's mtime when read
    search: SearchIndex | None = None  # loaded on first use (search_index())
    search_lock: threading.Lock = field(default_factory=threading.Lock)


class ServedReleases:
    """The current release and its engine, switched when `current` changes."""

    def __init__(
        self,
        settings: Settings,
        open_engine: Callable[[Release], Engine] | None,
        engine: Engine | None = None,
    ) -> None:
        """`open_engine` makes the engine over a release; or `engine` serves every release
        (a test's engine: the caller closes it)."""
        self.settings = settings
        self._open_engine = open_engine
        self._fixed = engine
        self._lock = threading.Lock()
        self._switching = threading.Lock()
        self._current: Served | None = None  # no release built yet: every request a 503
        with contextlib.suppress(BuildMissingError):
            self._current = self._serve(Release.open_current(settings))
        if self._current is None and engine is not None:
            self._current = Served(None, engine, owner=False, engine_owner=False)
        self._looked = time.monotonic()

    def _serve(self, release: Release) -> Served:
        try:
            if self._fixed is not None:
                engine = self._fixed
            else:
                assert self._open_engine is not None
                engine = self._open_engine(release)
        except BaseException:
            release.close()
            raise
        return Served(
            release, engine, owner=True, engine_owner=self._fixed is None, stamp=_stamp(release)
        )

    def checkout(self) -> Served | None:
        """The current release for one request (None before the first build); give it back
        with `checkin`."""
        if time.monotonic() - self._looked >= RELEASE_POLL:
            self.refresh()
        with self._lock:
            served = self._current
            if served is not None:
                served.users += 1
        return served

    def checkin(self, served: Served | None) -> None:
        if served is None:
            return
        with self._lock:
            served.users -= 1
            done = served.retired and served.users == 0
        if done:
            _close(served)

    def refresh(self) -> None:
        """Look at `current` now; switch to a new release (or a replaced manifest) if there is
        one. Only one thread switches; the others go on with the release they have."""
        if not self._switching.acquire(blocking=False):
            return
        try:
            self._looked = time.monotonic()
            old = self._current
            now = current_id(self.settings)
            if not now:
                return
            if old is not None and old.release is not None and now == old.release.id:
                if _stamp(old.release) == old.stamp:
                    return
                release = old.release.reread()
                served = Served(release, old.engine, True, old.engine_owner, stamp=_stamp(release))
                old.owner = old.engine_owner = False  # the new one has its lock and engine
            else:
                try:
                    served = self._serve(Release.open_current(self.settings))
                except (CakgError, OSError) as e:
                    log.error("cannot serve the new release %s: %s", now, e)
                    return
                log.info("serving release %s", now)
            self._swap(served)
        finally:
            self._switching.release()

    def _swap(self, served: Served | None) -> None:
        """Make `served` current (None: only retire the current one, at close)."""
        with self._lock:
            old = self._current
            if served is not None:
                self._current = served
            if old is None:
                return
            old.retired = True
            done = old.users == 0
        if done:
            _close(old)

    @property
    def current(self) -> Served:
        """The current release; BuildMissingError before the first build."""
        if self._current is None:
            raise no_release(self.settings)
        return self._current

    def close(self) -> None:
        """Retire the current release: closed now, or when its last request ends."""
        self._swap(None)


def _stamp(release: Release) -> int:
    try:
        return (release.path / MANIFEST).stat().st_mtime_ns
    except OSError:
        return 0


def _close(served: Served) -> None:
    if served.owner and served.release is not None:
        served.owner = False
        served.release.close()
    if served.engine_owner:
        served.engine_owner = False
        served.engine.close()


class RequestScope:
    """WSGI middleware in front of the app: each request gets its id, the request context the
    engine reads (cakg.request_context), and one release checked out for its whole answer."""

    def __init__(self, app: WSGIApp, releases: ServedReleases) -> None:
        self.app = app
        self.releases = releases

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        rid = request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["HTTP_X_REQUEST_ID"] = rid
        with entered(rid, environ.get("REMOTE_ADDR")):
            served = self.releases.checkout()
            environ[ENVIRON] = served
            try:
                return self.app(environ, start_response)
            finally:
                self.releases.checkin(served)


# ---------------------------------------------------------------- for the blueprints


def served() -> Served:
    """The request's release and engine (outside a served request, e.g. in a test's request
    context: the current one); BuildMissingError before the first build."""
    found: Served | None = request.environ.get(ENVIRON) if has_request_context() else None
    if found is None:
        releases: ServedReleases = current_app.extensions[EXTENSION]
        return releases.current
    return found


def served_engine(environ: dict[str, Any], settings: Settings) -> Engine:
    """The engine of the release RequestScope checked out for this WSGI request."""
    found: Served | None = environ.get(ENVIRON)
    if found is None:
        raise no_release(settings)
    return found.engine


def release() -> Release:
    """The request's release; BuildMissingError when there is none (before any build)."""
    found = served().release
    if found is None:
        raise no_release(settings())
    return found


def engine() -> Engine:
    return served().engine


def settings() -> Settings:
    value: Settings = current_app.config["CAKG_SETTINGS"]
    return value


def memo(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """A value computed once per release (a release never changes once served)."""
    values = served().memo
    value = values.get(key, _MISSING)
    if value is _MISSING:
        value = make()
        if len(values) >= MEMO_SIZE:  # another thread may clear it too: the value is ours
            values.clear()
        values[key] = value
    return value


def dataset_figures() -> dict[str, int]:
    """The dataset's headline counts (cakg.void.dataset_counts), counted once per release for
    the VoID description and the home page alike."""
    figures: dict[str, int] = memo(
        ("dataset-counts",), lambda: dataset_counts(engine(), settings())
    )
    return figures


def search_index() -> SearchIndex:
    """The search index of the request's release, read once per release (on first use, by one
    thread; not in `memo()`, which drops its values when full: reading it again is costly).
    SearchIndexError when the release has none; BuildMissingError before any build."""
    return _search_index(served(), settings())


def read_search_index(release: Release) -> SearchIndex | None:
    """The release's search index, or None when it cannot be read (the first search will say
    why): `cakg serve` reads it once, before it forks the web processes."""
    try:
        return SearchIndex.load(release)
    except CakgError as e:
        log.warning("the search index of release %s: %s", release.id, e)
        return None


def adopt_search(app: Flask, release: Release, index: SearchIndex | None) -> None:
    """Give the app the search index read (before the fork) for RELEASE, if it serves it."""
    releases: ServedReleases = app.extensions[EXTENSION]
    with contextlib.suppress(BuildMissingError):
        served = releases.current
        if index is not None and served.release is not None and served.release.path == release.path:
            served.search = served.search or index


def _search_index(found: Served, settings: Settings) -> SearchIndex:
    index = found.search
    if index is None:
        with found.search_lock:
            index = found.search
            if index is None:
                if found.release is None:
                    raise no_release(settings)
                index = found.search = SearchIndex.load(found.release)
    return index
