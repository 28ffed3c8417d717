# A whole mail system on 127.0.0.1 for the scenario tests (sourced after
# lib.sh), run the way a new team would run postdesk:
#
#   customer --SMTP--> Postfix :$MX_PORT --LMTP--> Dovecot (mailboxes)
#     (:$AR_OK_PORT, :$AR_BAD_PORT: the same, with an Authentication-Results
#     PREPENDed above our hop, with our authserv-id and with another)
#   staff (neomutt in tmux) --submission :$SUB_PORT, SASL via Dovecot--> Postfix
#   postdeskd --IMAP IDLE--> Dovecot support@example.com INBOX
#   postdeskd --SMTP--> Postfix :$MX_PORT --LMTP--> customer and staff mailboxes
#
# Every server is our own instance in $TMP (Postfix with `master -c DIR`,
# never the system one), on free ports, stopped by PID at exit.  Needs
# root (Postfix does); mta_start prints how long the chain took to start.
. "$top_srcdir/tests/scenario/dovecot.sh"

PDD="$top_builddir/postdeskd"
POSTFIX_MASTER=/usr/lib/postfix/sbin/master
MTA_PASS=s3cret-mail
MTA_USERS="alice@example.com bob@example.com carol@example.org dave@example.org erin@example.org"
PF="$TMP/postfix"
MX_PORT=
SUB_PORT=
POSTFIX_PID=
PDD_PID=
MUTT_SOCK="$TMP/mutt/tmux.sock"
MUTT_PID=

# The master.cf lines of contrib/postfix-staff-submission.cf, on our port,
# without chroot and TLS (loopback test), SASL through Dovecot's inet
# listener and the login map inline.
mta_submission_lines() {
	local logins="" u
	for u in $MTA_USERS; do logins="$logins$u=$u, "; done
	sed -n '/^submission /,$p' "$top_srcdir/contrib/postfix-staff-submission.cf" |
	sed -e "s/^submission inet n       -       y/127.0.0.1:$SUB_PORT inet n       -       n/" \
	    -e 's/smtpd_tls_security_level=encrypt/smtpd_tls_security_level=none/' \
	    -e "s|smtpd_sasl_path=private/auth|smtpd_sasl_path=inet:127.0.0.1:$DOVECOT_AUTH_PORT|" \
	    -e "s|hash:/etc/postfix/sender_login|inline:{${logins%, }}|"
}

postfix_config() {
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	MX_PORT=$(free_port)
	SUB_PORT=$(free_port)
	cat > "$PF/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $TMP
maillog_file = $PF/maillog
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.com
mydomain = example.com
myorigin = example.com
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
virtual_mailbox_domains = example.com example.org
smtpd_reject_unlisted_recipient = no
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
recipient_delimiter = +
smtputf8_enable = no
biff = no
smtpd_banner = mx.example.com ESMTP
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
CONF
	# Two more MX ports standing for a filter in front of our MX that
	# adds its Authentication-Results above our hop (as a milter does):
	# one with our authserv-id, one with another.
	AR_OK_PORT=$(free_port)
	AR_BAD_PORT=$(free_port)
	local ar="dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com"
	echo "127.0.0.1 PREPEND Authentication-Results: mx.example.com; $ar" > "$PF/etc/ar_ok"
	echo "127.0.0.1 PREPEND Authentication-Results: mx.other.example.net; $ar" > "$PF/etc/ar_bad"
	cat > "$PF/etc/master.cf" <<CONF
127.0.0.1:$MX_PORT inet n - n - - smtpd
127.0.0.1:$AR_OK_PORT inet n - n - - smtpd -o syslog_name=postfix/ar-ok
  -o smtpd_client_restrictions=check_client_access,texthash:$PF/etc/ar_ok
127.0.0.1:$AR_BAD_PORT inet n - n - - smtpd -o syslog_name=postfix/ar-bad
  -o smtpd_client_restrictions=check_client_access,texthash:$PF/etc/ar_bad
$(mta_submission_lines)
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
}

port_open() {
	$PY -c "import socket,sys; socket.create_connection(('127.0.0.1',int(sys.argv[1])),1)" \
		"$1" 2>/dev/null
}

start_postfix() {
	postfix_config
	# `postfix check` makes the queue folders with their owners.
	postfix -c "$PF/etc" check 2>"$PF/check.err" || {
		echo "# postfix check failed: $(cat "$PF/check.err")"; return 1; }
	"$POSTFIX_MASTER" -d -c "$PF/etc" 2>"$PF/master.err" &
	POSTFIX_PID=$!
	T_PIDS="$T_PIDS $POSTFIX_PID"
	local i
	for i in $(seq 1 100); do
		port_open "$MX_PORT" && port_open "$SUB_PORT" && port_open "$AR_OK_PORT" &&
			port_open "$AR_BAD_PORT" && return 0
		kill -0 "$POSTFIX_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# postfix did not start:"; sed 's/^/#   /' "$PF/master.err" "$PF/maillog" 2>/dev/null | tail
	return 1
}

# postdeskd on the support mailbox, sending through Postfix.  Runs as
# nobody (it refuses to keep root), which must own its state.
start_postdeskd() {
	SMTP_PORT=$MX_PORT
	EXTRA_CONF="mailboxes = ( { name = \"support\"; url = \"imap://127.0.0.1:$IMAP_PORT/INBOX\";
  user = \"$IMAP_USER\"; password_file = \"$IMAP_PASSFILE\"; queue = \"Support\";
  after = \"move:Processed\"; poll = \"60s\"; } );
${MTA_CONF:-}"
	write_config
	sed -i "s/^auth = .*/auth = { authserv_id = \"${MTA_AUTHSERV_ID:-}\"; trust_from = false; };/" \
		"$POSTDESK_CONF"
	chown -R nobody "$TMP/etc" "$TMP/var"
	"$PDD" -f -u nobody -c "$POSTDESK_CONF" 2>>"$TMP/postdeskd.log" &
	PDD_PID=$!
	T_PIDS="$T_PIDS $PDD_PID"
	wait_until 10 grep -qs "started:" "$TMP/postdeskd.log" || {
		echo "# postdeskd did not start:"; sed 's/^/#   /' "$TMP/postdeskd.log" | tail; return 1; }
}

# wait_until SECONDS COMMAND...: poll every 0.1 s.
wait_until() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# mta_start: Dovecot, Postfix, postdeskd; MTA_START_MS is the time taken.
mta_start() {
	if [ "$(id -u)" != 0 ]; then echo "# the mail system needs root (Postfix)"; return 1; fi
	local t0 u
	t0=$(date +%s%N)
	IMAP_USER=support@example.com
	IMAP_PASSFILE="$TMP/etc/imap.pass"
	DOVECOT_MTA=1
	DOVECOT_USERS=""
	for u in $MTA_USERS; do DOVECOT_USERS="$DOVECOT_USERS $u:$MTA_PASS"; done
	start_dovecot || return 1
	start_postfix || return 1
	start_postdeskd || return 1
	MTA_START_MS=$((($(date +%s%N) - t0) / 1000000))
	echo "# mail system (Dovecot, Postfix, postdeskd) started in ${MTA_START_MS} ms"
}

# send_mail FILE [RCPT...]: a customer's mail into the MX port, or the
# port SEND_PORT names (envelope sender from the From header, recipients
# from To/Cc unless given).
send_mail() {
	local f=$1; shift
	$PY - "${SEND_PORT:-$MX_PORT}" "$f" "$@" <<'PYEOF'
import email, email.policy, email.utils, smtplib, sys
raw = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
m = email.message_from_bytes(raw, policy=email.policy.compat32)
frm = email.utils.parseaddr(m["From"])[1]
rcpts = sys.argv[3:] or [a for _, a in email.utils.getaddresses(m.get_all("To", []) + m.get_all("Cc", []))]
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail(frm, rcpts, raw.replace(b"\n", b"\r\n"))
s.quit()
PYEOF
}

# submit_mail USER FILE: through the submission port, logged in as USER.
submit_mail() {
	$PY - "$SUB_PORT" "$1" "$MTA_PASS" "$2" <<'PYEOF'
import email, email.policy, email.utils, smtplib, sys
raw = open(sys.argv[4], "rb").read().replace(b"\r\n", b"\n")
m = email.message_from_bytes(raw, policy=email.policy.compat32)
rcpts = [a for _, a in email.utils.getaddresses(m.get_all("To", []) + m.get_all("Cc", []))]
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.login(sys.argv[2], sys.argv[3])
s.sendmail(sys.argv[2], rcpts, raw.replace(b"\n", b"\r\n"))
s.quit()
PYEOF
}

# fetch_all USER: every message in USER's INBOX into $TMP/got/USER/N.eml
# (1 = oldest); prints the count.
fetch_all() {
	local d="$TMP/got/$1"
	rm -rf "$d"; mkdir -p "$d"
	local pass=$MTA_PASS
	[ "$1" = "$IMAP_USER" ] && pass=$IMAP_PASS
	$PY - "$IMAP_PORT" "$1" "$pass" "$d" "${2:-INBOX}" <<'PYEOF'
import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
typ, data = M.select(sys.argv[5], readonly=True)
n = 0
if typ == "OK":
    typ, data = M.uid("SEARCH", None, "ALL")
    for uid in data[0].split():
        typ, msg = M.uid("FETCH", uid, "(BODY.PEEK[])")
        n += 1
        open("%s/%d.eml" % (sys.argv[4], n), "wb").write(msg[0][1])
print(n)
M.logout()
PYEOF
}
mailbox_count() { fetch_all "$@" >/dev/null; ls "$TMP/got/$1" | wc -l; }
mailbox_has() { [ "$(mailbox_count "$1")" -ge "$2" ]; }

# mail_get USER N WHAT: of USER's Nth fetched mail, WHAT is a header name,
# "body" (the decoded text/plain part) or "from-addr".
mail_get() {
	$PY - "$TMP/got/$1/$2.eml" "$3" <<'PYEOF'
import email, email.policy, email.utils, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
w = sys.argv[2]
if w == "body":
    print(m.get_body(preferencelist=("plain",)).get_content(), end="")
elif w == "from-addr":
    print(email.utils.parseaddr(str(m["From"]))[1])
else:
    print("\n".join(str(x) for x in (m.get_all(w) or [])))
PYEOF
}

# ---- the staff member's mail client: neomutt in tmux ----

# mutt_start USER "REAL NAME": neomutt on USER's INBOX over IMAP, sending
# through the submission port with USER's login.  Replies quote the
# mail (the default of every client); the editor puts $TMP/mutt/reply.txt
# above the quote.
mutt_start() {
	local d="$TMP/mutt" user=$1 enc
	enc=${user/@/%40}
	mkdir -p "$d/home" "$d/cache"
	cat > "$d/edit.sh" <<'EOF'
#!/bin/sh
{ cat "$(dirname "$0")/reply.txt"; cat "$1"; } > "$1.new" && mv "$1.new" "$1"
EOF
	chmod +x "$d/edit.sh"
	cat > "$d/muttrc" <<CONF
set folder = "imap://$enc@127.0.0.1:$IMAP_PORT/"
set spoolfile = "+INBOX"
set imap_pass = "$MTA_PASS"
set smtp_url = "smtp://$enc@127.0.0.1:$SUB_PORT/"
set smtp_pass = "$MTA_PASS"
set ssl_starttls = no
set ssl_force_tls = no
set from = "$user"
set realname = "$2"
set use_from = yes
set editor = "$d/edit.sh"
set include = yes
set fast_reply = yes
set reply_to = yes
set edit_headers = no
set askcc = no
set askbcc = no
set copy = no
set record = ""
set postpone = no
set abort_unmodified = no
set sig_on_top = no
set signature = ""
set sort = date
set mail_check = 1
set timeout = 1
set imap_check_subscribed = no
set header_cache = ""
set message_cachedir = ""
set charset = "utf-8"
set send_charset = "utf-8"
set wait_key = no
set confirmappend = no
set delete = yes
set quit = yes
CONF
	HOME="$d/home" TERM=xterm tmux -S "$MUTT_SOCK" new-session -d -x 160 -y 45 \
		"neomutt -n -F '$d/muttrc' 2>'$d/stderr'" || return 1
	MUTT_PID=$(tmux -S "$MUTT_SOCK" display-message -p '#{pid}')
	T_PIDS="$T_PIDS $MUTT_PID"
	wait_until 10 mutt_screen_has "INBOX" || { echo "# neomutt did not start:"; mutt_screen | sed 's/^/#   /'; return 1; }
}
mutt_screen() { tmux -S "$MUTT_SOCK" capture-pane -p; }
mutt_screen_has() { mutt_screen | grep -qF -- "$1"; }
mutt_keys() { tmux -S "$MUTT_SOCK" send-keys "$@"; }

# mutt_reply PATTERN TEXT: open INBOX afresh, limit to the mails matching
# the neomutt PATTERN, reply to the newest with TEXT above the quote, send.
mutt_reply() {
	printf '%s\n' "$2" > "$TMP/mutt/reply.txt"
	mutt_keys c; sleep 0.2
	mutt_keys C-u "=INBOX" Enter
	sleep 0.5
	mutt_keys l; sleep 0.2
	mutt_keys C-u; mutt_keys -l "$1"; mutt_keys Enter; sleep 0.3
	mutt_keys '*'; sleep 0.2
	# sent mails counted by Postfix's log: one more session each reply
	local before
	before=$(sub_sessions)
	mutt_keys r
	wait_until 10 mutt_screen_has "y:Send" || { echo "# no compose menu:"; mutt_screen | sed 's/^/#   /'; return 1; }
	mutt_keys y
	wait_until 15 sasl_more "$before" || { echo "# not sent:"; mutt_screen | sed 's/^/#   /'; return 1; }
	mutt_keys l; sleep 0.2; mutt_keys C-u "all" Enter; sleep 0.2
}
# sub_sessions: submission sessions over (a session's mail is in Postfix's
# queue when it disconnects; its sasl_username line comes at MAIL FROM,
# before the DATA).
sub_sessions() { grep -c 'postfix/submission/smtpd.*: disconnect from' "$PF/maillog" 2>/dev/null; }
sasl_more() { [ "$(sub_sessions)" -gt "$1" ]; }

# outbox_idle: nothing waiting in the outbox and Postfix's queue empty.
outbox_idle() {
	[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ] &&
	[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" -type f 2>/dev/null)" ]
}

# mutt_compose TO SUBJECT TEXT: a new mail from the staff member.
mutt_compose() {
	printf '%s\n' "$3" > "$TMP/mutt/reply.txt"
	local before
	before=$(sub_sessions)
	mutt_keys m
	wait_until 5 mutt_screen_has "To:" || { echo "# no To prompt:"; mutt_screen | sed 's/^/#   /'; return 1; }
	mutt_keys -l "$1"; mutt_keys Enter
	wait_until 5 mutt_screen_has "Subject:" || { echo "# no Subject prompt:"; mutt_screen | sed 's/^/#   /'; return 1; }
	mutt_keys -l "$2"; mutt_keys Enter
	wait_until 10 mutt_screen_has "y:Send" || { echo "# no compose menu:"; mutt_screen | sed 's/^/#   /'; return 1; }
	mutt_keys y
	wait_until 15 sasl_more "$before" || { echo "# not sent:"; mutt_screen | sed 's/^/#   /'; return 1; }
}

# settle: postdeskd has taken in every mail of the support INBOX and
# the outbox and Postfix's queue are empty.
# Generous: under the sanitizers on a loaded machine a mail can take
# many seconds through the chain; a timeout is reported.
settle() {
	wait_until "${1:-120}" settled || echo "# settle: still busy after ${1:-120} s"
}
settled() {
	pf_drained && [ "$(imap_count INBOX)" = 0 ] && outbox_idle && pf_drained
}
# pf_drained: every mail Postfix's cleanup took in has been removed from
# its queue (delivered), so none is between a queue folder and the next.
pf_drained() {
	[ "$(grep -c 'postfix/cleanup\[[0-9]*\]: [0-9A-F]*: message-id=' "$PF/maillog")" = \
	  "$(grep -c 'postfix/qmgr\[[0-9]*\]: [0-9A-F]*: removed' "$PF/maillog")" ]
}
