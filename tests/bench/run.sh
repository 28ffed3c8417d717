#!/bin/bash
# Benchmarks of the real binary against real servers: bulk import,
# one-process-per-mail deliver, outbox flush to a local SMTP server,
# database and spool size.  Prints one line per figure, measures and
# never asserts a speed; the same lines go to ./bench.out.
# `make bench` runs it from the build folder; PD overrides ./postdesk.
# Sizes can be lowered for a quick look: BENCH_IMPORT, BENCH_DELIVER,
# BENCH_FLUSH (mails); the whole run is bounded to about 10 minutes.
# BENCH_ONLY=flush runs only the outbox flush (its import included);
# BENCH_ONLY=deliver only the deliver part; BENCH_ONLY=import only the
# import into an empty database and the Python reference (section 1, 1b).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$SRC/tests/tools/testconf.sh"
PD=${PD:-$PWD/postdesk}
PY=/usr/bin/python3
OUT=$PWD/bench.out
N_IMPORT=${BENCH_IMPORT:-10000}
N_DELIVER=${BENCH_DELIVER:-1000}
N_FLUSH=${BENCH_FLUSH:-5000}
ONLY=${BENCH_ONLY:-}
# Per-step limits (seconds): a step over its limit is stopped and the
# figure is reported for what it did, marked TIMEOUT.
T_IMPORT=170 T_DELIVER=75 T_FLUSH_IMPORT=90 T_FLUSH=120

if [ ! -x "$PD" ]; then
	echo "bench: no postdesk binary at $PD (run from the build folder or set PD)" >&2
	exit 1
fi
PD=$(cd "$(dirname "$PD")" && pwd)/$(basename "$PD")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-bench.XXXXXX")
SMTP_PID=""
cleanup() {
	if [ -n "$SMTP_PID" ]; then
		kill "$SMTP_PID" 2>/dev/null
		wait "$SMTP_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: > "$OUT"

# What every figure was measured on.
CFLAGS_USED=$(sed -n 's/^CFLAGS = //p' Makefile 2>/dev/null | head -1)
MACHINE="$(nproc) cpus, $(uname -m), cflags '${CFLAGS_USED:-?}', sqlite $($PY -c 'import sqlite3; print(sqlite3.sqlite_version)')"

# fig NAME VALUE UNIT CONDITIONS
fig() {
	printf '%-24s %10s %-8s %s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT"
}

# An instance in $TMP/$1: config (like tests/scenario/lib.sh's
# write_config), templates, `postdesk init`.
instance() {	# instance NAME [SMTP_PORT]
	local d=$TMP/$1
	test_conf "$d" "${2:-25}"
	POSTDESK_CONF=$d/etc/postdesk.conf "$PD" init >/dev/null || {
		echo "bench: postdesk init failed for $1" >&2
		exit 1
	}
}

# The driver: times commands in a child process and reads the child's
# peak RSS from getrusage(RUSAGE_CHILDREN); runs deliver per mail.
cat > "$TMP/drive.py" <<'PYEOF'
import os, resource, sqlite3, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

def count(db):
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        n = c.execute("SELECT count(*) FROM messages").fetchone()[0]
        c.close()
        return n
    except sqlite3.Error:
        return None

def run(timeout, out, db, cmd):
    """One command: seconds, peak RSS (KiB), exit code or TIMEOUT, and
    with DB (not "-") the rate over the first 1000 messages and over the
    last 20 seconds, from counting messages every second."""
    t0 = time.monotonic()
    samples = [(0.0, 0)]
    with open(out, "wb") as f:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        rc = None
        while rc is None:
            try:
                rc = p.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                now = time.monotonic() - t0
                if now > timeout:
                    p.kill()
                    p.wait()
                    rc = "TIMEOUT"
                elif db != "-":
                    n = count(db)
                    if n is not None:
                        samples.append((now, n))
    secs = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = ru.ru_maxrss
    cpu = ru.ru_utime + ru.ru_stime - run.cpu_before
    run.cpu_before = ru.ru_utime + ru.ru_stime
    first = last = 0.0
    if db != "-":
        samples.append((secs, count(db) or 0))
        t1 = next((t for t, n in samples if n >= 1000), None)
        first = 1000 / t1 if t1 else 0.0
        end_t, end_n = samples[-1]
        start = next(((t, n) for t, n in samples if t >= end_t - 20), samples[0])
        if end_t > start[0]:
            last = (end_n - start[1]) / (end_t - start[0])
    print("%.3f %d %s %.1f %.1f %.3f" % (secs, rss, rc, first, last, cpu))
run.cpu_before = 0.0

def deliver(timeout, workers, pd, folder):
    """`postdesk deliver` once per file, WORKERS at a time, until the files
    or the time run out: seconds, mails done, failures, peak RSS, status,
    CPU seconds (user + sys) of all the deliver processes."""
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    deadline = time.monotonic() + timeout
    fails = []
    def one(path):
        if time.monotonic() > deadline:
            return None
        with open(path, "rb") as f:
            rc = subprocess.run([pd, "deliver"], stdin=f, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE).returncode
        if rc != 0:
            fails.append(rc)
        return rc
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        done = sum(1 for r in ex.map(one, files) if r is not None)
    secs = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%.3f %d %d %d %s %.3f" % (secs, done, len(fails), ru.ru_maxrss,
                                     "TIMEOUT" if done < len(files) else "0",
                                     ru.ru_utime + ru.ru_stime))

def sql(db, q):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    for row in c.execute(q):
        print("|".join("" if v is None else str(v) for v in row))

if sys.argv[1] == "run":
    run(float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:])
elif sys.argv[1] == "deliver":
    deliver(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
elif sys.argv[1] == "sql":
    sql(sys.argv[2], sys.argv[3])
PYEOF

drive() { $PY "$TMP/drive.py" "$@"; }
rate() { $PY -c "import sys; n, s = float(sys.argv[1]), float(sys.argv[2]); print('%.1f' % (n / s if s > 0 else 0))" "$1" "$2"; }
mib() { $PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / 1024.0))" "$1"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "# postdesk bench: $PD"
echo "# machine: $MACHINE"
echo "# generating mail (genmbox.py, seeded) ..."
if [ "$ONLY" = deliver ]; then
$PY "$HERE/genmbox.py" --count "$N_DELIVER" --customers 2000 --seed 2 --dir "$TMP/deliver" || {
	echo "bench: genmbox.py failed" >&2
	exit 1
}
elif [ "$ONLY" = import ]; then
$PY "$HERE/genmbox.py" --count "$N_IMPORT" --customers 2000 --seed 1 "$TMP/import.mbox" || {
	echo "bench: genmbox.py failed" >&2
	exit 1
}
MBOX_BYTES=$(stat -c %s "$TMP/import.mbox")
elif [ "$ONLY" != flush ]; then
$PY "$HERE/genmbox.py" --count "$N_IMPORT" --customers 2000 --seed 1 "$TMP/import.mbox" &&
$PY "$HERE/genmbox.py" --count "$N_DELIVER" --customers 2000 --seed 2 --dir "$TMP/deliver" || {
	echo "bench: genmbox.py failed" >&2
	exit 1
}
MBOX_BYTES=$(stat -c %s "$TMP/import.mbox")
fi
if [ "$ONLY" != deliver ] && [ "$ONLY" != import ]; then
$PY "$HERE/genmbox.py" --count "$N_FLUSH" --distinct --replies 0 --seed 3 "$TMP/flush.mbox" || {
	echo "bench: genmbox.py failed" >&2
	exit 1
}
fi
MAIL_DESC="typical 4 KB mail: seeded mix, 75% text/plain ~3.5 KB, 15% +HTML alternative, 10% +attachment, 20% [TKT] replies, 15% QP UTF-8, 2000 senders"

if [ "$ONLY" != flush ]; then
if [ "$ONLY" != deliver ]; then
# 1. Bulk import into an empty database.
instance import
export POSTDESK_CONF=$TMP/import/etc/postdesk.conf
db=$TMP/import/var/postdesk.db
read -r secs rss rc first last cpu < <(drive run "$T_IMPORT" "$TMP/import.log" "$db" "$PD" import "$TMP/import.mbox")
n=$(drive sql "$db" "SELECT count(*) FROM messages")
tickets=$(drive sql "$db" "SELECT count(*) FROM tickets")
quar=$(drive sql "$db" "SELECT count(*) FROM quarantine" 2>/dev/null || echo "?")
cond="$N_IMPORT mails in one mbox ($(mib $((MBOX_BYTES / 1024))) MiB, $((MBOX_BYTES / N_IMPORT)) B/mail avg; $MAIL_DESC), empty db, WAL; $n messages, $tickets tickets, $quar quarantined; exit $rc; ${secs}s; $MACHINE"
[ "$rc" = 0 ] || echo "# import said: $(tail -3 "$TMP/import.log")"
fig import.rate "$(rate "$n" "$secs")" mails/s "$cond"
fig import.rate.cpu "$(rate "$n" "$cpu")" mails/s "same run: messages / CPU seconds (user + sys ${cpu}s) of the import process: the rate on an otherwise idle core (7 workers share this machine's 2 cores, load $(cut -d' ' -f1 /proc/loadavg))"
fig import.rate.first1k "$first" mails/s "same run: the first 1000 messages (from counting messages once a second)"
fig import.rate.last20s "$last" mails/s "same run: its last 20 seconds, with $n messages in the database at the end"
fig import.peak_rss "$(mib "$rss")" MiB "max RSS of the postdesk import process, same run"
# 4. Sizes after the import.
dbk=$(du -ck "$db"* | tail -1 | cut -f1)
spk=$(du -sk "$TMP/import/var/spool" 2>/dev/null | cut -f1)
fig import.db_size "$(mib "$dbk")" MiB "database file(s) incl. -wal/-shm (du) after importing $n messages ($(mib $((MBOX_BYTES / 1024))) MiB mbox)"
fig import.spool_size "$(mib "${spk:-0}")" MiB "spool folder (du) after importing $n messages"
fig import.disk_per_mail "$(( (dbk + ${spk:-0}) * 1024 / (n > 0 ? n : 1) ))" B/mail "(db + spool) / messages, same run"
raw=$(drive sql "$db" "SELECT sum(size) FROM raw_mail")
fig import.disk_ratio "$($PY -c "import sys; print('%.2f' % (int(sys.argv[1]) * 1024 / max(1, int(sys.argv[2] or 0))))" "$((dbk + ${spk:-0}))" "${raw:-0}")" x \
    "(db + spool) / raw bytes stored ($(( ${raw:-0} / (n > 0 ? n : 1) )) B/mail avg), same run; outbox rows (acks, staff notices) included"
# Where the bytes are (SQLite's dbstat): the mail's own share (raw,
# text, index, attachments) against the outbox's.
read -r mailk outk < <(drive sql "$db" "SELECT sum(CASE WHEN name LIKE 'raw_mail%' OR name LIKE 'sqlite_autoindex_raw_mail%' OR name LIKE 'messages%' OR name LIKE 'attachments%' OR name LIKE 'blobs%' OR name LIKE 'sqlite_autoindex_blobs%' THEN pgsize ELSE 0 END) / 1024, sum(CASE WHEN name LIKE 'outbox%' OR name LIKE 'sqlite_autoindex_outbox%' THEN pgsize ELSE 0 END) / 1024 FROM dbstat" | tr '|' ' ')
fig import.disk_ratio.mail "$($PY -c "import sys; print('%.2f' % ((int(sys.argv[1] or 0) + int(sys.argv[2] or 0)) * 1024 / max(1, int(sys.argv[3] or 0))))" "$mailk" "${spk:-0}" "${raw:-0}")" x \
    "the mail's own bytes (raw_mail, messages, messages_fts, attachments, blobs tables and indexes: ${mailk} KiB, + spool ${spk:-0} KiB) / raw bytes; the outbox (queued mail's params, recipients, indexes) takes ${outk} KiB more, same run"
IMPORT_SECS=$secs
IMPORT_CPU=$cpu

# 1b. The Python reference: parse only, the same mbox, Debian's python3
# email package, default policy, subject, from, body and attachments
# decoded.  Best of 2 runs.
cat > "$TMP/pyparse.py" <<'PYEOF'
import email, email.policy, io, sys, time
def mails(path):
    cur = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From "):
                if cur is not None:
                    yield b"".join(cur)
                cur = []
            elif cur is not None:
                if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                    line = line[1:]
                cur.append(line)
    if cur:
        yield b"".join(cur)
best = bestcpu = None
for _ in range(2):
    t0 = time.monotonic()
    c0 = time.process_time()
    n = att = 0
    for raw in mails(sys.argv[1]):
        m = email.message_from_binary_file(io.BytesIO(raw), policy=email.policy.default)
        subject, frm = str(m["subject"] or ""), str(m["from"] or "")
        b = m.get_body(("plain", "html"))
        body = b.get_content() if b is not None else ""
        for a in m.iter_attachments():
            a.get_content()
            att += 1
        n += 1
    t = time.monotonic() - t0
    c = time.process_time() - c0
    best = t if best is None else min(best, t)
    bestcpu = c if bestcpu is None else min(bestcpu, c)
print("%.3f %d %d %.3f" % (best, n, att, bestcpu))
PYEOF
read -r pysecs pyn pyatt pycpu < <($PY "$TMP/pyparse.py" "$TMP/import.mbox")
fig import.python_parse "$(rate "$pyn" "$pysecs")" mails/s \
    "reference: /usr/bin/python3 $($PY -c 'import sys; print(sys.version.split()[0])') email.message_from_binary_file, policy=default, subject/from/body/attachments decoded ($pyatt attachments), parse only, same mbox ($pyn mails), best of 2: ${pysecs}s"
fig import.python_ratio "$($PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$IMPORT_SECS" "$pysecs")" x \
    "postdesk import time (${IMPORT_SECS}s: parse, classify, thread, store, FTS, queue acks, commit) / Python parse-only time (${pysecs}s)"
fig import.python_ratio.cpu "$($PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$IMPORT_CPU" "$pycpu")" x \
    "the same in CPU seconds: postdesk import ${IMPORT_CPU}s / Python parse-only ${pycpu}s (the machine is shared: CPU time is what the wall time would be alone)"

# BENCH_ONLY=import: nothing more
if [ "$ONLY" = import ]; then
	echo "# figures written to $OUT"
	exit 0
fi

# 1c. The same 10 000 mails into a database that already holds
# BENCH_BIG (1 000 000) tickets, built here with SQL in one transaction.
N_BIG=${BENCH_BIG:-1000000}
instance big
export POSTDESK_CONF=$TMP/big/etc/postdesk.conf
bdb=$TMP/big/var/postdesk.db
t0=$(date +%s.%N)
$PY - "$bdb" "$N_BIG" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
n = int(sys.argv[2])
db.execute("PRAGMA synchronous = OFF")
db.execute("BEGIN")
db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
           "INSERT INTO customers (id, email, name, created_at) "
           "SELECT i, 'old' || i || '@example.net', 'Old Customer ' || i, 1700000000 + i FROM c", (n // 10,))
db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
           "INSERT INTO tickets (id, ref, subject, status, priority, queue, customer_id, created_at, updated_at) "
           "SELECT i, 'TKT-' || printf('%04d', i), 'Old question ' || i, "
           "CASE i % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'closed' WHEN 2 THEN 'resolved' ELSE 'waiting' END, "
           "'normal', 'Support', 1 + i % ?, 1700000000 + i * 10, 1700000000 + i * 10 FROM c", (n, n // 10))
db.execute("INSERT OR REPLACE INTO ref_counter (prefix, next) VALUES ('TKT', ?)", (n + 1,))
db.execute("COMMIT")
PYEOF
t1=$(date +%s.%N)
read -r secs rss rc first last bcpu < <(drive run "$T_IMPORT" "$TMP/big-import.log" "$bdb" "$PD" import "$TMP/import.mbox")
nb=$(drive sql "$bdb" "SELECT count(*) FROM messages")
bt=$(drive sql "$bdb" "SELECT count(*) FROM tickets")
fig import.rate.1m "$(rate "$nb" "$secs")" mails/s \
    "the same $N_IMPORT-mail mbox imported into a database already holding $N_BIG tickets ($((N_BIG / 10)) customers; built with SQL in $($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1")s); $nb messages, $bt tickets after; exit $rc; ${secs}s; last 20 s ${last} mails/s"
fig import.rate.1m.cpu "$(rate "$nb" "$bcpu")" mails/s "same run: messages / CPU seconds (${bcpu}s)"
fig import.rate.1m_ratio "$($PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2]) if float(sys.argv[2]) else 0))" "$(rate "$nb" "$secs")" "$(rate "$(drive sql "$TMP/import/var/postdesk.db" "SELECT count(*) FROM messages")" "$IMPORT_SECS")")" x \
    "import.rate.1m / import.rate"
rm -rf "$TMP/big"
fi	# BENCH_ONLY=deliver

# 2. deliver, one process per mail, serial then 2 workers, each into
# its own empty database.
for w in 1 2; do
	instance deliver$w
	export POSTDESK_CONF=$TMP/deliver$w/etc/postdesk.conf
	read -r secs ndone fails rss rc dcpu < <(drive deliver "$T_DELIVER" "$w" "$PD" "$TMP/deliver")
	n=$(drive sql "$TMP/deliver$w/var/postdesk.db" "SELECT count(*) FROM messages")
	fig "deliver.rate.w$w" "$(rate "$ndone" "$secs")" mails/s \
	    "$ndone \`postdesk deliver\` processes (one per mail, stdin from file, spawned by python), $w worker(s), empty db, same mail mix (seed 2); $n messages stored, $fails non-zero exits; $rc; ${secs}s; $MACHINE"
	fig "deliver.rate.w$w.cpu" "$(rate "$ndone" "$dcpu")" mails/s \
	    "same run: deliver processes / their CPU seconds, user+sys, parser children included (${dcpu}s)"
	[ "$w" = 1 ] && fig deliver.peak_rss "$(mib "$rss")" MiB "largest max RSS of one \`postdesk deliver\` process, serial run"
done
fi	# BENCH_ONLY
# BENCH_ONLY=deliver: nothing more
[ "$ONLY" = deliver ] && exit 0

# 3. outbox flush to Postfix's smtp-sink (accepts, keeps nothing).
port=$(free_port)
if command -v smtp-sink >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		smtp-sink -u nobody "127.0.0.1:$port" 256 >/dev/null 2>"$TMP/smtpd.err" &
	else
		smtp-sink "127.0.0.1:$port" 256 >/dev/null 2>"$TMP/smtpd.err" &
	fi
	SMTP_PID=$!
fi
up=0
for _ in $(seq 1 100); do
	if $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.1
done
if [ "$up" = 1 ]; then
	instance flush "$port"
	export POSTDESK_CONF=$TMP/flush/etc/postdesk.conf
	db=$TMP/flush/var/postdesk.db
	read -r isecs _ irc _ < <(drive run "$T_FLUSH_IMPORT" "$TMP/flush-import.log" - "$PD" import "$TMP/flush.mbox")
	queued=$(drive sql "$db" "SELECT count(*) FROM outbox WHERE status='queued'")
	rcpts=$(drive sql "$db" "SELECT count(*) FROM outbox_rcpts r JOIN outbox o ON o.id=r.outbox_id WHERE o.status='queued'")
	read -r secs rss rc _ _ cpu < <(drive run "$T_FLUSH" "$TMP/flush.log" - "$PD" outbox flush)
	sent=$(drive sql "$db" "SELECT count(*) FROM outbox WHERE status='sent'")
	fig flush.rate "$(rate "$sent" "$secs")" mails/s \
	    "\`postdesk outbox flush\` of $queued queued rows ($rcpts recipients) queued by importing $N_FLUSH new-ticket mails from distinct senders (import exit $irc, ${isecs}s); $sent rows sent to Postfix's smtp-sink on 127.0.0.1:$port; exit $rc; ${secs}s; $MACHINE"
	fig flush.rate.cpu "$(rate "$sent" "$cpu")" mails/s "same run: rows sent / CPU seconds (user + sys ${cpu}s) of the flush process, load $(cut -d' ' -f1 /proc/loadavg)"
	fig flush.peak_rss "$(mib "$rss")" MiB "max RSS of the postdesk outbox flush process, same run"
	[ "$rc" = 0 ] || echo "# flush said: $(tail -3 "$TMP/flush.log")"
else
	echo "# flush: smtp-sink did not start: $(cat "$TMP/smtpd.err" 2>/dev/null)"
	fig flush.rate skipped - "no smtp-sink (apt-get install postfix)"
fi
kill "$SMTP_PID" 2>/dev/null
wait "$SMTP_PID" 2>/dev/null
SMTP_PID=""
echo "# figures written to $OUT"
