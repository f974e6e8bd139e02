#!/usr/bin/env bash
# staple_failover.sh -- responder order and failover (AIA URLs in order, then
# each --url), and what happens to the stored staple when every responder
# fails: kept when still valid (exit 1, untouched), otherwise replaced by the
# 5-byte tryLater placeholder (exit 2).
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

UP=http://127.0.0.1:8080
UP2=http://127.0.0.1:8081
DOWN1=http://127.0.0.1:8070 # nothing ever listens on 8070/8071: connection refused
DOWN2=http://127.0.0.1:8071
export UP UP2 DOWN1 DOWN2

lab_make_leaf "$CA" two "$DOWN1" "$UP"
lab_make_leaf "$CA" first "$UP" "$UP2"
lab_make_leaf "$CA" down "$DOWN1" "$DOWN2"
lab_make_leaf "$CA" other "$UP"
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder 8080" "did not start"
lab_ocsp_responder "$CA" 8081 || not_ok "lab: responder 8081" "did not start"

# url_of URL: compare URLs the way the contract prints them (no trailing /).
norm='lambda u: (u or "").rstrip("/")'

# --- first AIA URL refuses connections, the second answers.
hf_expect "first AIA down, second up: exit 0" 0 \
	staple --json --out "$LAB/two.ocsp" "$CA/two.pem"
json_check "first AIA down: responder is the second AIA URL" \
	"($norm)(j['responder']) == E['UP']"
json_check "first AIA down: errors lists the first URL with error=connect" \
	"[(($norm)(u), e) for u, e in errs(j)] == [(E['DOWN1'], 'connect')]"
check "first AIA down: staple written and valid" ocsp_verify "$CA" two "$LAB/two.ocsp" good
err_kv "first AIA down: stderr logs the failure as key=value" \
	level=warn event=ocsp_fetch_failed cert="$CA/two.pem" url="$DOWN1" error=connect

# --- both AIA URLs answer: the first one is used, the second not needed.
hf_expect "both AIA up: exit 0" 0 staple --json "$CA/first.pem"
json_check "both AIA up: responder is the first AIA URL, no errors" \
	"($norm)(j['responder']) == E['UP'] and not errs(j)"

# --- every AIA URL down: the --url backups, in order.
hf_expect "all AIA down, --url up: exit 0" 0 \
	staple --json --url "$UP" --out "$LAB/down.ocsp" "$CA/down.pem"
json_check "all AIA down: responder is the --url backup" \
	"($norm)(j['responder']) == E['UP']"
json_check "all AIA down: both AIA URLs in errors, in order, error=connect" \
	"[(($norm)(u), e) for u, e in errs(j)] == [(E['DOWN1'], 'connect'), (E['DOWN2'], 'connect')]"
check "all AIA down, --url up: staple valid" ocsp_verify "$CA" down "$LAB/down.ocsp" good

hf_expect "several --url, the first down: exit 0" 0 \
	staple --json --url "$DOWN1" --url "$UP2" "$CA/down.pem"
json_check "several --url: the second --url answered" \
	"($norm)(j['responder']) == E['UP2']"

# --- an outage as it happens: the responder answers, then goes away.
lab_make_leaf "$CA" outage http://127.0.0.1:8082
lab_ocsp_responder "$CA" 8082 || not_ok "lab: responder 8082" "did not start"
hf_expect "outage: responder up, exit 0" 0 staple --out "$LAB/outage.ocsp" "$CA/outage.pem"
cp "$LAB/outage.ocsp" "$LAB/outage.orig"
lab_stop "$LAB_PID"
hf_expect "outage: responder stopped, exit 1" 1 staple --out "$LAB/outage.ocsp" "$CA/outage.pem"
check "outage: the staple from before the outage is kept" cmp "$LAB/outage.orig" "$LAB/outage.ocsp"

# --- every responder down, a valid staple stored: keep it untouched, exit 1.
lab_presign "$CA" down "$LAB/valid.ocsp"
cp "$LAB/valid.ocsp" "$LAB/valid.orig"
before=$(file_id "$LAB/valid.ocsp")
hf_expect "all down, valid staple stored: exit 1" 1 \
	staple --out "$LAB/valid.ocsp" "$CA/down.pem"
out_check "all down, valid staple: WARNING line" \
	"^WARNING $CA/down.pem: all responders failed; keeping valid staple $LAB/valid.ocsp \(next_update=[0-9TZ:-]+\)"
check "all down, valid staple: byte-identical" cmp "$LAB/valid.orig" "$LAB/valid.ocsp"
check "all down, valid staple: not rewritten (same inode and mtime)" \
	test "$before" = "$(file_id "$LAB/valid.ocsp")"
hf_expect "all down, valid staple, --json: exit 1" 1 \
	staple --json --out "$LAB/valid.ocsp" "$CA/down.pem"
json_check "all down, valid staple --json: WARNING, exit 1, written false" \
	'j["result"] == "WARNING" and j["exit"] == 1 and j["written"] is False'
json_check "all down, valid staple --json: both URLs failed with connect" \
	"sorted(($norm)(u) for u, e in errs(j) if e == 'connect') == [E['DOWN1'], E['DOWN2']]"
check "all down, valid staple --json: still byte-identical" \
	cmp "$LAB/valid.orig" "$LAB/valid.ocsp"

# --- every responder down, the stored staple is not usable: withdraw it.
lab_craft "$CA" down "$LAB/expired.ocsp" -7200 -3600 # expired an hour ago
head -c 300 /dev/urandom >"$LAB/garbage.ocsp"
lab_presign "$CA" other "$LAB/othercert.ocsp" # valid, but for another cert
lab_write_trylater "$LAB/trylater.ocsp"
for kind in expired garbage othercert trylater; do
	hf_expect "all down, $kind file stored: exit 2" 2 \
		staple --json --out "$LAB/$kind.ocsp" "$CA/down.pem"
	check "all down, $kind file: replaced by the tryLater placeholder 30030a0103" \
		is_trylater "$LAB/$kind.ocsp"
	json_check "all down, $kind file: CRITICAL, exit 2" \
		'j["result"] == "CRITICAL" and j["exit"] == 2'
done
hf_expect "all down, expired file, human output: exit 2" 2 \
	staple --out "$LAB/expired.ocsp" "$CA/down.pem"
out_check "all down, expired file: CRITICAL line" "^CRITICAL $CA/down.pem: "

# --- every responder down, no file yet: CRITICAL. The contract replaces "an
# existing stale FILE"; it says nothing of creating one, so none is expected.
hf_expect "all down, no file yet: exit 2" 2 \
	staple --json --out "$LAB/missing.ocsp" "$CA/down.pem"
check "all down, no file yet: no file created" test ! -e "$LAB/missing.ocsp"
json_check "all down, no file yet: CRITICAL, written false" \
	'j["result"] == "CRITICAL" and j["written"] is False'

# --- every responder down, check only: nothing is stored, CRITICAL.
hf_expect "all down, no --out: exit 2" 2 staple "$CA/down.pem"
out_check "all down, no --out: CRITICAL line" "^CRITICAL $CA/down.pem: "

lab_finish
