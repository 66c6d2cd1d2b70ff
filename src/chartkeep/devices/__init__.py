"""Devices: what the mobile SDKs save and receive — installations (devices/installations.py) and push
(devices/push.py: ``POST /push``, ``_PushStatus``, the adapter interface of devices/adapter.py and the
webhook adapter of devices/webhook.py). Installations are not patient data; every write still goes
through the one write primitive and its ledger entry."""
