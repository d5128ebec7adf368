"""Archive numbers under concurrency: twenty records filed and numbered at once in one
category get twenty different numbers with no gap, and numberings refused meanwhile take none
(the number is saved with the record's event, in one transaction, or not at all)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import asyncpg
import httpx
from bizdev_records.domain import NumberSeries

from .conftest import Infra, eventually
from .flows import ok
from .records_flows import Archive, marketing_file, physical_record

CONCURRENT = 20


async def test_twenty_concurrent_filings_are_numbered_without_gap_or_duplicate(
    records_http: httpx.AsyncClient, infra: Infra
) -> None:
    archive = Archive()
    file_id = await marketing_file(records_http, archive)
    year = datetime.now(UTC).year

    async def file_and_number() -> str:
        record_id = await physical_record(records_http, archive, file_id)
        numbered = await ok(
            await records_http.post(
                f"/records/{record_id}/number",
                json={"series": "campaign"},
                headers=archive.archivist,
            )
        )
        return str(numbered["number"])

    async def refused() -> int:
        # Filed without a location: its numbering is refused, and must leave no gap.
        filed = await ok(
            await records_http.post(
                "/records",
                json={"file_id": file_id, "title": "Unplaced box", "medium": "physical"},
                headers=archive.member,
            ),
            201,
        )
        r = await records_http.post(
            f"/records/{filed['id']}/number", json={"series": "campaign"}, headers=archive.archivist
        )
        return r.status_code

    results = await asyncio.gather(
        *(file_and_number() for _ in range(CONCURRENT)), *(refused() for _ in range(3))
    )
    numbers = [n for n in results if isinstance(n, str)]
    assert [s for s in results if isinstance(s, int)] == [409, 409, 409]
    assert len(set(numbers)) == CONCURRENT
    pattern = re.compile(rf"^MKT-{year}-(\d{{6}})$")
    sequences = sorted(int(pattern.match(n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert sequences == list(range(sequences[0], sequences[0] + CONCURRENT))

    # Every marketing number of the year, this test's and the others', is 1..n exactly.
    async def all_numbers() -> list[str]:
        found: list[str] = []
        while True:
            page = await ok(
                await records_http.get(
                    "/records",
                    params={
                        "category": "marketing",
                        "limit": 200,
                        "offset": len(found),
                        "sort": "number",
                    },
                    headers=archive.auditor,
                )
            )
            found += [r["number"] for r in page["items"] if r["number"]]
            if len(page["items"]) < 200:
                return found

    seen = await eventually(all_numbers, lambda ns: set(numbers) <= set(ns))
    # The counter is read from its snapshots (every ten numbers), and counts on from them.
    conn = await asyncpg.connect(infra.database_url)
    try:
        snapshots = await conn.fetchval(
            "SELECT count(*) FROM records.records_snapshots WHERE originator_id = $1",
            NumberSeries.create_id("marketing", year),
        )
    finally:
        await conn.close()
    assert snapshots >= 2
    every = sorted(int(pattern.match(n).group(1)) for n in seen if pattern.match(n))  # type: ignore[union-attr]
    assert every == list(range(1, len(every) + 1))
