#!/usr/bin/env python3
"""tests/netns/udp_probe.py - plain-UDP probes of the lab's NATs.

  udp_probe.py reflect IP1 IP2 PORT1 PORT2
      Listen on IP1:PORT1, IP1:PORT2, IP2:PORT1, IP2:PORT2.  A probe
      "probe TAG fan" received on one of them is answered "same TAG SRC"
      from that socket, and, with "fan", "other-port TAG SRC" from the same
      IP on the other port and "other-ip TAG SRC" from the other IP on the
      same port (SRC: the probe's source as seen here, i.e. the mapping).
  udp_probe.py probe [--fan] [--wait S] [--bind PORT] DST...
      From one socket, send a probe to each DST (IP:PORT) - fan-out only
      for the first - and print JSON: {"local": port, "mapped": {DST: SRC},
      "received": [kind...]} listing the reply kinds that got through.
  udp_probe.py unsolicited [--wait S] SRC_IP DST
      Send from SRC_IP on a connected socket to DST and report whether an
      ICMP error came back: prints "refused" or "silent".
"""
import json
import socket
import sys
import time
import selectors


def ep(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def reflect(ip1, ip2, p1, p2):
    p1, p2 = int(p1), int(p2)
    socks = {}
    for ip in (ip1, ip2):
        for p in (p1, p2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, p))
            socks[(ip, p)] = s
    sel = selectors.DefaultSelector()
    for k, s in socks.items():
        sel.register(s, selectors.EVENT_READ, k)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            ip, p = key.data
            data, src = key.fileobj.recvfrom(2048)
            words = data.decode(errors="replace").split()
            if len(words) < 2 or words[0] != "probe":
                continue
            tag = words[1]
            seen = "%s:%d" % src
            key.fileobj.sendto(("same %s %s" % (tag, seen)).encode(), src)
            if "fan" in words[2:]:
                op = p2 if p == p1 else p1
                oi = ip2 if ip == ip1 else ip1
                time.sleep(0.02)
                socks[(ip, op)].sendto(("other-port %s %s" % (tag, seen)).encode(), src)
                socks[(oi, p)].sendto(("other-ip %s %s" % (tag, seen)).encode(), src)


def probe(args):
    fan, wait, dsts, bind = False, 1.0, [], 0
    i = 0
    while i < len(args):
        if args[i] == "--fan":
            fan = True
        elif args[i] == "--bind":
            i += 1
            bind = int(args[i])
        elif args[i] == "--wait":
            i += 1
            wait = float(args[i])
        else:
            dsts.append(args[i])
        i += 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", bind))
    s.settimeout(0.05)
    out = {"local": s.getsockname()[1], "mapped": {}, "received": []}
    tags = {}
    for n, d in enumerate(dsts):
        tag = "t%d" % n
        tags[tag] = d
        msg = "probe %s%s" % (tag, " fan" if fan and n == 0 else "")
        s.sendto(msg.encode(), ep(d))
        time.sleep(0.05)
    end = time.time() + wait
    while time.time() < end:
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        kind, tag, seen = data.decode().split()
        if kind == "same":
            out["mapped"][tags[tag]] = seen
        if tag == "t0" and kind not in out["received"]:
            out["received"].append(kind)
    out["received"].sort()
    print(json.dumps(out, sort_keys=True))


def unsolicited(args):
    wait = 1.0
    if args[0] == "--wait":
        wait = float(args[1])
        args = args[2:]
    src_ip, dst = args
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src_ip, 0))
    s.connect(ep(dst))
    s.settimeout(0.05)
    result = "silent"
    end = time.time() + wait
    n = 0
    while time.time() < end:
        try:
            if n < 3:
                s.send(b"unsolicited")
                n += 1
            s.recv(2048)
            result = "answered"
            break
        except ConnectionRefusedError:
            result = "refused"
            break
        except socket.timeout:
            continue
    print(result)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "reflect":
        reflect(*args)
    elif cmd == "probe":
        probe(args)
    elif cmd == "unsolicited":
        unsolicited(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
