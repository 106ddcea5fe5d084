"""Run one callable in many threads released at the same instant (the race tests' harness)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(target: Callable[[int], object], count: int) -> list[object]:
    """Call ``target(i)`` for i in range(count) in threads that start together; return each outcome or exception."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = target(index)
        except Exception as exc:  # the outcome under test, kept for the assertions
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
