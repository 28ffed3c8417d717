#!/bin/bash
# t_lmtp.sh: postdeskd's LMTP server (RFC 2033) with a real Postfix
# delivering to it through the routing of contrib/postfix-lmtp.cf:
# one mail in, the conversation itself (pipelining, dot-stuffing,
# sequence errors), recipients checked against the queues, a mail over
# SIZE, a locked database (451, nothing lost), kill -9 in the middle of a
# 500-mail stream (every mail stored exactly once), too many
# connections, SIGHUP and SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lmtp_postfix.sh"

PDD="$top_builddir/postdeskd"
LMTPC="$PY $top_srcdir/tests/tools/lmtpc.py"
SMTP_PORT=$(free_port)	# nothing listens: outgoing mail waits, deterministically
LPORT=$(free_port)
EXTRA_CONF="lmtp = { listen = [ \"unix:lmtp.sock\", \"127.0.0.1:$LPORT\" ]; max_connections = 8; };
limits = { max_message = \"20k\"; };"
write_config
CONF="$TMP/etc/postdesk.conf"
SOCK="$TMP/etc/lmtp.sock"
RUN_USER=nobody
own() { chmod 755 "$TMP"; [ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$TMP/etc" "$TMP/var"; return 0; }

wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
gone() { ! kill -0 "$1" 2>/dev/null; }
log_has() { grep -qF "$1" "$TMP/daemon.log"; }
messages() { sql "SELECT count(*) FROM messages WHERE kind = 'customer'"; }
messages_ge() { [ "$(messages)" -ge "$1" ]; }
maillog_count() { grep -c -- "$1" "$PF_DIR/maillog"; }

starts() { grep -c "postdeskd: started:" "$TMP/daemon.log"; }
start_daemon() {
	local n
	n=$(starts)
	own
	"$PDD" -f -u "$RUN_USER" -c "$CONF" 2>>"$TMP/daemon.log" &
	DPID=$!
	T_PIDS="$T_PIDS $DPID"
	wait_for 5 sh -c "[ \$(grep -c 'postdeskd: started:' '$TMP/daemon.log') -gt $n ]"
}
stop_daemon() {
	kill -TERM "$DPID"
	if wait_for 5 gone "$DPID"; then
		wait "$DPID"
		STOP_RC=$?
	else
		STOP_RC=timeout
	fi
}
# mail N [SIZE_PAD]: a customer mail with its own sender and Message-ID.
mail() {
	printf 'From: Customer %s <c%s@example.org>\nTo: support@example.com\nSubject: Question %s\nMessage-ID: <lm%s@example.org>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n\nHello, question %s.\n' \
		"$1" "$1" "$1" "$1" "$1"
	if [ -n "${2:-}" ]; then head -c "$2" /dev/zero | tr '\0' 'x' | fold -w 70; echo; fi
}

# 1. Start: both addresses listen, the socket is the MTA's to write.
: > "$TMP/daemon.log"
start_daemon
ok "daemon started" kill -0 "$DPID"
ok "listening logged" log_has "lmtp: listening on 2 addresses"
ok "unix socket exists" test -S "$SOCK"
is "socket mode 0666" "$(stat -c %a "$SOCK")" 666

# 2. The conversation, pipelined in one write: greeting, LHLO
# capabilities, recipient checks, one reply per accepted recipient after
# DATA, dot-stuffing undone, sequence errors.
$LMTPC "$SOCK" > "$TMP/talk1" <<EOF
HELO x
MAIL FROM:<a@example.org>
LHLO client.test
DATA
RCPT TO:<support@example.com>
MAIL FROM:<Someone@Example.ORG> BODY=8BITMIME
MAIL FROM:<b@example.org>
RCPT TO:<nobody@example.com>
RCPT TO:<support@example.com>
RCPT TO:<Support+TKT-9999@example.com>
RCPT TO:<support+note@example.com>
RCPT TO:<support@elsewhere.example>
DATA
From: Someone <someone@example.org>
To: support@example.com
Subject: Dots
Message-ID: <dots@example.org>

..a line that starts with a dot
...two dots
.
NOOP
RSET
VRFY support
FROB
QUIT
EOF
cat > "$TMP/want1" <<EOF
220 example.com LMTP postdesk ready
500 5.5.1 This is LMTP: say LHLO
503 5.5.1 LHLO first
250-example.com
250-PIPELINING
250-ENHANCEDSTATUSCODES
250-8BITMIME
250-SMTPUTF8
250 SIZE 20480
503 5.5.1 MAIL first
503 5.5.1 MAIL first
250 2.1.0 Ok
503 5.5.1 MAIL already given
550 5.1.1 <nobody@example.com>: no such queue here
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
550 5.1.1 <support@elsewhere.example>: no such queue here
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 <support@example.com> Stored: TKT-0001 new
250 2.0.0 <support+tkt-9999@example.com> Stored: - duplicate
250 2.0.0 <support+note@example.com> Stored: - duplicate
250 2.0.0 Ok
250 2.0.0 Ok
252 2.5.0 Send the mail and see
500 5.5.2 Unknown command
221 2.0.0 Bye
EOF
is "pipelined conversation, reply by reply" "$(cat "$TMP/talk1")" "$(cat "$TMP/want1")"
is "stored once, dots unstuffed" \
	"$(sql "SELECT subject, from_addr FROM messages")" "Dots|someone@example.org"
# The raw mail as kept (in the database when small, else in the spool).
$PY - "$TMP/var/postdesk.db" "$TMP/var/spool" > "$TMP/raw1" <<'PYEOF'
import sqlite3, sys, os, zlib
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
sha, data, size = db.execute("SELECT m.raw_sha256, r.data, r.size FROM messages m JOIN raw_mail r "
                             "ON r.sha256 = m.raw_sha256").fetchone()
if data is not None and len(data) < size:	# kept gzip-compressed
    data = zlib.decompress(data, 16 + 15)
if data is None:
    for d, _, files in os.walk(sys.argv[2]):
        if sha in files:
            data = open(os.path.join(d, sha), "rb").read()
sys.stdout.buffer.write(data or b"")
PYEOF
is "raw mail: LF line ends, one dot less" "$(grep -c $'\r' "$TMP/raw1"; grep '^\.' "$TMP/raw1")" \
	"$(printf '0\n.a line that starts with a dot\n..two dots')"
ok "envelope sender and recipient logged" \
	log_has "from=<someone@example.org> to=<support@example.com> size="

# DATA with no valid recipient; bad syntax; a mail over SIZE without a
# SIZE parameter (552 per recipient, nothing stored); SIZE declared too
# big; an empty mail.  Over TCP this time.
{
	printf 'LHLO c\nMAIL FROM:<a@example.org>\nRCPT TO:<nobody@example.com>\nDATA\n'
	printf 'RCPT TO:support@example.com\nRCPT TO:<support@example.com>\nRCPT TO:<support+x@example.com>\nDATA\n'
	mail 900 25000
	printf '.\nMAIL FROM:<a@example.org> SIZE=30000\nMAIL FROM:<a@example.org> SIZE=100 AUTH=<>\n'
	printf 'MAIL FROM:<a@example.org> SIZE=100\nRCPT TO:<support@example.com>\nDATA\n.\nQUIT\n'
} | $LMTPC "127.0.0.1:$LPORT" > "$TMP/talk2"
cat > "$TMP/want2" <<EOF
220 example.com LMTP postdesk ready
250-example.com
250-PIPELINING
250-ENHANCEDSTATUSCODES
250-8BITMIME
250-SMTPUTF8
250 SIZE 20480
250 2.1.0 Ok
550 5.1.1 <nobody@example.com>: no such queue here
503 5.5.1 No valid recipients
501 5.5.4 Syntax: RCPT TO:<address>
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
552 5.3.4 <support@example.com> Message size exceeds fixed maximum message size (20480)
552 5.3.4 <support+x@example.com> Message size exceeds fixed maximum message size (20480)
552 5.3.4 Message size exceeds fixed maximum message size (20480)
555 5.5.4 Unsupported parameter AUTH=<>
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
554 5.6.0 <support@example.com> Empty message
221 2.0.0 Bye
EOF
is "errors over TCP, reply by reply" "$(cat "$TMP/talk2")" "$(cat "$TMP/want2")"
is "nothing stored from them" "$(messages)" 1

# 3. Postfix, routed as contrib/postfix-lmtp.cf says, delivers to the socket.
pf_start "unix:$SOCK" "lmtp_destination_concurrency_limit = 4" || { finish; }
mail 1 > "$TMP/m1"
pf_send "c1@example.org" "support@example.com" "$TMP/m1"
ok "Postfix delivered over LMTP" wait_for 10 messages_ge 2
ok "Postfix logged it sent with our 250" wait_for 5 \
	grep -q "to=<support@example.com>.*status=sent (250 2.0.0 <support@example.com> Stored: TKT-0002 new)" "$PF_DIR/maillog"
ok "the envelope sender reached intake's log" log_has "from=<c1@example.org> to=<support@example.com>"

# Multi-recipient transaction with an unknown recipient: the known ones
# get 250 each, the unknown one is bounced by Postfix with our 550.
mail 2 > "$TMP/m2"
pf_send "c2@example.org" "support@example.com,support+tkt-0002@example.com,nobody@example.com" "$TMP/m2"
ok "unknown recipient bounced with 550 5.1.1" wait_for 10 \
	grep -q "to=<nobody@example.com>.*status=bounced (host .* said: 550 5.1.1 <nobody@example.com>: no such queue here" "$PF_DIR/maillog"
# Postfix sorts the recipients: whichever comes first makes the ticket,
# the other finds the mail seen.
ok "both known recipients: 250 each" wait_for 10 sh -c \
	"[ \$(grep -c 'to=<support\(+tkt-0002\)\?@example.com>.*status=sent (250 2.0.0 <support\(+tkt-0002\)\?@example.com> Stored: ' '$PF_DIR/maillog') = 3 ]"
is "one made TKT-0003, the other was the same mail" \
	"$(grep -o 'from=<c2@example.org> to=<[^>]*> size=[0-9]*: .*' "$TMP/daemon.log" | sed 's/.*: //' | sort)" \
	"$(printf -- '- duplicate\nTKT-0003 new')"
is "the mail stored once" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'lm2@example.org'")" 1
is "one LMTP transaction (one connection) for the three" \
	"$(grep "from=<c2@example.org>.*size=" "$TMP/daemon.log" | sed 's/.*\(lmtp#[0-9]*\):.*/\1/' | sort -u | wc -l)" 1

# A mail over SIZE: Postfix sees SIZE 20480 and bounces it itself.
mail 3 30000 > "$TMP/m3"
pf_send "c3@example.org" "support@example.com" "$TMP/m3"
ok "over SIZE: bounced by Postfix" wait_for 10 \
	grep -q "status=bounced (message size [0-9]* exceeds size limit 20480 of server" "$PF_DIR/maillog"
is "over SIZE: nothing stored" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'lm3@example.org'")" 0

# 4. A locked database: every recipient gets 451 4.3.0 after the busy
# timeout, Postfix keeps the mails, and once the lock goes they all come
# in, each once.
$PY - "$TMP/var/postdesk.db" "$TMP/locked" <<'PYEOF' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(60)
PYEOF
LOCK_PID=$!
T_PIDS="$T_PIDS $LOCK_PID"
wait_for 5 test -e "$TMP/locked"
for i in 11 12 13; do mail $i > "$TMP/m$i"; pf_send "c$i@example.org" "support@example.com" "$TMP/m$i"; done
ok "locked: Postfix got 451 4.3.0 and deferred" wait_for 30 \
	grep -q "status=deferred (host .* said: 451 4.3.0 <support@example.com> Temporary failure, nothing kept" "$PF_DIR/maillog"
is "locked: nothing stored yet" "$(sql "SELECT count(*) FROM messages WHERE message_id IN ('lm11@example.org','lm12@example.org','lm13@example.org')")" 0
kill "$LOCK_PID"; wait "$LOCK_PID" 2>/dev/null
pf_flush
ok "unlocked: Postfix queue empties" pf_wait_empty 40
is "unlocked: the three mails stored once each" \
	"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE message_id IN ('lm11@example.org','lm12@example.org','lm13@example.org')")" "3|3"

# 4b. Group commit: mails of several connections share one commit, and
# each 250 comes only once its mail is committed.  With the database
# locked from outside, connection A's mail is the leader's round, stuck
# in BEGIN; B's and C's mails arrive meanwhile and wait for the next
# round.  No reply comes while the lock is held; once it goes, every
# 250 is for a mail already in the database (looked up the moment the
# 250 is read), each mail is stored once, and B and C were one commit:
# 3 copies in 2 commits, as the daemon says when it stops.
stop_daemon
start_daemon
$PY - "$SOCK" "$TMP/var/postdesk.db" > "$TMP/gc.out" <<'PYEOF'
import select, socket, sqlite3, sys, time
sock, dbpath = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"LHLO gc.test\r\n")
    while f.readline()[3:4] == b"-":
        pass
    return s, f
def send(c, i):
    s, f = c
    s.sendall(b"MAIL FROM:<g%d@example.org>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n" % i)
    for _ in range(3):
        f.readline()
    s.sendall(b"From: G %d <g%d@example.org>\r\nTo: support@example.com\r\nSubject: Group %d\r\n"
              b"Message-ID: <gc%d@example.org>\r\n\r\nHello %d.\r\n.\r\n" % (i, i, i, i, i))
cs = {21: conn(), 22: conn(), 23: conn()}	# open (their ctx) before the lock
lock = sqlite3.connect(dbpath, isolation_level=None)
lock.execute("BEGIN EXCLUSIVE")
send(cs[21], 21)
time.sleep(0.5)
send(cs[22], 22)
send(cs[23], 23)
r, _, _ = select.select([c[0] for c in cs.values()], [], [], 1.5)
print("replies while locked: %d" % len(r))
lock.execute("ROLLBACK")
lock.close()
ro = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True, timeout=10)
for i, (s, f) in sorted(cs.items()):
    line = f.readline().decode().strip()
    n = ro.execute("SELECT count(*) FROM messages WHERE message_id = 'gc%d@example.org'"
                   % i).fetchone()[0]
    print("%d: %s; in the database when read: %d" % (i, line.split(" Stored")[0], n))
    s.sendall(b"QUIT\r\n")
PYEOF
printf '%s\n' "replies while locked: 0" \
	"21: 250 2.0.0 <support@example.com>; in the database when read: 1" \
	"22: 250 2.0.0 <support@example.com>; in the database when read: 1" \
	"23: 250 2.0.0 <support@example.com>; in the database when read: 1" > "$TMP/gc.want"
is "group commit: no reply before the commit, each 250 a stored mail" \
	"$(cat "$TMP/gc.out")" "$(cat "$TMP/gc.want")"
is "group commit: each stored once" \
	"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'gc%'")" "3|3"
stop_daemon
ok "group commit: B and C shared one commit (3 copies in 2 commits)" \
	log_has "lmtp: 3 copies stored in 2 commits"
start_daemon

# 5. kill -9 in the middle of a 500-mail stream: Postfix retries what got
# no 250, and every mail is stored exactly once.
# The 500 are queued while postdeskd is stopped, so that they all wait
# in Postfix, then flushed at once and postdeskd killed after 50.
BEFORE=$(messages)
stop_daemon
$PY - "$PF_PORT" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
for i in range(1000, 1500):
    m = ("From: Customer %d <k%d@example.org>\r\nTo: support@example.com\r\n"
         "Subject: Stream %d\r\nMessage-ID: <k%d@example.org>\r\n"
         "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nMail %d of the stream.\r\n" % (i, i, i, i, i))
    s.sendmail("k%d@example.org" % i, ["support@example.com"], m)
s.quit()
PYEOF
ok "500 mails wait in Postfix" wait_for 30 sh -c "[ \$(find '$PF_DIR/queue/deferred' '$PF_DIR/queue/active' '$PF_DIR/queue/incoming' -type f | wc -l) = 500 ]"
start_daemon
pf_flush
# Watch closely and kill as soon as 50 are in.
$PY - "$TMP/var/postdesk.db" $((BEFORE + 50)) <<'PYEOF'
import sqlite3, sys, time
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
end = time.monotonic() + 60
while time.monotonic() < end:
    if db.execute("SELECT count(*) FROM messages WHERE kind = 'customer'").fetchone()[0] >= int(sys.argv[2]):
        break
    time.sleep(0.005)
PYEOF
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
AT_KILL=$(messages)
ok "killed in the middle of the stream ($((AT_KILL - BEFORE)) of 500 in)" \
	test "$AT_KILL" -ge $((BEFORE + 50)) -a "$AT_KILL" -lt $((BEFORE + 500))
ok "Postfix keeps what got no 250" wait_for 10 sh -c "[ \$(find '$PF_DIR/queue/deferred' '$PF_DIR/queue/active' -type f | wc -l) -gt 0 ]"
start_daemon
ok "restarted over the stale socket" log_has "lmtp: listening on 2 addresses"
pf_flush
ok "stream: Postfix queue empties" pf_wait_empty 90
is "stream: 500 mails, each stored once" \
	"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'k1%@example.org'")" "500|500"
is "stream: 500 tickets" "$(sql "SELECT count(*) FROM tickets WHERE subject LIKE 'Stream %'")" 500
# 1 + 1 + 3 before, 500 now: one "sent" per mail, retried or not.
is "stream: Postfix logged each mail sent once" \
	"$(grep -c 'status=sent (250 2.0.0 <support@example.com> Stored: ' "$PF_DIR/maillog")" 505
is "no mail bounced by LMTP but the two meant to" "$(maillog_count "postfix/lmtp.*status=bounced")" 2

# 6. More connections than max_connections: the next one is told 421.
sed -i 's/max_connections = 8;/max_connections = 2;/' "$CONF"
own
kill -HUP "$DPID"
ok "reload restarts the listener" wait_for 5 sh -c \
	"[ \$(grep -c 'lmtp: listening on 2 addresses' '$TMP/daemon.log') -ge 3 ]"
$LMTPC --hold 3 "$SOCK" > "$TMP/h1" &
H1=$!
$LMTPC --hold 3 "$SOCK" > "$TMP/h2" &
H2=$!
T_PIDS="$T_PIDS $H1 $H2"
wait_for 5 sh -c "[ -s '$TMP/h1' ] && [ -s '$TMP/h2' ]"
printf 'QUIT\n' | $LMTPC "$SOCK" > "$TMP/h3"
is "third connection turned away" "$(cat "$TMP/h3")" "421 4.3.2 example.com Too many connections, try again later"
wait "$H1" "$H2"
is "the two held got the greeting" "$(cat "$TMP/h1" "$TMP/h2")" \
	"$(printf '220 example.com LMTP postdesk ready\n220 example.com LMTP postdesk ready\n')"

# 7. SIGTERM: an idle connection is told 421, the daemon exits 0, the
# socket is gone.
$LMTPC --hold 10 "127.0.0.1:$LPORT" > /dev/null &
H4=$!
T_PIDS="$T_PIDS $H4"
sleep 0.5
stop_daemon
is "SIGTERM exits 0 within 5 s" "$STOP_RC" 0
ok "socket removed" test ! -e "$SOCK"
kill "$H4" 2>/dev/null
pf_stop
# For a look after a failure: T_KEEP=DIR keeps a copy of the folder.
[ -n "${T_KEEP:-}" ] && cp -a "$TMP" "$T_KEEP"
finish
