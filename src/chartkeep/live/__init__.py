"""Parse LiveQuery: subscriptions over WebSocket, fed by committed writes (docs/livequery.md).

Modules, one idea each: ``frames`` (client messages checked as Parse checks them), ``messages``
(server messages), ``connection`` (the protocol's operations for one client), ``subscription``
(subscriptions grouped by query), ``viewer`` (who a subscription reads as, at event time),
``decide`` (which event a subscriber gets), ``render`` (event bodies), ``hub`` (the fan-out),
``ring`` (the resume window), ``bus``/``codec`` (in-process or Redis transport of changes).
"""

from __future__ import annotations

from chartkeep.core.feed import Change
from chartkeep.core.handles import Core
from chartkeep.core.peers import Peers
from chartkeep.live.bus import LocalBus, RedisBus
from chartkeep.live.hub import Hub


class LiveQuery:
    """The bus (what the write pipeline publishes to and other processes' notices come from) and
the hub (what clients subscribe to)."""

    def __init__(self, core: Core) -> None:
        settings = core.settings
        classes = settings.live_query_classes
        self.bus: LocalBus = (
            RedisBus(classes, settings.redis_url, settings.app_id) if settings.redis_url else LocalBus(classes)
        )
        self.hub = Hub(core)
        # what this process drops from its caches or changes in its registry, the others hear of
        self.peers = Peers(core)
        core.sessions.tell = core.roles.tell = core.registry.tell = core.config.tell = self.bus.notify

    def tracks(self, class_name: str) -> bool:
        return self.bus.tracks(class_name)

    def publish(self, change: Change) -> None:
        self.bus.publish(change)

    async def start(self) -> None:
        self.hub.start()
        await self.bus.start(self.hub.accept, self.peers.apply, self.peers.resync)

    async def close(self) -> None:
        await self.bus.close()
        await self.hub.close()
