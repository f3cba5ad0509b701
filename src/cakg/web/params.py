"""Request flags: one reading of a yes-or-no request parameter for every route.

`inference=` on /sparql, /id, /data, /page and /store accepts the same words everywhere; a word
outside them is a BadParameter that names the parameter and the words accepted.
"""

from __future__ import annotations

from cakg.errors import BadParameter

FLAG_WORDS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "on": True,
    "off": False,
}


def read_flag(name: str, raw: str | None, default: bool) -> bool:
    """The flag NAME from its raw value (any case), or DEFAULT when it was not given."""
    if raw is None:
        return default
    value = FLAG_WORDS.get(raw.strip().lower())
    if value is None:
        raise BadParameter(name, f"'{raw}' is not one of {', '.join(FLAG_WORDS)}")
    return value
