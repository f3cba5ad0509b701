"""Generate a synthetic cakg project of about N asserted triples, valid against the shapes.

    .venv/bin/python -m bench.generate --triples 1e5 --out bench/results/synthetic-1e5
    cakg --root bench/results/synthetic-1e5 build

The project is the real one with many more sources: ontology/, shapes/, graph/reference/ and
queries/ are copied as they are, and graph/sources/ holds copies of the real source files (each
a document with its offices, visits, meetings, agreements, figures and trade observations,
corridors with ordered passages, centres and projects). Copy k of a template renames every
entity the template mints (its source document, visits, figures...) with a `-sNNNNN` suffix,
moves its dates by a whole number of four-year steps (so 29 February stays a date and the
shapes' 1990-2100 range holds) and scales its figures, with their bounds, by a factor in
[0.5, 1] (percentages stay at most 100; a figure whose label states its amount keeps its
value). Shared entities (states, people, offices, places,
measures) keep their IRIs, so the copies join on them as real sources do. Each copy is one
source file, hence one named graph.

Memory stays flat at any size: the five templates are parsed once, then each copy is written
line by line as N-Triples (a subset of Turtle) and never held as a graph.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from rdflib import RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

REPO = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/cakg/id/"
VALUE = URIRef("https://w3id.org/cakg/ontology#value")
# a figure's value and the bounds equal to it (cakg:minExclusive, cakg:maxInclusive) scale together
CAKG = "https://w3id.org/cakg/ontology#"
SCALED = {VALUE, URIRef(CAKG + "minExclusive"), URIRef(CAKG + "maxInclusive")}
SHARED = ("ontology", "shapes", "graph/reference", "queries")
# A figure whose English label states its amount keeps its value: cakgsh:FigureUnitShape
# (shapes/integrity.ttl) checks the two agree, as this pattern finds the amount.
STATED_AMOUNT = re.compile(r"[0-9] ?(bn|billion|million|mn|m|thousand)([ )]|$)")
DATED = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth}
YEAR_STEPS = (-8, -4, 0, 4)  # multiples of 4: leap days stay valid


class Template:
    """One real source file: its triples and the IRIs it mints."""

    def __init__(self, path: Path, shared: set[URIRef]) -> None:
        self.slug = path.stem
        self.graph = Graph().parse(path, format="turtle")
        self.minted = {
            s
            for s in self.graph.subjects()
            if isinstance(s, URIRef) and s.startswith(ID) and s not in shared
        }
        self.amount_in_label = {
            s
            for s, label in self.graph.subject_objects(RDFS.label)
            if isinstance(label, Literal)
            and label.language == "en"
            and STATED_AMOUNT.search(str(label))
        }

    def __len__(self) -> int:
        return len(self.graph)

    def copy(self, k: int, rng: random.Random) -> Iterator[str]:
        """The lines of copy k, as N-Triples."""
        suffix = f"-s{k:05d}"
        years = rng.choice(YEAR_STEPS)
        factor = Decimal(rng.randint(50, 100)) / 100

        def term(node: Node, predicate: Node | None = None, subject: Node | None = None) -> str:
            if isinstance(node, URIRef) and node in self.minted:
                return f"<{node}{suffix}>"
            if isinstance(node, Literal):
                if node.datatype in DATED and years:
                    lexical = str(node)
                    node = Literal(
                        f"{int(lexical[:4]) + years:04d}{lexical[4:]}", datatype=node.datatype
                    )
                elif (
                    predicate in SCALED
                    and node.datatype == XSD.decimal
                    and subject not in self.amount_in_label
                ):
                    node = Literal(Decimal(str(node)) * factor, datatype=XSD.decimal)
            return node.n3()

        for s, p, o in self.graph:
            yield f"{term(s)} {term(p)} {term(o, p, s)} .\n"


def shared_subjects(root: Path) -> set[URIRef]:
    g = Graph()
    for path in sorted((root / "graph" / "reference").glob("*.ttl")):
        g.parse(path, format="turtle")
    return {s for s in g.subjects() if isinstance(s, URIRef)}


MARKER = ".generated.json"


def generate(
    triples: int, out: Path, seed: int = 1, reuse: bool = False, refresh: bool = False
) -> tuple[int, int]:
    """Write the project under `out`; returns (source files, asserted triples written).

    With `reuse`, a project this function completed earlier with the same size and seed (its
    marker file says so) is kept: 10^7 takes minutes to write. With `refresh` as well, its
    copies of the repository's ontology, shapes, reference graph and saved queries are brought
    up to date first (the generated sources stay): a project generated before a shape or a
    query was rewritten would otherwise be measured with the old one.
    """
    marker = out / MARKER
    if reuse and marker.is_file():
        made = json.loads(marker.read_text())
        if made["requested"] == triples and made["seed"] == seed:
            if refresh:
                for changed in refresh_shared(out):
                    print(f"{out}: {changed} updated from the repository", file=sys.stderr)
            return made["files"], made["written"]
    if out.exists():
        shutil.rmtree(out)
    for folder in SHARED:
        shutil.copytree(REPO / folder, out / folder)
    sources = out / "graph" / "sources"
    sources.mkdir(parents=True)
    shared = shared_subjects(REPO)
    templates = [Template(p, shared) for p in sorted((REPO / "graph" / "sources").glob("*.ttl"))]
    written = sum(
        len(Graph().parse(p)) for folder in SHARED[:3] for p in (out / folder).glob("*.ttl")
    )
    rng = random.Random(seed)
    files = 0
    while written < triples:
        template = templates[files % len(templates)]
        with (sources / f"{template.slug}-s{files:05d}.ttl").open("w", encoding="utf-8") as f:
            for line in template.copy(files, rng):
                f.write(line)
                written += 1
        files += 1
    marker.write_text(json.dumps({"requested": triples, "seed": seed, "files": files,
                                  "written": written}) + "\n")  # fmt: skip
    return files, written


def stale_shared(out: Path) -> list[str]:
    """The project's copies of the SHARED folders that differ from the repository's."""
    stale = []
    for folder in SHARED:
        ours, theirs = REPO / folder, out / folder
        files = {p.relative_to(ours) for p in ours.rglob("*") if p.is_file()}
        files |= {p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file()}
        for rel in sorted(files):
            a, b = ours / rel, theirs / rel
            if not (a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()):
                stale.append(f"{folder}/{rel}")
    return stale


def refresh_shared(out: Path) -> list[str]:
    """Make the project's copies of the SHARED folders equal to the repository's; what changed
    (relative paths), in order."""
    changed = stale_shared(out)
    for path in changed:
        source, target = REPO / path, out / path
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=float, required=True, help="about how many (1e5 works)")
    parser.add_argument("--out", type=Path, required=True, help="project folder to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a finished project as it is")
    args = parser.parse_args(argv)
    files, written = generate(int(args.triples), args.out, args.seed, args.reuse)
    print(f"{args.out}: {files} source files, {written} asserted triples", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
