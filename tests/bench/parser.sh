#!/bin/bash
# The cost of parsing mail in the parser child (issue 8 item 2): the
# same mbox imported into fresh databases with the child and in process
# (POSTDESK_TEST_PARSER=inprocess), the two kinds alternated, ROUNDS of
# each, in one run.  Prints one line per import and the best rate of
# each kind with their ratio; measures, never asserts.
# BENCH_PARSER mails (default 3000), BENCH_ROUNDS (default 3).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$SRC/tests/tools/testconf.sh"
PD=${PD:-$PWD/postdesk}
PY=/usr/bin/python3
N=${BENCH_PARSER:-3000}
ROUNDS=${BENCH_ROUNDS:-3}
if [ ! -x "$PD" ]; then
	echo "bench: no postdesk binary at $PD (run from the build folder or set PD)" >&2
	exit 1
fi
PD=$(cd "$(dirname "$PD")" && pwd)/$(basename "$PD")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/postdesk-pbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
$PY "$HERE/genmbox.py" --count "$N" --customers 2000 --seed 1 "$TMP/m.mbox" || exit 1

# one KIND ROUND: import into a fresh instance; prints
# "KIND wall_rate cpu_rate" (cpu: the import and its parser child)
one() {
	local d=$TMP/$1-$2 env=()
	test_conf "$d" 25
	POSTDESK_CONF=$d/etc/postdesk.conf "$PD" init >/dev/null || exit 1
	[ "$1" = inprocess ] && env=(POSTDESK_TEST_PARSER=inprocess)
	env POSTDESK_CONF="$d/etc/postdesk.conf" "${env[@]}" $PY -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL).returncode
secs = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
n = int(sys.argv[1])
print("%-9s %8.1f mails/s wall %8.1f mails/s cpu  (%d mails, %.2fs, exit %d)" % (
    sys.argv[3] if len(sys.argv) > 3 else "", n / secs, n / (ru.ru_utime + ru.ru_stime),
    n, secs, rc))' "$N" "$PD" import "$TMP/m.mbox" | sed "s/^import   /$1/"
	rm -rf "$d"
}

for r in $(seq 1 "$ROUNDS"); do
	one inprocess "$r"
	one child "$r"
done | tee "$TMP/out"
best() { grep "^$1 " "$TMP/out" | awk -v f="$2" '{ if ($f > m) m = $f } END { print m }'; }
for col in 2:wall 5:cpu; do
	f=${col%%:*} name=${col#*:}
	i=$(best inprocess "$f") c=$(best child "$f")
	$PY -c "import sys; i, c = float(sys.argv[1]), float(sys.argv[2]); print('best %s: in process %.1f, child %.1f mails/s: child costs %.1f %%' % (sys.argv[3], i, c, (1 - c / i) * 100))" "$i" "$c" "$name"
done
echo "# $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $N mails, $ROUNDS rounds"
