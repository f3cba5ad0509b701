"""Quantities and time with standard vocabularies (issue 20, item 3).

Units are linked to QUDT (and the dollar to its ISO 4217 currency unit), annual volumes are a
rate, a rank is an ordinal; "more than" and "nearly" figures carry their bound; a date's
datatype is its precision, so that a month or a year is never written, or shown, as a day; the
present level a doubling target implies is recorded apart, marked as derived by cakg, and no
saved query shows it as a stated figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD, Namespace
from rdflib.term import Node

from cakg.build import BuildResult
from cakg.build.validate import validate_graph
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.engine.base import Engine
from cakg.namespaces import CAKG, CAKGSH, ID
from cakg.queries import load_catalogue
from cakg.queries.bind import run_saved
from tests.project_graphs import parse_turtle

REPO = Path(__file__).parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
SOURCE_FILES = sorted((REPO / "graph" / "sources").glob("*.ttl"))
DERIVED = REPO / "graph" / "derived" / "implied-baselines.ttl"

PROV = Namespace("http://www.w3.org/ns/prov#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
QK = Namespace("http://qudt.org/vocab/quantitykind/")
SCHEMA = Namespace("https://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")

# Each unit's QUDT unit and quantity kind, as QUDT 3.5.0 gives them (vocab/unit,
# vocab/quantitykind): looked up there, none guessed.
QUDT_UNITS = {
    "usd": (UNIT.CCY_USD, QK.Currency),
    "tonne": (UNIT.TONNE, QK.Mass),
    "tonne-per-year": (UNIT["TONNE-PER-YR"], QK.MassPerTime),
    "hectare": (UNIT.HA, QK.Area),
    "kilometre": (UNIT.KiloM, QK.Length),
    "percent": (UNIT.PERCENT, QK.DimensionlessRatio),
    "count": (UNIT.NUM, QK.Count),
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip
DATE_PROPERTIES = (CAKG.date, CAKG.asOf, CAKG.periodStart, CAKG.periodEnd, CAKG.year,
                   CAKG.deadline, CAKG.startYear, CAKG.endYear,
                   URIRef("http://purl.org/dc/terms/date"))  # fmt: skip


@pytest.fixture(scope="module")
def derived() -> Graph:
    return parse_turtle([DERIVED])


def figures(sources: Graph, ontology: Graph) -> set[URIRef]:
    classes = set(ontology.transitive_subjects(RDFS.subClassOf, CAKG.Figure))
    return {s for s, c in sources.subject_objects(RDF.type) if c in classes}  # type: ignore[misc]


def number(term: object) -> Decimal:
    assert isinstance(term, Literal), term
    return Decimal(str(term))


# --- Units


@pytest.mark.parametrize("slug", sorted(QUDT_UNITS))
def test_each_unit_is_its_qudt_unit(slug: str, reference: Graph) -> None:
    unit = ID[f"unit/{slug}"]
    qudt_unit, kind = QUDT_UNITS[slug]
    in_qudt = {m for m in reference.objects(unit, SKOS.exactMatch) if str(m).startswith(UNIT)}
    assert in_qudt == {qudt_unit}
    assert list(reference.objects(unit, QUDT.hasQuantityKind)) == [kind]


def test_every_unit_is_linked_to_qudt_but_the_rank(reference: Graph) -> None:
    units = set(reference.subjects(RDF.type, CAKG.Unit))
    ordinal = set(reference.subjects(RDF.type, CAKG.OrdinalUnit))
    assert ordinal == {ID["unit/rank"]}
    assert {ID[f"unit/{slug}"] for slug in QUDT_UNITS} == units - ordinal
    assert list(reference.predicate_objects(ID["unit/rank"])) != []
    assert reference.value(ID["unit/rank"], SKOS.exactMatch) is None


def test_the_dollar_is_the_iso_4217_currency(reference: Graph) -> None:
    usd = ID["unit/usd"]
    assert str(reference.value(usd, QUDT.currencyCode)) == "USD"
    assert str(reference.value(usd, SKOS.notation)) == "USD"
    # QUDT 3.1.0 replaced cur:USD by unit:CCY_USD; both name the currency
    assert URIRef("http://qudt.org/vocab/currency/USD") in set(
        reference.objects(usd, SKOS.exactMatch)
    )


def test_ucum_codes_are_typed_as_qudt_gives_them(reference: Graph) -> None:
    codes = {s: o for s, o in reference.subject_objects(QUDT.ucumCode)}
    assert codes[ID["unit/tonne-per-year"]] == Literal("t.a-1", datatype=QUDT.UCUMcs)
    assert all(isinstance(o, Literal) and o.datatype == QUDT.UCUMcs for o in codes.values())


def test_a_whole_years_tonnage_is_a_rate(sources: Graph, ontology: Graph) -> None:
    """Cargo of a year is a yearly volume (t/a, a mass per time); only a figure over part of a
    year, or with no time, is an amount in tonnes."""
    yearly = [f for f in figures(sources, ontology) if sources.value(f, CAKG.year) is not None]
    mass = (ID["unit/tonne"], ID["unit/tonne-per-year"])
    tonnages = [f for f in yearly if sources.value(f, CAKG.unit) in mass]
    assert len(tonnages) >= 3
    for figure in tonnages:
        assert sources.value(figure, CAKG.unit) == ID["unit/tonne-per-year"], figure


def test_a_rank_is_an_ordinal_not_a_trade_figure(sources: Graph, reference: Graph) -> None:
    rank = ID["figure/kazakhstan-rank-among-tajikistan-trading-partners"]
    assert sources.value(rank, CAKG.unit) == ID["unit/rank"]
    assert (ID["unit/rank"], RDF.type, CAKG.OrdinalUnit) in reference
    assert sources.value(rank, CAKG.measure) == ID["measure/trading-partner-rank"]
    value = sources.value(rank, CAKG.value)
    assert isinstance(value, Literal) and value.datatype == XSD.nonNegativeInteger
    assert value.toPython() >= 1
    assert (rank, RDF.type, CAKG.TradeFigure) not in sources


# --- Bounds


def test_bounds_agree_with_the_qualifier(sources: Graph, ontology: Graph) -> None:
    """more-than: an exclusive lower bound equal to the value; nearly: an inclusive upper bound;
    exact and approximate: no bound (before issue 20, item 3, no figure had a bound)."""
    counted = {"more-than": 0, "nearly": 0}
    for figure in figures(sources, ontology):
        qualifier = str(sources.value(figure, CAKG.qualifier)).rsplit("/", 1)[-1]
        value = sources.value(figure, CAKG.value)
        lower = list(sources.objects(figure, CAKG.minExclusive))
        upper = list(sources.objects(figure, CAKG.maxInclusive))
        assert (lower, upper) == {
            "more-than": ([value], []),
            "nearly": ([], [value]),
        }.get(qualifier, ([], [])), figure
        if qualifier in counted:
            counted[qualifier] += 1
    assert counted == {"more-than": 6, "nearly": 5}


def test_bounds_are_schema_org_min_and_max_values(ontology: Graph) -> None:
    assert (CAKG.minExclusive, RDFS.subPropertyOf, SCHEMA.minValue) in ontology
    assert (CAKG.maxInclusive, RDFS.subPropertyOf, SCHEMA.maxValue) in ontology


# --- Dates and their precision


def dates_in(graph: Graph) -> Iterator[tuple[URIRef, URIRef, Literal]]:
    for p in DATE_PROPERTIES:
        for s, o in graph.subject_objects(p):
            assert isinstance(o, Literal)
            yield s, p, o  # type: ignore[misc]


def test_every_date_is_written_in_the_datatype_of_its_precision(
    ontology: Graph, reference: Graph, sources: Graph, derived: Graph
) -> None:
    written = {u: ontology.value(u, CAKG.writtenAs) for u in (TIME.unitYear, TIME.unitMonth,
                                                              TIME.unitDay)}  # fmt: skip
    assert written == {TIME.unitYear: XSD.gYear, TIME.unitMonth: XSD.gYearMonth,
                       TIME.unitDay: XSD.date}  # fmt: skip
    found = list(dates_in(reference + sources + derived))
    assert len(found) > 30
    for s, p, date in found:
        assert date.datatype in written.values(), (s, p, date)
        assert not date.ill_typed, (s, p, date)


def test_the_shape_allows_the_datatypes_of_the_ontologys_table(
    ontology: Graph, shapes: Graph
) -> None:
    """shapes/quantities.ttl lists the datatypes (a SPARQL constraint cannot read the ontology):
    the same ones as the cakg:writtenAs table."""
    selects = [str(o) for o in shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#select"))]
    lists = [m for s in selects for m in re.findall(r"datatype\(\?value\) NOT IN \(([^)]*)\)", s)]
    assert len(lists) == 1
    listed = {XSD[name.strip().removeprefix("xsd:")] for name in lists[0].split(",")}
    assert listed == set(ontology.objects(None, CAKG.writtenAs))


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")
@pytest.mark.parametrize("path", SOURCE_FILES, ids=[p.stem for p in SOURCE_FILES])
def test_a_day_is_written_only_where_the_source_gives_the_day(path: Path) -> None:
    """No month or year is written as a day: every xsd:date of a source file is a day its seed
    names (its year may be inferred, as the notes say). Before issue 20, item 3, "the first five
    months of 2024" was 2024-01-01 to 2024-05-31 and "since the beginning of this year" started
    on 2024-01-01, days no source names."""
    graph = parse_turtle([path])
    seed = (SEEDS / str(graph.value(ID[f"source/{path.stem}"], CAKG.seedFile))).read_text()
    for s, p, date in dates_in(graph):
        if date.datatype != XSD.date:
            continue
        month, day = MONTHS[int(str(date)[5:7]) - 1], int(str(date)[8:10])
        named = rf"\b{month} {day}\b|\b{day} {month}\b"
        assert re.search(named, seed), f"{path.name}: {s} {p} {date}: the source names no such day"


def test_partial_periods_keep_their_precision(sources: Graph) -> None:
    jan_may = ID["figure/kz-uz-trade-turnover-2024-jan-may"]
    assert sources.value(jan_may, CAKG.periodStart) == Literal("2024-01", datatype=XSD.gYearMonth)
    assert sources.value(jan_may, CAKG.periodEnd) == Literal("2024-05", datatype=XSD.gYearMonth)
    year_to_date = ID["figure/north-south-eastern-route-cargo-2024"]
    assert sources.value(year_to_date, CAKG.periodStart) == Literal("2024", datatype=XSD.gYear)
    assert sources.value(year_to_date, CAKG.periodEnd) == Literal("2024-11-27", datatype=XSD.date)


PERIOD = """
@prefix cakg: <https://w3id.org/cakg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/cakg/id/source/test> a cakg:SourceDocument ; dcterms:title "Test"@en ;
    cakg:seedFile "999_0123456789abcdef.txt" .
<https://w3id.org/cakg/id/test/bad> a cakg:Fact ; rdfs:label "Test fact"@en ;
    prov:wasDerivedFrom <https://w3id.org/cakg/id/source/test> ;
    cakg:modality <https://w3id.org/cakg/id/modality/reported> ;
    cakg:periodStart %s ; cakg:periodEnd %s .
"""


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ('"2024"^^xsd:gYear', '"2024-11-27"^^xsd:date', True),  # the year to a day in it
        ('"2024-01"^^xsd:gYearMonth', '"2024-05"^^xsd:gYearMonth', True),
        ('"2024-05"^^xsd:gYearMonth', '"2024-05-31"^^xsd:date', True),  # same month
        ('"2024-06"^^xsd:gYearMonth', '"2024-05-31"^^xsd:date', False),
        ('"2025"^^xsd:gYear', '"2024-11"^^xsd:gYearMonth', False),
        ('"2024-05-31"^^xsd:date', '"2024-01-01"^^xsd:date', False),
    ],
)
def test_period_order_is_compared_at_the_coarser_precision(
    start: str, end: str, ok: bool, shapes: Graph, ontology: Graph
) -> None:
    """A period from the year 2024 to 27 November 2024 is in order (FactShape compared the two
    with SPARQL's <, which rdflib answers true for a gYear against a date)."""
    data = Graph().parse(data=PERIOD % (start, end), format="turtle")
    report = validate_graph(data, shapes, ontology)
    order = [f for f in report.findings if "must not be before" in f.message]
    assert (order == []) is ok, report.to_text()


# --- Derived baselines


def test_every_doubling_target_has_its_implied_baseline(sources: Graph, derived: Graph) -> None:
    """Y / factor, derived from the target, marked derived by its class and note."""
    factored = set(sources.subjects(CAKG.factor, None))
    assert factored == {ID["target/kz-az-trade-1bn"], ID["target/kz-tj-trade-2bn"]}
    baselines = set(derived.subjects(RDF.type, CAKG.ImpliedBaseline))
    assert {derived.value(b, PROV.wasDerivedFrom) for b in baselines} == factored
    for baseline in baselines:
        target = derived.value(baseline, PROV.wasDerivedFrom)
        expected = number(sources.value(target, CAKG.value)) / number(
            sources.value(target, CAKG.factor)
        )
        assert number(derived.value(baseline, SCHEMA.value)) == expected, baseline
        note = derived.value(baseline, CAKG.derivationNote)
        assert isinstance(note, Literal) and note.language == "en"
        assert "not stated by the source" in str(note).lower()


def test_an_implied_baseline_is_neither_a_figure_nor_a_statement(
    ontology: Graph, sources: Graph, derived: Graph
) -> None:
    statements = set(ontology.transitive_subjects(RDFS.subClassOf, CAKG.Statement))
    assert CAKG.Figure in statements
    ancestors = set(ontology.transitive_objects(CAKG.ImpliedBaseline, RDFS.subClassOf))
    assert PROV.Entity in ancestors and not ancestors & statements
    baselines = set(derived.subjects(RDF.type, CAKG.ImpliedBaseline))
    assert baselines and not baselines & set(sources.subjects())  # in no source's named graph
    used = {p for b in baselines for p in derived.predicates(b)}
    # no property whose domain would make it a figure (cakg:value, cakg:unit ...)
    domains = {p for p in used if ontology.value(p, RDFS.domain) in statements}
    assert domains == set()


def test_the_derived_graph_conforms_with_its_targets(
    shapes: Graph, ontology: Graph, reference: Graph, derived: Graph
) -> None:
    targets = parse_turtle([REPO / "graph/sources/tokayev-aliyev-middle-corridor.ttl",
                     REPO / "graph/sources/bektenov-official-visit-dushanbe.ttl"])  # fmt: skip
    report = validate_graph(reference + targets + derived, shapes, ontology)
    assert report.conforms, report.to_text()
    assert CAKGSH.ImpliedBaselineShape in set(shapes.subjects(RDF.type, None))


# --- Saved queries on the built graph


@pytest.fixture(scope="module")
def engine(project_build: BuildResult, project_settings: Settings) -> Iterator[Engine]:
    eng = open_engine(project_settings)
    yield eng
    eng.close()


CATALOGUE = load_catalogue(REPO)


def answers(engine: Engine, name: str, *, examples: bool = False) -> list[dict[str, Node | None]]:
    """Every row of a saved query: with no optional parameter set (with each parameter's
    example if `examples`), on one page."""
    q = CATALOGUE[name]
    raw = {
        p.name: [p.example]
        for p in q.params
        if p.example and not p.default and (examples or p.required)
    }
    if q.pagination:
        raw["per_page"] = ["500"]
    result = run_saved(engine, q, raw).result
    return [dict(zip(result.variables, row, strict=True)) for row in result.rows]


def test_no_saved_query_shows_a_baseline_as_a_figure(engine: Engine, derived: Graph) -> None:
    baselines = set(derived.subjects(RDF.type, CAKG.ImpliedBaseline))
    for name, q in CATALOGUE.items():
        if q.form != "SELECT":
            continue
        for examples in (False, True):
            for row in answers(engine, name, examples=examples):
                assert not set(row.values()) & baselines, (name, row)


def test_trade_targets_flag_the_implied_baseline(
    engine: Engine, sources: Graph, derived: Graph
) -> None:
    rows = answers(engine, "trade-targets")
    assert rows
    for row in rows:
        target = row["targetFact"]
        factor = sources.value(target, CAKG.factor)
        if factor is None:
            assert row["impliedBaseline"] is None, row
        else:
            expected = number(sources.value(target, CAKG.value)) / number(factor)
            assert number(row["impliedBaseline"]) == expected, row


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("figures", "period"),
        ("trade-turnover-by-year", "period"),
        ("corridor-cargo", "period"),
        ("reported-in-period", "when"),
    ],
)
def test_periods_are_shown_at_their_precision(
    name: str, column: str, engine: Engine, sources: Graph
) -> None:
    """The period a query prints is the figure's own start and end, never widened to days."""
    shown = 0
    for row in answers(engine, name):
        figure = row.get("figure", row.get("fact", row.get("thing")))
        start = sources.value(figure, CAKG.periodStart)
        end = sources.value(figure, CAKG.periodEnd)
        if start is not None and end is not None:
            assert str(row[column]) == f"{start}/{end}", row
            shown += 1
    assert shown >= 1


def test_a_period_of_months_covers_its_last_month(engine: Engine) -> None:
    """reported-in-period takes a period's first and last month (or year) as the whole of it:
    January-May 2024 falls in 15-20 May 2024, and so does 2024 up to 27 November."""
    q = CATALOGUE["reported-in-period"]
    result = run_saved(engine, q, {"from": ["2024-05-15"], "to": ["2024-05-20"]}).result
    when = {row[result.variables.index("thing")]: str(row[result.variables.index("when")])
            for row in result.rows}  # fmt: skip
    assert when[ID["figure/kz-uz-trade-turnover-2024-jan-may"]] == "2024-01/2024-05"
    assert when[ID["figure/north-south-eastern-route-cargo-2024"]] == "2024/2024-11-27"


def test_figures_show_their_bounds(engine: Engine, sources: Graph) -> None:
    rows = answers(engine, "figures")
    bounded = [r for r in rows if r["lowerBound"] is not None or r["upperBound"] is not None]
    assert len(bounded) == 11
    for row in bounded:
        for column, prop in (("lowerBound", CAKG.minExclusive), ("upperBound", CAKG.maxInclusive)):
            stated = sources.value(row["figure"], prop)
            shown = row[column]
            assert (shown is None) == (stated is None), row
            if stated is not None:
                assert number(shown) == number(stated), row
