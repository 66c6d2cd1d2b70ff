"""Authentication: keys, session tokens, the request's principal."""
