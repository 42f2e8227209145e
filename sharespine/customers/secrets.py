"""Secrets at rest: a model field that stores a Fernet token, never the plaintext.

The keys come from ``settings.ENCRYPTION_KEYS`` (newest first, so keys can be rotated: old
tokens still decrypt, new writes use the first key). The Python value is a ``Secret`` whose
``repr``/``str`` never show the plaintext, so a stray log line or debug page cannot leak it.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

TOKEN_PREFIX = "fernet:"


class Secret(str):
    """A plaintext secret that hides itself from repr() and str() formatting in logs."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"

    def reveal(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return "***" if self else ""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return TOKEN_PREFIX + fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        raise ImproperlyConfigured("stored secret is not an encrypted token")
    try:
        return fernet().decrypt(token[len(TOKEN_PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored secret cannot be decrypted with ENCRYPTION_KEYS (was the key changed without "
            "keeping the old one in the list?)"
        ) from None


class _SecretAttribute(DeferredAttribute):
    """Whatever is assigned (a form's string, a factory's literal) is held as a ``Secret`` at once,
    so code that uses the value calls ``reveal()`` whether or not the row came from the database."""

    def __set__(self, instance, value):
        if value is not None and not isinstance(value, Secret):
            value = Secret(value)
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Stores ``fernet:<token>``; reads back a ``Secret``. Empty stays empty."""

    descriptor_class = _SecretAttribute
    # For django-stubs: the attribute reads back a ``Secret`` (annotations only, nothing at runtime).
    _pyi_private_set_type: str
    _pyi_private_get_type: Secret

    def from_db_value(self, value, expression, connection):
        if not value:
            return Secret("")
        return Secret(decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value):
        if value is None or value == "":
            return ""
        plaintext = value.reveal() if isinstance(value, Secret) else str(value)
        return encrypt(plaintext)

    def value_to_string(self, obj):
        # Serialisation (dumpdata) carries the token, never the plaintext.
        return self.get_prep_value(self.value_from_object(obj))
