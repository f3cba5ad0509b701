/* cakg browser pages: result tables with labels and links (used by the SPARQL editor,
   static/editor.js), and the saved-query gallery. Written for cakg; no dependencies.
   The pages work without it: the forms post to /sparql and /queries/<name>.html. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }

  var BASE = meta("cakg-base") || "https://w3id.org/cakg/";
  var ROOT = meta("cakg-root") || "/";
  var PREFIXES = {};
  try { PREFIXES = JSON.parse(meta("cakg-prefixes") || "{}"); } catch (e) { PREFIXES = {}; }
  var BY_LENGTH = Object.keys(PREFIXES).sort(function (a, b) {
    return PREFIXES[b].length - PREFIXES[a].length;
  });

  /* ------------------------------------------------------------------ terms */

  /* Where a link to IRI goes, or null for no link: its page on this server when it is under
     the base IRI, else the IRI itself when it is http(s). Any other scheme (javascript:, data:,
     vbscript:, mailto:, urn:, ...) is shown as text, never made a link. Every link to a result
     IRI is made through here, the views' (ctx.href) too; the pages' own rule is safe_href in
     cakg/web/linked_view.py. */
  function localHref(iri) {
    if (typeof iri !== "string") { return null; }
    if (iri.indexOf(BASE) === 0) { return ROOT + iri.slice(BASE.length); }
    return /^https?:/i.test(iri) ? iri : null;
  }

  function shorten(iri) {
    for (var i = 0; i < BY_LENGTH.length; i++) {
      var ns = PREFIXES[BY_LENGTH[i]];
      if (iri.indexOf(ns) === 0) {
        var local = iri.slice(ns.length);
        if (local && !/[#\s]/.test(local)) { return BY_LENGTH[i] + ":" + local; }
      }
    }
    return "<" + iri + ">";
  }

  var termCache = new Map();
  var MAX_SHOWN = 2000; // rows drawn in a result table

  /* Labels and points of the IRIs in ROWS (SPARQL JSON bindings), from POST /ui/terms. */
  function fetchTerms(rows) {
    var wanted = new Set();
    rows.slice(0, MAX_SHOWN).forEach(function (row) {
      Object.keys(row).forEach(function (k) {
        var t = row[k];
        if (t && t.type === "uri" && !termCache.has(t.value)) { wanted.add(t.value); }
      });
    });
    var iris = Array.from(wanted).slice(0, 1000);
    if (!iris.length) { return Promise.resolve(termCache); }
    return fetch(ROOT + "ui/terms", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ iris: iris })
    }).then(function (r) { return r.ok ? r.json() : { terms: {} }; })
      .then(function (data) {
        iris.forEach(function (iri) { termCache.set(iri, (data.terms || {})[iri] || {}); });
        return termCache;
      }, function () { return termCache; });
  }

  function termLabel(t) {
    if (!t) { return ""; }
    if (t.type === "uri") {
      var known = termCache.get(t.value);
      return known && known.label ? known.label : shorten(t.value);
    }
    if (t.type === "bnode") { return "_:" + t.value; }
    return t.value;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  var NUMERIC = /#(integer|decimal|double|float|long|int|short|nonNegativeInteger|positiveInteger)$/;

  function cell(t) {
    var td = el("td");
    if (!t) { return td; }
    if (t.type === "uri") {
      var href = localHref(t.value);
      td.appendChild(href ? el("a", { href: href, title: t.value }, termLabel(t))
                          : el("span", { "class": "iri", title: t.value }, termLabel(t)));
    } else if (t.type === "bnode") {
      td.appendChild(el("span", { "class": "bnode" }, "_:" + t.value));
    } else {
      var span = el("span", { "class": "literal" }, t.value);
      if (t["xml:lang"]) { span.setAttribute("lang", t["xml:lang"]); }
      td.appendChild(span);
      if (t["xml:lang"]) { td.appendChild(el("span", { "class": "lang" }, t["xml:lang"])); }
      else if (t.datatype) {
        span.setAttribute("title", shorten(t.datatype));
        if (NUMERIC.test(t.datatype)) { td.className = "num"; }
      }
    }
    return td;
  }

  /* A table of the bindings; IRIs show their labels (fetched first) and link to their pages. */
  function renderTable(container, vars, rows) {
    var wrap = el("div", { "class": "table-wrap", tabindex: "0", role: "region",
                           "aria-label": "Result table" });
    var table = el("table", { "class": "results-table" });
    var head = el("tr");
    vars.forEach(function (v) { head.appendChild(el("th", { scope: "col" }, v)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    rows.slice(0, MAX_SHOWN).forEach(function (row) {
      var tr = el("tr");
      vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    container.appendChild(wrap);
    if (rows.length > MAX_SHOWN) {
      container.appendChild(el("p", { "class": "note" }, "The first " + MAX_SHOWN + " of " +
        rows.length + " rows are shown; the downloads hold them all."));
    }
    return wrap;
  }

  /* ------------------------------------------------------------- N-Triples */

  var NT_TERM = /\s*(<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)/y;

  function ntString(quoted) {
    var fixed = quoted.replace(/\\U([0-9A-Fa-f]{8})/g, function (m, hex) {
      return String.fromCodePoint(parseInt(hex, 16));
    });
    try { return JSON.parse(fixed); } catch (e) { return quoted.slice(1, -1); }
  }

  function ntTerm(token) {
    if (token[0] === "<") { return { type: "uri", value: token.slice(1, -1) }; }
    if (token[0] === "_") { return { type: "bnode", value: token.slice(2) }; }
    var end = token.lastIndexOf('"');
    var t = { type: "literal", value: ntString(token.slice(0, end + 1)) };
    var rest = token.slice(end + 1);
    if (rest[0] === "@") { t["xml:lang"] = rest.slice(1); }
    else if (rest.indexOf("^^") === 0) { t.datatype = rest.slice(3, -1); }
    return t;
  }

  /* N-Triples as rows {subject, predicate, object}; unreadable lines are skipped. */
  function parseNTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      if (!line.trim() || line.trim()[0] === "#") { return; }
      NT_TERM.lastIndex = 0;
      var terms = [];
      for (var i = 0; i < 3; i++) {
        var m = NT_TERM.exec(line);
        if (!m) { return; }
        terms.push(ntTerm(m[1]));
      }
      rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    });
    return rows;
  }

  /* ------------------------------------------------------ result downloads */

  function downloadLinks(nav, text, form) {
    nav.textContent = "";
    var formats = form === "graph"
      ? [["turtle", "Turtle", "ttl"], ["nt", "N-Triples", "nt"], ["jsonld", "JSON-LD", "jsonld"]]
      : form === "boolean" ? [["json", "JSON", "json"]]
        : [["csv", "CSV", "csv"], ["json", "JSON", "json"], ["tsv", "TSV", "tsv"]];
    nav.appendChild(document.createTextNode("Download: "));
    formats.forEach(function (f, i) {
      if (i) { nav.appendChild(document.createTextNode(" · ")); }
      var params = new URLSearchParams({ query: text, format: f[0] });
      nav.appendChild(el("a", { href: ROOT + "sparql?" + params.toString(),
                                download: "cakg-results." + f[2] }, f[1]));
    });
  }

  /* ----------------------------------------------------------------- gallery */

  /* Each saved query's form runs it in place: the answer is the #result part of its page,
     /queries/<name>.html (drawn by the server, cakg.views, and by views.js), so the gallery and
     that page show the same picture and table. The address bar holds the query and its
     parameters (/queries?partner=...#name), and opening such an address runs it again. */

  function galleryError(form, out, message, name) {
    out.textContent = "";
    var box = el("p", { "class": "query-error", role: "alert" }, message || "The query failed.");
    out.appendChild(box);
    var field = name && form.querySelector('[name="' + name + '"]');
    if (field) {
      box.id = field.id + "-error";
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", box.id);
      field.insertAdjacentElement("afterend", box);
    }
  }

  function formParams(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") { params.append(key, value); }
    });
    return params;
  }

  function showAnswer(section, url, remember) {
    var form = section.querySelector("form[data-saved-form]");
    var out = section.querySelector(".saved-result");
    var name = section.getAttribute("data-query");
    form.querySelectorAll("[aria-invalid]").forEach(function (f) {
      f.removeAttribute("aria-invalid");
      f.removeAttribute("aria-describedby");
    });
    form.querySelectorAll(".query-error").forEach(function (n) { n.remove(); });
    out.hidden = false;
    out.textContent = "Running…";
    section.setAttribute("aria-busy", "true");
    return fetch(url, { headers: { "Accept": "text/html" } }).then(function (r) {
      return r.text().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (r) {
      var doc = new DOMParser().parseFromString(r.body, "text/html");
      var answer = doc.getElementById("result");
      if (!r.ok || !answer) {
        var error = doc.querySelector(".query-error");
        galleryError(form, out, error && error.textContent,
                     error && error.getAttribute("data-parameter"));
        return;
      }
      answer.removeAttribute("id");
      out.textContent = "";
      out.appendChild(document.importNode(answer, true));
      if (remember) {
        var query = url.split("?")[1] || "";
        history.replaceState(null, "", location.pathname + "?" + (query || "run=" + name) + "#" + name);
      }
      return window.cakgViews && window.cakgViews.drawAll(out);
    }).catch(function (e) {
      out.textContent = "The query could not be run: " + e.message;
    }).then(function () { section.removeAttribute("aria-busy"); });
  }

  function pageUrl(name, params) {
    var query = params.toString();
    return ROOT + "queries/" + encodeURIComponent(name) + ".html" + (query ? "?" + query : "");
  }

  function initGallery(form) {
    var section = form.closest("[data-query]");
    var name = section.getAttribute("data-query");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      showAnswer(section, pageUrl(name, formParams(form)), true);
    });
    /* paging and sorting links inside an answer load in place */
    section.querySelector(".saved-result").addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("a[data-fragment]");
      if (!link) { return; }
      e.preventDefault();
      showAnswer(section, link.getAttribute("href"), true);
    });
  }

  /* /queries?partner=...#trade-turnover-by-year (or ?run=name#name): fill the form, run it */
  function runFromAddress() {
    var name = decodeURIComponent(location.hash.slice(1));
    var section = name && document.getElementById(name);
    if (!section || !section.hasAttribute("data-query") || !location.search) { return; }
    var form = section.querySelector("form[data-saved-form]");
    var params = new URLSearchParams(location.search);
    params.delete("run");
    params.forEach(function (value, key) {
      var field = form.elements.namedItem(key);
      if (field && field.tagName === "SELECT") {
        /* by value, else by its label (the query takes a label for an IRI: ?partner=Russia) */
        var options = Array.prototype.slice.call(field.options);
        var chosen = options.filter(function (o) { return o.value === value; });
        if (!chosen.length) {
          chosen = options.filter(function (o) {
            return o.textContent.trim().toLowerCase() === value.trim().toLowerCase();
          });
        }
        chosen.forEach(function (o) { o.selected = true; });
      } else if (field && "value" in field) {
        field.value = value;
      }
    });
    showAnswer(section, pageUrl(name, params), false);
  }

  /* ------------------------------------------------------------------- start */

  /* what the query editor (static/editor.js) draws results with */
  window.cakgUi = { parseNTriples: parseNTriples, shorten: shorten, localHref: localHref,
                    fetchTerms: fetchTerms, renderTable: renderTable, downloadLinks: downloadLinks };

  function start() {
    document.querySelectorAll("form[data-saved-form]").forEach(initGallery);
    runFromAddress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
