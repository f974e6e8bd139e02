#!/usr/bin/env bash
# acme_failover.sh -- failover across a certificate's `cas` when the primary
# CA is unreachable, as in the 2018 outage where the CA's API hostname
# stopped resolving. Two real Pebbles stand for primary and backup; the
# primary is reached by name (pebble-primary.test, through the lab DNS) so
# that the name can be made NXDOMAIN mid-test and restored.
#
# Cases: primary NXDOMAIN (a removed lab zone name, and a name under
# .invalid); refusing connections; accepting and never answering (short
# acme_timeout); answering 503 (nginx). Each one: issued via backup, exit 1,
# meta.json ca=backup, acme_endpoint_failed + acme_failover logged. Then the
# circuit breaker: the next run skips the primary while it is down; once
# its backoff has passed and the primary is back, `issue --force` uses the
# primary again (exit 0). Both down: a certificate never issued gets the
# placeholder (TEMPORARY subject, 7 days, meta placeholder=true), exit 2,
# kept on the next failure, replaced as soon as issuance succeeds.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble primary" "did not start"; lab_finish; }
lab_pebble backup 14001 15001 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble backup" "did not start"; lab_finish; }
PRIMARY=$(lab_pebble_url primary pebble-primary.test)
BACKUP=$(lab_pebble_url backup pebble-backup.test)
export PRIMARY BACKUP

# conf CASE PRIMARY_URL [KEY=VALUE...]: $LAB/CASE.conf with its own store
# ($LAB/store-CASE, so breakers do not leak between cases) and one
# certificate CASE (CASE.test) with cas = primary backup.
conf() {
	local c=$1 url=$2
	shift 2
	lab_acme_conf "$LAB/$c.conf" store="$LAB/store-$c" "$@" \
		"[ca primary]" directory="$url" \
		"[ca backup]" directory="$BACKUP" \
		"[certificate $c]" names="$c.test" cas="primary backup"
}

# served_by_backup CASE ERROR URL: the last run issued CASE via backup after
# the primary (directory URL) failed with ERROR.
served_by_backup() {
	local c=$1 error=$2 url=$3
	ACME_STORE=$LAB/store-$c
	json_check "$c: JSON: issued by backup, exit 1, WARNING" \
		"j['cert'] == '$c' and j['action'] == 'issued' and j['ca'] == 'backup'
		 and j['exit'] == 1 and j['result'] == 'WARNING'"
	json_check "$c: JSON: attempts name the primary with error=$error" \
		"[(a['ca'], a['error']) for a in j['attempts']][:1] == [('primary', '$error')]"
	json_check "$c: JSON: the failed attempt names the primary's directory URL" \
		"j['attempts'][0]['url'] == '$url' and j['attempts'][0]['detail']"
	err_kv "$c: acme_endpoint_failed logged (ca=primary error=$error url=$url)" \
		event=acme_endpoint_failed cert="$c" ca=primary error="$error" url="$url"
	err_kv "$c: acme_failover logged (from=primary to=backup)" \
		event=acme_failover cert="$c" from=primary to=backup
	check "$c: meta.json ca=backup with the backup's directory" \
		acme_meta "$c" "m['ca'] == 'backup' and m['directory'] == '$BACKUP'
			and m['placeholder'] is False and m['serial'].upper() == x509['serial'].upper()"
	check "$c: chain verifies to the backup Pebble's root" acme_verify "$c" backup
	check "$c: endpoints.json: primary down, backup up" python3 -c "
import json, sys
s = json.load(open('$LAB/store-$c/state/endpoints.json'))
sys.exit(0 if s['primary']['state'] == 'down' and s['primary']['failures'] >= 1
         and s['backup']['state'] == 'up' else 1)"
	ACME_STORE=
}

# --- primary's hostname removed from DNS (NXDOMAIN).
check "lab: pebble-primary.test resolves" lab_resolves pebble-primary.test
lab_dns_set pebble-primary.test nxdomain
check "lab: pebble-primary.test is now NXDOMAIN" lab_not lab_resolves pebble-primary.test
conf nxdomain "$PRIMARY"
hf_expect "nxdomain: exit 1 (served by backup)" 1 issue -c "$LAB/nxdomain.conf" --json -v nxdomain
served_by_backup nxdomain resolve "$PRIMARY"

# The breaker: while the primary's backoff runs, the next run skips it.
hf_expect "nxdomain: next run while primary is down: exit 1" 1 \
	issue -c "$LAB/nxdomain.conf" --force --json -v nxdomain
err_kv "nxdomain: primary skipped while down" event=acme_endpoint_skipped ca=primary
json_check "nxdomain: no new attempt on the primary while down" \
	"j['ca'] == 'backup' and all(a['ca'] != 'primary' for a in j['attempts'])"

# The backoff passes while the name is still gone: the half-open probe
# fails, the breaker opens again with a longer backoff.
STATE=$LAB/store-nxdomain/state/endpoints.json
check "lab: breaker aged" acme_breaker_age "$STATE" primary
hf_expect "half-open probe, primary still NXDOMAIN: exit 1" 1 \
	issue -c "$LAB/nxdomain.conf" --force --json -v nxdomain
json_check "half-open probe: the primary was tried once more" \
	"[(a['ca'], a['error']) for a in j['attempts']] == [('primary', 'resolve')] and j['ca'] == 'backup'"
check "half-open probe failed: primary down again, 2 failures, a longer backoff" python3 -c "
import calendar, json, sys, time
p = json.load(open('$STATE'))['primary']
left = calendar.timegm(time.strptime(p['down_until'], '%Y-%m-%dT%H:%M:%SZ')) - time.time()
sys.exit(0 if p['state'] == 'down' and p['failures'] == 2 and left > 0 else 1)"

# Recovery: the name resolves again and the backoff has passed (aged by
# hand, as time would): the half-open probe succeeds, primary preferred.
lab_dns_set pebble-primary.test default
check "lab: breaker aged" acme_breaker_age "$STATE" primary
hf_expect "recovered: issue --force uses primary again, exit 0" 0 \
	issue -c "$LAB/nxdomain.conf" --force --json -v nxdomain
ACME_STORE=$LAB/store-nxdomain
json_check "recovered: JSON: issued by primary, no failed attempt" \
	"j['action'] == 'issued' and j['ca'] == 'primary' and j['exit'] == 0 and not j['attempts']"
check "recovered: meta.json ca=primary" acme_meta nxdomain "m['ca'] == 'primary' and m['directory'] == '$PRIMARY'"
check "recovered: chain verifies to the primary Pebble's root" acme_verify nxdomain primary
check "recovered: endpoints.json: primary up, no failures" python3 -c "
import json, sys
s = json.load(open('$LAB/store-nxdomain/state/endpoints.json'))
sys.exit(0 if s['primary']['state'] == 'up' and s['primary']['failures'] == 0 else 1)"
ACME_STORE=

# --- a name under .invalid (RFC 6761: never resolves).
conf invalid "https://acme.invalid:14000/dir"
hf_expect "invalid: exit 1 (served by backup)" 1 issue -c "$LAB/invalid.conf" --json -v invalid
served_by_backup invalid resolve "https://acme.invalid:14000/dir"

# --- primary refuses connections (nothing listens on 14009).
conf refused "https://127.0.0.1:14009/dir"
hf_expect "refused: exit 1 (served by backup)" 1 issue -c "$LAB/refused.conf" --json -v refused
served_by_backup refused connect "https://127.0.0.1:14009/dir"

# --- primary accepts and never answers; acme_timeout shortened to 2s.
lab_blackhole 14008 || not_ok "lab: black hole" "did not start"
conf blackhole "https://127.0.0.1:14008/dir" acme_connect_timeout=1s acme_timeout=2s
hf_expect "blackhole: exit 1 (served by backup)" 1 issue -c "$LAB/blackhole.conf" --json -v blackhole
served_by_backup blackhole timeout "https://127.0.0.1:14008/dir"

# --- primary answers 503 for everything (nginx).
lab_acme_nginx 14007 503 || not_ok "lab: nginx 503" "did not start"
conf down503 "https://127.0.0.1:14007/dir"
hf_expect "503: exit 1 (served by backup)" 1 issue -c "$LAB/down503.conf" --json -v down503
served_by_backup down503 http-5xx "https://127.0.0.1:14007/dir"
check "503: nginx saw the directory request" grep -q '^GET /dir HTTP/1.1 503$' "$LAB/nginx-14007/access.log"

# --- both down, certificate never issued: the placeholder.
lab_dns_set pebble-primary.test nxdomain
lab_dns_set pebble-backup.test nxdomain
lab_acme_conf "$LAB/fresh.conf" store="$LAB/store-fresh" \
	"[ca primary]" directory="$PRIMARY" \
	"[ca backup]" directory="$BACKUP" \
	"[certificate fresh]" names="fresh.test www.fresh.test" cas="primary backup" key=ec-p256
ACME_STORE=$LAB/store-fresh
D=$(acme_cert_dir fresh)
hf_expect "both down, never issued: exit 2" 2 issue -c "$LAB/fresh.conf" --json -v fresh
json_check "both down: JSON: failed, CRITICAL, both CAs in attempts" \
	"j['exit'] == 2 and j['result'] == 'CRITICAL' and j['action'] in ('failed', 'placeholder')
	 and [(a['ca'], a['error']) for a in j['attempts']] == [('primary', 'resolve'), ('backup', 'resolve')]"
err_kv "both down: placeholder_installed logged" event=placeholder_installed cert=fresh
err_kv "both down: backup failure logged" event=acme_endpoint_failed cert=fresh ca=backup error=resolve
check "placeholder: cert.pem, chain.pem, fullchain.pem, privkey.pem exist" \
	test -s "$D/cert.pem" -a -e "$D/chain.pem" -a -s "$D/fullchain.pem" -a -s "$D/privkey.pem"
check "placeholder: privkey.pem is 0600" test "$(acme_mode "$D/privkey.pem")" = 600
check "placeholder: privkey.pem is the key of cert.pem" acme_key_matches fresh
subject=$(openssl x509 -in "$D/cert.pem" -noout -subject -nameopt multiline 2>&1)
check "placeholder: subject CN is the first name" \
	grep -qx ' *commonName *= fresh.test' <<<"$subject"
check "placeholder: subject O says TEMPORARY (the contract's exact words)" \
	grep -qx ' *organizationName *= holdfast TEMPORARY placeholder - not issued by a CA' <<<"$subject"
check "placeholder: self-signed (verifies against itself)" \
	openssl verify -CAfile "$D/cert.pem" -partial_chain "$D/cert.pem"
check "placeholder: all names as SANs" test "$(acme_names "$D/cert.pem")" = "fresh.test www.fresh.test"
check "placeholder: 7 days valid from about now" \
	acme_meta fresh "x509['not_after'] - x509['not_before'] in range(7 * 86400 - 3600, 7 * 86400 + 3601)
		and abs(x509['not_before'] - now) < 3600 + 60"
check "placeholder: meta.json placeholder=true, ca null, last_error set" \
	acme_meta fresh "m['placeholder'] is True and m['ca'] is None and m['last_error']
		and ts(m['not_after']) == x509['not_after']"
placeholder_sums=$(acme_sums fresh)

hf_expect "both down again: exit 2" 2 issue -c "$LAB/fresh.conf" --force -v fresh
check "both down again: placeholder kept (files unchanged)" test "$(acme_sums fresh)" = "$placeholder_sums"

# Both come back (names resolve, backoff passed): the placeholder is due
# and replaced by a real certificate without --force.
lab_dns_set pebble-primary.test default
lab_dns_set pebble-backup.test default
acme_breaker_age "$LAB/store-fresh/state/endpoints.json" primary
acme_breaker_age "$LAB/store-fresh/state/endpoints.json" backup
hf_expect "CAs back: issue replaces the placeholder, exit 0" 0 issue -c "$LAB/fresh.conf" --json -v fresh
json_check "CAs back: JSON: issued by primary" "j['action'] == 'issued' and j['ca'] == 'primary'"
check "CAs back: meta.json placeholder=false, ca=primary, no error" \
	acme_meta fresh "m['placeholder'] is False and m['ca'] == 'primary' and m['last_error'] is None"
check "CAs back: chain verifies to the primary Pebble's root" acme_verify fresh primary
check "CAs back: names kept" test "$(acme_names "$D/cert.pem")" = "fresh.test www.fresh.test"
check "CAs back: no TEMPORARY in the subject" \
	lab_not grep -q TEMPORARY <(openssl x509 -in "$D/cert.pem" -noout -subject)
ACME_STORE=

lab_finish
