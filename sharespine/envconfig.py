"""Reading and validating the environment, so that a bad value stops start-up with a clear message.

Every value is read through ``Config``: it accepts ``NAME_FILE`` for secrets (Docker/Kubernetes
secrets), and any malformed value raises ``ConfigError`` naming the variable. ``settings.py``
turns that into a one-line message on stderr and exit status 2, instead of a traceback that
mentions some Django internals three frames away from the real cause.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import SplitResult, urlsplit

import environ
from cryptography.fernet import Fernet


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


def stop(exc: ConfigError) -> NoReturn:
    """One line on stderr naming the variable, exit status 2: no half-configured process."""
    sys.stderr.write(f"Configuration error: {exc}\n")
    sys.stderr.flush()
    raise SystemExit(2)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Config:
    def __init__(self, environ_: dict[str, str] | None = None) -> None:
        self.environ = os.environ if environ_ is None else environ_

    def raw(self, name: str) -> str | None:
        """The value of ``name``, or the contents of the file named by ``name_FILE``."""
        file_name = self.environ.get(f"{name}_FILE")
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
        return self.environ.get(name)

    def str(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name}: expected a boolean (1/0, true/false, yes/no), got {value!r}")

    def int(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
        if number < minimum:
            raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def database(self, name: str) -> dict | None:
        """Parse a PostgreSQL URL (postgres://user:pass@host:port/db); None when unset."""
        value = self.raw(name)
        if not value:
            return None
        parts = _split_url(name, value)
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            raise ConfigError(
                f"{name}: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, got scheme "
                f"{parts.scheme or '(none)'!r}"
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ConfigError(f"{name}: the port is not a number") from None
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError(
                f"{name}: needs a host and a database name, e.g. postgres://postgres@db:5432/app"
            )
        try:
            return environ.Env.db_url_config(value)
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{name}: not a valid database URL") from None

    def redis_url(self, name: str) -> str | None:
        value = self.raw(name)
        if not value:
            return None
        parts = _split_url(name, value)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            # The scheme only: whatever else the value holds may be a password.
            raise ConfigError(
                f"{name}: expected redis://HOST:PORT/DB, got scheme {parts.scheme or '(none)'!r}"
            )
        try:
            parts.port  # noqa: B018
        except ValueError:
            raise ConfigError(f"{name}: the port is not a number") from None
        return value

    def fernet_keys(self, name: str, default_file: Path) -> list[str]:
        """Encryption keys, newest first; the first encrypts, all decrypt (for key rotation)."""
        keys = self.list(name, [])
        if not keys:
            keys = [read_or_create_secret_file(default_file, lambda: Fernet.generate_key().decode())]
        for key in keys:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                raise ConfigError(
                    f"{name}: each key must be a url-safe base64 Fernet key of 32 bytes "
                    "(make one with cryptography.fernet.Fernet.generate_key())"
                ) from None
        return keys


def _split_url(name: str, value: str) -> SplitResult:
    """``urlsplit`` that names the variable instead of raising (a bracket left open in an IPv6
    host, a bracketed host that is no address). The value is not repeated: it may hold a password."""
    try:
        parts = urlsplit(value)
        parts.hostname  # noqa: B018 - validates a bracketed IPv6 host
    except ValueError:
        raise ConfigError(
            f"{name}: not a valid URL (an IPv6 host goes in brackets: redis://[::1]:6379/0)"
        ) from None
    return parts


def ensure_dir(name: str, path: Path) -> Path:
    """Create ``path`` (under ``VAR_DIR``) or stop naming the variable that points there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot create {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{name}: {path} is not writable by this user")
    return path


def read_or_create_secret_file(path: Path, make, *, name: str = "VAR_DIR") -> str:
    """The embedded default for a secret: generated once, kept in a file only its owner can read.

    ``name`` is the variable blamed when the file cannot be read or written (its directory)."""
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        ensure_dir(name, path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(make())
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot use {path}: {exc.strerror or exc}") from None


def random_secret_key() -> str:
    return secrets.token_urlsafe(50)
