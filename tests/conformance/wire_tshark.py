#!/usr/bin/env python3
"""wire_tshark.py BUILD_DIR - our wire format against a real decoder.

Runs BUILD_DIR/tests/conformance/wire_tshark, which builds one packet of
each Teredo kind with lib/ and writes a pcap plus the fields expected in
each frame, then has tshark (Wireshark 4.0, heuristic teredo_udp) dissect
the pcap and compares field by field.  Independently of lib/, the
HMAC-SHA1 authentication values are recomputed here (CLI-SQ-4) and the
RFC 6081 trailers are checked byte by byte (COM-TRL-4/6).  Prints TAP.
"""
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True      # keep __pycache__ out of the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
from tapjson import (Tap, expert_problems, find_all,  # noqa: E402
                     first, layer_after_udp, layer_names, run_tshark)

CHECKSUMS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
TRAILER_NOTE = ("tshark's teredo_udp heuristic wants the UDP payload to end "
                "with the IPv6 packet, so it skips RFC 6081 trailers")


# Field name prefix -> (group title, layer that holds it).
GROUPS = [("teredo", "Teredo headers", "teredo"),
          ("ipv6", "IPv6 header", "ipv6"),
          ("icmpv6", "ICMPv6", "icmpv6"),
          ("data", "ICMPv6", "icmpv6")]


def group_of(field):
    for prefix, title, layer in GROUPS:
        if field.startswith(prefix + "."):
            return title, layer
    raise ValueError("no group for " + field)


def check_fields(tap, tag, layers, exp):
    """One TAP line per group: every expected field, every absent one."""
    per_group = {}
    for field, want in exp["fields"].items():
        per_group.setdefault(group_of(field), []).append((field, want))
    for field in filter(None, exp["absent"].split(",")):
        per_group.setdefault(group_of(field), []).append((field, None))
    order = [(title, layer) for _, title, layer in GROUPS]
    for title, layer in sorted(per_group, key=order.index):
        items = per_group[(title, layer)]
        node = layer_after_udp(layers, layer)
        bad = []
        for field, want in items:
            got = find_all(node, field) if node is not None else []
            if want is None:
                if got:
                    bad.append("%s %s: must be absent, tshark says %s"
                               % (tag, field, ",".join(got)))
            elif ",".join(got) != want:
                bad.append("%s %s: expected %r, tshark says %r"
                           % (tag, field, want,
                              ",".join(got) if got else "(absent)"))
        absent = sum(1 for _, want in items if want is None)
        tap.check(not bad, "%s: %s, %d fields + %d absent"
                  % (tag, title, len(items) - absent, absent), bad)


def payload_bytes(layers):
    udp = dict(layers).get("udp")
    return bytes.fromhex(first(udp, "udp.payload", "").replace(":", ""))


def check_framing(tap, tag, layers, exp):
    """Auth/origin/IPv6 lengths add up; what follows is exactly the
    expected RFC 6081 trailers (COM-IP6-2, COM-TRL-4/6)."""
    pl = payload_bytes(layers)
    teredo = layer_after_udp(layers, "teredo")
    off = 0
    if first(teredo, "teredo.auth.idlen") is not None:
        off += 13 + int(first(teredo, "teredo.auth.idlen")) \
            + int(first(teredo, "teredo.auth.aulen"))
    if first(teredo, "teredo.orig.port") is not None:
        off += 8
    end = off + 40 + int(first(layer_after_udp(layers, "ipv6"), "ipv6.plen"))
    want = b""
    if exp["trl_nonce"]:
        want = (bytes([0x01, 4]) + bytes.fromhex(exp["trl_nonce"].replace(
            ":", "")) + bytes([0x04, 4, exp["trl_nd"], 0, 0, 0]))
    bad = []
    if len(pl) < end or pl[off] >> 4 != 6:
        bad.append("%s: no IPv6 packet at offset %d of %d payload bytes"
                   % (tag, off, len(pl)))
    elif pl[end:] != want:
        bad.append("%s: after the IPv6 packet: expected %s, got %s"
                   % (tag, want.hex(":") or "nothing",
                      pl[end:].hex(":") or "nothing"))
    what = "RFC 6081 nonce + ND trailers" if want else "no trailing bytes"
    tap.check(not bad, "%s: payload framing, %s" % (tag, what), bad)


def check_hmac(tap, tag, layers, key):
    """CLI-SQ-4: HMAC-SHA1(key, nonce | conf | origin | IPv6 packet)."""
    pl = payload_bytes(layers)
    bad = []
    idlen, aulen = pl[2], pl[3]
    value = pl[4 + idlen:4 + idlen + aulen]
    rest = 4 + idlen + aulen
    nonce, conf = pl[rest:rest + 8], pl[rest + 8:rest + 9]
    body = pl[rest + 9:]
    ip_off = 8 if body[:2] == b"\0\0" else 0
    body = body[:ip_off + 40 + int.from_bytes(body[ip_off + 4:ip_off + 6],
                                              "big")]
    mac = hmac.new(key, nonce + conf + body, hashlib.sha1).digest()
    if aulen != 20:
        bad.append("%s: AU-len %d, not 20" % (tag, aulen))
    elif not hmac.compare_digest(mac, value):
        bad.append("%s: authentication value %s, HMAC-SHA1 is %s"
                   % (tag, value.hex(), mac.hex()))
    tap.check(not bad, "%s: HMAC-SHA1 over nonce|conf|origin|IPv6 "
              "(CLI-SQ-4)" % tag, bad)


def check_frame(tap, exp, layers, key, how, notes=()):
    tag = "frame %d (%s)" % (exp["frame"], exp["desc"])
    names = layer_names(layers)
    bad = []
    if names != exp["layers"].split(","):
        bad.append("%s: layers %s, expected %s"
                   % (tag, ",".join(names), exp["layers"]))
    for field in ("ip.checksum.status", "udp.checksum.status"):
        got = find_all(layers, field)
        if got != ["1"]:
            bad.append("%s: %s is %s (our framing, not lib/)"
                       % (tag, field, got))
    bad += ["%s: %s" % (tag, p) for p in expert_problems(layers)]
    tap.check(not bad, "%s: decoded by %s, nothing malformed" % (tag, how),
              bad, notes)
    if "teredo" not in names or "ipv6" not in names:
        return      # field checks would only repeat the failure above
    check_fields(tap, tag, layers, exp)
    check_framing(tap, tag, layers, exp)
    if exp["hmac"]:
        check_hmac(tap, tag, layers, key)


def main():
    tap = Tap()
    if len(sys.argv) != 2:
        print("usage: wire_tshark.py BUILD_DIR", file=sys.stderr)
        return 2
    tool = os.path.join(sys.argv[1], "tests", "conformance", "wire_tshark")
    tmp = tempfile.mkdtemp(prefix="sw-wire-tshark-")
    try:
        pcap = os.path.join(tmp, "wire.pcap")
        expf = os.path.join(tmp, "wire.json")
        res = subprocess.run([tool, pcap, expf], capture_output=True,
                             text=True)
        tap.check(res.returncode == 0, "wire_tshark builds every packet",
                  res.stderr.splitlines())
        if res.returncode != 0:
            return tap.finish()
        with open(expf) as f:
            spec = json.load(f)
        key = bytes.fromhex(spec["hmac_key"].replace(":", ""))
        heur = run_tshark(pcap, CHECKSUMS)
        ports = sorted({e["decode_as"] for e in spec["frames"]
                        if e["decode_as"]})
        forced = run_tshark(pcap, CHECKSUMS + [
            arg for p in ports for arg in ("-d", "udp.port==%d,teredo" % p)])
        tap.check(len(heur) == len(spec["frames"]),
                  "tshark reads %d frames" % len(spec["frames"]),
                  ["tshark read %d" % len(heur)])
        for exp in spec["frames"]:
            try:
                if exp["decode_as"]:
                    check_frame(tap, exp, forced.get(exp["frame"], []), key,
                                "decode-as udp.port==%d" % exp["decode_as"],
                                [TRAILER_NOTE])
                else:
                    layers = heur.get(exp["frame"], [])
                    on_3544 = "3544" in find_all(layers, "udp.port")
                    check_frame(tap, exp, layers, key, "UDP port 3544"
                                if on_3544 else "the teredo_udp heuristic")
            except (IndexError, KeyError, TypeError, ValueError) as e:
                tap.check(False, "frame %d: checks ran" % exp["frame"],
                          ["%s: %s" % (type(e).__name__, e)])
    except Exception as e:     # report, do not hide, a driver failure
        tap.check(False, "driver ran to the end", ["%s: %s" % (type(e)
                                                   .__name__, e)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
