#!/usr/bin/env bash
# acme_profiles.sh -- ACME certificate profiles (draft-aaron-acme-profiles).
#
# Debian's Pebble 2.4 has no profiles, so acme_proxy.py in front of a real
# Pebble adds meta.profiles to the directory (--profiles), refuses a
# newOrder naming a profile it does not list (invalidProfile) and logs every
# newOrder payload.  A second proxy without --profiles is a CA that offers
# none.  Checked: `profile = shortlived` is sent to a CA that lists it; a CA
# that does not is skipped when profile_required = yes (the default; the
# attempt says profile-not-offered and that CA gets no newOrder), and is
# asked without the profile, with a warning, when profile_required = no; no
# profile configured: no "profile" in any newOrder.
set -u
# shellcheck shell=bash
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
lab_acme_proxy prof 14100 "$(lab_pebble_url primary)" --profiles ||
	{ not_ok "lab: profiles proxy" "did not start"; lab_finish; }
lab_acme_proxy bare 14101 "$(lab_pebble_url primary)" ||
	{ not_ok "lab: plain proxy" "did not start"; lab_finish; }
lab_acme_proxy_profiles prof '{"classic": "90 days", "shortlived": "160 hours"}'
PROF=$(lab_acme_proxy_url prof)
BARE=$(lab_acme_proxy_url bare)
check "lab: the proxy's directory lists the profiles" \
	python3 -c 'import json,sys; assert set(json.load(sys.stdin)["meta"]["profiles"]) == {"classic", "shortlived"}' \
	< <(lab_acme_get "$PROF")

# orders PROXY CERTNAME: the newOrder payloads the proxy saw for that name,
# refused ones included (the lab's Pebble refuses half the nonces, so a
# newOrder may be sent again after badNonce).
orders() {
	lab_proxy_requests "$1" "r['method'] == 'POST' and isinstance(r.get('payload'), dict) and any(i.get('value') == '$2.test' for i in r['payload'].get('identifiers', []))"
}
# profiles PROXY CERTNAME: the "profile" of each newOrder the CA accepted
# (201), as a Python list.
profiles() {
	orders "$1" "$2" | python3 -c 'import json,sys; print([r["payload"].get("profile") for r in map(json.loads, sys.stdin) if r.get("status") == 201])'
}

# 1. Failover on a profile: "bare" (first in cas) offers none, so it is
#    skipped; "prof" gets the order with the profile.
lab_acme_conf "$LAB/short.conf" "[ca bare]" directory="$BARE" "[ca prof]" directory="$PROF" \
	"[certificate short]" names="short.test" cas="bare prof" profile=shortlived
hf_expect "required, first CA offers none: issued (exit 1: not by the first CA)" 1 \
	issue -c "$LAB/short.conf" --json short
json_check "required: issued by prof" "j['action'] == 'issued' and j['ca'] == 'prof'"
json_check "required: the skipped CA's attempt says profile-not-offered" \
	"[(a['ca'], a['error']) for a in j['attempts']] == [('bare', 'profile-not-offered')]"
check "required: the CA without profiles got no newOrder" test -z "$(orders bare short)"
check "required: newOrder at prof names the profile" \
	test "$(profiles prof short)" = "['shortlived']"

# 2. Required and offered by none: nothing is ordered, CRITICAL.
lab_acme_conf "$LAB/tls.conf" "[ca prof]" directory="$PROF" \
	"[certificate tls]" names="tls.test" cas=prof profile=tlsserver
hf_expect "required, offered by none: exit 2" 2 issue -c "$LAB/tls.conf" --json tls
json_check "offered by none: the attempt names the profile" \
	"j['attempts'][0]['error'] == 'profile-not-offered' and 'tlsserver' in j['attempts'][0]['detail']"
check "offered by none: no newOrder for it" test -z "$(orders prof tls)"

# 3. profile_required = no: ordered without it, with a warning.
lab_acme_conf "$LAB/soft.conf" "[ca prof]" directory="$PROF" \
	"[certificate soft]" names="soft.test" cas=prof profile=tlsserver profile_required=no
hf_expect "not required, not offered: issued, exit 0" 0 issue -c "$LAB/soft.conf" --json soft
check "not required: newOrder without a profile" \
	test "$(profiles prof soft)" = "[None]"
check "not required: warned" \
	grep -q 'event=acme_profile_not_offered cert=soft ca=prof profile=tlsserver' "$HF_ERR"

# 4. No profile configured: none sent, even to a CA that offers some.
lab_acme_conf "$LAB/none.conf" "[ca prof]" directory="$PROF" \
	"[certificate none]" names="none.test" cas=prof
hf_expect "no profile: issued, exit 0" 0 issue -c "$LAB/none.conf" --json none
check "no profile: newOrder without one" \
	test "$(profiles prof none)" = "[None]"

# 5. A CA that stops offering a profile: the next run reads its directory
#    again and skips it, rather than ordering what it would refuse.
lab_acme_conf "$LAB/gone.conf" "[ca prof]" directory="$PROF" \
	"[certificate gone]" names="gone.test" cas=prof profile=classic
lab_acme_proxy_profiles prof '{"shortlived": "160 hours"}'
hf_expect "no longer offered: exit 2" 2 issue -c "$LAB/gone.conf" --json gone
json_check "no longer offered: profile-not-offered, from the directory read now" \
	"j['attempts'][0]['error'] == 'profile-not-offered'"
lab_finish
