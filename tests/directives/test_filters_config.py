"""mod_deflate, mod_filter and mod_negotiation directives: ``httpd -t`` says what
``apache2 -t`` says (each line is one config, after loading the three modules)."""
from __future__ import annotations

import pytest

LOADS = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"
                for m in ("filter", "deflate", "negotiation"))

# each body starts at line 13 of the file (DIFF_PREFIX is 9 lines, LOADS 3)
BODIES = [
    "DeflateCompressionLevel 0\n", "DeflateCompressionLevel 9\n", "DeflateCompressionLevel x\n",
    "DeflateWindowSize 16\n", "DeflateWindowSize 8\n", "DeflateMemLevel 10\n",
    "DeflateBufferSize 0\n", "DeflateBufferSize 4096\n", "DeflateAlterETag Bogus\n",
    "DeflateAlterETag Remove\n", "DeflateFilterNote bogus n\n", "DeflateFilterNote ratio r\n",
    "DeflateFilterNote r\n", "DeflateCompressionLevel\n",
    "FilterProvider f NOPE \"true\"\n", "FilterProvider f DEFLATE \"%{ bad\"\n",
    "FilterProvider f DEFLATE \"%{CONTENT_TYPE} =~ m#^text/#\"\n",
    "FilterTrace nope 1\n", "FilterProtocol nope change=yes\n",
    "FilterDeclare f\nFilterProtocol f x change=yes\n",
    "FilterDeclare f CONTENT_SET\nFilterProtocol f change=yes byteranges=no\n",
    "FilterChain +a -b @c =d !\n", "AddOutputFilterByType DEFLATE\n",
    "AddOutputFilterByType NOPE text/html\n", "AddOutputFilterByType DEFLATE text/html text/css\n",
    "ForceLanguagePriority None Prefer\n", "ForceLanguagePriority Prefer None\n",
    "ForceLanguagePriority Bogus\n", "ForceLanguagePriority Prefer Fallback\n",
    "LanguagePriority en fr\n", "DeflateInflateRatioLimit 0\n", "DeflateInflateRatioLimit 50\n",
    "DeflateInflateRatioBurst x\n", "DeflateInflateRatioBurst 2\n", "CacheNegotiatedDocs maybe\n", "CacheNegotiatedDocs on\n",
    # request body input filters
    "SetInputFilter DEFLATE\n", "AddInputFilter DEFLATE .gz\n", "AddInputFilter DEFLATE\n",
    "DeflateInflateLimitRequestBody 10\n", "DeflateInflateLimitRequestBody -1\n",
    "DeflateInflateLimitRequestBody 10x\n", "DeflateInflateLimitRequestBody 99999999999999999999\n",
]


@pytest.mark.parametrize("body", BODIES)
def test_against_apache(differential, body):
    differential(LOADS + body)


def test_directive_table_is_apaches(tmp_path):
    """``httpd -L`` lists mod_filter's, mod_deflate's and mod_negotiation's directives
    with Apache's names, order, help and contexts (compared with ``apache2 -L``)."""
    import subprocess
    import sys
    from tests.conformance import apache
    if apache.APACHE is None:
        pytest.skip("apache2 is not installed")
    from tests.conftest import DIFF_PREFIX
    conf = tmp_path / "httpd.conf"
    conf.write_text(DIFF_PREFIX + LOADS)

    def listing(argv):
        out = subprocess.run(argv + ["-L", "-d", str(tmp_path), "-f", str(conf)],
                             capture_output=True, text=True, timeout=60).stdout
        lines, keep = [], False
        for line in out.splitlines():
            if not line.startswith("\t"):
                keep = any(m in line for m in ("mod_filter.c", "mod_deflate.c",
                                               "mod_negotiation.c"))
            if keep:
                lines.append(line)
        return lines
    ours = listing([sys.executable, "-m", "httpd"])
    assert ours and ours == listing([apache.APACHE])
