"""A small threaded WSGI server for loopback use that can also reset a connection on purpose.

wsgiref is enough for tests, the benchmark and the demo; the one thing it lacks is a way for the
app to drop a connection with a TCP RST, which the ``reset`` fault needs.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer


class ResetConnection(Exception):
    """Raised by the app: close the connection with a reset instead of answering."""


class _Handler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], ResetConnection):
            self.request_handler.reset = True
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    reset = False

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            return
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        if self.reset:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def log_message(self, format: str, *args) -> None:
        return


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

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
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="jetshop-sim", daemon=True)

    def start(self) -> RunningServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
