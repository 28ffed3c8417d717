#!/bin/bash
# t_day.sh: an ordinary day on one ticket through the real mail system
# (issue 11): 15 mails exchanged by a customer, her colleague and two
# staff members - the customer's mails into Postfix's MX port, Alice's
# replies from neomutt, Bob's through the submission port, a second
# ticket merged in, a colleague in Cc, a note to the note address.
# Nothing is held, every mail reaches exactly the mailboxes it should,
# and every mail to the customer side looks like a person's reply
# (issue 11 point 5): In-Reply-To the customer's latest mail, References
# continuing her conversation with the parent last, never a staff
# client's Message-ID, no Auto-Submitted on a person's reply, the status
# link in the footer, each recipient once.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/scenario/mta.sh"

for p in "$PDD" /usr/sbin/postfix /usr/bin/neomutt /usr/bin/tmux; do
	[ -x "$p" ] || { echo "# $p missing"; exit 77; }
done
MTA_AUTHSERV_ID=mx.example.com
mta_start || { echo "not ok 1 - mail system starts"; exit 1; }
ok "mail system started within 30 s (${MTA_START_MS} ms; 2-5 s idle, 10 s seen under ASan on a loaded machine)" [ "$MTA_START_MS" -lt 30000 ]
mutt_start alice@example.com "Alice Smith" || { echo "not ok 2 - neomutt starts"; exit 1; }

CAROL=carol@example.org ALICE=alice@example.com BOB=bob@example.com DAVE=dave@example.org
count() { mailbox_count "$1"; }
not() { ! "$@"; }
counts() { echo "carol $(count $CAROL), dave $(count $DAVE), alice $(count $ALICE), bob $(count $BOB)"; }
tickets_are() { [ "$(sql "SELECT count(*) FROM tickets")" = "$1" ]; }
N=0	# mails exchanged

# reply_mail OUT FROM-NAME FROM-ADDR TO SRC-USER SRC-N MSGID TEXT [CC]: a
# reply to SRC-USER's fetched mail SRC-N the way a mail client writes
# it: Re: subject, In-Reply-To and References, the original quoted.
reply_mail() {
	$PY - "$@" "$TMP/got/$5/$6.eml" <<'PYEOF'
import email, email.policy, sys
out, name, addr, to, _u, _n, msgid, text = sys.argv[1:9]
cc = sys.argv[9] if len(sys.argv) > 10 else ""
src = email.message_from_binary_file(open(sys.argv[-1], "rb"), policy=email.policy.default)
subj = str(src["Subject"])
refs = (str(src["References"]) + " " if src["References"] else "") + str(src["Message-ID"])
quote = "\n".join("> " + l for l in src.get_body(preferencelist=("plain",)).get_content().splitlines())
h = ["From: %s <%s>" % (name, addr), "To: %s" % to]
if cc:
    h.append("Cc: %s" % cc)
h += ["Subject: Re: %s" % subj, "Message-ID: <%s>" % msgid,
      "In-Reply-To: %s" % src["Message-ID"], "References: %s" % " ".join(refs.split()),
      "Date: Wed, 02 Dec 2026 09:00:00 +0000",
      "Content-Type: text/plain; charset=utf-8", ""]
open(out, "w").write("\n".join(h) + "\n" + text.replace("\\n", "\n") + "\n\nOn Wed, Dec 2, 2026 Support wrote:\n" + quote + "\n")
PYEOF
}
# customer_says FROM N TEXT [CC]: FROM answers its Nth mail (to support).
customer_says() {
	local who=$1 name
	case $who in $CAROL) name="Carol Customer";; *) name="Dave Colleague";; esac
	N=$((N + 1))
	# The store keeps times in seconds: a second apart, the order in
	# which mails came and went is the order of their times.
	sleep 1
	fetch_all "$who" >/dev/null
	reply_mail "$TMP/m$N.eml" "$name" "$who" support@example.com "$who" "$2" "c$N@example.org" "$3" "${4:-}"
	send_mail "$TMP/m$N.eml"
	settle
}
# bob_says TEXT: Bob answers his newest mail about TKT-0001 through the
# submission port, to its Reply-To (his own reply address).
bob_says() {
	local n to
	N=$((N + 1))
	sleep 1
	fetch_all $BOB >/dev/null
	n=$(grep -l '^Subject: .*\[TKT-0001\]' "$TMP/got/$BOB"/*.eml | sed 's|.*/||; s|\.eml$||' | sort -n | tail -1)
	to=$(mail_get $BOB "$n" Reply-To)
	reply_mail "$TMP/m$N.eml" "Bob Jones" $BOB "$to" $BOB "$n" "bob-$N@example.com" "$1"
	submit_mail $BOB "$TMP/m$N.eml"
	settle
}
# alice_says TEXT: Alice answers her newest mail about TKT-0001 in neomutt.
alice_says() {
	N=$((N + 1))
	sleep 1
	mutt_reply "~s TKT-0001" "$1" || echo "# neomutt reply failed"
	settle
}
# last_to_customer USER: the number of USER's newest mail.
newest() { mailbox_count "$1"; }

# 1. Carol writes in.
N=1
cat > "$TMP/m1.eml" <<'MAIL'
From: Carol Customer <carol@example.org>
To: support@example.com
Subject: Invoice 4711 is wrong
Message-ID: <c1@example.org>
Date: Wed, 02 Dec 2026 08:00:00 +0000

Hello, invoice 4711 charges us twice for the same licence.
MAIL
send_mail "$TMP/m1.eml"
wait_until 60 tickets_are 1
settle
is "1 carol writes: ack to carol, both staff told" "$(counts)" "carol 1, dave 0, alice 1, bob 1"

# 2. Alice answers from neomutt.
alice_says "Hi Carol, which line of the invoice is wrong?"
is "2 alice answers: relayed to carol" "$(counts)" "carol 2, dave 0, alice 1, bob 1"

# 3. Carol answers the relay.
customer_says $CAROL 2 "Line 3, the licence is listed twice."
is "3 carol answers: both staff told" "$(counts)" "carol 2, dave 0, alice 2, bob 2"

# 4. Bob takes it over and answers.
bob_says "#assign bob\n\nHello Carol, I am taking this over: line 3 is a duplicate, we will correct it."
is "4 bob takes over and answers: relayed (alice is not told of bob's act on her)" \
	"$(counts)" "carol 3, dave 0, alice 2, bob 2"
is "4 assigned to bob" "$(sql "SELECT assignee FROM tickets WHERE ref = 'TKT-0001'")" $BOB

# 5. Carol answers with her colleague Dave in Cc.
customer_says $CAROL 3 "Thanks. Please send the corrected invoice to Dave as well." "Dave Colleague <$DAVE>"
is "5 carol answers with dave in Cc: dave has her mail, bob (the assignee) told" "$(counts)" "carol 3, dave 1, alice 2, bob 3"
is "5 dave is a participant" "$(sql "SELECT group_concat(email) FROM participants")" $DAVE

# 6. Bob answers: to Carol, Dave in Cc.
bob_says "Sure, Dave is now in copy."
is "6 bob answers: carol and dave" "$(counts)" "carol 4, dave 2, alice 2, bob 3"

# 7. Carol writes a fresh mail about the same thing: a second ticket.
N=$((N + 1))
cat > "$TMP/m$N.eml" <<'MAIL'
From: Carol Customer <carol@example.org>
To: support@example.com
Subject: Corrected invoice?
Message-ID: <c7@example.org>
Date: Wed, 02 Dec 2026 10:00:00 +0000

When do we get the corrected invoice 4711?
MAIL
send_mail "$TMP/m$N.eml"
wait_until 60 tickets_are 2
settle
is "7 carol's fresh mail: TKT-0002, ack to carol, both staff told" "$(counts)" "carol 5, dave 2, alice 3, bob 4"

# 8. Bob merges it into TKT-0001 and answers there.
bob_says "#merge TKT-0002\n\nCarol, I merged your other mail into this ticket. The corrected invoice follows today."
is "8 bob merges and answers: carol and dave once each" "$(counts)" "carol 6, dave 3, alice 3, bob 4"
is "8 TKT-0002 closed, merged" "$(sql "SELECT status FROM tickets WHERE ref = 'TKT-0002'")" closed

# 9. Dave answers (reply to all: support, Carol in Cc).
customer_says $DAVE 3 "Dave here: please put our new street address on it." "Carol Customer <$CAROL>"
is "9 dave answers: bob told; carol's copy is her own colleague's mail, not ours" \
	"$(counts)" "carol 7, dave 3, alice 3, bob 5"

# 10. Alice answers from neomutt.
alice_says "Dave, noted: the new address goes on the invoice."
is "10 alice answers: carol and dave" "$(counts)" "carol 8, dave 4, alice 3, bob 5"

# 11. Carol asks.
customer_says $CAROL 8 "Any news on the invoice?"
is "11 carol asks: bob told" "$(counts)" "carol 8, dave 4, alice 3, bob 6"

# 12. Bob answers.
bob_says "The corrected invoice 4711-B is on its way by post."
is "12 bob answers: carol and dave" "$(counts)" "carol 9, dave 5, alice 3, bob 6"

# 13. Carol thanks.
customer_says $CAROL 9 "Got it, thank you!"
is "13 carol thanks: bob told" "$(counts)" "carol 9, dave 5, alice 3, bob 7"

# 14. Bob resolves with a last word.
bob_says "#resolve\n\nGlad it is sorted, Carol."
is "14 bob resolves: his reply to carol and dave, the resolved notice (rating link) to carol" \
	"$(counts)" "carol 11, dave 6, alice 3, bob 7"

# 15. Alice leaves a note through the note address.
N=$((N + 1))
mutt_compose support+note@example.com "[TKT-0001] refund" "Refund of 129 EUR booked internally, ref R-5521."
settle
is "15 alice's note: nobody mailed" "$(counts)" "carol 11, dave 6, alice 3, bob 7"
is "15 the note is a note" "$(sql "SELECT kind || ' ' || from_addr FROM messages WHERE body LIKE 'Refund of 129%'")" "note $ALICE"

is "15 mails exchanged" "$N" 15
is "nothing held, nothing waiting: every outbox mail sent" \
	"$(sql "SELECT group_concat(status || ' ' || n) FROM (SELECT status, count(*) AS n FROM outbox GROUP BY status)")" "sent 20"
is "every recipient sent: 2 acks, 10 to staff, 7 relays to carol, 5 to dave, 1 resolved" \
	"$(sql "SELECT status || ' ' || count(*) FROM outbox_rcpts GROUP BY status")" "sent 25"
ok "no held line in the log" not grep -q ' held ' "$TMP/postdeskd.log"
is "TKT-0001: resolved, bob's" "$(sql "SELECT status || ' ' || assignee FROM tickets WHERE ref = 'TKT-0001'")" "resolved $BOB"
is "TKT-0001's messages" \
	"$(sql "SELECT group_concat(kind, ',') FROM (SELECT m.kind FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.ref = 'TKT-0001' ORDER BY m.id)")" \
	"customer,staff,customer,staff,customer,staff,customer,staff,customer,staff,customer,staff,customer,staff,note"

# ---- Every mail on the customer side ----
fetch_all $CAROL >/dev/null; fetch_all $DAVE >/dev/null
fetch_all $ALICE >/dev/null; fetch_all $BOB >/dev/null
subjects() {
	local u=$1 i out=""
	for i in $(seq 1 "$(ls "$TMP/got/$u" | wc -l)"); do out="$out$(mail_get "$u" "$i" Subject)|"; done
	echo "$out"
}
R="[TKT-0001] Invoice 4711 is wrong"
# Bob's last relay and the resolved notice are queued together: Postfix
# delivers them in either order.
if [ "$(mail_get $CAROL 10 Subject)" = "[TKT-0001] Resolved: Invoice 4711 is wrong" ]; then
	R7=11 RES=10
else
	R7=10 RES=11
fi
is "carol's subjects, in order" "$(subjects $CAROL | cut -d'|' -f1-9)|$(mail_get $CAROL $R7 Subject)|$(mail_get $CAROL $RES Subject)|" \
	"[TKT-0001] We received your request: Invoice 4711 is wrong|$R|$R|$R|[TKT-0002] We received your request: Corrected invoice?|$R|Re: $R|$R|$R|$R|[TKT-0001] Resolved: Invoice 4711 is wrong|"
is "the resolved notice: to carol alone, with a rating link per score" \
	"$(mail_get $CAROL $RES To) $(mail_get $CAROL $RES body | grep -c 't=TKT-0001&k=.*&rate=[1-5]#rate')" "carol@example.org 5"
is "dave's subjects: carol's mail, then the relays" "$(subjects $DAVE)" "Re: $R|$R|$R|$R|$R|$R|"
froms() {
	local u=$1 i out=""
	for i in $(seq 1 "$(ls "$TMP/got/$u" | wc -l)"); do out="$out$(mail_get "$u" "$i" From)|"; done
	echo "$out"
}
is "carol's senders" "$(froms $CAROL | cut -d'|' -f1-10)|$(mail_get $CAROL $RES From)|" "Support <support@example.com>|Alice Smith via Support <support@example.com>|Bob Jones via Support <support@example.com>|Bob Jones via Support <support@example.com>|Support <support@example.com>|Bob Jones via Support <support@example.com>|Dave Colleague <dave@example.org>|Alice Smith via Support <support@example.com>|Bob Jones via Support <support@example.com>|Bob Jones via Support <support@example.com>|Bob Jones via Support <support@example.com>|"
RELAYS="2 3 4 6 8 9 $R7"
hdr_each() {	# hdr_each USER "NS" HEADER: the header of each, "|" between
	local out="" i
	for i in $2; do out="$out$(mail_get "$1" "$i" "$3" | tr -s ' \t\n' ' ' | sed 's/ $//')|"; done
	echo "$out"
}
C2="carol@example.org, dave@example.org"
is "every relay: To carol, and dave once he is in (each recipient once, after the merge too), no Cc" \
	"$(hdr_each $CAROL "$RELAYS" To)/$(hdr_each $CAROL "$RELAYS" Cc)" \
	"carol@example.org|carol@example.org|$C2|$C2|$C2|$C2|$C2|/|||||||"
is "dave's copies are the same mails (same Message-IDs)" \
	"$(hdr_each $DAVE "2 3 4 5 6" Message-ID)" "$(hdr_each $CAROL "4 6 8 9 $R7" Message-ID)"
is "no person's reply is marked automatic" \
	"$(hdr_each $CAROL "$RELAYS" Auto-Submitted)$(hdr_each $CAROL "$RELAYS" X-Auto-Response-Suppress)" "||||||||||||||"
is "the acknowledgements and the resolved notice are automatic" \
	"$(hdr_each $CAROL "1 5 $RES" Auto-Submitted)$(hdr_each $CAROL "1 5 $RES" X-Auto-Response-Suppress)" \
	"auto-replied|auto-replied|auto-replied|All|All|All|"
# Carol's mails by Message-ID: c1 (1), c3 (3), c5 (5), c7 (TKT-0002),
# dave's c9, c11, c13.  A relay's In-Reply-To is the customer side's
# latest mail at that time.
is "In-Reply-To: the customer side's latest mail, never a staff client's" \
	"$(hdr_each $CAROL "$RELAYS" In-Reply-To)" \
	"<c1@example.org>|<c3@example.org>|<c5@example.org>|<c7@example.org>|<c9@example.org>|<c11@example.org>|<c13@example.org>|"
ok "no mail to the customer side names a staff client's Message-ID" \
	not grep -rqi -e 'bob-[0-9]*@example.com' -e '@vm>' "$TMP/got/$CAROL" "$TMP/got/$DAVE"
ALICE_IDS=$(sql "SELECT group_concat(message_id, ' ') FROM messages WHERE from_addr = 'alice@example.com'")
ok "  nor one of alice's neomutt mails ($ALICE_IDS)" \
	eval 'for i in $ALICE_IDS; do grep -rqF "$i" "$TMP/got/$CAROL" "$TMP/got/$DAVE" && exit 1; done; true'
mid() { mail_get $CAROL "$1" Message-ID; }
is "relay 1: References the ack, then carol's mail (the parent) last" \
	"$(hdr_each $CAROL 2 References)" "$(mid 1) <c1@example.org>|"
is "relay 2: carol's conversation in order, the parent last" \
	"$(hdr_each $CAROL 3 References)" "<c1@example.org> $(mid 1) $(mid 2) <c3@example.org>|"
is "relay 3: the same, on" \
	"$(hdr_each $CAROL 4 References)" "<c1@example.org> $(mid 1) $(mid 2) <c3@example.org> $(mid 3) <c5@example.org>|"
is "relay 4 (after the merge): both tickets' mails in the order they came, c7 (the parent) last" \
	"$(hdr_each $CAROL 6 References)" \
	"<c1@example.org> $(mid 1) $(mid 2) <c3@example.org> $(mid 3) <c5@example.org> $(mid 4) $(mid 5) <c7@example.org>|"
# Dave's mail c9 came last before relay 10; it is the parent.
is "relay 10: ends with dave's mail c9" \
	"$(hdr_each $CAROL 8 References | sed 's/.* //')" "<c9@example.org>|"
is "the acks: References the customer's mail" "$(hdr_each $CAROL "1 5" References)" "<c1@example.org>|<c7@example.org>|"
footer_each() {
	local out="" i
	for i in $2; do
		if mail_get "$1" "$i" body | grep -q "^Your request TKT-0001: http://127.0.0.1/cgi-bin/postdesk.cgi?t=TKT-0001&k=[0-9A-Za-z_-]*$"; then
			out="${out}link "; else out="${out}none "; fi
	done
	echo "$out"
}
is "the status link in the footer of every relay" "$(footer_each $CAROL "$RELAYS")" \
	"link link link link link link link "
is "  and of every relay dave got" "$(footer_each $DAVE "2 3 4 5 6")" "link link link link link "
first_line_each() {
	local out="" i
	for i in $2; do out="$out$(mail_get "$1" "$i" body | head -1)|"; done
	echo "$out"
}
is "each relay starts with what its writer wrote, no command" "$(first_line_each $CAROL "$RELAYS")" \
	"Hi Carol, which line of the invoice is wrong?|Hello Carol, I am taking this over: line 3 is a duplicate, we will correct it.|Sure, Dave is now in copy.|Carol, I merged your other mail into this ticket. The corrected invoice follows today.|Dave, noted: the new address goes on the invoice.|The corrected invoice 4711-B is on its way by post.|Glad it is sorted, Carol.|"
ok "no relay holds a quote, a command or the notification" \
	not grep -qE -e '^>' -e '^#(assign|merge|resolve)' -e 'Please write your reply' $(for i in $RELAYS; do echo "$TMP/got/$CAROL/$i.eml"; done)

# ---- The staff side ----
is "alice's mails" "$(subjects $ALICE)" \
	"[TKT-0001] New ticket: Invoice 4711 is wrong|$R|[TKT-0002] New ticket: Corrected invoice?|"
is "bob's mails" "$(subjects $BOB)" \
	"[TKT-0001] New ticket: Invoice 4711 is wrong|$R|$R|[TKT-0002] New ticket: Corrected invoice?|$R|$R|$R|"
ok "history: every step" eval '"$PD" history TKT-0001 > "$TMP/history.txt"'
# 15 messages (7 customer-side, 7 relays, the note); 16 events (created,
# bob's assignment, 3 commands, 11 status changes: 5 customer replies
# reopen, 5 relays wait, 1 resolves); TKT-0001's 17 mails queued and
# sent (its ack, 10 to staff less TKT-0002's 2, 7 relays, resolved).
is "history: every step" \
	"$(sed 1d "$TMP/history.txt" | awk '{print $2}' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')" \
	"event 16, message 15, queued 17, sent 17, "
is "history: each relay sent to the customer side once" \
	"$(grep -c ' sent  *staff_reply  *carol@example.org, dave@example.org$' "$TMP/history.txt")" 5
ok "history: the commands with their actor" \
	eval 'grep "event  *command " "$TMP/history.txt" | sed "s/.* command  *//" | tr "\n" "|" | grep -qxF "bob@example.com  #assign bob|bob@example.com  #merge TKT-0002|bob@example.com  #resolve|"'
[ "$T_FAIL" = 0 ] || sed "s/^/# daemon: /" "$TMP/postdeskd.log"
[ "$T_FAIL" = 0 ] || sed "s/^/# history: /" "$TMP/history.txt"
finish
