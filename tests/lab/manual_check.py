#!/usr/bin/env python3
"""The manual against the binary: holdfast(1) must document every
configuration key the parser accepts and every option each command's --help
prints, and must not document a key or an option the binary lacks.

  manual_check.py HOLDFAST MANPAGE CONF_C EXAMPLE WORKDIR

Prints one line per check: "ok<TAB>NAME" or "not ok<TAB>NAME<TAB>DETAIL".

Where the facts come from:
  keys the parser takes  every strcmp(key, "...") in src/conf/conf.c, each
                         then confirmed by the binary (a config with that key
                         must not be refused as an unknown key)
  keys the manual lists  the ".It Ic KEY" entries of the three "Keys ..."
                         subsections of CONFIGURATION; each must be accepted
                         by the binary in THAT section kind
  commands               the "commands:" list of `holdfast --help`
  options                every -x / --long token of `holdfast CMD --help`'s
                         usage lines and of its indented lines up to their
                         description (two spaces), e.g. "-c, --config FILE"
                         or "push NAME --token N";
                         the manual has them as "Fl x" / "Fl -long" in the
                         command's SYNOPSIS entry, its subsection, or the
                         paragraph of options common to every command
  JSON keys              every key (nested ones too) of what staple,
                         revocation, status, probe, issue and audit print
                         with --json, run here against a closed port, must
                         be a word of the command's subsection
"""
import json
import os
import re
import subprocess
import sys

HOLDFAST, MAN, CONF_C, EXAMPLE, WORK = sys.argv[1:6]
results = []


def check(name, ok, detail=""):
    results.append((name, ok, detail))


def run(args):
    p = subprocess.run([HOLDFAST] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace")


man = open(MAN, encoding="utf-8").read()
conf_section = man[man.index(".Sh CONFIGURATION"):man.index("\n.Sh ", man.index(".Sh CONFIGURATION") + 1)]

# ---------------------------------------------------------------- keys
LEVELS = {"top": "Keys before the first section", "ca": "Keys of [ca NAME]",
          "certificate": "Keys of [certificate NAME]"}


def subsection(text, title):
    i = text.find(".Ss " + title + "\n")
    if i < 0:
        return None
    j = re.compile(r"\n\.S[hs] ").search(text, i + 1)
    return text[i:] if j is None else text[i:j.start()]


man_keys = {}
for level, title in LEVELS.items():
    body = subsection(conf_section, title)
    check("manual: CONFIGURATION has the subsection \"%s\"" % title, body is not None)
    for line in (body or "").splitlines():
        if line.startswith(".It "):
            for k in re.findall(r"\bIc ([a-z][a-z0-9_]*)", line):
                man_keys.setdefault(k, set()).add(level)


def refused_as_unknown(key, level):
    """The binary's verdict on KEY placed in a section of LEVEL: the text
    of an "unknown key" refusal, or None when the key is known there."""
    path = os.path.join(WORK, "key-%s-%s.conf" % (level, key))
    head = {"top": "", "ca": "[ca probe]\n", "certificate": "[certificate probe]\n"}[level]
    with open(path, "w") as f:
        f.write("store = %s\n%s%s = x\n" % (os.path.join(WORK, "store"), head, key))
    _, out = run(["status", "-c", path])
    for line in out.splitlines():
        if re.search(r'key "%s": (unknown key|is a top-level key)' % re.escape(key), line):
            return line.strip()
    return None


src = open(CONF_C, encoding="utf-8").read()
parser_keys = sorted(set(re.findall(r'strcmp\(key, "([a-z][a-z0-9_]*)"\)', src)))
check("parser: src/conf/conf.c compares at least 40 keys (the scan still finds them)",
      len(parser_keys) >= 40, "found %d" % len(parser_keys))
example = open(EXAMPLE, encoding="utf-8").read()
for k in parser_keys:
    known_in = [lv for lv in LEVELS if refused_as_unknown(k, lv) is None]
    check("binary: key %s is accepted somewhere" % k, bool(known_in),
          "refused as unknown at every level")
    check("manual: key %s is in a Keys list of CONFIGURATION" % k, k in man_keys,
          "no \".It Ic %s\" under \"Keys ...\"" % k)
    if k in man_keys and known_in:
        check("manual: key %s is listed where the parser takes it" % k,
              man_keys[k] <= set(known_in),
              "manual: %s, parser: %s" % (sorted(man_keys[k]), known_in))
    check("example: doc/holdfast.conf.example shows key %s" % k,
          re.search(r"^[#;]?\s*%s\s*=" % re.escape(k), example, re.M) is not None)
for k in sorted(set(man_keys) - set(parser_keys)):
    bad = [lv for lv in man_keys[k] if refused_as_unknown(k, lv) is not None]
    check("manual: key %s (not found in conf.c) is accepted by the binary" % k, not bad,
          "refused in %s" % bad)

# ---------------------------------------------------------------- options
OPT = re.compile(r"(?:(?<=\s)|(?<=[\[,|(])|^)(--?[a-zA-Z][a-zA-Z0-9-]*)")
rc, top_help = run(["--help"])
cmds = []
in_cmds = False
for line in top_help.splitlines():
    if line.strip() == "commands:":
        in_cmds = True
        continue
    if in_cmds:
        m = re.match(r"  ([a-z]+)\s", line)
        if not m:
            break
        cmds.append(m.group(1))
check("binary: `holdfast --help` lists at least 10 commands", len(cmds) >= 10, str(cmds))

description = man[man.index(".Sh DESCRIPTION"):man.index("\n.Ss ", man.index(".Sh DESCRIPTION"))]
synopsis = man[man.index(".Sh SYNOPSIS"):man.index(".Sh DESCRIPTION")]


def section_of(c):
    """The subsection of the manual whose title names command c."""
    for m in re.finditer(r"^\.Ss (.*)$", man, re.M):
        if c in re.split(r"[ ,]+", m.group(1)):
            end = re.compile(r"\n\.S[hs] ").search(man, m.end())
            return man[m.end():end.start() if end else len(man)]
    return ""


def man_flags(text):
    return set("-" + f for f in re.findall(r"\bFl (-?[a-zA-Z][a-zA-Z0-9-]*)", text))


for flag in ("--help", "--version"):
    check("manual: SYNOPSIS has %s" % flag, flag in man_flags(synopsis))
for c in cmds:
    entries = re.findall(r"^\.Nm\n\.Cm %s\n(.*?)(?=^\.Nm$|\Z)" % re.escape(c), synopsis,
                         re.M | re.S)
    check("manual: SYNOPSIS has an entry for %s" % c, bool(entries))
    syn = man_flags("".join(entries))
    documented = syn | man_flags(section_of(c)) | man_flags(description)
    rc, help_text = run([c, "--help"])
    check("binary: `holdfast %s --help` exits 0" % c, rc == 0, "exit %d" % rc)
    # The options are in the usage lines (up to the first empty line) and on
    # the indented lines before their description; prose may name another
    # program's.
    usage, _, rest = help_text.partition("\n\n")
    option_lines = [l for l in rest.splitlines() if l.startswith("  ") and l.strip()]
    helped = set(OPT.findall(usage))
    for l in option_lines:
        lead = l.strip().split("  ")[0]  # "-c, --config FILE", not its description
        helped |= set(OPT.findall(lead))
    helped -= {"--help"}
    for o in sorted(helped):
        check("manual: %s %s is documented" % (c, o), o in documented,
              "not in its SYNOPSIS entry, its subsection or DESCRIPTION")
    for o in sorted(syn - helped):
        check("binary: %s --help shows %s (in the SYNOPSIS)" % (c, o), False,
              "the manual has an option the help does not")

# ---------------------------------------------------------------- JSON keys
def json_keys(o, out):
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(k)
            json_keys(v, out)
    elif isinstance(o, list):
        for v in o:
            json_keys(v, out)


cert, key = os.path.join(WORK, "j.pem"), os.path.join(WORK, "j.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                "-subj", "/CN=a.example", "-days", "3", "-addext",
                "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/", "-addext",
                "crlDistributionPoints=URI:http://127.0.0.1:9/c.crl"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
jconf = os.path.join(WORK, "json.conf")
with open(jconf, "w") as f:
    f.write("store = %s\nrdap_bootstrap = %s\n[ca a]\ndirectory = http://127.0.0.1:9/dir\n"
            "[certificate w]\nnames = a.example\ncas = a\nwebroot = %s\n"
            % (os.path.join(WORK, "jstore"), os.path.join(WORK, "no-bootstrap.json"), WORK))
runs = {"staple": ["staple", "--json", "--issuer", cert, "--timeout", "2", cert],
        "revocation": ["revocation", "--json", "--issuer", cert, cert],
        "status": ["status", "--json", "-c", jconf],
        "probe": ["probe", "--json", "-c", jconf],
        "issue": ["issue", "--json", "-c", jconf],
        "audit": ["audit", "--json", "-c", jconf, "--resolver", "127.0.0.1:9", "a.example"]}
for c, args in runs.items():
    _, out = run(args)
    seen = set()
    try:
        for line in out.splitlines():
            if line.startswith("{"):
                json_keys(json.loads(line), seen)
    except ValueError as e:
        check("binary: %s --json prints JSON lines" % c, False, str(e))
        continue
    check("binary: %s --json printed objects with keys" % c, len(seen) >= 4, str(sorted(seen)))
    sec = section_of(c)
    for k in sorted(seen):
        check("manual: %s --json key %s is documented" % (c, k),
              re.search(r"(?<![\w])%s(?![\w])" % re.escape(k), sec) is not None,
              "not a word of its subsection")

for name, ok, detail in results:
    print(("ok\t%s" % name) if ok else ("not ok\t%s\t%s" % (name, detail)))
