"""LiveQuery subscribers for the fan-out bench, in a process of their own.

    python -m ckbench.live_receiver WS_URL APP_ID TOKENS_FILE COUNT OUT_FILE

Opens COUNT WebSocket connections (aiohttp), each ``connect``s with one of the session tokens
(round robin) and subscribes to ``LiveBench`` (``where: {}``); prints ``READY`` once all are
subscribed, then records, for every event received, the ``seq`` field of the object and the
wall-clock receipt time. On a ``STOP`` line on stdin it waits one second more, writes the
records (``seq`` as int32, times as doubles, two arrays) to OUT_FILE and prints the count and
the CPU seconds this process spent between READY and STOP (the client's share of the machine).
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from array import array
from pathlib import Path

import aiohttp
import orjson

SEQ = re.compile(r'"seq":(\d+)')


async def subscriber(session: aiohttp.ClientSession, url: str, app_id: str, token: str, seqs: array, times: array,
                     ready: asyncio.Queue[int]) -> None:
    async with session.ws_connect(url, max_msg_size=0, heartbeat=None, autoping=True) as ws:
        await ws.send_str(orjson.dumps({"op": "connect", "applicationId": app_id, "sessionToken": token}).decode())
        await ws.receive()
        await ws.send_str(orjson.dumps({"op": "subscribe", "requestId": 1,
                                        "query": {"className": "LiveBench", "where": {}}}).decode())
        reply = await ws.receive()
        if '"subscribed"' not in reply.data:
            raise RuntimeError(f"not subscribed: {reply.data[:200]}")
        await ready.put(1)
        async for msg in ws:
            now = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            found = SEQ.search(msg.data)
            if found:
                seqs.append(int(found.group(1)))
                times.append(now)


async def main(url: str, app_id: str, tokens_file: str, count: int, out: str) -> None:
    tokens = [t for t in Path(tokens_file).read_text().split() if t]
    seqs, times = array("i"), array("d")
    ready: asyncio.Queue[int] = asyncio.Queue()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for i in range(count):
            tasks.append(asyncio.create_task(subscriber(session, url, app_id, tokens[i % len(tokens)], seqs, times, ready)))
            if i % 200 == 199:
                await asyncio.sleep(0.05)  # do not open thousands of connections in one burst
        for _ in range(count):
            await ready.get()
        print("READY", flush=True)
        cpu0 = time.process_time()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        await asyncio.sleep(1.0)
        cpu = time.process_time() - cpu0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    with open(out, "wb") as f:
        array("i", [len(seqs)]).tofile(f)
        seqs.tofile(f)
        times.tofile(f)
    print(f"RECEIVED {len(seqs)} {cpu:.3f}", flush=True)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
