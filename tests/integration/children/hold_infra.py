"""Run by test_suite_isolation.py as a pytest of its own (not collected by the suite): it
starts the integration infrastructure, says where, and waits to be stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def test_hold_the_infrastructure(infra: Any) -> None:
    Path(os.environ["BIZDEV_CHILD_READY"]).write_text(str(infra.state))
    time.sleep(300)
