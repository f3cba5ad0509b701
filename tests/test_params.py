"""One reading of request flags (cakg.web.params): the words, any case, and the error."""

from __future__ import annotations

import pytest

from cakg.errors import BadParameter
from cakg.web.params import read_flag

WORDS = {
    "true": True,
    "TRUE": True,
    "1": True,
    "yes": True,
    "on": True,
    " On ": True,
    "false": False,
    "False": False,
    "0": False,
    "no": False,
    "off": False,
}
# the route tests' table (test_linked, test_sparql_protocol): the eight words the error lists
# first, then two in other cases
FLAG_WORDS = [
    ("true", True),
    ("false", False),
    ("1", True),
    ("0", False),
    ("yes", True),
    ("no", False),
    ("on", True),
    ("off", False),
    ("TRUE", True),
    ("Off", False),
]


@pytest.mark.parametrize(("raw", "value"), WORDS.items())
def test_read_flag_words(raw: str, value: bool) -> None:
    assert read_flag("inference", raw, default=not value) is value


@pytest.mark.parametrize("default", [True, False])
def test_read_flag_default_when_absent(default: bool) -> None:
    assert read_flag("inference", None, default=default) is default


@pytest.mark.parametrize("raw", ["", "maybe", "2", "y", "truth"])
def test_read_flag_names_the_parameter_and_the_words(raw: str) -> None:
    with pytest.raises(BadParameter) as caught:
        read_flag("inference", raw, default=True)
    assert caught.value.name == "inference"
    message = str(caught.value)
    for word in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        assert f"{word}," in message or message.endswith(word)
