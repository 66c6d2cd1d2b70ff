"""Secure messages, threads, receipts, retention, and appointments."""
