/* The results panel's table (static/results.js draws the rest): one page of rows at a time
   (25, 100 or 500 a page), with the range and the total above it, sortable by any column by a
   typed sort (numbers as numbers, dates as dates, IRIs by their labels, unbound cells last),
   IRIs shown by their labels and linked to their pages, literals with their language or
   datatype on hover. Labels come from POST /ui/terms (a page's IRIs at a time; a column's all
   when it is sorted). Links go through cakgUi.localHref (static/ui.js), the pages' one rule. */
(function () {
  "use strict";

  var PAGE_SIZES = [25, 100, 500];
  var DEFAULT_SIZE = 100;
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

  /* A table of ROWS (SPARQL JSON bindings) over VARS in CONTAINER; returns its handle:
     setTotal(n) states the whole answer's size when the rows are only its first part. */
  function create(container, vars, rows, options) {
    var state = {
      order: rows.map(function (_, i) { return i; }),
      sortVar: null, dir: 0, page: 0,
      size: (options && options.size) || DEFAULT_SIZE,
      total: rows.length, truncated: Boolean(options && options.truncated)
    };
    var top = el("div", { "class": "results-pager" });
    var range = el("p", { "class": "results-range", "aria-live": "polite" });
    var nav = el("nav", { "class": "results-pages", "aria-label": "Pages of the answer" });
    var buttons = {};
    [["first", "First"], ["prev", "Previous"], ["next", "Next"], ["last", "Last"]].forEach(
      function (b) {
        buttons[b[0]] = el("button", { type: "button", "data-page": b[0] }, b[1]);
        nav.appendChild(buttons[b[0]]);
        if (b[0] === "prev") {
          buttons.at = el("span", { "class": "results-page-at" });
          nav.appendChild(buttons.at);
        }
      });
    var sizeLabel = el("label", { "class": "results-size" }, "Rows per page ");
    var sizeSelect = el("select", { "aria-label": "Rows per page" });
    PAGE_SIZES.forEach(function (n) {
      var option = el("option", { value: String(n) }, String(n));
      if (n === state.size) { option.selected = true; }
      sizeSelect.appendChild(option);
    });
    sizeLabel.appendChild(sizeSelect);
    top.appendChild(range);
    top.appendChild(nav);
    top.appendChild(sizeLabel);

    var wrap = el("div", { "class": "table-wrap", tabindex: "0", role: "region",
                           "aria-label": "Result table" });
    var table = el("table", { "class": "answer-table results-table" });
    var headRow = el("tr");
    vars.forEach(function (v) {
      var th = el("th", { scope: "col", "aria-sort": "none", "data-var": v });
      /* the header's aria-sort says how it is sorted; the button's title what a click does */
      var button = el("button", { type: "button", "class": "sort",
                                  title: "Sort by " + v + " (again: reverse; a third time: the answer's order)" }, v);
      button.addEventListener("click", function () { sortBy(v); });
      th.appendChild(button);
      headRow.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(headRow);
    var body = el("tbody");
    table.appendChild(body);
    wrap.appendChild(table);
    container.appendChild(top);
    container.appendChild(wrap);

    function pages() { return Math.max(1, Math.ceil(rows.length / state.size)); }

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
        var end = Math.min(start + state.size, rows.length);
        var text = "Rows " + count(start + 1) + "–" + count(end) + " of ";
        text += state.truncated
          ? "the first " + count(rows.length) + " (" + count(state.total) + " in all)"
          : count(rows.length);
        range.textContent = rows.length ? text + "." : "No rows.";
        buttons.at.textContent = "Page " + count(state.page + 1) + " of " + count(pages());
        buttons.first.disabled = buttons.prev.disabled = state.page === 0;
        buttons.next.disabled = buttons.last.disabled = state.page >= pages() - 1;
        nav.hidden = pages() === 1;
        container.setAttribute("data-page", String(state.page + 1));
        container.removeAttribute("aria-busy");
      });
    }

    function goTo(page) {
      state.page = Math.max(0, Math.min(page, pages() - 1));
      return drawPage();
    }

    function sortBy(v) {
      var dir = state.sortVar === v ? (state.dir === 1 ? -1 : state.dir === -1 ? 0 : 1) : 1;
      var column = rows.map(function (row) { return row[v]; });
      container.setAttribute("aria-busy", "true");
      return fetchLabels(dir ? column : []).then(function () {
        state.sortVar = dir ? v : null;
        state.dir = dir;
        state.order = dir ? sortedOrder(rows, v, dir)
          : rows.map(function (_, i) { return i; });
        return goTo(0);
      }).then(function () {  /* said once the sorted page is drawn */
        headRow.querySelectorAll("th").forEach(function (th) {
          var on = th.getAttribute("data-var") === state.sortVar;
          th.setAttribute("aria-sort", !on ? "none" : dir === 1 ? "ascending" : "descending");
        });
      });
    }

    buttons.first.addEventListener("click", function () { goTo(0); });
    buttons.prev.addEventListener("click", function () { goTo(state.page - 1); });
    buttons.next.addEventListener("click", function () { goTo(state.page + 1); });
    buttons.last.addEventListener("click", function () { goTo(pages() - 1); });
    sizeSelect.addEventListener("change", function () {
      var first = state.page * state.size;
      state.size = parseInt(sizeSelect.value, 10) || DEFAULT_SIZE;
      goTo(Math.floor(first / state.size));
    });

    var ready = drawPage();
    return {
      ready: ready,
      goTo: goTo,
      sortBy: sortBy,
      setTotal: function (n) { state.total = n; return drawPage(); }
    };
  }

  window.cakgResultsTable = { create: create, fetchLabels: fetchLabels, label: label,
                              sortedOrder: sortedOrder, count: count, el: el };
})();
