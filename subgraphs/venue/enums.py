"""Venue's GraphQL enums that both its inputs and its output types use (kept apart so that
inputs.py need not import types.py, which imports inputs.py for the show series' input)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class ShowKind(Enum):
    MOVIE = "MOVIE"
    CONCERT = "CONCERT"
    TRAIN = "TRAIN"
    FLIGHT = "FLIGHT"
    OTHER = "OTHER"
