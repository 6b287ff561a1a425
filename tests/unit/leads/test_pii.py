"""R18: personal data at rest is encrypted; phones are found by a keyed hash that says nothing without the key."""

import pytest
from cryptography.fernet import InvalidToken
from hypothesis import given
from hypothesis import strategies as st

from shared.trust.pii import Vault

PHONE = "+8613812345678"


def test_encryption_round_trips_and_the_stored_bytes_do_not_contain_the_phone() -> None:
    vault = Vault("k1")
    token = vault.encrypt(PHONE)
    assert vault.decrypt(token) == PHONE
    for fragment in (PHONE.encode(), b"13812345678"):
        assert fragment not in token
    assert vault.encrypt(PHONE) != token  # a fresh IV each time: equal phones do not look equal at rest


def test_another_key_cannot_read_it() -> None:
    with pytest.raises(InvalidToken):
        Vault("k2").decrypt(Vault("k1").encrypt(PHONE))


def test_the_lookup_hash_is_stable_per_key_and_differs_across_keys() -> None:
    vault = Vault("k1")
    assert vault.phone_hash(PHONE) == Vault("k1").phone_hash(PHONE)
    assert vault.phone_hash(PHONE) != Vault("k2").phone_hash(PHONE)
    assert vault.phone_hash(PHONE) != vault.phone_hash("+8613812345679")
    assert b"13812345678" not in vault.phone_hash(PHONE) and len(vault.phone_hash(PHONE)) == 32


def test_profiles_round_trip_encrypted() -> None:
    vault = Vault("k1")
    profile = {
        "occupation": "teacher",
        "household": {"people": 3, "children": ["primary school"]},
        "budget": "3000000.00",
    }
    token = vault.encrypt_json(profile)
    assert b"teacher" not in token and vault.decrypt_json(token) == profile
    assert vault.decrypt_json(None, {}) == {}


@given(st.text(min_size=1, max_size=200))
def test_any_text_round_trips(text: str) -> None:
    vault = Vault("k")
    assert vault.decrypt(vault.encrypt(text)) == text
