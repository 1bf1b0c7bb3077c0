"""apr_password_validate (apr-util's crypto/apr_passwd.c): a password against the
stored hash of an htpasswd line, in every format APR accepts.

* ``$2a$`` / ``$2y$``: bcrypt (APR's own crypt_blowfish; here the ``bcrypt`` package);
  APR reads at most 72 bytes of the password, and so does this.
* ``$apr1$``: APR's MD5 (``passlib``'s apr_md5_crypt, from the maintained ``libpass``).
* ``{SHA}``: base64 of the SHA-1 of the password.
* anything else goes to the system's crypt() as APR does on Linux (``crypt_r``, the
  stdlib's crypt module kept for Python 3.13+): traditional DES, ``$1$``, ``$5$``,
  ``$6$``, ``$2b$``, ``$y$``...  A plain-text password is therefore refused, as Apache
  refuses it on Linux (crypt() of it is not it).

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


def _crypt(passwd: bytes, hashed: str) -> bool:
    import crypt_r
    try:
        # crypt_r hands the C library UTF-8: the request's bytes, when they are UTF-8
        word = passwd.decode("utf-8")
        computed = crypt_r.crypt(word, hashed)
    except (UnicodeDecodeError, ValueError, OSError):
        return False
    return computed is not None and computed == hashed


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
