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


IDLE_POLL_MAX_SECONDS = 5.0
"""The longest a loop woken by the event store's NOTIFY goes without looking by itself."""


class IdlePolls:
    """The waits of a loop that a notification wakes and that still polls in case one is lost
    (a reconnect): short at first, doubled while nothing new comes, up to
    `IDLE_POLL_MAX_SECONDS`. An idle service then costs next to nothing (at a fixed 0.2 s, the
    relay and the own views' feed of each idle worker made ten queries a second), while a
    notification still wakes the loop at once."""

    def __init__(self, first: float, longest: float = IDLE_POLL_MAX_SECONDS) -> None:
        self.first = first
        self.longest = max(first, longest)
        self._wait = first

    def found(self) -> None:
        """Something new came: the next wait is the first again."""
        self._wait = self.first

    def next(self) -> float:
        """The wait after a look that found nothing new."""
        wait = self._wait
        self._wait = min(wait * 2, self.longest)
        return wait
