"""What may become a link: the one place that decides it, for every HTML page cakg writes.

`safe_href` is the rule, used as the `safe_href` Jinja filter on every href that comes from data:
by the web app's templates (cakg.web) and by the ontology and shapes documentation that the build
renders (cakg.build.docs). Core module: standard library only, so both wings can use it.
"""

from __future__ import annotations

import re

# What a link may point to: an http(s) URL; or a reference of this server's making, which keeps
# the page's own scheme: one starting with `/`, `#` or `?`, or a relative path whose first
# segment is only letters, digits and `._~-` (so it cannot be read as a scheme, as `x:` would be).
_FOLLOWABLE = re.compile(r"https?:|[/#?]|[A-Za-z0-9._~-]+(?:[/#?]|\Z)", re.IGNORECASE | re.ASCII)


def safe_href(url: str | None) -> str | None:
    """URL when a browser may follow it, else None: the page then shows it as text.

    Only http(s) URLs (any case) and references that keep the page's own scheme pass: those
    starting with `/`, `#` or `?` (the paths this server writes), and relative paths such as
    `ontology.ttl`, `ontology#Visit` or `./` (the build's documentation links relatively, so it
    works wherever the app is mounted) whose first segment has no `:` or other character that
    could end a scheme. Everything else does not: `javascript:`, `data:`, `vbscript:`, `mailto:`,
    `urn:`, and anything with leading spaces or control characters, which a browser would strip
    before reading the scheme. `localHref` in web/static/ui.js applies the http(s) part of this
    rule to result IRIs in the browser.
    """
    return url if url and _FOLLOWABLE.match(url) else None
