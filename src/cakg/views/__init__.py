"""Views of a query's answer: what the gallery, /queries/<name>.html and resource pages draw.

The server turns a saved query's declared view (its `#+ view:` header) and its answer into a
`View`: a Vega or Vega-Lite specification with the data inline, the visible notes (rows not
drawn, undated rows) and a caption in words. The browser only hands the specification to
vega-embed (static/views.js), so every page draws the same picture from the same data, and the
tests can check the picture's data without a browser.

Modules: render (the one entry point: answer_view, result_table), labels (labels, links and
places of IRIs), figures (numbers and dates for people), charts (bar and line), timeline,
geography (maps; map_spec writes their Vega, map_labels places their labels, atlas reads the
vendored world atlas), graph (CONSTRUCT and DESCRIBE answers: their triples table and node-link
picture; graph_spec writes its Vega, cells its terms; select_graph reads a SELECT answer's rows
as statements for it), table (rows for people), image (pictures drawn on the server by
vl-convert), infer (the views an ad-hoc answer fits, for the query editor's results panel,
which declares none). Serving side: reads an Engine, never the build.
"""

from cakg.views.base import View

__all__ = ["View"]
