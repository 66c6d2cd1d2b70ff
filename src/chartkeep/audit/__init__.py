"""The audit ledger: one append-only, hash-chained table of who did what to which chart, when.

``entry`` defines a ledger row and its hash; ``table`` the storage (table, triggers that refuse
UPDATE/DELETE, the ``AuditEvent``/``AuditLog`` views); ``append`` writes entries inside a
transaction; ``group`` group-commits entries of requests that have no write transaction (reads,
failed logins); ``verify`` walks the chain; ``export`` writes a report.
"""
