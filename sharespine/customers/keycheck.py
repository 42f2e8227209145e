"""At start: do the configured ENCRYPTION_KEYS open the secrets already stored?

A wrong key that is still a valid Fernet key passes every format check, and then every page that
loads a shop or an agent fails. So the web, worker and beat processes, and ``manage.py check``, try
to decrypt one stored token per secret column and stop with one line naming ``ENCRYPTION_KEYS``
when none of them opens. Nothing stored yet (or no database yet) is not an error. The token and
the plaintext are never printed.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import DatabaseError, connection

from sharespine.customers.secrets import TOKEN_PREFIX, EncryptedTextField, fernet
from sharespine.envconfig import ConfigError, stop


def _sample_tokens() -> list[str]:
    """One stored token per encrypted column, read raw (the field would decrypt on load)."""
    tokens = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            table, column = model._meta.db_table, field.column
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    # Names from the models, never from input.
                    f"SELECT {quote(column)} FROM {quote(table)} "
                    f"WHERE {quote(column)} <> '' AND {quote(column)} IS NOT NULL LIMIT 1"
                )
                row = cursor.fetchone()
            if row:
                tokens.append(row[0])
    return tokens


def _opens(token: str) -> bool:
    if not token.startswith(TOKEN_PREFIX):
        return False
    try:
        fernet().decrypt(token[len(TOKEN_PREFIX) :].encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


def verify_stored_secrets() -> None:
    """Raise ConfigError when secrets are stored and the keys open none of the sampled ones."""
    try:
        tokens = _sample_tokens()
    except DatabaseError:
        # Not reachable or not migrated yet: other checks and the first query say so.
        return
    if tokens and not any(_opens(token) for token in tokens):
        raise ConfigError(
            "ENCRYPTION_KEYS: none of the keys decrypts the stored secrets (shop passwords, agent "
            "secrets); put the old key back, after the new one, to rotate"
        )


def check_encryption_keys(app_configs=None, **kwargs) -> list:
    """System check (``manage.py check``, ``migrate``, ``runserver``): stop on a wrong key."""
    try:
        verify_stored_secrets()
    except ConfigError as exc:
        stop(exc)
    return []


def verify_or_stop() -> None:
    """For process start (wsgi, asgi, Celery worker and beat)."""
    try:
        verify_stored_secrets()
    except ConfigError as exc:
        stop(exc)
