"""The schema pipeline CI runs: exported SDL and the composed supergraph match the code.

These call node with router/node_modules (``make install``); they start no servers.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from subgraphs import cli
from subgraphs.dev import node_command
from subgraphs.kernel.settings import SERVICES
from subgraphs.registry import spec

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
COMPOSE = ROOT / "router" / "compose.mjs"
FEDERATION_LINK = '@link(url: "https://specs.apollo.dev/federation/v2.7"'
GUILD = "The Guild's composer"
APOLLO = "Apollo's composer"


@pytest.fixture(autouse=True)
def quiet_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # main() installs the process's JSON log handler on the root logger; not in pytest's.
    monkeypatch.setattr(cli, "configure_logging", lambda *settings: None)


def lay_out(root: Path) -> Path:
    """``root`` with a copy of supergraph.yaml and schema/, laid out as in the repository."""
    shutil.copy(ROOT / "supergraph.yaml", root / "supergraph.yaml")
    shutil.copytree(SCHEMA, root / "schema")
    return root


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of supergraph.yaml and schema/, laid out as in the repository."""
    return lay_out(tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def compose_argv(root: Path) -> list[str]:
    return node_command(str(COMPOSE), str(root / "supergraph.yaml"),
                        str(root / "schema" / "supergraph.graphql"), "--check")


# --- (a) exported subgraph SDL ----------------------------------------------------------


def test_the_committed_subgraph_sdl_matches_the_code() -> None:
    cli.main(["export-schema", "--check"])


def test_the_sdl_check_fails_naming_the_file_that_differs(checkout: Path) -> None:
    out = checkout / "schema"
    edit(out / "venue.graphql", "type Venue @key", '"""Edited by hand."""\ntype Venue @key')
    with pytest.raises(SystemExit) as failed:
        cli.main(["export-schema", "--check", "--out", str(out)])
    message = str(failed.value.code)
    assert "venue.graphql" in message
    assert not any(f"{name}.graphql" in message for name in SERVICES if name != "venue")


def test_the_sdl_check_fails_for_a_missing_file(checkout: Path) -> None:
    out = checkout / "schema"
    (out / "payment.graphql").unlink()
    with pytest.raises(SystemExit) as failed:
        cli.main(["export-schema", "--check", "--out", str(out)])
    assert "payment.graphql" in str(failed.value.code)


def test_the_sdl_check_writes_nothing(checkout: Path) -> None:
    out = checkout / "schema"
    edit(out / "auth.graphql", "type User @key", "type User  @key")
    edited = (out / "auth.graphql").read_text()
    with pytest.raises(SystemExit):
        cli.main(["export-schema", "--check", "--out", str(out)])
    assert (out / "auth.graphql").read_text() == edited


def test_export_writes_what_is_committed(tmp_path: Path) -> None:
    cli.main(["export-schema", "--out", str(tmp_path)])
    for name in SERVICES:
        written = (tmp_path / f"{name}.graphql").read_text()
        assert written == (SCHEMA / f"{name}.graphql").read_text()


# --- (b) the composed supergraph --------------------------------------------------------


def conflicting_non_shareable_field(checkout: Path) -> None:
    # auth owns Query.me; venue claiming it too, without @shareable, cannot compose.
    edit(checkout / "schema" / "venue.graphql", "type Query {", "type Query {\n  me: User\n")


def key_on_a_missing_field(checkout: Path) -> None:
    edit(checkout / "schema" / "venue.graphql",
         'type Venue @key(fields: "id")', 'type Venue @key(fields: "venueId")')


def newer_federation_than_pinned(checkout: Path) -> None:
    edit(checkout / "schema" / "booking.graphql", "federation/v2.7", "federation/v2.11")


def drifted_committed_supergraph(checkout: Path) -> None:
    edit(checkout / "schema" / "supergraph.graphql", "type Query", "type Query @deprecated")


CHANGES: dict[str, Callable[[Path], None]] = {
    "conflicting field": conflicting_non_shareable_field,
    "key on a missing field": key_on_a_missing_field,
    "newer federation": newer_federation_than_pinned,
    "drifted supergraph": drifted_committed_supergraph,
}


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, subprocess.CompletedProcess[str]]:
    """``compose.mjs --check`` on the repository itself ("committed") and on a checkout
    with each of ``CHANGES``. Each run takes node a second or two of CPU, so all of them
    run side by side."""
    roots = {"committed": ROOT}
    for name, change in CHANGES.items():
        root = lay_out(tmp_path_factory.mktemp("checkout"))
        change(root)
        roots[name] = root
    running = {name: subprocess.Popen(compose_argv(root), cwd=root, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name, root in roots.items()}
    done = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=60)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def test_the_committed_supergraph_composes_under_both_composers_without_drift(
        composed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = composed["committed"]
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    assert "The Guild's" in done.stdout and "Apollo's" in done.stdout


def test_a_conflicting_non_shareable_field_fails_under_both_composers(
        composed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = composed["conflicting field"]
    assert done.returncode == 1
    assert "INVALID_FIELD_SHARING" in done.stderr
    assert GUILD in done.stderr and APOLLO in done.stderr


def test_a_key_on_a_missing_field_fails_under_both_composers(
        composed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = composed["key on a missing field"]
    assert done.returncode == 1
    assert "KEY_INVALID_FIELDS" in done.stderr
    assert GUILD in done.stderr and APOLLO in done.stderr


def test_a_subgraph_linking_a_newer_federation_than_pinned_fails(
        composed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = composed["newer federation"]
    assert done.returncode == 1
    assert "booking" in done.stderr and "v2.11" in done.stderr


def test_a_drifted_committed_supergraph_fails_the_check(
        composed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = composed["drifted supergraph"]
    assert done.returncode == 1
    assert "supergraph drift" in done.stderr


# --- (c) the pinned federation version ----------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_each_subgraph_links_federation_v2_7(name: str) -> None:
    sdl = spec(name).schema.as_str()
    assert sdl.startswith(f"schema {FEDERATION_LINK}")
    assert sdl.count("specs.apollo.dev/federation/") == 1
