#!/usr/bin/env bash
# audit_rdap.sh -- `holdfast audit` against a real RDAP server (the lab's
# rdap_server.py serving tests/fixtures/rdap/) and a real DNS world (knot +
# unbound), so that only the registration data differs between cases:
# every status row of issue 4's RDAP table, expiry thresholds, registrar and
# registry locks, the registrar referral (followed only when the registry's
# answer lacks data), every broken answer (404, 429, 500, invalid JSON, wrong
# content type, huge body, wrong object, wrong domain) reported as UNKNOWN,
# a TLD without RDAP service (INFO), IDNs as A-labels, the bootstrap from a
# file and from a URL (cached in the store), 429 Retry-After honoured, the
# per-server bound, and changes since the last audit.  Issue 14: answers as
# registries really send them (Nominet's without objectClassName, an
# impossible date beside good parts, a hold beside it, unknown statuses,
# codes with EPP URLs, generic locks, an untyped referral link, dsData alone)
# are read part by part, each unreadable part its own finding, and every
# request asks for application/rdap+json.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
AUDIT_TLDS="test lab example"
# shellcheck source=SCRIPTDIR/../lab/audit.sh
. "$(dirname "$0")/../lab/audit.sh"

audit_lab_world
GOOD_NS="ns1.dns-a.test ns1.dns-b.lab"
declare -A FIX=(
	[locked.test]=gtld-locked [cc.lab]=cctld [hold.test]=client-hold
	[shold.test]=server-hold [inactive.test]=inactive [redemption.test]=redemption
	[pdelete.test]=pending-delete [prestore.test]=pending-restore
	[ptransfer.test]=pending-transfer [exp5.test]=expiring-5d [exp20.test]=expiring-20d
	[expired.test]=expired [unlocked.test]=gtld-unlocked [badjson.test]=invalid
	[notdomain.test]=not-domain [wrongtype.test]=gtld-locked [huge.test]=gtld-locked
	[limited.test]=gtld-locked [slow429.test]=gtld-locked [err500.test]=gtld-locked
	[other.test]=gtld-locked [xn--bcher-kva.test]=gtld-locked [dns-a.test]=gtld-locked
	[dns-b.lab]=cctld [noservice.example]=gtld-locked
	[nominet.test]=nominet-hold [halfvalid.test]=date-feb-30 [holdbad.test]=hold-bad-date
	[unknownst.test]=status-unknown [eppurl.test]=status-epp-url
	[generic.test]=status-generic-locks [dsonly.test]=gtld-locked
)
for d in "${!FIX[@]}" thin.test thinuntyped.test notfound.test; do
	case $d in dns-a.test | dns-b.lab) ;; *) AUDIT_DELEG[$d]=$GOOD_NS ;; esac
done
audit_dns_start || { not_ok "lab: DNS" "knot/unbound did not start"; lab_finish; }
audit_rdap_start || { not_ok "lab: RDAP server" "did not start"; lab_finish; }
for d in "${!FIX[@]}"; do
	audit_rdap_fixture "$d" "${FIX[$d]}"
done
audit_rdap_fixture thin.test gtld-thin registrar-full
audit_rdap_fixture thinuntyped.test referral-untyped registrar-full
audit_rdap_meta wrongtype.test '{"content_type": "text/html; charset=utf-8"}'
audit_rdap_meta huge.test '{"body_bytes": 3000000}'
audit_rdap_meta limited.test '{"status": 429, "headers": {"Retry-After": "0"}}'
audit_rdap_meta slow429.test '{"status": 429, "headers": {"Retry-After": "1"}, "times": 1}'
audit_rdap_meta err500.test '{"status": 500, "content_type": "text/html", "body": "<h1>oops</h1>"}'
audit_rdap_meta other.test '{"body": "{\"objectClassName\":\"domain\",\"ldhName\":\"someone-else.test\",\"status\":[\"active\"]}"}'

BOOT=$AUDIT_RDAP_URL/bootstrap/dns.json
export AUDIT_RDAP_URL
STORE=$LAB/store
# audit_run WANT_EXIT NAME DOMAIN...: one --json run.
audit_run() {
	local want=$1 name=$2
	shift 2
	hf_expect "$name: exit $want" "$want" audit --json "${AUDIT_RES[@]}" --rdap-bootstrap "$BOOT" \
		--store "$STORE" "$@"
}
finding() { json_check "$1" "$(audit_finding "${@:2}")"; }

# --- a locked gTLD domain: everything OK, the referral not followed.
audit_run 0 "locked gTLD domain" www.locked.test
finding "locked: status OK" status OK locked.test "client transfer prohibited"
finding "locked: registrar lock OK" registrar-lock OK locked.test
finding "locked: registry lock OK" registry-lock OK locked.test
finding "locked: expiry OK, 400 days" expiry OK locked.test "in 400 days"
finding "locked: registrar and IANA ID reported" rdap OK locked.test "Lab Registrar One, Inc. \\(IANA 292\\)"
json_check "locked: every finding has domain, check, severity, evidence, source" \
	'js and all(set(("domain","check","severity","evidence","source")) <= set(f) for f in js)'
json_check "locked: source is the RDAP URL" \
	'any(f["check"] == "status" and f["source"] == E["AUDIT_RDAP_URL"] + "/rdap/domain/locked.test" for f in js)'
check "locked: the registrar referral was not followed (answer complete)" \
	test "$(audit_rdap_requests '/registrar/domain/locked.test')" -eq 0
check "bootstrap from a URL is cached in the store" \
	cmp "$STORE/rdap/dns.json" "$LAB/rdap/bootstrap/dns.json"

# --- a thin registry answer completed from the registrar.
audit_run 0 "thin registry answer" thin.test
finding "thin: referral followed and named" rdap OK thin.test "completed from the registrar's RDAP server http://127.0.0.1:[0-9]+/registrar/domain/thin.test"
finding "thin: expiry from the registrar" expiry OK thin.test "in 200 days"
finding "thin: registrar from the registrar" rdap OK thin.test "IANA 1001"
check "thin: the registrar's server was asked once" \
	test "$(audit_rdap_requests '^GET /registrar/domain/thin.test 200')" -eq 1

# --- a ccTLD domain: no locks, no published expiry, registrar without IANA ID.
audit_run 1 "ccTLD domain without locks" cc.lab
finding "ccTLD: no registrar lock WARNING" registrar-lock WARNING cc.lab
finding "ccTLD: no registry lock INFO (not a CA or critical domain)" registry-lock INFO cc.lab
finding "ccTLD: no expiration published INFO" expiry INFO cc.lab
finding "ccTLD: registrar named without IANA ID" rdap OK cc.lab "Lab ccTLD Registrar B.V."

# --- the status table.
audit_run 2 "hold / redemption / pending / expiry variants" hold.test shold.test inactive.test \
	redemption.test pdelete.test prestore.test ptransfer.test exp5.test exp20.test expired.test \
	unlocked.test
finding "client hold CRITICAL" status CRITICAL hold.test "client hold"
finding "server hold CRITICAL" status CRITICAL shold.test "server hold"
finding "inactive CRITICAL" status CRITICAL inactive.test "inactive"
finding "redemption period CRITICAL" status CRITICAL redemption.test "redemption period"
finding "redemption: expired CRITICAL" expiry CRITICAL redemption.test "expired"
finding "pending delete CRITICAL" status CRITICAL pdelete.test "pending delete"
finding "pending restore CRITICAL" status CRITICAL prestore.test "pending restore"
finding "pending transfer WARNING" pending WARNING ptransfer.test "pending transfer"
finding "expires in 5 days CRITICAL" expiry CRITICAL exp5.test "< 7"
finding "expires in 20 days WARNING" expiry WARNING exp20.test "< 30"
finding "expired CRITICAL" expiry CRITICAL expired.test "expired on"
finding "no locks: registrar lock WARNING" registrar-lock WARNING unlocked.test
finding "no locks: registry lock INFO" registry-lock INFO unlocked.test
hf audit "${AUDIT_RES[@]}" --rdap-bootstrap "$BOOT" --store "$STORE" hold.test exp20.test locked.test
out_check "human: the worst domain comes first" "^CRITICAL +hold\\.test"
out_check "human: its worst finding first" "^  CRITICAL status +client hold"
out_check "human: summary line" "^CRITICAL: 3 domains; "

# --- broken answers: reported as such (UNKNOWN), never as no problem.
audit_run 3 "broken RDAP answers" notfound.test err500.test badjson.test wrongtype.test \
	huge.test notdomain.test limited.test other.test
finding "404 UNKNOWN not-found" rdap UNKNOWN notfound.test "not-found \\(HTTP 404\\)"
finding "500 UNKNOWN server-error" rdap UNKNOWN err500.test "server-error \\(HTTP 500\\)"
finding "invalid JSON UNKNOWN malformed" rdap UNKNOWN badjson.test "malformed.*invalid JSON"
finding "wrong content type UNKNOWN" rdap UNKNOWN wrongtype.test "content-type.*text/html"
finding "huge body UNKNOWN too-large" rdap UNKNOWN huge.test "too-large"
finding "an entity instead of a domain UNKNOWN" rdap UNKNOWN notdomain.test "objectClassName"
finding "429 to the end UNKNOWN rate-limited" rdap UNKNOWN limited.test "rate-limited.*Retry-After"
finding "an answer about another domain UNKNOWN" rdap UNKNOWN other.test "someone-else.test"
json_check "broken answers: no status/lock/expiry verdicts for them" \
	'not any(f["check"] in ("status","expiry","registrar-lock","registry-lock") and f["domain"] in
	     ("notfound.test","err500.test","badjson.test","wrongtype.test","huge.test","notdomain.test","limited.test","other.test") for f in js)'
check "429: retried, then given up (1 + 3 retries)" \
	test "$(audit_rdap_requests '^GET /rdap/domain/limited.test 429')" -eq 4

# --- issue 14: each part of an answer read on its own; a hold never hidden.
audit_run 2 "Nominet-shaped hold without objectClassName" nominet.test
finding "Nominet: CRITICAL naming all four statuses" status CRITICAL nominet.test \
	"client hold, server hold, redemption period, pending delete"
json_check "Nominet: the answer is not refused (no rdap UNKNOWN)" \
	'not any(f["domain"] == "nominet.test" and f["check"] == "rdap" and f["severity"] != "OK" for f in js)'
audit_run 3 "half-valid answer: an impossible expiration date" halfvalid.test
finding "half-valid: expiry UNKNOWN naming the part and the date" expiry UNKNOWN halfvalid.test \
	'part .events. of the RDAP answer unreadable.*2027-02-30'
finding "half-valid: the statuses still read" status OK halfvalid.test "client transfer prohibited"
finding "half-valid: the locks still judged" registry-lock OK halfvalid.test
finding "half-valid: the summary names the part" rdap OK halfvalid.test "parts unreadable: events"
json_check "half-valid: not reported as a failed lookup, no 'no expiration published'" \
	'not any(f["domain"] == "halfvalid.test" and (f["check"] == "rdap" and f["severity"] == "UNKNOWN" or f["severity"] == "INFO" and f["check"] == "expiry") for f in js)'
audit_run 2 "a hold beside an impossible date" holdbad.test
finding "hold beside a bad part: CRITICAL" status CRITICAL holdbad.test "client hold"
finding "hold beside a bad part: the part UNKNOWN beside it" expiry UNKNOWN holdbad.test "2027-02-30"
audit_run 1 "only unknown status values" unknownst.test
finding "unknown statuses: WARNING naming them" status WARNING unknownst.test \
	"frozen, awaiting verification"
audit_run 2 "status codes followed by EPP URLs" eppurl.test
finding "EPP URLs: client hold CRITICAL" status CRITICAL eppurl.test "client hold"
finding "EPP URLs: the registrar lock read" registrar-lock OK eppurl.test
audit_run 0 "generic lock values" generic.test
finding "generic locks: a registrar lock" registrar-lock OK generic.test "generic RDAP values"
audit_run 0 "thin answer with an untyped related link" thinuntyped.test
finding "untyped referral followed" rdap OK thinuntyped.test \
	"completed from the registrar's RDAP server http://127.0.0.1:[0-9]+/registrar/domain/thinuntyped.test"
finding "untyped referral: expiry from the registrar" expiry OK thinuntyped.test "in 200 days"
audit_run 0 "dsData alone: first audit, signed by delegationSigned" dsonly.test
audit_rdap_fixture dsonly.test dnssec-dsdata-only
audit_run 0 "dsData alone: the next audit" dsonly.test
json_check "dsData alone: no 'DNSSEC changed'" \
	'not any(f["domain"] == "dsonly.test" and f["check"] == "changed" for f in js)'
all=$(audit_rdap_requests '^GET /(rdap|registrar)/domain/')
asked=$(audit_rdap_requests '^GET /(rdap|registrar)/domain/[^ ]+ [0-9]+ accept=application/rdap\+json')
check "every RDAP request asks for application/rdap+json ($asked of $all)" \
	test "$all" -gt 0 -a "$asked" -eq "$all"

# --- 429 with Retry-After: 1, once: honoured, then the answer is used.
audit_run 0 "429 once, Retry-After honoured" slow429.test
finding "429 once: the retry's answer is used" status OK slow429.test
check "429 once: exactly one 429 and one 200" \
	test "$(audit_rdap_requests '^GET /rdap/domain/slow429.test 429')" -eq 1 -a \
	"$(audit_rdap_requests '^GET /rdap/domain/slow429.test 200')" -eq 1

# --- a TLD without RDAP service: INFO, the rest still checked.
audit_run 0 "TLD without RDAP service" noservice.example
finding "no RDAP service INFO" rdap INFO noservice.example "no RDAP service for .example"
finding "no RDAP service: DNS still checked" delegation OK noservice.example

# --- IDN: asked as an A-label.
audit_run 0 "IDN on the command line" "www.bücher.test"
finding "IDN: the domain is the A-label" status OK xn--bcher-kva.test
check "IDN: RDAP was asked for the A-label" \
	test "$(audit_rdap_requests '^GET /rdap/domain/xn--bcher-kva.test 200')" -ge 1

# --- the bootstrap from a file; then from a failing URL with a fresh cache.
hf_expect "bootstrap from a file: exit 0" 0 audit --json "${AUDIT_RES[@]}" \
	--rdap-bootstrap "$LAB/rdap/bootstrap/dns.json" --store "$LAB/store2" locked.test
finding "bootstrap from a file: RDAP answered" status OK locked.test
before=$(audit_rdap_requests '^GET /bootstrap/')
printf '{"status": 500}\n' >"$LAB/rdap/bootstrap/dns.json.meta"
audit_run 0 "bootstrap URL failing, cache fresh" locked.test
check "cached bootstrap used without asking again" \
	test "$(audit_rdap_requests '^GET /bootstrap/')" -eq "$before"
hf_expect "bootstrap URL failing, no cache: exit 3" 3 audit --json "${AUDIT_RES[@]}" \
	--rdap-bootstrap "$BOOT" --store "$LAB/store3" locked.test
finding "no bootstrap: RDAP UNKNOWN, says why" rdap UNKNOWN locked.test "no RDAP bootstrap"
rm -f "$LAB/rdap/bootstrap/dns.json.meta"

# --- at most 4 requests at a time to one server, and truly concurrent.
mkdir -p "$LAB/rdap/rdap/domain"
cp "$AUDIT_FIXTURES/gtld-locked.json" "$LAB/rdap/rdap/domain/_default"
printf '{"delay_ms": 300}\n' >"$LAB/rdap/rdap/domain/_default.meta"
many=()
for i in $(seq 1 12); do
	many+=("many$i.test")
done
: >"$LAB/logs/rdap.log"
hf audit --json "${AUDIT_RES[@]}" --rdap-bootstrap "$BOOT" --store "$STORE" "${many[@]}"
max=$(grep -E '^GET /rdap/domain/many' "$LAB/logs/rdap.log" | sed 's/.*inflight=//' | sort -n | tail -1)
check "per-server bound: at most 4 RDAP requests at once (saw ${max:-none})" test "${max:-99}" -le 4
check "concurrent: more than one RDAP request at once (saw ${max:-none})" test "${max:-0}" -ge 2
check "all 12 domains were asked" test "$(audit_rdap_requests '^GET /rdap/domain/many')" -eq 12
rm -f "$LAB/rdap/rdap/domain/_default" "$LAB/rdap/rdap/domain/_default.meta"

# --- changes since the last audit (state in the store).
audit_run 0 "state: first audit of locked.test" locked.test
check "state file written" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
e = s["domains"]["locked.test"]
sys.exit(0 if e["registrar_iana_id"] == 292 and len(e["locks"]) == 6 and e["dnssec"] is True else 1)
' "$STORE/audit/state.json"
audit_rdap_fixture locked.test gtld-moved
audit_run 1 "state: registrar, nameservers, DNSSEC and locks changed" locked.test
finding "changed: registrar" changed WARNING locked.test "registrar changed.*IANA 292.*IANA 9999"
finding "changed: nameservers" changed WARNING locked.test "nameservers changed.*ns1.elsewhere.lab"
finding "changed: DNSSEC" changed WARNING locked.test "DNSSEC changed.*signed -> unsigned"
finding "changed: lock flags" changed WARNING locked.test "lock flags changed"
audit_run 0 "state: the next audit compares with the new state" locked.test
json_check "state: no change reported the second time" \
	'not any(f["check"] == "changed" for f in js)'

lab_finish
