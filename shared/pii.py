"""Personal data at rest (R18): encrypted with Fernet; phones found by a keyed hash (HMAC-SHA256).

One vault for every service that must keep personal data (leads; a third-party payer in payments).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
