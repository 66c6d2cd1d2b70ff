"""``chartkeep seed``: a realistic demo clinic, written through the same services a client calls
(so every clinical rule, ACL and audit entry applies to it as to real data)."""
