"""Key rotation: re-encrypt every file not under the current file secret (``chartkeep files rekey``).

Each file is re-encrypted in its own transaction (decrypt with the secret its row names, encrypt
with ``files_key`` under a fresh salt and nonce, store blob and key id together), so the command
can be stopped and run again at any point, while the server keeps serving. A file whose bytes fail
their integrity check is reported and left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chartkeep.core.handles import Core
from chartkeep.files.store import blob_store
from chartkeep.storage import file_store
from chartkeep.storage.file_crypto import FileIntegrityError, Keyring


@dataclass(slots=True)
class RekeyReport:
    total: int = 0
    rekeyed: int = 0
    failed: list[str] = field(default_factory=list)


async def rekey(core: Core, progress: Callable[[str], None] | None = None) -> RekeyReport:
    keyring = Keyring.from_settings(core.settings)
    store = blob_store(core)
    async with core.db.read() as conn:
        names = await file_store.names_not_under(conn, keyring.current_id)
    report = RekeyReport(total=len(names))
    for name in names:
        async with core.db.transaction() as tx:
            meta = await file_store.get_meta(tx, name)
            blob = await store.get(tx, name)
            if meta is None or meta.key_id == keyring.current_id:
                pass
            elif blob is None:
                report.failed.append(name)
            else:
                try:
                    data = keyring.decrypt(name, meta.key_id, blob)
                except FileIntegrityError:
                    report.failed.append(name)
                else:
                    key_id, sealed = keyring.encrypt(name, data)
                    await store.put(tx, name, sealed)
                    await file_store.set_key_id(tx, name, key_id)
                    report.rekeyed += 1
        if progress:
            progress(name)
    return report
