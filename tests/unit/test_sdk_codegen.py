"""The SDK's generated code (sdk/ticketflow_sdk/_generated/) is what `make sdk` generates
from schema/supergraph.graphql and sdk/ticketflow_sdk/graphql/*.graphql today: a schema or
document change without `make sdk` fails here (as `make schema-check` does for the SDL).

It runs the generator (ariadne-codegen from .venv-codegen, which `make install` makes) once
for the module, in a scratch directory; it starts no servers.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdk_codegen_generate",
                                                  ROOT / "sdk" / "codegen" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load_generator()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make sdk` would write into sdk/ticketflow_sdk/_generated/ now."""
    return generator.generate(tmp_path_factory.mktemp("codegen"))  # type: ignore[no-any-return]


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """A copy of the checked-in generated code, to edit."""
    copy = tmp_path / "_generated"
    shutil.copytree(generator.GENERATED, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_checked_in_generated_code_is_current(fresh: Path) -> None:
    assert sorted(p.name for p in fresh.glob("*.py")) == sorted(
        p.name for p in generator.GENERATED.glob("*.py"))
    assert generator.differences(fresh) == [], "run `make sdk`"


def test_the_check_names_a_generated_file_edited_by_hand(fresh: Path, committed: Path) -> None:
    fragments = committed / "fragments.py"
    fragments.write_text(fragments.read_text().replace("venue_id: str", "venue_id: int", 1))
    assert generator.differences(fresh, committed) == ["fragments.py"]


def test_the_check_names_missing_and_stale_files(fresh: Path, committed: Path) -> None:
    (committed / "checkout.py").unlink()
    (committed / "old_operation.py").write_text("OLD = 1\n")
    assert generator.differences(fresh, committed) == ["checkout.py", "old_operation.py"]


def test_every_operation_document_becomes_a_typed_method(fresh: Path) -> None:
    client = (fresh / "client.py").read_text()
    documents = "".join(p.read_text() for p in
                        (ROOT / "sdk" / "ticketflow_sdk" / "graphql").glob("*.graphql"))
    named = [line.split()[1].split("(")[0] for line in documents.splitlines()
             if line.startswith(("query ", "mutation ", "subscription "))]
    assert len(named) > 30
    for name in named:
        assert f'operation_name="{name}"' in client, name
