"""A real HTTP server on 127.0.0.1 for the webhook push adapter to POST to, in a thread of the test
process: it records every request and answers from a script (status codes, or a delay longer than
the adapter's timeout)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[int | float] = field(default_factory=list)  # per request: a status, or seconds to stall
    default: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> int | float:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def tokens(self) -> list[str]:
        return sorted(d["deviceToken"] for r in self.requests for d in r.json["devices"])


@contextmanager
def receiver(default: int = 200, script: list[int | float] | None = None) -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            rec = state["r"]
            with rec.lock:
                rec.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
            answer = rec.next_answer()
            if isinstance(answer, float):
                time.sleep(answer)  # longer than the adapter waits: it gives up
                answer = 200
            body = b'{"ok":true}'
            try:
                self.send_response(answer)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/push-hook", default=default,
                          script=list(script or []))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
