"""The front-end libraries vendored from npm (src/cakg/web/static/vendor/): each file is the one
scripts/vendor_npm.py wrote (its sha256 in SHA256SUMS), each package has its licence, and
nothing else sits in the folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "cakg" / "web" / "static" / "vendor"


def listed() -> dict[str, str]:
    sums = {}
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    return sums


def test_every_vendored_file_is_the_one_fetched() -> None:
    sums = listed()
    assert sums
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_nothing_unlisted_in_the_vendor_folder() -> None:
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()} - {
        "SHA256SUMS",
        "packages.json",
    }
    assert present == set(listed())


def test_every_package_has_its_licence_and_pinned_version() -> None:
    manifest = json.loads((VENDOR / "packages.json").read_text())
    names = {p["name"] for p in manifest["packages"]}
    assert {"vega", "vega-lite", "vega-embed", "vega-interpreter", "world-atlas"} <= names
    for package in manifest["packages"]:
        assert package["version"].count(".") == 2 and package["license"]
        assert (VENDOR / package["name"] / "LICENSE").is_file(), package["name"]
