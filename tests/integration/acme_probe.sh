#!/usr/bin/env bash
# acme_probe.sh -- backup readiness: `holdfast probe` finds, before the
# primary fails, the reasons a failover would fail, and never issues.
#
# Two real Pebbles: primary, and backup with externalAccountBindingRequired
# (its directory says meta.externalAccountRequired), each behind the lab's
# ACME proxy so that every request holdfast makes is logged.
# Cases: backup requires EAB and none is configured (exit 2, the reason
# names EAB, no newAccount sent to it); EAB configured (exit 0, both ready,
# accounts created, the backup's with an externalAccountBinding, URLs in the
# store); again on the same store (exit 0, the held accounts fetched with a
# POST-as-GET, nothing created); wrong EAB key (exit 2, no account stored);
# the primary's account deactivated at the CA (exit 2, the backup still
# ready); the directory moved (Pebble answers 404: exit 2); a directory URL
# that is a web page (exit 2); the primary stopped (exit 2, unreachable);
# no [ca] at all and a stray argument (exit 3); CAA (the lab dnsmasq): a
# record that names only the primary makes the backup CRITICAL at the caa
# step for the certificate it covers (a failover would be refused). The daemon (probe_interval
# 10s) shows holdfast_ca_ready{ca=...} 0|1 on its metrics page and the
# reasons in holdfast status, and probes again. Throughout: no newOrder on
# either Pebble, nothing issued.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

EAB_KID=kid-1
EAB_KEY=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
WRONG_KEY=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')

lab_pebble primary 14000 15000 ||
	{ not_ok "lab: pebble primary" "did not start"; lab_finish; }
LAB_PEBBLE_EAB_KEYS="{\"$EAB_KID\": \"$EAB_KEY\"}" lab_pebble backup 14001 15001 ||
	{ not_ok "lab: pebble backup (EAB required)" "did not start"; lab_finish; }
lab_acme_proxy primary 14100 "$(lab_pebble_url primary)" ||
	{ not_ok "lab: proxy primary" "did not start"; lab_finish; }
lab_acme_proxy backup 14101 "$(lab_pebble_url backup)" ||
	{ not_ok "lab: proxy backup" "did not start"; lab_finish; }
PRIMARY=$(lab_acme_proxy_url primary)
BACKUP=$(lab_acme_proxy_url backup)
# The namespace's resolver for the caa step: no CAA under .test but one name
# whose record allows only the primary (read at start: restart dnsmasq).
lab_dns 53 || { not_ok "lab: dns" "dnsmasq did not start"; lab_finish; }
echo 'caa-record=caablock.test,0,issue,primary.example' >>"$LAB/dns/overrides.conf"
lab_stop "$LAB_DNS_PID"
lab_dns_start || { not_ok "lab: dns" "dnsmasq did not restart"; lab_finish; }

check "lab: the backup's directory says meta.externalAccountRequired" python3 -c "
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d.get('meta', {}).get('externalAccountRequired') is True else 1)" \
	"$(lab_acme_get "$BACKUP")"

# path NAME KEY: the path of directory entry KEY of proxy NAME's Pebble.
path() {
	lab_acme_get "$(lab_acme_proxy_url "$1")" |
		python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlsplit(json.load(sys.stdin)[sys.argv[1]]).path)' "$2"
}
NEW_ACCOUNT_P=$(path primary newAccount)
NEW_ACCOUNT_B=$(path backup newAccount)
NEW_ORDER_P=$(path primary newOrder)
NEW_ORDER_B=$(path backup newOrder)

# conf CASE [BACKUP KEY=VALUE...]: $LAB/CASE.conf, store $LAB/store-CASE,
# [ca primary] and [ca backup] (with the given keys), one certificate that
# lists both (probe looks at the CAs, not at the certificate).
conf() {
	local c=$1
	shift
	lab_acme_conf "$LAB/$c.conf" store="$LAB/store-$c" \
		"[ca primary]" directory="$PRIMARY" \
		"[ca backup]" directory="$BACKUP" "$@" \
		"[certificate www]" names="www.test" cas="primary backup"
}

# requests NAME PYEXPR: how many of proxy NAME's logged requests satisfy PYEXPR.
requests() {
	lab_proxy_requests "$1" "$2" | wc -l
}

# no_order CASE: neither Pebble got a newOrder, neither issued anything.
no_order() {
	check "$1: no newOrder sent to primary" \
		test "$(requests primary "r['path'] == '$NEW_ORDER_P'")" -eq 0
	check "$1: no newOrder sent to backup" \
		test "$(requests backup "r['path'] == '$NEW_ORDER_B'")" -eq 0
	check "$1: neither Pebble issued a certificate" lab_not grep -q "Issued certificate" \
		"$LAB/pebble-primary/pebble.log" "$LAB/pebble-backup/pebble.log"
}

# --- the backup requires EAB and none is configured.
conf noeab
hf_expect "no EAB: exit 2" 2 probe -c "$LAB/noeab.conf" --json
json_check "no EAB: one JSON line per CA, in the file's order" \
	"[o['ca'] for o in js] == ['primary', 'backup']"
json_check "no EAB: primary ready (OK, exit 0, account created)" \
	"js[0]['result'] == 'OK' and js[0]['exit'] == 0 and js[0]['step'] == 'account'
	 and js[0]['account_created'] is True and js[0]['account'].startswith('https://127.0.0.1:14100/')
	 and js[0]['eab_required'] is False and js[0]['directory'] == '$PRIMARY'"
json_check "no EAB: backup CRITICAL at the account step, the reason names EAB" \
	"js[1]['result'] == 'CRITICAL' and js[1]['exit'] == 2 and js[1]['step'] == 'account'
	 and 'EAB' in js[1]['reason'] and 'eab_kid' in js[1]['reason']
	 and js[1]['eab_required'] is True and js[1]['eab_configured'] is False
	 and js[1]['account'] is None and js[1]['account_created'] is False"
json_check "no EAB: backup's steps: directory OK, nonce OK, account CRITICAL" \
	"[(s['step'], s['result']) for s in js[1]['steps']] ==
	 [('directory', 'OK'), ('nonce', 'OK'), ('account', 'CRITICAL'), ('caa', 'OK')]
	 and all(s['reason'] for s in js[1]['steps'])"
check "no EAB: the doomed newAccount was not sent to the backup" \
	test "$(requests backup "r['path'] == '$NEW_ACCOUNT_B'")" -eq 0
check "no EAB: the backup was asked for a nonce (HEAD newNonce)" \
	test "$(requests backup "r['method'] == 'HEAD'")" -ge 1
err_kv "no EAB: ca_probe logged for the backup" event=ca_probe ca=backup result=CRITICAL step=account
hf_expect "no EAB, text output: exit 2" 2 probe -c "$LAB/noeab.conf"
out_check "no EAB, text: 'OK primary: account: ...'" '^OK primary: account: account valid account=https://'
out_check "no EAB, text: 'CRITICAL backup: account: ... EAB ...'" '^CRITICAL backup: account: .*EAB'
no_order "no EAB"

# --- EAB configured: both ready; the backup's account made with EAB.
conf ready eab_kid="$EAB_KID" eab_hmac_key="$EAB_KEY"
hf_expect "EAB configured: exit 0, both ready" 0 probe -c "$LAB/ready.conf" --json
json_check "EAB configured: both OK" \
	"[(o['ca'], o['result'], o['exit']) for o in js] == [('primary', 'OK', 0), ('backup', 'OK', 0)]"
json_check "EAB configured: backup account created with EAB" \
	"js[1]['account_created'] is True and js[1]['eab_required'] is True
	 and js[1]['eab_configured'] is True and 'external account binding' in js[1]['reason']
	 and js[1]['account'].startswith('https://127.0.0.1:14101/')"
check "EAB configured: the backup's newAccount carried an externalAccountBinding for $EAB_KID" python3 - \
	"$(lab_proxy_requests backup "r['path'] == '$NEW_ACCOUNT_B' and r.get('status') in (200, 201)")" "$EAB_KID" <<-'EOF'
	import base64, json, sys
	lines = [json.loads(l) for l in sys.argv[1].splitlines() if l]
	def kid(r):
	    eab = (r.get("payload") or {}).get("externalAccountBinding") or {}
	    p = eab.get("protected", "")
	    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))).get("kid") if p else None
	sys.exit(0 if len(lines) == 1 and kid(lines[0]) == sys.argv[2] else 1)
EOF
check "EAB configured: the store holds the backup's account URL" python3 -c "
import json, sys
a = json.load(open('$LAB/store-ready/accounts/backup/account.json'))
sys.exit(0 if a['kid'] == sys.argv[1] and a['directory'] == '$BACKUP' else 1)" \
	"$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][1]["account"])' "$HF_OUT")"
check "EAB configured: the account was fetched (POST-as-GET of its URL)" \
	test "$(requests backup "r['method'] == 'POST' and r['payload'] == '' and '/my-account/' in r['path']")" -ge 1
no_order "EAB configured"

# --- the same store again: the held accounts are fetched, none created.
before_p=$(requests primary "r['path'] == '$NEW_ACCOUNT_P'")
before_b=$(requests backup "r['path'] == '$NEW_ACCOUNT_B'")
hf_expect "held accounts: exit 0" 0 probe -c "$LAB/ready.conf" --json
json_check "held accounts: both OK, nothing created, same account URLs" \
	"all(o['result'] == 'OK' and o['account_created'] is False and o['account'] for o in js)"
check "held accounts: no newAccount sent" \
	test "$(requests primary "r['path'] == '$NEW_ACCOUNT_P'")" -eq "$before_p" -a \
	"$(requests backup "r['path'] == '$NEW_ACCOUNT_B'")" -eq "$before_b"
json_check "held accounts: the caa step allows both for www" \
	"all([(s['step'], s['result']) for s in o['steps']][-1] == ('caa', 'OK')
	     and 'allows this CA for the 1 certificates' in o['steps'][-1]['reason'] for o in js)"

# --- CAA allows only the primary for caablock.test: the backup would refuse.
lab_acme_conf "$LAB/caa.conf" store="$LAB/store-ready" \
	"[ca primary]" directory="$PRIMARY" caa_identities=primary.example \
	"[ca backup]" directory="$BACKUP" eab_kid="$EAB_KID" eab_hmac_key="$EAB_KEY" \
	caa_identities=backup.example \
	"[certificate www]" names="www.test" cas="primary backup" \
	"[certificate shop]" names="caablock.test" cas="primary backup"
hf_expect "caa: exit 2 (the backup is refused for shop)" 2 probe -c "$LAB/caa.conf" --json
json_check "caa: primary OK, CAA allows it for both certificates" \
	"js[0]['result'] == 'OK' and js[0]['step'] == 'account'
	 and js[0]['steps'][-1]['step'] == 'caa' and js[0]['steps'][-1]['result'] == 'OK'
	 and 'for the 2 certificates' in js[0]['steps'][-1]['reason']"
json_check "caa: backup CRITICAL at the caa step, naming the certificate and the record" \
	"js[1]['result'] == 'CRITICAL' and js[1]['step'] == 'caa'
	 and '1 of the 2 certificates' in js[1]['reason'] and 'shop' in js[1]['reason']
	 and 'primary.example' in js[1]['reason']
	 and [(s['step'], s['result']) for s in js[1]['steps']] ==
	 [('directory', 'OK'), ('nonce', 'OK'), ('account', 'OK'), ('caa', 'CRITICAL')]"
err_kv "caa: ca_probe logged for the backup" event=ca_probe ca=backup result=CRITICAL step=caa
hf_expect "caa, text output: exit 2" 2 probe -c "$LAB/caa.conf"
out_check "caa, text: 'CRITICAL backup: caa: CAA forbids ...'" '^CRITICAL backup: caa: CAA forbids this CA'

# --- a wrong EAB key.
conf wrongeab eab_kid="$EAB_KID" eab_hmac_key="$WRONG_KEY"
hf_expect "wrong EAB key: exit 2" 2 probe -c "$LAB/wrongeab.conf" --json
json_check "wrong EAB key: backup CRITICAL at the account step naming eab_hmac_key, primary OK" \
	"js[0]['result'] == 'OK' and js[1]['result'] == 'CRITICAL' and js[1]['step'] == 'account'
	 and 'eab_hmac_key' in js[1]['reason'] and js[1]['account'] is None"
json_check "wrong EAB key: the reason carries the CA's answer" \
	"'HTTP 4' in js[1]['reason']"
check "wrong EAB key: no account URL stored for the backup" \
	lab_not grep -q '"kid"' "$LAB/store-wrongeab/accounts/backup/account.json"

# --- the primary's account deactivated at the CA.
check "lab: the primary account deactivated at the CA" \
	lab_acme_deactivate "$LAB/store-ready" primary
hf_expect "deactivated: exit 2" 2 probe -c "$LAB/ready.conf" --json
json_check "deactivated: primary CRITICAL at the account step, 'deactivated'" \
	"js[0]['ca'] == 'primary' and js[0]['result'] == 'CRITICAL' and js[0]['step'] == 'account'
	 and 'deactivated' in js[0]['reason'] and js[0]['account_created'] is False"
json_check "deactivated: the backup still ready" \
	"js[1]['ca'] == 'backup' and js[1]['result'] == 'OK'"
err_kv "deactivated: ca_probe logged" event=ca_probe ca=primary result=CRITICAL step=account

# --- the directory moved: Pebble answers 404 at the old URL.
lab_acme_conf "$LAB/moved.conf" store="$LAB/store-moved" \
	"[ca primary]" directory="https://127.0.0.1:14000/directory-moved"
hf_expect "moved: exit 2" 2 probe -c "$LAB/moved.conf" --json
json_check "moved: CRITICAL at the directory step, HTTP 404, 'moved'" \
	"len(js) == 1 and js[0]['result'] == 'CRITICAL' and js[0]['step'] == 'directory'
	 and '404' in js[0]['reason'] and 'moved' in js[0]['reason']
	 and [s['step'] for s in js[0]['steps']] == ['directory']"

# --- a directory URL that answers with a web page.
lab_acme_nginx 14200 notjson || not_ok "lab: nginx notjson" "did not start"
lab_acme_conf "$LAB/garbage.conf" store="$LAB/store-garbage" \
	"[ca primary]" directory="https://127.0.0.1:14200/dir"
hf_expect "garbage: exit 2" 2 probe -c "$LAB/garbage.conf" --json
json_check "garbage: CRITICAL at the directory step, not an ACME directory" \
	"js[0]['result'] == 'CRITICAL' and js[0]['step'] == 'directory'
	 and 'ACME directory' in js[0]['reason']"

# --- the daemon probes every probe_interval: metrics and status.
# The store of "ready" (primary's account deactivated, backup's valid) with
# a certificate that is not due (a lab leaf), so the daemon orders nothing.
lab_setup_ca
lab_make_leaf "$CA" www "http://127.0.0.1:8099" || lab_finish
lab_seed_store "$LAB/store-ready" "$CA" www
lab_acme_conf "$LAB/daemon.conf" store="$LAB/store-ready" probe_interval=10s \
	audit_interval=off metrics_listen=127.0.0.1:9464 staple_retry_min=60s \
	"[ca primary]" directory="$PRIMARY" \
	"[ca backup]" directory="$BACKUP" eab_kid="$EAB_KID" eab_hmac_key="$EAB_KEY" \
	"[certificate www]" names="www.test" cas="primary backup"
DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/daemon.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "daemon: started" wait_for_log "$DLOG" "event=daemon_started" 10
check "daemon: primary probed (CRITICAL, account)" \
	wait_for_log "$DLOG" "event=ca_probe ca=primary result=CRITICAL step=account" 30
check "daemon: backup probed (OK)" wait_for_log "$DLOG" "event=ca_probe ca=backup result=OK" 30
# metrics_has LINE: the metrics page shows LINE (waits for a render).
metrics_has() {
	local i
	for ((i = 0; i < LAB_WAIT * 10; i++)); do
		curl -s --max-time 5 http://127.0.0.1:9464/metrics | grep -qxF -- "$1" && return 0
		sleep 0.1
	done
	echo "# no line '$1' on the metrics page:"
	curl -s --max-time 5 http://127.0.0.1:9464/metrics | grep holdfast_ca_ready
	return 1
}
check "daemon: metrics holdfast_ca_ready{ca=\"primary\"} 0" metrics_has 'holdfast_ca_ready{ca="primary"} 0'
check "daemon: metrics holdfast_ca_ready{ca=\"backup\"} 1" metrics_has 'holdfast_ca_ready{ca="backup"} 1'
hf status -c "$LAB/daemon.conf" --json
check "daemon: status exits 2 (a CA not ready)" test "$HF_RC" -eq 2
json_check "daemon: status ca_ready lines: primary false with the reason, backup true" \
	"[(o['ca'], o['ca_ready'], o['result'], o['step']) for o in js if 'ca_ready' in o] ==
	 [('primary', False, 'CRITICAL', 'account'), ('backup', True, 'OK', 'account')]
	 and 'deactivated' in [o for o in js if o.get('ca_ready') is False][0]['reason']
	 and all(ts(o['probed_at']) for o in js if 'ca_ready' in o)"
json_check "daemon: status keeps its certificate line (cert, result, ca)" \
	"any(o.get('cert') == 'www' and 'result' in o and 'ca' in o for o in js)"
hf status -c "$LAB/daemon.conf"
out_check "daemon: status text 'ca_ready primary: CRITICAL account: ...'" \
	'^ca_ready primary: CRITICAL account: .*deactivated'
# The next round comes from the timer heap, probe_interval (10 s) later.
probes_of_backup() { test "$(grep -c "event=ca_probe ca=backup" "$DLOG")" -ge 2; }
wait_second_probe() {
	local i
	for ((i = 0; i < 300; i++)); do
		probes_of_backup && return 0
		sleep 0.1
	done
	return 1
}
check "daemon: the backup probed again within probe_interval" wait_second_probe
kill -TERM "$DAEMON"
check "daemon: stopped" wait_for_log "$DLOG" "event=daemon_stopping" 10
wait "$DAEMON" 2>/dev/null

# --- the primary CA stopped.
lab_pebble_stop primary
lab_acme_conf "$LAB/stopped.conf" store="$LAB/store-stopped" \
	"[ca primary]" directory="$(lab_pebble_url primary)" \
	"[ca backup]" directory="$BACKUP" eab_kid="$EAB_KID" eab_hmac_key="$EAB_KEY"
hf_expect "stopped: exit 2" 2 probe -c "$LAB/stopped.conf" --json
json_check "stopped: primary CRITICAL, unreachable (connect); backup OK" \
	"js[0]['result'] == 'CRITICAL' and js[0]['step'] == 'directory'
	 and '(connect)' in js[0]['reason'] and js[1]['result'] == 'OK'"
hf_expect "stopped, text output: exit 2" 2 probe -c "$LAB/stopped.conf"
out_check "stopped, text: 'CRITICAL primary: directory: ...unreachable'" \
	'^CRITICAL primary: directory: directory unreachable or broken \(connect\)'

# --- nothing to probe, and usage.
lab_acme_conf "$LAB/noca.conf" store="$LAB/store-noca"
hf_expect "no [ca]: exit 3" 3 probe -c "$LAB/noca.conf" --json
json_check "no [ca]: UNKNOWN saying so" "j['result'] == 'UNKNOWN' and '[ca]' in j['reason']"
hf_expect "stray argument: exit 3" 3 probe -c "$LAB/ready.conf" extra
hf_expect "missing configuration: exit 3" 3 probe -c "$LAB/does-not-exist.conf"

no_order "at the end"
lab_finish
