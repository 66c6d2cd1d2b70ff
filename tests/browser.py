"""A real headless Chromium, driven over its DevTools protocol, with the outside network blocked.

``chromium(tmp, allowed_origin)`` starts Debian's ``/usr/bin/chromium`` with a fresh profile and
yields a ``Page``. Every request the page makes to anything but ``allowed_origin`` (one origin, or a
tuple of them: Parse Dashboard's page and the server it calls) is failed and
recorded (``Page.blocked``): the DevTools ``Fetch`` domain intercepts each request, and a dead
proxy (``--proxy-server`` on a closed loopback port; loopback bypasses it) stops whatever might
slip past. Console errors, exceptions and Content-Security-Policy refusals land in
``Page.problems``.

When Chromium is not installed the test is skipped with the reason, and fails under ``CI=true``
(``require_service``); ``scripts/test.sh`` installs it (``apt-get install -y chromium``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.conftest import require_service
from tests.processes import stop

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--window-size=1280,900",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens there: any request not intercepted fails
)


def chromium_missing() -> str | None:
    if Path(CHROMIUM).is_file() or shutil.which("chromium"):
        return None
    return f"Chromium not installed at {CHROMIUM} (scripts/test.sh installs it: apt-get install -y chromium)"


class Page:
    """One tab: ``evaluate`` JavaScript, ``wait_for`` a condition, ``screenshot``."""

    def __init__(self, ws: Any, allowed_origin: str | tuple[str, ...]) -> None:
        self.ws = ws
        origins = (allowed_origin,) if isinstance(allowed_origin, str) else allowed_origin
        self.allowed = tuple(origin.rstrip("/") + "/" for origin in origins)
        self.blocked: list[str] = []
        self.requests: list[dict[str, Any]] = []  # every request the page made, as DevTools saw it
        self.problems: list[str] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        await self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg:
                future = self._pending.pop(msg["id"], None)
                if future is not None and not future.done():
                    if "error" in msg:
                        future.set_exception(RuntimeError(f"DevTools: {msg['error']}"))
                    else:
                        future.set_result(msg.get("result"))
            else:
                asyncio.create_task(self._event(msg["method"], msg.get("params", {})))

    async def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            self.requests.append(params["request"])
            if url.startswith(self.allowed):
                await self.send("Fetch.continueRequest", {"requestId": params["requestId"]})
            else:
                self.blocked.append(url)
                await self.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"})
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.problems.append(f"{params['entry'].get('source')}: {params['entry']['text']}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.problems.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
        elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
            self.problems.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                              for a in params["args"]))

    async def start(self) -> None:
        await self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 60) -> Any:
        """The value of ``expression`` once it is truthy (AssertionError after ``seconds``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if loop.time() > deadline:
                body = await self.evaluate("document.body ? document.body.innerText.slice(0, 500) : ''")
                raise AssertionError(f"waited {seconds} s for {expression!r}; page text: {body!r}; "
                                     f"problems: {self.problems}; blocked: {self.blocked}")
            await asyncio.sleep(0.2)

    async def screenshot(self, path: Path) -> None:
        import base64

        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


async def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], seconds: float = 30) -> int:
    marker = profile / "DevToolsActivePort"
    for _ in range(int(seconds / 0.1)):
        if proc.poll() is not None:
            raise AssertionError(f"chromium exited ({proc.returncode})")
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        await asyncio.sleep(0.1)
    raise AssertionError("chromium did not open its DevTools port")


@asynccontextmanager
async def chromium(tmp: Path, allowed_origin: str | tuple[str, ...]) -> AsyncIterator[Page]:
    require_service(chromium_missing())
    profile = tmp / "chromium-profile"
    profile.mkdir()
    binary = CHROMIUM if Path(CHROMIUM).is_file() else str(shutil.which("chromium"))
    log = open(tmp / "chromium.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "about:blank"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = await _devtools_port(profile, proc)
        async with httpx.AsyncClient(trust_env=False) as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        target = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws, allowed_origin)
            await page.start()
            try:
                yield page
            finally:
                await page.close()
    finally:
        stop(proc)
        log.close()
