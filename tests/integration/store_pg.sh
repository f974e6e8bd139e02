#!/usr/bin/env bash
# store_pg.sh -- fleet mode's shared store on a real PostgreSQL 15: a fresh
# cluster made by this test (tests/lab/pg.sh: initdb and pg_ctl as the user
# postgres, a Unix socket only), certificates issued for real by Pebble, and
# holdfast's own commands (holdfast store ...) doing every read and write.
# The only SQL the test types itself reads the database to check it, with
# two exceptions that probe the database's own defences: an INSERT with a
# stale fencing token (the trigger must refuse it whoever sends it) and
# deleting the store key's check value.
#
# Checked: the schema is created from empty and a rerun of the migrations
# is a no-op; `store import` moves every certificate (current set,
# meta.json, staple) and the state documents without issuing anything, and
# a second import changes no row; of two concurrent lease acquisitions
# exactly one wins (ten rounds), and tokens only grow; a write with a stale
# token, or with another node's token, or after the lease expired, is
# refused by the database; `store pull` installs newer sets (key matching
# the certificate, 0600), never replaces a newer local set; pg_dump holds no
# private key in any form (PEM, base64, DER, hex, the private numbers);
# a wrong store_key reads nothing; `store rotate-key` re-seals every key in
# one go and the old key stops working.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
# shellcheck source=SCRIPTDIR/../lab/pg.sh
. "$(dirname "$0")/../lab/pg.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

lab_pg_start || { not_ok "lab: postgresql" "the cluster did not start"; lab_finish; }
lab_dns 53 || { not_ok "lab: dns" "dnsmasq did not start"; lab_finish; }
lab_pebble primary 14000 15000 PEBBLE_WFE_NONCEREJECT=20 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
DIR_URL=$(lab_pebble_url primary)
PEBBLE_LOG=$LAB/pebble-primary/pebble.log

for k in store new wrong loose; do
	head -c 32 /dev/urandom >"$LAB/$k.key"
	chmod 600 "$LAB/$k.key"
done
chmod 644 "$LAB/loose.key"

# node_conf FILE NODE STORE KEY [TOP KEY=VALUE...]: a fleet node's
# configuration; the same [ca] and [certificate] sections on every node.
node_conf() {
	local file=$1 node=$2 store=$3 key=$4
	shift 4
	lab_acme_conf "$file" store="$store" database="$LAB_PG_URI" node="$node" \
		store_key="$key" "$@" \
		"[ca primary]" directory="$DIR_URL" \
		"[certificate ec]" names="ec.test www.ec.test" cas=primary key=ec-p256 \
		"[certificate rsa]" names="rsa.test" cas=primary key=rsa-2048
}
node_conf "$LAB/a.conf" a "$LAB/store-a" "$LAB/store.key"
node_conf "$LAB/b.conf" b "$LAB/store-b" "$LAB/store.key"
node_conf "$LAB/a5.conf" a "$LAB/store-a" "$LAB/store.key" lease_ttl=5s
node_conf "$LAB/w.conf" w "$LAB/store-w" "$LAB/wrong.key"
node_conf "$LAB/n.conf" n "$LAB/store-n" "$LAB/new.key"

# hexof FILE: the file's bytes in lower-case hex, one line.
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# key_ok STORE NAME: privkey.pem of NAME in STORE is its cert.pem's key.
key_ok() { test -s "$1/certificates/$2/privkey.pem" && ACME_STORE=$1 acme_key_matches "$2"; }
issued() { grep -c 'Issued certificate serial' "$PEBBLE_LOG"; }
sets() { lab_psql -c "SELECT count(*) FROM holdfast_certificate_sets WHERE name LIKE '$1'"; }
# token_of: the token in the last run's JSON.
token_of() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["token"])' "$HF_OUT"; }

# --- 0. The configuration's rules.
node_conf "$LAB/bad.conf" a "$LAB/store-a" "$LAB/loose.key"
hf_expect "config: a store_key readable by others is refused (exit 3)" 3 store migrate -c "$LAB/bad.conf"
err_check "config: the refusal names file, line and key" \
	"bad.conf:[0-9]+: key \"store_key\": .*loose.key: mode 0644"
lab_acme_conf "$LAB/plain.conf" store="$LAB/store-a" "[ca primary]" directory="$DIR_URL" \
	"[certificate ec]" names="ec.test" cas=primary
hf_expect "config: store commands need database = (exit 3)" 3 store import -c "$LAB/plain.conf"
check "config: no database = means no schema was made" \
	test "$(lab_psql -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'holdfast%'")" = 0

# --- 1. A real issuance into node a's files store (fleet keys do not change
# what issue does), and a real staple for rsa from an OCSP responder that
# signs with Pebble's intermediate.
hf_expect "issue: two certificates from Pebble" 0 issue -c "$LAB/a.conf"
check "issue: Pebble issued exactly two" test "$(issued)" = 2
R=$LAB/responder
lab_pebble_responder primary "$R" || lab_finish
for c in ec rsa; do
	printf 'V\t%s\t\t%s\tunknown\t/CN=%s.test\n' "$(date -u -d '+90 days' +%y%m%d%H%M%SZ)" \
		"$(ACME_STORE=$LAB/store-a acme_serial $c)" "$c" >>"$R/index.txt"
done
lab_ocsp_responder "$R" 8888 || lab_finish
RSA_DIR=$LAB/store-a/certificates/rsa
hf_expect "staple: a good staple for rsa in the store" 0 staple --url http://127.0.0.1:8888 \
	--out "$RSA_DIR/staple.ocsp" "$RSA_DIR/fullchain.pem"
A_SUMS=$(ACME_STORE=$LAB/store-a; acme_sums ec; acme_sums rsa)
STATE_DOCS=$(find "$LAB/store-a/state" "$LAB/store-a/audit" "$LAB/store-a/rdap" -type f 2>/dev/null | wc -l)

# --- 2. Schema from empty; a rerun is a no-op.
hf_expect "migrate: creates the schema on an empty database" 0 store migrate -c "$LAB/a.conf" --json
json_check "migrate: both migrations applied, schema version 2" \
	"j['applied'] == 2 and j['schema_version'] == 2 and j['result'] == 'OK'"
check "migrate: the seven tables exist" \
	test "$(lab_psql -c "SELECT count(*) FROM pg_tables WHERE tablename IN ('holdfast_migrations',
		'holdfast_meta', 'holdfast_leases', 'holdfast_certificate_sets', 'holdfast_staples',
		'holdfast_state', 'holdfast_nodes')")" = 7
MIG=$(lab_psql -c "SELECT version, name, applied_at FROM holdfast_migrations ORDER BY version")
hf_expect "migrate: a rerun succeeds" 0 store migrate -c "$LAB/a.conf" --json
json_check "migrate: a rerun applies nothing" "j['applied'] == 0 and j['schema_version'] == 2"
check "migrate: the migrations table is unchanged by the rerun" \
	test "$(lab_psql -c "SELECT version, name, applied_at FROM holdfast_migrations ORDER BY version")" = "$MIG"
lab_psql -c "INSERT INTO holdfast_migrations (version, name) VALUES (99, 'from the future')"
hf_expect "migrate: a schema newer than holdfast knows is refused (exit 3)" 3 store migrate -c "$LAB/a.conf"
err_check "migrate: ... saying so" "schema is at version 99, newer than this holdfast"
lab_psql -c "DELETE FROM holdfast_migrations WHERE version = 99"

# --- 3. Import, then import again.
export STATE_DOCS
hf_expect "import: exit 0" 0 store import -c "$LAB/a.conf" --json
json_check "import: both certificates added, none failed" \
	"j['certificates'] == 2 and j['added'] == 2 and j['failed'] == 0 and j['refused'] == 0"
json_check "import: the state documents written ($STATE_DOCS files)" \
	"j['state_written'] == int(E['STATE_DOCS']) and j['state_written'] >= 1"
check "import: nothing was issued (Pebble still at two)" test "$(issued)" = 2
check "import: the local store is untouched" \
	test "$(ACME_STORE=$LAB/store-a; acme_sums ec; acme_sums rsa)" = "$A_SUMS"
for c in ec rsa; do
	d=$LAB/store-a/certificates/$c
	check "import: $c: the database's fullchain.pem is the store's" \
		test "$(lab_psql -c "SELECT encode(convert_to(fullchain_pem, 'UTF8'), 'hex') FROM holdfast_certificate_sets WHERE name = '$c'")" = "$(hexof "$d/fullchain.pem")"
	check "import: $c: meta.json is the store's" \
		python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.load(open(sys.argv[2])))' \
		"$(lab_psql -c "SELECT meta_json FROM holdfast_certificate_sets WHERE name = '$c'")" "$d/meta.json"
	check "import: $c: version 1, written by node a" \
		test "$(lab_psql -c "SELECT version || ' ' || written_by FROM holdfast_certificate_sets WHERE name = '$c'")" = "1 a"
done
check "import: rsa's staple is in the database, byte for byte" \
	test "$(lab_psql -c "SELECT encode(der, 'hex') FROM holdfast_staples WHERE name = 'rsa'")" = "$(hexof "$RSA_DIR/staple.ocsp")"
check "import: every state document is there under node a" \
	test "$(lab_psql -c "SELECT count(*) FROM holdfast_state WHERE node = 'a'")" = "$STATE_DOCS"
# Leases change on every import (each certificate is imported under a lease
# of its own); everything else must be byte for byte the same.
# pg_dump's \restrict / \unrestrict lines carry a random key of each run.
data_dump() {
	lab_pg_dump --data-only --exclude-table-data=holdfast_leases |
		grep -Ev '^\\(un)?restrict ' | sha256sum
}
# xmin changes whenever a row is written, even with the same values.
row_versions() {
	lab_psql -c "SELECT 'set', name, version::text, xmin::text FROM holdfast_certificate_sets
		UNION ALL SELECT 'staple', name, version::text, xmin::text FROM holdfast_staples
		UNION ALL SELECT 'state', node, doc, xmin::text FROM holdfast_state ORDER BY 1, 2, 3"
}
DUMP1=$(data_dump)
ROWS1=$(row_versions)
hf_expect "import again: exit 0" 0 store import -c "$LAB/a.conf" --json
json_check "import again: nothing added, both unchanged, no state written" \
	"j['added'] == 0 and j['unchanged'] == 2 and j['state_written'] == 0 and j['failed'] == 0"
check "import again: no row changed (pg_dump of the data is identical)" \
	test "$(data_dump)" = "$DUMP1"
check "import again: no row was even rewritten (every xmin the same)" \
	test "$(row_versions)" = "$ROWS1"

# --- 4. Two concurrent acquisitions: exactly one wins, ten times.
last=0 rounds_ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	(cd "$LAB" && "$HOLDFAST" store lease acquire ec -c "$LAB/a.conf" --json >"$LAB/la.out" 2>"$LAB/la.err"; echo $? >"$LAB/la.rc") &
	pa=$!
	(cd "$LAB" && "$HOLDFAST" store lease acquire ec -c "$LAB/b.conf" --json >"$LAB/lb.out" 2>"$LAB/lb.err"; echo $? >"$LAB/lb.rc") &
	pb=$!
	wait "$pa" "$pb"
	rcs="$(cat "$LAB/la.rc") $(cat "$LAB/lb.rc")"
	case $rcs in
	"0 1") winner=a out=$LAB/la.out loser=$LAB/lb.out ;;
	"1 0") winner=b out=$LAB/lb.out loser=$LAB/la.out ;;
	*)
		not_ok "lease race $i: exactly one of two acquisitions wins" "exits $rcs"
		diag "$LAB/la.err" "  a: "
		diag "$LAB/lb.err" "  b: "
		continue
		;;
	esac
	tok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$out")
	held=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["outcome"], o["holder"])' "$loser")
	if [ "$tok" -gt "$last" ] && [ "$held" = "refused $winner" ]; then
		rounds_ok=$((rounds_ok + 1))
	else
		echo "# round $i: token $tok after $last, loser saw: $held"
	fi
	last=$tok
	hf store lease release ec -c "$LAB/$winner.conf" --token "$tok"
done
check "lease race: 10 rounds, one winner each, the loser told who holds it, tokens grow" \
	test "$rounds_ok" = 10

# --- 5. Fencing.  A new issuance for ec on node a (a later notBefore), then
# node a loses the lease to node b before it writes.
lab_next_second
hf_expect "fencing: a new ec set on node a" 0 issue -c "$LAB/a.conf" --force ec
hf_expect "fencing: a acquires ec" 0 store lease acquire ec -c "$LAB/a.conf" --json
T1=$(token_of)
hf_expect "fencing: a releases it" 0 store lease release ec -c "$LAB/a.conf" --token "$T1"
hf_expect "fencing: b acquires ec" 0 store lease acquire ec -c "$LAB/b.conf" --json
T2=$(token_of)
check "fencing: b's token is the next one" test "$T2" = $((T1 + 1))
hf_expect "fencing: a's write with its stale token is refused (exit 2)" 2 \
	store push ec -c "$LAB/a.conf" --token "$T1" --json
json_check "fencing: refused, the database's reason says stale" \
	"j['outcome'] == 'refused' and 'stale fencing token' in j['reason']"
hf_expect "fencing: a's write with b's token is refused (exit 2)" 2 \
	store push ec -c "$LAB/a.conf" --token "$T2" --json
json_check "fencing: refused, the lease is b's" "j['outcome'] == 'refused' and 'held by b' in j['reason']"
check "fencing: the database still has one ec set" test "$(sets ec)" = 1
# The same refusal for anyone: the trigger, not holdfast, enforces it.
if lab_psql -v VERBOSITY=verbose -c "INSERT INTO holdfast_certificate_sets (name, version,
	fullchain_pem, key_sealed, meta_json, serial, not_before, not_after, fullchain_sha256,
	written_by, fencing_token) VALUES ('ec', 9, 'x', '\x00', '{}', '1', now(), now(), 'x', 'a',
	$T1)" >"$LAB/sql.out" 2>&1; then
	not_ok "fencing: a raw INSERT with the stale token is refused by the database" "it was accepted"
else
	check "fencing: a raw INSERT with the stale token is refused by the database (HF001)" \
		grep -q 'HF001.*stale fencing token' "$LAB/sql.out"
fi
hf_expect "fencing: b releases" 0 store lease release ec -c "$LAB/b.conf" --token "$T2"
hf_expect "fencing: a acquires again" 0 store lease acquire ec -c "$LAB/a5.conf" --json
T3=$(token_of)
hf_expect "fencing: a writes with its current token (exit 0)" 0 \
	store push ec -c "$LAB/a5.conf" --token "$T3" --json
json_check "fencing: the new set is version 2" "j['outcome'] == 'ok' and j['version'] == 2"
# An expired lease (lease_ttl = 5s): b takes it over once it has expired,
# and a's token is refused from then on.
for ((i = 0; i < 40; i++)); do
	hf store lease acquire ec -c "$LAB/b.conf" --json
	[ "$HF_RC" = 0 ] && break
	sleep 0.5
done
check "expiry: b takes over a's lease once it expired" test "$HF_RC" = 0
T4=$(token_of)
lab_next_second
hf_expect "expiry: a newer ec on node a" 0 issue -c "$LAB/a.conf" --force ec
hf_expect "expiry: a's write with the expired lease's token is refused (exit 2)" 2 \
	store push ec -c "$LAB/a.conf" --token "$T3" --json
check "expiry: the database still has two ec sets" test "$(sets ec)" = 2
hf store lease release ec -c "$LAB/b.conf" --token "$T4"
EC_V2=$(lab_psql -c "SELECT fullchain_sha256 FROM holdfast_certificate_sets WHERE name = 'ec' AND version = 2")

# --- 6. Pull into node b's empty local copy; never older over newer.
hf_expect "pull: into b's empty store" 0 store pull -c "$LAB/b.conf" --json
json_check "pull: both installed, rsa's staple too" \
	"j['installed'] == 2 and j['failed'] == 0 and j['staples'] == 1"
for c in ec rsa; do
	check "pull: $c: the key is the certificate's" key_ok "$LAB/store-b" "$c"
	check "pull: $c: privkey.pem is 0600" test "$(ACME_STORE=$LAB/store-b acme_mode "$LAB/store-b/certificates/$c/privkey.pem")" = 600
done
check "pull: ec is the database's newest set (version 2)" \
	test "$(sha256sum <"$LAB/store-b/certificates/ec/fullchain.pem" | cut -d' ' -f1)" = "$EC_V2"
check "pull: rsa's staple is the imported one" cmp "$RSA_DIR/staple.ocsp" "$LAB/store-b/certificates/rsa/staple.ocsp"
B_SUMS=$(ACME_STORE=$LAB/store-b; acme_sums ec; acme_sums rsa)
hf_expect "pull again: exit 0" 0 store pull -c "$LAB/b.conf" --json
json_check "pull again: nothing installed" "j['installed'] == 0 and j['same'] == 2"
check "pull again: b's files untouched" test "$(ACME_STORE=$LAB/store-b; acme_sums ec; acme_sums rsa)" = "$B_SUMS"
hf_expect "pull: into a's store, whose ec is newer than the database's" 0 store pull -c "$LAB/a.conf" --json
json_check "pull: a's newer ec is kept" "j['local_newer'] == 1 and j['installed'] == 0"
check "pull: a's ec is still its own newest" \
	test "$(sha256sum <"$LAB/store-a/certificates/ec/fullchain.pem" | cut -d' ' -f1)" != "$EC_V2"

# --- 7. No private key in a dump of the database, in any form.
lab_pg_dump >"$LAB/dump.sql"
find "$LAB/store-a" "$LAB/store-b" -name privkey.pem >"$LAB/keys.list"
check "dump: holds the certificates and the sealed keys (so the search can fail)" \
	grep -q 'BEGIN CERTIFICATE' "$LAB/dump.sql"
check "dump: no private key as PEM, base64, DER, hex or its private numbers" \
	python3 "$LAB_REPO/tests/lab/pg_dump_check.py" "$LAB/dump.sql" "$LAB/keys.list"

# --- 8. A wrong store_key reads nothing.
hf_expect "wrong key: refused at connect (exit 3)" 3 store pull -c "$LAB/w.conf"
err_check "wrong key: ... because the check value does not verify" "store_key does not open this database"
check "wrong key: nothing installed" lab_not test -e "$LAB/store-w/certificates/ec"
lab_psql -c "DELETE FROM holdfast_meta"
hf_expect "wrong key, check value deleted: still refused (exit 3)" 3 store pull -c "$LAB/w.conf"
err_check "wrong key: ... because the stored keys do not open with it" \
	"store_key does not open the keys already in the database"
check "wrong key: it planted no check value of its own" \
	test "$(lab_psql -c "SELECT count(*) FROM holdfast_meta")" = 0
hf_expect "right key: restores the check value" 0 store migrate -c "$LAB/a.conf"

# --- 9. rotate-key.
SEALED=$(lab_psql -c "SELECT name, version, md5(key_sealed) FROM holdfast_certificate_sets ORDER BY 1, 2")
hf_expect "rotate-key: a new key readable by others is refused (exit 3)" 3 \
	store rotate-key -c "$LAB/a.conf" --new-key "$LAB/loose.key"
check "rotate-key: ... and nothing changed" \
	test "$(lab_psql -c "SELECT name, version, md5(key_sealed) FROM holdfast_certificate_sets ORDER BY 1, 2")" = "$SEALED"
hf_expect "rotate-key: exit 0" 0 store rotate-key -c "$LAB/a.conf" --new-key "$LAB/new.key" --json
json_check "rotate-key: every key re-sealed (3)" "j['keys'] == 3"
check "rotate-key: every sealed key changed" python3 -c '
import sys
a = dict((l.rsplit("|", 1)[0], l.rsplit("|", 1)[1]) for l in sys.argv[1].splitlines())
b = dict((l.rsplit("|", 1)[0], l.rsplit("|", 1)[1]) for l in sys.argv[2].splitlines())
sys.exit(not (a.keys() == b.keys() and len(a) == 3 and all(a[k] != b[k] for k in a)))' \
	"$SEALED" "$(lab_psql -c "SELECT name, version, md5(key_sealed) FROM holdfast_certificate_sets ORDER BY 1, 2")"
hf_expect "rotate-key: the old key no longer opens the database (exit 3)" 3 store pull -c "$LAB/b.conf"
hf_expect "rotate-key: the new key pulls into a fresh store" 0 store pull -c "$LAB/n.conf" --json
json_check "rotate-key: both installed with the new key" "j['installed'] == 2 and j['failed'] == 0"
check "rotate-key: the pulled ec key is the certificate's" key_ok "$LAB/store-n" ec

lab_finish
