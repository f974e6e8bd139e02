#!/bin/bash
# The sandbox of holdfast run (holdfast(1) SANDBOX; doc/HACKING.md 13a):
#   - at start one event=sandbox line says seccomp and Landlock are applied
#     (or what the kernel lacks);
#   - inside it the daemon still does its job: a placeholder certificate
#     issued into the store, deployed to a deploy_dir outside the store,
#     the nginx reload command and the deploy hook run (from the helper,
#     outside the sandbox: they write where the daemon may not);
#   - the kernel refuses what the daemon must not do: creating a file
#     outside its paths (EACCES, Landlock) and running a program (EPERM,
#     seccomp), tried by the daemon itself through the test hook
#     HOLDFAST_SANDBOX_SELFTEST;
#   - sandbox = no: the same attempts succeed (so the checks above can fail).
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

OUT=$LAB/outside
mkdir -p "$OUT"
# The reload command and the hook leave a mark where the sandbox forbids
# the daemon to write: only an unsandboxed helper can run them.
printf '#!/bin/sh\necho reloaded >>%s/reloads\n' "$OUT" >"$LAB/reload.sh"
printf '#!/bin/sh\necho "$1 $2" >>%s/hooks\n' "$OUT" >"$LAB/hook.sh"
chmod +x "$LAB/reload.sh" "$LAB/hook.sh"

# conf SANDBOX: a configuration with sandbox = SANDBOX.
conf() {
	printf '%s\n' "store = $LAB/store" "deploy_dir = $LAB/deploy" "audit_interval = off" \
		"sandbox = $1" "metrics_listen = 127.0.0.1:9464" "nginx_reload = $LAB/reload.sh" \
		"[ca primary]" "directory = https://127.0.0.1:9/dir" \
		"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
		"deploy = nginx" "deploy_hook = $LAB/hook.sh" >"$LAB/holdfast.conf"
}

conf yes
DLOG=$LAB/daemon.log
HOLDFAST_SANDBOX_SELFTEST=$OUT/forbidden "$HOLDFAST" run -c "$LAB/holdfast.conf" >"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "sandbox on: daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
sb=$(grep "event=sandbox " "$DLOG")
echo "# $sb"
abi=$(sed -n 's/.* landlock_abi=\([0-9]*\).*/\1/p' <<<"$sb")
check "sandbox on: seccomp applied" grep -q "seccomp=applied" <<<"$sb"
if [ "${abi:-0}" -ge 2 ]; then
	check "sandbox on: Landlock applied (ABI $abi)" grep -q "landlock=applied" <<<"$sb"
	check "forbidden: creating a file outside the allowed paths is refused (EACCES)" \
		grep -q 'event=sandbox_selftest action=write path=.*/outside/forbidden result="Permission denied"' "$DLOG"
	check "forbidden: no such file was made" test ! -e "$OUT/forbidden"
else
	check "sandbox on: the kernel's lack of Landlock is logged" grep -qE "landlock=unsupported" <<<"$sb"
fi
check "forbidden: running a program from the daemon is refused (EPERM)" \
	grep -q 'event=sandbox_selftest action=execve path=/bin/true result="Operation not permitted"' "$DLOG"
check "sandboxed daemon: placeholder written to the store" \
	wait_for_log "$DLOG" "event=placeholder_installed cert=www" 15
check "sandboxed daemon: deployed to deploy_dir" wait_for_log "$DLOG" "event=deployed cert=www target=nginx" 10
check "sandboxed daemon: the include is there" test -s "$LAB/deploy/nginx/www.conf"
check "helper: the reload command ran outside the sandbox" \
	wait_for_log "$OUT/reloads" "reloaded" 10
check "helper: the deploy hook ran outside the sandbox" wait_for_log "$OUT/hooks" "certificate www" 10
check "sandboxed daemon: metrics answered" \
	test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/metrics)" = 200
# SIGHUP: the configuration is read again inside the sandbox, also when it
# was replaced by rename (a new inode, as editors and packages do).
cp "$LAB/holdfast.conf" "$LAB/holdfast.conf.new"
mv "$LAB/holdfast.conf.new" "$LAB/holdfast.conf"
kill -HUP "$DAEMON"
check "sandboxed daemon: SIGHUP reload works" wait_for_log "$DLOG" "event=reloaded " 10
lab_stop "$DAEMON"
# helper_gone: no process left running this configuration (the helper
# dies with the daemon: PR_SET_PDEATHSIG, or the end of its socket).
helper_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		pgrep -f "holdfast run -c $LAB/holdfast.conf" >/dev/null || return 0
		sleep 0.05
	done
	return 1
}
check "helper gone with the daemon" helper_gone

# sandbox = no: the very same attempts succeed.
conf no
rm -f "$OUT/forbidden"
DLOG2=$LAB/daemon-nosandbox.log
HOLDFAST_SANDBOX_SELFTEST=$OUT/forbidden "$HOLDFAST" run -c "$LAB/holdfast.conf" >"$DLOG2" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "sandbox off: daemon started" wait_for_log "$DLOG2" "event=daemon_started" 10
check "sandbox off: logged as off" grep -q "event=sandbox seccomp=off landlock=off" "$DLOG2"
check "sandbox off: the same file is created" \
	grep -q 'event=sandbox_selftest action=write path=.*/outside/forbidden result="allowed"' "$DLOG2"
check "sandbox off: the same program runs" \
	grep -q 'event=sandbox_selftest action=execve path=/bin/true result="allowed"' "$DLOG2"
lab_stop "$DAEMON"
lab_finish
