#!/usr/bin/env bash
# staple_haproxy.sh -- delivery through HAProxy 2.6: the CERT.pem.ocsp file
# holdfast writes beside a `crt` file is stapled (LAB-NOTES doubts the very
# first handshake: this test records which handshake staples first); an
# update pushed over the admin socket is stapled on the next handshake with
# no reload; and the tryLater placeholder at start: HAProxy starts, staples
# nothing, and still accepts `set ssl ocsp-response` for that certificate.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

UP=http://127.0.0.1:8080
DOWN=http://127.0.0.1:8070
lab_make_leaf "$CA" web "$UP"
lab_make_leaf "$CA" old "$DOWN" # its responder is down for the whole test
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"

seen_field() { sed -n "s/^$2: //p" "$1" | head -n1; }

# HAProxy wants leaf + chain + key in one `crt` file.
H=$LAB/haproxy
mkdir -p "$H"
cat "$CA/web.pem" "$CA/web.key" >"$H/site.pem"
cat "$CA/old.pem" "$CA/old.key" >"$H/old.pem"

# --- holdfast reads the HAProxy file itself (a private key in the PEM).
hf_expect "holdfast reads a crt file with the key inside: exit 0" 0 \
	staple --out "$H/site.pem.ocsp" "$H/site.pem"
if [ "$HF_RC" -ne 0 ]; then
	# Keep testing delivery with a staple made from the key-less PEM.
	hf staple --out "$H/site.pem.ocsp" "$CA/web.pem"
fi
check "site.pem.ocsp verifies" ocsp_verify "$CA" web "$H/site.pem.ocsp" good
T1=$(lab_resp_field "$H/site.pem.ocsp" 'This Update')

lab_haproxy 9443 "$H/site.pem" "$H/admin.sock" || not_ok "lab: haproxy" "did not start"
HAPROXY_PID=$LAB_PID

# --- the file loaded at start: which handshake staples it first?
first=""
for i in 1 2 3 4 5; do
	staple_seen 127.0.0.1:9443 >"$LAB/seen-start-$i"
	diag "$LAB/seen-start-$i" "  handshake $i: "
	if grep -qx 'Cert Status: good' "$LAB/seen-start-$i"; then
		first=$i
		break
	fi
done
echo "# first handshake that stapled the file loaded at start: ${first:-none of 5}"
check "start: the .ocsp file is stapled (within 5 handshakes)" test -n "$first"
if [ -n "$first" ]; then
	check "start: the staple is the file's (This Update $T1)" \
		test "$(seen_field "$LAB/seen-start-$first" 'This Update')" = "$T1"
	check "start: the very first handshake already staples" test "$first" = 1
fi
haproxy_cmd "$H/admin.sock" "show ssl ocsp-response" >"$LAB/show1" 2>&1
diag "$LAB/show1" "  show ssl ocsp-response: "

# HAProxy stops stapling at nextUpdate - 300 s (checked here: a response
# signed with -nmin 4 is never stapled), so holdfast must plan the refresh
# before that point.
hf_expect "refresh_at: holdfast --json" 0 staple --json "$CA/web.pem"
json_check "refresh_at is at least 300 s before next_update" \
	'ts(j["next_update"]) - ts(j["refresh_at"]) >= 300'

# --- update over the admin socket, no reload.
lab_next_second # a later thisUpdate than the loaded file's
hf_expect "update: holdfast fetches a newer staple" 0 staple --out "$H/new.der" "$CA/web.pem"
T2=$(lab_resp_field "$H/new.der" 'This Update')
haproxy_cmd "$H/admin.sock" "set ssl ocsp-response $(base64 -w0 "$H/new.der")" >"$LAB/set1" 2>&1
diag "$LAB/set1" "  set ssl ocsp-response: "
check "update: HAProxy answers 'OCSP Response updated!'" grep -q 'OCSP Response updated!' "$LAB/set1"
staple_seen 127.0.0.1:9443 >"$LAB/seen-update"
diag "$LAB/seen-update" "  next handshake: "
check "update: the next handshake staples the new response (This Update $T2)" \
	test "$(seen_field "$LAB/seen-update" 'This Update')" = "$T2"
check "update: same HAProxy process (no reload)" kill -0 "$HAPROXY_PID"

# --- exit 2 -> tryLater placeholder as the .ocsp file at HAProxy start.
lab_craft "$CA" old "$H/old.pem.ocsp" -7200 -3600 # a stale file from before
hf_expect "old: responders down, expired file: exit 2" 2 staple --out "$H/old.pem.ocsp" "$H/old.pem"
if ! is_trylater "$H/old.pem.ocsp"; then
	lab_write_trylater "$H/old.pem.ocsp" # still test HAProxy with what the contract says
fi
check "old: old.pem.ocsp is the tryLater placeholder" is_trylater "$H/old.pem.ocsp"
check "old: HAProxy starts with the placeholder" lab_haproxy 9444 "$H/old.pem" "$H/old.sock"
diag "$LAB/haproxy-9444.log" "  haproxy: "
nostaple=1
for i in 1 2 3; do
	staple_seen 127.0.0.1:9444 >"$LAB/seen-old-$i"
	grep -q 'no response sent' "$LAB/seen-old-$i" || nostaple=0
done
diag "$LAB/seen-old-1" "  handshake: "
check "old: no staple is sent (3 handshakes)" test "$nostaple" = 1

# The certificate stays registered: a good response can be pushed later.
lab_presign "$CA" old "$H/old-good.der"
haproxy_cmd "$H/old.sock" "set ssl ocsp-response $(base64 -w0 "$H/old-good.der")" >"$LAB/set2" 2>&1
diag "$LAB/set2" "  set ssl ocsp-response: "
check "old: set ssl ocsp-response accepted after the placeholder" \
	grep -q 'OCSP Response updated!' "$LAB/set2"
staple_seen 127.0.0.1:9444 >"$LAB/seen-old-pushed"
check "old: the pushed response is stapled" grep -qx 'Cert Status: good' "$LAB/seen-old-pushed"

lab_finish
