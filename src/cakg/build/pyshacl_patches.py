"""The patches cakg applies to pyshacl (and to rdflib's SPARQL processor) while pyshacl runs.

pyshacl has no public interface for any of these; each is a context manager, applied explicitly
around one pyshacl run (cakg.build.validate), one run at a time (a lock per patch), and undone
after it. tests/test_pyshacl_patches.py checks that the attributes patched still exist with the
signatures relied on and that each patch has its effect, so that a pyshacl or rdflib upgrade
that changes them fails there, loudly. pyshacl is pinned to the minor version tested.

* `targets_within(focus)` replaces `pyshacl.shape.Shape.focus_nodes(self, data_graph, debug)`:
  the targets a shape finds in the data graph are narrowed to `focus` (the home nodes of a
  per-file validation unit). pyshacl's own `focus_nodes` option is not the same: it also
  filters the value nodes of nested shapes (sh:not, sh:or, sh:qualifiedValueShape), which
  changes their results, and it drops blank nodes.
* `in_lists_read_once()` replaces `InConstraintComponent.__init__(self, shape)`: pyshacl makes a
  shape's constraint components anew each time it evaluates the shape, and the sh:in component
  reads its RDF list from the shapes graph each time.
* `prepared_queries()` replaces `rdflib.plugins.sparql.processor.parseQuery` and
  `translateQuery` (module attributes, looked up when a query runs): pyshacl evaluates a
  SHACL-SPARQL constraint once per focus node with the same text, and rdflib parses and
  translates it on every call (most of a validation run's time); the parsed texts are kept
  for the next run in the same process.
* `sparql_checked_once()` replaces `SPARQLQueryHelper.check_invalid_sparql(self, sparql_text,
  valuenode=None, extravars=None)`: pyshacl runs five regular expressions over a constraint's
  text (no MINUS, VALUES, SERVICE...) before every evaluation, once per focus node.
* `filters_without_error_messages()` replaces `rdflib.plugins.sparql.evaluate._ebv(expr, ctx)`
  (a module attribute, looked up when a FILTER runs): rdflib first asks for the boolean value of
  the unevaluated expression, which always fails for an expression and formats the whole
  expression tree into the error's message, then evaluates it; here it is evaluated at once.
* `rdflib_literal_conversions()` sets `rdflib.term._toPythonMapping` (the lexical conversions
  every new Literal reads its value with) to rdflib's own table, `rdflib.term.XSDToPython`, and
  puts back what was there after: owlrl replaces entries of that table for the whole process
  when it reasons (it reads xsd:gYearMonth and xsd:gYear, rdflib does not), so a validation after
  a reasoning run, or in a worker forked after one, found other literals ill-typed and compared
  other dates than one in a fresh process.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection, Iterator
from typing import Any

from pyshacl.constraints.core.other_constraints import InConstraintComponent
from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
from pyshacl.shape import Shape
from rdflib import term as rdflib_term
from rdflib.plugins.sparql import evaluate as sparql_evaluate
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.operators import EBV
from rdflib.plugins.sparql.parserutils import Expr
from rdflib.plugins.sparql.sparql import SPARQLError
from rdflib.term import Node

_TARGETS_LOCK = threading.Lock()


@contextlib.contextmanager
def targets_within(focus: Collection[Node]) -> Iterator[None]:
    """Restrict every shape's targets (its top-level focus nodes) to `focus` while pyshacl runs.

    pyshacl's own focus_nodes option also filters the value nodes of nested shapes (sh:not,
    sh:or, sh:qualifiedValueShape), which changes their results; this only narrows the targets
    a shape finds in the data graph, so nested evaluation is untouched.
    """

    def narrowed(original: Callable[..., Any]) -> Callable[..., Any]:
        def within(self: Shape, data_graph: Any, debug: bool = False) -> Any:
            return {n for n in original(self, data_graph, debug=debug) if n in focus}

        return within

    with _replaced(Shape, "focus_nodes", narrowed, _TARGETS_LOCK):
        yield


@contextlib.contextmanager
def memoised() -> Iterator[None]:
    """pyshacl as it ships, with work it repeats per focus or value node done once per run."""
    with (
        prepared_queries(),
        in_lists_read_once(),
        sparql_checked_once(),
        filters_without_error_messages(),
    ):
        yield


_IN_LISTS_LOCK = threading.Lock()


@contextlib.contextmanager
def in_lists_read_once() -> Iterator[None]:
    """Build each shape's sh:in constraint once while pyshacl runs, not once per evaluation.

    pyshacl makes a shape's constraint components anew every time it evaluates the shape; for
    `sh:not [ sh:in (...) ]` under a property shape that is once per value node, and each time
    the sh:in component reads its RDF list from the shapes graph. Here a component made for a
    shape is copied for the next one made for the same shape: it holds only that shape and the
    set of allowed values, which evaluation only reads.
    """
    made: dict[int, tuple[Shape, dict[str, Any]]] = {}

    def once(original: Callable[..., None]) -> Callable[..., None]:
        def init_once(self: InConstraintComponent, shape: Shape) -> None:
            hit = made.get(id(shape))
            if hit is not None and hit[0] is shape:
                for name, value in hit[1].items():
                    setattr(self, name, value)
                return
            original(self, shape)
            made[id(shape)] = (shape, _attributes(self))

        return init_once

    with _replaced(InConstraintComponent, "__init__", once, _IN_LISTS_LOCK):
        yield


@contextlib.contextmanager
def _replaced(
    owner: Any, name: str, make: Callable[[Any], Any], lock: threading.Lock
) -> Iterator[None]:
    """`owner.name` replaced by `make(original)` while the block runs, one block at a time."""
    with lock:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        try:
            yield
        finally:
            setattr(owner, name, original)


def _attributes(obj: object) -> dict[str, Any]:
    """An object's attributes: its slots (pyshacl's base classes use them) and its __dict__."""
    slots = (n for k in type(obj).__mro__ for n in getattr(k, "__slots__", ()))
    return {n: getattr(obj, n) for n in slots if hasattr(obj, n)} | getattr(obj, "__dict__", {})


_PREPARED_LOCK = threading.Lock()
# Parsed and translated query texts, kept across runs: a process validates with the same shapes
# again and again (a build's units, a worker's batches, the tests), and parsing the shapes' few
# dozen texts took about a second per run. Cleared when it passes _PREPARED_LIMIT texts.
_PARSED: dict[str, Any] = {}
_TRANSLATED: dict[tuple[int, str | None, tuple[tuple[str, str], ...]], tuple[Any, Any]] = {}
_PREPARED_LIMIT = 1000


@contextlib.contextmanager
def prepared_queries() -> Iterator[None]:
    """Parse and translate each SPARQL text once, not once per focus node nor once per run.

    pyshacl evaluates a SHACL-SPARQL constraint by calling Graph.query with the same text and
    $this pre-bound, once per focus node; rdflib parses and translates the text on every call,
    which was most of a validation run's time. Here rdflib's parse and translate steps are
    memoised while pyshacl runs (keyed on the text, base and namespaces; the memo outlives the
    run), so the same prepared query is evaluated with each binding, as rdflib's own
    prepareQuery does: the results are unchanged.
    """
    module = vars(sparql_processor)
    parse, translate = module["parseQuery"], module["translateQuery"]

    def parse_once(text: str) -> Any:
        if text not in _PARSED:
            if len(_PARSED) >= _PREPARED_LIMIT:
                _PARSED.clear()
                _TRANSLATED.clear()
            _PARSED[text] = parse(text)
        return _PARSED[text]

    def translate_once(tree: Any, base: str | None = None, init_ns: Any = None) -> Any:
        key = (id(tree), base, tuple(sorted((str(k), str(v)) for k, v in (init_ns or {}).items())))
        hit = _TRANSLATED.get(key)
        if hit is None or hit[0] is not tree:
            hit = _TRANSLATED[key] = (tree, translate(tree, base, init_ns))
        return hit[1]

    with _PREPARED_LOCK:
        module["parseQuery"], module["translateQuery"] = parse_once, translate_once
        try:
            yield
        finally:
            module["parseQuery"], module["translateQuery"] = parse, translate


_CHECKED_LOCK = threading.Lock()
_CHECKED: set[tuple[str, bool, frozenset[str]]] = set()  # texts found valid, kept across runs


@contextlib.contextmanager
def sparql_checked_once() -> Iterator[None]:
    """Check each SHACL-SPARQL text for what SHACL forbids once, not before every evaluation.

    pyshacl's check reads only the text, whether a value node is bound and the extra variables,
    and either returns True or raises; a text that passed passes again.
    """

    def once(original: Callable[..., bool]) -> Callable[..., bool]:
        def check_once(
            self: SPARQLQueryHelper,
            sparql_text: str,
            valuenode: Any = None,
            extravars: Any = None,
        ) -> bool:
            key = (sparql_text, valuenode is not None, frozenset(extravars or ()))
            if key not in _CHECKED:
                original(self, sparql_text, valuenode=valuenode, extravars=extravars)
                if len(_CHECKED) >= _PREPARED_LIMIT:
                    _CHECKED.clear()
                _CHECKED.add(key)
            return True

        return check_once

    with _replaced(SPARQLQueryHelper, "check_invalid_sparql", once, _CHECKED_LOCK):
        yield


_EBV_LOCK = threading.Lock()


@contextlib.contextmanager
def filters_without_error_messages() -> Iterator[None]:
    """Evaluate a FILTER's expression at once instead of first failing to read it as a value.

    rdflib's _ebv(expr, ctx) calls EBV(expr), which raises for anything but a literal, with the
    expression's repr in the message, then evaluates the expression; an error is false. For an
    expression the first step always fails, so it is skipped: the same truth value, without
    formatting an expression tree per FILTER and solution.
    """

    def direct(original: Callable[..., bool]) -> Callable[..., bool]:
        def ebv(expr: Any, ctx: Any) -> bool:
            if not isinstance(expr, Expr):
                return bool(original(expr, ctx))
            try:
                return bool(EBV(expr.eval(ctx)))
            except SPARQLError:
                return False  # rdflib: a filter error is false

        return ebv

    with _replaced(sparql_evaluate, "_ebv", direct, _EBV_LOCK):
        yield


_CONVERSIONS_LOCK = threading.Lock()


@contextlib.contextmanager
def rdflib_literal_conversions() -> Iterator[None]:
    """rdflib's own lexical conversions for the Literals made while the block runs.

    The table is changed in place (owlrl holds the same dict) and restored after the block.
    """
    table = rdflib_term._toPythonMapping
    with _CONVERSIONS_LOCK:
        saved = dict(table)
        table.clear()
        table.update(rdflib_term.XSDToPython)
        try:
            yield
        finally:
            table.clear()
            table.update(saved)


def use_rdflib_literal_conversions() -> None:
    """As rdflib_literal_conversions, for good: in a validation worker process."""
    table = rdflib_term._toPythonMapping
    table.clear()
    table.update(rdflib_term.XSDToPython)
