"""One reading of SPARQL text: its tokens (the SPARQL 1.1 grammar's terminals, section 19.8), its
code without strings, IRIs and comments, and the line and column of a syntax error.

`tokenize(text)` reads a query the way pyoxigraph (0.5) reads it, because what the screen in
`cakg.engine.guard` sees must be what the engine will run. Where pyoxigraph departs from the
specification, this module follows pyoxigraph:

- `\\uXXXX` and `\\UXXXXXXXX` escapes are decoded only inside strings and IRIs, never over the
  whole text (the specification decodes them first, everywhere: `decode_escapes` gives that
  reading, for stores that follow it). A string or IRI whose escape names no character (a
  surrogate) is not one: a long string then falls back to the empty short string `""`, as
  pyoxigraph's grammar does, and an IRI to the `<` operator.
- White space is space, tab, CR and LF only; `PN_CHARS_BASE` stops at U+FFFD (no astral plane).
- A local name is `PN_LOCAL` as pyoxigraph writes it: at most one run of dots inside it, so
  `ex:a.b.c` is `ex:a.b`, `.` and `c`.
- A language tag may end with a base direction (`@en--ltr`, SPARQL 1.2).
- `<` is the less-than operator, not the start of an IRI, after an operand inside an
  expression's parentheses (`FILTER(?a<?b&&?c>?d)`): pyoxigraph's parser reads it there that way.
  Telling an expression's parentheses from a collection's or a path's takes a little context
  (the token before the `(`); see `tokenize`.
- pyoxigraph's parser has no tokenizer: keywords are matched case-insensitively by prefix, with
  no boundary, so `1e1SERVICE`, `trueSERVICE` and `SERVICESILENT` hold the keyword SERVICE. A run
  of letters that is not part of a name is one `keyword` token here (`TRUESERVICE`); readers
  that look for a keyword look inside it (see the guard).

Tokens keep their start offset, so that an error can name its line and column (`position`).
Text that cannot be read raises `BadQuery` with the line and column of the first character
that could not; `tokenize(text, strict=False)` turns such characters into `error` tokens and
goes on instead (for a second, conservative reading). A parser's own message that says where
(pyoxigraph's and an Oxigraph server's "error at 2:16: ...") becomes the same `BadQuery`
(`syntax_error_from`). Writing values into a query's text is `cakg.sparql_terms`' job. Stdlib
only, like the rest of the core.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cakg.errors import BadQuery

# Character classes of the grammar (19.8), with pyoxigraph's PN_CHARS_BASE.
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_BASE}][{_CHARS}]*(?:\\.+[{_CHARS}]+)*"
_PN_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX})*(?:\\.+(?:[{_CHARS}:]|{_PLX})+)?"
_VARNAME = f"[{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_EXPONENT = "[eE][+-]?[0-9]+"

# One alternative per terminal, after any white space and comments, tried in order: the first
# that matches is the token. Each is greedy and gives nothing back (possessive), as pyoxigraph's
# PEG rules do; loops are unrolled (a run of plain characters, then an escape).
_IRI_CHAR = r"[^<>\"{}|^`\\\x00-\x20]"
_TOKEN = re.compile(
    r"(?:[ \t\r\n]++|#[^\r\n]*+)*+"
    r"(?:(?P<punct>\^\^|&&|\|\||!=|>=|[{});,*+\-/|^!=>~\]]"
    r"|\((?![ \t\r\n]*+\))|\[(?![ \t\r\n]*+\]))"
    rf"|(?P<var>[?$]{_VARNAME})"
    rf"|(?P<iri><{_IRI_CHAR}*+(?:(?:{_UCHAR}){_IRI_CHAR}*+)*+>)"
    r"|(?P<less><=?)"
    rf"|(?P<keyword>[A-Za-z][A-Za-z0-9_]*+(?![.:{_CHARS}]))"
    rf"|(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)"
    r"|(?P<word>[A-Za-z][A-Za-z0-9_]*+)"
    r"|(?P<string>"
    rf'"""(?:[^"\\]++|{_ECHAR}|{_UCHAR}|""?+(?=[^"]))*+"""'
    rf"|'''(?:[^'\\]++|{_ECHAR}|{_UCHAR}|''?+(?=[^']))*+'''"
    rf'|"[^"\\\n\r]*+(?:(?:{_ECHAR}|{_UCHAR})[^"\\\n\r]*+)*+"'
    rf"|'[^'\\\n\r]*+(?:(?:{_ECHAR}|{_UCHAR})[^'\\\n\r]*+)*+')"
    rf"|(?P<number>[0-9]++\.[0-9]*+{_EXPONENT}|\.?[0-9]++{_EXPONENT}|[0-9]*+\.[0-9]++|[0-9]++)"
    r"|(?P<dot>\.)"
    rf"|(?P<bnode>_:[{_U}0-9][{_CHARS}]*+(?:\.++[{_CHARS}]++)*+)"
    r"|(?P<langtag>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+)"
    r"|(?P<nil>\([ \t\r\n]*+\))"
    r"|(?P<anon>\[[ \t\r\n]*+\])"
    r"|(?P<mark>\?))?"
)
_SHORT_STRING = re.compile("\"\"|''")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.DOTALL)
_NOT_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)  # pyoxigraph's messages
# Virtuoso's: "SPARQL compiler, line 2: syntax error at '}' before 'LIMIT'" (a line, no column)
_LINE_AT = re.compile(r"line (\d+): syntax error at '((?:[^']|'')*)'(?: before '((?:[^']|'')*)')?")
_KINDS = {"less": "punct", "word": "keyword", "dot": "punct", "mark": "punct"}
_BRACKETS = frozenset("(){}[]")

KINDS = (
    "iri", "pname", "bnode", "var", "string", "langtag", "number", "keyword", "nil", "anon",
    "punct", "error",
)  # fmt: skip
OPERANDS = frozenset({"iri", "pname", "bnode", "var", "string", "langtag", "number", "nil"})
_NOT_CALLS = frozenset({"a", "VALUES", "TRUE", "FALSE", "UNDEF"})


class Token(NamedTuple):
    """One terminal: its kind, its text as written, its offset in the query, its value, and
    whether it stands inside an expression's parentheses (see `tokenize`).

    The value is the text, but for a keyword, upper-cased (`a` stays `a`, the rdf:type verb).
    """

    kind: str
    text: str
    start: int
    value: str
    expression: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def tokenize(text: str, *, strict: bool = True) -> list[Token]:
    """The tokens of `text`, white space and comments left out.

    BadQuery, with line and column, at the first character that starts no token (strict), or
    an `error` token for each such character (not strict).

    Each token says whether it stands inside an expression's parentheses, where `<` after an
    operand is the less-than operator. A `(` opens an expression outside braces; inside an
    expression; in a (sub)query's projection (after SELECT, until WHERE or a brace) or its
    solution modifiers (after ORDER, GROUP or HAVING, until a brace); after a keyword (`FILTER(`,
    `BIND(`, `STR(`; not after `a`, `VALUES`, `true`, `false` or `UNDEF`); and after a
    function's IRI following a keyword (`FILTER ex:f(`). Any other `(` (a collection, a path's
    group, a VALUES row) does not.
    """
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN.match
    new = tuple.__new__  # a Token without NamedTuple's Python-level __new__: this loop is hot
    kinds = _KINDS
    stack: list[str] = []  # per open bracket: "expr", "(", "[" or "{"
    braces = 0
    modifiers = False  # after ORDER, GROUP or HAVING, until the next brace
    projecting = False  # after SELECT, until WHERE or the next brace
    expression = False  # the innermost open bracket is an expression's parentheses
    last: Token | None = None
    before: Token | None = None
    pos = 0
    end = len(text)
    while pos < end:
        found = match(text, pos)
        assert found is not None  # white space, possibly empty, always matches
        group = found.lastgroup
        if group is None:
            pos = found.end()
            if pos < end:
                _fail(text, pos, strict)
                append(Token("error", text[pos], pos, text[pos], expression))
                pos += 1
            continue
        start, pos = found.span(group)
        word = text[start:pos]
        if group == "iri" or group == "less":
            if (
                expression
                and last is not None
                and (
                    last.kind in OPERANDS
                    or last.text == ")"
                    or (last.kind == "keyword" and last.value in ("TRUE", "FALSE"))
                )
            ):  # pyoxigraph: the less-than operator
                word, group = _less(text, start), "less"
                pos = start + len(word)
            elif group == "iri" and "\\" in word and not _decodes(word):
                word, group = _less(text, start), "less"
                pos = start + len(word)
        elif group == "string" and "\\" in word and not _decodes(word):
            short = _SHORT_STRING.match(text, start)  # a long string falls back to ""
            if short is None:
                _fail(text, start, strict)
                append(Token("error", text[start], start, text[start], expression))
                pos = start + 1
                continue
            word = short.group()
            pos = start + 2
        kind = kinds.get(group, group)
        if kind == "keyword":
            value = word if word == "a" else word.upper()
            if "ORDER" in value or "GROUP" in value or "HAVING" in value:
                modifiers = True
            if "SELECT" in value:
                projecting = True
            elif "WHERE" in value:
                projecting = False
            token = new(Token, (kind, word, start, value, expression))
        elif kind == "punct" and word in _BRACKETS:
            token = new(Token, (kind, word, start, word, expression))
            if word == "(":
                if braces == 0 or expression or modifiers or projecting or last is None:
                    opens = True
                elif last.kind == "keyword":
                    opens = last.value not in _NOT_CALLS
                elif last.kind == "iri" or last.kind == "pname":  # a call, or a verb
                    opens = before is not None and before.kind == "keyword" and before.value != "a"
                else:
                    opens = False
                stack.append("expr" if opens else "(")
            elif word == "[" or word == "{":
                stack.append(word)
                if word == "{":
                    braces += 1
                    modifiers = projecting = False
            else:
                if stack and stack.pop() == "{":
                    braces -= 1
                if word == "}":
                    modifiers = False
            expression = bool(stack) and stack[-1] == "expr"
        else:
            token = new(Token, (kind, word, start, word, expression))
        append(token)
        before, last = last, token
    return tokens


def decode_escapes(text: str) -> str:
    """`text` with every `\\uXXXX` / `\\UXXXXXXXX` escape decoded, as the SPARQL specification
    reads a query before parsing it (pyoxigraph does not; `tokenize` does not)."""
    return _CODEPOINT.sub(_codepoint, text)


def has_escapes(text: str) -> bool:
    """Whether the specification's reading of `text` differs from pyoxigraph's."""
    return _CODEPOINT.search(text) is not None


def code_text(text: str) -> str:
    """The query's code as the SPARQL specification reads it (escapes decoded everywhere), with
    strings, IRIs and comments blanked out: spaces in their place, newlines kept. As long as
    `text` when `text` has no escapes, so that offsets in one are offsets in the other."""
    if has_escapes(text):
        text = decode_escapes(text)
    out: list[str] = []
    at = 0
    for token in tokenize(text, strict=False):
        out.append(_blank(text[at : token.start]))  # white space and comments
        out.append(_blank(token.text) if token.kind in ("string", "iri") else token.text)
        at = token.end
    out.append(_blank(text[at:]))
    return "".join(out)


def position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (both from 1, the column in characters) of an offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def syntax_error(line: int, column: int, why: str) -> BadQuery:
    """A syntax error at a line and column (both from 1), worded as every reader here words it."""
    return BadQuery(f"syntax error at line {line}, column {column}: {why}", line, column)


def syntax_error_from(message: str, text: str = "") -> BadQuery | None:
    """The syntax error a parser's message describes when it says where, or None when it names
    no position: "error at 2:16: why" (pyoxigraph, Oxigraph server), or "line 2: syntax error
    at 'TOKEN' before 'NEXT'" (Virtuoso), whose column is where TOKEN stands on that line of
    `text`, the query it was sent (the first place NEXT follows it; 1 when it is not there)."""
    found = _ERROR_AT.search(message)
    if found is not None:
        return syntax_error(int(found.group(1)), int(found.group(2)), found.group(3))
    found = _LINE_AT.search(message)
    if found is None:
        return None
    number = int(found.group(1))
    token, after = (part.replace("''", "'") if part else "" for part in found.group(2, 3))
    lines = text.split("\n")
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    starts = [m.start() for m in re.finditer(re.escape(token), line)] if token else []
    followed = [i for i in starts if line[i + len(token) :].lstrip().startswith(after)]
    column = (followed or starts or [0])[0] + 1
    why = f"unexpected '{token}'" + (f" before '{after}'" if after else "")
    return syntax_error(number, column, why)


def _blank(text: str) -> str:
    return "".join("\n" if char == "\n" else " " for char in text)


def _less(text: str, start: int) -> str:
    return "<=" if text.startswith("<=", start) else "<"


def _decodes(token: str) -> bool:
    """Whether every escape in a string or IRI token names a character (and, in an IRI, one
    that may stand in an IRI), as pyoxigraph requires."""
    if "\\" not in token:
        return True
    iri = token[0] == "<"
    for escape in _ESCAPE.finditer(token):
        digits = escape.group(1) or escape.group(2)
        if digits is None:
            if iri:
                return False
            continue
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return False
        if iri and _NOT_IRI.match(chr(code)):
            return False
    return True


def _codepoint(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return match.group()
    return chr(code)


def _why(text: str, pos: int) -> str:
    char = text[pos]
    if char in "\"'":
        return (
            "this string is not closed (on its line, for a short string), or holds an escape "
            "that SPARQL does not know or that names no character"
        )
    if char == "<":
        return "unexpected '<'"
    if char == "\\":
        return (
            "a backslash outside a string, an IRI or a local name (pyoxigraph reads \\u escapes "
            "only inside strings and IRIs)"
        )
    if char == "@":
        return "'@' not followed by a language tag"
    return f"unexpected character {char!r}"


def _fail(text: str, pos: int, strict: bool) -> None:
    if strict:
        raise syntax_error(*position(text, pos), _why(text, pos))
