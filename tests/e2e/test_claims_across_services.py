"""Issue 10, R9 across four processes on the real broker: a claim decided for the claimant moves the customer,
and inventory follows at once: the new owner holds a unit for them, the old owner cannot (R8)."""

from __future__ import annotations

import uuid

import httpx

from shared.http.tokens import make_token
from shared.tools.demo import Journey, Urls
from tests.support.polling import async_wait_for


def _auth(secret: str, project_id: str, role: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(secret, sub, role, [project_id], name=sub)}"}


async def test_a_claim_decided_for_the_claimant_moves_the_customer_everywhere(
    urls: Urls, journey: Journey, settings
) -> None:
    pid, secret = journey.project_id, settings.jwt_secret
    old, new = _auth(secret, pid, "consultant", "claim-a"), _auth(secret, pid, "consultant", "claim-b")
    async with httpx.AsyncClient(timeout=15) as http:
        body = {
            "project_id": pid,
            "name": "Qian Wu",
            "phone": f"137{uuid.uuid4().int % 10**8:08d}",
            "source": "walk_in",
        }
        cid = (await http.post(f"{urls.leads}/v1/customers", json=body, headers=old)).json()["id"]
        claim = await http.post(f"{urls.leads}/v1/customers/{cid}/claims", json={"reason": "my visitor"}, headers=new)
        decision = {"winner_id": "claim-b", "reason": "the visit log shows claim-b first"}
        manager = _auth(secret, pid, "manager", "manager-1")
        decided = await http.post(
            f"{urls.leads}/v1/claims/{claim.json()['id']}/decision", json=decision, headers=manager
        )
        assert decided.status_code == 200, decided.text
        units = (
            await http.get(f"{urls.inventory}/v1/projects/{pid}/units", params={"status": "available"}, headers=manager)
        ).json()
        holds = [f"{urls.inventory}/v1/units/{unit['id']}/holds" for unit in units[-2:]]

        async def new_owner_holds() -> bool:
            return (await http.post(holds[1], json={"customer_id": cid}, headers=new)).status_code == 201

        await async_wait_for(new_owner_holds, timeout=30, interval=0.2, what="inventory to learn the new owner")
        refused = await http.post(holds[0], json={"customer_id": cid}, headers=old)
    assert refused.status_code == 404  # inventory knows the customer (the hold above) and that it is not theirs
