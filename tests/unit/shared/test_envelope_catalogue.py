from decimal import Decimal

import orjson
import pytest

from shared.messaging import topics as catalogue
from shared.messaging.envelope import Envelope, new_envelope
from tests.support.contract import CONTRACT_TOPIC_NAMES


def test_every_contract_topic_is_versioned_keyed_and_has_a_dlq_twin() -> None:
    for topic in catalogue.TOPICS:
        assert topic.name.endswith(".v1")
        assert topic.dlq == topic.name + ".dlq"
        assert topic.key_field in topic.data_model.model_fields
    assert len(set(catalogue.ALL_TOPIC_NAMES)) == 2 * len(catalogue.TOPICS)


def test_the_contract_topics_are_all_in_the_catalogue() -> None:
    assert set(catalogue.TOPIC_NAMES) >= CONTRACT_TOPIC_NAMES


def test_envelope_round_trip_keeps_unknown_fields() -> None:
    env = new_envelope("unit-locked", {"unit_id": "u1"}, producer="inventory", project_id="p1")
    raw = orjson.loads(env.to_bytes())
    raw["added_later"] = {"x": 1}
    raw["data"]["also_new"] = True
    again = Envelope.from_bytes(orjson.dumps(raw))
    assert again.id == env.id and again.data["also_new"] is True
    assert again.model_extra == {"added_later": {"x": 1}}


def test_envelope_rejects_unreadable_values() -> None:
    with pytest.raises(ValueError):
        Envelope.from_bytes(b"{not json")
    with pytest.raises(ValueError):
        Envelope.from_bytes(b'{"type": "x"}')


def test_money_in_event_data_serialises_as_a_two_place_string() -> None:
    data = catalogue.DEPOSIT_VERIFIED.data_model.model_validate(
        {
            "deposit_id": "d",
            "hold_id": "h",
            "unit_id": "u",
            "customer_id": "c",
            "amount": Decimal("20000.00"),
            "receipt_no": "R-1",
            "verified_by": ["a", "b"],
        }
    ).model_dump(mode="json")
    assert data["amount"] == "20000.00"
    assert catalogue.DEPOSIT_VERIFIED.key_of(data) == "u"
