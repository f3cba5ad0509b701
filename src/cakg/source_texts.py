"""The source texts on the serving machine: files of a configured folder, known by their SHA-256.

A release holds no source text, only character offsets into a text named by its hash
(graph/evidence/). When Settings.source_texts names a folder, a resource page quotes the span
that supports a statement: the folder's file whose bytes hash to the value the evidence gives is
read at request time, whatever its name, and its span cut out. A file whose hash matches no
source is never used, and a text that changed since it was hashed is hashed again before use,
so a page quotes exactly the text the offsets were counted in. Offsets count Unicode code points
of the UTF-8 text (Web Annotation's TextPositionSelector), which is what a Python str indexes.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

MAX_TEXT_BYTES = 10 * 1024 * 1024  # larger files are not source texts: never hashed


class SourceTexts:
    """The texts of one folder, looked up by SHA-256 (lowercase or uppercase hex)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._texts: dict[str, str | None] = {}

    def text(self, sha256: str) -> str | None:
        """The decoded text whose UTF-8 bytes hash to SHA256, or None when no file has them."""
        key = sha256.lower()
        if key not in self._texts:
            self._texts[key] = self._find(key)
        return self._texts[key]

    def span(self, sha256: str, start: int, end: int) -> str | None:
        """Characters START (inclusive) to END (exclusive) of that text; None when the text is
        not in the folder or the span does not lie inside it."""
        text = self.text(sha256)
        if text is None or not 0 <= start < end <= len(text):
            return None
        return text[start:end]

    def _find(self, sha256: str) -> str | None:
        try:
            paths = sorted(self.folder.iterdir())
        except OSError:  # the folder went away since the settings were read: offsets only
            return None
        for path in paths:
            try:
                info = path.stat()
                if not path.is_file() or info.st_size > MAX_TEXT_BYTES:
                    continue
                if _sha256(path, info.st_size, info.st_mtime_ns) != sha256:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if hashlib.sha256(data).hexdigest() != sha256:  # changed since it was hashed
                continue
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return None


@functools.lru_cache(maxsize=4096)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """The hash of a file, computed once per (path, size, modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
