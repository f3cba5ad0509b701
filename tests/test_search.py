"""The search index (cakg.build.search_index writes it, cakg.search reads it): what it records,
and how `find` ranks, on a hand-made graph and on the repository's own build."""

from __future__ import annotations

from pathlib import Path

import pytest

import cakg.search as search_module
from cakg.build import BuildResult, build_dataset
from cakg.build.search_index import write_search_index
from cakg.config import Settings
from cakg.engine import Engine
from cakg.release import SEARCH_INDEX, Release, dataset_dir
from cakg.search import MAX_LIMIT, SearchIndex, SearchIndexError
from cakg.search_keys import fold
from cakg.web import close_app, create_app
from cakg.web.state import EXTENSION, adopt_search, read_search_index, search_index

ID = "https://w3id.org/cakg/id/"
CAKG = "https://w3id.org/cakg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
STATE, PLACE, PERSON = CAKG + "State", CAKG + "Place", CAKG + "Person"

# Each line is there for a test below.
GRAPH = f"""\
<{STATE}> <{RDFS}subClassOf> <{PLACE}> .
<{STATE}> <{RDFS}label> "state"@en .
<{PLACE}> <{RDFS}label> "place"@en .
<{ID}state/kazakhstan> <{TYPE}> <{STATE}> .
<{ID}state/kazakhstan> <{RDFS}label> "Kazakhstan"@en .
<{ID}state/kazakhstan> <{RDFS}label> "Казахстан"@ru .
<{ID}state/kazakhstan> <{RDFS}label> "Қазақстан"@kk .
<{ID}state/uzbekistan> <{TYPE}> <{STATE}> .
<{ID}state/uzbekistan> <{RDFS}label> "Uzbekistan"@en .
<{ID}state/uzbekistan> <{RDFS}label> "O\u02bbzbekiston"@uz .
<{ID}person/toqaev> <{TYPE}> <{PERSON}> .
<{ID}person/toqaev> <{RDFS}label> "Kassym-Jomart Tokayev"@en .
<{ID}person/toqaev> <{SKOS}altLabel> "Toqaev"@en .
<{ID}person/aliyev> <{TYPE}> <{PERSON}> .
<{ID}person/aliyev> <{RDFS}label> "İlham Əliyev"@az .
<{ID}place/kazan> <{TYPE}> <{PLACE}> .
<{ID}place/kazan> <{RDFS}label> "Kazan"@en .
<{ID}place/kazanka> <{TYPE}> <{PLACE}> .
<{ID}place/kazanka> <{RDFS}label> "Kazanka"@en .
<{ID}place/astana-hotel> <{TYPE}> <{PLACE}> .
<{ID}place/astana-hotel> <{RDFS}label> "Astana"@en .
<{ID}place/astana> <{TYPE}> <{PLACE}> .
<{ID}place/astana> <{RDFS}label> "Astana"@en .
<{ID}place/astana> <{CAKG}note> "capital" .
<{ID}statement/unlabelled> <{TYPE}> <{CAKG}Statement> .
<http://www.wikidata.org/entity/Q232> <{RDFS}label> "Kazakhstan"@en .
"""
# Kazanka is more connected than Kazan: it is the subject of many triples.
GRAPH += "".join(f'<{ID}place/kazanka> <{CAKG}note> "{n}" .\n' for n in range(30))
GRAPH += "".join(f'<{ID}state/kazakhstan> <{CAKG}note> "{n}" .\n' for n in range(20))


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    source = tmp_path / "union.nt"
    source.write_text(GRAPH, encoding="utf-8")
    counts = write_search_index(source, tmp_path / SEARCH_INDEX)
    assert counts["entities"] == 10  # 8 things and 2 classes: no statement, nothing outside
    return SearchIndex.load(tmp_path / SEARCH_INDEX)


@pytest.fixture(scope="module")
def project_index(project_build: BuildResult, project_settings: Settings) -> SearchIndex:
    release = Release.open(dataset_dir(project_settings).resolve())
    try:
        return SearchIndex.load(release)
    finally:
        release.close()


def iris(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.iri for h in hits]


def test_fold_transliterates_and_folds_diacritics() -> None:
    assert fold("O\u02bbzbekiston") == "ozbekiston"
    assert fold("İlham Əliyev") == "ilham eliyev"
    assert fold("Казахстан") == "kazakhstan"
    assert fold("  Kassym-Jomart   TOKAYEV! ") == "kassym jomart tokayev"
    assert fold("!!!") == ""


def test_entry_records_labels_types_closure_and_degree(index: SearchIndex) -> None:
    entry = index.entry(ID + "state/kazakhstan")
    assert entry is not None
    assert entry.label.text == "Kazakhstan" and entry.label.lang == "en"
    assert {(label.text, label.lang) for label in entry.labels} == {
        ("Kazakhstan", "en"),
        ("Казахстан", "ru"),
        ("Қазақстан", "kk"),
    }
    assert entry.types == (STATE,)
    assert entry.classes == {STATE, PLACE}  # the superclass recorded
    assert entry.degree == 4 + 20
    assert index.entry(ID + "statement/unlabelled") is None
    assert index.entry("http://www.wikidata.org/entity/Q232") is None
    assert len(index) == 10


def test_russian_label_finds_the_entity_and_says_which_label(index: SearchIndex) -> None:
    hit = index.find("Казахстан")[0]
    assert hit.iri == ID + "state/kazakhstan"
    assert (hit.label, hit.lang) == ("Kazakhstan", "en")
    assert (hit.matched, hit.matched_lang) == ("Казахстан", "ru")
    assert hit.exact and hit.score >= 99


def test_typo_finds_the_entity(index: SearchIndex) -> None:
    hits = index.find("Kazakstan")
    assert hits[0].iri == ID + "state/kazakhstan"
    assert not hits[0].exact and hits[0].score < 80


def test_prefix_finds_the_entity(index: SearchIndex) -> None:
    hits = index.find("Uzbek")
    assert hits[0].iri == ID + "state/uzbekistan"
    assert 80 <= hits[0].score < 99


def test_alternative_label_matches_exactly(index: SearchIndex) -> None:
    hit = index.find("toqaev")[0]
    assert hit.iri == ID + "person/toqaev"
    assert (hit.label, hit.matched, hit.exact) == ("Kassym-Jomart Tokayev", "Toqaev", True)


def test_word_of_a_label_is_a_prefix_match(index: SearchIndex) -> None:
    hit = index.find("tokay")[0]
    assert hit.iri == ID + "person/toqaev" and 80 <= hit.score < 99


def test_diacritics_folded(index: SearchIndex) -> None:
    for text in ("Ilham Aliyev", "ilham eliyev", "Əliyev"):
        assert iris(index.find(text))[:1] == [ID + "person/aliyev"], text
    assert iris(index.find("Ozbekiston"))[:1] == [ID + "state/uzbekistan"]


def test_exact_label_ranks_above_a_more_connected_match(index: SearchIndex) -> None:
    kazan, kazanka = index.entry(ID + "place/kazan"), index.entry(ID + "place/kazanka")
    assert kazan is not None and kazanka is not None and kazanka.degree > kazan.degree
    hits = index.find("Kazan")
    assert iris(hits)[:2] == [ID + "place/kazan", ID + "place/kazanka"]
    assert hits[0].exact and not hits[1].exact and hits[0].score > hits[1].score


def test_ties_go_to_the_most_connected(index: SearchIndex) -> None:
    hits = index.find("astana")  # two entities, one label
    assert iris(hits) == [ID + "place/astana", ID + "place/astana-hotel"]
    assert [h.degree for h in hits] == [3, 2] and hits[0].score > hits[1].score
    hits = index.find("kaza")  # a prefix of three labels: shorter and more connected first
    assert iris(hits) == [ID + "place/kazanka", ID + "state/kazakhstan", ID + "place/kazan"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_type_filter_accepts_subclasses(index: SearchIndex) -> None:
    places = iris(index.find("kaza", types=[PLACE]))
    assert ID + "state/kazakhstan" in places  # a State, a subclass of Place
    assert iris(index.find("kaza", types=[STATE])) == [ID + "state/kazakhstan"]
    assert index.find("kaza", types=[PERSON]) == []
    assert index.find("Kazakhstan", types=[CAKG + "Nothing"]) == []


def test_limit_and_empty_queries(index: SearchIndex) -> None:
    assert len(index.find("kaz", limit=1)) == 1
    assert len(index.find("a", limit=10_000)) <= MAX_LIMIT
    assert index.find("") == [] and index.find("  ,;!  ") == []
    assert index.find("zzzzzzzz") == []


def test_missing_or_foreign_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SearchIndexError, match="no search index"):
        SearchIndex.load(tmp_path / SEARCH_INDEX)
    (tmp_path / SEARCH_INDEX).write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(SearchIndexError, match="cakg build --force"):
        SearchIndex.load(tmp_path / SEARCH_INDEX)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Kazakhstan", "state/kazakhstan"),
        ("Казахстан", "state/kazakhstan"),
        ("Kazakstan", "state/kazakhstan"),  # a typo
        ("Uzbek", "state/uzbekistan"),
        ("Mirziyoev", "person/shavkat-mirziyoyev"),  # a typo
        ("Мирзиёев", "person/shavkat-mirziyoyev"),
        ("Toqaev", "person/kassym-jomart-tokayev"),
        ("Tokayev", "person/kassym-jomart-tokayev"),
        ("putin", "person/vladimir-putin"),
        ("Azerbaycan", "state/azerbaijan"),
    ],
)
def test_the_project_graph(project_index: SearchIndex, text: str, first: str) -> None:
    assert iris(project_index.find(text))[0] == ID + first


def test_the_project_type_filter(project_index: SearchIndex) -> None:
    hits = project_index.find("k", types=[STATE], limit=50)
    assert hits and all(STATE in h.types for h in hits)
    assert hits[0].iri == ID + "state/kazakhstan"
    classes = project_index.find("Place")
    assert classes[0].iri == PLACE and classes[0].exact


def test_the_server_reads_the_index_before_the_fork(
    project_build: BuildResult, project_settings: Settings, project_engine: Engine
) -> None:
    release = Release.open(dataset_dir(project_settings).resolve())
    app = create_app(project_settings, {"TESTING": True, "CAKG_ENGINE": project_engine})
    try:
        served = app.extensions[EXTENSION].current
        assert served.search is None  # read on first use...
        index = read_search_index(release)  # ...or by `cakg serve` before it forks
        adopt_search(app, release, index)  # and given to each web process's app
        assert served.search is index and index is not None and len(index) > 500
        with app.test_request_context("/search"):
            assert search_index() is index  # read once per release
    finally:
        close_app(app)
        release.close()


def test_an_unreadable_index_is_left_for_the_first_search_to_report(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"version": "x"}', encoding="utf-8")
    release = Release.open(tmp_path)
    try:
        assert read_search_index(release) is None  # logged; the server starts all the same
    finally:
        release.close()


def test_a_release_without_its_index_is_a_503_saying_to_rebuild(settings: Settings) -> None:
    build_dataset(settings)
    (dataset_dir(settings) / SEARCH_INDEX).unlink()
    app = create_app(settings, {"TESTING": True})
    try:
        client = app.test_client()
        response = client.get("/search?q=x", headers={"Accept": "application/json"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        body = response.get_json()
        assert body["error"] == "no-search-index" and "cakg build --force" in body["message"]
        page = client.get("/page/state/nowhere", headers={"Accept": "text/html"})
        assert page.status_code == 404  # the 404 page, without suggestions
    finally:
        close_app(app)


def test_a_crowded_prefix_keeps_the_most_connected(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "MAX_CANDIDATES", 1)  # as a letter in a large graph
    prefixed = [h.iri for h in index.find("kaza") if h.score >= 80]  # the others: fuzzy
    assert prefixed == [ID + "place/kazanka"]  # not the first key in order, the most connected
