#!/usr/bin/env bash
# staple_keep.sh -- a valid staple on disk is never replaced by an older or
# an invalid response: holdfast reports WARNING (exit 1) and leaves the file
# byte-identical and unrewritten. A newer valid response does replace it.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

lab_make_leaf "$CA" k # no AIA: --url only
lab_make_leaf "$CA" other

lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"
lab_ocsp_responder "$CA" 8081 "$CA/rogue.pem" "$CA/rogue.key" || not_ok "lab: rogue responder" "did not start"

# The stored staple: valid, thisUpdate a minute ago.
lab_craft "$CA" k "$LAB/stored.orig" -60 3600
R=$LAB/responses
mkdir -p "$R"
lab_craft "$CA" k "$R/older.der" -1800 1800      # valid, but older than stored
lab_craft "$CA" k "$R/expired.der" -7200 -3600
lab_craft "$CA" k "$R/unknown.der" -10 3600 unknown
lab_presign "$CA" other "$R/other.der"
head -c 500 /dev/urandom >"$R/garbage.der"
CT=application/ocsp-response
lab_nginx_static 8090 "/older=$R/older.der=$CT" "/expired=$R/expired.der=$CT" \
	"/unknown=$R/unknown.der=$CT" "/other=$R/other.der=$CT" \
	"/garbage=$R/garbage.der=$CT" "/html=$R/older.der=text/html" ||
	not_ok "lab: nginx" "did not start"

STAPLE=$LAB/k.ocsp
# kept NAME URL [ERROR]: with the stored staple in place, a run against URL
# exits 1 and leaves the file alone (and names ERROR for URL, if given).
kept() {
	local name=$1 url=$2 before
	WANT_URL=$url WANT_ERROR=${3:-}
	export WANT_URL WANT_ERROR
	cp "$LAB/stored.orig" "$STAPLE"
	before=$(file_id "$STAPLE")
	hf_expect "$name: exit 1" 1 staple --json --url "$url" --out "$STAPLE" "$CA/k.pem"
	check "$name: stored staple byte-identical" cmp "$LAB/stored.orig" "$STAPLE"
	check "$name: stored staple not rewritten (inode, mtime)" test "$before" = "$(file_id "$STAPLE")"
	json_check "$name: WARNING, written false" \
		'j["result"] == "WARNING" and j["written"] is False'
	if [ -n "$WANT_ERROR" ]; then
		json_check "$name: error=$WANT_ERROR" \
			'[(u.rstrip("/"), e) for u, e in errs(j)] == [(E["WANT_URL"], E["WANT_ERROR"])]'
	fi
}

kept "older valid response" http://127.0.0.1:8090/older older-than-stored
kept "expired response" http://127.0.0.1:8090/expired expired
kept "cert status unknown" http://127.0.0.1:8090/unknown cert-status-unknown
kept "response for another certificate" http://127.0.0.1:8090/other no-matching-response
kept "garbage body" http://127.0.0.1:8090/garbage malformed
kept "wrong Content-Type" http://127.0.0.1:8090/html content-type
kept "rogue signer" http://127.0.0.1:8081
json_check "rogue signer: error is untrusted-signer or bad-signature" \
	'[e for u, e in errs(j)] in (["untrusted-signer"], ["bad-signature"])'

# --- older response first, a fresh one from the next responder: replaced.
cp "$LAB/stored.orig" "$STAPLE"
hf_expect "older then newer: exit 0" 0 staple --json --url http://127.0.0.1:8090/older \
	--url http://127.0.0.1:8080 --out "$STAPLE" "$CA/k.pem"
json_check "older then newer: written, responder is the fresh one" \
	'j["written"] is True and j["responder"].rstrip("/") == "http://127.0.0.1:8080"'
check "older then newer: file replaced" lab_not cmp -s "$LAB/stored.orig" "$STAPLE"
check "older then newer: new file verifies" ocsp_verify "$CA" k "$STAPLE" good

lab_finish
