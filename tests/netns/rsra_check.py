#!/usr/bin/env python3
"""tests/netns/rsra_check.py CAPTURE SERVER_IP... - summarise, as JSON, the
Teredo router solicitations and advertisements in CAPTURE as decoded by
tshark (--enable-heuristic teredo_udp), for test_wire_capture.sh.

Every list in the output names frames that break a rule; the rules:
  rs_no_nonce       an RS without an authentication header and 8-byte nonce
  ra_no_nonce       an RA without them
  ra_no_origin      an RA without an origin indication
  ra_nonce_unknown  an RA whose nonce is not that of an earlier RS from the
                    endpoint it is sent to
  ra_origin_wrong   an RA whose origin indication is not its UDP destination
  rs_bad_dst        an RS not sent to SERVER_IP:3544 (IPv6 to ff02::2, from
                    a link-local source, hop limit 255)
  ra_bad_src        an RA not sent from SERVER_IP:3544 (IPv6 from a
                    link-local source, hop limit 255)
  ra_bad_prefix     an RA whose prefix is not 2001:0:<its server>::/64
"""
import ipaddress
import json
import subprocess
import sys

FIELDS = [
    "frame.number", "ip.src", "udp.srcport", "ip.dst", "udp.dstport",
    "icmpv6.type", "teredo.auth.idlen", "teredo.auth.aulen",
    "teredo.auth.nonce", "teredo.orig.addr", "teredo.orig.port",
    "ipv6.src", "ipv6.dst", "ipv6.hlim", "icmpv6.opt.prefix",
    "icmpv6.opt.prefix.length",
]


def main():
    cap, servers = sys.argv[1], set(sys.argv[2:])
    cmd = ["tshark", "-r", cap, "--enable-heuristic", "teredo_udp",
           "-Y", "icmpv6.type == 133 || icmpv6.type == 134",
           "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {k: [] for k in ("rs_no_nonce", "ra_no_nonce", "ra_no_origin",
                           "ra_nonce_unknown", "ra_origin_wrong",
                           "rs_bad_dst", "ra_bad_src", "ra_bad_prefix")}
    res.update(rs=0, ra=0, clients={})
    nonces = {}  # client endpoint -> set of RS nonces
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        fr = int(v["frame.number"])
        ll = v["ipv6.src"].startswith("fe80:")
        if v["icmpv6.type"] == "133":
            res["rs"] += 1
            client = "%s:%s" % (v["ip.src"], v["udp.srcport"])
            c = res["clients"].setdefault(client, {"rs": 0, "ra": 0})
            c["rs"] += 1
            nonce = v["teredo.auth.nonce"]
            if v["teredo.auth.idlen"] == "" or len(nonce) != 16:
                res["rs_no_nonce"].append(fr)
            nonces.setdefault(client, set()).add(nonce)
            if (v["ip.dst"] not in servers or v["udp.dstport"] != "3544"
                    or v["ipv6.dst"] != "ff02::2" or not ll
                    or v["ipv6.hlim"] != "255"):
                res["rs_bad_dst"].append(fr)
        else:
            res["ra"] += 1
            client = "%s:%s" % (v["ip.dst"], v["udp.dstport"])
            c = res["clients"].setdefault(client, {"rs": 0, "ra": 0})
            c["ra"] += 1
            nonce = v["teredo.auth.nonce"]
            if v["teredo.auth.idlen"] == "" or len(nonce) != 16:
                res["ra_no_nonce"].append(fr)
            elif nonce not in nonces.get(client, ()):
                res["ra_nonce_unknown"].append(fr)
            if v["teredo.orig.addr"] == "" or v["teredo.orig.port"] == "":
                res["ra_no_origin"].append(fr)
            elif "%s:%s" % (v["teredo.orig.addr"], v["teredo.orig.port"]) != client:
                res["ra_origin_wrong"].append(fr)
            if (v["ip.src"] not in servers or v["udp.srcport"] != "3544"
                    or not ll or v["ipv6.hlim"] != "255"):
                res["ra_bad_src"].append(fr)
            # the prefix is 2001:0:<primary server>::/64; RAs from the
            # secondary address carry the primary's
            try:
                p = ipaddress.IPv6Address(v["icmpv6.opt.prefix"]).packed
                good = (p[:4] == b"\x20\x01\x00\x00" and p[8:] == bytes(8)
                        and str(ipaddress.IPv4Address(p[4:8])) in servers
                        and v["icmpv6.opt.prefix.length"] == "64")
            except ValueError:
                good = False
            if not good:
                res["ra_bad_prefix"].append(fr)
    print(json.dumps(res, sort_keys=True))


if __name__ == "__main__":
    main()
