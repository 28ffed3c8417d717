#!/bin/bash
# t_sysadmin.sh: the sysadmin's path (issue 11 item 6 and 7): the run
# user's one-line hint, check-config before `postdesk init`, deliver
# never failing on a setting it does not use and answering 75 for a
# broken config (an MTA bounces 78), log lines per outbox recipient, and
# `postdesk outbox flush` trying every waiting mail now.
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
SMTP_PORT=$(free_port)		# nothing listens there yet
test_conf "$TMP" "$SMTP_PORT"
export POSTDESK_CONF="$TMP/etc/postdesk.conf"
not() { ! "$@"; }

# 1. The run user.
if [ "$(id -u)" = 0 ]; then
	"$PDD" -f -u pd-no-such-user -c "$POSTDESK_CONF" 2>"$TMP/err"
	is "unknown run user: 67" "$?" 67
	is "unknown run user: one line saying how to create it" "$(cat "$TMP/err")" \
		"postdeskd: unknown user pd-no-such-user: create it with \`adduser --system --group --home /var/lib/postdesk pd-no-such-user\` or pass -u USER"
fi

# 2. check-config before init names what is missing and the command.
"$PD" check-config >"$TMP/out" 2>"$TMP/err"
is "check-config before init: 78" "$?" 78
is "check-config before init: database, spool, secret" "$(cat "$TMP/err")" \
"$POSTDESK_CONF: database $TMP/var/postdesk.db does not exist: run \`postdesk init\`
$POSTDESK_CONF: spool folder $TMP/var/spool does not exist: run \`postdesk init\`
$POSTDESK_CONF: secret key $TMP/etc/secret does not exist: run \`postdesk init\`"
"$PD" init >/dev/null
"$PD" check-config >"$TMP/out" 2>"$TMP/err"
is "check-config after init: 0" "$?" 0
is "check-config after init: ok" "$(cat "$TMP/out")" "$POSTDESK_CONF: ok"

# 3. A group-readable SMTP password file: check-config and the daemon
# refuse it, deliver (which never sends) takes the mail in.
printf 'pw\n' > "$TMP/etc/smtp.pass"
chmod 640 "$TMP/etc/smtp.pass"
sed -i "s|starttls = \"never\";|starttls = \"never\"; user = \"pd\"; password_file = \"smtp.pass\";|" \
	"$POSTDESK_CONF"
"$PD" check-config >/dev/null 2>"$TMP/err"
is "check-config: the 0640 password file is an error" "$?" 78
is "check-config: FILE:LINE and the path" "$(cat "$TMP/err")" \
	"$POSTDESK_CONF:6: smtp.password_file $TMP/etc/smtp.pass is readable by its group (mode 0640): chmod 600 it"
mail1() {
	printf 'From: Carol <carol@example.org>\nTo: support@example.com\nSubject: Flush me\nMessage-ID: <%s@example.org>\n\nHello.\n' "$1"
}
mail1 m1 | "$PD" deliver 2>"$TMP/err"
is "deliver with that file: 0" "$?" 0
is "deliver: nothing on stderr" "$(cat "$TMP/err")" ""
is "deliver: the ticket is there" "$(sql "SELECT ref FROM tickets")" "TKT-0001"
"$PDD" -f -c "$POSTDESK_CONF" --flush >/dev/null 2>"$TMP/err"
is "postdeskd refuses the file: 78" "$?" 78
chmod 600 "$TMP/etc/smtp.pass"
sed -i 's| user = "pd"; password_file = "smtp.pass";||' "$POSTDESK_CONF"

# 4. A broken config: deliver says 75 so the MTA keeps the mail.
cp "$POSTDESK_CONF" "$TMP/good.conf"
printf 'this is not libconfig\n' >> "$POSTDESK_CONF"
mail1 m2 | "$PD" deliver 2>"$TMP/err"
is "deliver with a broken config: 75" "$?" 75
ok "deliver: the config error with FILE:LINE" grep -q "^$POSTDESK_CONF:[0-9]*: syntax error" "$TMP/err"
ok "deliver: says the MTA retries" grep -q "temporary failure (exit 75): the MTA keeps the mail and retries" "$TMP/err"
mail1 m3 | "$PD" deliver --mailbox nope 2>/dev/null
cp "$TMP/good.conf" "$POSTDESK_CONF"
is "deliver --mailbox unknown: 75" "$(mail1 m3 | "$PD" deliver --mailbox nope 2>/dev/null; echo $?)" 75
mv "$TMP/etc/secret" "$TMP/secret.saved"
mail1 m4 | "$PD" deliver 2>/dev/null
is "deliver without the secret key (not initialised): 75" "$?" 75
mv "$TMP/secret.saved" "$TMP/etc/secret"

# 5. outbox flush: a mail that failed and waits for its backoff is tried
# now, as postqueue -f does; each recipient gets a log line.
mail1 m5 | "$PD" deliver
"$PD" outbox flush >"$TMP/out" 2>"$TMP/err"
is "flush with the server down: 75" "$?" 75
# the first is tried, the rest waits with it (no server answered)
is "tried, deferred with backoff" "$(sql "SELECT group_concat(tries || ' ' || status || ' ' || (next_try > strftime('%s','now')), ',') FROM outbox")" \
	"1 queued 1,0 queued 1,0 queued 1,0 queued 1,0 queued 1,0 queued 1"
ok "a log line per deferred recipient" grep -q "^postdeskd: outbox ticket_created: deferred carol@example.org, ref TKT-0001, mail 1 <TKT-0001\." "$TMP/err"
start_smtp || exit 1
"$PD" outbox flush >"$TMP/out" 2>"$TMP/err"
is "flush once the server is back: 0" "$?" 0
is "flush: everything sent now, backoff or not" "$(cat "$TMP/out")" "outbox: 6 sent, 0 deferred, 0 failed, 0 waiting"
is "the SMTP server got them" "$(smtp_count)" 6
ok "flush says it tried the waiting mail now" grep -q "^postdeskd: outbox flush: 6 waiting mails tried now" "$TMP/err"
ok "a log line per sent recipient" grep -q "^postdeskd: outbox ticket_created: sent carol@example.org, ref TKT-0001, mail 1 <TKT-0001\.[^>]*> 250" "$TMP/err"
finish
