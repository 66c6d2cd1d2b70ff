"""Internal tables of the account features: never classes, so no REST route reaches them.

Their names start with ``_`` and are not Parse system classes, so they are not valid class names
(``/classes/_MFA`` is refused like any unknown class). Times are epoch seconds (double precision)
so both dialects store and compare them the same way.

* ``_Lockout``      failed logins per normalised username/email (or user), and the lock's end
  (storage/queries/lockout.py);
* ``_MFA``          a user's TOTP secret, the digests of unused recovery codes, the last step used
  (storage/queries/mfa.py);
* ``_AccountToken`` password-reset and email-verification tokens, as SHA-256 digests with expiry
  (storage/queries/account_tokens.py);
* ``_Outbox``       account emails kept by the ``outbox`` mail sender
  (storage/queries/mail_outbox.py);
* ``_SessionActivity`` when each session (by token digest) was last used, for the idle timeout
  (storage/queries/session_activity.py; written at most once a minute per session);
* ``_File``/``_FileBlob``  uploaded files, encrypted (storage/file_store.py);
* ``_SmartClient`` SMART on FHIR apps an admin registered (a confidential one's secret as a SHA-256
  digest), and ``_SmartToken`` their authorization codes, access and refresh tokens, each as a
  SHA-256 digest with its scope, launch patient and expiry (storage/queries/smart.py);
* ``_FhirExport``   Bulk Data ``$export`` jobs: who asked for what, progress, the encrypted files'
  names, and the lease of the process running the job (storage/queries/fhir_exports.py).
"""

from __future__ import annotations

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.file_store import ensure_file_tables

LOCKOUT = "_Lockout"
MFA = "_MFA"
ACCOUNT_TOKEN = "_AccountToken"
OUTBOX = "_Outbox"
SESSION_ACTIVITY = "_SessionActivity"
SMART_CLIENT = "_SmartClient"
SMART_TOKEN = "_SmartToken"
FHIR_EXPORT = "_FhirExport"


async def ensure_internal_tables(conn: Conn) -> None:
    d = conn.dialect
    number, text = d.column_type("Number"), d.column_type("String")
    statements = [
        f'CREATE TABLE IF NOT EXISTS {quote(LOCKOUT)} ("key" TEXT PRIMARY KEY, "failures" INTEGER NOT NULL, '
        f'"lockedUntil" {number})',
        f'CREATE TABLE IF NOT EXISTS {quote(MFA)} ("user" TEXT PRIMARY KEY, "secret" TEXT NOT NULL, '
        f'"recovery" {text}, "lastStep" INTEGER)',
        f'CREATE TABLE IF NOT EXISTS {quote(ACCOUNT_TOKEN)} ("digest" TEXT PRIMARY KEY, "purpose" TEXT NOT NULL, '
        f'"user" TEXT NOT NULL, "expiresAt" {number} NOT NULL)',
        f"CREATE INDEX IF NOT EXISTS {quote('_AccountToken_user_idx')} ON {quote(ACCOUNT_TOKEN)} (\"user\")",
        f'CREATE TABLE IF NOT EXISTS {quote(OUTBOX)} ("id" TEXT PRIMARY KEY, "to" TEXT NOT NULL, '
        f'"subject" TEXT NOT NULL, "text" TEXT NOT NULL, "createdAt" {number} NOT NULL)',
        f'CREATE TABLE IF NOT EXISTS {quote(SESSION_ACTIVITY)} ("session" TEXT PRIMARY KEY, "seenAt" {number} NOT NULL)',
        f'CREATE TABLE IF NOT EXISTS {quote(SMART_CLIENT)} ("objectId" TEXT PRIMARY KEY, "name" TEXT NOT NULL, '
        f'"secret" TEXT, "redirectUris" TEXT NOT NULL, "scope" TEXT NOT NULL, "createdAt" {number} NOT NULL)',
        f'CREATE TABLE IF NOT EXISTS {quote(SMART_TOKEN)} ("objectId" TEXT PRIMARY KEY, "digest" TEXT NOT NULL UNIQUE, '
        f'"kind" TEXT NOT NULL, "client" TEXT NOT NULL, "user" TEXT NOT NULL, "scope" TEXT NOT NULL, '
        f'"patient" TEXT, "challenge" TEXT, "redirectUri" TEXT, "family" TEXT NOT NULL, '
        f'"expiresAt" {number} NOT NULL, "usedAt" {number}, "revokedAt" {number})',
        f"CREATE INDEX IF NOT EXISTS {quote('_SmartToken_family_idx')} ON {quote(SMART_TOKEN)} (\"family\")",
        f'CREATE TABLE IF NOT EXISTS {quote(FHIR_EXPORT)} ("objectId" TEXT PRIMARY KEY, "owner" TEXT NOT NULL, '
        f'"request" TEXT NOT NULL, "status" TEXT NOT NULL, "transactionTime" TEXT NOT NULL, '
        f'"done" INTEGER NOT NULL, "resources" INTEGER NOT NULL, "output" TEXT NOT NULL, "error" TEXT, '
        f'"lease" TEXT, "leaseUntil" {number}, "attempts" INTEGER NOT NULL, "createdAt" {number} NOT NULL, '
        f'"updatedAt" {number} NOT NULL)',
        f"CREATE INDEX IF NOT EXISTS {quote('_FhirExport_status_idx')} ON {quote(FHIR_EXPORT)} "
        f'("status", "leaseUntil")',
    ]
    for sql in statements:
        await conn.execute(sql)
    await ensure_file_tables(conn)
