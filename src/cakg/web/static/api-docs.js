/* /api-docs: Swagger UI (static/vendor/swagger-ui-dist) on the app's OpenAPI document, with
   "Try it out" for its GET operations. A file, not an inline script: the page's content security
   policy allows scripts from the app's own files only. Without JavaScript, or when Swagger UI
   cannot start, the server-written list of the queries (#api-fallback) stays on the page. */
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    supportedSubmitMethods: ["get"],
    // the queries by tag, alphabetically, and the records of every SELECT query last
    tagsSorter: function (a, b) {
      return (a === "records") - (b === "records") || a.localeCompare(b);
    },
    validatorUrl: null,
    onComplete: function () {
      var fallback = document.getElementById("api-fallback");
      if (fallback) { fallback.hidden = true; }
    }
  });
}());
