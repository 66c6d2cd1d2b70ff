"""Files at rest: AES-256-GCM under a per-file key derived from a configured master secret.

Each file gets a fresh 16-byte salt and 12-byte nonce; its data key is
``HKDF-SHA256(secret, salt, info="chartkeep/file/v1")``. The stored blob is
``b"CKF1" ‖ salt ‖ nonce ‖ ciphertext+tag`` and the associated data binds it to the file name and
key id, so bytes changed by anyone, or moved to another file's row, fail the GCM tag check — the
download is refused, never served as garbage.

Secrets have ids (``files_key_id`` for the current one, ``files_old_keys`` as ``id:secret`` for
retired ones kept for reading); the id is stored with each file, so a new secret can be put in
place at once and older files re-encrypted later (``chartkeep files rekey``, docs/files.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chartkeep.errors import Code, ParseError
from chartkeep.settings import Settings

MAGIC = b"CKF1"
SALT, NONCE = 16, 12
FILE_INFO = b"chartkeep/file/v1"
URL_INFO = b"chartkeep/file-url/v1"


class FileIntegrityError(ParseError):
    """Stored bytes that fail authentication (changed, truncated, or under an unknown key)."""

    def __init__(self, message: str = "The stored file failed its integrity check.") -> None:
        super().__init__(Code.INTERNAL_SERVER_ERROR, message)


def _derive(secret: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _aad(name: str, key_id: str) -> bytes:
    return MAGIC + name.encode() + b"\0" + key_id.encode()


@dataclass(frozen=True, slots=True)
class Keyring:
    current_id: str
    secrets: dict[str, bytes]

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        secret, _ = settings.ensure_files_key()
        found: dict[str, bytes] = {}
        for entry in settings.files_old_keys:
            key_id, sep, old = entry.partition(":")
            if not sep or not key_id or not old:
                raise ValueError(f"files_old_keys entry {entry!r} is not id:secret")
            found[key_id.strip()] = old.strip().encode()
        found[settings.files_key_id] = secret.encode()
        return cls(settings.files_key_id, found)

    def encrypt(self, name: str, data: bytes) -> tuple[str, bytes]:
        """(key id, blob) for ``data`` stored under ``name`` with the current secret."""
        salt, nonce = os.urandom(SALT), os.urandom(NONCE)
        key = _derive(self.secrets[self.current_id], salt, FILE_INFO)
        sealed = AESGCM(key).encrypt(nonce, data, _aad(name, self.current_id))
        return self.current_id, MAGIC + salt + nonce + sealed

    def decrypt(self, name: str, key_id: str, blob: bytes) -> bytes:
        secret = self.secrets.get(key_id)
        if secret is None:
            raise FileIntegrityError(f"The key that encrypted this file (id {key_id}) is not configured.")
        head = len(MAGIC) + SALT + NONCE
        if len(blob) < head + 16 or not blob.startswith(MAGIC):
            raise FileIntegrityError()
        salt, nonce = blob[len(MAGIC):len(MAGIC) + SALT], blob[len(MAGIC) + SALT:head]
        try:
            return AESGCM(_derive(secret, salt, FILE_INFO)).decrypt(nonce, blob[head:], _aad(name, key_id))
        except InvalidTag:
            raise FileIntegrityError() from None

    def url_key(self) -> bytes:
        return url_key(self.secrets[self.current_id])


@lru_cache(maxsize=8)
def url_key(secret: bytes) -> bytes:
    """The HMAC key of download links, from the current secret (a rotation also ends outstanding links)."""
    return _derive(secret, None, URL_INFO)
