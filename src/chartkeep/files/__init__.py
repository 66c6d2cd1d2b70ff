"""Parse files: uploads, checks, who may reference a file, key rotation, attachment links."""
