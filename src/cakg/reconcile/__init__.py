"""The W3C Entity Reconciliation Service API (v0.2, what OpenRefine 3.x speaks) over a release.

- `batch`: reading and checking a reconciliation query batch (`queries=`) and its limits;
- `schema`: the classes and properties a release declares, with labels and the class hierarchy;
- `values`: the values of properties on entities, read through the engine, and comparing them
  with the values a client sends;
- `matching`: candidates for each query, scored from cakg.search, types and property values;
- `extension`: data extension (property proposals and property values for reconciled ids).

Serving side: it reads a release through the engine and the search index, never the build.
The HTTP protocol (manifest, JSONP, suggest, preview) is cakg.web.reconcile.
"""
