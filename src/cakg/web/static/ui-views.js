/* cakg result views drawn as inline SVG from SPARQL JSON bindings: bar and line charts, a
   timeline and a map (WKT points, equirectangular projection, no tiles). Written for cakg.
   Each view is views[type](figure, vars, rows, spec, ctx) where spec is the saved query's `view`
   header ({type, x, y, series, label, date, start, end, geometry, lat, lon}) and ctx gives
   label(term), href(iri) and terms (iri -> {label, point}). href(iri) is null for an IRI that
   must not become a link (not http(s)): the mark is then drawn without one. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#0b5cad", "#b3541e", "#2e8540", "#6a4fa3", "#c0392b", "#00838f", "#8d6e00",
    "#5d4037"];
  var CHAR = 6.6; // average width of a 12px character

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function titled(node, text) {
    node.appendChild(svgEl("title", {}, text));
    return node;
  }

  /* An SVG of WIDTH x HEIGHT; role img for charts, group when it holds links (map, timeline),
     so that the links stay reachable. */
  function canvas(figure, width, height, label, role) {
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, width: width,
                             height: height, role: role || "img", "aria-label": label,
                             "class": "chart" });
    figure.appendChild(svg);
    return svg;
  }

  function widthOf(figure) {
    var w = figure.clientWidth || (figure.parentNode && figure.parentNode.clientWidth) || 640;
    return Math.max(280, Math.min(900, Math.floor(w)));
  }

  function clip(text, chars) {
    text = String(text);
    if (chars < 2) { return ""; }
    return text.length > chars ? text.slice(0, chars - 1) + "…" : text;
  }

  function number(t) {
    if (!t) { return NaN; }
    var v = parseFloat(t.value);
    return isFinite(v) ? v : NaN;
  }

  function compact(v) {
    return v.toLocaleString("en", { notation: "compact", maximumFractionDigits: 1 });
  }

  function fmt(v) {
    var a = Math.abs(v);
    var digits = a >= 100 ? 0 : a >= 1 ? 2 : 4;
    return v.toLocaleString("en", { maximumFractionDigits: digits });
  }

  function niceTicks(min, max, count) {
    if (min === max) { max = min + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((max - min) / count)));
    var err = (max - min) / count / step;
    if (err >= 7.5) { step *= 10; } else if (err >= 3.5) { step *= 5; } else if (err >= 1.5) { step *= 2; }
    var ticks = [];
    for (var v = Math.floor(min / step) * step; v <= max + step * 0.5; v += step) {
      ticks.push(Math.round(v / step) * step);
    }
    return ticks;
  }

  function caption(figure, text) {
    var node = svgFree(figure.tagName === "FIGURE" ? "figcaption" : "p", text);
    node.className = "caption";
    figure.appendChild(node);
  }

  function svgFree(tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    return node;
  }

  function legend(figure, names) {
    if (names.length < 2) { return; }
    var ul = document.createElement("ul");
    ul.className = "legend";
    names.forEach(function (name, i) {
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = COLOURS[i % COLOURS.length];
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(" " + name));
      ul.appendChild(li);
    });
    figure.appendChild(ul);
  }

  /* --------------------------------------------------------------- charts */

  /* The chart's data: categories along x, one series per distinct `series` value, and for
     each (category, series) every value the rows give (sources may disagree). */
  function chartData(vars, rows, spec, ctx) {
    var x = spec.x || vars[0];
    var y = spec.y || vars.find(function (v) { return rows.some(function (r) {
      return isFinite(number(r[v])); }); });
    var categories = [], series = [], cells = new Map(), skipped = 0;
    rows.forEach(function (row) {
      var value = number(row[y]);
      if (!row[x] || !isFinite(value)) { skipped++; return; }
      var cat = ctx.label(row[x]);
      var ser = spec.series && row[spec.series] ? ctx.label(row[spec.series]) : (y || "value");
      if (categories.indexOf(cat) < 0) { categories.push(cat); }
      if (series.indexOf(ser) < 0) { series.push(ser); }
      var key = cat + "\u0000" + ser;
      if (!cells.has(key)) { cells.set(key, []); }
      cells.get(key).push(value);
    });
    if (categories.length && categories.every(function (c) { return /^-?\d+(\.\d+)?$/.test(c); })) {
      categories.sort(function (a, b) { return parseFloat(a) - parseFloat(b); });
    } else {
      // Periods ("2023", "2024-01-01/2024-05-31", "until 2024-05"): in order of their first date.
      var dates = categories.map(function (c) {
        var m = /\d{4}(-\d{2}){0,2}/.exec(c);
        return m ? m[0] : null;
      });
      if (dates.every(function (d) { return d !== null; })) {
        var order = categories.map(function (c, i) { return i; }).sort(function (a, b) {
          return dates[a] < dates[b] ? -1 : dates[a] > dates[b] ? 1 : a - b;
        });
        categories = order.map(function (i) { return categories[i]; });
      }
    }
    return { x: x, y: y, categories: categories, series: series, cells: cells, skipped: skipped };
  }

  /* TEXT in lines of at most CHARS characters, broken at spaces, at most LINES lines. */
  function wrapLines(text, chars, lines) {
    var out = [], current = "";
    String(text).split(/\s+/).forEach(function (word) {
      if (current && (current + " " + word).length > chars) { out.push(current); current = word; }
      else { current = current ? current + " " + word : word; }
    });
    if (current) { out.push(current); }
    if (out.length > lines) { out = out.slice(0, lines); out[lines - 1] += "…"; }
    return out.map(function (l) { return clip(l, chars); });
  }

  function frame(figure, data, kind) {
    var width = widthOf(figure);
    var longest = data.categories.reduce(function (m, c) { return Math.max(m, c.length); }, 0);
    var slot = (width - 70) / Math.max(1, data.categories.length);
    var perLine = Math.floor((slot - 6) / CHAR);
    var mode = longest <= perLine ? "flat" : perLine >= 10 ? "wrap" : "rotate";
    var wrapped = data.categories.map(function (c) {
      return mode === "wrap" ? wrapLines(c, perLine, 3) : [c];
    });
    var lines = wrapped.reduce(function (m, w) { return Math.max(m, w.length); }, 1);
    var bottom = mode === "rotate" ? Math.min(120, 20 + Math.min(longest, 22) * CHAR * 0.7)
      : 20 + 14 * lines;
    var height = Math.round(Math.min(360, Math.max(220, width * 0.55))) + bottom - 34;
    var values = [];
    data.cells.forEach(function (list) { values = values.concat(list); });
    var min = Math.min(0, Math.min.apply(null, values));
    var max = Math.max(0, Math.max.apply(null, values));
    var ticks = niceTicks(min, max, 5);
    var maxLabel = ticks.reduce(function (m, t) { return Math.max(m, compact(t).length); }, 0);
    var plot = { left: 12 + maxLabel * CHAR, right: width - 10, top: 12, bottom: height - bottom };
    var lo = ticks[0], hi = ticks[ticks.length - 1];
    var yOf = function (v) { return plot.bottom - (v - lo) / (hi - lo) * (plot.bottom - plot.top); };
    var svg = canvas(figure, width, height, (kind === "bar" ? "Bar" : "Line") + " chart of " +
      data.y + " by " + data.x);
    var axis = svgEl("g", { "class": "axis" });
    ticks.forEach(function (t) {
      var yy = yOf(t);
      axis.appendChild(svgEl("line", { x1: plot.left, x2: plot.right, y1: yy, y2: yy,
                                       "class": t === 0 ? "zero" : "grid" }));
      axis.appendChild(svgEl("text", { x: plot.left - 6, y: yy + 4, "text-anchor": "end" }, compact(t)));
    });
    svg.appendChild(axis);
    var step = (plot.right - plot.left) / Math.max(1, data.categories.length);
    var labels = svgEl("g", { "class": "axis x" });
    data.categories.forEach(function (c, i) {
      var cx = plot.left + step * (i + 0.5);
      var node;
      if (mode === "rotate") {
        node = svgEl("text", { x: cx, y: plot.bottom + 12, "text-anchor": "end",
                               transform: "rotate(-40 " + cx + " " + (plot.bottom + 12) + ")" },
                     clip(c, 22));
      } else {
        node = svgEl("text", { x: cx, y: plot.bottom + 18, "text-anchor": "middle" });
        wrapped[i].forEach(function (line, k) {
          node.appendChild(svgEl("tspan", { x: cx, dy: k ? 14 : 0 }, line));
        });
      }
      labels.appendChild(titled(node, c));
    });
    svg.appendChild(labels);
    return { svg: svg, plot: plot, step: step, yOf: yOf, zero: yOf(Math.max(lo, Math.min(0, hi))) };
  }

  /* " (unit, unit)" from a unit or unitLabel column, when the rows have one. */
  function units(rows, ctx) {
    var names = [];
    rows.forEach(function (row) {
      var t = row.unitLabel || row.unit;
      var name = t ? ctx.label(t) : null;
      if (name && names.indexOf(name) < 0) { names.push(name); }
    });
    return names.length ? " (" + names.join(", ") + ")" : "";
  }

  function valuesText(cat, ser, list, single) {
    return cat + (single ? "" : " · " + ser) + ": " + list.map(fmt).join(", ") +
      (list.length > 1 ? " (" + list.length + " figures; the largest is drawn)" : "");
  }

  function notDrawn(data) {
    return data.skipped ? " " + data.skipped + (data.skipped === 1 ? " row" : " rows") +
      " without " + data.x + " or a number not drawn (see the table)." : "";
  }

  /* Rows in several units (a share in percent beside a turnover in dollars) get one chart per
     unit, each on its own scale. */
  function perUnit(draw) {
    return function (figure, vars, rows, spec, ctx) {
      var unitVar = ["unitLabel", "unit"].find(function (v) { return vars.indexOf(v) >= 0; });
      var groups = new Map();
      rows.forEach(function (row) {
        var unit = unitVar && row[unitVar] ? ctx.label(row[unitVar]) : "";
        if (!groups.has(unit)) { groups.set(unit, []); }
        groups.get(unit).push(row);
      });
      if (groups.size <= 1) { draw(figure, vars, rows, spec, ctx); return; }
      groups.forEach(function (subset, unit) {
        var part = document.createElement("div");
        part.className = "chart-part";
        var title = document.createElement("p");
        title.className = "chart-unit";
        title.textContent = "In " + (unit || "no unit") + ":";
        part.appendChild(title);
        figure.appendChild(part);
        draw(part, vars, subset, spec, ctx);
      });
    };
  }

  function bar(figure, vars, rows, spec, ctx) {
    var data = chartData(vars, rows, spec, ctx);
    if (!data.categories.length) { caption(figure, "No numeric values to chart."); return; }
    var f = frame(figure, data, "bar");
    var n = data.series.length;
    var band = Math.min(f.step * 0.8 / n, 56);
    var inset = (f.step - band * n) / 2;
    var g = svgEl("g", { "class": "bars" });
    data.categories.forEach(function (cat, i) {
      data.series.forEach(function (ser, j) {
        var list = data.cells.get(cat + "\u0000" + ser);
        if (!list) { return; }
        var v = Math.max.apply(null, list);
        var y = f.yOf(v);
        var x = f.plot.left + f.step * i + inset + band * j;
        var rect = svgEl("rect", { x: x.toFixed(1), y: Math.min(y, f.zero).toFixed(1),
          width: Math.max(1, band - 1).toFixed(1), height: Math.max(1, Math.abs(f.zero - y)).toFixed(1),
          fill: COLOURS[j % COLOURS.length], "class": "bar", "data-series": ser });
        g.appendChild(titled(rect, valuesText(cat, ser, list, n === 1)));
      });
    });
    f.svg.appendChild(g);
    legend(figure, data.series);
    caption(figure, data.y + units(rows, ctx) + " by " + data.x +
      (n > 1 ? ", per " + spec.series : "") + "." + notDrawn(data));
  }

  function line(figure, vars, rows, spec, ctx) {
    var data = chartData(vars, rows, spec, ctx);
    if (!data.categories.length) { caption(figure, "No numeric values to chart."); return; }
    var f = frame(figure, data, "line");
    data.series.forEach(function (ser, j) {
      var colour = COLOURS[j % COLOURS.length];
      var points = [];
      var g = svgEl("g", { "class": "series", "data-series": ser });
      data.categories.forEach(function (cat, i) {
        var list = data.cells.get(cat + "\u0000" + ser);
        if (!list) { return; }
        var v = Math.max.apply(null, list);
        var x = f.plot.left + f.step * (i + 0.5), y = f.yOf(v);
        points.push(x.toFixed(1) + "," + y.toFixed(1));
        g.appendChild(titled(svgEl("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 3.5,
          fill: colour, "class": "point" }), valuesText(cat, ser, list, data.series.length === 1)));
      });
      g.insertBefore(svgEl("polyline", { points: points.join(" "), fill: "none", stroke: colour,
                                         "stroke-width": 2, "class": "line" }), g.firstChild);
      f.svg.appendChild(g);
    });
    legend(figure, data.series);
    caption(figure, data.y + units(rows, ctx) + " by " + data.x + "." + notDrawn(data));
  }

  /* ------------------------------------------------------------- timeline */

  function parseDate(t) {
    if (!t) { return null; }
    var m = /^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(t.value);
    if (!m) { return null; }
    return Date.UTC(parseInt(m[1], 10), m[2] ? parseInt(m[2], 10) - 1 : 0, m[3] ? parseInt(m[3], 10) : 1);
  }

  function timeline(figure, vars, rows, spec, ctx) {
    var startVar = spec.start || spec.date || vars.find(function (v) {
      return rows.some(function (r) { return parseDate(r[v]) !== null; }); });
    var endVar = spec.end;
    var labelVar = spec.label || vars[0];
    var linkVar = vars.find(function (v) { return rows.some(function (r) {
      return r[v] && r[v].type === "uri"; }); });
    var seen = new Set();
    var events = [];
    rows.forEach(function (row) {
      var start = parseDate(row[startVar]);
      if (start === null) { return; }
      var end = endVar ? parseDate(row[endVar]) : null;
      var label = row[labelVar] ? ctx.label(row[labelVar]) : "";
      var key = (row[linkVar] ? row[linkVar].value : label) + "|" + start;
      if (seen.has(key)) { return; }
      seen.add(key);
      events.push({ start: start, end: end, label: label, date: row[startVar].value.slice(0, 10),
                    href: row[linkVar] && row[linkVar].type === "uri" ? ctx.href(row[linkVar].value) : null });
    });
    if (!events.length) { caption(figure, "No dated rows to place on a timeline."); return; }
    events.sort(function (a, b) { return a.start - b.start; });
    var lo = events[0].start;
    var hi = events.reduce(function (m, e) { return Math.max(m, e.end || e.start); }, lo);
    var pad = Math.max((hi - lo) * 0.04, 15 * 86400000);
    lo -= pad; hi += pad;
    var width = widthOf(figure);
    var left = 12, right = width - 12, top = 34, rowH = 24;
    var height = top + events.length * rowH + 10;
    var xOf = function (t) { return left + (t - lo) / (hi - lo) * (right - left); };
    var svg = canvas(figure, width, height, "Timeline of " + events.length + " events", "group");
    var axis = svgEl("g", { "class": "axis" });
    var y0 = new Date(lo).getUTCFullYear(), y1 = new Date(hi).getUTCFullYear();
    var every = Math.max(1, Math.ceil((y1 - y0 + 1) / Math.max(2, Math.floor(width / 70))));
    for (var year = y0; year <= y1 + 1; year++) {
      var t = Date.UTC(year, 0, 1);
      if (t < lo || t > hi || (year - y0) % every) { continue; }
      var x = xOf(t);
      axis.appendChild(svgEl("line", { x1: x, x2: x, y1: 20, y2: height - 6, "class": "grid" }));
      if (x + 34 <= width) { axis.appendChild(svgEl("text", { x: x + 3, y: 14 }, String(year))); }
    }
    svg.appendChild(axis);
    var g = svgEl("g", { "class": "events" });
    events.forEach(function (e, i) {
      var y = top + i * rowH + rowH / 2;
      var x = xOf(e.start);
      var item = e.href ? svgEl("a", { href: e.href }) : svgEl("g");
      item.setAttribute("class", "event");
      if (e.end && e.end > e.start) {
        item.appendChild(svgEl("rect", { x: x, y: y - 5, width: Math.max(3, xOf(e.end) - x),
                                         height: 10, rx: 3, "class": "span" }));
      }
      item.appendChild(svgEl("circle", { cx: x.toFixed(1), cy: y, r: 5, "class": "dot" }));
      var text = e.date + " " + e.label;
      var onRight = x < (left + right) / 2;
      var room = onRight ? right - x - 10 : x - left - 10;
      item.appendChild(svgEl("text", { x: onRight ? x + 9 : x - 9, y: y + 4,
        "text-anchor": onRight ? "start" : "end" }, clip(text, Math.floor(room / CHAR))));
      g.appendChild(titled(item, text));
    });
    svg.appendChild(g);
    caption(figure, events.length + " events by " + startVar + ".");
  }

  /* ------------------------------------------------------------------ map */

  function wktPoint(t) {
    if (!t) { return null; }
    var m = /POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)/i.exec(t.value);
    return m ? [parseFloat(m[1]), parseFloat(m[2])] : null;
  }

  function map(figure, vars, rows, spec, ctx) {
    var places = [], byKey = new Map(), routes = new Map();
    rows.forEach(function (row) {
      var point = null, placeVar;
      if (spec.geometry) { point = wktPoint(row[spec.geometry]); }
      if (!point && spec.lat && spec.lon && row[spec.lat] && row[spec.lon]) {
        point = [parseFloat(row[spec.lon].value), parseFloat(row[spec.lat].value)];
      }
      if (point) {
        placeVar = vars.find(function (v) { return row[v] && row[v].type === "uri"; });
      } else {
        placeVar = vars.find(function (v) {
          var t = row[v], known = t && t.type === "uri" && ctx.terms.get(t.value);
          return known && known.point;
        });
        if (placeVar) { point = ctx.terms.get(row[placeVar].value).point; }
      }
      if (!point) { return; }
      placeVar = placeVar || vars[0];
      var iri = row[placeVar] && row[placeVar].type === "uri" ? row[placeVar].value : null;
      var label = spec.label && row[spec.label] ? ctx.label(row[spec.label])
        : row[placeVar] ? ctx.label(row[placeVar]) : "";
      var key = point.join(",") + "|" + label;
      if (!byKey.has(key)) {
        var known = iri ? ctx.terms.get(iri) : null;
        var place = { point: point, label: label, href: iri ? ctx.href(iri) : null,
                      approximate: !!(known && known.approximate && !spec.geometry) };
        byKey.set(key, place);
        places.push(place);
      }
      var group = row[vars[0]];
      if (placeVar !== vars[0] && group && group.type === "uri") {
        if (!routes.has(group.value)) { routes.set(group.value, { label: ctx.label(group), points: [] }); }
        var route = routes.get(group.value).points;
        var prev = route[route.length - 1];
        if (!prev || prev[0] !== point[0] || prev[1] !== point[1]) { route.push(point); }
      }
    });
    if (!places.length) { caption(figure, "No rows with a point to draw."); return; }
    var lons = places.map(function (p) { return p.point[0]; });
    var lats = places.map(function (p) { return p.point[1]; });
    var west = Math.min.apply(null, lons) - 2, east = Math.max.apply(null, lons) + 2;
    var south = Math.min.apply(null, lats) - 2, north = Math.max.apply(null, lats) + 2;
    var k = Math.cos((south + north) / 2 * Math.PI / 180);
    var width = widthOf(figure);
    var spanX = (east - west) * k, spanY = north - south;
    var height = Math.round(Math.max(220, Math.min(520, width * spanY / spanX)));
    var scale = Math.min((width - 20) / spanX, (height - 20) / spanY);
    var offX = (width - spanX * scale) / 2, offY = (height - spanY * scale) / 2;
    var project = function (p) {
      return [offX + (p[0] - west) * k * scale, offY + (north - p[1]) * scale];
    };
    var svg = canvas(figure, width, height, "Map of " + places.length + " places", "group");
    svg.appendChild(svgEl("rect", { x: 0, y: 0, width: width, height: height, "class": "sea" }));
    var grid = svgEl("g", { "class": "graticule" });
    var stepDeg = (east - west) > 40 ? 10 : 5;
    for (var lon = Math.ceil(west / stepDeg) * stepDeg; lon <= east; lon += stepDeg) {
      var a = project([lon, north]), b = project([lon, south]);
      grid.appendChild(svgEl("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }));
      grid.appendChild(svgEl("text", { x: a[0] + 2, y: height - 4 }, lon + "°E"));
    }
    for (var lat = Math.ceil(south / stepDeg) * stepDeg; lat <= north; lat += stepDeg) {
      var c = project([west, lat]), d = project([east, lat]);
      grid.appendChild(svgEl("line", { x1: c[0], y1: c[1], x2: d[0], y2: d[1] }));
      grid.appendChild(svgEl("text", { x: 2, y: c[1] - 2 }, lat + "°N"));
    }
    svg.appendChild(grid);
    var names = [];
    var drawable = Array.from(routes.values()).filter(function (r) { return r.points.length > 1; });
    drawable.forEach(function (route, i) {
      var colour = COLOURS[i % COLOURS.length];
      names.push(route.label);
      svg.appendChild(titled(svgEl("polyline", {
        points: route.points.map(function (p) { return project(p).map(function (v) {
          return v.toFixed(1); }).join(","); }).join(" "),
        fill: "none", stroke: colour, "stroke-width": 2 + Math.min(10, (width < 500 ? 1 : 2) * (drawable.length - 1 - i)),
        "stroke-linejoin": "round", "stroke-linecap": "round", "class": "route" }), route.label));
    });
    var g = svgEl("g", { "class": "places" });
    places.forEach(function (p) {
      var xy = project(p.point);
      var item = p.href ? svgEl("a", { href: p.href }) : svgEl("g");
      item.setAttribute("class", "place");
      item.appendChild(svgEl("circle", { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: 4.5 }));
      var onRight = xy[0] < width - 90;
      item.appendChild(svgEl("text", { x: (xy[0] + (onRight ? 7 : -7)).toFixed(1),
        y: (xy[1] + 4).toFixed(1), "text-anchor": onRight ? "start" : "end" }, clip(p.label, 22)));
      g.appendChild(titled(item, p.label + " (" + (p.approximate ? "about " : "") +
        p.point[1] + "°N, " + p.point[0] + "°E" +
        (p.approximate ? ", the mean of the places located in it" : "") + ")"));
    });
    svg.appendChild(g);
    legend(figure, names);
    var approx = places.some(function (p) { return p.approximate; });
    caption(figure, places.length + " places; equirectangular projection, " +
      (approx ? "a state or region without a point of its own at the mean of its places, " : "") +
      "graticule every " + stepDeg + "°.");
  }

  function table() { /* the table is drawn by ui.js */ }

  window.cakgViews = { bar: perUnit(bar), line: perUnit(line), timeline: timeline, map: map, table: table };
})();
