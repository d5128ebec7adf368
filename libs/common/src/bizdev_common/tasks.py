"""Background loops (relay, broker start, periodic checks) that must stop promptly."""

from __future__ import annotations

import asyncio
import contextlib


async def pause(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleeps up to `seconds`, waking early when `stopping` is set; True if stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()


async def wake_or_pause(woken: asyncio.Event, stopping: asyncio.Event, seconds: float) -> None:
    """Sleeps up to `seconds`, waking early when `woken` or `stopping` is set."""
    waits = [asyncio.ensure_future(woken.wait()), asyncio.ensure_future(stopping.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
