#!/usr/bin/env python3
"""tcp_blob.py - a plain TCP file transfer for the namespace lab.

  tcp_blob.py serve PORT FILE [--count N]
      listen on [::]:PORT; send FILE to each of N connections (default
      1), then close it and exit.
  tcp_blob.py fetch ADDR PORT [--timeout S]
      connect to [ADDR]:PORT, read to end of file; print "BYTES SHA256".
      Exit 1 on a timeout or a connection error (message on stderr).
"""
import argparse
import hashlib
import socket
import sys


def serve(port, path, count):
    with open(path, "rb") as f:
        data = f.read()
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(4)
    for _ in range(count):
        c, _ = s.accept()
        with c:
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            try:
                c.settimeout(5)
                c.recv(1)       # until the fetcher closes
            except OSError:
                pass
    s.close()


def fetch(addr, port, timeout):
    h = hashlib.sha256()
    n = 0
    try:
        with socket.create_connection((addr, port), timeout=timeout) as c:
            c.settimeout(timeout)
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
    except OSError as e:
        print("fetch: %s after %d bytes" % (e, n), file=sys.stderr)
        return 1
    print(n, h.hexdigest())
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("port", type=int)
    s.add_argument("file")
    s.add_argument("--count", type=int, default=1)
    f = sub.add_parser("fetch")
    f.add_argument("addr")
    f.add_argument("port", type=int)
    f.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    if a.cmd == "serve":
        serve(a.port, a.file, a.count)
        return 0
    return fetch(a.addr, a.port, a.timeout)


if __name__ == "__main__":
    sys.exit(main())
