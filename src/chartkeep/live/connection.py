"""One LiveQuery client connection: the protocol's four operations, whatever carries the frames.

``connect`` checks the keys exactly as a REST request's headers are checked (``auth.resolve``:
application id, REST key when configured, master key only from an allowed IP, a live session
token); ``subscribe``/``update`` check the class's CLP and ``protectedFields`` for the query as
a REST find does, parse ``where`` into the REST query IR and register the subscription with the
hub (optionally replaying missed events); ``unsubscribe`` removes it. Every refusal is an
``error`` message; nothing a client sends stops the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from chartkeep.access.guards import read_guard
from chartkeep.access.protected import deny_protected_query
from chartkeep.audit.entry import FAILURE
from chartkeep.auth.resolve import Credentials, resolve
from chartkeep.auth.sessions import user_for_token
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError, Unauthorized
from chartkeep.ledger.entries import entry, record_refusal
from chartkeep.live import messages
from chartkeep.live.frames import FrameError, parse_frame
from chartkeep.live.hub import Hub
from chartkeep.live.subscription import Subscription, clp_operation, group_key
from chartkeep.live.viewer import Identity, context_for, needs_other_rows
from chartkeep.query.parse import parse_where

NOT_CONNECTED = "Can not find this client, make sure you connect to server before {}"
SESSION_ENDED = "Invalid session token"  # Parse LiveQuery's message for code 209
UNSUPPORTED = "LiveQuery cannot match $inQuery, $notInQuery, $select, $dontSelect, $relatedTo or Relation fields"


class LiveConnection:
    def __init__(self, hub: Hub, send: Callable[[bytes], None], client_ip: str | None, base_url: str,
                 cross_origin: bool = False, origin: str | None = None) -> None:
        self.hub = hub
        self.cross_origin = cross_origin  # opened by a browser page of another origin: never the master key
        self.origin = origin  # … unless it is one of master_key_origins (an admin console)
        self.core = hub.core
        self.send = send
        self.client_ip = client_ip
        self.base_url = base_url
        self.envelope: messages.Envelope | None = None
        self.identity: Identity | None = None
        self.subs: dict[int | float, Subscription] = {}
        self.users: dict[str, str] = {}  # session token -> its user's objectId, for the ledger when it ends

    @property
    def connected(self) -> bool:
        return self.envelope is not None

    async def handle(self, text: str | bytes) -> None:
        try:
            message = parse_frame(text)
        except FrameError as exc:
            self.send(messages.error(1, str(exc)))
            return
        op = message["op"]
        if op == "connect":
            await self.connect(message)
        elif op in ("subscribe", "update"):
            await self.subscribe(message)
        else:
            self.unsubscribe(message)

    # ---- connect ----------------------------------------------------------------------------

    async def connect(self, message: dict[str, Any]) -> None:
        creds = Credentials(
            app_id=message.get("applicationId"),
            master_key=message.get("masterKey"),
            session_token=message.get("sessionToken"),
            installation_id=message.get("installationId"),
            rest_key=message.get("restAPIKey"),
            javascript_key=message.get("javascriptKey") or message.get("clientKey"),
            client_ip=self.client_ip,
            base_url=self.base_url,
            cross_origin=self.cross_origin,
            origin=self.origin,
        )
        try:
            ctx = await resolve(self.core, creds)
        except Unauthorized:
            self.send(messages.error(4, "Key in request is not valid"))
            return
        except ParseError as exc:
            self.send(messages.error(exc.code, exc.message, False))
            return
        if self.core.hooks.live_connect:  # Cloud Code's before_connect may refuse the connection
            try:
                await self.core.hooks.run_before_connect(self.core, ctx, {"installationId": creds.installation_id})
            except ParseError as exc:
                self.send(messages.error(exc.code, exc.message, False))
                return
        self.close()  # a second connect starts over, as a new client
        self.identity = Identity(self.core.settings.app_id, creds.session_token if ctx.user else None, ctx.is_master)
        if ctx.user and creds.session_token:
            self.users[creds.session_token] = ctx.user["objectId"]
        self.envelope = messages.Envelope(str(uuid.uuid4()), creds.installation_id)
        self.send(self.envelope.simple("connected"))

    # ---- subscribe / update -----------------------------------------------------------------

    async def subscribe(self, message: dict[str, Any]) -> None:
        if self.envelope is None or self.identity is None:
            self.send(messages.error(2, NOT_CONNECTED.format("subscribing")))
            return
        request_id = message["requestId"]
        limit = self.core.settings.live_query_max_subscriptions
        if request_id not in self.subs and len(self.subs) >= limit:
            text = f"Too many subscriptions on this connection (at most {limit})"
            self.send(messages.error(1, text, False, request_id))
            return
        try:
            sub, node, key = await self._prepare(message)
        except ParseError as exc:
            await self._record_refusal(message, exc)
            self.send(messages.error(exc.code, exc.message, False, request_id))
            return
        old = self.subs.pop(request_id, None)
        if old is not None:
            self.hub.remove(old)
        self.subs[request_id] = sub
        last_event_id = message.get("lastEventId")
        class_name, where = message["query"]["className"], message["query"]["where"]

        async def start() -> None:
            if self.subs.get(request_id) is not sub or self.envelope is None:
                return  # unsubscribed or replaced before it started
            missed = None
            if last_event_id is None:
                self.send(self.envelope.simple("subscribed", request_id))
            else:
                missed = self.hub.ring.after(last_event_id)
                flag = b',"resumed":true' if missed is not None else b',"resumed":false'
                self.send(self.envelope.simple("subscribed", request_id, flag))
            group = self.hub.group(class_name, key, where, node)
            if missed is not None:
                await self.hub.replay(sub, group, missed)
            self.hub.add(sub, group)

        await self.hub.call(start)

    async def _record_refusal(self, message: dict[str, Any], error: ParseError) -> None:
        """A refused subscription is in the ledger: ``subscribe``, outcome ``failure``, the class asked for."""
        assert self.identity is not None
        ctx = await context_for(self.core, self.identity)
        ctx.client_ip = self.client_ip
        query = message.get("query")
        class_name = query.get("className") if isinstance(query, dict) else None
        await record_refusal(self.core, ctx, "subscribe", class_name if isinstance(class_name, str) else None, None,
                             error, metadata={"liveQuery": True, "subscription": message.get("requestId")})

    async def _prepare(self, message: dict[str, Any]) -> tuple[Subscription, Any, bytes]:
        assert self.envelope is not None and self.identity is not None
        query = message["query"]
        class_name, where = query["className"], query["where"]
        identity = self.identity
        token = message.get("sessionToken")
        if token is not None and not identity.is_master:
            user = await user_for_token(self.core, token)  # 209 unless a live session
            self.users[token] = user["objectId"]
            identity = Identity(identity.app_id, token, False)
        ctx = await context_for(self.core, identity)
        if class_name in self.core.hooks.live_subscribe:  # Cloud Code's before_subscribe: may change the query
            query = await self.core.hooks.run_before_subscribe(self.core, ctx, class_name, dict(query))
            where = query.get("where")
            if not isinstance(where, dict):
                raise ParseError(Code.SCRIPT_FAILED, f"before_subscribe of {class_name}: where must stay a dict")
            message["query"] = query
        schema = self.core.registry.get(class_name)
        if schema is None and not ctx.is_master:
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied")
        op = clp_operation(where)
        if schema is not None:
            read_guard(ctx, schema, op, self.core.registry)  # the CLP refuses the whole class: 119/101
            deny_protected_query(ctx, schema, where, [])
        node = parse_where(class_name, where, self.core.registry)
        if needs_other_rows(node):
            raise ParseError(Code.INVALID_QUERY, UNSUPPORTED)
        keys = query.get("keys", query.get("fields"))  # "fields": the older protocol's name for keys
        watch = query.get("watch")
        sub = Subscription(
            request_id=message["requestId"],
            identity=identity,
            op=op,
            keys=tuple(keys) if keys is not None else None,
            watch=tuple(watch) if watch is not None else None,
            envelope=self.envelope,
            send=self.send,
            base_url=self.base_url,
            client_ip=self.client_ip,
        )
        return sub, node, group_key(class_name, where)

    # ---- the sessions it reads with ----------------------------------------------------------

    async def ended_session(self) -> tuple[str, ParseError] | None:
        """A session this socket reads with (its connect's, or a subscription's own) that has ended —
        expired, idle past its timeout, logged out or revoked — and why; None while all are live.
        Asking is not a use of the session (``touch=False``)."""
        tokens = {sub.identity.session_token for sub in self.subs.values() if not sub.identity.is_master}
        if self.identity is not None and not self.identity.is_master:
            tokens.add(self.identity.session_token)
        for token in sorted(t for t in tokens if t):
            try:
                await user_for_token(self.core, token, touch=False)
            except ParseError as exc:
                if exc.code == Code.INVALID_SESSION_TOKEN:
                    return token, exc
        return None

    async def end_for_session(self, token: str, why: ParseError) -> None:
        """Tell the client (Parse's error frame: 209, no reconnect), drop its subscriptions and name
        the closing in the ledger: ``live_session_closed``, outcome ``failure``, the session's user."""
        self.send(messages.error(Code.INVALID_SESSION_TOKEN, SESSION_ENDED, False))
        subscriptions = len(self.subs)
        self.close()
        ctx = RequestContext(app_id=self.core.settings.app_id, client_ip=self.client_ip)
        e = entry(ctx, "live_session_closed", outcome=FAILURE, details=f"{why.code}: {why.message}")
        e.actor = self.users.get(token)
        e.metadata = {"liveQuery": True, "subscriptions": subscriptions}
        await self.core.ledger.append([e])

    # ---- unsubscribe / close ----------------------------------------------------------------

    def unsubscribe(self, message: dict[str, Any]) -> None:
        if self.envelope is None:
            self.send(messages.error(2, NOT_CONNECTED.format("unsubscribing")))
            return
        request_id = message["requestId"]
        sub = self.subs.pop(request_id, None)
        if sub is None:
            text = (
                f"Cannot find subscription with clientId {self.envelope.client_id} subscriptionId {request_id}. "
                "Make sure you subscribe to live query server before unsubscribing."
            )
            self.send(messages.error(2, text))
            return
        self.hub.remove(sub)
        self.send(self.envelope.simple("unsubscribed", request_id))

    def close(self) -> None:
        for sub in self.subs.values():
            self.hub.remove(sub)
        self.subs.clear()
