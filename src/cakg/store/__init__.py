"""A SPARQL 1.1 store that cakg publishes into and queries: shared by publish and the remote engine.

- `cakg.store.profiles`: what cakg relies on beyond the SPARQL 1.1 standards, per store (standard,
  oxigraph, virtuoso), and how a store's deviations are read around;
- `cakg.store.endpoints`: where a store answers, and the credentials from the environment;
- `cakg.store.client`: the HTTP client, every request to a store (queries, updates, uploads);
- `cakg.store.response`: a store's answers read as results, and StoreError naming the request;
- `cakg.store.release_graph`: how a published release is recorded in the store and found again;
- `cakg.store.upload`: a release's N-Quads uploaded in chunks, a few requests in flight, resumable.
"""
