#!/bin/bash
# Benchmarks of postdeskd against a private Dovecot (IMAP IDLE) and a
# local SMTP server (aiosmtpd): the latency from an IMAP APPEND to the
# acknowledgement reaching the SMTP server, and the daemon's resident
# memory idle, after a bulk of mail and idle again.  Prints one line per
# figure and appends the same lines to ./bench.out; never asserts.
# PD and PDD override ./postdesk and ./postdeskd.  Sizes:
# BENCH_LATENCY (mails, one at a time, default 200), BENCH_BULK (mails
# appended in one go, default 10000).  Each wait is bounded.
# Goals (not checked): p50 <= 100 ms, p99 <= 500 ms, <= 16 MB idle,
# flat after the bulk.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PD=${PD:-$PWD/postdesk}
PDD=${PDD:-$PWD/postdeskd}
OUT=$PWD/bench.out
N_LAT=${BENCH_LATENCY:-200}
N_BULK=${BENCH_BULK:-10000}
T_BULK=${BENCH_BULK_TIME:-420}	# seconds for the bulk to be taken in and answered
for b in "$PD" "$PDD"; do
	if [ ! -x "$b" ]; then
		echo "bench: no binary at $b (run from the build folder or set PD and PDD)" >&2
		exit 1
	fi
done
PD=$(cd "$(dirname "$PD")" && pwd)/$(basename "$PD")
PDD=$(cd "$(dirname "$PDD")" && pwd)/$(basename "$PDD")

# The scenario helpers: $TMP (removed on exit), write_config, sql,
# free_port, T_PIDS (stopped on exit), and the private Dovecot.
BENCH_PD=$PD
top_srcdir=$SRC top_builddir=$(dirname "$PD")
. "$SRC/tests/scenario/lib.sh"
. "$SRC/tests/scenario/dovecot.sh"
PD=$BENCH_PD
trap 'exit 130' INT TERM

CFLAGS_USED=$(sed -n 's/^CFLAGS = //p' "$(dirname "$PDD")/Makefile" 2>/dev/null | head -1)
MACHINE="$(nproc) cpus, $(uname -m), cflags '${CFLAGS_USED:-?}', $($DOVECOT --version 2>/dev/null | sed 's/^/dovecot /;s/ (.*//')"
fig() {	# fig NAME VALUE UNIT CONDITIONS
	printf '%-24s %10s %-8s %s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT"
}
skip() {
	fig "daemon.$1" skipped - "$2"
	exit 0
}

echo "# postdeskd bench: $PDD"
echo "# machine: $MACHINE"
start_dovecot >/dev/null || skip latency "Dovecot did not start"

# The SMTP server: accepts everything, keeps nothing, and appends one
# line per mail, "TIME RCPT...", TIME being time.time() when the DATA
# was accepted, so the latency does not depend on how often it is read.
cat > "$TMP/smtpd.py" <<'PYEOF'
import signal, sys, time
from aiosmtpd.controller import Controller

class Handler:
    def __init__(self, log):
        self.log = open(log, "a", buffering=1)
    async def handle_DATA(self, server, session, envelope):
        self.log.write("%.6f %s\n" % (time.time(), " ".join(envelope.rcpt_tos)))
        return "250 2.0.0 Ok"

ctl = Controller(Handler(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]),
                 data_size_limit=0, decode_data=False)
ctl.start()
signal.sigwait([signal.SIGTERM, signal.SIGINT])
ctl.stop()
PYEOF
SMTP_PORT=$(free_port)
: > "$TMP/smtp.log"
$PY "$TMP/smtpd.py" "$SMTP_PORT" "$TMP/smtp.log" 2>"$TMP/smtpd.err" &
T_PIDS="$T_PIDS $!"
up=0
for _ in $(seq 1 100); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1',$SMTP_PORT),1)" 2>/dev/null &&
		up=1 && break
	sleep 0.1
done
[ "$up" = 1 ] || skip latency "SMTP server did not start: $(head -1 "$TMP/smtpd.err")"

EXTRA_CONF="mailboxes = ( { name = \"support\";
  url = \"imap://127.0.0.1:$IMAP_PORT/INBOX\"; user = \"$IMAP_USER\";
  password_file = \"$IMAP_PASSFILE\"; queue = \"Support\";
  after = \"move:Processed\"; poll = \"60s\"; } );"
write_config
PDD_CMD=("$PDD")
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$TMP/var" "$TMP/etc"
	PDD_CMD=("$PDD" -u nobody)
fi
"${PDD_CMD[@]}" -c "$POSTDESK_CONF" -f 2>"$TMP/daemon.err" >/dev/null &
DPID=$!
T_PIDS="$T_PIDS $DPID"
for _ in $(seq 1 100); do
	grep -q 'imap support: connected' "$TMP/daemon.err" && break
	sleep 0.1
done
grep -q 'imap support: connected' "$TMP/daemon.err" ||
	skip latency "postdeskd did not connect: $(tail -1 "$TMP/daemon.err")"
rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$DPID/status"; }
# Where the resident memory is: heap and stacks, or mapped files (libraries).
rss_parts() { echo "RssAnon $(mb "$(rss RssAnon)") MiB, RssFile $(mb "$(rss RssFile)") MiB, $(ls /proc/$DPID/task | wc -l) threads"; }
mb() { $PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / 1024.0))" "${1:-0}"; }

# (b1) Resident memory idle after start.
sleep 5
fig daemon.rss.idle "$(mb "$(rss VmRSS)")" MiB \
	"VmRSS of postdeskd 5 s after start, one IMAP mailbox (IDLE), empty database; $(rss_parts); $MACHINE"

# (a0) The floor that Dovecot sets: from before APPEND to a plain IDLE
# client (another folder, not watched by postdeskd) reading EXISTS.
$PY - "$IMAP_PORT" "$IMAP_USER" "$IMAP_PASS" "$N_LAT" > "$TMP/idle.out" 2>&1 <<'PYEOF'
import imaplib, socket, sys, time
port, user, pw, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], min(int(sys.argv[4]), 50)
M = imaplib.IMAP4("127.0.0.1", port)
M.login(user, pw)
M.create("Probe")
s = socket.create_connection(("127.0.0.1", port), 10)
f = s.makefile("rb")
def until(tag):
    while True:
        l = f.readline()
        if not l or l.startswith(tag):
            return l
f.readline()
s.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), pw.encode())); until(b"a ")
s.sendall(b"b SELECT Probe\r\n"); until(b"b ")
s.sendall(b"c IDLE\r\n"); until(b"+")
lat = []
for i in range(n):
    t0 = time.time()
    M.append("Probe", None, None, b"From: p@example.org\r\nSubject: probe\r\n\r\nprobe\r\n")
    l = until(b"*")
    while l and b"EXISTS" not in l:
        l = until(b"*")
    lat.append(time.time() - t0)
lat.sort()
print("%.1f %.1f" % (1000 * lat[len(lat) // 2], 1000 * lat[-1]))
PYEOF
read -r idle50 idlemax < "$TMP/idle.out"

# (a) Latency, one mail at a time: from just before the APPEND command
# to the SMTP server accepting the acknowledgement's DATA.
cat > "$TMP/latency.py" <<'PYEOF'
import imaplib, os, sys, time
port, user, pw, n, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
M = imaplib.IMAP4("127.0.0.1", port)
M.login(user, pw)
f = open(log)
f.seek(0, os.SEEK_END)
buf = ""
lat, app, lost = [], [], 0
for i in range(1, n + 1):
    rcpt = "l%05d@example.org" % i
    m = ("From: Latency %d <%s>\r\nTo: support@example.com\r\nSubject: Latency %d\r\n"
         "Message-ID: <lat-%d@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
         "Hello, this is mail %d.\r\n" % (i, rcpt, i, i, i)).encode()
    t0 = time.time()
    M.append("INBOX", None, None, m)
    app.append(time.time() - t0)
    got = None
    deadline = time.monotonic() + 10
    while got is None and time.monotonic() < deadline:
        buf += f.read()
        lines = buf.split("\n")
        buf = lines.pop()
        for l in lines:
            t, _, rcpts = l.partition(" ")
            if rcpt in rcpts.split():
                got = float(t)
        if got is None:
            time.sleep(0.002)
    if got is None:
        lost += 1
    else:
        lat.append(got - t0)
M.logout()
lat.sort()
app.sort()
def pct(a, p):
    return 1000 * a[min(len(a) - 1, int(round(p / 100.0 * len(a) + 0.5)) - 1)] if a else -1
print("%.1f %.1f %.1f %.1f %d %.1f" % (pct(lat, 50), pct(lat, 99), 1000 * lat[-1] if lat else -1,
      1000 * lat[0] if lat else -1, lost, pct(app, 50)))
PYEOF
read -r p50 p99 pmax pmin lost app50 < <($PY "$TMP/latency.py" "$IMAP_PORT" "$IMAP_USER" \
	"$IMAP_PASS" "$N_LAT" "$TMP/smtp.log")
cond="$N_LAT mails appended one at a time, each after the previous one's acknowledgement; from before IMAP APPEND to the SMTP server (aiosmtpd, 127.0.0.1) accepting the ticket_created mail's DATA; poll 60s so IDLE picks up; min ${pmin} ms, max ${pmax} ms, $lost not acknowledged within 10 s; APPEND itself p50 ${app50} ms"
fig daemon.ack_latency.p50 "$p50" ms "$cond; $MACHINE"
fig daemon.ack_latency.p99 "$p99" ms "same run"
fig dovecot.idle_notify.p50 "${idle50:-?}" ms \
	"the floor: from before APPEND to a plain IDLE client (Python socket, another folder) reading EXISTS, $((N_LAT < 50 ? N_LAT : 50)) mails, max ${idlemax:-?} ms; Dovecot 2.3 delays IDLE notices by 500 ms (NOTIFY_DELAY_MSECS in lib-storage/mailbox-watch.c)"

# (b2) Resident memory after a bulk of mail appended through IMAP in one
# session, once all of it is taken in and answered, and 30 s later.
t0=$(date +%s.%N)
$PY - "$IMAP_PORT" "$IMAP_USER" "$IMAP_PASS" "$N_BULK" <<'PYEOF' > "$TMP/bulk.out"
import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
bad = 0
for i in range(1, int(sys.argv[4]) + 1):
    m = ("From: Bulk %d <b%05d@example.org>\r\nTo: support@example.com\r\nSubject: Bulk question %d\r\n"
         "Message-ID: <bulk-%d@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
         "Hello, this is bulk mail %d.\r\n%s" % (i, i, i, i, i, "Some text of a typical mail. " * 60)).encode()
    if M.append("INBOX", None, None, m)[0] != "OK":
        bad += 1
M.logout()
print(bad)
PYEOF
t1=$(date +%s.%N)
want=$((N_LAT + N_BULK))
done_all=TIMEOUT
for _ in $(seq 1 $((T_BULK * 2))); do
	if [ "$(sql 'SELECT count(*) FROM tickets')" = "$want" ] &&
	   [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ]; then
		done_all=ok
		break
	fi
	sleep 0.5
done
t2=$(date +%s.%N)
tickets=$(sql 'SELECT count(*) FROM tickets')
sent=$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")
got=$(wc -l < "$TMP/smtp.log")
secs() { $PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
fig daemon.rss.after_bulk "$(mb "$(rss VmRSS)")" MiB \
	"VmRSS once $N_BULK more mails (~2 KB, distinct senders) appended through IMAP in one session ($(secs "$t0" "$t1") s, $(cat "$TMP/bulk.out") failed) are taken in and answered: $tickets tickets, $sent outbox rows sent, $got mails at the SMTP server, $done_all after $(secs "$t0" "$t2") s; VmHWM $(mb "$(rss VmHWM)") MiB; $(rss_parts)"
fig daemon.bulk.rate "$($PY -c "import sys; print('%.1f' % ((int(sys.argv[1]) - int(sys.argv[3])) / (float(sys.argv[2]) or 1)))" "$tickets" "$(secs "$t0" "$t2")" "$N_LAT")" tickets/s \
	"tickets made / seconds from the first APPEND of the bulk until all are in and the outbox is empty (acks and 2 staff notices each)"
sleep 30
fig daemon.rss.idle_after "$(mb "$(rss VmRSS)")" MiB "VmRSS 30 s later, idle; $(rss_parts)"
grep -v 'outbox: [0-9]* sent' "$TMP/daemon.err" | sed 's/^/# postdeskd: /' | tail -5
echo "# figures appended to $OUT"
