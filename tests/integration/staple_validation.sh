#!/usr/bin/env bash
# staple_validation.sh -- responses that arrive fine over HTTP but must be
# refused (and never stored), plus the delegated responder that must be
# accepted. Each case points holdfast (--url) at one responder; the leaf has
# no AIA, so that responder is the only one.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

lab_make_leaf "$CA" v        # no AIA: --url only
lab_make_leaf "$CA" other    # a different certificate of the same CA

start() { lab_ocsp_responder "$@" || not_ok "lab: responder on $2" "did not start"; }
start "$CA" 8080                                   # the issuer signs (control)
start "$CA" 8081 "$CA/rogue.pem" "$CA/rogue.key"   # unrelated self-signed CA
start "$CA" 8082 -- -badsig                        # issuer, corrupted signature
start "$CA" 8083 "$CA/resp.pem" "$CA/resp.key"     # delegated, EKU OCSPSigning
start "$CA" 8084 "$CA/resp-noeku.pem" "$CA/resp-noeku.key" # delegated, no EKU

# Fixed responses served by nginx, all signed correctly by the issuer unless
# said otherwise; only what the name says is wrong with them.
R=$LAB/responses
mkdir -p "$R"
lab_presign "$CA" other "$R/other.der"               # for another certificate
lab_craft "$CA" v "$R/expired.der" -7200 -3600       # nextUpdate an hour ago
lab_craft "$CA" v "$R/notyet.der" 3600 7200          # thisUpdate in an hour
lab_craft "$CA" v "$R/nonext.der" -60 none           # no nextUpdate
lab_craft "$CA" v "$R/byroot.der" -60 3600 good "$CA/root.pem" "$CA/root.key" # the issuer's issuer
CT=application/ocsp-response
lab_nginx_static 8090 "/other=$R/other.der=$CT" "/expired=$R/expired.der=$CT" \
	"/notyet=$R/notyet.der=$CT" "/nonext=$R/nonext.der=$CT" \
	"/byroot=$R/byroot.der=$CT" || not_ok "lab: nginx" "did not start"

# refused NAME URL ERROR...: holdfast exits 2, errors holds one of ERROR...,
# and nothing a server could staple is written.
refused() {
	local name=$1 url=$2 out=$LAB/${1// /_}.ocsp
	shift 2
	WANT_URL=$url WANT_ERRORS="$*"
	export WANT_URL WANT_ERRORS
	hf_expect "$name: exit 2" 2 staple --json --url "$url" --out "$out" "$CA/v.pem"
	json_check "$name: error is one of: $*" \
		'[e for u, e in errs(j) if u.rstrip("/") == E["WANT_URL"]][:1] != [] and
		 all(e in E["WANT_ERRORS"].split() for u, e in errs(j))'
	check "$name: no response stored" no_response_stored "$out"
}

hf_expect "control: the issuer's own response, via --url only: exit 0" 0 \
	staple --url http://127.0.0.1:8080 --out "$LAB/control.ocsp" "$CA/v.pem"
check "control: stored and verifies" ocsp_verify "$CA" v "$LAB/control.ocsp" good

refused "rogue signer" http://127.0.0.1:8081 untrusted-signer bad-signature signer-not-authorized
refused "corrupted signature" http://127.0.0.1:8082 bad-signature
refused "delegated responder without OCSPSigning" http://127.0.0.1:8084 signer-not-authorized
refused "signed by the root, not the issuer" http://127.0.0.1:8090/byroot \
	signer-not-authorized untrusted-signer
refused "response for another certificate" http://127.0.0.1:8090/other no-matching-response
refused "expired response" http://127.0.0.1:8090/expired expired
refused "thisUpdate in the future" http://127.0.0.1:8090/notyet not-yet-valid
refused "no nextUpdate" http://127.0.0.1:8090/nonext no-next-update

hf_expect "delegated responder with OCSPSigning: exit 0" 0 \
	staple --json --url http://127.0.0.1:8083 --out "$LAB/delegated.ocsp" "$CA/v.pem"
check "delegated responder with OCSPSigning: stored, verifies" \
	ocsp_verify "$CA" v "$LAB/delegated.ocsp" good
check "delegated responder with OCSPSigning: the stored response is the delegate's" \
	grep -q "Responder Id: .*CN = Lab OCSP Responder\$" <(lab_resp_text "$LAB/delegated.ocsp")

lab_finish
