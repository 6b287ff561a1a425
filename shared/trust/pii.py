"""Personal data at rest (R18): encrypted with Fernet; phones found by a keyed hash (HMAC-SHA256).

One vault for every service that must keep personal data (leads; a third-party payer in payments).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

import orjson
from cryptography.fernet import Fernet


class Vault:
    """Keys derived from ESTATE_PII_KEY: one for encryption, one for lookup hashes."""

    def __init__(self, secret: str) -> None:
        def derive(label: bytes) -> bytes:
            return hmac.new(secret.encode(), label, hashlib.sha256).digest()

        self._fernet = Fernet(base64.urlsafe_b64encode(derive(b"estate-leads-encryption")))
        self._hash_key = derive(b"estate-leads-phone-hash")

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode())

    def decrypt(self, token: bytes) -> str:
        return self._fernet.decrypt(bytes(token)).decode()

    def encrypt_json(self, value: Any) -> bytes:
        """A structured record (profile, feedback) sealed as one token."""
        return self._fernet.encrypt(orjson.dumps(value, default=str))

    def decrypt_json(self, token: bytes | None, default: Any = None) -> Any:
        return default if token is None else orjson.loads(self._fernet.decrypt(bytes(token)))

    def phone_hash(self, e164: str) -> bytes:
        """Same phone, same hash; without the key the hash says nothing."""
        return hmac.new(self._hash_key, e164.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=1)
def platform_vault() -> Vault:
    """The vault of this process's ESTATE_PII_KEY (one per process, like the settings)."""
    from shared.runtime.settings import get_settings

    return Vault(get_settings().pii_key)


def seal_text(text: str) -> bytes:
    """Staff's free text about a person (a claim's reason, say), sealed with the platform's key (R18)."""
    return platform_vault().encrypt(text)


def open_text(sealed: bytes | None, plain: str | None = None) -> str | None:
    """Sealed text opened; a row from before sealing gives its plain column until the sealing job moves it."""
    return platform_vault().decrypt(sealed) if sealed is not None else plain
