"""The `cakg` command line: build, validate, query, search, stats, serve.

Exit codes: 0 ok; 1 the data does not conform to the shapes; 2 a user error (bad usage, a file
that does not parse, a bad query); 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from cakg.config import ENGINES, REASONERS, STORE_PROFILES, Settings
from cakg.errors import (
    BadParameter,
    BuildMissingError,
    CakgError,
    InputError,
    NonConformingData,
    NotFound,
    QueryError,
)
from cakg.release import failed_build, load_manifest
from cakg.table import QUERY_FORMATS, render_result

EXIT_NONCONFORMING = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"cakg: error: {message}", err=True)
    sys.exit(code)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder holding ontology/, graph/, shapes/ and queries/ [default: .]",
)
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the compiled dataset goes [default: ROOT/build]",
)
@click.option("--engine", type=click.Choice(ENGINES), help="Query engine [default: oxigraph]")
@click.option(
    "--reasoner", type=click.Choice(REASONERS), help="OWL RL reasoner of the build [default: owlrl]"
)
@click.version_option(package_name="cakg")
@click.pass_context
def cli(
    ctx: click.Context,
    root: Path | None,
    build_dir: Path | None,
    engine: str | None,
    reasoner: str | None,
) -> None:
    """cakg: build, validate, query and serve the Central Asia Knowledge Graph."""
    ctx.obj = {
        "settings": Settings.from_env(
            root=root, build_dir=build_dir, engine=engine, reasoner=reasoner
        )
    }


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "--no-validate",
    is_flag=True,
    help="Skip SHACL validation (for benchmarks of generated data; the manifest says so).",
)
@click.pass_context
def build(ctx: click.Context, force: bool, quiet: bool, no_validate: bool) -> None:
    """Load, validate, reason and write the compiled dataset."""
    progress = None if quiet else (lambda msg: click.echo(msg, err=True))
    settings = _settings(ctx)
    if no_validate:
        settings = settings.replace(validate=False)
    from cakg.build import build_dataset  # the build wing, imported by the commands that build

    result = build_dataset(settings, force=force, progress=progress)
    if not quiet:
        m = result.manifest
        state = "built" if result.built else "up to date"
        click.echo(
            f"{state}: version {m['version']}, {m['triples']} statements in "
            f"{len(m.get('graphs', {}))} named graphs, in {result.directory}"
        )


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
)
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], fmt: str) -> None:
    """Validate the project's graph, or the given Turtle/TriG FILES, against the shapes."""
    from cakg.build import Kind, find_sources, from_paths, load_sources, validate_loaded

    settings = _settings(ctx)
    project = find_sources(settings.root)
    if files:
        schema = [f for f in project if f.kind in (Kind.ONTOLOGY, Kind.SHAPES)]
        sources = schema + from_paths(list(files), settings.root)
    else:
        sources = project
    report = validate_loaded(load_sources(sources), settings)
    out = {"text": report.to_text, "turtle": report.to_turtle, "json": report.to_json}[fmt]()
    click.echo(out, nl=False)
    if not report.conforms:
        sys.exit(EXIT_NONCONFORMING)


@cli.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "file_", type=click.File("r"), help="Read the query from FILE.")
@click.option(
    "--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True
)
@click.option("--no-inference", is_flag=True, help="Query the asserted triples only.")
@click.option("--saved", metavar="NAME", help="Run the saved query NAME (see `cakg queries`).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A saved query's parameter; repeat it for several values or parameters.",
)
@click.pass_context
def query(
    ctx: click.Context,
    sparql: str | None,
    file_: Any,
    fmt: str,
    no_inference: bool,
    saved: str | None,
    params: tuple[str, ...],
) -> None:
    """Run a SPARQL query, or a saved one (--saved NAME --param k=v), on the compiled dataset."""
    given = sum(x is not None for x in (sparql, file_, saved))
    if given != 1:
        raise click.UsageError("give one of: a SPARQL string, -f FILE or --saved NAME")
    if params and saved is None:
        raise click.UsageError("--param goes with --saved NAME")
    settings = _settings(ctx)
    load_manifest(settings)
    from cakg.engine import open_engine
    from cakg.engine.base import QueryDataset

    engine = open_engine(settings)
    try:
        if saved is not None:
            from cakg.queries import load_catalogue
            from cakg.queries.bind import find_query, parse_assignments, run_saved

            q = find_query(load_catalogue(settings.root), saved)
            done = run_saved(
                engine, q, parse_assignments(params), max_rows=settings.max_rows,
                inference=not no_inference,
            )  # fmt: skip
            result = done.result
            if done.page is not None and done.page.last > 1:
                p = done.page
                click.echo(f"page {p.number} of {p.last} ({p.total} rows in all; "
                           "--param page=N for another)", err=True)  # fmt: skip
        else:
            text = sparql if sparql is not None else file_.read()
            result = engine.query(text, dataset=QueryDataset(inference=not no_inference))
    finally:
        engine.close()
    click.echo(render_result(result, fmt), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def queries(ctx: click.Context, fmt: str) -> None:
    """List the saved queries and their parameters."""
    import json

    from cakg.queries import load_catalogue

    catalogue = load_catalogue(_settings(ctx).root)
    if fmt == "json":
        entries = [
            {"name": q.name, "summary": q.summary, "description": q.description,
             "tags": list(q.tags), "view": q.view, "pagination": q.pagination,
             "parameters": [{"name": p.name, "expects": p.type_label, "required": p.required,
                             "list": p.multiple, "default": list(p.default)} for p in q.params]}
            for q in catalogue.values()
        ]  # fmt: skip
        click.echo(json.dumps({"queries": entries}, indent=2, ensure_ascii=False))
        return
    for q in catalogue.values():
        click.echo(f"{q.name}: {q.summary}")
        for p in q.params:
            need = "required" if p.required and not p.default else "optional"
            many = ", repeatable" if p.multiple else ""
            click.echo(f"    --param {p.name}=...  {p.type_label} ({need}{many})")


@cli.command()
@click.argument("text")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="CLASS",
    help="Only instances of CLASS (an IRI or a prefixed name: cakg:State) or of a subclass; "
    "repeatable.",
)
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def search(ctx: click.Context, text: str, types: tuple[str, ...], limit: int, fmt: str) -> None:
    """Find entities by name: any label, any language, a prefix, a typo (as GET /search)."""
    import json

    from cakg.namespaces import shorten
    from cakg.queries.params import expand
    from cakg.release import Release
    from cakg.search import SearchIndex

    release = Release.open_current(_settings(ctx))
    try:
        index = SearchIndex.load(release)
    finally:
        release.close()
    classes = [expand(t.strip("<>")) for t in types]
    for given, iri in zip(types, classes, strict=True):
        if not index.is_class(iri):
            raise BadParameter("type", f"'{given}' is not a class of the dataset")
    hits = index.find(text, types=classes, limit=limit)
    if fmt == "json":
        rows = [{"iri": h.iri, "label": h.label, "lang": h.lang, "matched": h.matched,
                 "matchedLang": h.matched_lang, "types": list(h.types), "score": h.score,
                 "exact": h.exact} for h in hits]  # fmt: skip
        click.echo(json.dumps({"q": text, "results": rows}, indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo(f"nothing matches {text!r}", err=True)
    for h in hits:
        kinds = ", ".join(shorten(t) for t in h.types)
        matched = f"  (matched {h.matched!r}@{h.matched_lang})" if h.matched != h.label else ""
        click.echo(f"{h.score:6.2f}  {shorten(h.iri)}  {h.label}  [{kinds}]{matched}")


@cli.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Triples per named graph, instances per class, properties in use."""
    from cakg.stats import dataset_stats

    click.echo(dataset_stats(_settings(ctx)), nl=False)


@cli.command()
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [default: 8000]")
@click.option("--store", metavar="URL", help="Front this SPARQL 1.1 store (see `cakg publish`).")
@click.option(
    "--store-profile", type=click.Choice(STORE_PROFILES),
    help="What to rely on in the store beyond SPARQL 1.1 [default: auto, from the store]",
)  # fmt: skip
@click.option("--no-build", is_flag=True, help="Serve the current release as it is; build nothing.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    store: str | None,
    store_profile: str | None,
    no_build: bool,
) -> None:
    """Build if stale, then serve the SPARQL endpoint and pages.

    When the build fails and a release was built before, that release is served, with a
    warning here and the build's error in /healthz.
    """
    settings = _settings(ctx)
    changes = {"host": host, "port": port, "store_url": store, "store_profile": store_profile}
    changes = {k: v for k, v in changes.items() if v is not None}
    settings = settings.replace(**changes)
    if not no_build:
        _build_or_keep(settings)
    manifest = load_manifest(settings)  # BuildMissingError: nothing to serve
    failure = failed_build(settings)
    if failure is not None:
        _warn_failed_build(failure, manifest)
    from cakg.web.server import serve as run_server

    run_server(settings)


def _warn_failed_build(failure: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Say that the last build failed (where and why) and which release is served instead."""
    message = str(failure.get("message"))
    where = failure.get("file")
    if where is not None and failure.get("line") is not None:
        where = f"{where}:{failure['line']}"
    if where is not None and not message.startswith(str(where)):
        message = f"{where}: {message}"
    when = failure.get("failed") or "an unknown time"
    built = manifest.get("built") or "an unknown time"
    click.echo(f"cakg: warning: the last build failed (at {when}): {message}", err=True)
    click.echo(
        f"cakg: warning: serving the last good release instead: version {manifest['version']} "
        f"(built at {built}); fix the error, then restart `cakg serve` to serve the sources",
        err=True,
    )


def _build_or_keep(settings: Settings) -> None:
    """Build if stale; when that fails and a release exists, keep it (the build recorded why:
    see failed_build). With no release to fall back on, the build's error stands."""
    from cakg.build import build_dataset

    try:
        build_dataset(settings, progress=lambda msg: click.echo(msg, err=True))
    except CakgError as e:
        try:
            load_manifest(settings)
        except BuildMissingError:
            raise e from None
        if isinstance(e, NonConformingData):
            click.echo(e.report.to_text(), err=True, nl=False)


@cli.command()
@click.option("--to", "to", required=True, metavar="URL", help="The store's query endpoint.")
@click.option("--update", metavar="URL", help="Its SPARQL Update endpoint [default: a sibling]")
@click.option("--gsp", metavar="URL", help="Its Graph Store endpoint [default: a sibling]")
@click.option(
    "--store-profile", type=click.Choice(STORE_PROFILES),
    help="What to rely on in the store beyond SPARQL 1.1 [default: auto, from the store]",
)  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.pass_context
def publish(
    ctx: click.Context,
    to: str,
    update: str | None,
    gsp: str | None,
    store_profile: str | None,
    quiet: bool,
) -> None:
    """Upload the compiled dataset into a SPARQL store, then switch to it at once."""
    from cakg.publish import publish_dataset
    from cakg.store.endpoints import store_endpoints

    settings = _settings(ctx)
    if store_profile is not None:
        settings = settings.replace(store_profile=store_profile)
    endpoints = store_endpoints(
        to, update or settings.store_update_url, gsp or settings.store_gsp_url
    )
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []  # shown once there is something to upload

        def advance(_what: str, done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label="uploading chunks", file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bars[0].update(done - bars[0].pos)  # chunks staged by an earlier run count as done

        done = publish_dataset(settings, endpoints, progress=None if quiet else advance)
    for warning in done.warnings:
        click.echo(f"cakg: warning: {warning}", err=True)
    if quiet:
        return
    if not done.published:
        click.echo(f"already published: version {done.version} at {done.url}; nothing to do")
        return
    resumed = f", {len(done.resumed)} staged by an earlier run" if done.resumed else ""
    click.echo(
        f"published version {done.version} to {done.url} ({done.profile} profile): "
        f"{len(done.uploaded)} graphs uploaded{resumed}, {len(done.removed)} removed"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns errors into messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="cakg", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except NonConformingData as e:
        click.echo(e.report.to_text(), err=True, nl=False)
        _fail("the data does not conform to the shapes; nothing was written", EXIT_NONCONFORMING)
    except (InputError, QueryError, NotFound) as e:
        _fail(str(e), EXIT_USAGE)
    except CakgError as e:
        _fail(str(e), EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        _fail(
            "internal error: this is a bug in cakg; please report it with the output above",
            EXIT_INTERNAL,
        )
    sys.exit(0)
