"""The /schemas API and start-up: system tables, templates, seed roles."""
