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

from httpd.module import CORE_MODULE as CORE
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

def update_vhost_from_headers(r, require_match: bool = False) -> int:
    """ap_update_vhost_from_headers_ex: choose r.server among the connection's name chain
    by r.hostname.  Returns 200, or 400 with StrictHostCheck for a name no server claims.

    vhost.c's fix_hostname has run already, once, where the head was parsed
    (httpd.protocol, _uri.fix_hostname): r.hostname is the checked, normalised name from
    the absolute target or the Host field (a bad one was answered 400 there), and in
    strict mode the Host field already holds an absolute target's authority."""
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


def host_check_needed(conn, base) -> bool:
    """Can check_request_host answer anything but 200 or change r.server on the
    connection ``conn`` (base server ``base``)?  Not when the address has no name-based
    chain and StrictHostCheck is off: the connection asks once, not every request."""
    return conn.notes.get(_CHAIN) is not None or bool(base.module_config[CORE].strict_host_check)


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
