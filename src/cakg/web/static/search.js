/* cakg entity suggestions as you type: the header's search box on every page, and the IRI
   parameters of the saved-query forms (inputs with data-search-type, the class they expect;
   empty for any). Both ask GET /search (JSON) and follow the WAI-ARIA combobox pattern: the
   input is a combobox owning a listbox; Arrow Down/Up move through the suggestions, Enter
   takes the one selected, Escape closes the list (a second Escape clears the box), Tab leaves.
   In the header, taking a suggestion opens its page; Enter with none selected submits the
   form (the /search results page). In a parameter field, taking one puts the entity's IRI in
   the field (what the query is sent) and says its name beside it.
   Progressive enhancement: without this script the box is a plain GET form and the fields take
   a name, a prefixed name or an IRI. Written for cakg; no dependencies, no inline style. */
(function () {
  "use strict";

  var DELAY = 120; // ms after the last key before asking
  var LIMIT = 8;
  var counter = 0;

  function searchUrl() {
    var form = document.querySelector("form.site-search");
    return form ? form.action : "/search";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* Turn INPUT into a combobox. onChoose(hit) is called with the JSON hit taken. */
  function combobox(input, types, onChoose) {
    var id = "search-suggestions-" + (++counter);
    var wrap = el("span", "search-combo");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = el("ul", "search-suggestions");
    list.id = id;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    wrap.appendChild(list);
    var status = el("span", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrap.appendChild(status);

    input.removeAttribute("list"); // the suggestions replace the field's datalist
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");

    var hits = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var asked = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function select(index) {
      var options = list.children;
      if (active >= 0 && options[active]) { options[active].setAttribute("aria-selected", "false"); }
      active = index;
      if (index < 0) { input.removeAttribute("aria-activedescendant"); return; }
      options[index].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var hit = hits[index];
      close();
      if (hit) { onChoose(hit); }
    }

    function show(results, text) {
      hits = results;
      list.textContent = "";
      active = -1;
      results.forEach(function (hit, i) {
        var option = el("li", "search-option");
        option.id = id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = el("span", "search-label", hit.label);
        if (hit.lang) { name.lang = hit.lang; }
        option.appendChild(name);
        var kinds = (hit.types || []).map(function (t) { return t.label; }).join(", ");
        if (kinds) { option.appendChild(el("span", "search-kind", kinds)); }
        if (hit.matched !== hit.label || hit.matchedLang !== hit.lang) {
          var matched = el("span", "search-matched", hit.matched);
          if (hit.matchedLang) { matched.lang = hit.matchedLang; }
          option.appendChild(matched);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(i); });
        list.appendChild(option);
      });
      var none = results.length === 0;
      list.hidden = none;
      input.setAttribute("aria-expanded", none ? "false" : "true");
      status.textContent = none ? "No suggestions for " + text
        : results.length + (results.length === 1 ? " suggestion" : " suggestions");
    }

    function ask() {
      var text = input.value.trim();
      if (text === asked) { return; }
      asked = text;
      if (pending) { pending.abort(); pending = null; }
      if (!text) { hits = []; close(); return; }
      var params = new URLSearchParams({ q: text.slice(0, 200), limit: String(LIMIT), format: "json" });
      types.forEach(function (t) { params.append("type", t); });
      var controller = new AbortController();
      pending = controller;
      fetch(searchUrl() + "?" + params.toString(), {
        headers: { Accept: "application/json" }, signal: controller.signal
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (body) {
        if (pending !== controller) { return; } // a later request replaced this one
        pending = null;
        if (document.activeElement === input) { show(body.results || [], text); }
      }).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        pending = null;
        hits = [];
        close();
      });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && hits.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          if (hits.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
          else { asked = ""; ask(); return; }
        }
        var n = hits.length;
        var next = event.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1);
        select(next);
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
        else if (input.value) { event.preventDefault(); input.value = ""; asked = ""; hits = []; }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  function enhanceHeader() {
    var input = document.getElementById("site-search-q");
    if (!input) { return; }
    combobox(input, [], function (hit) {
      input.value = hit.label;
      window.location.assign(hit.href);
    });
  }

  function enhancePickers() {
    document.querySelectorAll("input[data-search-type]").forEach(function (input) {
      var cls = input.getAttribute("data-search-type");
      var note = el("span", "search-chosen");
      note.setAttribute("aria-live", "polite");
      combobox(input, cls ? [cls] : [], function (hit) {
        input.value = hit.iri;
        note.textContent = hit.label;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      input.parentNode.parentNode.insertBefore(note, input.parentNode.nextSibling);
      input.addEventListener("input", function () { note.textContent = ""; });
    });
  }

  function start() {
    enhanceHeader();
    enhancePickers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
