"""One log line when a service we depend on goes away, and one when it is back, per process.

While the broker or the rate-limit store is down, every request, sweep and probe that touches it fails the same
way. Logging each failure (with its traceback) buries the one line that matters; an :class:`Outage` logs the
first failure with its reason, keeps the others at DEBUG, and logs the recovery once.
"""

from __future__ import annotations

import logging
import threading


def reason(exc: BaseException) -> str:
    """The exception's kind and the first line of its message, short enough for one log line."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class Outage:
    """The state of one dependency (``name``) as this process last saw it."""

    def __init__(self, name: str, logger: logging.Logger):
        self.name = name
        self.log = logger
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException | str, consequence: str = "") -> bool:
        """Note a failure; log it only if it starts an outage. True when it did."""
        detail = exc if isinstance(exc, str) else reason(exc)
        with self._lock:
            first, self.down = not self.down, True
        if first:
            self.log.warning("%s is down (%s)%s", self.name, detail, f"; {consequence}" if consequence else "")
        else:
            self.log.debug("%s still down (%s)", self.name, detail)
        return first

    def succeeded(self) -> bool:
        """Note a success; log it only if it ends an outage. True when it did."""
        if not self.down:  # the common case costs no lock
            return False
        with self._lock:
            ended, self.down = self.down, False
        if ended:
            self.log.warning("%s is back", self.name)
        return ended


# Shared by every part of the process that talks to them, so that one outage is one line per process.
broker = Outage("broker", logging.getLogger("workflow.broker"))
limit_store = Outage("rate-limit store", logging.getLogger("workflow.limits"))
