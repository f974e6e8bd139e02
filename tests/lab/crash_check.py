#!/usr/bin/env python3
"""crash_check.py -- the independent checker of tests/integration/daemon_crash.sh.

After every SIGKILL of `holdfast run` the test asks this process whether the
files that others read are whole and valid. It shares no code with holdfast:
it parses what is on disk with the `cryptography` package.

Runs as a coprocess; reads one command per line on stdin, answers one line:
  check TAG   check the store, the deploy directory, the new reload-time
              snapshots and the new nginx error log lines; answer
              "done VIOLATIONS TEMP_NOW SNAPSHOTS_CHECKED" (VIOLATIONS: found by
              this check). Each violation is appended to --report as
              "TAG: PATH: REASON" plus the offending content.
  scope N,..  from now on check the deployed files of these certificates
              only (the store: always all); answer "done 0 0 0".
  final       answer one JSON line with the totals.

What counts as a violation (the crash-safety contract of store.h,
certstore.h and deploy.c):
  store   STORE/certificates/NAME is a symlink to a directory under .versions
          whose cert.pem, chain.pem, fullchain.pem (= cert + chain) parse,
          privkey.pem loads, matches cert.pem and is 0600, meta.json is a JSON
          object, staple.ocsp (if present) is a successful OCSP response for
          cert.pem signed for its issuer. Every other non-temporary file in
          any version directory parses for its kind (never empty or torn).
          STORE/state/*.json(l) and STORE/accounts/*/account.{key,json} parse.
  nginx   NAME.conf is the 4 or 5 lines deploy.c writes, naming
          NAME.ID.crt and NAME.ID.key (one ID) and NAME.ID2.ocsp in
          DEPLOY/nginx; every file it names exists and is valid, the .key
          (0600) matches the .crt leaf, the .ocsp is a current successful
          response for that leaf.  Every other NAME.ID.* there parses.
  haproxy NAME.pem holds the chain and the matching key (0600); NAME.pem.ocsp
          is the tryLater placeholder or a successful response for the leaf.
  snaps   the same nginx rules for each copy of DEPLOY/nginx that the
          reload command took at the moment holdfast asked for a reload: what
          the web server would have loaded.
  nginx log  [emerg], [alert] or [crit] lines: the server refused or failed
          on what was deployed.
Not violations, only counted: temporary files (*.tmp.*, the NAME.tmp
symlink) that a kill left behind, and version directories that an
interrupted installation left incomplete (no symlink points at them); the
summary says whether any of them was ever cleaned up.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import stat
import sys
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

TRYLATER = bytes.fromhex("30030a0103")
CLOCK_SKEW = 300  # seconds a thisUpdate may be ahead (holdfast's OCSP_CLOCK_SKEW)
VERSION_FILES = ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem", "meta.json")
EVIDENCE_MAX = 400  # bytes of an offending file shown in the report
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n[A-Za-z0-9+/=\r\n]*?-----END \1-----")
# The names deploy.c gives nginx's files: NAME.ID.crt/.key/.ocsp, ID = 16 hex digits.
GENERATION = re.compile(r"^(?P<name>.+)\.(?P<id>[0-9a-f]{16})\.(?P<ext>crt|key|ocsp)$")


def is_temp(name):
    return ".tmp." in name


def pem_blocks(data, allowed):
    """The PEM blocks of data, [(label, bytes)]. Whatever is not a whole
    block of an allowed label (a cut block, stray bytes) is an error: a
    file cut anywhere, even between two certificates, is caught when the
    caller also checks the count."""
    blocks, rest, pos = [], b"", 0
    for m in PEM_BLOCK.finditer(data):
        rest += data[pos:m.start()]
        pos = m.end()
        label = m.group(1).decode()
        if label not in allowed:
            raise ValueError("unexpected PEM block %s" % label)
        blocks.append((label, m.group(0)))
    rest += data[pos:]
    if rest.strip():
        raise ValueError("%d bytes outside whole PEM blocks" % len(rest.strip()))
    if not blocks:
        raise ValueError("no PEM block")
    return blocks


def load_certs(data):
    """Every certificate of a PEM file (python3-cryptography 38, Debian 12's,
    has no load_pem_x509_certificates)."""
    return [x509.load_pem_x509_certificate(b) for label, b in pem_blocks(data, ("CERTIFICATE",))]


def self_signed(certs):
    """True when certs (cert.pem as parsed) is one certificate whose issuer
    is its subject."""
    return bool(certs) and len(certs) == 1 and certs[0].issuer == certs[0].subject


def chain_problem(certs):
    """None when certs is a leaf followed by its issuers (at least one: every
    certificate here has an intermediate), else why; a file cut after a
    whole certificate still parses, this catches it."""
    if len(certs) < 2:
        return "%d certificate(s), want the leaf and its chain" % len(certs)
    for i in range(len(certs) - 1):
        if certs[i].issuer != certs[i + 1].subject:
            return "certificate %d is not issued by certificate %d" % (i, i + 1)
    return None


def utc_ts(resp, field):
    """thisUpdate/nextUpdate as a POSIX time (None when absent); the *_utc
    properties came in cryptography 43, older ones give naive UTC."""
    if hasattr(resp, field + "_utc"):
        v = getattr(resp, field + "_utc")
    else:
        v = getattr(resp, field)
        v = v and v.replace(tzinfo=datetime.timezone.utc)
    return None if v is None else v.timestamp()


class Checker:
    def __init__(self, args):
        self.store = args.store
        self.deploy = args.deploy
        self.snaps = args.snaps
        self.certs = args.certs.split(",")
        self.scope = set(self.certs)  # certificates whose deployed files are checked
        self.report = open(args.report, "a")
        self.nginx_log = args.nginx_log
        self.nginx_log_off = 0
        self.cache = {}  # (kind, sha256) -> (error or None, parsed)
        self.pairs = {}  # (sha crt, sha key) -> error or None
        self.temp_seen = {}  # path -> first TAG seen
        self.temp_cleaned = 0
        self.orphans_seen = set()
        self.orphans_removed = 0
        self.checks = 0
        self.violations = 0
        self.snapshots = 0
        self.by_kind = {}
        self.tag = ""
        self.found = 0

    # ------------------------------------------------------------ reporting

    def violation(self, kind, path, reason, data=None):
        self.found += 1
        self.violations += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.report.write("%s: %s: %s\n" % (self.tag, path, reason))
        if data is not None:
            shown = data[:EVIDENCE_MAX]
            try:
                text = shown.decode("ascii")
                if not all(c.isprintable() or c in "\n\t" for c in text):
                    raise ValueError
                self.report.write("  content (%d bytes): %r\n" % (len(data), text))
            except (UnicodeDecodeError, ValueError):
                self.report.write("  content (%d bytes, hex): %s\n" % (len(data), shown.hex()))
        self.report.flush()

    # ------------------------------------------------------------ parsing

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def parsed(self, kind, data):
        """(error or None, object) for data of kind, cached by content."""
        key = (kind, hashlib.sha256(data).digest())
        if key in self.cache:
            return self.cache[key]
        err, obj = None, None
        try:
            if not data:
                raise ValueError("empty")
            if kind == "certs":
                obj = load_certs(data)
            elif kind == "key":
                keys = pem_blocks(data, ("PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"))
                if len(keys) != 1:
                    raise ValueError("%d keys" % len(keys))
                obj = serialization.load_pem_private_key(data, None)
            elif kind == "bundle":  # HAProxy crt: chain then key
                blocks = pem_blocks(data, ("CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY",
                                           "RSA PRIVATE KEY"))
                certs = [x509.load_pem_x509_certificate(b) for label, b in blocks
                         if label == "CERTIFICATE"]
                keys = [b for label, b in blocks if label != "CERTIFICATE"]
                if not certs or len(keys) != 1 or blocks[-1][0] == "CERTIFICATE":
                    raise ValueError("want certificates then one key, got %s"
                                     % [label for label, _ in blocks])
                obj = (certs, serialization.load_pem_private_key(keys[0], None))
            elif kind == "json":
                obj = json.loads(data)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
            elif kind == "jsonl":
                obj = [json.loads(l) for l in data.splitlines() if l.strip()]
            elif kind == "ocsp":
                obj = ocsp.load_der_ocsp_response(data)
                if data != TRYLATER:
                    obj.response_status  # noqa: B018 -- forces the parse
            else:
                raise ValueError("unknown kind " + kind)
        except Exception as e:  # noqa: BLE001 -- every parse failure is a finding
            err = "%s: %s" % (type(e).__name__, e)
        self.cache[key] = (err, obj)
        return err, obj

    def check_file(self, kind, path, label, mode=None):
        """Parse path as kind; a violation (and None) when missing or bad."""
        try:
            data = self.read(path)
            st = os.lstat(path)
        except OSError as e:
            self.violation(label, path, "unreadable: %s" % e)
            return None, None
        if mode is not None and stat.S_IMODE(st.st_mode) != mode:
            self.violation(label, path, "mode %o, want %o" % (stat.S_IMODE(st.st_mode), mode))
        err, obj = self.parsed(kind, data)
        if err:
            self.violation(label, path, "not a valid %s file: %s" % (kind, err), data)
            return None, data
        return obj, data

    @staticmethod
    def spki(pub):
        return pub.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo)

    def key_matches(self, cert, key, cdata, kdata):
        pk = (hashlib.sha256(cdata).digest(), hashlib.sha256(kdata).digest())
        if pk not in self.pairs:
            self.pairs[pk] = self.spki(cert.public_key()) == self.spki(key.public_key())
        return self.pairs[pk]

    def ocsp_problem(self, resp, data, leaf, issuer, current):
        """None when resp is a good-to-serve response for leaf, else why."""
        key = ("verdict", hashlib.sha256(data).digest(), leaf.serial_number, current)
        if key in self.cache and not current:
            return self.cache[key]
        why = None
        if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            why = "response status %s" % resp.response_status.name
        elif resp.serial_number != leaf.serial_number:
            why = "for serial %X, the certificate is %X" % (resp.serial_number,
                                                             leaf.serial_number)
        elif issuer is not None and isinstance(resp.hash_algorithm, hashes.SHA1) and \
                resp.issuer_key_hash != x509.SubjectKeyIdentifier.from_public_key(
                    issuer.public_key()).digest:
            why = "issuer key hash is not the certificate's issuer"
        elif issuer is not None and not self.signature_ok(resp, issuer):
            why = "signature does not verify (issuer or embedded responder)"
        elif current:
            now = time.time()
            tu = utc_ts(resp, "this_update")
            nu = utc_ts(resp, "next_update")
            if tu > now + CLOCK_SKEW:
                why = "thisUpdate in the future"
            elif nu is None or nu <= now:
                why = "expired (nextUpdate %s)" % (nu and time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(nu)))
        if not current:
            self.cache[key] = why
        return why

    def signature_ok(self, resp, issuer):
        signers = [issuer] + list(resp.certificates)
        for s in signers:
            pub = s.public_key()
            try:
                if isinstance(pub, ec.EllipticCurvePublicKey):
                    pub.verify(resp.signature, resp.tbs_response_bytes,
                               ec.ECDSA(resp.signature_hash_algorithm))
                elif isinstance(pub, rsa.RSAPublicKey):
                    pub.verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(),
                               resp.signature_hash_algorithm)
                else:
                    continue
                return True
            except InvalidSignature:
                continue
        return False

    # ------------------------------------------------------------ temp files

    def scan_temp(self, root, now_set):
        for dirpath, dirnames, filenames in os.walk(root):
            for n in filenames + dirnames:
                p = os.path.join(dirpath, n)
                if is_temp(n) or (os.path.islink(p) and n.endswith(".tmp")):
                    now_set.add(p)

    # ------------------------------------------------------------ store

    def check_store(self):
        certs_dir = os.path.join(self.store, "certificates")
        versions = os.path.join(certs_dir, ".versions")
        current = set()
        for name in self.certs:
            link = os.path.join(certs_dir, name)
            if not os.path.lexists(link):
                self.violation("store", link, "missing")
                continue
            if not os.path.islink(link):
                self.violation("store", link, "not a symlink")
                continue
            target = os.readlink(link)
            d = os.path.realpath(link)
            if not target.startswith(".versions/") or not os.path.isdir(d):
                self.violation("store", link, "points at %r, not a version directory" % target)
                continue
            current.add(os.path.basename(d))
            self.check_version(d, name, complete=True)
        try:
            entries = sorted(os.listdir(versions))
        except OSError as e:
            self.violation("store", versions, "unreadable: %s" % e)
            return
        orphans = set()
        for v in entries:
            d = os.path.join(versions, v)
            if v in current or not os.path.isdir(d) or is_temp(v):
                continue
            present = [f for f in VERSION_FILES if os.path.exists(os.path.join(d, f))]
            if len(present) < len(VERSION_FILES):
                orphans.add(d)
            self.check_version(d, v.split(".")[0], complete=False)
        self.orphans_removed += len(self.orphans_seen - orphans)
        self.orphans_seen = (self.orphans_seen & orphans) | orphans
        self.orphans_now = len(orphans)
        state = os.path.join(self.store, "state")
        for f in sorted(os.listdir(state)) if os.path.isdir(state) else []:
            if is_temp(f):
                continue
            if f.endswith(".json"):
                self.check_file("json", os.path.join(state, f), "state")
            elif f.endswith(".jsonl"):
                self.check_file("jsonl", os.path.join(state, f), "state")
        accounts = os.path.join(self.store, "accounts")
        for ca in sorted(os.listdir(accounts)) if os.path.isdir(accounts) else []:
            d = os.path.join(accounts, ca)
            if os.path.exists(os.path.join(d, "account.key")):
                self.check_file("key", os.path.join(d, "account.key"), "store", mode=0o600)
            if os.path.exists(os.path.join(d, "account.json")):
                self.check_file("json", os.path.join(d, "account.json"), "store")

    def check_version(self, d, name, complete):
        """A version directory: the current one must be complete and
        consistent; any other must hold only whole, valid files."""
        paths = {f: os.path.join(d, f) for f in VERSION_FILES + ("staple.ocsp",)}
        got = {}
        placeholder = False
        for f in ("meta.json",) + VERSION_FILES[:-1]:
            if not os.path.exists(paths[f]):
                if complete:
                    self.violation("store", paths[f], "missing from the current version")
                continue
            kind = {"privkey.pem": "key", "meta.json": "json"}.get(f, "certs")
            if f == "chain.pem" and not placeholder and "meta.json" not in got:
                # an install killed before meta.json: a self-signed cert.pem
                # (written just before chain.pem) marks a placeholder too
                placeholder = self_signed(got.get("cert.pem", (None,))[0])
            if f == "chain.pem" and placeholder and os.path.getsize(paths[f]) == 0:
                got[f] = ([], b"")  # a self-signed placeholder has no chain
                continue
            if f == "chain.pem" and not placeholder and os.path.getsize(paths[f]) == 0:
                # evidence for the report: what made this not a placeholder
                self.report.write("  empty chain.pem in %s: meta.json %s, cert.pem %s\n" % (
                    d, ("placeholder=%r" % placeholder) if "meta.json" in got else "absent",
                    "absent or unreadable" if not got.get("cert.pem", (None,))[0] else
                    "present, not self-signed"))
            got[f] = self.check_file(kind, paths[f], "store",
                                     mode=0o600 if f == "privkey.pem" else None)
            if f == "meta.json" and got[f][0] is not None:
                placeholder = got[f][0].get("placeholder") is True
        cert = got.get("cert.pem", (None, None))
        full = got.get("fullchain.pem", (None, None))
        chain = got.get("chain.pem", (None, None))
        key = got.get("privkey.pem", (None, None))
        if cert[0] is not None and len(cert[0]) != 1:
            self.violation("store", paths["cert.pem"], "holds %d certificates" % len(cert[0]))
        if full[0] and not placeholder and chain_problem(full[0]):
            self.violation("store", paths["fullchain.pem"], chain_problem(full[0]), full[1])
        if cert[0] and full[0] and chain[1] is not None and full[1] != cert[1] + chain[1]:
            self.violation("store", paths["fullchain.pem"], "is not cert.pem + chain.pem", full[1])
        if cert[0] and key[0] and not self.key_matches(cert[0][0], key[0], cert[1], key[1]):
            self.violation("store", paths["privkey.pem"], "does not match cert.pem")
        if os.path.exists(paths["staple.ocsp"]):
            resp, data = self.check_file("ocsp", paths["staple.ocsp"], "store")
            if resp is not None and cert[0]:
                issuer = chain[0][0] if chain[0] else None
                why = self.ocsp_problem(resp, data, cert[0][0], issuer, current=False)
                if why:
                    self.violation("store", paths["staple.ocsp"],
                                   "not a response for cert.pem: " + why, data)

    # ------------------------------------------------------------ deploy

    def check_nginx_dir(self, d, label, real_dir):
        """The nginx include files of d (DEPLOY/nginx or a snapshot of it;
        the includes name files under real_dir)."""
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return
        named = set()
        for f in names:
            if f.endswith(".conf") and not is_temp(f) and f[:-5] in self.scope:
                named |= self.check_nginx_conf(d, f, label, real_dir)
        if label != "nginx":
            return
        for f in names:  # files no include names now: still never torn
            p = os.path.join(d, f)
            m = GENERATION.match(f)
            if is_temp(f) or p in named or not m or m.group("name") not in self.scope:
                continue
            if f.endswith(".crt"):
                self.check_file("certs", p, label)
            elif f.endswith(".key"):
                self.check_file("key", p, label, mode=0o600)
            elif f.endswith(".ocsp"):
                self.check_file("ocsp", p, label)

    def check_nginx_conf(self, d, f, label, real_dir):
        conf = os.path.join(d, f)
        name = f[:-5]
        obj, data = None, None
        try:
            data = self.read(conf)
        except OSError as e:
            self.violation(label, conf, "unreadable: %s" % e)
            return set()
        lines = data.decode("utf-8", "replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # The lines deploy.c writes, with the file names taken from the
        # include itself: NAME.ID.crt and NAME.ID.key of one ID (one
        # certificate and its key), NAME.ID2.ocsp.
        want = {}
        for line in lines[1:]:
            directive, _, value = line.partition(" ")
            if directive in ("ssl_certificate", "ssl_certificate_key", "ssl_stapling_file") \
                    and value.endswith(";"):
                want[directive] = value[:-1]
        stapled = "ssl_stapling on;" in lines
        expect = ["# generated by holdfast for [certificate %s]; do not edit" % name,
                  "ssl_certificate %s;" % want.get("ssl_certificate"),
                  "ssl_certificate_key %s;" % want.get("ssl_certificate_key")]
        expect += ["ssl_stapling on;", "ssl_stapling_file %s;" % want.get("ssl_stapling_file")] \
            if stapled else ["# no valid OCSP staple: stapling off"]
        gen = {k: GENERATION.match(os.path.basename(v)) for k, v in want.items()}
        if lines != expect or not data.endswith(b"\n") or \
                any(os.path.dirname(v) != real_dir or not gen[k] or gen[k].group("name") != name
                    for k, v in want.items()) or \
                gen["ssl_certificate"].group("id") != gen["ssl_certificate_key"].group("id"):
            self.violation(label, conf, "not the include deploy.c writes", data)
            return set()
        local = {k: os.path.join(d, os.path.basename(v)) for k, v in want.items()}
        crt, cdata = self.check_file("certs", local["ssl_certificate"], label)
        if crt and chain_problem(crt):
            self.violation(label, local["ssl_certificate"], chain_problem(crt), cdata)
        key, kdata = self.check_file("key", local["ssl_certificate_key"], label, mode=0o600)
        if crt and key and not self.key_matches(crt[0], key, cdata, kdata):
            self.violation(label, local["ssl_certificate_key"],
                           "does not match the leaf of %s" % local["ssl_certificate"])
        if stapled:
            resp, odata = self.check_file("ocsp", local["ssl_stapling_file"], label)
            if resp is not None and crt:
                why = self.ocsp_problem(resp, odata, crt[0], crt[1] if len(crt) > 1 else None,
                                        current=label == "nginx")
                if why:
                    self.violation(label, local["ssl_stapling_file"],
                                   "named by %s but not servable for %s: %s"
                                   % (f, local["ssl_certificate"], why), odata)
        return set(local.values())

    def check_haproxy(self):
        d = os.path.join(self.deploy, "haproxy")
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            p = os.path.join(d, f)
            if is_temp(f) or not f.endswith(".pem") or f[:-4] not in self.scope:
                continue
            b, _ = self.check_file("bundle", p, "haproxy", mode=0o600)
            if b is None:
                continue
            certs, key = b
            if chain_problem(certs):
                self.violation("haproxy", p, chain_problem(certs))
            if self.spki(certs[0].public_key()) != self.spki(key.public_key()):
                self.violation("haproxy", p, "the key does not match the leaf")
            o = p + ".ocsp"
            if not os.path.exists(o):
                continue
            resp, data = self.check_file("ocsp", o, "haproxy")
            if resp is None or data == TRYLATER:
                continue
            why = self.ocsp_problem(resp, data, certs[0], certs[1] if len(certs) > 1 else None,
                                    current=True)
            if why:
                self.violation("haproxy", o, "not servable for %s: %s" % (p, why), data)

    def check_snapshots(self):
        n = 0
        real = os.path.join(self.deploy, "nginx")
        for s in sorted(os.listdir(self.snaps)) if os.path.isdir(self.snaps) else []:
            if s.startswith("."):
                continue
            d = os.path.join(self.snaps, s)
            before = self.found
            self.check_nginx_dir(d, "snapshot", real)
            n += 1
            if self.found == before:  # keep only the evidence
                for f in os.listdir(d):
                    os.unlink(os.path.join(d, f))
                os.rmdir(d)
            else:  # kept as .bad-NAME, which the next cycles skip: counted once
                os.rename(d, os.path.join(self.snaps, ".bad-" + s))
        self.snapshots += n
        return n

    def check_nginx_log(self):
        if not self.nginx_log or not os.path.exists(self.nginx_log):
            return
        with open(self.nginx_log, "rb") as f:
            f.seek(self.nginx_log_off)
            data = f.read()
        cut = data.rfind(b"\n") + 1
        self.nginx_log_off += cut
        for line in data[:cut].decode("utf-8", "replace").splitlines():
            if "[emerg]" in line or "[alert]" in line or "[crit]" in line:
                self.violation("nginx-log", self.nginx_log, line.strip())

    # ------------------------------------------------------------ commands

    def check(self, tag):
        self.tag = tag
        self.found = 0
        self.checks += 1
        temp_now = set()
        self.scan_temp(self.store, temp_now)
        self.scan_temp(self.deploy, temp_now)
        for p in list(self.temp_seen):
            if p not in temp_now:
                self.temp_cleaned += 1
                del self.temp_seen[p]
        for p in temp_now:
            self.temp_seen.setdefault(p, tag)
        self.check_store()
        self.check_nginx_dir(os.path.join(self.deploy, "nginx"), "nginx",
                             os.path.join(self.deploy, "nginx"))
        self.check_haproxy()
        snaps = self.check_snapshots()
        self.check_nginx_log()
        return "done %d %d %d" % (self.found, len(temp_now), snaps)

    def final(self):
        where = {}
        for p in self.temp_seen:
            rel = os.path.relpath(p, os.path.dirname(self.store))
            k = rel.split(os.sep)[0] + "/" + ("/".join(rel.split(os.sep)[1:-1]) or ".")
            if "/.versions/" in p:
                k = "store/certificates/.versions/*"
            where[k] = where.get(k, 0) + 1
        return json.dumps({"checks": self.checks, "violations": self.violations,
                           "by_kind": self.by_kind, "snapshots": self.snapshots,
                           "temp_now": len(self.temp_seen), "temp_cleaned": self.temp_cleaned,
                           "temp_where": where,
                           "orphan_versions_now": len(self.orphans_seen),
                           "orphan_versions_removed": self.orphans_removed},
                          sort_keys=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--deploy", required=True)
    ap.add_argument("--snaps", required=True)
    ap.add_argument("--certs", required=True, help="comma-separated certificate names")
    ap.add_argument("--report", required=True)
    ap.add_argument("--nginx-log")
    c = Checker(ap.parse_args())
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd == "check":
                out = c.check(arg)
            elif cmd == "scope":
                c.scope = set(arg.split(","))
                out = "done 0 0 0"
            elif cmd == "final":
                out = c.final()
            else:
                out = "error unknown command %r" % cmd
        except Exception as e:  # noqa: BLE001 -- a checker bug must not hang the test
            out = "error %s: %s" % (type(e).__name__, e)
        print(out, flush=True)


if __name__ == "__main__":
    main()
