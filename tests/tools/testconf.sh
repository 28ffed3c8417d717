# The test configuration: one queue, two staff, 24x7 working hours, the
# standard SLA.  Sourced by tests/scenario/lib.sh and tests/bench/run.sh.
# test_conf DIR SMTP_PORT [EXTRA]: writes DIR/etc/postdesk.conf (state in
# DIR/var, templates copied from the source tree's conf/templates).
test_conf() {
	local d=$1 port=$2 extra=${3:-}
	mkdir -p "$d/etc" "$d/var"
	cp -r "$(dirname "${BASH_SOURCE[0]}")/../../conf/templates" "$d/etc/templates"
	cat > "$d/etc/postdesk.conf" <<CONF
database = "$d/var/postdesk.db";
spool = "$d/var/spool";
secret_file = "$d/etc/secret";
base_url = "http://127.0.0.1/cgi-bin/postdesk.cgi";
templates = "$d/etc/templates";
smtp = { url = "smtp://127.0.0.1:$port"; starttls = "never"; };
staff = (
  { name = "Alice Smith"; email = "alice@example.com"; role = "admin"; },
  { name = "Bob Jones"; email = "bob@example.com"; role = "agent"; }
);
queues = (
  { name = "Support"; address = "support@example.com";
    staff = [ "alice@example.com", "bob@example.com" ]; sla = "standard"; }
);
auth = { authserv_id = "mx.example.com"; trust_from = false; };
sla = { standard = { urgent = [ "1h", "4h" ]; high = [ "4h", "1d" ];
                     normal = [ "8h", "3d" ]; low = [ "1d", "5d" ]; }; };
working_hours = { timezone = "UTC"; days = "Mon-Sun"; hours = "00:00-23:59"; holidays = []; };
$extra
CONF
}
