"""Parse LiveQuery over WebSocket, on the REST mount path (``ws://host/parse``)."""
