# shellcheck shell=bash
# tests/lab/audit.sh -- the peers `holdfast audit` is tested against.
# Source after lib.sh (and after lab_enter_netns / lab_init):
#
#     . "$(dirname "$0")/../lab/lib.sh"
#     . "$(dirname "$0")/../lab/audit.sh"
#
# A small DNS world on loopback addresses of the test's own namespace, with
# real servers on port 53 (the audit asks name servers where the NS records
# say they are, and that is port 53):
#
#   127.0.0.2        knotd "parent": the TLD zones (test., lab.), which
#                    delegate every lab domain (NS + glue)
#   127.0.0.3, .4    knotd "child": every delegated zone (apex NS, @ and www
#                    A/AAAA, the name servers' own A records)
#   127.0.0.53, .54  two unbound resolvers (iterator only, no cache:
#                    cache-max-ttl 0), stub zones for the TLDs at 127.0.0.2
#   127.0.0.59       a resolver that never answers (UDP and TCP black hole)
#
# The zones come from four tables the test fills before audit_dns_start:
#   AUDIT_DELEG[domain]="ns1 ns2"    the delegation in the parent zone
#   AUDIT_CHILD_NS[domain]="..."     the apex NS set (default: the same)
#   AUDIT_NS_ADDR[nshost]=ADDR       glue / A record of a name server
#   AUDIT_CHILD_EXTRA[domain]="..."  more zone lines (e.g. "crl A 192.0.2.9")
# and can be changed mid-test: audit_parent_reload TLD / audit_child_reload
# DOMAIN rewrite the zone and return once the server serves the new serial
# (and both resolvers have flushed what they knew);
# audit_child_drop DOMAIN makes the child server stop serving a zone
# (REFUSED: the resolvers answer SERVFAIL).
#
# The RDAP side: rdap_server.py on 127.0.0.1:$AUDIT_RDAP_PORT serving
# $LAB/rdap/ (see its header), fixtures from tests/fixtures/rdap/, and a
# bootstrap dns.json naming it for the lab TLDs.

AUDIT_FIXTURES=$LAB_REPO/tests/fixtures/rdap
AUDIT_RDAP_PORT=${AUDIT_RDAP_PORT:-8053}
AUDIT_RDAP_URL=http://127.0.0.1:$AUDIT_RDAP_PORT
AUDIT_PARENT_ADDR=127.0.0.2
AUDIT_CHILD_ADDRS="127.0.0.3 127.0.0.4"
AUDIT_RESOLVER1=127.0.0.53
AUDIT_RESOLVER2=127.0.0.54
AUDIT_BLACKHOLE=127.0.0.59
AUDIT_TLDS=${AUDIT_TLDS:-"test lab"}
AUDIT_RDAP_TLDS=${AUDIT_RDAP_TLDS:-"test lab"} # TLDs the bootstrap gives a service
AUDIT_SERIAL=$(($(date +%s) % 1000000000))

declare -A AUDIT_DELEG AUDIT_CHILD_NS AUDIT_NS_ADDR AUDIT_CHILD_EXTRA

# ---------------------------------------------------------------- RDAP

# audit_rdap_start: the RDAP server on $AUDIT_RDAP_PORT, root $LAB/rdap,
# request log $LAB/logs/rdap.log; and $LAB/rdap/bootstrap/dns.json naming it
# for $AUDIT_TLDS (served at $AUDIT_RDAP_URL/bootstrap/dns.json).
audit_rdap_start() {
	mkdir -p "$LAB/rdap/rdap/domain" "$LAB/rdap/registrar/domain" "$LAB/rdap/bootstrap"
	# shellcheck disable=SC2086 # a list of TLDs
	audit_bootstrap "$LAB/rdap/bootstrap/dns.json" $AUDIT_RDAP_TLDS
	: >"$LAB/logs/rdap.log"
	python3 "$LAB_LIB_DIR/rdap_server.py" --port "$AUDIT_RDAP_PORT" --root "$LAB/rdap" \
		--log "$LAB/logs/rdap.log" >"$LAB/logs/rdap.out" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$AUDIT_RDAP_PORT" || {
		diag "$LAB/logs/rdap.out" "  "
		return 1
	}
}

# audit_bootstrap FILE TLD...: an RFC 9224 dns.json with one service (the
# lab server) for the TLDs, plus one service for .example with an unusable
# (ftp) URL only, which a client must treat as "no service".
audit_bootstrap() {
	local file=$1
	shift
	python3 - "$file" "$AUDIT_RDAP_URL/rdap/" "$@" <<-'EOF'
		import json, sys
		out, url, tlds = sys.argv[1], sys.argv[2], sys.argv[3:]
		doc = {"version": "1.0", "publication": "2026-01-01T00:00:00Z",
		       "description": "holdfast lab bootstrap",
		       "services": [[tlds, [url]], [["example"], ["ftp://nowhere.example/"]]]}
		json.dump(doc, open(out, "w"), indent=1)
	EOF
}

# audit_rdap_fixture DOMAIN FIXTURE [REGISTRAR_FIXTURE]: serve
# tests/fixtures/rdap/FIXTURE.json as the registry's answer for DOMAIN (and
# REGISTRAR_FIXTURE as the registrar's, at /registrar/domain/DOMAIN).
audit_rdap_fixture() {
	cp "$AUDIT_FIXTURES/$2.json" "$LAB/rdap/rdap/domain/$1" || return 1
	rm -f "$LAB/rdap/rdap/domain/$1.meta"
	if [ -n "${3:-}" ]; then
		cp "$AUDIT_FIXTURES/$3.json" "$LAB/rdap/registrar/domain/$1" || return 1
	fi
}

# audit_rdap_meta DOMAIN JSON: bend the registry's answer for DOMAIN (see
# rdap_server.py: status, content_type, headers, body, body_bytes, times).
audit_rdap_meta() {
	printf '%s\n' "$2" >"$LAB/rdap/rdap/domain/$1.meta"
}

# audit_rdap_requests PATH_REGEX: how many requests matching the regex the
# RDAP server has logged ("GET /rdap/domain/x.test 200 inflight=N").
audit_rdap_requests() {
	grep -cE -- "$1" "$LAB/logs/rdap.log"
}

# ---------------------------------------------------------------- DNS

# audit_tld_of NAME: the last label.
audit_tld_of() {
	echo "${1##*.}"
}

# audit_zone_head ZONE NS_NAME: $ORIGIN, $TTL and an SOA with a new serial.
audit_zone_head() {
	AUDIT_SERIAL=$((AUDIT_SERIAL + 1))
	cat <<-EOF
		\$ORIGIN $1.
		\$TTL 1
		@ SOA $2. hostmaster.$1. $AUDIT_SERIAL 3600 600 86400 1
	EOF
}

# audit_write_parent TLD: the TLD zone: its own server, every delegation of
# a domain under it, and glue for name servers under it.
audit_write_parent() {
	local tld=$1 d ns f=$LAB/dns/parent/$1.zone
	{
		audit_zone_head "$tld" "ns.nic.$tld"
		echo "@ NS ns.nic.$tld."
		echo "ns.nic A $AUDIT_PARENT_ADDR"
		for d in "${!AUDIT_DELEG[@]}"; do
			[ "$(audit_tld_of "$d")" = "$tld" ] || continue
			for ns in ${AUDIT_DELEG[$d]}; do
				echo "$d. NS $ns."
			done
		done
		for ns in "${!AUDIT_NS_ADDR[@]}"; do
			if [ "$(audit_tld_of "$ns")" = "$tld" ]; then
				echo "$ns. A ${AUDIT_NS_ADDR[$ns]}"
			fi
		done
	} >"$f.tmp"
	mv "$f.tmp" "$f"
	echo "$AUDIT_SERIAL" >"$f.serial"
}

# audit_write_child DOMAIN: the domain's zone as its own servers serve it.
audit_write_child() {
	local d=$1 ns first f=$LAB/dns/child/$1.zone
	local set=${AUDIT_CHILD_NS[$d]:-${AUDIT_DELEG[$d]}}
	first=${set%% *}
	{
		audit_zone_head "$d" "${first:-ns.invalid}"
		for ns in $set; do
			echo "@ NS $ns."
		done
		echo "@ A 192.0.2.1"
		echo "www A 192.0.2.1"
		echo "www AAAA 2001:db8::1"
		echo "acme A 192.0.2.2"
		echo "ocsp A 192.0.2.3"
		for ns in "${!AUDIT_NS_ADDR[@]}"; do
			case $ns in *".$d") echo "$ns. A ${AUDIT_NS_ADDR[$ns]}" ;; esac
		done
		[ -n "${AUDIT_CHILD_EXTRA[$d]:-}" ] && printf '%s\n' "${AUDIT_CHILD_EXTRA[$d]}"
	} >"$f.tmp"
	mv "$f.tmp" "$f"
	echo "$AUDIT_SERIAL" >"$f.serial"
}

# audit_knot_start NAME "ADDR..." ZONE...: knotd serving DIR/ZONE.zone for
# each zone on each address, port 53; control socket $LAB/dns/NAME/knot.sock.
audit_knot_start() {
	local name=$1 addrs=$2 dir=$LAB/dns/$1 a z listen=""
	shift 2
	for a in $addrs; do
		listen+="${listen:+, }$a@53"
	done
	{
		echo "server:"
		echo "    rundir: \"$dir\""
		echo "    listen: [ $listen ]"
		echo "log:"
		echo "  - target: stderr"
		echo "    any: info"
		echo "database:"
		echo "    storage: \"$dir/db\""
		echo "control:"
		echo "    listen: \"$dir/knot.sock\""
		echo "template:"
		echo "  - id: default"
		echo "    storage: \"$dir\""
		echo "    zonefile-sync: -1"
		echo "    zonefile-load: whole"
		echo "    journal-content: none"
		echo "zone:"
		for z in "$@"; do
			echo "  - domain: $z"
			echo "    file: $z.zone"
		done
	} >"$dir/knot.conf"
	knotd -c "$dir/knot.conf" >"$LAB/logs/knot-$name.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	for a in $addrs; do
		audit_wait_dns "$a" "$1" || {
			diag "$LAB/logs/knot-$name.log" "  "
			return 1
		}
	done
}

# audit_wait_dns ADDR ZONE: until ADDR:53 answers an SOA query for ZONE.
audit_wait_dns() {
	local i
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		if kdig @"$1" "$2" SOA +norec +time=1 +retry=0 2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.05
	done
	echo "# audit_wait_dns: $1 does not serve $2 after ${LAB_WAIT}s"
	return 1
}

# audit_wait_serial ADDR ZONE SERIAL: until ADDR serves ZONE with SERIAL.
audit_wait_serial() {
	local i
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		if [ "$(kdig @"$1" "$2" SOA +norec +short +time=1 +retry=0 2>/dev/null | awk '{print $3}')" = "$3" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "# audit_wait_serial: $1 does not serve $2 serial $3 after ${LAB_WAIT}s"
	return 1
}

# audit_unbound_start ADDR: a recursive resolver on ADDR:53 with stub zones
# for the lab TLDs; nothing is cached, so a zone change shows at once.
audit_unbound_start() {
	local addr=$1 dir=$LAB/dns/unbound-$1 tld i
	mkdir -p "$dir"
	{
		echo "server:"
		echo "    interface: $addr"
		echo "    port: 53"
		echo "    do-daemonize: no"
		echo "    username: \"\""
		echo "    chroot: \"\""
		echo "    directory: \"$dir\""
		echo "    pidfile: \"$dir/unbound.pid\""
		echo "    use-syslog: no"
		echo "    logfile: \"\""
		echo "    verbosity: 1"
		echo "    do-not-query-localhost: no"
		echo "    access-control: 127.0.0.0/8 allow"
		echo "    module-config: \"iterator\""
		echo "    cache-max-ttl: 0"
		echo "    cache-max-negative-ttl: 0"
		echo "    infra-host-ttl: 1"
		echo "    qname-minimisation: no"
		echo "    do-ip6: no"
		echo "    num-threads: 1"
		echo "    outgoing-range: 256"
		echo "    num-queries-per-thread: 1024"
		for tld in $AUDIT_TLDS; do
			# unbound answers NXDOMAIN for .test itself (RFC 6761) unless told.
			echo "    local-zone: \"$tld.\" nodefault"
		done
		for tld in $AUDIT_TLDS; do
			echo "stub-zone:"
			echo "    name: \"$tld.\""
			echo "    stub-addr: $AUDIT_PARENT_ADDR"
		done
		echo "remote-control:"
		echo "    control-enable: yes"
		echo "    control-interface: \"$dir/control.sock\""
		echo "    control-use-cert: no"
	} >"$dir/unbound.conf"
	unbound -d -c "$dir/unbound.conf" >"$LAB/logs/unbound-$addr.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		if kdig @"$addr" "ns.nic.${AUDIT_TLDS%% *}" A +time=1 +retry=0 2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.05
	done
	echo "# audit_unbound_start: $addr does not resolve after ${LAB_WAIT}s"
	diag "$LAB/logs/unbound-$addr.log" "  "
	return 1
}

# audit_blackhole ADDR: UDP and TCP port 53 on ADDR that read and never answer.
audit_blackhole() {
	python3 -c '
import socket, sys, threading
addr = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, 53))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, 53))
t.listen(16)
held = []
def tcp():
    while True:
        c, _ = t.accept()
        held.append(c)
threading.Thread(target=tcp, daemon=True).start()
while True:
    u.recvfrom(4096)  # read, say nothing
' "$1" >"$LAB/logs/blackhole-$1.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	local i
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		[ -n "$(ss -Hlun "src $1:53" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# audit_dns_start: write every zone from the tables and start the parent,
# the child, both resolvers and the black hole.
audit_dns_start() {
	local tld d
	mkdir -p "$LAB/dns/parent" "$LAB/dns/child"
	for tld in $AUDIT_TLDS; do
		audit_write_parent "$tld"
	done
	for d in "${!AUDIT_DELEG[@]}"; do
		audit_write_child "$d"
	done
	# shellcheck disable=SC2086 # a list of TLDs
	audit_knot_start parent "$AUDIT_PARENT_ADDR" $AUDIT_TLDS || return 1
	audit_knot_start child "$AUDIT_CHILD_ADDRS" "${!AUDIT_DELEG[@]}" || return 1
	audit_unbound_start "$AUDIT_RESOLVER1" || return 1
	audit_unbound_start "$AUDIT_RESOLVER2" || return 1
	audit_blackhole "$AUDIT_BLACKHOLE" || return 1
}

# audit_flush_resolvers: forget everything both resolvers learnt.  Their
# cache keeps nothing past its TTL (0), but an answer from the same second
# could still be reused; a zone change must show at once.
audit_flush_resolvers() {
	local r c
	for r in "$AUDIT_RESOLVER1" "$AUDIT_RESOLVER2"; do
		c=$LAB/dns/unbound-$r/unbound.conf
		unbound-control -c "$c" flush_zone . >/dev/null &&
			unbound-control -c "$c" flush_infra all >/dev/null &&
			unbound-control -c "$c" flush_requestlist >/dev/null || return 1
	done
}

# audit_parent_reload TLD: rewrite the TLD zone from the tables and wait
# until the parent server serves it (and the resolvers forgot the old one).
audit_parent_reload() {
	audit_write_parent "$1"
	knotc -s "$LAB/dns/parent/knot.sock" zone-reload "$1" >/dev/null || return 1
	audit_wait_serial "$AUDIT_PARENT_ADDR" "$1" "$(cat "$LAB/dns/parent/$1.zone.serial")" &&
		audit_flush_resolvers
}

# audit_child_reload DOMAIN: the same for a delegated zone.
audit_child_reload() {
	local a
	audit_write_child "$1"
	knotc -s "$LAB/dns/child/knot.sock" zone-reload "$1" >/dev/null || return 1
	for a in $AUDIT_CHILD_ADDRS; do
		audit_wait_serial "$a" "$1" "$(cat "$LAB/dns/child/$1.zone.serial")" || return 1
	done
	audit_flush_resolvers
}

# audit_child_drop DOMAIN: the child server stops serving DOMAIN (it answers
# REFUSED; resolvers then answer SERVFAIL) -- a DNS provider losing a zone.
audit_child_drop() {
	local sock=$LAB/dns/child/knot.sock i
	knotc -s "$sock" conf-begin >/dev/null &&
		knotc -s "$sock" conf-unset "zone[$1]" >/dev/null &&
		knotc -s "$sock" conf-commit >/dev/null || return 1
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		kdig @"${AUDIT_CHILD_ADDRS%% *}" "$1" SOA +norec +time=1 +retry=0 2>/dev/null |
			grep -q 'status: REFUSED' && {
			audit_flush_resolvers
			return
		}
		sleep 0.05
	done
	echo "# audit_child_drop: $1 still served"
	return 1
}

# audit_lab_world: the default world used by most tests -- two DNS
# providers (dns-a.test with two servers, dns-b.lab with one) and their
# domains; tests add their own domains to the tables before audit_dns_start.
audit_lab_world() {
	AUDIT_NS_ADDR[ns1.dns-a.test]=127.0.0.3
	AUDIT_NS_ADDR[ns2.dns-a.test]=127.0.0.4
	AUDIT_NS_ADDR[ns1.dns-b.lab]=127.0.0.4
	AUDIT_DELEG[dns-a.test]="ns1.dns-a.test ns2.dns-a.test"
	AUDIT_DELEG[dns-b.lab]="ns1.dns-b.lab ns1.dns-a.test"
}

# The --resolver arguments for the two real resolvers: "${AUDIT_RES[@]}".
# shellcheck disable=SC2034 # used by the scripts that source this file
AUDIT_RES=(--resolver "$AUDIT_RESOLVER1" --resolver "$AUDIT_RESOLVER2")

# audit_finding CHECK [SEVERITY [DOMAIN [EVIDENCE_REGEX]]]: a python
# expression for json_check: some finding of the last --json run matches.
audit_finding() {
	printf 'any(f["check"] == "%s"%s%s%s for f in js)' "$1" \
		"${2:+ and f[\"severity\"] == \"$2\"}" \
		"${3:+ and f[\"domain\"] == \"$3\"}" \
		"${4:+ and re.search(r\"$4\", f[\"evidence\"])}"
}
