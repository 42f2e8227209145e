"""A small threaded WSGI server for loopback use, with keep-alive and deliberate connection resets.

wsgiref is enough for tests, the benchmark and the demo, but out of the box it speaks HTTP/1.0
and closes every connection after one answer, while the real service (IIS) keeps connections
alive and a client's pool reuses them. It also lacks a way for the app to drop a connection with
a TCP RST, which the ``reset`` fault needs. This module adds both.
"""

from __future__ import annotations

import io
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

DEFAULT_MAX_BODY_BYTES = 30_000_000
# After refusing a body: how long and how much of it to discard before closing (a lingering close).
LINGER_SECONDS = 1.0
LINGER_BYTES = 4 * 1024 * 1024
# A refused body up to this size is read and dropped, so the connection can be reused.
DRAIN_BYTES = 64 * 1024


class ResetConnection(Exception):
    """Raised by the app: close the connection with a reset instead of answering."""


class _Handler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], ResetConnection):
            self.request_handler.reset = True
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks to close
    timeout = 60  # seconds an idle kept-alive connection may wait for its next request
    # wsgiref writes status line, headers and body separately; buffer them into one send, or
    # Nagle plus the client's delayed ACK stalls every answer on a reused connection by ~40 ms.
    wbufsize = 64 * 1024
    reset = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            while self._handle_one():
                pass
        except OSError:  # idle timeout, or the client went away (its read timeout, a reset)
            pass

    def _handle_one(self) -> bool:
        """Serve one request; False when the connection is finished."""
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or len(self.raw_requestline) > 65536 or not self.parse_request():
            return False
        environ = self.get_environ()
        app = self.server.get_app()
        # Decide from the headers alone whether to read the body at all: an unauthenticated or
        # oversized request is answered first and its connection closed, unread.
        refusal = self._refusal(app, environ)
        if refusal is not None:
            return self._refuse(*refusal)
        # Read the body up front: an answer given without reading it must not leave it in the
        # stream, where it would be taken for the next request on this connection.
        body = self.rfile.read(int(environ.get("CONTENT_LENGTH") or 0))
        handler = _Handler(io.BytesIO(body), self.wfile, self.get_stderr(), environ, multithread=True)
        handler.http_version = "1.1"
        handler.request_handler = self
        handler.run(app)
        self.wfile.flush()
        if self.reset:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        return not self.close_connection

    def _refusal(self, app, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return "411 Length Required", [("Content-Type", "text/plain")], b"Length Required"
        length = self.headers.get("Content-Length") or "0"
        if not length.isascii() or not length.isdigit():
            return "400 Bad Request", [("Content-Type", "text/plain")], b"Bad Request"
        # Credentials first: a stranger learns nothing, not even the size limit.
        refuse = getattr(app, "refuse", None)
        refusal = refuse(environ) if refuse is not None else None
        if refusal is None and int(length) > getattr(app, "max_body_bytes", DEFAULT_MAX_BODY_BYTES):
            return (
                "413 Request Entity Too Large",
                [("Content-Type", "text/plain")],
                b"Request Entity Too Large",
            )
        return refusal

    def _refuse(self, status: str, headers: list[tuple[str, str]], body: bytes) -> bool:
        """Answer without reading the body first; True when the connection stays open.

        A small body (a 401 to a client that sent no credentials) is then read and dropped, so the
        connection is reused as IIS would; a large or unknown one is not read: the answer says
        ``Connection: close`` and the rest is discarded for at most a moment before closing.
        """
        length = self.headers.get("Content-Length") or ""
        keep = status[:3] == "401" and length.isascii() and length.isdigit() and int(length) <= DRAIN_BYTES
        lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers)]
        lines += [f"Content-Length: {len(body)}", "Connection: " + ("keep-alive" if keep else "close")]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.wfile.flush()
        if keep:
            self.rfile.read(int(length))
            return not self.close_connection
        self.close_connection = True
        # Closing with unread data in the socket makes the kernel send a reset, which can destroy
        # the answer before the client reads it: stop sending, then discard a bounded amount.
        try:
            self.request.shutdown(socket.SHUT_WR)
            self.request.settimeout(LINGER_SECONDS)
            drained = 0
            while drained < LINGER_BYTES:
                chunk = self.request.recv(64 * 1024)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        return False

    def log_message(self, format: str, *args) -> None:
        return


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    connections = 0  # accepted TCP connections, so tests can see keep-alive at work

    def process_request(self, request, client_address) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        # A reset connection must not send a FIN first; just close (linger 0 makes it an RST).
        try:
            linger = request.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)
        except OSError:
            linger = b""
        if linger[:4] == struct.pack("i", 1):
            self.close_request(request)
            return
        super().shutdown_request(request)


class RunningServer:
    """A server on a background thread; ``url`` is the SOAP endpoint's base (scheme, host, port)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = ThreadingServer((host, port), _RequestHandler)
        self.httpd.set_app(app)
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        # A short poll interval: stop() waits for it, and tests start and stop servers often.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="jetshop-sim", daemon=True
        )

    def start(self) -> RunningServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start_process(*flags: str, cwd: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """``python -m connectors.jetshop.simulator`` on a free loopback port, once it serves.

    Returns the process (the caller terminates it) and the base URL. Readiness is the banner line
    the command prints after binding, so there is nothing to poll.
    """
    port = free_port()
    command = [sys.executable, "-m", "connectors.jetshop.simulator", "--port", str(port), *flags]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, text=True)
    banner = process.stdout.readline() if process.stdout else ""
    if "Jetshop simulator on" not in banner:
        process.kill()
        raise RuntimeError(f"simulator did not start: {banner!r} (exit code {process.wait()})")
    return process, f"http://127.0.0.1:{port}"
