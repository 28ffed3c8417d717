#!/bin/bash
# The postdesk demo: a real Dovecot (IMAP) and a real SMTP server
# (aiosmtpd) on 127.0.0.1 in a temporary folder, postdeskd watching the
# Dovecot mailbox, lighttpd serving postdesk.cgi, the sample mails of
# contrib/demo/ appended one by one; then the tickets, the mails sent
# and the status-page links (each fetched once to show it answers).
# On a terminal it keeps running until Ctrl-C, which stops everything
# it started.  Installs the Debian packages it needs when run as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
need=$(tr '\n' ' ' < .ci/packages)
if ! dpkg-query -W $need >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "run as root to install: $need" >&2; exit 1; }
	echo "== installing Debian packages"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
if [ ! -x build/postdeskd ] || [ -n "$(find src sql -newer build/postdeskd 2>/dev/null | head -1)" ]; then
	echo "== building"
	./autogen.sh >/dev/null 2>&1
	mkdir -p build && (cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" >/dev/null)
fi
top_srcdir=$top
top_builddir=$top/build
set +e
. tests/scenario/lib.sh		# TMP, free_port, start_smtp, sql; cleanup on exit
. tests/scenario/dovecot.sh	# start_dovecot, imap_append, imap_count
PD=${PD:-$top/build/postdesk}
PDD=${PDD:-$top/build/postdeskd}

echo "== demo folder $TMP"
start_smtp || { echo "the SMTP server did not start" >&2; exit 1; }
echo "== SMTP server (aiosmtpd) on 127.0.0.1:$SMTP_PORT, pid $SMTP_PID"
start_dovecot || { echo "Dovecot did not start" >&2; exit 1; }
echo "== Dovecot on 127.0.0.1:$IMAP_PORT, pid $DOVECOT_PID"
EXTRA_CONF="mailboxes = ( { name = \"support\"; url = \"imap://127.0.0.1:$IMAP_PORT/INBOX\";
  user = \"$IMAP_USER\"; password_file = \"$IMAP_PASSFILE\"; queue = \"Support\";
  after = \"move:Processed\"; poll = \"60s\"; } );"
write_config
HTTP_PORT=$(free_port)
sed -i "s|^base_url = .*|base_url = \"http://127.0.0.1:$HTTP_PORT/postdesk.cgi\";|" "$POSTDESK_CONF"
PDD_CMD=("$PDD")
RUN_AS=$(id -un)
if [ "$(id -u)" = 0 ]; then	# neither postdeskd nor the CGI keeps root
	PDD_CMD=("$PDD" -u nobody)
	RUN_AS=nobody
	chown -R nobody "$TMP/var" "$TMP/etc"
fi

# The status page: lighttpd runs postdesk.cgi; /staff/ asks for a login.
mkdir -p "$TMP/www/staff" "$TMP/httpd"
chown "$RUN_AS" "$TMP/httpd"
ln -s "$top/build/postdesk.cgi" "$TMP/www/postdesk.cgi"
ln -s "$top/build/postdesk.cgi" "$TMP/www/staff/postdesk.cgi"
printf 'alice@example.com:demo\n' > "$TMP/htpasswd"
cat > "$TMP/lighttpd.conf" <<CONF
server.modules = ( "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv" )
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.username = "$RUN_AS"
server.errorlog = "$TMP/httpd/error.log"
server.follow-symlink = "enable"
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( "POSTDESK_CONF" => "$POSTDESK_CONF" )
auth.backend = "plain"
auth.backend.plain.userfile = "$TMP/htpasswd"
auth.require = ( "/staff/" => ( "method" => "basic", "realm" => "postdesk staff",
                                "require" => "valid-user" ) )
CONF
[ "$RUN_AS" = "$(id -un)" ] && sed -i '/^server.username/d' "$TMP/lighttpd.conf"
chown "$RUN_AS" "$TMP/htpasswd" 2>/dev/null
/usr/sbin/lighttpd -D -f "$TMP/lighttpd.conf" 2>"$TMP/lighttpd.stderr" &
T_PIDS="$! $T_PIDS"
echo "== lighttpd with postdesk.cgi on http://127.0.0.1:$HTTP_PORT/, pid $!"
"${PDD_CMD[@]}" -c "$POSTDESK_CONF" -f 2>"$TMP/postdeskd.log" &
PDD_PID=$!
T_PIDS="$PDD_PID $T_PIDS"
echo "== postdeskd watching imap://127.0.0.1:$IMAP_PORT/INBOX, pid $PDD_PID (log: $TMP/postdeskd.log)"

wait_for() {	# wait_for SECONDS COMMAND...: poll until it succeeds
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}
inbox_empty() { [ "$(imap_count INBOX)" = 0 ]; }
outbox_done() { [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ]; }

for f in contrib/demo/*.eml; do
	start=$(date +%s%N)
	imap_append "$f"
	wait_for 20 inbox_empty || echo "   (still in the INBOX after 20 s)"
	printf '   appended %-24s taken in after %4d ms\n' "$(basename "$f")" \
		$(( ($(date +%s%N) - start) / 1000000 ))
done
wait_for 20 outbox_done || echo "   (the outbox still waits: see postdesk outbox list)"

echo; echo "== postdesk list"
"$PD" list
echo; echo "== postdesk show TKT-0001"
"$PD" show TKT-0001
echo; echo "== mails the SMTP server received"
for env in "$TMP"/smtp/*.env; do
	n=$(basename "$env" .env); n=$((10#$n))
	printf '   to %-26s %s\n' "$(smtp_rcpts $n | tr '\n' ' ')" "$(smtp_header $n Subject)"
done
echo; echo "== quarantine"
"$PD" quarantine list
echo; echo "== status pages (the signed customer links)"
for ref in $(sql "SELECT ref FROM tickets ORDER BY id"); do
	url=$("$PD" show "$ref" | sed -n 's/^Status page: *//p')
	code=$($PY -c 'import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)' "$url" 2>/dev/null || echo "no answer")
	printf '   %s  %s  (HTTP %s)\n' "$ref" "$url" "$code"
done
echo "   staff view: http://127.0.0.1:$HTTP_PORT/staff/postdesk.cgi?view=staff (alice@example.com / demo)"
echo
if [ -t 0 ]; then
	echo "Everything is still running: try 'POSTDESK_CONF=$POSTDESK_CONF $PD list'."
	echo "Press Ctrl-C to stop Dovecot, the SMTP server, lighttpd and postdeskd."
	trap 'echo; echo "stopping"; exit 0' INT TERM
	while kill -0 "$PDD_PID" 2>/dev/null; do sleep 1; done
fi
