"""Parse source files into one rdflib Dataset, each file's triples in its named graph."""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from cakg.errors import ParseError
from cakg.sources import Kind, SourceFile


@dataclass
class Loaded:
    """The parsed sources: the dataset, and which file asserted triples about which subject."""

    dataset: Dataset
    files: list[SourceFile]
    asserted_by: dict[Node, set[str]] = field(default_factory=lambda: defaultdict(set))

    def graph_of_kind(self, *kinds: Kind) -> Graph:
        """A fresh Graph with the triples of every file of the given kinds."""
        g = Graph()
        for name in {f.graph for f in self.files if f.kind in kinds}:
            for t in self.dataset.graph(name):
                g.add(t)
        for prefix, ns in self.dataset.namespaces():
            g.bind(prefix, ns, override=False)
        return g


def parse_file(source: SourceFile) -> Dataset:
    """Parse one file. A syntax error becomes ParseError with the file, line and column."""
    ds = Dataset()
    data = source.path.read_bytes()
    try:
        with warnings.catch_warnings():
            # rdflib's TriG parser calls its own deprecated Dataset API internally.
            warnings.simplefilter("ignore", DeprecationWarning)
            if source.format == "trig":
                ds.parse(data=data, format="trig", publicID=str(source.graph))
            else:
                ds.graph(source.graph).parse(
                    data=data, format=source.format, publicID=str(source.graph)
                )
    except BadSyntax as e:
        raise _parse_error(source, e) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ParseError(source.rel, f"cannot be read as {source.format}: {e}") from None
    return ds


def _parse_error(source: SourceFile, e: BadSyntax) -> ParseError:
    text: bytes = e._str if isinstance(e._str, bytes) else str(e._str).encode()
    pos = min(e._i, len(text))
    line = text.count(b"\n", 0, pos) + 1
    column = pos - (text.rfind(b"\n", 0, pos) + 1) + 1
    return ParseError(source.rel, e._why, line=line, column=column)


def load_sources(files: list[SourceFile]) -> Loaded:
    """Parse every file; triples outside a GRAPH block land in the file's own named graph."""
    loaded = Loaded(Dataset(), files)
    for source in files:
        parsed = parse_file(source)
        for prefix, ns in parsed.namespaces():
            loaded.dataset.bind(prefix, ns, override=False)
        for s, p, o, g in parsed.quads((None, None, None, None)):
            name = _graph_name(g, source)
            loaded.dataset.graph(name).add((s, p, o))
            loaded.asserted_by[s].add(source.rel)
    return loaded


def _graph_name(g: Graph | Node | None, source: SourceFile) -> URIRef:
    ident = g.identifier if isinstance(g, Graph) else g
    if ident is None or not isinstance(ident, URIRef) or str(ident).startswith("urn:x-rdflib:"):
        return source.graph
    if str(ident) == str(source.graph) or ident == URIRef("urn:x-rdflib:default"):
        return source.graph
    return ident
