"""The idle waits of the loops the event store's NOTIFY wakes (relay, own views' feed)."""

from __future__ import annotations

from bizdev_common.tasks import IDLE_POLL_MAX_SECONDS, IdlePolls


def test_waits_double_while_nothing_comes_up_to_the_longest() -> None:
    polls = IdlePolls(0.2)
    waits = [polls.next() for _ in range(8)]
    assert waits[:5] == [0.2, 0.4, 0.8, 1.6, 3.2]
    assert waits[5:] == [IDLE_POLL_MAX_SECONDS] * 3


def test_something_new_makes_the_next_wait_the_first_again() -> None:
    polls = IdlePolls(0.2)
    for _ in range(6):
        polls.next()
    polls.found()
    assert polls.next() == 0.2


def test_a_first_wait_longer_than_the_longest_is_kept() -> None:
    polls = IdlePolls(10.0)
    assert [polls.next(), polls.next()] == [10.0, 10.0]
