"""Which virtual host serves a request (vhost.c): by the local address of the connection
(ap_update_vhost_given_ip), then by the Host name (ap_update_vhost_from_headers).

The lookup structure is built once per config generation (ap_fini_vhost_config) with the
grouping ``httpd -S`` shows (httpd/main/dump.py): every address a <VirtualHost> names joins a
chain for that exact address and port, in config order; the first server of a chain is
its default.  Wildcard addresses (``*``, ``_default_``, 0.0.0.0 and ::) form the default
chains.  A connection on an address with no chain of its own goes to the first default
chain whose port matches, or else to the main server.  The Host name then picks, among
the chain's servers whose port matches, the first whose ServerName or ServerAlias
matches (wildcards allowed), else the first whose <VirtualHost> name matches, else the
chain's default.

After the walk pass, virtual hosts inherit from the main server (ap_fixup_virtual_hosts)
and every server gets a name (ap_get_local_host, ap_fini_vhost_config): the end of this file.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import re
import socket
import weakref
from functools import lru_cache
from typing import Optional

import attrs

from httpd.core import CORE_MODULE as CORE
from httpd.core.config import fixup_servers

HTTP_OK = 200
HTTP_BAD_REQUEST = 400
MAX_NAME_CACHE = 4096          # (chain, host, port) -> server answers kept per generation
_CHAIN = "vhost_lookup_data"   # conn.notes key of the connection's name chain


def _ip_key(ip: str) -> str:
    """One spelling per address: IPv4-mapped IPv6 as IPv4, no scope, canonical v6."""
    try:
        a = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return str(a)


def _is_default_addr(addr) -> bool:
    return addr.is_wildcard or addr.host_addr in ("0.0.0.0", "::")


@attrs.frozen
class NameEntry:
    """One name_chain element: a server and the address that put it in the chain."""

    server: object
    port: int                          # the <VirtualHost> port, 0 for any
    virthost: str                      # the <VirtualHost> name as written, lower-cased
    names: frozenset                   # ServerName and ServerAlias, lower-cased
    wild: tuple                        # compiled ServerAlias wildcards


@attrs.define(eq=False)
class Chain:
    """ipaddr_chain: an address, its default server and its name chain."""

    port: int
    server: object
    names: list = attrs.field(factory=list)
    cache: dict = attrs.field(factory=dict)


def _names_of(server) -> tuple[frozenset, tuple]:
    core = server.module_config[CORE]
    names = {n.lower() for n in (core.names or ())}
    if core.server_hostname:
        names.add(core.server_hostname.lower())
    wild = tuple(re.compile(fnmatch.translate(w.lower()), re.S) for w in core.wild_names or ())
    return frozenset(names), wild


class VhostLookup:
    """The per-generation tables of vhost.c (iphash_table and default_list)."""

    def __init__(self, process):
        self.main = process.main_server
        self.specific: dict[tuple[str, int], Chain] = {}
        self.defaults: list[Chain] = []
        by_label: dict = {}
        for vh in process.vhosts:
            names, wild = _names_of(vh)
            seen_in: set = set()
            for addr in vh.addrs:
                default = _is_default_addr(addr)
                key = ("*" if default else _ip_key(addr.host_addr), addr.host_port)
                chain = by_label.get(key)
                if chain is None:
                    chain = by_label[key] = Chain(addr.host_port, vh)
                    if default:
                        self.defaults.append(chain)
                    else:
                        self.specific[key] = chain
                # a server is listed once per chain (its addresses are adjacent)
                if id(chain) not in seen_in:
                    seen_in.add(id(chain))
                    chain.names.append(NameEntry(vh, addr.host_port, addr.virthost.lower(),
                                                 names, wild))

    # -- ap_update_vhost_given_ip --------------------------------------------------------
    def chain_for(self, local_ip: str, local_port: int) -> Optional[Chain]:
        if self.specific:
            ip = _ip_key(local_ip)
            chain = self.specific.get((ip, local_port)) or self.specific.get((ip, 0))
            if chain is not None:
                return chain
        for chain in self.defaults:
            if chain.port == 0 or chain.port == local_port:
                return chain
        return None

    # -- check_hostalias -------------------------------------------------------------------
    def by_name(self, chain: Chain, host: str, port: int):
        """The server of ``chain`` the Host ``host`` names, or None when none does."""
        key = (host, port)
        found = chain.cache.get(key, False)
        if found is not False:
            return found
        found = None
        virthost_s = None
        last = None
        for e in chain.names:
            if e.port and e.port != port:
                continue
            if e.server is not last and (host in e.names
                                         or any(w.match(host) for w in e.wild)):
                found = e.server
                break
            last = e.server
            if virthost_s is None and host == e.virthost:
                virthost_s = e.server
        if found is None:
            found = virthost_s
        if len(chain.cache) >= MAX_NAME_CACHE:
            chain.cache.clear()
        chain.cache[key] = found
        return found


_LOOKUPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def lookup(process) -> VhostLookup:
    """The generation's vhost tables, built on first use."""
    found = _LOOKUPS.get(process)
    if found is None:
        found = _LOOKUPS[process] = VhostLookup(process)
    return found


def update_vhost_given_ip(process, conn):
    """ap_update_vhost_given_ip: the connection's base server (also set on conn)."""
    chain = lookup(process).chain_for(conn.local_ip, conn.local_port)
    conn.notes[_CHAIN] = chain
    conn.base_server = chain.server if chain is not None else process.main_server
    return conn.base_server


# -- Host names ------------------------------------------------------------------------

def parse_host_port(text: str):
    """apr_parse_addr_port for a Host value: (host, port or 0) or None when invalid.
    An IPv6 literal keeps no brackets; a scope id is refused."""
    host, port = text, 0
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1:]
        if rest:
            if rest[0] != ":" or not rest[1:].isdigit():
                return None
            port = int(rest[1:])
        if "%" in host:
            return None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    else:
        head, colon, tail = text.rpartition(":")
        if colon:
            if not tail or not tail.isdigit() or not head:
                return None
            host, port = head, int(tail)
    if port > 65535 or (port == 0 and text.endswith(":0")):
        return None
    return host, port


def _v6_ok(host: str) -> bool:
    """fix_hostname_v6_literal (lower-casing is done by the caller)."""
    double = False
    for i, c in enumerate(host):
        nxt = host[i + 1:i + 2]
        if c in "0123456789abcdef":
            continue
        if c == ":":
            if nxt == ":":
                if double:
                    return False
                double = True
            elif nxt == ".":
                return False
        elif c == ".":
            if nxt in (":", "."):
                return False
        else:
            return False
    return True


def _non_v6(host: str) -> Optional[str]:
    """fix_hostname_non_v6: lower-cased, one trailing dot dropped; None when '..', '/'
    or '\\' appear."""
    if ".." in host or "/" in host or "\\" in host:
        return None
    host = host.lower()
    return host[:-1] if host.endswith(".") else host


def _strict_ok(host: str) -> bool:
    """strict_hostname_check (HttpProtocolOptions Strict), which tolerates '_'."""
    dotted, leading_zeroes, dots = True, False, 0
    for i, c in enumerate(host):
        if c.isascii() and (c.isalpha() or c in "-_"):
            dotted = False
        elif c == ".":
            dots += 1
            if host[i + 1:i + 2] == "0" and host[i + 2:i + 3].isdigit():
                leading_zeroes = True
        elif not (c.isascii() and c.isdigit()):
            return False               # also refuses the comma of two Host fields
    if dotted:
        if host[:1] == "." or (host[:1] == "0" and host[1:2].isdigit()):
            leading_zeroes = True
        return not leading_zeroes and dots == 3
    tld = host.rsplit(".", 1)
    return len(tld) == 1 or not tld[1] or (tld[1][0].isascii() and tld[1][0].isalpha())


def _fix_hostname(src: str, from_header: bool,
                  strict: bool) -> tuple[int, Optional[str], bool, int]:
    """fix_hostname on one name: (status, the normalised host, is an IPv6 literal,
    the Host field's port or 0)."""
    if src.isdigit():
        return (HTTP_BAD_REQUEST, None, False, 0) if strict else (HTTP_OK, src, False, 0)
    port = 0
    if from_header:
        parsed = parse_host_port(src)
        if parsed is None:
            return HTTP_BAD_REQUEST, None, False, 0
        host, port = parsed
        v6 = src.startswith("[")
    else:
        host = src
        v6 = ":" in host
    if v6:
        host = host.lower()
        if not _v6_ok(host):
            return HTTP_BAD_REQUEST, None, v6, 0
    else:
        host = _non_v6(host)
        if host is None or (strict and not _strict_ok(host)):
            return HTTP_BAD_REQUEST, None, v6, 0
    return HTTP_OK, host, v6, port


_HOSTS: dict = {}


def fix_hostname(r, host_header: Optional[str], strict: bool) -> tuple[int, bool]:
    """fix_hostname: normalise r.hostname (from ``host_header`` or, when None, from the
    absolute request target) and keep the Host field's port in r.parsed_port for
    ap_get_server_port; returns (status, is an IPv6 literal).  Answers are remembered
    (a bounded table: clients choose the names)."""
    src = host_header if host_header is not None else r.hostname
    if not src:
        return HTTP_OK, False
    key = (src, host_header is not None, strict)
    hit = _HOSTS.get(key)
    if hit is None:
        if len(_HOSTS) >= MAX_NAME_CACHE:
            _HOSTS.clear()
        hit = _HOSTS[key] = _fix_hostname(src, host_header is not None, strict)
    status, host, v6, port = hit
    if status == HTTP_OK:
        r.hostname = host
        if port:
            r.parsed_port = port
    return status, v6


def update_vhost_from_headers(r, require_match: bool = False) -> int:
    """ap_update_vhost_from_headers_ex: validate the Host name, then choose r.server
    among the connection's name chain.  Returns 200, or 400 for a malformed Host (or,
    with StrictHostCheck, a name no server claims).  A host from an absolute target
    (r.hostname set by the protocol layer) wins over the Host field, which is then
    rewritten to it, as Apache does in strict mode."""
    core = r.server.module_config[CORE]
    strict = core.http_conformance != 2               # not HttpProtocolOptions Unsafe
    host_header = r.headers_in.get("Host")
    # a name from an absolute target (the protocol layer may also have copied the Host
    # field's name into r.hostname: that one is checked again here, from the field)
    from_url = r.hostname is not None and "://" in r.unparsed_uri[:16]
    status, v6 = fix_hostname(r, None if from_url else host_header, strict)
    if status != HTTP_OK:
        return status
    if strict and from_url and host_header is not None:
        repl = f"[{r.hostname}]" if v6 else r.hostname
        port = _target_port(r.unparsed_uri)
        r.headers_in.set("Host", f"{repl}:{port}" if port else repl)
    chain = r.conn.notes.get(_CHAIN)
    if chain is not None:
        if r.hostname:
            server = lookup(r.process).by_name(chain, r.hostname, r.conn.local_port)
            if server is not None:
                r.server = server
            elif require_match:
                return HTTP_BAD_REQUEST
        else:
            _check_serverpath(r, chain)
    elif require_match and r.hostname and not _claims(r.server, r.hostname):
        return HTTP_BAD_REQUEST
    return HTTP_OK


def check_request_host(r) -> int:
    """ap_check_request_header's vhost part (protocol.c): StrictHostCheck is read from
    the connection's base server -- the default virtual host of the address, or the
    main server -- and, when On, a Host that no ServerName/ServerAlias of the address
    claims (nor its <VirtualHost> name) is answered 400 with Apache's warning instead of
    falling back to that default server.  Returns 200 or the status to answer."""
    base = r.server
    strict = bool(base.module_config[CORE].strict_host_check)
    status = update_vhost_from_headers(r, require_match=strict)
    if strict and status != HTTP_OK and r.hostname:
        from httpd.log.errorlog import log_rerror
        if base is r.process.main_server:
            log_rerror(r, "core", "warn", f"AH10156: Requested hostname '{r.hostname}' did "
                       "not match any ServerName/ServerAlias in the global server "
                       "configuration ")
        else:
            log_rerror(r, "core", "warn", f"AH10157: Requested hostname '{r.hostname}' did "
                       "not match any ServerName/ServerAlias in the matching virtual host "
                       f"(default vhost for current connection is {base.defn_name}:"
                       f"{base.defn_line})")
    return status


def _claims(server, hostname: str) -> bool:
    """Does ``server`` answer to ``hostname`` (its names or wildcards)?"""
    names, wild = _names_of(server)
    return hostname in names or any(w.match(hostname) for w in wild)


def _target_port(target: str) -> Optional[str]:
    authority = target.split("://", 1)[1].split("/", 1)[0] if "://" in target else ""
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        authority = authority.partition("]")[2]
    _, colon, port = authority.rpartition(":")
    return port if colon and port.isdigit() else None


def _check_serverpath(r, chain: Chain) -> None:
    """check_serverpath: a request without a host name may still name a ServerPath."""
    port = r.conn.local_port
    last = None
    uri = r.uri
    for e in chain.names:
        if (e.port and e.port != port) or e.server is last:
            continue
        last = e.server
        path = e.server.module_config[CORE].path
        if path and uri.startswith(path) and (path.endswith("/") or uri[len(path):len(path) + 1]
                                              in ("/", "")):
            r.server = e.server
            return


# ---- after the walk: ap_fixup_virtual_hosts, ap_get_local_host
@lru_cache(maxsize=1024)
def _nameinfo(addr: str) -> Optional[str]:
    try:
        return socket.getnameinfo((addr, 0), socket.NI_NAMEREQD)[0]
    except (OSError, UnicodeError):
        return None


def local_host(process) -> str:
    """The main server's name when ServerName is missing, with Apache's AH00558."""
    name = None
    try:
        host = socket.gethostname()
    except OSError:
        host = None
    if host:
        try:
            info = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            process.log.startup(f"AH00556: {process.argv0}: apr_sockaddr_info_get() failed for "
                                f"{host}", "alert")
        else:
            ip = info[0][4][0]
            reverse = _nameinfo(ip)
            if reverse and "." in reverse:
                return reverse
            name = host if "." in host else ip
    name = name or "127.0.0.1"
    process.log.startup(f"AH00558: {process.argv0}: Could not reliably determine the server's "
                        f"fully qualified domain name, using {name}. Set the 'ServerName' "
                        "directive globally to suppress this message", "alert")
    return name


def fixup_virtual_hosts(process) -> None:
    main = process.main_server
    modules = process.registry.loaded
    core = main.module_config.get(CORE)
    if core is not None and not core.server_hostname:
        core.server_hostname = local_host(process)
    for vh in process.vhosts:
        # Apache's merge_server_configs / ap_merge_per_dir_configs: a module the virtual
        # host never configured shares the main server's config; the others merge.
        for m in modules:
            name = m.name
            if name in main.module_config:
                if name not in vh.module_config:
                    vh.module_config[name] = main.module_config[name]
                elif m.merge_server_config is not None:
                    vh.module_config[name] = m.merge_server_config(main.module_config[name],
                                                                   vh.module_config[name])
            if name in main.lookup_defaults:
                if name not in vh.lookup_defaults:
                    vh.lookup_defaults[name] = main.lookup_defaults[name]
                elif m.merge_dir_config is not None:
                    vh.lookup_defaults[name] = m.merge_dir_config(main.lookup_defaults[name],
                                                                  vh.lookup_defaults[name])
        vcore = vh.module_config.get(CORE)
        if vcore is not None and not vcore.server_hostname:
            vcore.server_hostname = _vhost_name(process, vh, core)
    # ap_fixup_virtual_hosts ends with ap_core_reorder_directories, core to core
    fixup_servers(process)


def _vhost_name(process, vh, main_core) -> str:
    addr = vh.addrs[0] if vh.addrs else None
    if addr is None or addr.is_wildcard:
        return main_core.server_hostname
    name = _nameinfo(addr.host_addr)
    if name:
        return name
    process.log.error("core", "warn", f"AH00549: Failed to resolve server name for "
                      f"{addr.host_addr} (check DNS) -- or specify an explicit ServerName")
    return addr.host_addr
