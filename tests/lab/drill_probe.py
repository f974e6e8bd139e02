#!/usr/bin/env python3
"""The outage drill's prober: TLS handshakes as a browser that asks for a
staple would make them, each judged on its own (scripts/drill.sh).

For every handshake it records whether the server's certificate chain
verifies to one of the given roots (OpenSSL's own verification, during the
handshake), whether the certificate is for the site's name and inside its
validity, and what the stapled OCSP response was:

  valid    successful, signed by the certificate's issuer (or by a delegated
           responder that the issuer certified for OCSP signing), for the
           served certificate (CertID: serial and issuer hashes), status
           good, thisUpdate not in the future, nextUpdate after the end of
           the handshake;
  expired  a successful response whose nextUpdate had passed by the end of
           the handshake -- what nginx does with a stale ssl_stapling_file;
  wrong    anything else that was stapled (tryLater, another certificate's
           response, a bad signature, revoked, unknown, unparsable);
  none     no staple.

The staple is taken as DER from the handshake (pyOpenSSL's OCSP client
callback) and checked with python3-cryptography, so nothing depends on how
`openssl s_client` prints it. Times are compared with the wall clock at the
start (t0) and end (t1) of the handshake: a staple counts as expired unless
its nextUpdate is after t1, the strict reading.

Usage:
  drill_probe.py --roots ROOTS.pem --issuer CA=INT.pem ... --port P --once SITE
      one handshake, one JSON object on stdout
  drill_probe.py --roots ROOTS.pem --issuer CA=INT.pem ... --port P \\
                 --sites FILE --out FILE.jsonl --stop FILE
      one handshake per site named in FILE (re-read every round) per second,
      a JSON line each, until FILE --stop exists; a line of FILE is
      "SITE [PORT [SERVER]]" (PORT default --port; both go into the record)
"""

import argparse
import calendar
import json
import os
import socket
import struct
import sys
import time

try:
    from OpenSSL import SSL, crypto
except ImportError:
    # The first python3 on PATH may be a separate install without Debian's
    # python3-openssl; Debian's own has it (scripts/install-deps.sh).
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

HANDSHAKE_TIMEOUT = 10  # seconds, for connect and for each read


def utc(obj, name):
    """A datetime attribute as epoch seconds (cryptography >= 42 has *_utc,
    older versions only naive UTC)."""
    value = getattr(obj, name + "_utc", None) or getattr(obj, name)
    return None if value is None else calendar.timegm(value.utctimetuple())


def verify_signature(public_key, signature, data, hash_algorithm):
    """Raises InvalidSignature unless signature is public_key's over data."""
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    else:
        raise InvalidSignature("unsupported key type")


def issued_by(cert, issuer):
    try:
        verify_signature(issuer.public_key(), cert.signature, cert.tbs_certificate_bytes,
                         cert.signature_hash_algorithm)
    except InvalidSignature:
        return False
    return cert.issuer == issuer.subject


def key_hash(cert):
    """SHA-1 of the subjectPublicKey bits (the ResponderID byKey)."""
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, cert, hashes.SHA1()).build()
    return req.issuer_key_hash


def ocsp_signer(resp, issuer):
    """The certificate that must have signed resp: the issuer itself, or an
    included delegated responder certificate issued by it with the
    OCSPSigning EKU (RFC 6960 4.2.2.2). None when there is no such one."""
    def named(cert):
        if resp.responder_name is not None:
            return cert.subject == resp.responder_name
        return key_hash(cert) == resp.responder_key_hash

    if named(issuer):
        return issuer
    for cert in resp.certificates:
        if not named(cert) or not issued_by(cert, issuer):
            continue
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku:
            return cert
    return None


def judge_staple(r, der, leaf, issuer):
    """Fill r's staple fields from the stapled DER response."""
    r["staple"] = "present"
    try:
        resp = ocsp.load_der_ocsp_response(der)
    except ValueError as e:
        r["staple_wrong"], r["staple_problem"] = True, "unparsable: %s" % e
        return
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        r["staple_status"] = resp.response_status.name.lower()
        r["staple_wrong"], r["staple_problem"] = True, "response status " + r["staple_status"]
        return
    if len(list(resp.responses)) != 1:
        r["staple_wrong"], r["staple_problem"] = True, "not exactly one SingleResponse"
        return
    r["staple_status"] = resp.certificate_status.name.lower()
    r["staple_serial"] = "%X" % resp.serial_number
    r["this_update"] = utc(resp, "this_update")
    r["next_update"] = utc(resp, "next_update")
    if r["next_update"] is not None and r["next_update"] <= r["t1"]:
        r["staple_expired"] = True
        r["staple_problem"] = "nextUpdate %d s before the end of the handshake" % (
            r["t1"] - r["next_update"])
        return
    problem = None
    if leaf is None or issuer is None:
        problem = "no verified certificate to check it against"
    elif r["next_update"] is None:
        problem = "no nextUpdate"
    else:
        want = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, resp.hash_algorithm).build()
        signer = ocsp_signer(resp, issuer)
        if resp.serial_number != leaf.serial_number:
            problem = "for serial %s, not the served certificate" % r["staple_serial"]
        elif (resp.issuer_name_hash, resp.issuer_key_hash) != \
                (want.issuer_name_hash, want.issuer_key_hash):
            problem = "CertID names another issuer"
        elif signer is None:
            problem = "signed by neither the issuer nor a responder it delegated to"
        elif r["staple_status"] != "good":
            problem = "status " + r["staple_status"]
        elif r["this_update"] > r["t1"] + 5:
            problem = "thisUpdate in the future"
        else:
            try:
                verify_signature(signer.public_key(), resp.signature, resp.tbs_response_bytes,
                                 resp.signature_hash_algorithm)
            except InvalidSignature:
                problem = "bad signature"
    if problem:
        r["staple_wrong"], r["staple_problem"] = True, problem
    else:
        r["staple_valid"] = True


def verify_error_text(errno):
    try:
        return crypto._ffi.string(crypto._lib.X509_verify_cert_error_string(errno)).decode()
    except Exception:  # pyOpenSSL internals: only for the message
        return "error %d" % errno


def probe(site, port, roots, issuers):
    """One handshake with SNI site on 127.0.0.1:port; returns the record."""
    r = {"site": site, "t0": time.time(), "cert_valid": False, "staple": "none",
         "staple_valid": False, "staple_expired": False, "staple_wrong": False}
    errors, stapled = [], []

    def on_verify(conn, cert, errno, depth, ok):
        if not ok:
            errors.append("%s at depth %d" % (verify_error_text(errno), depth))
        return True  # judged below, so the staple is seen even then

    def on_staple(conn, der, data):
        stapled.append(der)
        return True

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(roots)
    ctx.set_verify(SSL.VERIFY_PEER, on_verify)
    ctx.set_ocsp_client_callback(on_staple)
    sock = conn = None
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT)
        # pyOpenSSL needs a blocking socket; the kernel bounds each read.
        sock.settimeout(None)
        tv = struct.pack("ll", HANDSHAKE_TIMEOUT, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        conn = SSL.Connection(ctx, sock)
        conn.set_tlsext_host_name(site.encode())
        conn.request_ocsp()
        conn.set_connect_state()
        conn.do_handshake()
        r["t1"] = time.time()
    except (OSError, SSL.Error) as e:
        r["t1"] = time.time()
        r["verify"] = "no handshake: %s" % (e,)
        return r
    finally:
        if conn is not None:
            try:
                conn.shutdown()
            except (OSError, SSL.Error):
                pass
        if sock is not None:
            sock.close()

    leaf = conn.get_peer_certificate().to_cryptography()
    r["serial"] = "%X" % leaf.serial_number
    r["not_after"] = utc(leaf, "not_valid_after")
    r["ca"] = next((name for name, c in issuers.items() if c.subject == leaf.issuer), None)
    issuer = issuers.get(r["ca"])
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if errors:
        r["verify"] = "; ".join(errors)
    elif site not in names:
        r["verify"] = "not for %s (names: %s)" % (site, ", ".join(names) or "none")
    elif issuer is None or not issued_by(leaf, issuer):
        r["verify"] = "not issued by a known CA intermediate"
    elif not utc(leaf, "not_valid_before") <= r["t0"] or not r["t1"] < r["not_after"]:
        r["verify"] = "outside its validity"
    else:
        r["verify"] = "ok"
        r["cert_valid"] = True
    der = stapled[0] if stapled else b""
    if der:
        judge_staple(r, der, leaf if r["cert_valid"] else None, issuer)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--roots", required=True, help="PEM file of the trusted roots")
    p.add_argument("--issuer", action="append", default=[], metavar="CA=INT.pem",
                   help="an issuing intermediate and the name of its CA")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--once", metavar="SITE")
    p.add_argument("--sites")
    p.add_argument("--out")
    p.add_argument("--stop")
    a = p.parse_args()
    issuers = {}
    for spec in a.issuer:
        name, _, path = spec.partition("=")
        with open(path, "rb") as f:
            issuers[name] = x509.load_pem_x509_certificate(f.read())
    if a.once:
        print(json.dumps(probe(a.once, a.port, a.roots, issuers), sort_keys=True))
        return 0
    if not (a.sites and a.out and a.stop):
        p.error("either --once SITE or all of --sites, --out and --stop")
    with open(a.out, "a") as log:
        while not os.path.exists(a.stop):
            tick = time.time()
            with open(a.sites) as f:
                # "SITE [PORT [SERVER]]": the port (default --port) and the
                # name of the web server behind it, recorded with each probe
                sites = [line.split() for line in f if line.strip()]
            for fields in sites:
                port = int(fields[1]) if len(fields) > 1 else a.port
                r = probe(fields[0], port, a.roots, issuers)
                r["port"] = port
                if len(fields) > 2:
                    r["server"] = fields[2]
                log.write(json.dumps(r, sort_keys=True) + "\n")
                log.flush()
            time.sleep(max(0.0, tick + 1.0 - time.time()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
