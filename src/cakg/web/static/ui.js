/* cakg browser pages: the SPARQL editor (highlighting, Run, Ctrl+Enter, share link), result
   tables with labels and links, and the saved-query gallery. Written for cakg; no dependencies.
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

  /* ------------------------------------------------------------ highlighter */

  var KEYWORDS = ("select construct describe ask where from named prefix base distinct reduced " +
    "optional union minus filter bind values graph service as order by asc desc limit offset " +
    "group having not exists in a true false undef silent count sum min max avg sample " +
    "group_concat separator str lang langmatches datatype bound iri uri bnode rand abs ceil " +
    "floor round concat strlen ucase lcase encode_for_uri contains strstarts strends strbefore " +
    "strafter year month day hours minutes seconds timezone tz now uuid struuid md5 sha1 sha256 " +
    "sha384 sha512 coalesce if strlang strdt sameterm isiri isuri isblank isliteral isnumeric " +
    "regex substr replace load clear drop create add move copy insert delete data with using " +
    "default all").split(" ");
  var KEYWORD_SET = new Set(KEYWORDS);
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                        // 1 comment
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)" +
      "|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                         // 3 IRI
    "([?$][A-Za-z0-9_\\u00C0-\\uFFFF]+)",                // 4 variable
    "((?:[A-Za-z][\\w.-]*)?:(?:[\\w\\-/.%]|\\\\.)*)",     // 5 prefixed name
    "(@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\\^\\^)",             // 6 language tag, datatype mark
    "([+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+))",  // 7 number
    "([A-Za-z_][A-Za-z0-9_]*)"                            // 8 word
  ].join("|"), "g");
  var CLASSES = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname",
    "tok-lang", "tok-number", "tok-keyword"];

  function escapeHtml(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /* SPARQL text as HTML with <span class="tok-..."> around each token (line MARK, if given,
     wrapped in <mark class="error-line">). */
  function highlight(text, mark) {
    var out = "";
    var last = 0;
    TOKEN.lastIndex = 0;
    var m;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, m.index));
      var kind = 1;
      while (kind < CLASSES.length && m[kind] === undefined) { kind++; }
      var cls = CLASSES[kind];
      if (kind === 8) { cls = KEYWORD_SET.has(m[0].toLowerCase()) ? "tok-keyword" : null; }
      out += cls ? '<span class="' + cls + '">' + escapeHtml(m[0]) + "</span>" : escapeHtml(m[0]);
      last = TOKEN.lastIndex;
    }
    out += escapeHtml(text.slice(last));
    if (mark) {
      var lines = out.split("\n");
      if (mark <= lines.length) {
        lines[mark - 1] = '<mark class="error-line">' + (lines[mark - 1] || " ") + "</mark>";
      }
      out = lines.join("\n");
    }
    return out + "\n";
  }

  function attachEditor(textarea, onRun) {
    var box = textarea.closest("[data-editor]");
    var code = box.querySelector(".editor-highlight code");
    var pre = box.querySelector(".editor-highlight");
    var state = { mark: 0 };
    function paint() { code.innerHTML = highlight(textarea.value, state.mark); sync(); }
    function sync() {
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
    }
    box.classList.add("highlighting");
    textarea.addEventListener("input", function () { state.mark = 0; paint(); });
    textarea.addEventListener("scroll", sync);
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); onRun(); }
    });
    paint();
    return {
      mark: function (line) { state.mark = line || 0; paint(); },
      set: function (text) { textarea.value = text; state.mark = 0; paint(); }
    };
  }

  /* -------------------------------------------------------------- query page */

  function errorPosition(message) {
    var m = /line (\d+)(?:,? column (\d+))?/i.exec(message);
    return m ? { line: parseInt(m[1], 10), column: m[2] ? parseInt(m[2], 10) : 1 } : null;
  }

  function offsetOf(text, line, column) {
    var lines = text.split("\n");
    var offset = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i++) { offset += lines[i].length + 1; }
    return Math.min(text.length, offset + Math.max(0, column - 1));
  }

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

  function shareUrl(text) {
    return location.origin + ROOT + "sparql?" + new URLSearchParams({ qtext: text }).toString();
  }

  function initQueryPage(form) {
    var textarea = form.querySelector("#query");
    var errorBox = document.getElementById("query-error");
    var results = document.getElementById("results");
    var status = document.getElementById("status");
    var downloads = document.getElementById("downloads");
    var body = document.getElementById("result-body");
    var share = document.getElementById("share-link");
    var running = false;
    var editor = attachEditor(textarea, run);

    function showError(message) {
      var pos = errorPosition(message);
      errorBox.textContent = "";
      errorBox.appendChild(el("strong", {}, pos
        ? "Error at line " + pos.line + ", column " + pos.column : "Error"));
      errorBox.appendChild(el("p", {}, message.trim()));
      if (pos) {
        var go = el("button", { type: "button" }, "Go to line " + pos.line);
        go.addEventListener("click", function () {
          var at = offsetOf(textarea.value, pos.line, pos.column);
          textarea.focus();
          textarea.setSelectionRange(at, at);
        });
        errorBox.appendChild(go);
      }
      errorBox.hidden = false;
      errorBox.parentNode.classList.add("has-error");
      editor.mark(pos ? pos.line : 0);
    }

    function run() {
      if (running) { return; }
      var text = textarea.value;
      running = true;
      form.setAttribute("aria-busy", "true");
      errorBox.hidden = true;
      errorBox.parentNode.classList.remove("has-error");
      editor.mark(0);
      results.hidden = false;
      status.textContent = "Running…";
      share.value = shareUrl(text);
      try {
        history.replaceState(null, "", ROOT + "sparql?" + new URLSearchParams({ qtext: text }));
      } catch (e) { /* a URL too long for the history: the share field still has it */ }
      var started = performance.now();
      var truncated = false;
      fetch(ROOT + "sparql", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, application/n-triples;q=0.9"
        },
        body: new URLSearchParams({ query: text })
      }).then(function (r) {
        truncated = r.headers.get("X-Result-Truncated") === "true";
        var type = r.headers.get("Content-Type") || "";
        return r.text().then(function (t) { return { ok: r.ok, status: r.status, type: type, text: t }; });
      }).then(function (r) {
        var ms = Math.round(performance.now() - started);
        if (!r.ok) {
          status.textContent = "The query failed (HTTP " + r.status + ") after " + ms + " ms.";
          body.textContent = "";
          downloads.textContent = "";
          showError(r.text || "HTTP " + r.status);
          return null;
        }
        var vars, rows, kind;
        if (r.type.indexOf("json") >= 0) {
          var data = JSON.parse(r.text);
          if (typeof data.boolean === "boolean") {
            kind = "boolean";
            body.textContent = "";
            body.appendChild(el("p", { "class": "answer" }, "Answer: " + (data.boolean ? "yes" : "no")));
            status.textContent = "ASK answered in " + ms + " ms.";
            downloadLinks(downloads, text, kind);
            return null;
          }
          vars = data.head.vars; rows = data.results.bindings; kind = "rows";
        } else {
          vars = ["subject", "predicate", "object"]; rows = parseNTriples(r.text); kind = "graph";
        }
        status.textContent = rows.length + (rows.length === 1 ? " row" : " rows") +
          (kind === "graph" ? " (triples)" : "") + " in " + ms + " ms" +
          (truncated ? ", cut off at the server's row limit" : "") + ".";
        downloadLinks(downloads, text, kind);
        return fetchTerms(rows).then(function () {
          body.textContent = "";
          renderTable(body, vars, rows);
        });
      }).catch(function (e) {
        status.textContent = "The server could not be reached: " + e.message;
      }).then(function () {
        running = false;
        form.removeAttribute("aria-busy");
      });
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    document.getElementById("copy-share").addEventListener("click", function () {
      share.value = share.value || shareUrl(textarea.value);
      share.select();
      if (navigator.clipboard) { navigator.clipboard.writeText(share.value).catch(function () {}); }
    });
    share.value = shareUrl(textarea.value);

    var hash = location.hash;
    if (hash.indexOf("#query=") === 0) {
      editor.set(decodeURIComponent(hash.slice(7).replace(/\+/g, " ")));
      run();
    } else if (form.getAttribute("data-shared") === "true") {
      run();
    }
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

  window.cakgUi = { highlight: highlight, parseNTriples: parseNTriples, shorten: shorten,
                    localHref: localHref, errorPosition: errorPosition };

  function start() {
    var queryForm = document.getElementById("query-form");
    if (queryForm) { initQueryPage(queryForm); }
    document.querySelectorAll("form[data-saved-form]").forEach(initGallery);
    runFromAddress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
