#!/usr/bin/env python3
"""bench/relay_report.py RESULTS.tsv NCPU SECONDS - the table of
bench/relay.sh: one column per tunnel (ours, miredo, kernel), the ratios
ours/Miredo and ours/kernel, and the targets."""
import sys

R = {}
with open(sys.argv[1]) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("\t")
        R[k] = v
ncpu, seconds = sys.argv[2], sys.argv[3]
SC = ["ours", "miredo", "kernel"]


def num(k):
    try:
        return float(R[k])
    except (KeyError, ValueError):
        return None


def peak(s, d="u"):
    """key of the paced UDP run at the peak rate with < 1 % loss in
    direction d (u: client -> native, d: native -> client)"""
    return R.get(s + "." + d + "peak")


def val(s, what):
    """what: a key below s, or a callable"""
    if callable(what):
        return what(s)
    return num(s + "." + what)


def fmt(v, p=1):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return "%.*f" % (p, v)


def ratio(a, b, p=2):
    if a is None or b is None or b == 0 or isinstance(a, str) or isinstance(b, str):
        return "n/a"
    return "%.*fx" % (p, a / b)


def pk(key, d="u"):
    return lambda s: num("%s.%s.%s" % (s, peak(s, d), key)) if peak(s, d) else None


def kpps(key):
    def f(s):
        v = key(s) if callable(key) else num("%s.%s" % (s, key))
        return v / 1000 if v is not None else None
    return f


def daemon(s, run, role, key="us_pkt"):
    if s == "kernel":
        return "-"
    if run in ("u", "d"):
        run = peak(s, run)
    return num("%s.%s.%s.%s" % (s, run, role, key)) if run else None


def nosi(s, role):
    """CPU us/packet of the daemon outside softirq: TCP up's us/packet
    (the run without perf, whose sampling costs the sampled process)
    times the share of the perf run's samples not under handle_softirqs"""
    if s == "kernel":
        return "-"
    u, si = num("%s.tcp.%s.us_pkt" % (s, role)), num("%s.perf.%s.softirq" % (s, role))
    return u * (1 - si / 100) if u is not None and si is not None else None


def server_ms(s):
    if s == "kernel":
        return "-"
    t = 0
    for k, v in R.items():
        if k.startswith(s + ".") and k.endswith(".server.cpu_us"):
            t += int(v)
    return t / 1000 if any(k.startswith(s + ".") for k in R) else None


rows = [("TCP client -> native, Mbit/s", "tcp.mbps", 0),
        ("TCP native -> client (-R), Mbit/s", "tcpr.mbps", 0)]
for d, name in (("u", "client -> native"), ("d", "native -> client (-R)")):
    rows += [
        ("UDP %s, -b 0: offered kpps" % name, kpps("%ssat.tx_pps" % d), 1),
        ("  delivered kpps", kpps("%ssat.rx_pps" % d), 1),
        ("  most delivered with < 1 % loss, kpps", kpps("%speak_pps" % d), 1),
        ("  at the peak: delivered Mbit/s", pk("mbps", d), 0),
        ("  at the peak: loss %", pk("loss", d), 2),
    ]
rows += [
    ("UDP up at Miredo's peak rate: loss %", "umir.loss", 2),
    ("UDP down at Miredo's peak rate: loss %", "dmir.loss", 2),
    ("CPU us/packet, client daemon, TCP up", lambda s: daemon(s, "tcp", "client"), 2),
    ("CPU us/packet, relay daemon, TCP up", lambda s: daemon(s, "tcp", "relay"), 2),
    ("CPU us/packet, client daemon, TCP down", lambda s: daemon(s, "tcpr", "client"), 2),
    ("CPU us/packet, relay daemon, TCP down", lambda s: daemon(s, "tcpr", "relay"), 2),
    ("CPU us/packet, client daemon, UDP up peak", lambda s: daemon(s, "u", "client"), 2),
    ("CPU us/packet, relay daemon, UDP up peak", lambda s: daemon(s, "u", "relay"), 2),
    ("CPU us/packet, client daemon, UDP down peak", lambda s: daemon(s, "d", "client"), 2),
    ("CPU us/packet, relay daemon, UDP down peak", lambda s: daemon(s, "d", "relay"), 2),
    ("  of which user space, client, TCP up", lambda s: daemon(s, "tcp", "client", "user_us_pkt"), 2),
    ("  of which user space, relay, TCP up", lambda s: daemon(s, "tcp", "relay", "user_us_pkt"), 2),
    ("  outside softirq (perf), client, TCP up", lambda s: nosi(s, "client"), 2),
    ("  outside softirq (perf), relay, TCP up", lambda s: nosi(s, "relay"), 2),
    ("CPU % of a vCPU, client daemon, TCP up", lambda s: daemon(s, "tcp", "client", "cpu_pct"), 0),
    ("CPU % of a vCPU, relay daemon, TCP up", lambda s: daemon(s, "tcp", "relay", "cpu_pct"), 0),
    ("CPU ms, server daemon, all runs", server_ms, 0),
    ("CPU %, iperf3 sender (client), UDP up peak", pk("iperf3c.cpu_pct", "u"), 0),
    ("CPU %, iperf3 sender (server), UDP down peak", pk("iperf3s.cpu_pct", "d"), 0),
    ("path CPU us/datagram, UDP up peak", pk("path_us_pkt", "u"), 2),
    ("  of which in ksoftirqd", pk("ksoftirqd_us_pkt", "u"), 2),
    ("path CPU us/datagram, UDP down peak", pk("path_us_pkt", "d"), 2),
    ("  of which in ksoftirqd", pk("ksoftirqd_us_pkt", "d"), 2),
    ("machine CPU us/datagram, UDP up peak", pk("m_us_pkt", "u"), 2),
    ("  of which softirq (sampled share)", pk("m_si_us_pkt", "u"), 2),
    ("machine busy %% (of %s vCPUs), TCP up" % ncpu, "tcp.m_busy_pct", 0),
    ("background busy % before (1 s idle)", "bg", 0),
    ("vCPU steal % (hypervisor), TCP up", "tcp.m_steal_pct", 1),
]

w0 = max(len(r[0]) for r in rows) + 2
hdr = "%-*s%10s%10s%10s%14s%14s" % (w0, "", "ours", "miredo", "kernel", "ours/miredo", "ours/kernel")
print()
print(hdr)
print("-" * len(hdr))
for label, what, p in rows:
    v = [val(s, what) for s in SC]
    # ratios of rates and of CPU costs; none of losses and shares
    if label.endswith(("kpps", "Mbit/s")) or "us/" in label or label.strip().startswith(("of which", "outside")):
        r1, r2 = ratio(v[0], v[1]), ratio(v[0], v[2])
    else:
        r1 = r2 = ""
    print("%-*s%10s%10s%10s%14s%14s" % (w0, label, fmt(v[0], p), fmt(v[1], p), fmt(v[2], p), r1, r2))
print()
for s in SC:
    for k in ("addr", "drops_cl", "drops_rly"):
        if s + "." + k in R:
            print("# %s %s: %s" % (s, k, R[s + "." + k]))
DROPS = [("cl.tundrop", "cl tun queue"), ("rly.tundrop", "rly tun queue"),
         ("cl.u4rcv", "cl UDP rcvbuf"), ("rly.u4rcv", "rly UDP rcvbuf"),
         ("cl.u4snd", "cl UDP sndbuf"), ("rly.u4snd", "rly UDP sndbuf"),
         ("n6.u6rcv", "n6 UDP6 rcvbuf"), ("cl.u6rcv", "cl UDP6 rcvbuf"),
         ("softnet.drop", "softnet backlog")]
print("# where packets were dropped (kernel counters, per run):")
for s in SC:
    for run, name in (("tcp", "TCP up"), ("tcpr", "TCP down"), ("usat", "UDP up -b 0"),
                      (peak(s, "u"), "UDP up peak"), ("dsat", "UDP down -b 0"),
                      (peak(s, "d"), "UDP down peak"), ("umir", "UDP up, Miredo's peak"),
                      ("dmir", "UDP down, Miredo's peak")):
        if not run or s + "." + run + ".wall" not in R:
            continue
        got = ["%s %s" % (lbl, R[k]) for key, lbl in DROPS
               for k in ["%s.%s.d.%s" % (s, run, key)] if R.get(k, "0") not in ("0", "")]
        print("#   %-6s %-20s %s" % (s, name, ", ".join(got) or "none"))
for s in SC:
    for d, name in (("u", "up"), ("d", "down")):
        if R.get("%s.%slimit" % (s, d)) == "sender":
            print("# %s UDP %s: iperf3's sender could not send faster; the tunnel's limit is higher" % (s, name))
errs = sorted((k, v) for k, v in R.items() if k.endswith(".err"))
for k, v in errs:
    print("# iperf3 error in %s: %s" % (k[:-4], v))
retr = ["%s %s/%s" % (s, R.get(s + ".tcp.retrans", "?"), R.get(s + ".tcpr.retrans", "?")) for s in SC if s + ".tcp.mbps" in R]
print("# TCP retransmits (up/down): " + ", ".join(retr))

# ---- targets ------------------------------------------------------------
print()
print("Targets:")
ot, mt = num("ours.tcp.mbps"), num("miredo.tcp.mbps")
otr, mtr = num("ours.tcpr.mbps"), num("miredo.tcpr.mbps")
if ot is not None and mt:
    print("  TCP >= 5x Miredo: up %.2fx, down %s -> %s" % (
        ot / mt, ratio(otr, mtr), "MET" if ot / mt >= 5 and otr and mtr and otr / mtr >= 5 else "NOT MET"))
else:
    print("  TCP >= 5x Miredo: n/a (a run is missing)")
for d, name, key in (("u", "up", "umir"), ("d", "down", "dmir")):
    mp, ul = num("miredo.%speak_pps" % d), num("ours.%s.loss" % key)
    if mp and ul is not None:
        print("  UDP %s at Miredo's peak rate (%d pps) with < 1 %% loss: ours lost %.2f %% -> %s" % (
            name, mp, ul, "MET" if ul < 1 else "NOT MET"))
    else:
        print("  UDP %s at Miredo's peak rate with < 1 %% loss: n/a" % name)
worst = []
for run in ("tcp", "tcpr", "u", "d"):
    for role in ("client", "relay"):
        v = daemon("ours", run, role)
        if v is not None:
            worst.append((v, role, run))
if worst:
    v, role, run = max(worst)
    print("  <= 3 us CPU per packet per daemon: worst %.2f us (%s, %s) -> %s" % (
        v, role, {"u": "UDP up peak", "d": "UDP down peak", "tcp": "TCP up", "tcpr": "TCP down"}[run], "MET" if v <= 3 else "NOT MET"))
else:
    print("  <= 3 us CPU per packet per daemon: n/a")
print()
print("# %s s in all; %s vCPUs shared by both daemons, iperf3's two ends and softirq" % (seconds, ncpu))
