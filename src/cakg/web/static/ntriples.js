/* N-Triples read into rows {subject, predicate, object} of SPARQL JSON terms, for the results
   panel's table of a CONSTRUCT or DESCRIBE answer (static/results.js asks /sparql for
   N-Triples: one triple a line, simple to read exactly). */
(function () {
  "use strict";

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

  window.cakgNTriples = { parse: parseNTriples };
})();
