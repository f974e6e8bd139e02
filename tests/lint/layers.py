#!/usr/bin/env python3
"""The dependency rule of src/ (doc/HACKING.md): each folder is a layer and
may include only its own headers and those of lower layers, so there is no
module cycle and the core never includes src/cli/.  Prints each violation
(file, include, why) and exits 1 when there is one."""
import os
import re
import sys

# Lower number = lower layer.  Equal numbers may not include each other.
LAYERS = {
    "util": 0,
    "x509": 1,
    "conf": 1,
    "store": 2,
    "ocsp": 2,
    "acme": 3,
    "audit": 3,
    "deploy": 3,
    "revocation": 3,
    "daemon": 4,
    "init": 4,
    "cli": 5,
}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
bad = 0
for folder in sorted(os.listdir(root)):
    path = os.path.join(root, folder)
    if not os.path.isdir(path):
        continue
    if folder not in LAYERS:
        print(f"src/{folder}/: not a known layer (add it to tests/lint/layers.py)")
        bad += 1
        continue
    for name in sorted(os.listdir(path)):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(path, name), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([a-z0-9_]+)/', line)
                if not m or m.group(1) == folder:
                    continue
                dep = m.group(1)
                if dep not in LAYERS:
                    print(f"src/{folder}/{name}:{lineno}: includes unknown folder {dep}/")
                    bad += 1
                elif LAYERS[dep] >= LAYERS[folder]:
                    print(f"src/{folder}/{name}:{lineno}: {folder}/ (layer {LAYERS[folder]}) "
                          f"includes {dep}/ (layer {LAYERS[dep]}): only lower layers")
                    bad += 1
sys.exit(1 if bad else 0)
