#!/usr/bin/env python3
"""Sign an OCSP response with chosen timestamps, for lab cases that
`openssl ocsp` cannot produce.

`openssl ocsp` always stamps thisUpdate = now and only accepts a positive
-nmin/-ndays, so it cannot make a response that is already expired, not yet
valid, or without nextUpdate. Waiting for one to expire would make the suite
slow and timing-dependent; faking the clock needs an extra package. This
helper uses python3-cryptography (present on the project's machine image) to
build the same kind of response `openssl ocsp` makes -- one SingleResponse,
SHA-1 CertID, no nonce, signer certificate included, responder id by name --
but with thisUpdate/nextUpdate given as offsets in seconds from now, so the
result is deterministic.

Usage:
  ocsp_craft.py --cert LEAF.crt --issuer INT.pem --signer-cert S.pem
                --signer-key S.key --this SEC --next SEC|none
                [--status good|revoked|unknown] --out OUT.der
"""

import argparse
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp


def load_cert(path):
    with open(path, "rb") as f:
        # The first certificate of a PEM bundle is the one meant.
        return x509.load_pem_x509_certificate(f.read())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--signer-cert", required=True)
    p.add_argument("--signer-key", required=True)
    p.add_argument("--this", type=int, required=True,
                   help="thisUpdate, seconds from now (negative = past)")
    p.add_argument("--next", required=True,
                   help="nextUpdate, seconds from now, or 'none'")
    p.add_argument("--status", default="good",
                   choices=["good", "revoked", "unknown"])
    p.add_argument("--out", required=True)
    a = p.parse_args()

    cert = load_cert(a.cert)
    issuer = load_cert(a.issuer)
    signer = load_cert(a.signer_cert)
    with open(a.signer_key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)

    # Naive UTC datetimes: accepted by every cryptography version we meet.
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0)
    this_update = now + datetime.timedelta(seconds=a.this)
    next_update = None
    if a.next != "none":
        next_update = now + datetime.timedelta(seconds=int(a.next))

    status = {"good": ocsp.OCSPCertStatus.GOOD,
              "revoked": ocsp.OCSPCertStatus.REVOKED,
              "unknown": ocsp.OCSPCertStatus.UNKNOWN}[a.status]
    revocation_time = this_update if a.status == "revoked" else None

    builder = (ocsp.OCSPResponseBuilder()
               .add_response(cert=cert, issuer=issuer,
                             algorithm=hashes.SHA1(), cert_status=status,
                             this_update=this_update, next_update=next_update,
                             revocation_time=revocation_time,
                             revocation_reason=None)
               .responder_id(ocsp.OCSPResponderEncoding.NAME, signer)
               .certificates([signer]))
    if not isinstance(key, (ec.EllipticCurvePrivateKey,
                            rsa.RSAPrivateKey)):
        sys.exit("ocsp_craft: only EC and RSA signer keys are supported")
    response = builder.sign(key, hashes.SHA256())
    with open(a.out, "wb") as f:
        f.write(response.public_bytes(serialization.Encoding.DER))


if __name__ == "__main__":
    main()
