"""Where Virtuoso Open Source 7.2 (Debian's virtuoso-opensource) departs from SPARQL 1.1 and RDF 1.1,
as the tests found it: id -> (what Virtuoso does, with a minimal reproduction; the consequence for
cakg's users; the workaround, if any).

A test that fails on the virtuoso kind only because of one of these stays as it is and marks its
virtuoso item `xfail(strict=True)` citing the entry (`virtuoso_deviates` in conftest.py), so that
it fails again, and tells us, when a Virtuoso release stops deviating.
"""

from __future__ import annotations

DEVIATIONS: dict[str, tuple[str, str, str]] = {}
