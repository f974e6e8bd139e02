#!/usr/bin/env python3
"""A small RDAP server for the audit lab (RFC 9082/9083 over plain HTTP).

    rdap_server.py --port PORT --root DIR --log FILE

GET /PATH serves the file DIR/PATH:
  - files ending in .json are served as application/json (the bootstrap),
    anything else as application/rdap+json (RDAP objects);
  - /.../domain/NAME falls back to DIR/.../domain/_default when there is no
    file for NAME (one template for a thousand domains in the benchmark);
  - the body is a template: @NAME@ is the last path segment, @PORT@ this
    server's port, @DATE(+Nd)@ / @DATE(-Nd)@ / @DATE(+Nh)@ a UTC RFC 3339
    time relative to now;
  - a sidecar DIR/PATH.meta (JSON) bends the answer, for the broken cases:
      {"status": 429, "content_type": "text/html", "headers": {"Retry-After": "1"},
       "body": "literal body", "body_bytes": 3000000, "times": 1}
    "times": N applies the sidecar to the first N requests only (then the
    file is served normally); "body_bytes" sends that many bytes of filler.
  - a missing file is a 404 with an RFC 9083 error object.
Every request is logged to FILE as "GET /PATH STATUS accept=ACCEPT inflight=N"
(flushed), ACCEPT being the request's Accept header without blanks ("-" when
none) and N how many requests were being served at once, so tests can assert
what was asked, how, in what order, and how many at a time ("delay_ms" in a
sidecar holds a request that long to make overlap visible).  HTTP/1.1
keep-alive, threaded.
"""
import argparse
import datetime
import http.server
import json
import os
import re
import socket
import socketserver
import sys
import threading
import time

counts = {}
counts_lock = threading.Lock()
inflight = 0
log_lock = threading.Lock()


def render(text, name, port):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def date(m):
        n = int(m.group(1))
        unit = m.group(2)
        delta = datetime.timedelta(days=n) if unit == "d" else datetime.timedelta(hours=n)
        return (now + delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    text = re.sub(r"@DATE\(([+-]?\d+)([dh])\)@", date, text)
    return text.replace("@NAME@", name).replace("@PORT@", str(port))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "holdfast-lab-rdap/1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body leave in two writes: without TCP_NODELAY the
        # second waits for the client's delayed ACK (40 ms per request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, status, ctype, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        with log_lock:
            accept = (self.headers.get("Accept") or "-").replace(" ", "")
            self.server.logf.write("%s %s %d accept=%s inflight=%d\n"
                                   % (self.command, self.path, status, accept, self.inflight))
            self.server.logf.flush()

    def do_GET(self):
        global inflight
        with counts_lock:
            inflight += 1
            self.inflight = inflight
        try:
            self.answer()
        finally:
            with counts_lock:
                inflight -= 1

    def answer(self):
        root = self.server.root
        path = self.path.split("?", 1)[0]
        rel = os.path.normpath(path.lstrip("/"))
        if rel.startswith("..") or os.path.isabs(rel):
            return self.send(400, "text/plain", b"bad path\n")
        name = os.path.basename(rel)
        f = os.path.join(root, rel)
        if not os.path.isfile(f) and os.path.basename(os.path.dirname(rel)) == "domain":
            dflt = os.path.join(root, os.path.dirname(rel), "_default")
            if os.path.isfile(dflt):
                f = dflt
        meta = {}
        for m in (os.path.join(root, rel) + ".meta", f + ".meta"):
            if os.path.isfile(m):
                with open(m) as fh:
                    meta = json.load(fh)
                break
        if meta.get("times") is not None:
            with counts_lock:
                n = counts.get(rel, 0)
                counts[rel] = n + 1
            if n >= int(meta["times"]):
                meta = {}
        if "delay_ms" in meta:
            time.sleep(int(meta["delay_ms"]) / 1000.0)
        with counts_lock:
            self.inflight = max(self.inflight, inflight)
        status = int(meta.get("status", 200))
        headers = meta.get("headers", {})
        if "body_bytes" in meta:
            n = int(meta["body_bytes"])
            body = b'{"objectClassName":"domain","ldhName":"' + name.encode() + b'","x":"'
            body += b"x" * max(0, n - len(body) - 2) + b'"}'
        elif "body" in meta:
            body = render(meta["body"], name, self.server.port).encode()
        elif os.path.isfile(f):
            with open(f, encoding="utf-8") as fh:
                body = render(fh.read(), name, self.server.port).encode()
        else:
            status = int(meta.get("status", 404))
            body = json.dumps({"errorCode": 404, "title": "Not Found",
                               "description": ["no object " + path]}).encode()
        ctype = meta.get("content_type")
        if ctype is None:
            ctype = "application/json" if f.endswith(".json") else "application/rdap+json"
        self.send(status, ctype, body, headers)

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--root", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = Server((a.addr, a.port), Handler)
    srv.root = a.root
    srv.port = a.port
    srv.logf = open(a.log, "a")
    print("listening on %s:%d" % (a.addr, a.port), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
