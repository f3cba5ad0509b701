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


def test_the_editor_bundle_is_built_from_exact_versions() -> None:
    """static/vendor/codemirror/codemirror.js is esbuild's bundle of scripts/codemirror/ (make
    vendor): every package pinned to one version, the same in package.json and the lockfile,
    so that the bundle can be made again byte for byte."""
    folder = VENDOR.parents[4] / "scripts" / "codemirror"
    wanted = json.loads((folder / "package.json").read_text())
    lock = json.loads((folder / "package-lock.json").read_text())["packages"]
    pinned = {**wanted["dependencies"], **wanted["devDependencies"]}
    assert "esbuild" in pinned and "@codemirror/view" in pinned
    for name, version in pinned.items():
        assert version[0].isdigit() and version.count(".") == 2, (name, version)
        assert lock[f"node_modules/{name}"]["version"] == version, name
    licence = (VENDOR / "codemirror" / "LICENSE").read_text()
    bundled = [p.removeprefix("node_modules/") for p, m in lock.items() if p and not m.get("dev")]
    assert all(f"{name} {lock['node_modules/' + name]['version']}" in licence for name in bundled)
    assert (VENDOR / "codemirror" / "codemirror.js").read_text().startswith("var CM=")
