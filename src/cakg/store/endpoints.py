"""Where a store answers (its query, update and Graph Store endpoints) and with which credentials.

Credentials come from the environment: CAKG_STORE_TOKEN (bearer), or CAKG_STORE_USER and
CAKG_STORE_PASSWORD (basic).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from cakg.errors import ConfigError

# the last segment of a query endpoint's path -> its update and Graph Store siblings
SIBLINGS = {"query": ("update", "store"), "sparql": ("update", "data")}


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers queries, updates and Graph Store Protocol requests."""

    query: str
    update: str | None = None
    gsp: str | None = None


def store_endpoints(url: str, update: str | None = None, gsp: str | None = None) -> Endpoints:
    """The endpoints of a store given by its query endpoint or, for Oxigraph, its base URL.

    `.../query` (Oxigraph) has siblings `update` and `store`; `.../sparql` (Fuseki) `update` and
    `data`; a bare base URL (no path) is read as an Oxigraph server's.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"store URL: {url!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not path:
        path = "/query"
        url = urlunsplit(parts._replace(path=path))
    head, _, last = path.rpartition("/")
    siblings = SIBLINGS.get(last)
    if siblings is not None:
        update = update or urlunsplit(parts._replace(path=f"{head}/{siblings[0]}"))
        gsp = gsp or urlunsplit(parts._replace(path=f"{head}/{siblings[1]}"))
    return Endpoints(url, update, gsp)


def store_auth(environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """Credentials for the store from CAKG_STORE_TOKEN or CAKG_STORE_USER/CAKG_STORE_PASSWORD."""
    env = os.environ if environ is None else environ
    token = env.get("CAKG_STORE_TOKEN")
    if token:
        return _Bearer(token)
    user = env.get("CAKG_STORE_USER")
    if user:
        return httpx.BasicAuth(user, env.get("CAKG_STORE_PASSWORD", ""))
    return None


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
