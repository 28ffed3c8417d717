# A private Dovecot IMAP server for the scenario tests (sourced after
# lib.sh).  It runs as the current user on 127.0.0.1:$IMAP_PORT, keeps
# its mail in $TMP/mail and knows one user, "support", whose password
# is in $IMAP_PASSFILE.
#
# For a whole mail system (tests/scenario/mta.sh), set before start_dovecot:
# DOVECOT_MTA=1 adds LMTP on 127.0.0.1:$LMTP_PORT (Postfix delivers there)
# and the auth service on 127.0.0.1:$DOVECOT_AUTH_PORT (Postfix's SASL);
# DOVECOT_USERS="user:password ..." adds more users; IMAP_USER may be set
# to a full address.
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
IMAP_USER=${IMAP_USER:-support}
IMAP_PASS=s3cret-imap
IMAP_PASSFILE="$TMP/etc/imap.pass"
IMAP_PORT=
DOVECOT_PID=

# With DOVECOT_SSL=1 (set before start_dovecot): a test CA
# ($DOVECOT_CA), STARTTLS on the imap port, and imaps on
# 127.0.0.2:$IMAPS_PORT and 127.0.0.3:$IMAPS_PORT with a certificate
# for IP 127.0.0.2 and localhost only.
dovecot_ssl() {
	local d="$TMP/dovecot/ssl"
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
		-days 2 -subj /CN=postdesk-test-ca -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/srv.key" -out "$d/srv.csr" \
		-subj /CN=localhost 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.2,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
		> "$d/ext" &&
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/srv.pem" -days 2 -extfile "$d/ext" 2>/dev/null || return 1
	DOVECOT_CA="$d/ca.pem"
	IMAPS_PORT=$(free_port)
	export DOVECOT_CA IMAPS_PORT
}

# Write the config once; the port is kept across restarts.
dovecot_config() {
	local d="$TMP/dovecot" me grp login muser mgroup
	me=$(id -un); grp=$(id -gn); login=$me; muser=$me; mgroup=$grp
	mkdir -p "$d/base" "$TMP/mail" "$TMP/etc"
	# Dovecot refuses root for imap-login and for mail access: as root,
	# use its own login user and nobody for the mail, which must reach
	# the login socket and the mail folder in $TMP.
	if [ "$(id -u)" = 0 ]; then
		login=nobody
		id dovenull >/dev/null 2>&1 && login=dovenull
		muser=nobody; mgroup=$(id -gn nobody)
		chmod 711 "$TMP" "$d"
		chown "$muser:$mgroup" "$TMP/mail"
	fi
	printf '%s\n' "$IMAP_PASS" > "$IMAP_PASSFILE"
	chmod 600 "$IMAP_PASSFILE"
	# uid and gid empty: mail_uid and mail_gid below apply.
	printf '%s:{PLAIN}%s::::%s\n' "$IMAP_USER" "$IMAP_PASS" \
		"$TMP/mail/$IMAP_USER" > "$d/passwd"
	local up
	for up in ${DOVECOT_USERS:-}; do
		printf '%s:{PLAIN}%s::::%s\n' "${up%%:*}" "${up#*:}" \
			"$TMP/mail/${up%%:*}" >> "$d/passwd"
	done
	[ -n "$IMAP_PORT" ] || IMAP_PORT=$(free_port)
	local protocols=imap mta=""
	if [ "${DOVECOT_MTA:-0}" = 1 ]; then
		protocols="imap lmtp"
		[ -n "${LMTP_PORT:-}" ] || LMTP_PORT=$(free_port)
		[ -n "${DOVECOT_AUTH_PORT:-}" ] || DOVECOT_AUTH_PORT=$(free_port)
		export LMTP_PORT DOVECOT_AUTH_PORT
		# support+TKT-0042.x@ is support's mail; the LMTP hop writes
		# its Received and Delivered-To like any Debian Dovecot.
		mta="hostname = mx.example.com
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.com
}"
	fi
	local ssl="ssl = no" imaps="port = 0"
	if [ "${DOVECOT_SSL:-0}" = 1 ]; then
		dovecot_ssl || { echo "# cannot make test certificates"; return 1; }
		ssl="ssl = yes
ssl_cert = <$TMP/dovecot/ssl/srv.pem
ssl_key = <$TMP/dovecot/ssl/srv.key"
		imaps="address = 127.0.0.2 127.0.0.3
    port = $IMAPS_PORT"
	fi
	cat > "$d/dovecot.conf" <<CONF
base_dir = $d/base
state_dir = $d/state
listen = 127.0.0.1
protocols = $protocols
$ssl
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
default_login_user = $login
default_internal_user = $me
default_internal_group = $grp
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:$TMP/mail/%u
mail_uid = $muser
mail_gid = $mgroup
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    $imaps
  }
}
service anvil {
  chroot =
}
service auth {
  user = $me
  $( [ "${DOVECOT_MTA:-0}" = 1 ] && printf 'inet_listener {\n    address = 127.0.0.1\n    port = %s\n  }' "$DOVECOT_AUTH_PORT")
}
service auth-worker {
  user = $me
}
service stats {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 50
}
$mta
CONF
	export IMAP_PORT
}

# Wait until 127.0.0.1:$IMAP_PORT greets (10 s at most).
dovecot_wait() {
	local i
	for i in $(seq 1 100); do
		if $PY - "$IMAP_PORT" 2>/dev/null <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.settimeout(1)
sys.exit(0 if s.recv(100).startswith(b"* OK") else 1)
PYEOF
		then return 0; fi
		kill -0 "$DOVECOT_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Start Dovecot in the foreground of a background job; 0 once it answers.
start_dovecot() {
	[ -x "$DOVECOT" ] || { echo "# $DOVECOT not installed"; return 1; }
	[ -f "$TMP/dovecot/dovecot.conf" ] || dovecot_config || return 1
	"$DOVECOT" -F -c "$TMP/dovecot/dovecot.conf" >>"$TMP/dovecot/stdout" 2>&1 &
	DOVECOT_PID=$!
	T_PIDS="$T_PIDS $DOVECOT_PID"
	if ! dovecot_wait; then
		echo "# dovecot did not start:"
		sed 's/^/#   /' "$TMP/dovecot/stdout" "$TMP/dovecot/dovecot.log" 2>/dev/null | tail -15
		return 1
	fi
}

# Stop it, and its client sessions: Dovecot lets those outlive the
# master, but a test of a lost server wants them gone.
stop_dovecot() {
	local kids
	[ -n "$DOVECOT_PID" ] || return 0
	kids=$(pgrep -P "$DOVECOT_PID")
	kill "$DOVECOT_PID" $kids 2>/dev/null
	wait "$DOVECOT_PID" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | sed "s/\b$DOVECOT_PID\b//")
	DOVECOT_PID=
}

restart_dovecot() {
	stop_dovecot
	start_dovecot
}

# imap_py SCRIPT ARGS...: run python with an imaplib connection "M"
# logged in as the test user.
imap_py() {
	local script=$1; shift
	$PY - "$IMAP_PORT" "$IMAP_USER" "$IMAP_PASS" "$@" <<PYEOF
import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
args = sys.argv[4:]
$script
M.logout()
PYEOF
}

# imap_append FILE [FOLDER]: append one message (created if missing).
imap_append() {
	imap_py '
M.create(args[1])
typ, _ = M.append(args[1], None, None, open(args[0], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
sys.exit(0 if typ == "OK" else 1)' "$1" "${2:-INBOX}"
}

# imap_count FOLDER: how many messages it holds (0 when missing).
imap_count() {
	imap_py '
typ, data = M.select(args[0], readonly=True)
print(int(data[0]) if typ == "OK" else 0)' "$1"
}

# imap_count_flag FOLDER FLAG: how many carry FLAG (e.g. SEEN).
imap_count_flag() {
	imap_py '
M.select(args[0], readonly=True)
typ, data = M.uid("SEARCH", None, args[1])
print(len(data[0].split()))' "$1" "$2"
}
