#!/usr/bin/env python3
# posthorn-pop3d over a 10,000-message Maildir (written directly, half in
# new/, half in cur/ with flags): LIST sizes and UIDLs correct for every
# message, order by delivery time, a few long names that need the hashed
# UIDL form, the peak RSS of the session bounded, and DELE of everything
# committed by QUIT.
import os
import poplib
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, SANITIZER
from pop3d import Instance, ROOT, NOBODY, wire_size

N = 10000
inst = Instance(users=[("big", "big-pw")])
md = inst.maildir("big")

t0 = time.time()
expect = []          # (name, unique part, wire size) in delivery order
for i in range(N):
    host = "host" if i % 1000 != 7 else "a-very-long-host-name." + "x" * 60 + ".example"
    uniq = "%d.M%dP%dQ%d.%s,S=%d" % (1600000000 + i * 7, i, 4000 + i % 97, i, host, i)
    kind = i % 4
    if kind == 0:
        body = b"Subject: m%d\n\nbody %d\n.dot\n" % (i, i)
    elif kind == 1:
        body = b"Subject: m%d\r\n\r\ncrlf body\r\n" % i
    elif kind == 2:
        body = b"Subject: m%d\n\nno final newline %d" % (i, i)
    else:
        body = b"Subject: m%d\n\n" % i + b"line\n" * (i % 50)
    if i % 2:
        name, sub = uniq + ":2,S", "cur"
    else:
        name, sub = uniq, "new"
    path = os.path.join(md, sub, name)
    with open(path, "wb") as f:
        f.write(body)
    inst.own(path)
    expect.append((name, uniq, wire_size(body)))
note("wrote %d messages in %.1fs" % (N, time.time() - t0))

env = {"POP3D_CLEARTEXT": "1"}
port = inst.start(env=env)


def pop3d_pids(session):
    """posthorn-pop3d processes of this test: the login halves (tcpserver's
    children), or the sessions they handed over to (-L)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"posthorn-pop3d") and inst.conf.encode() in argv and \
                (b"-L" in argv) == session:
            pids.append(int(d))
    return pids


def vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


t0 = time.time()
p = poplib.POP3("127.0.0.1", port, timeout=60)
p.user("big@example.org")
p.pass_("big-pw")
count, total = p.stat()
is_(count, N, "STAT: 10,000 messages")
is_(total, sum(e[2] for e in expect), "STAT: total of the wire sizes")
resp, lines, _ = p.list()
got = [l.decode() for l in lines]
want = ["%d %d" % (i + 1, e[2]) for i, e in enumerate(expect)]
bad = [(g, w) for g, w in zip(got, want) if g != w]
ok(len(got) == N and not bad, "LIST: 10,000 sizes, in delivery order", bad[:5])
resp, lines, _ = p.uidl()
uids = [l.decode().split(" ", 1)[1] for l in lines]
want_short = [(i, e[1]) for i, e in enumerate(expect) if len(e[1]) <= 70]
bad = [(i, uids[i], u) for i, u in want_short if uids[i] != u]
ok(len(uids) == N and not bad, "UIDL: the unique part of the name for every message", bad[:5])
ok(all(re.fullmatch(r"[\x21-\x7e]{1,70}", u) for u in uids), "UIDL: 1-70 printable characters each (RFC 1939)")
is_(len(set(uids)), N, "UIDL: all different")
longs = [uids[i] for i, e in enumerate(expect) if len(e[1]) > 70]
ok(len(longs) == 10 and all(re.fullmatch(r"H[0-9a-f]{32}", u) for u in longs), "names over 70 bytes: hashed UIDL", longs[:2])
for n in (1, 5000, N):
    resp, lines, octets = p.retr(n)
    ok(octets == expect[n - 1][2] and b"Subject: m%d" % (n - 1) in lines, "RETR %d" % n)
note("login, STAT, LIST, UIDL, 3 RETR: %.2fs" % (time.time() - t0))

pids, logins = pop3d_pids(True), pop3d_pids(False)
ok(len(pids) == 1 and len(logins) == 1, "one pop3d session running, and its login half", (pids, logins))
if pids and logins:
    # The password check (yescrypt takes some 16 MiB for a moment) ran in
    # posthorn-mailauth, whose exec into the session left that behind.
    hwm, rss = vm(pids[0], "VmHWM"), vm(pids[0], "VmRSS")
    note("pop3d session: RSS %d KiB, peak %d KiB; its login half (waiting): RSS %d KiB"
         % (rss, hwm, vm(logins[0], "VmRSS")))
    limit = 400000 if SANITIZER else 12288
    ok(0 < rss < limit, "RSS of the session under %d KiB with 10,000 messages listed (%d KiB)" % (limit, rss))

# the same UIDLs in the next session
p.quit()
p = poplib.POP3("127.0.0.1", port, timeout=60)
p.user("big@example.org")
p.pass_("big-pw")
resp, lines, _ = p.uidl()
is_([l.decode().split(" ", 1)[1] for l in lines], uids, "UIDL unchanged in the next session (all now in cur/)")
t0 = time.time()
for n in range(1, N + 1):
    p._putcmd("DELE %d" % n)          # pipelined: RFC 2449 PIPELINING
for n in range(1, N + 1):
    p._getresp()
is_(p.stat(), (0, 0), "DELE of all 10,000, pipelined")
p.quit()
note("DELE x 10,000 + QUIT: %.2fs" % (time.time() - t0))
is_(inst.files("big"), [], "QUIT removed all 10,000 files")

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
