"""`bizdev`, the operator's command line: tokens, topics, lag, rebuilds, dead letters, history.

It is installed with bizdev-common, so every service's image has it, and it finds the
services installed beside it by their console scripts (`bizdev-<service>`). A command about a
service reads that service's settings from its usual variables (`BIZDEV_<SERVICE>_*`), as the
service's own processes do; commands about Kafka alone take `--bootstrap`."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer
from rich.console import Console

from bizdev_common.domain import Role

# Imported where used: Kafka's, PostgreSQL's and the services' libraries take seconds to
# load, which `bizdev --help` and `bizdev token` need none of.
if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from rich.progress import Progress, TaskID

    from bizdev_common.rebuild import Progress as RebuildProgress
    from bizdev_common.settings import ServiceSettings

app = typer.Typer(
    help="The operator's tools for a running bizdev: tokens, topics, consumer lag, view "
    "rebuilds with a swap, dead letters, an aggregate's history.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
dlq_app = typer.Typer(help="Dead-lettered messages of a service.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
console = Console()

Bootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        envvar="BIZDEV_KAFKA_BOOTSTRAP_SERVERS",
        help="Kafka bootstrap servers (default: the topic's service's, else the services' default)",
        show_default=False,
    ),
]
STATE_VARIABLE = "BIZDEV_STATE"
RECORDED = "env"
"""The file in `make up`'s state folder (.state/dev) with the variables it gave the services
(deploy/local/launcher.py records it)."""


def recorded_environment(start: Path | None = None) -> Path | None:
    """What `make up` recorded: in $BIZDEV_STATE, else in .state/dev of this folder or the
    nearest parent that has one."""
    if os.environ.get(STATE_VARIABLE):
        candidates = [Path(os.environ[STATE_VARIABLE])]
    else:
        here = start or Path.cwd()
        candidates = [p / ".state" / "dev" for p in (here, *here.parents)]
    return next((c / RECORDED for c in candidates if (c / RECORDED).is_file()), None)


def use_recorded_environment(start: Path | None = None) -> None:
    """The services' settings as `make up` gave them (its random ports), under any variable
    the shell has not set itself."""
    recorded = recorded_environment(start)
    if recorded is None:
        return
    for line in recorded.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            os.environ.setdefault(name.strip(), value)


def installed_services() -> list[str]:
    """The services installed beside this CLI, by their console scripts."""
    return sorted(
        ep.name.removeprefix("bizdev-")
        for ep in entry_points(group="console_scripts")
        if ep.name.startswith("bizdev-") and ep.value == f"bizdev_{ep.name[7:]}.main:run"
    )


def service_parts(service: str) -> Any:
    """The service's parts (services/<name>/main.py), its settings from the environment."""
    if service not in installed_services():
        known = ", ".join(installed_services()) or "none"
        raise typer.BadParameter(f"no service {service!r} installed here (installed: {known})")
    return importlib.import_module(f"bizdev_{service}.main").parts()


def run() -> None:
    """The console script: an unreachable Kafka or PostgreSQL is one line, not a traceback."""
    use_recorded_environment()
    try:
        app()
    except Exception as e:
        import asyncpg
        from aiokafka.errors import KafkaConnectionError

        if not isinstance(e, KafkaConnectionError | OSError | asyncpg.PostgresError):
            raise
        console.print(f"[red]bizdev: {e}[/]")
        raise SystemExit(1) from e


# --- token -----------------------------------------------------------------------------


@app.command()
def token(
    roles: Annotated[list[Role], typer.Argument(help="one or more roles", show_default=False)],
    dept: Annotated[str, typer.Option(help="the user's department")] = "sales",
    user: Annotated[str | None, typer.Option(help="user id (default: <role>-<dept>)")] = None,
    ttl: Annotated[int, typer.Option(help="seconds the token is valid")] = 8 * 3600,
) -> None:
    """Print a dev bearer token (HS256, the dev secret or BIZDEV_JWT_SECRET)."""
    from bizdev_common.auth import DEV_SECRET, issue_token

    secret = os.environ.get("BIZDEV_JWT_SECRET", DEV_SECRET)
    who = user or f"{roles[0].value}-{dept}"
    print(issue_token(who, dept, roles, secret=secret, ttl_seconds=ttl))


# --- new-service -----------------------------------------------------------------------


@app.command("new-service")
def new_service(
    name: Annotated[str, typer.Argument(help="its name: lower-case letters and digits")],
    port: Annotated[int | None, typer.Option(help="its API port (default: next free)")] = None,
    root: Annotated[Path, typer.Option(help="the repository")] = Path("."),
) -> None:
    """Write services/<name>/ with one record, command, event, view and their tests
    (docs/adding-a-service.md says what comes next)."""
    from bizdev_common import scaffold

    try:
        written = scaffold.new_service(root, name, port)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    for path in written:
        print(path.relative_to(root))


# --- tail ------------------------------------------------------------------------------


def readable(record: ConsumerRecord) -> dict[str, Any]:
    """A record as a CloudEvent: its attributes from the headers, its data from the value."""
    from bizdev_common.envelope import Envelope

    try:
        envelope = Envelope.from_headers(record.headers or ())
        attributes: dict[str, Any] = {
            "type": envelope.type,
            "subject": envelope.subject,
            "time": envelope.time.isoformat(),
            "id": envelope.id,
            "sequence": envelope.sequence,
        }
    except (KeyError, ValueError, UnicodeDecodeError) as e:
        attributes = {"type": None, "subject": None, "error": f"not a CloudEvent: {e}"}
    try:
        data: Any = json.loads(record.value) if record.value is not None else None
    except ValueError:
        data = repr(record.value[:200])
    return {
        "position": f"{record.topic}/{record.partition}@{record.offset}",
        **attributes,
        "data": data,
    }


def _topic_of(name: str) -> str:
    from bizdev_common.contract import topic_for

    return topic_for(name) if name in installed_services() else name


def _bootstrap_for(topic: str, given: str | None) -> str:
    """The Kafka a service's own topic is on, as its settings say, unless told."""
    if given:
        return given
    owner = topic.split(".")[1] if topic.startswith("bizdev.") else None
    if owner in installed_services():
        return str(service_parts(owner).settings.kafka_bootstrap_servers)
    from bizdev_common.settings import ServiceSettings

    return str(ServiceSettings.model_fields["kafka_bootstrap_servers"].default)


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="a topic, or a service's name for its topic")],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="start at the oldest record")
    ] = False,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="keep waiting for new records")
    ] = False,
    event_type: Annotated[
        str | None,
        typer.Option("--type", help="only this ce_type, or its event's name (LeadDiscarded)"),
    ] = None,
    aggregate: Annotated[str | None, typer.Option(help="only this aggregate id")] = None,
    limit: Annotated[int, typer.Option(help="stop after this many (0: no limit)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Print a topic's records as readable CloudEvents. Without --from-beginning it shows
    what arrives from now on (so add --follow); without --follow it stops at the end."""

    def show(event: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(event, default=str), flush=True)
            return
        console.print(
            f"[dim]{event['position']}[/] [bold]{event.get('type')}[/] "
            f"{event.get('subject')} [dim]{event.get('time', '')}[/]"
        )
        console.print_json(data=event["data"], default=str)

    wanted = Filter(event_type, aggregate)
    name = _topic_of(topic)
    kafka = _bootstrap_for(name, bootstrap)
    shown = asyncio.run(_tail(name, kafka, from_beginning, follow, limit, wanted, show))
    if not as_json:
        console.print(f"[dim]{shown} event(s)[/]")


@dataclass(frozen=True)
class Filter:
    event_type: str | None = None
    aggregate: str | None = None

    def __call__(self, event: dict[str, Any]) -> bool:
        if self.aggregate is not None and event.get("subject") != self.aggregate:
            return False
        kind = event.get("type") or ""
        name = kind.split(".")[2] if kind.count(".") == 3 else None  # bizdev.<svc>.<Name>.vN
        return self.event_type is None or self.event_type in (kind, name)


async def _tail(
    topic: str,
    bootstrap: str,
    from_beginning: bool,
    follow: bool,
    limit: int,
    wanted: Callable[[dict[str, Any]], bool],
    show: Callable[[dict[str, Any]], None],
) -> int:
    """Shows the wanted records in each partition's order; returns how many it showed."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    shown = 0
    try:
        await consumer.start()
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise typer.BadParameter(f"no topic {topic!r}")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        ends = await consumer.end_offsets(tps)
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            records = sorted(
                (r for recs in batch.values() for r in recs), key=lambda r: (r.timestamp, r.offset)
            )
            for record in records:
                event = readable(record)
                if wanted(event):
                    show(event)
                    shown += 1
                    if limit and shown >= limit:
                        return shown
            if not follow and all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                return shown
    finally:
        await consumer.stop()


# --- lag -------------------------------------------------------------------------------


def lag_rows(service: str) -> list[dict[str, Any]]:
    """Each consumer's position and lag per partition, where the consumer really keeps it,
    and the outbox relay's: the last event it published and how many stored events wait
    behind it (bizdev_common/signals.py, which the workers' /metrics measure too)."""
    return asyncio.run(_lag(service_parts(service)))


async def _lag(parts: Any) -> list[dict[str, Any]]:
    import asyncpg
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    from bizdev_common import signals
    from bizdev_common.contract import topic_for

    s: ServiceSettings = parts.settings
    consumer = AIOKafkaConsumer(bootstrap_servers=s.kafka_bootstrap_servers)
    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
    await consumer.start()
    await admin.start()
    conn = await asyncpg.connect(s.database_url)
    try:
        lags = await signals.consumer_lags(parts, conn, consumer, admin)
        relay = await signals.relay_backlog(conn, s)
    finally:
        await conn.close()
        await admin.close()
        await consumer.stop()
    rows = [
        {
            "consumer": r.consumer_group,
            "kind": r.kind,
            "topic": r.topic,
            "partition": r.partition,
            "position": r.position,
            "end": r.end,
            "lag": r.lag,
        }
        for r in lags
    ]
    rows.append(
        {
            "consumer": f"{s.schema_name}.relay",
            "kind": "relay",
            "topic": topic_for(s.service),
            "partition": None,
            "position": relay.position,
            "end": relay.end,
            "lag": relay.waiting,
        }
    )
    return rows


@app.command()
def lag(
    services: Annotated[
        list[str] | None, typer.Argument(help="services (default: every one installed)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """Each consumer's lag per partition: projections (positions in PostgreSQL), reactions
    (their Kafka groups' committed offsets), and the outbox relay (events not yet published)."""
    from rich.table import Table

    table = Table("consumer", "kind", "topic", "partition", "position", "end", "lag")
    for service in services or installed_services():
        for row in lag_rows(service):
            if as_json:
                print(json.dumps(row))
                continue
            style = "red" if row["lag"] > 0 else None
            table.add_row(*(str("-" if v is None else v) for v in row.values()), style=style)
    if not as_json:
        console.print(table)


# --- rebuild ---------------------------------------------------------------------------


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="the service whose views to rebuild")],
    projection: Annotated[
        list[str] | None, typer.Option(help="only this projection (default: every one)")
    ] = None,
) -> None:
    """Rebuild a service's views from the start of their sources (its own event store, other
    services' topics) into fresh tables and swap them in while the service runs: queries never
    fail, no event is applied twice or missed (see bizdev_common/rebuild.py)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from bizdev_common.rebuild import Progress as RebuildProgress
    from bizdev_common.rebuild import Rebuild, RebuildRefused

    parts = service_parts(service)
    makes = [
        m
        for m in parts.projections
        if not projection or m(parts.settings.schema_name).name in projection
    ]
    if not makes:
        raise typer.BadParameter(f"no such projection in {service}: {projection}")
    with Progress(
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[phase]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        for make in makes:
            name = make(parts.settings.schema_name).name
            task = bar.add_task(f"{service}.{name}", total=None, phase="starting")
            try:
                swapped = asyncio.run(
                    Rebuild(parts, make, RebuildProgress(_shown(bar, task))).run()
                )
            except RebuildRefused as e:
                bar.console.print(f"[red]{e}[/]")
                raise typer.Exit(1) from e
            rate = swapped.records / swapped.seconds if swapped.seconds else 0.0
            bar.console.print(
                f"{service}.{name}: {swapped.records} event(s) in {swapped.seconds:.1f}s "
                f"({rate:,.0f}/s), swapped in: {', '.join(swapped.relations)}"
            )


def _shown(bar: Progress, task: TaskID) -> Callable[[RebuildProgress], None]:
    def show(p: RebuildProgress) -> None:
        bar.update(task, completed=p.done, total=p.total or None, phase=p.phase)

    return show


# --- dlq -------------------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    service: Annotated[str, typer.Argument(help="the service")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """The service's parked messages, oldest first."""
    from rich.table import Table

    from bizdev_common import dlq

    letters = asyncio.run(dlq.letters(service_parts(service)))
    if as_json:
        for letter in letters:
            print(json.dumps(letter))
        return
    table = Table(*dlq.LIST_COLUMNS, title=f"{service}: dead letters")
    for letter in letters:
        style = "red" if letter["state"] == "parked" else None
        table.add_row(*(str("-" if v is None else v) for v in letter.values()), style=style)
    console.print(table)


@dlq_app.command("replay")
def dlq_replay(
    service: Annotated[str, typer.Argument(help="the service")],
    letter: Annotated[int | None, typer.Argument(help="one letter's id (default: all)")] = None,
) -> None:
    """Put one parked message, or all, back through its handler (once, however often run)."""
    from bizdev_common import dlq

    raise typer.Exit(
        dlq.main(service_parts(service), ["replay", *([str(letter)] if letter else [])])
    )


# --- history ---------------------------------------------------------------------------


@app.command()
def history(
    service: Annotated[str, typer.Argument(help="the service that owns the aggregate")],
    aggregate_id: Annotated[UUID, typer.Argument(help="the aggregate's id")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """Every event of one aggregate from the service's event store: version, time, who,
    what."""
    from rich.table import Table

    entries = list(_history(service_parts(service), aggregate_id))
    if as_json:
        for e in entries:
            print(json.dumps(e))
        return
    table = Table("version", "at", "event", "by", "data", title=str(aggregate_id))
    for e in entries:
        table.add_row(
            str(e["version"]), e["at"], e["event"], str(e["by"] or "-"), json.dumps(e["data"])
        )
    console.print(table)


def _history(parts: Any, aggregate_id: UUID) -> Iterator[dict[str, Any]]:
    """Each event as JSON: a published one as its public model says it (and its `type` on the
    wire), any other with its fields as JSON values (Money as amount and currency)."""
    from eventsourcing.domain import Aggregate
    from pydantic_core import to_jsonable_python

    from bizdev_common.domain import NotFound
    from bizdev_common.eventstore import ServiceApplication

    application: ServiceApplication = parts.application(parts.settings)
    try:
        entries = application.history(Aggregate, aggregate_id)
        events = list(application.events.get(aggregate_id))
    except NotFound as e:
        raise typer.BadParameter(str(e)) from e
    finally:
        application.close()
    contract = parts.contract
    for entry, event in zip(entries, events, strict=True):
        public = contract.to_public(event)
        yield {
            "version": entry.version,
            "at": entry.at.isoformat(),
            "event": entry.event,
            "type": None if public is None else contract.ce_type(type(public)),
            "by": entry.by,
            "data": (
                to_jsonable_python(entry.data, fallback=str)
                if public is None
                else public.model_dump(mode="json")
            ),
        }


# --- export ----------------------------------------------------------------------------


@app.command()
def export(
    database: Annotated[
        Path, typer.Argument(help="the DuckDB file (made if missing; kept between exports)")
    ] = Path("analytics.duckdb"),
    report: Annotated[
        bool, typer.Option("--report", help="then print the ready queries' answers")
    ] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Land every service's event topic in a DuckDB file, one table per event type with
    columns typed from its JSON Schema, from where the last export stopped (dead letters
    are skipped). See docs/analytics.md."""
    import duckdb

    from bizdev_common import export as exporting

    contracts = [service_parts(name).contract for name in installed_services()]
    kafka = _bootstrap_for(contracts[0].topic if contracts else "", bootstrap)
    db = duckdb.connect(str(database))
    try:
        db.execute("SET TimeZone = 'UTC'")
        lander = exporting.Lander(db, exporting.schemas_of(contracts))
        added = asyncio.run(exporting.export(kafka, lander))
        for table, rows in sorted(added.items()):
            console.print(f"{table}: +{rows}")
        console.print(f"[dim]{sum(added.values())} row(s) added to {database}[/]")
        if report:
            _report(db, exporting.queries())
    finally:
        db.close()


def _report(db: Any, queries: list[Any]) -> None:
    from rich.table import Table

    from bizdev_common.export import answer

    for query in queries:
        columns, rows = answer(db, query)
        table = Table(title=f"{query.title} ({query.name}.sql)", title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
