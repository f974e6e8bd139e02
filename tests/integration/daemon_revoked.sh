#!/bin/bash
# daemon_revoked.sh -- `holdfast run` from an empty store against a real
# Pebble and a real `openssl ocsp` responder signing with Pebble's own
# intermediate key:
#   - a first issuance: placeholder at once, then the CA's certificate,
#     handed to the deploy hook;
#   - the staple: "unknown" is never kept; once the CA's database knows the
#     serial, a good staple is fetched and deployed;
#   - the CA revokes the certificate: at the next refresh the revoked
#     response is kept (it is the truth), a CRITICAL event is logged,
#     `holdfast status` says CRITICAL, and the daemon re-issues at once;
#     the new certificate gets its own good staple and status is OK again.
# Pebble writes no OCSP URL into its certificates (the Debian package has
# no responder), so the responder is reached through `ocsp_backup`.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || lab_finish
lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 || lab_finish
PEB=$LAB/pebble-primary

# The CA's responder: Pebble's intermediate signs (the issuer signs directly),
# responses valid one minute, so the daemon refreshes every ~30 s.
R=$LAB/responder
lab_pebble_responder primary "$R" || lab_finish
lab_ocsp_responder "$R" 8888 1 || lab_finish

# index_add SERIAL STATE: put SERIAL into the CA's database as V or R.
index_add() {
	local serial=$1 state=$2 revoked=""
	[ "$state" = R ] && revoked="$(date -u +%y%m%d%H%M%SZ),keyCompromise"
	awk -F'\t' -v s="$serial" '$4 != s' "$R/index.txt" >"$R/index.txt.new"
	printf '%s\t%s\t%s\t%s\tunknown\t/CN=www.test\n' "$state" "$(date -u -d '+90 days' +%y%m%d%H%M%SZ)" \
		"$revoked" "$serial" >>"$R/index.txt.new"
	mv "$R/index.txt.new" "$R/index.txt"
	lab_index_changed "$R"
}

HOOKLOG=$LAB/hook.log
cat >"$LAB/hook.sh" <<-EOF
	#!/bin/sh
	echo "\$1 \$2 \$(openssl x509 -in $LAB/store/certificates/\$2/cert.pem -noout -serial | cut -d= -f2)" >>$HOOKLOG
EOF
chmod 755 "$LAB/hook.sh"

lab_acme_conf "$LAB/holdfast.conf" audit_interval=off staple_retry_min=1s staple_retry_max=2s \
	issue_retry_min=1s \
	"[ca primary]" directory="$(lab_pebble_url primary)" \
	"[certificate www]" names=www.test cas=primary ocsp_backup=http://127.0.0.1:8888 \
	deploy_hook="$LAB/hook.sh" || lab_finish

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"

# 1. First issuance.
check "issue: placeholder installed at once" wait_for_log "$DLOG" "event=placeholder_installed cert=www" 15
check "issue: certificate issued by the primary" wait_for_log "$DLOG" "event=certificate_issued cert=www ca=primary" 30
S1=$(acme_serial www)
# The version directory of S1: the re-issue below may switch certificates/www
# to the new one within the same second as the revocation is logged.
V1=$(readlink -f "$LAB/store/certificates/www")
check "issue: the store holds a CA certificate (serial $S1)" acme_verify www primary
check "issue: the hook was told" wait_for_log "$HOOKLOG" "www $S1" 10

# 2. Unknown to the CA: no staple kept. Then the CA knows it: good staple.
check "staple: 'unknown' refused" wait_for_log "$DLOG" "event=ocsp_fetch_failed cert=www detail=\"http://127.0.0.1:8888: cert-status-unknown" 15
check "staple: nothing stored while unknown" lab_not test -e "$(acme_cert_dir www)/staple.ocsp"
index_add "$S1" V
check "staple: good staple fetched" wait_for_log "$DLOG" "event=staple_refreshed cert=www url=\"http://127.0.0.1:8888\" status=good" 15
check "staple: stored staple is good for $S1" \
	grep -q "Cert Status: good" <(openssl ocsp -respin "$(acme_cert_dir www)/staple.ocsp" -resp_text -noverify 2>/dev/null)
"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/status1.out" 2>&1
check "status: OK with a good staple" test $? = 0

# 3. The CA revokes it. The next refresh (half of 60 s) sees it.
index_add "$S1" R
check "revoked: CRITICAL event logged" wait_for_log "$DLOG" "event=certificate_revoked cert=www serial=$S1 action=reissue" 60
check "revoked: level error" grep -q "level=error event=certificate_revoked" "$DLOG"
check "revoked: the revoked response was kept (it is the truth)" \
	grep -q "Cert Status: revoked" <(openssl ocsp -respin "$V1/staple.ocsp" -resp_text -noverify 2>/dev/null)
check "reissue: a new certificate issued" \
	wait_for_log "$DLOG" "event=certificate_issued cert=www ca=primary" 30
for _ in $(seq 100); do
	S2=$(acme_serial www)
	[ -n "$S2" ] && [ "$S2" != "$S1" ] && break
	sleep 0.1
done
check "reissue: new serial ($S1 -> $S2)" test -n "$S2" -a "$S2" != "$S1"
check "reissue: the new certificate verifies" acme_verify www primary
check "reissue: the hook was told about the new certificate" wait_for_log "$HOOKLOG" "www $S2" 10
check "reissue: exactly two issuances" test "$(grep -c "event=certificate_issued cert=www" "$DLOG")" = 2
check "reissue: the revoked staple is not kept for the new certificate" \
	lab_not grep -q "Cert Status: revoked" <(openssl ocsp -respin "$LAB/store/certificates/www/staple.ocsp" -resp_text -noverify 2>/dev/null)

# 4. The new certificate gets its own good staple; status is OK again.
index_add "$S2" V
for _ in $(seq 150); do
	grep -q "Cert Status: good" <(openssl ocsp -respin "$LAB/store/certificates/www/staple.ocsp" -resp_text -noverify 2>/dev/null) && break
	sleep 0.1
done
check "staple: good staple for the new certificate" \
	grep -q "Serial Number: $S2" <(openssl ocsp -respin "$LAB/store/certificates/www/staple.ocsp" -resp_text -noverify 2>/dev/null)
"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/status2.out" 2>&1
check "status: OK again after the re-issue" test $? = 0
check "daemon still running" kill -0 "$DAEMON"
kill -TERM "$DAEMON"
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
if [ "$LAB_FAILED" -gt 0 ]; then
	diag "$DLOG" "  daemon: "
	diag "$HOOKLOG" "  hook: "
fi
lab_finish
