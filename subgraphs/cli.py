"""``ticketflow`` — the command line: serve, migrate, seed, users, keys, schema, dev."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from subgraphs.kernel.logs import configure_logging
from subgraphs.kernel.migrate import alembic_config, upgrade_all
from subgraphs.kernel.settings import SERVICES, Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("ticketflow.cli")


def _names(values: Sequence[str]) -> list[str]:
    names = list(values) or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise SystemExit(f"unknown subgraph(s): {', '.join(unknown)}; choose from {SERVICES}")
    return names


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(upgrade_all(settings, _names(args.names)))


def cmd_makemigration(settings: Settings, args: argparse.Namespace) -> None:
    from alembic import command

    from subgraphs.kernel.migrate import ensure_database

    url = settings.database_url(args.name)
    asyncio.run(ensure_database(url))
    command.upgrade(alembic_config(args.name, url), "head")
    command.revision(alembic_config(args.name, url), message=args.message, autogenerate=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.serve import run_loop, serve

    names = _names(args.names)
    if len(names) < len(SERVICES) and settings.embedded:
        raise SystemExit(
            "Subgraphs in separate processes need TICKETFLOW_REDIS_URL for their events; "
            "without Redis, serve them all in one process: `ticketflow serve`."
        )
    if settings.separate_workers and settings.embedded:
        raise SystemExit("TICKETFLOW_SEPARATE_WORKERS needs TICKETFLOW_REDIS_URL: without "
                         "Redis the events are consumed where they are served.")
    if args.processes > 1:
        from subgraphs.serve import serve_processes

        if len(names) != 1:
            raise SystemExit("--processes serves one subgraph: name it (`serve booking`).")
        serve_processes(settings, names[0], args.processes)
        return
    run_loop(serve(settings, names), settings.event_loop)


def cmd_work(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.serve import run_loop, work

    if settings.embedded:
        raise SystemExit("`ticketflow work` needs TICKETFLOW_REDIS_URL: without Redis the "
                         "subgraphs' events stay inside the one `ticketflow serve` process.")
    run_loop(work(settings, _names(args.names)), settings.event_loop)


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.seed import create_user

    password = args.password or getpass.getpass("Password: ")
    user_id = asyncio.run(create_user(settings, args.email, password, args.name, args.role))
    sys.stdout.write(f"{user_id}\n")


def cmd_rotate_keys(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.seed import rotate_signing_key

    kid = asyncio.run(rotate_signing_key(settings))
    sys.stdout.write(f"new signing key {kid}; older keys verify until their tokens expire\n")


def cmd_import_seatmap(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.seed import import_seat_map

    document = json.loads(Path(args.file).read_text())
    hall_id, seats = asyncio.run(import_seat_map(settings, args.venue_id, document))
    sys.stdout.write(f"hall {hall_id}: {seats} seats\n")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.seed import seed_demo

    demo = asyncio.run(seed_demo(settings))
    sys.stdout.write(demo.describe() + "\n")


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.registry import spec

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name in SERVICES:
        sdl = spec(name).schema.as_str() + "\n"
        path = out / f"{name}.graphql"
        if args.check:
            if not path.exists() or path.read_text() != sdl:
                stale.append(str(path))
        else:
            path.write_text(sdl)
    if stale:
        raise SystemExit(f"SDL differs from the code: {', '.join(stale)}; run `make schema`")


def cmd_dev(settings: Settings, args: argparse.Namespace) -> None:
    from subgraphs.dev import run_dev

    raise SystemExit(asyncio.run(run_dev(settings, seed=not args.no_seed)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ticketflow", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve subgraphs (all of them in one process by default)")
    s.add_argument("names", nargs="*", help=f"any of {', '.join(SERVICES)}")
    s.add_argument("--processes", type=int, default=1,
                   help="replicas of one subgraph sharing its port (needs Redis)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("work", help="run subgraphs' event consumers and background jobs, no "
                       "HTTP (with TICKETFLOW_SEPARATE_WORKERS=true on the serving side)")
    s.add_argument("names", nargs="*", help=f"any of {', '.join(SERVICES)}")
    s.set_defaults(func=cmd_work)

    s = sub.add_parser("migrate", help="create and migrate the subgraphs' databases")
    s.add_argument("names", nargs="*")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("makemigration", help="autogenerate a migration for one subgraph")
    s.add_argument("name", choices=SERVICES)
    s.add_argument("-m", "--message", required=True)
    s.set_defaults(func=cmd_makemigration)

    s = sub.add_parser("create-user", help="create a user with any role (e.g. the first admin)")
    s.add_argument("--email", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--role", default="CUSTOMER", choices=["CUSTOMER", "ORGANIZER", "ADMIN"])
    s.add_argument("--password", help="prompted for when omitted")
    s.set_defaults(func=cmd_create_user)

    s = sub.add_parser("rotate-keys", help="sign new tokens with a new key")
    s.set_defaults(func=cmd_rotate_keys)

    s = sub.add_parser("import-seatmap",
                       help="add a hall to a venue from a seat-map file (docs/seatmap-format.md)")
    s.add_argument("venue_id")
    s.add_argument("file")
    s.set_defaults(func=cmd_import_seatmap)

    s = sub.add_parser("seed", help="load the demo data (idempotent)")
    s.set_defaults(func=cmd_seed)

    s = sub.add_parser("export-schema", help="write each subgraph's SDL to schema/")
    s.add_argument("--out", default=str(ROOT / "schema"))
    s.add_argument("--check", action="store_true", help="fail if the files differ")
    s.set_defaults(func=cmd_export_schema)

    s = sub.add_parser("dev", help="migrate, seed, run subgraphs and router; Ctrl-C stops all")
    s.add_argument("--no-seed", action="store_true")
    s.set_defaults(func=cmd_dev)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ticketflow`` command."""
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    args.func(settings, args)


if __name__ == "__main__":
    main()
