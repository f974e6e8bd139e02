#!/usr/bin/env bash
# fleet_nodes.sh -- fleet mode end to end: three `holdfast run` nodes (a, b,
# c) sharing one PostgreSQL 15 database (a fresh cluster, tests/lab/pg.sh),
# each deploying to its own nginx, two Pebbles (primary and backup, both in
# every certificate's cas) and `openssl ocsp` signing with the primary's
# intermediate key, responses valid one minute (a compressed clock: a
# staple is refreshed every ~30 s and is stale after 60 s).
#
# Checked:
# 1. Three nodes start on an empty database: each certificate is issued
#    exactly once (the orders Pebble finalised), every node's store holds
#    the same set, and the three nginx serve the same certificate.
# 2. One OCSP fetch per staple for the whole fleet: when the responder
#    first knows the serials, each staple is fetched by one node
#    (staple_refreshed) and adopted by the two others (staple_from_fleet);
#    the three nginx staple the same response.
# 3. kill -9 of the lease holder inside an issuance (twice, a new
#    certificate each time, added by SIGHUP; a dns-01 hook holds the first
#    node that runs it, so the kill lands with the lease held and nothing
#    finalised): another node takes the lease once it expires and
#    finishes; the fleet issues exactly once; the live nodes, and the dead
#    one once restarted, end with the same set, key matching certificate
#    (nothing torn); a write under the dead node's token is refused by the
#    database itself (HF001) while the lease is at a newer one.
# 4. The database stopped for longer than a staple's validity (75 s):
#    a prober makes a handshake per site per node per second; 0 handshakes
#    without a valid certificate, 0 expired staples; every node says
#    fleet_database_down; nothing is issued; when the database returns
#    every node reconnects and the fleet converges on one staple again.
# 5. A partition: node c loses its way to the database (its socket path is
#    removed and its connection terminated) while a and b reach it; c keeps
#    serving (prober), a and b keep sharing staples, nothing is issued;
#    healed, c reconnects.
# 6. `holdfast status` on any node lists the three nodes, OK; pg_dump of
#    the database holds no private key in any form; no key in any log.
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
lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 || { not_ok "lab: pebble primary" "did not start"; lab_finish; }
lab_pebble backup 14001 15001 PEBBLE_VA_ALWAYS_VALID=1 || { not_ok "lab: pebble backup" "did not start"; lab_finish; }
PEBBLE_LOG=$LAB/pebble-primary/pebble.log
BACKUP_LOG=$LAB/pebble-backup/pebble.log
R=$LAB/responder
lab_pebble_responder primary "$R" || lab_finish
lab_ocsp_responder "$R" 8888 1 || lab_finish

head -c 32 /dev/urandom >"$LAB/store.key"
chmod 600 "$LAB/store.key"
# Node c reaches the server through its own directory: a hard link to the
# server's socket, removed for the partition.
mkdir -p "$LAB/pgc"
ln "$LAB_PG_SOCK/.s.PGSQL.5432" "$LAB/pgc/.s.PGSQL.5432" || { not_ok "lab: socket link" "ln failed"; lab_finish; }
NODES="a b c"
declare -A PORT=([a]=8441 [b]=8442 [c]=8443)
SITES="www shop"
EXTRA=() # certificates added during the test (no deploy line)

# node_conf NODE: that node's configuration; the shared sections are the
# same on every node, deploy and verify_addr are its own.
node_conf() {
	local n=$1 uri=$LAB_PG_URI ngx=$LAB/nginx-$1 args=() site
	[ "$n" = c ] && uri="postgresql:///holdfast?host=$LAB/pgc&user=holdfast"
	for site in $SITES; do
		args+=("[certificate $site]" names="$site.test" cas="primary backup" ocsp_backup=http://127.0.0.1:8888
			deploy=nginx verify_addr="127.0.0.1:${PORT[$n]}")
	done
	for site in "${EXTRA[@]}"; do
		args+=("[certificate $site]" names="$site.test" cas="primary backup" ocsp_backup=http://127.0.0.1:8888
			challenge=dns-01 dns_hook="$LAB/hold.sh")
	done
	lab_acme_conf "$LAB/$n.conf.new" store="$LAB/store-$n" database="$uri" node="$n" \
		store_key="$LAB/store.key" lease_ttl=5s audit_interval=off staple_retry_min=1s \
		staple_retry_max=2s issue_retry_min=1s deploy_dir="$LAB/deploy-$n" \
		nginx_reload="nginx -p $ngx -c $ngx/nginx.conf -e $ngx/error.log -s reload" \
		"[ca primary]" directory="$(lab_pebble_url primary)" \
		"[ca backup]" directory="$(lab_pebble_url backup)" "${args[@]}" &&
		mv "$LAB/$n.conf.new" "$LAB/$n.conf"
}
# start NODE: holdfast run for NODE (its log appended to, its pid in a file).
start() {
	"$HOLDFAST" run -c "$LAB/$1.conf" >>"$LAB/$1.log" 2>&1 &
	echo $! >"$LAB/$1.pid"
	lab_track "$!"
}
pid_of() { cat "$LAB/$1.pid"; }
issued() { cat "$PEBBLE_LOG" "$BACKUP_LOG" | grep -c 'Issued certificate serial'; }
# events PATTERN: lines matching PATTERN in the three nodes' logs.
events() { cat "$LAB/a.log" "$LAB/b.log" "$LAB/c.log" | grep -c -- "$1"; }
fullchain_sha() { sha256sum <"$LAB/store-$1/certificates/$2/fullchain.pem" 2>/dev/null | cut -d' ' -f1; }
# same_set NAME: every node's store (each of $SET_NODES, default all)
# holds one CA-issued set of NAME (not a placeholder), the same fullchain,
# key matching certificate.
same_set() {
	local n first nodes=${SET_NODES:-$NODES}
	first=$(fullchain_sha "${nodes%% *}" "$1")
	[ -n "$first" ] || return 1
	for n in $nodes; do
		[ "$(fullchain_sha "$n" "$1")" = "$first" ] || return 1
		ACME_STORE=$LAB/store-$n acme_verify "$1" primary >/dev/null 2>&1 ||
			ACME_STORE=$LAB/store-$n acme_verify "$1" backup >/dev/null 2>&1 || return 1
		ACME_STORE=$LAB/store-$n acme_key_matches "$1" || return 1
	done
}
# await SECONDS COMMAND...: poll COMMAND every 0.2 s.
await() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
# index_add SERIAL...: the responder knows each SERIAL as good. One write:
# openssl ocsp notices a change of index.txt by its mtime (whole seconds),
# so a second write within the same second would go unseen.
index_add() {
	local s exp
	exp=$(date -u -d '+90 days' +%y%m%d%H%M%SZ)
	for s in "$@"; do printf 'V\t%s\t\t%s\tunknown\t/CN=fleet\n' "$exp" "$s"; done >>"$R/index.txt"
	lab_index_changed "$R"
}
# count_ge PATTERN N: the three logs hold at least N lines matching PATTERN
# (a function, so that await re-counts on every poll).
count_ge() { [ "$(events "$1")" -ge "$2" ]; }
cat "$LAB/pebble-primary/root.pem" "$LAB/pebble-backup/root.pem" >"$LAB/roots.pem"
# probe NODE SITE: one handshake with node's nginx; JSON in $LAB/probe.json.
probe() {
	"$(lab_python_crypto)" "$LAB_REPO/tests/lab/drill_probe.py" --port "${PORT[$1]}" --roots "$LAB/roots.pem" \
		--issuer "primary=$LAB/pebble-primary/intermediate.pem" \
		--issuer "backup=$LAB/pebble-backup/intermediate.pem" --once "$2.test" >"$LAB/probe.json" 2>/dev/null
}
probe_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$LAB/probe.json" "$1"; }
# served SITE FIELD: FIELD of each node's handshake for SITE, one line.
served() {
	local n out=""
	for n in $NODES; do
		probe "$n" "$1" || return 1
		out="$out $(probe_field "$2")"
	done
	echo "$out"
}
# all_same SITE FIELD: the three nginx agree on FIELD and it is set.
all_same() {
	local v
	v=$(served "$1" "$2") || return 1
	[ "$(tr ' ' '\n' <<<"$v" | sed '/^$/d' | sort -u | wc -l)" = 1 ] && ! grep -q None <<<"$v"
}
staple_good_everywhere() {
	local n
	for n in $NODES; do
		probe "$n" "$1" && [ "$(probe_field staple_valid)" = True ] || return 1
	done
}

for n in $NODES; do
	node_conf "$n" || lab_finish
	ngx=$LAB/nginx-$n
	mkdir -p "$ngx/tmp"
	{
		lab_nginx_conf_head "$ngx"
		for site in $SITES; do
			printf '    server {\n        listen 127.0.0.1:%s ssl;\n        server_name %s.test;\n' "${PORT[$n]}" "$site"
			printf '        include %s/nginx/%s.conf;\n        location / { return 200 "%s\\n"; }\n    }\n' \
				"$LAB/deploy-$n" "$site" "$n"
		done
		echo "}"
	} >"$ngx/nginx.conf"
done

# --- 1. Three nodes on an empty database.
for n in $NODES; do start "$n"; done
for site in $SITES; do
	check "start: $site issued once and installed on every node" await 60 same_set "$site"
done
check "start: each certificate issued exactly once by the fleet (Pebble finalised $(issued) orders)" \
	test "$(issued)" = 2
check "start: one node issued each, the others pulled it" \
	test "$(events 'event=certificate_issued')" = 2 -a "$(events 'event=store_pulled cert=www')" -ge 2
# nginx cannot start before holdfast's include exists (a reload tried
# before that failed and is retried).
for n in $NODES; do
	for site in $SITES; do await 30 test -s "$LAB/deploy-$n/nginx/$site.conf"; done
	lab_nginx_start "$LAB/nginx-$n" "${PORT[$n]}" || not_ok "lab: nginx $n" "did not start"
done
for site in $SITES; do
	check "start: the three nginx serve the same $site certificate" await 30 all_same "$site" serial
done

# --- 2. One fetch per staple for the fleet.
serials=()
for site in $SITES; do serials+=("$(ACME_STORE=$LAB/store-a acme_serial "$site")"); done
index_add "${serials[@]}"
for site in $SITES; do
	check "staple: every nginx staples a valid $site response" await 40 staple_good_everywhere "$site"
	check "staple: one node fetched $site for the fleet ($(events "event=staple_refreshed cert=$site ") fetches)" \
		test "$(events "event=staple_refreshed cert=$site ")" = 1
	check "staple: the two others adopted it from the database" \
		test "$(events "event=staple_from_fleet cert=$site ")" -ge 2
	check "staple: the three nginx staple the same $site response" all_same "$site" this_update
done

# --- 3. kill -9 of the lease holder in the middle of an issuance.
# k1 and k2 use dns-01 through hold.sh: the first node to run it for a name
# (the lease holder) is held there for 15 s, so the kill lands inside the
# issuance, with the order open and the lease held; the node that takes
# over runs it again and goes straight on. (Pebble validates anyway:
# PEBBLE_VA_ALWAYS_VALID.)
cat >"$LAB/hold.sh" <<EOF
#!/bin/sh
[ "\$1" = add ] || exit 0
mkdir $(printf %q "$LAB")/hold-"\$2" 2>/dev/null || exit 0
exec sleep 15
EOF
chmod 755 "$LAB/hold.sh"
# holder_of NAME: the node that logged taking NAME's issuance lease.
holder_of() {
	local n
	for n in $NODES; do
		grep -q "event=fleet_lease_acquired cert=$1 " "$LAB/$n.log" && { echo "$n"; return 0; }
	done
	return 1
}
for k in k1 k2; do
	EXTRA+=("$k")
	for n in $NODES; do node_conf "$n"; done
	before=$(issued)
	for n in $NODES; do kill -HUP "$(pid_of "$n")"; done
	victim=
	if await 30 test -d "$LAB/hold-_acme-challenge.$k.test"; then victim=$(holder_of "$k"); fi
	if [ -z "$victim" ]; then
		not_ok "kill: a node took $k's lease and ran its dns hook" "no hold-_acme-challenge.$k.test within 30 s"
		continue
	fi
	token=$(grep -o "event=fleet_lease_acquired cert=$k token=[0-9]*" "$LAB/$victim.log" | head -n1 | sed 's/.*token=//')
	kill -KILL "$(pid_of "$victim")"
	check "kill: $victim held $k's lease (token $token) and had issued nothing when killed" \
		test "$(issued)" = "$before" -a -n "$token"
	live=$(tr ' ' '\n' <<<"$NODES" | grep -vx "$victim" | tr '\n' ' ')
	SET_NODES=${live% } check "kill: $k finished by another node after $victim died (kill -9)" await 45 same_set "$k"
	check "kill: $k issued exactly once by the fleet ($(($(issued) - before)) orders finalised)" \
		test "$(($(issued) - before))" = 1
	check "kill: another node pushed $k under a newer token than $token" \
		grep -qE "event=fleet_pushed cert=$k version=[0-9]+ token=($((token + 1))|[0-9]{$((${#token} + 1)),})" \
		"$LAB/a.log" "$LAB/b.log" "$LAB/c.log"
	# The dead node's write, had it been only paused: under its old token
	# while the lease is live again at the newer one (another node at work;
	# rolled back).
	if [ "$k" = k1 ]; then
		if lab_psql -v VERBOSITY=verbose -v ON_ERROR_STOP=1 -c "BEGIN;
			UPDATE holdfast_leases SET holder = 'another-node',
				expires_at = clock_timestamp() + interval '1 minute' WHERE name = '$k';
			INSERT INTO holdfast_certificate_sets (name, version,
			fullchain_pem, key_sealed, meta_json, serial, not_before, not_after, fullchain_sha256,
			written_by, fencing_token) VALUES ('$k', 99, 'x', '\x00', '{}', '1', now(), now(), 'x',
			'$victim', $token); ROLLBACK;" >"$LAB/sql.out" 2>&1; then
			not_ok "kill: the dead node's write with its stale token is refused" "the database accepted it"
		else
			check "kill: the dead node's write with its stale token is refused by the database (HF001)" \
				grep -q 'HF001.*stale fencing token' "$LAB/sql.out"
		fi
	fi
	start "$victim"
	check "kill: $victim restarted" wait_for_log "$LAB/$victim.log" "event=daemon_started" 30
	check "kill: $victim, restarted, holds the fleet's $k" await 30 same_set "$k"
done
check "kill: the restarted nodes hold the fleet's sets" await 30 same_set k1
# The responder learns k1 and k2 (status in step 6 wants their staples).
index_add "$(ACME_STORE=$LAB/store-a acme_serial k1)" "$(ACME_STORE=$LAB/store-a acme_serial k2)"
issued_before_outage=$(issued)

# --- 4. The database stopped for longer than a staple's validity.
{
	for n in $NODES; do
		for site in $SITES; do echo "$site.test ${PORT[$n]} $n"; done
	done
} >"$LAB/sites"
"$(lab_python_crypto)" "$LAB_REPO/tests/lab/drill_probe.py" --port 8441 --roots "$LAB/roots.pem" \
	--issuer "primary=$LAB/pebble-primary/intermediate.pem" \
	--issuer "backup=$LAB/pebble-backup/intermediate.pem" \
	--sites "$LAB/sites" --out "$LAB/probes.jsonl" --stop "$LAB/probe.stop" >"$LAB/prober.log" 2>&1 &
PROBER=$!
lab_track "$PROBER"
sleep 2
down0=$(events 'event=fleet_database_down')
up0=$(events 'event=fleet_database_up')
runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
t_down=$(date +%s)
check "outage: every node notices the database is down" \
	await 30 count_ge 'event=fleet_database_down' $((down0 + 3))
sleep $((75 - ($(date +%s) - t_down)))
check "outage: the nodes refreshed their staples alone meanwhile" \
	test "$(grep -h 'event=staple_refreshed' "$LAB/a.log" "$LAB/b.log" "$LAB/c.log" | awk -v t="$(date -u -d "@$t_down" +%Y-%m-%dT%H:%M:%SZ)" '{ split($1, f, "="); if (f[2] > t) n++ } END { print n + 0 }')" -ge 6
runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" -l "$LAB_PG_DIR/log" -w -t 30 \
	-o "-k $LAB_PG_SOCK -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1 ||
	not_ok "lab: postgresql restart" "pg_ctl start failed"
ln -f "$LAB_PG_SOCK/.s.PGSQL.5432" "$LAB/pgc/.s.PGSQL.5432"
check "outage: every node reconnects when the database returns" \
	await 90 count_ge 'event=fleet_database_up' $((up0 + 3))
check "outage: nothing was issued while the database was down" test "$(issued)" = "$issued_before_outage"
for site in $SITES; do
	check "outage: the fleet converges on one $site staple again" await 60 all_same "$site" this_update
done

# --- 5. A partition: c cannot reach the database, a and b can.
rm -f "$LAB/pgc/.s.PGSQL.5432"
lab_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holdfast/c'" >/dev/null
part_from=$(wc -l <"$LAB/c.log")
check "partition: c says the database is down" \
	await 30 sh -c "tail -n +$part_from '$LAB/c.log' | grep -q event=fleet_database_down"
adopted_ab=$(grep -c 'event=staple_from_fleet' "$LAB/a.log" "$LAB/b.log" | awk -F: '{ n += $2 } END { print n }')
sleep 40
check "partition: a and b keep sharing staples (one fetches, the other adopts)" \
	test "$(grep -c 'event=staple_from_fleet' "$LAB/a.log" "$LAB/b.log" | awk -F: '{ n += $2 } END { print n }')" -gt "$adopted_ab"
check "partition: a and b stay connected" lab_not grep -q 'event=fleet_database_down' <(tail -n 40 "$LAB/a.log" "$LAB/b.log")
check "partition: nothing issued during it" test "$(issued)" = "$issued_before_outage"
ln "$LAB_PG_SOCK/.s.PGSQL.5432" "$LAB/pgc/.s.PGSQL.5432"
check "partition: healed, c reconnects" \
	await 90 sh -c "tail -n +$part_from '$LAB/c.log' | grep -q event=fleet_database_up"
touch "$LAB/probe.stop"
wait "$PROBER" 2>/dev/null

python3 - "$LAB/probes.jsonl" >"$LAB/probes.sum" <<-'EOF'
	import json, sys
	ps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	bad = [p for p in ps if not p["cert_valid"]]
	exp = [p for p in ps if p["staple_expired"]]
	print(len(ps), len(bad), len(exp), sum(p["staple_valid"] for p in ps))
EOF
read -r probes badcert expired stapled <"$LAB/probes.sum"
check "prober: handshakes made through the outage and the partition ($probes)" test "${probes:-0}" -ge 300
check "prober: 0 handshakes without a valid certificate ($badcert of $probes)" test "$badcert" = 0
check "prober: 0 expired staples served ($expired of $probes; $stapled with a valid staple)" test "$expired" = 0

# --- 6. Status, the dump, the logs.
alive() {
	local n
	for n in $NODES; do kill -0 "$(pid_of "$n")" 2>/dev/null || return 1; done
}
check "nodes: all three still run after the outage and the partition" alive
hf_expect "status: OK on node a" 0 status -c "$LAB/a.conf"
for n in $NODES; do
	out_check "status: lists node $n, OK" "node $n: OK"
done
lab_pg_dump >"$LAB/dump.sql"
find "$LAB/store-a" -name privkey.pem >"$LAB/keys.list"
check "dump: no private key as PEM, base64, DER, hex or its private numbers" \
	python3 "$LAB_REPO/tests/lab/pg_dump_check.py" "$LAB/dump.sql" "$LAB/keys.list" 4
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$LAB/a.log" "$LAB/b.log" "$LAB/c.log"
for n in $NODES; do kill -TERM "$(pid_of "$n")" 2>/dev/null; done
if [ "$LAB_FAILED" -gt 0 ]; then
	for n in $NODES; do diag "$LAB/$n.log" "  $n: "; done
fi
lab_finish
