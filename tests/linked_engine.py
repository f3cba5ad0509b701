"""The engine the linked-data tests run on: cakg.engine.open_engine once it exists.

Until then the pyoxigraph engine directly (it honours the Dataset argument, which the saved-query
stand-in ignores), else that stand-in.
"""

from __future__ import annotations

import cakg.engine
from cakg.build import dataset_dir, load_manifest
from cakg.config import Settings
from cakg.engine.base import Engine
from tests.saved_engine import StandInEngine


def open_linked_engine(settings: Settings) -> Engine:
    opener = getattr(cakg.engine, "open_engine", None)
    if opener is not None:
        engine: Engine = opener(settings)
        return engine
    try:
        from cakg.engine.oxigraph_store import OxigraphEngine
    except ImportError:
        return StandInEngine(settings)  # type: ignore[return-value]
    version = load_manifest(settings)["version"]
    return OxigraphEngine(dataset_dir(settings) / "cakg.nq", version)  # type: ignore[return-value]
