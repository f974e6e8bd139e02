#!/usr/bin/env bash
# acme_challenges.sh -- the other ways holdfast publishes a challenge, against
# a real Pebble that validates for real (no PEBBLE_VA_ALWAYS_VALID;
# PEBBLE_AUTHZREUSE=0, so every order is validated again):
#
# - webroot: holdfast writes WEBROOT/.well-known/acme-challenge/TOKEN and a
#   real nginx on 127.0.0.1:5002 (Pebble's httpPort) serves that directory;
#   holdfast itself listens nowhere. Afterwards no challenge file is left.
# - dns-01: holdfast runs the configured dns_hook (`HOOK add
#   _acme-challenge.NAME VALUE`, later `HOOK remove ...`). The hook written
#   here has the lab's dnsmasq (which Pebble validates through) answer the
#   TXT record (lab_dns_txt_request; holdfast runs through hf_dns_serving)
#   and logs its argv, so the calls and their order are checked.
# - dns-01 with a hook that fails on add: exit 2, error=challenge, nothing
#   sent to the CA for that name, the placeholder stays, the other
#   certificates are not touched, the CA's circuit breaker stays closed.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
lab_pebble primary 14000 15000 PEBBLE_AUTHZREUSE=0 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
DIR_URL=$(lab_pebble_url primary)
PEBBLE_LOG=$LAB/pebble-primary/pebble.log
WWW=$LAB/www
ACME_DIR=$WWW/.well-known/acme-challenge
lab_nginx_webroot 5002 "$WWW" || { not_ok "lab: nginx webroot" "did not start"; lab_finish; }
NGINX_LOG=$LAB/nginx-5002/access.log

# The dns_hook: log argv ("ARGC ARG..."), then have the lab DNS add or
# remove the record. Paths are baked in: holdfast passes its environment on,
# but the hook should not depend on that.
HOOK=$LAB/hook.sh
HOOK_LOG=$LAB/hook.log
cat >"$HOOK" <<EOF
#!/bin/bash
{ printf '%s' "\$#"; printf ' %s' "\$@"; echo; } >>$(printf %q "$HOOK_LOG")
LAB=$(printf %q "$LAB")
. $(printf %q "$LAB_LIB_DIR/lib.sh")
. $(printf %q "$LAB_LIB_DIR/acme.sh")
[ \$# -eq 3 ] || exit 64
case \$1 in add | remove) ;; *) exit 64 ;; esac
lab_dns_txt_request "\$1" "\$2" "\$3"
EOF
# A hook whose DNS provider refuses: add fails (exit 1), remove succeeds.
FAILHOOK=$LAB/hook-fail.sh
FAILHOOK_LOG=$LAB/hook-fail.log
cat >"$FAILHOOK" <<EOF
#!/bin/bash
{ printf '%s' "\$#"; printf ' %s' "\$@"; echo; } >>$(printf %q "$FAILHOOK_LOG")
[ "\${1:-}" = add ] && exit 1
exit 0
EOF
chmod 755 "$HOOK" "$FAILHOOK"
: >"$HOOK_LOG"
: >"$FAILHOOK_LOG"

CONF=$LAB/holdfast.conf
lab_acme_conf "$CONF" \
	"[ca primary]" directory="$DIR_URL" \
	"[certificate web]" names="web.test www.web.test" cas=primary webroot="$WWW" http_listen= \
	"[certificate dns]" names="dns.test www.dns.test" cas=primary challenge=dns-01 \
	dns_hook="$HOOK" http_listen= \
	"[certificate broken]" names="broken.test" cas=primary challenge=dns-01 \
	dns_hook="$FAILHOOK" http_listen= \
	"[certificate ip]" names="127.0.0.1 ip.test" cas=primary webroot="$WWW" http_listen=

# check_issued NAME NAMES...: the stored certificate NAME is a Pebble
# certificate for exactly NAMES, and meta.json says so.
check_issued() {
	local name=$1 d want
	shift
	d=$(acme_cert_dir "$name")
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//')
	check "$name: chain verifies to the Pebble root with its intermediate" acme_verify "$name" primary
	check "$name: names are $want" test "$(acme_names "$d/cert.pem")" = "$want"
	check "$name: privkey.pem is the key of cert.pem" acme_key_matches "$name"
	check "$name: meta.json: issued by primary, not a placeholder, no error" \
		acme_meta "$name" "m['placeholder'] is False and m['ca'] == 'primary'
			and m['serial'].upper() == x509['serial'].upper() and m['last_error'] is None"
}

# --- webroot: the file is served by nginx from $WWW, then removed.
hf_expect "webroot: issue web: exit 0" 0 issue -c "$CONF" --json -v web
json_check "webroot: JSON says issued by primary" \
	"len(js) == 1 and j['cert'] == 'web' and j['action'] == 'issued' and j['ca'] == 'primary'
	 and j['exit'] == 0 and j['result'] == 'OK'"
check_issued web web.test www.web.test
check "webroot: Pebble validated http-01 for both names on port 5002" \
	test "$(grep -cE 'Attempting to validate w/ HTTP: http://(www\.)?web\.test:5002/\.well-known/acme-challenge/' \
		"$PEBBLE_LOG")" -ge 2
check "webroot: nginx served the tokens from the webroot (200)" \
	test "$(grep -cE '^GET /\.well-known/acme-challenge/[A-Za-z0-9_-]+ HTTP/1\.[01] 200$' "$NGINX_LOG")" -ge 2
check "webroot: nginx answered no challenge request with an error" \
	lab_not grep -qE '^GET /\.well-known/acme-challenge/.* [45][0-9][0-9]$' "$NGINX_LOG"
check "webroot: holdfast did not start its own http-01 responder" \
	lab_not grep -q 'event=http01_listening' "$HF_ERR"
# dir_empty_or_absent DIR: the directory may remain, but empty.
# shellcheck disable=SC2317 # called through check
dir_empty_or_absent() {
	[ ! -e "$1" ] || { [ -d "$1" ] && [ -z "$(find "$1" -mindepth 1 2>&1)" ]; }
}
check "webroot: no challenge file left under .well-known/acme-challenge/" \
	dir_empty_or_absent "$ACME_DIR"
check "webroot: nothing else left in the webroot" \
	test -z "$(find "$WWW" -mindepth 1 ! -path "$WWW/.well-known" ! -path "$ACME_DIR" 2>&1)"
if [ -n "$(find "$ACME_DIR" -mindepth 1 2>/dev/null)" ]; then
	find "$ACME_DIR" -mindepth 1 -printf '#   left: %p\n'
fi

# --- an IP address identifier (RFC 8738): "type": "ip" in the order, http-01
# validated by Pebble at the address itself, an iPAddress SAN, no CN.
hf_expect "ip: issue ip: exit 0" 0 issue -c "$CONF" --json -v ip
json_check "ip: JSON says issued by primary" "j['cert'] == 'ip' and j['action'] == 'issued'"
check "ip: Pebble validated http-01 at http://127.0.0.1:5002/" \
	grep -qE 'Attempting to validate w/ HTTP: http://127\.0\.0\.1:5002/\.well-known/acme-challenge/' "$PEBBLE_LOG"
check "ip: the certificate has the iPAddress SAN and the DNS name" \
	python3 - "$(acme_cert_dir ip)/cert.pem" <<-'EOF'
		import subprocess, sys
		out = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-ext", "subjectAltName"],
		                     capture_output=True, text=True, check=True).stdout
		print(out)
		sans = sorted(s.strip() for s in out.splitlines()[1].split(","))
		assert sans == ["DNS:ip.test", "IP Address:127.0.0.1"], sans
	EOF
check "ip: meta.json names keep the address" acme_meta ip "m['names'] == ['127.0.0.1', 'ip.test']"

# --- dns-01: the hook adds the TXT record, Pebble looks it up, the hook
# removes it.
valid_before=$(grep -cE 'authz .* set VALID by completed challenge' "$PEBBLE_LOG")
hf_dns_serving issue -c "$CONF" --json -v dns
if [ "$HF_RC" -eq 0 ]; then
	ok "dns-01: issue dns: exit 0"
else
	not_ok "dns-01: issue dns: exit 0" "holdfast exit $HF_RC"
	hf_dump
	diag "$LAB/dns/requests.log" "  dns requests: "
	diag "$HOOK_LOG" "  hook: "
fi
json_check "dns-01: JSON says issued by primary" \
	"len(js) == 1 and j['cert'] == 'dns' and j['action'] == 'issued' and j['ca'] == 'primary'
	 and j['exit'] == 0 and j['result'] == 'OK'"
check_issued dns dns.test www.dns.test
check "dns-01: hook called add then remove for each name with a 43-character base64url value" \
	python3 - "$HOOK_LOG" dns.test www.dns.test <<-'EOF'
		import re, sys
		calls = [l.split(" ") for l in open(sys.argv[1]).read().splitlines()]
		print("calls:", calls)
		assert all(len(c) == 4 and c[0] == "3" for c in calls), "not 3 arguments each"
		assert len(calls) == 2 * len(sys.argv[2:]), "one add and one remove per name"
		for name in sys.argv[2:]:
		    rec = "_acme-challenge." + name
		    adds = [i for i, c in enumerate(calls) if c[1:3] == ["add", rec]]
		    rms = [i for i, c in enumerate(calls) if c[1:3] == ["remove", rec]]
		    assert len(adds) == 1 and len(rms) == 1, rec + ": not one add and one remove"
		    assert adds[0] < rms[0], rec + ": remove before add"
		    v = calls[adds[0]][3]
		    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", v), rec + ": value " + v
		    assert calls[rms[0]][3] == v, rec + ": remove with another value"
	EOF
check "dns-01: every hook request to the lab DNS succeeded" \
	test "$(grep -c ' -> ok$' "$LAB/dns/requests.log")" -eq 4 -a \
	"$(grep -c ' -> fail$' "$LAB/dns/requests.log")" -eq 0
for n in dns.test www.dns.test; do
	# lab_dns_txt's own check after the add is one answer; Pebble's are the rest.
	check "dns-01: Pebble got the TXT record of _acme-challenge.$n from the lab DNS" \
		test "$(grep -c "config _acme-challenge\.$n is <TXT>" "$LAB/dns/queries.log")" -ge 2
	check "dns-01: Pebble ran a validation for $n" grep -q "Value:\"$n\"" "$PEBBLE_LOG"
	check "dns-01: the TXT record of $n is gone afterwards" \
		test -z "$(lab_dns_txt_values "_acme-challenge.$n")"
done
check "dns-01: no txt-record left in the lab DNS configuration" \
	lab_not grep -q '^txt-record=' "$LAB/dns/overrides.conf"
check "dns-01: Pebble validated both authorizations" \
	test "$(grep -cE 'authz .* set VALID by completed challenge' "$PEBBLE_LOG")" -eq $((valid_before + 2))
check "dns-01: holdfast did not start an http-01 responder" \
	lab_not grep -q 'event=http01_listening' "$HF_ERR"

# --- dns-01, the hook fails on add: every certificate in one run; web and
# dns are not due, broken fails.
web_sums=$(acme_sums web)
dns_sums=$(acme_sums dns)
hf_dns_serving issue -c "$CONF" --json -v
if [ "$HF_RC" -eq 2 ]; then
	ok "hook fails: issue (all): exit 2"
else
	not_ok "hook fails: issue (all): exit 2" "holdfast exit $HF_RC"
	hf_dump
fi
json_check "hook fails: broken failed with error=challenge at primary" \
	"[o for o in js if o['cert'] == 'broken'] and all(
	   o['action'] == 'failed' and o['exit'] == 2 and o['result'] == 'CRITICAL'
	   and o['attempts'] and all(a['error'] == 'challenge' for a in o['attempts'])
	   and o['attempts'][0]['ca'] == 'primary'
	   for o in js if o['cert'] == 'broken')"
json_check "hook fails: web, dns and ip skipped (not due)" \
	"sorted(o['cert'] for o in js) == ['broken', 'dns', 'ip', 'web'] and all(
	   o['action'] == 'skipped' and o['exit'] == 0 for o in js if o['cert'] != 'broken')"
err_kv "hook fails: dns_hook_failed logged for add" event=dns_hook_failed action=add \
	record=_acme-challenge.broken.test status=1
err_kv "hook fails: acme_endpoint_failed logged with error=challenge" \
	event=acme_endpoint_failed cert=broken ca=primary error=challenge
check "hook fails: the failing hook was called with add _acme-challenge.broken.test VALUE" \
	grep -qE '^3 add _acme-challenge\.broken\.test [A-Za-z0-9_-]{43}$' "$FAILHOOK_LOG"
diag "$FAILHOOK_LOG" "  failing hook calls: "
check "hook fails: the CA was not asked to validate broken.test" \
	lab_not grep -q 'Value:"broken.test"' "$PEBBLE_LOG"
BROKEN=$(acme_cert_dir broken)
check "hook fails: meta.json placeholder=true, no CA, an error recorded" \
	acme_meta broken "m['placeholder'] is True and m['ca'] is None and m['last_error']"
check "hook fails: cert.pem is the self-signed placeholder" \
	grep -q 'O *= *holdfast TEMPORARY placeholder - not issued by a CA' \
	<(openssl x509 -in "$BROKEN/cert.pem" -noout -subject 2>&1)
check "hook fails: web not replaced" test "$(acme_sums web)" = "$web_sums"
check "hook fails: dns not replaced" test "$(acme_sums dns)" = "$dns_sums"
check "hook fails: the CA's circuit breaker stays closed (a challenge failure is no outage)" \
	python3 -c "
import json, sys
e = json.load(open('$LAB/store/state/endpoints.json')).get('primary')
sys.exit(0 if e is None or (e['state'] == 'up' and e['failures'] == 0) else 1)"

# --- again: the same placeholder is kept (not re-made), the others untouched.
broken_sums=$(acme_sums broken)
hf_dns_serving issue -c "$CONF" --json broken
if [ "$HF_RC" -eq 2 ]; then
	ok "hook fails again: issue broken: exit 2"
else
	not_ok "hook fails again: issue broken: exit 2" "holdfast exit $HF_RC"
	hf_dump
fi
json_check "hook fails again: error=challenge" \
	"len(js) == 1 and j['action'] == 'failed' and j['attempts'][0]['error'] == 'challenge'"
check "hook fails again: the placeholder's files are unchanged" test "$(acme_sums broken)" = "$broken_sums"
check "hook fails again: still placeholder=true" acme_meta broken "m['placeholder'] is True"
check "hook fails again: web and dns not replaced" \
	test "$(acme_sums web)$(acme_sums dns)" = "$web_sums$dns_sums"

lab_finish
