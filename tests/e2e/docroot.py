"""The DocumentRoot of reliability.md section 0, built in a scratch directory."""
from __future__ import annotations

import os
from pathlib import Path

CANARY = "CANARY-outside-the-docroot-5f2a\n"


def make_docroot(root: Path) -> Path:
    docs = root / "htdocs"
    (docs / "sub").mkdir(parents=True)
    (docs / "limited").mkdir()
    (docs / "index.html").write_text("<html><body>index</body></html>")   # 32 bytes
    (docs / "hello.txt").write_text("hello\n")
    (docs / "big.txt").write_bytes(b"0123456789" * 10_000)
    with open(docs / "huge.bin", "wb") as f:
        f.truncate(20_000_000)
    (docs / "sub" / "file.txt").write_text("sub file\n")
    (docs / "limited" / "index.html").write_text("limited\n")
    outside = root / "outside.txt"
    outside.write_text(CANARY)
    os.symlink(outside, docs / "link-out.txt")
    return docs


def reliability_config(root: Path, docs: Path) -> str:
    """Section 0's configuration, minus what this server does not offer yet (mod_reqtimeout,
    mod_status, mod_cgi; User/Group, which only the MPMs' children switch to).  Apache's
    compiled-in defaults are not written out, so each server uses its own: this one's
    differ where reliability.md 1.3 asks for stricter (HTTP/0.9, TRACE)."""
    (root / "cgi-bin").mkdir(exist_ok=True)
    return f"""DocumentRoot {docs}
LogFormat "%h \\"%r\\" %>s %b conn=%X keepalive=%k pid=%P dur_us=%D" rel
CustomLog {root}/logs/access_log rel
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory {docs}>
    Options FollowSymLinks
    Require all granted
</Directory>
<Directory {docs}/limited>
    LimitRequestBody 1000
</Directory>
<Directory {root}/cgi-bin>
    Require all granted
    LimitRequestBody 1000
</Directory>
Alias /cgi-bin/ {root}/cgi-bin/
"""
