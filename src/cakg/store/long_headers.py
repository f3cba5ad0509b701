"""Room for a store's long response headers: cakg's one patch of httpcore (httpx's transport).

httpcore reads at most `HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE` bytes (100 KB) of a
response's status line and headers, and drops the connection past it ("Receive buffer too long").
Virtuoso echoes every graph of a query's dataset as a header of its own (`X-SPARQL-named-graph:
IRI`, about 90 bytes each), so a query naming the 2,600 graphs of a 10^6-triple release gets
230 KB of headers. `allow_long_headers()` raises the limit to HEADER_BYTES (about 180,000 graphs)
for every HTTP/1.1 connection of the process; the store client calls it.
tests/test_store_client.py fails when an httpcore release drops the attribute.
"""

from __future__ import annotations

from httpcore._sync.http11 import HTTP11Connection

HEADER_BYTES = 16 * 1024 * 1024


def allow_long_headers() -> None:
    """Let responses carry up to HEADER_BYTES of headers (never lowers a higher limit)."""
    if HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE < HEADER_BYTES:
        HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE = HEADER_BYTES
