#!/bin/bash
# SMTP with STARTTLS required and AUTH, against a real server with a
# certificate from a CA made here: verified with smtp.ca_file, refused
# (and the mail kept) without it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
command -v openssl >/dev/null || { echo "# openssl missing"; exit 77; }
cd "$TMP"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=postdesk test CA" \
	-keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext -out srv.pem 2>/dev/null
cd - >/dev/null
SMTP_TLS="$TMP/srv.pem $TMP/srv.key relay:s3cret"
start_smtp || exit 77
printf 's3cret\n' > "$TMP/smtp.pass"; chmod 600 "$TMP/smtp.pass"
write_config
sed -i "s|^smtp = .*|smtp = { url = \"smtp://127.0.0.1:$SMTP_PORT\"; starttls = \"always\"; user = \"relay\"; password_file = \"$TMP/smtp.pass\"; ca_file = \"$TMP/ca.pem\"; timeout = \"10s\"; };|" "$TMP/etc/postdesk.conf"
"$PD" check-config >/dev/null 2>&1; is "config with ca_file is valid" "$?" 0

printf 'From: Tina <tina@example.org>\nTo: support@example.com\nSubject: tls\nMessage-ID: <t1@example.org>\n\nhello\n' |
	"$PD" deliver
"$PD" outbox flush >/dev/null 2>"$TMP/err"; rc=$?
is "STARTTLS + AUTH with our CA: flush exits 0" "$rc" 0
n=$(grep -l '^RCPT TO tina@example.org$' "$TMP"/smtp/*.env | head -1)
is "the server saw AUTH as relay" "$(sed -n 's/^AUTH //p' "$n")" relay

# Without our CA the certificate is not trusted: nothing sent, kept.
sed -i "s|ca_file = \"$TMP/ca.pem\"; ||" "$TMP/etc/postdesk.conf"
printf 'From: Uma <uma@example.org>\nTo: support@example.com\nSubject: tls2\nMessage-ID: <t2@example.org>\n\nhello\n' |
	"$PD" deliver
"$PD" outbox flush >/dev/null 2>"$TMP/err"; rc=$?
is "untrusted certificate: flush exits 75" "$rc" 75
is "untrusted certificate: nothing reached the server for uma" \
	"$(grep -l '^RCPT TO uma@example.org$' "$TMP"/smtp/*.env 2>/dev/null | wc -l)" 0
err=$(sql "SELECT last_error FROM outbox o JOIN outbox_rcpts r ON r.outbox_id=o.id WHERE r.addr='uma@example.org'")
echo "# last_error: $err"
ok "untrusted certificate: the error names the certificate" grep -qi 'certificate' <<<"$err"
is "untrusted certificate: the mail waits" \
	"$(sql "SELECT o.status FROM outbox o JOIN outbox_rcpts r ON r.outbox_id=o.id WHERE r.addr='uma@example.org'")" queued

# Wrong password: refused by the server, the mail waits too.
sed -i "s|password_file = \"$TMP/smtp.pass\";|password_file = \"$TMP/smtp.pass\"; ca_file = \"$TMP/ca.pem\";|" "$TMP/etc/postdesk.conf"
printf 'wrong\n' > "$TMP/smtp.pass"
POSTDESK_NOW=$(( $(date +%s) + 7200 )) "$PD" outbox flush >/dev/null 2>&1; rc=$?
is "wrong password: flush exits 75" "$rc" 75
printf 's3cret\n' > "$TMP/smtp.pass"
POSTDESK_NOW=$(( $(date +%s) + 14400 )) "$PD" outbox flush >/dev/null 2>&1; rc=$?
is "right password again: flush exits 0" "$rc" 0
is "uma's mail delivered exactly once" "$(grep -l '^RCPT TO uma@example.org$' "$TMP"/smtp/*.env | wc -l)" 1

# smtps://: TLS from the first byte (no STARTTLS), verified with our CA.
stop_smtp
PORT2=$(free_port)
mkdir -p "$TMP/smtps"
SMTPD_IMPLICIT_TLS=1 $PY "$top_srcdir/tests/tools/smtpd.py" "$PORT2" "$TMP/smtps" \
	"$TMP/srv.pem" "$TMP/srv.key" relay:s3cret 2>"$TMP/smtps.err" &
T_PIDS="$T_PIDS $!"
for _ in $(seq 1 100); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT2), 1)" 2>/dev/null && break
	sleep 0.1
done
sed -i "s|url = \"smtp://127.0.0.1:$SMTP_PORT\"; starttls = \"always\";|url = \"smtps://127.0.0.1:$PORT2\"; starttls = \"never\";|" "$TMP/etc/postdesk.conf"
ok "config now names smtps://" grep -q "smtps://127.0.0.1:$PORT2" "$TMP/etc/postdesk.conf"
printf 'From: Vic <vic@example.org>\nTo: support@example.com\nSubject: tls3\nMessage-ID: <t3@example.org>\n\nhello\n' |
	"$PD" deliver
POSTDESK_NOW=$(( $(date +%s) + 20000 )) "$PD" outbox flush >/dev/null 2>"$TMP/err"; rc=$?
is "smtps with our CA: flush exits 0" "$rc" 0
is "smtps: vic's acknowledgement arrived over TLS" \
	"$(grep -l '^RCPT TO vic@example.org$' "$TMP"/smtps/*.env 2>/dev/null | wc -l)" 1
is "smtps: the session was TLS from the start" "$(sort -u "$TMP/smtps/ehlo.log" | cut -d' ' -f2)" tls
finish
