"""apr_password_validate (apr-util's crypto/apr_passwd.c): a password against the
stored hash of an htpasswd line, in every format APR accepts.

* ``$2a$`` / ``$2y$``: bcrypt (APR's own crypt_blowfish; here the ``bcrypt`` package);
  APR reads at most 72 bytes of the password, and so does this.
* ``$apr1$``: APR's MD5 (``passlib``'s apr_md5_crypt, from the maintained ``libpass``).
* ``{SHA}``: base64 of the SHA-1 of the password.
* anything else goes to the system's crypt() as APR does on Linux: libcrypt's
  crypt_rn/crypt_r through ctypes (libxcrypt on Debian, the library Apache calls; the
  stdlib's crypt module is gone in Python 3.13 and its PyPI copy needs a compiler):
  traditional DES, ``$1$``, ``$5$``, ``$6$``, ``$2b$``...  A plain-text password is
  therefore refused, as Apache refuses it on Linux (crypt() of it is not it).

The comparison is APR's: the computed string equal to the stored one.  Strings are
latin-1 (one character per byte of the request).  The libraries are imported on first
use: a server without Basic authentication never loads them.
"""
from __future__ import annotations

import base64
import hashlib

APR1_ID = "$apr1$"
SHA1PW_ID = "{SHA}"
BCRYPT_MAX = 72


def _bcrypt(passwd: bytes, hashed: str) -> bool:
    import bcrypt
    try:
        return bcrypt.checkpw(passwd[:BCRYPT_MAX], hashed.encode("latin-1"))
    except ValueError:          # not a hash bcrypt can read: it cannot match
        return False


def _apr1(passwd: bytes, hashed: str) -> bool:
    from passlib.hash import apr_md5_crypt
    try:
        return apr_md5_crypt.verify(passwd, hashed)
    except ValueError:
        return False


_CRYPT = None          # (function, uses crypt_rn) once libcrypt is loaded; False: none
CRYPT_DATA_SIZE = 1 << 18   # covers libxcrypt's struct crypt_data (32 KB) and glibc's (128 KB)


def _libcrypt():
    global _CRYPT
    if _CRYPT is None:
        import ctypes
        import ctypes.util
        _CRYPT = False
        for name in ("libcrypt.so.1", ctypes.util.find_library("crypt")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
            except OSError:
                continue
            fn = getattr(lib, "crypt_rn", None)       # libxcrypt: NULL on failure
            rn = fn is not None
            if fn is None:
                fn = lib.crypt_r
            fn.restype = ctypes.c_char_p
            fn.argtypes = ([ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
                           if rn else [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p])
            _CRYPT = (fn, rn)
            break
    return _CRYPT


def _crypt(passwd: bytes, hashed: str) -> bool:
    """The system's crypt_r(3) (libxcrypt on Debian, as APR calls it), with a buffer of
    its own per call, so threads never share crypt()'s static one."""
    found = _libcrypt()
    if not found or b"\0" in passwd:
        return False
    import ctypes
    fn, rn = found
    setting = hashed.encode("latin-1", "replace")
    data = ctypes.create_string_buffer(CRYPT_DATA_SIZE)
    out = fn(passwd, setting, data, CRYPT_DATA_SIZE) if rn else fn(passwd, setting, data)
    return out is not None and out == setting


def password_validate(passwd: str, hashed: str) -> bool:
    """apr_password_validate(passwd, hash) == APR_SUCCESS."""
    raw = passwd.encode("latin-1", "replace")
    if hashed[:4] in ("$2a$", "$2y$"):
        return _bcrypt(raw, hashed)
    if hashed.startswith(APR1_ID):
        return _apr1(raw, hashed)
    if hashed.startswith(SHA1PW_ID):
        sample = SHA1PW_ID + base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii")
        return sample == hashed
    return _crypt(raw, hashed)
