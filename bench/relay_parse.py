#!/usr/bin/env python3
"""bench/relay_parse.py JSON PREFIX HZ NCPU "ROLES" SNAP0 SNAP1 TIMES0 TIMES1 - used by
bench/relay.sh: one iperf3 run's JSON and the snapshots taken around it,
printed as bash assignments R[PREFIX.key]=value.

A snapshot is a line of key=value (see snapshot in relay.sh): ROLE.uticks
and ROLE.sticks (utime, stime clock ticks of a role's process tree), NS.pkts (rx+tx packets
of the tunnel interface in NS), NS.tundrop, NS.u4rcv, NS.u4snd, NS.u6rcv
(drop counters), cpu.user/sys/si/idle/steal (/proc/stat ticks), softnet.drop.
TIMES0, TIMES1: the children line of bash's `times` before and after the
run (their difference is the iperf3 client's CPU).
Role client's packets are those of namespace cl, role relay's of rly.
"""
import json
import shlex
import sys


def snap(line):
    d = {}
    for kv in line.split():
        k, _, v = kv.partition("=")
        try:
            d[k] = int(v)
        except ValueError:
            pass
    return d


def times_s(line):
    """'0m1.234s 0m0.567s' -> seconds (user + system)"""
    t = 0.0
    for part in line.split():
        m, _, sec = part.rstrip("s").partition("m")
        try:
            t += int(m) * 60 + float(sec)
        except ValueError:
            pass
    return t


def main():
    path, prefix, hz, ncpu, roles, s0, s1, tm0, tm1 = sys.argv[1:10]
    hz, ncpu = int(hz), int(ncpu)
    roles = roles.split()
    a, b = snap(s0), snap(s1)
    delta = {k: b[k] - a[k] for k in b if k in a}
    out = {}

    def put(k, v):
        if isinstance(v, float):
            v = "%.3f" % v
        out[k] = v

    wall = delta.get("t", 0) / 1e9
    put("wall", wall)
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        put("err", "no JSON: %s" % e)
        d = {}
    if d.get("error"):
        put("err", d["error"])
    end = d.get("end", {})
    sent = end.get("sum_sent", {})
    rcvd = end.get("sum_received", {})
    udp = "packets" in rcvd or "packets" in end.get("sum", {})
    delivered = 0
    if rcvd:
        put("mbps", rcvd.get("bits_per_second", 0) / 1e6)
        secs = rcvd.get("seconds") or 1.0
        if udp:
            s = end.get("sum", rcvd)
            lost = rcvd.get("lost_packets", s.get("lost_packets", 0))
            delivered = rcvd.get("packets", 0) - lost
            put("sent", sent.get("packets", 0))
            put("rcvd", delivered)
            put("tx_pps", int(sent.get("packets", 0) / (sent.get("seconds") or 1.0)))
            put("rx_pps", int(delivered / secs))
            put("loss", float(rcvd.get("lost_percent", s.get("lost_percent", 100.0))))
            put("tx_mbps", sent.get("bits_per_second", 0) / 1e6)
        else:
            put("retrans", sent.get("retransmits", 0))
    ipc_us = max(0.0, times_s(tm1) - times_s(tm0)) * 1e6
    put("iperf3c.cpu_us", int(ipc_us))
    if wall > 0:
        put("iperf3c.cpu_pct", 100.0 * ipc_us / 1e6 / wall)
    path_us = ipc_us
    # per role: CPU, and packets through its tunnel interface
    ns_of = {"client": "cl", "relay": "rly"}
    for r in roles:
        ut = delta.get(r + ".uticks", 0) * 1e6 / hz
        st = delta.get(r + ".sticks", 0) * 1e6 / hz
        t = ut + st
        path_us += t
        put("%s.cpu_us" % r, int(t))
        put("%s.user_us" % r, int(ut))
        put("%s.cpu_pct" % r, 100.0 * t / 1e6 / wall if wall > 0 else 0.0)
        p = delta.get(ns_of.get(r, "-") + ".pkts", 0)
        if r in ns_of:
            put("%s.pkts" % r, p)
            if p > 0:
                put("%s.us_pkt" % r, t / p)
                put("%s.user_us_pkt" % r, ut / p)
    for k in ("cl.pkts", "rly.pkts", "cl.tundrop", "rly.tundrop", "cl.u4rcv", "rly.u4rcv",
              "cl.u4snd", "rly.u4snd", "n6.u6rcv", "cl.u6rcv", "softnet.drop"):
        if k in delta:
            put("d." + k, delta[k])
    # busy = wall x CPUs - idle (exact); softirq: its sampled share of it
    mu, ms, msi, midle = (delta.get("cpu." + k, 0) for k in ("user", "sys", "si", "idle"))
    busy_us = max(0.0, wall * 1e6 * ncpu - midle * 1e6 / hz)
    si_us = busy_us * msi / (mu + ms + msi) if mu + ms + msi else 0.0
    if wall > 0:
        put("m_busy_pct", 100.0 * busy_us / (wall * 1e6 * ncpu))
        put("m_si_pct", 100.0 * si_us / (wall * 1e6 * ncpu))
        # time the hypervisor gave this machine's vCPUs to others
        put("m_steal_pct", 100.0 * delta.get("cpu.steal", 0) / hz / (wall * ncpu))
    # the machine's CPU per packet: per datagram delivered (UDP), per packet
    # through the relay's tunnel interface (TCP)
    pk = delivered if udp else delta.get("rly.pkts", 0)
    if pk > 0:
        # the path: the daemons, iperf3's two ends and ksoftirqd (the
        # softirq work they raise runs in them), without other users' load
        put("path_us_pkt", path_us / pk)
        put("ksoftirqd_us_pkt", delta.get("ksoftirqd.uticks", 0) * 1e6 / hz / pk +
            delta.get("ksoftirqd.sticks", 0) * 1e6 / hz / pk)
        put("m_us_pkt", busy_us / pk)
        put("m_si_us_pkt", si_us / pk)
        put("m_pkts", pk)
    for k, v in out.items():
        print("R[%s]=%s" % (shlex.quote(prefix + "." + k), shlex.quote(str(v))))


main()
