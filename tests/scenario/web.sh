# web.sh: the status page behind a real web server, for the scenario
# tests (sourced after lib.sh): Debian's lighttpd with mod_cgi and
# mod_auth on a free port (customer page at /postdesk.cgi, staff behind
# basic auth at /staff/postdesk.cgi), one headless Chromium for the whole
# test file (tests/tools/cdp.py), and the helpers that read their answers.
CGI="$top_builddir/postdesk.cgi"
LIGHTTPD=/usr/sbin/lighttpd
CDP="$PY $top_srcdir/tests/tools/cdp.py"

# start_web: $BASE is the server's URL.  Staff: alice, bob (password
# "wonderland", "builder"), mallory is a valid login but no staff.
start_web() {
	local port
	port=$(free_port)
	mkdir -p "$TMP/www/staff"
	ln -s "$(cd "$(dirname "$CGI")" && pwd)/postdesk.cgi" "$TMP/www/postdesk.cgi"
	ln -s "$(cd "$(dirname "$CGI")" && pwd)/postdesk.cgi" "$TMP/www/staff/postdesk.cgi"
	printf 'alice@example.com:wonderland\nbob@example.com:builder\nmallory@example.net:sneaky\n' \
	    > "$TMP/htpasswd"
	cat > "$TMP/lighttpd.conf" <<CONF
server.modules = ( "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv" )
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$TMP/lighttpd.err"
server.pid-file = "$TMP/lighttpd.pid"
server.follow-symlink = "enable"
server.max-request-size = 65536
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( "POSTDESK_CONF" => "$POSTDESK_CONF",
                           "POSTDESK_NOW" => "${POSTDESK_NOW:-}" )
auth.backend = "plain"
auth.backend.plain.userfile = "$TMP/htpasswd"
auth.require = ( "/staff/" => ( "method" => "basic", "realm" => "postdesk staff",
                                "require" => "valid-user" ) )
CONF
	if ! "$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >/dev/null 2>&1; then
		sed -i 's/, "mod_setenv"//' "$TMP/lighttpd.conf"
	fi
	"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" 2>"$TMP/lighttpd.stderr" &
	HTTPD_PID=$!
	T_PIDS="$T_PIDS $HTTPD_PID"
	for _ in $(seq 1 100); do
		$PY -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" \
		    2>/dev/null && break
		sleep 0.1
	done
	BASE="http://127.0.0.1:$port"
}

# http METHOD URL [FORM] [USER:PASS]: prints the status; body in
# $TMP/body, headers in $TMP/headers; redirects are not followed.
http() {
	$PY - "$@" "$TMP" <<'PYEOF'
import base64, sys, urllib.request, urllib.error
args = sys.argv[1:]
tmp = args.pop()
method, url = args[0], args[1]
data = args[2].encode() if len(args) > 2 and args[2] else None
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
req = urllib.request.Request(url, data=data, method=method)
if data is not None:
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
if len(args) > 3 and args[3]:
    req.add_header("Authorization", "Basic " + base64.b64encode(args[3].encode()).decode())
opener = urllib.request.build_opener(NoRedirect)
try:
    r = opener.open(req, timeout=30)
    code, body, hdrs = r.status, r.read(), r.headers
except urllib.error.HTTPError as e:
    code, body, hdrs = e.code, e.read(), e.headers
open(tmp + "/body", "wb").write(body)
open(tmp + "/headers", "w").write(str(hdrs))
print(code)
PYEOF
}
body_has() { grep -qF -- "$1" "$TMP/body"; }
body_lacks() { ! grep -qF -- "$1" "$TMP/body"; }
header() { sed -n "s/^$1: //Ip" "$TMP/headers" | tr -d '\r'; }
# A hidden field's value in the last body: form_value NAME [NTH]
form_value() {
	grep -o "name=\"$1\" value=\"[^\"]*\"" "$TMP/body" | sed -n "${2:-1}p" |
	    sed 's/.*value="//; s/"$//; s/&amp;/\&/g'
}

# The newest queued mail of EVENT, as sent (tests/tools/outbox_mail.py).
outbox_mail() { $PY "$top_srcdir/tests/tools/outbox_mail.py" "$TMP/var/postdesk.db" "$PD" "$1"; }
# Python on that mail (as m, email.message.EmailMessage): mail_py EVENT CODE
mail_py() {
	outbox_mail "$1" > "$TMP/mail.eml" || return 1
	$PY -c "import email, email.policy, re, sys
m = email.message_from_binary_file(open('$TMP/mail.eml', 'rb'), policy=email.policy.default)
text = m.get_body(preferencelist=('plain',)).get_content()
$2"
}
# The first URL of the page in the newest mail of EVENT for REF, from
# the query on: mail_link EVENT REF [PATTERN]
mail_link() {
	local pat=${3:-'postdesk\.cgi\?t=%s&k=[0-9a-f]+'}
	pat=${pat//%s/$2}
	mail_py "$1" "hit = re.search(r'$pat', text)
print(hit.group(0) if hit else '')"
}

# One Chromium for the file: start_chrome; then cdp STEP... (cdp.py).
start_chrome() {
	local out
	out=$($CDP start "$TMP/chrome") || { echo "# chromium did not start"; return 1; }
	CHROME_PID=${out% *}
	CDP_PORT=${out#* }
	T_PIDS="$T_PIDS $CHROME_PID"
}
cdp() { $CDP "$CDP_PORT" "$@" 2>>"$TMP/cdp.err"; }

# Screenshots are kept as the test's artefacts: shots NAME URL [AUTH]
# takes the page at 390x844 and at 1280x800 into $ARTEFACTS, lists each,
# and checks that the page is no wider than the viewport at both.
ARTEFACTS="$top_builddir/tests/scenario/$(basename "$0" .sh).artefacts"
rm -rf "$ARTEFACTS"
mkdir -p "$ARTEFACTS"
shots() {
	local name=$1 url=$2 auth=${3:-} fit w h
	for size in 390x844 1280x800; do
		w=${size%x*} h=${size#*x}
		fit=$(cdp ${auth:+"auth|$auth"} "size|$w|$h" "goto|$url" fits "shot|$ARTEFACTS/$name-$size.png")
		is "$name at $size: no wider than the viewport" "$fit" "$w $w"
		ok "$name at $size: screenshot kept" test -s "$ARTEFACTS/$name-$size.png"
		echo "# artefact: $ARTEFACTS/$name-$size.png"
	done
}
