#!/bin/bash
# Build postdesk and run every test: unit tests, scenario tests with
# real servers, then the unit tests and the corpus again under
# AddressSanitizer + UndefinedBehaviorSanitizer.  Installs the Debian
# packages it needs when run as root.  Last line: "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

need=$(tr '\n' ' ' < .ci/packages)
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $need 2>/dev/null |
	awk '$NF != "installed" {print $1}')
for p in $need; do dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "${missing// /}" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "installing:$missing"
		echo 'postfix postfix/main_mailer_type select No configuration' |
			debconf-set-selections
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $need >/dev/null
	else
		echo "missing Debian packages:$missing (run as root, or apt-get install them)" >&2
		exit 1
	fi
fi

./autogen.sh >/dev/null 2>&1 || { echo "autogen failed" >&2; exit 1; }
fail_build() { echo "$1 failed; see $2" >&2; echo "0 passed, 1 failed"; exit 1; }

mkdir -p build && cd build
../configure -q >configure.out 2>&1 || fail_build configure build/configure.out
make -j"$jobs" >make.out 2>&1 || fail_build make build/make.out
make -j"$jobs" check >check.out 2>&1
cd "$top"

mkdir -p build-san && cd build-san
../configure -q --enable-sanitizers >configure.out 2>&1 || fail_build configure build-san/configure.out
make -j"$jobs" >make.out 2>&1 || fail_build make build-san/make.out
# Every sanitizer report, from any process a test starts (the daemon
# included), lands in san/: each one counts as a failure below.
rm -rf san && mkdir -p san && chmod 1777 san
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:log_path=$PWD/san/asan \
UBSAN_OPTIONS=print_stacktrace=1:log_path=$PWD/san/ubsan \
	make -j"$jobs" check TESTS="$(make -s print-sanitizer-tests)" >check.out 2>&1
cd "$top"

# Each test prints "ok N - ..." / "not ok N - ..." lines: count them all.
passed=0 failed=0
for d in build build-san; do
	for log in $(find "$d/tests" -name '*.log' 2>/dev/null); do
		p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
		passed=$((passed + p)); failed=$((failed + f))
		# A test program that crashed or failed without saying why.
		trs=${log%.log}.trs
		if [ -f "$trs" ] && grep -q ':test-result: \(FAIL\|ERROR\)' "$trs" && [ "$f" = 0 ]; then
			echo "FAIL (no failing check printed): $log"
			tail -20 "$log"
			failed=$((failed + 1))
		fi
		[ "$f" != 0 ] && { echo "--- failures in $log"; grep -A3 '^not ok ' "$log" | head -40; }
	done
	grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$d/check.out" 2>/dev/null | sed "s|^|$d: |"
done
for r in build-san/san/*; do
	[ -f "$r" ] || continue
	echo "--- sanitizer report $r"; head -30 "$r"
	failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
