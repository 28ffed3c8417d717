#!/bin/bash
# run.sh SRCDIR BUILDDIR: every libFuzzer target of tests/fuzz for
# $FUZZ_SECONDS seconds (60), $FUZZ_JOBS at a time (2).  One TAP line per
# target on stdout and in BUILDDIR/tests/fuzz/fuzz.log; exit 1 when any
# target found a crash, a leak or a timeout (or did not run).
#   $FUZZ_TARGETS   only these (e.g. "message_parse html_to_text")
#   $FUZZ_TIMEOUT   seconds one input may take (20)
#   $FUZZ_RSS_MB    memory one target may use (2048)
# Work happens in BUILDDIR/fuzz: corpus/NAME (the seeds, copied in at
# every run from tests/mail, contrib/demo and ../shared/corpus, plus
# what the fuzzer found), NAME.out (libFuzzer's output), artifacts/NAME/
# (the input that crashed, leaked or hung: feed it to the target,
# `BUILDDIR/tests/fuzz/fuzz_NAME FILE`, to see it again).
set -u
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd)
secs=${FUZZ_SECONDS:-60} jobs=${FUZZ_JOBS:-2}
all="intake_process message_parse bounce_parse html_to_text quote_strip
	auth_results cgi_form template_render config_load message_wire"
targets=${FUZZ_TARGETS:-$all}
shared=${POSTDESK_CORPUS:-$src/../shared/corpus}
work=$build/fuzz
mkdir -p "$work" "$build/tests/fuzz"
log=$build/tests/fuzz/fuzz.log
: > "$log"

# seed NAME FILE...: copy files into NAME's corpus, named by content
seed() {
	local name=$1 f; shift
	mkdir -p "$work/corpus/$name"
	for f in "$@"; do
		[ -f "$f" ] || continue
		cp "$f" "$work/corpus/$name/seed-$(sha1sum < "$f" | cut -c1-16)"
	done
}
# seed_text NAME TEXT: one seed from a string (backslash escapes such as \n)
seed_text() {
	local t; mkdir -p "$work/corpus/$1"
	t=$(mktemp "$work/corpus/$1/seed-text.XXXXXX")
	printf "%b" "$2" > "$t"	# backslash escapes only: a % in the seed is data
	mv "$t" "$work/corpus/$1/seed-$(sha1sum < "$t" | cut -c1-16)"
}
mails() {	# every mail of the source tree and of the shared corpus
	find "$src/tests/mail" "$src/contrib/demo" -name '*.eml'
	[ -d "$shared" ] && find "$shared" -name '*.eml'
}

build_seeds() {
	local t f
	for t in intake_process message_parse message_wire; do seed "$t" $(mails); done
	seed bounce_parse "$src"/tests/mail/bounce/*.eml "$src"/tests/mail/crash/*.eml \
		"$src"/tests/mail/intake/2[3-7]*.eml
	[ -d "$shared" ] && seed bounce_parse "$shared"/bounces/*.eml "$shared"/autoreplies/*.eml
	seed html_to_text "$src"/conf/templates/*.html "$src"/contrib/demo/05-html.eml \
		$(find "$src/tests/mail" -name "*.html")
	[ -d "$shared" ] && seed html_to_text "$shared"/replies/talon/html_replies/*
	seed_text html_to_text '<p>Hello &amp; welcome<br>line</p><blockquote>quoted</blockquote><a href="http://x">y</a>'
	seed quote_strip "$src"/tests/mail/quote/*
	[ -d "$shared" ] && seed quote_strip "$shared"/replies/github/*.txt \
		"$shared"/replies/talon/standard_replies/*
	seed_text quote_strip 'Thanks!\n\nOn Mon, 2 Nov 2026 at 09:00, Support <support@example.com> wrote:\n> Hello\n> there\n-- \nCarol\n'
	seed_text quote_strip 'Yes.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Carol\nSubject: x\n\nold text\n'
	# Authentication-Results values found in the mails, unfolded
	mkdir -p "$work/ar"
	mails | xargs -r awk 'FNR == 1 { inh = 1; ar = "" }
		inh && /^$/ { inh = 0; if (ar != "") print ar; ar = "" }
		inh && /^[ \t]/ && ar != "" { sub(/^[ \t]+/, " "); ar = ar $0; next }
		inh && ar != "" { print ar; ar = "" }
		inh && tolower($0) ~ /^authentication-results:/ { ar = substr($0, 24); sub(/^[ \t]+/, "", ar) }' \
		2>/dev/null | sort -u | head -200 > "$work/ar/values"
	n=0
	while IFS= read -r v; do
		n=$((n + 1)); printf '%s' "$v" > "$work/ar/v$n"
	done < "$work/ar/values"
	seed auth_results "$work"/ar/v*
	seed_text auth_results 'mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com'
	seed_text auth_results 'mx.example.com (comment); spf=pass (sender ok) smtp.mailfrom=example.com\nmx.example.com; dkim=pass header.i=@example.com'
	for q in 't=TKT-0001&k=0123abcd' 'action=close&t=TKT-0001&k=0123abcd' \
		'action=rate&t=TKT-0001&k=ab&rating=5&comment=Tr%C3%A8s+bien' \
		'action=lookup&email=carol%40example.net' 'view=staff&q=printer&status=open&page=2' \
		'view=staff&ref=TKT-0001' 'a=1&a=2&&=&b'; do
		seed_text cgi_form "$q"
	done
	for f in "$src"/conf/templates/*.txt; do
		t=$work/tpl.$$
		cat "$f" > "$t"
		if [ -f "${f%.txt}.html" ]; then printf '\0' >> "$t"; cat "${f%.txt}.html" >> "$t"; fi
		printf '\0Hello,\nthe printer says <PC LOAD LETTER> & stops.\n' >> "$t"
		seed template_render "$t"; rm -f "$t"
	done
	seed config_load "$src"/conf/postdesk.conf.sample "$src"/tests/conf/*.conf \
		"$src"/tests/mail/intake/postdesk.conf
}

# dict NAME: the dictionary file for a target, or nothing
dict() {
	local d=$src/tests/fuzz
	case $1 in
	intake_process|message_parse|message_wire) echo "$d/mime.dict" ;;
	bounce_parse) cat "$d/mime.dict" "$d/dsn.dict" > "$work/bounce.dict"; echo "$work/bounce.dict" ;;
	html_to_text) echo "$d/html.dict" ;;
	quote_strip) echo "$d/quote.dict" ;;
	auth_results) echo "$d/authres.dict" ;;
	cgi_form) echo "$d/cgi.dict" ;;
	template_render) echo "$d/template.dict" ;;
	config_load) echo "$d/config.dict" ;;
	esac
}

maxlen() {
	case $1 in
	intake_process|message_parse|bounce_parse|message_wire) echo 65536 ;;
	*) echo 16384 ;;
	esac
}

# run_one NAME: fuzz one target; its TAP text goes to $work/NAME.result
run_one() {
	local name=$1 bin=$build/tests/fuzz/fuzz_$1 out=$work/$1.out art=$work/artifacts/$1
	local rc d stats
	rm -rf "$art"; mkdir -p "$art"
	d=$(dict "$name")
	if [ ! -x "$bin" ]; then
		echo "not ok - fuzz $name: $bin not built" > "$work/$name.result"
		return
	fi
	(
		cd "$work" || exit 1
		TMPDIR=$tmp PD_FUZZ_SRCDIR=$src \
		ASAN_OPTIONS=detect_leaks=1:handle_abort=1:symbolize=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0 \
		exec timeout -k 10 $((secs + 600)) "$bin" -max_total_time="$secs" \
			-timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
			-max_len="$(maxlen "$name")" -detect_leaks=1 -print_final_stats=1 \
			-close_fd_mask=1 -artifact_prefix="$art/" ${d:+-dict="$d"} \
			"$work/corpus/$name"
	) > "$out" 2>&1
	rc=$?
	stats=$(awk '/^stat::number_of_executed_units:/ { n = $2 }
		/^stat::average_exec_per_sec:/ { r = $2 }
		/^stat::peak_rss_mb:/ { m = $2 }
		/(DONE|INITED|pulse|NEW|REDUCE)[ \t].*cov:/ { for (i = 1; i < NF; i++) { if ($i == "cov:") c = $(i+1); if ($i == "ft:") f = $(i+1); if ($i == "corp:") k = $(i+1) } }
		END { printf "%s runs, %s exec/s, cov %s, ft %s, corpus %s, %s MB", n, r, c, f, k, m }' "$out")
	if [ "$rc" = 0 ] && [ -z "$(ls -A "$art")" ]; then
		echo "ok - fuzz $name: $secs s, $stats" > "$work/$name.result"
	else
		{
			echo "not ok - fuzz $name: exit $rc, $stats; artifacts: $(ls "$art" | tr '\n' ' ')"
			grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==ERROR|SUMMARY' "$out" | sed 's/^/#   /'
			grep -A40 -m1 -E '==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer' "$out" | sed 's/^/#   /' | head -45
		} > "$work/$name.result"
	fi
}

tmp=/dev/shm
[ -d /dev/shm ] && [ -w /dev/shm ] || tmp=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$tmp/pd-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rm -f "$work"/*.result
build_seeds

running=0
for t in $targets; do
	if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
	run_one "$t" &
	running=$((running + 1))
done
wait

n=0 failed=0
for t in $targets; do
	n=$((n + 1))
	r=$(cat "$work/$t.result" 2>/dev/null || echo "not ok - fuzz $t: no result")
	case $r in not\ ok*) failed=$((failed + 1)) ;; esac
	printf '%s\n' "$r" | sed "1s/^\(not \)\{0,1\}ok -/\1ok $n -/" | tee -a "$log"
done
echo "1..$n" | tee -a "$log"
echo "# fuzz: $((n - failed)) of $n targets clean after $secs s each" | tee -a "$log"
[ "$failed" = 0 ]
