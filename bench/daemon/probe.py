#!/usr/bin/env python3
"""bench/daemon/probe.py -- what run.sh measures besides the start.

    probe.py scrape URL OUT
    probe.py status OUT HOLDFAST ARGS...

scrape: one GET of URL (the daemon's /metrics), the body saved to OUT.
Prints scrape_bytes, scrape_s (request to last byte), scrape_samples (lines
that are not comments), scrape_series_certs (holdfast_certificates_series,
the certificates with their own series) and scrape_status.  Asks again, for
up to 60 s, while the port is not listening yet or the page is still empty
(the daemon renders its first page after its first state file writes).

status: runs HOLDFAST ARGS (`holdfast status --json -c FILE`) with stdout to
OUT and waits for it with wait4(), which gives its peak RSS.  Prints
status_s (wall time), status_rss_kb (ru_maxrss), status_cpu_s (user +
system), status_exit, status_lines (lines of OUT) and status_daemon_null
(lines whose "daemon" is null: the daemon's state was not found).

Exits non-zero only when something broke (no answer, a crash); an exit code
of status that is not 0-3 is a crash.
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request


def scrape(url, out):
    deadline = time.monotonic() + 60
    while True:
        try:
            t0 = time.monotonic()
            with urllib.request.urlopen(url, timeout=60) as r:
                body = r.read()
                code = r.status
            t1 = time.monotonic()
            if b"\nholdfast_certificates_series " in body or time.monotonic() > deadline:
                break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
    with open(out, "wb") as f:
        f.write(body)
    samples = 0
    series = -1
    for line in body.split(b"\n"):
        if not line or line.startswith(b"#"):
            continue
        samples += 1
        if line.startswith(b"holdfast_certificates_series "):
            series = int(line.split()[1])
    print("scrape_status=%d" % code)
    print("scrape_bytes=%d" % len(body))
    print("scrape_s=%.3f" % (t1 - t0))
    print("scrape_samples=%d" % samples)
    print("scrape_series_certs=%d" % series)
    return 0 if code == 200 and series >= 0 else 1


def status(out, cmd):
    with open(out, "wb") as w:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=w,
                                stderr=subprocess.DEVNULL)
        _, st, ru = os.wait4(proc.pid, 0)
        t1 = time.monotonic()
    rc = os.waitstatus_to_exitcode(st)
    lines = nulls = 0
    with open(out, "rb") as f:
        for line in f:
            lines += 1
            nulls += b'"daemon":null' in line
    print("status_s=%.3f" % (t1 - t0))
    print("status_rss_kb=%d" % ru.ru_maxrss)
    print("status_cpu_s=%.2f" % (ru.ru_utime + ru.ru_stime))
    print("status_exit=%d" % rc)
    print("status_lines=%d" % lines)
    print("status_daemon_null=%d" % nulls)
    return 0 if 0 <= rc <= 3 else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "scrape":
        sys.exit(scrape(sys.argv[2], sys.argv[3]))
    if len(sys.argv) >= 4 and sys.argv[1] == "status":
        sys.exit(status(sys.argv[2], sys.argv[3:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
