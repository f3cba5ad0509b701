"""The infobox at the top of a resource page: its label, its kind, the few key facts for that
kind, and its identifiers elsewhere (Wikidata, ISO 3166), as Wikipedia's and Wikidata's do.

The key facts are picked from the page's folded facts (cakg.resource_facts) by property, per
kind (KEY_FACTS: the first kind of the resource's listed there wins): a state's offices and their
holders, a person's offices, a visit's date, place and participants, an agreement's parties,
date and status, a figure's value with its unit and period, a corridor's route endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Literal, URIRef

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import CAKG, PREFIXES
from cakg.ontology_axioms import OntologyAxioms
from cakg.resource_facts import Fact
from cakg.views.figures import human_number
from cakg.views.labels import Terms
from cakg.web.linked_view import PageBuilder, Term

WIKIDATA = "http://www.wikidata.org/entity/"
ISO_OBP = "https://www.iso.org/obp/ui/#iso:code:3166:"  # the ISO Online Browsing Platform
IDENTITY = {PREFIXES["owl"] + "sameAs", PREFIXES["skos"] + "exactMatch"}
ISO = {"iso3166Alpha2": "ISO 3166-1 alpha-2", "iso3166Alpha3": "ISO 3166-1 alpha-3",
       "iso3166Numeric": "ISO 3166-1 numeric"}  # fmt: skip
# kind -> (caption, [(property local name, True: the resource is its subject)])
_EVENT = [
    ("Date", [("date", True)]),
    ("Place", [("location", True)]),
    ("Host", [("host", True), ("expectedHost", True)]),
    ("Guest", [("guest", True), ("expectedGuest", True)]),
    ("Participants", [("participant", True), ("remoteParticipant", True)]),
    ("Part of", [("partOf", True)]),
]
_DOCUMENT = [
    ("Parties", [("firstParty", True), ("secondParty", True), ("party", True)]),
    ("Date", [("date", True)]),
    ("Status", [("status", True)]),
    ("Signed at", [("signedAt", True)]),
    ("Signatories", [("signatory", True)]),
]
KEY_FACTS: list[tuple[str, list[tuple[str, list[tuple[str, bool]]]]]] = [
    ("State", [("Located in", [("locatedIn", True)]), ("Partners", [("partnerOf", True)])]),
    ("Person", [("Offices", [("holdsOffice", True)]), ("Took part in", [("participant", False)])]),
    ("Office", [("Office of", [("officeOf", True)]), ("Held by", [("office", False)])]),
    ("OfficeHolding", [("Holder", [("holder", True)]), ("Office", [("office", True)]),
                       ("As of", [("asOf", True)])]),
    ("Figure", [("Measure", [("measure", True)]), ("Parties", [("firstParty", True),
                ("secondParty", True)]), ("Stated by", [("statedBy", True)])]),
    ("TransportCorridor", [("Modes", [("mode", True)])]),
    ("Route", [("Branch of", [("branchOf", True)]), ("Modes", [("mode", True)])]),
    ("Event", _EVENT),
    ("Agreement", _DOCUMENT),
    ("Document", _DOCUMENT),
    ("SourceDocument", [("Publisher", [("publisher", True)]), ("Date", [("date", True)])]),
    ("Place", [("Located in", [("locatedIn", True)])]),
]  # fmt: skip
_NAMESPACES = {"publisher": PREFIXES["dcterms"], "date": str(CAKG)}

_HOLDERS = f"""PREFIX cakg: <{CAKG}>
SELECT ?state ?office ?person ?asOf WHERE {{
  ?office cakg:officeOf ?state .
  ?holding cakg:office ?office ; cakg:holder ?person .
  OPTIONAL {{ ?holding cakg:asOf ?asOf }}
}} ORDER BY ?office DESC(?asOf)"""
_ENDS = f"""PREFIX cakg: <{CAKG}>
SELECT ?route ?sequence ?place WHERE {{
  ?passage cakg:passageOf ?route ; cakg:sequence ?sequence ; cakg:passesThrough ?place .
}} ORDER BY ?sequence"""


@dataclass
class InfoItem:
    caption: str
    values: list[Term]
    note: str | None = None


@dataclass
class Infobox:
    title: str
    kinds: list[Term]
    items: list[InfoItem] = field(default_factory=list)
    identifiers: list[Term] = field(default_factory=list)


def infobox(
    b: PageBuilder,
    facts: list[Fact],
    kinds: list[Term],
    axioms: OntologyAxioms,
    engine: Engine,
    terms: Terms,
) -> Infobox:
    """The infobox of the page B builds, from its FACTS; KINDS are its types as terms."""
    iri = str(b.d.iri)
    title = b.label(iri)
    box = Infobox(str(title) if title is not None else iri, kinds)
    types = set(map(str, b.d.types))
    every = [(f, f.predicate) for f in facts] + [(o, o.predicate) for f in facts for o in f.others]
    for kind, wanted in KEY_FACTS:
        if str(CAKG[kind]) not in types:
            continue
        shown: set[str | None] = set()
        for caption, keys in wanted:
            values = _pick(b, every, keys, axioms)
            if caption == "Participants":  # the others: hosts and guests are listed above
                values = [v for v in values if v.iri not in shown]
            shown.update(v.iri for v in values)
            if values:
                box.items.append(InfoItem(caption, values))
        break
    if str(CAKG.Figure) in types:
        box.items[:0] = _figure(b)
    if str(CAKG.State) in types:
        box.items.extend(_offices(b, engine, terms))
    if str(CAKG.TransportCorridor) in types or str(CAKG.Route) in types:
        box.items[:0] = _ends(b, engine, terms)
    box.identifiers = _identifiers(b)
    return box


def _pick(
    b: PageBuilder,
    facts: list[tuple[Fact, URIRef]],
    keys: list[tuple[str, bool]],
    axioms: OntologyAxioms,
) -> list[Term]:
    values: dict[str, Term] = {}
    for name, forward in keys:
        iri = _NAMESPACES.get(name, str(CAKG)) + name
        for fact, predicate in facts:
            folded = str(predicate) == iri or iri in fact.also
            is_sub = axioms.is_mirror(iri, str(predicate))
            if fact.forward == forward and (folded or is_sub):
                node = fact.neighbour
                term = b.term(node)
                values.setdefault(str(node), term if term.iri else Term(term.text, lang=term.lang))
    return list(values.values())


def _figure(b: PageBuilder) -> list[InfoItem]:
    """A figure's value with its unit, and the period it covers."""
    own = {str(st.predicate): st.object for st in b.d.own()}
    value = own.get(str(CAKG.value))
    unit = own.get(str(CAKG.unit))
    items = []
    if isinstance(value, Literal):
        unit_label = b.term(unit).text if unit is not None else None
        try:
            text = human_number(Decimal(str(value)), unit_label)
        except ArithmeticError:
            text = str(value)
        items.append(InfoItem("Value", [Term(text, iri=None)], note=str(value)))
    period = [own.get(str(CAKG[k])) for k in ("year", "periodStart", "periodEnd", "deadline")]
    shown = [str(p) for p in period if p is not None]
    if shown:
        items.append(InfoItem("Period", [Term(" \u2013 ".join(shown))]))
    return items


def _offices(b: PageBuilder, engine: Engine, terms: Terms) -> list[InfoItem]:
    """A state's offices and who holds them (the latest holding first)."""
    rows = engine.query(_HOLDERS, dataset=QueryDataset(), bindings={"state": b.d.iri}).rows
    terms.lookup(engine, (str(c) for row in rows for c in row[1:3] if isinstance(c, URIRef)))
    by_office: dict[str, list[Term]] = {}
    for _state, office, person, _as_of in rows:
        holders = by_office.setdefault(str(office), [])
        term = terms.get(str(person))
        if all(h.iri != term.iri for h in holders):
            holders.append(Term(term.label, b.v.link(term.iri), term.iri))
    return [
        InfoItem(terms.get(office).label, holders)
        for office, holders in sorted(by_office.items(), key=lambda kv: terms.get(kv[0]).label)
    ]


def _ends(b: PageBuilder, engine: Engine, terms: Terms) -> list[InfoItem]:
    """A corridor's or a route's first and last place."""
    rows = engine.query(_ENDS, dataset=QueryDataset(), bindings={"route": b.d.iri}).rows
    places = [row[2] for row in rows if isinstance(row[2], URIRef)]
    if not places:
        return []
    terms.lookup(engine, map(str, places))

    def term(node: URIRef) -> Term:
        return Term(terms.get(str(node)).label, b.v.link(str(node)), str(node))

    return [InfoItem("Route", [term(places[0]), term(places[-1])], note=f"{len(places)} stops")]


def _identifiers(b: PageBuilder) -> list[Term]:
    """Identifiers elsewhere: Wikidata items (owl:sameAs, skos:exactMatch), ISO 3166 codes."""
    found = []
    for st in b.d.own():
        p, o = str(st.predicate), st.object
        if p in IDENTITY and isinstance(o, URIRef) and str(o).startswith(WIKIDATA):
            qid = str(o)[len(WIKIDATA) :]
            found.append(Term(f"Wikidata {qid}", f"https://www.wikidata.org/wiki/{qid}", str(o)))
        elif p.startswith(str(CAKG)) and p[len(str(CAKG)) :] in ISO and isinstance(o, Literal):
            name = p[len(str(CAKG)) :]
            href = ISO_OBP + str(o) if name == "iso3166Alpha2" and str(o).isalpha() else None
            found.append(Term(str(o), href, None, note=ISO[name]))
    return found
