"""Settings: embedded by default, one database per subgraph, and a safe production."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from subgraphs.kernel.service import subgraph_database
from subgraphs.kernel.settings import SERVICES, Settings

PG = "postgresql://tf:secret@db.internal:5432"
REDIS = "redis://cache.internal:6379/0"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test passes counts, not the TICKETFLOW_* variables of the machine."""
    for key in list(os.environ):
        if key.startswith("TICKETFLOW_"):
            monkeypatch.delenv(key)


def test_the_default_is_embedded() -> None:
    settings = Settings()
    assert settings.embedded
    assert settings.env == "development"


def test_embedded_gives_each_subgraph_its_own_sqlite_file_under_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    urls = {name: settings.database_url(name) for name in SERVICES}
    for name, url in urls.items():
        assert url == f"sqlite+aiosqlite:///{tmp_path / f'ticketflow_{name}.db'}"
    assert len(set(urls.values())) == len(SERVICES)


def test_a_postgres_dsn_gives_each_subgraph_its_own_asyncpg_database() -> None:
    settings = Settings(postgres_dsn=PG, db_prefix="tf")
    for name in SERVICES:
        assert settings.database_url(name) == f"postgresql+asyncpg://tf:secret@db.internal:5432/tf_{name}"


@pytest.mark.parametrize(("dsn", "expected"), [
    ("postgresql://u:p@db:5432/postgres", "postgresql+asyncpg://u:p@db:5432/tf_booking"),
    ("postgres://u@db/other?sslmode=require",
     "postgresql+asyncpg://u@db/tf_booking?sslmode=require"),
])
def test_a_dsn_with_a_database_or_options_still_names_the_subgraphs_own_database(
        dsn: str, expected: str) -> None:
    assert Settings(postgres_dsn=dsn, db_prefix="tf").database_url("booking") == expected


def test_a_trailing_slash_on_the_dsn_does_not_double() -> None:
    settings = Settings(postgres_dsn=PG + "/")
    assert settings.database_url("booking") == (
        "postgresql+asyncpg://tf:secret@db.internal:5432/ticketflow_booking")


def test_settings_are_read_from_ticketflow_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETFLOW_POSTGRES_DSN", PG)
    monkeypatch.setenv("TICKETFLOW_DB_PREFIX", "ci")
    assert Settings().database_url("payment") == (
        "postgresql+asyncpg://tf:secret@db.internal:5432/ci_payment")


def test_redis_turns_embedded_mode_off() -> None:
    assert not Settings(postgres_dsn=PG, redis_url=REDIS).embedded


def test_production_with_postgres_redis_and_a_real_provider_is_accepted() -> None:
    settings = Settings(env="production", postgres_dsn=PG, redis_url=REDIS,
                        payment_provider="razorpay", razorpay_key_id="rzp_live_x",
                        razorpay_key_secret="s", queue_pass_secret="a real one",
                        payment_instrument_secret="another real one")
    assert settings.env == "production"
    assert not settings.sandbox_enabled


def test_production_refuses_the_development_queue_pass_secret() -> None:
    with pytest.raises(ValidationError, match="QUEUE_PASS_SECRET"):
        Settings(env="production", postgres_dsn=PG, redis_url=REDIS, allow_sandbox=True,
                 payment_instrument_secret="set")


def test_production_refuses_the_development_instrument_secret() -> None:
    with pytest.raises(ValidationError, match="PAYMENT_INSTRUMENT_SECRET"):
        Settings(env="production", postgres_dsn=PG, redis_url=REDIS, allow_sandbox=True,
                 queue_pass_secret="set")


def test_production_refuses_the_sandbox_unless_a_demo_allows_it() -> None:
    with pytest.raises(ValidationError, match="takes real payments"):
        Settings(env="production", postgres_dsn=PG, redis_url=REDIS)
    demo = Settings(env="production", postgres_dsn=PG, redis_url=REDIS, allow_sandbox=True,
                    queue_pass_secret="demo", payment_instrument_secret="demo")
    assert demo.sandbox_enabled
    assert Settings(env="development").sandbox_enabled


def test_razorpay_needs_its_keys() -> None:
    with pytest.raises(ValidationError, match="RAZORPAY_KEY_ID"):
        Settings(payment_provider="razorpay", razorpay_key_id="rzp_test_x")


@pytest.mark.parametrize(
    "servers",
    [{}, {"postgres_dsn": PG}, {"redis_url": REDIS}],
    ids=["neither", "no-redis", "no-postgres"],
)
def test_production_without_postgres_and_redis_is_refused(servers: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="production needs"):
        Settings(env="production", **servers)


def test_production_with_debug_errors_is_refused() -> None:
    with pytest.raises(ValidationError, match="DEBUG_ERRORS"):
        Settings(env="production", postgres_dsn=PG, redis_url=REDIS, debug_errors=True,
                 allow_sandbox=True)


def test_debug_errors_is_allowed_in_development() -> None:
    assert Settings(debug_errors=True).debug_errors


def test_the_default_jwks_url_is_the_auth_subgraph() -> None:
    settings = Settings(host="10.0.0.5", auth_port=5001)
    assert settings.effective_jwks_url == "http://10.0.0.5:5001/.well-known/jwks.json"


@pytest.mark.parametrize("field", ["access_token_ttl_seconds", "hold_ttl_seconds",
                                   "max_seats_per_hold"])
def test_durations_and_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: 0})  # type: ignore[arg-type]


@pytest.mark.parametrize(("env", "kept", "overflow"), [
    ({}, 10, 0),
    ({"TICKETFLOW_DB_POOL_SIZE": "4"}, 4, 0),
    ({"TICKETFLOW_DB_POOL_SIZE": "2", "TICKETFLOW_DB_MAX_OVERFLOW": "3"}, 2, 3),
])
def test_a_subgraphs_connections_are_its_pool_and_at_most_its_overflow(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], kept: int, overflow: int) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(postgres_dsn=PG)
    db = subgraph_database(settings, "booking")
    pool: Any = db.engine.sync_engine.pool  # nothing connects until a session is used
    assert (pool.size(), pool._max_overflow) == (kept, overflow)


def test_a_negative_overflow_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(db_max_overflow=-1)
