"""Where a store answers (its query, update and Graph Store endpoints) and with which credentials.

Credentials come from the environment: CAKG_STORE_TOKEN (bearer), or CAKG_STORE_USER and
CAKG_STORE_PASSWORD, sent as CAKG_STORE_AUTH says: "basic" (the default) or "digest" (Virtuoso's
`/sparql-auth`).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from cakg.errors import ConfigError
from cakg.store.profiles import StoreProfile

AUTH_SCHEMES = ("basic", "digest")


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers queries, updates and Graph Store Protocol requests."""

    query: str
    update: str | None = None
    gsp: str | None = None

    def completed(self, profile: StoreProfile) -> Endpoints:
        """These endpoints, the update and Graph Store ones not given taken from `profile`
        (the siblings its store has beside the query endpoint)."""
        update, gsp = profile.endpoints(self.query)
        return Endpoints(self.query, self.update or update, self.gsp or gsp)


def store_endpoints(url: str, update: str | None = None, gsp: str | None = None) -> Endpoints:
    """The endpoints of a store given by its query endpoint or, for Oxigraph, its base URL (no
    path: `/query`). The update and Graph Store endpoints not given are found by the store's
    profile (Endpoints.completed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"store URL: {url!r} is not an http(s) URL")
    if not parts.path.rstrip("/"):
        url = urlunsplit(parts._replace(path="/query"))
    return Endpoints(url, update, gsp)


def store_auth(environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """Credentials for the store from CAKG_STORE_TOKEN or CAKG_STORE_USER/CAKG_STORE_PASSWORD,
    in the scheme CAKG_STORE_AUTH names (ConfigError for another)."""
    env = os.environ if environ is None else environ
    token = env.get("CAKG_STORE_TOKEN")
    if token:
        return _Bearer(token)
    user = env.get("CAKG_STORE_USER")
    if not user:
        return None
    scheme = env.get("CAKG_STORE_AUTH", "basic").strip().lower() or "basic"
    if scheme not in AUTH_SCHEMES:
        raise ConfigError(f"CAKG_STORE_AUTH: '{scheme}' is not one of {', '.join(AUTH_SCHEMES)}")
    password = env.get("CAKG_STORE_PASSWORD", "")
    if scheme == "digest":
        return httpx.DigestAuth(user, password)
    return httpx.BasicAuth(user, password)


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
