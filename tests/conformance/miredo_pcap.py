#!/usr/bin/env python3
"""miredo_pcap.py BUILD_DIR [PCAP] - reading a real peer's traffic.

Runs BUILD_DIR/tests/conformance/miredo_pcap (lib/'s sw_wire_parse and
friends over every UDP payload) on shared/captures/miredo-sample.pcap,
traffic of Debian's Miredo 1.2.6, and compares with tshark's dissection:
every packet tshark decodes as Teredo must be accepted by us with the same
auth, origin and inner IPv6 header fields, and we must accept no more.
The ICMPv6 checksum verdict, echo and RA fields are compared as well.
Prints TAP.
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True      # keep __pycache__ out of the tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "pylib"))
from tapjson import (Tap, first, layer_after_udp,  # noqa: E402
                     layer_names, run_tshark)

# The repository is checked out with shared/ beside it.
CAPTURE = os.path.join(HERE, "..", "..", "..", "shared", "captures",
                       "miredo-sample.pcap")


def tshark_view(layers):
    """What tshark says about a frame's Teredo payload, or None when it
    did not decode one (no teredo or ipv6 layer after the outer udp)."""
    names = layer_names(layers)
    if "udp" not in names:
        return None
    after = names[names.index("udp") + 1:]
    if "teredo" not in after and "ipv6" not in after:
        return None
    teredo = layer_after_udp(layers, "teredo")
    ip6 = layer_after_udp(layers, "ipv6")
    icmp = layer_after_udp(layers, "icmpv6")

    def hexf(node, field):
        value = first(node, field)
        return None if value is None else value.replace(":", "").lower()

    t = {"has_auth": int(first(teredo, "teredo.auth.nonce") is not None),
         "has_origin": int(first(teredo, "teredo.orig.port") is not None),
         "udp_payload": int(first(dict(layers).get("udp"), "udp.length"))
         - 8}
    if t["has_auth"]:
        t.update(idlen=int(first(teredo, "teredo.auth.idlen")),
                 aulen=int(first(teredo, "teredo.auth.aulen")),
                 id=hexf(teredo, "teredo.auth.id") or "",
                 au=hexf(teredo, "teredo.auth.value") or "",
                 nonce=hexf(teredo, "teredo.auth.nonce"),
                 conf=hexf(teredo, "teredo.auth.conf"))
    if t["has_origin"]:
        t.update(orig_port=int(first(teredo, "teredo.orig.port")),
                 orig_addr=first(teredo, "teredo.orig.addr"))
    if ip6 is not None:
        t.update(src=first(ip6, "ipv6.src"), dst=first(ip6, "ipv6.dst"),
                 nxt=int(first(ip6, "ipv6.nxt")),
                 plen=int(first(ip6, "ipv6.plen")),
                 hlim=int(first(ip6, "ipv6.hlim")))
    if icmp is not None:
        t.update(icmp6_type=int(first(icmp, "icmpv6.type")),
                 icmp6_code=int(first(icmp, "icmpv6.code")),
                 icmp6_cksum=first(icmp, "icmpv6.checksum.status"),
                 echo_id=first(icmp, "icmpv6.echo.identifier"),
                 echo_seq=first(icmp, "icmpv6.echo.sequence_number"),
                 opt_types=icmp_opt_types(icmp),
                 ra_prefix=first(icmp, "icmpv6.opt.prefix"),
                 ra_prefix_len=first(icmp, "icmpv6.opt.prefix.length"),
                 ra_mtu=first(icmp, "icmpv6.opt.mtu"))
    return t


def icmp_opt_types(icmp):
    """Option types directly in this ICMPv6 message (not in quoted ones)."""
    return [first(value, "icmpv6.opt.type") for key, value in icmp
            if key == "icmpv6.opt"]


def compare(tap, desc, pairs, fields):
    """pairs: [(frame, ours, tshark's)]; one TAP line for all of them."""
    bad = []
    for num, ours, theirs in pairs:
        for f in fields:
            if ours.get(f) != theirs.get(f):
                bad.append("frame %d %s: ours %r, tshark %r"
                           % (num, f, ours.get(f), theirs.get(f)))
    tap.check(pairs and not bad, "%s on %d frames" % (desc, len(pairs)),
              bad or ["no frame to compare"])


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: miredo_pcap.py BUILD_DIR [PCAP]", file=sys.stderr)
        return 2
    tool = os.path.join(sys.argv[1], "tests", "conformance", "miredo_pcap")
    pcap = os.path.normpath(sys.argv[2] if len(sys.argv) == 3 else CAPTURE)
    tap = Tap()
    try:
        res = subprocess.run([tool, pcap], capture_output=True, text=True)
        tap.check(res.returncode == 0, "miredo_pcap reads " + pcap,
                  res.stderr.splitlines())
        ours = {}
        for line in res.stdout.splitlines():
            rec = json.loads(line)
            ours[rec["frame"]] = rec
        theirs = {}
        for num, layers in run_tshark(pcap).items():
            view = tshark_view(layers)
            if view is not None:
                theirs[num] = view
        both = sorted(set(ours) & set(theirs))
        accepted = sorted(n for n, r in ours.items() if r.get("accepted"))

        tap.check(theirs, "tshark decodes %d Teredo packets" % len(theirs),
                  ["none: is the teredo_udp heuristic there?"])
        tap.check(theirs and all(n in accepted for n in theirs),
                  "sw_wire_parse accepts every packet tshark decodes",
                  ["frame %d: %s" % (n, ours[n]["drop"] if n in ours else
                                     "not seen as IPv4/UDP by miredo_pcap")
                   for n in sorted(theirs) if n not in accepted])
        # tshark's heuristic takes a payload only if it ends with the IPv6
        # packet; RFC 6081 trailers (COM-IP6-2) are ours alone to accept.
        trl = [n for n in accepted if n not in theirs
               and ours[n]["trailers_len"] > 0]
        counted = [n for n in accepted if n not in trl]
        tap.check(len(counted) == len(theirs),
                  "sw_wire_parse accepts %d, tshark decodes %d"
                  % (len(counted), len(theirs)),
                  ["frame %d accepted by us only" % n
                   for n in counted if n not in theirs] +
                  ["frame %s: %s" % (n, r) for n, r in sorted(ours.items())
                   if "skip" in r or "ip6_parse" in r],
                  ["not counted: frame %d, RFC 6081 trailers, which "
                   "tshark's heuristic refuses" % n for n in trl])

        ok = [(n, ours[n], theirs[n]) for n in both
              if ours[n].get("accepted")]
        compare(tap, "auth header present/absent alike", ok, ["has_auth"])
        compare(tap, "auth fields agree (idlen, aulen, id, value, nonce, "
                "conf)", [p for p in ok if p[2]["has_auth"]],
                ["idlen", "aulen", "id", "au", "nonce", "conf"])
        compare(tap, "origin indication present/absent alike", ok,
                ["has_origin"])
        compare(tap, "origin fields agree (port, addr)",
                [p for p in ok if p[2]["has_origin"]],
                ["orig_port", "orig_addr"])
        compare(tap, "inner IPv6 header agrees (src, dst, nxt, plen, hlim)",
                ok, ["src", "dst", "nxt", "plen", "hlim"])
        # The split adds up: headers + 40 + PL + trailers = UDP payload.
        split = [(n, dict(o, udp_payload=(13 + o["idlen"] + o["aulen"]
                                          if o["has_auth"] else 0)
                          + 8 * o["has_origin"] + 40 + o["plen"]
                          + o["trailers_len"]), t) for n, o, t in ok]
        compare(tap, "auth + origin + 40 + PL + trailers = UDP payload",
                split, ["udp_payload"])

        icmp = [(n, dict(o, icmp6_cksum=str(o.get("icmp6_cksum_ok"))), t)
                for n, o, t in ok if t.get("icmp6_cksum") in ("0", "1")
                and t.get("nxt") == 58]
        compare(tap, "ICMPv6 type and checksum verdict agree "
                "(sw_icmp6_checksum_ok)", icmp, ["icmp6_type", "icmp6_cksum"])
        echo = [(n, dict(o, echo_seq=str(o.get("echo_seq"))),
                 dict(t, echo_ok=1))
                for n, o, t in icmp if t["icmp6_type"] in (128, 129)
                and t["icmp6_cksum"] == "1" and t["icmp6_code"] == 0]
        compare(tap, "sw_wire_parse_echo accepts, id and seq agree", echo,
                ["echo_ok", "echo_id", "echo_seq"])
        ra = [(n, dict(o, ra_prefix_len=str(o.get("ra_prefix_len")),
                       ra_mtu=str(o.get("ra_mtu"))), dict(t, ra_ok=1))
              for n, o, t in icmp if t["icmp6_type"] == 134
              and t["icmp6_cksum"] == "1"]
        compare(tap, "sw_wire_parse_ra accepts, prefix and MTU agree "
                "(CLI-RA-1)", ra, ["ra_ok", "ra_prefix", "ra_prefix_len",
                                   "ra_mtu"])
        compare(tap, "one PIO per RA, as tshark counts (CLI-RA-1 item 4)",
                [(n, dict(o, pio=o.get("ra_prefix_count")),
                  dict(t, pio=t["opt_types"].count("3"))) for n, o, t in ra],
                ["pio"])
    except Exception as e:     # report, do not hide, a driver failure
        tap.check(False, "driver ran to the end",
                  ["%s: %s" % (type(e).__name__, e)])
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
