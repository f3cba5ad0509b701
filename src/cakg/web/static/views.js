/* Draw every view the server declared: each <script type="application/json" class="view-spec">
   holds a Vega or Vega-Lite specification with its data (cakg.views); vega-embed draws it into
   the element named by its data-target, with SVG and PNG export (the view's toImageURL). Expressions run in
   vega-interpreter (the pages' content security policy allows no eval, nor inline styles): the
   export links and the tooltip are styled by ui.css, not by stylesheets the libraries inject. */
(function () {
  "use strict";

  var OPTIONS = {
    renderer: "svg",
    ast: true,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },  /* its style is in ui.css, not injected inline */
    actions: false
  };

  /* Export through the Vega view's own toImageURL, from buttons: vega-embed's links fetch the
     image on mousedown, so a quick click or the Enter key downloaded the page instead. */
  function exportButtons(target, result, name) {
    var bar = document.createElement("p");
    bar.className = "view-export";
    [["svg", "Download as SVG"], ["png", "Download as PNG"]].forEach(function (kind) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = kind[1];
      button.title = "The picture as it is drawn now (zoomed or panned included)";
      button.addEventListener("click", function () {
        result.view.toImageURL(kind[0], kind[0] === "png" ? 2 : 1).then(function (url) {
          var a = document.createElement("a");
          a.href = url;
          a.download = name + "." + kind[0];
          document.body.appendChild(a);
          a.click();
          a.remove();
        });
      });
      bar.appendChild(button);
    });
    target.insertAdjacentElement("afterend", bar);
  }

  function draw(script) {
    var target = document.getElementById(script.getAttribute("data-target"));
    if (!target || target.getAttribute("data-drawn")) { return Promise.resolve(null); }
    var spec;
    try { spec = JSON.parse(script.textContent); } catch (e) {
      target.textContent = "The view could not be read: " + e.message;
      return Promise.resolve(null);
    }
    target.setAttribute("data-drawn", "pending");
    var name = script.getAttribute("data-name") || "view";
    var options = Object.assign({ expr: window.vegaInterpreter.expressionInterpreter }, OPTIONS);
    return window.vegaEmbed(target, spec, options).then(function (result) {
      drawn[target.id] = result;
      exportButtons(target, result, name);
      target.setAttribute("data-drawn", "yes");
      return result;
    }).catch(function (e) {
      target.setAttribute("data-drawn", "failed");
      target.textContent = "The view could not be drawn: " + e.message;
      return null;
    });
  }

  function drawAll(root) {
    var scripts = (root || document).querySelectorAll("script.view-spec");
    return Promise.all(Array.prototype.map.call(scripts, draw));
  }

  /* what vega-embed made of each view, by the id of its element: its Vega view and specs */
  var drawn = {};
  window.cakgViews = { drawAll: drawAll, drawn: drawn };

  /* window.cakgViews.ready: settled when the page's views are drawn (or failed) */
  window.cakgViews.ready = new Promise(function (resolve) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { resolve(drawAll(document)); });
    } else {
      resolve(drawAll(document));
    }
  });
})();
