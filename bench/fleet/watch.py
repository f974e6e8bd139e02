#!/usr/bin/env python3
"""bench/fleet/watch.py K STORE... -- when each store's current set of
c000001..K changes: polls every STORE/certificates/NAME link every 5 ms and
prints {"NAME STORE": epoch seconds} once all K x stores changed (or after
120 s, with what was seen)."""
import json
import os
import sys
import time

k, stores = int(sys.argv[1]), sys.argv[2:]
names = ["c%06d" % i for i in range(1, k + 1)]
first = {}
for s in stores:
    for n in names:
        try:
            first[(n, s)] = os.readlink(os.path.join(s, "certificates", n))
        except OSError:
            first[(n, s)] = None
seen = {}
deadline = time.time() + 120
while len(seen) < len(first) and time.time() < deadline:
    for key, link in first.items():
        if key in seen:
            continue
        try:
            now = os.readlink(os.path.join(key[1], "certificates", key[0]))
        except OSError:
            continue
        if now != link:
            seen[key] = time.time()
    time.sleep(0.005)
json.dump({"%s %s" % key: t for key, t in seen.items()}, sys.stdout)
