#!/usr/bin/env python3
"""bench/daemon/gen.py -- the store and config for bench/daemon/run.sh.

    gen.py make WORK N [--ca ec|rsa] [--jobs J]
    gen.py evict STORE

make: one small CA (self-signed, EC P-256 or RSA-2048) that issues N leaf
certificates sharing one EC P-256 key and signs one OCSP response per leaf
itself (ResponderID by key hash, no certificates in the response, status
good, thisUpdate now - 1 h, nextUpdate now + 4 d).  Writes, in the layout of
src/certstore.h and src/daemon.c:

    WORK/store/certificates/NAME -> .versions/NAME.TIME.RANDOM/
        cert.pem chain.pem fullchain.pem privkey.pem (0600) meta.json staple.ocsp
    WORK/holdfast.conf      N [certificate NAME] sections, metrics on
                            127.0.0.1:9464 (in run.sh's network namespace)
    WORK/holdfast-1.conf    the same store, only the first certificate
    WORK/ca.pem             the CA
    WORK/index.txt          every leaf as valid, for `openssl ocsp -index`
    WORK/gen.json           sizes: average leaf DER, CA DER, staple DER, ...

NAME is c000001 ... (names = NAME.bench.test).  meta.json is what
holdfast's issuer writes after an issuance (src/issuer.c), with renew_at in
2099, so nothing is due.  Every leaf's AIA OCSP URL is http://127.0.0.1:9/
(discard port: never contacted, nothing is due).

evict: fsync nothing, just sync() then posix_fadvise(DONTNEED) every file
under STORE, so the next reader finds them out of the page cache (only this
store's pages; dentries and inodes stay cached).

Uses the `cryptography` package only, in one process per job (--jobs J
splits the N certificates over J worker processes; default 1).
"""
import datetime
import json
import os
import secrets
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# GEN_OCSP_URL: another responder (bench/fleet runs `openssl ocsp` there, from
# WORK/index.txt, written for every run).
OCSP_URL = os.environ.get("GEN_OCSP_URL", "http://127.0.0.1:9/")
LEAF_DAYS = 60
STAPLE_DAYS = 4
SERIAL_BASE = 0x10000000


def name_of(i):
    return "c%06d" % i


def write(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_ca(work):
    with open(os.path.join(work, "ca.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(work, "ca.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(work, "leaf.key"), "rb") as f:
        leaf_key_pem = f.read()
    return key, cert, leaf_key_pem


def make_ca(work, kind, now):
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "holdfast daemon bench CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    write(os.path.join(work, "ca.key"),
          key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()), 0o600)
    write(os.path.join(work, "ca.pem"), cert.public_bytes(serialization.Encoding.PEM))
    write(os.path.join(work, "leaf.key"),
          leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()), 0o600)


def make_range(work, lo, hi, now, stamp):
    """Certificates lo..hi-1 (1-based names); returns summed sizes."""
    ca_key, ca_cert, leaf_key_pem = load_ca(work)
    leaf_key = serialization.load_pem_private_key(leaf_key_pem, None)
    leaf_pub = leaf_key.public_key()
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    certs = os.path.join(work, "store", "certificates")
    versions = os.path.join(certs, ".versions")
    nb = now - datetime.timedelta(hours=1)
    na = now + datetime.timedelta(days=LEAF_DAYS)
    this_upd = now - datetime.timedelta(hours=1)
    next_upd = now + datetime.timedelta(days=STAPLE_DAYS)
    # Fixed parts of every leaf, built once.
    aia = x509.AuthorityInformationAccess(
        [x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                x509.UniformResourceIdentifier(OCSP_URL))])
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())
    ski = x509.SubjectKeyIdentifier.from_public_key(leaf_pub)
    ku = x509.KeyUsage(digital_signature=True, content_commitment=False,
                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                       key_cert_sign=False, crl_sign=False, encipher_only=False,
                       decipher_only=False)
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    bc = x509.BasicConstraints(ca=False, path_length=None)
    leaf_der_total = staple_total = 0
    for i in range(lo, hi):
        name = name_of(i)
        dns = name + ".bench.test"
        serial = SERIAL_BASE + i
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]))
            .issuer_name(ca_cert.subject)
            .public_key(leaf_pub)
            .serial_number(serial)
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(bc, critical=True)
            .add_extension(ku, critical=True)
            .add_extension(eku, critical=False)
            .add_extension(ski, critical=False)
            .add_extension(aki, critical=False)
            .add_extension(aia, critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        resp = (
            ocsp.OCSPResponseBuilder()
            .add_response(cert=leaf, issuer=ca_cert, algorithm=hashes.SHA1(),
                          cert_status=ocsp.OCSPCertStatus.GOOD, this_update=this_upd,
                          next_update=next_upd, revocation_time=None, revocation_reason=None)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, ca_cert)
            .sign(ca_key, hashes.SHA256())
        )
        leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)
        staple = resp.public_bytes(serialization.Encoding.DER)
        leaf_der_total += len(leaf.public_bytes(serialization.Encoding.DER))
        staple_total += len(staple)
        serial_hex = "%X" % serial
        meta = {
            "ari": None,
            "ca": "primary",
            "directory": "https://127.0.0.1:9/dir",
            "key": "ec-p256",
            "last_attempt": iso(now),
            "last_error": None,
            "name": name,
            "names": [dns],
            "not_after": iso(na),
            "not_before": iso(nb),
            "placeholder": False,
            "renew_at": "2099-01-01T00:00:00Z",
            "replaced": None,
            "serial": serial_hex,
        }
        vname = "%s.%d.%s" % (name, stamp, secrets.token_hex(4))
        vdir = os.path.join(versions, vname)
        os.mkdir(vdir, 0o755)
        write(os.path.join(vdir, "privkey.pem"), leaf_key_pem, 0o600)
        write(os.path.join(vdir, "cert.pem"), leaf_pem)
        write(os.path.join(vdir, "chain.pem"), ca_pem)
        write(os.path.join(vdir, "fullchain.pem"), leaf_pem + ca_pem)
        write(os.path.join(vdir, "meta.json"),
              json.dumps(meta, indent=2, sort_keys=True).encode())
        write(os.path.join(vdir, "staple.ocsp"), staple)
        os.symlink(".versions/" + vname, os.path.join(certs, name))
    return leaf_der_total, staple_total


def write_conf(path, store, names):
    with open(path, "w") as f:
        f.write("# bench/daemon: %d certificates, nothing due, no network\n" % len(names))
        f.write("store = %s\n" % store)
        f.write("audit_interval = off\n")
        f.write("metrics_listen = 127.0.0.1:9464\n")
        f.write("staple_retry_min = 1h\n")
        f.write("staple_retry_max = 1h\n")
        f.write("issue_retry_min = 1h\n\n")
        f.write("[ca primary]\ndirectory = https://127.0.0.1:9/dir\n\n")
        for name in names:
            f.write("[certificate %s]\nnames = %s.bench.test\ncas = primary\n"
                    "http_listen = 127.0.0.1:5002\n\n" % (name, name))


def cmd_make(argv):
    work, n = argv[0], int(argv[1])
    kind, jobs = "ec", 1
    rest = argv[2:]
    while rest:
        if rest[0] == "--ca" and len(rest) > 1 and rest[1] in ("ec", "rsa"):
            kind = rest[1]
        elif rest[0] == "--jobs" and len(rest) > 1 and int(rest[1]) > 0:
            jobs = int(rest[1])
        else:
            sys.exit("gen.py: bad argument %r" % rest[0])
        rest = rest[2:]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    stamp = int(time.time())
    store = os.path.join(work, "store")
    os.makedirs(os.path.join(store, "certificates", ".versions"), 0o755)
    os.makedirs(os.path.join(store, "state"), 0o755)
    make_ca(work, kind, now)
    t0 = time.monotonic()
    if jobs == 1:
        leaf_total, staple_total = make_range(work, 1, n + 1, now, stamp)
    else:
        import multiprocessing
        step = (n + jobs - 1) // jobs
        ranges = [(work, lo, min(lo + step, n + 1), now, stamp)
                  for lo in range(1, n + 1, step)]
        with multiprocessing.Pool(len(ranges)) as pool:
            parts = pool.starmap(make_range, ranges)
        leaf_total = sum(p[0] for p in parts)
        staple_total = sum(p[1] for p in parts)
    t1 = time.monotonic()
    names = [name_of(i) for i in range(1, n + 1)]
    expiry = (now + datetime.timedelta(days=LEAF_DAYS)).strftime("%y%m%d%H%M%SZ")
    with open(os.path.join(work, "index.txt"), "w") as f:  # openssl ca's, for openssl ocsp
        for i in range(1, n + 1):
            hexs = "%X" % (SERIAL_BASE + i)
            f.write("V\t%s\t\t%s\tunknown\t/CN=%s.bench.test\n"
                    % (expiry, hexs if len(hexs) % 2 == 0 else "0" + hexs, name_of(i)))
    write_conf(os.path.join(work, "holdfast.conf"), store, names)
    write_conf(os.path.join(work, "holdfast-1.conf"), store, names[:1])
    _, ca_cert, _ = load_ca(work)
    info = {
        "n": n,
        "ca_key": kind,
        "jobs": jobs,
        "seconds_certs": round(t1 - t0, 3),
        "leaf_der_avg": leaf_total / n,
        "ca_der": len(ca_cert.public_bytes(serialization.Encoding.DER)),
        "staple_der_avg": staple_total / n,
        "privkey_pem": os.path.getsize(os.path.join(work, "leaf.key")),
    }
    with open(os.path.join(work, "gen.json"), "w") as f:
        json.dump(info, f)
    print(json.dumps(info))


def cmd_evict(argv):
    os.sync()
    count = 0
    for root, _dirs, files in os.walk(argv[0]):
        for fn in files:
            try:
                fd = os.open(os.path.join(root, fn), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    print(count)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "make" and sys.argv[3].isdigit():
        cmd_make(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "evict":
        cmd_evict(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
