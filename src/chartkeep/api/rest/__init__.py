"""The Parse REST API."""
