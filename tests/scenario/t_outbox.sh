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
finish
