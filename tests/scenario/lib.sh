# Shared by the scenario tests: a temporary folder, a config, checks.
# Each check prints "ok N - what" or "not ok N - what"; finish prints the
# totals and gives the exit status.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$PWD}"
PD="$top_builddir/postdesk"
PY=/usr/bin/python3
T_N=0
T_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-test.XXXXXX")
T_PIDS=""
cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() {	# ok "what" CONDITION-COMMAND...
	local what=$1; shift
	T_N=$((T_N + 1))
	if "$@"; then echo "ok $T_N - $what"; else T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $what"; fi
}
is() {	# is "what" GOT WANT
	T_N=$((T_N + 1))
	if [ "$2" = "$3" ]; then echo "ok $T_N - $1"
	else T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"; echo "#   got:  $2"; echo "#   want: $3"; fi
}
finish() {
	# Every test's outgoing mail is scanned (tests/tools/leakscan.py):
	# what its databases queued and what its SMTP sinks and mailboxes
	# received for a customer holds no note, staff address or
	# notification text.
	ok "outgoing mail: nothing of the staff side reached a customer" \
		$PY "$top_srcdir/tests/tools/leakscan.py" "$TMP"
	echo "1..$T_N"
	echo "# $((T_N - T_FAIL)) passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ]
	exit $?
}

# A config with one queue and two staff, in $TMP/etc (tests/tools/testconf.sh).
. "$top_srcdir/tests/tools/testconf.sh"
write_config() {
	test_conf "$TMP" "${SMTP_PORT:-25}" "${EXTRA_CONF:-}"
	export POSTDESK_CONF="$TMP/etc/postdesk.conf"
	"$PD" init >/dev/null
}

# Run SQL against the test database (read only).
sql() {
	$PY - "$TMP/var/postdesk.db" "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PYEOF
}

# A free TCP port on 127.0.0.1.
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A real SMTP server (aiosmtpd) on a free port; mails land in $TMP/smtp.
start_smtp() {
	SMTP_PORT=${SMTP_PORT:-$(free_port)}
	mkdir -p "$TMP/smtp"
	$PY "$top_srcdir/tests/tools/smtpd.py" "$SMTP_PORT" "$TMP/smtp" ${SMTP_TLS:-} 2>"$TMP/smtpd.err" &
	SMTP_PID=$!
	T_PIDS="$T_PIDS $SMTP_PID"
	for _ in $(seq 1 100); do
		$PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$SMTP_PORT),1)" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "# smtp server did not start: $(cat "$TMP/smtpd.err")"
	return 1
}
stop_smtp() {
	kill "$SMTP_PID" 2>/dev/null; wait "$SMTP_PID" 2>/dev/null
}
# Number of mails the SMTP server accepted.
smtp_count() { ls "$TMP/smtp"/*.eml 2>/dev/null | wc -l; }
# One header of the Nth received mail, decoded (python email).
smtp_header() {	# smtp_header N NAME
	$PY - "$TMP/smtp/$(printf %04d "$1").eml" "$2" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
v = m.get_all(sys.argv[2]) or []
print("\n".join(str(x) for x in v))
PYEOF
}
smtp_body() {	# smtp_body N: the text/plain part
	$PY - "$TMP/smtp/$(printf %04d "$1").eml" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(preferencelist=("plain",)).get_content(), end="")
PYEOF
}
smtp_rcpts() {	# smtp_rcpts N: envelope recipients, one per line
	sed -n 's/^RCPT TO //p' "$TMP/smtp/$(printf %04d "$1").env"
}
