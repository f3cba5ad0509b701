"""The OWL 2 RL rules the build materialises, read backwards: for a triple, the premises each
rule would conclude it from, as SPARQL.

cakg.build.rules applies the rules forwards (from the ontology's axioms to new triples); the
serving side may not import it, and needs the converse: given an inferred ?s ?p ?o, which axiom
and which triples give it. Each rule is a Branch: one basic graph pattern over ?s ?p ?o, the
axiom's other term ?q and a premise's free end ?m. `premise_query` puts the branches of every
rule that may apply under one VALUES table of triples (by kind: a property, owl:sameAs,
rdf:type; property chains from the chains' own table), and `read_ways` turns its rows back into
premises. Plain basic graph patterns after a VALUES table: every engine evaluates them row by
row (rdflib joins anything more complex as a cross product of two full evaluations).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Identifier, Node

from cakg.engine.base import QueryResult
from cakg.sparql_terms import sparql_term

Triple = tuple[Node, Node, Node]

# rule -> (how a page names it, the OWL 2 RL rule: W3C OWL 2 Profiles, section 4.3)
RULES: dict[str, tuple[str, str]] = {
    "subPropertyOf": ("rdfs:subPropertyOf", "prp-spo1"),
    "equivalentProperty": ("owl:equivalentProperty", "prp-eqp1, prp-eqp2"),
    "inverseOf": ("owl:inverseOf", "prp-inv1, prp-inv2"),
    "SymmetricProperty": ("owl:SymmetricProperty", "prp-symp"),
    "TransitiveProperty": ("owl:TransitiveProperty", "prp-trp"),
    "propertyChainAxiom": ("property chain", "prp-spo2"),
    "domain": ("rdfs:domain", "prp-dom"),
    "range": ("rdfs:range", "prp-rng"),
    "subClassOf": ("rdfs:subClassOf", "cax-sco"),
    "equivalentClass": ("owl:equivalentClass", "cax-eqc1, cax-eqc2"),
    "sameAsSymmetric": ("owl:sameAs is symmetric", "eq-sym"),
    "sameAsTransitive": ("owl:sameAs is transitive", "eq-trans"),
    "sameAsSubject": ("owl:sameAs: what holds of one holds of the other", "eq-rep-s"),
    "sameAsPredicate": ("owl:sameAs: the same property", "eq-rep-p"),
    "sameAsObject": ("owl:sameAs: what holds of one holds of the other", "eq-rep-o"),
}
PROLOGUE = f"PREFIX rdf: <{RDF}>\nPREFIX rdfs: <{RDFS}>\nPREFIX owl: <{OWL}>\n"


@dataclass(frozen=True)
class Branch:
    """A rule's premises as one basic graph pattern over the inferred triple's ?s ?p ?o.

    ?q is the axiom's other term, ?m a premise's free end; `premises` and `axiom` name those
    variables (or fixed terms, _FIXED) to rebuild the triples from a row."""

    rule: str
    body: str
    premises: tuple[tuple[str, str, str], ...]
    axiom: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Chain:
    """An owl:propertyChainAxiom: `prop` holds where the `steps` hold one after the other."""

    prop: URIRef
    steps: tuple[URIRef, ...]
    entailed: bool  # not stated in the ontology graph, only in its closure


@dataclass
class Way:
    """One way a triple follows, read from a row, before the graphs that hold it are known."""

    rule: str
    axiom: Triple | None  # the axiom as a triple (for a chain, see `chain`)
    premises: list[Triple]
    chain: Chain | None = None

    def triples(self) -> list[Triple]:
        """The premises and the axiom: what to look up the graphs of."""
        return [*self.premises, *([self.axiom] if self.axiom else [])]


_SAME = "owl:sameAs"
# Rules for a triple ?s ?p ?o whose ?p is not rdf:type (?p is a property of the data) ...
_PROPERTY_BRANCHES = (
    Branch(
        "subPropertyOf",
        "?q rdfs:subPropertyOf ?p . ?s ?q ?o",
        (("s", "q", "o"),),
        ("q", "subPropertyOf", "p"),
    ),
    Branch(
        "equivalentProperty",
        "?q owl:equivalentProperty ?p . ?s ?q ?o",
        (("s", "q", "o"),),
        ("q", "equivalentProperty", "p"),
    ),
    Branch(
        "equivalentProperty",
        "?p owl:equivalentProperty ?q . ?s ?q ?o",
        (("s", "q", "o"),),
        ("p", "equivalentProperty", "q"),
    ),
    Branch(
        "inverseOf", "?q owl:inverseOf ?p . ?o ?q ?s", (("o", "q", "s"),), ("q", "inverseOf", "p")
    ),
    Branch(
        "inverseOf", "?p owl:inverseOf ?q . ?o ?q ?s", (("o", "q", "s"),), ("p", "inverseOf", "q")
    ),
    Branch(
        "SymmetricProperty",
        "?p a owl:SymmetricProperty . ?o ?p ?s",
        (("o", "p", "s"),),
        ("p", "a", "SymmetricProperty"),
    ),
    Branch(
        "TransitiveProperty",
        "?p a owl:TransitiveProperty . ?s ?p ?m . ?m ?p ?o "
        "FILTER(!sameTerm(?m, ?s) && !sameTerm(?m, ?o))",
        (("s", "p", "m"), ("m", "p", "o")),
        ("p", "a", "TransitiveProperty"),
    ),
    Branch(
        "sameAsSubject",
        f"?m {_SAME} ?s . ?m ?p ?o FILTER(!sameTerm(?m, ?s))",
        (("m", "sameAs", "s"), ("m", "p", "o")),
    ),
    Branch(
        "sameAsPredicate",
        f"?m {_SAME} ?p . ?s ?m ?o FILTER(!sameTerm(?m, ?p))",
        (("m", "sameAs", "p"), ("s", "m", "o")),
    ),
    Branch(
        "sameAsObject",
        f"?s ?p ?m . ?m {_SAME} ?o FILTER(!sameTerm(?m, ?o))",
        (("s", "p", "m"), ("m", "sameAs", "o")),
    ),
)
# ... for a triple ?s owl:sameAs ?o (besides the above) ...
_SAME_AS_BRANCHES = (
    Branch("sameAsSymmetric", f"?o {_SAME} ?s", (("o", "sameAs", "s"),)),
    Branch(
        "sameAsTransitive",
        f"?s {_SAME} ?m . ?m {_SAME} ?o FILTER(!sameTerm(?m, ?s) && !sameTerm(?m, ?o))",
        (("s", "sameAs", "m"), ("m", "sameAs", "o")),
    ),
)
# ... and for a triple ?s rdf:type ?o.
_CLASS_BRANCHES = (
    Branch("domain", "?q rdfs:domain ?o . ?s ?q ?m", (("s", "q", "m"),), ("q", "domain", "o")),
    Branch("range", "?q rdfs:range ?o . ?m ?q ?s", (("m", "q", "s"),), ("q", "range", "o")),
    Branch(
        "subClassOf",
        "?q rdfs:subClassOf ?o . ?s a ?q",
        (("s", "a", "q"),),
        ("q", "subClassOf", "o"),
    ),
    Branch(
        "equivalentClass",
        "?q owl:equivalentClass ?o . ?s a ?q",
        (("s", "a", "q"),),
        ("q", "equivalentClass", "o"),
    ),
    Branch(
        "equivalentClass",
        "?o owl:equivalentClass ?q . ?s a ?q",
        (("s", "a", "q"),),
        ("o", "equivalentClass", "q"),
    ),
    Branch(
        "sameAsSubject",
        f"?m {_SAME} ?s . ?m a ?o FILTER(!sameTerm(?m, ?s))",
        (("m", "sameAs", "s"), ("m", "a", "o")),
    ),
    Branch(
        "sameAsObject",
        f"?s a ?m . ?m {_SAME} ?o FILTER(!sameTerm(?m, ?o))",
        (("s", "a", "m"), ("m", "sameAs", "o")),
    ),
)
_FIXED: dict[str, Node] = {
    "a": RDF.type,
    "sameAs": OWL.sameAs,
    "subPropertyOf": RDFS.subPropertyOf,
    "equivalentProperty": OWL.equivalentProperty,
    "inverseOf": OWL.inverseOf,
    "SymmetricProperty": OWL.SymmetricProperty,
    "TransitiveProperty": OWL.TransitiveProperty,
    "domain": RDFS.domain,
    "range": RDFS.range,
    "subClassOf": RDFS.subClassOf,
    "equivalentClass": OWL.equivalentClass,
}
_BRANCHES = (*_PROPERTY_BRANCHES, *_SAME_AS_BRANCHES, *_CLASS_BRANCHES)
_CHAIN_BRANCH = len(_BRANCHES)  # the number of the chain rule in ?b


def premise_query(
    chunk: Sequence[Triple], chains: dict[Node, list[Chain]]
) -> tuple[str, list[tuple[int, Chain]]]:
    """The query for the ways each triple of `chunk` follows, and the chains it numbers.

    A row per triple (?k, its number in `chunk`), rule (?b, the number of its branch; ?c, of
    its chain), axiom term ?q, and whether the free end is a blank node (a named one is
    preferred), with a SAMPLE ?m of that end: a node's degree never multiplies the rows (?n1
    ...: the inner nodes of a chain of more than two steps, one row each). The numbers are
    plain strings: rdflib reads an integer literal ten times slower."""
    props = [(k, t) for k, t in enumerate(chunk) if t[1] != RDF.type]
    same = [(k, (s, o)) for k, (s, p, o) in props if p == OWL.sameAs]
    types = [(k, (s, o)) for k, (s, p, o) in enumerate(chunk) if p == RDF.type]
    groups = []
    offset = 0
    for rows, names, branches in (
        (props, "?k ?s ?p ?o", _PROPERTY_BRANCHES),
        (same, "?k ?s ?o", _SAME_AS_BRANCHES),
        (types, "?k ?s ?o", _CLASS_BRANCHES),
    ):
        if rows:
            values = " ".join(f'("{k}" {terms_text(t)})' for k, t in rows)
            groups.append(f"{{ VALUES ({names}) {{ {values} }} {_union(branches, offset)} }}")
        offset += len(branches)
    numbered = [(k, c) for k, (_s, p, _o) in props for c in chains.get(p, [])]
    lengths = sorted({len(c.steps) for _k, c in numbered})
    groups.extend(_chain_group(chunk, numbered, length) for length in lengths)
    inner = " ".join(f"?n{i}" for i in range(1, max([2, *lengths]) - 1))
    keys = f"?k ?b ?c ?q {inner}".strip()
    query = (
        f"{PROLOGUE}SELECT {keys} (SAMPLE(?m) AS ?mid) WHERE {{\n  "
        + "\n  UNION ".join(groups)
        + f"\n  BIND(isBlank(?m) AS ?blank)\n}} GROUP BY {keys} ?blank"
    )
    return query, numbered


def read_ways(
    result: QueryResult, chunk: Sequence[Triple], numbered: list[tuple[int, Chain]]
) -> list[tuple[int, Way]]:
    """The ways the rows of premise_query's `result` give, each with its triple's number."""
    found: list[tuple[int, Way]] = []
    for k, b, c, q, *inner, mid in result.rows:
        index, branch, chain_number = _number(k), _number(b), _number(c)
        if index is None or branch is None:
            continue
        s, p, o = chunk[index]
        if branch == _CHAIN_BRANCH and chain_number is not None:
            chain = numbered[chain_number][1]
            nodes = [s, mid, *inner[: len(chain.steps) - 2], o]
            steps = [(nodes[i], chain.steps[i], nodes[i + 1]) for i in range(len(chain.steps))]
            premises, axiom, way = _complete(steps), [], Way("propertyChainAxiom", None, [], chain)
            wanted = (len(steps), 0)
        elif 0 <= branch < _CHAIN_BRANCH:
            rule = _BRANCHES[branch]
            names: dict[str, Node | None] = {"s": s, "p": p, "o": o, "q": q, "m": mid, **_FIXED}
            premises = _complete([tuple(names[n] for n in pattern) for pattern in rule.premises])
            axiom = _complete([tuple(names[n] for n in rule.axiom)] if rule.axiom else [])
            way = Way(rule.rule, axiom[0] if axiom else None, [])
            wanted = (len(rule.premises), int(rule.axiom is not None))
        else:
            continue
        if (len(premises), len(axiom)) == wanted:  # every term bound
            way.premises = premises
            found.append((index, way))
    return found


def terms_text(terms: Iterable[Node]) -> str:
    """Terms as SPARQL, for a VALUES row (IRIs and literals; a blank node cannot be named)."""
    return " ".join(sparql_term(_identifier(t)) for t in terms)


def _identifier(node: Node) -> Identifier:
    if not isinstance(node, Identifier):
        raise TypeError(f"not an RDF term: {node!r}")
    return node


def _complete(rows: Iterable[Sequence[Node | None]]) -> list[Triple]:
    """The rows in which every term is bound, as triples."""
    return [(a, b, c) for a, b, c in rows if a is not None and b is not None and c is not None]


def _number(node: Node | None) -> int | None:
    """A number the query wrote as a plain string (an integer literal costs more to read)."""
    text = str(node) if isinstance(node, Literal) else ""
    return int(text) if text.isdigit() else None


def _union(branches: tuple[Branch, ...], offset: int) -> str:
    """The branches, each numbered by a BIND at its start: Virtuoso 7.2 crashes (SIGSEGV) on a
    branch that ends in a BIND after a FILTER when a VALUES of two variables precedes it
    (tests/virtuoso_deviations.py, "crash-bind-after-filter"); first, the BIND means the same."""
    return " UNION ".join(
        f'{{ BIND("{offset + i}" AS ?b) {b.body} }}' for i, b in enumerate(branches)
    )


def _chain_group(chunk: Sequence[Triple], numbered: list[tuple[int, Chain]], length: int) -> str:
    """prp-spo2 for the chains of `length` steps: ?s ?c1 ?m ?c2 ?n1 ... ?cL ?o."""
    steps = " ".join(f"?c{i}" for i in range(1, length + 1))
    rows = " ".join(
        f'("{k}" "{c}" {terms_text((chunk[k][0], chunk[k][2], *chain.steps))})'
        for c, (k, chain) in enumerate(numbered)
        if len(chain.steps) == length
    )
    nodes = ["?s", "?m", *(f"?n{i}" for i in range(1, length - 1)), "?o"]
    pattern = " . ".join(f"{nodes[i]} ?c{i + 1} {nodes[i + 1]}" for i in range(length))
    rule = f'BIND("{_CHAIN_BRANCH}" AS ?b)'
    return f"{{ VALUES (?k ?c ?s ?o {steps}) {{ {rows} }} {rule} {pattern} }}"
