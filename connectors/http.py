"""The one outbound HTTP seam: explicit timeouts, a User-Agent, redacted logging, error mapping.

Every connector builds its session here so that no call can go out without a timeout and no
secret (Authorization header, password, signature) ends up in a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests

from connectors.errors import PermanentError, RateLimited, TransientError

log = logging.getLogger("connectors.http")

USER_AGENT = "sharespine-integration/1.0"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def redact_url(url: str) -> str:
    """Drop user info and the query string: both may carry credentials."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def classify_status(response: requests.Response) -> None:
    """Raise the taxonomy's error for a non-2xx response; return quietly otherwise."""
    status = response.status_code
    if status < 400:
        return
    snippet = response.text[:500] if response.text else ""
    if status == 429:
        raise RateLimited(
            f"HTTP 429 from {redact_url(response.url)}",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            code=status,
            detail=snippet,
        )
    if status >= 500 or status in (408, 425):
        raise TransientError(f"HTTP {status} from {redact_url(response.url)}", code=status, detail=snippet)
    raise PermanentError(f"HTTP {status} from {redact_url(response.url)}", code=status, detail=snippet)


class HttpSession:
    """A ``requests.Session`` wrapper that always applies timeouts and maps network errors.

    ``request`` returns the response for any HTTP status when ``check=False`` so that a
    protocol layer (SOAP faults arrive as HTTP 500) can classify the body itself.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        pool_size: int = 4,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.trust_env = False  # never route through a proxy from the environment
        adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        if headers:
            self.session.headers.update(headers)
        if auth:
            self.session.auth = auth

    def request(
        self,
        method: str,
        url: str,
        *,
        check: bool = True,
        **kwargs,
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        started = time.monotonic()
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(f"timeout calling {redact_url(url)}", code="timeout") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"cannot reach {redact_url(url)}", code="connection") from exc
        except requests.RequestException as exc:
            raise TransientError(f"HTTP error calling {redact_url(url)}: {type(exc).__name__}") from exc
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            redact_url(url),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if check:
            classify_status(response)
        return response

    def close(self) -> None:
        self.session.close()
