#!/bin/bash
# Hostile clients against holdfast's own listeners: metrics_listen,
# ocsp_listen and the http-01 responder (http_listen), all libmicrohttpd
# through src/util/httpd.c, each with its documented limits (holdfast(1),
# "Listeners"): a 10 s idle timeout, 20 s for a whole request, a total and a
# per-address connection limit, 32 KiB for the request line and headers,
# 16 KiB for an OCSP request body.  The clients are python3 written below,
# attacking from 127.0.0.2 while a well-behaved client uses 127.0.0.1:
#   - slowloris (a header byte a second) on all three at once: dropped when
#     the request time runs out, the well-behaved client served meanwhile;
#   - 10,000 idle connections per listener: the excess refused (closed at
#     once), real requests still served, the daemon's memory bounded;
#   - a request flood (8 keep-alive clients for 5 s): answered, no crash,
#     one polling thread's worth of CPU;
#   - oversized header, URL and body: a 4xx; malformed OCSP requests:
#     malformedRequest;
# and meanwhile the daemon keeps refreshing (1-minute staples) and
# deploying, and logs the library's messages rate-limited.
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

# 10,000 idle connections need the descriptors on the client side (the
# daemon closes the excess at once); the daemon inherits the same limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
diag_fds=$(ulimit -n)
echo "# open files limit: $diag_fds"

STORE=$LAB/store
OCSP_PORT=8080
METRICS=9464
OCSPD=8888
HTTP01=5002
lab_make_leaf "$CA" www "http://127.0.0.1:$OCSP_PORT" || lab_finish
lab_seed_store "$STORE" "$CA" www
lab_craft "$CA" www "$STORE/certificates/www/staple.ocsp" -100 60 || lab_finish
lab_ocsp_responder "$CA" "$OCSP_PORT" 1 || lab_finish

printf '%s\n' "store = $STORE" "metrics_listen = 127.0.0.1:$METRICS" "ocsp_listen = 127.0.0.1:$OCSPD" \
	"audit_interval = off" "nginx_reload = true" "staple_retry_min = 1s" "staple_retry_max = 4s" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:$HTTP01" \
	"deploy = nginx" >"$LAB/holdfast.conf"

cat >"$LAB/hostile.py" <<'EOF'
#!/usr/bin/env python3
"""Hostile HTTP clients for tests/integration/hostile_clients.sh.

Every mode prints key=value lines; the shell script asserts on them.
  slowloris PORT PATH PID N LIMIT  N connections from 127.0.0.2 trickle
                                  header bytes, one a second, for up to
                                  LIMIT s; meanwhile a real GET of PATH from
                                  127.0.0.1 every second.
  idle PORT PATH PID N            N connections from 127.0.0.2 that say
                                  nothing; then real GETs from 127.0.0.1.
  flood PORT PATH PID SECONDS     keep-alive GETs as fast as 8 threads can.
  status PORT METHOD PATH [HEADER_BYTES BODY_BYTES]  one request, its
                                  status ("closed" when the server hung up
                                  without one).
  ocsp PORT                       malformed OCSP requests; each answer's
                                  OCSP status.
"""
import http.client
import os
import select
import socket
import sys
import threading
import time

ATTACKER = "127.0.0.2"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def real_get(port, path, timeout=5):
    """A well-behaved client from 127.0.0.1: the status, or 0."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=("127.0.0.1", 0))
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except (OSError, http.client.HTTPException):
        return 0


def attacker_socket(port, timeout=3):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((ATTACKER, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_by_peer(s):
    """True when the server has hung up on s (EOF or reset)."""
    p = select.poll()  # select() stops at descriptor 1023
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def slowloris(port, path, pid, n, limit):
    conns = []
    for _ in range(n):
        s = attacker_socket(port)
        s.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())
        conns.append([s, time.monotonic(), None])
    start = time.monotonic()
    served = tried = 0
    filler = b"X-Slow: " + b"a" * 4096
    i = 0
    while time.monotonic() - start < limit and any(c[2] is None for c in conns):
        for c in conns:
            if c[2] is not None:
                continue
            if closed_by_peer(c[0]):
                c[2] = time.monotonic() - c[1]
                continue
            try:
                c[0].send(filler[i % len(filler):i % len(filler) + 1])
            except OSError:
                c[2] = time.monotonic() - c[1]
        i += 1
        tried += 1
        if real_get(port, path) != 0:
            served += 1
        time.sleep(max(0.0, start + i - time.monotonic()))
    dropped = [c[2] for c in conns if c[2] is not None]
    print(f"slow_connections={n}")
    print(f"slow_dropped={len(dropped)}")
    print(f"slow_dropped_after_max={max(dropped) if dropped else -1:.0f}")
    print(f"bytes_trickled={i}")
    print(f"real_tried={tried}")
    print(f"real_served={served}")
    print(f"rss_kib={rss_kib(pid)}")


def idle(port, path, pid, n):
    rss0 = rss_kib(pid)
    conns = []
    refused = 0
    t0 = time.monotonic()
    for _ in range(n):
        try:
            conns.append(attacker_socket(port))
        except OSError:
            refused += 1
    opened = time.monotonic() - t0
    time.sleep(1)
    held = [s for s in conns if not closed_by_peer(s)]
    rss_peak = rss_kib(pid)
    results = [real_get(port, path) for _ in range(10)]
    print(f"idle_connections={n}")
    print(f"idle_connect_failed={refused}")
    print(f"idle_closed_by_server={len(conns) - len(held)}")
    print(f"idle_held={len(held)}")
    print(f"idle_open_seconds={opened:.1f}")
    print(f"real_served={sum(1 for r in results if r != 0)}")
    print(f"rss_before_kib={rss0}")
    print(f"rss_kib={rss_peak}")
    print(f"threads={threads(pid)}")
    for s in conns:
        s.close()


def flood(port, path, pid, seconds):
    stop = time.monotonic() + seconds
    counts = []
    lock = threading.Lock()

    def worker():
        n = 0
        c = None
        while time.monotonic() < stop:
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                n += 1  # any complete answer (http-01's is a 404)
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    c = None
            except (OSError, http.client.HTTPException):
                if c is not None:
                    c.close()
                c = None
        with lock:
            counts.append(n)

    th0 = threads(pid)
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    total = sum(counts)
    print(f"flood_requests={total}")
    print(f"flood_per_second={total / wall:.0f}")
    print(f"flood_cpu_per_wall={cpu / wall:.2f}")
    print(f"threads_before={th0}")
    print(f"threads_after={threads(pid)}")
    print(f"rss_kib={rss_kib(pid)}")


def status(port, method, path, header_bytes=0, body_bytes=0):
    """One request; its final status, or "closed".  A body is announced
    with Expect: 100-continue (RFC 9110 10.1.1) and sent only after a 100:
    a server that refuses it answers first, and that answer cannot be lost
    to a reset from unread body bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    req = f"{method} {path} HTTP/1.1\r\nHost: x\r\n"
    if header_bytes:
        req += "X-Big: " + "a" * header_bytes + "\r\n"
    if body_bytes:
        req += f"Content-Length: {body_bytes}\r\nExpect: 100-continue\r\n"
    req += "\r\n"
    out = "closed"
    try:
        s.sendall(req.encode())
        data = s.recv(4096)
        if body_bytes and data.startswith(b"HTTP/1.1 100"):
            chunk = b"\0" * 65536
            sent = 0
            while sent < body_bytes:
                sent += s.send(chunk[:min(len(chunk), body_bytes - sent)])
            data = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
            data = data or s.recv(4096)
        if data.startswith(b"HTTP/1."):
            out = data.split(b" ", 2)[1].decode()
    except OSError:
        pass
    s.close()
    print(f"status={out}")


def ocsp(port):
    cases = {
        "post_garbage": ("POST", "/", b"\x01\x02 not DER at all"),
        "post_empty": ("POST", "/", b""),
        "post_truncated_der": ("POST", "/", b"\x30\x82\x01\x00\x30\x81"),
        "post_wrong_type": ("POST", "/", b"\x04\x03abc"),
        "get_not_base64": ("GET", "/!!!not-base64!!!", None),
        "get_root": ("GET", "/", None),
        "get_base64_garbage": ("GET", "/MIIBIjANBgkqhkiG9w0BAQ==", None),
    }
    for name, (method, path, body) in cases.items():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            headers = {"Content-Type": "application/ocsp-request"} if body is not None else {}
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            c.close()
            # OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }
            if r.status == 200 and len(data) >= 5 and data[0] == 0x30 and data[2] == 0x0a:
                st = {0: "successful", 1: "malformedRequest", 2: "internalError",
                      3: "tryLater", 5: "sigRequired", 6: "unauthorized"}.get(data[4], "?")
            else:
                st = f"http{r.status}"
        except (OSError, http.client.HTTPException) as e:
            st = "error:" + type(e).__name__
        print(f"{name}={st}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "slowloris":
        slowloris(int(args[0]), args[1], int(args[2]), int(args[3]), float(args[4]))
    elif mode == "idle":
        idle(int(args[0]), args[1], int(args[2]), int(args[3]))
    elif mode == "flood":
        flood(int(args[0]), args[1], int(args[2]), float(args[3]))
    elif mode == "status":
        extra = [int(a) for a in args[3:]]
        status(int(args[0]), args[1], args[2], *extra)
    elif mode == "ocsp":
        ocsp(int(args[0]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
EOF

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
check "daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "metrics_listen up" wait_for_log "$DLOG" "event=metrics_listening" 5
check "ocsp_listen up" wait_for_log "$DLOG" "event=ocsp_listening" 5
check "http-01 responder up" wait_for_log "$DLOG" "event=http01_listening" 5
check "first staple refresh" wait_for_log "$DLOG" "event=staple_refreshed cert=www" 15
started=$(date +%s)
refreshed_before=$(grep -c "event=staple_refreshed cert=www" "$DLOG")
deployed_before=$(grep -c "event=deployed cert=www" "$DLOG")

# A real OCSP GET for www (RFC 6960 A.1: base64 of the DER, URL-encoded).
openssl ocsp -issuer "$CA/int.pem" -cert "$CA/www.crt" -no_nonce -reqout "$LAB/req.der" >/dev/null 2>&1
OCSP_PATH=/$(base64 -w0 "$LAB/req.der" | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
check "the well-behaved OCSP client gets www's staple" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OCSPD$OCSP_PATH")" = 200

PY=$LAB/hostile.py
declare -A PATHS=([metrics]=/metrics [ocsp]=$OCSP_PATH [http01]=/.well-known/acme-challenge/none)
declare -A PORTS=([metrics]=$METRICS [ocsp]=$OCSPD [http01]=$HTTP01)
# val FILE KEY: the value of KEY=... in FILE.
val() { sed -n "s/^$2=//p" "$1" | head -1; }
# is_4xx CODE
is_4xx() { [[ $1 =~ ^4[0-9][0-9]$ ]]; }

# 1. Oversized requests: refused with a 4xx, not a hang, not a crash.
for l in metrics ocsp http01; do
	p=${PORTS[$l]}
	python3 "$PY" status "$p" GET "${PATHS[$l]}" 65536 >"$LAB/big-header-$l"
	check "$l: a 64 KiB header is refused with a 4xx (got $(val "$LAB/big-header-$l" status))" \
		is_4xx "$(val "$LAB/big-header-$l" status)"
	python3 "$PY" status "$p" GET "/$(head -c 65536 /dev/zero | tr '\0' a)" >"$LAB/big-url-$l"
	check "$l: a 64 KiB URL is refused with a 4xx (got $(val "$LAB/big-url-$l" status))" \
		is_4xx "$(val "$LAB/big-url-$l" status)"
	python3 "$PY" status "$p" POST / 0 $((64 * 1024 * 1024)) >"$LAB/big-body-$l"
	check "$l: a 64 MiB body is refused with a 4xx (got $(val "$LAB/big-body-$l" status))" \
		is_4xx "$(val "$LAB/big-body-$l" status)"
done

# 2. Malformed OCSP requests: malformedRequest (RFC 6960 2.3), never a crash.
python3 "$PY" ocsp "$OCSPD" >"$LAB/ocsp-malformed"
diag "$LAB/ocsp-malformed" "  "
while IFS== read -r name got; do
	check "ocsp: $name answered malformedRequest" test "$got" = malformedRequest
done <"$LAB/ocsp-malformed"
check "ocsp: still alive after malformed requests" kill -0 "$DAEMON"

# 3. 10,000 idle connections per listener from one address.
for l in metrics ocsp http01; do
	out=$LAB/idle-$l
	python3 "$PY" idle "${PORTS[$l]}" "${PATHS[$l]}" "$DAEMON" 10000 >"$out"
	diag "$out" "  $l idle: "
	check "$l idle: 10/10 real requests served while 10,000 idle connections are open" \
		test "$(val "$out" real_served)" = 10
	check "$l idle: the excess refused (closed by the server), not held" \
		test "$(val "$out" idle_held)" -le 32
	check "$l idle: memory bounded (VmRSS $(val "$out" rss_kib) KiB, below 64 MiB)" \
		test "$(val "$out" rss_kib)" -lt $((64 * 1024))
done
check "idle: still alive" kill -0 "$DAEMON"

# 4. A request flood on each listener.
for l in metrics ocsp http01; do
	out=$LAB/flood-$l
	python3 "$PY" flood "${PORTS[$l]}" "${PATHS[$l]}" "$DAEMON" 5 >"$out"
	diag "$out" "  $l flood: "
	check "$l flood: answered ($(val "$out" flood_per_second) requests/s)" \
		test "$(val "$out" flood_requests)" -gt 0
	# One polling thread serves a listener: the flood cannot take more than
	# about one core (the loop's own work on top is small).
	check "$l flood: CPU bounded (cores used $(val "$out" flood_cpu_per_wall), at most 1.3)" \
		awk -v c="$(val "$out" flood_cpu_per_wall)" 'BEGIN { exit !(c <= 1.3) }'
	check "$l flood: no thread per connection (threads $(val "$out" threads_before) -> $(val "$out" threads_after))" \
		test "$(val "$out" threads_after)" -le $(($(val "$out" threads_before) + 2))
	check "$l flood: a normal request afterwards is answered" \
		test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORTS[$l]}${PATHS[$l]}")" != 000
done
check "flood: still alive" kill -0 "$DAEMON"

# 5. Slowloris on all three at once: 4 connections each trickling a header
# byte a second, which the 10 s idle timeout alone never ends.  The 20 s
# request limit must; the test gives up at 40 s.
for l in metrics ocsp http01; do
	python3 "$PY" slowloris "${PORTS[$l]}" "${PATHS[$l]}" "$DAEMON" 4 40 >"$LAB/slow-$l" &
	eval "SLOW_$l=$!"
done
for l in metrics ocsp http01; do
	eval "wait \$SLOW_$l"
	out=$LAB/slow-$l
	diag "$out" "  $l slowloris: "
	check "$l slowloris: every trickling connection dropped (after $(val "$out" slow_dropped_after_max) s)" \
		test "$(val "$out" slow_dropped)" = 4
	check "$l slowloris: other clients served meanwhile ($(val "$out" real_served)/$(val "$out" real_tried))" \
		test "$(val "$out" real_served)" = "$(val "$out" real_tried)"
done

# 6. Meanwhile the daemon kept its job.
check "still alive at the end" kill -0 "$DAEMON"
refreshed_after=$(grep -c "event=staple_refreshed cert=www" "$DLOG")
deployed_after=$(grep -c "event=deployed cert=www" "$DLOG")
check "refreshes continued during the attacks ($refreshed_before -> $refreshed_after)" \
	test "$refreshed_after" -gt "$refreshed_before"
check "deploys continued during the attacks ($deployed_before -> $deployed_after)" \
	test "$deployed_after" -gt "$deployed_before"
elapsed=$(($(date +%s) - started))
for l in metrics ocsp http01; do
	n=$(grep -c "event=httpd_message listener=$l " "$DLOG")
	check "$l: library messages rate-limited ($n lines in ${elapsed}s, at most one per 10 s)" \
		test "$n" -le $((elapsed / 10 + 1))
done
curl -s "http://127.0.0.1:$METRICS/metrics" >"$LAB/metrics"
check "metrics: the library's messages counted" \
	grep -qE '^holdfast_httpd_messages_total\{listener="metrics"\} [1-9]' "$LAB/metrics"
lab_stop "$DAEMON"
check "no crash report in the log" lab_not grep -qiE "sanitizer|segfault|abort" "$DLOG"
lab_finish
