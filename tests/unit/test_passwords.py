"""Password hashing: argon2id with the configured cost, and equal work for unknown emails."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from subgraphs.auth.passwords import Passwords
from subgraphs.kernel.settings import Settings

CHEAP = Settings(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)


async def test_hashes_are_argon2id_with_the_configured_parameters() -> None:
    digest = await Passwords(CHEAP).hash("correct horse battery")
    assert digest.startswith("$argon2id$")
    assert "m=64,t=1,p=1" in digest


async def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    passwords = Passwords(CHEAP)
    digest = await passwords.hash("correct horse battery")
    assert await passwords.verify(digest, "correct horse battery")
    assert not await passwords.verify(digest, "wrong horse battery")
    assert not await passwords.verify("not a hash", "correct horse battery")


async def test_an_unknown_email_costs_one_real_verification_and_never_matches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = Passwords(CHEAP)
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, digest: str, password: str) -> bool:
        calls.append(digest)
        return real(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    # Even the decoy's own password must not sign anyone in.
    assert not await passwords.verify(None, "decoy password that never matches")
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$")


async def test_a_hash_made_with_other_parameters_is_upgraded_and_a_current_one_is_not() -> None:
    passwords = Passwords(CHEAP)
    older = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1).hash(
        "correct horse battery")
    upgraded = await passwords.upgrade(older, "correct horse battery")
    assert upgraded is not None and "m=64,t=1,p=1" in upgraded
    assert await passwords.verify(upgraded, "correct horse battery")
    assert await passwords.upgrade(upgraded, "correct horse battery") is None
