"""The handles every service needs, the hook registry and the caches, built once by ``create_app``."""
