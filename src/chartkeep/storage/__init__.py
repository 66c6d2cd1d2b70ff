"""Storage: one narrow adapter over SQLite and PostgreSQL."""
