"""docker-compose.yml stays true to the code: commands, settings, ports and router wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from subgraphs.cli import parser
from subgraphs.dev import router_env
from subgraphs.kernel.settings import DEFAULT_PORTS, SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_subgraph_runs_the_cli_serve_command_for_itself() -> None:
    services = compose()
    for name in SERVICES:
        argv = services[name]["command"]
        assert argv[0] == "ticketflow"
        args = parser().parse_args(argv[1:])
        assert (args.command, args.names) == ("serve", [name])
    assert parser().parse_args(services["migrate"]["command"][1:]).command == "migrate"


def test_every_ticketflow_setting_in_compose_is_a_real_setting() -> None:
    fields = set(Settings.model_fields)
    for name in (*SERVICES, "migrate"):
        for key in compose()[name]["environment"]:
            assert key.startswith("TICKETFLOW_")
            assert key.removeprefix("TICKETFLOW_").lower() in fields, key


def test_subgraph_ports_are_the_documented_defaults_and_production_is_valid() -> None:
    services = compose()
    for name in SERVICES:
        env = services[name]["environment"]
        assert env[f"TICKETFLOW_{name.upper()}_PORT"] == str(DEFAULT_PORTS[name])
        assert services[name]["ports"] == [f"{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}"]
        values = {k.removeprefix("TICKETFLOW_").lower(): v for k, v in env.items()}
        assert Settings(**values).env == "production"


def test_router_is_told_where_every_subgraph_is_as_the_dev_launcher_tells_it() -> None:
    router = compose()["router"]["environment"]
    assert set(router_env(Settings())) <= set(router) | {"TICKETFLOW_ROUTER_HOST"}
    for name in SERVICES:
        assert router[f"TICKETFLOW_{name.upper()}_URL"] == (
            f"http://{name}:{DEFAULT_PORTS[name]}/graphql")


def test_a_subgraph_that_leaves_its_events_to_a_worker_has_one() -> None:
    # Without a `ticketflow work` process its consumers and sweeper would run nowhere.
    services = compose()
    separate = [name for name in SERVICES
                if services[name]["environment"].get("TICKETFLOW_SEPARATE_WORKERS") == "true"]
    assert separate  # booking's on-sale load is why the option exists
    for name in separate:
        workers = [s for s in services.values()
                   if s.get("command", [])[:2] == ["ticketflow", "work"]
                   and parser().parse_args(s["command"][1:]).names == [name]]
        assert len(workers) == 1, name
        # It reaches the same databases and Redis as the subgraph it works for.
        env = services[name]["environment"]
        for key in ("TICKETFLOW_POSTGRES_DSN", "TICKETFLOW_REDIS_URL"):
            assert workers[0]["environment"][key] == env[key]
