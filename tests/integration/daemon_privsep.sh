#!/bin/bash
# Privilege separation: with `user = nobody` and started as root, the daemon
# works as nobody; only the nginx reload runs as root (in the parent, which
# reads the command from the configuration itself).
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca
chmod 711 "$LAB" # nobody must reach the store below it

STORE=$LAB/store
DEPLOY=$LAB/deploy
lab_make_leaf "$CA" www "http://127.0.0.1:8080" || lab_finish
v=$STORE/certificates/.versions/www.1.seed
mkdir -p "$v" "$DEPLOY"
cp "$CA/www.crt" "$v/cert.pem"
cp "$CA/int.pem" "$v/chain.pem"
cat "$CA/www.crt" "$CA/int.pem" >"$v/fullchain.pem"
install -m 0600 "$CA/www.key" "$v/privkey.pem"
printf '{"name":"www","placeholder":false,"ca":"primary","renew_at":"2099-01-01T00:00:00Z","names":["www.test"],"key":"ec-p256","last_error":null}\n' >"$v/meta.json"
ln -sfn .versions/www.1.seed "$STORE/certificates/www"
chown -R nobody: "$STORE" "$DEPLOY"

NGX=$LAB/nginx-8443
mkdir -p "$NGX/tmp"
{
	lab_nginx_conf_head "$NGX"
	printf '    server {\n        listen 127.0.0.1:8443 ssl;\n        include %s/nginx/www.conf;\n        location / { return 200 "lab\\n"; }\n    }\n}\n' "$DEPLOY"
} >"$NGX/nginx.conf"
printf '%s\n' "store = $STORE" "deploy_dir = $DEPLOY" "user = nobody" \
	"nginx_reload = nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log -s reload" \
	"staple_retry_min = 1s" "staple_retry_max = 2s" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = nginx" >"$LAB/holdfast.conf"
chmod 644 "$LAB/holdfast.conf"

lab_ocsp_responder "$CA" 8080 5 || lab_finish
DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >"$DLOG" 2>&1 &
PARENT=$!
lab_track "$PARENT"
check "privsep: privileges dropped" wait_for_log "$DLOG" "event=privsep_dropped user=nobody" 10
check "privsep: staple refreshed by the unprivileged side" wait_for_log "$DLOG" "event=staple_refreshed cert=www" 10
# The first deploy (at start) could not reload nginx, which was not running;
# start it now: the daemon retries and the root side reloads it.
lab_nginx_start "$NGX" 8443 || lab_finish
check "privsep: nginx reloaded (by the root side)" wait_for_log "$DLOG" "what=nginx-reload command=nginx status=0" 15
CHILD=$(ps -o pid= --ppid "$PARENT" | tr -d ' ' | head -n1)
check "privsep: parent runs as root" test "$(ps -o user= -p "$PARENT" | tr -d ' ')" = root
check "privsep: the daemon runs as nobody" test "$(ps -o user= -p "$CHILD" | tr -d ' ')" = nobody
check "privsep: the staple it stored belongs to nobody" test "$(stat -c %U "$STORE/certificates/www/staple.ocsp")" = nobody
check "privsep: the deployed key belongs to nobody and is 0600" \
	test "$(stat -c %U:%a "$(nginx_named "$DEPLOY/nginx/www.conf" ssl_certificate_key)")" = nobody:600
for _ in $(seq 50); do
	staple_seen 127.0.0.1:8443 | grep -q "Cert Status: good" && break
	sleep 0.1
done
check "privsep: nginx staples the response" grep -q "Cert Status: good" <(staple_seen 127.0.0.1:8443)
# The periodic audit (first run 10 s after start) runs as a child of the
# unprivileged daemon; in this lab RDAP and DNS are unreachable, so it must
# report findings (never "no problem").
check "audit: ran" wait_for_log "$DLOG" "event=audit_done" 40
check "audit: findings kept in the store" python3 -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert rows and all("severity" in r and "domain" in r for r in rows), rows
assert any(r["severity"] in ("CRITICAL","UNKNOWN") for r in rows), rows
' "$STORE/state/audit.jsonl"
check "audit: summary in the daemon state" wait_for_log "$STORE/state/daemon.json" '"audit"' 10
"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/status.out" 2>&1
check "audit: status shows it" grep -q "^audit: " "$LAB/status.out"
kill -TERM "$PARENT"
wait "$PARENT"
check "privsep: SIGTERM reaches the daemon, both exit 0" test $? = 0
check "privsep: the daemon stopped" lab_not kill -0 "$CHILD"
lab_finish
