"""mod_usertrack (modules/metadata/mod_usertrack.c): a cookie that follows a client.

``CookieTracking On`` (OR_FILEINFO; a section's settings replace its parent's, as the
module has no merge): at fixups (REALLY_FIRST) a main request whose ``Cookie`` field
carries no cookie of ``CookieName`` (``Apache`` unless set) gets one, ``<random hex>.<the
request's time in microseconds, hex>; path=/``, in err_headers_out (so error responses
carry it too), with ``CookieExpires`` (a number of seconds, or mod_expires' ``[plus]
{<num> <type>}*``; one value per server, wherever the directive stands) as a Netscape
``expires=`` date with a two-digit year or, for ``CookieStyle Cookie``/``RFC2109``, as
``max-age``; ``CookieStyle Cookie2``/``RFC2965`` sends ``Set-Cookie2`` (``version=1``
after a domain); ``CookieDomain`` (a leading dot and another dot inside),
``CookieSameSite``, ``CookieSecure``, ``CookieHttpOnly`` add their attributes.  The value,
new or found, is the ``cookie`` note (``%{cookie}n`` in a LogFormat).
"""
from __future__ import annotations

import os
import re
import time
from typing import Optional

import attrs

from httpd.config.grammar import getword_conf
from httpd.http.conditional import MONTHS, WEEKDAYS
from httpd.module import OR_FILEINFO, Args, Module, directive, flag_slot
from httpd.module.hooks import DECLINED, OK, REALLY_FIRST, determined
from httpd.util.cparse import atoi, strncasecmp_eq, time_unit_seconds

MODULE_NAME = "usertrack_module"
COOKIE_NAME = "Apache"
CT_UNSET, CT_NETSCAPE, CT_COOKIE, CT_COOKIE2 = range(4)


def _cookie_regexp(name: str):
    """set_and_comp_regexp: ``^name=([^;,]+)|[;,][ \\t]*name=([^;,]+)``, every character
    of the name that is not alphanumeric escaped."""
    escaped = "".join(c if c.isascii() and c.isalnum() else "\\" + c for c in name)
    return re.compile(f"^{escaped}=([^;,]+)|[;,][ \\t]*{escaped}=([^;,]+)", re.S)


_DEFAULT_REGEXP = _cookie_regexp(COOKIE_NAME)


@attrs.define
class CookieDirConfig:
    enabled: bool = False
    style: int = CT_UNSET
    cookie_name: str = COOKIE_NAME
    cookie_domain: Optional[str] = None
    regexp: re.Pattern = _DEFAULT_REGEXP
    is_secure: bool = False
    is_httponly: bool = False
    samesite: Optional[str] = None


@attrs.define
class CookieServerConfig:
    expires: int = 0


def create_dir_config(path) -> CookieDirConfig:
    return CookieDirConfig()


def create_server_config(server) -> CookieServerConfig:
    return CookieServerConfig()


@directive("CookieExpires", Args.TAKE1, OR_FILEINFO, "an expiry date code")
def set_cookie_exp(cmd, conf, arg):
    cls: CookieServerConfig = cmd.server.module_config[MODULE_NAME]
    if arg[:1].isdigit() and arg[-1:].isdigit():        # the simple case: all numbers
        cls.expires = atoi(arg)
        return None
    word, pos = getword_conf(arg, 0)
    if strncasecmp_eq(word, "plus", 1):
        word, pos = getword_conf(arg, pos)
    modifier = 0
    while word:
        if not word[0].isdigit():
            return "bad expires code, numeric value expected."
        num = atoi(word)
        word, pos = getword_conf(arg, pos)
        if not word:
            return "bad expires code, missing <type>"
        seconds = time_unit_seconds(word)
        if seconds is None:
            return "bad expires code, unrecognized type"
        modifier += seconds * num
        word, pos = getword_conf(arg, pos)
    cls.expires = modifier
    return None


@directive("CookieDomain", Args.TAKE1, OR_FILEINFO, "domain to which this cookie applies")
def set_cookie_domain(cmd, conf: CookieDirConfig, name):
    if not name:
        return "CookieDomain values may not be null"
    if name[0] != ".":
        return "CookieDomain values must begin with a dot"
    if "." not in name[1:]:
        return "CookieDomain values must contain at least one embedded dot"
    conf.cookie_domain = name
    return None


_STYLES = {"netscape": CT_NETSCAPE, "cookie": CT_COOKIE, "rfc2109": CT_COOKIE,
           "cookie2": CT_COOKIE2, "rfc2965": CT_COOKIE2}


@directive("CookieStyle", Args.TAKE1, OR_FILEINFO,
           "'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)")
def set_cookie_style(cmd, conf: CookieDirConfig, name):
    style = _STYLES.get(name.lower())
    if style is None:
        return f"Invalid {cmd.cmd.name} keyword: '{name}'"
    conf.style = style
    return None


set_cookie_tracking = directive("CookieTracking", Args.FLAG, OR_FILEINFO,
                                "whether or not to enable cookies")(flag_slot("enabled"))


@directive("CookieName", Args.TAKE1, OR_FILEINFO, "name of the tracking cookie")
def set_cookie_name(cmd, conf: CookieDirConfig, name):
    conf.cookie_name = name
    try:
        conf.regexp = _cookie_regexp(name)
    except re.error:
        return "Regular expression could not be compiled."
    if conf.regexp.groups != 2:
        return f'Invalid cookie name "{name}"'
    return None


_SAMESITE = {"strict": "SameSite=Strict", "lax": "SameSite=Lax", "none": "SameSite=None"}


@directive("CookieSameSite", Args.TAKE1, OR_FILEINFO, "SameSite setting")
def set_samesite(cmd, conf: CookieDirConfig, name):
    value = _SAMESITE.get(name.lower())
    if value is None:
        return "CookieSameSite accepts 'Strict', 'Lax', or 'None'"
    conf.samesite = value
    return None


set_cookie_secure = directive("CookieSecure", Args.FLAG, OR_FILEINFO,
                              "is cookie secure")(flag_slot("is_secure"))
set_cookie_httponly = directive("CookieHttpOnly", Args.FLAG, OR_FILEINFO,
                                "is cookie http only")(flag_slot("is_httponly"))


# -- request time -----------------------------------------------------------------------

def make_cookie(r, dcfg: CookieDirConfig) -> None:
    cls: CookieServerConfig = r.server.module_config[MODULE_NAME]
    now_us = int((r.request_time or time.time()) * 1_000_000)
    value = f"{int.from_bytes(os.urandom(4), 'little'):x}.{now_us:x}"
    cookie = f"{dcfg.cookie_name}={value}; path=/"
    if cls.expires:
        if dcfg.style in (CT_UNSET, CT_NETSCAPE):
            tm = time.gmtime(now_us // 1_000_000 + cls.expires)
            cookie += (f"; expires={WEEKDAYS[tm.tm_wday]}, {tm.tm_mday:02d}-"
                       f"{MONTHS[tm.tm_mon - 1]}-{tm.tm_year % 100:02d} {tm.tm_hour:02d}:"
                       f"{tm.tm_min:02d}:{tm.tm_sec:02d} GMT")
        else:
            cookie += f"; max-age={cls.expires}"
    if dcfg.cookie_domain is not None:
        cookie += f"; domain={dcfg.cookie_domain}"
        if dcfg.style == CT_COOKIE2:
            cookie += "; version=1"
    if dcfg.samesite is not None:
        cookie += f"; {dcfg.samesite}"
    if dcfg.is_secure:
        cookie += "; Secure"
    if dcfg.is_httponly:
        cookie += "; HttpOnly"
    r.err_headers_out.add("Set-Cookie2" if dcfg.style == CT_COOKIE2 else "Set-Cookie", cookie)
    r.notes["cookie"] = value          # logged the first time too


def spot_cookie(r) -> int:
    """spot_cookie (fixups, REALLY_FIRST)."""
    dcfg: Optional[CookieDirConfig] = r.module_config(MODULE_NAME)
    if dcfg is None or not dcfg.enabled or r.main is not None:
        return DECLINED
    header = r.headers_in.get("Cookie")
    if header is not None:
        m = dcfg.regexp.search(header)
        if m is not None:
            r.notes["cookie"] = m.group(2) if m.group(2) is not None else m.group(1)
            return DECLINED              # there is a cookie already: no new one
    make_cookie(r, dcfg)
    return OK


def _not_tracking(r) -> bool:
    """Only a section with CookieTracking On reads the Cookie field (hooks.determined)."""
    dcfg = r.module_config(MODULE_NAME)
    return dcfg is None or not dcfg.enabled


MODULE = Module(
    MODULE_NAME, "mod_usertrack.c",
    (set_cookie_exp, set_cookie_domain, set_cookie_style, set_cookie_tracking,
     set_cookie_name, set_samesite, set_cookie_secure, set_cookie_httponly),
    create_dir_config=create_dir_config,
    create_server_config=create_server_config,
    hooks={"fixups": (determined(spot_cookie, _not_tracking), REALLY_FIRST)},
    doc="Provides tracking of users through cookies",
)
