"""``VismaClient``'s transport when the agent is outbound: the same signed request, through the broker.

The request is prepared exactly as ``HttpSession`` would send it (``HmacAuth`` adds the nonce and
signs the path with query and the body bytes), queued for whichever gateway holds the agent's
connection, and the agent's answer comes back as a ``requests.Response``, so ``VismaClient`` reads
it the same way in both modes. Failures of the transport itself are ``TransientError`` like a
connection error over HTTP: the agent is not connected, nobody took the request in time, the
connection that took it ended (its answer can never come: the engine's transient path retries, and
the Idempotency-Key makes a re-sent create return the document the first one made), or the answer
did not come within the read timeout.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from connectors.errors import TransientError
from connectors.http import USER_AGENT
from connectors.visma.gateway import wire
from connectors.visma.gateway.broker import Broker

log = logging.getLogger("connectors.visma.gateway.transport")
# ``VismaClient`` needs a base URL to build paths on; in outbound mode it names no host we connect to.
OUTBOUND_BASE_URL = "http://outbound-agent.invalid"
REASONS = {200: "OK", 201: "Created"}


class GatewayTransport:
    """Has ``HttpSession``'s ``request``/``close`` so ``VismaClient`` can use either.

    ``connect_timeout`` is how long a queued request may wait to be taken: long enough for an agent
    that is reconnecting (a gateway restart, a new connection after a cut) to pick it up.
    """

    def __init__(
        self,
        broker: Broker,
        key_id: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        close_broker: bool = False,
    ) -> None:
        self.broker = broker
        self.key_id = key_id
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.close_broker = close_broker

    def request(self, method: str, url: str, *, check: bool = False, **kwargs: Any) -> requests.Response:
        prepared = requests.Request(
            method,
            url,
            data=kwargs.get("data"),
            headers={"User-Agent": USER_AGENT, **(kwargs.get("headers") or {})},
            auth=kwargs.get("auth"),
        ).prepare()
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        rid = uuid.uuid4().hex
        started = time.monotonic()
        message = wire.request(
            rid,
            method.upper(),
            prepared.path_url,
            dict(prepared.headers),
            body,
            time.time() + self.read_timeout,
        )
        payload = message.encode()
        if self.broker.owner(self.key_id) is None:
            raise TransientError(
                f"the Visma agent {self.key_id!r} is not connected to the gateway", code="connection"
            )
        self.broker.submit(self.key_id, rid, payload)
        answer = self._wait(rid, payload, started)
        return self._response(answer, url, started)

    def _wait(self, rid: str, payload: str, started: float) -> str:
        pickup_by = started + self.connect_timeout
        give_up = started + self.read_timeout
        while True:
            answer = self.broker.wait_answer(rid, max(0.0, min(1.0, give_up - time.monotonic())))
            if answer is not None:
                return answer
            now = time.monotonic()
            taken = self.broker.taken_by(rid)
            if taken is None:
                if now >= pickup_by and self.broker.withdraw(self.key_id, rid, payload):
                    raise TransientError(
                        f"the Visma agent {self.key_id!r} did not take the request within"
                        f" {self.connect_timeout:.0f} s",
                        code="connection",
                    )
            elif self.broker.owner(self.key_id) != taken:
                # The connection that took it has gone (cut, or its gateway died): no answer will come.
                answer = self.broker.wait_answer(rid, 0.01)  # unless it came just now
                if answer is not None:
                    return answer
                raise TransientError(
                    f"the Visma agent {self.key_id!r} lost its connection during the request",
                    code="connection",
                )
            if now >= give_up:
                self.broker.withdraw(self.key_id, rid, payload)
                raise TransientError(f"timeout waiting for the Visma agent {self.key_id!r}", code="timeout")

    def _response(self, answer: str, url: str, started: float) -> requests.Response:
        try:
            data = json.loads(answer)
        except ValueError as exc:
            raise TransientError(
                "the agent gateway returned an unreadable answer", code="connection"
            ) from exc
        if isinstance(data, dict) and data.get("type") == "error":
            raise TransientError(f"Visma agent {self.key_id!r}: {data.get('message')}", code="connection")
        try:
            message = wire.decode(answer)
        except wire.WireError as exc:
            raise TransientError(
                f"the agent answered something unreadable: {exc}", code="connection"
            ) from exc
        response = requests.Response()
        response.status_code = message.status
        response.reason = REASONS.get(message.status, "")
        response.headers = CaseInsensitiveDict(message.headers or {})
        response._content = message.body
        response.encoding = "utf-8"
        response.url = url
        log.debug(
            "%s via gateway -> %s in %.1f ms",
            self.key_id,
            message.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def close(self) -> None:
        if self.close_broker:
            self.broker.close()
