"""A PostgreSQL for tests that need a database but no Kafka and no service process: views
built through the test seam (bizdev_common.seam), projections' own machinery.

DATABASE_URL when set; else a throwaway cluster from the machine's binaries, started once per
session as `make up` starts one (deploy/local/launcher.py), in a folder outside pytest's temp
root (each pytest that starts prunes that root, which once took a running suite's PostgreSQL
down)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    sys.path.insert(0, str(ROOT / "deploy" / "local"))
    import launcher

    folder = Path(tempfile.mkdtemp(prefix="bizdev-seam-", dir=os.environ.get("BIZDEV_TEST_STATE")))
    pg = launcher.Postgres(folder, durable=False)
    try:
        pg.start()
        yield pg.url
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under make test's `--dist loadgroup`, a test file's tests stay in one pytest process
    (its module fixtures start servers once for them all) unless a test names a group of its
    own, as the fuzzing of each service does: six CPU-bound minutes that need not queue behind
    one another in one process."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
