"""A SPARQL 1.1 store that cakg publishes into and queries: shared by publish and the remote engine.

- `cakg.store.client`: the HTTP client (queries, updates, Graph Store uploads, credentials, errors);
- `cakg.store.release_graph`: how a published release is recorded in the store and found again.
"""
