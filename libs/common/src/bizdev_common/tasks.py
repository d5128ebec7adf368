"""Background loops (relay, broker start, periodic checks) that must stop promptly."""

from __future__ import annotations

import asyncio
import contextlib


async def pause(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleeps up to `seconds`, waking early when `stopping` is set; True if stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()
