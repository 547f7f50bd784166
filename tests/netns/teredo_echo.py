#!/usr/bin/env python3
"""tests/netns/teredo_echo.py - a minimal Teredo "client" for
test_server_echo.sh: the direct IPv6 connectivity test (CLI-PING-*) done by
hand, through a Teredo server, from one UDP socket.

  teredo_echo.py [--server IP] [--bind PORT] [--wait S] DST MODE

1. Send a router solicitation (from fe80::ffff:ffff:ffff, C = 0) to
   SERVER:3544 and learn the NAT mapping from the origin indication of the
   router advertisement (SRV-RA-1).
2. Form the Teredo address: 2001:0:<SERVER>:0:<~port>:<~IPv4> (flags 0,
   RFC 4380 section 4 obfuscation).
3. By MODE, send one IPv6 packet to SERVER:3544, from the same socket:
     echo   an ICMPv6 Echo Request from the Teredo address to DST, a random
            identifier and an 8-byte random payload;
     spoof  the same from a Teredo address whose mapped port is not ours
            (the server must not accept it: SRV-RX-5/7);
     udp    an IPv6 UDP datagram from the Teredo address to DST port 9
            (not relayable: SRV-RX-2).
4. Wait up to S seconds (default 3) for datagrams from SERVER:3544.

Prints one JSON object: mapped, teredo (our address), src (the IPv6 source
sent), payload (hex), received (datagrams from the server after the RA),
reply: "ok" when an Echo Reply from DST to the Teredo address with our
identifier, sequence number and payload and a valid checksum came back
(echo mode), "none" when nothing came, else a reason.  Exit status 0 when
the RA came, 1 otherwise.
"""
import argparse
import ipaddress
import json
import os
import socket
import struct
import sys
import time

TEREDO_PORT = 3544
CLIENT_LL = ipaddress.IPv6Address("fe80::ffff:ffff:ffff").packed
ALL_ROUTERS = ipaddress.IPv6Address("ff02::2").packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def upper_csum(src, dst, nh, payload):
    """The checksum field for an ICMPv6/UDP payload (RFC 8200 8.1)."""
    pseudo = src + dst + struct.pack("!I3xB", len(payload), nh)
    c = (~csum(pseudo + payload)) & 0xFFFF
    return c if c != 0 or nh != 17 else 0xFFFF


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + src + \
        dst + payload


def icmp6(src, dst, typ, code, body):
    msg = struct.pack("!BBH", typ, code, 0) + body
    c = upper_csum(src, dst, 58, msg)
    return ip6(src, dst, 58, msg[:2] + struct.pack("!H", c) + msg[4:],
               hlim=255 if typ == 133 else 64)


def udp6(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = upper_csum(src, dst, 17, seg)
    return ip6(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:])


def teredo_addr(server, ip, port, flags=0):
    return (b"\x20\x01\x00\x00" + ipaddress.IPv4Address(server).packed +
            struct.pack("!HH", flags, port ^ 0xFFFF) +
            bytes(b ^ 0xFF for b in ipaddress.IPv4Address(ip).packed))


def strip_teredo(data):
    """The IPv6 packet of a Teredo datagram and its origin indication
    (ip, port) or None (RFC 4380 5.1.1: auth, then origin)."""
    origin = None
    if len(data) >= 2 and data[:2] == b"\x00\x01":
        if len(data) < 13:
            return None, None
        idlen, aulen = data[2], data[3]
        data = data[4 + idlen + aulen + 9:]
    if len(data) >= 8 and data[:2] == b"\x00\x00":
        port = struct.unpack("!H", data[2:4])[0] ^ 0xFFFF
        ip = ipaddress.IPv4Address(bytes(b ^ 0xFF for b in data[4:8]))
        origin = (str(ip), port)
        data = data[8:]
    return data, origin


def check_reply(pkt, src, dst, ident, seq, payload):
    """Why pkt is not the echo reply we wait for, or "ok"."""
    if len(pkt) < 48 or pkt[0] >> 4 != 6:
        return "not IPv6"
    plen, nh = struct.unpack("!HB", pkt[4:7])
    if nh != 58 or len(pkt) != 40 + plen:
        return "not ICMPv6 (next header %d, %d bytes)" % (nh, len(pkt))
    s, d, msg = pkt[8:24], pkt[24:40], pkt[40:]
    if s != src or d != dst:
        return "wrong addresses %s -> %s" % (ipaddress.IPv6Address(s),
                                             ipaddress.IPv6Address(d))
    typ, code = msg[0], msg[1]
    if typ != 129 or code != 0:
        return "ICMPv6 type %d code %d" % (typ, code)
    if csum(s + d + struct.pack("!I3xB", len(msg), 58) + msg) != 0xFFFF:
        return "bad checksum"
    i, q = struct.unpack("!HH", msg[4:8])
    if (i, q) != (ident, seq) or msg[8:] != payload:
        return "wrong identifier, sequence or payload"
    return "ok"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="192.0.2.10")
    ap.add_argument("--bind", type=int, default=0)
    ap.add_argument("--wait", type=float, default=3.0)
    ap.add_argument("dst")
    ap.add_argument("mode", choices=("echo", "spoof", "udp"))
    a = ap.parse_args()
    server = (a.server, TEREDO_PORT)
    dst = ipaddress.IPv6Address(a.dst).packed

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.bind))
    out = {"local": s.getsockname()[1]}

    # 1. RS -> RA: the mapping
    rs = icmp6(CLIENT_LL, ALL_ROUTERS, 133, 0, bytes(4))
    mapped = None
    for _ in range(3):
        s.sendto(rs, server)
        s.settimeout(1.0)
        try:
            while mapped is None:
                data, frm = s.recvfrom(65535)
                if frm != server:
                    continue
                pkt, origin = strip_teredo(data)
                if pkt and len(pkt) > 40 and pkt[6] == 58 and \
                        pkt[40] == 134 and origin:
                    mapped = origin
        except socket.timeout:
            pass
        if mapped:
            break
    if mapped is None:
        out["error"] = "no router advertisement"
        print(json.dumps(out, sort_keys=True))
        return 1
    out["mapped"] = "%s:%d" % mapped
    me = teredo_addr(a.server, mapped[0], mapped[1])
    out["teredo"] = str(ipaddress.IPv6Address(me))

    # 2./3. the packet
    payload = os.urandom(8)
    ident = struct.unpack("!H", os.urandom(2))[0]
    seq = 1
    src = me
    if a.mode == "spoof":
        src = teredo_addr(a.server, mapped[0], mapped[1] ^ 1)
    if a.mode == "udp":
        pkt = udp6(src, dst, 40000, 9, payload)
    else:
        pkt = icmp6(src, dst, 128, 0,
                    struct.pack("!HH", ident, seq) + payload)
    out["src"] = str(ipaddress.IPv6Address(src))
    out["payload"] = payload.hex()
    s.sendto(pkt, server)

    # 4. what comes back
    out["received"] = 0
    out["reply"] = "none"
    end = time.monotonic() + a.wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, frm = s.recvfrom(65535)
        except socket.timeout:
            break
        if frm != server:
            continue
        out["received"] += 1
        got, _ = strip_teredo(data)
        if got is None:
            continue
        why = check_reply(got, dst, me, ident, seq, payload)
        if why == "ok" or out["reply"] == "none":
            out["reply"] = why
        if why == "ok" and a.mode == "echo":
            break
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
