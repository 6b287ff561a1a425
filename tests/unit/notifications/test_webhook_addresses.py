"""Issue 19: which addresses a webhook may be sent to. Only globally routable ones, and for the IPv6 forms that carry
an IPv4 address inside (IPv4-mapped, 6to4, NAT64, Teredo) the IPv4 address must be global too; the setting
`webhook_allow_private` lets everything through (development, `estate up`)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.webhooks.domain import UnsafeUrl, check_addresses

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local, a cloud metadata address"),
    ("100.64.0.1", "shared address space (carrier-grade NAT)"),
    ("100.100.100.200", "shared address space, a cloud metadata address"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.2.10", "documentation"),
    ("::1", "IPv6 loopback"),
    ("::", "IPv6 unspecified"),
    ("fe80::1", "IPv6 link-local"),
    ("fe80::1%eth0", "IPv6 link-local with a zone"),
    ("fc00::1", "unique local"),
    ("fec0::1", "site-local (deprecated)"),
    ("ff02::1", "IPv6 multicast"),
    ("ff0e::1", "IPv6 global-scope multicast"),
    ("2001:db8::1", "documentation"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:100.100.100.200", "IPv4-mapped shared address space"),
    ("::127.0.0.1", "IPv4-compatible loopback (deprecated form)"),
    ("2002:7f00:1::", "6to4 of loopback"),
    ("2002:a00:1::1", "6to4 of a private address"),
    ("2002:a9fe:a9fe::", "6to4 of the metadata address"),
    ("64:ff9b::7f00:1", "NAT64 of loopback"),
    ("64:ff9b::a00:1", "NAT64 of a private address"),
    ("64:ff9b:1::a00:1", "local-use NAT64 prefix"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo carrying 127.0.0.1"),
    ("2001::1", "Teredo prefix"),
    ("not an address", "garbage from a resolver"),
]
ACCEPTED = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_a_non_public_address_is_refused(address: str, why: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_addresses([address], allow_private=False)


@pytest.mark.parametrize("address", ACCEPTED)
def test_a_public_address_is_accepted(address: str) -> None:
    check_addresses([address], allow_private=False)


def test_one_non_public_address_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(UnsafeUrl):
        check_addresses(["8.8.8.8", "127.0.0.1"], allow_private=False)


def test_a_host_without_addresses_is_refused() -> None:
    with pytest.raises(UnsafeUrl):
        check_addresses([], allow_private=False)


@pytest.mark.parametrize(("address", "why"), REFUSED[:-1])
def test_the_setting_lets_private_targets_through(address: str, why: str) -> None:
    check_addresses([address], allow_private=True)


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address can carry, computed independently of the code under test."""
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found = [v for v in (ip.ipv4_mapped, ip.sixtofour) if v is not None]
    found += list(ip.teredo or ())
    prefixes = ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")
    return found + [low for p in prefixes if ip in ipaddress.ip_network(p)]


def _accepted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        check_addresses([str(ip)], allow_private=False)
        return True
    except UnsafeUrl:
        return False


@given(st.ip_addresses())
def test_anything_accepted_is_global_and_so_is_the_ipv4_inside_it(ip) -> None:
    if _accepted(ip):
        assert ip.is_global and not ip.is_multicast
        if ip.version == 6:
            assert all(v.is_global and not v.is_multicast for v in _embedded_v4(ip))


@given(st.ip_addresses(v=4))
def test_a_global_unicast_ipv4_address_is_accepted(ip: ipaddress.IPv4Address) -> None:
    assert _accepted(ip) == (ip.is_global and not ip.is_multicast)


def _forms(v4: ipaddress.IPv4Address) -> list[ipaddress.IPv6Address]:
    n = int(v4)
    return [
        ipaddress.IPv6Address((0xFFFF << 32) | n),  # IPv4-mapped
        ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1),  # 6to4
        ipaddress.IPv6Address((0x64FF9B << 96) | n),  # NAT64, the well-known prefix
        ipaddress.IPv6Address((0x20010000 << 96) | (0x4136E378 << 64) | (0x8000 << 48) | (n ^ 0xFFFFFFFF)),  # Teredo
    ]


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_carried_in_ipv6_is_judged_as_itself(v4: ipaddress.IPv4Address) -> None:
    for form in _forms(v4):
        if _accepted(form):
            assert v4.is_global and not v4.is_multicast, form
    if not (v4.is_global and not v4.is_multicast):
        assert not any(_accepted(form) for form in _forms(v4))
