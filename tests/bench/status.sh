#!/bin/bash
# The status page (postdesk.cgi through lighttpd, a process per request)
# on a big database: BENCH_STATUS_TICKETS (100 000) tickets with
# BENCH_STATUS_MESSAGES (1 000 000) messages, built here with SQL and
# indexed by FTS5's rebuild; a tenth of the tickets assigned to alice, a
# tenth to bob.  p50 and p99 over BENCH_STATUS_N (50)
# requests each: a customer's ticket page (signed link), the staff list,
# a staff full-text search.  Appends to ./bench.out; never asserts.
# BENCH_STATUS_DB=FILE keeps the built database in FILE (with its -wal
# checkpointed) and, when FILE is there, copies it instead of building
# it again: a run in seconds to compare two builds on the same data.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PD=${PD:-$PWD/postdesk}
CGI=${CGI:-$PWD/postdesk.cgi}
OUT=$PWD/bench.out
NT=${BENCH_STATUS_TICKETS:-100000}
NM=${BENCH_STATUS_MESSAGES:-1000000}
NR=${BENCH_STATUS_N:-50}
KEEP=${BENCH_STATUS_DB:-}
LIGHTTPD=/usr/sbin/lighttpd
for b in "$PD" "$CGI" "$LIGHTTPD"; do
	[ -x "$b" ] || { echo "bench: no $b" >&2; exit 1; }
done
PD=$(cd "$(dirname "$PD")" && pwd)/$(basename "$PD")
CGI=$(cd "$(dirname "$CGI")" && pwd)/$(basename "$CGI")
BENCH_PD=$PD
top_srcdir=$SRC top_builddir=$(dirname "$PD")
. "$SRC/tests/scenario/lib.sh"
PD=$BENCH_PD
trap 'exit 130' INT TERM
fig() {	# fig NAME VALUE UNIT CONDITIONS
	printf '%-24s %10s %-8s %s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT"
}
echo "# postdesk.cgi bench: $CGI"
write_config
DB=$TMP/var/postdesk.db
t0=$(date +%s.%N)
if [ -n "$KEEP" ] && [ -s "$KEEP" ]; then
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$KEEP" "$DB"
	built="copied from $KEEP"
else
$PY - "$DB" "$NT" "$NM" <<'PYEOF'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
nt, nm = int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(7)
words = ["printer", "invoice", "login", "password", "error", "refund", "order", "delivery",
         "account", "screen", "update", "payment", "shipping", "broken", "cannot", "please",
         "help", "thanks", "again", "today", "yesterday", "still", "working", "problem"]
words += ["w%d" % i for i in range(3000)]
db.execute("PRAGMA synchronous = OFF")
db.execute("BEGIN")
db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
           "INSERT INTO customers (id, email, name, created_at) "
           "SELECT i, 'cust' || i || '@example.net', 'Customer ' || i, 1700000000 FROM c", (nt // 5,))
db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
           "INSERT INTO tickets (id, ref, subject, status, priority, queue, assignee, customer_id, created_at, updated_at) "
           "SELECT i, 'TKT-' || printf('%04d', i), 'Question about order ' || i, "
           "CASE i % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'closed' WHEN 2 THEN 'resolved' ELSE 'waiting' END, "
           "'normal', 'Support', CASE i % 10 WHEN 3 THEN 'alice@example.com' WHEN 7 THEN 'bob@example.com' END, "
           "1 + i % ?, 1700000000 + i * 10, 1700000000 + i * 10 FROM c", (nt, nt // 5))
db.execute("INSERT OR REPLACE INTO ref_counter (prefix, next) VALUES ('TKT', ?)", (nt + 1,))
per = max(1, nm // nt)
def rows():
    for i in range(1, nm + 1):
        t = 1 + (i - 1) // per if (i - 1) // per < nt else nt
        body = " ".join(rnd.choice(words) for _ in range(25))
        if i % 10000 == 0:
            body += " flamingo"
        kind = "customer" if i % per == 1 or per == 1 else ("staff" if i % 3 else "note")
        yield (i, t, kind, "m%d@example.net" % i, "cust%d@example.net" % (1 + t % (nt // 5)),
               1700000000 + i, "Question about order %d" % t, body)
db.executemany("INSERT INTO messages (id, ticket_id, kind, message_id, from_addr, date, subject, body) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows())
db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PYEOF
built="built with SQL + FTS5 rebuild"
[ -z "$KEEP" ] || cp "$DB" "$KEEP"
fi
t1=$(date +%s.%N)
build=$($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1")
REF=TKT-$(printf '%04d' $((NT / 2)))
URL=$("$PD" show "$REF" | sed -n 's/^Status page: *//p')
QS=${URL#*\?}
# A copy made by an older build was migrated just now: its WAL into the
# database, as after a build, or every CGI process would read it again
# (the first connection of a process recovers the WAL; postdeskd, when
# it runs, keeps one open).
$PY -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" "$DB"

PORT=$(free_port)
mkdir -p "$TMP/www/staff"
ln -s "$CGI" "$TMP/www/postdesk.cgi"
ln -s "$CGI" "$TMP/www/staff/postdesk.cgi"
printf 'alice@example.com:wonderland\n' > "$TMP/htpasswd"
cat > "$TMP/lighttpd.conf" <<EOF
server.modules = ( "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv" )
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$TMP/lighttpd.err"
server.pid-file = "$TMP/lighttpd.pid"
server.follow-symlink = "enable"
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( "POSTDESK_CONF" => "$POSTDESK_CONF" )
auth.backend = "plain"
auth.backend.plain.userfile = "$TMP/htpasswd"
auth.require = ( "/staff/" => ( "method" => "basic", "realm" => "postdesk staff",
                                "require" => "valid-user" ) )
EOF
if ! "$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >/dev/null 2>&1; then
	sed -i 's/, "mod_setenv"//' "$TMP/lighttpd.conf"
fi
"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" 2>"$TMP/lighttpd.stderr" &
HTTPD_PID=$!
T_PIDS="$T_PIDS $HTTPD_PID"
for _ in $(seq 1 100); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.1
done
# times N URL [USER:PASS]: "p50 p99 status bytes" in ms over N requests.
times() {
	$PY - "$@" <<'PYEOF'
import base64, sys, time, urllib.request, urllib.error
n, url = int(sys.argv[1]), sys.argv[2]
hdr = {"Authorization": "Basic " + base64.b64encode(sys.argv[3].encode()).decode()} if len(sys.argv) > 3 else {}
lat, code, size = [], None, 0
for _ in range(n):
    t0 = time.monotonic()
    try:
        r = urllib.request.urlopen(urllib.request.Request(url, headers=hdr), timeout=60)
        body = r.read()
        code = r.status
    except urllib.error.HTTPError as e:
        body = e.read()
        code = e.code
    lat.append(time.monotonic() - t0)
    size = len(body)
lat.sort()
pct = lambda q: 1000 * lat[min(len(lat) - 1, int(round(q / 100.0 * len(lat) + 0.5)) - 1)]
print("%.1f %.1f %s %d" % (pct(50), pct(99), code, size))
PYEOF
}
# CPU time of lighttpd's reaped children (the CGI processes) in clock
# ticks: cutime + cstime of /proc/PID/stat.
HZ=$(getconf CLK_TCK)
child_ticks() {
	sleep 0.2	# the last CGI reaped
	sed 's/^.*) //' "/proc/$HTTPD_PID/stat" | awk '{ print $14 + $15 }'
}
# series NAME URL [USER:PASS]: NAME.p50, .p99 (CONDITIONS in $what) and
# .cpu, the mean CPU ms (user + sys) of one CGI process.
series() {
	local name=$1 c0 c1 p50 p99 code size
	shift
	c0=$(child_ticks)
	read -r p50 p99 code size < <(times "$NR" "$@")
	c1=$(child_ticks)
	fig "$name.p50" "$p50" ms "$what; HTTP $code, $size bytes; $COND"
	fig "$name.p99" "$p99" ms "same run"
	fig "$name.cpu" "$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$NR" \
	    'BEGIN { printf "%.1f", d * 1000 / hz / n }')" ms "same run: CPU (user + sys) of one postdesk.cgi, mean"
}
BASE="http://127.0.0.1:$PORT"
COND="$NT tickets, $(sql "SELECT count(*) FROM messages") messages ($built in ${build}s); lighttpd $($LIGHTTPD -v 2>/dev/null | head -1 | cut -d' ' -f1), postdesk.cgi a process per request (start included), $NR requests one after another"
what="customer page of $REF (signed link, its thread)"
series status.customer "$BASE/postdesk.cgi?$QS"
what="staff list (?view=staff, first page of 20), basic auth"
series status.staff_list "$BASE/staff/postdesk.cgi?view=staff" alice@example.com:wonderland
what="staff list, the mine tab (?view=staff&mine=1: alice's $((NT / 10)) tickets)"
series status.staff_mine "$BASE/staff/postdesk.cgi?view=staff&mine=1" alice@example.com:wonderland
what="staff full-text search for a word in $((NM / 10000)) messages (?view=staff&q=flamingo, FTS5)"
series status.search "$BASE/staff/postdesk.cgi?view=staff&q=flamingo" alice@example.com:wonderland
what="staff search for a common word (in ~1 message of 120: ?q=printer)"
series status.search_common "$BASE/staff/postdesk.cgi?view=staff&q=printer" alice@example.com:wonderland
echo "# figures appended to $OUT"
