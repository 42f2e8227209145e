"""Serve a KlarnaSimulator on a loopback port in a thread (tests, the demo)."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from connectors.klarna.simulator.app import KlarnaSimulator


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class RunningSimulator:
    def __init__(self, app: KlarnaSimulator, port: int = 0) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", port, app, server_class=_Threading, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> RunningSimulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
