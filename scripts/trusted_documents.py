"""Write schema/trusted-documents.json: every GraphQL document TicketFlow ships - each
operation of the Python SDK (``ticketflow_sdk.operations``, which the examples use), each
example of the router's IDE (``router/lib/examples.mjs``) and each document of the web app
(``web/src``, as its code generator types them and the app prints them) - by the SHA-256 of
its exact text.

With ``TICKETFLOW_TRUSTED_DOCUMENTS=true`` the router runs only these (docs/api-edge.md).

    .venv/bin/python scripts/trusted_documents.py           # make trusted-documents
    .venv/bin/python scripts/trusted_documents.py --check   # make trusted-documents-check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ticketflow_sdk import operations

from subgraphs.dev import node_command

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "schema" / "trusted-documents.json"
IDE_EXAMPLES = """
import { EXAMPLES } from './lib/examples.mjs';
process.stdout.write(JSON.stringify(EXAMPLES.map((example) => example.query)));
"""


def ide_examples() -> list[str]:
    run = subprocess.run(node_command("--input-type=module", "-e", IDE_EXAMPLES),  # noqa: S603
                         cwd=ROOT / "router", capture_output=True, text=True, check=True)
    return list(json.loads(run.stdout))


def web_documents() -> list[str]:
    """The web app's documents, printed as web/src/api.ts prints them before sending: the
    code generator types web/src's documents into a directory of its own (not web/src/gql,
    which a build may be writing at the same time), and web/scripts/documents.mjs prints
    them."""
    web = ROOT / "web"
    with tempfile.TemporaryDirectory(prefix="tf-web-docs-") as out:
        config = {"schema": str(ROOT / "schema" / "supergraph.graphql"),
                  "documents": [str(web / "src" / "**" / "*.ts"),
                                "!" + str(web / "src" / "gql" / "**")],
                  "generates": {out + "/": {"preset": "client", "config": {"enumsAsTypes": True,
                                                                   "useTypeImports": True}}},
                  "silent": True}
        (Path(out) / "codegen.json").write_text(json.dumps(config))
        codegen = web / "node_modules" / ".bin" / "graphql-codegen"
        subprocess.run(node_command(str(codegen), "--config", str(Path(out) / "codegen.json")),  # noqa: S603
                       cwd=web, check=True, capture_output=True)
        run = subprocess.run(node_command(str(web / "scripts" / "documents.mjs"),  # noqa: S603
                                          str(Path(out) / "graphql.ts")),
                             cwd=web, capture_output=True, text=True, check=True)
    return list(json.loads(run.stdout))


def documents() -> list[str]:
    """Every document shipped: the SDK's, the IDE's examples, the web app's."""
    return [*operations.ALL.values(), *ide_examples(), *web_documents()]


def manifest() -> str:
    """The manifest's text: {sha256 hex of the document: the document}, sorted by hash."""
    found = {hashlib.sha256(text.encode()).hexdigest(): text for text in documents()}
    return json.dumps(dict(sorted(found.items())), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="fail if the file is not current")
    check = args.parse_args(argv).check
    text = manifest()
    if check:
        if not MANIFEST.exists() or MANIFEST.read_text() != text:
            print(f"{MANIFEST} is not current: run `make trusted-documents`",
                  file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
