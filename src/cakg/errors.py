"""Typed errors of cakg. Library code raises these; the CLI and the web layer translate them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class CakgError(Exception):
    """Base class of every error cakg raises on purpose."""

    code = "error"


class InputError(CakgError):
    """The user's input (a file, a setting, a header) is wrong."""

    code = "bad-input"


class ParseError(InputError):
    """An RDF source file cannot be parsed. Carries the file, line and column, like SyntaxError."""

    code = "parse-error"

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.reason = message
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class QueryHeaderError(InputError):
    """A saved query's `#+` header is invalid."""

    code = "bad-query-header"

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class ConfigError(InputError):
    """A setting is missing or has a wrong value."""

    code = "bad-config"


class BuildMissingError(InputError):
    """No compiled dataset exists yet."""

    code = "no-build"


class SearchIndexError(BuildMissingError):
    """The release's search index is missing or unreadable (built by an older cakg, or
    damaged): the release must be built again."""

    code = "no-search-index"


class NonConformingData(CakgError):
    """The data does not conform to the SHACL shapes. `report` holds the validation report."""

    code = "non-conforming"

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__(f"the data does not conform to the shapes: {report.summary()}")


class StoreWriteError(CakgError):
    """The build could not write the engine's on-disk store (the child's error is above)."""

    code = "store-write-failed"


class ValidationWorkerError(CakgError):
    """A validation worker process died (out of memory, killed) while validating a unit."""

    code = "validation-worker"

    def __init__(self, unit: str, reason: str) -> None:
        self.unit = unit
        self.reason = reason
        super().__init__(
            f"{unit}: the validation worker stopped ({reason}); "
            "retry with fewer workers (CAKG_VALIDATE_WORKERS=1) to see the cause"
        )


class QueryError(CakgError):
    """A query or its parameters are wrong (HTTP 400)."""

    code = "bad-query"


class BadQuery(QueryError):
    """A SPARQL query cannot be parsed or is not allowed."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(message)


class BadParameter(QueryError):
    """A request or saved-query parameter is wrong."""

    code = "bad-parameter"

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"parameter '{name}': {message}")


class UpdateRefused(QueryError):
    """A SPARQL Update was sent to the read-only endpoint."""

    code = "update-refused"


class QueryTimeout(CakgError):
    """A query ran past its time limit and was stopped."""

    code = "timeout"

    def __init__(self, limit: float, message: str | None = None) -> None:
        self.limit = limit
        super().__init__(
            message or f"the query ran past the time limit of {limit:g} s and was stopped"
        )


class QueryResourceError(CakgError):
    """A query used more memory than allowed, or crashed its worker."""

    code = "resource-limit"


class WorkersBusy(QueryResourceError):
    """Every query worker stayed busy with other queries until this one's deadline."""

    code = "busy"


class TooManyQueries(CakgError):
    """The client already has as many long queries running as it may."""

    code = "too-many-queries"


class NotFound(CakgError):
    code = "not-found"


class QueryNotFound(NotFound):
    pass


class ResourceNotFound(NotFound):
    pass


class NotAcceptable(CakgError):
    """No representation matches the client's Accept header."""

    code = "not-acceptable"
