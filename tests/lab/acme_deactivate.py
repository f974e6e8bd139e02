#!/usr/bin/env python3
"""acme_deactivate.py -- deactivate an ACME account at the CA (RFC 8555 7.3.6).

What a CA operator or a compromised-key response does to an account, done
to the account holdfast holds, so that a test can see holdfast notice it:
reads the account key (EC P-256 PEM, as holdfast's store keeps it) and the
account document ({"directory": URL, "kid": URL}), fetches a nonce from the
directory's newNonce, and POSTs {"status": "deactivated"} to the account URL
as a JWS (ES256, kid). Prints the status the CA answers with ("deactivated")
and exits 0 when that is what it says, 1 otherwise.

Only the standard library and python3-cryptography.
"""
import argparse
import base64
import json
import ssl
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True, help="the account key (PEM)")
    ap.add_argument("--account", required=True, help="holdfast's account.json")
    ap.add_argument("--cafile", required=True, help="trust for the CA's HTTPS")
    opts = ap.parse_args()

    with open(opts.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        sys.exit("acme_deactivate: only EC P-256 account keys (what holdfast makes)")
    with open(opts.account) as f:
        acct = json.load(f)
    ctx = ssl.create_default_context(cafile=opts.cafile)

    with urllib.request.urlopen(acct["directory"], context=ctx, timeout=10) as r:
        directory = json.load(r)
    req = urllib.request.Request(directory["newNonce"], method="HEAD")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        nonce = r.headers["Replay-Nonce"]

    # Pebble rejects a share of nonces (badNonce) unless told not to: retry
    # with the fresh nonce the error carries (RFC 8555 6.5), as a client must.
    payload = b64url(json.dumps({"status": "deactivated"}).encode())
    for attempt in range(10):
        protected = b64url(json.dumps({"alg": "ES256", "kid": acct["kid"], "nonce": nonce,
                                       "url": acct["kid"]}).encode())
        der = key.sign((protected + "." + payload).encode(), ec.ECDSA(hashes.SHA256()))
        r_, s_ = decode_dss_signature(der)
        sig = b64url(r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
        body = json.dumps({"protected": protected, "payload": payload,
                           "signature": sig}).encode()
        req = urllib.request.Request(acct["kid"], data=body, method="POST",
                                     headers={"Content-Type": "application/jose+json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                status = json.load(r).get("status")
            break
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            if e.code == 400 and "badNonce" in text and e.headers.get("Replay-Nonce"):
                nonce = e.headers["Replay-Nonce"]
                continue
            print("acme_deactivate: HTTP %d %s" % (e.code, text))
            return 1
    else:
        print("acme_deactivate: badNonce 10 times")
        return 1
    print(status)
    return 0 if status == "deactivated" else 1


if __name__ == "__main__":
    sys.exit(main())
