"""Entity suggestions in Chromium (static/search.js): the header's search box on every page and
the IRI parameters of the saved-query forms, driven by the keyboard as the ARIA combobox
pattern says. Fixtures (Chromium, the live server, a page that fails on CSP violations and
JavaScript errors) are in tests/browser_support.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_support import BROWSER

pytestmark = BROWSER

ID = "https://w3id.org/cakg/id/"
TITR = ID + "corridor/trans-caspian-international-transport-route"


def suggestions(page: Any, input_id: str) -> Any:
    """The listbox the combobox INPUT_ID controls, once it shows at least one option."""
    box = page.locator(f"#{input_id}")
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    listbox.locator("[role=option]").first.wait_for()
    return listbox


def test_header_box_suggests_and_enter_opens_the_page(page: Any, project_server: str) -> None:
    page.goto(project_server + "/page/state/russia")
    box = page.locator("#site-search-q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.click()
    box.press_sequentially("Kazakstan")  # a typo
    listbox = suggestions(page, "site-search-q")
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.get_attribute("role") == "listbox"
    first = listbox.locator("[role=option]").first
    assert first.locator(".search-label").inner_text() == "Kazakhstan"
    assert first.get_attribute("aria-selected") == "false"
    box.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Enter")
    page.wait_for_url(project_server + "/page/state/kazakhstan")
    assert page.locator("h1").first.inner_text().startswith("Kazakhstan")


def test_header_box_arrows_wrap_and_escape_closes(page: Any, project_server: str) -> None:
    page.goto(project_server + "/")
    box = page.locator("#site-search-q")
    box.click()
    box.press_sequentially("Казахстан")
    listbox = suggestions(page, "site-search-q")
    options = listbox.locator("[role=option]")
    first = options.first
    assert first.locator(".search-matched").inner_text() == "Казахстан"  # not the display label
    assert first.locator(".search-matched").get_attribute("lang") == "ru"
    box.press("ArrowUp")  # from nothing selected, up goes to the last
    assert options.last.get_attribute("aria-selected") == "true"
    box.press("ArrowDown")  # and down from the last to the first
    assert first.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "Казахстан"


def test_header_box_enter_without_a_choice_opens_the_results_page(
    page: Any, project_server: str
) -> None:
    page.goto(project_server + "/queries")
    box = page.locator("#site-search-q")
    box.click()
    box.press_sequentially("Uzbek")
    suggestions(page, "site-search-q")
    box.press("Enter")
    page.wait_for_url("**/search?q=Uzbek")
    first = page.locator("ol.search-results a.hit").first
    assert first.get_attribute("href") == "/page/state/uzbekistan"
    assert page.locator("#site-search-q").input_value() == "Uzbek"


@pytest.mark.parametrize("path", ["/queries/corridor-route.html", "/queries"])
def test_parameter_picker_suggests_by_class_and_sends_the_iri(
    page: Any, project_server: str, path: str
) -> None:
    page.goto(project_server + path)
    field_id = "corridor-route-corridor"
    field = page.locator(f"#{field_id}")
    assert field.get_attribute("role") == "combobox"
    assert field.get_attribute("list") is None  # the suggestions replace its datalist
    field.click()
    field.press_sequentially("Tokayev")  # a person: not a geo:Feature, the class it expects
    page.wait_for_function(
        "(id) => document.getElementById(id).closest('.search-combo')"
        ".querySelector('[role=status]').textContent.startsWith('No suggestions')",
        arg=field_id,
    )
    field.fill("")
    field.press_sequentially("midle corr")  # a typo, and an alternative label
    listbox = suggestions(page, field_id)
    first = listbox.locator("[role=option]").first
    assert first.locator(".search-matched").inner_text() == "Middle Corridor"
    field.press("ArrowDown")
    field.press("Enter")
    assert field.input_value() == TITR
    chosen = page.locator(f"#{field_id}").locator("xpath=../following-sibling::span[1]")
    assert chosen.inner_text() == "Trans-Caspian International Transport Route"
    if path == "/queries":
        return
    field.press("Enter")  # the list is closed: Enter submits the form
    page.wait_for_url("**/queries/corridor-route.html?*corridor=*")
    assert page.locator(f"#{field_id}").input_value() == TITR
    assert page.locator("table").first.locator("tbody tr").count() > 0


def test_the_ontology_page_box_suggests_too(page: Any, project_server: str) -> None:
    page.goto(project_server + "/ontology")  # written by the build, with its own stylesheet
    box = page.locator("#site-search-q")
    box.click()
    box.press_sequentially("state visi")
    listbox = suggestions(page, "site-search-q")
    assert listbox.is_visible()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(project_server + "/ontology#StateVisit")
