/* "Change what it draws": under each view of the results panel (static/results.js), a form
   with the view's columns (the categories, the values, the colour of a chart; a timeline's
   date and label; a map's place, latitude, longitude and label; a graph's subject and link),
   filled from the declaration the server inferred. Submitting it hands the new declaration to
   ON_CHANGE, which asks the server to draw it (POST /ui/results/views with `view`, checked by
   cakg.views.chosen). The keys are those of cakg.views.chosen.KEYS. */
(function () {
  "use strict";

  /* kind -> [key, words, required, several] */
  var FIELDS = {
    bar: [["x", "Categories (x)", true, false], ["y", "Values (y)", true, true],
          ["series", "Colour by", false, false]],
    timeline: [["date", "Date", true, false], ["label", "Label", true, true]],
    map: [["geometry", "Place or WKT", false, false], ["lat", "Latitude", false, false],
          ["lon", "Longitude", false, false], ["label", "Label", false, false]],
    graph: [["subject", "From", true, false], ["predicate", "Linked by", false, false]]
  };
  FIELDS.line = FIELDS.bar;

  var made = 0;

  function el(tag, attrs, text) { return window.cakgResultsTable.el(tag, attrs, text); }

  function asList(value) {
    if (value === undefined || value === null) { return []; }
    return Array.isArray(value) ? value : [value];
  }

  /* The <details> form for VIEW (a declaration) over the answer's VARS; null when it has no
     columns to choose (the graph of a CONSTRUCT). ON_CHANGE(declaration, form) draws it. */
  function settings(view, vars, onChange) {
    var fields = FIELDS[view.type];
    if (!fields || (view.type === "graph" && !view.subject)) { return null; }
    var id = "view-settings-" + (++made);
    var box = el("details", { "class": "view-settings" });
    box.appendChild(el("summary", {}, "Change what it draws"));
    var form = el("form", { "class": "view-settings-form", novalidate: "" });
    fields.forEach(function (f) {
      var key = f[0], required = f[2], several = f[3];
      var field = el("label", { "for": id + "-" + key }, f[1] + " ");
      var select = el("select", { id: id + "-" + key, name: key });
      if (several) {
        select.multiple = true;
        select.size = Math.min(4, vars.length);
      } else if (!required) {
        select.appendChild(el("option", { value: "" }, "(none)"));
      }
      var chosen = asList(view[key]);
      vars.forEach(function (v) {
        var option = el("option", { value: v }, v);
        option.selected = chosen.indexOf(v) >= 0;
        select.appendChild(option);
      });
      var wrap = el("span", { "class": "view-setting" });
      wrap.appendChild(field);
      wrap.appendChild(select);
      form.appendChild(wrap);
    });
    var error = el("p", { "class": "view-settings-error", role: "alert", hidden: "" });
    var draw = el("button", { type: "submit" }, "Draw");
    form.appendChild(draw);
    form.appendChild(error);
    box.appendChild(form);

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var declared = { type: view.type };
      fields.forEach(function (f) {
        var select = form.elements.namedItem(f[0]);
        var values = Array.prototype.filter.call(select.options, function (o) {
          return o.selected && o.value;
        }).map(function (o) { return o.value; });
        if (!values.length) { return; }
        declared[f[0]] = f[3] ? values : values[0];
      });
      error.hidden = true;
      form.setAttribute("aria-busy", "true");
      Promise.resolve(onChange(declared)).then(function (message) {
        form.removeAttribute("aria-busy");
        if (message) { error.textContent = message; error.hidden = false; }
      });
    });
    return box;
  }

  window.cakgResultsSettings = { settings: settings };
})();
