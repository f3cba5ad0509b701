"""Query engines behind one interface; `open_engine(settings)` returns the configured one.

- `open_engine(settings)`: the engine in this process (CLI, tests): fast to start, no limits.
- `open_engine(settings, isolated=True)`: the same engine in a pool of worker processes with the
  timeout, the memory limit and the result cache (the web server).
- `start_zygote(settings)` then `open_engine(settings, isolated=True, link=zygote.attach())` in
  each web process: several web processes whose pools share one loaded engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cakg.config import Settings
from cakg.engine.base import Answer, Dataset, Engine, Formats, QueryResult
from cakg.errors import BuildMissingError, ConfigError
from cakg.release import NQUADS, dataset_dir, load_manifest

if TYPE_CHECKING:
    from cakg.engine.pool import ClientSlots
    from cakg.engine.zygote import Zygote, ZygoteLink

__all__ = [
    "Answer",
    "Dataset",
    "Engine",
    "Formats",
    "QueryResult",
    "load_engine",
    "open_engine",
    "prepare_store",
]

CACHE_BYTES = 64 * 1024 * 1024
STORAGES = ("auto", "memory", "disk")
# In memory a quad costs some hundreds of bytes with the store's indexes (the union copy
# included): above this size the store goes on disk, to start at once and keep its pages in
# the OS page cache, shared by every process. Point lookups are slower there (RocksDB reads),
# scans and aggregates as fast (bench/README.md).
AUTO_DISK_BYTES = 100 * 1024 * 1024


def load_engine(name: str, nquads: str | Path, version: str, storage: str = "memory") -> Engine:
    """An in-process engine of the given kind loaded from an N-Quads file.

    `storage` (oxigraph only): "memory", "disk" (a read-only store made once per build beside
    the N-Quads), or "auto": on disk when the N-Quads are larger than AUTO_DISK_BYTES.
    """
    if name == "oxigraph":
        from cakg.engine.oxigraph_store import OxigraphEngine

        return OxigraphEngine(Path(nquads), version, _storage(storage, Path(nquads)))
    if name == "rdflib":
        from cakg.engine.rdflib_dataset import RdflibEngine

        return RdflibEngine(Path(nquads), version)
    raise ConfigError(f"engine: '{name}' is not one of oxigraph, rdflib")


def _storage(storage: str, nquads: Path) -> str:
    if storage == "auto":
        big = nquads.is_file() and nquads.stat().st_size > AUTO_DISK_BYTES
        return "disk" if big else "memory"
    if storage not in STORAGES:
        raise ConfigError(f"oxigraph_storage: '{storage}' is not one of {', '.join(STORAGES)}")
    return storage


def dataset_files(settings: Settings) -> tuple[Path, str]:
    """The build's N-Quads file and its dataset version; BuildMissingError when not built."""
    manifest = load_manifest(settings)
    nquads = (dataset_dir(settings) / NQUADS).resolve()
    if not nquads.is_file():
        raise BuildMissingError(f"{nquads} is missing: run `cakg build`")
    return nquads, str(manifest["version"])


def prepare_store(settings: Settings) -> None:
    """Make the build's on-disk store now when the engine would use one (for `cakg build`, so
    that the first `cakg serve` after a build starts in seconds at 10^6 triples, not minutes)."""
    nquads, _ = dataset_files(settings)
    if settings.engine == "oxigraph" and _storage(settings.oxigraph_storage, nquads) == "disk":
        from cakg.engine.oxigraph_store import open_disk_store

        open_disk_store(nquads)


def is_local(settings: Settings) -> bool:
    """True when queries run on this machine's build (not on a remote store)."""
    return not (settings.store_url or settings.engine == "remote")


def start_zygote(settings: Settings, *, in_process: bool = False) -> Zygote:
    """The process that loads the build once and forks query workers for every web process.

    `in_process`: load the engine in this process, then fork the zygote from it, so that this
    process and every process it forks later share the loaded store (`zygote.engine`). Only
    while this process runs no other thread.
    """
    from cakg.engine.zygote import Zygote

    nquads, version = dataset_files(settings)
    spec = (settings.engine, str(nquads), version, settings.oxigraph_storage)
    engine = load_engine(*spec) if in_process else None
    return Zygote(
        spec, settings.query_memory_mb, engine, allow_network=settings.allow_worker_network
    )


def open_engine(
    settings: Settings,
    *,
    isolated: bool = False,
    link: ZygoteLink | None = None,
    local: Engine | None = None,
    slots: ClientSlots | None = None,
) -> Engine:
    """The configured engine over the current build, or the remote store when one is set.

    With `link` (from `start_zygote(...).attach()`), the pool's workers come from that zygote;
    with `local` (a pyoxigraph engine loaded in this process), point lookups are answered
    in-process through its pattern API; `slots` counts each client's queries across the web
    processes (made before they fork; without it, each engine counts its own).
    """
    if not is_local(settings):
        from cakg.engine.remote import open_remote

        return open_remote(settings)
    nquads, version = dataset_files(settings)
    if not isolated:
        return load_engine(settings.engine, nquads, version, settings.oxigraph_storage)
    from cakg.engine.pool import ClientSlots, PooledEngine

    return PooledEngine(
        (settings.engine, str(nquads), version, settings.oxigraph_storage),
        workers=settings.query_workers,
        short_workers=settings.short_workers,
        short_budget=settings.short_budget,
        timeout=settings.query_timeout,
        memory_mb=settings.query_memory_mb,
        cache_bytes=CACHE_BYTES if settings.result_cache else 0,
        link=link,
        local=local,
        slots=slots or ClientSlots(settings.client_limit),
        allow_network=settings.allow_worker_network,
    )
