#!/usr/bin/env python3
"""tests/attacks/connflood.py PATH UID SECONDS [HOLD] - a local connect
flood against a daemon's stream socket (issue 10 item 17: the edge socket's
connection slots): as uid UID (and its gid), connect to the Unix socket PATH
as fast as it can for SECONDS, never sending a byte; keep the last HOLD
connections open (default 64), close the older ones.  Prints JSON:
connects made, refused (backlog full), seconds."""
import collections, errno, json, os, socket, sys, time

path, uid, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
hold = int(sys.argv[4]) if len(sys.argv) > 4 else 64
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
held = collections.deque()
made = refused = 0
start = time.monotonic()
end = start + secs
while time.monotonic() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        if e.errno in (errno.EAGAIN, errno.ECONNREFUSED):
            refused += 1
            continue
        raise
    made += 1
    held.append(s)
    if len(held) > hold:
        held.popleft().close()
print(json.dumps({"connects": made, "refused": refused,
                  "seconds": round(time.monotonic() - start, 3)}))
