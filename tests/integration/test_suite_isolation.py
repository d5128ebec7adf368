"""The suite shares its machine: another pytest started beside it must not break it, and a
suite that is told to stop leaves nothing running (issue 22, the test suite)."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import psutil
import pytest

from . import conftest
from .conftest import ROOT, Infra


def _processes_using(folder: Path) -> list[psutil.Process]:
    """Processes whose command line names the folder: its PostgreSQL and its Kafka."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(str(folder) in part for part in p.info["cmdline"] or ()):
            found.append(p)
    return found


def test_a_second_pytest_beside_the_suite_leaves_its_servers_running(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if infra.state is None:
        pytest.skip("the servers are not the suite's own (given by the environment or Docker)")
    default_root = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
    assert not infra.state.is_relative_to(default_root)
    assert not infra.state.is_relative_to(tmp_path_factory.getbasetemp())
    # Another developer's (or helper's) pytest with pytest's default temp folder: it resets
    # the pytest-of-<user> folder to 0700 and prunes the old runs in it.
    second = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "libs/common/tests/test_declared_status.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )  # fmt: skip
    assert second.returncode == 0, second.stdout[-2000:]
    assert asyncio.run(_checkpoint_and_select(infra.database_url)) == 1


async def _checkpoint_and_select(url: str) -> int:
    """The server reads its own files again (a checkpoint writes pg_control), then answers."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CHECKPOINT")
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def test_a_suite_told_to_stop_leaves_nothing_running(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("DATABASE_URL", None)
    env["BIZDEV_CHILD_READY"] = str(ready)
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path / 'child'}", "-o", "timeout=0",
         str(Path(conftest.__file__).parent / "children" / "hold_infra.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not ready.exists():
            assert child.poll() is None, child.stdout.read().decode()[-3000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the child suite's servers did not start"
            time.sleep(0.5)
        state = Path(ready.read_text())
        assert _processes_using(state), "PostgreSQL and Kafka run from the child's folder"
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=120)
        left = _processes_using(state)
        assert not left, [p.info["cmdline"][:3] for p in left]
        assert not state.exists()
    finally:
        if child.poll() is None:
            child.kill()
