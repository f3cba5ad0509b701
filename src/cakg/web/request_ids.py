"""Request ids: the client's X-Request-Id when it is sane, else a fresh one; sent back, logged."""

from __future__ import annotations

import re
import uuid

REQUEST_ID = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(given: str | None) -> str:
    """The id of a request whose X-Request-Id header is `given`."""
    return given if given and _SAFE_ID.fullmatch(given) else uuid.uuid4().hex[:16]
