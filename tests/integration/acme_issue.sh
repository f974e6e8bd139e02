#!/usr/bin/env bash
# acme_issue.sh -- `holdfast issue` and `holdfast revoke` against a real
# Pebble that validates http-01 for real: Pebble resolves the names through
# the lab DNS (every *.test is 127.0.0.1) and fetches the token from
# holdfast's built-in responder on 127.0.0.1:5002. PEBBLE_AUTHZREUSE=0 makes
# every order validate again; PEBBLE_WFE_NONCEREJECT=20 rejects a fifth of the
# nonces, so holdfast's badNonce retry runs many times in every run. (At 50 %
# a CI run saw one request refused 11 times in a row: holdfast retries 10
# times, so the issuance failed; at 20 % that is about 2e-8 per request.)
#
# Checked: exit codes; cert/chain/fullchain/privkey (0600) in the store; the
# chain verifies to the Pebble root (fetched from its management port) with
# its intermediate; names and key type as configured; meta.json; the account
# is created once and reused; several certificates in one run; `issue`
# without --force skips what is not due; revoke (Pebble then says Revoked);
# a certificate with 100 names given on one long line.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
lab_pebble primary 14000 15000 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=20 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
DIR_URL=$(lab_pebble_url primary)
export DIR_URL
CONF=$LAB/holdfast.conf
lab_acme_conf "$CONF" \
	"[ca primary]" directory="$DIR_URL" \
	"[certificate ec]" names="ec.test www.ec.test" cas=primary key=ec-p256 \
	"[certificate rsa]" names="rsa.test" cas=primary key=rsa-2048 \
	"[certificate multi]" names="a.multi.test b.multi.test c.multi.test" cas=primary key=ec-p256

# check_issued NAME KEY NAMES...: the stored certificate NAME is a Pebble
# certificate for exactly NAMES with a KEY key, and meta.json agrees.
check_issued() {
	local name=$1 key=$2 d want
	shift 2
	d=$(acme_cert_dir "$name")
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//')
	check "$name: chain verifies to the Pebble root with its intermediate" acme_verify "$name" primary
	check "$name: privkey.pem is 0600" test "$(acme_mode "$d/privkey.pem")" = 600
	check "$name: privkey.pem is the key of cert.pem" acme_key_matches "$name"
	check "$name: names are $want" test "$(acme_names "$d/cert.pem")" = "$want"
	check "$name: key type $key (certificate)" test "$(acme_key_type "$d/cert.pem")" = "$key"
	check "$name: key type $key (privkey.pem)" test "$(acme_key_type "$d/privkey.pem")" = "$key"
	NAMES_JSON=$(printf '%s\n' "$@" | python3 -c 'import json,sys; print(json.dumps(sorted(sys.stdin.read().split())))') \
		check "$name: meta.json (ca, directory, serial, dates, names, key, no error)" \
		acme_meta "$name" "m['placeholder'] is False and m['ca'] == 'primary'
			and m['directory'] == '$DIR_URL'
			and m['serial'].upper() == x509['serial'].upper()
			and ts(m['not_after']) == x509['not_after'] and ts(m['not_before']) == x509['not_before']
			and sorted(m['names']) == __import__('json').loads(__import__('os').environ['NAMES_JSON'])
			and m['key'] == '$key' and m['last_error'] is None and m['name'] == '$name'"
}

# --- several certificates in one run, every challenge validated by Pebble.
hf_expect "issue (all three): exit 0" 0 issue -c "$CONF" --json -v -v
json_check "issue: one JSON line per certificate, each issued by primary" \
	"sorted(o['cert'] for o in js) == ['ec', 'multi', 'rsa']
	 and all(o['action'] == 'issued' and o['ca'] == 'primary' and o['exit'] == 0
	         and o['result'] == 'OK' for o in js)"
json_check "issue: JSON serial and not_after match the stored certificate" \
	"all(o['serial'] and o['not_after'] and o['renew_at'] for o in js)"
for c in ec rsa multi; do
	err_kv "issue: certificate_issued logged for $c" event=certificate_issued cert=$c ca=primary \
		serial="$(acme_serial $c)"
done
err_check "issue: badNonce answers were retried (PEBBLE_WFE_NONCEREJECT=20)" 'event=acme_bad_nonce '
check "issue: Pebble validated http-01 against holdfast's responder" \
	grep -q 'Attempting to validate w/ HTTP: http://rsa.test:5002/.well-known/acme-challenge/' \
	"$LAB/pebble-primary/pebble.log"
check "issue: every authorization was validated (no authz reuse)" \
	test "$(grep -c 'set VALID by completed challenge' "$LAB/pebble-primary/pebble.log")" -ge 5
check_issued ec ec-p256 ec.test www.ec.test
check_issued rsa rsa-2048 rsa.test
check_issued multi ec-p256 a.multi.test b.multi.test c.multi.test

# --- the account: created once, key kept 0600.
ACC=$LAB/store/accounts/primary
check "account: account.key is 0600" test "$(acme_mode "$ACC/account.key")" = 600
check "account: account.json names the directory and a kid" python3 -c "
import json, sys
a = json.load(open('$ACC/account.json'))
sys.exit(0 if a['directory'] == '$DIR_URL' and a['kid'].startswith('https://127.0.0.1:14000/') else 1)"
acc_key=$(sha256sum <"$ACC/account.key")
acc_json=$(cat "$ACC/account.json")
check "account: Pebble has exactly one account" \
	grep -q 'There are now 1 accounts in memory' "$LAB/pebble-primary/pebble.log"

# --- issue again (--force): the same account, a new certificate.
old_serial=$(acme_serial ec)
hf_expect "issue --force ec: exit 0" 0 issue -c "$CONF" --force ec
check "issue --force: a new serial" test "$(acme_serial ec)" != "$old_serial"
check "issue --force: account.key reused" test "$(sha256sum <"$ACC/account.key")" = "$acc_key"
check "issue --force: account.json unchanged (same kid)" test "$(cat "$ACC/account.json")" = "$acc_json"
check "issue --force: Pebble still has one account" \
	lab_not grep -q 'There are now 2 accounts in memory' "$LAB/pebble-primary/pebble.log"
check_issued ec ec-p256 ec.test www.ec.test

# --- not due: `issue` without --force leaves everything alone.
before=$(acme_sums rsa)
hf_expect "issue (not due): exit 0" 0 issue -c "$CONF" --json rsa
json_check "issue (not due): action skipped" "j['cert'] == 'rsa' and j['action'] == 'skipped'"
check "issue (not due): files unchanged" test "$(acme_sums rsa)" = "$before"

# --- revoke.
serial=$(acme_serial rsa)
check "revoke: Pebble says Valid before" test "$(lab_pebble_cert_status primary "$serial")" = Valid
hf_expect "revoke rsa: exit 0" 0 revoke -c "$CONF" -v rsa
check "revoke: Pebble says Revoked" test "$(lab_pebble_cert_status primary "$serial")" = Revoked
err_check "revoke: certificate_revoked logged" "event=certificate_revoked .*cert=rsa"
check "revoke: the other certificates stay valid" \
	test "$(lab_pebble_cert_status primary "$(acme_serial multi)")" = Valid
serial=$(acme_serial multi)
hf_expect "revoke --reason 4 multi: exit 0" 0 revoke -c "$CONF" --reason 4 multi
check "revoke --reason 4: Pebble says Revoked" test "$(lab_pebble_cert_status primary "$serial")" = Revoked
check "revoke --reason 4: Pebble recorded reason 4 (superseded)" \
	test "$(lab_pebble_cert_status primary "$serial" Reason)" = 4
hf_expect "revoke an unknown certificate name: exit 3" 3 revoke -c "$CONF" nosuch

# --- 100 names (the most an ACME order may carry) on one line of ~2 KiB:
#     Debian's libinih reads 199 bytes a line; conf must take it whole.
mapfile -t HUNDRED < <(seq -f "host%03g.hundred.test" 0 99)
lab_acme_conf "$LAB/hundred.conf" \
	"[ca primary]" directory="$DIR_URL" \
	"[certificate hundred]" names="${HUNDRED[*]}" cas=primary key=ec-p256
check "hundred: the names line is longer than libinih's 199 bytes" \
	test "$(grep -m1 '^names' "$LAB/hundred.conf" | wc -c)" -gt 1000
hf_expect "issue 100 names: exit 0" 0 issue -c "$LAB/hundred.conf" --json
check_issued hundred ec-p256 "${HUNDRED[@]}"

lab_finish
