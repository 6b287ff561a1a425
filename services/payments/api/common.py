"""What the payments routers share: the payer as a body names them (R29), the money fields a receipt needs (R26),
the receipt as JSON or as the printed PDF (`Accept: application/pdf`), and the vault the use cases seal with."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.payments.domain import Payer
from shared.http.auth import Principal
from shared.http.fields import Id, Name, Short
from shared.http.requests import pool_of
from shared.trust.pii import Vault

PDF = "application/pdf"
Currency = Annotated[str, Field(default="CNY", pattern=r"^[A-Z]{3}$")]
Serials = Annotated[list[Id], Field(max_length=200)]


class PayerBody(BaseModel):
    name: Name
    statement_ref: Short | None = None


def payer_of(payer: PayerBody | str | None) -> Payer | None:
    """R29: someone else paying, named alone (then refused without their statement) or with their statement."""
    if isinstance(payer, PayerBody):
        return Payer(payer.name, payer.statement_ref)
    return Payer(payer) if isinstance(payer, str) else None


def vault_of(request: Request) -> Vault:
    """The vault of the service's personal-data key: the use cases seal and open payers with it (R18)."""
    return Vault(request.app.state.settings.pii_key)


class ProjectRef(BaseModel):
    id: str
    code: str | None = None
    name: str | None = None


class Receipt(BaseModel):
    """R26: a receipt of money, a deposit's or a payment's, as the JSON answer gives it."""

    receipt_no: str
    kind: str
    project: ProjectRef
    unit_number: str | None
    amount: str
    currency: str
    amount_in_words: str
    method: str
    source_of_funds: str
    issued_at: str
    verified_by: list[str | None]
    prints: int
    cny_equivalent: str | None = None
    cheque_no: str | None = None
    note_serials: list[str] | None = None
    payer: PayerBody | None = None
    deposit_id: str | None = None
    payment_id: str | None = None
    sale_id: str | None = None


# The printed receipt, documented beside the JSON one (a client asks for it with `Accept: application/pdf`).
RECEIPT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the receipt; with `Accept: application/pdf` the printed one (each print after the first "
        "marked 副本, every print counted in `prints`)",
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def wants_pdf(request: Request) -> bool:
    """Whether the caller asks for the printed receipt (`Accept: application/pdf`)."""
    return PDF in request.headers.get("accept", "")


def pdf_answer(printed: tuple[str, bytes]) -> Response:
    """The printed receipt, to open in the browser's viewer or save as `receipt-<number>.pdf`."""
    number, pdf = printed
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": f'inline; filename="receipt-{number}.pdf"'})


ReceiptOf = Callable[[Any, uuid.UUID, Principal, Vault], Awaitable[Any]]


async def receipt_answer(
    request: Request, receipt_id: uuid.UUID, who: Principal, read: ReceiptOf, print_: ReceiptOf
) -> object:
    """A receipt, a deposit's or a payment's: JSON, or printed when the caller asks (`Accept: application/pdf`)."""
    async with pool_of(request).acquire() as conn:
        if wants_pdf(request):
            return pdf_answer(await print_(conn, receipt_id, who, vault_of(request)))
        return await read(conn, receipt_id, who, vault_of(request))
