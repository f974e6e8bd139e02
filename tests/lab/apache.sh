# shellcheck shell=bash
# tests/lab/apache.sh -- a real Apache httpd 2.4 (mod_ssl) for the lab.
#
# Sourced after lib.sh by the tests that deploy to Apache:
#
#     . "$(dirname "$0")/../lab/lib.sh"
#     . "$(dirname "$0")/../lab/apache.sh"
#     ...
#     lab_apache_conf "$LAB/apache" 8443 www.test "$DEPLOY/apache/www.pem" \
#         http://127.0.0.1:8090/
#     lab_apache_start "$LAB/apache" 8443 || lab_finish
#
# Design:
# - One self-contained configuration per instance: ServerRoot, PidFile,
#   ErrorLog, runtime directory and stapling cache all live in the
#   instance's directory under $LAB; nothing of Debian's /etc/apache2 is
#   read (no envvars, no mods-enabled), only the module files.
# - Apache runs in the foreground (-DFOREGROUND), so the PID the lab tracks
#   is the parent's and lab_cleanup's kill stops the whole instance. Its
#   graceful restart is `apache2 -f CONF -k graceful` (SIGUSR1 to the
#   PidFile's process); lab_apache_graceful_cmd prints that command for a
#   holdfast config's apache_reload.
# - The parent reads certificates and keys as root before it starts the
#   children, which run as nobody:nogroup (Apache refuses to run its
#   children as root). Nothing a child needs afterwards is a file under the
#   0700 $LAB: mutexes are semaphores, the stapling cache is shared memory
#   the parent creates.
# - Stapling: mod_ssl fetches the staple itself, inside a handshake, from
#   the URL SSLStaplingForceURL names (holdfast's ocsp_listen, or any
#   responder), caches a good answer for SSLStaplingStandardCacheTimeout
#   seconds and an error for SSLStaplingErrorCacheTimeout; errors are never
#   passed to clients (SSLStaplingReturnResponderErrors off) and no fake
#   tryLater is made up (SSLStaplingFakeTryLater off). mod_ssl does not
#   verify the response's signature (only the CertID and the times, with
#   SSLStaplingResponseTimeSkew, 300 s by default, of tolerance), so no
#   SSLCACertificateFile is needed -- and a responder's error is all that
#   keeps it from stapling something bad.
# - The cache time must stay below holdfast's withdrawal lead (a twentieth
#   of the response's window: 3 s for the lab's 1-minute responses): a
#   response cached just before the withdrawal is stapled for the whole
#   cache time, past nextUpdate within the skew. Seen with 30 s: expired
#   staples handed out. The lab uses 1 s.

LAB_APACHE_BIN=${LAB_APACHE_BIN:-/usr/sbin/apache2}
LAB_APACHE_MODULES=${LAB_APACHE_MODULES:-/usr/lib/apache2/modules}
# Seconds mod_ssl keeps a good staple / a responder error before it asks
# again (SSLStaplingStandardCacheTimeout, SSLStaplingErrorCacheTimeout).
LAB_APACHE_STAPLE_CACHE=${LAB_APACHE_STAPLE_CACHE:-1}

# lab_apache_conf DIR PORT NAME CERT [STAPLING_URL [KEY]]: write
# DIR/httpd.conf for an Apache serving NAME on 127.0.0.1:PORT with the
# certificate file CERT (key + leaf + chain in one PEM; or the key in KEY).
# With STAPLING_URL it staples what that responder answers (whatever the
# certificate's AIA says). Extra configuration lines can be appended to
# DIR/httpd.conf before the start.
lab_apache_conf() {
	local d=$1 port=$2 name=$3 cert=$4 url=${5:-} key=${6:-}
	mkdir -p "$d/run"
	{
		# ssl:debug logs each stapling step (cache hit or miss, responder
		# query and answer) in DIR/error.log, for post-mortems (HF_KEEP=1).
		cat <<-EOF
			# Written by tests/lab/apache.sh for one lab instance.
			ServerRoot $d
			DefaultRuntimeDir $d/run
			PidFile $d/httpd.pid
			ErrorLog $d/error.log
			LogLevel warn ssl:debug
			ServerName $name
			User nobody
			Group nogroup
			LoadModule mpm_event_module $LAB_APACHE_MODULES/mod_mpm_event.so
			LoadModule authz_core_module $LAB_APACHE_MODULES/mod_authz_core.so
			LoadModule socache_shmcb_module $LAB_APACHE_MODULES/mod_socache_shmcb.so
			LoadModule ssl_module $LAB_APACHE_MODULES/mod_ssl.so
			# Few processes: the lab makes a handful of handshakes.
			StartServers 1
			ServerLimit 2
			ThreadsPerChild 8
			MaxRequestWorkers 16
			MinSpareThreads 1
			MaxSpareThreads 16
			# No lock files: children run as nobody and cannot enter \$LAB.
			Mutex sem
			Listen 127.0.0.1:$port
			<Directory />
			    Require all denied
			</Directory>
			SSLSessionCache none
		EOF
		if [ -n "$url" ]; then
			cat <<-EOF
				SSLStaplingCache shmcb:$d/run/stapling(65536)
			EOF
		fi
		cat <<-EOF
			<VirtualHost 127.0.0.1:$port>
			    ServerName $name
			    SSLEngine on
			    SSLCertificateFile $cert
		EOF
		[ -n "$key" ] && echo "    SSLCertificateKeyFile $key"
		if [ -n "$url" ]; then
			cat <<-EOF
				    SSLUseStapling on
				    SSLStaplingForceURL $url
				    SSLStaplingResponderTimeout 5
				    SSLStaplingStandardCacheTimeout $LAB_APACHE_STAPLE_CACHE
				    SSLStaplingErrorCacheTimeout $LAB_APACHE_STAPLE_CACHE
				    SSLStaplingReturnResponderErrors off
				    SSLStaplingFakeTryLater off
			EOF
		fi
		echo "</VirtualHost>"
	} >"$d/httpd.conf.new" && mv "$d/httpd.conf.new" "$d/httpd.conf"
}

# lab_apache_start DIR PORT: start Apache with DIR/httpd.conf in the
# foreground; sets LAB_PID (the parent) and waits until PORT listens.
lab_apache_start() {
	local d=$1 port=$2
	"$LAB_APACHE_BIN" -d "$d" -f "$d/httpd.conf" -DFOREGROUND >"$d/stdout.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$port" || {
		diag "$d/stdout.log" "  "
		diag "$d/error.log" "  "
		return 1
	}
}

# lab_apache_graceful_cmd DIR: the graceful-restart command line for the
# instance in DIR (what apachectl graceful does, for this configuration).
# Mind that `apache2 -k graceful` starts an Apache of its own when none
# runs yet.
lab_apache_graceful_cmd() {
	echo "$LAB_APACHE_BIN -d $1 -f $1/httpd.conf -k graceful"
}

# apache_leaf HOST:PORT NAME: the PEM leaf the server presents for SNI NAME.
apache_leaf() {
	openssl s_client -connect "$1" -servername "$2" </dev/null 2>/dev/null |
		openssl x509 2>/dev/null
}

# apache_staple HOST:PORT NAME OUT: one handshake with SNI NAME asking for a
# staple; OUT gets s_client's output, OUT.ocsp the staple as `openssl ocsp
# -resp_text` would print it (empty: none sent), OUT.leaf the leaf (PEM),
# OUT.t1 the epoch second after the handshake ended. Returns 1 without a
# handshake.
apache_staple() {
	local addr=$1 name=$2 out=$3
	timeout 20 openssl s_client -connect "$addr" -servername "$name" -status \
		</dev/null >"$out" 2>&1
	date +%s >"$out.t1"
	# s_client prints the response between two lines of '=', with the
	# same function (OCSP_RESPONSE_print) as `openssl ocsp -resp_text`.
	awk '/^OCSP response:/ { on = 1; next }
	     on && /^=+$/ { n++; if (n == 2) exit; next }
	     on && n == 1' "$out" >"$out.ocsp"
	openssl x509 -in "$out" >"$out.leaf" 2>/dev/null
	grep -q "^CONNECTED" "$out" && [ -s "$out.leaf" ]
}

# apache_field OUT FIELD: a field of the staple apache_staple saw
# ("This Update", "Next Update", "Cert Status", "OCSP Response Status").
apache_field() {
	sed -n "s/^ *$2: //p" "$1.ocsp" | head -n1
}

# apache_staple_is OUT FILE: the staple apache_staple saw is the response
# in FILE (DER): `openssl ocsp -resp_text` prints both alike, signature and
# certificates included.
apache_staple_is() {
	[ -s "$1.ocsp" ] && lab_resp_text "$2" | cmp -s - "$1.ocsp"
}

# apache_staple_expired OUT: the staple apache_staple saw had a nextUpdate
# at or before the end of the handshake.
apache_staple_expired() {
	local nu
	nu=$(apache_field "$1" "Next Update")
	[ -n "$nu" ] && [ "$(date -u -d "$nu" +%s)" -le "$(cat "$1.t1")" ]
}
