/* cakg browser pages: the links and short names of IRIs (used by the results panel,
   static/results.js) and the saved-query gallery. The SPARQL editor is static/editor.js.
   Written for cakg; no dependencies.
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

  window.cakgUi = { shorten: shorten, localHref: localHref };

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
