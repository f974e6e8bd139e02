#!/usr/bin/env bash
# acme_dns_update.sh -- dns-01 without a script: RFC 2136 dynamic updates
# with TSIG (dns_update, tsig_key), sent by Debian's nsupdate.
#
# A real knotd is the zone's primary for upd.test, accepting updates signed
# with the lab's TSIG key (BIND key file format, what tsig_key takes); a real
# Pebble validates dns-01 by asking that knotd (-dnsserver).  Checked: the
# certificate is issued for both names; knotd applied the updates; the TXT
# records are gone afterwards; the key never reaches the log; a wrong key is
# refused by knotd (exit 2, dns_update_failed, nothing left in the zone); a
# key file every user may read is refused by the configuration.
set -u
# shellcheck shell=bash
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

KNOT=$LAB/knot
KPORT=5399
mkdir -p "$KNOT/db"
SECRET=$(openssl rand -base64 32)
OTHER=$(openssl rand -base64 32)
# bind_key FILE SECRET: a BIND-format TSIG key named hf-key, mode 0600.
bind_key() {
	printf 'key "hf-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$2" >"$1"
	chmod 600 "$1"
}
bind_key "$LAB/tsig.key" "$SECRET"
bind_key "$LAB/wrong.key" "$OTHER"
cat >"$KNOT/upd.test.zone" <<-EOF
	\$ORIGIN upd.test.
	\$TTL 60
	@ SOA ns.upd.test. hostmaster.upd.test. 1 60 60 600 60
	@ NS ns.upd.test.
	ns A 127.0.0.1
	EOF
cat >"$KNOT/knot.conf" <<-EOF
	server:
	    rundir: "$KNOT"
	    listen: 127.0.0.1@$KPORT
	log:
	  - target: stderr
	    any: info
	database:
	    storage: "$KNOT/db"
	control:
	    listen: "$KNOT/knot.sock"
	key:
	  - id: hf-key
	    algorithm: hmac-sha256
	    secret: $SECRET
	acl:
	  - id: update
	    key: hf-key
	    action: update
	template:
	  - id: default
	    storage: "$KNOT"
	    zonefile-sync: -1
	    zonefile-load: whole
	    journal-content: none
	zone:
	  - domain: upd.test
	    file: upd.test.zone
	    acl: update
	EOF
knotd -c "$KNOT/knot.conf" >"$LAB/knot.log" 2>&1 &
lab_track $!
for _ in $(seq 50); do
	kdig @127.0.0.1 -p "$KPORT" +short upd.test SOA 2>/dev/null | grep -q hostmaster && break
	sleep 0.1
done
check "lab: knotd serves upd.test" \
	grep -q hostmaster <(kdig @127.0.0.1 -p "$KPORT" +short upd.test SOA)

# Pebble asks knotd for the dns-01 records.
LAB_DNS_PORT=$KPORT lab_pebble primary 14000 15000 PEBBLE_AUTHZREUSE=0 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
PEBBLE_LOG=$LAB/pebble-primary/pebble.log
DIR_URL=$(lab_pebble_url primary)

# txt NAME: the TXT values knotd has for _acme-challenge.NAME.
txt() { kdig @127.0.0.1 -p "$KPORT" +short "_acme-challenge.$1" TXT; }

lab_acme_conf "$LAB/holdfast.conf" "[ca primary]" directory="$DIR_URL" \
	"[certificate upd]" names="upd.test www.upd.test" cas=primary challenge=dns-01 \
	dns_update="127.0.0.1:$KPORT" tsig_key="$LAB/tsig.key" http_listen=
hf_expect "issue through dns_update: exit 0" 0 issue -c "$LAB/holdfast.conf" --json -v upd
json_check "issued by primary" "j['cert'] == 'upd' and j['action'] == 'issued'"
check "knotd applied the signed updates (add and delete for both names)" \
	test "$(grep -c 'DDNS, finished' "$LAB/knot.log")" -ge 4
check "holdfast logged both additions" \
	test "$(grep -c 'event=dns_update .*action=add' "$HF_ERR")" = 2
check "Pebble validated both names (through knotd)" \
	test "$(grep -c 'set VALID by completed challenge' "$PEBBLE_LOG")" -ge 2
check "the TXT records are removed after validation" \
	test -z "$(txt upd.test)$(txt www.upd.test)"
check "names: the stored certificate has both" \
	test "$(acme_names "$(acme_cert_dir upd)/cert.pem")" = "upd.test www.upd.test"
check "the TSIG secret is never logged" lab_not grep -qF "$SECRET" "$HF_ERR" "$HF_OUT"

# A key knotd does not know: refused there, nothing published, CRITICAL.
lab_acme_conf "$LAB/wrong.conf" "[ca primary]" directory="$DIR_URL" \
	"[certificate bad]" names="bad.upd.test" cas=primary challenge=dns-01 \
	dns_update="127.0.0.1:$KPORT" tsig_key="$LAB/wrong.key" http_listen=
hf_expect "a wrong TSIG key: exit 2" 2 issue -c "$LAB/wrong.conf" --json bad
check "a wrong TSIG key: dns_update_failed logged" grep -q 'event=dns_update_failed' "$HF_ERR"
check "a wrong TSIG key: knotd refused it (nsupdate's answer, in the log)" \
	grep -qE 'event=command_ran what=dns-update .*output=".*(NOTAUTH|BADSIG|BADKEY|tsig)' "$HF_ERR"
check "a wrong TSIG key: nothing in the zone" test -z "$(txt bad.upd.test)"

# A key file every user may read is refused before anything is sent.
chmod 644 "$LAB/wrong.key"
hf_expect "tsig_key readable by all: configuration refused (exit 3)" 3 \
	issue -c "$LAB/wrong.conf" --json bad
check "tsig_key readable by all: the message names file, line and key" \
	grep -qE 'wrong.conf:[0-9]+: key "tsig_key": .*readable by every user' "$HF_ERR"
lab_finish
