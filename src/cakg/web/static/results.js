/* The query editor's results panel: window.cakgResults.show(container, {query, status,
   downloads}) runs QUERY through /sparql and shows its answer in CONTAINER:

   - the status (the exact total: when /sparql cut the answer at its row limit, the whole
     answer's size comes from POST /ui/results/count, counted by a query worker);
   - download links in every format the answer has;
   - tabs (a tablist, as YASR's and the Wikidata Query Service's view chooser): the table
     (static/results-table.js: pages, typed sort, labels), then each view the answer fits,
     inferred and drawn by the server (POST /ui/results/views: cakg.views.infer and the
     gallery's own cakg.views) and embedded by static/views.js; Turtle for a graph answer.

   A graph answer comes as N-Triples (read by static/ntriples.js). It resolves to {ok, status,
   message}: the editor shows a failed query's message itself. */
(function () {
  "use strict";

  var T = function () { return window.cakgResultsTable; };
  var runs = 0;
  var chosen = "table"; // the view last chosen: chosen again when the next answer offers it

  function root() {
    var m = document.querySelector('meta[name="cakg-root"]');
    return (m && m.getAttribute("content")) || "/";
  }

  function el(tag, attrs, text) { return T().el(tag, attrs, text); }

  /* POST QUERY (a string, or the form's fields) to PATH */
  function post(path, query, accept) {
    return fetch(root() + path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: new URLSearchParams(typeof query === "string" ? { query: query } : query)
    });
  }

  /* ------------------------------------------------------------- downloads */

  var FORMATS = {
    graph: [["turtle", "Turtle", "ttl"], ["nt", "N-Triples", "nt"], ["jsonld", "JSON-LD", "jsonld"],
            ["rdfxml", "RDF/XML", "rdf"]],
    "boolean": [["json", "JSON", "json"], ["xml", "XML", "srx"]],
    rows: [["csv", "CSV", "csv"], ["json", "JSON", "json"], ["tsv", "TSV", "tsv"],
           ["xml", "XML", "srx"]]
  };

  function downloadLinks(nav, text, kind) {
    nav.textContent = "";
    nav.appendChild(document.createTextNode("Download: "));
    FORMATS[kind].forEach(function (f, i) {
      if (i) { nav.appendChild(document.createTextNode(" · ")); }
      var params = new URLSearchParams({ query: text, format: f[0] });
      nav.appendChild(el("a", { href: root() + "sparql?" + params.toString(),
                                download: "cakg-results." + f[2] }, f[1]));
    });
  }

  /* ------------------------------------------------------------------ tabs */

  /* A tablist in CONTAINER; add(name, label, draw) adds a tab whose panel DRAW fills the
     first time it is chosen. */
  function tabs(container) {
    var list = el("div", { "class": "results-tabs", role: "tablist",
                           "aria-label": "Views of the answer" });
    var note = el("p", { "class": "results-views-note", hidden: "" });
    container.appendChild(list);
    container.appendChild(note);
    var all = [];

    function choose(tab) {
      all.forEach(function (t) {
        var on = t === tab;
        t.button.setAttribute("aria-selected", on ? "true" : "false");
        t.button.tabIndex = on ? 0 : -1;
        t.panel.hidden = !on;
        if (on && !t.drawn) { t.drawn = true; t.draw(t.panel); }
      });
    }

    list.addEventListener("keydown", function (e) {
      var at = all.findIndex(function (t) { return t.button === document.activeElement; });
      if (at < 0 || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) { return; }
      var next = all[(at + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
      chosen = next.button.getAttribute("data-view");
      choose(next);
      next.button.focus();
      e.preventDefault();
    });

    return {
      note: note,
      /* TRAILING tabs (Turtle) stay after the views added later */
      add: function (name, label, draw, trailing) {
        var button = el("button", { type: "button", role: "tab", id: "results-tab-" + name,
                                    "aria-controls": "results-panel-" + name,
                                    "data-view": name }, label);
        var panel = el("div", { role: "tabpanel", id: "results-panel-" + name,
                                "aria-labelledby": button.id, "class": "results-panel" });
        var tab = { button: button, panel: panel, draw: draw, drawn: false, trailing: trailing };
        var after = all.filter(function (t) { return t.trailing; })[0];
        if (after && !trailing) {
          all.splice(all.indexOf(after), 0, tab);
          list.insertBefore(button, after.button);
        } else {
          all.push(tab);
          list.appendChild(button);
        }
        container.appendChild(panel);
        button.addEventListener("click", function () { chosen = name; choose(tab); });
        if (all.length === 1 || name === chosen) { choose(tab); }
        else { button.tabIndex = -1; panel.hidden = true; }
        return tab;
      }
    };
  }

  /* ----------------------------------------------------------------- views */

  /* A view the server drew (cakg.views): the figure views.js draws from its specification,
     and under it the form that changes what it draws (static/results-settings.js; CTX: the
     query and the answer's variables). */
  function drawView(panel, view, ctx) {
    var figure = el("figure", { "class": "view view-" + view.kind });
    var canvas = el("div", { "class": "view-canvas", id: "results-view-" + view.kind,
                             role: "img", "aria-label": view.caption || view.label });
    var spec = el("script", { type: "application/json", "class": "view-spec",
                              "data-target": canvas.id, "data-name": "cakg-" + view.kind });
    spec.textContent = JSON.stringify(view.spec);
    var words = (view.caption || "").trim();
    var caption = el("figcaption", {}, words ? words + (/[.!?]$/.test(words) ? " " : ". ") : "");
    (view.notes || []).forEach(function (n) {
      caption.appendChild(el("span", { "class": "view-note" }, n));
      caption.appendChild(document.createTextNode(" "));
    });
    figure.appendChild(canvas);
    figure.appendChild(spec);
    figure.appendChild(caption);
    panel.appendChild(figure);
    var change = window.cakgResultsSettings && window.cakgResultsSettings.settings(
      view.view, ctx.vars, function (declared) { return redraw(panel, declared, ctx); });
    if (change) { panel.appendChild(change); }
    return window.cakgViews ? window.cakgViews.drawAll(panel) : null;
  }

  /* Draw DECLARED (the reader's choice of columns) in PANEL instead; resolves to the reason
     when it cannot be drawn, else to null. */
  function redraw(panel, declared, ctx) {
    var fields = { query: ctx.query, view: JSON.stringify(declared) };
    return post("ui/results/views", fields, "application/json").then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (r) {
      if (!r.ok) { return r.data.message || "The view could not be drawn."; }
      var view = r.data.views[0];
      if (!view) { return r.data.note || "There is nothing to draw."; }
      forgetViews();
      panel.textContent = "";
      drawView(panel, view, ctx);
      var box = panel.querySelector(".view-settings");
      if (box) { box.open = true; }
      return null;
    }, function (e) { return "The server could not be reached: " + e.message; });
  }

  function drawTurtle(panel, query) {
    panel.setAttribute("aria-busy", "true");
    return post("sparql", query, "text/turtle").then(function (r) {
      return r.text().then(function (text) { return { ok: r.ok, text: text }; });
    }).then(function (r) {
      var pre = el("pre", { "class": "results-turtle", tabindex: "0" });
      pre.appendChild(el("code", {}, r.ok ? r.text : "The Turtle could not be had: " + r.text));
      panel.appendChild(pre);
    }, function (e) {
      panel.appendChild(el("p", {}, "The Turtle could not be had: " + e.message));
    }).then(function () { panel.removeAttribute("aria-busy"); });
  }

  /* RUN: the run asking; an answer for a run that is no longer the last is dropped */
  function offerViews(container, bar, query, run, vars) {
    container.setAttribute("data-views", "pending");
    return post("ui/results/views", query, "application/json").then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (r) {
      if (run !== runs) { return; }
      if (!r.ok) {
        bar.note.textContent = "No views: " + (r.data.message || "the server could not draw them.");
        bar.note.hidden = false;
        return;
      }
      r.data.views.forEach(function (view) {
        bar.add(view.kind, view.label, function (panel) {
          drawView(panel, view, { query: query, vars: vars });
        });
      });
      if (r.data.note) { bar.note.textContent = r.data.note; bar.note.hidden = false; }
    }, function () { /* no views: the table stands */ }).then(function () {
      if (run === runs) { container.setAttribute("data-views", "ready"); }
    });
  }

  /* Stop the views of the last answer (a graph's force layout runs on until finalized). */
  function forgetViews() {
    var drawn = window.cakgViews ? window.cakgViews.drawn : {};
    Object.keys(drawn).forEach(function (id) {
      if (id.indexOf("results-view-") !== 0) { return; }
      if (drawn[id] && drawn[id].finalize) { drawn[id].finalize(); }
      delete drawn[id];
    });
  }

  /* ------------------------------------------------------------------- show */

  function statusText(total, noun, ms, truncated, limit, counted) {
    var words = T().count(total) + " " + noun + (total === 1 ? "" : "s");
    var text = words + " in " + ms + " ms";
    if (!truncated) { return text + "."; }
    if (counted === null) {
      return "More than " + T().count(limit) + " " + noun + "s in " + ms + " ms: the server's " +
        "row limit; counting them all…";
    }
    return T().count(counted) + " " + noun + (counted === 1 ? "" : "s") + " in all; the " +
      "server sends the first " + T().count(limit) + " (its row limit), in " + ms + " ms: the " +
      "table pages and sorts those, and the downloads hold the same.";
  }

  function show(container, options) {
    var query = options.query;
    var run = ++runs;
    if (!options.status) { container.textContent = ""; }  /* the panel makes its own status */
    var status = options.status || container.appendChild(el("p", { "class": "status",
                                                                   role: "status" }));
    var downloads = options.downloads || container.appendChild(el("nav", {
      "class": "downloads", "aria-label": "Download the results" }));
    var body = options.status ? container : container.appendChild(el("div"));
    status.textContent = "Running…";
    forgetViews();
    body.textContent = "";
    body.removeAttribute("data-views");
    var started = performance.now();
    return post("sparql", query, "application/sparql-results+json, application/n-triples;q=0.9")
      .then(function (r) {
        return r.text().then(function (text) {
          return { ok: r.ok, status: r.status, type: r.headers.get("Content-Type") || "",
                   truncated: r.headers.get("X-Result-Truncated") === "true",
                   limit: parseInt(r.headers.get("X-Result-Row-Limit") || "0", 10), text: text };
        });
      }).then(function (r) {
        if (run !== runs) { return { ok: true, stale: true }; }
        var ms = Math.round(performance.now() - started);
        if (!r.ok) {
          status.textContent = "The query failed (HTTP " + r.status + ") after " + ms + " ms.";
          downloads.textContent = "";
          return { ok: false, status: r.status, message: r.text || "HTTP " + r.status };
        }
        var vars, rows, kind;
        if (r.type.indexOf("json") >= 0) {
          var data = JSON.parse(r.text);
          if (typeof data.boolean === "boolean") {
            body.appendChild(el("p", { "class": "answer" }, "Answer: " + (data.boolean ? "yes" : "no")));
            status.textContent = "ASK answered in " + ms + " ms.";
            body.setAttribute("data-views", "ready");
            downloadLinks(downloads, query, "boolean");
            return { ok: true, status: r.status };
          }
          vars = data.head.vars; rows = data.results.bindings; kind = "rows";
        } else {
          vars = ["subject", "predicate", "object"]; rows = window.cakgNTriples.parse(r.text); kind = "graph";
        }
        var noun = kind === "graph" ? "triple" : "row";
        status.textContent = statusText(rows.length, noun, ms, r.truncated, r.limit, null);
        downloadLinks(downloads, query, kind);
        var bar = tabs(body);
        var table = null;
        bar.add("table", "Table", function (panel) {
          table = T().create(panel, vars, rows, { truncated: r.truncated });
        });
        if (kind === "graph") {
          bar.add("turtle", "Turtle", function (panel) { drawTurtle(panel, query); }, true);
        }
        if (r.truncated) {
          post("ui/results/count", query, "application/json").then(function (c) {
            return c.json().then(function (data) { return { ok: c.ok, data: data }; });
          }).then(function (c) {
            if (run !== runs) { return; }
            if (!c.ok) { throw new Error(c.data.message || "the server could not count them"); }
            status.textContent = statusText(rows.length, noun, ms, true, r.limit, c.data.count);
            if (table) { table.setTotal(c.data.count); }
          }).catch(function (e) {
            if (run !== runs) { return; }
            status.textContent = "More than " + T().count(r.limit) + " " + noun + "s (the " +
              "server's row limit) in " + ms + " ms; they could not all be counted: " + e.message;
          });
        }
        if (rows.length) { offerViews(body, bar, query, run, vars); }
        else { body.setAttribute("data-views", "ready"); }  /* nothing to draw */
        return table.ready.then(function () { return { ok: true, status: r.status }; });
      }).catch(function (e) {
        status.textContent = "The server could not be reached: " + e.message;
        return { ok: false, status: 0, message: e.message };
      });
  }

  window.cakgResults = { show: show };
})();
