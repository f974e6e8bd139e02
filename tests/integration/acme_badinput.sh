#!/usr/bin/env bash
# acme_badinput.sh -- a CA that answers, but wrongly. Every case fails with a
# clear error (exit 2, acme_endpoint_failed with the right error=, the
# reason in meta.json's last_error) and leaves the certificate a web server
# reads untouched: cert.pem, chain.pem, fullchain.pem and privkey.pem have
# the same sha256 before and after.
#
# Cases: a directory that is not JSON (an HTML page), a JSON error document
# (403 application/problem+json), an oversized directory (2 MiB), an order
# that goes invalid (real Pebble validation of a name that does not
# resolve), a newOrder refused with an error document, and the certificate
# download corrupted by acme_proxy.py in front of a real Pebble: cut in the
# middle, only the leaf, 2 MiB of junk appended.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
# "good" skips validation; "strict" validates http-01 for real.
lab_pebble good 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble good" "did not start"; lab_finish; }
lab_pebble strict 14001 15001 PEBBLE_AUTHZREUSE=0 ||
	{ not_ok "lab: pebble strict" "did not start"; lab_finish; }
lab_acme_proxy corrupt 14100 "$(lab_pebble_url good)" ||
	{ not_ok "lab: acme proxy" "did not start"; lab_finish; }
lab_acme_nginx 14200 notjson || not_ok "lab: nginx notjson" "did not start"
lab_acme_nginx 14201 problem || not_ok "lab: nginx problem" "did not start"
lab_acme_nginx 14202 oversize || not_ok "lab: nginx oversize" "did not start"

# conf FILE CA_URL: certificate "site" (site.test) from one CA named "ca".
conf() {
	lab_acme_conf "$1" \
		"[ca ca]" directory="$2" \
		"[certificate site]" names="site.test" cas=ca key=ec-p256
}

conf "$LAB/good.conf" "$(lab_pebble_url good)"
hf_expect "setup: issue site from a good CA: exit 0" 0 issue -c "$LAB/good.conf" site
check "setup: site verifies" acme_verify site good
SERIAL=$(acme_serial site)
SUMS=$(acme_sums site)

# refused CASE URL ERROR [DETAIL_REGEX]: issue --force site from URL fails
# with ERROR; nothing replaced; the reason recorded.
refused() {
	local c=$1 url=$2 error=$3 detail=${4:-.}
	conf "$LAB/$c.conf" "$url"
	hf_expect "$c: exit 2" 2 issue -c "$LAB/$c.conf" --force --json -v site
	json_check "$c: JSON: failed, CRITICAL, attempt error=$error" \
		"j['action'] == 'failed' and j['exit'] == 2 and j['result'] == 'CRITICAL'
		 and [a['error'] for a in j['attempts']] == ['$error']"
	err_kv "$c: acme_endpoint_failed logged with error=$error" \
		event=acme_endpoint_failed cert=site ca=ca error="$error"
	err_check "$c: the log says why" "event=acme_endpoint_failed .*detail=\"[^\"]*($detail)"
	check "$c: cert, chain, fullchain, privkey unchanged (sha256)" test "$(acme_sums site)" = "$SUMS"
	check "$c: meta.json keeps the serial and records the error" \
		acme_meta site "m['serial'].upper() == '$SERIAL' and m['last_error']
			and m['last_error'].startswith('$error')"
	check "$c: the stored certificate still verifies" acme_verify site good
}

refused notjson "https://127.0.0.1:14200/dir" malformed
refused problem "https://127.0.0.1:14201/dir" acme-error "account locked|unauthorized"
refused oversize "https://127.0.0.1:14202/dir" too-large

# The certificate download corrupted on its way from a real Pebble (the
# order itself is valid: Pebble issued a certificate nobody must install).
PROXY=$(lab_acme_proxy_url corrupt)
lab_acme_proxy_fault corrupt truncate-chain
refused truncated "$PROXY" bad-chain
check "truncated: the proxy did cut a certificate download" \
	test -n "$(lab_proxy_requests corrupt "r.get('fault') == 'truncate-chain'")"
lab_acme_proxy_fault corrupt leaf-only
refused leafonly "$PROXY" bad-chain
lab_acme_proxy_fault corrupt oversize-chain
refused oversizechain "$PROXY" too-large
lab_acme_proxy_fault corrupt problem-order
refused problemorder "$PROXY" acme-error "refuses every order|unauthorized"
lab_acme_proxy_fault corrupt

# --- an order that goes invalid: Pebble validates for real and the name no
# longer resolves. First issue it while it does (real http-01).
lab_acme_conf "$LAB/strict.conf" store="$LAB/store-strict" \
	"[ca strict]" directory="$(lab_pebble_url strict)" \
	"[certificate gone]" names="gone.test" cas=strict
ACME_STORE=$LAB/store-strict
hf_expect "order invalid: setup: issue gone.test with real validation: exit 0" 0 \
	issue -c "$LAB/strict.conf" gone
check "order invalid: setup: gone verifies" acme_verify gone strict
SERIAL=$(acme_serial gone)
SUMS=$(acme_sums gone)
lab_dns_set gone.test nxdomain
hf_expect "order invalid: exit 2" 2 issue -c "$LAB/strict.conf" --force --json -v gone
json_check "order invalid: JSON: failed, attempt error=order-invalid" \
	"j['action'] == 'failed' and j['exit'] == 2 and [a['error'] for a in j['attempts']] == ['order-invalid']"
err_kv "order invalid: acme_endpoint_failed logged with error=order-invalid" \
	event=acme_endpoint_failed cert=gone ca=strict error=order-invalid
check "order invalid: Pebble did try to validate and failed" \
	grep -qE 'order .* set INVALID by invalid authz' "$LAB/pebble-strict/pebble.log"
check "order invalid: files unchanged (sha256)" test "$(acme_sums gone)" = "$SUMS"
check "order invalid: meta.json keeps the serial, records the error" \
	acme_meta gone "m['serial'].upper() == '$SERIAL' and (m['last_error'] or '').startswith('order-invalid')"
check "order invalid: the breaker stays closed (a refusal, not an outage)" python3 -c "
import json, sys
s = json.load(open('$LAB/store-strict/state/endpoints.json'))
sys.exit(0 if s['strict']['state'] == 'up' else 1)"
ACME_STORE=

lab_finish
