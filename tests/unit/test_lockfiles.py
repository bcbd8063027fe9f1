"""The lockfiles agree with pyproject.toml: whoever changes a dependency runs `make lock`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
FIRST_PARTY = re.compile(r"\((?:sdk/)?pyproject\.toml\)|bootstrap\.in|codegen\.in")


def project(path: Path, *extras: str) -> list[Requirement]:
    """The requirements ``path`` declares: its dependencies and the named extras."""
    table = tomllib.loads(path.read_text())["project"]
    lines = [*table["dependencies"],
             *(line for extra in extras for line in table["optional-dependencies"][extra])]
    return [Requirement(line) for line in lines]


def requirements_in(path: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def lock(name: str) -> dict[str, tuple[Version, int, bool]]:
    """Each package the lockfile pins: its version, how many hashes it carries and whether
    a requirement of ours (not only another package) asks for it (the `# via` lines)."""
    pins: dict[str, tuple[Version, int, bool]] = {}
    current = ""
    for line in (LOCKS / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (Version(match[2]), 0, False)
        elif current and (stripped := line.strip()).startswith(("--hash=", "#")):
            version, hashes, ours = pins[current]
            pins[current] = (version, hashes + stripped.startswith("--hash="),
                             ours or bool(FIRST_PARTY.search(stripped)))
        elif line.strip():
            current = ""
    return pins


def disagreements(requirements: list[Requirement],
                  pins: dict[str, tuple[Version, int, bool]]) -> list[str]:
    """How ``pins`` fails ``requirements``: missing, outside its specifier, unhashed, or
    still pinned for a requirement that is gone."""
    wanted = {canonicalize_name(r.name) for r in requirements}
    problems = [f"{r} is not pinned" for r in requirements if canonicalize_name(r.name) not in pins]
    problems += [f"{r} is pinned at {pins[name][0]}" for r in requirements
                 if (name := canonicalize_name(r.name)) in pins
                 and not r.specifier.contains(pins[name][0], prereleases=True)]
    problems += [f"{name} has no hash" for name, (_, hashes, _) in pins.items() if not hashes]
    problems += [f"{name} is pinned for a requirement that is gone"
                 for name, (_, _, ours) in pins.items() if ours and name not in wanted]
    return problems


def test_the_dev_lock_pins_the_dependencies_the_dev_extra_and_the_sdk() -> None:
    requirements = [*project(ROOT / "pyproject.toml", "dev"),
                    *project(ROOT / "sdk" / "pyproject.toml")]
    assert disagreements(requirements, lock("dev.lock")) == [], "run `make lock`"


def test_the_runtime_lock_pins_the_dependencies_as_the_dev_lock_does() -> None:
    runtime, dev = lock("runtime.lock"), lock("dev.lock")
    assert disagreements(project(ROOT / "pyproject.toml"), runtime) == [], "run `make lock`"
    assert {name: pin[0] for name, pin in runtime.items()} == {
        name: dev[name][0] for name in runtime if name in dev}, "run `make lock`"


def test_the_bootstrap_lock_pins_what_bootstrap_in_asks_for() -> None:
    requirements = requirements_in(LOCKS / "bootstrap.in")
    assert disagreements(requirements, lock("bootstrap.lock")) == [], "run `make lock`"


def test_a_lock_that_lags_behind_pyproject_is_caught() -> None:
    pins = {"fastapi": (Version("0.1"), 2, True), "gone": (Version("1"), 1, True),
            "unhashed": (Version("1"), 0, False)}
    assert disagreements([Requirement("fastapi==0.2"), Requirement("new>=1")], pins) == [
        "new>=1 is not pinned", "fastapi==0.2 is pinned at 0.1", "unhashed has no hash",
        "gone is pinned for a requirement that is gone"]


def test_the_codegen_lock_pins_what_codegen_in_asks_for() -> None:
    requirements = requirements_in(LOCKS / "codegen.in")
    assert disagreements(requirements, lock("codegen.lock")) == [], "run `make lock`"
