"""Crash points: where the crash-safety tests make a process die on purpose.

``TICKETFLOW_CRASH_AT=relay.before_publish`` (a comma-separated list) makes the process
exit at once, without cleanup, the first time it reaches that point: the same as a
``kill -9`` landing exactly there. Unset (always, outside those tests) it does nothing.

Points: ``relay.before_publish`` (events committed, not yet published),
``relay.before_mark`` (published, not yet marked), ``consumer.before_ack`` (an event
applied and committed, not yet acknowledged), ``payment.charged`` (the provider charged,
nothing recorded yet) and ``payment.refund_sent`` (the provider refunded, nothing recorded).
``point@where`` names the point for one place only: ``consumer.before_ack@booking`` is
reached by booking's consumers and not by the others sharing the process (embedded mode).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("ticketflow.faults")

EXIT_CODE = 97


def crash_point(name: str, where: str | None = None) -> None:
    """Exit the process here if ``TICKETFLOW_CRASH_AT`` names this point (``name``, or
    ``name@where`` for this place only)."""
    points = os.environ.get("TICKETFLOW_CRASH_AT")
    if not points:
        return
    named = points.split(",")
    if name in named or (where is not None and f"{name}@{where}" in named):
        log.critical("crash point %s reached: exiting now", name)
        logging.shutdown()
        os._exit(EXIT_CODE)
