#!/usr/bin/env python3
"""The drill's timeline as an SVG picture (`holdfast drill --plot FILE.svg`).

One row per site probed. In each row, from the top:
  - the certificate served: one bar per certificate (by serial), from the
    first to the last handshake that served it, labelled with its CA; its
    validity runs on past the drill, so the bar shows when it was served;
  - the staple: one bar per staple (by thisUpdate), from its thisUpdate to
    its nextUpdate, so a staple nearing expiry is seen to end;
  - one tick per handshake: green (valid certificate and valid staple),
    amber (valid certificate, no staple), red (invalid certificate, expired
    or wrong staple).
The outage (T_OUT to T_BACK) is shaded across all rows; every daemon start
and stop is a dashed vertical line; the x axis is seconds since the drill
started.

  svg(probes, params, events) -> str    pure: the drill's records in, text out
  drill_plot.py PLOT.svg LABDIR         reads LABDIR/drill/{params,events.log,
                                        probes.jsonl} and writes PLOT.svg
                                        atomically (temporary file + rename)
Only the standard library: the Debian package installs this file beside the
prober, and the drill runs it with the prober's python3.
"""
import json
import os
import sys
from xml.sax.saxutils import escape

ROW_H = 66
LEFT = 150
WIDTH = 1100
TOP = 40


def classify(p):
    """"ok", "nostaple" or "bad" for one handshake record of the prober."""
    if not p.get("cert_valid") or p.get("staple_expired") or p.get("staple_wrong"):
        return "bad"
    if p.get("staple_valid"):
        return "ok"
    return "nostaple"


COLOURS = {"ok": "#2e7d32", "nostaple": "#f9a825", "bad": "#c62828"}


def svg(probes, params, events):
    t0 = float(params["T0"])
    ends = [float(params.get("T_END", 0))] + [p["t0"] for p in probes]
    span = max(max(ends) - t0, 1.0)
    sites = sorted({p["site"] for p in probes})
    height = TOP + ROW_H * max(len(sites), 1) + 50

    def x(t):
        return LEFT + (min(max(t - t0, 0.0), span) / span) * (WIDTH - LEFT - 20)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (WIDTH, height),
           '<title>holdfast drill: %d handshakes</title>' % len(probes),
           '<rect width="100%" height="100%" fill="white"/>']
    t_out, t_back = float(params.get("T_OUT", 0)), float(params.get("T_BACK", 0))
    if t_out and t_back > t_out:
        out.append('<rect class="outage" x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="#ffcdd2" fill-opacity="0.5"><title>outage: primary CA off the '
                   'DNS, its OCSP responder down</title></rect>'
                   % (x(t_out), TOP - 10, x(t_back) - x(t_out), ROW_H * len(sites) + 10))
        out.append('<text x="%.1f" y="%d" fill="#c62828">outage</text>' % (x(t_out) + 3, TOP - 14))
    for t, text in events:
        if "holdfast run #" in text and ("started" in text or "stopped" in text):
            out.append('<line class="daemon" x1="%.1f" x2="%.1f" y1="%d" y2="%d" '
                       'stroke="#1565c0" stroke-dasharray="4,3"><title>%s</title></line>'
                       % (x(t), x(t), TOP - 10, TOP + ROW_H * len(sites), escape(text)))
    for i, site in enumerate(sites):
        y = TOP + i * ROW_H
        ps = sorted((p for p in probes if p["site"] == site), key=lambda p: p["t0"])
        out.append('<text x="8" y="%d">%s</text>' % (y + 24, escape(site)))
        server = ps[0].get("server", "nginx") if ps else "?"
        out.append('<text x="8" y="%d" fill="#555">%s, %d handshakes</text>'
                   % (y + 38, escape(server), len(ps)))
        certs = {}
        for p in ps:
            if p.get("serial"):
                c = certs.setdefault(p["serial"], [p["t0"], p["t0"], p.get("ca") or "?"])
                c[1] = p["t0"]
        for serial, (a, b, ca) in sorted(certs.items(), key=lambda kv: kv[1][0]):
            out.append('<rect class="cert" x="%.1f" y="%d" width="%.1f" height="12" '
                       'fill="#90caf9"><title>certificate %s from %s</title></rect>'
                       % (x(a), y + 4, max(x(b) - x(a), 2), escape(serial), escape(ca)))
            out.append('<text x="%.1f" y="%d" font-size="9">%s</text>'
                       % (x(a) + 2, y + 14, escape("cert %s... (%s)" % (serial[:8], ca))))
        staples = {}
        for p in ps:
            if p.get("this_update") and p.get("next_update") and p.get("staple") != "none":
                staples[p["this_update"]] = p["next_update"]
        for tu, nu in sorted(staples.items()):
            out.append('<rect class="staple" x="%.1f" y="%d" width="%.1f" height="10" '
                       'fill="#a5d6a7" stroke="#2e7d32" stroke-width="0.5"><title>staple '
                       'valid until %.0f s</title></rect>'
                       % (x(tu), y + 20, max(x(nu) - x(tu), 2), nu - t0))
        for p in ps:
            k = classify(p)
            out.append('<rect class="hs %s" x="%.1f" y="%d" width="2" height="14" fill="%s"/>'
                       % (k, x(p["t0"]), y + 36, COLOURS[k]))
    ax = TOP + ROW_H * len(sites) + 6
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (LEFT, WIDTH - 20, ax, ax))
    step = max(1, int(span / 10))
    for s in range(0, int(span) + 1, step):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d s</text>' % (x(t0 + s), ax + 14, s))
    out.append('<text x="%d" y="%d" fill="#555">ticks: green valid certificate and staple, '
               'amber no staple, red invalid or expired; dashed: daemon start/stop</text>'
               % (LEFT, ax + 32))
    out.append('</svg>')
    return "\n".join(out) + "\n"


def read_lab(lab):
    d = os.path.join(lab, "drill")
    params = {}
    for line in open(os.path.join(d, "params")):
        k, _, v = line.rstrip("\n").partition("=")
        params[k] = v
    events = []
    for line in open(os.path.join(d, "events.log")):
        t, _, text = line.rstrip("\n").partition(" ")
        events.append((float(t), text))
    probes = [json.loads(l) for l in open(os.path.join(d, "probes.jsonl")) if l.strip()]
    return probes, params, events


def main():
    if len(sys.argv) != 3:
        print("usage: drill_plot.py PLOT.svg LABDIR", file=sys.stderr)
        return 3
    path, lab = sys.argv[1], sys.argv[2]
    text = svg(*read_lab(lab))
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
