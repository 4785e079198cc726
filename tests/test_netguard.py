"""The host policy: which addresses the sync may connect to. No network: names are
resolved by a lookup function given to the policy."""

import pytest

from mail_lead_sync.engine import errors
from mail_lead_sync.engine.netguard import HostPolicy, host_name, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "169.254.170.2",
        "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1",
        "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "fe80::1%eth0",
    ],
)  # fmt: skip
def test_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public(address):
    assert is_public(address)


def test_server_names_only():
    assert host_name(" IMAP.Example.COM. ") == "imap.example.com"
    assert host_name("[2001:db8::1]") == "2001:db8::1"
    assert host_name("mail.bücher.de") == "mail.xn--bcher-kva.de"
    for value in ("https://mail.example.com", "mail.example.com:443", "mail.example.com/EWS", "x@169.254.169.254",
                  "", "a b.com", "-bad.com"):  # fmt: skip
        with pytest.raises(errors.HostRefused):
            host_name(value)


def test_a_name_is_checked_on_every_address_it_resolves_to():
    zone = {"mail.example.com": ["93.184.216.34"], "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
            "meta.example.com": ["169.254.169.254"], "v6.example.com": ["::ffff:10.0.0.1"]}  # fmt: skip
    policy = HostPolicy(lookup=lambda name: zone.get(name, []))
    assert policy.address("mail.example.com") == "93.184.216.34"
    for name in ("rebind.example.com", "meta.example.com", "v6.example.com", "127.0.0.1", "169.254.169.254"):
        with pytest.raises(errors.HostRefused) as caught:
            policy.address(name)
        assert "private or local network" in str(caught.value)
    with pytest.raises(errors.HostNotFound):
        policy.address("nothing.example.com")
    allowed = HostPolicy(allow_private=True, lookup=lambda name: zone.get(name, []))
    assert allowed.addresses("rebind.example.com") == ["93.184.216.34", "127.0.0.1"]


def test_detected_ports():
    assert HostPolicy().port_allowed(993) and HostPolicy().port_allowed(587)
    assert not HostPolicy().port_allowed(22) and not HostPolicy().port_allowed(6379)
    assert HostPolicy(allow_private=True).port_allowed(22)
