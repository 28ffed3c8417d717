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
ok "mail system started within 30 s (${MTA_START_MS} ms; 2-5 s idle, 10 s seen under ASan on a loaded machine)" [ "$MTA_START_MS" -lt 30000 ]
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
tickets_are() { [ "$(sql "SELECT count(*) FROM tickets")" = "$1" ]; }
wait_until 120 tickets_are 1
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
is "relay: In-Reply-To the customer's mail, not the staff client's" "$(mail_get $CAROL 2 In-Reply-To)" "<c1@example.org>"
ACK_ID=$(mail_get $CAROL 1 Message-ID)
# RFC 5322 3.6.4: the parent's References, then the parent (the
# customer's latest mail) last.
is "relay: References our acknowledgement, then the customer's mail (the parent) last" \
	"$(mail_get $CAROL 2 References | tr -s ' \t\n' ' ' | sed 's/ $//')" "$ACK_ID <c1@example.org>"
is "ack: References the customer's mail" "$(mail_get $CAROL 1 References)" "<c1@example.org>"
ok "relay: the status link in its footer" \
	eval 'mail_get $CAROL 2 body | grep -q "^Your request TKT-0001: http://127.0.0.1/cgi-bin/postdesk.cgi?t=TKT-0001&k="'
ok "ack: the status link" eval 'mail_get $CAROL 1 body | grep -q "t=TKT-0001&k="' 
ok "notification: the reply marker on its first line" \
	[ "$(mail_get $ALICE 1 body | head -1)" = "##- Please write your reply above this line -##" ]
is "ticket waiting, first response set" \
	"$(ticket_field TKT-0001 "status || ' ' || (first_response_at IS NOT NULL)")" "waiting 1"
is "messages: customer, staff" "$(kinds TKT-0001)" "customer,staff"
is "no new mail for the staff" "$(count $ALICE) $(count $BOB)" "1 1"
ok "alice's reply came through the submission port with her login" \
	grep -q 'postfix/submission/smtpd.*sasl_method=PLAIN, sasl_username=alice@example.com' "$PF/maillog"

# ---- 1b. A reply that holds only commands relays nothing ----
# It is no message either (choice for issue 11): its commands are the
# ticket's history events, and the customer's page shows neither.
MSGS_BEFORE=$(sql "SELECT count(*) FROM messages")
mutt_reply "~s TKT-0001" "#assign bob"
settle
is "commands only (neomutt's > quote): nothing reached the customer" "$(count $CAROL)" 2
is "commands only: the command applied" "$(sql "SELECT assignee FROM tickets WHERE ref = 'TKT-0001'")" "bob@example.com"
is "commands only: bob told of the assignment" "$(count $BOB)" 2
is "commands only: no staff message" "$(sql "SELECT count(*) FROM messages WHERE kind = 'staff'")" 1
is "commands only: no message at all (not an empty note)" "$(sql "SELECT count(*) FROM messages")" "$MSGS_BEFORE"
is "commands only: the command is a history event with its actor" \
	"$(sql "SELECT actor || ' ' || kind || ' ' || detail FROM events WHERE kind = 'command'")" \
	"alice@example.com command #assign bob"
ok "commands only: history shows the command" \
	eval '"$PD" history TKT-0001 | grep -q "event  *command  *alice@example.com  #assign bob$"'
ok "log: one line for the command (actor, ref, command, result)" \
	grep -qxF "postdeskd: command #assign bob by alice@example.com on TKT-0001: applied, 1 mail queued" "$TMP/postdeskd.log"
ok "log: one line for the mail: source, Message-ID, sender, kind, outcome, ref, mails queued" \
	grep -qx "postdeskd: mail <[^>]*> from alice@example.com via imap support: staff, threaded TKT-0001 - commands only, 1 mail queued" "$TMP/postdeskd.log"
# A command error: told to alice, logged, nothing relayed or applied.
TOKEN=$(mail_get $ALICE 1 Reply-To)
cat > "$TMP/bad.eml" <<MAIL
From: Alice Smith <alice@example.com>
To: $TOKEN
Subject: Re: [TKT-0001] New ticket: My printer is on fire
Message-ID: <bad-1@example.com>
Date: Wed, 02 Dec 2026 01:59:00 +0000

#priority high
#frobnicate now

The customer must not see this.
MAIL
submit_mail alice@example.com "$TMP/bad.eml"
settle
is "command error: nothing reached the customer" "$(count $CAROL)" 2
is "command error: nothing applied" "$(ticket_field TKT-0001 priority)" normal
is "command error: alice told" "$(count $ALICE)" 2
is "command error: the mail to alice" "$(mail_get $ALICE 2 Subject)" "[TKT-0001] Not sent: My printer is on fire"
ok "log: one line for the command error (actor, ref, error)" \
	grep -qxF "postdeskd: command error by alice@example.com on TKT-0001: line 2: unknown command #frobnicate; no command applied" "$TMP/postdeskd.log"
ok "log: the mail's line says threaded with the error" \
	grep -qxF "postdeskd: mail <bad-1@example.com> from alice@example.com via imap support: staff, threaded TKT-0001 - line 2: unknown command #frobnicate, 1 mail queued" "$TMP/postdeskd.log"
# Outlook's header block quoting the notification, through the
# submission port with alice's login.
TOKEN=$(mail_get $ALICE 1 Reply-To)
cat > "$TMP/outlook.eml" <<MAIL
From: Alice Smith <alice@example.com>
To: $TOKEN
Subject: RE: [TKT-0001] New ticket: My printer is on fire
Message-ID: <outlook-1@example.com>
Date: Wed, 02 Dec 2026 02:00:00 +0000
Content-Type: text/plain; charset=utf-8

#priority high

________________________________
From: Support <support@example.com>
Sent: Wednesday, December 2, 2026 1:38 AM
To: alice@example.com
Subject: [TKT-0001] New ticket: My printer is on fire

##- Please write your reply above this line -##

New ticket TKT-0001 in Support from Carol Customer.
Hello, my printer is on fire. Please help.
Reply to this mail to answer the customer. Commands, one per line at the top:
MAIL
submit_mail alice@example.com "$TMP/outlook.eml"
# An HTML reply whose quote is a blockquote.
cat > "$TMP/html.eml" <<MAIL
From: Alice Smith <alice@example.com>
To: $TOKEN
Subject: Re: [TKT-0001] New ticket: My printer is on fire
Message-ID: <html-1@example.com>
Date: Wed, 02 Dec 2026 02:01:00 +0000
Content-Type: text/html; charset=utf-8

<html><body><div>#label hardware</div><br><blockquote type="cite"><div>##- Please write your reply above this line -##</div><div>New ticket TKT-0001 in Support from Carol Customer.</div><div>Hello, my printer is on fire.</div></blockquote></body></html>
MAIL
submit_mail alice@example.com "$TMP/html.eml"
settle
is "Outlook and HTML quotes: nothing reached the customer" "$(count $CAROL)" 2
is "Outlook quote: #priority applied" "$(sql "SELECT priority FROM tickets WHERE ref = 'TKT-0001'")" high
is "HTML quote: #label applied" "$(sql "SELECT label FROM labels")" hardware
# A reply with nothing written at all (only neomutt's quote): nothing
# relayed, no message, one "empty_reply" event.
MSGS_BEFORE=$(sql "SELECT count(*) FROM messages")
mutt_reply "~s TKT-0001" ""
settle
is "nothing written: nothing reached the customer" "$(count $CAROL)" 2
is "nothing written: no message" "$(sql "SELECT count(*) FROM messages")" "$MSGS_BEFORE"
is "nothing written: an empty_reply event" \
	"$(sql "SELECT actor || ' ' || detail FROM events WHERE kind = 'empty_reply'")" \
	"alice@example.com nothing written: nothing relayed or kept"
ok "nothing written: logged" \
	grep -qx "postdeskd: mail <[^>]*> from alice@example.com via imap support: staff, threaded TKT-0001 - nothing written, 0 mails queued" "$TMP/postdeskd.log"

# ---- 2. Fresh staff mail: a note through the note address ----
mutt_compose support+note@example.com "[TKT-0001] called the customer" \
	"Secret note: she keeps the printer next to the heater."
settle
is "note: nothing reached the customer" "$(count $CAROL)" 2
is "note: kept as a note" "$(sql "SELECT kind FROM messages WHERE body LIKE 'Secret note%'")" "note"
is "note: the staff were not mailed" "$(count $ALICE) $(count $BOB)" "2 2"
ok "note: logged as staff mail" grep -q "from alice@example.com via imap support: staff, threaded TKT-0001 - note, 0 mails queued" "$TMP/postdeskd.log"
is "note: from alice, recognised by her SMTP login" \
	"$(sql "SELECT from_addr || ' ' || class FROM messages WHERE body LIKE 'Secret note%'")" "alice@example.com staff"

# ---- 2b. Fresh staff mail: #to opens a ticket for the customer ----
mutt_compose support@example.com "Your replacement part" \
	"$(printf '#to dave@example.org\n\nHello Dave, your replacement part has shipped today.')"
settle
is "#to: a ticket for the customer, not for alice" \
	"$(sql "SELECT t.ref || ' ' || c.email FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.subject = 'Your replacement part'")" \
	"TKT-0002 dave@example.org"
is "#to: the customer got one mail" "$(count $DAVE)" 1
is "#to: From alice via the queue" "$(mail_get $DAVE 1 From)" "Alice Smith via Support <support@example.com>"
is "#to: To the customer" "$(mail_get $DAVE 1 To)" "dave@example.org"
is "#to: Subject" "$(mail_get $DAVE 1 Subject)" "[TKT-0002] Your replacement part"
ok "#to: the text alice wrote, without the command" \
	[ "$(mail_get $DAVE 1 body | head -1)" = "Hello Dave, your replacement part has shipped today." ]
ok "#to: the command is not in it" not grep -q '#to' "$TMP/got/$DAVE/1.eml"
ok "#to: the status link in its footer" \
	eval 'mail_get $DAVE 1 body | grep -q "^Your request TKT-0002: http://127.0.0.1/cgi-bin/postdesk.cgi?t=TKT-0002&k="'
is "#to: a person's mail, no Auto-Submitted" "$(mail_get $DAVE 1 Auto-Submitted)" ""
is "#to: alice's mail is the ticket's staff message" \
	"$(sql "SELECT m.kind || ' ' || m.from_addr FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.ref = 'TKT-0002'")" \
	"staff alice@example.com"
is "#to: alice is no participant" "$(sql "SELECT count(*) FROM participants WHERE email = 'alice@example.com'")" 0
is "#to: waiting for the customer" "$(ticket_field TKT-0002 status)" waiting
is "#to: no mail to the staff" "$(count $ALICE) $(count $BOB)" "2 2"
ok "#to: logged" grep -q "^postdeskd: command #to dave@example.org by alice@example.com on TKT-0002: applied, 0 mails queued$" "$TMP/postdeskd.log"

# ---- The customer's page shows neither commands nor notes ----
KEY=$(mail_get $CAROL 1 body | sed -n 's/.*t=TKT-0001&k=\([0-9a-zA-Z_-]*\).*/\1/p' | head -1)
REQUEST_METHOD=GET QUERY_STRING="t=TKT-0001&k=$KEY" GATEWAY_INTERFACE=CGI/1.1 \
	SCRIPT_NAME=/cgi-bin/postdesk.cgi "$top_builddir/postdesk.cgi" > "$TMP/page.html"
ok "customer page: shows the relayed answer" grep -q "a technician is on the way" "$TMP/page.html"
ok "customer page: no command, note or refused text" \
	not grep -qi -e '#assign' -e '#priority' -e 'frobnicate' -e 'Secret note' -e 'must not see' "$TMP/page.html"

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
PRIO_BEFORE=$(sql "SELECT priority FROM tickets WHERE ref = 'TKT-0001'")
STAFF_BEFORE=$(sql "SELECT count(*) FROM messages WHERE kind = 'staff'")
send_mail "$TMP/forged.eml"
# The same with the wrong authserv-id above everything.
sed -e 's/^Authentication-Results: mx.example.com;/Authentication-Results: mx.evil.example.net;/' \
    -e 's/forged-1@/forged-2@/' "$TMP/forged.eml" > "$TMP/forged2.eml"
send_mail "$TMP/forged2.eml"
settle
is "forged: priority unchanged" "$(ticket_field TKT-0001 priority)" "$PRIO_BEFORE"
ok "forged: no staff message was recorded" \
	[ "$(sql "SELECT count(*) FROM messages WHERE kind = 'staff'")" = "$STAFF_BEFORE" ]
is "forged: no mail to the staff address as a customer" \
	"$(sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'ticket_created' AND r.addr = 'alice@example.com'")" 0
is "forged: each opened a ticket as customer mail, of class customer" \
	"$(sql "SELECT group_concat(t.ref || ' ' || m.kind || ' ' || m.class, ', ') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id LIKE 'forged-%' ORDER BY m.id")" \
	"TKT-0003 customer customer, TKT-0004 customer customer"
is "forged: no acknowledgement to the staff address" \
	"$(sql "SELECT count(*) FROM outbox_rcpts WHERE addr = 'alice@example.com' AND outbox_id IN (SELECT id FROM outbox WHERE audience != 'staff')")" 0
is "forged: never a participant" "$(sql "SELECT count(*) FROM participants WHERE email = 'alice@example.com'")" 0
bob_says() {
	local n i
	n=$(mailbox_count $BOB)
	for i in $(seq 1 "$n"); do mail_get $BOB "$i" body | grep -qF "$1" && return 0; done
	return 1
}
ok "forged: the staff notification flags it" \
	bob_says "from a staff address but not authenticated: handled as customer mail"
ok "forged: handled as customer mail (log)" \
	grep -q 'unauthenticated mail from staff address alice@example.com' "$TMP/postdeskd.log"

# Authentication-Results above our hop, as a filter in front of our MX
# adds it (mta.sh: Postfix PREPENDs it on two more MX ports): with
# another authserv-id it changes nothing either ...
sed -e 's/forged-1@/forged-3@/' -e '/^Authentication-Results:/d' -e '/^Received:/,/for <support/d' \
	"$TMP/forged.eml" > "$TMP/forged3.eml"
CAROL_BEFORE=$(count $CAROL)
SEND_PORT=$AR_BAD_PORT send_mail "$TMP/forged3.eml"
settle
# between Dovecot's LMTP hop and Postfix's, the first header lines
above_hop() {	# above_hop MSGID: the header order in the stored mail
	fetch_all support@example.com Processed >/dev/null
	grep -l "^Message-ID: <$1>" "$TMP/got/support@example.com"/*.eml | head -1 | xargs sed -n '1,/^\r*$/p' |
	grep -o -e 'with LMTP' -e '^Authentication-Results: [a-z.]*;' -e '(Postfix) with ESMTP' | tr '\n' '|'
}
is "wrong authserv-id: the result sits above our hop" "$(above_hop forged-3@evil.example.net)" \
	"with LMTP|Authentication-Results: mx.other.example.net;|(Postfix) with ESMTP|"
is "wrong authserv-id: customer mail on a ticket of its own, priority unchanged" \
	"$(sql "SELECT m.kind || ' ' || t.ref FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'forged-3@evil.example.net'") $(ticket_field TKT-0001 priority)" \
	"customer TKT-0005 $PRIO_BEFORE"
is "wrong authserv-id: nothing reached the customer" "$(count $CAROL)" "$CAROL_BEFORE"
ok "wrong authserv-id: handled as customer mail (log)" \
	grep -qx "postdeskd: mail <forged-3@evil.example.net> from alice@example.com via imap support: customer, new TKT-0005 - customer, 2 mails queued" "$TMP/postdeskd.log"
# ... and with ours, in the same place, it is alice's (the check above
# is not passing for want of a result in the right place).
sed -e 's/forged-3@/ar-ok-1@/' -e 's/^#priority urgent/#priority low/' -e 's/^Forged text from a stranger./Checked by our filter./' \
	"$TMP/forged3.eml" > "$TMP/arok.eml"
SEND_PORT=$AR_OK_PORT send_mail "$TMP/arok.eml"
settle
is "our authserv-id above our hop: alice's mail, her command applied" \
	"$(sql "SELECT kind || ' ' || class FROM messages WHERE message_id = 'ar-ok-1@evil.example.net'") $(ticket_field TKT-0001 priority)" \
	"staff staff low"
is "our authserv-id: in the same place" "$(above_hop ar-ok-1@evil.example.net)" \
	"with LMTP|Authentication-Results: mx.example.com;|(Postfix) with ESMTP|"
is "our authserv-id above our hop: her text relayed to the customer" "$(count $CAROL)" "$((CAROL_BEFORE + 1))"

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
# The command error and its mail to alice are the only lines that say "error".
ok "postdeskd logged no error" not eval 'grep -v -e "^postdeskd: command error by alice@example.com on TKT-0001: line 2: unknown command #frobnicate; no command applied$" -e "^postdeskd: outbox command_error: sent alice@example.com, ref TKT-0001, " "$TMP/postdeskd.log" | grep -qi "error\|[1-9][0-9]* failed"'
[ "$T_FAIL" = 0 ] || sed "s/^/# daemon: /" "$TMP/postdeskd.log"
[ "$T_FAIL" = 0 ] || sql "SELECT id, ticket_id, kind, from_addr, substr(body, 1, 50) FROM messages" | sed "s/^/# message: /"
[ "$T_FAIL" = 0 ] || sql "SELECT o.id, o.event, r.addr FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id" | sed "s/^/# outbox: /"
finish
