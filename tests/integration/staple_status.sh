#!/usr/bin/env bash
# staple_status.sh -- what the responder says about the certificate:
# revoked (exit 2, REVOKED, written), unknown (exit 2, never written, never
# kept), a stored good staple overtaken by a revocation, and a revocation
# beside an unreadable file (exit 2, not 3).
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

URL=http://127.0.0.1:8080
export URL
lab_make_leaf "$CA" revoked "$URL"
lab_make_leaf "$CA" unlisted "$URL"
lab_make_leaf "$CA" later "$URL"
lab_revoke "$CA" revoked
lab_forget "$CA" unlisted # not in index.txt: openssl ocsp answers "unknown"
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"

# --- revoked: the response is written (servers must staple it), exit 2.
hf_expect "revoked: exit 2" 2 staple --out "$LAB/revoked.ocsp" "$CA/revoked.pem"
out_check "revoked: human line is CRITICAL ... REVOKED" \
	"^CRITICAL $CA/revoked.pem: REVOKED serial=$(lab_cert_serial "$CA/revoked.crt")"
check "revoked: file written and verifies as revoked" \
	ocsp_verify "$CA" revoked "$LAB/revoked.ocsp" revoked

hf_expect "revoked --json: exit 2" 2 staple --json --out "$LAB/revoked.ocsp" "$CA/revoked.pem"
json_check "revoked --json: result CRITICAL, exit 2, status revoked" \
	'j["result"] == "CRITICAL" and j["exit"] == 2 and j["status"] == "revoked"'
json_check "revoked --json: message contains REVOKED" '"REVOKED" in j["message"]'
json_check "revoked --json: revocation_time is set" \
	're.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", j.get("revocation_time") or "")'
json_check "revoked --json: written" \
	'j["written"] is True and j["out"] == E["LAB"] + "/revoked.ocsp"'

# --- unknown: a per-responder failure; nothing to write, exit 2.
hf_expect "unknown: exit 2" 2 staple --json --out "$LAB/unlisted.ocsp" "$CA/unlisted.pem"
check "unknown: nothing written" test ! -e "$LAB/unlisted.ocsp"
json_check "unknown: result CRITICAL, written false" \
	'j["result"] == "CRITICAL" and j["written"] is False'
json_check "unknown: errors has the responder with cert-status-unknown" \
	'(E["URL"], "cert-status-unknown") in [(u.rstrip("/"), e) for u, e in errs(j)]'
err_kv "unknown: stderr has a key=value ocsp_fetch_failed line" \
	level=warn event=ocsp_fetch_failed cert="$CA/unlisted.pem" url="$URL" \
	error=cert-status-unknown

# --- unknown while a valid staple is stored: never kept, the old one stays.
lab_make_leaf "$CA" wasgood "$URL"
lab_presign "$CA" wasgood "$LAB/wasgood.ocsp"
before=$(file_id "$LAB/wasgood.ocsp")
cp "$LAB/wasgood.ocsp" "$LAB/wasgood.orig"
lab_forget "$CA" wasgood
hf_expect "unknown with a valid staple stored: exit 1" 1 \
	staple --out "$LAB/wasgood.ocsp" "$CA/wasgood.pem"
check "unknown with a valid staple stored: file byte-identical" \
	cmp "$LAB/wasgood.orig" "$LAB/wasgood.ocsp"
check "unknown with a valid staple stored: file not rewritten (inode, mtime)" \
	test "$before" = "$(file_id "$LAB/wasgood.ocsp")"

# --- good staple stored, then the certificate is revoked: replaced.
hf_expect "later: good first, exit 0" 0 staple --out "$LAB/later.ocsp" "$CA/later.pem"
lab_revoke "$CA" later
hf_expect "later: revoked afterwards, exit 2" 2 staple --out "$LAB/later.ocsp" "$CA/later.pem"
check "later: stored good staple replaced by the revoked response" \
	ocsp_verify "$CA" later "$LAB/later.ocsp" revoked

# --- one run with a revocation and an unreadable file: the revocation wins
# (CRITICAL outranks UNKNOWN, util/result.h), so a cron job paging on exit 2
# never misses it; each certificate still gets its own line.
mkdir -p "$LAB/mixed"
hf_expect "revoked + missing file: exit 2 (CRITICAL above UNKNOWN)" 2 \
	staple --out-dir "$LAB/mixed" "$CA/revoked.pem" "$LAB/missing.pem"
out_check "revoked + missing file: the revoked one is CRITICAL" "^CRITICAL $CA/revoked.pem: REVOKED"
out_check "revoked + missing file: the missing one is UNKNOWN" "^UNKNOWN $LAB/missing.pem: "
hf_expect "missing file + revoked (other order): exit 2" 2 \
	staple --out-dir "$LAB/mixed" "$LAB/missing.pem" "$CA/revoked.pem"

lab_finish
