"""The synthetic build the serving benchmarks share (bench_search, bench_reconcile): a project of
about N asserted triples (bench.generate) built by the real pipeline, `cakg build`, with the
rules reasoner and validation off (SYNTHETIC_ENV; bench_validate measures validation), under
bench/results/synthetic-<N>/.

The project is generated once and then reused (its copies of the repository's ontology, shapes,
reference graph and saved queries brought up to date); `cakg build` rebuilds it only when the
sources or the pipeline changed (its fingerprint). Serve it with the same environment
(`synthetic_env()`), or `cakg serve` would find the build stale for its settings.

    from bench.synthetic import synthetic_build, synthetic_env
    built = synthetic_build(1e6)   # .root, .release (build/current resolved), .manifest, .seconds
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import generate

RESULTS = Path(__file__).resolve().parent / "results"
SYNTHETIC_ENV = {"CAKG_REASONER": "rules", "CAKG_VALIDATE": "0"}


@dataclass(frozen=True)
class SyntheticBuild:
    root: Path  # the project (its build/ inside)
    release: Path  # build/current, resolved
    manifest: dict[str, Any]
    seconds: float  # the `cakg build` run (0.0-ish when it was up to date)
    built: bool  # False when the build was already up to date


def synthetic_root(triples: float) -> Path:
    """bench/results/synthetic-1e6 for 1e6."""
    return RESULTS / f"synthetic-{triples:.0e}".replace("+0", "")


def synthetic_env() -> dict[str, str]:
    """The environment to build and serve the synthetic project with."""
    return {**os.environ, **SYNTHETIC_ENV}


def synthetic_build(triples: float, seed: int = 1) -> SyntheticBuild:
    """Generate (or reuse) the project of about TRIPLES triples and build it with `cakg build`
    (the cakg on this interpreter's path, so PYTHONPATH picks a worktree's)."""
    root = synthetic_root(triples)
    files, written = generate(int(triples), root, seed=seed, reuse=True, refresh=True)
    print(f"{root}: {files} source files, {written} asserted triples", file=sys.stderr)
    current = root / "build" / "current"
    before = current.resolve() if current.exists() else None
    stamp = (current / "manifest.json").stat().st_mtime_ns if before else 0
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cakg", "--root", str(root), "build", "-q"],
        check=True,
        env=synthetic_env(),
    )
    seconds = time.perf_counter() - started
    release = current.resolve()
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    built = release != before or (release / "manifest.json").stat().st_mtime_ns != stamp
    return SyntheticBuild(root, release, manifest, seconds, built)


if __name__ == "__main__":
    made = synthetic_build(float(sys.argv[1]) if len(sys.argv) > 1 else 1e6)
    print(f"{made.release}: built={made.built} in {made.seconds:.1f} s", file=sys.stderr)
