#!/usr/bin/env python3
# Two posthorn-imapd sessions on one folder, and deliveries by
# posthorn-local during them: flag changes, expunges and new messages made
# by one are seen by the other (untagged FETCH FLAGS, EXPUNGE, EXISTS,
# RECENT at the points RFC 3501 allows: no EXPUNGE during FETCH, STORE or
# SEARCH); IDLE wakes within a second of a delivery; UIDs stay stable when
# another Maildir tool renames files; a UID list removed by hand gives a
# new UIDVALIDITY, never a reused UID.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw

inst = Instance(users=[("alice", "alice-pw")])
for i in range(3):
    inst.deliver("alice", "Subject: m%d\n\nbody %d\n" % (i + 1, i + 1))
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


def session():
    r = Raw(port)
    r.cmd("LOGIN alice@example.org alice-pw")
    return r


a = session()
b = session()
out_a = a.cmd("SELECT INBOX")
ok("* 3 EXISTS\r\n" in out_a and "* 3 RECENT\r\n" in out_a, "A: 3 messages, all \\Recent for the first session", out_a)
out_b = b.cmd("SELECT INBOX")
ok("* 3 EXISTS\r\n" in out_b and "* 0 RECENT\r\n" in out_b, "B: 3 messages, none \\Recent", out_b)

out = a.cmd("STORE 2 +FLAGS (\\Flagged)")
out = b.cmd("NOOP")
ok("* 2 FETCH (FLAGS (\\Flagged))\r\n" in out, "B sees A's flag change at NOOP", out)

a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
out = a.cmd("EXPUNGE")
ok("* 1 EXPUNGE\r\n" in out, "A expunges message 1", out)
out = b.cmd("FETCH 1:3 (FLAGS)")
ok(not any("EXPUNGE" in l for l in out) and out[-1].startswith("t OK") or out[-1].startswith("t NO"),
   "B: no EXPUNGE during FETCH", out)
out = b.cmd("STORE 3 +FLAGS (\\Seen)")
ok(not any("EXPUNGE" in l for l in out), "B: no EXPUNGE during STORE", out)
out = b.cmd("SEARCH ALL")
ok(not any("EXPUNGE" in l for l in out) and "* SEARCH 2 3\r\n" in out,
   "B: no EXPUNGE during SEARCH; numbers stable (the gone message is not found)", out)
out = b.cmd("NOOP")
ok("* 1 EXPUNGE\r\n" in out, "B gets the EXPUNGE at NOOP", out)
out = b.cmd("FETCH 1:* (UID)")
ok("* 1 FETCH (UID 2)\r\n" in out and "* 2 FETCH (UID 3)\r\n" in out, "B's numbering follows", out)
out = a.cmd("NOOP")
ok("* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n" in out, "A sees B's \\Seen (and its own \\Recent)", out)

inst.deliver("alice", "Subject: m4\n\nbody 4\n")
out = b.cmd("NOOP")
ok("* 3 EXISTS\r\n" in out and "* 1 RECENT\r\n" in out, "B sees a delivery: EXISTS and RECENT", out)
out = a.cmd("NOOP")
ok("* 3 EXISTS\r\n" in out and not any("RECENT" in l and "* 2 RECENT" not in l and "* 0" not in l for l in out)
   or "* 3 EXISTS\r\n" in out, "A sees it too", out)
out = a.cmd("UID FETCH 4 (UID)")
ok("UID 4" in out[0], "the delivery got UID 4", out)

# IDLE wakes on a delivery
a.send(b"i IDLE\r\n")
ok(a.line().startswith("+ "), "IDLE continuation")
t0 = time.monotonic()
inst.deliver("alice", "Subject: m5\n\nbody 5\n")
a.s.settimeout(5)
line = a.line()
dt = time.monotonic() - t0
ok(line == "* 4 EXISTS\r\n" and dt < 1.0, "IDLE woke on the delivery after %.3fs" % dt, line)
# an expunge by B shows in A's IDLE
b.cmd("NOOP")
b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
b.cmd("EXPUNGE")
seen = []
while True:
    line = a.line()
    seen.append(line)
    if not line or "EXPUNGE" in line:
        break
ok(line == "* 1 EXPUNGE\r\n", "IDLE: EXPUNGE from the other session", seen)
a.send(b"DONE\r\n")
out = a.until("i")
ok(out[-1].startswith("i OK"), "DONE ends IDLE", out)
a.s.settimeout(10)

# another Maildir tool renames a file (flags): same UID, new flags
cur = os.path.join(inst.maildir("alice"), "cur")
names = sorted(os.listdir(cur))
victim = [n for n in names if ":2," in n][0]
base = victim.split(":2,")[0]
os.rename(os.path.join(cur, victim), os.path.join(cur, base + ":2,FS"))
out = a.cmd("NOOP")
ok(any("FETCH (FLAGS (\\Flagged \\Seen" in l for l in out), "a rename by another tool is a flag change", out)
out = a.cmd("UID FETCH 1:* (UID)")
uids = [l.split("UID ")[1].rstrip(")\r\n") for l in out if "UID " in l]
is_(uids, ["3", "4", "5"], "UIDs unchanged")
a.cmd("LOGOUT")
b.cmd("LOGOUT")

# the UID list removed by hand: new UIDVALIDITY, UIDs start again, nothing lost
md = inst.maildir("alice")
with open(os.path.join(md, "posthorn-uidlist")) as f:
    old = f.readline().split()[1]
os.unlink(os.path.join(md, "posthorn-uidlist"))
c = session()
out = c.cmd("SELECT INBOX")
newv = [l for l in out if "UIDVALIDITY" in l][0].split("UIDVALIDITY ")[1].split("]")[0]
ok("* 3 EXISTS\r\n" in out and int(newv) > int(old[1:]), "a lost UID list: new UIDVALIDITY, messages kept", out)
c.cmd("LOGOUT")

# many sessions at once appending: no UID twice
import threading
errs = []


def appender(k):
    try:
        r = session()
        for j in range(5):
            msg = b"Subject: p%d-%d\r\n\r\nx\r\n" % (k, j)
            r.send(b"a APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
            out = r.until("a")
            if not out[-1].startswith("a OK"):
                errs.append(out)
        r.cmd("LOGOUT")
    except Exception as e:
        errs.append(e)


ts = [threading.Thread(target=appender, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
ok(not errs, "4 sessions x 5 APPENDs", errs)
with open(os.path.join(md, "posthorn-uidlist")) as f:
    lines = f.read().splitlines()
uids = [int(l.split()[0]) for l in lines[1:]]
ok(len(uids) == 23 and len(set(uids)) == 23, "23 messages, 23 distinct UIDs", lines)
# The same over TLS: the session's push goes through the login half's relay
# at once.
tport = inst.start(args=["-T"])
t = Raw(tport, ctx=inst.ctx)
ok(t.cmd("LOGIN alice@example.org alice-pw")[-1].startswith("t OK"), "TLS: login")
exists = [l for l in t.cmd("SELECT INBOX") if l.endswith("EXISTS\r\n")]
t.send(b"i IDLE\r\n")
ok(t.line().startswith("+ "), "TLS: IDLE continuation")
t0 = time.monotonic()
inst.deliver("alice", "Subject: m6\n\nbody 6\n")
t.s.settimeout(5)
line = t.line()
dt = time.monotonic() - t0
want = "* %d EXISTS\r\n" % (int(exists[0].split()[1]) + 1) if exists else None
ok(line == want and dt < 1.0, "TLS: IDLE woke on the delivery after %.3fs, through the relay" % dt, (line, want))
t.send(b"DONE\r\n")
ok(t.until("i")[-1].startswith("i OK"), "TLS: DONE ends IDLE")
t.close()


slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
