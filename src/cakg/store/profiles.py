"""Store profiles: what cakg relies on beyond the SPARQL 1.1 standards, for the stores it knows.

- "standard": only what the SPARQL 1.1 Protocol, Update and Graph Store HTTP Protocol define.
  Uploads are one Graph Store POST of N-Triples per graph (`?graph=`), or INSERT DATA where there
  is no Graph Store endpoint; no `timeout` parameter is sent (the HTTP client's deadline holds);
  an update request is not taken to be isolated, so readers check the release around each query
  (cakg.store.release_graph, the switch mark).
- "oxigraph": also the dataset POST of N-Quads (every graph in one request) and `timeout` in
  seconds; one update request is one transaction whose readers see it whole.
- "virtuoso": Graph Store POSTs per graph at `/sparql-graph-crud`, updates at the query endpoint
  (`/sparql`, or `/sparql-auth` with credentials), `timeout` in milliseconds. Its deviations, each
  read around: blank nodes in results are `nodeID://b1` (read as `_:b1`); geo:wktLiteral values
  come back as virtrdf:Geometry (read as geo:wktLiteral again; their coordinates are Virtuoso's,
  stored as 32-bit floats); MOVE is not isolated (a reader sees it half done); an answer cut by
  its limits still says 200 (the headers in cakg.store.client say so).

`--store-profile auto` (the default) asks the query endpoint for its service description (a GET
with Accept: text/turtle) and takes the profile its Server header names; any other store gets the
standard profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from cakg.config import STORE_PROFILES
from cakg.errors import ConfigError

UploadMode = Literal["dataset", "graph", "update"]
VIRTUOSO_GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"


@dataclass(frozen=True)
class StoreProfile:
    """What a store offers beyond the standards, and how cakg reads around its deviations."""

    name: str
    upload: UploadMode  # with a Graph Store endpoint ("update" without one)
    timeout_scale: float | None  # the `timeout` parameter's units per second; None: not sent
    isolated_updates: bool  # readers see one update request whole (a snapshot), never half
    blank_node_prefix: str = ""  # written before blank node labels in results (Virtuoso)
    datatype_aliases: tuple[tuple[str, str], ...] = ()  # (the store's datatype, the one meant)
    # the last segment of a query endpoint's path -> its update and Graph Store endpoints
    siblings: tuple[tuple[str, str, str], ...] = ()

    def endpoints(self, query: str) -> tuple[str | None, str | None]:
        """The update and Graph Store endpoints beside the query endpoint `query`, if known."""
        parts = urlsplit(query)
        head, _, last = parts.path.rstrip("/").rpartition("/")
        for segment, update, gsp in self.siblings:
            if last == segment:
                return (
                    urlunsplit(parts._replace(path=f"{head}/{update}", query="")),
                    urlunsplit(parts._replace(path=f"{head}/{gsp}", query="")),
                )
        return None, None


PROFILES = {
    "standard": StoreProfile(
        "standard", "graph", None, isolated_updates=False,
        siblings=(("query", "update", "store"), ("sparql", "update", "data")),
    ),
    "oxigraph": StoreProfile(
        "oxigraph", "dataset", 1.0, isolated_updates=True,
        siblings=(("query", "update", "store"),),
    ),
    "virtuoso": StoreProfile(
        "virtuoso", "graph", 1000.0, isolated_updates=False, blank_node_prefix="nodeID://",
        datatype_aliases=((VIRTUOSO_GEOMETRY, GEO_WKT),),
        siblings=(
            ("sparql", "sparql", "sparql-graph-crud"),
            ("sparql-auth", "sparql-auth", "sparql-graph-crud-auth"),
        ),
    ),
}  # fmt: skip
SERVER_PRODUCTS = {"oxigraph": "oxigraph", "virtuoso": "virtuoso"}  # Server header product


def named_profile(name: str) -> StoreProfile:
    """The profile called `name` (not "auto"); ConfigError for an unknown one."""
    profile = PROFILES.get(name)
    if profile is None:
        known = ", ".join(STORE_PROFILES)
        raise ConfigError(f"store_profile: '{name}' is not one of {known}")
    return profile


def profile_for_server(server: str | None) -> StoreProfile:
    """The profile of the store whose Server header is `server` (`Virtuoso/07.20.3229 (Linux)`,
    `Oxigraph/0.5.13`); the standard profile for any other or none."""
    product = (server or "").split("/", 1)[0].strip().lower()
    return PROFILES[SERVER_PRODUCTS.get(product, "standard")]
