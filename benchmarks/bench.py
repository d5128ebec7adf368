"""`make bench`: the write path, the read path and their baselines, measured in one run on
one PostgreSQL and one Kafka (started here with deploy/local/launcher.py, as the tests do,
unless DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS are set).

    python benchmarks/bench.py            # full sizes: several minutes
    python benchmarks/bench.py --quick    # small sizes, under a minute: run by `make test`
    python benchmarks/bench.py --only http,queries

Every figure is printed beside its baseline and its target, and the whole table is saved as
JSON under .bench/ (ignored by git). It prints; it asserts nothing: timings depend on the
machine and on whatever else runs on it.

Sections:
- append: the services' event store recorder (bizdev_common.eventstore.ServiceRecorder, one
  call to a database function per append) against the library's own recorder, the same bare
  application saving the same events, from 1 and 8 threads;
- http: `POST /applications` over HTTP at 1, 8 and 32 concurrent clients, with one and two
  API processes; the load generator (benchmarks/loadgen.py) is a separate process whose own
  CPU time is shown. Its baseline (section eventstore), measured right before each: bare
  eventsourcing (its own Application and PostgreSQL recorder, default settings) saving an
  event the size of a drafted application, from 1 and 8 threads;
- relay: the outbox relay publishing N events, against a bare confluent-kafka producer
  (librdkafka, the relay's) and a bare aiokafka producer sending the same records with the
  same settings in the same batches;
- projector: the projection applying those records, against bare asyncpg writing the same
  rows (version-guarded upserts plus the tracking row) in the same batch size;
- consumers: a projection and a reaction of another service's topic, where they ignore 90%
  of the records' types and where they handle every one, in CPU ms per record beside a bare
  aiokafka consumer reading the same records, and their CPU once idle;
- freshness: from a command's 2xx to the detail query answering with the new version, at
  50 and 200 commands/s;
- memory: resident memory of each service process under load;
- queries: list, filter, sort, deep page (by offset and by cursor) and text search (Chinese
  too) over HTTP, on a view filled with N rows by bare SQL, each against bare asyncpg running
  the plain SQL of that page (`ORDER BY ... LIMIT 20`, `OFFSET`, a row comparison for the
  cursor, `ILIKE` over the trigram index for a search) with no count, measured right after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from bench_base import FULL, HEADER, OUT, QUICK, Report, infrastructure
from bench_http import section_append, section_http, section_memory
from bench_pipeline import run_like_a_service, section_pipeline
from bench_queries import section_freshness, section_queries

SECTIONS = ("append", "relay", "http", "freshness", "memory", "queries")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--events", type=int, help="events through the relay and projector")
    parser.add_argument("--rows", type=int, help="rows of the view the queries run on")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.events:
        sizes = replace(sizes, pipeline_events=args.events)
    if args.rows:
        sizes = replace(sizes, rows=args.rows)
    only = set(args.only.split(","))
    report = Report()
    started = time.perf_counter()
    print(HEADER, flush=True)
    with infrastructure() as infra:
        memory: dict[str, float] = {}
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("append", lambda: section_append(report, infra, sizes)),
            ("relay", lambda: run_like_a_service(section_pipeline(report, infra, sizes))),
            ("http", lambda: section_http(report, infra, sizes, memory)),
            ("freshness", lambda: section_freshness(report, infra, sizes)),
            ("memory", lambda: section_memory(report, memory)),
            ("queries", lambda: section_queries(report, infra, sizes)),
        ]
        for name, step in steps:
            if name in only:
                try:
                    step()
                except Exception as e:  # noqa: BLE001 - one section's failure must not hide the others'
                    report.fail(name, e)
    elapsed = time.perf_counter() - started
    print(f"\n{report.table()}\n\n({'quick' if args.quick else 'full'} run, {elapsed:.0f} s)")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {
        "when": stamp,
        "quick": args.quick,
        "seconds": elapsed,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "figures": [asdict(f) | {"ratio": f.ratio} for f in report.figures],
        "failures": report.failures,
    }
    for path in (OUT / f"{stamp}{'-quick' if args.quick else ''}.json", OUT / "latest.json"):
        path.write_text(json.dumps(doc, indent=2, default=str))
    print(f"saved {OUT / 'latest.json'}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
