"""The trusted documents (``schema/trusted-documents.json``) are current: every document the
SDK, the router's IDE examples and the web app ship is in it under the SHA-256 of its exact
text, and nothing else is. A changed SDK operation fails here until ``make trusted-documents``
runs."""

from __future__ import annotations

import hashlib
import json
import runpy
from pathlib import Path
from typing import Any

from ticketflow_sdk import operations

ROOT = Path(__file__).resolve().parents[2]
SCRIPT: dict[str, Any] = runpy.run_path(str(ROOT / "scripts" / "trusted_documents.py"))


def test_the_committed_manifest_is_current() -> None:
    assert SCRIPT["main"](["--check"]) == 0, "run `make trusted-documents`"


def test_every_shipped_document_is_there_by_its_hash() -> None:
    committed = json.loads((ROOT / "schema" / "trusted-documents.json").read_text())
    web = SCRIPT["web_documents"]()
    assert any(text.startswith("subscription SeatMapAvailability") for text in web), web
    shipped = [*operations.ALL.values(), *SCRIPT["ide_examples"](), *web]
    assert len(shipped) > 50
    for text in shipped:
        assert committed[hashlib.sha256(text.encode()).hexdigest()] == text
    assert len(committed) == len(set(shipped))


def test_the_check_fails_when_a_document_changed(tmp_path: Path, monkeypatch: Any) -> None:
    manifest = tmp_path / "trusted-documents.json"
    committed = json.loads((ROOT / "schema" / "trusted-documents.json").read_text())
    committed.popitem()
    manifest.write_text(json.dumps(committed))
    monkeypatch.setitem(SCRIPT["main"].__globals__, "MANIFEST", manifest)
    assert SCRIPT["main"](["--check"]) == 1
    assert SCRIPT["main"]([]) == 0  # writes it afresh
    assert SCRIPT["main"](["--check"]) == 0
