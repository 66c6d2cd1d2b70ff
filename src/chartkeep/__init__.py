"""Chartkeep: a self-hosted EHR backend speaking the Parse REST API."""

__version__ = "0.1.0"
