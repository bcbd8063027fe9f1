"""Generate the SDK's models and operations from the schema (`make sdk`), or check them.

    .venv/bin/python sdk/codegen/generate.py           # write sdk/ticketflow_sdk/_generated/
    .venv/bin/python sdk/codegen/generate.py --check   # exit 1 naming what would change

ariadne-codegen (``[tool.ariadne-codegen]`` in sdk/pyproject.toml) reads
schema/supergraph.graphql and the operations in sdk/ticketflow_sdk/graphql/*.graphql. It
runs from its own venv (.venv-codegen, requirements/codegen.lock: it pins graphql-core and
ruff below the project's), in a scratch copy of what it reads, so a check writes nothing
in the repository.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parent
GENERATED = SDK / "ticketflow_sdk" / "_generated"
TOOL = Path(os.environ.get("TICKETFLOW_CODEGEN",
                           ROOT / ".venv-codegen" / "bin" / "ariadne-codegen"))


def generate(into: Path) -> Path:
    """Run the generator on a copy of its inputs under ``into``; the generated package."""
    if not TOOL.exists():
        raise SystemExit(f"{TOOL} is missing: run `make install`")
    sdk = into / "sdk"
    (into / "schema").mkdir(parents=True)
    sdk.mkdir()
    shutil.copy(ROOT / "schema" / "supergraph.graphql", into / "schema")
    shutil.copy(SDK / "pyproject.toml", sdk)
    shutil.copytree(SDK / "codegen", sdk / "codegen",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SDK / "ticketflow_sdk" / "graphql", sdk / "ticketflow_sdk" / "graphql")
    env = {**os.environ, "PYTHONPATH": str(sdk / "codegen")}
    run = subprocess.run([str(TOOL), "--config", "pyproject.toml", "client"], cwd=sdk,  # noqa: S603
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    if run.returncode != 0:
        raise SystemExit(f"ariadne-codegen failed:\n{run.stdout}{run.stderr}")
    return sdk / "ticketflow_sdk" / "_generated"


def differences(fresh: Path, committed: Path = GENERATED) -> list[str]:
    """The files of ``committed`` that differ from ``fresh`` (missing, extra or changed)."""
    names = {p.name for p in fresh.glob("*.py")} | {p.name for p in committed.glob("*.py")}
    return sorted(name for name in names
                  if not (fresh / name).exists() or not (committed / name).exists()
                  or not filecmp.cmp(fresh / name, committed / name, shallow=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; fail if the generated code is not current")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ticketflow-sdk-") as scratch:
        fresh = generate(Path(scratch))
        changed = differences(fresh)
        if args.check:
            if changed:
                raise SystemExit("sdk/ticketflow_sdk/_generated/ is not current "
                                 f"({', '.join(changed)}): run `make sdk`")
            return
        shutil.rmtree(GENERATED, ignore_errors=True)
        shutil.copytree(fresh, GENERATED, ignore=shutil.ignore_patterns("__pycache__"))
    print(f"make sdk: {len(changed)} generated files changed", file=sys.stderr)


if __name__ == "__main__":
    main()
