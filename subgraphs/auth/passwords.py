"""Password hashing with argon2id (argon2-cffi), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from subgraphs.kernel.settings import Settings


class Passwords:
    """Hashes and verifies passwords with the parameters from settings."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the email is unknown, so both failures take as long.
        self._decoy = self._hasher.hash("decoy password that never matches")

    async def hash(self, password: str) -> str:
        """An argon2id hash in PHC string form."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if ``password`` matches; a missing hash still costs one verification."""
        target = password_hash or self._decoy

        def check() -> bool:
            try:
                return self._hasher.verify(target, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(check)
        return ok and password_hash is not None

    async def upgrade(self, password_hash: str, password: str) -> str | None:
        """A new hash of ``password`` if ``password_hash``, which it was just verified
        against, was made with other parameters than the configured ones; else ``None``."""
        if not self._hasher.check_needs_rehash(password_hash):
            return None
        return await self.hash(password)
