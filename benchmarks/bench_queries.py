"""Sections freshness (command to query) and queries (the read path beside bare SQL)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from bench_base import (
    SCHEMA,
    Figure,
    Infra,
    Report,
    Sizes,
    pct,
    run_loadgen,
    start_service,
    token,
)
from bizdev_projects.api.applications import APPLICATIONS

# --- freshness -------------------------------------------------------------------------------


def section_freshness(report: Report, infra: Infra, sizes: Sizes) -> None:
    service = start_service(infra, "projects", 1, SCHEMA)
    try:
        for rate in sizes.rates:
            r = run_loadgen(
                "fresh",
                service.url,
                token(),
                "--rate",
                str(rate),
                "--seconds",
                str(max(sizes.seconds, 3.0)),
                "--warmup",
                str(sizes.warmup),
            )
            fresh = r["freshness"]
            p99 = pct(fresh, 0.99) * 1000
            report.add(
                Figure(
                    "freshness",
                    f"2xx -> detail query answers, {rate} commands/s",
                    p99,
                    "ms p99",
                    target="p99 <= 250 ms at 50/s" if rate == 50 else "",
                    met=(p99 <= 250) if rate == 50 else None,
                    note=(
                        f"p50 {pct(fresh, 0.5) * 1000:.0f} ms; achieved "
                        f"{r['achieved_rate']:.0f}/s, {r['errors']} errors {r['error_statuses']}; "
                        "command p50 "
                        f"{pct(r['command_latencies'], 0.5) * 1000:.1f} ms"
                    ),
                    extra={"p50_ms": pct(fresh, 0.5) * 1000},
                )
            )
    finally:
        service.stop()


# --- queries ---------------------------------------------------------------------------------

FILL = """
INSERT INTO {t} (id, version, state, title, department, applicant, background,
    target_customers, expected_revenue_amount, expected_revenue_currency, preliminary_plan,
    created_at, updated_at)
SELECT md5('bench' || i)::uuid, 1,
    (ARRAY['draft','submitted','department_reviewed','approved','rejected'])[1 + i % 5],
    (ARRAY['Smart factory retrofit','Cold chain logistics','Solar rooftop leasing',
           '智能制造改造','冷链物流平台','屋顶光伏租赁','Hospital IT upgrade'])[1 + i % 7]
        || ' #' || i,
    (ARRAY['sales','market','finance','operations','research'])[1 + (i / 7) % 5],
    'user' || (i % 5000),
    'Background ' || md5(i::text) || ' 客户' || (ARRAY['希望分阶段实施','要求降低能耗',
        '计划扩大产能'])[1 + i % 3],
    'Customers in region ' || (i % 97),
    (i % 100000) * 10,
    'CNY',
    'Plan ' || md5((i * 7)::text),
    now() - make_interval(secs => i),
    now() - make_interval(secs => i)
FROM generate_series(1, {n}) AS i
"""


def section_queries(report: Report, infra: Infra, sizes: Sizes) -> None:
    service = start_service(infra, "projects", 1, SCHEMA)
    try:
        fill_started = time.perf_counter()

        async def fill() -> None:
            import asyncpg

            conn = await asyncpg.connect(infra.database_url)
            try:
                table = f'"{service.schema}".applications'
                await conn.execute(FILL.format(t=table, n=sizes.rows))
                await conn.execute(f"VACUUM ANALYZE {table}")
            finally:
                await conn.close()

        asyncio.run(fill())
        fill_seconds = time.perf_counter() - fill_started
        n = sizes.rows
        headers = {"Authorization": f"Bearer {token()}"}
        client = httpx.Client(base_url=service.url, headers=headers, timeout=60)
        middle = client.get(f"/applications?limit=20&offset={n // 2}").json()
        order = "ORDER BY updated_at DESC, id DESC LIMIT 20"
        text = APPLICATIONS.search_text

        def like(term: str) -> tuple[str, list[Any]]:
            return f"WHERE ({text}) ILIKE $1 {order}", [f"%{term}%"]

        last = middle["items"][-1]
        # name: (the API's query string, the bare SQL after `SELECT * FROM view` and its args)
        queries: dict[str, tuple[str, tuple[str, list[Any]]]] = {
            "list, newest first": ("", (order, [])),
            "filter state + department": (
                "state=submitted&department=sales",
                (f"WHERE state = 'submitted' AND department = 'sales' {order}", []),
            ),
            "filter applicant": ("applicant=user42", (f"WHERE applicant = 'user42' {order}", [])),
            "sort by title": ("sort=title", ("ORDER BY title, id LIMIT 20", [])),
            "sort by revenue, descending": (
                "sort=-expected_revenue_amount",
                ("ORDER BY expected_revenue_amount DESC, id DESC LIMIT 20", []),
            ),
            "deep page (offset n/2)": (f"offset={n // 2}", (f"{order} OFFSET {n // 2}", [])),
            "deep page (cursor at n/2)": (
                f"cursor={middle['next_cursor']}",
                (
                    f"WHERE (updated_at, id) < ($1, $2) {order}",
                    [datetime.fromisoformat(last["updated_at"]), UUID(last["id"])],
                ),
            ),
            "search 'factory' (1 in 7)": ("q=factory", like("factory")),
            "search '智能制造' (1 in 7)": ("q=智能制造", like("智能制造")),
            "search '降低能耗' (1 in 3)": ("q=降低能耗", like("降低能耗")),
            "search 'region 42' (1 in 97)": ("q=region 42", like("region 42")),
            "search a rare one ('#<n-3>')": (f"q=%23{n - 3}", like(f"#{n - 3}")),
            "search, no match": ("q=nothing-matches-this", like("nothing-matches-this")),
        }

        async def bare(sql: str, args: list[Any]) -> list[float]:
            import asyncpg

            conn = await asyncpg.connect(infra.database_url)
            try:
                statement = f'SELECT * FROM "{service.schema}".applications {sql}'
                await conn.fetch(statement, *args)
                timings = []
                for _ in range(sizes.query_runs):
                    t0 = time.perf_counter()
                    await conn.fetch(statement, *args)
                    timings.append(time.perf_counter() - t0)
                return timings
            finally:
                await conn.close()

        try:
            for name, (query, (sql, args)) in queries.items():
                path = f"/applications?limit=20&{query}"
                first = client.get(path)
                if first.status_code != 200:
                    raise RuntimeError(f"{path}: {first.status_code} {first.text}")
                timings = []
                for _ in range(sizes.query_runs):
                    t0 = time.perf_counter()
                    r = client.get(path)
                    timings.append(time.perf_counter() - t0)
                    r.raise_for_status()
                baseline = pct(asyncio.run(bare(sql, args)), 0.99) * 1000
                body = first.json()
                p99 = pct(timings, 0.99) * 1000
                estimated = " (estimated)" if body.get("total_estimated") else ""
                report.add(
                    Figure(
                        "queries",
                        f"{name}, {n:,} rows",
                        p99,
                        "ms p99",
                        baseline="bare asyncpg SQL, no count",
                        baseline_value=baseline,
                        target="p99 <= 50 ms",
                        met=p99 <= 50,
                        note=(
                            f"p50 {pct(timings, 0.5) * 1000:.1f} ms, total "
                            f"{body['total']}{estimated}, {len(body['items'])} items"
                        ),
                        extra={"p50_ms": pct(timings, 0.5) * 1000, "path": path},
                    )
                )
        finally:
            client.close()
        print(f"(view filled with {n:,} rows by SQL in {fill_seconds:.0f} s)", flush=True)
    finally:
        service.stop()
