/* The neighbourhood graph of a resource page: a click on a node adds that node's own neighbours
   (GET <data-source>?iri=...&iri=..., bp "neighbourhood": the graph of every node expanded so
   far, drawn by the same Vega view), keeping the nodes already drawn where they are; a click on a
   node already expanded opens its page. Runs after static/views.js has drawn the first graph. */
(function () {
  "use strict";

  var TARGET = "resource-graph";

  function nodeData(spec) {
    return spec.data.filter(function (d) { return d.name === "node-data"; })[0];
  }

  function setup(result) {
    var target = document.getElementById(TARGET);
    var status = document.getElementById("graph-status");
    var meta = (result.spec.usermeta || {}).cakg || {};
    var expanded = (meta.expanded || []).slice();
    var busy = false;

    function say(text) { if (status) { status.textContent = text; } }

    function positions(view) {
      var at = {};
      view.data("node-data").forEach(function (n) { at[n.iri] = { x: n.x, y: n.y }; });
      return at;
    }

    function redraw(spec, view, from) {
      var at = positions(view);
      var origin = at[from] || null;
      nodeData(spec).values.forEach(function (n) {
        var p = at[n.iri] || origin;
        if (p) { n.x = p.x + (at[n.iri] ? 0 : Math.random() * 20 - 10); n.y = p.y + (at[n.iri] ? 0 : Math.random() * 20 - 10); }
      });
      var script = document.querySelector('script.view-spec[data-target="' + TARGET + '"]');
      script.textContent = JSON.stringify(spec);
      result.view.finalize();
      target.removeAttribute("data-drawn");
      var next = target.nextElementSibling;
      if (next && next.classList.contains("view-export")) { next.remove(); }
      target.textContent = "";
      return window.cakgViews.drawAll(document).then(function () {
        var drawn = window.cakgViews.drawn[TARGET];
        if (drawn) { result = drawn; listen(drawn.view); }
      });
    }

    function expand(iri, view) {
      if (busy) { return; }
      busy = true;
      var wanted = expanded.concat([iri]);
      var query = wanted.map(function (i) { return "iri=" + encodeURIComponent(i); }).join("&");
      say("Adding the neighbours of " + iri + "…");
      target.setAttribute("data-expanding", "yes");
      fetch(target.getAttribute("data-source") + "?" + query, { headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) { throw new Error(body.message || r.statusText); }
            return body;
          });
        })
        .then(function (body) {
          if (!body.spec) { throw new Error("no graph"); }
          expanded = body.expanded;
          var before = view.data("node-data").length;
          return redraw(body.spec, view, iri).then(function () {
            var after = nodeData(body.spec).values.length;
            say("Expanded " + expanded.length + " node" + (expanded.length > 1 ? "s" : "") +
                ": " + after + " things shown (" + (after - before) + " added).");
          });
        })
        .catch(function (e) { say("Could not add the neighbours: " + e.message); })
        .then(function () {
          busy = false;
          target.setAttribute("data-expanded", String(expanded.length));
          target.removeAttribute("data-expanding");
        });
    }

    function listen(view) {
      view.addEventListener("click", function (event, item) {
        if (!item || !item.mark || item.mark.name !== "nodes" || !item.datum) { return; }
        var datum = item.datum;
        if (expanded.indexOf(datum.iri) >= 0 || datum.iri.indexOf("_:") === 0) {
          if (datum.href) { window.location.assign(datum.href); }
          return;
        }
        expand(datum.iri, view);
      });
    }

    target.setAttribute("data-expanded", String(expanded.length));
    listen(result.view);
  }

  function start() {
    var target = document.getElementById(TARGET);
    if (!target || !window.cakgViews) { return; }
    window.cakgViews.ready.then(function () {
      var result = window.cakgViews.drawn[TARGET];
      if (result) { setup(result); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
