#!/usr/bin/env bash
# acme_ari.sh -- when `holdfast renew` renews.
#
# With ACME Renewal Information (RFC 9773): Debian's Pebble 2.4 has none, so
# acme_proxy.py in front of a real Pebble adds "renewalInfo" to the directory
# and answers GET renewal-info/<certID> with windows the test chooses; it
# logs every certID asked for and every newOrder payload. Checked: the certID
# holdfast computes (base64url(AKI keyIdentifier) "." base64url(serial DER)),
# renew_at inside the window, a window in the future -> `renew` does nothing
# (exit 0), a window in the past -> renewed now with "replaces" = the old
# certID in newOrder, Retry-After honoured (no query before it).
# Without ARI (Pebble directly): renew_at at two thirds of the lifetime; with
# Pebble issuing 15-second certificates, `renew` skips before that point and
# renews after it.
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
LAB_PEBBLE_VALIDITY=15 lab_pebble short 14001 15001 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble (15 s certificates)" "did not start"; lab_finish; }
lab_acme_proxy ari 14100 "$(lab_pebble_url primary)" --ari ||
	{ not_ok "lab: ARI proxy" "did not start"; lab_finish; }
ARI_DIR=$(lab_acme_proxy_url ari)
check "lab: the proxy's directory has renewalInfo" \
	grep -q '"renewalInfo": "https://127.0.0.1:14100/renewal-info"' <(lab_acme_get "$ARI_DIR")
# One configuration per certificate (one store): `renew` takes no names,
# and a certificate never issued is always due.
for c in www held; do
	lab_acme_conf "$LAB/$c.conf" "[ca ari]" directory="$ARI_DIR" \
		"[certificate $c]" names="$c.test" cas=ari
done
lab_acme_conf "$LAB/plain.conf" "[ca plain]" directory="$(lab_pebble_url short)" \
	"[certificate plain]" names="plain.test" cas=plain
lab_acme_conf "$LAB/third.conf" outage_margin=0 "[ca plain]" directory="$(lab_pebble_url short)" \
	"[certificate third]" names="third.test" cas=plain
D=$(acme_cert_dir www)

# fetches CERTID: how many times the proxy was asked for that certID.
fetches() {
	lab_proxy_requests ari "r.get('certid') == '$1'" | grep -c .
}
# last_fetch CERTID: when the proxy last answered renewal-info for CERTID
# (epoch seconds), 0 if never.
last_fetch() {
	lab_proxy_requests ari "r.get('certid') == '$1'" |
		python3 -c 'import json, sys; print(max([json.loads(l)["time"] for l in sys.stdin] or [0]))'
}
# window_ok NAME START END: meta.json of NAME has this ARI window (epoch
# seconds) and renew_at inside it.
# shellcheck disable=SC2317 # called through check
window_ok() {
	acme_meta "$1" "m['ari'] is not None and ts(m['ari']['start']) == $2 and ts(m['ari']['end']) == $3
		and $2 <= ts(m['renew_at']) <= $3"
}
epoch() { date -u -d "$(date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ)" +%s; }

# --- issue with a window in the future.
FUT_S=$(epoch "now + 10 days")
FUT_E=$(epoch "now + 11 days")
lab_ari_window ari default "@$FUT_S" "@$FUT_E" 1
hf_expect "future window: issue www: exit 0" 0 issue -c "$LAB/www.conf" --json -v www
ID1=$(acme_certid "$D/cert.pem")
S1=$(acme_serial www)
export ID1
check "future window: holdfast asked renewal-info for the RFC 9773 certID ($ID1)" \
	test "$(fetches "$ID1")" -ge 1
check "future window: no renewal-info request for any other certID" \
	test -z "$(lab_proxy_requests ari "r.get('certid') not in (None, '$ID1')")"
check "future window: meta.json ari window and renew_at inside it" window_ok www "$FUT_S" "$FUT_E"
check "future window: meta.json ari.retry_after = time of the answer + 1 s" \
	acme_meta www "abs(ts(m['ari']['retry_after']) - ($(last_fetch "$ID1") + 1)) <= 1.5"
err_kv "future window: ari_window logged" event=ari_window cert=www \
	start="$(date -u -d "@$FUT_S" +%Y-%m-%dT%H:%M:%SZ)" end="$(date -u -d "@$FUT_E" +%Y-%m-%dT%H:%M:%SZ)"
json_check "future window: JSON renew_at inside the window" \
	"$FUT_S <= ts(j['renew_at']) <= $FUT_E"

# renew: Retry-After (1 s) has passed, so holdfast asks again; still not due.
acme_wait_past "$(acme_meta_get www "m['ari']['retry_after']")" ||
	not_ok "future window: wait" "Retry-After did not pass"
n=$(fetches "$ID1")
hf_expect "future window: renew: exit 0" 0 renew -c "$LAB/www.conf" --json -v
check "future window: renew asked renewal-info again (Retry-After passed)" test "$(fetches "$ID1")" -gt "$n"
check "future window: renew did not replace the certificate" test "$(acme_serial www)" = "$S1"
json_check "future window: renew: www skipped" \
	"[o['action'] for o in js if o['cert'] == 'www'] == ['skipped']"
check "future window: renew_at still inside the window" window_ok www "$FUT_S" "$FUT_E"
# new_orders: how many orders Pebble accepted (201) through the proxy.
new_orders() {
	lab_proxy_requests ari "r['path'] == '/order-plz' and r['status'] == 201" | grep -c .
}
check "future window: renew sent no newOrder (only the one of issue)" test "$(new_orders)" = 1

# --- the CA moves the window of this certificate into the past: renew now.
lab_ari_window ari "$ID1" "now - 2 days" "now - 1 day" 1
acme_wait_past "$(acme_meta_get www "m['ari']['retry_after']")" ||
	not_ok "past window: wait" "Retry-After did not pass"
hf_expect "past window: renew: exit 0" 0 renew -c "$LAB/www.conf" --json -v
json_check "past window: renew: www issued" \
	"[o['action'] for o in js if o['cert'] == 'www'] == ['issued']"
check "past window: a new certificate" test "$(acme_serial www)" != "$S1"
check "past window: newOrder carried replaces = the old certID" \
	test -n "$(lab_proxy_requests ari "r['path'] == '/order-plz' and r['status'] == 201 and (r.get('payload') or {}).get('replaces') == '$ID1'")"
check "past window: meta.json replaced = the old certID" acme_meta www "m['replaced'] == '$ID1'"
check "past window: the new certificate has the default (future) window" window_ok www "$FUT_S" "$FUT_E"
check "past window: chain verifies" acme_verify www primary
err_kv "past window: certificate_issued logged" event=certificate_issued cert=www ca=ari

# --- Retry-After honoured: after a 3600 s Retry-After holdfast does not ask
# again, even though the CA would now say "renew".
lab_ari_window ari default "@$FUT_S" "@$FUT_E" 3600
hf_expect "retry-after: issue held: exit 0" 0 issue -c "$LAB/held.conf" held
ID2=$(acme_certid "$(acme_cert_dir held)/cert.pem")
S2=$(acme_serial held)
check "retry-after: meta.json ari.retry_after = time of the answer + 3600 s" \
	acme_meta held "abs(ts(m['ari']['retry_after']) - ($(last_fetch "$ID2") + 3600)) <= 1.5"
lab_ari_window ari "$ID2" "now - 2 days" "now - 1 day" 3600
n=$(fetches "$ID2")
hf_expect "retry-after: renew: exit 0" 0 renew -c "$LAB/held.conf" --json -v
check "retry-after: renewal-info not asked again before Retry-After" test "$(fetches "$ID2")" = "$n"
check "retry-after: held not renewed" test "$(acme_serial held)" = "$S2"

# --- no ARI: a third of the lifetime left, and never later than outage_margin
# (capped at half the lifetime) before expiry (Pebble "short": 15 s
# certificates).  With outage_margin = 0 the third alone decides.
hf_expect "no ARI, outage_margin 0: issue third: exit 0" 0 issue -c "$LAB/third.conf" --json third
check "no ARI, outage_margin 0: renew_at = not_after - lifetime / 3 (exact)" \
	acme_meta third "abs(ts(m['renew_at']) - (x509['not_after'] - (x509['not_after'] - x509['not_before']) // 3)) < 1"
hf_expect "no ARI: issue plain: exit 0" 0 issue -c "$LAB/plain.conf" --json plain
check "no ARI: meta.json ari is null" acme_meta plain "m['ari'] is None"
check "no ARI, 15 s lifetime: renew_at = not_after - lifetime / 2 (the 2 d margin, capped; exact)" \
	acme_meta plain "abs(ts(m['renew_at']) - (x509['not_after'] - (x509['not_after'] - x509['not_before']) // 2)) < 1"
json_check "no ARI: JSON renew_at equals meta.json's" \
	"j['renew_at'] == '$(acme_meta_get plain "m['renew_at']")'"
S3=$(acme_serial plain)
RENEW_AT=$(acme_meta_get plain "m['renew_at']")
if [ $(($(date +%s) + 3)) -lt "$(date -u -d "$RENEW_AT" +%s)" ]; then
	hf_expect "no ARI: renew before two thirds: exit 0" 0 renew -c "$LAB/plain.conf" --json
	json_check "no ARI: renew before two thirds: plain skipped" \
		"[o['action'] for o in js if o['cert'] == 'plain'] == ['skipped']"
	check "no ARI: renew before two thirds: same certificate" test "$(acme_serial plain)" = "$S3"
else
	echo "# no ARI: too slow to see the certificate before its renewal time; skipped that check"
fi
acme_wait_past "$RENEW_AT" 20 || not_ok "no ARI: wait" "renew_at $RENEW_AT did not pass"
# For so short a certificate the renewal time is its deadline: past it, less
# than the (capped) outage margin is left, and status says CRITICAL.
"$HOLDFAST" status -c "$LAB/plain.conf" >"$LAB/late.out" 2>&1
check "no ARI: status past the deadline: exit 2" test $? = 2
check "no ARI: status names the outage margin" \
	grep -q '^CRITICAL plain: expires in [0-9]*s, less than outage_margin ([0-9]*s) away: renewal is late' "$LAB/late.out"
hf_expect "no ARI: renew after two thirds: exit 0" 0 renew -c "$LAB/plain.conf" --json
json_check "no ARI: renew after two thirds: plain issued" \
	"[o['action'] for o in js if o['cert'] == 'plain'] == ['issued']"
check "no ARI: a new certificate" test "$(acme_serial plain)" != "$S3"
check "no ARI: newOrder of a certificate without ARI has no replaces" acme_meta plain "m['replaced'] is None"

lab_finish
