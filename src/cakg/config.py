"""All settings of cakg in one place: defaults, then environment (CAKG_*), then overrides."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cakg.errors import ConfigError
from cakg.namespaces import BASE

ENGINES = ("oxigraph", "rdflib", "remote")
REASONERS = ("owlrl", "rules")
STORAGES = ("auto", "memory", "disk")
# what cakg relies on in a store beyond the SPARQL 1.1 standards (cakg.store.profiles); "auto":
# the profile the store's service description names, "standard" for any other store
STORE_PROFILES = ("auto", "standard", "oxigraph", "virtuoso")
# In memory a quad costs some hundreds of bytes with the store's indexes (the union copy
# included): above this size of N-Quads, "auto" puts the store on disk, to start at once and
# keep its pages in the OS page cache, shared by every process. Point lookups are slower there
# (RocksDB reads), scans and aggregates as fast (bench/README.md).
AUTO_DISK_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Where the sources and the build live, how the server behaves, and its limits."""

    root: Path = field(default_factory=Path.cwd)
    build_dir: Path | None = None  # default: <root>/build
    base_iri: str = BASE
    public_url: str | None = None  # where base_iri is served, e.g. http://127.0.0.1:8000/
    engine: str = "oxigraph"
    oxigraph_storage: str = "auto"  # "memory", "disk" (beside the build) or "auto" (by size)
    reasoner: str = "owlrl"  # "rules": the fast materialiser in cakg.build.rules
    validate: bool = True  # False only for benchmarks of generated data; recorded in the manifest
    validate_workers: int = 0  # processes validating source files in parallel; 0: one per CPU
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8  # per web process
    web_processes: int = 0  # processes of `cakg serve` on one socket; 0: one per CPU, at most 4
    query_workers: int = 2  # per web process: the general lane
    short_workers: int = 1  # per web process: the lane of requests seen to be short
    query_timeout: float = 10.0  # seconds; a request may only lower it
    query_memory_mb: int = 1024  # address-space limit of each query worker
    # CPU seconds: a request that once finished in a worker within this (and 64 MB) goes to the
    # short lane from then on (engine/cost.py); 0: no request does
    short_budget: float = 0.1
    client_limit: int = 4  # general-lane queries a client address may run at once; 0: no limit
    # serve even where query workers cannot be put into an empty network namespace
    allow_worker_network: bool = False
    max_rows: int = 10000
    max_query_length: int = 20000  # characters
    max_request_bytes: int = 1_000_000
    cors: bool = True
    cors_origins: str = "*"
    result_cache: bool = True
    store_url: str | None = None  # a SPARQL 1.1 query endpoint: the `remote` engine fronts it
    store_update_url: str | None = None  # its update endpoint (publish); default: a sibling
    store_gsp_url: str | None = None  # its Graph Store Protocol endpoint (publish)
    store_profile: str = "auto"  # one of STORE_PROFILES
    # A folder holding the source texts: a resource page then quotes the span of a source that
    # supports a statement, read at request time from the file whose SHA-256 is the one the
    # evidence names (whatever its name). None (the default): the pages give offsets only.
    source_texts: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        if self.build_dir is None:
            object.__setattr__(self, "build_dir", self.root / "build")
        else:
            object.__setattr__(self, "build_dir", Path(self.build_dir).resolve())
        if self.source_texts is not None:
            texts = Path(self.source_texts).resolve()
            if not texts.is_dir():
                raise ConfigError(
                    f"source_texts: {texts} is not a folder; point CAKG_SOURCE_TEXTS at the folder "
                    "of the source texts, or leave it unset to show offsets only"
                )
            object.__setattr__(self, "source_texts", texts)
        if self.engine not in ENGINES:
            raise ConfigError(f"engine: '{self.engine}' is not one of {', '.join(ENGINES)}")
        if self.store_profile not in STORE_PROFILES:
            raise ConfigError(
                f"store_profile: '{self.store_profile}' is not one of {', '.join(STORE_PROFILES)}"
            )
        if self.reasoner not in REASONERS:
            raise ConfigError(f"reasoner: '{self.reasoner}' is not one of {', '.join(REASONERS)}")
        for name in ("query_timeout", "max_rows", "max_query_length", "max_request_bytes"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: must be positive, got {getattr(self, name)!r}")
        if not 0 <= self.short_budget <= self.query_timeout:
            raise ConfigError(
                f"short_budget: must be between 0 and query_timeout ({self.query_timeout}), "
                f"got {self.short_budget!r}"
            )
        for name, least in (("query_workers", 1), ("short_workers", 0), ("client_limit", 0)):
            if getattr(self, name) < least:
                raise ConfigError(f"{name}: must be at least {least}, got {getattr(self, name)!r}")

    @property
    def out(self) -> Path:
        """The build directory (never None after initialisation)."""
        assert self.build_dir is not None
        return self.build_dir

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from CAKG_<NAME> environment variables, then keyword overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"CAKG_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(name: str, type_: Any, raw: str) -> Any:
    kind = str(type_)
    try:
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if "Path" in kind:
            return None if raw == "" and "None" in kind else Path(raw)
    except ValueError:
        raise ConfigError(f"CAKG_{name.upper()}: cannot read {raw!r} as {kind}") from None
    return raw


def resolve_storage(storage: str, nquads: Path) -> str:
    """ "memory" or "disk": where the oxigraph engine keeps a release whose N-Quads are
    `nquads`, by the `oxigraph_storage` setting (ConfigError for an unknown one)."""
    if storage == "auto":
        big = nquads.is_file() and nquads.stat().st_size > AUTO_DISK_BYTES
        return "disk" if big else "memory"
    if storage not in STORAGES:
        raise ConfigError(f"oxigraph_storage: '{storage}' is not one of {', '.join(STORAGES)}")
    return storage
