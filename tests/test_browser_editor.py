"""The SPARQL editor (static/editor.js over the vendored CodeMirror 6) in real Chromium:
completion, prefixes declared as they are used, the Examples menu, problems at their exact
column, the ontology lint, and a /sparql?query= URL opened in the browser. Each test page fails
on a JavaScript error or a Content-Security-Policy violation (tests/browser_support.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

from tests.browser_support import BROWSER, sparql_rows

pytestmark = BROWSER

CAKG = "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
RDFS = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>"


def open_editor(page: Any, server: str, text: str = "") -> Any:
    """The editor page with TEXT in the editor (set, not typed); its content element."""
    page.goto(server + "/sparql")
    content = page.locator(".cm-content")
    content.wait_for()
    page.evaluate("(text) => window.cakgEditor.set(text)", text)
    return content


def editor_text(page: Any) -> str:
    text: str = page.evaluate("() => window.cakgEditor.get()")
    return text


def run_and_wait(page: Any) -> None:
    page.locator(".cm-content").press("Control+Enter")
    page.wait_for_function(
        "() => !document.getElementById('query-form').hasAttribute('aria-busy')"
        " && /rows|failed|answered/.test(document.getElementById('status').textContent)"
    )


def diagnostics(page: Any) -> list[dict[str, Any]]:
    """The editor's diagnostics: severity, message, and the marked text's offsets."""
    found: list[dict[str, Any]] = page.evaluate(
        """() => { const out = []; const state = window.cakgEditor.view.state;
                   window.CM.forEachDiagnostic(state, (d, from, to) => out.push(
                       { severity: d.severity, message: d.message, from: from, to: to,
                         text: state.sliceDoc(from, to) }));
                   return out; }"""
    )
    return found


def vocabulary(server: str) -> dict[str, Any]:
    with urlopen(server + "/ui/editor/vocabulary") as response:
        body: dict[str, Any] = json.load(response)
    return body


def test_ctrl_space_offers_classes_with_their_labels_after_a(
    page: Any, project_server: str
) -> None:
    state = next(t for t in vocabulary(project_server)["terms"] if t["prefixed"] == "cakg:State")
    content = open_editor(page, project_server, CAKG + "SELECT ?s WHERE {\n  ?s a ")
    content.press("Control+End")
    content.press_sequentially("cakg:St", delay=0)
    content.press("Control+Space")
    options = page.locator(".cm-tooltip-autocomplete li")
    options.first.wait_for()
    labels = options.locator(".cm-completionLabel").all_inner_texts()
    assert labels[0] == "cakg:State"
    assert all(label.startswith("cakg:") for label in labels)
    assert "cakg:statedBy" not in labels  # after `a`, classes only
    first = options.first
    assert first.locator(".cm-completionDetail").inner_text() == state["label"]
    first.click()
    assert editor_text(page) == CAKG + "SELECT ?s WHERE {\n  ?s a cakg:State"


def test_typing_a_prefixed_name_declares_its_prefix_once(page: Any, project_server: str) -> None:
    content = open_editor(page, project_server, "# labels\nSELECT ?s ?l WHERE {\n  ?s ")
    content.press("Control+End")
    content.press_sequentially("rdfs:label ?l ; rdfs:label ?m", delay=0)
    page.keyboard.press("Escape")
    text = editor_text(page)
    assert text.splitlines()[1] == RDFS  # under the leading comment, before the query
    assert text.count("PREFIX rdfs:") == 1
    assert text.endswith("?s rdfs:label ?l ; rdfs:label ?m")
    content.press("Control+z")  # the line came with the typing: one undo step
    assert editor_text(page).count("PREFIX") <= 1


def test_nothing_is_declared_or_completed_in_comments_and_strings(
    page: Any, project_server: str
) -> None:
    content = open_editor(page, project_server, "SELECT ?s WHERE {\n")
    content.press("Control+End")
    content.press_sequentially('  ?s ?p "see owl:sameAs" # and rdfs:lab', delay=0)
    content.press("Control+Space")
    status = "() => window.CM.completionStatus(window.cakgEditor.view.state)"
    page.wait_for_function(f"() => ({status})() !== 'pending'")
    assert page.evaluate(status) is None  # (rdfs:lab would offer rdfs:label)
    assert "PREFIX" not in editor_text(page)


def test_completing_a_term_declares_its_prefix(page: Any, project_server: str) -> None:
    content = open_editor(page, project_server, "SELECT ?s WHERE { ?s a ")
    content.press("Control+End")
    content.press_sequentially("cakg:Stat", delay=0)
    option = page.locator(".cm-tooltip-autocomplete li", has_text="cakg:State").first
    option.wait_for()  # offered while typing, without Ctrl+Space
    option.click()
    assert editor_text(page) == CAKG + "SELECT ?s WHERE { ?s a cakg:State"


def test_variables_and_entities_are_completed(page: Any, project_server: str) -> None:
    content = open_editor(page, project_server, "SELECT ?state ?stateLabel WHERE { ")
    content.press("Control+End")
    content.press_sequentially("?st", delay=0)
    content.press("Control+Space")
    options = page.locator(".cm-tooltip-autocomplete li .cm-completionLabel")
    options.first.wait_for()
    assert set(options.all_inner_texts()) >= {"?state", "?stateLabel"}
    page.keyboard.press("Escape")
    content.press_sequentially(" ?p Kazakh", delay=0)
    content.press("Control+Space")
    entity = page.locator(".cm-tooltip-autocomplete li", has_text="Kazakhstan").first
    entity.wait_for()  # from GET /search
    entity.click()
    assert editor_text(page).endswith("?p <https://w3id.org/cakg/id/state/kazakhstan>")


def test_the_examples_menu_opens_a_saved_query_and_it_runs(page: Any, project_server: str) -> None:
    example = next(e for e in vocabulary(project_server)["examples"] if e["name"] == "sources")
    open_editor(page, project_server)
    menu = page.locator("#examples")
    menu.locator("summary").click()
    page.keyboard.press("Escape")  # closes as a menu does
    assert not menu.evaluate("d => d.open")
    menu.locator("summary").click()
    description = menu.locator(".example-description", has_text=example["description"][:40])
    assert description.is_visible()  # each example with its summary
    menu.get_by_role("link", name=example["summary"], exact=True).click()
    page.wait_for_function("(t) => window.cakgEditor.get() === t", arg=example["text"])
    assert page.url == project_server + "/sparql?example=sources"
    assert not page.locator("#examples").evaluate("d => d.open")
    run_and_wait(page)
    expected = sparql_rows(project_server, example["text"])
    assert len(expected) >= 5
    assert page.locator("#result-body tbody tr").count() == len(expected)


def test_a_misspelt_keyword_is_marked_at_its_column(page: Any, project_server: str) -> None:
    """It said "expected CONSTRUCT" and marked the whole line."""
    open_editor(page, project_server, "SELEC ?x WHERE { ?x ?y ?z }")
    run_and_wait(page)
    problem = page.locator("#query-error .problem-error")
    problem.wait_for()
    assert problem.locator(".problem-message").inner_text() == (
        "SELEC is not a SPARQL keyword: did you mean SELECT?"
    )
    assert problem.locator("strong").inner_text() == "Error at line 1, column 1"
    (marked,) = diagnostics(page)
    assert (marked["from"], marked["to"], marked["text"]) == (0, 5, "SELEC")
    assert page.locator(".cm-lintRange-error").all_inner_texts() == ["SELEC"]
    assert "CONSTRUCT" in page.locator("#query-error .engine-message pre").text_content()


def test_a_misspelt_keyword_is_marked_as_it_is_typed(page: Any, project_server: str) -> None:
    """Before any run: what the tokens show is checked as the query is typed."""
    content = open_editor(page, project_server)
    content.press_sequentially("SELEC ?x WHERE { ?x ?y ?z }", delay=0)
    page.keyboard.press("Escape")
    page.locator(".cm-lintRange-error").wait_for()
    assert page.locator(".cm-lintRange-error").all_inner_texts() == ["SELEC"]
    assert page.locator("#query-error .problem-message").inner_text() == (
        "SELEC is not a SPARQL keyword: did you mean SELECT?"
    )
    assert page.locator("#results").is_hidden()  # not run


def test_an_undeclared_project_prefix_has_a_button_adding_it(
    page: Any, project_server: str
) -> None:
    open_editor(page, project_server, "SELECT ?s WHERE { ?s a cakg:State }")
    run_and_wait(page)
    problem = page.locator("#query-error .problem-error")
    problem.wait_for()
    assert (
        problem.locator(".problem-message")
        .inner_text()
        .startswith("The prefix cakg: is not declared")
    )
    assert "\\u{" not in page.locator("#query-error").inner_text()  # no Unicode ranges
    (marked,) = diagnostics(page)
    assert marked["text"] == "cakg:"
    problem.get_by_role("button", name="Add PREFIX cakg:").click()
    assert editor_text(page) == CAKG + "SELECT ?s WHERE { ?s a cakg:State }"
    run_and_wait(page)
    assert page.locator("#result-body tbody tr").count() >= 5
    page.wait_for_function("() => document.getElementById('query-error').hidden")


def test_a_misspelt_class_gets_a_hint_with_its_empty_answer(page: Any, project_server: str) -> None:
    open_editor(page, project_server, CAKG + "SELECT ?s WHERE { ?s a cakg:Sate }")
    run_and_wait(page)
    assert page.locator("#status").inner_text().startswith("0 rows")
    warning = page.locator("#query-error .problem-warning")
    warning.wait_for()
    assert warning.locator(".problem-message").inner_text() == (
        "cakg:Sate is not a class of the ontology: did you mean cakg:State?"
    )
    (marked,) = diagnostics(page)
    assert (marked["severity"], marked["text"]) == ("warning", "cakg:Sate")


def test_a_query_url_opened_in_the_browser_shows_the_editor_with_results(
    page: Any, project_server: str
) -> None:
    """It downloaded a SPARQL XML file."""
    query = CAKG + "SELECT ?s WHERE { ?s a cakg:State }"
    response = page.goto(project_server + "/sparql?" + urlencode({"query": query}))
    assert response.headers["content-type"].startswith("text/html")
    page.locator("#result-body tbody tr").first.wait_for()
    assert editor_text(page) == query
    assert page.locator("#result-body tbody tr").count() == len(sparql_rows(project_server, query))
