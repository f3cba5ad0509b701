/* cakg browser pages: the SPARQL editor (highlighting, Run, Ctrl+Enter, share link; its
   answers are shown by static/results.js) and the saved-query gallery. Written for cakg; no
   dependencies.
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

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
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
      /* the results panel (static/results.js) runs it and shows the answer */
      window.cakgResults.show(body, { query: text, status: status, downloads: downloads })
        .then(function (r) {
          if (!r.ok && r.status) { showError(r.message); }
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

  window.cakgUi = { highlight: highlight, shorten: shorten, localHref: localHref,
                    errorPosition: errorPosition };

  function start() {
    var queryForm = document.getElementById("query-form");
    if (queryForm) { initQueryPage(queryForm); }
    document.querySelectorAll("form[data-saved-form]").forEach(initGallery);
    runFromAddress();
  }

  /* Deferred scripts run before DOMContentLoaded, in order: waiting for it lets the scripts
     after this one (results.js, which a shared query's run needs at once) load first. */
  if (document.readyState !== "complete") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
