"""The agent gateway: agents connect out to it over WebSocket; requests reach them through the broker.

One asyncio process holds many long-lived connections (``websockets``; the sync web workers never
hold them). Per connection:

1. the HTTP upgrade is authenticated before it is accepted (``wire.verify_connect``): unknown key,
   bad signature, stale timestamp or a replayed signature → HTTP 401, logged with the reason;
2. the connection claims its key in the broker. **The newest connection for a key wins**: an older
   one (on this gateway or another) is closed with code 4000. Refusing the newcomer instead would
   lock an agent out after a network cut until the half-open old connection timed out;
3. one thread per gateway takes requests from the queues of the keys this gateway holds (a single
   blocking pop over all of them), forwards each to its agent and writes the answer back;
4. every ``refresh_seconds`` the gateway extends its claims (a claim lost to a newer connection
   closes the old one) and reports the round trip of the last ping (``on_seen``).

When a connection ends, requests it had taken get an answer saying so at once, so no caller waits
for its timeout; the caller treats that like an unreachable agent (transient) and the engine
retries. Heartbeats are WebSocket pings both ways; a peer that misses them is dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from connectors.visma.gateway import wire
from connectors.visma.gateway.broker import Broker

log = logging.getLogger("connectors.visma.gateway")


class Events:
    """What the gateway reports (the Django entry stores it on ``VismaAgent``). Called on worker
    threads, never on the event loop; exceptions are logged and ignored."""

    def connected(self, key: str, remote: str) -> None: ...

    def disconnected(self, key: str) -> None: ...

    def seen(self, key: str, round_trip_ms: float | None) -> None: ...

    def refused(self, key: str, remote: str, reason: str) -> None: ...


@dataclass
class Link:
    key: str
    conn: str
    ws: ServerConnection
    pending: set[str] = field(default_factory=set)


def error_answer(rid: str, message: str) -> str:
    """An answer the gateway writes itself: the agent never answered (see ``transport``)."""
    return json.dumps({"type": "error", "id": rid, "message": message})


class Gateway:
    def __init__(
        self,
        broker: Broker,
        secret_of: Callable[[str], str | None],
        *,
        events: Events | None = None,
        name: str | None = None,
        ttl: float = 30.0,
        refresh_seconds: float = 10.0,
        ping_interval: float = 10.0,
        ping_timeout: float = 20.0,
    ) -> None:
        self.broker = broker
        # A key id names one agent: its one secret, or None for a key nobody holds.
        self.secret_of = secret_of
        self.events = events or Events()
        self.name = name or uuid.uuid4().hex[:12]
        self.ttl = ttl
        self.refresh_seconds = refresh_seconds
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.links: dict[str, Link] = {}
        self._keys_lock = threading.Lock()
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- events on worker threads -------------------------------------------------------------------

    def _report(self, name: str, *args: Any) -> None:
        try:
            getattr(self.events, name)(*args)
        except Exception:  # a database hiccup must not drop an agent's connection
            log.exception("gateway event %s failed", name)

    # --- the HTTP upgrade -----------------------------------------------------------------------------

    async def _authenticate(self, connection: ServerConnection, request: Request) -> Response | None:
        remote = _remote(connection)
        key = request.headers.get("X-Agent-Key", "") or ""
        if not request.path.split("?", 1)[0] == wire.CONNECT_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        reason = "missing key id" if not key or len(key) > 100 else ""
        if not reason:
            found = await asyncio.to_thread(self.secret_of, key)
            reason = wire.verify_connect(request.path, request.headers, found)
        if not reason:
            signature = request.headers.get("X-Agent-Signature", "")
            fresh = await asyncio.to_thread(self.broker.first_time, f"connect:{signature}", 2 * 300 + 1)
            reason = "" if fresh else "replayed signature"
        if reason:
            log.warning("refused agent connection from %s for key %r: %s", remote, key[:100], reason)
            await asyncio.to_thread(self._report, "refused", key[:100], remote, reason)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "refused\n")
        connection.agent_key = key  # type: ignore[attr-defined]
        return None

    # --- one agent's connection -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        key: str = ws.agent_key  # type: ignore[attr-defined]
        link = Link(key, f"{self.name}:{uuid.uuid4().hex[:12]}", ws)
        old = self.links.get(key)
        with self._keys_lock:
            self.links[key] = link
        if old is not None:
            log.info("agent %r connected again: closing its older connection", key)
            await old.ws.close(wire.CLOSE_REPLACED, wire.CLOSE_REPLACED_REASON)
        await asyncio.to_thread(self.broker.claim, key, link.conn, self.ttl)
        await asyncio.to_thread(self.broker.wake, self.name)
        remote = _remote(ws)
        log.info("agent %r connected from %s (%s)", key, remote, link.conn)
        await asyncio.to_thread(self._report, "connected", key, remote)
        try:
            async for text in ws:
                try:
                    message = wire.decode(text)
                except wire.WireError as exc:
                    log.warning("agent %r sent an unreadable message: %s", key, exc)
                    continue
                if message.kind != "response" or message.id not in link.pending:
                    log.warning("agent %r answered a request it was not sent", key)
                    continue
                link.pending.discard(message.id)
                answer = text if isinstance(text, str) else text.decode("utf-8")  # a binary frame
                await asyncio.to_thread(self.broker.answer, message.id, answer)
        except ConnectionClosed:
            pass
        finally:
            await self._closed(link)

    async def _closed(self, link: Link) -> None:
        with self._keys_lock:
            if self.links.get(link.key) is link:
                del self.links[link.key]
        for rid in list(link.pending):
            await asyncio.to_thread(
                self.broker.answer, rid, error_answer(rid, "the agent's connection ended")
            )
        link.pending.clear()
        await asyncio.to_thread(self.broker.release, link.key, link.conn)
        code = link.ws.close_code
        log.info("agent %r disconnected (%s, close code %s)", link.key, link.conn, code)
        if code != wire.CLOSE_REPLACED and not self._stopping.is_set():
            # Offline only if no newer connection (here or on another gateway) holds the agent now.
            if await asyncio.to_thread(self.broker.owner, link.key) is None:
                await asyncio.to_thread(self._report, "disconnected", link.key)

    # --- requests from the broker ---------------------------------------------------------------------

    def _pop_loop(self) -> None:
        """One blocking pop over the queues of every key held here (a thread, not the event loop)."""
        assert self._loop is not None
        while not self._stopping.is_set():
            with self._keys_lock:
                keys = list(self.links)
            try:
                found = self.broker.pop(keys, self.name, 1.0)
            except Exception:
                log.exception("gateway: the broker failed; retrying in 1 s")
                time.sleep(1)
                continue
            if found is not None:
                self._forward(*found)

    def _forward(self, key: str, payload: str) -> None:
        """On the pop thread: mark the request taken, then hand the send to the event loop without
        waiting for it, so one agent's slow line never holds up requests for the others."""
        assert self._loop is not None
        try:
            message = wire.decode(payload)
        except wire.WireError:
            log.error("dropped an unreadable request for agent %r", key)
            return
        if message.deadline and message.deadline < time.time():
            log.info("dropped a request for agent %r whose caller has stopped waiting", key)
            return
        with self._keys_lock:
            link = self.links.get(key)
        if link is None:  # the agent left between the pop and now: leave it for its next connection
            self.broker.requeue(key, message.id, payload)
            return
        self.broker.mark_taken(message.id, link.conn)
        asyncio.run_coroutine_threadsafe(self._send(link, message.id, payload), self._loop)

    async def _send(self, link: Link, rid: str, payload: str) -> None:
        if self.links.get(link.key) is not link:  # it ended meanwhile: the caller must not wait
            await asyncio.to_thread(
                self.broker.answer, rid, error_answer(rid, "the agent's connection ended")
            )
            return
        link.pending.add(rid)
        try:
            await link.ws.send(payload)
        except ConnectionClosed:
            pass  # _closed answers everything still pending

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            for link in list(self.links.values()):
                held = await asyncio.to_thread(self.broker.refresh, link.key, link.conn, self.ttl)
                if not held:
                    log.info("agent %r is held by a newer connection elsewhere: closing this one", link.key)
                    await link.ws.close(wire.CLOSE_REPLACED, wire.CLOSE_REPLACED_REASON)
                    continue
                latency = link.ws.latency  # seconds, from the last ping's pong (0 before the first)
                await asyncio.to_thread(self._report, "seen", link.key, latency * 1000 if latency else None)

    # --- running ----------------------------------------------------------------------------------------

    async def run(self, host: str, port: int, *, ready: Callable[[int], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        async with serve(
            self._handle,
            host,
            port,
            process_request=self._authenticate,
            max_size=wire.MAX_MESSAGE,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            compression=None,  # JSON of signed requests; deflate costs more CPU than it saves here
            server_header="sharespine-agent-gateway",
        ) as server:
            bound = server.sockets[0].getsockname()[1] if server.sockets else port
            log.info("agent gateway %s listening on %s:%s", self.name, host, bound)
            popper = threading.Thread(target=self._pop_loop, name="gateway-pop", daemon=True)
            popper.start()
            refresher = asyncio.create_task(self._refresh_loop())
            if ready:
                ready(bound)
            try:
                await asyncio.Future()  # until cancelled (SIGTERM / SIGINT)
            finally:
                self._stopping.set()
                refresher.cancel()
                # Release the claims now so callers see "not connected" instead of waiting for the
                # time-to-live; the agents reconnect (to another gateway, or this one restarted).
                for link in list(self.links.values()):
                    await asyncio.to_thread(self.broker.release, link.key, link.conn)
                server.close()
                await asyncio.to_thread(popper.join, 3)


def _remote(connection: ServerConnection) -> str:
    # Behind a reverse proxy the peer is the proxy; the agent's own address is in X-Forwarded-For.
    try:
        forwarded = connection.request.headers.get("X-Forwarded-For") if connection.request else None
    except AttributeError:
        forwarded = None
    address = connection.remote_address
    peer = f"{address[0]}" if address else "?"
    return f"{forwarded} via {peer}" if forwarded else peer
