"""The audit ledger: one append-only table of who did what to which chart, when, hash-chained in N
chains (a chart's entries in one chain).

``entry`` defines a ledger row and its hash; ``chains`` which chain an entry belongs to and where
each starts; ``table`` the storage (tables, triggers that refuse UPDATE/DELETE, the
``AuditEvent``/``AuditLog`` views); ``install`` and ``migrate`` create the ledger or upgrade a
single-chain one; ``append`` writes entries inside a transaction; ``group`` group-commits entries of
requests that have no write transaction (reads, failed logins); ``checkpoint``, ``signing``,
``sinks`` and ``schedule`` take, sign, ship and time the signed checkpoints; ``verify`` walks the
chains and checks the checkpoints; ``export`` writes a report.
"""
