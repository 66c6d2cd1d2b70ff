"""What the test cloud file saw, shared with the tests (the server loads the cloud file as a module of its own)."""

EVENTS: list[str] = []
