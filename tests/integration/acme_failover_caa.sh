#!/usr/bin/env bash
# acme_failover_caa.sh -- before failing over to a later CA of a
# certificate's `cas`, holdfast checks CAA (RFC 8659) the way the audit's
# caa check does, and skips a CA that CAA forbids instead of spending an
# order on it.  The primary refuses connections (a closed port); the backup
# is a real Pebble whose caa_identities is pebble.example; the lab dnsmasq
# (the namespace's resolver) serves CAA records.
#
# Cases: CAA names another CA -> the backup is skipped
# (acme_failover_refused_by_caa with the record), nothing reaches Pebble,
# exit 2; CAA names the backup -> issued by it (exit 1, acme_failover);
# CAA with accounturi of another account -> skipped too.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_dns 53 || not_ok "lab: dns" "dnsmasq did not start"
# CAA records beside the lab's defaults (read at start: restart dnsmasq).
{
	echo 'caa-record=refused.test,0,issue,elsewhere.example'
	echo 'caa-record=allowed.test,0,issue,pebble.example'
	echo 'caa-record=account.test,0,issue,pebble.example; accounturi=https://127.0.0.1/acct/0'
} >>"$LAB/dns/overrides.conf"
lab_stop "$LAB_DNS_PID"
lab_dns_start || not_ok "lab: dns" "dnsmasq did not restart"
check "lab: dnsmasq serves CAA" sh -c \
	"kdig @127.0.0.1 refused.test CAA +short | grep -q 'issue \"elsewhere.example\"'"
check "lab: dnsmasq serves CAA with parameters" sh -c \
	"kdig @127.0.0.1 account.test CAA +short | grep -qF 'pebble.example; accounturi=https://127.0.0.1/acct/0'"
lab_pebble backup 14001 15001 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble backup" "did not start"; lab_finish; }
BACKUP=$(lab_pebble_url backup pebble-backup.test)

# conf CASE: $LAB/CASE.conf with its own store and one certificate CASE
# (CASE.test) with cas = primary backup, the primary on a closed port.
conf() {
	lab_acme_conf "$LAB/$1.conf" store="$LAB/store-$1" resolvers=127.0.0.1 \
		"[ca primary]" directory="https://127.0.0.1:14009/dir" \
		"[ca backup]" directory="$BACKUP" caa_identities=pebble.example \
		"[certificate $1]" names="$1.test" cas="primary backup"
}
issued() { # issued: how many certificates the backup Pebble has issued
	grep -c 'Issued certificate' "$LAB/pebble-backup/pebble.log" || true
}

# --- CAA names another CA: the backup is skipped, never asked.
conf refused
before=$(issued)
hf_expect "refused: exit 2 (no CA may issue)" 2 issue -c "$LAB/refused.conf" --json -v refused
err_kv "refused: acme_failover_refused_by_caa names the CA" \
	event=acme_failover_refused_by_caa cert=refused ca=backup
# (log_safe writes the record's quotes as '?')
check "refused: the log names the record" grep -qF \
	'event=acme_failover_refused_by_caa cert=refused ca=backup record="0 issue ?elsewhere.example? (the records name other CAs: at refused.test' \
	"$HF_ERR"
check "refused: no acme_failover to the backup" lab_not grep -q 'event=acme_failover cert=refused' "$HF_ERR"
json_check "refused: JSON: only the primary was attempted" \
	"[a['ca'] for a in j['attempts']] == ['primary'] and j['action'] == 'failed'"
check "refused: the backup issued nothing" test "$(issued)" = "$before"

# --- CAA names the backup: failover goes ahead.
conf allowed
hf_expect "allowed: exit 1 (served by backup)" 1 issue -c "$LAB/allowed.conf" --json -v allowed
json_check "allowed: JSON: issued by backup" "j['action'] == 'issued' and j['ca'] == 'backup'"
err_kv "allowed: acme_failover logged" event=acme_failover cert=allowed from=primary to=backup
check "allowed: nothing refused by CAA" lab_not grep -q acme_failover_refused_by_caa "$HF_ERR"

# --- accounturi of an account holdfast does not hold: skipped.
conf account
hf_expect "account: exit 2" 2 issue -c "$LAB/account.conf" --json -v account
check "account: refused for the accounturi" grep -q \
	'event=acme_failover_refused_by_caa cert=account ca=backup record=.*accounturi is not holdfast' \
	"$HF_ERR"

lab_finish
