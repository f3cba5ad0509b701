"""The Engine over a web process's query workers: lanes, deadlines, fairness, the cache.

Every client query is evaluated in a worker process forked by the zygote (engine/zygote.py):
killable, in an empty network namespace, under memory and CPU limits. A web process never
hands client SPARQL text to pyoxigraph; the one thing it answers itself is a *point lookup*
(`QueryShape.lookup`, see guard.parse_point_lookup: one triple pattern about one named node),
read through pyoxigraph's pattern API (`OxigraphEngine.answer_lookup`), whose work is bounded
by that node's degree.

- **Two lanes.** A pool has `size` general workers and `short` short-lane workers. A request
  that already ran within the short budget (cost.ShortQueries) goes to the short lane, or to
  any idle general worker; every other request waits for a general worker only. So a short
  query never waits behind long ones, however many there are.
- **Deadlines.** A query's limit counts from the arrival of its request (request_context),
  queueing included. At the deadline the pool SIGKILLs the worker and forks a fresh one; the
  worker's own CPU limit would stop it anyway, and it dies with its web process.
- **Fairness.** A client (by address) may have `client_limit` general-lane queries at once,
  across all web processes (ClientSlots): one more is 429, not a queue slot taken from others.
- **Errors.** A request that found every worker busy until its deadline is WorkersBusy; one
  whose worker died says why (deadline, CPU limit, memory limit, stack overflow, crash), and
  the death is logged with the request id.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from cakg.engine.base import Answer, Engine, Formats, QueryDataset, QueryResult, binding_key
from cakg.engine.cache import ResultCache
from cakg.engine.client_slots import ClientSlots
from cakg.engine.cost import ShortQueries
from cakg.engine.guard import QueryShape, inspect_query
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.engine.point_lookup import PointLookup
from cakg.engine.pool import GENERAL, SHORT, WorkerPool
from cakg.engine.spec import EngineSpec
from cakg.engine.zygote import Zygote, ZygoteLink
from cakg.errors import NotAcceptable
from cakg.request_context import current


class PooledEngine:
    """The Engine interface over a WorkerPool, with the timeout and an optional result cache."""

    def __init__(
        self,
        spec: EngineSpec,
        *,
        workers: int,
        timeout: float,
        memory_mb: int,
        short_workers: int = 0,
        short_budget: float = 0.0,
        cache_bytes: int = 0,
        link: ZygoteLink | None = None,
        local: Engine | None = None,
        slots: ClientSlots | None = None,
        client_limit: int = 0,
        allow_network: bool = False,
    ) -> None:
        """Workers forked by a zygote of its own, or by the shared one behind `link`.

        With `local` (the engine loaded in this process, a pyoxigraph one), point lookups are
        answered here through its pattern API, never as query text (see the module's doc).
        """
        self.name, self.version = spec[0], spec[2]
        self.timeout = timeout
        # only a pyoxigraph engine has the pattern API; the others answer nothing here
        self.local = local if isinstance(local, OxigraphEngine) else None
        self.short = ShortQueries(short_budget if short_workers > 0 else 0.0)
        # shared `slots` (made before the web processes fork) outlive this engine
        self._own_slots = slots is None
        self.slots = slots or ClientSlots(client_limit)
        if link is None:
            owner = Zygote(spec, memory_mb, allow_network=allow_network)
            self.pool = WorkerPool(owner.link(), spec, workers, short_workers, owner)
        else:
            self.pool = WorkerPool(link, spec, workers, short_workers)
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None

    def _timeout(self, requested: float | None) -> float:
        return self.timeout if requested is None else min(requested, self.timeout)

    def _in_worker(self, call: tuple[Any, ...], limit: float, key: Hashable, sparql: str) -> Any:
        """`call` answered by a worker of the right lane; what it cost recorded under `key`."""
        context = current()
        started = context.started if context is not None else time.monotonic()
        deadline = started + limit
        if self.short.allows(key, limit):
            result, cost = self.pool.call(call, limit, deadline, SHORT)
        else:
            with self.slots.held(context.client if context is not None else None):
                result, cost = self.pool.call(call, limit, deadline, GENERAL)
        self.short.record(key, sparql, cost)
        return result

    def _lookup(
        self, shape: QueryShape, dataset: QueryDataset | None, bindings: Any
    ) -> PointLookup | None:
        """The query's point lookup, when the local engine may answer it."""
        if bindings or (dataset is not None and dataset.explicit):
            return None
        return shape.lookup

    def answer(
        self,
        sparql: str,
        *,
        formats: Formats,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Answer:
        shape = inspect_query(sparql)  # refuse updates, SERVICE and deep nesting right here
        if shape.form is not None and formats.for_form(shape.form) is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {shape.form} query")
        key = None
        bound = binding_key(bindings)
        if self.cache is not None:
            key = (self.version, sparql, formats, dataset, bound, max_rows)
            cached: Answer | None = self.cache.get(key)
            if cached is not None:
                return cached
        answer: Answer
        lookup = self._lookup(shape, dataset, bindings)
        if self.local is not None and lookup is not None:
            answer = self.local.answer_lookup(
                lookup, formats=formats, dataset=dataset, max_rows=max_rows
            )
        else:
            options = {
                "formats": formats,
                "dataset": dataset,
                "bindings": bindings,
                "max_rows": max_rows,
            }
            request = ("answer", sparql, formats, dataset, bound, max_rows)
            answer = self._in_worker(
                ("answer", sparql, options), self._timeout(timeout), request, sparql
            )
        if key is not None and self.cache is not None:
            self.cache.put(key, answer, len(answer.body))
        return answer

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        lookup = self._lookup(inspect_query(sparql), dataset, bindings)
        if self.local is not None and lookup is not None:
            result: QueryResult = self.local.query_lookup(
                lookup, dataset=dataset, max_rows=max_rows
            )
            return result
        options = {"dataset": dataset, "bindings": bindings, "max_rows": max_rows}
        request = ("query", sparql, dataset, binding_key(bindings), max_rows)
        result = self._in_worker(
            ("query", sparql, options), self._timeout(timeout), request, sparql
        )
        return result

    def count(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        timeout: float | None = None,
    ) -> int:
        """The whole answer's size, counted by a worker under the same deadline, lanes and
        limits as any query (point lookups too: counting one is not worth a special path)."""
        inspect_query(sparql)  # refuse updates, SERVICE and deep nesting right here
        key = ("count", self.version, sparql, dataset)
        if self.cache is not None:
            cached: int | None = self.cache.get(key)
            if cached is not None:
                return cached
        options = {"dataset": dataset}
        total: int = self._in_worker(
            ("count", sparql, options), self._timeout(timeout), ("count", sparql, dataset), sparql
        )
        if self.cache is not None:
            self.cache.put(key, total, 64)
        return total

    def graph_names(self) -> Sequence[str]:
        return list(self.pool.graphs)

    def close(self) -> None:
        self.pool.close()
        if self._own_slots:
            self.slots.close()
