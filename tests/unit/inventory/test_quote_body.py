"""The quote body (R20, R21): either spelling of the terms becomes the same QuoteRequest; bad terms are a 422."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.inventory.api.units import QuoteBody, quote_request
from services.inventory.domain import QuoteRequest
from shared.http.api_errors import ApiError


def test_the_briefs_shape_with_a_percent_and_a_plan() -> None:
    body = QuoteBody.model_validate(
        {
            "discount": {"percent": "5"},
            "first_home": False,
            "plan": {"down_payment_ratio": "0.4", "years": 25, "annual_rate": "0.035"},
        }
    )
    assert quote_request(body) == QuoteRequest(
        discount_percent=Decimal("5"),
        first_home=False,
        down_payment_ratio=Decimal("0.4"),
        years=25,
        annual_rate=Decimal("0.035"),
    )


@pytest.mark.parametrize(
    "discount,expected",
    [
        ("5%", QuoteRequest(discount_percent=Decimal("5"))),
        ("50000.00", QuoteRequest(discount_amount=Decimal("50000.00"))),
        ({"amount": "100"}, QuoteRequest(discount_amount=Decimal("100"))),
    ],
)
def test_a_discount_is_an_amount_or_a_percent(discount, expected) -> None:
    assert quote_request(QuoteBody.model_validate({"discount": discount})) == expected


def test_the_flat_spelling_still_works_and_defaults_stay() -> None:
    body = QuoteBody.model_validate({"discount_percent": "50", "instalments": 6})
    assert quote_request(body) == QuoteRequest(discount_percent=Decimal("50"), instalments=6)
    assert quote_request(QuoteBody()) == QuoteRequest()


@pytest.mark.parametrize("discount", ["abc%", "lots", "NaN", "Infinity%"])
def test_an_unreadable_discount_is_a_422(discount) -> None:
    with pytest.raises(ApiError) as caught:
        quote_request(QuoteBody.model_validate({"discount": discount}))
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "body",
    [
        {"discount": True},
        {"discount": 30000},
        {"discount": {"amount": 0.1}},
        {"annual_rate": "1e-1000000"},
        {"plan": {"annual_rate": "1e-1000000"}},
        {"discount_amount": "1000000.005"},
        {"years": 10**30},
    ],
)
def test_a_discount_or_term_that_is_not_one_is_refused(body) -> None:
    """Issue 8: {"discount": true} was 1 yuan off; a JSON number is not money; a rate of 1e-1000000 was a 500."""
    with pytest.raises(ValidationError):
        QuoteBody.model_validate(body)
