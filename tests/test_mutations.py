"""Single mutations of the real data: `cakg validate` must catch each and name its node.

Issue 20, item 5: validation that generalises to the next source. The cases are data
(tests/data/mutations.yaml): a file, a text that must occur exactly once in it, the text it becomes,
the node the violation must name, and what kind of mistake it stands for (wrong unit, swapped
parties, dangling or misspelt IRI, misspelt property or class, impossible date, wrong type, value
off by 10^3 ...). Each case is applied to its own copy of the project (ontology/, shapes/, graph/,
queries/) and validated as `cakg validate` validates it: `validate_loaded` with settings, one unit
per source file, cached. Each copy starts from a cache warmed on the unchanged project, so a change
to a source file re-validates the units it touches, as `cakg validate` does after an edit, and a
change to graph/reference/ re-validates everything, as it does there.

A case is caught when the report does not conform and names the case's node as the focus node of
a violation. test_catch_rate requires at least 95 % of at least 40 cases and prints the rate; each
case also has its own test, a strict xfail for a case the table says slips (with the reason).
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cakg.build import find_sources, load_sources, validate_loaded
from cakg.build.validate import Finding
from cakg.build.validate_cache import CACHE
from cakg.config import Settings

from .conftest import REPO

TABLE = REPO / "tests" / "data" / "mutations.yaml"
PARTS = ("ontology", "shapes", "graph", "queries")  # what `cakg validate` reads, and the queries
MIN_CASES = 40
MIN_RATE = 0.95


@dataclass(frozen=True)
class Mutation:
    """One change of one text in one file, and the node a violation must then name."""

    name: str
    why: str
    file: str
    focus: str
    old: str
    new: str
    slips: str | None = None  # why validation cannot catch it, when it cannot


def read_table(path: Path) -> list[Mutation]:
    """The cases of a mutation table; a row with a missing or unknown key fails, naming it."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for i, row in enumerate(rows, 1):
        try:
            cases.append(Mutation(**row))
        except TypeError as e:
            raise ValueError(f"{path}: case {i} ({row.get('name', '?')}): {e}") from None
    return cases


class MutationNotApplicable(AssertionError):
    """The case's old text is not in its file exactly once: the data changed under the table."""


def apply(mutation: Mutation, root: Path) -> None:
    """Replace the case's old text by its new text in the copy under `root`, exactly once."""
    path = root / mutation.file
    text = path.read_text(encoding="utf-8")
    found = text.count(mutation.old)
    if found != 1:
        raise MutationNotApplicable(
            f"{TABLE.name}: case {mutation.name}: its old text occurs {found} times in "
            f"{mutation.file}, not once; update the case to the data"
        )
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")


@dataclass(frozen=True)
class Outcome:
    """What `cakg validate` said about one mutated copy (kept small: it crosses processes)."""

    mutation: Mutation
    findings: tuple[Finding, ...]
    text: str  # the report as `cakg validate` prints it

    @property
    def caught(self) -> bool:
        named = f"focus node: {self.mutation.focus}\n" in self.text
        return named and any(
            f.severity == "Violation" and f.focus == self.mutation.focus for f in self.findings
        )

    def explain(self) -> str:
        m = self.mutation
        focus = sorted({f.focus for f in self.findings if f.severity == "Violation"})
        return (
            f"{m.name} ({m.why}) in {m.file}: {self.text.splitlines()[0]}; no violation on "
            f"{m.focus}; violations on: {', '.join(focus) or 'none'}"
        )


CASES = read_table(TABLE)


def validate_case(mutation: Mutation, base: Path) -> Outcome:
    """Validate a copy of the project under `base` with the mutation applied, as `cakg validate`
    does: one unit per source file, starting from the cache warmed on the unchanged project."""
    copy = base / "cases" / mutation.name
    shutil.copytree(base / "project", copy / "project")
    shutil.copytree(base / "warm" / CACHE, copy / "build" / CACHE)
    try:
        apply(mutation, copy / "project")
        settings = Settings(root=copy / "project", build_dir=copy / "build", validate_workers=1)
        report = validate_loaded(load_sources(find_sources(settings.root)), settings)
        return Outcome(mutation, tuple(report.findings), report.to_text())
    finally:
        shutil.rmtree(copy)


def _validate_cases(cases: list[Mutation], base: Path) -> list[Outcome]:
    return [validate_case(m, base) for m in cases]


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """The outcome of every case this session runs, validated in two processes (the machine's
    cores) that each keep their parsed shapes from one case to the next."""
    wanted = _selected(request)
    base = tmp_path_factory.mktemp("mutations")
    for part in PARTS:
        shutil.copytree(REPO / part, base / "project" / part)
    # in this process: the parsed shapes are then warm in the two processes it forks
    settings = Settings(root=base / "project", build_dir=base / "warm", validate_workers=1)
    unchanged = validate_loaded(load_sources(find_sources(settings.root)), settings)
    assert unchanged.conforms, unchanged.to_text()  # else no case could be told apart
    cases = [m for m in CASES if m.name in wanted]
    halves = [cases[0::2], cases[1::2]]
    fork = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(len(halves), mp_context=context) as pool:
        done = pool.map(_validate_cases, halves, [base, base])
        return {o.mutation.name: o for outcomes in done for o in outcomes}


def _selected(request: pytest.FixtureRequest) -> set[str]:
    """The cases this session runs: all of them when it runs the catch rate."""
    names = set()
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:
            continue
        if getattr(item, "originalname", None) == "test_catch_rate":
            return {m.name for m in CASES}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "mutation" in callspec.params:
            names.add(callspec.params["mutation"].name)
    return names


def test_the_table_applies_to_the_data() -> None:
    """Every case's old text is in its file once, and the cases have distinct names."""
    assert len({m.name for m in CASES}) == len(CASES)
    counts = {m.name: (REPO / m.file).read_text(encoding="utf-8").count(m.old) for m in CASES}
    assert {name: n for name, n in counts.items() if n != 1} == {}
    assert [m.name for m in CASES if m.old == m.new] == []


def test_a_case_whose_text_is_gone_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "x.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    gone = Mutation("gone", "test", "graph/x.ttl", "id:x", "<urn:z>", "<urn:y>")
    with pytest.raises(MutationNotApplicable, match="case gone: its old text occurs 0 times"):
        apply(gone, tmp_path)
    twice = Mutation("twice", "test", "graph/x.ttl", "id:x", "<urn:", "<urn:y")
    with pytest.raises(MutationNotApplicable, match="occurs 3 times"):
        apply(twice, tmp_path)


def test_a_row_with_an_unknown_key_is_named(tmp_path: Path) -> None:
    table = tmp_path / "table.yaml"
    table.write_text("- {name: typo, why: w, file: f, focus: x, old: a, new: b, slip: s}\n")
    with pytest.raises(ValueError, match=r"case 1 \(typo\).*slip"):
        read_table(table)


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=m.slips)) if m.slips else m
        for m in CASES
    ],
    ids=[m.name for m in CASES],
)
def test_the_mutation_is_caught(mutation: Mutation, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[mutation.name]
    assert outcome.caught, outcome.explain()


def test_catch_rate(outcomes: dict[str, Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    every = [outcomes[m.name] for m in CASES]
    caught = [o for o in every if o.caught]
    slipped = [o.mutation.name for o in every if not o.caught]
    rate = len(caught) / len(every)
    with capsys.disabled():
        print(
            f"\nmutations caught by `cakg validate`: {len(caught)}/{len(outcomes)} ({rate:.1%});"
            f" slipped: {', '.join(slipped) or 'none'}"
        )
    assert len(every) >= MIN_CASES
    assert rate >= MIN_RATE, [o.explain() for o in every if not o.caught]
