#!/bin/bash
# The postdesk demo: build, make a demo configuration in a temporary
# folder, deliver the sample mails of contrib/demo/ and show what became
# of them.  Installs the Debian packages it needs when run as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
need=$(tr '\n' ' ' < .ci/packages)
if ! dpkg-query -W $need >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "run as root to install: $need" >&2; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
if [ ! -x build/postdesk ] || [ -n "$(find src sql -newer build/postdesk 2>/dev/null | head -1)" ]; then
	./autogen.sh >/dev/null 2>&1
	mkdir -p build && (cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" >/dev/null)
fi
PD=${PD:-$top/build/postdesk}
dir=$(mktemp -d /tmp/postdesk-demo.XXXXXX)
cp -r conf/templates "$dir/templates"
cat > "$dir/postdesk.conf" <<CONF
database = "postdesk.db";
spool = "spool";
secret_file = "secret";
templates = "templates";
base_url = "http://127.0.0.1:8080/cgi-bin/postdesk.cgi";
staff = ( { name = "Alice Smith"; email = "alice@example.com"; role = "admin"; } );
queues = ( { name = "Support"; address = "support@example.com";
             staff = [ "alice@example.com" ]; } );
working_hours = { timezone = "UTC"; days = "Mon-Sun"; hours = "00:00-23:59"; };
CONF
export POSTDESK_CONF=$dir/postdesk.conf
echo "== postdesk init ($dir)"
$PD init
for f in contrib/demo/*.eml; do
	printf '== deliver %-28s ' "$(basename "$f")"
	$PD -v deliver < "$f" 2>&1 || true
done
echo "== postdesk list"
$PD list
echo "== postdesk show TKT-0001"
$PD show TKT-0001
echo "== postdesk quarantine list"
$PD quarantine list
echo "== postdesk outbox list"
$PD outbox list
echo "== postdesk stats"
$PD stats
echo "The demo's files are in $dir"
