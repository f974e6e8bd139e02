#!/usr/bin/env bash
# staple_basic.sh -- the good path of `holdfast staple` against a real
# `openssl ocsp` responder: check-only mode, --out, --issuer, the human line
# and every JSON field of doc/CLI-CONTRACT.md.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

URL=http://127.0.0.1:8080
lab_make_leaf "$CA" site "$URL"
SERIAL=$(lab_cert_serial "$CA/site.crt")
export SERIAL URL
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"

# --- check only: fetch and validate, write nothing.
hf_expect "check only: exit 0" 0 staple "$CA/site.pem"
out_check "check only: human line starts with OK and the cert path" \
	"^OK $CA/site.pem: good "
check "check only: no file written" \
	test -z "$(find "$LAB" -name '*.ocsp')"

# --- --out: the staple is written and verifies against the lab root.
STAPLE=$LAB/site.ocsp
hf_expect "--out: exit 0" 0 staple --out "$STAPLE" "$CA/site.pem"
check "--out: file is a good response that verifies" \
	ocsp_verify "$CA" site "$STAPLE" good
out_check "--out: human line has serial, responder, next_update, refresh_at" \
	"^OK $CA/site.pem: good serial=$SERIAL responder=$URL/? next_update=[0-9TZ:-]+ refresh_at=[0-9TZ:-]+"

# --- --json: one object, every field the contract lists.
lab_next_second # a later thisUpdate than the file's, so "written" is certain
hf_expect "--json: exit 0" 0 staple --json --out "$STAPLE" "$CA/site.pem"
STAPLE_THIS=$(lab_iso "$(lab_resp_field "$STAPLE" 'This Update')")
STAPLE_NEXT=$(lab_iso "$(lab_resp_field "$STAPLE" 'Next Update')")
export STAPLE STAPLE_THIS STAPLE_NEXT CERT=$CA/site.pem
json_check "--json: exactly one JSON line" 'len(js) == 1'
json_check "--json: cert, result, exit" \
	'j["cert"] == E["CERT"] and j["result"] == "OK" and j["exit"] == 0'
json_check "--json: status good, serial" \
	'j["status"] == "good" and j["serial"].upper() == E["SERIAL"]'
json_check "--json: responder is the AIA URL" \
	'j["responder"].rstrip("/") == E["URL"]'
json_check "--json: out and written" \
	'j["out"] == E["STAPLE"] and j["written"] is True'
json_check "--json: times are RFC 3339 UTC" \
	'all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", j[k] or "")
	     for k in ("this_update", "next_update", "produced_at", "refresh_at"))'
json_check "--json: this_update/next_update are those of the written file" \
	'j["this_update"] == E["STAPLE_THIS"] and j["next_update"] == E["STAPLE_NEXT"]'
json_check "--json: this_update <= refresh_at < next_update" \
	'j["this_update"] <= j["refresh_at"] < j["next_update"]'
json_check "--json: no errors, no revocation_time, message is a string" \
	'j.get("errors") in ([], None) and "revocation_time" not in j and isinstance(j["message"], str)'
check "--json: file verifies" ocsp_verify "$CA" site "$STAPLE" good

# --- the same response fetched twice: "written when newer or equal".
# openssl ocsp signs anew each time; equal-second responses are allowed.
hf_expect "second run: exit 0" 0 staple --json --out "$STAPLE" "$CA/site.pem"
json_check "second run: written (newer or equal)" 'j["written"] is True'

# --- --issuer: a PEM with the leaf alone plus the issuer given apart.
hf_expect "--issuer with a leaf-only PEM: exit 0" 0 \
	staple --issuer "$CA/int.pem" --out "$LAB/leafonly.ocsp" "$CA/site.crt"
check "--issuer: file verifies" ocsp_verify "$CA" site "$LAB/leafonly.ocsp" good

# --- relative paths (run from $LAB) and -v do not change the result.
hf_expect "relative paths and -v: exit 0" 0 staple -v --out rel.ocsp ca/site.pem
check "relative --out is written relative to the working directory" \
	ocsp_verify "$CA" site "$LAB/rel.ocsp" good

lab_finish
