"""Papers signed for and people named (R23, R27, R29). Pure.

- R29: collecting the contract copy is signed for, by the buyer or their attorney, once the contract is signed.
- R23: beside finance and the project manager, someone the manager names (a designee, named in inventory and
  heard of here) may take and count deposits."""

from __future__ import annotations

from shared.kernel.errors import Conflict, InvalidInput, refusal

COLLECTORS = ("buyer", "attorney")
TAKE_DEPOSITS = "take_deposits"  # the power a manager gives a designee (inventory names designees: R23, R27)
MONEY_ROLES = frozenset({"finance", "manager", "admin"})  # who takes and counts deposits without being named

NotAuthorised = refusal(
    "NotAuthorised", "wrong_role", "R23: neither finance, the manager nor someone the manager named.", status=403
)


def check_collection(collected_by: str, signed: bool, contract_signed: bool, collected_before: bool) -> None:
    """R29: the buyer (or their attorney) signs for the contract copy, once, after the contract was signed."""
    if collected_by not in COLLECTORS:
        raise InvalidInput("the contract is collected by the buyer or their attorney", "invalid_collector")
    if not signed:
        raise InvalidInput("collecting the contract is signed for (R29)", "signature_required")
    if not contract_signed:
        raise Conflict("the contract is not signed yet", "contract_not_signed")
    if collected_before:
        raise Conflict("the contract copy was collected already", "already_collected")


def may_take_money(role: str, powers: tuple[str, ...]) -> bool:
    """R23: finance, the manager (and admin), or a designee given `take_deposits`."""
    return role in MONEY_ROLES or TAKE_DEPOSITS in powers
