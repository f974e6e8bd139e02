#!/bin/bash
# holdfast status never says OK when something is wrong (issue 13):
#   - a failed reload (nginx_reload = /bin/false) and a failing hook-only
#     deploy are WARNING naming the target ("nginx", "deploy_hook"), in the
#     text and in --json (daemon.deploy_failed_targets); a hook that works
#     again is retried and the warning goes;
#   - a server at verify_addr that serves another certificate is WARNING
#     (status looks itself: "serving=mismatch");
#   - the daemon's heartbeat: OK while it runs; with the clock moved on
#     (libfaketime, status only) WARNING past a few missed beats and CRITICAL
#     past the shortest margin; "stopped at" after SIGTERM;
#   - no certificate configured: status and run exit 3;
#   - a corrupt daemon.json or endpoints.json, a symlink loop in the store:
#     WARNING naming the file, never OK.
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

STORE=$LAB/store
DEPLOY=$LAB/deploy
FAKETIME_LIB=(/usr/lib/*/faketime/libfaketime.so.1)
[ -e "${FAKETIME_LIB[0]}" ] ||
	{ not_ok "lab: libfaketime" "not installed (scripts/install-deps.sh installs faketime)"; lab_finish; }

# Staples valid from now-100 s to now+600 s: not due for a refresh during the
# test (no responder needed), and their margin (nextUpdate minus the refresh
# time, half the window) is 350 s: the shortest the daemon keeps.
for n in dep hook srv other; do
	lab_make_leaf "$CA" "$n" "http://127.0.0.1:8099" || lab_finish
done
for n in dep hook srv; do
	lab_seed_store "$STORE" "$CA" "$n"
	lab_craft "$CA" "$n" "$STORE/certificates/$n/staple.ocsp" -100 600 || lab_finish
done
lab_craft "$CA" other "$LAB/other.ocsp" -100 600 || lab_finish
# The server srv's verify_addr points at serves "other", not srv.
lab_nginx_tls 8443 "$CA/other.pem" "$CA/other.key" "$LAB/other.ocsp" || lab_finish

# The hook fails until $LAB/hook-ok exists.
cat >"$LAB/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$2" >>"$LAB/hook.log"
test -e "$LAB/hook-ok"
EOF
chmod 755 "$LAB/hook.sh"
mkdir -p "$DEPLOY/nginx"
printf '%s\n' "store = $STORE" "deploy_dir = $DEPLOY" "audit_interval = off" \
	"nginx_reload = /bin/false" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate dep]" "names = dep.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = nginx" \
	"[certificate hook]" "names = hook.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy_hook = $LAB/hook.sh" \
	"[certificate srv]" "names = srv.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy_hook = /bin/true" "verify_addr = 127.0.0.1:8443" >"$LAB/holdfast.conf"

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "dep: the reload failed" wait_for_log "$DLOG" "event=deploy_failed cert=dep target=nginx" 10
check "hook: the hook failed" wait_for_log "$DLOG" "event=deploy_failed cert=hook target=deploy_hook" 10
check "srv: the daemon's own check failed" \
	wait_for_log "$DLOG" "event=deploy_verify_failed cert=srv addr=127.0.0.1:8443" 15
# The index is written every 2 s: wait until it has the failure.
check "state: the failed targets reach the state index" \
	wait_for_log "$STORE/state/daemon.idx.log" "^hook .*deploy_hook" 10
check "state: srv's failed check reaches the state index" \
	wait_for_log "$STORE/state/daemon.idx.log" "^srv .* failed " 10

# 1. Failed deploys and what is served.
hf_expect "status: exit 1 with failed deploys" 1 status -c "$LAB/holdfast.conf"
out_check "status: dep names the failed target" "^WARNING dep: last deploy failed: nginx;"
out_check "status: hook-only deploy failure is recorded" "^WARNING hook: last deploy failed: deploy_hook;"
out_check "status: srv is served something else" \
	"^WARNING srv: 127.0.0.1:8443 does not serve the stored certificate: .* serving=mismatch"
out_check "status: the daemon runs" "^daemon: OK running; heartbeat="
hf_expect "status --json: exit 1" 1 status --json -c "$LAB/holdfast.conf"
json_check "status --json: failed targets and deploy time per certificate" '
	[o["daemon"]["deploy_failed_targets"] for o in js if o.get("cert") == "dep"] == [["nginx"]] and
	[o["daemon"]["deploy_failed_targets"] for o in js if o.get("cert") == "hook"] == [["deploy_hook"]] and
	all(o["daemon"]["deploy_at"] for o in js if o.get("cert") in ("dep", "hook"))'
json_check "status --json: srv: serving mismatch, the daemon saw it fail too" '
	[(o["serving"]["result"], o["daemon"]["verify"], bool(o["daemon"]["verify_error"]))
	 for o in js if o.get("cert") == "srv"] == [("mismatch", "failed", True)]'
json_check "status --json: one heartbeat line, OK" '
	[(o["result"], o["heartbeat_age"] < 60, o["margin"]) for o in js if o.get("daemon") == "heartbeat"]
	== [("OK", True, 350)]'
check "daemon.json has the same keys" wait_for_log "$STORE/state/daemon.json" '"deploy_failed_targets"' 10

# 2. The hook works again: the retry runs it although no file changed.
touch "$LAB/hook-ok"
for _ in $(seq 150); do
	"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/st.out" 2>&1
	grep -q "^OK hook:" "$LAB/st.out" && break
	sleep 0.1
done
check "hook: retried and OK again" grep -q "^OK hook: ok;" "$LAB/st.out"
check "dep: still WARNING (the reload still fails)" grep -q "^WARNING dep: last deploy failed: nginx" "$LAB/st.out"

# 3. The heartbeat with status's clock moved on (the daemon's is not):
#    +5 min: beats missed (WARNING); +7 min: past the 350 s margin (CRITICAL).
fake_status() {
	LD_PRELOAD=${FAKETIME_LIB[0]} FAKETIME="$1" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$HOLDFAST" status -c "$LAB/holdfast.conf" >"$LAB/fake.out" 2>&1
}
fake_status +300
check "heartbeat +5 min: exit 1" test $? = 1
check "heartbeat +5 min: WARNING silent since" grep -q "^daemon: WARNING silent since" "$LAB/fake.out"
fake_status +420
check "heartbeat +7 min: exit 2" test $? = 2
check "heartbeat +7 min: CRITICAL past the margin" \
	grep -q "^daemon: CRITICAL silent since .*longer than the shortest margin it keeps (350s)" "$LAB/fake.out"

# 4. SIGHUP with a configuration that would break issuance, or has no
#    certificate: refused with file:line:key, the running one kept.
cp "$LAB/holdfast.conf" "$LAB/holdfast.conf.good"
sed -i 's/^names = dep.test$/names = dep.test *.dep.test/' "$LAB/holdfast.conf"
kill -HUP "$DAEMON"
check "sighup: a wildcard with http-01 refused, file:line:key" \
	wait_for_log "$DLOG" "event=reload_refused reason=.*holdfast\.conf:[0-9]+: key .challenge.: \[certificate dep\]: the wildcard name" 10
printf '%s\n' "store = $STORE" >"$LAB/holdfast.conf"
kill -HUP "$DAEMON"
check "sighup: no certificates refused" \
	wait_for_log "$DLOG" "event=reload_refused reason=.*holdfast\.conf: no certificates configured" 10
cp "$LAB/holdfast.conf.good" "$LAB/holdfast.conf"
check "sighup: the daemon still runs" kill -0 "$DAEMON"

# 5. A clean stop is not "running".
kill -TERM "$DAEMON"
wait "$DAEMON"
check "sigterm: exit 0" test $? = 0
hf_expect "stopped: status exit 1" 1 status -c "$LAB/holdfast.conf"
out_check "stopped: says so" "^daemon: WARNING stopped at "
check "stopped: daemon.json says stopped" grep -q '"stopped": "' "$STORE/state/daemon.json"

# 6. No certificate configured: not OK, for status and for run.
printf '%s\n' "store = $STORE" >"$LAB/empty.conf"
hf_expect "no certificates: status exit 3" 3 status -c "$LAB/empty.conf"
out_check "no certificates: status says so" "^UNKNOWN .*empty.conf: no certificates configured"
hf_expect "no certificates: run exit 3" 3 run -c "$LAB/empty.conf"
err_check "no certificates: run says so" "no certificates configured"
: >"$LAB/void.conf"
hf_expect "empty file: status exit 3" 3 status -c "$LAB/void.conf"

# 7. Corrupt state files and a symlink loop: named, never OK.
rm -f "$STORE/state/daemon.idx" "$STORE/state/daemon.idx.log"
echo '{"certificates": ' >"$STORE/state/daemon.json"
echo 'not json' >"$STORE/state/endpoints.json"
hf_expect "corrupt daemon.json: status not OK" 1 status -c "$LAB/holdfast.conf"
out_check "corrupt daemon.json: named" "^WARNING file $STORE/state/daemon.json: not a JSON object"
out_check "corrupt endpoints.json: named" "^WARNING file $STORE/state/endpoints.json: not a JSON object"
echo 'garbage' >"$STORE/state/daemon.idx"
hf_expect "corrupt daemon.idx: status not OK" 1 status -c "$LAB/holdfast.conf"
out_check "corrupt daemon.idx: named" "^WARNING file $STORE/state/daemon.idx: not a state index"
ln -s loop "$STORE/certificates/loop"
printf '%s\n' "[certificate loop]" "names = loop.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	>>"$LAB/holdfast.conf"
hf_expect "symlink loop: status not OK" 1 status -c "$LAB/holdfast.conf"
out_check "symlink loop: named" "^WARNING loop: stored set unreadable: "
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG" "$LAB/st.out" "$LAB/fake.out"
lab_finish
