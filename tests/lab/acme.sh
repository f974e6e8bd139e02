# shellcheck shell=bash
# tests/lab/acme.sh -- the ACME part of the lab. Sourced after lib.sh:
#
#     . "$(dirname "$0")/../lab/lib.sh"
#     . "$(dirname "$0")/../lab/acme.sh"
#     lab_enter_netns "$@"; lab_init; lab_require_holdfast
#     lab_dns 53                                   # names under .test -> 127.0.0.1
#     lab_pebble primary 14000 15000 PEBBLE_VA_ALWAYS_VALID=1
#     lab_acme_conf "$LAB/hf.conf" "[ca primary]" directory="$(lab_pebble_url primary)" \
#         "[certificate www]" names="www.test" cas=primary
#     hf issue -c "$LAB/hf.conf" www
#
# Design:
# - Real peers: Debian's Pebble 2.4 (one process per CA; its roots change on
#   every start), dnsmasq as the lab's DNS server, nginx for fixed bad
#   answers (503, not JSON, an error document, an oversized body), lego for
#   the benchmark. The one stand-in is acme_proxy.py in front of a Pebble:
#   ARI (Pebble 2.4 has none) and a corrupted certificate download.
# - DNS: lab_dns on 127.0.0.1:53 of the test's namespace. lib.sh points the
#   namespace's resolv.conf at 127.0.0.1, so holdfast (libcurl, getaddrinfo)
#   and Pebble's validation (-dnsserver) resolve through the same server:
#   every name under .test is 127.0.0.1, names under .invalid are NXDOMAIN,
#   and lab_dns_set makes any name NXDOMAIN (or another address) mid-test,
#   which is how "the CA's hostname stopped resolving" is played.
# - TLS: one lab CA ($LAB_ACME_BUNDLE) issues the HTTPS certificate of every
#   server holdfast talks ACME to (Pebble, the proxy, nginx), for localhost,
#   127.0.0.1 and NAME.test; holdfast trusts it through `ca_bundle`.
# - http-01: Pebble validates on port 5002 (httpPort), where holdfast's
#   built-in responder listens (http_listen = 127.0.0.1:5002).
#
# Peers:      lab_dns, lab_dns_set, lab_pebble, lab_pebble_url, lab_pebble_stop,
#             lab_pebble_root, lab_pebble_cert_status, lab_acme_proxy (+ _url,
#             _fault), lab_ari_window, lab_proxy_requests, lab_acme_deactivate,
#             lab_acme_nginx
#             (503 | notjson | problem | oversize | dir FILE); refused and
#             black-hole endpoints: a closed port, lib.sh's lab_blackhole.
# Config:     lab_acme_conf.
# Assertions: acme_cert_dir, acme_sums, acme_serial, acme_meta, acme_meta_get,
#             acme_names, acme_key_type, acme_key_matches, acme_mode,
#             acme_verify, acme_certid, acme_wait_past, acme_breaker_age.
#             Those reading the store use $ACME_STORE (default $LAB/store).

# Every HTTPS server of the ACME lab has a certificate from this CA.
LAB_ACME_BUNDLE=
LAB_DNS_PORT=
LAB_DNS_PID=

# ---------------------------------------------------------------- TLS

# lab_acme_tls_ca: make the lab's TLS CA once; sets LAB_ACME_BUNDLE.
lab_acme_tls_ca() {
	local d=$LAB/acme-tls
	LAB_ACME_BUNDLE=$d/ca.pem
	[ -s "$LAB_ACME_BUNDLE" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
		-subj "/O=holdfast lab/CN=Lab ACME TLS CA" \
		-addext "basicConstraints=critical,CA:true" \
		-addext "keyUsage=critical,keyCertSign" >"$d/ca.log" 2>&1 || {
		echo "# lab_acme_tls_ca failed:"
		diag "$d/ca.log" "  "
		return 1
	}
	export LAB_ACME_BUNDLE
}

# lab_acme_tls_cert DIR HOST: DIR/cert.pem (leaf + CA) and DIR/key.pem for
# DNS:localhost, IP:127.0.0.1 and DNS:HOST, issued by the lab TLS CA.
lab_acme_tls_cert() {
	local d=$1 host=$2 ca
	lab_acme_tls_ca || return 1
	ca=$LAB/acme-tls
	mkdir -p "$d"
	printf '%s\n' "basicConstraints=critical,CA:false" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
		"subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:$host" >"$d/tls.ext"
	(
		set -e
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/key.pem" -out "$d/tls.csr" -subj "/O=holdfast lab/CN=$host"
		openssl x509 -req -in "$d/tls.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
			-set_serial "0x$(lab_serial)" -days 30 -extfile "$d/tls.ext" \
			-out "$d/leaf.pem"
		cat "$d/leaf.pem" "$ca/ca.pem" >"$d/cert.pem"
		cp "$ca/ca.pem" "$d/tls-ca.pem"
	) >"$d/tls.log" 2>&1 || {
		echo "# lab_acme_tls_cert $host failed:"
		diag "$d/tls.log" "  "
		return 1
	}
}

# lab_https_ready URL [SECONDS]: until URL answers over HTTPS (any status),
# trusting the lab TLS CA.
lab_https_ready() {
	local url=$1 bound=${2:-$LAB_WAIT} i
	for ((i = 0; i < bound * 10; i++)); do
		if curl -s -o /dev/null --max-time 2 --cacert "$LAB_ACME_BUNDLE" "$url"; then
			return 0
		fi
		sleep 0.1
	done
	echo "# lab_https_ready: $url does not answer after ${bound}s"
	return 1
}

# lab_acme_get URL [CURL_ARGS...]: GET over HTTPS trusting the lab TLS CA.
lab_acme_get() {
	local url=$1
	shift
	curl -sS --fail --max-time 10 --cacert "$LAB_ACME_BUNDLE" "$@" "$url"
}

# ---------------------------------------------------------------- DNS

# lab_dns PORT: dnsmasq on 127.0.0.1:PORT (use 53: the namespace's resolver)
# answering A 127.0.0.1 for every name under .test and NXDOMAIN under
# .invalid; overrides from lab_dns_set. Sets LAB_DNS_PORT and LAB_DNS_PID;
# queries are logged to $LAB/dns/queries.log.
lab_dns() {
	LAB_DNS_PORT=$1
	mkdir -p "$LAB/dns"
	: >"$LAB/dns/overrides.conf"
	lab_dns_start
}

# lab_dns_set NAME IP|nxdomain|default: from now on NAME (and names under it)
# resolves to IP, is NXDOMAIN, or is back to the default (127.0.0.1).
# Restarts dnsmasq (it reads --address lines only at start).
lab_dns_set() {
	local name=$1 what=$2
	grep -v -F "/$name/" "$LAB/dns/overrides.conf" >"$LAB/dns/overrides.new"
	case $what in
	default) ;;
	nxdomain) echo "address=/$name/" >>"$LAB/dns/overrides.new" ;;
	*) echo "address=/$name/$what" >>"$LAB/dns/overrides.new" ;;
	esac
	mv "$LAB/dns/overrides.new" "$LAB/dns/overrides.conf"
	lab_stop "$LAB_DNS_PID"
	lab_dns_start
}

lab_dns_start() {
	local d=$LAB/dns
	cat >"$d/dnsmasq.conf" <<-EOF
		port=$LAB_DNS_PORT
		listen-address=127.0.0.1
		bind-interfaces
		no-resolv
		no-hosts
		no-negcache
		user=root
		local=/test/
		local=/invalid/
		address=/test/127.0.0.1
		log-queries
		log-facility=$d/queries.log
		conf-file=$d/overrides.conf
	EOF
	dnsmasq -k --conf-file="$d/dnsmasq.conf" --pid-file="$d/dnsmasq.pid" \
		>>"$d/dnsmasq.out" 2>&1 &
	LAB_DNS_PID=$!
	lab_track "$LAB_DNS_PID"
	lab_dns_wait_udp || {
		diag "$d/dnsmasq.out" "  "
		return 1
	}
}

lab_dns_wait_udp() {
	local i
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		if [ -n "$(ss -Hlun "sport = :$LAB_DNS_PORT" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "# lab_dns: nothing listens on udp $LAB_DNS_PORT after ${LAB_WAIT}s"
	return 1
}

# lab_resolves NAME: NAME has an address for this namespace's resolver.
lab_resolves() {
	getent hosts "$1" >/dev/null
}

# ---------------------------------------------------------------- Pebble

# lab_pebble NAME PORT MGMT_PORT [ENV=VAL...]: start Debian's Pebble with its
# ACME directory at https://127.0.0.1:PORT/dir (lab_pebble_url NAME), the
# management interface on 127.0.0.1:MGMT_PORT, http-01 validated on port 5002,
# resolving through the lab DNS server when lab_dns runs. Environment:
# PEBBLE_VA_NOSLEEP=1 plus the given ENV=VAL (e.g. PEBBLE_VA_ALWAYS_VALID=1,
# PEBBLE_WFE_NONCEREJECT=50, PEBBLE_AUTHZREUSE=0). Files in $LAB/pebble-NAME/:
# config.json, cert.pem/key.pem (HTTPS, SANs localhost, 127.0.0.1 and
# pebble-NAME.test), tls-ca.pem (trust for it: ca_bundle), pebble.log,
# root.pem and intermediate.pem (the issuing chain, fetched once it runs).
# LAB_PEBBLE_VALIDITY=SECONDS (set for the call) makes its certificates
# valid that long instead of Pebble's default 5 years; LAB_PEBBLE_TLS_NAME
# names its HTTPS certificate (default pebble-NAME.test); LAB_PEBBLE_OCSP_URL
# goes into the AIA of what it issues (default: none); LAB_PEBBLE_EAB_KEYS
# (a JSON object {"KID": "BASE64URL MAC KEY", ...}) makes it require external
# account binding with those keys (its directory then says
# meta.externalAccountRequired).
# Returns once the directory answers; sets LAB_PID.
lab_pebble() {
	local name=$1 port=$2 mgmt=$3 d=$LAB/pebble-$1 dns=() validity="" eab=false
	shift 3
	lab_acme_tls_cert "$d" "${LAB_PEBBLE_TLS_NAME:-pebble-$name.test}" || return 1
	[ -n "${LAB_PEBBLE_VALIDITY:-}" ] &&
		validity=",
		    \"certificateValidityPeriod\": $LAB_PEBBLE_VALIDITY"
	[ -n "${LAB_PEBBLE_EAB_KEYS:-}" ] &&
		eab="true,
		    \"externalAccountMACKeys\": $LAB_PEBBLE_EAB_KEYS"
	cat >"$d/config.json" <<-EOF
		{
		  "pebble": {
		    "listenAddress": "127.0.0.1:$port",
		    "managementListenAddress": "127.0.0.1:$mgmt",
		    "certificate": "$d/cert.pem",
		    "privateKey": "$d/key.pem",
		    "httpPort": 5002,
		    "tlsPort": 5001,
		    "ocspResponderURL": "${LAB_PEBBLE_OCSP_URL:-}",
		    "externalAccountBindingRequired": $eab$validity
		  }
		}
	EOF
	echo "$port" >"$d/port"
	echo "$mgmt" >"$d/mgmt_port"
	[ -n "$LAB_DNS_PORT" ] && dns=(-dnsserver "127.0.0.1:$LAB_DNS_PORT")
	env PEBBLE_VA_NOSLEEP=1 "$@" pebble -config "$d/config.json" "${dns[@]}" \
		>"$d/pebble.log" 2>&1 &
	LAB_PID=$!
	echo "$LAB_PID" >"$d/pid"
	lab_track "$LAB_PID"
	lab_https_ready "https://127.0.0.1:$port/dir" || {
		diag "$d/pebble.log" "  pebble: "
		return 1
	}
	lab_pebble_root "$name" >/dev/null || return 1
	LAB_PID=$(cat "$d/pid")
}

# lab_pebble_responder NAME DIR: DIR ready for lab_ocsp_responder to answer
# for that Pebble's certificates: int.pem and int.key (its intermediate and
# key, from the management port), resp.pem (any certificate, for
# lab_index_changed's throwaway request), an empty index.
lab_pebble_responder() {
	local p=$LAB/pebble-$1 o=$2
	mkdir -p "$o"
	lab_acme_get "https://127.0.0.1:$(cat "$p/mgmt_port")/intermediate-keys/0" -o "$o/int.key" || return 1
	chmod 600 "$o/int.key"
	cp "$p/intermediate.pem" "$o/int.pem"
	cp "$p/root.pem" "$o/resp.pem"
	: >"$o/index.txt"
	echo "unique_subject = no" >"$o/index.txt.attr"
}

# lab_pebble_url NAME [HOST]: the directory URL (HOST default 127.0.0.1; e.g.
# pebble-NAME.test to go through the lab DNS).
lab_pebble_url() {
	echo "https://${2:-127.0.0.1}:$(cat "$LAB/pebble-$1/port")/dir"
}

# lab_pebble_stop NAME: stop that Pebble (its state and roots are lost).
lab_pebble_stop() {
	lab_stop "$(cat "$LAB/pebble-$1/pid")"
}

# lab_pebble_root NAME [OUT]: fetch the issuing root (/roots/0) into OUT
# (default $LAB/pebble-NAME/root.pem) and the intermediate (/intermediates/0)
# into $LAB/pebble-NAME/intermediate.pem; prints OUT.
lab_pebble_root() {
	local d=$LAB/pebble-$1 mgmt out=${2:-$LAB/pebble-$1/root.pem}
	mgmt=$(cat "$d/mgmt_port")
	if ! lab_acme_get "https://127.0.0.1:$mgmt/roots/0" -o "$out" ||
		! lab_acme_get "https://127.0.0.1:$mgmt/intermediates/0" -o "$d/intermediate.pem"; then
		echo "# lab_pebble_root $1: management interface on $mgmt did not answer" >&2
		return 1
	fi
	echo "$out"
}

# lab_pebble_cert_status NAME SERIAL [FIELD]: "Valid" or "Revoked" as
# Pebble's management interface says (/cert-status-by-serial/SERIAL); with
# FIELD another field of that answer (e.g. Reason).
lab_pebble_cert_status() {
	local mgmt serial
	mgmt=$(cat "$LAB/pebble-$1/mgmt_port")
	serial=$(echo "$2" | tr 'A-F' 'a-f')
	lab_acme_get "https://127.0.0.1:$mgmt/cert-status-by-serial/$serial" |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]))' "${3:-Status}"
}

# ---------------------------------------------------------------- proxy

# lab_acme_proxy NAME PORT UPSTREAM_DIR_URL [--ari] [--profiles] [--meta]: acme_proxy.py on
# https://127.0.0.1:PORT forwarding to a Pebble (see that file). The
# directory URL is https://127.0.0.1:PORT/dir (lab_acme_proxy_url NAME).
# Files in $LAB/proxy-NAME/: requests.jsonl (one line per request), ari.json
# (windows, lab_ari_window), fault (lab_acme_proxy_fault), meta.json (merged
# into the directory's meta with --meta, lab_acme_proxy_meta). Sets LAB_PID.
lab_acme_proxy() {
	local name=$1 port=$2 upstream=$3 d=$LAB/proxy-$1 ari=() arg
	shift 3
	lab_acme_tls_cert "$d" "proxy-$name.test" || return 1
	: >"$d/fault"
	: >"$d/requests.jsonl"
	echo '{}' >"$d/ari.json"
	echo '{}' >"$d/profiles.json"
	echo '{}' >"$d/meta.json"
	for arg in "$@"; do
		case $arg in
		--ari) ari+=(--ari "$d/ari.json") ;;
		--profiles) ari+=(--profiles "$d/profiles.json") ;;
		--meta) ari+=(--meta "$d/meta.json") ;;
		esac
	done
	echo "$port" >"$d/port"
	python3 "$LAB_LIB_DIR/acme_proxy.py" --port "$port" --upstream "$upstream" \
		--cert "$d/cert.pem" --key "$d/key.pem" --cafile "$LAB_ACME_BUNDLE" \
		--fault "$d/fault" --log "$d/requests.jsonl" "${ari[@]}" \
		>"$d/proxy.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	lab_https_ready "https://127.0.0.1:$port/dir" || {
		diag "$d/proxy.log" "  proxy: "
		return 1
	}
}

lab_acme_proxy_url() {
	echo "https://127.0.0.1:$(cat "$LAB/proxy-$1/port")/dir"
}

# lab_acme_proxy_meta NAME JSON: the proxy NAME (started with --meta) merges
# the object JSON into its directory's meta from the next request on.
lab_acme_proxy_meta() {
	echo "$2" >"$LAB/proxy-$1/meta.new" && mv "$LAB/proxy-$1/meta.new" "$LAB/proxy-$1/meta.json"
}

# lab_acme_proxy_profiles NAME JSON: the proxy NAME (started with
# --profiles) offers these profiles from the next request on.
lab_acme_proxy_profiles() {
	echo "$2" >"$LAB/proxy-$1/profiles.new" && mv "$LAB/proxy-$1/profiles.new" "$LAB/proxy-$1/profiles.json"
}

# lab_acme_proxy_fault NAME [MODE]: from the next request on, apply MODE
# (truncate-chain, leaf-only, oversize-chain, problem-order; none: no fault).
lab_acme_proxy_fault() {
	echo "${2:-}" >"$LAB/proxy-$1/fault.new" && mv "$LAB/proxy-$1/fault.new" "$LAB/proxy-$1/fault"
}

# lab_ari_window NAME CERTID|default START END [RETRY_AFTER]: the proxy NAME
# answers renewal-info for CERTID (or every certID without an entry) with
# this window. START/END: anything `date -d` takes ("now + 10 days").
lab_ari_window() {
	local f=$LAB/proxy-$1/ari.json start end
	start=$(date -u -d "$3" +%Y-%m-%dT%H:%M:%SZ) || return 1
	end=$(date -u -d "$4" +%Y-%m-%dT%H:%M:%SZ) || return 1
	python3 - "$f" "$2" "$start" "$end" "${5:-}" <<-'EOF'
		import json, os, sys
		path, key, start, end, ra = sys.argv[1:]
		doc = json.load(open(path))
		win = {"start": start, "end": end}
		if ra:
		    win["retry_after"] = int(ra)
		if key == "default":
		    doc["default"] = win
		else:
		    doc.setdefault("certids", {})[key] = win
		json.dump(doc, open(path + ".new", "w"), indent=1)
		os.rename(path + ".new", path)
	EOF
}

# lab_proxy_requests NAME PYEXPR: print the request log lines r (dicts) of
# proxy NAME for which PYEXPR holds, as JSON.
lab_proxy_requests() {
	python3 - "$LAB/proxy-$1/requests.jsonl" "$2" <<-'EOF'
		import json, sys
		for line in open(sys.argv[1]):
		    r = json.loads(line)
		    if eval(sys.argv[2]):
		        print(json.dumps(r, sort_keys=True))
	EOF
}

# lab_acme_deactivate STORE CA: deactivate, at the CA, the account holdfast
# holds for CA in STORE (RFC 8555 7.3.6: POST {"status":"deactivated"} to
# the account URL, signed with its key), as a CA or its operator would;
# acme_deactivate.py. Prints the account's new status.
lab_acme_deactivate() {
	"$(lab_python_crypto)" "$LAB_LIB_DIR/acme_deactivate.py" --key "$1/accounts/$2/account.key" \
		--account "$1/accounts/$2/account.json" --cafile "$LAB_ACME_BUNDLE"
}

# ---------------------------------------------------------------- nginx

# lab_acme_nginx PORT MODE: nginx with HTTPS (lab TLS CA) on 127.0.0.1:PORT
# answering every request the same way. MODE:
#   503       503 Service Unavailable (text/html) -- a CA in an outage
#   notjson   200 text/html "<html>..." -- a captive portal or a web page
#   problem   403 application/problem+json ACME error document
#   oversize  200 application/json, a 2 MiB JSON object (beyond any body cap)
#   dir FILE  200 application/json FILE for /dir (a stand-in directory)
# The URL to use is https://127.0.0.1:PORT/dir. Sets LAB_PID; requests are
# logged in $LAB/nginx-PORT/access.log ("METHOD URI HTTP/1.x STATUS").
lab_acme_nginx() {
	local port=$1 mode=$2 pfx=$LAB/nginx-$1 body
	pfx=$LAB/nginx-$port
	mkdir -p "$pfx/tmp" "$pfx/www"
	lab_acme_tls_cert "$pfx" "nginx-$port.test" || return 1
	case $mode in
	503) body='return 503 "<html><body>CA down for maintenance</body></html>\n";' ;;
	notjson)
		printf '<html><head><title>Welcome</title></head><body>not ACME</body></html>\n' >"$pfx/www/body"
		body="default_type text/html; root $pfx/www; try_files /body =404;" ;;
	problem)
		body='default_type application/problem+json; return 403 "{\"type\":\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"lab: account locked\",\"status\":403}";' ;;
	oversize)
		python3 -c 'import sys; sys.stdout.write("{\"newNonce\":\"https://127.0.0.1/n\",\"pad\":\"" + "A" * (2 * 1024 * 1024) + "\"}")' \
			>"$pfx/www/body"
		body="default_type application/json; root $pfx/www; try_files /body =404;" ;;
	dir)
		cp "$3" "$pfx/www/body"
		body="default_type application/json; root $pfx/www; try_files /body =404;" ;;
	*)
		echo "# lab_acme_nginx: unknown mode $mode"
		return 1 ;;
	esac
	{
		lab_nginx_conf_head "$pfx"
		cat <<-EOF
			    log_format lab '\$request \$status';
			    server {
			        listen 127.0.0.1:$port ssl;
			        ssl_certificate $pfx/cert.pem;
			        ssl_certificate_key $pfx/key.pem;
			        access_log $pfx/access.log lab;
			        location / {
			            types { }
			            $body
			            error_page 405 =200 \$uri;
			        }
			    }
			}
		EOF
	} >"$pfx/nginx.conf"
	lab_nginx_start "$pfx" "$port"
}

# ---------------------------------------------------------------- config

# lab_acme_conf FILE ARG...: write a holdfast.conf. ARGs in order are
# KEY=VALUE lines and section headers ("[ca NAME]", "[certificate NAME]").
# Defaults added where the key is not given (KEY= with an empty value drops
# a default):
#   top level      store = $LAB/store, acme_connect_timeout = 2s,
#                  acme_timeout = 5s
#   [ca]           ca_bundle = $LAB_ACME_BUNDLE
#   [certificate]  challenge = http-01, http_listen = 127.0.0.1:5002
lab_acme_conf() {
	local file=$1 arg section=top
	local -a lines=() keys=()
	shift
	lab_acme_tls_ca || return 1
	for arg in "$@"; do
		case $arg in
		\[*\])
			lab_acme_conf_defaults
			lines+=("" "$arg")
			section=${arg#[}
			section=${section%% *}
			;;
		*=*)
			keys+=("${arg%%=*}")
			[ -n "${arg#*=}" ] && lines+=("${arg%%=*} = ${arg#*=}")
			;;
		*)
			echo "# lab_acme_conf: not KEY=VALUE or [section]: $arg"
			return 1
			;;
		esac
	done
	lab_acme_conf_defaults
	printf '%s\n' "# written by tests/lab/acme.sh" "${lines[@]}" >"$file"
}

# (lab_acme_conf) append the defaults of $section whose key is not in $keys
# to $lines, then clear $keys -- the caller's locals.
lab_acme_conf_defaults() {
	local defaults=() kv k seen given
	case $section in
	top) defaults=("store=$LAB/store" "acme_connect_timeout=2s" "acme_timeout=5s") ;;
	ca) defaults=("ca_bundle=$LAB_ACME_BUNDLE") ;;
	certificate) defaults=("challenge=http-01" "http_listen=127.0.0.1:5002") ;;
	esac
	for kv in "${defaults[@]}"; do
		k=${kv%%=*}
		seen=0
		for given in "${keys[@]}"; do
			[ "$given" = "$k" ] && seen=1
		done
		[ "$seen" = 0 ] && lines+=("$k = ${kv#*=}")
	done
	keys=()
}

# ---------------------------------------------------------------- store

# acme_cert_dir NAME: the directory of certificate NAME in the store
# $ACME_STORE (default $LAB/store, lab_acme_conf's default).
acme_cert_dir() {
	echo "${ACME_STORE:-$LAB/store}/certificates/$1"
}

# acme_sums NAME: sha256 of the files a web server reads (cert, chain,
# fullchain, key) -- equal before and after means nothing was replaced.
acme_sums() {
	local d
	d=$(acme_cert_dir "$1")
	(cd "$d" 2>/dev/null && sha256sum cert.pem chain.pem fullchain.pem privkey.pem 2>&1)
}

# acme_serial NAME: upper-case hex serial of the stored cert.pem.
acme_serial() {
	lab_cert_serial "$(acme_cert_dir "$1")/cert.pem" 2>/dev/null
}

# acme_meta NAME PYEXPR: PYEXPR over m (meta.json of NAME) is true. Also
# defined: ts(T) (a contract timestamp as epoch seconds), now (epoch), x509
# (dict of the stored cert.pem: not_before, not_after as epoch, serial HEX).
acme_meta() {
	local d
	d=$(acme_cert_dir "$1")
	python3 - "$d" "$2" <<-'EOF'
		import calendar, json, os, subprocess, sys, time
		d, expr = sys.argv[1:]
		m = json.load(open(os.path.join(d, "meta.json")))
		def ts(t):
		    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))
		def odate(s):
		    return calendar.timegm(time.strptime(s, "%b %d %H:%M:%S %Y GMT"))
		out = subprocess.run(["openssl", "x509", "-in", os.path.join(d, "cert.pem"), "-noout",
		                      "-serial", "-startdate", "-enddate"], capture_output=True, text=True).stdout
		f = dict(l.split("=", 1) for l in out.split("\n") if "=" in l)
		x509 = {"serial": f.get("serial"),
		        "not_before": odate(" ".join(f["notBefore"].split())) if "notBefore" in f else None,
		        "not_after": odate(" ".join(f["notAfter"].split())) if "notAfter" in f else None}
		now = time.time()
		ok = eval("(" + expr + "\n)")
		if not ok:
		    print("meta.json:", json.dumps(m, sort_keys=True))
		    print("cert.pem:", x509)
		sys.exit(0 if ok else 1)
	EOF
}

# acme_names PEM: the certificate's DNS names, sorted, one line.
acme_names() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		grep -oE 'DNS:[^, ]+' | sed 's/^DNS://' | sort | tr '\n' ' ' | sed 's/ $//'
}

# acme_key_type PEM: ec-p256 | ec-p384 | rsa-2048 | ... of a certificate's
# or private key's public key, in holdfast.conf's words.
acme_key_type() {
	local text
	if grep -q 'BEGIN CERTIFICATE' "$1"; then
		text=$(openssl x509 -in "$1" -noout -text 2>/dev/null)
	else
		text=$(openssl pkey -in "$1" -pubout 2>/dev/null | openssl pkey -pubin -noout -text 2>/dev/null)
	fi
	case $text in
	*"ASN1 OID: prime256v1"*) echo ec-p256 ;;
	*"ASN1 OID: secp384r1"*) echo ec-p384 ;;
	*"Public-Key: (2048 bit)"*) echo rsa-2048 ;;
	*"Public-Key: (3072 bit)"*) echo rsa-3072 ;;
	*"Public-Key: (4096 bit)"*) echo rsa-4096 ;;
	*) echo unknown ;;
	esac
}

# acme_key_matches NAME: privkey.pem is the key of cert.pem.
acme_key_matches() {
	local d
	d=$(acme_cert_dir "$1")
	[ "$(openssl pkey -in "$d/privkey.pem" -pubout 2>/dev/null | sha256sum)" = \
		"$(openssl x509 -in "$d/cert.pem" -noout -pubkey 2>/dev/null | sha256sum)" ]
}

# acme_mode FILE: octal permission bits (e.g. 600).
acme_mode() {
	stat -c %a "$1"
}

# acme_verify NAME PEBBLE: the stored chain verifies up to that Pebble's root
# with its intermediate: `openssl verify -CAfile root -untrusted
# intermediate cert.pem`; and chain.pem is that intermediate, fullchain.pem
# is cert.pem + chain.pem.
acme_verify() {
	local d p=$LAB/pebble-$2
	d=$(acme_cert_dir "$1")
	openssl verify -CAfile "$p/root.pem" -untrusted "$p/intermediate.pem" "$d/cert.pem" || return 1
	openssl verify -CAfile "$p/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" || return 1
	[ "$(openssl x509 -in "$d/chain.pem" -outform DER | sha256sum)" = \
		"$(openssl x509 -in "$p/intermediate.pem" -outform DER | sha256sum)" ] || {
		echo "chain.pem is not $p/intermediate.pem"
		return 1
	}
	cat "$d/cert.pem" "$d/chain.pem" | cmp - "$d/fullchain.pem" || {
		echo "fullchain.pem is not cert.pem + chain.pem"
		return 1
	}
}

# acme_certid PEM: the RFC 9773 certID of a certificate:
# base64url(AKI keyIdentifier) "." base64url(serial number DER content).
acme_certid() {
	"$(lab_python_crypto)" - "$1" <<-'EOF'
		import base64, sys
		from cryptography import x509
		c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
		aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
		n = c.serial_number
		der = n.to_bytes(n.bit_length() // 8 + 1, "big")  # two's complement, minimal
		b = lambda v: base64.urlsafe_b64encode(v).decode().rstrip("=")
		print(b(aki) + "." + b(der))
	EOF
}

# acme_wait_past T [SECONDS]: wait until the wall clock is past the contract
# timestamp T (at most SECONDS, default LAB_WAIT; returns 1 when T is
# further away).
acme_wait_past() {
	local t i bound=${2:-$LAB_WAIT}
	t=$(date -u -d "$1" +%s) || return 1
	for ((i = 0; i < bound * 20; i++)); do
		[ "$(date +%s)" -gt "$t" ] && return 0
		sleep 0.05
	done
	return 1
}

# acme_breaker_age STORE_STATE_FILE CA: make the circuit breaker of CA look
# as if its backoff had passed (down_until one second in the past), as time
# would; the next run may probe CA (half-open).
acme_breaker_age() {
	python3 - "$1" "$2" <<-'EOF'
		import json, os, sys, time
		path, ca = sys.argv[1:]
		doc = json.load(open(path))
		entry = doc.get(ca)
		if entry is None:
		    sys.exit("no breaker for %s in %s" % (ca, path))
		entry["down_until"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
		json.dump(doc, open(path + ".new", "w"), indent=1)
		os.rename(path + ".new", path)
	EOF
}

# acme_meta_get NAME PYEXPR: print PYEXPR over m (meta.json of NAME), e.g.
# acme_meta_get www "m['ari']['retry_after']".
acme_meta_get() {
	python3 - "$(acme_cert_dir "$1")/meta.json" "$2" <<-'PY'
		import json, sys
		m = json.load(open(sys.argv[1]))
		print(eval(sys.argv[2]))
	PY
}

# ---------------------------------------------------------------- dns-01
#
# dnsmasq reads txt-record lines only when it starts, and only the test
# shell can restart the lab's dnsmasq (lab_stop reaps LAB_DNS_PID, its
# child). A dns_hook, though, runs in a process that holdfast spawns. So the
# hook asks and the test shell acts: the hook calls lab_dns_txt_request,
# which drops a request into $LAB/dns/requests/ and waits for the answer;
# the test runs holdfast through hf_dns_serving (instead of hf), which
# carries out the requests with lab_dns_txt while holdfast runs. Requests
# and their results are logged in $LAB/dns/requests.log.

# lab_dns_txt add|remove NAME VALUE: from now on the lab DNS answers TXT
# NAME with VALUE (add; next to other values of NAME) or no longer (remove).
# The record is a txt-record line in overrides.conf (which lab_dns_set
# keeps). Restarts dnsmasq; succeeds once it answers as it should. NAME and
# VALUE are restricted to DNS name and base64url characters.
lab_dns_txt() {
	local op=$1 name=$2 value=$3 conf=$LAB/dns/overrides.conf line
	if ! [[ $name =~ ^[A-Za-z0-9._-]+$ && $value =~ ^[A-Za-z0-9_-]+$ ]]; then
		echo "# lab_dns_txt: refusing name '$name' value '$value'"
		return 1
	fi
	line="txt-record=$name,$value"
	grep -v -x -F -- "$line" "$conf" >"$conf.new"
	case $op in
	add) echo "$line" >>"$conf.new" ;;
	remove) ;;
	*)
		rm -f "$conf.new"
		echo "# lab_dns_txt: add or remove, not '$op'"
		return 1
		;;
	esac
	mv "$conf.new" "$conf"
	lab_stop "$LAB_DNS_PID"
	lab_dns_start || return 1
	if lab_dns_txt_values "$name" | grep -q -x -F -- "$value"; then
		[ "$op" = add ]
	else
		[ "$op" = remove ]
	fi
}

# lab_dns_txt_values NAME: the TXT strings the lab DNS answers for NAME, one
# a line (nothing when there are none).
lab_dns_txt_values() {
	kdig @127.0.0.1 -p "$LAB_DNS_PORT" +short +timeout=2 +retry=1 TXT "$1" 2>/dev/null |
		sed -n 's/^"\(.*\)"$/\1/p'
}

# lab_dns_txt_request add|remove NAME VALUE: (in a dns_hook) have the test
# shell, which runs holdfast through hf_dns_serving, do lab_dns_txt; waits
# at most LAB_WAIT seconds; succeeds when that succeeded.
lab_dns_txt_request() {
	local dir=$LAB/dns/requests id result i
	id=$(date +%s%N).$$
	mkdir -p "$dir" &&
		printf '%s\n' "$1" "$2" "$3" >"$dir/$id.tmp" &&
		mv "$dir/$id.tmp" "$dir/$id.req" || return 1
	for ((i = 0; i < LAB_WAIT * 50; i++)); do
		if [ -e "$dir/$id.done" ]; then
			result=$(cat "$dir/$id.done")
			rm -f "$dir/$id.done"
			[ "$result" = ok ]
			return
		fi
		sleep 0.02
	done
	rm -f "$dir/$id.req"
	echo "lab_dns_txt_request: no answer after ${LAB_WAIT}s (is holdfast run through hf_dns_serving?)" >&2
	return 1
}

# (hf_dns_serving) carry out the pending requests, oldest first.
lab_dns_serve_requests() {
	local dir=$LAB/dns/requests f result
	local -a r
	for f in "$dir"/*.req; do
		[ -e "$f" ] || continue
		mapfile -t r <"$f"
		rm -f "$f"
		result=fail
		if [ "${#r[@]}" -eq 3 ] &&
			lab_dns_txt "${r[0]}" "${r[1]}" "${r[2]}" >>"$LAB/dns/requests.log" 2>&1; then
			result=ok
		fi
		echo "${r[*]} -> $result" >>"$LAB/dns/requests.log"
		echo "$result" >"${f%.req}.dtmp" && mv "${f%.req}.dtmp" "${f%.req}.done"
	done
}

# hf_dns_serving ARGS...: hf, but holdfast runs in the background while the
# test shell carries out the lab_dns_txt_request calls of its dns_hook.
# Sets HF_RC, HF_OUT, HF_ERR like hf.
# shellcheck disable=SC2034 # HF_* are read by lib.sh's hf_dump and the test
hf_dns_serving() {
	local pid
	HF_OUT=$LAB/hf.out
	HF_ERR=$LAB/hf.err
	HF_CMD="holdfast $*"
	mkdir -p "$LAB/dns/requests"
	(cd "$LAB" && exec timeout "$HF_RUN_TIMEOUT" "$HOLDFAST" "$@") >"$HF_OUT" 2>"$HF_ERR" &
	pid=$!
	lab_track "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		lab_dns_serve_requests
		sleep 0.02
	done
	wait "$pid"
	HF_RC=$?
	return 0
}

# ---------------------------------------------------------------- webroot

# lab_nginx_webroot PORT ROOT: nginx on 127.0.0.1:PORT (plain HTTP) serving
# the files under ROOT, as a web server would for holdfast's `webroot`
# (http-01: Pebble fetches http://NAME:5002/.well-known/acme-challenge/TOKEN).
# Sets LAB_PID; requests are logged in $LAB/nginx-PORT/access.log
# ("METHOD URI HTTP/1.x STATUS").
lab_nginx_webroot() {
	local port=$1 root=$2 pfx=$LAB/nginx-$1
	mkdir -p "$pfx/tmp" "$root"
	{
		lab_nginx_conf_head "$pfx"
		cat <<-EOF
			    log_format lab '\$request \$status';
			    server {
			        listen 127.0.0.1:$port;
			        access_log $pfx/access.log lab;
			        root $root;
			        location / {
			            types { }
			            default_type text/plain;
			        }
			    }
			}
		EOF
	} >"$pfx/nginx.conf"
	lab_nginx_start "$pfx" "$port"
}
