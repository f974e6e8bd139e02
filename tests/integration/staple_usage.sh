#!/usr/bin/env bash
# staple_usage.sh -- usage and local errors exit 3 (UNKNOWN) and write nothing:
# bad options, --out with several certs, unreadable or non-certificate files,
# no issuer, no responder URL at all.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

UP=http://127.0.0.1:8080
lab_make_leaf "$CA" u "$UP"
lab_make_leaf "$CA" u2 "$UP"
lab_make_leaf "$CA" noaia # no AIA OCSP URL
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"
head -c 400 /dev/urandom >"$LAB/garbage.pem"
OUT=$LAB/should-not-exist.ocsp

usage() {
	local name=$1
	shift
	hf_expect "$name: exit 3" 3 "$@"
}

usage "no arguments at all" staple
usage "no certificate" staple --out "$OUT"
usage "unknown option" staple --no-such-option "$CA/u.pem"
usage "--out with two certificates" staple --out "$OUT" "$CA/u.pem" "$CA/u2.pem"
usage "--out and --out-dir together" staple --out "$OUT" --out-dir "$LAB" "$CA/u.pem"
usage "--url without a value" staple "$CA/u.pem" --url
usage "--timeout not a number" staple --timeout soon "$CA/u.pem"
usage "--connect-timeout not a number" staple --connect-timeout x "$CA/u.pem"
usage "--parallel 0" staple --parallel 0 "$CA/u.pem"
usage "--parallel not a number" staple --parallel many "$CA/u.pem"
usage "certificate file missing" staple --out "$OUT" "$LAB/nope.pem"
usage "certificate file is garbage" staple --out "$OUT" "$LAB/garbage.pem"
usage "leaf alone, no --issuer" staple --out "$OUT" "$CA/u.crt"
usage "--issuer file missing" staple --issuer "$LAB/nope.pem" --out "$OUT" "$CA/u.pem"
usage "no AIA OCSP URL and no --url" staple --out "$OUT" "$CA/noaia.pem"
check "usage errors wrote nothing" test ! -e "$OUT"

hf_expect "--json, no responder URL: exit 3" 3 staple --json "$CA/noaia.pem"
json_check "--json, no responder URL: UNKNOWN line for the cert" \
	'j["result"] == "UNKNOWN" and j["exit"] == 3'
hf_expect "human, no responder URL: exit 3" 3 staple "$CA/noaia.pem"
out_check "human, no responder URL: UNKNOWN line" "^UNKNOWN $CA/noaia.pem"

# UNKNOWN is the worst: one good certificate and one without any URL.
mkdir -p "$LAB/od"
hf_expect "good + no URL: exit 3 (worst)" 3 staple --out-dir "$LAB/od" "$CA/u.pem" "$CA/noaia.pem"
check "good + no URL: the good one was still fetched and written" \
	ocsp_verify "$CA" u "$LAB/od/u.pem.ocsp" good

# --help is not an error.
hf_expect "--help: exit 0" 0 staple --help
out_check "--help: prints the usage" "usage: holdfast staple"

lab_finish
