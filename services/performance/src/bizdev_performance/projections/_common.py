"""What several performance families share."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.domain import Role

HR = inbox.WaitsOn(role=Role.HR)
"""The addressee of what waits on hr: cycles to finalize, overdue steps, rewards to approve."""
