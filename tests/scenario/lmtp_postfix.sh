# lmtp_postfix.sh: a Postfix instance of our own (postfix -c DIR, never
# the system one) that takes SMTP on a free port of 127.0.0.1 and hands
# every mail for example.com to postdeskd over LMTP, using the routing of
# contrib/postfix-lmtp.cf.  Sourced by the LMTP scenario tests and the
# bench after lib.sh (or with TMP, PY and free_port defined).
#
# pf_start LMTP_NEXTHOP [EXTRA_MAIN_CF]: writes $TMP/postfix/{etc,queue,data},
#   starts it; PF_PORT is its SMTP port.  LMTP_NEXTHOP as in
#   transport_maps, e.g. "unix:$TMP/etc/lmtp.sock" or "inet:127.0.0.1:2424".
# pf_stop: postfix -c DIR stop (it stops its own processes, and we wait
#   for the master's pid to go).
# pf_flush: postqueue -f (retry what is deferred now).
# pf_queue_count: mails in Postfix's queue (all of incoming, active, deferred).
# pf_send FROM TO[,TO...] FILE: one mail through Postfix's SMTP port.
PF_DIR=""
PF_PORT=""

pf_start() {
	local nexthop=$1 extra=${2:-}
	PF_DIR=$TMP/postfix
	PF_PORT=${PF_PORT:-$(free_port)}
	mkdir -p "$PF_DIR/etc" "$PF_DIR/queue" "$PF_DIR/data"
	# Postfix's own processes run as postfix: they need to walk to the
	# LMTP socket and their folders.
	chmod 755 "$TMP" "$PF_DIR"
	chown postfix "$PF_DIR/data"
	cat > "$PF_DIR/etc/main.cf" <<CF
compatibility_level = 3.6
config_directory = $PF_DIR/etc
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.invalid
mydomain = test.invalid
myorigin = test.invalid
mydestination =
relay_domains = example.com
alias_maps =
alias_database =
local_recipient_maps =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
recipient_delimiter = +
transport_maps = inline:{ example.com=lmtp:$nexthop }
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
local_transport = error:no local delivery in tests
default_transport = error:no outside delivery in tests
notify_classes =
biff = no
# Retry quickly: tests ask with pf_flush anyway.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
disable_dns_lookups = yes
alternate_config_directories = $PF_DIR/etc
$extra
CF
	# Only what these tests use, none of it chrooted.
	cat > "$PF_DIR/etc/master.cf" <<CF
127.0.0.1:$PF_PORT inet n - n - - smtpd
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
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	postfix -c "$PF_DIR/etc" check >"$PF_DIR/check.err" 2>&1 || {
		echo "# postfix check: $(cat "$PF_DIR/check.err")"
		return 1
	}
	postfix -c "$PF_DIR/etc" start 2>"$PF_DIR/start.err" || {
		echo "# postfix start: $(cat "$PF_DIR/start.err")"
		return 1
	}
	for _ in $(seq 1 100); do
		$PY -c "import socket; socket.create_connection(('127.0.0.1',$PF_PORT),1)" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "# postfix smtpd did not answer on $PF_PORT"
	return 1
}

pf_master_pid() { head -1 "$PF_DIR/queue/pid/master.pid" 2>/dev/null | tr -d ' '; }

pf_stop() {
	local pid
	[ -n "$PF_DIR" ] || return 0
	pid=$(pf_master_pid)
	postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1
	for _ in $(seq 1 100); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
}

pf_flush() { postqueue -c "$PF_DIR/etc" -f 2>/dev/null; }

pf_queue_count() {
	find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" "$PF_DIR/queue/deferred" \
	    "$PF_DIR/queue/maildrop" -type f 2>/dev/null | wc -l
}

# pf_wait_empty SECONDS: until the queue is empty (flushing each second).
pf_wait_empty() {
	local n=$(($1 * 10)) i=0
	while [ "$n" -gt 0 ]; do
		[ "$(pf_queue_count)" = 0 ] && return 0
		i=$((i + 1))
		[ $((i % 10)) = 0 ] && pf_flush
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

pf_send() {	# pf_send FROM TO[,TO...] FILE
	$PY - "$PF_PORT" "$1" "$2" "$3" <<'PYEOF'
import smtplib, sys
port, frm, to, path = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4]
with open(path, "rb") as f:
    data = f.read()
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.sendmail(frm, to, data)
s.quit()
PYEOF
}
