#!/bin/bash
# t_mailsystem.sh: staff work from their own mail client through a real
# mail system (issue 11, SPEC 5 and 6).  One chain for every scenario
# (tests/scenario/mta.sh): Postfix (SMTP in, submission with SASL through
# Dovecot, LMTP into Dovecot), Dovecot (IMAP, LMTP, auth), postdeskd
# watching support@example.com over IMAP and sending through Postfix, and
# neomutt in tmux as Alice's mail client.  Every mail in the customers'
# and the staff's mailboxes is checked, and at the end all the mail that
# reached a customer is scanned for what must never reach one.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/scenario/mta.sh"

for p in "$PDD" /usr/sbin/postfix /usr/bin/neomutt /usr/bin/tmux; do
	[ -x "$p" ] || { echo "# $p missing"; exit 77; }
done
MTA_AUTHSERV_ID=mx.example.com
mta_start || { echo "not ok 1 - mail system starts"; exit 1; }
ok "mail system started within 15 s (${MTA_START_MS} ms)" [ "$MTA_START_MS" -lt 15000 ]
mutt_start alice@example.com "Alice Smith" || { echo "not ok 2 - neomutt starts"; exit 1; }

count() { mailbox_count "$1"; }
not() { ! "$@"; }
CAROL=carol@example.org ALICE=alice@example.com BOB=bob@example.com DAVE=dave@example.org
ticket_field() { sql "SELECT $2 FROM tickets WHERE ref = '$1'"; }
kinds() { sql "SELECT group_concat(kind, ',') FROM (SELECT m.kind FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.ref = '$1' ORDER BY m.id)"; }

# ---- 1. A customer writes; Alice answers from neomutt ----
cat > "$TMP/c1.eml" <<'MAIL'
From: Carol Customer <carol@example.org>
To: support@example.com
Subject: My printer is on fire
Message-ID: <c1@example.org>
Date: Wed, 02 Dec 2026 01:00:00 +0000

Hello, my printer is on fire. Please help.
MAIL
send_mail "$TMP/c1.eml"
settle
is "ticket opened" "$(sql "SELECT t.ref || ' ' || c.email || ' ' || t.status FROM tickets t JOIN customers c ON c.id = t.customer_id")" \
	"TKT-0001 carol@example.org open"
ok "one log line for the mail: source, Message-ID, sender, kind, outcome, ref, mails queued" \
	grep -qF "postdeskd: mail <c1@example.org> from carol@example.org via imap support: customer, new TKT-0001 - customer, 3 mails queued" "$TMP/postdeskd.log"
ok "a log line per recipient sent" \
	grep -q "^postdeskd: outbox ticket_created: sent carol@example.org, ref TKT-0001, mail 1 <TKT-0001\.[^>]*> 250" "$TMP/postdeskd.log"
is "customer got the acknowledgement" "$(count $CAROL)" 1
is "ack: From" "$(mail_get $CAROL 1 From)" "Support <support@example.com>"
is "ack: Subject" "$(mail_get $CAROL 1 Subject)" "[TKT-0001] We received your request: My printer is on fire"
is "ack: To" "$(mail_get $CAROL 1 To)" "carol@example.org"
is "ack: In-Reply-To the customer's mail" "$(mail_get $CAROL 1 In-Reply-To)" "<c1@example.org>"
is "ack: Auto-Submitted" "$(mail_get $CAROL 1 Auto-Submitted)" "auto-replied"
is "alice notified" "$(count $ALICE)" 1
is "bob notified" "$(count $BOB)" 1
is "notification: Subject" "$(mail_get $ALICE 1 Subject)" "[TKT-0001] New ticket: My printer is on fire"
ok "notification: Reply-To is alice's tokenized address" \
	grep -q '^Reply-To: support+TKT-0001\.[0-9a-f]*@example.com' "$TMP/got/$ALICE/1.eml"
ok "notification: alice's and bob's reply addresses differ" \
	[ "$(mail_get $ALICE 1 Reply-To)" != "$(mail_get $BOB 1 Reply-To)" ]

mutt_reply "~s TKT-0001" "Thanks Carol, a technician is on the way."
settle
is "relay reached the customer" "$(count $CAROL)" 2
is "relay: From is Alice via the queue" "$(mail_get $CAROL 2 From)" "Alice Smith via Support <support@example.com>"
is "relay: Subject" "$(mail_get $CAROL 2 Subject)" "[TKT-0001] My printer is on fire"
is "relay: To the customer only" "$(mail_get $CAROL 2 To)" "carol@example.org"
ok "relay: the text Alice wrote, first" \
	[ "$(mail_get $CAROL 2 body | head -1)" = "Thanks Carol, a technician is on the way." ]
is "relay: a person's mail, no Auto-Submitted" "$(mail_get $CAROL 2 Auto-Submitted)" ""
is "relay: no X-Auto-Response-Suppress" "$(mail_get $CAROL 2 X-Auto-Response-Suppress)" ""
ok "relay: the quoted notification is not in it" \
	not grep -q 'wrote:\|^>' "$TMP/got/$CAROL/2.eml"
is "ticket waiting, first response set" \
	"$(ticket_field TKT-0001 "status || ' ' || (first_response_at IS NOT NULL)")" "waiting 1"
is "messages: customer, staff" "$(kinds TKT-0001)" "customer,staff"
is "no new mail for the staff" "$(count $ALICE) $(count $BOB)" "1 1"
ok "alice's reply came through the submission port with her login" \
	grep -q 'postfix/submission/smtpd.*sasl_method=PLAIN, sasl_username=alice@example.com' "$PF/maillog"

# ---- 2. Fresh staff mail: a note through the note address ----
mutt_compose support+note@example.com "[TKT-0001] called the customer" \
	"Secret note: she keeps the printer next to the heater."
settle
is "note: nothing reached the customer" "$(count $CAROL)" 2
is "note: kept as a note" "$(kinds TKT-0001)" "customer,staff,note"
is "note: the staff were not mailed" "$(count $ALICE) $(count $BOB)" "1 1"
ok "note: logged as staff mail" grep -q "from alice@example.com via imap support: staff, threaded TKT-0001 - note, 0 mails queued" "$TMP/postdeskd.log"
is "note: from alice, recognised by her SMTP login" \
	"$(sql "SELECT from_addr || ' ' || class FROM messages WHERE kind = 'note'")" "alice@example.com staff"

# ---- 3. Forgeries from outside change nothing ----
# A stranger's mail with alice's From, a forged Authentication-Results
# (our authserv-id, spf=pass) and a forged "Authenticated sender" hop,
# all below the hop where our Postfix received it.
cat > "$TMP/forged.eml" <<'MAIL'
Received: from [10.0.0.7] (laptop [10.0.0.7])
	(Authenticated sender: alice@example.com)
	by mx.example.com (Postfix) with ESMTPSA id 1111111111
	for <support@example.com>; Wed,  2 Dec 2026 01:39:59 +0000 (UTC)
Authentication-Results: mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com
From: Alice Smith <alice@example.com>
To: support@example.com
Subject: Re: [TKT-0001] My printer is on fire
Message-ID: <forged-1@evil.example.net>
Date: Wed, 02 Dec 2026 01:39:58 +0000

#priority urgent
Forged text from a stranger.
MAIL
send_mail "$TMP/forged.eml"
# The same with the wrong authserv-id above everything.
sed -e 's/^Authentication-Results: mx.example.com;/Authentication-Results: mx.evil.example.net;/' \
    -e 's/forged-1@/forged-2@/' "$TMP/forged.eml" > "$TMP/forged2.eml"
send_mail "$TMP/forged2.eml"
settle
is "forged: priority unchanged" "$(ticket_field TKT-0001 priority)" "normal"
ok "forged: no staff message was recorded" \
	[ "$(sql "SELECT count(*) FROM messages WHERE kind = 'staff'")" = 1 ]
ok "forged: handled as customer mail (log)" \
	grep -q 'unauthenticated mail from staff address alice@example.com' "$TMP/postdeskd.log"

# ---- Every mail a customer got: nothing of the staff side ----
scan_customers() {
	local f bad=""
	for u in $CAROL $DAVE erin@example.org; do
		fetch_all "$u" >/dev/null
		for f in "$TMP/got/$u"/*.eml; do
			[ -f "$f" ] || continue
			if grep -qiF -e 'alice@example.com' -e 'bob@example.com' -e 'Secret note' \
			    -e 'Reply to this mail to answer the customer' -e 'support+TKT-' -e 'Forged text' "$f"; then
				bad="$bad $f"
			fi
		done
	done
	[ -z "$bad" ] || { echo "# leaked into:$bad"; return 1; }
}
ok "no customer mail holds a staff address, a note, the notification or a token" scan_customers
ok "postdeskd logged no error" not grep -qi 'error\|[1-9][0-9]* failed' "$TMP/postdeskd.log"
[ "$T_FAIL" = 0 ] || sed "s/^/# daemon: /" "$TMP/postdeskd.log"
[ "$T_FAIL" = 0 ] || sql "SELECT o.id, o.event, r.addr FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id" | sed "s/^/# outbox: /"
finish
