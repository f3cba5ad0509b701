"""What the columns of a saved SELECT query hold, read from its text (cakg.queries.columns)."""

from __future__ import annotations

from pathlib import Path

from cakg.queries import load_query
from cakg.queries.columns import Column, datatype_kind, read_columns

QUERY = """\
#+ summary: Columns of every kind
PREFIX cakg: <https://w3id.org/cakg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?state ?label ?partner ?year ?figures ?big ?named ?measure ?given ?sum ?either ?other
WHERE {
  ?state a cakg:State ; rdfs:label ?label .
  ?state cakg:partnerOf ?partner .
  MINUS { ?state a cakg:City }
  FILTER NOT EXISTS { ?state a cakg:Region }
  OPTIONAL { ?figure cakg:party ?state ; cakg:year ?y ; cakg:measure/rdfs:label ?measure }
  BIND(STR(?y) AS ?year)
  BIND(xsd:integer(?y) > 2000 AS ?big)
  BIND(BOUND(?label) AS ?named)
  BIND(?__who_iri AS ?given)
  BIND(IF(BOUND(?y), "dated", "undated") AS ?either)
  BIND(COALESCE(?y, ?label) AS ?other)
  {
    SELECT ?state (COUNT(?f) AS ?figures) (SUM(?v) AS ?sum)
    WHERE { ?f cakg:party ?state ; cakg:value ?v } GROUP BY ?state
  }
}
ORDER BY ?label
"""


def test_every_kind_of_column(tmp_path: Path) -> None:
    path = tmp_path / "queries" / "columns.rq"
    path.parent.mkdir()
    path.write_text(QUERY, encoding="utf-8")
    columns = {c.name: c for c in read_columns(load_query(path))}
    assert list(columns) == ["state", "label", "partner", "year", "figures", "big", "named",
                             "measure", "given", "sum", "either", "other"]  # fmt: skip
    # MINUS and FILTER NOT EXISTS only test: ?state is a State, not a City or a Region
    assert columns["state"] == Column("state", "IRI of a cakg:State; the cakg:party of ?figure",
                                      "iri", "https://w3id.org/cakg/ontology#party")  # fmt: skip
    assert columns["label"] == Column(
        "label", "The rdfs:label of ?state", "string", "http://www.w3.org/2000/01/rdf-schema#label"
    )
    # an object property's value: the graph says what it is (the caller looks it up)
    assert (columns["partner"].kind, columns["partner"].property) == (
        None, "https://w3id.org/cakg/ontology#partnerOf")  # fmt: skip
    assert columns["measure"].description == "The cakg:measure/rdfs:label of ?figure"
    assert columns["measure"].kind == "string"
    computed = {name: (c.description, c.kind) for name, c in columns.items() if c.property is None}
    assert computed == {
        "year": ("Computed as STR(?y)", "string"),
        "figures": ("Computed as COUNT(?f)", "integer"),
        "big": ("Computed as xsd:integer(?y) > 2000", "boolean"),
        "named": ("Computed as BOUND(?label)", "boolean"),
        "given": ("The value of the parameter `who`", "iri"),
        "sum": ("Computed as SUM(?v)", "number"),
        "either": ('Computed as IF(BOUND(?y), "dated", "undated")', "string"),
        "other": ("Computed as COALESCE(?y, ?label)", None),  # a year or a label: either
    }


def test_datatype_kinds() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert [datatype_kind(xsd + t) for t in ("positiveInteger", "decimal", "boolean", "date")] == [
        "integer", "number", "boolean", "string"]  # fmt: skip
    assert datatype_kind(None) is None


def test_no_columns_but_for_select(tmp_path: Path) -> None:
    path = tmp_path / "queries" / "graph.rq"
    path.parent.mkdir()
    path.write_text("#+ summary: A graph\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n", "utf-8")
    assert read_columns(load_query(path)) == ()
