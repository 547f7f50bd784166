#!/usr/bin/env python3
"""nd_probe.py - ICMPv6 a router (or an attacker) would send, for the
tunnel-RA tests (issue 10 item 12: tests/netns/test_firewall.sh,
tests/attacks/test_tun_ra.sh).

  nd_probe.py send KIND IFNAME DST     over a raw ICMPv6 socket on IFNAME
                                       (hop limit 255, the kernel's source)
  nd_probe.py tun PID KIND SRC DST     written whole into the TUN device
                                       that process PID holds (what a
                                       compromised engine could write):
                                       pidfd_getfd(2), needs root
  nd_probe.py udp-refused DST PORT MS  "refused" when a port unreachable
                                       for our datagram gets back (a related
                                       ICMPv6 error), else "timeout"

KIND: ra (router lifetime 1800 s, prefix 2001:db8:bad::/64 on-link and
autonomous: RFC 4861 4.2, 4.6.2), redirect (RFC 4861 4.5: target
fe80::bad, destination 2001:db8:bad::1), unreach (destination
unreachable, port, quoting a UDP datagram the host never sent).
Prints "sent" (or the udp-refused answer).
"""
import ctypes
import os
import socket
import struct
import sys

PREFIX = socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")


def body(kind, src=None, dst=None):
    """The ICMPv6 message, checksum 0 (the kernel's, or csum())."""
    if kind == "ra":
        # hop limit 64, flags 0, lifetime 1800, reachable 0, retrans 0
        ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
        # prefix information: /64, L and A, valid/preferred 1 day
        pi = struct.pack("!BBBBII4x", 3, 4, 64, 0xC0, 86400, 86400) + PREFIX
        return ra + pi
    if kind == "redirect":
        target = socket.inet_pton(socket.AF_INET6, "fe80::bad")
        dest = socket.inet_pton(socket.AF_INET6, "2001:db8:bad::1")
        return struct.pack("!BBH4x", 137, 0, 0) + target + dest
    if kind == "unreach":
        s = src or socket.inet_pton(socket.AF_INET6, "2001:db8:bad::1")
        d = dst or socket.inet_pton(socket.AF_INET6, "2001:db8:bad::2")
        udp = struct.pack("!HHHH", 40000, 40001, 12, 0) + b"ping"
        inner = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + d + s + udp
        return struct.pack("!BBH4x", 1, 4, 0) + inner
    sys.exit("unknown kind " + kind)


def csum(src, dst, msg):
    data = src + dst + struct.pack("!IxxxB", len(msg), 58) + msg
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def send(kind, ifname, dst):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    idx = socket.if_nametoindex(ifname)
    s.sendto(body(kind), (dst, 0, 0, idx))
    print("sent")


def tun_fd(pid):
    """A copy of the /dev/net/tun descriptor of process pid."""
    libc = ctypes.CDLL(None, use_errno=True)
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, name)) != "/dev/net/tun":
                continue
        except OSError:
            continue
        pidfd = os.pidfd_open(pid)
        fd = libc.syscall(438, pidfd, int(name), 0)  # pidfd_getfd
        os.close(pidfd)
        if fd < 0:
            sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
        return fd
    sys.exit("no tun descriptor in process %d" % pid)


def tun(pid, kind, src, dst):
    s6 = socket.inet_pton(socket.AF_INET6, src)
    d6 = socket.inet_pton(socket.AF_INET6, dst)
    msg = bytearray(body(kind))
    struct.pack_into("!H", msg, 2, csum(s6, d6, bytes(msg)))
    ip6 = struct.pack("!IHBB", 6 << 28, len(msg), 58, 255) + s6 + d6
    fd = tun_fd(pid)
    os.write(fd, ip6 + bytes(msg))
    os.close(fd)
    print("sent")


def udp_refused(dst, port, ms):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(ms / 1000.0)
    s.connect((dst, port))
    s.send(b"ping")
    try:
        s.recv(64)
        print("reply")
    except ConnectionRefusedError:
        print("refused")
    except OSError:
        print("timeout")


def main(a):
    if len(a) == 4 and a[0] == "send":
        send(a[1], a[2], a[3])
    elif len(a) == 5 and a[0] == "tun":
        tun(int(a[1]), a[2], a[3], a[4])
    elif len(a) == 4 and a[0] == "udp-refused":
        udp_refused(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
