"""Ed25519 signing keys as TicketFlow stores them: a PEM private key and a public JWK.

Auth signs access tokens with such keys and notification signs e-tickets with its own;
both keep them in their database and publish the public halves as a JWKS document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from subgraphs.kernel.db import new_id


@dataclass(frozen=True)
class KeyPair:
    """A new key: its id, its private half (PKCS#8 PEM) and its public JWK (JSON text)."""

    kid: str
    private_pem: str
    public_jwk: str


def new_ed25519_key() -> KeyPair:
    """A fresh Ed25519 key pair whose JWK names it (``kid``) and says ``alg: EdDSA``."""
    private = Ed25519PrivateKey.generate()
    kid = new_id()
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "EdDSA", "use": "sig"})
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return KeyPair(kid=kid, private_pem=pem, public_jwk=json.dumps(jwk))


def load_private_key(pem: str) -> Ed25519PrivateKey:
    """The private key of a stored PEM."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key
