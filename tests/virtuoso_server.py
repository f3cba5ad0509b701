"""A real Virtuoso Open Source server (Debian's `virtuoso-opensource`) for the tests and benchmarks.

`start_virtuoso(folder)` writes a virtuoso.ini whose database, logs and transaction file are all
in `folder`, starts `virtuoso-t +foreground` on two free ports of 127.0.0.1 (HTTP and ISQL),
waits (reading its log, with a deadline) until it is online, then grants, through `isql-vt`:

- SPARQL Update and the Graph Store Protocol to the anonymous user (`/sparql`,
  `/sparql-graph-crud`), as the issue's user set it up;
- a user USER / PASSWORD for the authenticated endpoints (`/sparql-auth`, HTTP Digest).

`[SPARQL] ResultSetMaxRows` is raised from Virtuoso's 10,000 to RESULT_ROWS: at 10,000 Virtuoso
cuts every longer answer short (saying so only in an `X-SPARQL-MaxRows` header), which cakg's own
row limit must stay under (README, "Virtuoso").
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.server_process import ServerProcess, free_ports, start_process

ATTEMPTS = 3
START_SECONDS = 90.0  # a new database installs its packages first (5-10 s on 2 cores)
USER, PASSWORD = "cakg", "cakg-secret"
RESULT_ROWS = 1_000_000
QUERY_SECONDS = 60  # [SPARQL] MaxQueryExecutionTime: past it Virtuoso returns partial answers

INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {folder}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
MaxQueryMem = 1G
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 20
ServerThreads = 20
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = {result_rows}
MaxQueryExecutionTime = {query_seconds}
MaxQueryCostEstimationTime = 0
"""

GRANTS = f"""\
GRANT SPARQL_UPDATE TO "SPARQL";
GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL";
GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO "SPARQL";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);
DB.DBA.USER_CREATE ('{USER}', '{PASSWORD}');
GRANT SPARQL_UPDATE TO "{USER}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{USER}', 7);
"""


@dataclass
class VirtuosoServer(ServerProcess):
    """A `virtuoso-t` process on 127.0.0.1; `url` is its HTTP base (/sparql, /sparql-auth,
    /sparql-graph-crud), `isql` its SQL port."""

    isql: str = ""

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    def stop(self, seconds: float = 30.0) -> None:  # Virtuoso checkpoints as it stops
        super().stop(seconds)


class VirtuosoStartError(RuntimeError):
    """Virtuoso did not come online, or refused the grants."""


def virtuoso_binaries() -> tuple[str, str] | None:
    """`virtuoso-t` and `isql-vt`, when Debian's virtuoso-opensource is installed."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, isql) if server and isql else None


def start_virtuoso(folder: Path, *, buffers: int = 20_000) -> VirtuosoServer:
    """Start Virtuoso with its database in `folder` (made if missing); raise VirtuosoStartError
    when it is not installed, or not online within START_SECONDS in ATTEMPTS tries (each on new
    ports and a new database: a port taken between its choice and Virtuoso's bind fails a start).
    `buffers`: 8 KB pages cached."""
    binaries = virtuoso_binaries()
    if binaries is None:
        raise VirtuosoStartError("virtuoso-t and isql-vt are not installed")
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _start(folder / f"db-{attempt}", binaries, buffers)
        except VirtuosoStartError as e:
            failures.append(f"attempt {attempt}: {e}")
    raise VirtuosoStartError("\n".join(failures))


def _start(folder: Path, binaries: tuple[str, str], buffers: int) -> VirtuosoServer:
    server_binary, isql_binary = binaries
    folder.mkdir(parents=True, exist_ok=True)
    http_port, isql_port = free_ports(2)  # two distinct ports
    ini = folder / "virtuoso.ini"
    ini.write_text(
        INI.format(
            folder=folder, http_port=http_port, isql_port=isql_port, buffers=buffers,
            dirty_buffers=buffers * 3 // 4, result_rows=RESULT_ROWS, query_seconds=QUERY_SECONDS,
        ),
        encoding="utf-8",
    )  # fmt: skip
    process = start_process([server_binary, "+foreground", "+configfile", str(ini)], cwd=folder)
    server = VirtuosoServer(f"http://127.0.0.1:{http_port}", process, isql=f"127.0.0.1:{isql_port}")
    if not server.wait_for("Server online at", START_SECONDS):
        raise VirtuosoStartError(f"virtuoso-t did not start: {''.join(server.log)[-2000:]}")
    grants = subprocess.run(
        [isql_binary, server.isql, "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
        input=GRANTS.encode(), capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    output = (grants.stdout + grants.stderr).decode("utf-8", "replace")
    if grants.returncode != 0 or "*** Error" in output:
        server.stop(30)
        raise VirtuosoStartError(f"isql-vt could not grant SPARQL Update: {output[-2000:]}")
    return server
