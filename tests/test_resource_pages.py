"""Resource pages a reader can read (issue 22), on the project's own graph.

Each fact once (a visit Kazakhstan hosted is listed once, not as hosted, participated in, and
three backlinks; schema.org mirrors and inverses folded in; no SHACL or saved-query plumbing),
backlinks in words, the infobox, sources by title, class pages counted as SPARQL counts, the same
triples in every RDF format, compact JSON-LD with the published context, the neighbourhood
endpoint and its errors, and Astana's geometry not drawn as a second place.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from cakg.engine import Engine
from cakg.namespaces import CAKG, GRAPH, ID
from cakg.resource_description import describe_resource
from cakg.web.page_map import mapped_places
from tests.html_page import Element, HtmlPage

KZ = ID["state/kazakhstan"]
PUTIN_VISIT = ID["visit/putin-state-visit-kazakhstan-2024"]
FIGURE = ID["figure/kz-ru-trade-turnover-2023"]
CORRIDOR = ID["corridor/trans-caspian-international-transport-route"]
SOURCE = ID["source/putin-state-visit-kazakhstan"]
SEED_NAME = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
TITLE = "Kazakhstan and Russia enhance strategic partnership"


def html(client: FlaskClient, path: str) -> HtmlPage:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return HtmlPage(r.text)


def section(page: HtmlPage, id_: str) -> Element:
    (found,) = [el for el in page.root.iter() if el.get("id") == id_]
    return found


def fact_iris(page: HtmlPage) -> Counter[str]:
    """The things the page lists as facts (a <dd> each), by IRI, counted."""
    shown: Counter[str] = Counter()
    for name in ("facts", "location", "identifiers-and-links", "other-properties", "backlinks"):
        found = [el for el in page.root.iter() if el.get("id") == name]
        for part in found:
            for dd in part.iter():
                if dd.tag == "dd" and "data-iri" in dd:
                    shown[dd["data-iri"]] += 1
    return shown


def visible_text(page: HtmlPage) -> str:
    """The page's text, without scripts (the JSON-LD and the views' specifications)."""

    def walk(el: Element) -> str:
        if el.tag == "script":
            return ""
        return " ".join(c if isinstance(c, str) else walk(c) for c in el.children)

    return " ".join(walk(section(page, "content")).split())


# ------------------------------------------------------------------- each fact once


def test_a_visit_is_one_fact_on_the_state_page(project_client: FlaskClient) -> None:
    page = html(project_client, "/page/state/kazakhstan")
    shown = fact_iris(page)
    visits = {iri: n for iri, n in shown.items() if iri.startswith(str(ID) + "visit/")}
    assert str(PUTIN_VISIT) in visits and len(visits) >= 4
    assert set(visits.values()) == {1}, visits  # it was hosted, participated in, and 3 backlinks
    assert max(shown.values()) == 1, shown.most_common(3)
    text = visible_text(page)
    for plumbing in ("sh:", "defaultValue", "geo:sfWithin", "schema:attendee", "schema:location"):
        assert plumbing not in text
    assert "located in Kazakhstan" in text and "hosted" in text  # backlinks in words
    assert "first party of" in text and "firstPartyOf" not in text
    # the schema.org mirror of a visit's place is no fact of its own
    assert not any(dt.text.startswith("location of") for dt in page.find("dt"))


def test_the_page_is_short(project_client: FlaskClient) -> None:
    """The old page listed about 1000 values; folded, each once, it lists a few hundred."""
    page = html(project_client, "/page/state/kazakhstan")
    assert len(page.find("dd")) < 400
    first_party = [d for d in page.find("details", class_="backlink-group")]
    assert first_party and all(int(d["data-count"]) > 8 for d in first_party)  # collapsed


@pytest.mark.parametrize(
    ("path", "label", "mirror"),
    [
        ("/page/visit/putin-state-visit-kazakhstan-2024", "date", "dcterms:date"),
        ("/page/figure/kz-ru-trade-turnover-2023", "value", "schema:value"),
    ],
)
def test_a_mirrored_fact_is_shown_once(
    project_client: FlaskClient, path: str, label: str, mirror: str
) -> None:
    page = html(project_client, path)
    facts = section(page, "facts")
    names = [dt.text.split(" (")[0] for dt in facts.iter() if dt.tag == "dt"]
    assert names.count(label) == 1, names
    assert mirror not in visible_text(page)
    folded = [s for s in facts.iter() if "folded" in s.get("class", "").split()]
    assert any(mirror in s.get("title", "") for s in folded)  # noted, as a marker


def test_inferred_facts_say_why(project_client: FlaskClient) -> None:
    page = html(project_client, "/page/state/kazakhstan")
    inferred = [dd for dd in page.find("dd", class_="inferred")]
    assert inferred
    for dd in inferred:
        (why,) = [el for el in dd.iter() if el.tag == "details" and "why" in el.get("class", "")]
        assert "By" in why.text and "from:" in why.text, dd.text


# ------------------------------------------------------------------- infobox


def infobox(page: HtmlPage) -> dict[str, str]:
    (box,) = page.find("aside", class_="infobox")
    terms = [el for el in box.iter() if el.tag in ("dt", "dd")]
    return {dt.text: dd.text for dt, dd in zip(terms[::2], terms[1::2], strict=True)}


def test_the_infobox_of_a_state(project_client: FlaskClient) -> None:
    page = html(project_client, "/page/state/kazakhstan")
    box = infobox(page)
    assert box["Name"] == "Kazakhstan"
    assert box["Kind"].startswith("state")
    assert box["Located in"] == "Central Asia"
    assert box["President of Kazakhstan"] == "Kassym-Jomart Tokayev"
    assert "Russia" in box["Partners"]
    assert "KZ" in box["Identifiers"] and "KAZ" in box["Identifiers"]
    (aside,) = page.find("aside", class_="infobox")
    links = [a["href"] for a in aside.iter() if a.tag == "a"]
    assert "https://www.wikidata.org/wiki/Q232" in links
    assert "https://www.iso.org/obp/ui/#iso:code:3166:KZ" in links
    assert "/class/State" in links  # its kind links to the class's page


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/page/visit/putin-state-visit-kazakhstan-2024",
            {"Date": "2024-11-27", "Place": "Kazakhstan", "Guest": "Vladimir Putin"},
        ),
        ("/page/figure/kz-ru-trade-turnover-2023", {"Value": "27 bn USD (27000000000)",
                                                     "Period": "2023"}),
        ("/page/corridor/trans-caspian-international-transport-route",
         {"Route": "Kazakhstan\u2013China border \u2192 Europe (8 stops)", "Modes": "rail, sea"}),
        ("/page/source/putin-state-visit-kazakhstan", {"Publisher": "Eurasian Star"}),
    ],
)  # fmt: skip
def test_the_infobox_gives_the_key_facts_of_its_kind(
    project_client: FlaskClient, path: str, expected: dict[str, str]
) -> None:
    box = infobox(html(project_client, path))
    assert {k: box.get(k) for k in expected} == expected
    assert "Host" not in box or "Kassym-Jomart Tokayev" in box["Host"]


# ------------------------------------------------------------------- sources by title


@pytest.mark.parametrize(
    "path",
    [
        "/page/state/kazakhstan",
        "/page/visit/putin-state-visit-kazakhstan-2024",
        "/page/source/putin-state-visit-kazakhstan",
        "/page/figure/kz-ru-trade-turnover-2023",
    ],
)
def test_sources_are_cited_by_title_publisher_and_date(
    project_client: FlaskClient, path: str
) -> None:
    page = html(project_client, path)
    cited = [el for el in page.root.iter() if {"source", "source-document"} & set(
        el.get("class", "").split())]  # fmt: skip
    assert cited
    for el in cited:
        assert not SEED_NAME.search(el.text), el.text
    sources = section(page, "sources").text
    assert TITLE in sources and "Eurasian Star" in sources
    links = [a.text for a in page.find("a")]
    assert not any(SEED_NAME.search(t) for t in links), [t for t in links if SEED_NAME.search(t)]


def test_a_source_text_is_named_after_its_document(
    project_client: FlaskClient, project_engine: Engine
) -> None:
    text = next(
        o for o in describe_resource(project_engine, str(SOURCE)).statements
        if str(o.predicate).endswith("hasFormat")
    ).object  # fmt: skip
    page = html(project_client, "/page/" + str(text)[len(str(ID)) :])
    assert [h.text for h in page.find("h1")] == [f"Text of \u201c{TITLE}\u201d"]


# ------------------------------------------------------------------- class pages


def count(engine: Engine, query: str) -> int:
    (row,) = engine.query(query).rows
    return int(str(row[0]))


@pytest.mark.parametrize("name", ["State", "Visit", "Figure", "Place"])
def test_a_class_page_lists_and_counts_its_instances(
    project_client: FlaskClient, project_engine: Engine, name: str
) -> None:
    page = html(project_client, f"/class/{name}")
    (article,) = page.find("article", class_="class-page")
    expected = count(project_engine, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{CAKG[name]}> }}")
    assert int(article["data-count"]) == expected > 0
    named = count(
        project_engine,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{CAKG[name]}> FILTER isIRI(?s) }}",
    )
    listed = [li for li in page.find("li") if "data-iri" in li and li.get("data-count") is None]
    assert len(listed) == named
    for li in page.find("li"):
        if li.get("data-count") is not None:  # a subclass
            sub = URIRef(li["data-iri"])
            n = count(project_engine, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{sub}> }}")
            assert int(li["data-count"]) == n


def test_every_kind_links_to_its_class_page(project_client: FlaskClient) -> None:
    page = html(project_client, "/page/visit/putin-state-visit-kazakhstan-2024")
    (kind,) = page.find("dd", class_="infobox-kind")
    hrefs = [a["href"] for a in kind.iter() if a.tag == "a"]
    assert "/class/StateVisit" in hrefs
    assert project_client.get("/class/StateVisit").status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/class/Atlantis", 404, "no class cakg:Atlantis"),
        ("/class/not-a-name", 404, "no class named"),
        ("/class/State?sort=label", 400, "sort"),
    ],
)
def test_a_class_page_refuses_bad_requests(
    project_client: FlaskClient, path: str, status: int, words: str
) -> None:
    r = project_client.get(path)
    assert r.status_code == status
    assert words in r.text and "Traceback" not in r.text


# ------------------------------------------------------------------- the same triples everywhere

FORMATS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld", "trig": "trig",
           "nq": "nquads"}  # fmt: skip


def canonical(node: Node) -> Node | tuple[Any, ...]:
    """A literal by its value (a writer may spell 27000000000 as 27000000000.0)."""
    if isinstance(node, Literal) and node.datatype == XSD.decimal:
        return ("decimal", Decimal(str(node)))
    return node


def triples_of(client: FlaskClient, path: str, ext: str) -> set[tuple[Any, ...]]:
    r = client.get(f"/data/{path}.{ext}")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    if ext == "jsonld":
        document = json.loads(body)
        document["@context"] = client.get("/context.jsonld").get_json()["@context"]
        body = json.dumps(document)
    if ext in ("trig", "nq"):
        ds = Dataset()
        ds.parse(data=body, format=FORMATS[ext])
        quads = list(ds.quads())
        assert all(g is not None and str(g).startswith(str(GRAPH)) for *_t, g in quads)
        found = {(s, p, o) for s, p, o, _g in quads}
    else:
        found = set(Graph().parse(data=body, format=FORMATS[ext]))
    return {tuple(canonical(n) for n in t) for t in found}


@pytest.mark.parametrize(
    "path", ["state/kazakhstan", "figure/kz-ru-trade-turnover-2023", "city/astana"]
)
def test_every_format_holds_the_same_triples(project_client: FlaskClient, path: str) -> None:
    reference = triples_of(project_client, path, "ttl")
    assert len(reference) > 30
    for ext in FORMATS:
        assert triples_of(project_client, path, ext) == reference, ext


def test_the_quads_keep_the_graph_of_each_label(project_client: FlaskClient) -> None:
    """The labels of what a description mentions are in the quads too, in their own graphs."""
    ds = Dataset()
    ds.parse(data=project_client.get("/data/state/kazakhstan.nq").data, format="nquads")
    russia = (ID["state/russia"], RDFS.label)
    graphs = {str(g) for s, p, _o, g in ds.quads() if (s, p) == russia}
    assert graphs == {str(GRAPH["reference"])}


# ------------------------------------------------------------------- JSON-LD


def test_jsonld_is_compact_with_the_published_context(project_client: FlaskClient) -> None:
    r = project_client.get("/data/state/kazakhstan.jsonld")
    document = r.get_json(force=True)
    assert document["@context"] == "/context.jsonld"
    first = document["@graph"][0]
    assert first["@id"] == str(KZ)
    assert list(first)[:2] == ["@id", "@type"] and "State" in first["@type"]
    keys = [k for k in first if not k.startswith("@")]
    assert keys == sorted(keys)
    assert {"label", "firstPartyOf", "iso3166Alpha2", "sameAs"} <= set(keys)
    assert not any(k.startswith("cakg:") for node in document["@graph"] for k in node)
    assert first["sameAs"] in ("wd:Q232", "http://www.wikidata.org/entity/Q232")
    visit = next(n for n in document["@graph"] if n["@id"] == str(PUTIN_VISIT))
    assert visit["host"] == str(KZ) or str(KZ) in visit["host"]  # coerced to an IRI by the context


def test_the_context_is_generated_from_the_ontology(
    project_client: FlaskClient, ontology: Graph
) -> None:
    r = project_client.get("/context.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    context = r.get_json()["@context"]
    assert context["cakg"] == str(CAKG) and context["label"].endswith("#label")
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        name = str(prop)[len(str(CAKG)) :]
        assert context[name] == {"@id": str(prop), "@type": "@id"}, name
    assert context["value"] == {"@id": str(CAKG.value), "@type": str(XSD.decimal)}
    assert context["State"] == str(CAKG.State)


# ------------------------------------------------------------------- maps and the graph endpoint


def test_a_geometry_is_not_drawn_as_a_second_place(project_engine: Engine) -> None:
    d = describe_resource(project_engine, str(ID["city/astana"]))
    assert mapped_places(d) == [ID["city/astana"]]  # not id:geometry/astana beside it
    geometry = describe_resource(project_engine, str(ID["geometry/astana"]))
    assert mapped_places(geometry) == [ID["geometry/astana"]]  # nor the city on its own page


def test_a_page_has_a_timeline_and_a_neighbourhood(project_client: FlaskClient) -> None:
    page = html(project_client, "/page/state/kazakhstan")
    specs = {s["data-name"]: s for s in page.find("script", class_="view-spec")}
    assert {"map", "timeline", "neighbourhood"} <= set(specs)
    events = json.loads(specs["timeline"].text)["data"]["values"]
    putin = [e for e in events if e["href"] == "/id/visit/putin-state-visit-kazakhstan-2024"]
    assert [e["start"] for e in putin] == ["2024-11-27"]
    corridor = html(project_client, "/page/corridor/trans-caspian-international-transport-route")
    assert "route" in {s["data-name"] for s in corridor.find("script", class_="view-spec")}


def test_a_route_map_draws_the_corridor_and_its_branches_only(
    project_client: FlaskClient, project_engine: Engine
) -> None:
    page = html(project_client, "/page/corridor/trans-caspian-international-transport-route")
    (table,) = page.find("table", class_="route-stops")
    rows = []
    for tr in table.iter():
        cells = [c for c in tr.children if isinstance(c, Element) and c.tag == "td"]
        if cells:
            (link,) = [a for a in cells[0].iter() if a.tag == "a"]
            rows.append((link["href"], int(cells[1].text), cells[2].text))
    branches = {
        "/id/" + str(row[0])[len(str(ID)) :]
        for row in project_engine.query(f"SELECT ?b {{ ?b <{CAKG.branchOf}> <{CORRIDOR}> }}").rows
    }
    me = "/id/corridor/trans-caspian-international-transport-route"
    assert {href for href, _n, _place in rows} <= branches | {me}
    own = [(n, place) for href, n, place in rows if href == me]
    positions = [n for n, _place in own]  # in order; two places may share one
    assert positions == sorted(positions) and positions[0] == 1 and len(own) == 8
    assert own[0][1] == "Kazakhstan\u2013China border" and own[-1][1] == "Europe"


def test_the_neighbourhood_endpoint(project_client: FlaskClient) -> None:
    one = project_client.get("/neighbourhood", query_string={"iri": str(KZ)}).get_json()
    two = project_client.get(
        "/neighbourhood", query_string=[("iri", str(KZ)), ("iri", str(ID["state/russia"]))]
    ).get_json()
    iris = {n["iri"] for n in one["nodes"]}
    assert str(KZ) in iris and any("/id/visit/" in i for i in iris)
    assert iris < {n["iri"] for n in two["nodes"]}
    assert two["expanded"] == [str(KZ), str(ID["state/russia"])]
    assert two["spec"]["usermeta"]["cakg"]["expanded"] == two["expanded"]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({}, 400, "parameter 'iri': missing"),
        ({"iri": ""}, 400, "parameter 'iri': empty"),
        ({"iri": "kazakhstan"}, 400, "not an absolute http(s) IRI"),
        ({"iri": "https://x/" + "a" * 3000}, 400, "longer than 2000"),
        ({"iri": str(KZ), "depth": "2"}, 400, "parameter 'depth': unknown"),
        ({"iri": [f"{KZ}?{i}" for i in range(30)]}, 400, "at most 25"),
        ({"iri": str(ID["state/atlantis"])}, 404, "state/atlantis"),
    ],
)
def test_the_neighbourhood_endpoint_refuses_bad_requests(
    project_client: FlaskClient, query: dict[str, Any], status: int, words: str
) -> None:
    r = project_client.get("/neighbourhood", query_string=query)
    assert r.status_code == status
    body = r.get_json()
    assert words in body["message"] and "Traceback" not in r.text


def test_backlinks_in_another_language_are_not_mixed_with_english(
    project_client: FlaskClient,
) -> None:
    r = project_client.get("/page/state/kazakhstan", headers={"Accept-Language": "ru"})
    page = HtmlPage(r.text)
    phrases = [s.text for s in page.find("summary") if s.text[:1] not in ("w", "a")]
    cyrillic = [p for p in phrases if re.search("[\u0400-\u04ff]", p)]
    assert cyrillic  # the ontology's Russian labels
    assert not any(re.search(r"[\u0400-\u04ff].* of\b", p) for p in cyrillic), cyrillic
