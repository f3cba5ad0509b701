"""Search keys: one reading of text for the search index, shared by the build and the server.

`fold` turns a label or a query into its key: transliterated to ASCII (anyascii: Cyrillic,
Kazakh, Uzbek, Azerbaijani, Chinese... and every accent or diacritic folded: "O\u02bbzbekiston"
-> "ozbekiston", "Қазақстан" -> "qazaqstan"), case-folded, every run of characters other than
letters and digits made one space. The build writes the key of every label into the release's
index (cakg.build.search_index); the server folds a query the same way (cakg.search), so the
two always agree. Core module: imported by both wings, it imports only anyascii.
"""

from __future__ import annotations

import re

from anyascii import anyascii

KEY_VERSION = 1  # written into the index: a change of `fold` makes an old index unreadable
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# anyascii writes the letter marks U+02BB and U+02BC (Uzbek) as a backquote: part of a word
_LETTER_MARK = "`"


def fold(text: str) -> str:
    """The key of TEXT: ASCII, lower case, words separated by one space ("" when no word)."""
    ascii_text = anyascii(text).replace(_LETTER_MARK, "")
    return _NOT_WORD.sub(" ", ascii_text.casefold()).strip()


def word_starts(key: str) -> list[int]:
    """The offsets in KEY at which its words begin (0 first)."""
    return [0, *(i + 1 for i, c in enumerate(key) if c == " ")]
