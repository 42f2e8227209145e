"""Outbound mode: the agent dials the integration server's gateway; nothing listens at the merchant.

The agent opens one WebSocket to the gateway (``wss://`` in production, through the office's HTTP
proxy when one is configured or set in Windows), authenticates it with its key id and secret
(``connectors.visma.gateway.wire``), and serves the requests that come down it with the very WSGI
application that serves direct mode — same routing, signature check, replay window, idempotency
keys and bounds — on a pool of ``threads`` threads, like waitress would. Answers go back up the same
connection, tagged with the request's id.

When the connection drops it reconnects with exponential back-off and full jitter (so a gateway
restart does not bring every agent back in the same second); a refused key backs off to the
maximum at once and says so in the log. WebSocket pings both ways are the heartbeat.
"""

from __future__ import annotations

import io
import logging
import random
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from connectors.visma.gateway import wire

log = logging.getLogger("connectors.visma.agent.outbound")
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before connection attempt ``attempt`` (1, 2, …): full jitter, capped."""
    ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def call_app(app: WsgiApp, message: wire.Message, remote: str = "gateway") -> wire.Message:
    """Run one request through the agent's WSGI application, in process, and capture its answer."""
    path, _, query = message.path.partition("?")
    headers = message.headers or {}
    environ: dict[str, Any] = {
        "REQUEST_METHOD": message.method,
        # WSGI carries the decoded path as latin-1 text of its UTF-8 bytes (what waitress hands over).
        "PATH_INFO": unquote(path).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query,
        # The path exactly as the server signed it (with its nonce): the signature is checked on this.
        "REQUEST_URI": message.path,
        "CONTENT_LENGTH": str(len(message.body)),
        "CONTENT_TYPE": headers.get("Content-Type", ""),
        "REMOTE_ADDR": remote,
        "SERVER_NAME": "agent",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(message.body),
        "wsgi.url_scheme": "https",
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[f"HTTP_{key}"] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return wire.response(message.id, captured["status"], captured["headers"], body)


class OutboundLink:
    """The agent's connection to the gateway; ``run`` returns when ``stop`` is set."""

    def __init__(
        self,
        app: WsgiApp,
        gateway: str,
        key_id: str,
        secret: str,
        *,
        threads: int = 16,
        proxy: str = "",
        ca_file: str = "",
        ping_interval: float = 10.0,
        ping_timeout: float = 20.0,
    ) -> None:
        self.app = app
        self.gateway = gateway.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.threads = threads
        self.proxy = proxy
        self.ca_file = ca_file
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.connected = threading.Event()
        self._ws: Any = None
        self._send_lock = threading.Lock()

    def _proxy_setting(self) -> str | Literal[True] | None:
        # "" → the system's settings (HTTPS_PROXY, or Internet Options on Windows); "direct" → none.
        if not self.proxy:
            return True
        return None if self.proxy == "direct" else self.proxy

    def _connect(self) -> Any:
        from websockets.sync.client import connect  # the agent's only extra dependency for this mode

        path, headers = wire.connect_request(self.key_id, self.secret)
        context = None
        if self.gateway.startswith("wss://"):
            context = ssl.create_default_context(cafile=self.ca_file or None)
        return connect(
            self.gateway + path,
            additional_headers=headers,
            ssl=context,
            proxy=self._proxy_setting(),
            max_size=wire.MAX_MESSAGE,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            compression=None,
            open_timeout=15,
            user_agent_header="sharespine-visma-agent",
        )

    def run(self, stop: threading.Event) -> None:
        from websockets.exceptions import InvalidStatus, WebSocketException

        attempt = 0
        where = urlsplit(self.gateway).netloc
        with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="agent-request") as pool:
            while not stop.is_set():
                attempt += 1
                try:
                    ws = self._connect()
                except InvalidStatus as exc:
                    status = exc.response.status_code
                    if status == 401:
                        log.error(
                            "the gateway %s refused this agent's key %r: check key_id and secret",
                            where,
                            self.key_id,
                        )
                        attempt = max(attempt, 8)  # no point hammering it: straight to the long wait
                    else:
                        log.warning("the gateway %s answered HTTP %s", where, status)
                except (OSError, WebSocketException, TimeoutError) as exc:
                    log.warning("cannot reach the gateway %s: %s", where, exc)
                else:
                    # Replaced by another connection with this key: two agents share a key (or an old
                    # one still runs). Back off long, or the two would take turns every second.
                    attempt = 6 if self._serve(ws, pool, stop) else 0
                if not stop.is_set():
                    wait = backoff(max(attempt, 1))
                    log.info("reconnecting to %s in %.1f s", where, wait)
                    stop.wait(wait)

    def _serve(self, ws: Any, pool: ThreadPoolExecutor, stop: threading.Event) -> bool:
        """Serve requests until the connection ends; True when the gateway replaced it."""
        from websockets.exceptions import ConnectionClosed

        replaced = False
        self._ws = ws
        self.connected.set()
        log.info("connected to the gateway %s", urlsplit(self.gateway).netloc)
        watcher = threading.Thread(target=self._close_on_stop, args=(ws, stop), daemon=True)
        watcher.start()
        try:
            for text in ws:
                try:
                    message = wire.decode(text)
                except wire.WireError as exc:
                    log.warning("unreadable message from the gateway: %s", exc)
                    continue
                if message.kind == "request":
                    pool.submit(self._answer, ws, message)
        except ConnectionClosed as exc:
            if exc.rcvd and exc.rcvd.code == wire.CLOSE_REPLACED:
                log.warning("the gateway closed this connection: another connection uses the same key")
                replaced = True
        finally:
            self.connected.clear()
            self._ws = None
            if ws.close_code is None:
                ws.close()
            log.info("disconnected from the gateway (close code %s)", ws.close_code)
        return replaced

    def _answer(self, ws: Any, message: wire.Message) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            answer = call_app(self.app, message)
        except Exception:  # AgentApp turns every failure into JSON; this is only a last resort
            log.exception("request %s failed", message.id)
            answer = wire.response(
                message.id,
                500,
                {"Content-Type": "application/json"},
                b'{"error":{"category":"internal","message":"internal error"}}',
            )
        try:
            with self._send_lock:
                ws.send(answer.encode())
        except ConnectionClosed:
            # The server sees the connection end and retries; a write is safe to repeat (idempotency).
            log.warning(
                "the connection ended before the answer to %s %s could be sent",
                message.method,
                message.path.split("?")[0],
            )

    @staticmethod
    def _close_on_stop(ws: Any, stop: threading.Event) -> None:
        while ws.close_code is None:
            if stop.wait(0.5):
                ws.close()
                return
