"""The build: reads the project's sources and writes releases (cakg.release).

sources (find the input files) -> load (parse them with pyoxigraph) -> validate (SHACL, pyshacl;
per source file in parallel: validate_parallel, validate_units, validate_cache) -> reason (OWL RL:
owlrl, or the rule materialiser in rules) -> docs (the ontology's and the shapes' HTML pages) ->
pipeline (the order of those steps, the staleness fingerprint, the lock, the failure record) ->
write (a release written in a working folder, placed in releases/, `current` switched to it).

The build imports only the core (errors, config, namespaces, terms, hrefs), cakg.release and the
saved-query format; nothing on the serving side (engine, web, publish, stats) imports it.
"""

from cakg.build.load import Loaded, load_sources
from cakg.build.pipeline import BuildResult, build_dataset, is_stale, validate_loaded
from cakg.build.sources import Kind, SourceFile, find_sources, from_paths
from cakg.build.validate import Report

__all__ = [
    "BuildResult",
    "Kind",
    "Loaded",
    "Report",
    "SourceFile",
    "build_dataset",
    "find_sources",
    "from_paths",
    "is_stale",
    "load_sources",
    "validate_loaded",
]
