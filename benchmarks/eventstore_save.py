"""How long one command's save takes in the event store, with psycopg's binary (C)
implementation against its pure-Python one, on a real PostgreSQL.

    make bench            # starts its own PostgreSQL unless DATABASE_URL is set

Prints figures; asserts nothing. The same aggregate and commands run in both modes, each in
a fresh process (psycopg picks its implementation at import, from PSYCOPG_IMPL)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2000"))


def measure(database_url: str) -> None:
    import psycopg
    from bizdev_common.domain import Actor, Money, Role
    from bizdev_common.eventstore import ServiceApplication
    from bizdev_common.settings import ServiceSettings
    from bizdev_projects.domain import ProjectApplication

    class Bench(ServiceApplication):
        name = "bench"

    schema = f"bench_{psycopg.pq.__impl__}_{uuid4().hex[:6]}"
    app = Bench(ServiceSettings(service="bench", database_url=database_url, db_schema=schema))
    actor = Actor("bench", "sales", frozenset({Role.EMPLOYEE}))
    timings = []
    for i in range(ROUNDS):
        application = ProjectApplication.draft(
            actor,
            title=f"Proposal {i}",
            background="b",
            target_customers="t",
            expected_revenue=Money(Decimal(1000), "CNY"),
            preliminary_plan="p",
        )
        start = time.perf_counter()
        app.commit(application)
        application.revise(actor, title=f"Proposal {i} revised")
        app.commit(application)
        timings.append((time.perf_counter() - start) / 2)
    app.close()
    ms = [t * 1000 for t in timings[ROUNDS // 10 :]]  # without the warm-up
    print(
        f"psycopg {psycopg.pq.__impl__:<7} saves={len(ms) * 2:>6}  "
        f"mean={statistics.mean(ms):.3f} ms  median={statistics.median(ms):.3f} ms  "
        f"p95={statistics.quantiles(ms, n=20)[18]:.3f} ms  "
        f"throughput={1000 / statistics.mean(ms):.0f} saves/s"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    url = os.environ.get("DATABASE_URL")
    pg = None
    if url is None:
        sys.path.insert(0, str(ROOT / "deploy" / "local"))
        import launcher

        pg = launcher.Postgres(Path(tempfile.mkdtemp(prefix="bench-")), durable=True)
        pg.start()
        url = pg.url
    try:
        for impl in ("binary", "python"):
            env = {**os.environ, "PSYCOPG_IMPL": impl}
            subprocess.run([sys.executable, __file__, "--measure", url], env=env, check=True)
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
