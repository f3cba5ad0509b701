/* cakg's SPARQL editor (the /sparql page): CodeMirror 6 (static/vendor/codemirror, global CM)
   with SPARQL highlighting; completion of keywords, the project's prefixes, the ontology's
   classes and properties (GET /ui/editor/vocabulary), entities (GET /search) and the query's
   variables, on Ctrl+Space and while typing; the PREFIX line of a project prefix added as soon
   as a prefixed name uses it; problems (POST /ui/editor/problems) marked at their exact columns
   and said in one sentence beside the editor, with a button for a fix; the saved queries as an
   Examples menu; Run (Ctrl+Enter) and a share link. The answer is shown by the results panel
   (static/results.js, window.cakgResults.show).
   Without JavaScript the textarea and the form (posting to /sparql) work as they are. */
(function () {
  "use strict";

  var CM = window.CM;

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }

  var ROOT = meta("cakg-root") || "/";
  var PREFIXES = {};
  try { PREFIXES = JSON.parse(meta("cakg-prefixes") || "{}"); } catch (e) { PREFIXES = {}; }

  var KEYWORDS = ("SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED PREFIX BASE DISTINCT REDUCED " +
    "OPTIONAL UNION MINUS FILTER BIND VALUES GRAPH AS ORDER BY ASC DESC LIMIT OFFSET GROUP " +
    "HAVING NOT EXISTS IN UNDEF true false COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR " +
    "STR LANG LANGMATCHES DATATYPE BOUND IRI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE " +
    "LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS " +
    "MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF " +
    "STRLANG STRDT sameTerm isIRI isBLANK isLITERAL isNUMERIC REGEX SUBSTR REPLACE").split(" ");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* ------------------------------------------------------------ the vocabulary */

  var vocabulary = null;
  function loadVocabulary() {
    if (!vocabulary) {
      vocabulary = fetch(ROOT + "ui/editor/vocabulary", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { terms: [], examples: [] }; })
        .catch(function () { return { terms: [], examples: [] }; });
    }
    return vocabulary;
  }

  /* ------------------------------------------------- reading the query's text */

  /* The code's tokens that matter here: IRIs, strings and comments (skipped), prefixed names
     (with the token before, to tell a declaration from a use), variables. */
  var SCAN = /(<[^<>"{}|^`\\\s]*>)|("""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)|(#[^\n]*)|([?$][A-Za-z0-9_\u00C0-\uFFFF]+)|((?:[A-Za-z][\w.-]*)?:)|([A-Za-z_]\w*)/g;

  function scan(text) {
    var out = { declared: {}, used: [], vars: [], lastDeclEnd: -1, firstCode: -1 };
    var previous = "";
    var m;
    SCAN.lastIndex = 0;
    while ((m = SCAN.exec(text)) !== null) {
      if (m[0] === "") { SCAN.lastIndex++; continue; }
      if (m[3]) { continue; }
      if (out.firstCode < 0) { out.firstCode = m.index; }
      if (m[1]) {
        if (/^PREFIX$/i.test(previous.split(" ")[0]) && previous.indexOf(" ") > 0) {
          out.lastDeclEnd = m.index + m[0].length;
        } else if (/^BASE$/i.test(previous)) { out.lastDeclEnd = m.index + m[0].length; }
        previous = "iri";
        continue;
      }
      if (m[5]) {
        var prefix = m[5].slice(0, -1);
        if (/^PREFIX$/i.test(previous)) {
          out.declared[prefix] = true;
          previous = "PREFIX " + prefix;
          continue;
        }
        out.used.push(prefix);
      }
      if (m[4]) { out.vars.push(m[4].slice(1)); }
      previous = m[6] || "";
    }
    return out;
  }

  /* The change that declares every project prefix TEXT uses but does not declare, or null:
     after the last PREFIX (or BASE) declaration, else before the first line of code. */
  function prefixChange(text) {
    var found = scan(text);
    var missing = [];
    found.used.forEach(function (p) {
      if (PREFIXES[p] && !found.declared[p] && missing.indexOf(p) < 0) { missing.push(p); }
    });
    if (!missing.length) { return null; }
    var lines = missing.map(function (p) { return "PREFIX " + p + ": <" + PREFIXES[p] + ">"; });
    if (found.lastDeclEnd >= 0) {
      return { from: found.lastDeclEnd, insert: "\n" + lines.join("\n") };
    }
    var at = found.firstCode < 0 ? text.length : text.lastIndexOf("\n", found.firstCode - 1) + 1;
    return { from: at, insert: lines.join("\n") + "\n" };
  }

  /* Typing or completing a prefixed name declares its prefix, in the same undo step. */
  var declarePrefixes = CM && CM.EditorState.transactionFilter.of(function (tr) {
    if (!tr.docChanged || !(tr.isUserEvent("input") || tr.isUserEvent("paste") ||
                            tr.isUserEvent("input.complete"))) { return tr; }
    var change = prefixChange(tr.newDoc.toString());
    return change ? [tr, { changes: change, sequential: true }] : tr;
  });

  /* ------------------------------------------------------------- completion */

  function termOption(term, boost) {
    return {
      label: term.prefixed,
      detail: term.label || "",
      info: term.comment || undefined,
      type: term.kind === "class" ? "class" : "property",
      boost: boost || 0
    };
  }

  function searchEntities(text, signal) {
    var params = new URLSearchParams({ q: text, format: "json", limit: "8" });
    return fetch(ROOT + "search?" + params.toString(), {
      headers: { Accept: "application/json" }, signal: signal
    }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        return (data.results || []).map(function (hit) {
          var types = (hit.types || []).map(function (t) { return t.label || t.iri; }).join(", ");
          return {
            label: hit.label || hit.iri,
            apply: "<" + hit.iri + ">",
            detail: types,
            info: hit.iri,
            type: "constant",
            boost: -1
          };
        });
      }).catch(function () { return []; });
  }

  /* Whether the end of TEXT (a line up to the cursor) is inside a comment or a string. */
  function inCommentOrString(text) {
    var m;
    var last = null;
    SCAN.lastIndex = 0;
    while ((m = SCAN.exec(text)) !== null) {
      if (m[0] === "") { SCAN.lastIndex++; continue; }
      last = m;
    }
    if (!last || last.index + last[0].length !== text.length) { return false; }
    if (last[3]) { return true; }
    var str = last[2];
    if (!str) { return false; }
    var long = str.slice(0, 3) === '"""' || str.slice(0, 3) === "'''";
    var quote = long ? str.slice(0, 3) : str[0];
    return str.length < quote.length * 2 || str.slice(-quote.length) !== quote;
  }

  function complete(context) {
    var line = context.state.doc.lineAt(context.pos);
    if (inCommentOrString(line.text.slice(0, context.pos - line.from))) { return null; }
    var variable = context.matchBefore(/[?$][\w\u00C0-\uFFFF]*/);
    if (variable) {
      var seen = {};
      scan(context.state.doc.toString()).vars.forEach(function (v) { seen[v] = true; });
      var current = variable.text.slice(1);
      var names = Object.keys(seen).filter(function (v) { return v !== current; });
      if (!names.length && !context.explicit) { return null; }
      return { from: variable.from, validFor: /^[?$][\w]*$/,
               options: names.map(function (v) { return { label: "?" + v, type: "variable" }; }) };
    }
    var word = context.matchBefore(/(?:[A-Za-z][\w.-]*)?:[\w-]*|[A-Za-z_][\w-]*/);
    if (!word || (word.from === word.to && !context.explicit)) {
      return context.explicit ? { from: context.pos, options: keywordOptions() } : null;
    }
    var before = context.state.sliceDoc(Math.max(0, word.from - 40), word.from);
    var afterA = /(?:^|[\s;{.])a\s+$/.test(before);
    var colon = word.text.indexOf(":");
    return loadVocabulary().then(function (vocab) {
      var options = [];
      if (colon >= 0) {
        var prefix = word.text.slice(0, colon + 1);
        vocab.terms.forEach(function (t) {
          if (t.prefixed.indexOf(prefix) === 0 && (!afterA || t.kind === "class")) {
            options.push(termOption(t, afterA ? 5 : 0));
          }
        });
        return { from: word.from, options: options, validFor: /^(?:[A-Za-z][\w.-]*)?:[\w-]*$/ };
      }
      if (afterA) {
        vocab.terms.forEach(function (t) { if (t.kind === "class") { options.push(termOption(t, 5)); } });
      }
      Object.keys(PREFIXES).forEach(function (p) {
        options.push({ label: p + ":", detail: PREFIXES[p], type: "namespace" });
      });
      options = options.concat(afterA ? [] : keywordOptions());
      /* entities (GET /search) on Ctrl+Space, or while typing a word no keyword starts with */
      var upper = word.text.toUpperCase();
      var keywordLike = KEYWORDS.some(function (k) { return k.toUpperCase().indexOf(upper) === 0; });
      if (word.text.length < 3 || (!context.explicit && (keywordLike || word.text.length < 4))) {
        return { from: word.from, options: options, validFor: /^\w*$/ };
      }
      return searchEntities(word.text).then(function (entities) {
        return { from: word.from, options: options.concat(entities) };
      });
    });
  }

  function keywordOptions() {
    return KEYWORDS.map(function (k) { return { label: k, type: "keyword", boost: -2 }; });
  }

  /* ------------------------------------------------------------- problems */

  /* Offset in the editor (UTF-16) of LINE:COLUMN counted in characters, both from 1. */
  function offsetAt(doc, line, column) {
    var l = doc.line(Math.max(1, Math.min(line, doc.lines)));
    var chars = Array.from(l.text).slice(0, Math.max(0, column - 1)).join("");
    return Math.min(l.to, l.from + chars.length);
  }

  function toDiagnostic(view, problem) {
    var doc = view.state.doc;
    var from = offsetAt(doc, problem.line, problem.column);
    var to = Math.max(from, offsetAt(doc, problem.endLine, problem.endColumn));
    var diagnostic = { from: from, to: to, severity: problem.severity, message: problem.message };
    if (problem.fix) {
      diagnostic.actions = [{
        name: problem.fix.label,
        apply: function (v) { applyFix(v, problem.fix); }
      }];
    }
    return diagnostic;
  }

  function applyFix(view, fix) {
    var at = offsetAt(view.state.doc, fix.line, fix.column);
    view.dispatch({ changes: { from: at, insert: fix.text }, userEvent: "fix" });
    view.focus();
  }

  /* ------------------------------------------------------------- the page */

  var THEME = CM && CM.EditorView.theme({
    "&": { minHeight: "12rem", maxHeight: "70vh", fontSize: "14px", backgroundColor: "#fbfcfd",
           borderRadius: ".3rem" },
    "&.cm-focused": { outline: "2px solid #0b5cad", outlineOffset: "1px" },
    ".cm-scroller": { fontFamily: "var(--mono, ui-monospace, monospace)", lineHeight: "1.45",
                      overflow: "auto" },
    ".cm-content": { minHeight: "12rem" },
    ".cm-completionDetail": { color: "#4b5563", fontStyle: "normal", marginLeft: ".75em" },
    ".cm-tooltip.cm-tooltip-autocomplete > ul": { maxHeight: "16em", maxWidth: "min(40em, 90vw)" },
    ".cm-diagnosticText": { whiteSpace: "normal" },
    /* CodeMirror draws lint underlines and gutter markers as data: images, which the pages'
       img-src 'self' refuses: the same signs in CSS */
    ".cm-lintRange": { backgroundImage: "none", textDecorationLine: "underline",
                       textDecorationStyle: "wavy", textDecorationSkipInk: "none",
                       textUnderlineOffset: "3px" },
    ".cm-lintRange-error": { textDecorationColor: "#d11515", backgroundColor: "#fde2e1" },
    ".cm-lintRange-warning": { textDecorationColor: "#c27c00", backgroundColor: "#fff4d6" },
    ".cm-lintRange-info, .cm-lintRange-hint": { textDecorationColor: "#666" },
    ".cm-lint-marker": { content: "normal", borderRadius: "50%", width: ".7em", height: ".7em",
                         margin: ".2em" },
    ".cm-lint-marker-error": { content: "normal", backgroundColor: "#d11515" },
    ".cm-lint-marker-warning": { content: "normal", backgroundColor: "#c27c00" },
    ".cm-lint-marker-info": { content: "normal", backgroundColor: "#666" }
  });

  function initQueryPage(form) {
    var textarea = form.querySelector("#query");
    var errorBox = document.getElementById("query-error");
    var results = document.getElementById("results");
    var status = document.getElementById("status");
    var downloads = document.getElementById("downloads");
    var body = document.getElementById("result-body");
    var share = document.getElementById("share-link");
    var running = false;
    var lastRun = { text: null, error: null };
    var checking = null;
    var timer = 0;

    /* The editor lives in a shadow root: CodeMirror's styles (style-mod) then go into an
       adopted stylesheet; in the document itself they would be a <style> element, which the
       pages' Content-Security-Policy refuses. */
    var host = el("div", { "class": "editor-host" });
    textarea.parentNode.insertBefore(host, textarea);
    var shadow = host.attachShadow({ mode: "open" });
    var view = new CM.EditorView({
      root: shadow,
      parent: shadow,
      state: CM.EditorState.create({
        doc: textarea.value.replace(/^\n/, ""),
        extensions: [
          CM.lineNumbers(), CM.highlightActiveLineGutter(), CM.history(), CM.drawSelection(),
          CM.indentOnInput(), CM.bracketMatching(), CM.closeBrackets(),
          CM.highlightSelectionMatches(), CM.lintGutter(),
          CM.StreamLanguage.define(CM.sparql),
          CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
          CM.autocompletion({ override: [complete], activateOnTyping: true, icons: true }),
          declarePrefixes,
          CM.Prec.highest(CM.keymap.of([
            { key: "Mod-Enter", run: function () { run(); return true; } },
            { key: "Tab", run: CM.acceptCompletion }
          ])),
          CM.keymap.of([].concat(CM.closeBracketsKeymap, CM.defaultKeymap, CM.searchKeymap,
                                 CM.historyKeymap, CM.completionKeymap, CM.lintKeymap)),
          THEME,
          CM.EditorView.contentAttributes.of({ "aria-label": "SPARQL query",
                                               "aria-multiline": "true" }),
          CM.EditorView.updateListener.of(function (update) {
            if (!update.docChanged) { return; }
            textarea.value = update.state.doc.toString();
            clearTimeout(timer);
            timer = setTimeout(check, 700);
          })
        ]
      })
    });
    textarea.hidden = true;
    textarea.style.display = "none";
    var label = form.querySelector('label[for="query"]');
    if (label) {
      label.addEventListener("click", function (e) { e.preventDefault(); view.focus(); });
    }

    function text() { return view.state.doc.toString(); }
    function setText(value) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
      lastRun = { text: null, error: null };
    }

    function showProblems(problems) {
      view.dispatch(CM.setDiagnostics(view.state, problems.map(function (p) {
        return toDiagnostic(view, p);
      })));
      errorBox.textContent = "";
      if (!problems.length) {
        errorBox.hidden = true;
        errorBox.parentNode.classList.remove("has-error");
        return;
      }
      problems.slice(0, 5).forEach(function (p) {
        var item = el("div", { "class": "problem problem-" + p.severity,
                               "data-line": p.line, "data-column": p.column });
        item.appendChild(el("strong", {}, (p.severity === "error" ? "Error" : "Warning") +
          " at line " + p.line + ", column " + p.column));
        item.appendChild(el("p", { "class": "problem-message" }, p.message));
        var go = el("button", { type: "button" }, "Go to line " + p.line);
        go.addEventListener("click", function () {
          var at = offsetAt(view.state.doc, p.line, p.column);
          view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
          view.focus();
        });
        item.appendChild(go);
        if (p.fix) {
          var fix = el("button", { type: "button", "class": "problem-fix" }, p.fix.label);
          fix.addEventListener("click", function () { applyFix(view, p.fix); });
          item.appendChild(fix);
        }
        errorBox.appendChild(item);
      });
      if (lastRun.error && lastRun.text === text()) {
        var raw = el("details", { "class": "engine-message" });
        raw.appendChild(el("summary", {}, "The engine's message"));
        raw.appendChild(el("pre", {}, lastRun.error.trim()));
        errorBox.appendChild(raw);
      }
      errorBox.hidden = false;
      errorBox.parentNode.classList.add("has-error");
    }

    /* Ask the server what is wrong: the engine's error of the last run (when the text is the
       one that ran), undeclared prefixes, the ontology lint. */
    function check() {
      var current = text();
      if (!current.trim()) { showProblems([]); return Promise.resolve([]); }
      var error = lastRun.text === current ? lastRun.error : null;
      var request = fetch(ROOT + "ui/editor/problems", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ query: current, error: error })
      }).then(function (r) { return r.ok ? r.json() : { problems: [] }; })
        .then(function (data) {
          if (checking !== request || text() !== current) { return []; }
          var problems = data.problems || [];
          if (error && !problems.some(function (p) { return p.severity === "error"; })) {
            problems = [{ severity: "error", message: error.trim(), line: 1, column: 1,
                          endLine: 1, endColumn: 1, fix: null }].concat(problems);
          }
          showProblems(problems);
          return problems;
        }).catch(function () { return []; });
      checking = request;
      return request;
    }

    function shareUrl(value) {
      return location.origin + ROOT + "sparql?" + new URLSearchParams({ qtext: value }).toString();
    }

    function run() {
      if (running) { return; }
      var value = text();
      running = true;
      form.setAttribute("aria-busy", "true");
      results.hidden = false;
      share.value = shareUrl(value);
      try {
        history.replaceState(null, "", ROOT + "sparql?" + new URLSearchParams({ qtext: value }));
      } catch (e) { /* a URL too long for the history: the share field still has it */ }
      var done = function (error) {
        lastRun = { text: value, error: error || null };
        running = false;
        form.removeAttribute("aria-busy");
        return check();
      };
      /* the results panel (static/results.js) runs it and shows the answer; it resolves to
         {ok, status, message} (stale: a later run took over) */
      window.cakgResults.show(body, { query: value, status: status, downloads: downloads })
        .then(function (r) {
          if (r && r.stale) { return null; }
          return done(r && !r.ok && r.status ? r.message : null);
        }, function (e) { return done(null); });
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    document.getElementById("copy-share").addEventListener("click", function () {
      share.value = share.value || shareUrl(text());
      share.select();
      if (navigator.clipboard) { navigator.clipboard.writeText(share.value).catch(function () {}); }
    });
    share.value = shareUrl(text());

    /* the Examples menu: a saved query's text into the editor (the link opens it without JS) */
    var menu = document.getElementById("examples");
    if (menu) {
      /* closes as a menu does: Escape, or a click elsewhere */
      menu.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
      document.addEventListener("click", function (e) {
        if (menu.open && !menu.contains(e.target)) { menu.open = false; }
      });
      menu.addEventListener("click", function (e) {
        var link = e.target.closest && e.target.closest("a[data-example]");
        if (!link) { return; }
        e.preventDefault();
        var name = link.getAttribute("data-example");
        loadVocabulary().then(function (vocab) {
          var found = (vocab.examples || []).filter(function (x) { return x.name === name; })[0];
          if (!found) { location.href = link.href; return; }
          setText(found.text);
          menu.open = false;
          results.hidden = true;
          showProblems([]);
          history.replaceState(null, "", ROOT + "sparql?" + new URLSearchParams({ example: name }));
          view.focus();
        });
      });
    }

    window.cakgEditor = { view: view, get: text, set: setText, run: run, check: check };
    loadVocabulary();
    var hash = location.hash;
    if (hash.indexOf("#query=") === 0) {
      setText(decodeURIComponent(hash.slice(7).replace(/\+/g, " ")));
      run();
    } else if (form.getAttribute("data-shared") === "true") {
      run();
    }
  }

  window.cakgEditorText = { scan: scan, prefixChange: prefixChange,
                            inCommentOrString: inCommentOrString };

  function start() {
    var form = document.getElementById("query-form");
    if (form && CM) { initQueryPage(form); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
