#!/usr/bin/env python3
"""bench/daemon/measure.py -- one timed start of `holdfast run`.

    measure.py [--during SCRIPT] LOG SETTLE TIMEOUT CMD...

Starts CMD (holdfast run -c FILE) with stderr appended to LOG and polls LOG
every 2 ms, reading only what is new.  Records the time from just before
exec to the first `event=certificate_loaded` line and to the
`event=daemon_started` line, then at once reads /proc/PID/status (VmRSS,
VmHWM), /proc/PID/stat (CPU time, faults) and /proc/PID/io (bytes read from
disk).  Waits SETTLE seconds (the daemon writes its state file right after
starting and then every 2 s), reads VmRSS/VmHWM again, sends SIGTERM and
waits for the exit.  With --during, SCRIPT (an executable, no arguments) is
run after the second reading, while the daemon runs, and waited for before
the SIGTERM; its standard output (key=value lines) is passed on.

Prints key=value lines.  Exits non-zero when the daemon did not start
within TIMEOUT seconds, exited early, or did not stop on SIGTERM within 120 s
(it is then killed), or SCRIPT failed; the caller treats that as a broken
run.
"""
import os
import signal
import subprocess
import sys
import time

POLL = 0.002


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "VmData"):
                out[k] = int(v.split()[0])  # kB
    return out


def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    # fields[0] is field 3 (state): minflt=10, majflt=12, utime=14, stime=15
    return {
        "minflt": int(fields[7]),
        "majflt": int(fields[9]),
        "utime": int(fields[11]) / tck,
        "stime": int(fields[12]) / tck,
    }


def io(pid):
    out = {}
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = int(v)
    except OSError:
        pass
    return out


def main():
    args = sys.argv[1:]
    during = None
    if len(args) >= 2 and args[0] == "--during":
        during, args = args[1], args[2:]
    if len(args) < 4:
        sys.exit(__doc__)
    log, settle, timeout, cmd = args[0], float(args[1]), float(args[2]), args[3:]
    proc = None

    def on_signal(signum, _frame):
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with open(log, "ab") as w:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=w)
    pid = proc.pid
    print("pid=%d" % pid)
    t_first = t_started = None
    started_line = ""
    rest = b""
    with open(log, "rb") as r:
        while t_started is None:
            chunk = r.read()
            now = time.monotonic()
            if chunk:
                data = rest + chunk
                cut = data.rfind(b"\n") + 1
                lines, rest = data[:cut], data[cut:]
                if t_first is None and b"event=certificate_loaded" in lines:
                    t_first = now
                i = lines.find(b"event=daemon_started")
                if i >= 0:
                    t_started = now
                    end = lines.find(b"\n", i)
                    started_line = lines[lines.rfind(b"\n", 0, i) + 1:end].decode()
                    break
            if proc.poll() is not None:
                print("error=exited rc=%d" % proc.returncode)
                sys.exit(1)
            if now - t0 > timeout:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                print("error=timeout after=%.1f" % (now - t0))
                sys.exit(2)
            time.sleep(POLL)
    st, sa, si = status(pid), stat(pid), io(pid)
    print("start_s=%.3f" % (t_started - t0))
    print("first_loaded_s=%.3f" % ((t_first or t_started) - t0))
    print("started_line=%s" % started_line.replace(" ", "_"))
    print("cpu_user_s=%.2f" % sa["utime"])
    print("cpu_sys_s=%.2f" % sa["stime"])
    print("majflt=%d" % sa["majflt"])
    print("minflt=%d" % sa["minflt"])
    print("read_bytes=%d" % si.get("read_bytes", -1))
    print("rss_start_kb=%d" % st["VmRSS"])
    print("hwm_start_kb=%d" % st["VmHWM"])
    print("anon_start_kb=%d" % st.get("RssAnon", -1))
    time.sleep(settle)
    if proc.poll() is not None:
        print("error=exited_after_start rc=%d" % proc.returncode)
        sys.exit(1)
    st = status(pid)
    print("rss_settled_kb=%d" % st["VmRSS"])
    print("hwm_settled_kb=%d" % st["VmHWM"])
    print("anon_settled_kb=%d" % st.get("RssAnon", -1))
    during_rc = 0
    if during is not None:
        sys.stdout.flush()
        during_rc = subprocess.call([during], stdin=subprocess.DEVNULL)
        if proc.poll() is not None:
            print("error=exited_during rc=%d" % proc.returncode)
            sys.exit(1)
        st = status(pid)
        print("hwm_during_kb=%d" % st["VmHWM"])
    t1 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        print("error=no_exit_on_sigterm")
        sys.exit(3)
    print("stop_s=%.3f" % (time.monotonic() - t1))
    print("exit_code=%d" % rc)
    if during_rc != 0:
        print("error=during_failed rc=%d" % during_rc)
        sys.exit(5)
    sys.exit(0 if rc == 0 else 4)


if __name__ == "__main__":
    main()
