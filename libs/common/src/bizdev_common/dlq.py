"""`bizdev-<service> dlq list` and `dlq replay [ID]`: what the service's consumers parked
(deadletters.py), and putting it back through its handler once the cause is fixed.

A projection's letter is applied and marked replayed in one transaction; a reaction's is
saved with its tracking row `dead-letter:<id>` in the event store's transaction, then marked.
Either way a second replay applies nothing. Replay applies a letter where its view or
aggregate has not moved on without it: views are guarded by version, so an event older than
the row changes nothing, and a view that must take it in order is rebuilt with
`rebuild-views` instead."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from aiokafka import ConsumerRecord

from bizdev_common import reactions
from bizdev_common.consuming import read_envelope, read_event, record_of
from bizdev_common.deadletters import DeadLetters, describe
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.settings import ServiceSettings

if TYPE_CHECKING:
    from bizdev_common.parts import ServiceParts

LIST_COLUMNS = (
    "id",
    "state",
    "parked_at",
    "handler",
    "position",
    "ce_type",
    "ce_id",
    "attempts",
    "error",
)


def main(parts: ServiceParts, args: Sequence[str]) -> int:
    if list(args) == ["list"]:
        return asyncio.run(_list(parts))
    if args[:1] == ["replay"] and len(args) <= 2:
        try:
            letter_id = int(args[1]) if len(args) == 2 else None
        except ValueError:
            letter_id = -1
        if letter_id is None or letter_id > 0:
            return asyncio.run(_replay(parts, letter_id))
    print(f"usage: bizdev-{parts.settings.service} dlq list | dlq replay [ID]", file=sys.stderr)
    return 2


async def _connect(parts: ServiceParts) -> tuple[asyncpg.Connection, DeadLetters]:
    conn = await asyncpg.connect(parts.settings.database_url)
    dead_letters = DeadLetters(parts.settings)
    await dead_letters.create(conn)
    return conn, dead_letters


async def letters(parts: ServiceParts) -> list[dict[str, Any]]:
    """Every dead letter, oldest first, as LIST_COLUMNS."""
    conn, dead_letters = await _connect(parts)
    try:
        rows = await conn.fetch(f"SELECT * FROM {dead_letters.table} ORDER BY id")
    finally:
        await conn.close()
    return [
        {
            "id": r["id"],
            "state": "parked" if r["replayed_at"] is None else "replayed",
            "parked_at": r["parked_at"].isoformat(),
            "handler": f"{r['kind']}:{r['handler']}",
            "position": f"{r['topic']}/{r['partition']}@{r['kafka_offset']}",
            "ce_type": r["ce_type"],
            "ce_id": r["ce_id"],
            "attempts": r["attempts"],
            "error": r["error"],
        }
        for r in rows
    ]


async def _list(parts: ServiceParts) -> int:
    """One tab-separated line per dead letter, oldest first, under a header line (`bizdev dlq
    list` shows them as a table)."""
    print("\t".join(LIST_COLUMNS))
    for letter in await letters(parts):
        line = [letter[c] if letter[c] is not None else "-" for c in LIST_COLUMNS]
        line[-1] = str(line[-1]).replace("\t", " ").replace("\n", " ")
        print("\t".join(map(str, line)))
    return 0


def _record(row: asyncpg.Record) -> ConsumerRecord:
    headers = [
        (k.decode("utf-8", "surrogatepass"), v)
        for k, v in zip(row["header_keys"], row["header_values"], strict=True)
    ]
    return record_of(
        row["topic"], row["partition"], row["kafka_offset"], row["key"], row["value"], headers
    )


async def _replay(
    parts: ServiceParts[ServiceApplication, ServiceSettings], letter_id: int | None
) -> int:
    """Replays one letter, or every one still parked; 1 when any still fails."""
    s = parts.settings
    conn, dead_letters = await _connect(parts)
    table = dead_letters.table
    projections = {p.name: p for p in (make(s.schema_name) for make in parts.projections)}
    reacting = {r.name: r for r in (make() for make in parts.reactions)}
    app: ServiceApplication | None = None
    failed = 0
    try:
        if letter_id is None:
            ids = [
                r["id"]
                for r in await conn.fetch(
                    f"SELECT id FROM {table} WHERE replayed_at IS NULL ORDER BY id"
                )
            ]
        else:
            if not await conn.fetchval(f"SELECT true FROM {table} WHERE id = $1", letter_id):
                print(f"{letter_id}: no such dead letter", file=sys.stderr)
                return 1
            ids = [letter_id]
        for i in ids:
            try:
                async with conn.transaction():
                    row = await conn.fetchrow(f"SELECT * FROM {table} WHERE id = $1 FOR UPDATE", i)
                    if row["replayed_at"] is not None:
                        print(f"{i}: replayed before, at {row['replayed_at'].isoformat()}")
                        continue
                    record = _record(row)
                    if row["kind"] == "projection":
                        projection = projections[row["handler"]]
                        envelope = read_envelope(record)
                        event = read_event(projection.contracts[record.topic], record, envelope)
                        if event is not None:
                            await projection.apply(conn, event, envelope)
                    else:
                        if app is None:
                            app = await asyncio.to_thread(parts.application, s)
                        # Saved once with its own tracking row; the mark below follows it.
                        await asyncio.to_thread(
                            reactions.replay, app, reacting[row["handler"]], i, record
                        )
                    await conn.execute(f"UPDATE {table} SET replayed_at = now() WHERE id = $1", i)
                print(f"{i}: replayed through {row['kind']} {row['handler']}")
            except Exception as e:  # noqa: BLE001 - report it, keep it parked, go on
                failed += 1
                error = describe(e)
                await conn.execute(
                    f"UPDATE {table} SET error = $2, attempts = attempts + 1 WHERE id = $1",
                    i,
                    error,
                )
                print(f"{i}: still failing, left parked: {error}", file=sys.stderr)
    finally:
        await conn.close()
        if app is not None:
            await asyncio.to_thread(app.close)
    return 1 if failed else 0
