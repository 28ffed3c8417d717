#!/bin/bash
# t_parser.sh: mail is parsed in a child process (issue 8, SPEC 2).  A
# mail that crashes the parser and one that exceeds limits.parse_time
# cost only themselves: postdeskd on a Maildir holding [ordinary, crash,
# spin, ordinary] makes two tickets and two quarantine rows with their
# reasons, keeps its PID, and sends the acknowledgement queued before.
# deliver on the crashing mail: 75 first, then 0 and quarantine; import
# quarantines it and goes on.  The crash and the spin come from a
# test-only hook (POSTDESK_TEST_PARSER, parser.c).
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
MD="$TMP/Maildir"
mkdir -p "$MD"/new "$MD"/cur "$MD"/tmp
ok "smtp server started" start_smtp || finish
EXTRA_CONF="mailboxes = ({ name = \"local\"; url = \"maildir:$MD\"; queue = \"Support\"; });
limits = { parse_time = \"2s\"; parse_memory = \"256M\"; max_mime_depth = 3;
  max_mime_parts = 5; };"
write_config
CONF="$TMP/etc/postdesk.conf"
export POSTDESK_TEST_PARSER=1
RUN_USER=nobody
own() { [ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$TMP"; return 0; }

wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# mail N [TEST-HEADER-VALUE]
mail() {
	printf 'From: Customer %s <customer%s@example.org>\nTo: support@example.com\n' "$1" "$1"
	printf 'Subject: Question %s\nMessage-ID: <p%s@example.org>\n' "$1" "$1"
	[ -n "${2:-}" ] && printf 'X-Postdesk-Test: %s\n' "$2"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n\nHello, this is question %s.\n' "$1"
}
md_put() {	# md_put NAME N [HOOK]
	mail "$2" "${3:-}" > "$MD/tmp/$1"
	mv "$MD/tmp/$1" "$MD/new/$1"
}
tickets() { sql "SELECT count(*) FROM tickets"; }
quarantined() { sql "SELECT reason FROM quarantine ORDER BY id"; }
q_count() { [ "$(sql 'SELECT count(*) FROM quarantine')" = "$1" ]; }
sent_to() { sql "SELECT count(*) FROM outbox_rcpts WHERE addr = '$1' AND status = 'sent'"; }
all_sent() { [ "$(sql "SELECT count(*) FROM outbox_rcpts WHERE status <> 'sent'")" = 0 ]; }
log_has() { grep -qF "$1" "$TMP/daemon.log"; }

# 1. An acknowledgement queued before the daemon starts (no daemon to send it).
mail 0 | "$PD" deliver
is "ordinary mail delivered" "$?" 0
is "its acknowledgement is queued" \
	"$(sql "SELECT count(*) FROM outbox_rcpts WHERE addr = 'customer0@example.org' AND status = 'queued'")" 1

# 2. The Maildir: [ordinary, crash, spin, ordinary].
md_put 1.a 1
md_put 2.b 2 crash
md_put 3.c 3 spin
md_put 4.d 4
: > "$TMP/daemon.log"
own
"$PDD" -f -u "$RUN_USER" -c "$CONF" 2>>"$TMP/daemon.log" &
DPID=$!
T_PIDS="$T_PIDS $DPID"
ok "daemon started" wait_for 10 log_has "started:"
ok "four mails handled" wait_for 60 eval '[ "$(ls "$MD/new" | wc -l)" = 0 ]'
ok "both others quarantined" wait_for 10 q_count 2
is "three tickets: the queued one and both ordinary mails" "$(tickets)" 3
is "ordinary mails are tickets" "$(sql "SELECT group_concat(subject, ',') FROM (SELECT subject FROM tickets ORDER BY id)")" \
	"Question 0,Question 1,Question 4"
is "quarantine reasons" "$(quarantined | tr '\n' ',')" "parser died: signal 11,parser exceeded 2s,"
is "quarantined with their raw bytes" \
	"$(sql "SELECT count(*) FROM quarantine q JOIN raw_mail r ON r.sha256 = q.raw_sha256")" 2
is "quarantine keeps the subject of neither (unparsed)" \
	"$(sql "SELECT count(*) FROM quarantine WHERE subject IS NULL AND source = 'maildir'")" 2
ok "daemon still running" kill -0 "$DPID"
is "daemon PID unchanged" "$(pgrep -f -o "^$PDD -f -u $RUN_USER -c $CONF")" "$DPID"
ok "the acknowledgement queued before is sent" wait_for 20 eval '[ "$(sent_to customer0@example.org)" = 1 ]'
ok "and those of both ordinary mails" wait_for 20 all_sent
is "nine mails reached the SMTP server (ack + 2 staff, 3 tickets)" "$(smtp_count)" 9
is "no parse attempt left over" "$(sql 'SELECT count(*) FROM parse_attempts')" 0

# The parser child: no database descriptor, the CPU and memory limits.
CHILD=$(pgrep -P "$DPID" | head -1)
ok "a parser child runs" test -n "$CHILD"
if [ -n "$CHILD" ]; then
	is "child's descriptors: its socket twice and stderr" "$(ls /proc/$CHILD/fd | sort | tr '\n' ' ')" "0 1 2 "
	ok "child holds no database" eval '! ls -l /proc/$CHILD/fd | grep -q postdesk.db'
	cpu=$(awk '/^Max cpu time/ {print $4}' /proc/$CHILD/limits)
	ok "child has a CPU limit ($cpu s)" test "$cpu" != unlimited
	asmax=$(awk '/^Max address space/ {print $4}' /proc/$CHILD/limits)
	if nm "$PDD" 2>/dev/null | grep -q __asan_init || ldd "$PDD" | grep -q libasan; then
		is "ASan build: no address space limit (ASan's shadow needs it)" "$asmax" unlimited
	else
		is "child's address space limit is parse_memory" "$asmax" 268435456
	fi
fi
kill -TERM "$DPID"
wait "$DPID"
is "daemon stops cleanly" "$?" 0

# 3. deliver on the crashing mail: 75, then 0 and quarantine.
mail 5 crash > "$TMP/crash.eml"
"$PD" deliver < "$TMP/crash.eml" 2>"$TMP/deliver1.err"
is "first deliver: temporary failure" "$?" 75
ok "it says why" grep -q "parser died: signal 11" "$TMP/deliver1.err"
is "the attempt is recorded with its reason" \
	"$(sql 'SELECT reason FROM parse_attempts')" "parser died: signal 11"
"$PD" deliver < "$TMP/crash.eml" 2>"$TMP/deliver2.err"
is "the MTA's retry: exit 0" "$?" 0
is "quarantined with the first attempt's reason" \
	"$(sql "SELECT reason FROM quarantine WHERE source = 'deliver'")" "parser died: signal 11"
is "no attempt left" "$(sql 'SELECT count(*) FROM parse_attempts')" 0
"$PD" deliver < "$TMP/crash.eml"
is "a third copy is a duplicate: exit 0" "$?" 0
is "still one quarantine row for it" "$(sql "SELECT count(*) FROM quarantine WHERE source = 'deliver'")" 1

# A deliver killed while parsing (the MTA's timeout) is not the mail's
# fault for certain: tried again; killed twice, the third attempt
# quarantines it.
mail 6 hang > "$TMP/hang.eml"
attempts() { [ "$(sql "SELECT attempts FROM parse_attempts")" = "$1" ]; }
for n in 1 2; do
	"$PD" deliver < "$TMP/hang.eml" &
	DEL=$!
	ok "attempt $n is recorded before parsing" wait_for 10 attempts $n
	kill -KILL "$DEL"; wait "$DEL" 2>/dev/null
done
"$PD" deliver < "$TMP/hang.eml"
is "third attempt after two killed delivers: exit 0" "$?" 0
is "quarantined as having killed two attempts" \
	"$(sql "SELECT reason FROM quarantine WHERE id = (SELECT max(id) FROM quarantine)")" \
	"intake died on 2 earlier attempts"
# our binary's parser children (other test runs may have their own)
our_children() {
	for p in $(pgrep -f -- '--parser-child'); do
		[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$PD")" ] && echo "$p"
	done
}
no_children() { [ -z "$(our_children)" ]; }
ok "its parser child did not outlive it" wait_for 10 no_children

# 4. import (mail N+1 is parsed while mail N is stored): the crashing
# and the spinning mails are quarantined, the others are taken in, also
# the mail after each and a crash as the last mail.
{ for m in "7" "8 crash" "9" "10 spin" "11" "12 crash"; do
	echo "From a@b Sun Nov 22 10:00:00 2026"; mail $m; echo
  done; } > "$TMP/in.mbox"
"$PD" import --no-mail "$TMP/in.mbox" >"$TMP/import.out" 2>&1
is "import exits 0" "$?" 0
is "import: ordinary mails are tickets" \
	"$(sql "SELECT group_concat(subject, ',') FROM (SELECT subject FROM tickets WHERE subject IN ('Question 7','Question 9','Question 11') ORDER BY id)")" \
	"Question 7,Question 9,Question 11"
is "import: the crashing and spinning mails are quarantined" \
	"$(sql "SELECT group_concat(reason, ',') FROM (SELECT reason FROM quarantine WHERE source = 'import' ORDER BY id)")" \
	"parser died: signal 11,parser exceeded 2s,parser died: signal 11"
ok "import: its summary counts them" grep -q "imported 6 mails: 3 new tickets, 0 threaded, 0 duplicates, 0 bounces, 0 loops, 3 quarantined" "$TMP/import.out"
ok "import: its parser child did not outlive it" wait_for 10 no_children

# 5. The MIME limits are the configured ones (max_mime_parts = 5,
# max_mime_depth = 3 above; the defaults are 10000 and 100), also
# through the parser child.
{ printf 'From: Parts <parts@example.org>\nTo: support@example.com\nSubject: Many parts\n'
  printf 'Message-ID: <parts@example.org>\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/mixed; boundary=b\n\n'
  for i in 0 1 2 3 4 5 6 7; do printf -- '--b\nContent-Type: text/plain\n\npart%s\n' $i; done
  printf -- '--b--\n'; } | "$PD" deliver
is "many parts: delivered" "$?" 0
is "many parts: the parts after the fifth (the multipart and four texts) are cut" \
	"$(sql "SELECT body FROM messages WHERE message_id = 'parts@example.org'" | tr '\n' ' ')" "part0  part1  part2  part3 "
{ printf 'From: Deep <deep@example.org>\nTo: support@example.com\nSubject: Deep\n'
  printf 'Message-ID: <deep@example.org>\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\nlevel2\n'
  printf -- '--b1\nContent-Type: multipart/mixed; boundary=b2\n\n--b2\nContent-Type: text/plain\n\nlevel3\n'
  printf -- '--b2\nContent-Type: multipart/mixed; boundary=b3\n\n--b3\nContent-Type: text/plain\n\nlevel4\n'
  printf -- '--b3--\n--b2--\n--b1--\n'; } | "$PD" deliver
is "deep: delivered" "$?" 0
is "deep: the part below the third level is cut" \
	"$(sql "SELECT body FROM messages WHERE message_id = 'deep@example.org'" | tr '\n' ' ')" "level2  level3 "

# 6. No debris: a deliver killed while it writes a spool file (here by
# the file size limit, SIGXFSZ, halfway through a 1.5 MB mail) leaves no
# temporary file; the MTA's retry takes the mail in.
{ printf 'From: Big <big@example.org>\nTo: support@example.com\nSubject: Big\n'
  printf 'Message-ID: <big@example.org>\n\n'
  head -c 1100000 /dev/urandom | base64; } > "$TMP/big.eml"
spool_files() { find "$TMP/var/spool" -type f | sort; }
before=$(spool_files | wc -l)
{ (ulimit -f 512; exec "$PD" deliver < "$TMP/big.eml" 2>/dev/null); } 2>/dev/null
is "killed while writing: SIGXFSZ" "$?" $((128 + 25))
is "no temporary file left in the spool" "$(spool_files | grep -c '\.tmp')" 0
is "and no partial file" "$(spool_files | wc -l)" "$before"
"$PD" deliver < "$TMP/big.eml"
is "the retry: exit 0" "$?" 0
is "the retry: a ticket" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'big@example.org'")" 1
sha=$(sha256sum < "$TMP/big.eml" | cut -d' ' -f1)
rawfile=$(find "$TMP/var/spool" -type f -name "*$sha*" | head -1)
ok "the retry: its raw mail in the spool, whole" eval 'zcat -f "$rawfile" | cmp -s - "$TMP/big.eml"'
finish
