#!/usr/bin/env python3
"""acme_proxy.py -- the lab's one stand-in in front of a real Pebble.

Pebble 2.4 predates ACME Renewal Information (RFC 9773) and never sends a
broken certificate chain, so the ACME tests put this HTTPS reverse proxy
between holdfast and Pebble. Everything is forwarded to Pebble unchanged,
with the client's Host header, so that Pebble builds every URL (directory,
orders, finalize, certificate) pointing back at the proxy and the JWS "url"
checks agree. On top of that the proxy can:

  - add "renewalInfo" to the directory and answer
    GET /renewal-info/<certID> from a JSON file of windows (--ari FILE);
  - corrupt the certificate download (the body whose Content-Type is
    application/pem-certificate-chain) as FAULT says (--fault FILE);
  - merge more into the directory's "meta" (--meta FILE), e.g.
    "caaIdentities", which Pebble 2.4 does not publish;
  - add "meta.profiles" to the directory (draft-aaron-acme-profiles, which
    Pebble 2.4 lacks) from a JSON object of name -> description
    (--profiles FILE); a newOrder naming a profile not in it is answered
    400 invalidProfile, not forwarded; one naming a listed profile is
    forwarded (Pebble ignores the field) and the order in the answer says
    "profile", as a CA that offers it would;
  - log one JSON line per request (--log FILE): time (epoch), method, path, status, the
    decoded JWS payload of POSTs (so a test sees "replaces" in newOrder), the
    certID of renewal-info queries, and whether a fault was applied.

The ARI, profiles and fault files are re-read on every request, so a test changes
behaviour mid-run by rewriting them (write a temp file and rename it).

ARI file: {"default": WINDOW, "certids": {"<certID>": WINDOW}}, WINDOW =
{"start": RFC3339, "end": RFC3339, "retry_after": SECONDS,
 "explanation_url": URL (optional)}. A certID with no entry and no default
gets 404.

Fault file (one word, empty or absent = none):
  truncate-chain   the PEM chain cut in the middle of its last certificate
  leaf-only        only the first certificate of the chain
  oversize-chain   the chain followed by 2 MiB of PEM-looking junk
  problem-order    POST newOrder answered 403 application/problem+json
                   (urn:ietf:params:acme:error:unauthorized), not forwarded

Only the standard library; listens on 127.0.0.1 only.
"""
import argparse
import base64
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "content-length",
}
PEM_CHAIN = "application/pem-certificate-chain"
OVERSIZE = 2 * 1024 * 1024


def b64url_decode(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_word(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "holdfast-lab-acme-proxy"

    def log_message(self, fmt, *args):  # the JSON log replaces the default
        pass

    def record(self, **fields):
        opts = self.server.opts
        if not opts.log:
            return
        fields.setdefault("method", self.command)
        fields.setdefault("path", self.path)
        fields["time"] = round(time.time(), 3)
        line = json.dumps(fields, sort_keys=True)
        with self.server.log_lock, open(opts.log, "a") as f:
            f.write(line + "\n")

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def base_url(self):
        return "https://" + (self.headers.get("Host") or "127.0.0.1")

    # ------------------------------------------------------------- ARI
    def renewal_info(self):
        certid = urllib.parse.unquote(self.path[len("/renewal-info/"):])
        ari = read_json(self.server.opts.ari) or {}
        win = (ari.get("certids") or {}).get(certid) or ari.get("default")
        if not win:
            self.record(status=404, certid=certid)
            self.send(404, b'{"type":"urn:ietf:params:acme:error:malformed",'
                           b'"detail":"no such certificate"}',
                      [("Content-Type", "application/problem+json")])
            return
        doc = {"suggestedWindow": {"start": win["start"], "end": win["end"]}}
        if win.get("explanation_url"):
            doc["explanationURL"] = win["explanation_url"]
        headers = [("Content-Type", "application/json")]
        if win.get("retry_after") is not None:
            headers.append(("Retry-After", str(int(win["retry_after"]))))
        self.record(status=200, certid=certid, window=doc["suggestedWindow"])
        self.send(200, json.dumps(doc).encode(), headers)

    # --------------------------------------------------------- forward
    def forward(self):
        opts = self.server.opts
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = {}
        if body:
            try:
                jws = json.loads(body)
                entry["jws_url"] = json.loads(b64url_decode(jws["protected"])).get("url")
                raw = b64url_decode(jws.get("payload", ""))
                entry["payload"] = json.loads(raw) if raw else ""
            except (ValueError, KeyError, TypeError):
                entry["payload"] = None
        fault = read_word(opts.fault) if opts.fault else ""
        if fault == "problem-order" and self.command == "POST" and self.path == self.server.new_order_path:
            problem = {"type": "urn:ietf:params:acme:error:unauthorized",
                       "detail": "lab: this CA refuses every order", "status": 403}
            self.record(status=403, fault=fault, **entry)
            self.send(403, json.dumps(problem).encode(),
                      [("Content-Type", "application/problem+json")])
            return

        profiles = read_json(opts.profiles) if opts.profiles else None
        wanted = entry.get("payload").get("profile") if isinstance(entry.get("payload"), dict) else None
        is_order = self.command == "POST" and self.path == self.server.new_order_path
        if profiles is not None and is_order and wanted is not None and wanted not in profiles:
            problem = {"type": "urn:ietf:params:acme:error:invalidProfile",
                       "detail": "lab: no profile %r" % wanted, "status": 400}
            self.record(status=400, **entry)
            self.send(400, json.dumps(problem).encode(),
                      [("Content-Type", "application/problem+json")])
            return

        conn = http.client.HTTPSConnection(opts.upstream_host, opts.upstream_port,
                                           context=self.server.upstream_ctx, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            rbody = resp.read()
            rheaders = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            status = resp.status
        except OSError as e:
            self.record(status=502, error=str(e), **entry)
            self.send(502, b"upstream failed\n", [("Content-Type", "text/plain")])
            return
        finally:
            conn.close()

        ctype = resp.getheader("Content-Type") or ""
        applied = None
        if self.path == self.server.directory_path and opts.ari and status == 200:
            doc = json.loads(rbody)
            doc["renewalInfo"] = self.base_url() + "/renewal-info"
            rbody = json.dumps(doc, indent=2).encode()
        meta = read_json(opts.meta) if opts.meta else None
        if meta and self.path == self.server.directory_path and status == 200:
            doc = json.loads(rbody)
            doc.setdefault("meta", {}).update(meta)
            rbody = json.dumps(doc, indent=2).encode()
        if profiles is not None and self.path == self.server.directory_path and status == 200:
            doc = json.loads(rbody)
            doc.setdefault("meta", {})["profiles"] = profiles
            rbody = json.dumps(doc, indent=2).encode()
        if profiles is not None and is_order and wanted is not None and status == 201:
            doc = json.loads(rbody)
            doc["profile"] = wanted
            rbody = json.dumps(doc, indent=2).encode()
        if ctype.startswith(PEM_CHAIN) and status == 200 and fault:
            applied = fault
            if fault == "truncate-chain":
                last = rbody.rfind(b"-----BEGIN CERTIFICATE-----")
                rbody = rbody[: last + (len(rbody) - last) // 2]
            elif fault == "leaf-only":
                end = rbody.find(b"-----END CERTIFICATE-----") + len(b"-----END CERTIFICATE-----\n")
                rbody = rbody[:end]
            elif fault == "oversize-chain":
                junk = b"-----BEGIN JUNK-----\n" + b"A" * 64 + b"\n"
                rbody = rbody + junk * (OVERSIZE // len(junk) + 1)
            else:
                applied = None
        self.record(status=status, content_type=ctype, fault=applied, **entry)
        self.send(status, rbody, rheaders)

    def do_GET(self):
        if self.path.startswith("/renewal-info/") and self.server.opts.ari:
            self.renewal_info()
        else:
            self.forward()

    do_HEAD = do_GET

    def do_POST(self):
        self.forward()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="Pebble directory URL")
    ap.add_argument("--cert", required=True, help="TLS certificate for the listener")
    ap.add_argument("--key", required=True)
    ap.add_argument("--cafile", required=True, help="trust for Pebble's HTTPS")
    ap.add_argument("--ari", help="renewal windows file; enables renewalInfo")
    ap.add_argument("--profiles", help="profiles file (JSON object); enables meta.profiles")
    ap.add_argument("--meta", help="file of a JSON object merged into the directory's meta "
                    "(e.g. caaIdentities, which Pebble 2.4 does not publish)")
    ap.add_argument("--fault", help="fault file")
    ap.add_argument("--log", help="JSON Lines request log")
    opts = ap.parse_args()

    up = urllib.parse.urlsplit(opts.upstream)
    opts.upstream_host, opts.upstream_port = up.hostname, up.port or 443

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", opts.port), Proxy)
    srv.daemon_threads = True
    srv.opts = opts
    srv.log_lock = threading.Lock()
    srv.directory_path = up.path or "/"
    srv.upstream_ctx = ssl.create_default_context(cafile=opts.cafile)
    # Pebble's newOrder path, from its directory (it is not fixed by the RFC).
    conn = http.client.HTTPSConnection(up.hostname, srv.opts.upstream_port,
                                       context=srv.upstream_ctx, timeout=10)
    conn.request("GET", srv.directory_path)
    srv.new_order_path = urllib.parse.urlsplit(json.loads(conn.getresponse().read())["newOrder"]).path
    conn.close()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    # The handshake happens in the handler thread, on the first read, so a
    # client that never completes one blocks nobody else.
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    print("listening on 127.0.0.1:%d, upstream %s" % (opts.port, opts.upstream), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
