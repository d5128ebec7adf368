"""SIGTERM without losing a request.

On SIGTERM (Kubernetes deleting the pod, `make up` stopping) an API process first drains: it
keeps serving while /readyz answers 503 for `drain_seconds`, the time the load balancer
needs to notice and stop sending new requests (endpoints are removed asynchronously, so a
socket closed at once would refuse requests still routed here). Then uvicorn's graceful
shutdown (`timeout_graceful_shutdown`, `serve` sets it from `shutdown_timeout_seconds`): the
listening socket closes, idle keep-alive connections close, and requests in flight get that
long to finish and be answered; only then does the lifespan end. A worker needs no drain:
its lifespan's end lets the relay finish its batch and the consumers the records they hold,
whose positions are committed in PostgreSQL with the views. A second SIGTERM during the drain
skips the rest of it."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger(__name__)

_draining = threading.Event()


def draining() -> bool:
    """Whether this process has been asked to stop: /readyz fails from then on."""
    return _draining.is_set()


def drain_on_sigterm(seconds: float) -> None:
    """Puts the drain in front of the server's own SIGTERM handler. Called from the lifespan,
    inside the server's signal capture (uvicorn installs its handlers before the lifespan
    starts, in each process of `api_processes`), on the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return  # an app in a test client's thread: no server, no signals
    stop = signal.getsignal(signal.SIGTERM)
    if not callable(stop):
        return

    def handle(sig: int, frame: FrameType | None) -> None:
        if _draining.is_set() or seconds <= 0:
            _draining.set()
            stop(sig, frame)
            return
        _draining.set()
        log.info("SIGTERM: not ready any more, serving %.1fs before stopping", seconds)
        timer = threading.Timer(seconds, stop, (sig, None))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, handle)
