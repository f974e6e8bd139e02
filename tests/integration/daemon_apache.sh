#!/bin/bash
# holdfast run deploying to a real Apache httpd 2.4 (mod_ssl), which staples
# through holdfast's own OCSP responder (ocsp_listen; Apache's
# SSLStaplingForceURL points at it). A real `openssl ocsp` responder signs
# 1-minute responses for holdfast to fetch; the store is seeded with a
# certificate of the lab CA, so no ACME server is needed.
#   - deploy = apache writes apache/NAME.pem (key + fullchain, 0600), runs
#     the graceful restart (apache_reload), Apache serves the new
#     certificate and the daemon verifies that on the wire (verify_addr);
#   - Apache staples exactly the response holdfast stores;
#   - ocsp_listen answers a POST and a GET for the managed certificate with
#     the stored response, unauthorized for a certificate it does not
#     manage, malformedRequest for garbage;
#   - the real responder goes down: Apache keeps stapling the last good
#     staple (holdfast keeps answering from its store);
#   - near nextUpdate holdfast withdraws it: ocsp_listen answers tryLater
#     and Apache stops stapling. Handshakes run every ~0.2 s through the
#     outage, so Apache's cache is fresh at the withdrawal, and none of
#     them may carry an expired staple (with an Apache cache time above the
#     withdrawal lead some do: LAB_APACHE_STAPLE_CACHE=30 shows it).
# Apache does not verify the signature of what it staples (mod_ssl 2.4
# checks only the CertID and the times), so nothing here needs
# SSLCACertificateFile: what it staples is only as good as its responder.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/apache.sh
. "$(dirname "$0")/../lab/apache.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

STORE=$LAB/store
DEPLOY=$LAB/deploy
APACHE=$LAB/apache
OCSP_PORT=8080 # the CA's responder (openssl ocsp)
HF_OCSP_PORT=8090 # holdfast's ocsp_listen
HF_OCSP=http://127.0.0.1:$HF_OCSP_PORT
TLS_PORT=8443
TLS=127.0.0.1:$TLS_PORT
lab_make_leaf "$CA" www "http://127.0.0.1:$OCSP_PORT" || lab_finish
# What Apache serves before holdfast deploys; holdfast does not manage it.
lab_make_leaf "$CA" old "http://127.0.0.1:$OCSP_PORT" || lab_finish

# seed_store NAME: the lab leaf as STORE/certificates/NAME (versioned layout).
seed_store() { lab_seed_store "$STORE" "$CA" "$1"; }
seed_store www
STAPLE=$STORE/certificates/www/staple.ocsp
# A valid staple is already stored, past its refresh time: the daemon
# deploys with it and fetches a fresh one at once.
lab_craft "$CA" www "$STAPLE" -100 60 || lab_finish
cp "$STAPLE" "$LAB/seeded.der"

# pem_certs FILE: the CERTIFICATE blocks of a PEM file, in order.
pem_certs() {
	sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p' "$1"
}

# ask NAME OUT [openssl ocsp options...]: one request for CA/NAME.crt to
# holdfast's ocsp_listen (POST); OUT gets the response (DER), OUT.txt what
# openssl printed.
ask() {
	local name=$1 out=$2
	shift 2
	rm -f "$out"
	timeout 10 openssl ocsp -issuer "$CA/int.pem" -cert "$CA/$name.crt" -url "$HF_OCSP/" \
		-no_nonce -respout "$out" "$@" >"$out.txt" 2>&1
}

# content_type HEADERS: the Content-Type curl -D saved.
content_type() {
	sed -n 's/^[Cc]ontent-[Tt]ype: *\([^;[:space:]]*\).*/\1/p' "$1" | head -n1
}

lab_ocsp_responder "$CA" "$OCSP_PORT" 1 || lab_finish
RESPONDER=$LAB_PID

# Apache starts with the old certificate in the file holdfast replaces.
mkdir -p "$DEPLOY/apache" "$APACHE"
PEM=$DEPLOY/apache/www.pem
cat "$CA/old.key" "$CA/old.pem" >"$PEM"
chmod 0600 "$PEM"
lab_apache_conf "$APACHE" "$TLS_PORT" www.test "$PEM" "$HF_OCSP/"
lab_apache_start "$APACHE" "$TLS_PORT" || lab_finish
check "apache: serves the old certificate before the deploy" \
	cmp -s <(apache_leaf "$TLS" www.test) <(openssl x509 -in "$CA/old.crt")

printf '%s\n' "store = $STORE" "deploy_dir = $DEPLOY" "audit_interval = off" \
	"ocsp_listen = 127.0.0.1:$HF_OCSP_PORT" \
	"apache_reload = $(lab_apache_graceful_cmd "$APACHE")" \
	"staple_retry_min = 1s" "staple_retry_max = 4s" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = apache" "verify_addr = $TLS" >"$LAB/holdfast.conf"

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"

# 1. Deploy: one PEM file, graceful restart, the new certificate served.
check "deploy: daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "deploy: deployed to apache" wait_for_log "$DLOG" "event=deployed cert=www target=apache" 15
check "deploy: graceful restart ran" \
	wait_for_log "$DLOG" "what=apache-reload command=[^ ]*apache2 status=0" 10
check "deploy: apache/www.pem is 0600" test "$(stat -c %a "$PEM")" = 600
check "deploy: apache/www.pem starts with the private key" \
	grep -qE '^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----$' <(head -n1 "$PEM")
check "deploy: its key is the stored certificate's" \
	cmp -s <(openssl pkey -in "$PEM" -pubout) \
	<(openssl x509 -in "$STORE/certificates/www/cert.pem" -noout -pubkey)
check "deploy: its certificates are the stored fullchain, leaf first" \
	cmp -s <(pem_certs "$PEM") <(pem_certs "$STORE/certificates/www/fullchain.pem")
check "deploy: no other file for www in apache/" \
	test "$(cd "$DEPLOY/apache" && echo www*)" = www.pem
want_leaf=$(openssl x509 -in "$STORE/certificates/www/cert.pem")
for _ in $(seq 100); do
	[ "$(apache_leaf "$TLS" www.test)" = "$want_leaf" ] && break
	sleep 0.1
done
check "deploy: Apache serves the stored certificate" \
	test "$(apache_leaf "$TLS" www.test)" = "$want_leaf"
check "deploy: the daemon verified it on the wire, with the staple" \
	wait_for_log "$DLOG" "event=deploy_verified cert=www addr=$TLS staple=yes" 20

# 2. Apache staples holdfast's staple, fetched from the real responder.
check "staple: refreshed from the responder" wait_for_log "$DLOG" "event=staple_refreshed cert=www" 15
for _ in $(seq 100); do
	cmp -s "$STAPLE" "$LAB/seeded.der" || break
	sleep 0.1
done
check "staple: the store holds the fresh one" lab_not cmp -s "$STAPLE" "$LAB/seeded.der"
cp "$STAPLE" "$LAB/good.der"
GOOD_THIS=$(lab_resp_field "$LAB/good.der" "This Update")
GOOD_NEXT=$(lab_resp_field "$LAB/good.der" "Next Update")
echo "# the staple: This Update $GOOD_THIS, Next Update $GOOD_NEXT"
check "staple: the stored staple verifies against the lab root" \
	ocsp_verify "$CA" www "$LAB/good.der" good
S=$LAB/seen
for _ in $(seq 100); do
	apache_staple "$TLS" www.test "$S" && apache_staple_is "$S" "$LAB/good.der" && break
	sleep 0.1
done
check "staple: s_client sees a successful response" \
	test "$(apache_field "$S" "OCSP Response Status")" = "successful (0x0)"
check "staple: Apache staples the stored staple (This Update $GOOD_THIS)" \
	test "$(apache_field "$S" "This Update")" = "$GOOD_THIS"
check "staple: all of it (signature and certificates too)" apache_staple_is "$S" "$LAB/good.der"

# 3. ocsp_listen answers from the store.
ask www "$LAB/post.der" -CAfile "$CA/root.pem"
check "ocsp_listen: POST for www answers the stored staple, byte for byte" \
	cmp "$LAB/post.der" "$LAB/good.der"
check "ocsp_listen: openssl verifies it (good)" \
	grep -q "^$CA/www.crt: good\$" "$LAB/post.der.txt"
check "ocsp_listen: ... and its signature" grep -q "^Response verify OK" "$LAB/post.der.txt"
openssl ocsp -issuer "$CA/int.pem" -cert "$CA/www.crt" -no_nonce -reqout "$LAB/req.der" \
	>/dev/null 2>&1
GET_PATH=$(base64 -w0 "$LAB/req.der" | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
curl -s --max-time 10 -D "$LAB/get.hdr" -o "$LAB/get.der" "$HF_OCSP/$GET_PATH"
check "ocsp_listen: GET /<base64> answers the stored staple" cmp "$LAB/get.der" "$LAB/good.der"
check "ocsp_listen: Content-Type application/ocsp-response" \
	test "$(content_type "$LAB/get.hdr")" = application/ocsp-response
ask old "$LAB/unauth.der"
check "ocsp_listen: a certificate it does not manage: unauthorized" \
	grep -q "Responder Error: unauthorized (6)" "$LAB/unauth.der.txt"
check "ocsp_listen: ... the 5-byte unsigned answer" test "$(lab_hex "$LAB/unauth.der")" = 30030a0106
curl -s --max-time 10 -D "$LAB/bad.hdr" -o "$LAB/bad.der" \
	-H "Content-Type: application/ocsp-request" --data-binary "not an OCSP request" "$HF_OCSP/"
check "ocsp_listen: garbage POST: malformedRequest" test "$(lab_hex "$LAB/bad.der")" = 30030a0101
check "ocsp_listen: ... as application/ocsp-response" \
	test "$(content_type "$LAB/bad.hdr")" = application/ocsp-response

# 4. The responder goes down: holdfast keeps answering with the last good
# staple.
lab_stop "$RESPONDER"
check "outage: the daemon cannot refresh" wait_for_log "$DLOG" "event=staple_refresh_failed cert=www" 45
check "outage: the stored staple is still the good one" cmp -s "$STAPLE" "$LAB/good.der"
ask www "$LAB/outage.der"
check "outage: ocsp_listen still answers it" cmp -s "$LAB/outage.der" "$LAB/good.der"

# 5. Handshakes as on a busy site, one every ~0.2 s from now until a few
# seconds past nextUpdate, so that Apache's cache is always fresh when
# holdfast withdraws the staple. Each is recorded as "N T1 STATE", T1 the
# second it ended, STATE good (the staple holdfast stores), none, expired
# (nextUpdate at or before T1), other, or failed (no handshake).
queries() { grep -c "stapling_renew_response: querying responder" "$APACHE/error.log"; }
q0=$(queries)
this_epoch=$(date -u -d "$GOOD_THIS" +%s)
next_epoch=$(date -u -d "$GOOD_NEXT" +%s)
# When holdfast withdraws it (staple_withdraw_at: a twentieth of the
# window before nextUpdate, 1 s to 2 minutes).
margin=$(((next_epoch - this_epoch) / 20))
[ "$margin" -lt 1 ] && margin=1
[ "$margin" -gt 120 ] && margin=120
withdraw_epoch=$((next_epoch - margin))
HS=$LAB/handshakes
: >"$HS"
n=0
while [ "$(date +%s)" -le $((next_epoch + 3)) ] && [ "$n" -lt 600 ]; do
	n=$((n + 1))
	if ! apache_staple "$TLS" www.test "$S"; then
		state=failed # no handshake at all (a loaded machine): says nothing of stapling
	elif [ ! -s "$S.ocsp" ]; then
		state=none
	elif apache_staple_expired "$S"; then
		state=expired
	elif apache_staple_is "$S" "$LAB/good.der"; then
		state=good
	else
		state=other
	fi
	echo "$n $(cat "$S.t1") $state" >>"$HS"
	if [ "$state" = expired ] || [ "$state" = other ]; then
		echo "# handshake $n ended at $(date -u -d "@$(cat "$S.t1")" +%T) with an $state staple:"
		grep -E "Response Status|Cert Status|This Update|Next Update" "$S.ocsp" | sed 's/^ */#   /'
	fi
	sleep 0.2
done
# count STATE [before|after EPOCH]: handshakes in $HS with STATE (any: every
# completed handshake; stapled: completed, with a staple) that ended before /
# after the second EPOCH.
count() {
	awk -v st="$1" -v when="${2:-}" -v t="${3:-0}" '
		(($3 != "failed" && (st == "any" || (st == "stapled" && $3 != "none"))) || $3 == st) &&
		(when == "" || (when == "before" && $2 < t) || (when == "after" && $2 > t)) { c++ }
		END { print c + 0 }' "$HS"
}
before=$(count any before "$withdraw_epoch")
before_good=$(count good before "$withdraw_epoch")
after=$(count any after "$next_epoch")
echo "# $n handshakes: $before before the withdrawal ($before_good good), $(count none) without a staple, $after after nextUpdate, $(count failed) failed"
check "outage: Apache staples the last good staple until the withdrawal ($before_good of $before)" \
	test "$before" -gt 0 -a "$before_good" = "$before"
check "outage: ... asking holdfast for it again and again" test "$(($(queries) - q0))" -gt 1
check "withdrawal: the daemon withdrew the staple" \
	wait_for_log "$DLOG" "event=staple_expired cert=www action=withdrawn" 10
check "withdrawal: Apache stopped stapling" test "$(count none)" -gt 0
check "withdrawal: no handshake carried an expired staple ($n handshakes)" test "$(count expired)" = 0
check "withdrawal: nothing but holdfast's staple was ever stapled" test "$(count other)" = 0
check "withdrawal: after nextUpdate Apache staples nothing ($after handshakes)" \
	test "$after" -gt 0 -a "$(count stapled after "$next_epoch")" = 0
ask www "$LAB/later.der"
check "withdrawal: ocsp_listen answers tryLater for www" \
	grep -q "Responder Error: trylater (3)" "$LAB/later.der.txt"
check "withdrawal: ... the 5-byte unsigned answer" is_trylater "$LAB/later.der"
check "withdrawal: Apache was told tryLater (its error log)" \
	grep -q "stapling_renew_response: responder error trylater" "$APACHE/error.log"

# 6. SIGTERM: clean exit.
kill -TERM "$DAEMON"
wait "$DAEMON"
check "sigterm: exit 0" test $? = 0
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
lab_finish
