#!/bin/bash
# LMTP benchmarks of postdeskd: ingest of BENCH_LMTP (10 000) mails over
# 4 connections with our own client (lmtpsend.py); the latency from the end
# of SMTP DATA at a real Postfix (which hands the mail to postdeskd over
# LMTP, routed as contrib/postfix-lmtp.cf says) to the acknowledgement
# accepted by Postfix's smtp-sink, over BENCH_LMTP_LATENCY (200) mails;
# the daemon's resident memory idle and after the ingest; disk per mail.
# Prints one line per figure and appends it to ./bench.out; never
# asserts.  PD and PDD override ./postdesk and ./postdeskd.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PD=${PD:-$PWD/postdesk}
PDD=${PDD:-$PWD/postdeskd}
OUT=$PWD/bench.out
N_LMTP=${BENCH_LMTP:-10000}
N_LAT=${BENCH_LMTP_LATENCY:-200}
N_CONNS=${BENCH_LMTP_CONNS:-4}	# LMTP connections of the ingest
T_LMTP=${BENCH_LMTP_TIME:-240}	# seconds the ingest may take
for b in "$PD" "$PDD"; do
	if [ ! -x "$b" ]; then
		echo "bench: no binary at $b (run from the build folder or set PD and PDD)" >&2
		exit 1
	fi
done
PD=$(cd "$(dirname "$PD")" && pwd)/$(basename "$PD")
PDD=$(cd "$(dirname "$PDD")" && pwd)/$(basename "$PDD")
BENCH_PD=$PD
top_srcdir=$SRC top_builddir=$(dirname "$PD")
. "$SRC/tests/scenario/lib.sh"
. "$SRC/tests/scenario/lmtp_postfix.sh"
PD=$BENCH_PD
trap 'pf_stop; exit 130' INT TERM
trap 'pf_stop; cleanup' EXIT

CFLAGS_USED=$(sed -n 's/^CFLAGS = //p' "$(dirname "$PDD")/Makefile" 2>/dev/null | head -1)
MACHINE="$(nproc) cpus, $(uname -m), cflags '${CFLAGS_USED:-?}', postfix $(postconf -d -h mail_version 2>/dev/null)"
fig() {	# fig NAME VALUE UNIT CONDITIONS
	printf '%-24s %10s %-8s %s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT"
}
mb() { $PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / 1024.0))" "${1:-0}"; }
for t in smtp-sink postfix; do
	command -v "$t" >/dev/null || { fig lmtp.rate skipped - "$t missing (apt-get install postfix)"; exit 0; }
done

echo "# postdeskd LMTP bench: $PDD"
echo "# machine: $MACHINE"
chmod 755 "$TMP"

# smtp-sink takes the outbox's mail and dumps each into a file (for the
# latency: the file's mtime is when its DATA was accepted).
SINK_PORT=$(free_port)
mkdir -p "$TMP/sink"
chown nobody "$TMP/sink" 2>/dev/null
smtp-sink -u nobody -d "$TMP/sink/%M." "127.0.0.1:$SINK_PORT" 256 >/dev/null 2>"$TMP/sink.err" &
T_PIDS="$T_PIDS $!"
SMTP_PORT=$SINK_PORT
EXTRA_CONF="lmtp = { listen = [ \"unix:lmtp.sock\" ]; max_connections = 32; };"
write_config
SOCK=$TMP/etc/lmtp.sock
PDD_CMD=("$PDD")
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$TMP/var" "$TMP/etc"
	PDD_CMD=("$PDD" -u nobody)
fi
"${PDD_CMD[@]}" -c "$POSTDESK_CONF" -f 2>"$TMP/daemon.err" >/dev/null &
DPID=$!
T_PIDS="$T_PIDS $DPID"
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && break
	sleep 0.1
done
[ -S "$SOCK" ] || { fig lmtp.rate skipped - "postdeskd did not listen: $(tail -1 "$TMP/daemon.err")"; exit 0; }
# CPU seconds (user + sys) postdeskd used so far: its threads, its
# parser children (one per LMTP connection's database handle, alive
# while the handle is pooled) and whatever children it reaped.
dcpu() { $PY - "$DPID" <<'PYEOF'
import os, sys
tck = os.sysconf('SC_CLK_TCK')
def stat(pid):
    try:
        return open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
    except OSError:
        return None
top = sys.argv[1]
f = stat(top)
t = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
kids, seen = [top], set()
while kids:
    p = kids.pop()
    for q in os.listdir('/proc'):
        if q.isdigit() and q not in seen:
            g = stat(q)
            if g and g[1] == p:
                seen.add(q)
                kids.append(q)
                t += int(g[11]) + int(g[12])
print('%.3f' % (t / tck))
PYEOF
}
rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$DPID/status"; }
rss_parts() { echo "RssAnon $(mb "$(rss RssAnon)") MiB, RssFile $(mb "$(rss RssFile)") MiB, $(ls /proc/$DPID/task | wc -l) threads"; }
sleep 3
fig lmtp.daemon.rss.idle "$(mb "$(rss VmRSS)")" MiB \
	"VmRSS of postdeskd 3 s after start, LMTP on a unix socket, no mailbox, empty database; $(rss_parts); $MACHINE"

# 1. Ingest: the import bench's mail (genmbox.py, seed 1, 2000
# customers, 20 % replies) over 4 LMTP connections by lmtpsend.py, one
# mail in flight per connection, each kept open (as Postfix's LMTP client
# caches them).  Not smtp-source -L: its one sender would pass the
# per-sender flood limit after 20 mails, and what was measured then was
# quarantining, not ticket creation.
echo "# generating $N_LMTP mails (genmbox.py --seed 1 --customers 2000) ..."
$PY "$HERE/genmbox.py" --count "$N_LMTP" --customers 2000 --seed 1 "$TMP/lmtp.mbox" || {
	fig lmtp.rate skipped - "genmbox.py failed"
	exit 0
}
PERF_PID=
if [ -n "${BENCH_LMTP_PERF:-}" ]; then	# a profile of postdeskd during the ingest
	perf record -F 499 --call-graph dwarf,16384 -p "$DPID" -o "$BENCH_LMTP_PERF" \
		>/dev/null 2>"$TMP/perf.err" &
	PERF_PID=$!
	sleep 1
fi
c0=$(dcpu)
timeout "$T_LMTP" $PY "$HERE/lmtpsend.py" --conns "$N_CONNS" "$SOCK" "$TMP/lmtp.mbox" \
	>"$TMP/source.out" 2>"$TMP/source.err"
src_rc=$?
c1=$(dcpu)
if [ -n "$PERF_PID" ]; then
	kill -INT "$PERF_PID"
	wait "$PERF_PID"
fi
read -r nsent n ntemp nother secs ccli < "$TMP/source.out" ||
	{ nsent=$N_LMTP n=0 ntemp=0 nother=0 secs=$T_LMTP ccli=0; }
ntk=$(sql "SELECT count(*) FROM tickets")
nmsg=$(sql "SELECT count(*) FROM messages WHERE kind = 'customer'")
nq=$(sql "SELECT count(*) FROM quarantine")
nqf=$(sql "SELECT count(*) FROM quarantine WHERE reason = 'flood'")
fig lmtp.rate "$($PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / max(0.001, float(sys.argv[2]))))" "$n" "$secs")" mails/s \
	"lmtpsend.py: $nsent genmbox.py mails (seed 1, 2000 senders, 20 % replies) over $N_CONNS LMTP connections to postdeskd's unix socket, one mail in flight each; each reply after the commit (WAL, synchronous=FULL); $n answered 250, $ntemp 4xx, $nother other, in ${secs}s; they made $ntk tickets and $nmsg customer messages, $nq quarantined ($nqf flood); exit $src_rc; client CPU ${ccli}s; the outbox sender queues and sends acks to smtp-sink meanwhile; $MACHINE"
ccpu=$($PY -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$c0" "$c1")
fig lmtp.rate.cpu "$($PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / max(0.001, float(sys.argv[2]))))" "$n" "$ccpu")" mails/s \
	"same run: mails / CPU seconds of postdeskd and its parser children during it (${ccpu}s, outbox sender included; load $(cut -d' ' -f1 /proc/loadavg))"
# Wait for the outbox to empty, then memory and disk.
for _ in $(seq 1 600); do
	[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ] && break
	sleep 0.5
done
fig lmtp.daemon.rss.after "$(mb "$(rss VmRSS)")" MiB \
	"VmRSS after $n LMTP mails taken in and the outbox emptied; VmHWM $(mb "$(rss VmHWM)") MiB; $(rss_parts)"
dbk=$(du -ck "$TMP/var/postdesk.db"* | tail -1 | cut -f1)
spk=$(du -sk "$TMP/var/spool" | cut -f1)
raw=$(sql "SELECT sum(size) FROM raw_mail")
n=$(sql "SELECT count(*) FROM raw_mail")
fig lmtp.disk_per_mail "$(( (dbk + spk) * 1024 / (n > 0 ? n : 1) ))" B/mail \
	"(db incl. -wal + spool, du) / $n mails kept (raw_mail rows), after the LMTP ingest; raw mail $(( ${raw:-0} / (n > 0 ? n : 1) )) B/mail avg; outbox rows included (acks, staff notices)"
fig lmtp.disk_ratio "$($PY -c "import sys; print('%.2f' % ((int(sys.argv[1]) * 1024) / max(1, int(sys.argv[2] or 0))))" "$((dbk + spk))" "${raw:-0}")" x \
	"disk / raw bytes of the stored mail, same run"

# 2. Latency through a real Postfix: SMTP DATA end at Postfix -> LMTP to
# postdeskd -> commit -> outbox -> acknowledgement accepted by smtp-sink.
pf_start "unix:$SOCK" "lmtp_destination_concurrency_limit = 4" >/dev/null || {
	fig lmtp.ack_latency.p50 skipped - "Postfix did not start"
	exit 0
}
$PY - "$PF_PORT" "$TMP/sink" "$N_LAT" > "$TMP/lat.out" <<'PYEOF'
import os, smtplib, sys, time
port, sink, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seen = set(os.listdir(sink))
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
lat, lost = [], 0
for i in range(1, n + 1):
    rcpt = "lat%05d@example.org" % i
    m = ("From: Latency %d <%s>\r\nTo: support@example.com\r\nSubject: Latency %d\r\n"
         "Message-ID: <lmtplat-%d@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
         "Hello, this is mail %d.\r\n" % (i, rcpt, i, i, i))
    s.mail(rcpt)
    s.rcpt("support@example.com")
    t0 = time.time()
    s.data(m)
    got = None
    deadline = time.monotonic() + 10
    while got is None and time.monotonic() < deadline:
        for f in os.listdir(sink):
            if f in seen:
                continue
            p = os.path.join(sink, f)
            try:
                head = open(p, "rb").read(2048)
            except OSError:
                continue
            if b"X-Rcpt-Args: <%s>" % rcpt.encode() in head:
                got = os.stat(p).st_mtime
                seen.add(f)
        if got is None:
            time.sleep(0.001)
    if got is None:
        lost += 1
    else:
        lat.append(max(0.0, got - t0))
s.quit()
lat.sort()
def pct(a, q):
    return 1000 * a[min(len(a) - 1, int(round(q / 100.0 * len(a) + 0.5)) - 1)] if a else -1
print("%.1f %.1f %.1f %.1f %d" % (pct(lat, 50), pct(lat, 99), 1000 * lat[0] if lat else -1,
      1000 * lat[-1] if lat else -1, lost))
PYEOF
read -r p50 p99 pmin pmax lost < "$TMP/lat.out"
cond="$N_LAT mails one at a time through Postfix $(postconf -d -h mail_version 2>/dev/null) (own instance, smtpd on 127.0.0.1 -> lmtp:unix: postdeskd, as contrib/postfix-lmtp.cf); from before the SMTP DATA command to the mtime of smtp-sink's dump of the ticket_created acknowledgement; min ${pmin} ms, max ${pmax} ms, $lost not seen within 10 s"
fig lmtp.ack_latency.p50 "$p50" ms "$cond; $MACHINE"
fig lmtp.ack_latency.p99 "$p99" ms "same run"
pf_stop
echo "# figures appended to $OUT"
