/* The results panel's table (static/results.js draws the rest): one page of rows at a time
   (25, 100 or 500 a page), with the range and the total above it, sortable by any column by a
   typed sort (numbers as numbers, dates as dates, IRIs by their labels, unbound cells last)
   and a filter (the rows a cell of which holds some words: a label, an IRI or a value),
   IRIs shown by their labels and linked to their pages, literals with their language or
   datatype on hover. Labels come from POST /ui/terms (a page's IRIs at a time; a column's all
   when it is sorted). Links go through cakgUi.localHref (static/ui.js), the pages' one rule. */
(function () {
  "use strict";

  var PAGE_SIZES = [25, 100, 500];
  var DEFAULT_SIZE = 100;
  var FILTER_DELAY = 250; // ms after the last key before the filter applies
  var TERMS_PER_REQUEST = 1000; // as many IRIs as POST /ui/terms answers at once
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = new RegExp("^" + XSD.replace(/[.#]/g, "\\$&") + "(integer|decimal|double|" +
    "float|long|int|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|" +
    "nonPositiveInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$");
  var DATES = new RegExp("^" + XSD.replace(/[.#]/g, "\\$&") + "(date|dateTime|gYear|gYearMonth)$");
  var COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var NUMBER = new Intl.NumberFormat("en");

  function root() {
    var m = document.querySelector('meta[name="cakg-root"]');
    return (m && m.getAttribute("content")) || "/";
  }

  function ui() { return window.cakgUi || {}; }
  function localHref(iri) { return ui().localHref ? ui().localHref(iri) : null; }
  function shorten(iri) { return ui().shorten ? ui().shorten(iri) : "<" + iri + ">"; }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function count(n) { return NUMBER.format(n); }

  /* ------------------------------------------------------------------ labels */

  var termCache = new Map();

  /* Labels of the IRIs in TERMS (SPARQL JSON terms) not known yet, from POST /ui/terms. */
  function fetchLabels(terms) {
    var wanted = [];
    var seen = new Set();
    terms.forEach(function (t) {
      if (t && t.type === "uri" && !termCache.has(t.value) && !seen.has(t.value)) {
        seen.add(t.value);
        wanted.push(t.value);
      }
    });
    var chunks = [];
    for (var i = 0; i < wanted.length; i += TERMS_PER_REQUEST) {
      chunks.push(wanted.slice(i, i + TERMS_PER_REQUEST));
    }
    return Promise.all(chunks.map(function (iris) {
      return fetch(root() + "ui/terms", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ iris: iris })
      }).then(function (r) { return r.ok ? r.json() : { terms: {} }; })
        .then(function (data) {
          iris.forEach(function (iri) { termCache.set(iri, (data.terms || {})[iri] || {}); });
        }, function () { /* labels are a nicety: the prefixed names stand in */ });
    }));
  }

  function label(t) {
    var known = termCache.get(t.value);
    return known && known.label ? known.label : shorten(t.value);
  }

  /* -------------------------------------------------------------------- cells */

  function literalTitle(t) {
    if (t["xml:lang"]) { return "language: " + t["xml:lang"]; }
    return "datatype: " + shorten(t.datatype || XSD + "string");
  }

  function cell(t, column) {
    var td = el("td", { "data-label": column });
    if (!t) { return td; }
    if (t.type === "uri") {
      var href = localHref(t.value);
      td.appendChild(href ? el("a", { href: href, title: t.value }, label(t))
                          : el("span", { "class": "iri", title: t.value }, label(t)));
    } else if (t.type === "bnode") {
      td.appendChild(el("span", { "class": "bnode" }, "_:" + t.value));
    } else {
      var span = el("span", { "class": "literal" }, t.value);
      if (t["xml:lang"]) { span.setAttribute("lang", t["xml:lang"]); }
      td.appendChild(span);
      if (t["xml:lang"]) { td.appendChild(el("span", { "class": "lang" }, t["xml:lang"])); }
      if (t.datatype && NUMERIC.test(t.datatype)) { td.className = "num"; }
      td.setAttribute("title", literalTitle(t));
    }
    return td;
  }

  /* --------------------------------------------------------------- sorting */

  /* [rank, value]: numbers, then dates, then text, then IRIs (by label), then blank nodes */
  function sortKey(t) {
    if (t.type === "uri") { return [3, label(t)]; }
    if (t.type === "bnode") { return [4, t.value]; }
    if (t.datatype && NUMERIC.test(t.datatype)) {
      var n = Number(t.value);
      if (!isNaN(n)) { return [0, n]; }
    }
    if (t.datatype && DATES.test(t.datatype)) { return [1, t.value]; }
    return [2, t.value];
  }

  function compareKeys(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    if (a[0] === 0) { return a[1] - b[1]; }
    if (a[0] === 1) { return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0; }
    return COLLATOR.compare(a[1], b[1]);
  }

  /* Row indexes of ROWS ordered by column V (dir 1 or -1); unbound cells last either way,
     ties in the answer's order. */
  function sortedOrder(rows, v, dir) {
    var keys = rows.map(function (row) { return row[v] ? sortKey(row[v]) : null; });
    var order = rows.map(function (_, i) { return i; });
    order.sort(function (i, j) {
      var a = keys[i], b = keys[j];
      if (a === null || b === null) { return a === b ? i - j : a === null ? 1 : -1; }
      return dir * compareKeys(a, b) || i - j;
    });
    return order;
  }

  /* ---------------------------------------------------------------- the table */

  /* A cell's words, for the filter: an IRI's label and the IRI, a literal's value. */
  function words(t) {
    if (!t) { return ""; }
    if (t.type === "uri") { return label(t) + " " + t.value; }
    return t.type === "bnode" ? "_:" + t.value : t.value;
  }

  /* True when every bound cell of column V is a number (its header is aligned as they are) */
  function numeric(rows, v) {
    var bound = rows.filter(function (row) { return row[v]; });
    return bound.length > 0 && bound.every(function (row) {
      return row[v].datatype && NUMERIC.test(row[v].datatype);
    });
  }

  function allIndexes(rows) { return rows.map(function (_, i) { return i; }); }

  /* The pager above the table: the range, First/Previous/Page/Next/Last, the page size and
     the filter box; `parts` holds its elements. */
  function pager(size) {
    var parts = { bar: el("div", { "class": "results-pager" }),
                  range: el("p", { "class": "results-range", "aria-live": "polite" }),
                  nav: el("nav", { "class": "results-pages", "aria-label": "Pages of the answer" }),
                  at: el("span", { "class": "results-page-at" }),
                  size: el("select", { "aria-label": "Rows per page" }),
                  filter: el("input", { type: "search", "class": "results-filter",
                                        placeholder: "Filter rows", "aria-label": "Filter the rows",
                                        title: "Keep the rows a cell of which holds these words " +
                                               "(a label, an IRI or a value)" }) };
    [["first", "First"], ["prev", "Previous"], ["next", "Next"], ["last", "Last"]].forEach(
      function (b) {
        parts[b[0]] = el("button", { type: "button", "data-page": b[0] }, b[1]);
        parts.nav.appendChild(parts[b[0]]);
        if (b[0] === "prev") { parts.nav.appendChild(parts.at); }
      });
    PAGE_SIZES.forEach(function (n) {
      var option = el("option", { value: String(n) }, String(n));
      if (n === size) { option.selected = true; }
      parts.size.appendChild(option);
    });
    var sizeLabel = el("label", { "class": "results-size" }, "Rows per page ");
    sizeLabel.appendChild(parts.size);
    [parts.range, parts.nav, sizeLabel, parts.filter].forEach(function (n) {
      parts.bar.appendChild(n);
    });
    return parts;
  }

  /* A table of ROWS (SPARQL JSON bindings) over VARS in CONTAINER; returns its handle:
     setTotal(n) states the whole answer's size when the rows are only its first part. */
  function create(container, vars, rows, options) {
    var state = {
      sorted: allIndexes(rows), // every row, in the chosen order
      order: allIndexes(rows), // the rows kept by the filter, in that order
      sortVar: null, dir: 0, page: 0, filter: "",
      size: (options && options.size) || DEFAULT_SIZE,
      total: rows.length, truncated: Boolean(options && options.truncated)
    };
    var parts = pager(state.size);
    var wrap = el("div", { "class": "table-wrap", tabindex: "0", role: "region",
                           "aria-label": "Result table" });
    var table = el("table", { "class": "answer-table results-table" });
    var headRow = el("tr");
    vars.forEach(function (v) {
      var th = el("th", { scope: "col", "aria-sort": "none", "data-var": v });
      if (numeric(rows, v)) { th.className = "num"; }
      /* the header's aria-sort says how it is sorted; the button's title what a click does */
      var button = el("button", { type: "button", "class": "sort", title: "Sort by " + v +
                                  " (again: reverse; a third time: the answer's order)" }, v);
      button.addEventListener("click", function () { sortBy(v); });
      th.appendChild(button);
      headRow.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(headRow);
    var body = el("tbody");
    table.appendChild(body);
    wrap.appendChild(table);
    container.appendChild(parts.bar);
    container.appendChild(wrap);

    function pages() { return Math.max(1, Math.ceil(state.order.length / state.size)); }

    function rangeText(start, end) {
      var held = state.truncated
        ? "the first " + count(rows.length) + " (" + count(state.total) + " in all)"
        : count(rows.length);
      if (!rows.length) { return "No rows."; }
      if (state.filter) {
        var kept = count(state.order.length) + " matching “" + state.filter + "”";
        return state.order.length
          ? "Rows " + count(start + 1) + "–" + count(end) + " of " + kept + " (of " + held + ")."
          : "No rows matching “" + state.filter + "” (of " + held + ").";
      }
      return "Rows " + count(start + 1) + "–" + count(end) + " of " + held + ".";
    }

    function drawPage() {
      var start = state.page * state.size;
      var shown = state.order.slice(start, start + state.size).map(function (i) { return rows[i]; });
      var terms = [];
      shown.forEach(function (row) { vars.forEach(function (v) { terms.push(row[v]); }); });
      container.setAttribute("aria-busy", "true");
      return fetchLabels(terms).then(function () {
        body.textContent = "";
        shown.forEach(function (row) {
          var tr = el("tr");
          vars.forEach(function (v) { tr.appendChild(cell(row[v], v)); });
          body.appendChild(tr);
        });
        parts.range.textContent = rangeText(start, start + shown.length);
        parts.at.textContent = "Page " + count(state.page + 1) + " of " + count(pages());
        parts.first.disabled = parts.prev.disabled = state.page === 0;
        parts.next.disabled = parts.last.disabled = state.page >= pages() - 1;
        parts.nav.hidden = pages() === 1;
        container.setAttribute("data-page", String(state.page + 1));
        container.removeAttribute("aria-busy");
      });
    }

    function goTo(page) {
      state.page = Math.max(0, Math.min(page, pages() - 1));
      return drawPage();
    }

    /* state.order: the sorted rows a cell of which holds the filter's words */
    function keep() {
      var needle = state.filter.toLowerCase();
      state.order = !needle ? state.sorted.slice() : state.sorted.filter(function (i) {
        return vars.some(function (v) { return words(rows[i][v]).toLowerCase().indexOf(needle) >= 0; });
      });
    }

    function everyIri() {
      var terms = [];
      rows.forEach(function (row) { vars.forEach(function (v) { terms.push(row[v]); }); });
      return terms;
    }

    function sortBy(v) {
      var dir = state.sortVar === v ? (state.dir === 1 ? -1 : state.dir === -1 ? 0 : 1) : 1;
      var column = rows.map(function (row) { return row[v]; });
      container.setAttribute("aria-busy", "true");
      return fetchLabels(dir ? column : []).then(function () {
        state.sortVar = dir ? v : null;
        state.dir = dir;
        state.sorted = dir ? sortedOrder(rows, v, dir) : allIndexes(rows);
        keep();
        return goTo(0);
      }).then(function () {  /* said once the sorted page is drawn */
        headRow.querySelectorAll("th").forEach(function (th) {
          var on = th.getAttribute("data-var") === state.sortVar;
          th.setAttribute("aria-sort", !on ? "none" : dir === 1 ? "ascending" : "descending");
        });
      });
    }

    function filterBy(text) {
      var wanted = text.trim();
      container.setAttribute("aria-busy", "true");
      return fetchLabels(wanted ? everyIri() : []).then(function () {
        if (parts.filter.value.trim() !== wanted) { return null; } /* typed on meanwhile */
        state.filter = wanted;
        keep();
        return goTo(0);
      });
    }

    var typing = null;
    parts.filter.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(function () { filterBy(parts.filter.value); }, FILTER_DELAY);
    });
    parts.first.addEventListener("click", function () { goTo(0); });
    parts.prev.addEventListener("click", function () { goTo(state.page - 1); });
    parts.next.addEventListener("click", function () { goTo(state.page + 1); });
    parts.last.addEventListener("click", function () { goTo(pages() - 1); });
    parts.size.addEventListener("change", function () {
      var first = state.page * state.size;
      state.size = parseInt(parts.size.value, 10) || DEFAULT_SIZE;
      goTo(Math.floor(first / state.size));
    });

    var ready = drawPage();
    return {
      ready: ready,
      goTo: goTo,
      sortBy: sortBy,
      filterBy: filterBy,
      setTotal: function (n) { state.total = n; return drawPage(); }
    };
  }

  window.cakgResultsTable = { create: create, fetchLabels: fetchLabels, label: label,
                              sortedOrder: sortedOrder, count: count, el: el };
})();
