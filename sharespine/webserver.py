"""The web process: waitress serving ``sharespine.wsgi``, with settings that survive slow clients.

``python -m sharespine.webserver [--host H] [--port P]`` (Dockerfile, docker-compose, Procfile).

Why waitress and not gunicorn's sync workers: a sync worker belongs to one connection from its
first byte, so three clients that send their headers slowly held all three workers and every
other request waited ~31 s (gunicorn's worker timeout). Waitress reads every connection in one
event loop and hands a request to a worker thread only once it has arrived in full (the body
buffered, to a temporary file when large), so a slow or idle client costs a socket, not a thread.
``bench/slow_clients.py`` measures it.

What is left: more than ``connection_limit`` simultaneous slow connections from an attacker still
fill the server; a reverse proxy with per-address connection limits in front handles that.
"""

from __future__ import annotations

import argparse

from waitress import serve

from sharespine.envconfig import Config, ConfigError, stop

# Worker threads run views; connections beyond them wait in the event loop, not in a thread.
DEFAULT_THREADS = 8
OPTIONS = {
    # Slow clients are cheap here (a socket each): allow many before new ones have to wait.
    "connection_limit": 1000,
    # A connection that sends nothing for this long is closed (slow-header clients included).
    "channel_timeout": 30,
    "cleanup_interval": 5,
    # Admin forms and dashboard posts are small; nothing legitimate comes near this.
    "max_request_body_size": 10 * 1024 * 1024,
    "max_request_header_size": 64 * 1024,
    # poll(), not select(): select() cannot watch more than 1024 sockets.
    "asyncore_use_poll": True,
    "ident": "sharespine",
}


def options(threads: int) -> dict:
    return {**OPTIONS, "threads": threads}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        threads = Config().int("WEB_THREADS", DEFAULT_THREADS, minimum=1)
    except ConfigError as exc:
        stop(exc)

    from sharespine.wsgi import application  # after the arguments: --help needs no settings

    serve(application, host=args.host, port=args.port, **options(threads))


if __name__ == "__main__":
    main()
