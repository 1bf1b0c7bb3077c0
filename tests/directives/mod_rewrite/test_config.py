"""mod_rewrite's directives at config time: ``apache2 -t`` and ``httpd -t`` print the
same thing for each bad (and good) line (the ``differential`` fixture), and what this
server refuses that Apache would take (the map type dbm) is refused clearly."""
from __future__ import annotations

import pytest

from directives.mod_rewrite import parseargline

LOAD = "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"

CASES = [
    "RewriteEngine On\nRewriteRule ^/a /b [L,R=301,NC]\n",
    "RewriteEngine maybe\n",
    "RewriteRule\n",
    "RewriteRule ^/a\n",
    "RewriteRule ^/a /b [L\n",
    "RewriteRule ^/a /b L]\n",
    "RewriteRule ^/a /b [X]\n",
    "RewriteRule ^/a /b [Lx]\n",
    "RewriteRule ^/a /b [R=999]\n",
    "RewriteRule ^/a /b [R=250]\n",
    "RewriteRule ^/a /b [R=403]\n",
    "RewriteRule ^/a /b [BNE]\n",
    "RewriteRule ^/a /b [QSX]\n",
    "RewriteRule ^/a /b [Dfoo]\n",
    "RewriteRule (( /b\n",
    "RewriteRule \"^/a b\" /b\n",
    "RewriteRule ^/a /b [ L , NC ]\n",
    "RewriteCond\n",
    "RewriteCond %{HTTP_HOST}\n",
    "RewriteCond %{HTTP_HOST} (( \n",
    "RewriteCond %{HTTP_HOST} x [XX]\n",
    "RewriteCond %{HTTP_HOST} x [NC,OR,NV]\nRewriteRule ^ -\n",
    "RewriteCond %{HTTP_HOST} -f [NC]\nRewriteRule ^ -\n",
    "RewriteCond expr \"%{HTTP_HOST} ==\"\n",
    "RewriteCond expr \"%{HTTP_HOST} == 'a'\"\nRewriteRule ^ -\n",
    "RewriteBase /x\n",
    "<Directory /tmp>\nRewriteBase\n</Directory>\n",
    "<Directory /tmp>\nRewriteBase x\n</Directory>\n",
    "<Directory /tmp>\nRewriteBase /x/\n</Directory>\n",
    "RewriteOptions Inherit InheritBefore\n",
    "RewriteOptions Bogus\n",
    "RewriteOptions MaxRedirects=3\n",
    "RewriteMap m\n",
    "RewriteMap m txt:/nonexistent/map\n",
    "RewriteMap m /nonexistent/map\n",
    "RewriteMap m rnd:/nonexistent/map\n",
    "RewriteMap m int:nosuch\n",
    "RewriteMap m int:toupper\n",
    "RewriteMap m dbd:SELECT 1\n",
    "<Directory /tmp>\nRewriteMap m int:toupper\n</Directory>\n",
    "<VirtualHost *:80>\nRewriteEngine On\nRewriteOptions Inherit\n</VirtualHost>\n",
]


@pytest.mark.parametrize("body", CASES)
def test_t_as_apache(differential, body):
    differential(LOAD + body)



@pytest.mark.parametrize("kind", ["dbm:/etc/passwd", "dbm=db:/etc/passwd"])
def test_refused_map_types(tmp_path, kind):
    from tests.conformance import apache
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"LoadModule mpm_prefork_module x\n{LOAD}ServerName localhost\n"
                    f"ErrorLog error.log\nRewriteMap m {kind}\n")
    code, out = apache.run_t(apache.HTTPD, tmp_path, stamp=apache.SHORT_STAMP)
    assert code == 1
    assert "RewriteMap: map type" in out and "is not available in this server" in out


@pytest.mark.parametrize("line, words", [
    ("a b", ("a", "b", None)),
    ("a b [L]", ("a", "b", "[L]")),
    ('"a b" \'c d\' [L]', ("a b", "c d", "[L]")),
    ("a\\ b c", ("a\\ b", "c", None)),
    ("  a   b   ", ("a", "b", None)),
    ("a", None),
    ("", None),
])
def test_parseargline(line, words):
    assert parseargline(line) == words
