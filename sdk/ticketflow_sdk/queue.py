"""The waiting room's client side (docs/waiting-room.md): the default challenge's solver.

TicketFlow's default joining challenge is a proof of work: find a ``solution`` such that
``sha256(nonce + ":" + solution)`` starts with ``difficulty`` zero bits (about
``2 ** difficulty`` hashes). A deployment whose operator plugged in another challenge (a
captcha) needs a ``solver`` of the application's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

#: (kind, nonce, difficulty) -> the solution; the SDK runs it off the event loop.
Solver = Callable[[str, str, int], str | Awaitable[str]]


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve_proof_of_work(kind: str, nonce: str, difficulty: int) -> str:
    """The default challenge's solution (``kind`` ``pow``)."""
    if kind != "pow":
        raise ValueError(f"no solver for the {kind!r} challenge: pass wait_in_queue a solver")
    counter = 0
    while True:
        solution = format(counter, "x")
        if leading_zero_bits(hashlib.sha256(f"{nonce}:{solution}".encode()).digest()) \
                >= difficulty:
            return solution
        counter += 1
