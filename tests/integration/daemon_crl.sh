#!/bin/bash
# daemon_crl.sh -- `holdfast run` checks the CRL of certificates without an
# OCSP responder (crl_interval = 1m, the minimum), against CRLs made by
# `openssl ca -gencrl` for the lab CA and served by the lab nginx, with a
# real Pebble to re-issue from. The store is seeded with three lab
# certificates (CRL distribution point, no OCSP URL), not due for renewal:
#   - www: its CRL does not list it -> good, no re-issue; then the lab CA
#     revokes it and regenerates the CRL -> at the next check a CRITICAL
#     certificate_revoked event (source=crl), an immediate re-issue from
#     Pebble, and nginx serves the new certificate;
#   - stale: its CRL's nextUpdate has passed -> stale in status and on the
#     metrics page, never a re-issue;
#   - junk: its distribution point serves garbage -> unknown, never a
#     re-issue;
#   - ocsp: names the same CRL as www and is revoked with it, but has an OCSP
#     responder (ocsp_backup, down here): never CRL-checked, never re-issued
#     for it;
# and a crl_interval below the minimum is refused with FILE:LINE: key.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
# shellcheck source=SCRIPTDIR/../lab/crl.sh
. "$(dirname "$0")/../lab/crl.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

PORT=8081
BASE=http://127.0.0.1:$PORT
WWW=$LAB/www
STORE=$LAB/store
DEPLOY=$LAB/deploy
NGX=$LAB/nginx-8443
mkdir -p "$WWW" "$DEPLOY/nginx" "$NGX/tmp"

# --- The lab CA's CRLs and three leaves naming them.
lab_crl_setup
lab_crl_leaf www "subjectAltName = DNS:www.test" "$(lab_crl_dp "$BASE/ca.crl")" || lab_finish
lab_crl_leaf stale "subjectAltName = DNS:stale.test" "$(lab_crl_dp "$BASE/stale.crl")" || lab_finish
lab_crl_leaf junk "subjectAltName = DNS:junk.test" "$(lab_crl_dp "$BASE/junk.crl")" || lab_finish
lab_crl_leaf ocsp "subjectAltName = DNS:ocsp.test" "$(lab_crl_dp "$BASE/ca.crl")" || lab_finish
lab_gencrl "$WWW/ca.crl" || lab_finish
lab_gencrl "$WWW/stale.crl" -crl_lastupdate "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" \
	-crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" || lab_finish
head -c 3000 /dev/urandom >"$WWW/junk.crl"
lab_nginx_static "$PORT" "/ca.crl=$WWW/ca.crl=application/pkix-crl" \
	"/stale.crl=$WWW/stale.crl=application/pkix-crl" \
	"/junk.crl=$WWW/junk.crl=application/pkix-crl" || lab_finish
S1=$(lab_cert_serial "$CA/www.crt")

for name in www stale junk ocsp; do
	lab_seed_store "$STORE" "$CA" "$name"
done

# --- Pebble to re-issue from (its certificates have no CRL distribution point).
lab_dns 53 || lab_finish
lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 || lab_finish
PEBLOG=$LAB/pebble-primary/pebble.log

{
	lab_nginx_conf_head "$NGX"
	printf '    server {\n        listen 127.0.0.1:8443 ssl;\n        include %s/nginx/www.conf;\n        location / { return 200 "lab\\n"; }\n    }\n}\n' "$DEPLOY"
} >"$NGX/nginx.conf"

# A crl_interval under the minimum is refused, naming the file, line and key.
lab_acme_conf "$LAB/short.conf" crl_interval=30s "[ca primary]" directory="$(lab_pebble_url primary)" \
	"[certificate www]" names=www.test cas=primary || lab_finish
"$HOLDFAST" run -c "$LAB/short.conf" >"$LAB/short.out" 2>&1
check "config: crl_interval = 30s refused (exit 3)" test $? = 3
check "config: the refusal names file, line and key" \
	grep -q "short.conf:[0-9]*: key \"crl_interval\": 30s is shorter than the minimum of 1m" "$LAB/short.out"

lab_acme_conf "$LAB/holdfast.conf" audit_interval=off probe_interval=off crl_interval=1m \
	issue_retry_min=1s metrics_listen=127.0.0.1:9464 deploy_dir="$DEPLOY" \
	"nginx_reload=nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log -s reload" \
	"[ca primary]" directory="$(lab_pebble_url primary)" \
	"[certificate www]" names=www.test cas=primary deploy=nginx verify_addr=127.0.0.1:8443 \
	"[certificate stale]" names=stale.test cas=primary \
	"[certificate junk]" names=junk.test cas=primary \
	"[certificate ocsp]" names=ocsp.test cas=primary ocsp_backup=http://127.0.0.1:9 || lab_finish

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"

check "start: daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "start: nginx include written" test -s "$DEPLOY/nginx/www.conf"
lab_nginx_start "$NGX" 8443 || lab_finish

# served_serial: the serial of the certificate nginx serves on 8443.
served_serial() {
	openssl s_client -connect 127.0.0.1:8443 -servername www.test </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}
# serves SERIAL: nginx serves it, within LAB_WAIT seconds.
serves() {
	local i
	for ((i = 0; i < LAB_WAIT * 10; i++)); do
		[ "$(served_serial)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "# nginx serves $(served_serial), not $1"
	return 1
}
# status_has REGEX: `holdfast status` prints a matching line, within LAB_WAIT
# seconds (the daemon writes state/crl.json a moment after a check).
status_has() {
	local i
	for ((i = 0; i < LAB_WAIT * 5; i++)); do
		"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/status.out" 2>&1
		grep -Eq "$1" "$LAB/status.out" && return 0
		sleep 0.2
	done
	diag "$LAB/status.out" "  status: "
	return 1
}
metrics() { curl -s --max-time 5 http://127.0.0.1:9464/metrics; }
# metric_is LINE: the metrics page has exactly this sample line, within LAB_WAIT s.
metric_is() {
	local i
	for ((i = 0; i < LAB_WAIT * 5; i++)); do
		metrics | grep -qxF "$1" && return 0
		sleep 0.2
	done
	echo "# not on the metrics page: $1"
	metrics | grep -E 'crl|revoked' | sed 's/^/#   /'
	return 1
}

# 1. First checks, soon after start: good, stale, unknown.
check "good: www checked, not listed" \
	wait_for_log "$DLOG" "event=crl_checked cert=www serial=$S1 url=\"$BASE/ca.crl\" status=good" 30
check "stale: reported" wait_for_log "$DLOG" "event=crl_stale cert=stale .*action=none" 30
check "unknown: garbage reported" \
	wait_for_log "$DLOG" "event=crl_unknown cert=junk .*action=none error=\"$BASE/junk.crl: malformed" 30
check "status: www good, with its age" status_has "^revocation www: OK crl good; serial=$S1 age=[0-9]"
check "status: stale says stale (WARNING)" status_has "^revocation stale: WARNING crl stale; "
check "status: junk says unknown (UNKNOWN)" status_has "^revocation junk: UNKNOWN crl unknown; .*error=\"$BASE/junk.crl: malformed"
check "metrics: www not revoked" metric_is 'holdfast_certificate_revoked{cert="www",source="crl"} 0'
check "metrics: stale answered but not current" metric_is 'holdfast_crl_check_ok{cert="stale"} 0'
check "metrics: junk has no answer (no revoked sample)" lab_not grep -q 'holdfast_certificate_revoked{cert="junk"' <(metrics)
check "metrics: check timestamp of www" grep -Eq '^holdfast_crl_check_timestamp_seconds\{cert="www"\} [0-9]{10}$' <(metrics)
check "good: nginx serves the seeded certificate" serves "$S1"
check "good: nothing re-issued" lab_not grep -q "Issued certificate" "$PEBLOG"
check "good: no revocation event" lab_not grep -q "event=certificate_revoked" "$DLOG"

# 2. The CA revokes www and publishes a new CRL: the next check (within the
#    1m interval) finds it, and the daemon re-issues at once.
lab_revoke "$CA" www
lab_revoke "$CA" ocsp
lab_next_second
lab_gencrl "$WWW/ca.crl" || lab_finish
openssl crl -in "$WWW/ca.crl" -noout -text >"$LAB/ca.crl.txt"
check "lab: the new CRL lists www" grep -q "$S1" "$LAB/ca.crl.txt"
check "lab: the new CRL lists ocsp" grep -q "$(lab_cert_serial "$CA/ocsp.crt")" "$LAB/ca.crl.txt"
check "revoked: CRITICAL event from the CRL" wait_for_log "$DLOG" \
	"level=error event=certificate_revoked cert=www serial=$S1 action=reissue source=crl reason=keyCompromise" 90
check "revoked: re-issued by Pebble" wait_for_log "$DLOG" "event=certificate_issued cert=www ca=primary" 60
S2=$(acme_serial www)
check "revoked: a new certificate in the store ($S2)" test -n "$S2" -a "$S2" != "$S1"
check "revoked: it is Pebble's" acme_verify www primary
check "revoked: nginx serves the new certificate" serves "$S2"
check "revoked: Pebble issued exactly one certificate" test "$(grep -c "Issued certificate serial" "$PEBLOG")" = 1
check "revoked: status no longer reports the old certificate's CRL" \
	lab_not grep -q "^revocation www:" <("$HOLDFAST" status -c "$LAB/holdfast.conf" 2>&1)

# 3. Stale and unknown never re-issue, also at their next checks.
check "stale: checked again" wait_for_log_count "$DLOG" "event=crl_stale cert=stale" 2 90
check "unknown: checked again" wait_for_log_count "$DLOG" "event=crl_unknown cert=junk" 2 30
check "stale, unknown: never revoked" lab_not grep -Eq "event=certificate_revoked cert=(stale|junk)" "$DLOG"
check "stale, unknown: the seeded certificates are kept" \
	test "$(acme_serial stale)/$(acme_serial junk)" = "$(lab_cert_serial "$CA/stale.crt")/$(lab_cert_serial "$CA/junk.crt")"
check "ocsp: a certificate with an OCSP responder is never CRL-checked" \
	lab_not grep -Eq "event=(crl_[a-z_]+|certificate_revoked) cert=ocsp " "$DLOG"
check "ocsp: not re-issued" test "$(acme_serial ocsp)" = "$(lab_cert_serial "$CA/ocsp.crt")"
check "stale, unknown: still no other issuance" test "$(grep -c "Issued certificate serial" "$PEBLOG")" = 1

kill "$DAEMON"
check "daemon: stops on SIGTERM" wait_for_log "$DLOG" "event=daemon_stopping" 10
lab_finish
