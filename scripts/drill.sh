#!/bin/bash
# scripts/drill.sh -- the outage drill: the 2018 incident replayed on real
# local servers, with `holdfast run` keeping a site's TLS working through it.
# This is what `holdfast drill` runs.
#
#     scripts/drill.sh [--short] [--plot FILE.svg]   (as root; HOLDFAST=PATH, default build/holdfast)
#
# It sources its lab from ../tests/lab/ beside its own directory: in a source
# tree, or where `meson install` and the Debian package put both
# (/usr/share/holdfast/drill/{scripts,tests/lab}/).
#
# Everything runs inside a network namespace of its own (only 127.0.0.1):
#   - dnsmasq, the lab DNS server that holdfast, Pebble and the probes use;
#   - two Pebble CAs, "primary" at https://acme.primary.test:14000/dir and
#     "backup" at https://acme.backup.test:14001/dir, each with an HTTPS
#     certificate for its own name; they validate http-01 for real, through
#     the lab DNS, against holdfast's own listener on 127.0.0.1:5002;
#   - one `openssl ocsp` responder per CA (ocsp.primary.test:8888,
#     ocsp.backup.test:8889), signing with that Pebble's intermediate key
#     (from its management port), responses valid V seconds: V = 60 with
#     --short, 300 otherwise. Pebble writes the responder URL into every
#     certificate's AIA, so holdfast finds it the way it would in production;
#   - nginx on 127.0.0.1:8443, one server block per site, each including the
#     DEPLOY/nginx/NAME.conf that holdfast generates (www, and shop later);
#   - HAProxy on 127.0.0.1:8444 serving edge.drill.test from holdfast's
#     DEPLOY/haproxy/edge.pem, updated over its runtime API (HAProxy 2.6
#     staples nothing within 300 s of nextUpdate: none of the drill's
#     compressed responses, so only its certificate is judged);
#   - Apache on 127.0.0.1:8445 serving app.drill.test from
#     DEPLOY/apache/app.pem, stapling what holdfast's ocsp_listen
#     (127.0.0.1:8890) answers; HAProxy's and Apache's sites are left out,
#     with a message, when the program is not installed;
#   - holdfast run: www.drill.test with cas = primary backup, staple retries
#     from 1 s to 5 s. Its deploy_hook (written below) plays the CA's
#     database: it adds every newly issued serial to its CA's responder index;
#   - a prober (tests/lab/drill_probe.py): one TLS handshake per site per
#     second, recording whether the certificate chain verifies to a Pebble
#     root for that name, and whether the staple (its DER, from the
#     handshake) was absent, valid (signed by the issuer, for the served
#     certificate, good), expired at the moment it was served, or wrong.
#
# Timeline (the clock is compressed: V stands for a week of real staples):
#   1. holdfast issues www via the primary and staples it; nginx starts.
#   2. The incident, right after that staple: primary.test is taken off the
#      DNS (acme.primary.test and ocsp.primary.test are NXDOMAIN: the
#      registrar's clientHold) and the primary's OCSP responder stops, until
#      90 % of the staple's validity has passed.
#   3. 5 s into it a new site, shop.drill.test, is added to the config
#      (SIGHUP): it can only be issued via the backup CA.
#   4. Halfway through, holdfast is stopped (SIGTERM) and started again. In
#      between, its deploy directory is emptied (nginx keeps serving what it
#      has loaded), so the warm start visibly has to deploy every site from
#      the store at once, with the primary still unreachable.
#   5. DNS and the responder come back; holdfast must refresh www's staple
#      before the old one expires. The drill watches a little longer, then
#      stops everything.
# Then it prints a timeline (its own actions, holdfast's log, what the
# prober saw change) and a verdict table.
#
# The verdict counts handshakes: attempted, with a valid certificate (chain
# to a Pebble root, name, dates), with a valid staple (signed by the issuer,
# status good, for the served certificate, nextUpdate after the end of the
# handshake), expired staples served (nextUpdate passed: must be 0), staples
# not good for the served certificate (another serial, tryLater, a bad
# signature...), and the certificates issued via the backup (holdfast's log
# and meta.json).
# Exit status, as every holdfast command (monitoring-plugin convention):
#   0 PASS: every handshake had a valid certificate, no expired or bad staple
#     was served, and the scenario ran through (a certificate was issued via
#     the backup; the restarted daemon loaded the store and deployed it
#     before touching the network; www's staple was refreshed after the
#     outage, before it expired);
#   2 FAIL (CRITICAL): any of that did not hold;
#   3 UNKNOWN: the lab could not be set up (or a usage error), and nothing
#     that was seen until then failed.
# HF_KEEP=1 keeps the lab directory (logs, store, probes.jsonl);
# HF_DRILL_OUTAGE_PCT=N (default 90) changes the outage's length.
# About 70 s with --short, 5 minutes without.

# All of it is one { } block: bash reads the block completely before running
# any of it, so updating this file while a drill runs (for minutes) cannot
# change what the running drill does.
{

usage() {
	echo "usage: [HOLDFAST=PATH] $0 [--short] [--plot FILE.svg]"
	echo "  --short   OCSP responses valid 1 minute instead of 5 (about 70 s in all, not 5 min)"
	echo "  --plot F  also draw the timeline as an SVG picture in F"
}

SHORT=0
PLOT=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--short) SHORT=1 ;;
	--plot)
		i=$((i + 1))
		PLOT=${args[i]:-}
		if [ -z "$PLOT" ]; then
			usage >&2
			exit 3
		fi
		case $PLOT in /*) ;; *) PLOT=$PWD/$PLOT ;; esac
		if [ ! -d "$(dirname "$PLOT")" ]; then
			echo "drill: --plot $PLOT: no such directory" >&2
			exit 3
		fi
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 3
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "drill: needs root (it creates a network namespace)" >&2
	exit 3
fi
# Each program the drill runs, and the Debian package that has it (the ones
# debian/control suggests): with the package installed but not these, the
# drill says which is missing and where to get it.
for tool in ip:iproute2 ss:iproute2 pebble:pebble dnsmasq:dnsmasq-base nginx:nginx-light \
	openssl:openssl python3:python3 curl:curl ps:procps; do
	if ! command -v "${tool%%:*}" >/dev/null; then
		echo "drill: ${tool%%:*} is missing: apt-get install ${tool#*:}" \
			"(in a source tree scripts/install-deps.sh installs everything)" >&2
		exit 3
	fi
done

DRILL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/../tests/lab/lib.sh
. "$DRILL_ROOT/tests/lab/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/lab/acme.sh
. "$DRILL_ROOT/tests/lab/acme.sh"
lab_enter_netns "$@"
lab_init

if [ ! -x "$HOLDFAST" ]; then
	echo "drill: no holdfast binary at $HOLDFAST (set HOLDFAST=PATH)" >&2
	exit 3
fi
# Both runs of the daemon must be the same program, even if the build tree
# is rebuilt while the drill runs.
mkdir -p "$LAB/bin"
cp "$HOLDFAST" "$LAB/bin/holdfast" || exit 3
HOLDFAST=$LAB/bin/holdfast

# ---------------------------------------------------------------- settings

if [ "$SHORT" = 1 ]; then
	NMIN=1 OBSERVE=10
else
	NMIN=5 OBSERVE=30
fi
V=$((NMIN * 60))          # staple validity, seconds
# Of a staple's validity. HF_DRILL_OUTAGE_PCT is for experiments only: past
# 100 the staple expires during the outage, and the drill shows whether it
# is withdrawn in time (handshakes without a staple) or served expired.
OUTAGE_PCT=${HF_DRILL_OUTAGE_PCT:-90}
SHOP_AFTER=5              # seconds into the outage the new site is added
NGINX_PORT=8443
HAPROXY_PORT=8444 APACHE_PORT=8445
OCSP_LISTEN=127.0.0.1:8890 # holdfast's own responder: Apache staples from it
PRIMARY_OCSP=8888 BACKUP_OCSP=8889
D=$LAB/drill              # the drill's own records
STORE=$LAB/store
DEPLOY=$LAB/deploy
NGX=$LAB/nginx-$NGINX_PORT
CONF=$LAB/holdfast.conf
HASOCK=$LAB/haproxy.sock
APX=$LAB/apache
# The sites and the web server each is on: www and shop (added during the
# outage) on nginx, edge on HAProxy and app on Apache, when installed (the
# Debian package suggests them; without one, its site is left out and the
# drill says so).
BASE_SITES="www"
if command -v haproxy >/dev/null; then
	BASE_SITES="$BASE_SITES edge"
else
	echo "drill: haproxy is not installed (apt-get install haproxy): no HAProxy site" >&2
fi
if [ -x "${LAB_APACHE_BIN:-/usr/sbin/apache2}" ]; then
	# shellcheck source=SCRIPTDIR/../tests/lab/apache.sh
	. "$DRILL_ROOT/tests/lab/apache.sh"
	BASE_SITES="$BASE_SITES app"
else
	echo "drill: apache2 is not installed (apt-get install apache2): no Apache site" >&2
fi
HOOK=$LAB/deploy-hook.sh
EVENTS=$D/events.log
PARAMS=$D/params
mkdir -p "$D" "$DEPLOY" "$NGX/tmp" "$NGX/sites"
: >"$EVENTS"
: >"$D/hook.log"
: >"$D/probes.jsonl"
: >"$D/sites"
# The prober's python3 needs cryptography and OpenSSL (pyOpenSSL). The first
# python3 on PATH may be a separate install without them; Debian's has them
# through python3-cryptography and python3-openssl.
PY=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import cryptography, OpenSSL' 2>/dev/null; then
		PY=$py
		break
	fi
done
if [ -z "$PY" ]; then
	packages=
	for module in cryptography:python3-cryptography OpenSSL:python3-openssl; do
		/usr/bin/python3 -c "import ${module%%:*}" 2>/dev/null || packages="$packages ${module#*:}"
	done
	echo "drill: no python3 has the prober's modules (cryptography, OpenSSL): apt-get install${packages:- python3-cryptography python3-openssl}" >&2
	exit 3
fi
if ! "$PY" "$DRILL_ROOT/tests/lab/drill_probe.py" --help >/dev/null 2>&1; then
	echo "drill: the prober $DRILL_ROOT/tests/lab/drill_probe.py does not run:" >&2
	"$PY" "$DRILL_ROOT/tests/lab/drill_probe.py" --help 2>&1 | tail -n 3 >&2
	exit 3
fi
T0=$(date +%s.%N)
echo "T0=$T0" >"$PARAMS"
echo "V=$V" >>"$PARAMS"
DAEMON=
RUN=0
PROBER=

# ---------------------------------------------------------------- helpers

# say TEXT: a drill action, printed now and kept for the timeline.
say() {
	local t
	t=$(date +%s.%N)
	printf '%s %s\n' "$t" "$*" >>"$EVENTS"
	printf '[%6.1fs] %s\n' "$(awk -v a="$t" -v b="$T0" 'BEGIN { print a - b }')" "$*"
}

param() { echo "$1=$2" >>"$PARAMS"; }

# lines FILE: how many lines FILE has now (0 when absent).
lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# logged_after FILE N REGEX: a line after the first N lines of FILE
# matches REGEX (ERE).
# shellcheck disable=SC2317 # called through await
logged_after() {
	tail -n +"$(($2 + 1))" "$1" 2>/dev/null | grep -Eq -- "$3"
}

# await SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fails
# after SECONDS, or at once when holdfast has exited.
await() {
	local bound=$1 i
	shift
	for ((i = 0; i < bound * 10; i++)); do
		"$@" && return 0
		daemon_running || return 1
		sleep 0.1
	done
	return 1
}

# sleep_until EPOCH: return once the clock has passed EPOCH (fractions ok).
sleep_until() {
	local left
	while :; do
		left=$(awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { d = t - n; print (d > 0.5 ? 0.5 : d) }')
		awk -v d="$left" 'BEGIN { exit !(d <= 0) }' && return 0
		sleep "$left"
	done
}

# epoch_of OPENSSL_DATE: e.g. "Nov 29 03:10:01 2026 GMT" -> seconds.
epoch_of() {
	date -u -d "$1" +%s
}

# stamp: copy stdin to stdout, each line prefixed with the epoch time it came.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

daemon_running() {
	[ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null
}

# daemon_start: `holdfast run` number RUN+1, its log in $LAB/daemon-N.log.
daemon_start() {
	RUN=$((RUN + 1))
	DLOG=$LAB/daemon-$RUN.log
	# Each line of its log gets the arrival time in front (holdfast's own
	# ts= has whole seconds only), so the timeline orders it exactly.
	"$HOLDFAST" run -c "$CONF" >"$DLOG.stdout" 2> >(stamp >"$DLOG") &
	DAEMON=$!
	lab_track "$DAEMON"
	say "holdfast run #$RUN started (pid $DAEMON)"
}

# daemon_stop: SIGTERM, wait (bounded) for the exit; sets DAEMON_RC.
daemon_stop() {
	local i
	DAEMON_RC=
	daemon_running || return 0
	kill -TERM "$DAEMON"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$DAEMON" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DAEMON" 2>/dev/null; then
		say "holdfast run #$RUN did not exit 30 s after SIGTERM: SIGKILL"
		kill -KILL "$DAEMON"
	fi
	wait "$DAEMON" 2>/dev/null
	DAEMON_RC=$?
	param "EXIT_$RUN" "$DAEMON_RC"
	DAEMON=
}

# write_conf SITE...: holdfast.conf with one [certificate SITE] per site
# (SITE.drill.test), replaced atomically so a SIGHUP never reads half a file.
write_conf() {
	local site args=(
		store="$STORE" deploy_dir="$DEPLOY"
		nginx_reload="nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log -s reload"
		staple_retry_min=1s staple_retry_max=5s issue_retry_min=5s
		acme_connect_timeout=2s acme_timeout=10s
		# The domain audit needs RDAP, which this lab does not have; it has
		# its own tests (tests/integration/audit_*.sh).
		audit_interval=off
		ocsp_listen="$OCSP_LISTEN"
	)
	[ -n "$(type -t lab_apache_graceful_cmd)" ] && args+=(apache_reload="$(apache_reload_script)")
	args+=("[ca primary]" directory="https://acme.primary.test:14000/dir"
		"[ca backup]" directory="https://acme.backup.test:14001/dir")
	for site in "$@"; do
		args+=("[certificate $site]" names="$site.drill.test" cas="primary backup"
			deploy_hook="$HOOK")
		case $(site_server "$site") in
		# HAProxy 2.6 stops stapling a response 300 s before its nextUpdate:
		# the drill's responses (60 or 300 s) are never stapled there, so a
		# verify_addr would only report that; its handshakes are counted for
		# the certificate.
		haproxy) args+=(deploy="haproxy:$HASOCK") ;;
		# Apache fetches its staple from ocsp_listen itself, up to a second
		# after a change: a verify right after the deploy would race it.
		apache) args+=(deploy=apache) ;;
		*) args+=(deploy=nginx verify_addr="127.0.0.1:$NGINX_PORT") ;;
		esac
	done
	lab_acme_conf "$CONF.new" "${args[@]}" && mv "$CONF.new" "$CONF"
}

# apache_reload_script: a script for holdfast's apache_reload that fails
# until the drill has started Apache: `apache2 -k graceful` would otherwise
# start an Apache of its own from whatever httpd.conf holds at that moment
# (seen: a half-written one, serving plain HTTP on the TLS port). Prints
# its path.
apache_reload_script() {
	printf '#!/bin/sh\n[ -s %s/httpd.pid ] || { echo "Apache not started yet"; exit 1; }\nexec %s\n' \
		"$APX" "$(lab_apache_graceful_cmd "$APX")" >"$D/apache-reload.sh"
	chmod 755 "$D/apache-reload.sh"
	echo "$D/apache-reload.sh"
}

# site_server SITE: the web server SITE is deployed to.
site_server() {
	case $1 in
	edge) echo haproxy ;;
	app) echo apache ;;
	*) echo nginx ;;
	esac
}

# site_port SITE: the port its web server listens on.
site_port() {
	case $(site_server "$1") in
	haproxy) echo "$HAPROXY_PORT" ;;
	apache) echo "$APACHE_PORT" ;;
	*) echo "$NGINX_PORT" ;;
	esac
}

# probe_site SITE: from now on the prober makes a handshake with SITE too.
probe_site() {
	echo "$1.drill.test $(site_port "$1") $(site_server "$1")" >>"$D/sites"
}

# nginx_site SITE: the server block for SITE.drill.test, including the file
# holdfast generates for it.
nginx_site() {
	cat >"$NGX/sites/$1.conf.new" <<-EOF
		server {
		    listen 127.0.0.1:$NGINX_PORT ssl;
		    server_name $1.drill.test;
		    include $DEPLOY/nginx/$1.conf;
		    location / { return 200 "$1\n"; }
		}
	EOF
	mv "$NGX/sites/$1.conf.new" "$NGX/sites/$1.conf"
}

# deployed_from_store SITE: the certificate and the staple that holdfast's
# include for SITE names (whatever the files are called) are the store's.
# shellcheck disable=SC2317 # called through await
deployed_from_store() {
	local inc=$DEPLOY/nginx/$1.conf crt ocsp
	crt=$(sed -n 's/^ssl_certificate \(.*\);$/\1/p' "$inc" 2>/dev/null)
	ocsp=$(sed -n 's/^ssl_stapling_file \(.*\);$/\1/p' "$inc" 2>/dev/null)
	[ -n "$crt" ] && [ -n "$ocsp" ] &&
		cmp -s "$ocsp" "$STORE/certificates/$1/staple.ocsp" &&
		cmp -s "$crt" "$STORE/certificates/$1/fullchain.pem"
}

# drill_pebble NAME PORT MGMT OCSP_PORT: lab_pebble whose HTTPS certificate
# is for acme.NAME.test and which puts http://ocsp.NAME.test:OCSP_PORT into
# the AIA of what it issues; $LAB/ocsp-NAME is set up for that CA's
# responder (lab_pebble_responder) and records OCSP_PORT.
drill_pebble() {
	local name=$1 port=$2 mgmt=$3 ocsp=$4
	LAB_PEBBLE_TLS_NAME=acme.$name.test LAB_PEBBLE_OCSP_URL=http://ocsp.$name.test:$ocsp \
		lab_pebble "$name" "$port" "$mgmt" || return 1
	lab_pebble_responder "$name" "$LAB/ocsp-$name" || return 1
	echo "$ocsp" >"$LAB/ocsp-$name/port"
}

# write_hook: the deploy_hook. holdfast runs it (execve, no shell) as
# `HOOK EVENT NAME` after every deploy that changed something. Like a CA
# recording what it issued, it puts the stored certificate's serial into
# its CA's responder index (CA from meta.json; a placeholder has none).
write_hook() {
	{
		echo '#!/bin/bash'
		echo '# deploy_hook written by scripts/drill.sh; called as: HOOK EVENT NAME'
		printf 'LAB=%q\nSTORE=%q\nRECORD=%q\n' "$LAB" "$STORE" "$D/hook.log"
		cat <<-'EOF'
			set -u
			event=${1:-} name=${2:-}
			d=$STORE/certificates/$name
			ca=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("ca") or "")' \
				"$d/meta.json" 2>/dev/null)
			o=$LAB/ocsp-$ca
			if [ -z "$ca" ] || [ ! -d "$o" ]; then
				echo "no CA for $name (placeholder): nothing to index"
				exit 0
			fi
			serial=$(openssl x509 -in "$d/cert.pem" -noout -serial | cut -d= -f2)
			if awk -F'\t' -v s="$serial" '$4 == s { found = 1 } END { exit !found }' "$o/index.txt"; then
				echo "serial $serial already in the $ca index"
				exit 0
			fi
			end=$(date -u -d "$(openssl x509 -in "$d/cert.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
			# A new file renamed over the old one: `openssl ocsp` notices a
			# change by inode and by mtime, which has only 1 s resolution.
			cp "$o/index.txt" "$o/index.txt.new"
			printf 'V\t%s\t\t%s\tunknown\t/CN=%s\n' "$end" "$serial" "$name" >>"$o/index.txt.new"
			mv "$o/index.txt.new" "$o/index.txt"
			echo "$(date +%s.%N) event=$event cert=$name ca=$ca serial=$serial" >>"$RECORD"
			# `openssl ocsp` re-reads its index only before accept(): one
			# throwaway request now, so that holdfast's next one is answered
			# from the new index (fails harmlessly while the responder is down).
			timeout 5 openssl ocsp -url "http://127.0.0.1:$(cat "$o/port")" -issuer "$o/int.pem" \
				-cert "$d/cert.pem" -no_nonce -noverify >/dev/null 2>&1
			echo "serial $serial added to the $ca responder's index"
		EOF
	} >"$HOOK"
	chmod 755 "$HOOK"
}

# prober_start: one handshake per site listed in $D/sites per second, until
# $D/stop exists; one JSON line per handshake in $D/probes.jsonl.
prober_start() {
	cat "$LAB/pebble-primary/root.pem" "$LAB/pebble-backup/root.pem" >"$D/roots.pem"
	"$PY" "$DRILL_ROOT/tests/lab/drill_probe.py" --port "$NGINX_PORT" --roots "$D/roots.pem" \
		--issuer "primary=$LAB/pebble-primary/intermediate.pem" \
		--issuer "backup=$LAB/pebble-backup/intermediate.pem" \
		--sites "$D/sites" --out "$D/probes.jsonl" --stop "$D/stop" >"$D/prober.log" 2>&1 &
	PROBER=$!
	lab_track "$PROBER"
}

prober_stop() {
	local i
	[ -n "$PROBER" ] || return 0
	touch "$D/stop"
	for ((i = 0; i < 150; i++)); do
		kill -0 "$PROBER" 2>/dev/null || break
		sleep 0.1
	done
	lab_stop "$PROBER"
	PROBER=
}

# report HOW: stop what runs, print the timeline and the verdict, exit 0
# (PASS), 2 (FAIL) or 3 (UNKNOWN). HOW: "finished" (the drill ran through: the
# verdict decides), "holdfast" (holdfast did not do what the drill waited
# for: FAIL), "lab" (the lab failed: UNKNOWN, unless what was seen until
# then already fails).
report() {
	local status=$1 rc
	prober_stop
	if daemon_running; then
		daemon_stop
		say "holdfast run #$RUN stopped (SIGTERM, exit $DAEMON_RC)"
	fi
	param T_END "$(date +%s.%N)"
	param RUNS "$RUN"
	"$PY" - "$LAB" "$status" <<-'EOF'
		import calendar, glob, json, os, re, sys, time

		lab, how = sys.argv[1], sys.argv[2]
		d = os.path.join(lab, "drill")
		P = {}
		for line in open(os.path.join(d, "params")):
		    k, _, v = line.rstrip("\n").partition("=")
		    P[k] = v
		T0 = float(P["T0"])
		KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')

		def hms(t):
		    return time.strftime("%H:%M:%S", time.gmtime(t))

		def short(text, n=150):
		    text = re.sub(r"/[A-Za-z0-9+/=%_-]{24,}", "/...", text)
		    return text if len(text) <= n else text[:n - 3] + "..."

		timeline = []  # (time, order, source, text)
		for line in open(os.path.join(d, "events.log")):
		    t, _, text = line.rstrip("\n").partition(" ")
		    timeline.append((float(t), len(timeline), "drill", text))

		# holdfast's logs, one per run.
		SHOWN = {"daemon_started", "daemon_stopping", "certificate_loaded", "certificate_issued",
		         "placeholder_installed", "acme_endpoint_failed", "acme_failover",
		         "acme_endpoint_skipped", "issuance_failed", "staple_refreshed", "staple_expired",
		         "deploy_done", "deploy_failed", "deploy_verify_failed", "reload_requested",
		         "reloaded", "reload_refused", "reload_failed", "certificate_revoked",
		         "http01_unavailable"}
		hf = []  # (time, run, event, kv, text)
		runs = sorted(glob.glob(os.path.join(lab, "daemon-*.log")),
		              key=lambda p: int(re.search(r"(\d+)\.log$", p).group(1)))
		for run, path in enumerate(runs, 1):
		    for line in open(path, errors="replace"):
		        arrived, _, line = line.partition(" ")
		        m = re.match(r"ts=\S+ level=(\S+) event=(\S+) ?(.*)$", line.rstrip("\n"))
		        if not m:
		            if line.strip():  # not a log event: a crash, a sanitizer report...
		                hf.append((float(arrived), run, "output", {"level": "error"},
		                           "output: " + line.strip()))
		            continue
		        # The keys after the event name (deploy_done has its own event=).
		        kv = {k: v.strip('"') for k, v in KV.findall(m.group(3))}
		        kv["level"] = m.group(1)
		        hf.append((float(arrived), run, m.group(2), kv, m.group(2) + " " + m.group(3)))
		failing = {}  # (run, cert) -> the last staple_refresh_failed of a streak
		def flush(key):
		    last = failing.pop(key, None)
		    if last and last[3].get("failures") != "1":
		        timeline.append((last[0], len(timeline), "holdfast#%d" % last[1],
		                         short(last[4]) + "  (the last of this streak)"))
		undeployed = set()  # (run, cert) whose last deploy failed
		for t, run, ev, kv, rest in hf:
		    key = (run, kv.get("cert"))
		    if ev == "deploy_failed":
		        undeployed.add(key)
		    elif ev == "deployed" and key in undeployed:
		        undeployed.discard(key)
		        timeline.append((t, len(timeline), "holdfast#%d" % run,
		                         short(rest) + "  (after the failure)"))
		    if ev == "staple_refresh_failed":
		        if kv.get("failures") == "1":
		            timeline.append((t, len(timeline), "holdfast#%d" % run, short(rest)))
		        failing[key] = (t, run, ev, kv, rest)
		        continue
		    if ev in ("staple_refreshed", "staple_expired", "certificate_loaded") or \
		            ev == "daemon_stopping":
		        for k in [k for k in failing if k[0] == run and (k[1] == kv.get("cert") or
		                                                        ev == "daemon_stopping")]:
		            flush(k)
		    if ev in SHOWN or kv.get("level") == "error" or \
		            (ev == "command_ran" and kv.get("status") not in (None, "0")):
		        timeline.append((t, len(timeline), "holdfast#%d" % run, short(rest)))
		for k in list(failing):
		    flush(k)

		# The prober: every handshake counted, changes shown.
		probes = [json.loads(l) for l in open(os.path.join(d, "probes.jsonl")) if l.strip()]
		def state(p):
		    if not p["cert_valid"]:
		        c = "INVALID certificate (%s)" % p["verify"]
		    else:
		        c = "certificate %s... from %s" % (p["serial"][:12], p["ca"])
		    if p["staple"] == "none":
		        s = "no staple"
		    elif p["staple_expired"]:
		        s = "EXPIRED staple (nextUpdate %s)" % (hms(p["next_update"]) if p.get("next_update") else "?")
		    elif p["staple_wrong"]:
		        s = "WRONG staple (%s)" % p.get("staple_problem")
		    elif p["staple_valid"]:
		        s = "staple %s, thisUpdate %s, nextUpdate %s" % (
		            p["staple_status"], hms(p["this_update"]), hms(p["next_update"]))
		    else:
		        s = "staple unreadable"
		    return c + "; " + s
		last = {}
		for p in probes:
		    st = state(p)
		    if last.get(p["site"]) != st:
		        timeline.append((p["t0"], len(timeline), "prober", "%s: %s" % (p["site"], st)))
		        last[p["site"]] = st

		print()
		print("== timeline (seconds since the drill started)")
		for t, _, src, text in sorted(timeline):
		    print("%7.1f  %-10s %s" % (t - T0, src, text))

		# ------------------------------------------------------------ verdict
		n = len(probes)
		valid_cert = sum(p["cert_valid"] for p in probes)
		valid_staple = sum(p["staple_valid"] for p in probes)
		no_staple = sum(p["staple"] == "none" for p in probes)
		expired = sum(p["staple_expired"] for p in probes)
		wrong = sum(p["staple_wrong"] for p in probes)
		sites = sorted({p["site"] for p in probes})

		issued = [(kv.get("cert"), kv.get("ca"), kv.get("serial")) for t, run, ev, kv, rest in hf
		          if ev == "certificate_issued"]
		via_backup = [i for i in issued if i[1] == "backup"]
		metas = {}
		for m in glob.glob(os.path.join(lab, "store", "certificates", "*", "meta.json")):
		    j = json.load(open(m))
		    metas[j.get("name")] = j
		meta_backup = sorted(name for name, j in metas.items() if j.get("ca") == "backup")
		failed_primary = [kv for t, run, ev, kv, rest in hf
		                  if ev == "acme_endpoint_failed" and kv.get("ca") == "primary"]

		# The restart: the second run loaded every certificate with a valid
		# staple before it said daemon_started, and deployed each at once
		# (the drill had emptied the deploy directory; it compared the files).
		restart_ok = False
		restart_note = "no restart happened"
		second = [(t, ev, kv) for t, run, ev, kv, rest in hf if run == 2]
		if second:
		    loaded, deployed = [], set()
		    for t, ev, kv in second:
		        if ev == "daemon_started":
		            break  # all of this happens before it: no network involved
		        if ev == "certificate_loaded":
		            loaded.append(kv)
		        if ev == "deploy_done" and kv.get("event") == "start" and kv.get("staple") == "yes":
		            deployed.add(kv.get("cert"))
		    # the sites whose deploy directory was emptied (nginx's); the
		    # HAProxy and Apache files stayed, so nothing is redeployed there
		    emptied = set(P.get("EMPTIED", "").split())
		    loaded = [kv for kv in loaded if kv.get("cert") in emptied]
		    restart_ok = bool(loaded) and P.get("REDEPLOYED") == "yes" and all(
		        kv.get("present") == "1" and kv.get("staple") == "valid" and kv.get("cert") in deployed
		        for kv in loaded)
		    restart_note = "; ".join("%s: loaded staple=%s, deployed at start: %s" % (
		        kv.get("cert"), kv.get("staple"), "yes" if kv.get("cert") in deployed else "no")
		        for kv in loaded) or "nothing loaded"
		    if P.get("REDEPLOYED") != "yes":
		        restart_note += "; the deploy directory does not match the store"

		# www's staple across the responder outage.
		t_out, t_back = float(P.get("T_OUT", 0)), float(P.get("T_BACK", 0))
		s1_next = float(P.get("S1_NEXT", 0))
		refreshed = [t for t, run, ev, kv, rest in hf
		             if ev == "staple_refreshed" and kv.get("cert") == "www" and t >= t_back - 1]
		w_out = [p for p in probes if p["site"] == "www.drill.test" and t_out <= p["t0"] < t_back]

		print()
		print("== verdict")
		def row(label, value):
		    print("  %-44s %6s" % (label, value))
		row("handshakes attempted", n)
		row("handshakes with a valid certificate", valid_cert)
		row("handshakes with a valid staple", valid_staple)
		row("handshakes without a staple", no_staple)
		row("expired staples served", expired)
		row("staples not good for the served certificate", wrong)
		row("certificates issued via the backup", len(via_backup))
		print()
		print("  sites probed: %s" % ", ".join(sites))
		for s in sites:
		    ps = [p for p in probes if p["site"] == s]
		    print("    %-16s %-8s %4d handshakes, %4d valid certificate, %4d valid staple" % (
		        s, ps[0].get("server", "nginx"), len(ps), sum(p["cert_valid"] for p in ps),
		        sum(p["staple_valid"] for p in ps)))
		servers = {}
		for p in probes:
		    servers.setdefault(p.get("server", "nginx"), []).append(p)
		for srv in sorted(servers):
		    ps = servers[srv]
		    print("  %-8s handshakes %4d, valid certificate %4d, valid staple %4d, expired staple %d%s" % (
		        srv, len(ps), sum(p["cert_valid"] for p in ps), sum(p["staple_valid"] for p in ps),
		        sum(p["staple_expired"] for p in ps),
		        "  (HAProxy 2.6 staples nothing within 300 s of nextUpdate: none of the drill's)"
		        if srv == "haproxy" else ""))
		bad = [p for p in probes if not p["cert_valid"] or p["staple_expired"] or p["staple_wrong"]]
		for p in bad[:5]:
		    print("    BAD handshake at %.1f s: %s: %s" % (p["t0"] - T0, p["site"], state(p)))
		if len(bad) > 5:
		    print("    ... and %d more" % (len(bad) - 5))
		print("  issued (holdfast log): %s" % (
		    "; ".join("%s via %s serial %s" % i for i in issued) or "nothing"))
		print("  meta.json now: %s" % ("; ".join("%s ca=%s serial %s" % (k, j.get("ca"), j.get("serial"))
		                                        for k, j in sorted(metas.items())) or "nothing"))
		hooked = [l.split()[1:] for l in open(os.path.join(d, "hook.log")) if l.strip()]
		print("  meta.json when each new certificate was deployed (deploy hook): %s" % (
		    "; ".join(" ".join(h) for h in hooked) or "nothing"))
		print("  primary failures seen by holdfast: %s" % (
		    ", ".join(sorted({"%s (%s)" % (kv.get("error"), kv.get("cert")) for kv in failed_primary}))
		    or "none"))
		print("  restart: loaded and deployed from the store at once: %s (%s)" % (
		    "yes" if restart_ok else "NO", restart_note))
		if w_out:
		    print("  www during the responder outage: %d of %d handshakes with a valid staple" % (
		        sum(p["staple_valid"] for p in w_out), len(w_out)))
		if refreshed and s1_next:
		    left = s1_next - refreshed[0]
		    if left > 0:
		        print("  www staple refreshed after the outage %.0f s before the old one expired" % left)
		    else:
		        print("  www staple refreshed after the outage only %.0f s AFTER the old one expired" % -left)
		elif t_back:
		    print("  www staple NOT refreshed after the outage")

		problems = []
		if n == 0:
		    problems.append("no handshake was made")
		if valid_cert != n:
		    problems.append("%d handshakes without a valid certificate" % (n - valid_cert))
		if expired:
		    problems.append("%d expired staples served" % expired)
		if wrong:
		    problems.append("%d staples not good for the served certificate" % wrong)
		if how == "holdfast":
		    problems.append("holdfast did not do what the drill waited for (see above)")
		for run in range(1, int(P.get("RUNS", 0)) + 1):
		    if P.get("EXIT_%d" % run, "0") != "0":
		        problems.append("holdfast run #%d exited with status %s after SIGTERM" % (
		            run, P["EXIT_%d" % run]))
		stray = [rest for t, run, ev, kv, rest in hf if ev == "output"]
		if stray:
		    problems.append("holdfast wrote %d lines that are not log events (a crash, a "
		                    "sanitizer report?), the first: %s" % (len(stray), short(stray[0])))
		if how != "lab":
		    if not via_backup or "shop" not in meta_backup:
		        problems.append("no certificate issued via the backup (log and meta.json)")
		    if not restart_ok:
		        problems.append("the restarted daemon did not load and deploy the store at once")
		if how == "finished" and not (refreshed and s1_next and refreshed[0] < s1_next):
		    problems.append("www's staple was not refreshed after the outage before it expired")
		if problems:
		    result, rc = "FAIL", 2
		    if how == "lab":
		        problems.append("the lab failed before the drill ran through (see above)")
		elif how == "lab":
		    result, rc = "UNKNOWN", 3
		    problems.append("the lab could not be set up (see above): no verdict")
		else:
		    result, rc = "PASS", 0
		row("result", result)
		for p in problems:
		    print("  - " + p)
		sys.exit(rc)
	EOF
	rc=$?
	if [ -n "$PLOT" ]; then
		if "$PY" "$DRILL_ROOT/tests/lab/drill_plot.py" "$PLOT" "$LAB"; then
			echo "plot: $PLOT (one row per site: certificates, staples, handshakes; outage shaded)"
		else
			echo "drill: could not draw the plot $PLOT (the verdict above stands)" >&2
		fi
	fi
	[ "${HF_KEEP:-0}" = 1 ] || echo "(HF_KEEP=1 keeps the lab: logs, store, probes)"
	exit "$rc"
}

# lab_failed TEXT: the lab could not do its part; report what there is.
lab_failed() {
	say "LAB FAILURE: $*"
	report lab
}

# holdfast_failed TEXT: holdfast did not do what the drill waits for.
holdfast_failed() {
	say "HOLDFAST DID NOT: $*"
	tail -n 40 "$DLOG" >"$D/log-tail"
	diag "$D/log-tail" "  holdfast#$RUN: "
	report holdfast
}

# ---------------------------------------------------------------- the lab

echo "== the outage drill: OCSP responses valid ${V} s, outage ${OUTAGE_PCT} % of that, a handshake per site per second"
lab_dns 53 || lab_failed "dnsmasq did not start"
drill_pebble primary 14000 15000 "$PRIMARY_OCSP" || lab_failed "Pebble primary did not start"
drill_pebble backup 14001 15001 "$BACKUP_OCSP" || lab_failed "Pebble backup did not start"
lab_ocsp_responder "$LAB/ocsp-primary" "$PRIMARY_OCSP" "$NMIN" || lab_failed "primary OCSP responder"
PRIMARY_RESPONDER=$LAB_PID
lab_ocsp_responder "$LAB/ocsp-backup" "$BACKUP_OCSP" "$NMIN" || lab_failed "backup OCSP responder"
if ! lab_resolves acme.primary.test || ! lab_resolves ocsp.backup.test; then
	lab_failed "the lab DNS does not answer for the CA names"
fi
say "lab up: DNS; Pebble primary (acme.primary.test) and backup (acme.backup.test); their OCSP responders (ocsp.*.test, ${V} s responses)"

write_hook
# shellcheck disable=SC2086 # a list of words
write_conf $BASE_SITES || lab_failed "cannot write $CONF"
{
	lab_nginx_conf_head "$NGX"
	echo "    include $NGX/sites/*.conf;"
	echo "}"
} >"$NGX/nginx.conf"
nginx_site www

# ---------------------------------------------------------------- 1. normal operation

daemon_start
await 60 test -s "$DEPLOY/nginx/www.conf" || holdfast_failed "deploy www within 60 s"
lab_nginx_start "$NGX" "$NGINX_PORT" || lab_failed "nginx did not start"
say "nginx started on holdfast's include for www (it cannot start before that file exists; a reload holdfast tried earlier failed and is retried)"
probe_site www
for site in $BASE_SITES; do
	case $(site_server "$site") in
	haproxy)
		await 60 test -s "$DEPLOY/haproxy/$site.pem" || holdfast_failed "deploy $site (HAProxy) within 60 s"
		lab_haproxy "$HAPROXY_PORT" "$DEPLOY/haproxy/$site.pem" "$HASOCK" || lab_failed "HAProxy did not start"
		say "HAProxy started on holdfast's $site.pem (updates then go over its runtime API)"
		probe_site "$site"
		;;
	apache)
		await 60 test -s "$DEPLOY/apache/$site.pem" || holdfast_failed "deploy $site (Apache) within 60 s"
		lab_apache_conf "$APX" "$APACHE_PORT" "$site.drill.test" "$DEPLOY/apache/$site.pem" \
			"http://$OCSP_LISTEN/"
		lab_apache_start "$APX" "$APACHE_PORT" || lab_failed "Apache did not start"
		say "Apache started on holdfast's $site.pem, stapling from holdfast's ocsp_listen"
		probe_site "$site"
		;;
	esac
done
prober_start
say "prober started: a handshake per site per second ($(awk '{ print $1 " (" $3 ")" }' "$D/sites" | paste -sd, - | sed 's/,/, /g'))"
await 60 logged_after "$DLOG" 0 "event=staple_refreshed cert=www" ||
	holdfast_failed "staple www within 60 s"
S1=$STORE/certificates/www/staple.ocsp
S1_THIS=$(epoch_of "$(lab_resp_field "$S1" "This Update")")
S1_NEXT=$(epoch_of "$(lab_resp_field "$S1" "Next Update")")
param S1_THIS "$S1_THIS"
param S1_NEXT "$S1_NEXT"
say "www stapled: thisUpdate $(date -u -d "@$S1_THIS" +%T), nextUpdate $(date -u -d "@$S1_NEXT" +%T)"

# ---------------------------------------------------------------- 2. the incident

T_BACK=$((S1_THIS + V * OUTAGE_PCT / 100))
lab_dns_set primary.test nxdomain || lab_failed "cannot change the lab DNS"
lab_stop "$PRIMARY_RESPONDER"
T_OUT=$(date +%s.%N)
param T_OUT "$T_OUT"
param T_BACK "$T_BACK"
if lab_resolves acme.primary.test; then
	lab_failed "acme.primary.test still resolves"
fi
say "INCIDENT: primary.test on clientHold (acme.primary.test, ocsp.primary.test NXDOMAIN); the primary's OCSP responder stopped until $(date -u -d "@$T_BACK" +%T)"

# 3. A new site while the primary is gone: only the backup can issue it.
sleep_until "$(awk -v t="$T_OUT" -v s="$SHOP_AFTER" 'BEGIN { printf "%.3f", t + s }')"
n=$(lines "$DLOG")
# shellcheck disable=SC2086 # a list of words
write_conf $BASE_SITES shop || lab_failed "cannot write $CONF"
kill -HUP "$DAEMON"
param T_HUP "$(date +%s.%N)"
say "new site shop.drill.test added to holdfast.conf; SIGHUP"
await 30 logged_after "$DLOG" "$n" "event=reloaded" || holdfast_failed "reload the config within 30 s"
await 60 logged_after "$DLOG" "$n" "event=certificate_issued cert=shop" ||
	holdfast_failed "issue shop within 60 s"
await 10 test -s "$DEPLOY/nginx/shop.conf" || holdfast_failed "deploy shop"
nginx_site shop
lab_nginx_reload "$NGINX_PORT" >/dev/null || lab_failed "nginx reload for shop"
probe_site shop
say "nginx now serves shop.drill.test too (server block added, reloaded); prober includes it"

# 4. Restart holdfast halfway through the outage. While it is down its
# deploy directory is emptied (nginx keeps serving what it loaded), so the
# warm start has to deploy every site again from the store, with the
# primary CA and its responder still unreachable.
sleep_until "$(awk -v a="$T_OUT" -v b="$T_BACK" 'BEGIN { printf "%.3f", (a + b) / 2 }')"
daemon_running || holdfast_failed "keep running (it exited on its own)"
daemon_stop
say "holdfast run #$RUN stopped (SIGTERM, exit $DAEMON_RC)"
rm -rf "$DEPLOY/nginx"
param EMPTIED "www shop"
say "nginx's deploy directory emptied while holdfast is down"
daemon_start
await 10 logged_after "$DLOG" 0 "event=daemon_started" || holdfast_failed "start again within 10 s"
redeployed=yes
for site in www shop; do
	await 5 deployed_from_store "$site" || redeployed=no
done
param REDEPLOYED "$redeployed"
say "restarted: $(grep -c 'event=certificate_loaded' "$DLOG") certificates loaded; deployed again from the store with their staples: $redeployed"

# ---------------------------------------------------------------- 5. recovery

sleep_until "$T_BACK"
n=$(lines "$DLOG")
lab_dns_set primary.test default || lab_failed "cannot change the lab DNS"
lab_ocsp_responder "$LAB/ocsp-primary" "$PRIMARY_OCSP" "$NMIN" || lab_failed "primary OCSP responder restart"
param T_BACK "$(date +%s.%N)"
say "RECOVERY: primary.test resolves again; the primary's OCSP responder is back ($(awk -v n="$(date +%s)" -v e="$S1_NEXT" \
	'BEGIN { d = e - n; print (d >= 0 ? d " s before www'"'"'s staple expires" : -d " s after www'"'"'s staple expired") }'))"
if await $((V / 10 + 15)) logged_after "$DLOG" "$n" "event=staple_refreshed cert=www"; then
	say "www's staple refreshed after the outage"
else
	say "www's staple was not refreshed within $((V / 10 + 15)) s of the recovery"
fi
sleep "$OBSERVE"
daemon_running || say "holdfast run #$RUN had exited on its own"
say "drill over; stopping"
report finished
}
