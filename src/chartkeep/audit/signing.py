"""The Ed25519 key that signs ledger checkpoints, kept in a file the database does not hold.

The key file (PEM, PKCS#8) is created on first use with mode 0600 in a directory of mode 0700; its
public key is written next to it (``<key>.pub``, hex) so that ``audit verify`` can check signatures
on a machine that must not hold the private key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_or_create(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, even briefly
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path(path).write_text(public_hex(key.public_key()) + "\n")
    return key


def public_path(path: Path) -> Path:
    return path.with_name(path.name + ".pub")


def trusted_public_key(path: Path) -> str | None:
    """The public key verify trusts: from the key file when readable here, else its ``.pub``."""
    try:
        if path.exists():
            return public_hex(load_or_create(path).public_key())
        if public_path(path).exists():
            return public_path(path).read_text().strip()
    except (OSError, ValueError):
        return None
    return None


def sign(key: Ed25519PrivateKey, payload: bytes) -> str:
    return key.sign(payload).hex()


def signature_ok(public_key: str, payload: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(bytes.fromhex(signature), payload)
    except (InvalidSignature, ValueError):
        return False
    return True
