"""core against the real binary: ``apache2 -t`` and ``python -m httpd -t`` print the same
thing on the same file (skipped where apache2 is not installed)."""
from __future__ import annotations

import pytest

BODIES = [
    "DocumentRoot /nonexistent-docroot\n",
    "<VirtualHost *:80>\nDocumentRoot /nonexistent-docroot\n</VirtualHost>\n",
    "ServerTokens Minimal\nServerTokens bogus\n",
    "LimitRequestBody -1\n",
    "Timeout abc\nMaxKeepAliveRequests x\nLimitRequestFields abc\nLimitRequestLine 1.5\n",
    "KeepAliveTimeout 1.5\n",
    "Options Indexes +FollowSymLinks\n",
    "<Directory />\nAllowOverride Options=Bogus\n</Directory>\n",
    "<Directory />\nAllowOverrideList Foo ServerName Options Redirect\n</Directory>\n",
    "<Location />\nAllowOverride None\n</Location>\n",
    "HostnameLookups maybe\n",
    "LogLevel so:info mod_so.c:debug core_module:trace8 info alias:warn\n",
    "LogLevel bogus:info\n",
    "LogLevel trace3\nDefaultType text/plain\n",
    "NameVirtualHost *:80\nNameVirtualHost *:81\n",
    "ErrorDocument 401 http://x/y\nErrorDocument 404 \"%{bogus:x}\"\n",
    "ErrorLogFormat \"[%{u}t] [%-m:%l] %7F: %E: [client\\ %a] %M% ,\\ referer\\ %{Referer}i\"\n"
    "ErrorLogFormat connection \"%a\"\nErrorLogFormat request \"%5a\"\n",
    "Mutex file:/tmp mpm-accept watchdog-callback OmitPID\nMutex none mpm-accept\n",
    "<VirtualHost *:80>\nPidFile x\n</VirtualHost>\n",
    "MaxMemFree -1\n",
    "CoreDumpDirectory /nonexistent-x\n",
    "RegexDefaultOptions NONE +ICASE\n<DirectoryMatch (>\n</DirectoryMatch>\n",
    "<Directory a b>\nOptions None\n</Directory>\n",
    "<Location />\n<Files x>\n</Files>\n</Location>\n",
    "<Directory />\n<LimitExcept GET>\n<Limit POST>\n</Limit>\n</LimitExcept>\n</Directory>\n",
    "<Directory />\n<Limit GET FOO>\n<Limit FOO>\nRequire all denied\n</Limit>\n</Limit>\n"
    "</Directory>\n",
    "<If \"%{HTTP_HOST} == 'a'\">\n</If>\n<ElseIf \"-f '/x' && %{REQUEST_URI} =~ m#^/a#\">\n"
    "</ElseIf>\n<Else>\n</Else>\n<Else>\n</Else>\n",
    "<If \"tolower('a' == 1\">\n</If>\n",
    "<If \"true\">\nServerAdmin x\n</If>\n",
    "<VirtualHost 80>\n</VirtualHost>\n",
    "<VirtualHost *:abc>\n</VirtualHost>\n",
    "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>\n",
    "<VirtualHost *:80>\nServerAlias a *.b\nLogLevel info\nDefaultType text/html\n"
    "</VirtualHost>\nServerAlias x\n",
    "HttpProtocolOptions Strict LenientMethods Allow0.9 Unsafe\n",
    "FlushMaxPipelined -2\n",
    "SetHandler \"%{FOO}\"\n",
    "ErrorLog nodir/error.log\n",
]


@pytest.mark.parametrize("body", BODIES)
def test_same_output_as_apache(differential, body):
    differential(body)
