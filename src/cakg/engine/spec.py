"""Which engine over which release (`EngineSpec`), and loading it in this process.

A spec is plain data (it crosses to the zygote, which loads engines by it): the engine's name,
the release's N-Quads file, the dataset version and the storage. The N-Quads path lies inside
the release's own folder, so a spec names one release.
"""

from __future__ import annotations

from pathlib import Path

from cakg.config import Settings, resolve_storage
from cakg.engine.base import Engine
from cakg.errors import BuildMissingError, ConfigError
from cakg.release import Release

# engine name, N-Quads path, dataset version, storage: the arguments of load_engine
EngineSpec = tuple[str, str, str, str]


def engine_spec(settings: Settings, release: Release) -> EngineSpec:
    """The configured engine over `release`; BuildMissingError when its N-Quads are gone."""
    if not release.nquads.is_file():
        raise BuildMissingError(f"{release.nquads} is missing: run `cakg build`")
    return (settings.engine, str(release.nquads), release.version, settings.oxigraph_storage)


def load_engine(name: str, nquads: str | Path, version: str, storage: str = "memory") -> Engine:
    """An in-process engine of the given kind loaded from an N-Quads file.

    `storage` (oxigraph only): "memory", "disk" (the release's on-disk store, which the build
    writes when the settings ask for it), or "auto" (config.resolve_storage: by size).
    """
    if name == "oxigraph":
        from cakg.engine.oxigraph_store import OxigraphEngine

        return OxigraphEngine(Path(nquads), version, resolve_storage(storage, Path(nquads)))
    if name == "rdflib":
        from cakg.engine.rdflib_dataset import RdflibEngine

        return RdflibEngine(Path(nquads), version)
    raise ConfigError(f"engine: '{name}' is not one of oxigraph, rdflib")
