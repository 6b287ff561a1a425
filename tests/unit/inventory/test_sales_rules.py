"""The deal's paperwork rules in the pure domain: subscription (R27), contract (R29), handover (R32)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.inventory.domain import (
    BuyerSignatureRequired,
    ContractSigning,
    IdCopyRequired,
    InvalidInput,
    InvalidTransition,
    PoaNotNotarized,
    SubscriptionTerms,
    UnitStatus,
    check_cancellation,
    check_contract,
    check_handover,
    check_subscription,
)

S = UnitStatus
PRICE = Decimal("1980000.00")
TODAY = date(2026, 11, 23)


def terms(**over) -> SubscriptionTerms:
    values = {"buyer_signed": True, "down_payment": Decimal("600000.00"), "due_date": TODAY + timedelta(days=14)}
    values.update(over)
    return SubscriptionTerms(**values)


def test_r27_a_reserved_unit_signed_by_the_buyer_is_subscribed() -> None:
    check_subscription(S.RESERVED, terms(), PRICE, TODAY)
    check_subscription(S.RESERVED, terms(due_date=TODAY, down_payment=PRICE), PRICE, TODAY)


@pytest.mark.parametrize("status", [s for s in S if s is not S.RESERVED])
def test_r27_only_a_reserved_unit_can_be_subscribed(status) -> None:
    with pytest.raises(InvalidTransition):
        check_subscription(status, terms(), PRICE, TODAY)


def test_r27_the_buyer_signs_in_person() -> None:
    with pytest.raises(BuyerSignatureRequired) as caught:
        check_subscription(S.RESERVED, terms(buyer_signed=False), PRICE, TODAY)
    assert caught.value.code == "buyer_signature_required"


@pytest.mark.parametrize(
    "down,due",
    [
        (Decimal("0.00"), TODAY),
        (Decimal("-1.00"), TODAY),
        (PRICE + Decimal("0.01"), TODAY),
        (Decimal("1.00"), TODAY - timedelta(days=1)),
    ],
)
def test_r27_the_agreement_is_free_of_errors(down, due) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_subscription(S.RESERVED, terms(down_payment=down, due_date=due), PRICE, TODAY)
    assert caught.value.code == "invalid_down_payment"


def test_r27_a_step_out_of_order_is_refused_before_the_paperwork_is_read() -> None:
    with pytest.raises(InvalidTransition):
        check_subscription(S.HELD, terms(buyer_signed=False), PRICE, TODAY)


def signing(**over) -> ContractSigning:
    values = {"contract_no": "HT-2026-001", "signatory": "buyer", "poa_notarized": False, "id_copy_kept": True}
    values.update(over)
    return ContractSigning(**values)


def test_r29_the_buyer_in_person_or_a_notarised_attorney_signs() -> None:
    check_contract(S.SUBSCRIBED, signing())
    check_contract(S.SUBSCRIBED, signing(signatory="attorney", poa_notarized=True))


def test_r29_an_attorney_without_a_notarised_poa_is_refused() -> None:
    with pytest.raises(PoaNotNotarized) as caught:
        check_contract(S.SUBSCRIBED, signing(signatory="attorney", poa_notarized=False))
    assert caught.value.code == "poa_not_notarized"


def test_r29_a_copy_of_the_id_is_kept() -> None:
    with pytest.raises(IdCopyRequired):
        check_contract(S.SUBSCRIBED, signing(id_copy_kept=False))


@pytest.mark.parametrize("bad", [{"contract_no": "  "}, {"signatory": "cousin"}])
def test_r29_contract_number_and_signatory_are_checked(bad) -> None:
    with pytest.raises(InvalidInput):
        check_contract(S.SUBSCRIBED, signing(**bad))


@pytest.mark.parametrize("status", [s for s in S if s is not S.SUBSCRIBED])
def test_r29_a_contract_only_follows_a_subscription_even_with_bad_papers(status) -> None:
    with pytest.raises(InvalidTransition):
        check_contract(status, signing(signatory="attorney", poa_notarized=False, id_copy_kept=False))


def test_r32_handover_follows_the_contract_at_a_time_with_an_offset() -> None:
    signed = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a fixed clock: no test depends on today
    now = signed + timedelta(days=200)
    check_handover(S.CONTRACTED, signed + timedelta(days=200), signed, now)
    check_handover(S.CONTRACTED, signed, None, now)
    with pytest.raises(InvalidInput):
        check_handover(S.CONTRACTED, datetime(2027, 6, 1, 10, 0), signed, now)  # no offset
    with pytest.raises(InvalidInput):
        check_handover(S.CONTRACTED, signed - timedelta(minutes=1), signed, now)  # before the contract


def test_r32_a_handover_in_the_future_is_refused_so_the_handoff_never_carries_it() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    check_handover(S.CONTRACTED, now + timedelta(hours=23), None, now)
    with pytest.raises(InvalidInput) as refused:
        check_handover(S.CONTRACTED, datetime(2999, 1, 1, tzinfo=UTC), None, now)
    assert refused.value.code == "date_out_of_range"


def test_r27_the_down_payment_falls_due_within_a_year() -> None:
    today = date(2026, 11, 23)
    check_subscription(
        S.RESERVED, SubscriptionTerms(True, Decimal("1.00"), today + timedelta(days=366)), Decimal("100.00"), today
    )
    with pytest.raises(InvalidInput) as refused:
        check_subscription(
            S.RESERVED, SubscriptionTerms(True, Decimal("1.00"), date(9999, 12, 31)), Decimal("100.00"), today
        )
    assert refused.value.code == "date_out_of_range"


@pytest.mark.parametrize("status", [s for s in S if s not in (S.RESERVED, S.SUBSCRIBED)])
def test_a_sale_is_cancelled_only_while_reserved_or_subscribed(status) -> None:
    with pytest.raises(InvalidTransition):
        check_cancellation(status)
    check_cancellation(S.RESERVED)
    check_cancellation(S.SUBSCRIBED)


@pytest.mark.parametrize("status", [s for s in S if s is not S.CONTRACTED])
def test_r32_no_keys_before_the_contract(status) -> None:
    with pytest.raises(InvalidTransition):
        check_handover(status, datetime(2027, 6, 1, tzinfo=UTC), None, datetime(2027, 6, 1, tzinfo=UTC))
