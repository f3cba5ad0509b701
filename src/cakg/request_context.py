"""The request being answered, for code below the web layer.

The web layer enters a `RequestContext` for each HTTP request (cakg.web.fast_sparql, in front
of every route); the query engine reads it to log a worker's death with the request id, to
count a client's concurrent queries, and to count the deadline from the request's arrival,
not from the moment a worker became free. Outside a request (the CLI, tests) there is none.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client: str | None  # the peer's address, as the web server saw it
    started: float = field(default_factory=time.monotonic)


_CURRENT: ContextVar[RequestContext | None] = ContextVar("cakg_request", default=None)


def current() -> RequestContext | None:
    """The request this thread is answering, if any."""
    return _CURRENT.get()


def current_id() -> str:
    """The id of the request being answered, or "-" outside one (for log lines)."""
    context = _CURRENT.get()
    return context.request_id if context is not None else "-"


@contextlib.contextmanager
def entered(
    request_id: str, client: str | None, started: float | None = None
) -> Iterator[RequestContext]:
    """Answer one request inside this context; it is left whatever happens. `started`: when
    it arrived (time.monotonic()), if not now."""
    context = RequestContext(request_id, client, time.monotonic() if started is None else started)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
