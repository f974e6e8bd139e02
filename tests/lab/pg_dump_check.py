#!/usr/bin/env python3
"""pg_dump_check.py DUMP KEYS_LIST [MIN_KEYS]: exit 0 when a pg_dump of a
holdfast database (DUMP) holds sealed keys (HFS1 blobs) and none of the
private keys listed in KEYS_LIST (one privkey.pem path per line) in any
form: the PEM, its long base64 lines, the PKCS#8 DER, its hex and base64,
or the private numbers (EC: d; RSA: d, p, q) as bytes, hex or base64 --
searched in the dump's text and inside every bytea it holds.  At least
MIN_KEYS (default 5) keys must be listed, so the search can fail."""
import base64, re, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
dump = open(sys.argv[1], "rb").read()
blobs = [bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]+)", dump)]
assert any(b.startswith(b"HFS1") for b in blobs), "no sealed key found in the dump"
assert b"PRIVATE KEY" not in dump, "a PEM private key marker"
keys = [l.strip() for l in open(sys.argv[2]) if l.strip()]
assert len(keys) >= (int(sys.argv[3]) if len(sys.argv) > 3 else 5), keys
bad = []
for path in keys:
    pem = open(path, "rb").read()
    key = serialization.load_pem_private_key(pem, None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        secrets = [key.private_numbers().private_value]
    else:
        n = key.private_numbers()
        secrets = [n.d, n.p, n.q]
    needles = [pem, der, der.hex().encode(), base64.b64encode(der)]
    needles += [l for l in pem.splitlines() if len(l) >= 40]
    for s in secrets:
        raw = s.to_bytes((s.bit_length() + 7) // 8, "big")
        needles += [raw, raw.hex().encode(), base64.b64encode(raw)]
    for nd in needles:
        if nd in dump or any(nd in b for b in blobs):
            bad.append((path, nd[:20]))
if bad:
    print("found:", bad)
    sys.exit(1)
print("checked", len(keys), "keys")
