"""What more than one of records' projections needs."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.domain import Role

ARCHIVIST = inbox.WaitsOn(role=Role.ARCHIVIST)
"""Most of records' items wait on the archivists, whoever of them takes it."""
