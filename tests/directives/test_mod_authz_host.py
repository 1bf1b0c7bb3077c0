"""mod_authz_host: ``Require ip`` parsed as APR parses subnets, and the host providers."""
from __future__ import annotations

import pytest

from directives import mod_authz_core as core
from directives import mod_authz_host as host
from directives.mod_authz_host import IPSubnet, ipsubnet_create

MODS = [core.MODULE, host.MODULE]


def in_dir(*lines):
    return "<Directory />\n" + "".join(l + "\n" for l in lines) + "</Directory>\n"


@pytest.mark.parametrize("line,msg", [
        ("Require ip x", "ip address 'x' appears to be invalid"),
        ("Require ip 10.0.0.0/33",
         "ip address '10.0.0.0/33' appears to be invalid: The specified network mask is invalid."),
        ("Require ip ::1/129",
         "ip address '::1/129' appears to be invalid: The specified network mask is invalid."),
        ("Require ip 1.2.3.4.5",
         "ip address '1.2.3.4.5' appears to be invalid: The specified IP address is invalid."),
        ("Require ip fe80::1%eth0",
         "ip address 'fe80::1%eth0' appears to be invalid: The specified IP address is invalid."),
        ("Require ip 10/8",
         "ip address '10/8' appears to be invalid: The specified IP address is invalid."),
        ("Require ip 1.2.3.4/0",
         "ip address '1.2.3.4/0' appears to be invalid: The specified network mask is invalid."),
        ("Require ip", "'require ip' requires an argument"),
    ("Require host %{foo", "Cannot parse expression in require line: syntax error, "
     "unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated string or variable"),
])
def test_require_errors(conf, line, msg):
    r = conf(MODS, in_dir(line))
    assert r.error is not None and r.error.split("\n", 1)[1] == msg


@pytest.mark.parametrize("line", [
    "Require ip 010.1.2.3", "Require ip 1.2.3.4/+8", "Require ip 1.2.3.04", "Require host",
    "Require host .example.org", "Require forward-dns example.org", "Require local",
])
def test_accepted(conf, line):
    assert conf(MODS, in_dir(line)).error is None


class TestSubnets:
    @pytest.mark.parametrize("addr,mask,subnet", [
        ("10.1", None, IPSubnet(4, 0x0A010000, 0xFFFF0000)),
        ("10.", None, IPSubnet(4, 0x0A000000, 0xFF000000)),
        ("010.001.2.3", None, IPSubnet(4, 0x0A010203, 0xFFFFFFFF)),
        ("10.9.8.7", "255.0.255.0", IPSubnet(4, 0x0A000800, 0xFF00FF00)),
        ("10.9.8.7", "+8", IPSubnet(4, 0x0A000000, 0xFF000000)),
        ("2001:db8::1", "32", IPSubnet(6, 0x20010DB8 << 96, ((1 << 32) - 1) << 96)),
    ])
    def test_create(self, addr, mask, subnet):
        assert ipsubnet_create(addr, mask) == subnet

    @pytest.mark.parametrize("addr,mask", [("::ffff:1.2.3.4", None), ("::1", "255.0.0.0"),
                                           ("1.2.3.4", "8/9"), ("1.2.3.4", ""),
                                           ("1.2.3.4", "-8"), ("999.1", None)])
    def test_invalid(self, addr, mask):
        with pytest.raises(host.InvalidSubnet):
            ipsubnet_create(addr, mask)

    def test_matches(self):
        net = ipsubnet_create("10.0.0.0", "8")
        assert net.matches("10.2.3.4") and net.matches("::ffff:10.2.3.4")
        assert not net.matches("11.0.0.1") and not net.matches("::1")
        assert ipsubnet_create("::1", None).matches("::1")


@pytest.mark.parametrize("body", [
    in_dir("Require ip 1.2.3.4/"), in_dir("Require ip ::ffff:1.2.3.4"), in_dir("Require ip 999.1"),
    in_dir("Require ip 1.2.3.4/8/9"), in_dir("Require ip 1..2"), in_dir("Require ip ::1/255.0.0.0"),
])
def test_against_apache(differential, body):
    differential(body)
