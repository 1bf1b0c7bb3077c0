#!/bin/sh
# Run Apache's own test suite (httpd-tests, Apache::Test) against this server or apache2.
# Optional, not part of CI (CI has no copy of httpd-tests); fetches nothing.
#
#   tests/apache_suite/run.sh /path/to/httpd-tests [ours|apache] [test dirs or files...]
#
# Needs Debian's libapache2-mod-perl2 (Apache::Test), libwww-perl and apache2-dev (apxs).
# Works on a copy of the checkout under a temp dir (C test modules removed: this server
# loads none of them), runs as a user `atest` (Apache::Test refuses root; made and removed
# here when absent), and bounds the run with `timeout` (about 100 s for apache2, 300 s
# for this server on 2 busy cores).
set -eu
src=${1:?usage: run.sh HTTPD_TESTS_CHECKOUT [ours|apache] [tests...]}
which=${2:-ours}
[ $# -ge 2 ] && shift 2 || shift $#
[ $# -gt 0 ] || set -- t/apache t/http11 t/protocol t/security t/modules
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/apache-suite.XXXXXX)
made_user=
cleanup() {
    # a run cut short by `timeout` leaves the suite's server up (on the suite's port)
    pid=$(cat "$work/t0/t/logs/httpd.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 2 || true
    [ -n "$made_user" ] && userdel atest 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cp -a "$src" "$work/t0" && rm -rf "$work/t0/.git" "$work/t0"/c-modules/*
# util_strlen() is an ap_expr function of the C module test_utilities (removed above);
# the one RewriteCond that calls it gets the same test as a regex, for both servers.
sed -i 's|util_strlen(%{REQUEST_FILENAME}) -le @limitrequestlinex2@|%{REQUEST_FILENAME} =~ /^.{0,@limitrequestlinex2@}$/|' \
    "$work/t0/t/conf/extra.conf.in"
if [ "$which" = apache ]; then
    bin=/usr/sbin/apache2
else
    py=${HTTPD_PYTHON:-$repo/.venv/bin/python}     # one the atest user can read
    bin=$work/httpd
    printf '#!/bin/sh\nPYTHONPATH=%s exec %s -m httpd "$@"\n' "$repo" "$py" > "$bin"
    chmod 755 "$bin"
fi
mods=/usr/lib/apache2/modules
{
    for m in mpm_prefork alias mime dir authz_core authz_host macro autoindex headers env \
             setenvif reqtimeout status authn_core auth_basic authn_file authz_user \
             authz_groupfile access_compat deflate filter negotiation cgi rewrite \
             expires allowmethods userdir remoteip asis speling unique_id actions \
             usertrack vhost_alias data reflector; do
        echo "LoadModule ${m}_module $mods/mod_$m.so"
    done
} > "$work/base.conf"
if [ "$(id -u)" = 0 ]; then
    id atest >/dev/null 2>&1 || { useradd -M atest; made_user=1; }
    chown -R atest "$work"
    chmod 755 "$work"
    run() { su atest -s /bin/sh -c "$*"; }
else
    run() { sh -c "$*"; }
fi
cd "$work/t0"
run "perl Makefile.PL -apxs /usr/bin/apxs -httpd '$bin' -httpd_conf '$work/base.conf'" \
    > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
status=0
run "timeout 900 t/TEST -httpd '$bin' -httpd_conf '$work/base.conf' $*" \
    > "$work/test.log" 2>&1 || status=$?
grep -v '^\[.*trace[0-9]\]' "$work/test.log" || true
exit $status
