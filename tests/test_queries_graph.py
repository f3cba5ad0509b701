"""The saved-query catalogue as RDF: SHACL SPARQL executables and their parameters."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, XSD, Literal
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SH

from cakg.namespaces import CAKG, ID
from cakg.queries import SAVED_QUERY, catalogue_graph

from .conftest import TINY


def test_described_as_shacl_executables() -> None:
    g = catalogue_graph(TINY)
    names = {str(o) for o in g.objects(None, DCTERMS.identifier)}
    assert names == {"labelled-things", "partners-of", "visits-hosted-by"}
    node = SAVED_QUERY["visits-hosted-by"]
    assert set(g.objects(node, RDF.type)) == {SH.SPARQLExecutable, SH.SPARQLSelectExecutable}
    select = g.value(node, SH.select)
    assert select is not None
    assert "#+" not in str(select)
    assert str(select).startswith("PREFIX cakg:")
    params = {str(g.value(p, SH.name)): p for p in g.objects(node, SH.parameter)}
    assert set(params) == {"state", "after"}
    assert g.value(params["state"], SH["class"]) == CAKG.State
    assert g.value(params["state"], SH.optional) == Literal(False)
    assert g.value(params["after"], SH.datatype) == XSD.date
    partners = {
        str(g.value(p, SH.name)): p for p in g.objects(SAVED_QUERY["partners-of"], SH.parameter)
    }
    assert g.value(partners["states"], SH.defaultValue) == ID["state/uzbekistan"]


def test_fixed_values_become_sh_in(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "modes.rq").write_text(
        "#+ summary: Corridors by mode\n"
        "#+ parameters:\n"
        "#+   mode:\n"
        "#+     values: [rail, sea]\n"
        "PREFIX ex: <http://example.org/>\n"
        "SELECT ?c WHERE { ?c ex:mode ?_mode } ORDER BY ?c\n",
        encoding="utf-8",
    )
    g = catalogue_graph(tmp_path)
    param = next(g.objects(SAVED_QUERY["modes"], SH.parameter))
    assert list(Collection(g, g.value(param, SH["in"]))) == [
        Literal("rail", datatype=XSD.string),
        Literal("sea", datatype=XSD.string),
    ]
