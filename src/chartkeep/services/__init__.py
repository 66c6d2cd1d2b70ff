"""Use cases. Each takes a RequestContext (never an HTTP request) and returns plain data."""
