"""SQL the domains need beyond the object pipeline's rows (storage/rows.py): one module per subject."""
