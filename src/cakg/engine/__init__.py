"""Query engines behind one interface, each over one release (cakg.release.Release).

- `open_engine(settings)`: the engine in this process over the current release (CLI, tests):
  fast to start, no limits.
- `open_engine(settings, release, isolated=True)`: the same engine in a pool of worker
  processes with the timeout, the memory limit and the result cache (the web server).
- `start_zygote(settings, release)` then `open_engine(settings, release, isolated=True,
  link=zygote.attach())` in each web process: several web processes whose pools share one
  zygote, which loads each release they ask for once.
"""

from __future__ import annotations

from cakg.config import Settings
from cakg.engine.base import Answer, Engine, Formats, QueryDataset, QueryResult
from cakg.engine.client_slots import ClientSlots
from cakg.engine.pooled import PooledEngine
from cakg.engine.spec import engine_spec, load_engine
from cakg.engine.zygote import Zygote, ZygoteLink
from cakg.release import Release

__all__ = [
    "Answer",
    "Engine",
    "Formats",
    "QueryDataset",
    "QueryResult",
    "is_local",
    "load_engine",
    "open_engine",
    "start_zygote",
]

CACHE_BYTES = 64 * 1024 * 1024


def _current(settings: Settings) -> Release:
    """The current release, for a caller that holds no lease on it."""
    release = Release.open_current(settings)
    release.close()
    return release


def is_local(settings: Settings) -> bool:
    """True when queries run on this machine's build (not on a remote store)."""
    return not (settings.store_url or settings.engine == "remote")


def start_zygote(
    settings: Settings, release: Release | None = None, *, in_process: bool = False
) -> Zygote:
    """The process that loads `release` (by default the current one) once and forks query
    workers for every web process (and loads each later release a web process asks for).

    `in_process`: load the engine in this process, then fork the zygote from it, so that this
    process and every process it forks later share the loaded store (`zygote.engine`). Only
    while this process runs no other thread.
    """
    spec = engine_spec(settings, release or _current(settings))
    engine = load_engine(*spec) if in_process else None
    return Zygote(
        spec, settings.query_memory_mb, engine, allow_network=settings.allow_worker_network
    )


def open_engine(
    settings: Settings,
    release: Release | None = None,
    *,
    isolated: bool = False,
    link: ZygoteLink | None = None,
    local: Engine | None = None,
    slots: ClientSlots | None = None,
) -> Engine:
    """The configured engine over `release` (by default the current one), or the remote store
    when one is set.

    With `link` (from `start_zygote(...).attach()`), the pool's workers come from that zygote;
    with `local` (a pyoxigraph engine loaded in this process over the same release), point
    lookups are answered in-process through its pattern API; `slots` counts each client's
    queries across the web processes (made before they fork; without it, each engine counts
    its own).
    """
    if not is_local(settings):
        from cakg.engine.remote import open_remote

        return open_remote(settings)
    spec = engine_spec(settings, release or _current(settings))
    if not isolated:
        return load_engine(*spec)
    return PooledEngine(
        spec,
        workers=settings.query_workers,
        short_workers=settings.short_workers,
        short_budget=settings.short_budget,
        timeout=settings.query_timeout,
        memory_mb=settings.query_memory_mb,
        cache_bytes=CACHE_BYTES if settings.result_cache else 0,
        link=link,
        local=local,
        slots=slots,
        client_limit=settings.client_limit,
        allow_network=settings.allow_worker_network,
    )
