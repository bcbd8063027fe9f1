"""The subgraphs by name."""

from __future__ import annotations

import importlib

from subgraphs.kernel.service import SubgraphSpec
from subgraphs.kernel.settings import SERVICES


def spec(name: str) -> SubgraphSpec:
    """The spec of subgraph ``name`` (auth, venue, booking, payment, notification)."""
    if name not in SERVICES:
        raise ValueError(f"unknown subgraph {name!r}; choose from {', '.join(SERVICES)}")
    return importlib.import_module(f"subgraphs.{name}.schema").SPEC  # type: ignore[no-any-return]

