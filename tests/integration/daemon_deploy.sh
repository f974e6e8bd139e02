#!/bin/bash
# holdfast run against real peers: openssl ocsp (1-minute responses), nginx
# and HAProxy.  The store is seeded with a certificate of the lab CA, so no
# ACME server is needed (the configured CA is unreachable on purpose: the
# certificate is not due, so the daemon must not need it).
#   - a warm start deploys the stored certificate and staple while the OCSP
#     responder is down (no network needed);
#   - fresh staples reach nginx (include + reload) and HAProxy (runtime API,
#     no reload: same pid);
#   - with the responder down the last good staple is served until it
#     expires, then withdrawn: nginx never serves an expired staple;
#   - SIGHUP with a broken config is refused and the daemon keeps running;
#   - holdfast status reports the state with monitoring exit codes, and
#     what it reads of the daemon's state index is what daemon.json says.
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

STORE=$LAB/store
DEPLOY=$LAB/deploy
OCSP_PORT=8080
HAP_OCSP_PORT=8081
# www goes to nginx with 1-minute staples (so one expires during the test);
# hap goes to HAProxy, which never staples a response that expires within
# 300 s, so its responder signs for 10 minutes.
lab_make_leaf "$CA" www "http://127.0.0.1:$OCSP_PORT" || lab_finish
lab_make_leaf "$CA" hap "http://127.0.0.1:$HAP_OCSP_PORT" || lab_finish
# ms is must-staple and its responder never answers: it must never be deployed.
lab_make_leaf "$CA" ms "http://127.0.0.1:8099" || lab_finish

# seed_store NAME: the lab leaf as STORE/certificates/NAME (versioned layout).
seed_store() { lab_seed_store "$STORE" "$CA" "$1"; }
seed_store www
seed_store hap
seed_store ms
# Valid staples are already stored (as left by an earlier run), both past
# their refresh time (half the window), so the daemon refreshes them at once.
lab_craft "$CA" www "$STORE/certificates/www/staple.ocsp" -100 60 || lab_finish
lab_craft "$CA" hap "$STORE/certificates/hap/staple.ocsp" -400 300 || lab_finish

mkdir -p "$DEPLOY/nginx" "$DEPLOY/haproxy"
NGX=$LAB/nginx-8443
mkdir -p "$NGX/tmp"
{
	lab_nginx_conf_head "$NGX"
	printf '    server {\n        listen 127.0.0.1:8443 ssl;\n        include %s/nginx/www.conf;\n        location / { return 200 "lab\\n"; }\n    }\n}\n' "$DEPLOY"
} >"$NGX/nginx.conf"

printf '%s\n' "store = $STORE" "deploy_dir = $DEPLOY" "metrics_listen = 127.0.0.1:9464" "audit_interval = off" \
	"nginx_reload = nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log -s reload" \
	"staple_retry_min = 1s" "staple_retry_max = 4s" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = nginx" "verify_addr = 127.0.0.1:8443" \
	"[certificate hap]" "names = hap.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = haproxy:$LAB/haproxy.sock" "verify_addr = 127.0.0.1:8444" \
	"[certificate ms]" "names = ms.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = nginx" "must_staple = yes" >"$LAB/holdfast.conf"

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"

# 1. Warm start with the responder down: deployed from the store at once.
check "warm start: daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "warm start: nginx include written" test -s "$DEPLOY/nginx/www.conf"
check "warm start: include names the stored staple" \
	cmp -s "$(nginx_named "$DEPLOY/nginx/www.conf" ssl_stapling_file)" "$STORE/certificates/www/staple.ocsp"
check "warm start: include names the stored certificate" \
	cmp -s "$(nginx_named "$DEPLOY/nginx/www.conf" ssl_certificate)" "$STORE/certificates/www/fullchain.pem"
check "warm start: HAProxy crt and .ocsp written" test -s "$DEPLOY/haproxy/hap.pem" -a -s "$DEPLOY/haproxy/hap.pem.ocsp"
check "must_staple: held back without a valid staple" wait_for_log "$DLOG" "event=deploy_held cert=ms" 10
check "must_staple: nothing deployed for it" lab_not compgen -G "$DEPLOY/nginx/ms.*"
check "warm start: deployed keys are 0600" test "$(stat -c %a \
	"$(nginx_named "$DEPLOY/nginx/www.conf" ssl_certificate_key)")$(stat -c %a "$DEPLOY/haproxy/hap.pem")" = 600600
lab_nginx_start "$NGX" 8443 || lab_finish
lab_haproxy 8444 "$DEPLOY/haproxy/hap.pem" "$LAB/haproxy.sock" || lab_finish
HAPROXY_PID=$LAB_PID
seen=$(staple_seen 127.0.0.1:8443)
check "warm start: nginx staples it (good)" grep -q "Cert Status: good" <<<"$seen"
check "warm start: the responder is down, the daemon says so" \
	wait_for_log "$DLOG" "event=staple_refresh_failed cert=www" 10

# 2. The responders come up: fresh staples reach nginx and HAProxy.
old_this=$(lab_resp_field "$STORE/certificates/www/staple.ocsp" "This Update")
lab_next_second
lab_ocsp_responder "$CA" "$OCSP_PORT" 1 || lab_finish
RESPONDER=$LAB_PID
lab_ocsp_responder "$CA" "$HAP_OCSP_PORT" 10 || lab_finish
check "refresh: staple refreshed" wait_for_log "$DLOG" "event=staple_refreshed cert=www" 15
new_this=$(lab_resp_field "$STORE/certificates/www/staple.ocsp" "This Update")
check "refresh: stored staple is newer" test "$new_this" != "$old_this"
check "refresh: nginx reloaded" wait_for_log "$DLOG" "what=nginx-reload command=nginx status=0" 10
for _ in $(seq 50); do
	seen=$(staple_seen 127.0.0.1:8443)
	grep -q "This Update: $new_this" <<<"$seen" && break
	sleep 0.1
done
check "refresh: nginx serves the new staple" grep -q "This Update: $new_this" <<<"$seen"
check "refresh: HAProxy got a fresh staple over the runtime API" \
	wait_for_log "$DLOG" "cert=hap target=haproxy socket=.* what=(staple|certificate)" 15
hap_this=$(lab_resp_field "$STORE/certificates/hap/staple.ocsp" "This Update")
seen=$(staple_seen 127.0.0.1:8444)
check "refresh: HAProxy staples the new one" grep -q "This Update: $hap_this" <<<"$seen"
check "refresh: .ocsp beside the crt updated too" cmp -s "$DEPLOY/haproxy/hap.pem.ocsp" "$STORE/certificates/hap/staple.ocsp"
check "refresh: HAProxy was not reloaded (same pid)" kill -0 "$HAPROXY_PID"
check "verify: nginx checked to serve the new certificate and staple" \
	wait_for_log "$DLOG" "event=deploy_verified cert=www addr=127.0.0.1:8443 staple=yes" 15
check "verify: HAProxy checked too" \
	wait_for_log "$DLOG" "event=deploy_verified cert=hap addr=127.0.0.1:8444 staple=yes" 15

# Metrics: Prometheus text on metrics_listen, values from the live state.
metrics() { curl -s --max-time 5 http://127.0.0.1:9464/metrics; }
for _ in $(seq 60); do
	metrics | grep -q 'holdfast_staple_refresh_total{cert="www",result="ok"} [1-9]' && break
	sleep 0.1
done
metrics >"$LAB/metrics.1"
check "metrics: served" grep -q "^# TYPE holdfast_staple_valid gauge" "$LAB/metrics.1"
check "metrics: staple valid for www and hap" grep -q 'holdfast_staple_valid{cert="www"} 1' "$LAB/metrics.1"
check "metrics: certificate expiry in seconds" grep -qE 'holdfast_certificate_expiry_seconds\{cert="www"\} [0-9]{6,}' "$LAB/metrics.1"
check "metrics: responder failures counted per URL" grep -qE 'holdfast_responder_failures_total\{cert="www",url="http://127.0.0.1:8080"\} [1-9]' "$LAB/metrics.1"
check "metrics: refreshes counted" grep -q 'holdfast_staple_refresh_total{cert="www",result="ok"} [1-9]' "$LAB/metrics.1"
check "metrics: endpoint gauge" grep -q 'holdfast_endpoint_up{ca="primary"} [01]' "$LAB/metrics.1"
check "metrics: no key material" lab_not grep -q "PRIVATE" "$LAB/metrics.1"
check "metrics: aggregates over every certificate" grep -q '^holdfast_certificates 3$' "$LAB/metrics.1"
check "metrics: all 3 with their own series (metrics_per_certificate 1000)" \
	grep -q '^holdfast_certificates_series 3$' "$LAB/metrics.1"
# The exporter-style series against the stored files themselves.
# value SAMPLE FILE: the value of the sample (name with its labels).
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# epoch_of DATE: openssl's date text as seconds since the epoch.
epoch_of() { date -u -d "$1" +%s; }
# cert_time NAME -enddate|-startdate: the stored certificate's date.
cert_time() { epoch_of "$(openssl x509 -in "$STORE/certificates/$1/fullchain.pem" -noout "$2" | cut -d= -f2)"; }
check "metrics: not_after timestamp is the stored certificate's notAfter (www)" \
	test "$(value 'holdfast_certificate_not_after_timestamp_seconds{cert="www"}' "$LAB/metrics.1")" = "$(cert_time www -enddate)"
check "metrics: not_after timestamp is the stored certificate's notAfter (hap)" \
	test "$(value 'holdfast_certificate_not_after_timestamp_seconds{cert="hap"}' "$LAB/metrics.1")" = "$(cert_time hap -enddate)"
check "metrics: not_before timestamp is the stored certificate's notBefore" \
	test "$(value 'holdfast_certificate_not_before_timestamp_seconds{cert="www"}' "$LAB/metrics.1")" = "$(cert_time www -startdate)"
# staple_matches NAME: the page's nextUpdate is the stored staple's (read
# before and after the scrape, so a refresh in between is not a mismatch).
staple_matches() {
	local before after page
	for _ in $(seq 20); do
		before=$(epoch_of "$(lab_resp_field "$STORE/certificates/$1/staple.ocsp" "Next Update")")
		page=$(metrics | awk -v k="holdfast_staple_next_update_timestamp_seconds{cert=\"$1\"}" '$1 == k { print $2 }')
		after=$(epoch_of "$(lab_resp_field "$STORE/certificates/$1/staple.ocsp" "Next Update")")
		[ "$before" = "$after" ] && [ "$page" = "$before" ] && return 0
		sleep 0.5
	done
	echo "page: $page, stored staple: $before / $after"
	return 1
}
check "metrics: staple nextUpdate timestamp is the stored staple's (www)" staple_matches www
check "metrics: staple nextUpdate timestamp is the stored staple's (hap)" staple_matches hap
check "metrics: no nextUpdate for ms (no valid staple)" \
	lab_not grep -q 'holdfast_staple_next_update_timestamp_seconds{cert="ms"}' "$LAB/metrics.1"
check "metrics: holdfast_ca_up is holdfast_endpoint_up" \
	test "$(value 'holdfast_ca_up{ca="primary"}' "$LAB/metrics.1")" = "$(value 'holdfast_endpoint_up{ca="primary"}' "$LAB/metrics.1")"
# heartbeat_recent FILE: the heartbeat is at most 35 s old (it beats every
# 30 s) and not after the scrape; the start time is not after it.
heartbeat_recent() {
	local hb st now
	hb=$(value holdfast_daemon_heartbeat_timestamp_seconds "$1")
	st=$(value holdfast_daemon_start_time_seconds "$1")
	now=$(date +%s)
	echo "heartbeat=$hb start=$st now=$now"
	[ -n "$hb" ] && [ -n "$st" ] && [ "$hb" -le "$now" ] && [ $((now - hb)) -le 35 ] && [ "$st" -le "$hb" ]
}
check "metrics: daemon heartbeat recent, start time before it" heartbeat_recent "$LAB/metrics.1"
# Every holdfast_* metric the shipped rules and dashboard use is on the real
# page (tests/lint/metrics_rules.sh lists those not rendered yet).
dist_names_on_page() {
	local n miss=0 pending
	pending=$(sed -n 's/^PENDING="\(.*\)"$/\1/p' "$LAB_LIB_DIR/../../tests/lint/metrics_rules.sh")
	for n in $( { grep -v '^ *#' "$LAB_LIB_DIR/../../dist/prometheus/holdfast-rules.yml"; cat "$LAB_LIB_DIR/../../dist/grafana/holdfast.json"; } |
		grep -oE '\bholdfast_[a-z0-9_]+' | sort -u); do
		grep -q "^# TYPE $n " "$1" && continue
		grep -qw "$n" <<<"$pending" && continue
		echo "$n not on the page"
		miss=1
	done
	return $miss
}
check "metrics: every metric of dist/ rules and dashboard is on the page" dist_names_on_page "$LAB/metrics.1"

# 3. SIGHUP with a broken config: refused, the daemon keeps running.
cp "$LAB/holdfast.conf" "$LAB/holdfast.conf.good"
echo "this line is not valid" >>"$LAB/holdfast.conf"
kill -HUP "$DAEMON"
check "sighup: broken config refused" wait_for_log "$DLOG" "event=reload_refused" 10
check "sighup: the reason names file and line" grep -qE "holdfast.conf:[0-9]+: expected" "$DLOG"
check "sighup: still running" kill -0 "$DAEMON"
cp "$LAB/holdfast.conf.good" "$LAB/holdfast.conf"
kill -HUP "$DAEMON"
check "sighup: good config reloaded" wait_for_log "$DLOG" "event=reloaded" 10

# 4. Responder down until the staple expires: withdrawn, never served expired.
lab_stop "$RESPONDER"
nu=$(lab_resp_field "$STORE/certificates/www/staple.ocsp" "Next Update")
check "expiry: withdrawn when it expired" wait_for_log "$DLOG" "event=staple_expired cert=www action=withdrawn" 90
# The withdrawal is logged before the include is rewritten: look after deploy_done.
check "expiry: nginx reloaded after the withdrawal" wait_for_log "$DLOG" "event=deploy_done cert=www event=staple staple=no" 10
check "expiry: include no longer names a staple" lab_not grep -q ssl_stapling_file "$DEPLOY/nginx/www.conf"
for _ in $(seq 50); do
	seen=$(staple_seen 127.0.0.1:8443)
	grep -q "no response sent" <<<"$seen" && break
	sleep 0.1
done
check "expiry: nginx staples nothing (not the expired one)" grep -q "no response sent" <<<"$seen"
grep -q "no response sent" <<<"$seen" || { echo "# s_client saw:"; sed 's/^/#   /' <<<"$seen"; }
# Withdrawn a margin before nextUpdate (staple_withdraw_at: a twentieth of the
# window, at least 1 s), so that nginx has reloaded before the staple expires.
wts=$(sed -n 's/^ts=\([^ ]*\) .*event=staple_expired cert=www action=withdrawn.*/\1/p' "$DLOG" | head -n1)
check "expiry: withdrawn before nextUpdate ($wts < $nu)" \
	test "$(date -u -d "$wts" +%s)" -lt "$(date -u -d "$nu" +%s)"
check "expiry: withdrawn in the last tenth of the window" \
	test "$(date -u -d "$wts" +%s)" -ge "$(($(date -u -d "$nu" +%s) - 10))"
check "verify: the withdrawal was checked on the wire" \
	wait_for_log "$DLOG" "event=deploy_verified cert=www addr=127.0.0.1:8443 staple=no" 15

for _ in $(seq 60); do
	metrics | grep -q 'holdfast_staple_valid{cert="www"} 0' && break
	sleep 0.1
done
check "metrics: staple no longer valid after the withdrawal" \
	grep -q 'holdfast_staple_valid{cert="www"} 0' <(metrics)
check "metrics: counted among those without a valid staple" \
	grep -q '^holdfast_certificates_staple_missing [1-9]' <(metrics)

# 5. status: WARNING without a valid staple; exit code and JSON.
"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/status.out" 2>&1
check "status: exit 1 (no valid staple for www)" test $? = 1
check "status: names the state" grep -q "^WARNING www: no valid OCSP staple" "$LAB/status.out"
check "must_staple: still not deployed at the end" lab_not test -e "$DEPLOY/nginx/ms.conf"
check "status: hap is OK with its staple" grep -q "^OK hap: ok; ca=primary .* staple=good" "$LAB/status.out"
# The daemon writes its state file every few seconds: wait for the withdrawal.
check "status: daemon state shows the staple gone" \
	wait_for_log "$STORE/state/daemon.json" '"staple": false' 10
"$HOLDFAST" status --json -c "$LAB/holdfast.conf" >"$LAB/status.json" 2>&1
check "status --json: fields" python3 -c '
import json,sys
o=[j for j in map(json.loads, open(sys.argv[1])) if j.get("cert")=="www"][0]
assert o["cert"]=="www" and o["result"]=="WARNING" and o["staple"]=="none" and o["ca"]=="primary", o
assert o["daemon"]["staple"] is False and o["daemon"]["staple_failures"]>=1, o
' "$LAB/status.json"
check "status: no key material in the output" lab_not grep -q "PRIVATE KEY" "$LAB/status.out" "$LAB/status.json"

# Hostile clients on metrics_listen (32 connections): 100 idle ones, then a
# request with 64 KiB of headers. The library's complaints reach the log as
# rate-limited key=value events and the metrics; the page answers again.
check "hostile: 100 idle connections held, then closed" python3 -c '
import socket, time
socks = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", 9464), timeout=5)
    socks.append(s)
time.sleep(1)
for s in socks:
    s.close()
'
check "hostile: oversized headers refused" python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 9464), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
try:
    reply = s.recv(100)
except OSError:
    reply = b""
assert not reply.startswith(b"HTTP/1.1 200"), reply
'
for _ in $(seq 50); do
	metrics >"$LAB/metrics.h" && grep -q '^holdfast_httpd_messages_total{listener="metrics"} [1-9]' "$LAB/metrics.h" && break
	sleep 0.2
done
check "hostile: the page answers again, the refusals counted" \
	grep -qE '^holdfast_httpd_messages_total\{listener="metrics"\} [0-9]{2,}$' "$LAB/metrics.h"
check "hostile: logged as event=httpd_message listener=metrics" \
	grep -q 'event=httpd_message listener=metrics message=".*connection limit' "$DLOG"
check "hostile: rate-limited (at most 2 lines for ~70 refusals)" \
	test "$(grep -c 'event=httpd_message listener=metrics' "$DLOG")" -le 2
check "hostile: no raw library line in the log" lab_not grep -q '^Server reached' "$DLOG"
# 6. SIGTERM: clean exit.
kill -TERM "$DAEMON"
wait "$DAEMON"
check "sigterm: exit 0" test $? = 0
check "sigterm: logged" grep -q "event=daemon_stopping" "$DLOG"

# 7. The state index, what status reads: after the last write at the stop it
# says what daemon.json says, with the changes since the start in its journal.
check "state index: base and journal written" \
	test -s "$STORE/state/daemon.idx" -a -s "$STORE/state/daemon.idx.log"
check "state index: the journal holds the changes" \
	test "$(grep -c '^www ' "$STORE/state/daemon.idx.log")" -ge 1
"$HOLDFAST" status --json -c "$LAB/holdfast.conf" >"$LAB/status2.json" 2>&1
check "state index: status's daemon objects are daemon.json's" python3 -c '
import json,sys
d=json.load(open(sys.argv[2]))["certificates"]
rows=[j for j in map(json.loads, open(sys.argv[1])) if "cert" in j]
bad=[(r["cert"], r["daemon"], d.get(r["cert"])) for r in rows if r["daemon"]!=d.get(r["cert"])]
assert len(rows)==len(d) and not bad, bad
' "$LAB/status2.json" "$STORE/state/daemon.json"
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
lab_finish
