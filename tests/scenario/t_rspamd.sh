#!/bin/bash
# spam.rspamd (SPEC 3, issue 9) against Debian's rspamd on 127.0.0.1,
# started with its own config in the temporary folder: GTUBE is
# quarantined as spam and never answered; an ordinary mail is
# acknowledged; a mail that already carries a verdict is not sent to
# rspamd; with rspamd stopped, and with a listener that never answers,
# the ordinary mail is still acknowledged within the timeout, and the
# failure is logged once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
RSPAMD=${RSPAMD:-/usr/bin/rspamd}
if [ ! -x "$RSPAMD" ]; then
	ok "rspamd is installed (Debian package rspamd)" false
	finish
fi
RS_PORT=$(free_port)
RS="$TMP/rspamd"
mkdir -p "$RS/db" "$RS/run" "$RS/log"
# Only the scanning worker, on our port; no DNS to wait for.
cat > "$RS/rspamd.conf" <<CONF
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
    dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 1; }
    # no Hyperscan compile: it would take both cores from the tests
    # running beside this one
    disable_hyperscan = true;
}
logging { type = "file"; filename = "\$LOGDIR/rspamd.log"; level = "error"; }
worker "normal" {
    bind_socket = "127.0.0.1:$RS_PORT";
    .include "\$CONFDIR/worker-normal.inc"
    count = 1;
}
CONF
RS_USER=()
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$RS/db" "$RS/run" "$RS/log"
	chmod 755 "$TMP"
	RS_USER=(-u nobody -g "$(id -gn nobody)")
fi
"$RSPAMD" -f -c "$RS/rspamd.conf" "${RS_USER[@]}" --var=LOCAL_CONFDIR="$RS" \
	--var=DBDIR="$RS/db" --var=RUNDIR="$RS/run" --var=LOGDIR="$RS/log" \
	>"$RS/stdout" 2>&1 &
RS_PID=$!
T_PIDS="$T_PIDS $RS_PID"
# Loading its rules takes rspamd a while on a busy machine.
up=0
for _ in $(seq 1 600); do
	if $PY -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$RS_PORT/ping', timeout=1).read().strip() == b'pong' else 1)" 2>/dev/null; then
		up=1; break
	fi
	kill -0 "$RS_PID" 2>/dev/null || break
	sleep 0.2
done
ok "rspamd answers on 127.0.0.1:$RS_PORT" test "$up" = 1
if [ "$up" != 1 ]; then
	sed 's/^/#   /' "$RS/stdout" "$RS/log/rspamd.log" 2>/dev/null | tail -15
	finish
fi

EXTRA_CONF="spam = { rspamd = \"http://127.0.0.1:$RS_PORT\"; timeout = \"3s\"; };" write_config
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
mail() {	# mail N FROM BODY [HEADER]
	printf 'From: %s\nTo: support@example.com\nSubject: Mail %s\n' "$2" "$1"
	printf 'Message-ID: <rspamd-%s@example.org>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n' "$1"
	[ -n "${4:-}" ] && printf '%s\n' "$4"
	printf '\n%s\n' "$3"
}
acks() { sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'ticket_created' AND r.addr = '$1'"; }

mail 1 "Spammer <bank@spam.example>" "$GTUBE" | "$PD" deliver 2>"$TMP/err1"
is "GTUBE: deliver exits 0" "$?" 0
is "GTUBE: quarantined as spam by rspamd" \
	"$(sql "SELECT reason FROM quarantine WHERE from_addr = 'bank@spam.example'")" "spam: rspamd: reject"
is "GTUBE: no ticket" "$(sql 'SELECT count(*) FROM tickets')" 0
is "GTUBE: nothing queued" "$(sql 'SELECT count(*) FROM outbox')" 0
mail 2 "Carol <carol@example.org>" "Hello, my printer is broken." | "$PD" deliver 2>"$TMP/err2"
is "ordinary mail: a ticket" "$(sql 'SELECT count(*) FROM tickets')" 1
is "ordinary mail: acknowledged" "$(acks carol@example.org)" 1
is "rspamd answering: nothing logged" "$(cat "$TMP/err1" "$TMP/err2")" ""
# A verdict from the MTA's filter is the verdict: rspamd is not asked.
mail 3 "Dave <dave@example.org>" "$GTUBE" "X-Spam-Status: No, score=0.0" | "$PD" deliver
is "verdict header present: rspamd not asked, acknowledged" "$(acks dave@example.org)" 1

# rspamd stopped: the mail goes in as if no filter were configured.
kill "$RS_PID"; wait "$RS_PID" 2>/dev/null
T_PIDS=$(echo "$T_PIDS" | sed "s/\b$RS_PID\b//")
start=$(date +%s)
mail 4 "Erin <erin@example.org>" "Hello again." | "$PD" deliver 2>"$TMP/err4"
rc=$?
took=$(( $(date +%s) - start ))
is "rspamd stopped: deliver exits 0" "$rc" 0
is "rspamd stopped: acknowledged" "$(acks erin@example.org)" 1
ok "rspamd stopped: within the 3 s timeout (took ${took}s)" test "$took" -le 3
is "rspamd stopped: logged" "$(grep -c 'rspamd at .* does not answer' "$TMP/err4")" 1
mail 5 "Finn <finn@example.org>" "Hello too." | "$PD" deliver 2>"$TMP/err5"
is "rspamd stopped: the second mail acknowledged" "$(acks finn@example.org)" 1
is "rspamd stopped: logged once, not again" "$(grep -c 'does not answer' "$TMP/err5")" 0

# A filter that accepts the connection and never answers: the timeout.
$PY - "$RS_PORT" <<'PYEOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        c, _ = s.accept(); conns.append(c)
    except OSError:
        pass
PYEOF
HANG_PID=$!
T_PIDS="$T_PIDS $HANG_PID"
sleep 1
start=$(date +%s)
mail 6 "Gwen <gwen@example.org>" "Hello, anyone?" | "$PD" deliver 2>"$TMP/err6"
rc=$?
took=$(( $(date +%s) - start ))
is "silent filter: deliver exits 0" "$rc" 0
is "silent filter: acknowledged" "$(acks gwen@example.org)" 1
ok "silent filter: waited for the timeout, not longer (took ${took}s)" test "$took" -ge 2 -a "$took" -le 5
finish
