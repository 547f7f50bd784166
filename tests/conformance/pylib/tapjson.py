"""Helpers shared by the conformance drivers: TAP output and tshark's JSON.

tshark -T json repeats keys inside one object (two "icmpv6.opt" subtrees,
"ipv6.addr" twice...), so the JSON is loaded as lists of (key, value)
pairs, never as dicts, and fields are looked up with find_all().
"""
import json
import subprocess

PI_WARN = 0x00600000        # _ws.expert.severity of a warning


class Tap:
    def __init__(self):
        self.results = []

    def check(self, ok, desc, details=(), notes=()):
        """details are printed on failure only, notes always."""
        self.results.append((bool(ok), desc, list(details), list(notes)))

    def finish(self, max_details=40):
        print("1..%d" % len(self.results))
        for i, (ok, desc, details, notes) in enumerate(self.results, 1):
            print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
            shown = notes + ([] if ok else details[:max_details])
            if not ok and len(details) > max_details:
                shown.append("... %d more" % (len(details) - max_details))
            for d in shown:
                print("# " + d)
        return 0 if self.results and all(r[0] for r in self.results) else 1


def find_all(node, name):
    """Every value of field `name` under node, depth first."""
    out = []
    if isinstance(node, list):
        for key, value in node:
            if key == name:
                out.append(value if isinstance(value, str) else "<tree>")
            out.extend(find_all(value, name))
    return out


def subtree(node, name):
    """The value (a tree or a string) of the first key name, depth first."""
    if isinstance(node, list):
        for key, value in node:
            if key == name:
                return value
            found = subtree(value, name)
            if found is not None:
                return found
    return None


def first(node, name, default=None):
    values = find_all(node, name)
    return values[0] if values else default


def layer_names(layers):
    return [key for key, _ in layers if key != "frame"]


def layer_after_udp(layers, name):
    """The first top-level layer called name after the (outer) udp one."""
    seen_udp = False
    for key, value in layers:
        if key == "udp":
            seen_udp = True
        elif seen_udp and key == name:
            return value
    return None


def expert_problems(node, path=""):
    """Malformed markers, and expert items of severity warning or worse."""
    out = []
    if isinstance(node, list):
        for key, value in node:
            where = path + "/" + key
            if key.startswith("_ws.malformed"):
                out.append("%s present" % where)
            if key == "_ws.expert.severity" and int(value, 0) >= PI_WARN:
                out.append("%s %s: %s" % (where, value, find_all(
                    node, "_ws.expert.message")))
            out.extend(expert_problems(value, where))
    return out


def run_tshark(pcap, extra=()):
    """{frame number: layers} for every frame of pcap."""
    cmd = ["tshark", "-n", "--enable-heuristic", "teredo_udp"]
    cmd += list(extra) + ["-T", "json", "-r", pcap]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd),
                           res.returncode, res.stderr.strip()))
    frames = {}
    for pkt in json.loads(res.stdout, object_pairs_hook=lambda kv: kv):
        layers = subtree(pkt, "layers")
        frames[int(first(layers, "frame.number"))] = layers
    return frames
