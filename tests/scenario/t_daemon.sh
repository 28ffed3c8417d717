#!/bin/bash
# t_daemon.sh: postdeskd with Maildir mailboxes (SPEC 2, 9): mail taken
# in and moved to cur/, SIGHUP reloads, SIGTERM stops cleanly, kill -9
# in the middle of a backlog loses and duplicates nothing, --once.
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
if [ ! -x "$PDD" ]; then
	echo "# $PDD not built"
	exit 77
fi
# Nothing listens there: every mail is deferred, deterministically.
SMTP_PORT=$(free_port)
MD1="$TMP/Maildir"
MD2="$TMP/Maildir2"
EXTRA_CONF="mailboxes = ({ name = \"local\"; url = \"maildir:$MD1\"; queue = \"Support\"; });"
write_config
CONF="$TMP/etc/postdesk.conf"
mkdir -p "$MD1"/new "$MD1"/cur "$MD1"/tmp "$MD2"/new "$MD2"/cur "$MD2"/tmp

# Started as root, postdeskd drops to -u USER; it must own the files.
RUN_USER=nobody
own() { [ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$TMP"; return 0; }

# deliver_md DIR N: mail N written to tmp/ then renamed into new/.
deliver_md() {
	local f
	f=$(printf '%010d.M%d.test' "$2" "$2")
	cat > "$1/tmp/$f" <<MAIL
From: Customer $2 <customer$2@example.org>
To: support@example.com
Subject: Question number $2
Message-ID: <q$2@example.org>
Date: Sun, 22 Nov 2026 10:00:00 +0000

Hello, this is question $2.
MAIL
	mv "$1/tmp/$f" "$1/new/$f"
}

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
tickets() { sql "SELECT count(*) FROM tickets"; }
tickets_are() { [ "$(tickets)" = "$1" ]; }
count_files() { find "$1" -type f | wc -l; }
files_are() { [ "$(count_files "$1")" = "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
log_has() { grep -qF "$1" "$TMP/daemon.log"; }

start_daemon() {
	own
	"$PDD" -f -u "$RUN_USER" -c "$CONF" "$@" 2>>"$TMP/daemon.log" &
	DPID=$!
	T_PIDS="$T_PIDS $DPID"
	wait_for 5 log_has "started:"
}
# stop_daemon: SIGTERM; STOP_RC is the exit status, or "timeout" when
# it is still running 5 s later.
stop_daemon() {
	kill -TERM "$DPID"
	if wait_for 5 gone "$DPID"; then
		wait "$DPID"
		STOP_RC=$?
	else
		STOP_RC=timeout
	fi
}

# 1. Start-up errors: config (78, FILE:LINE), unknown user (67).
printf 'database = 42;\nqueues = ();\n' > "$TMP/bad.conf"
"$PDD" -f -c "$TMP/bad.conf" 2>"$TMP/bad.err"
is "bad config exits 78" "$?" 78
ok "bad config error names FILE:LINE" grep -q "^postdeskd: $TMP/bad.conf:[0-9]*: " "$TMP/bad.err"
if [ "$(id -u)" = 0 ]; then
	"$PDD" -f -c "$CONF" -u no-such-user-pd 2>/dev/null
	is "root with an unknown -u user exits 67" "$?" 67
else
	is "not root: no user switch" "$(id -u)" "$(id -u)"
fi

# 2. A mail arriving in new/ becomes a ticket and moves to cur/:2,S.
: > "$TMP/daemon.log"
start_daemon -p "$TMP/postdeskd.pid"
ok "daemon started" kill -0 "$DPID"
is "pid file holds the pid" "$(cat "$TMP/postdeskd.pid")" "$DPID"
"$PDD" -f -u "$RUN_USER" -c "$CONF" -p "$TMP/postdeskd.pid" 2>"$TMP/second.err"
is "second instance on the same pid file exits 75" "$?" 75
ok "second instance says already running" grep -q "already running (pid $DPID" "$TMP/second.err"
deliver_md "$MD1" 1
ok "ticket within 5 s" wait_for 5 tickets_are 1
ok "mail moved to cur/ within 5 s" wait_for 5 test -f "$MD1/cur/0000000001.M1.test:2,S"
is "new/ empty" "$(count_files "$MD1/new")" 0
is "ticket subject" "$(sql "SELECT ref, subject FROM tickets")" "TKT-0001|Question number 1"
is "acknowledgement and staff mails queued" \
	"$(sql "SELECT event FROM outbox ORDER BY id")" \
	"$(printf 'ticket_created\nstaff_new_ticket\nstaff_new_ticket')"

# 3. SIGHUP with a second mailbox: it is watched.
grep -v '^mailboxes' "$CONF" > "$CONF.new"
echo "mailboxes = ({ name = \"local\"; url = \"maildir:$MD1\"; queue = \"Support\"; }," \
	"{ name = \"second\"; url = \"maildir:$MD2\"; queue = \"Support\"; });" >> "$CONF.new"
mv "$CONF.new" "$CONF"
own
kill -HUP "$DPID"
ok "reload logged" wait_for 5 log_has "reloaded: 2 mailboxes (+1 -0)"
deliver_md "$MD2" 2
ok "mail in the new mailbox taken in" wait_for 5 tickets_are 2
ok "it moved to the second cur/" wait_for 5 test -f "$MD2/cur/0000000002.M2.test:2,S"
deliver_md "$MD1" 3
ok "first mailbox still watched" wait_for 5 tickets_are 3

# A broken config on SIGHUP is refused and the old one kept.
cp "$CONF" "$CONF.good"
echo 'this is not libconfig' >> "$CONF"
kill -HUP "$DPID"
ok "broken reload refused" wait_for 5 log_has "reload failed: keeping the old configuration"
ok "the error names FILE:LINE" log_has "$CONF:"
deliver_md "$MD2" 4
ok "still taking mail after a failed reload" wait_for 5 tickets_are 4
mv "$CONF.good" "$CONF"

# 4. SIGTERM: stops within 5 s with status 0, pid file removed.
stop_daemon
is "SIGTERM exits 0 within 5 s" "$STOP_RC" 0
ok "pid file removed" test ! -e "$TMP/postdeskd.pid"
ok "stop logged" log_has "postdeskd: stopped"

# 5. kill -9 in the middle of 200 mails, restart: 200 tickets exactly.
for i in $(seq 101 300); do deliver_md "$MD1" "$i"; done
start_daemon
ok "some mail taken in before the kill" wait_for 10 \
	sh -c "[ \$(find '$MD1/cur' -type f | wc -l) -ge 5 ]"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
done_at_kill=$(($(tickets) - 4))
ok "killed in the middle ($done_at_kill of 200 done)" \
	test "$done_at_kill" -gt 0 -a "$done_at_kill" -lt 200
start_daemon
ok "backlog drained after restart" wait_for 60 files_are "$MD1/new" 0
is "exactly 204 tickets" "$(tickets)" 204
is "no message recorded twice" \
	"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE kind = 'customer'")" \
	"204|204"
is "one ticket per customer" \
	"$(sql "SELECT count(*) FROM (SELECT customer_id FROM tickets GROUP BY customer_id HAVING count(*) > 1)")" 0
is "202 files in cur/ of the first mailbox" "$(count_files "$MD1/cur")" 202
stop_daemon
is "SIGTERM after the backlog exits 0" "$STOP_RC" 0

# 6. --once: drain both mailboxes, run timers, flush; 75 while the SMTP
# server is away (the mails are deferred, not lost).
deliver_md "$MD1" 401
deliver_md "$MD2" 402
own
"$PDD" --once -u "$RUN_USER" -c "$CONF" >"$TMP/once.out" 2>"$TMP/once.err"
is "--once exits 75 while SMTP is down" "$?" 75
ok "--once summary" grep -q '^mailboxes: 2, mails: 2; timers: 0 warned, 0 breached, 0 closed; first responses late: 0; outbox: 0 sent, [1-9][0-9]* deferred, 0 failed, [0-9]* waiting$' "$TMP/once.out"
is "--once recorded both" "$(tickets)" 206
is "--once emptied new/" "$(count_files "$MD1/new")$(count_files "$MD2/new")" 00
own
"$PDD" --once -u "$RUN_USER" -c "$CONF" >"$TMP/once2.out" 2>&1
ok "second --once finds nothing" grep -q '^mailboxes: 2, mails: 0;' "$TMP/once2.out"
is "still 206 tickets" "$(tickets)" 206

# Under --enable-sanitizers: no report from any run (leaks included).
ok "no sanitizer report" sh -c "! grep -qs 'Sanitizer\|runtime error' '$TMP'/*.log '$TMP'/*.err '$TMP'/*.out"

finish
