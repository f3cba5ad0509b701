"""Vendor the front-end libraries of src/cakg/web/static/vendor/packages.json from npm.

    python scripts/vendor_npm.py    # (make vendor) each package@version by `npm pack`

Each package lands in static/vendor/<name>/ with its licence; the sha256 of every file is written
to static/vendor/SHA256SUMS, which tests/test_vendor.py checks. Needs node's npm and the npm
registry; the app and the tests need neither (the files are committed).

One package needs a step to load from a plain <script> under the pages' content security policy
(script-src 'self', no eval): `wrap`: vega-interpreter ships only as an ES module importing
vega-util; its one import is taken from the `vega` global (which re-exports vega-util) and its
export becomes the global `vegaInterpreter`. (vega-embed and vega-tooltip would inject their
stylesheets inline; static/views.js turns both off and ui.css styles the export links and tooltip.)

One entry is built rather than copied: `bundle` names a folder of scripts/ holding an npm
package.json, its package-lock.json (every version exact) and an entry module; `npm ci` installs
exactly those versions and esbuild (pinned there too) bundles the entry into one IIFE script that
defines a global (CodeMirror 6 for the SPARQL editor: scripts/codemirror/, global `CM`). The
licences of every bundled package are concatenated into the bundle's LICENSE. The output depends
only on the lockfile, so `make vendor` gives the same bytes again (SHA256SUMS).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "src" / "cakg" / "web" / "static" / "vendor"
IMPORT = re.compile(r"^import \{([^}]*)\} from 'vega-util';$", re.MULTILINE)
EXPORT = re.compile(r"^export \{ expression as expressionInterpreter \};$", re.MULTILINE)


def unpack(name: str, version: str, work: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("make vendor needs node's npm on the PATH")
    command = [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", str(work)]
    # the package names and versions are this repository's own (packages.json)
    out = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    tgz = work / out.stdout.strip().splitlines()[-1]
    dest = work / name
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def wrap_module(text: str) -> str:
    """An ES module importing vega-util -> a script defining window.vegaInterpreter."""
    text, imports = IMPORT.subn(lambda m: f"const {{{m.group(1)}}} = vega;", text)
    text, exports = EXPORT.subn(
        "window.vegaInterpreter = { expressionInterpreter: expression };", text
    )
    if imports != 1 or exports != 1:
        sys.exit("vega-interpreter changed its import or export: update scripts/vendor_npm.py")
    return "(function () {\n" + text + "\n})();\n"


def build_bundle(pkg: dict[str, str], work: Path) -> Path:
    """Install scripts/<bundle>/'s locked packages in WORK, bundle its entry; the folder of
    the output (with LICENSE)."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("make vendor needs node's npm on the PATH")
    source = Path(__file__).resolve().parent / pkg["bundle"]
    build = work / pkg["name"]
    build.mkdir()
    for name in ("package.json", "package-lock.json", "entry.js"):
        shutil.copyfile(source / name, build / name)
    quiet = ["--silent", "--no-audit", "--no-fund"]
    subprocess.run([npm, "ci", *quiet], cwd=build, check=True)  # noqa: S603
    out = build / "out"
    out.mkdir()
    esbuild = build / "node_modules" / ".bin" / "esbuild"
    command = [
        str(esbuild), "entry.js", "--bundle", "--format=iife", f"--global-name={pkg['global']}",
        "--minify", "--legal-comments=none", "--target=es2020", "--charset=utf8",
        f"--outfile={out / pkg['output']}", "--log-level=warning",
    ]  # fmt: skip
    subprocess.run(command, cwd=build, check=True)  # noqa: S603
    lock = json.loads((build / "package-lock.json").read_text())
    licences = []
    for path, meta in sorted(lock["packages"].items()):
        if not path or meta.get("dev"):  # the root, and esbuild (not bundled)
            continue
        name = path.removeprefix("node_modules/")
        found = sorted((build / path).glob("LICENSE*"))
        if not found:
            sys.exit(f"{name} has no LICENSE file: check its licence by hand")
        licences.append(f"{name} {meta['version']} ({meta.get('license', '?')})\n\n")
        licences.append(found[0].read_text().strip() + "\n\n")
    (out / "LICENSE").write_text("".join(licences))
    return out


def main() -> None:
    manifest = json.loads((VENDOR / "packages.json").read_text())
    sums = []
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in manifest["packages"]:
            if "bundle" in pkg:
                src = build_bundle(pkg, Path(tmp))
            else:
                src = unpack(pkg["name"], pkg["version"], Path(tmp))
            dest = VENDOR / pkg["name"]
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            for inner, outer in pkg.get("files", {}).items():
                shutil.copyfile(src / inner, dest / outer)
            for inner, outer in pkg.get("wrap", {}).items():
                (dest / outer).write_text(wrap_module((src / inner).read_text()))
            for path in sorted(dest.iterdir()):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                sums.append(f"{digest}  {pkg['name']}/{path.name}")
    (VENDOR / "SHA256SUMS").write_text("\n".join(sums) + "\n")


if __name__ == "__main__":
    main()
