#!/bin/bash
# t_crash.sh: exactly once through crashes (SPEC 2, 6), against a real
# Dovecot and a real SMTP server (aiosmtpd), both on 127.0.0.1.  A mail
# appended while postdeskd runs is answered within 5 s; then 200
# customer mails flow in through IDLE while the daemon is killed with
# SIGKILL twice and restarted: 200 tickets, no message twice, every
# mail moved, every customer acknowledged.  An acknowledgement may be
# sent twice only when a kill falls between the SMTP server's
# acceptance and the commit: at most one per kill.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
. "$top_srcdir/tests/scenario/dovecot.sh"
PDD=${POSTDESKD:-$top_builddir/postdeskd}
if [ ! -x "$PDD" ]; then
	echo "# $PDD not built"
	exit 77
fi
N=200
start_dovecot || exit 77
ok "smtp server started" start_smtp || finish

# postdeskd will not keep root: as root, hand it $TMP/var and $TMP/etc
# and let it run as nobody.
RUN_AS=
PDD_CMD=("$PDD")
if [ "$(id -u)" = 0 ]; then
	RUN_AS=nobody
	PDD_CMD=("$PDD" -u nobody)
fi
pd_own() { [ -z "$RUN_AS" ] || chown -R "$RUN_AS" "$TMP/var" "$TMP/etc"; }

# poll 60 s: only IDLE explains a quick pick-up.
EXTRA_CONF="mailboxes = ( { name = \"support\";
  url = \"imap://127.0.0.1:$IMAP_PORT/INBOX\"; user = \"$IMAP_USER\";
  password_file = \"$IMAP_PASSFILE\"; queue = \"Support\";
  after = \"move:Processed\"; poll = \"60s\"; } );"
write_config

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
tickets() { sql 'SELECT count(*) FROM tickets'; }
tickets_at_least() { [ "$(tickets)" -ge "$1" ]; }
connected() { [ "$(grep -c 'imap support: connected' "$TMP/daemon.err")" -ge "$1" ]; }
queued() { sql "SELECT count(*) FROM outbox WHERE status = 'queued'"; }
# The .env file of the mail received for ADDR (the first one).
env_for() { grep -lx "RCPT TO $1" "$TMP/smtp"/*.env 2>/dev/null | head -1; }
ack_for() { [ -n "$(env_for "$1")" ] && [ -e "$(env_for "$1" | sed 's/env$/eml/')" ]; }
drained() { [ "$(imap_count INBOX)" = 0 ] && [ "$(queued)" = 0 ]; }

# start_daemon: start postdeskd -f; 0 once it is connected (10 s).
STARTS=0
start_daemon() {
	pd_own
	"${PDD_CMD[@]}" -c "$POSTDESK_CONF" -f 2>>"$TMP/daemon.err" >/dev/null &
	DPID=$!
	T_PIDS="$T_PIDS $DPID"
	STARTS=$((STARTS + 1))
	wait_for 10 connected "$STARTS"
}
kill_daemon() {
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | sed "s/\b$DPID\b//")
}
: > "$TMP/daemon.err"

# 1. New mail answered through a real SMTP server.
ok "daemon connected to Dovecot" start_daemon
cat > "$TMP/first.eml" <<'MAIL'
From: First Customer <first@example.org>
To: support@example.com
Subject: My order has not arrived
Message-ID: <crash-first@example.org>
Date: Sun, 22 Nov 2026 10:00:00 +0000

Hello, where is my order?
MAIL
t0=$(date +%s%N)
imap_append "$TMP/first.eml"
ok "acknowledgement at the SMTP server within 5 s" wait_for 5 ack_for first@example.org
t1=$(date +%s%N)
echo "# acknowledgement after $(((t1 - t0) / 1000000)) ms"
f=$(env_for first@example.org)
is "it went to the customer only" "$(sed -n 's/^RCPT TO //p' "$f")" first@example.org
is "its subject carries [TKT-0001]" \
	"$(smtp_header "$(basename "$f" .env)" Subject)" \
	"[TKT-0001] We received your request: My order has not arrived"

# 2. 200 mails appended in one IMAP session while the daemon is
# killed twice.
$PY - "$IMAP_PORT" "$IMAP_USER" "$IMAP_PASS" "$N" "${APPEND_PAUSE:-0.02}" \
	>"$TMP/append.out" 2>&1 <<'PYEOF' &
import imaplib, sys, time
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
n, pause = int(sys.argv[4]), float(sys.argv[5])
bad = 0
for i in range(1, n + 1):
    m = ("From: Customer %03d <c%03d@example.org>\r\nTo: support@example.com\r\n"
         "Subject: Question %03d\r\nMessage-ID: <crash-%03d@example.org>\r\n"
         "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
         "Hello, this is question %d.\r\n" % (i, i, i, i, i)).encode()
    if M.append("INBOX", None, None, m)[0] != "OK":
        bad += 1
    time.sleep(pause)
M.logout()
print("appended %d, failed %d" % (n - bad, bad))
PYEOF
APID=$!
T_PIDS="$T_PIDS $APID"
kill_at=""
for at in 30 120; do
	if wait_for 60 tickets_at_least $((at + 1)); then
		kill_daemon
		n=$(($(tickets) - 1))
		kill_at="$kill_at $n"
		ok "killed with SIGKILL after $n of $N tickets" test "$n" -ge "$at"
		ok "restarted and connected" start_daemon
	else
		ok "$at tickets within 60 s (have $(($(tickets) - 1)))" false
	fi
done
wait "$APID"
T_PIDS=$(echo "$T_PIDS" | sed "s/\b$APID\b//")
is "all $N appended" "$(cat "$TMP/append.out")" "appended $N, failed 0"
ok "INBOX and outbox drained within 120 s" wait_for 120 drained
echo "# tickets when killed:$kill_at"

is "exactly $N + 1 tickets" "$(tickets)" $((N + 1))
is "no Message-ID recorded twice" \
	"$(sql 'SELECT count(*) - count(DISTINCT message_id) FROM messages')" 0
is "$((N + 1)) customer messages" "$(sql "SELECT count(*) FROM messages WHERE kind = 'customer'")" \
	$((N + 1))
is "INBOX empty" "$(imap_count INBOX)" 0
is "Processed holds $((N + 1))" "$(imap_count Processed)" $((N + 1))
is "nothing queued in the outbox" "$(queued)" 0
is "no outbox row failed" "$(sql "SELECT count(*) FROM outbox WHERE status = 'failed'")" 0

# Acknowledgements received per customer: each exactly once, but for
# at most one duplicate per kill (a kill between the SMTP server's
# acceptance and the commit, SPEC 6).
for i in $(seq -f %03g 1 "$N"); do echo "c$i@example.org"; done > "$TMP/want"
for f in "$TMP/smtp"/*.env; do
	[ -e "${f%.env}.eml" ] && sed -n 's/^RCPT TO \(c[0-9]*@example\.org\)$/\1/p' "$f"
done | sort | uniq -c | awk '{ print $2, $1 }' > "$TMP/acks"
is "every customer acknowledged" "$(cut -d' ' -f1 "$TMP/acks")" "$(cat "$TMP/want")"
dups=$(awk '$2 > 1' "$TMP/acks")
ndup=$(awk '$2 > 1 { n += $2 - 1 } END { print n + 0 }' "$TMP/acks")
[ -z "$dups" ] || echo "# sent twice (a kill between acceptance and commit): $dups"
echo "# duplicate acknowledgements: $ndup"
ok "at most one duplicate per kill ($ndup)" test "$ndup" -le 2
is "acknowledgements bear their ticket's subject" \
	"$(for f in "$TMP/smtp"/*.eml; do
		grep -m1 '^Subject: \[TKT-[0-9]*\] We received your request: Question [0-9]*' "$f"
	done | sed 's/.*Question //' | sort -u | wc -l)" "$N"
kill -TERM "$DPID"
ok "stops after SIGTERM" wait_for 5 sh -c "! kill -0 $DPID 2>/dev/null"
wait "$DPID" 2>/dev/null
T_PIDS=$(echo "$T_PIDS" | sed "s/\b$DPID\b//")
ok "no sanitizer report" sh -c "! grep -qs 'Sanitizer\|runtime error' '$TMP/daemon.err'"
grep -v 'outbox: [0-9]* sent' "$TMP/daemon.err" | sed 's/^/#   /' | tail -30
finish
