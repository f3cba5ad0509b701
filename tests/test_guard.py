"""The query screen: what it refuses (updates; SERVICE wherever pyoxigraph or the SPARQL
specification would read one; deep nesting; long chains), the shape it reports, the point
lookups it parses, and the row cap's exactness at its boundary in every results format.

The SERVICE cases are checked against pyoxigraph itself: a listener on 127.0.0.1 counts the
connections pyoxigraph opens, and a differential test (hypothesis) generates queries that hide
SERVICE among strings, escapes, numbers, comments and names."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import DefaultGraph, NamedNode, QueryBoolean, QuerySolutions, RdfFormat, Store
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery

from cakg.engine.guard import MAX_CHAIN, MAX_GROUPS, MAX_NESTING, inspect_query, parse_point_lookup
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.engine.point_lookup import RDF_TYPE, PointLookup
from cakg.errors import BadQuery, QueryError, UpdateRefused
from cakg.results import negotiate
from cakg.sparql_text import code_text

KZ = "https://w3id.org/cakg/id/state/kazakhstan"


# ---------------------------------------------------------------- pyoxigraph as the oracle


@dataclass
class Listener:
    """A TCP listener on 127.0.0.1 that accepts and closes connections, counting them."""

    server: socket.socket
    connections: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:  # closed: the fixture is done
                return
            self.connections += 1  # before the close, which is what pyoxigraph waits for
            conn.close()


@pytest.fixture(scope="module")
def counting_listener() -> Iterator[Listener]:
    server = socket.create_server(("127.0.0.1", 0))
    found = Listener(server)
    thread = threading.Thread(target=found.serve, daemon=True)
    thread.start()
    yield found
    server.shutdown(socket.SHUT_RDWR)
    server.close()
    thread.join()


# Objects the payloads below glue SERVICE to, so that what comes before it has a solution and
# pyoxigraph goes on to evaluate the SERVICE.
ORACLE_DATA = (
    '<http://x/s> <http://x/p> <http://x/o>, <http://x:80>, <http://x/a.b>, 1e1, true, false, "x" .'
)


@pytest.fixture(scope="module")
def oracle() -> Store:
    store = Store()
    store.load(ORACLE_DATA.encode(), format=RdfFormat.TURTLE)
    return store


def pyoxigraph_reads(store: Store, counting_listener: Listener, query: str) -> tuple[bool, bool]:
    """Whether pyoxigraph parses `query`, and whether it connected to the listener."""
    before = counting_listener.connections
    try:
        result = store.query(query)
        if not isinstance(result, QueryBoolean):
            list(result)
    except SyntaxError:
        return False, counting_listener.connections > before
    except (OSError, RuntimeError, ValueError):  # the SERVICE call failed: it was made
        pass
    return True, counting_listener.connections > before


# Each payload makes pyoxigraph (0.5) call the SERVICE at {L}; the first two passed the guard
# before it read the text with a tokenizer, the others are other ways pyoxigraph's parser (no
# tokenizer, keywords read by prefix, backtracking) finds a SERVICE keyword.
SERVICE_PAYLOADS = [
    'SELECT * { BIND("\\u0022" AS ?a) SERVICE SILENT <{L}x> { ?s ?p ?o } BIND("\\u0022" AS ?b) }',
    "SELECT * { ?s ?p 1e1SERVICE SILENT <{L}x> { ?s ?p ?o } }",
    "SELECT * { ?s ?p trueSERVICE SILENT <{L}x> { ?s ?p ?o } }",
    "SELECT * { SERVICESILENT<{L}x>{ ?s ?p ?o } }",
    "select * { service <{L}x> { ?s ?p ?o } }",
    "PREFIX : <{L}> SELECT * { SERVICE:x{ ?s ?p ?o } }",  # SERVICE, then the IRI `:x`
    "PREFIX SERVICE: <http://x/> PREFIX : <{L}> SELECT * { SERVICE:x{ ?s ?p ?o } }",
    # `ex:SERVICE` is no IRI (`http://x:80SERVICE`): pyoxigraph reads `ex:`, then SERVICE
    "PREFIX ex: <http://x:80> SELECT * { ?s ?p ex:SERVICE SILENT <{L}x> { ?s ?p ?o } }",
    # pyoxigraph's local names hold one run of dots: `ex:a.b`, `.`, SERVICE
    "PREFIX ex: <http://x/> SELECT * { ?s ?p ex:a.b.SERVICE SILENT <{L}x> { ?s ?p ?o } }",
    # the long string fails (a surrogate escape): `""`, `"x"`, SERVICE, a comment
    'SELECT * { VALUES ?v { """x" } SERVICE SILENT <{L}x> { ?a ?b ?c } #\\uD800"""\n}',
]


@pytest.mark.parametrize("payload", SERVICE_PAYLOADS)
def test_guard_refuses_every_service_pyoxigraph_would_call(
    payload: str, oracle: Store, counting_listener: Listener
) -> None:
    query = payload.replace("{L}", counting_listener.base)
    assert pyoxigraph_reads(oracle, counting_listener, query) == (True, True)
    with pytest.raises(BadQuery, match="SERVICE") as caught:
        inspect_query(query)
    assert caught.value.line == 1 and caught.value.column is not None
    at = caught.value.column - 1  # the token that holds the keyword
    assert "SERVICE" in query[at : at + 16].upper()


def test_guard_refuses_a_service_pyoxigraph_reads_where_it_finds_no_solution(
    oracle: Store, counting_listener: Listener
) -> None:
    """`true:trueSERVICE`: the prefix `true` is not declared, so pyoxigraph reads `true`, then
    `:trueSERVICE`, which is no IRI (`http://x:80trueSERVICE`), so `:`, `true`, SERVICE. The
    subject `true` matches nothing and the SERVICE is not called; that pyoxigraph parses the
    query only with the keyword spelt right shows that it reads one."""
    query = "PREFIX : <http://x:80> SELECT * { ?s ?p ?o . true:trueSERVICE <{L}x> { } }"
    query = query.replace("{L}", counting_listener.base)
    assert pyoxigraph_reads(oracle, counting_listener, query)[0]
    assert not pyoxigraph_reads(oracle, counting_listener, query.replace("SERVICE", "SERVICF"))[0]
    with pytest.raises(BadQuery, match="SERVICE"):
        inspect_query(query)


# The specification decodes \u escapes first, everywhere: rdflib (and a remote store) read a
# SERVICE here that pyoxigraph reads as a string; refused as well.
SPEC_SERVICE_PAYLOADS = [
    'SELECT * { BIND("\\u0022 AS ?a) SERVICE <{L}x> { ?s ?p ?o } BIND(\\u0022" AS ?b) }',
    "SELECT * { ?s ?p ?o # \\u000A SERVICE <{L}x> { ?s ?p ?o }\n}",
    "SELECT * { ?s ?p '\\u0027 . SERVICE <{L}x> { ?s ?p ?o } } #' }",
]


@pytest.mark.parametrize("payload", SPEC_SERVICE_PAYLOADS)
def test_guard_refuses_a_service_the_specifications_reading_has(
    payload: str, oracle: Store, counting_listener: Listener
) -> None:
    query = payload.replace("{L}", counting_listener.base)
    assert pyoxigraph_reads(oracle, counting_listener, query)[1] is False
    assert "ServiceGraphPattern" in repr(parseQuery(query))
    with pytest.raises(BadQuery, match="SERVICE"):
        inspect_query(query)


GUARD_ALLOWS = [
    'SELECT ?service WHERE { ?service <http://x/SERVICE> "SERVICE" } # SERVICE',
    "PREFIX SERVICE: <http://x/> SELECT * { SERVICE:x ?p ?o . ?s SERVICE:y SERVICE:z }",
    "PREFIX ex: <http://x/> SELECT * { ?s ?p ex:SERVICE . ex:SERVICE ?p ?o }",
    "SELECT ?SERVICE $service { ?s ?p ?o } # \\u0053ERVICE in a comment is a comment",
    "SELECT * { BIND(\"SERVICE <x> {}\" AS ?a) BIND('''\nSERVICE''' AS ?b) }",
    'SELECT * { BIND("\\u0041 \\" SERVICE \\u0042" AS ?a) }',  # escapes that move no quote
    "SELECT * { ?s <http://x/\\u0053ERVICE> ?o }",
    "SELECT * { ?s ?p 1e1 . ?s ?p 1SERV }",
]


@pytest.mark.parametrize("sparql", GUARD_ALLOWS)
def test_guard_allows_service_where_it_is_not_code(
    sparql: str, oracle: Store, counting_listener: Listener
) -> None:
    _, called = pyoxigraph_reads(oracle, counting_listener, sparql)
    assert not called
    inspect_query(sparql)


# ---------------------------------------------------------------- differential fuzzing

SERVICE_WORDS = [
    "SERVICE ",
    "service ",
    "SeRvIcE",
    "SERVICE SILENT ",
    "SERVICESILENT",
    "service silent ",
]
# Pieces of a string's content; the ones that decode to a quote, a backslash or a newline
# move string boundaries in the specification's reading, not in pyoxigraph's.
PLAIN_PIECES = ["SERVICE", "service", " ", "<{L}x>", "{", "}", "#", "x", "?s", "\\t", "\\\\"]
PLAIN_PIECES += ["\\u0041", "\\U00000053", "\\n", "é"]
SHIFTING_PIECES = ["\\u0022", "\\u0027", "\\u005C", "\\u000A", "\\u000d"]


@dataclass(frozen=True)
class Fragment:
    text: str  # `{v}` and `{w}`: fresh variables; `{L}`: the listener's base IRI
    service: bool = False  # SERVICE is code in pyoxigraph's or the specification's reading
    shifting: bool = False  # an escape that moves strings in the specification's reading


def quoted(pieces: list[str], quote: str) -> str:
    escaped = []
    for piece in pieces:
        if piece in ('"', "'"):
            piece = "\\" + piece
        escaped.append(piece)
    return quote + "".join(escaped) + quote


strings = st.builds(
    lambda pieces, quote, extra: Fragment(
        f"BIND({quoted(pieces + extra, quote)} AS ?{{v}})", shifting=bool(extra)
    ),
    st.lists(st.sampled_from([*PLAIN_PIECES, '"', "'"]), max_size=6),
    st.sampled_from(['"', "'", '"""', "'''"]),
    st.lists(st.sampled_from(SHIFTING_PIECES), max_size=1),
)
harmless = st.sampled_from(
    [
        Fragment("OPTIONAL { ?s ?p ?o }"),
        Fragment("?s ?p ?o ."),
        Fragment("OPTIONAL { ?s ?p ex:SERVICE }"),
        Fragment("OPTIONAL { ex:SERVICE ?p ?o }"),
        Fragment("OPTIONAL { SERVICE:x ?p ?o }"),
        Fragment("OPTIONAL { ?s SERVICE:x ?o }"),
        Fragment("OPTIONAL { ?s ?p <http://x/SERVICE> }"),
        Fragment("OPTIONAL { ?s ?p 1e1 }"),
        Fragment("OPTIONAL { ?s ?p true }"),
        Fragment("OPTIONAL { ?s ?p ex:a.b }"),
        Fragment("OPTIONAL { ?s ?p ?SERVICE }"),
        Fragment("OPTIONAL { ?s ?p $service }"),
        Fragment("OPTIONAL { ?s ?p ?o FILTER(?s<?p&&?o>?s) }"),
        Fragment("BIND(1 AS ?SERVICE{v})"),
        Fragment("BIND(<http://x/\\u0053ERVICE> AS ?{v})"),
        Fragment("FILTER(true)"),
        Fragment("filter(TRUE || false)"),
        Fragment("VALUES ?{v} { 1 2 }"),
        Fragment("# SERVICE <{L}x> { } \\u0041\n"),
        Fragment("bind(1e1 AS ?{v})"),
    ]
)
hidden = st.builds(
    lambda template, word: Fragment(template.replace("SERVICE ", word), service=True),
    st.sampled_from(
        [
            "SERVICE <{L}x> { ?a ?b ?c }",
            "OPTIONAL { ?s ?p 1e1SERVICE <{L}x> { } }",
            "OPTIONAL { ?s ?p trueSERVICE <{L}x> { } }",
            "OPTIONAL { ?s ?p bad:SERVICE <{L}x> { } }",
            "OPTIONAL { ?s ?p ex:a.b.SERVICE <{L}x> { } }",
            'BIND("\\u0022" AS ?{v}) SERVICE <{L}x> { } BIND("\\u0022" AS ?{w})',
            'VALUES ?{v} { """x" } SERVICE <{L}x> { } #\\uD800"""\n',
            'BIND("\\u0022 AS ?{v}) SERVICE <{L}x> { } BIND(\\u0022" AS ?{w})',  # the spec's
            "# \\u000A SERVICE <{L}x> { }\n",  # the specification's reading only
            "\\u0053ERVICE <{L}x> { }",  # neither reads it: pyoxigraph fails, the spec reads it
        ]
    ),
    st.sampled_from(SERVICE_WORDS),
) | st.sampled_from([Fragment("SERVICE:x{ ?a ?b ?c }", service=True)])
SEPARATORS = st.sampled_from([" ", "\n", "\t", "", " # SERVICE\n", " . "])
PROLOGUE = (
    "PREFIX ex: <http://x/> PREFIX SERVICE: <http://x/> PREFIX bad: <http://x:80> PREFIX : <{L}>\n"
)


@st.composite
def queries(draw: Callable[..., object]) -> tuple[str, bool]:
    """A query, and whether it may hold a SERVICE in some reading: it does, or one of its
    escapes moves strings in the specification's reading and the word is in its text."""
    fragments = draw(st.lists(st.one_of(harmless, strings, hidden), min_size=1, max_size=5))
    assert isinstance(fragments, list)
    separators = [draw(SEPARATORS) for _ in fragments]
    body = ""
    for i, (fragment, separator) in enumerate(zip(fragments, separators, strict=True)):
        body += fragment.text.replace("{v}", f"v{i}").replace("{w}", f"w{i}") + separator
    head = draw(st.sampled_from(["SELECT * WHERE", "select *", "SELECT*", "Select * where"]))
    query = f"{PROLOGUE}{head} {{ {body} }}"
    shifting = any(f.shifting for f in fragments) and "SERVICE" in query.upper()
    return query, shifting or any(f.service for f in fragments)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(queries())
def test_guard_and_pyoxigraph_agree_on_service(
    oracle: Store, counting_listener: Listener, generated: tuple[str, bool]
) -> None:
    template, service = generated
    query = template.replace("{L}", counting_listener.base)
    parsed, called = pyoxigraph_reads(oracle, counting_listener, query)
    try:
        inspect_query(query)
        refused: QueryError | None = None
    except QueryError as e:
        refused = e
    if called:  # pyoxigraph made the call: the guard must have refused the query
        assert isinstance(refused, BadQuery), query
    if parsed and not service:  # no SERVICE in any reading: the guard must let it through
        assert refused is None, (query, refused)
    if "\\u" in query and not (called or refused):  # rdflib reads escapes as the spec does
        try:
            tree = repr(parseQuery(query))
        except ParseException:
            return
        assert "ServiceGraphPattern" not in tree, query


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("SELCTAK*{}<>?$:._\"'#\\u0022 \nxp()1e;,a/|^"))))
def test_the_screen_and_the_lookup_parser_never_fail_otherwise(text: str) -> None:
    """On any text: a QueryError or a shape from the screen, a lookup or None from the parser,
    and the two agree on the lookup."""
    lookup = parse_point_lookup(text)
    with contextlib.suppress(QueryError):
        # the screen and the parser read one lookup: the pool takes the screen's
        assert inspect_query(text).lookup == lookup
    assert len(code_text(text)) == len(text) or "\\u" in text or "\\U" in text


# ---------------------------------------------------------------- refusals and limits

GUARD_REFUSALS = [
    ("INSERTDATA { <x> <y> <z> }", UpdateRefused),  # pyoxigraph reads keywords by prefix
    ("PREFIXex:<http://x/>WITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", UpdateRefused),
    ("\\u0049NSERT DATA { <x> <y> <z> }", UpdateRefused),  # the specification's reading
    ("load <http://127.0.0.1:9/x.ttl>", UpdateRefused),
    ("SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1), BadQuery),
    ("SELECT * { FILTER(" + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + ") }", BadQuery),
    ("SELECT * { ?s ?p ?o ` }", BadQuery),  # what cannot be read is refused
]


@pytest.mark.parametrize(("sparql", "error"), GUARD_REFUSALS)
def test_guard_refuses(sparql: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        inspect_query(sparql)


def test_a_syntax_error_names_its_line_and_column() -> None:
    with pytest.raises(BadQuery) as caught:
        inspect_query("SELECT ?s\nWHERE { ?s ?p 'open }")
    assert (caught.value.line, caught.value.column) == (2, 15)


def test_the_minus_chain_that_crashes_pyoxigraph_on_a_small_stack_is_refused() -> None:
    query = "SELECT * {" + "MINUS{}" * 1000 + "}"
    assert len(query) > 7000
    with pytest.raises(BadQuery, match=f"1000 MINUS; the limit is {MAX_CHAIN}"):
        inspect_query(query)


def _chain(operator: str, n: int) -> str:
    """A query holding `n` of `operator`, and nothing else over a limit."""
    groups = {
        "UNION": "SELECT * { {} " + "UNION {} " * n + "}",
        "MINUS": "SELECT * { " + "MINUS {} " * n + "}",
        "OPTIONAL": "SELECT * { " + "OPTIONAL {} " * n + "}",
        "GRAPH": "SELECT * { " + "GRAPH ?g {} " * n + "}",
        "BIND": "SELECT * { " + "".join(f"BIND(1 AS ?v{i}) " for i in range(n)) + "}",
        "VALUES": "SELECT * { " + "".join(f"VALUES ?v{i} {{ 1 }} " for i in range(n)) + "}",
        "FILTER": "SELECT * { " + "FILTER(true) " * n + "}",
        "SELECT (subqueries)": "SELECT * { " + "{ SELECT * {} } " * (n - 1) + "}",
        "'{' (groups)": "SELECT * { " + "{ ?s ?p ?o } " * (n - 1) + "}",
        "'+'": "SELECT (1" + " + 1" * n + " AS ?x) {}",
        "'-'": "SELECT (1" + " - 1" * n + " AS ?x) {}",
        "'*'": "SELECT (1" + " * 1" * n + " AS ?x) {}",
        "'/' (division or path sequence)": "SELECT * { ?s <p>" + "/<p>" * n + " ?o }",
        "'|' (path alternative)": "SELECT * { ?s <p>" + "|<p>" * n + " ?o }",
        "'&&'": "SELECT * { FILTER(true" + " && true" * n + ") }",
        "'||'": "SELECT * { FILTER(true" + " || true" * n + ") }",
        "'!'": "SELECT * { FILTER(" + "!" * n + "true) }",
        "triple patterns ('.', ';' and ',')": "SELECT * { ?s ?p ?o" + " , ?o" * n + " }",
        "collection items": "SELECT * { ?s ?p (" + " 1" * n + " ) }",
    }
    return groups[operator]


CHAIN_OPERATORS = [
    "UNION", "MINUS", "OPTIONAL", "GRAPH", "BIND", "VALUES", "FILTER", "SELECT (subqueries)",
    "'{' (groups)", "'+'", "'-'", "'*'", "'/' (division or path sequence)",
    "'|' (path alternative)", "'&&'", "'||'", "'!'", "triple patterns ('.', ';' and ',')",
    "collection items",
]  # fmt: skip


@pytest.mark.parametrize("operator", CHAIN_OPERATORS)
def test_each_chain_is_bounded(operator: str) -> None:
    limit = MAX_GROUPS if operator == "'{' (groups)" else MAX_CHAIN
    inspect_query(_chain(operator, limit))
    with pytest.raises(BadQuery) as caught:
        inspect_query(_chain(operator, limit + 1))
    assert str(caught.value).startswith(f"the query holds {limit + 1} {operator}; the limit is")


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * { FILTER(?a<1{chain}&&?b>2) }",
        "SELECT * { {{ SELECT ?a (?a<1{chain}&&?b>2 AS ?x) WHERE {{}} }} }",
        "SELECT * { {{ SELECT ?a {{ ?a ?b ?c }} GROUP BY ?a (?a<1{chain}&&?a>2 AS ?x) }} }",
        "SELECT * { {{ SELECT ?a {{ ?a ?b ?c }} ORDER BY ?a ex:f(?a<1{chain}&&?a>2) }} }",
    ],
)
def test_a_chain_is_not_hidden_in_what_looks_like_an_iri(
    template: str, oracle: Store, counting_listener: Listener
) -> None:
    """`<1+1+...&&?b>` looks like an IRI; in an expression, after an operand, pyoxigraph reads
    `<` as less-than and counts on."""
    prologue = "PREFIX ex: <http://x/> "
    short = prologue + template.replace("{{", "{").replace("}}", "}").replace("{chain}", "+1")
    parsed, _ = pyoxigraph_reads(oracle, counting_listener, short.replace("ex:f", "STR"))
    assert parsed
    inspect_query(short)
    long = short.replace("+1", "+1" * (MAX_CHAIN + 1))
    with pytest.raises(BadQuery, match="'\\+'"):
        inspect_query(long)


def test_chains_count_glued_keywords_and_both_readings() -> None:
    glued = "SELECT * { " + "?s ?p trueMINUS{} " * (MAX_CHAIN + 1) + "}"
    with pytest.raises(BadQuery, match="MINUS"):
        inspect_query(glued)
    # signs and path modifiers are no chain; a function's commas are no triple pattern
    inspect_query("SELECT * { VALUES ?x { " + "-1 +2 " * MAX_CHAIN + "} ?s <p>+ ?o }")
    inspect_query("SELECT (CONCAT(" + ", ".join(['"a"'] * (MAX_CHAIN + 2)) + ") AS ?x) {}")
    # a VALUES block's rows are no collection
    inspect_query("SELECT * { VALUES (?a ?b) { " + "(1 <http://x/a>) " * MAX_CHAIN + "} }")


# ---------------------------------------------------------------- the shape

GUARD_FORMS = [
    ("PREFIX service: <http://x/> ASK { service:a ?p ?o }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://x/> DESCRIBE <a>", "DESCRIBE"),
    ("SELECT * WHERE { FILTER(?a < ?b) }", "SELECT"),
    ("SELECTDISTINCT?s{?s ?p ?o}", "SELECT"),  # pyoxigraph reads keywords by prefix
    ('VERSION "1.2" PREFIXex:<http://x/>ASK{}', "ASK"),
    ("{ ?s ?p ?o }", None),
]


@pytest.mark.parametrize(("sparql", "form"), GUARD_FORMS)
def test_the_shape_names_the_form(sparql: str, form: str | None) -> None:
    assert inspect_query(sparql).form == form


def test_the_shape_says_whether_results_stream() -> None:
    assert inspect_query("SELECT ?s WHERE { ?s ?p ?o }").streams
    assert not inspect_query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s").streams
    assert not inspect_query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }").streams
    assert not inspect_query("SELECTDISTINCT ?s WHERE { ?s ?p ?o }").streams
    assert inspect_query('SELECT ?s WHERE { ?s ?p "ORDER BY" }').streams
    assert inspect_query("SELECT ?s WHERE { <http://x/s> ?p ?s }").point_lookup


@pytest.mark.parametrize(
    ("sparql", "says"),
    [
        ("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("select ?g where { graph ?g { ?s ?p ?o } }", True),
        # the specification's reading: `"" } GRAPH ?g {...} ""`
        ('SELECT * { ?s ?p "\\u0022 } GRAPH ?g { ?s ?p ?o } \\u0022" }', True),
        ("SELECT ?s WHERE { ?s <http://x/graph> ?o }", False),  # inside an IRI: not code
        ('SELECT ?s WHERE { ?s ?p "GRAPH" }', False),
        ("SELECT ?s WHERE { ?s ?p ?o } # GRAPH", False),
        ("PREFIX ex: <http://x/> SELECT ?s WHERE { ?s ex:graph ?o }", False),
        ("SELECT ?s WHERE { ?s ?p ?o }", False),
    ],
)
def test_the_shape_says_whether_the_query_may_read_named_graphs(sparql: str, says: bool) -> None:
    assert inspect_query(sparql).says_graph is says


@pytest.mark.parametrize(
    ("sparql", "has_from"),
    [
        ("SELECT * FROM <http://x/g> { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <http://x/g> { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT*FROMNAMED<http://x/g>{}", True),
        ("PREFIX : <http://x/> SELECT * FROM:g {}", True),  # FROM, then the IRI `:g`
        ("SELECT * { ?s <http://x/from> ?o }", False),
        ('SELECT * { ?s ?p "FROM" }', False),
        ("PREFIX from: <http://x/> SELECT * { ?s from:x ?o }", False),
    ],
)
def test_the_shape_says_whether_the_query_names_its_dataset(sparql: str, has_from: bool) -> None:
    assert inspect_query(sparql).has_from is has_from


def test_the_shape_is_unreadable_text_refused() -> None:
    with pytest.raises(BadQuery) as caught:
        inspect_query("SELECT ?g WHERE { \\u0047RAPH ?g { ?s ?p ?o } }")
    assert (caught.value.line, caught.value.column) == (1, 19)  # pyoxigraph cannot read it


# ---------------------------------------------------------------- point lookups

POINT_LOOKUPS = [
    (
        f"SELECT ?p ?o WHERE {{ <{KZ}> ?p ?o }}",
        PointLookup("SELECT", KZ, None, "p", None, "o", ("p", "o")),
    ),
    (
        "PREFIX id: <https://w3id.org/cakg/id/>\n"
        "SELECT DISTINCT ?o WHERE { id:x a ?o . } LIMIT 10 OFFSET 5",
        PointLookup(
            "SELECT", "https://w3id.org/cakg/id/x", RDF_TYPE, None, None, "o", ("o",), True, 10, 5
        ),
    ),
    (
        "ASK { <http://x/s> <http://x/p> <http://x/o> }",
        PointLookup("ASK", "http://x/s", "http://x/p", None, "http://x/o", None, ()),
    ),
    (
        "ASK WHERE { <http://x/s> ?p ?o } LIMIT 1",
        PointLookup("ASK", "http://x/s", None, "p", None, "o", (), limit=1),
    ),
    (
        "select * { <http://x/s> ?p <http://x/o> }",
        PointLookup("SELECT", "http://x/s", None, "p", "http://x/o", None, ("p",)),
    ),
    (
        "SELECT ?o { <http://x/s> <http://x/p> ?o } # a comment",
        PointLookup("SELECT", "http://x/s", "http://x/p", None, None, "o", ("o",)),
    ),
    (
        "PREFIX ex: <http://x/> SELECT ?p WHERE { ex:a.b ?p ?o }",  # a dot inside a local name
        PointLookup("SELECT", "http://x/a.b", None, "p", None, "o", ("p",)),
    ),
    (
        "SELECT ?o ?p { <http://x/s> $p ?o } OFFSET 2 LIMIT 1",
        PointLookup("SELECT", "http://x/s", None, "p", None, "o", ("o", "p"), limit=1, offset=2),
    ),
    (
        "SELECT*{<http://x/s>?p?o}",
        PointLookup("SELECT", "http://x/s", None, "p", None, "o", ("p", "o")),
    ),
    (
        "PREFIXex:<http://x/>SELECT ?o{ex:s ex:p ?o}",
        PointLookup("SELECT", "http://x/s", "http://x/p", None, None, "o", ("o",)),
    ),
    (
        "PREFIX ex: <http://x/ns#> SELECT ?o { <http://x/\\u0041> ex:a\\~b ?o }",
        PointLookup("SELECT", "http://x/A", "http://x/ns#a~b", None, None, "o", ("o",)),
    ),
    (
        "PREFIX : <http://x/> SELECT ?o { :s :p ?o . }",
        PointLookup("SELECT", "http://x/s", "http://x/p", None, None, "o", ("o",)),
    ),
]


@pytest.mark.parametrize(("sparql", "lookup"), POINT_LOOKUPS)
def test_point_lookups_are_parsed(sparql: str, lookup: PointLookup) -> None:
    assert parse_point_lookup(sparql) == lookup
    shape = inspect_query(sparql)
    assert shape.point_lookup and shape.lookup == lookup


LOOKUP_DATA = """
<http://x/s> <http://x/p> <http://x/o>, "x", 1 ; <http://x/q> <http://x/o> ;
    a <http://x/C> ; <http://x/ns#a~b> <http://x/o> .
<http://x/A> <http://x/p> <http://x/o> .
<http://x/a.b> <http://x/p> <http://x/o> , <http://x/o2> .
<https://w3id.org/cakg/id/x> a <http://x/C>, <http://x/D> .
"""


def evaluate(store: Store, lookup: PointLookup) -> list[tuple[str, ...]] | bool:
    """A point lookup answered through the store's pattern API (a reference, for the test)."""
    quads = store.quads_for_pattern(
        NamedNode(lookup.subject),
        None if lookup.predicate is None else NamedNode(lookup.predicate),
        None if lookup.object is None else NamedNode(lookup.object),
        DefaultGraph(),
    )
    rows = []
    for quad in quads:
        bound = {lookup.predicate_var: quad.predicate, lookup.object_var: quad.object}
        rows.append(tuple(str(bound[name]) for name in lookup.projection))
    if lookup.form == "ASK":
        return bool(rows[lookup.offset or 0 :][: lookup.limit])
    if lookup.distinct:
        rows = list(dict.fromkeys(rows))
    return rows[lookup.offset or 0 :][: lookup.limit]


@pytest.mark.parametrize(("sparql", "lookup"), POINT_LOOKUPS)
def test_a_point_lookup_means_what_pyoxigraph_reads(sparql: str, lookup: PointLookup) -> None:
    store = Store()
    store.load(LOOKUP_DATA.encode(), format=RdfFormat.TURTLE)
    expected = evaluate(store, lookup)
    result = store.query(sparql)
    if isinstance(result, QueryBoolean):
        assert bool(result) is expected
        return
    assert isinstance(result, QuerySolutions) and isinstance(expected, list)
    rows = [tuple(str(row[name]) for name in lookup.projection) for row in result]
    if lookup.limit is None and lookup.offset is None:
        assert sorted(rows) == sorted(expected)
    else:  # no ORDER BY: which rows is the engine's choice, how many is not
        whole = evaluate(store, replace(lookup, limit=None, offset=None))
        assert isinstance(whole, list)
        assert len(rows) == len(expected) and set(rows) <= set(whole)


NOT_POINT_LOOKUPS = [
    "SELECT ?s WHERE { ?s ?p ?o }",  # a scan
    "SELECT ?p WHERE { <http://x/s> ?p ?o . <http://x/s> ?q ?r }",  # a join (a cross product)
    "SELECT ?p WHERE { <http://x/s> ?p ?o ; ?q ?r }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o , ?r }",
    "SELECT ?p WHERE { <http://x/s> <http://x/p>/<http://x/q> ?o }",  # paths
    "SELECT ?p WHERE { <http://x/s> <http://x/p>* ?o }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o FILTER(regex(?o, '^(a+)+$')) }",  # expressions
    "SELECT (COUNT(*) AS ?n) WHERE { <http://x/s> ?p ?o }",
    "SELECT (?p AS ?q) WHERE { <http://x/s> ?p ?o }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } ORDER BY ?p",  # ORDER BY, however simple
    "SELECT ?p WHERE { <http://x/s> ?p ?o } ORDER BY DESC(?p)",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } GROUP BY ?p",
    "SELECT ?p WHERE { { <http://x/s> ?p ?o } }",  # nested groups
    "SELECT ?p WHERE { GRAPH ?g { <http://x/s> ?p ?o } }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o OPTIONAL { ?o ?q ?r } }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } VALUES ?p { <http://x/a> }",
    "SELECT ?p FROM <http://x/g> WHERE { <http://x/s> ?p ?o }",  # FROM
    "SELECT ?p FROM NAMED <http://x/g> WHERE { <http://x/s> ?p ?o }",
    'SELECT ?p WHERE { "lit" ?p ?o }',  # subjects that are not a named node
    "SELECT ?p WHERE { _:b ?p ?o }",
    "SELECT ?p WHERE { [] ?p ?o }",
    "SELECT ?p WHERE { ?s ?p <http://x/o> }",
    'ASK { <http://x/s> <http://x/p> "v"@en }',  # a literal object
    'SELECT * { <http://x/s> <http://x/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> }',
    "SELECT * { <http://x/s> <http://x/p> 1 }",
    "SELECT * { <http://x/s> <http://x/p> true }",
    'SELECT ?p WHERE { <http://x/s> ?p "a}" . ?s ?p ?o }',  # a brace inside a string
    "SELECT ?o WHERE { <http://x/s> ?o ?o }",  # the same variable twice
    "SELECT ?o WHERE { <http://x/s> ?o $o }",
    "SELECT ?x WHERE { <http://x/s> ?p ?o }",  # a projected variable not in the pattern
    "SELECT ?p ?p WHERE { <http://x/s> ?p ?o }",
    "SELECT REDUCED ?p WHERE { <http://x/s> ?p ?o }",
    "CONSTRUCT { <http://x/s> ?p ?o } WHERE { <http://x/s> ?p ?o }",  # CONSTRUCT: no longer
    "CONSTRUCT WHERE { <http://x/s> ?p ?o }",
    "DESCRIBE <http://x/s>",
    "BASE <http://x/> SELECT ?p WHERE { <s> ?p ?o }",  # BASE, relative IRIs
    "SELECT ?p WHERE { <s> ?p ?o }",
    'VERSION "1.2" SELECT ?p WHERE { <http://x/s> ?p ?o }',
    "SELECT ?p WHERE { ex:s ?p ?o }",  # an undeclared prefix
    "PREFIX ex: <http://x:80> SELECT ?p WHERE { ex:s ?p ?o }",  # no IRI: `http://x:80s`
    "SELECT ?p WHERE { <http://x/s> A ?o }",  # `a` is case-sensitive
    "SELECT ?p WHERE { <http://x/s> ?p ?o } LIMIT 1 LIMIT 2",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } LIMIT",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } LIMIT 1.5",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } LIMIT 99999999999999999999",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } OFFSET 1 OFFSET 2",
    "SELECT WHERE { <http://x/s> ?p ?o }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o \\u007D",  # escapes outside strings: unreadable
    "SELECT ?p WHERE { <http://x/s> ?p 'open }",
    "SELECT ?p WHERE { <http://x/s> ?p ?o",
    "SELECT ?p WHERE { <http://x/s> ?p ?o } }",
    "SELECT ?p WHERE <http://x/s> ?p ?o",
    "",
]


@pytest.mark.parametrize("sparql", NOT_POINT_LOOKUPS)
def test_anything_else_is_not_a_point_lookup(sparql: str) -> None:
    assert parse_point_lookup(sparql) is None
    with contextlib.suppress(QueryError):  # some are not even queries
        assert not inspect_query(sparql).point_lookup


# ---------------------------------------------------------------- the row cap


@pytest.fixture(scope="module")
def five_triples_engine(tmp_path_factory: pytest.TempPathFactory) -> OxigraphEngine:
    nquads = tmp_path_factory.mktemp("cap") / "cakg.nq"
    nquads.write_text(
        "".join(f"<http://x/s> <http://x/p> <http://x/o{i}> <http://x/g> .\n" for i in range(5)),
        encoding="utf-8",
    )
    return OxigraphEngine(nquads, "v")


FORMATS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
ROWS = {  # queries of exactly three rows: bound values, and rows with nothing bound at all
    "bound": "SELECT ?o WHERE { <http://x/s> <http://x/p> ?o } LIMIT 3",
    "empty": "SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF UNDEF } }",
}


@pytest.mark.parametrize("media_type", FORMATS)
@pytest.mark.parametrize("rows", ROWS)
def test_the_row_cap_is_exact_at_its_boundary(
    five_triples_engine: OxigraphEngine, media_type: str, rows: str
) -> None:
    sparql = ROWS[rows]
    formats = negotiate(media_type)
    exact = five_triples_engine.answer(sparql, formats=formats, max_rows=3)
    assert not exact.truncated
    assert exact.body == five_triples_engine.answer(sparql, formats=formats, max_rows=None).body
    cut = five_triples_engine.answer(sparql, formats=formats, max_rows=2)
    assert cut.truncated and cut.count == 2
    if media_type.endswith("json"):
        assert len(json.loads(cut.body)["results"]["bindings"]) == 2


def test_a_large_answer_over_the_cap_is_cut_after_the_direct_attempt(
    tmp_path: Path,
) -> None:
    nquads = tmp_path / "cakg.nq"
    nquads.write_text(
        "".join(f'<http://x/s> <http://x/p> "{i:06d}" <http://x/g> .\n' for i in range(3000)),
        encoding="utf-8",
    )
    engine = OxigraphEngine(nquads, "v")
    formats = negotiate("application/sparql-results+json")
    answer = engine.answer("SELECT ?o WHERE { ?s ?p ?o }", formats=formats, max_rows=1000)
    assert answer.truncated and answer.count == 1000
    assert len(json.loads(answer.body)["results"]["bindings"]) == 1000
    whole = engine.answer("SELECT ?o WHERE { ?s ?p ?o }", formats=formats, max_rows=3000)
    assert not whole.truncated
    assert len(json.loads(whole.body)["results"]["bindings"]) == 3000
