#!/bin/bash
# Outbound mail against a real SMTP server (aiosmtpd on 127.0.0.1):
# acknowledgement headers, threading through our signed Message-IDs,
# forged MACs, header injection, UTF-8, no mail for robots, SMTP down
# and back, a refused recipient recorded on the ticket.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
start_smtp || exit 77
write_config

mail() {	# mail FROM SUBJECT MSGID [EXTRA-HEADER-LINES] (body on stdin)
	printf 'From: %s\nTo: Support <support@example.com>\nSubject: %s\nMessage-ID: <%s>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n%s\n' \
		"$1" "$2" "$3" "${4:-}"
	cat
}

# 1. A new ticket's acknowledgement.
echo "My printer is on fire." | mail "Carol <carol@example.org>" "Printer on fire" "c1@example.org" |
	"$PD" deliver
is "ack queued" "$(sql "SELECT count(*) FROM outbox WHERE event='ticket_created' AND status='queued'")" 1
"$PD" outbox flush >/dev/null; rc=$?
is "flush exits 0 when everything went out" "$rc" 0
# The ack to the customer and one staff notification to each of the two staff.
is "three mails reached the SMTP server" "$(smtp_count)" 3
is "one SMTP session carried the whole batch" "$(wc -l < "$TMP/smtp/ehlo.log")" 1
n=$(grep -l '^RCPT TO carol@example.org$' "$TMP"/smtp/*.env | head -1); n=$(basename "$n" .env); n=$((10#$n))
is "ack: envelope recipient exactly the customer" "$(smtp_rcpts $n)" "carol@example.org"
is "ack: From is the queue" "$(smtp_header $n From)" "Support <support@example.com>"
subj=$(smtp_header $n Subject)
ok "ack: subject carries [TKT-0001]" test "${subj#\[TKT-0001\] }" != "$subj"
is "ack: Auto-Submitted" "$(smtp_header $n Auto-Submitted)" "auto-replied"
is "ack: X-Loop" "$(smtp_header $n X-Loop)" "support@example.com"
is "ack: In-Reply-To the customer's mail" "$(smtp_header $n In-Reply-To)" "<c1@example.org>"
ackid=$(smtp_header $n Message-ID)
ok "ack: Message-ID is ours ($ackid)" bash -c "[[ '$ackid' =~ ^\<TKT-0001\.[0-9a-f]+\.[0-9a-f]+@example\.com\>$ ]]"
body=$(smtp_body $n)
ok "ack: body has the signed status link" grep -q 'postdesk.cgi?t=TKT-0001&k=[0-9a-f]\{20\}' <<<"$body"

# 2. A reply to our Message-ID whose subject was rewritten still threads.
echo "Still burning." | mail "Carol <carol@example.org>" "completely new words" "c2@example.org" \
	"In-Reply-To: $ackid" | "$PD" deliver
is "reply to our Message-ID threads" "$(sql "SELECT count(*) FROM tickets")" 1
is "ticket has 2 customer messages" "$(sql "SELECT count(*) FROM messages WHERE kind='customer'")" 2

# 3. A forged MAC does not thread.
forged=$(echo "$ackid" | sed -E 's/\.([0-9a-f]+)@/.0000000000000000@/')
echo "Let me in." | mail "Mallory <mallory@example.net>" "hello" "m1@example.net" \
	"In-Reply-To: $forged" | "$PD" deliver
is "forged Message-ID MAC opens a new ticket" "$(sql "SELECT count(*) FROM tickets")" 2
is "mallory's mail is not on carol's ticket" \
	"$(sql "SELECT t.ref FROM messages m JOIN tickets t ON t.id=m.ticket_id WHERE m.from_addr='mallory@example.net'")" TKT-0002

# 4. Header injection: an encoded CR LF in the subject adds nothing.
echo "x" | mail "Eve <eve@example.net>" "=?utf-8?b?$(printf 'Hi\r\nBcc: victim@example.org\r\nX-Evil: 1' | base64 -w0)?=" \
	"e1@example.net" | "$PD" deliver
before=$(smtp_count)
"$PD" outbox flush >/dev/null
n=$(grep -l '^RCPT TO eve@example.net$' "$TMP"/smtp/*.env | head -1); n=$(basename "$n" .env); n=$((10#$n))
is "injection: envelope recipient only eve" "$(smtp_rcpts $n)" "eve@example.net"
is "injection: no Bcc header" "$(smtp_header $n Bcc)" ""
is "injection: no X-Evil header" "$(smtp_header $n X-Evil)" ""
is "injection: no mail to the victim" "$(grep -l 'victim@example.org' "$TMP"/smtp/*.env | wc -l)" 0

# 5. UTF-8 subject and body round-trip.
printf 'Grüße aus Köln — 日本語のテキスト\n' | mail "Jürgen <juergen@example.de>" \
	"=?utf-8?q?Rechnung_f=C3=BCr_M=C3=A4rz_=E2=82=AC?=" "u1@example.de" | "$PD" deliver
"$PD" outbox flush >/dev/null
n=$(grep -l '^RCPT TO juergen@example.de$' "$TMP"/smtp/*.env | head -1); n=$(basename "$n" .env); n=$((10#$n))
subj=$(smtp_header $n Subject)
ok "utf-8: subject decoded back ($subj)" bash -c "[[ '$subj' == *'Rechnung für März €' ]]"
is "utf-8: stored subject" "$(sql "SELECT subject FROM tickets WHERE ref='TKT-0004'")" "Rechnung für März €"
is "utf-8: stored body" "$(sql "SELECT body FROM messages WHERE message_id='u1@example.de'")" "Grüße aus Köln — 日本語のテキスト"

# 6. Nothing is sent for bounces or automatic replies.
before=$(sql "SELECT count(*) FROM outbox")
echo "I am away." | mail "Bot <bot@example.org>" "Out of office" "a1@example.org" \
	"Auto-Submitted: auto-replied" | "$PD" deliver
printf 'From: MAILER-DAEMON@example.org\nTo: support@example.com\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <b1@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; carol@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown\n\n--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: %s\nSubject: x\n\n--B--\n' "$ackid" |
	"$PD" deliver
is "no outbox row for an auto-reply or a bounce" "$(sql "SELECT count(*) FROM outbox")" "$before"
is "the bounce is on ticket TKT-0001 with its status" \
	"$(sql "SELECT t.ref || ' ' || b.status FROM bounces b JOIN tickets t ON t.id=b.ticket_id")" "TKT-0001 5.1.1"

# 7. SMTP down: flush exits 75 and keeps the mail; back: delivered once.
stop_smtp
echo "Anyone?" | mail "Dan <dan@example.org>" "Down test" "d1@example.org" | "$PD" deliver
"$PD" outbox flush >/dev/null 2>"$TMP/flush.err"; rc=$?
is "smtp down: flush exits 75" "$rc" 75
is "smtp down: the ack still waits" \
	"$(sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id=o.id WHERE r.addr='dan@example.org' AND o.status='queued'")" 1
start_smtp
POSTDESK_NOW=$(( $(date +%s) + 3600 )) "$PD" outbox flush >/dev/null; rc=$?
is "smtp back: flush exits 0" "$rc" 0
is "smtp back: dan's ack delivered exactly once" "$(grep -l '^RCPT TO dan@example.org$' "$TMP"/smtp/*.env | wc -l)" 1
POSTDESK_NOW=$(( $(date +%s) + 7200 )) "$PD" outbox flush >/dev/null
is "a second flush sends nothing again" "$(grep -l '^RCPT TO dan@example.org$' "$TMP"/smtp/*.env | wc -l)" 1

# 8. A 550 for one recipient is recorded on the ticket, the other gets it.
echo "Please cc my colleague." | mail "Fay <fay@example.org>" "Two of us" "f1@example.org" \
	"Cc: reject-me@example.org, gus@example.org" | "$PD" deliver
"$PD" outbox flush >/dev/null
EXTRA_HDR="Authentication-Results: mx.example.com; dkim=pass header.d=example.com
Received: from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.com (Postfix) with ESMTPS id 1"
ref=$(sql "SELECT ref FROM tickets WHERE subject='Two of us'")
printf 'From: Alice Smith <alice@example.com>\nTo: support@example.com\nSubject: Re: [%s] Two of us\nMessage-ID: <s1@example.com>\n%s\n\nWe are on it.\n' "$ref" "$EXTRA_HDR" |
	"$PD" deliver
"$PD" outbox flush >/dev/null
is "relay: gus got the staff reply" "$(grep -l '^RCPT TO gus@example.org$' "$TMP"/smtp/*.env | wc -l)" 1
is "relay: fay got the staff reply" "$(grep -l '^RCPT TO fay@example.org$' "$TMP"/smtp/*.env | wc -l)" 2
is "550 recorded on the ticket" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id=m.ticket_id WHERE t.ref='$ref' AND m.kind='system' AND m.body LIKE '%reject-me@example.org%550%'")" 1
is "refused recipient marked failed" "$(sql "SELECT status || ' ' || code FROM outbox_rcpts WHERE addr='reject-me@example.org'")" "failed 550"

# 9. Mail is made when it is sent: a queued row keeps what the mail is
# made of, not its bytes (an attachment stays in the spool alone), and
# `outbox show` gives exactly the bytes the SMTP server received.
head -c 30000 /dev/urandom > "$TMP/file.bin"
{ printf 'From: Hal <hal@example.org>\nTo: support@example.com\nSubject: With a file\nMessage-ID: <h1@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nThe log is attached.\n--b1\nContent-Type: application/octet-stream; name="log.bin"\nContent-Disposition: attachment; filename="log.bin"\nContent-Transfer-Encoding: base64\n\n'
  base64 "$TMP/file.bin"; printf -- '--b1--\n'; } | "$PD" deliver
tid=$(sql "SELECT id FROM tickets WHERE subject='With a file'")
is "made when sent: 3 rows queued, none holds mail bytes" \
	"$(sql "SELECT count(*) || ' ' || sum(length(raw) > 0) || ' ' || sum(params IS NOT NULL) FROM outbox WHERE ticket_id = $tid")" "3 0 3"
ok "made when sent: the rows are small, the attachment is not in them" \
	test "$(sql "SELECT max(length(params)) FROM outbox WHERE ticket_id = $tid")" -lt 2000
aid=$(sql "SELECT o.id FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.ticket_id = $tid AND o.event = 'staff_new_ticket' AND r.addr = 'alice@example.com'")
"$PD" outbox show "$aid" > "$TMP/shown1"; rc=$?
is "outbox show: exit 0" "$rc" 0
"$PD" outbox show "$aid" > "$TMP/shown2"
ok "outbox show: the same bytes every time" cmp -s "$TMP/shown1" "$TMP/shown2"
"$PD" outbox flush >/dev/null
mid=$(sql "SELECT message_id FROM outbox WHERE id = $aid")
n=$(grep -Fil "message-id: <$mid>" "$TMP"/smtp/*.eml); n=$(basename "$n" .eml)
is "made when sent: sent once, to alice" "$(smtp_rcpts $((10#$n)))" "alice@example.com"
ok "outbox show before sending = the bytes the server received" cmp -s "$TMP/shown1" "$TMP/smtp/$n.eml"
"$PD" outbox show "$aid" > "$TMP/shown3"
ok "outbox show after sending = the same bytes" cmp -s "$TMP/shown3" "$TMP/smtp/$n.eml"
is "the staff notice carries the attachment, byte for byte" "$($PY - "$TMP/smtp/$n.eml" "$TMP/file.bin" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
got = [p.get_content() for p in m.iter_attachments() if p.get_filename() == "log.bin"]
print(len(got), got == [open(sys.argv[2], "rb").read()])
PYEOF
)" "1 True"
POSTDESK_NOW=$(( $(date +%s) + 40 * 86400 )) "$PD" vacuum >/dev/null
"$PD" outbox show "$aid" > "$TMP/shown4" 2>"$TMP/show.err"; rc=$?
is "after keep_sent: outbox show exits 65" "$rc" 65
ok "after keep_sent: it says the bytes were dropped" \
	grep -q "outbox mail $aid: its bytes were dropped after limits.keep_sent" "$TMP/show.err"
is "after keep_sent: nothing of the mail is kept" \
	"$(sql "SELECT length(raw) || ' ' || (params IS NULL) FROM outbox WHERE id = $aid")" "0 1"
"$PD" outbox show 99999 2>"$TMP/show.err"; rc=$?
is "outbox show of no such mail: 65" "$rc" 65
"$PD" outbox show x 2>/dev/null; rc=$?
is "outbox show with a bad ID: 64" "$rc" 64

# 10. smtp.connections = 3: a batch goes over three sessions at once and
# each row is sent exactly once; a session whose server defers every
# mail defers only the rows it carried, and the next flush sends those.
stop_smtp
mv "$TMP/smtp" "$TMP/smtp.before-conns"
SMTPD_DEFER_SESSION=2 start_smtp || exit 1
sed -i 's/^smtp = {/smtp = { connections = 3;/' "$POSTDESK_CONF"
for i in $(seq 1 30); do
	printf 'From many%d@example.org Sun Nov 22 10:00:00 2026\nFrom: Many %d <many%d@example.org>\nTo: support@example.com\nSubject: Question %d\nMessage-ID: <many%d@example.org>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n\nQuestion number %d.\n\n' \
		"$i" "$i" "$i" "$i" "$i" "$i"
done > "$TMP/many.mbox"
first=$(sql "SELECT coalesce(max(id), 0) FROM outbox")
"$PD" import "$TMP/many.mbox" >/dev/null 2>&1
rows=$(sql "SELECT count(*) FROM outbox WHERE status='queued' AND id > $first")
ok "connections: at least 30 mails queued ($rows)" test "$rows" -ge 30
"$PD" outbox flush >/dev/null 2>"$TMP/conns.err"; rc=$?
is "connections: a flush with a deferring session exits 75 (mail waits)" "$rc" 75
is "connections: three SMTP sessions carried the batch" "$(wc -l < "$TMP/smtp/ehlo.log")" 3
deferred=$(sql "SELECT count(*) FROM outbox WHERE status='queued' AND tries=1 AND id > $first")
sent=$(sql "SELECT count(*) FROM outbox WHERE status='sent' AND tries=1 AND id > $first")
ok "connections: the deferring session carried some rows ($deferred)" test "$deferred" -gt 0
ok "connections: the other sessions carried the rest ($sent)" test "$sent" -gt 0
is "connections: deferred rows = mails the server deferred" "$deferred" \
	"$(wc -l < "$TMP/smtp/deferred.log")"
ids() { cat "$TMP"/smtp/*.eml "$TMP"/smtp.conns/*.eml 2>/dev/null |
	grep -i '^Message-ID:' | tr -d '\r' | sort; }
is "connections: every row sent or deferred once" "$(( sent + deferred ))" "$rows"
is "connections: the server got each sent row once" "$(ids | wc -l) $(ids | uniq | wc -l)" "$sent $sent"
stop_smtp
mv "$TMP/smtp" "$TMP/smtp.conns"
start_smtp || exit 1
"$PD" outbox flush >/dev/null; rc=$?
is "connections: the next flush exits 0" "$rc" 0
is "connections: then nothing waits" "$(sql "SELECT count(*) FROM outbox WHERE status='queued'")" 0
is "connections: the server got every row exactly once" \
	"$(ids | wc -l) $(ids | uniq | wc -l)" "$rows $rows"
finish
