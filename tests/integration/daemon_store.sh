#!/bin/bash
# daemon_store.sh -- what `holdfast run` checks in the store at start and how
# it deploys from it, with no CA and no responder (nothing is fetched that
# could change the outcome):
#   - a certificate its chain's issuer did not sign (same name, another key)
#     and one whose chain names another CA are refused (certificate_invalid)
#     and never deployed;
#   - a valid stored staple is deployed at once; a staple of another
#     certificate is not kept;
#   - privkey.pem is not read at start but checked when deploying: a file
#     that holds no PEM private key fails the deploy; a key others may read
#     loads with a warning;
#   - when the version directory a certificate was loaded from disappears (a
#     new one was installed meanwhile), the next deploy loads the store's
#     current version and deploys that;
#   - 200 more certificates (loaded on several threads) each load exactly
#     once with their staple valid, and daemon.json lists every certificate.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

STORE=$LAB/store
HOOKLOG=$LAB/hook.log
# Nothing listens on port 9: a staple fetch fails at once, on loopback.
URL=http://127.0.0.1:9/
for leaf in good swapped forged wrongname badkey badkey2 openkey; do
	lab_make_leaf "$CA" "$leaf" "$URL" || lab_finish
done
# An intermediate with the real one's name and another key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CA/fake-int.key" \
	-out "$CA/fake-int.pem" -days 30 -subj "/O=holdfast lab/CN=Lab Intermediate" \
	>"$LAB/logs/fake-int.log" 2>&1 || lab_finish

# seed NAME LEAF CHAIN KEY VERSION: a version directory for NAME with LEAF's
# certificate, CHAIN as its chain and KEY as privkey.pem (0600), made the
# current one by an atomic switch of the NAME link.
seed() {
	local name=$1 crt=$CA/$2.crt chain=$3 key=$4 ver=$5 v
	v=$STORE/certificates/.versions/$name.$ver
	mkdir -p "$v"
	cp "$crt" "$v/cert.pem"
	cp "$chain" "$v/chain.pem"
	cat "$crt" "$chain" >"$v/fullchain.pem"
	install -m 0600 "$key" "$v/privkey.pem"
	printf '{"name":"%s","placeholder":false,"renew_at":"2099-01-01T00:00:00Z","names":["%s.test"],"key":"ec-p256","last_error":null}\n' \
		"$name" "$name" >"$v/meta.json"
	ln -sfn ".versions/$name.$ver" "$STORE/certificates/$name.tmp"
	mv -T "$STORE/certificates/$name.tmp" "$STORE/certificates/$name"
}
echo "not a key" >"$LAB/garbage.key"
seed good good "$CA/int.pem" "$CA/good.key" 1
seed swapped swapped "$CA/int.pem" "$CA/swapped.key" 1
seed forged forged "$CA/fake-int.pem" "$CA/forged.key" 1
seed wrongname wrongname "$CA/rogue.pem" "$CA/wrongname.key" 1
seed badkey badkey "$CA/int.pem" "$LAB/garbage.key" 1
seed openkey openkey "$CA/int.pem" "$CA/openkey.key" 1
chmod 0644 "$STORE/certificates/openkey/privkey.pem"
for leaf in good forged badkey openkey; do
	lab_craft "$CA" "$leaf" "$STORE/certificates/$leaf/staple.ocsp" -60 3600 || lab_finish
done
# swapped stores good's staple: valid, signed by the issuer, another certificate.
cp "$STORE/certificates/good/staple.ocsp" "$STORE/certificates/swapped/staple.ocsp"
# b001..b200: good's files under other names, no deploy.
for i in $(seq -f '%03g' 1 200); do
	mkdir -p "$STORE/certificates/.versions/b$i.1"
	cp "$STORE/certificates/good/"* "$STORE/certificates/.versions/b$i.1/"
	ln -s ".versions/b$i.1" "$STORE/certificates/b$i"
done

cat >"$LAB/hook.sh" <<-EOF
	#!/bin/sh
	echo "\$1 \$2 \$(openssl x509 -in $STORE/certificates/\$2/cert.pem -noout -serial | cut -d= -f2)" >>$HOOKLOG
EOF
chmod 755 "$LAB/hook.sh"
{
	printf '%s\n' "store = $STORE" "deploy_dir = $LAB/deploy" "audit_interval = off" \
		"staple_retry_min = 1h" "staple_retry_max = 1h"
	for name in good swapped forged wrongname badkey openkey; do
		printf '%s\n' "[certificate $name]" "names = $name.test" "deploy_hook = $LAB/hook.sh"
	done
	for i in $(seq -f '%03g' 1 200); do
		printf '%s\n' "[certificate b$i]" "names = b$i.test"
	done
} >"$LAB/holdfast.conf"

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "start: daemon_started with 206 certificates" \
	wait_for_log "$DLOG" "event=daemon_started .*certificates=206" 30

# 1. The leaf's signature by its chain's issuer.
check "invalid: same issuer name, another key: refused" \
	grep -Eq 'event=certificate_invalid cert=forged .*reason="signature does not verify' "$DLOG"
check "invalid: another CA in the chain: refused" \
	grep -Eq 'event=certificate_invalid cert=wrongname .*reason="issuer name' "$DLOG"
check "invalid: loaded as absent" \
	grep -q 'event=certificate_loaded cert=forged present=0 placeholder=0 staple=none' "$DLOG"
S_GOOD=$(lab_cert_serial "$CA/good.crt")
check "valid: deployed at start with its staple" \
	grep -q 'event=certificate_loaded cert=good present=1 placeholder=0 staple=valid' "$DLOG"
check "valid: the hook was told" wait_for_log "$HOOKLOG" "^start good $S_GOOD\$" 10

# 2. The stored staple is checked against the certificate.
check "staple: another certificate's staple is not kept" \
	grep -q 'event=certificate_loaded cert=swapped present=1 placeholder=0 staple=none' "$DLOG"

# 3. privkey.pem: checked when deployed.
check "key: not a PEM key: the deploy fails" \
	grep -Eq 'event=certificate_unreadable cert=badkey file=.*privkey.pem reason="no unencrypted PEM private key"' "$DLOG"
check "key: readable by others: a warning" \
	grep -Eq 'event=key_permissions cert=openkey .*mode=0644' "$DLOG"
check "key: and still deployed" wait_for_log "$HOOKLOG" "^start openkey " 10

# 4. Many certificates, loaded in parallel: each once, each valid.
check "bulk: 200 loaded with a valid staple" test "$(grep -Ec \
	'event=certificate_loaded cert=b[0-9]{3} present=1 placeholder=0 staple=valid$' "$DLOG")" = 200
check "bulk: each name once" test "$(grep -Eo 'event=certificate_loaded cert=b[0-9]{3} ' "$DLOG" |
	sort -u | wc -l)" = 200
check "state: daemon.json lists every certificate" wait_for_log "$STORE/state/daemon.json" '"updated"' 10
check "state: as JSON, in name order" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["certificates"]
assert len(d) == 206 and list(d) == sorted(d), len(d)
assert d["good"]["staple"] is True and d["good"]["staple_status"] == "good", d["good"]
assert d["forged"]["certificate"] is False, d["forged"]
assert d["b200"]["staple"] is True, d["b200"]
' "$STORE/state/daemon.json"

# 5. A new version replaces the one badkey was loaded from; the old one is
# removed.  The deploy retry (every 5 s) finds its files gone and deploys
# the store's current version.
seed badkey badkey2 "$CA/int.pem" "$CA/badkey2.key" 2
lab_craft "$CA" badkey2 "$STORE/certificates/badkey/staple.ocsp" -60 3600 || lab_finish
rm -r "$STORE/certificates/.versions/badkey.1"
S_NEW=$(lab_cert_serial "$CA/badkey2.crt")
check "switch: the new version is deployed" wait_for_log "$HOOKLOG" "^retry badkey $S_NEW\$" 15
check "switch: never a deploy of the broken key" lab_not grep -q "^[a-z]* badkey $(lab_cert_serial "$CA/badkey.crt")\$" "$HOOKLOG"
check "never deployed: forged, wrongname" lab_not grep -Eq ' (forged|wrongname) ' "$HOOKLOG"

kill -TERM "$DAEMON"
wait "$DAEMON"
check "sigterm: exit 0" test $? = 0
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
if [ "$LAB_FAILED" -gt 0 ]; then
	diag "$HOOKLOG" "  hook: "
	grep -v 'cert=b[0-9]' "$DLOG" | sed 's/^/#   daemon: /'
fi
lab_finish
