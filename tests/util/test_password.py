"""apr_password_validate (httpd/util/password.py) on hashes htpasswd made for the
password "secret": each format accepts it and refuses another; plain text is refused as
APR refuses it on Linux; a hash no library can read is a mismatch, never an error."""
from __future__ import annotations

import pytest

from httpd.util.password import password_validate

Y = "$2y$05$Og2lTXA3gLSxphjP7delfeqDpSjW1sEj3tD5q0Dr6X5QqRD7EKjK6"     # htpasswd -B
HASHES = {
    "bcrypt $2y$": Y,
    "bcrypt $2a$": "$2a$" + Y[4:],
    "bcrypt $2b$ (crypt)": "$2b$" + Y[4:],
    "apr1": "$apr1$fZoJc4II$unWRCEboQpRiFUGXxjEjK1",                   # htpasswd -m
    "sha1": "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",                      # htpasswd -s
    "des crypt": "JQJ5fEUANdp.I",                                      # htpasswd -d
    "sha256 crypt": "$5$D2BQvE5kqu39B5s5$bgk1AiHwPvXR1vo4K13xZRBtmBF5YbQhaaV7PUltGaA",
    "sha512 crypt": "$6$5orL.itQk3.PpJ0.$vpxjPyH6VhlkyUjUzPzJAoOqCxr0u4kdktAz6xlqLgdSxdL3"
                    "75hyXIzsjWCFTB.uGcmg8DqT4Neiw0YjIZgCF0",
}


@pytest.mark.parametrize("name", sorted(HASHES))
def test_each_format_accepts_the_password_and_refuses_another(name):
    assert password_validate("secret", HASHES[name])
    assert not password_validate("secreT", HASHES[name])
    assert not password_validate("", HASHES[name])


def test_plain_text_is_refused():
    assert not password_validate("secret", "secret")


@pytest.mark.parametrize("bad", ["$2y$05$short", "$apr1$", "$apr1$x", "{SHA}", "", "*",
                                 "$6$", "$2y$99$Og2lTXA3gLSxphjP7delfeqDpSjW1sEj3tD5q0Dr6X5Q"])
def test_unreadable_hashes_never_match(bad):
    assert not password_validate("secret", bad)


def test_bcrypt_reads_72_bytes_as_apr():
    import bcrypt
    h = bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4, b"2a")).decode()
    assert password_validate("a" * 72 + "anything", h)
    assert not password_validate("a" * 71, h)


def test_non_ascii_passwords():
    import bcrypt
    h = bcrypt.hashpw("é".encode("latin-1"), bcrypt.gensalt(4, b"2a")).decode()
    assert password_validate("\xe9", h)           # latin-1: the request's byte
    assert not password_validate("\xe9", HASHES["des crypt"])


def test_crypt_gets_the_request_bytes():
    """crypt() sees the password's bytes as they came (latin-1 here), as APR passes them."""
    import ctypes
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    stored = lib.crypt(b"\xe9t\xe9", b"$6$saltsalt$").decode("latin-1")
    assert password_validate("\xe9t\xe9", stored)
    assert not password_validate("\xe9te", stored)
