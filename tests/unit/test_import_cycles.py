"""No import cycles among the modules of ``subgraphs/``, ``TYPE_CHECKING`` imports included.

A cycle is a layering nobody can draw: the kernel's service under its GraphQL layer and over
it at once, a provider importing the package that imports it. grimp (PyPI) reads the imports
without running the code; the test follows each direct import back to its importer.
"""

from __future__ import annotations

import grimp
import pytest

pytestmark = pytest.mark.unit


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One cycle per import that is part of one: ``[importer, imported, ..., importer]``."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                found.append([importer, *back])
    return found


def test_the_subgraphs_package_has_no_import_cycle() -> None:
    graph = grimp.build_graph("subgraphs", cache_dir=None)
    assert "subgraphs.kernel.uow" in graph.modules  # the graph was read, not empty
    assert cycles(graph) == []


def test_a_cycle_through_several_modules_is_found() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("p.events", "p.keys"), ("p.keys", "p.uow"),
                               ("p.uow", "p.events"), ("p.app", "p.uow")):
        graph.add_import(importer=importer, imported=imported)
    assert cycles(graph) == [["p.events", "p.keys", "p.uow", "p.events"],
                             ["p.keys", "p.uow", "p.events", "p.keys"],
                             ["p.uow", "p.events", "p.keys", "p.uow"]]
