"""Who may call: the roles a token names, and the key under which an operation of the OpenAPI lists its roles."""

from __future__ import annotations

STAFF_ROLES = ("consultant", "manager", "sales_control", "finance", "service", "admin", "group_manager")
GROUP_MANAGER = "group_manager"  # v1.2: a manager of every project under their org units (claim `orgs`)
# v1.2 (issue 25): a notary (公证员) is no member of staff: their token (claim `projects`) opens only the routes that
# declare the role (`x-roles`, from the service's ROLES) — a fair opening's commitments, reveals and view.
OUTSIDE_ROLES = ("notary",)
ROLES = (*STAFF_ROLES, *OUTSIDE_ROLES)
ROLES_KEY = "x-roles"  # an operation's roles in the OpenAPI documents
