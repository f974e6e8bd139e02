#!/bin/bash
# Crash safety of `holdfast run`: SIGKILL at random moments, over and over,
# while it refreshes staples and issues certificates; after every kill no
# file in the store or the deploy directory is torn, empty or invalid, and
# nothing invalid was ever handed to a web server.
#
# Peers (all real): `openssl ocsp -nmin 1` for five lab certificates, run
# with libfaketime 31 s in the past, so that every response it signs is
# already past its refresh time (halfway) and every start of the daemon
# refreshes every staple at once; Pebble (PEBBLE_VA_ALWAYS_VALID) issuing
# 1-second certificates, so two certificates are due at every start; nginx
# (one server per certificate) and HAProxy (runtime API) that the daemon
# deploys to. The responder is restarted when a killed daemon left it stuck
# (an OpenSSL bug, see lab_ocsp_lagging in tests/lab/lib.sh).
#
# One cycle: start `holdfast run`, then SIGKILL it
#   - after a random 0..HF_CRASH_MAX_MS ms, or
#   - right after the K-th refresh, issuance or deploy line of its log (plus
#     0..15 ms), which puts kills inside the write-and-deploy sequences, or
#   - from inside the nginx reload command, after the files are written and
#     before nginx is told (a crash at exactly that point);
# then tests/lab/crash_check.py (an independent checker: python3 +
# cryptography, no holdfast code) checks the store and the deploy directory.
# The nginx reload command copies DEPLOY/nginx before it reloads, so every
# set of files nginx was ever asked to load is checked too, and nginx's own
# error log must stay free of [emerg]/[alert]/[crit].
#
# Leftover temporary files (*.tmp.*) are counted, not failures: a SIGKILL
# between mkostemp() and rename() leaves one behind by design. The loop runs
# until HF_CRASH_CYCLES cycles did real work -- a refresh or an issuance
# completed before the kill, as the log says; kills in the first
# milliseconds come on top.
#
# Last, the one point a random kill rarely hits: killed after writing a new
# certificate to DEPLOY/nginx and before telling nginx, then restarted.
#
# What it found (fixed in deploy.c): nginx's certificate, key and staple
# were three files replaced one after the other, so a kill between them, or
# an nginx reload parsing while the next certificate was written, paired a
# new certificate with the old key ("[emerg] key values mismatch", 4 times
# in the first 41 kills); and a restart after a kill between writing and
# reloading found the files up to date and never reloaded nginx.
#
#   HF_CRASH_CYCLES=500      cycles with a completed refresh or issuance (300 under ASan)
#   HF_CRASH_MAX_MS=400      upper bound of the random delay
#   HF_CRASH_BUDGET=480      seconds; the loop stops there (a failure)
#   HF_CRASH_SEED=N          seed of the kill schedule (printed)
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/../lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

# Under ASan (tests/run.sh's asan suite) the daemon runs 2-3 times slower:
# 300 cycles there look for memory errors; the plain suite's 500 are the
# crash coverage.  Not a speed goal: the budget only stops a hang.
if [ "${HOLDFAST_SUITE:-}" = asan ]; then
	CYCLES=${HF_CRASH_CYCLES:-300}
else
	CYCLES=${HF_CRASH_CYCLES:-500}
fi
MAX_MS=${HF_CRASH_MAX_MS:-400}
BUDGET=${HF_CRASH_BUDGET:-480}
SEED=${HF_CRASH_SEED:-$(($$ % 32768))}
RANDOM=$SEED
echo "# cycles with work $CYCLES, random delay 0..$MAX_MS ms, budget ${BUDGET}s, seed $SEED"

STORE=$LAB/store
DEPLOY=$LAB/deploy
SNAPS=$LAB/snaps
NGX=$LAB/nginx
SOCK=$LAB/haproxy.sock
DLOG=$LAB/daemon.log # every cycle, appended
WLOG=$LAB/warm-up.log
CLOG=$LAB/cycle.log
OCSP_PORT=8080
STAPLED="s1 s2 s3 s4 h1" # lab certificates, stapled
ISSUED="i1 i2"           # issued by Pebble at every start
ALL="$STAPLED $ISSUED"
declare -A PORT=([s1]=8441 [s2]=8442 [s3]=8443 [s4]=8444 [i1]=8451 [i2]=8452)
mkdir -p "$DEPLOY/nginx" "$DEPLOY/haproxy" "$SNAPS" "$NGX/tmp"

# ---------------------------------------------------------------- the lab

for c in $STAPLED; do
	lab_make_leaf "$CA" "$c" "http://127.0.0.1:$OCSP_PORT" || lab_finish
done
# seed_store NAME: the lab leaf as STORE/certificates/NAME (versioned
# layout), never due for renewal, with a valid stored staple that is past
# its refresh time.
seed_store() {
	lab_seed_store "$STORE" "$CA" "$1" pebble &&
		lab_craft "$CA" "$1" "$STORE/certificates/$1/staple.ocsp" -100 60
}
for c in $STAPLED; do
	seed_store "$c" || lab_finish
done

exec {SLEEP_FD}<> <(:)
# msleep MS: sleep without a fork.
msleep() {
	read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$SLEEP_FD"
}

# The responder signs 1-minute responses with a clock 31 s slow
# (lab_ocsp_lagging): thisUpdate = now - 31, nextUpdate = now + 29, so the
# refresh time (halfway, minus up to 5 % jitter) has always passed and
# every start refreshes every staple. A killed daemon leaves kept-alive
# connections behind, on which OpenSSL 3.0's responder spins
# (openssl/openssl#31129): responder_unstick restarts it then.
responder_unstick() {
	lab_ocsp_lagging_unstick || { not_ok "lab: OCSP responder" "did not restart"; lab_finish; }
}
lab_ocsp_lagging "$CA" "$OCSP_PORT" 31 || { not_ok "lab: OCSP responder" "did not start"; lab_finish; }

lab_dns 53 || { not_ok "lab: dns" "dnsmasq did not start"; lab_finish; }
LAB_PEBBLE_VALIDITY=${HF_CRASH_VALIDITY:-1} lab_pebble short 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble" "did not start"; lab_finish; }
# For the last part: a Pebble with its default 5-year certificates.
lab_pebble long 14001 15001 PEBBLE_VA_ALWAYS_VALID=1 ||
	{ not_ok "lab: pebble (long)" "did not start"; lab_finish; }

# The nginx reload command: copy what nginx is about to load (atomically, by
# rename), then reload it. When $LAB/kill-at-reload exists it instead kills
# the daemon that ran it: files written, nginx not told.
cat >"$LAB/reload.sh" <<-EOF
	#!/bin/bash
	# Kept only when the daemon that waits for this script is still alive
	# after the copy: a SIGKILL leaves this script running while the next
	# daemon deploys, and a copy taken then is no snapshot of anything.
	snap=$SNAPS/.\$\$
	if cp -a "$DEPLOY/nginx" "\$snap" && [ "\$(cat /proc/\$PPID/comm 2>/dev/null)" = holdfast ]; then
		mv "\$snap" "$SNAPS/\$(date +%s%N).\$\$"
	else
		rm -rf "\$snap"
	fi
	# Only ever the holdfast that ran this script (bash keeps \$PPID from its start).
	# With the sandbox (holdfast(1) SANDBOX) that is the daemon's spawn helper,
	# a forked holdfast whose parent is the daemon: the daemon is the one killed
	# (the helper dies with it).
	victim=\$PPID
	pp=\$(awk '{ print \$4 }' /proc/\$PPID/stat 2>/dev/null)
	[ -n "\$pp" ] && [ "\$(cat /proc/\$pp/comm 2>/dev/null)" = holdfast ] && victim=\$pp
	if [ "\$(cat /proc/\$victim/comm 2>/dev/null)" = holdfast ] && rm "$LAB/kill-at-reload" 2>/dev/null; then
		echo "\$victim" >>"$LAB/reload-kills"
		kill -KILL "\$victim"
		exit 1
	fi
	[ -s "$NGX/nginx.pid" ] || exit 0
	exec nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -s reload
EOF
chmod 755 "$LAB/reload.sh"

conf_args=(deploy_dir="$DEPLOY" audit_interval=off nginx_reload="$LAB/reload.sh"
	staple_retry_min=1s staple_retry_max=2s issue_retry_min=1s
	"[ca pebble]" directory="$(lab_pebble_url short)")
for c in s1 s2 s3 s4; do
	conf_args+=("[certificate $c]" names="$c.test" cas=pebble deploy=nginx)
done
conf_args+=("[certificate h1]" names="h1.test" cas=pebble deploy="haproxy:$SOCK"
	"[certificate i1]" names="i1.test" cas=pebble deploy="nginx haproxy:$SOCK"
	"[certificate i2]" names="i2.test" cas=pebble deploy=nginx)
lab_acme_conf "$LAB/holdfast.conf" "${conf_args[@]}" || lab_finish

# ---------------------------------------------------------------- warm-up

# One run that is not killed until everything is issued and deployed, so
# nginx and HAProxy have files to start with.
"$HOLDFAST" run -c "$LAB/holdfast.conf" >"$WLOG" 2>&1 &
pid=$!
lab_track "$pid"
warm_ok() {
	local c
	for c in $ALL; do
		grep -Eq "event=(certificate_issued|staple_refreshed) cert=$c " "$WLOG" || return 1
	done
	for c in s1 s2 s3 s4 i1 i2; do
		[ -s "$DEPLOY/nginx/$c.conf" ] || return 1
	done
	[ -s "$DEPLOY/haproxy/h1.pem" ] && [ -s "$DEPLOY/haproxy/i1.pem" ]
}
for _ in $(seq 300); do
	warm_ok && break
	sleep 0.05
done
check "warm-up: every staple refreshed, both certificates issued, all deployed" warm_ok
kill -TERM "$pid"
wait "$pid"
warm_ok || { diag "$WLOG" "  "; lab_finish; }
responder_unstick

{
	lab_nginx_conf_head "$NGX"
	for c in s1 s2 s3 s4 i1 i2; do
		printf '    server {\n        listen 127.0.0.1:%s ssl;\n        include %s;\n        location / { return 200 "lab\\n"; }\n    }\n' \
			"${PORT[$c]}" "$DEPLOY/nginx/$c.conf"
	done
	echo "}"
} >"$NGX/nginx.conf"
lab_nginx_start "$NGX" 8441 || { not_ok "lab: nginx" "did not start"; lab_finish; }
cat >"$LAB/haproxy.cfg" <<-EOF
	global
	    stats socket $SOCK level admin
	defaults
	    mode http
	    timeout connect 2s
	    timeout client 5s
	    timeout server 5s
	frontend h1
	    bind 127.0.0.1:8460 ssl crt $DEPLOY/haproxy/h1.pem
	    http-request return status 200 content-type text/plain string lab
	frontend i1
	    bind 127.0.0.1:8461 ssl crt $DEPLOY/haproxy/i1.pem
	    http-request return status 200 content-type text/plain string lab
EOF
haproxy -db -f "$LAB/haproxy.cfg" >"$LAB/haproxy.log" 2>&1 &
lab_track $!
wait_for_port 8461 || { not_ok "lab: haproxy" "did not start"; diag "$LAB/haproxy.log"; lab_finish; }
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	sleep 0.05
done

# The checker, as a coprocess: "check TAG" -> "done VIOLATIONS TEMP SNAPS".
REPORT=$LAB/violations.txt
: >"$REPORT"
coproc CHECKER {
	exec "$(lab_python_crypto)" "$LAB_LIB_DIR/crash_check.py" --store "$STORE" \
		--deploy "$DEPLOY" --snaps "$SNAPS" --certs "${ALL// /,}" --report "$REPORT" \
		--nginx-log "$NGX/error.log" 2>"$LAB/checker.err"
}
lab_track "$CHECKER_PID"
CHECKER_IN=${CHECKER[1]}
CHECKER_OUT=${CHECKER[0]}
# checker TAG: run one check; sets CHECK_VIOL, CHECK_TEMP, CHECK_SNAPS.
checker() {
	local reply word
	echo "check $1" >&"$CHECKER_IN"
	if ! read -r -t 60 reply <&"$CHECKER_OUT"; then
		reply="error no answer"
	fi
	read -r word CHECK_VIOL CHECK_TEMP CHECK_SNAPS <<<"$reply"
	if [ "$word" != "done" ]; then
		not_ok "checker" "$reply"
		diag "$LAB/checker.err" "  "
		lab_finish
	fi
}
checker warm-up
check "warm-up: store and deploy directory valid" test "$CHECK_VIOL" = 0

# ---------------------------------------------------------------- cycles

EVENTS='event=(staple_refreshed|certificate_issued|deploy_done|deployed)'
kills=0 work=0 refresh_cycles=0 issue_cycles=0 refreshes=0 issues=0 deploys=0
died=0 violations=0 max_temp=0 snaps=0
declare -A mode_count=()
start_s=$SECONDS
for ((cycle = 1; work < CYCLES; cycle++)); do
	if ((SECONDS - start_s >= BUDGET)); then
		break
	fi
	r=$((RANDOM % 100))
	if ((r < 45)); then
		mode="time"
	elif ((r < 90)); then
		mode=event
	else
		mode=reload
		: >"$LAB/kill-at-reload"
	fi
	mode_count[$mode]=$((${mode_count[$mode]:-0} + 1))
	: >"$CLOG"
	"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$CLOG" 2>&1 &
	pid=$!
	case $mode in
	time)
		msleep $((RANDOM % (MAX_MS + 1)))
		;;
	event)
		# The K-th refresh/issuance/deploy line, then 0..15 ms.
		k=$((RANDOM % 8 + 1))
		for ((i = 0; i < 600; i++)); do
			n=$(grep -cE "$EVENTS" "$CLOG")
			((n >= k)) && break
			kill -0 "$pid" 2>/dev/null || break
			msleep 5
		done
		msleep $((RANDOM % 16))
		;;
	reload)
		for ((i = 0; i < MAX_MS / 5; i++)); do
			[ -e "$LAB/kill-at-reload" ] || break
			kill -0 "$pid" 2>/dev/null || break
			msleep 5
		done
		;;
	esac
	kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null # no "Killed" notice
	rc=$?
	rm -f "$LAB/kill-at-reload"
	responder_unstick
	kills=$cycle
	{
		echo "# ---- cycle $cycle ($mode) exit $rc"
		cat "$CLOG"
	} >>"$DLOG"
	if [ "$rc" != 137 ]; then
		died=$((died + 1))
		not_ok "cycle $cycle: the daemon was alive until the kill" "exit status $rc"
		tail -n 20 "$CLOG" | sed 's/^/#   /'
	fi
	read -r nref niss ndep < <(awk '/event=staple_refreshed /{r++} /event=certificate_issued /{i++}
		/event=deploy_done /{d++} END {print r+0, i+0, d+0}' "$CLOG")
	refreshes=$((refreshes + nref)) issues=$((issues + niss)) deploys=$((deploys + ndep))
	((nref > 0)) && refresh_cycles=$((refresh_cycles + 1))
	((niss > 0)) && issue_cycles=$((issue_cycles + 1))
	((nref + niss > 0)) && work=$((work + 1))
	checker "cycle $cycle ($mode)"
	snaps=$((snaps + CHECK_SNAPS))
	((CHECK_TEMP > max_temp)) && max_temp=$CHECK_TEMP
	if ((CHECK_VIOL > 0)); then
		violations=$((violations + CHECK_VIOL))
		echo "# cycle $cycle ($mode): $CHECK_VIOL violation(s), see below"
	fi
done
elapsed=$((SECONDS - start_s))
echo "# $kills kills in ${elapsed}s (modes: time ${mode_count[time]:-0}, event ${mode_count[event]:-0}, reload ${mode_count[reload]:-0});" \
	"$work cycles with a completed refresh or issuance ($refresh_cycles refresh, $issue_cycles issuance);" \
	"$refreshes refreshes, $issues issuances, $deploys deploys; $snaps reload-time snapshots checked;" \
	"$(wc -l <"$LAB/reload-kills" 2>/dev/null || echo 0) kills from inside the reload command;" \
	"OCSP responder restarted $((LAB_LAGGING_STARTS - 1)) times"

check "cycles: $CYCLES cycles with real work ($kills kills) within ${BUDGET}s" test "$work" -ge "$CYCLES"
check "cycles: the daemon never exited before its kill" test "$died" = 0
check "work: both kinds, refreshes in $refresh_cycles cycles and issuances in $issue_cycles" \
	test $((refresh_cycles * 4)) -ge "$work" -a $((issue_cycles * 4)) -ge "$work"
check "invariants: no torn, empty or invalid file after any kill, nothing invalid deployed" \
	test "$violations" = 0
if [ -s "$REPORT" ]; then
	echo "# violations (first 60 lines of $REPORT):"
	head -n 60 "$REPORT" | sed 's/^/#   /'
fi

# Events that say the store was found broken after a restart, and sanitizer
# reports, are failures; other warnings and errors are listed.
check "log: no certificate found unreadable after a restart" \
	lab_not grep -E "event=(certificate_unreadable|certificate_reissue) " "$DLOG"
check "log: no sanitizer report" lab_not grep -E "AddressSanitizer|runtime error:|LeakSanitizer" "$DLOG"
check "log: HAProxy accepted every update" lab_not grep -E "event=haproxy_update_failed " "$DLOG"
echo "# warn/error events over the run:"
grep -oE 'level=(warn|error) event=[a-z_0-9]+' "$DLOG" | sort | uniq -c | sort -rn | sed 's/^/#   /'

# ---------------------------------------------------------------- a clean run

# The last word belongs to an uninterrupted daemon: it must repair whatever
# the kills left, and HAProxy must hold what is on disk.
"$HOLDFAST" run -c "$LAB/holdfast.conf" >"$CLOG" 2>&1 &
pid=$!
wait_for_log "$CLOG" "event=certificate_issued cert=i1 " 10 >/dev/null
wait_for_log "$CLOG" "event=deployed cert=i1 target=haproxy" 10 >/dev/null
msleep 1500
kill -TERM "$pid"
wait "$pid"
check "clean run: exit 0 on SIGTERM" test $? = 0
cat "$CLOG" >>"$DLOG"
checker "clean run"
check "clean run: store and deploy directory valid" test "$CHECK_VIOL" = 0
# deploy.c keeps DEPLOY/*/.NAME.pending from a change until the server took
# it: a clean run leaves none.
no_pending() {
	local left
	left=$(find "$DEPLOY" -name '.*.pending')
	echo "$left"
	[ -z "$left" ]
}
check "clean run: no deploy left pending" no_pending
hap_serial=$(haproxy_cmd "$SOCK" "show ssl cert $DEPLOY/haproxy/i1.pem" | sed -n 's/^Serial: //p')
file_serial=$(lab_cert_serial "$DEPLOY/haproxy/i1.pem")
check "clean run: HAProxy serves the i1 certificate on disk ($file_serial)" \
	test "${hap_serial^^}" = "${file_serial^^}"

summary=$(echo final >&"$CHECKER_IN" && read -r -t 60 line <&"$CHECKER_OUT" && echo "$line")
echo "# checker summary: $summary"
python3 - "$summary" <<-'EOF'
	import json, sys
	s = json.loads(sys.argv[1])
	print("# leftover temporary files now: %d (cleaned up by the daemon over the run: %d)"
	      % (s["temp_now"], s["temp_cleaned"]))
	for k, v in sorted(s["temp_where"].items()):
	    print("#   %5d in %s" % (v, k))
	print("# incomplete version directories left by interrupted installs: %d (removed: %d)"
	      % (s["orphan_versions_now"], s["orphan_versions_removed"]))
EOF

# ---------------------------------------------------------------- after a crash between write and reload

# i2 moves to a CA with 5-year certificates; `holdfast issue` (which writes
# only the store) renews it while no daemon runs, as an operator would. The
# next start writes DEPLOY/nginx/i2.* and is killed inside the reload
# command, before nginx is told. The start after that finds the files
# already as they should be: it must still make nginx load them, or nginx
# serves the old certificate until something else changes (for a 5-year
# certificate without OCSP: until it expires).
lab_acme_conf "$LAB/last.conf" deploy_dir="$DEPLOY" audit_interval=off \
	nginx_reload="$LAB/reload.sh" issue_retry_min=1s \
	"[ca long]" directory="$(lab_pebble_url long)" \
	"[certificate i2]" names="i2.test" cas=long deploy=nginx || lab_finish
# served_serial: serial of the certificate nginx serves for i2.
served_serial() {
	openssl s_client -connect "127.0.0.1:${PORT[i2]}" -servername i2.test </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}
# wait_served SERIAL: until nginx serves it (at most 4 s); prints what it serves.
wait_served() {
	local got
	for _ in $(seq 40); do
		got=$(served_serial)
		[ "$got" = "$1" ] && break
		msleep 100
	done
	echo "$got"
}
# run_until_started: one daemon run with last.conf until it logged
# daemon_started (or died), then SIGTERM. Log in $CLOG, appended to $DLOG.
# The exit code comes from a file the wrapper subshell writes, not from
# `wait`: under load bash 5.2 once waited forever here for a daemon that
# reload.sh had SIGKILLed (and bash had already reported as Killed).
run_until_started() {
	local sub i
	rm -f "$LAB/last.rc"
	( "$HOLDFAST" run -c "$LAB/last.conf" >"$CLOG" 2>&1; echo $? >"$LAB/last.rc" ) &
	sub=$!
	wait_for_log "$CLOG" "event=daemon_started" 10 >/dev/null
	msleep 300
	pkill -TERM -P "$sub" -x holdfast 2>/dev/null
	for ((i = 0; i < 600; i++)); do
		[ -s "$LAB/last.rc" ] && break
		msleep 50
	done
	LAST_RC=$(cat "$LAB/last.rc" 2>/dev/null || echo "none (still running after 30 s)")
	cat "$CLOG" >>"$DLOG"
}
# Only i2 is managed from here on: the other staples may expire unattended.
echo "scope i2" >&"$CHECKER_IN" && read -r -t 60 _ <&"$CHECKER_OUT"
hf issue -c "$LAB/last.conf" i2
old=$(lab_cert_serial "$STORE/certificates/i2/cert.pem")
run_until_started
check "write/reload crash: nginx serves the first 5-year i2 certificate ($old)" \
	test "$(wait_served "$old")" = "$old"
hf issue -c "$LAB/last.conf" --force i2
new=$(lab_cert_serial "$STORE/certificates/i2/cert.pem")
: >"$LAB/kill-at-reload"
run_until_started
rm -f "$LAB/kill-at-reload"
check "write/reload crash: the next start wrote $new to DEPLOY/nginx and was killed before the reload" \
	test "$LAST_RC" = 137 -a "$(lab_cert_serial "$(nginx_named "$DEPLOY/nginx/i2.conf" ssl_certificate)")" = "$new" -a "$(served_serial)" = "$old"
run_until_started
served=$(wait_served "$new")
check "write/reload crash: after one more start nginx serves the deployed i2 certificate" \
	test "$served" = "$new"
if [ "$served" != "$new" ]; then
	echo "#   $(nginx_named "$DEPLOY/nginx/i2.conf" ssl_certificate) has serial $new; nginx still serves $served. The restart logged:"
	grep -E "cert=i2 |command_ran" "$CLOG" | sed 's/^/#     /'
fi
checker "after the write/reload crash"
check "write/reload crash: store and deploy directory valid" test "$CHECK_VIOL" = 0

check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
lab_finish
