#!/usr/bin/env python3
# posthorn-imapd, COPYUID (RFC 4315) for a UID set whose text is longer
# than one formatted reply line (4 KB): COPY's tagged OK and MOVE's
# untagged OK (RFC 6851 4.3) stay whole lines, never cut short.  The
# folder's 450 messages have scattered 10-digit UIDs (a UID list written
# here), so the source set is about 5 KB of "1000000000,1000000002,...".
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw, alive

N = 450
inst = Instance(users=[("alice", "alice-pw")])
md = inst.maildir("alice")
uids = [1000000000 + 2 * i for i in range(N)]
names = ["1700000000.M%dP1.test" % i for i in range(N)]
for n in names:
    p = os.path.join(md, "cur", n + ":2,")
    with open(p, "w") as f:
        f.write("From: a@example.net\nSubject: %s\n\nbody\n" % n)
    inst.own(p)
with open(os.path.join(md, "posthorn-uidlist"), "w") as f:
    f.write("1 V1234 N%d R%d\n" % (uids[-1] + 1, uids[-1] + 1))
    for u, n in zip(uids, names):
        f.write("%d %s\n" % (u, n))
inst.own(os.path.join(md, "posthorn-uidlist"))
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


def expand(s):
    """An IMAP UID set ("1:3,7") as a list of numbers."""
    out = []
    for part in s.split(","):
        a, _, b = part.partition(":")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def copyuid_whole(line, what):
    """The line is whole: a COPYUID code, if there is one, names every UID."""
    mo = re.search(r"\[COPYUID (\d+) ([0-9:,]+) ([0-9:,]+)\]", line)
    if "COPYUID" in line and not mo:
        ok(False, what + ": COPYUID cut short", line[:200] + " ... " + line[-200:])
        return
    if mo:
        ok(expand(mo.group(2)) == uids and len(expand(mo.group(3))) == N,
           what + ": COPYUID names all %d source and new UIDs" % N)
    else:
        ok(True, what + ": no COPYUID (RFC 4315 recommends it, no more)")


r = Raw(port)
ok(r.cmd("LOGIN alice@example.org alice-pw")[-1].startswith("t OK"), "login")
ok(r.cmd("CREATE Copies")[-1].startswith("t OK") and r.cmd("CREATE Moved")[-1].startswith("t OK"), "CREATE")
out = r.cmd("SELECT INBOX")
ok(any(" %d EXISTS" % N in l for l in out), "SELECT: %d messages" % N, out[:3])

out = r.cmd("UID COPY 1:* Copies")
last = out[-1]
ok(last.startswith("t OK") and last.endswith("COPY completed\r\n"), "UID COPY: one whole tagged line",
   last[:100] + " ... " + last[-100:])
copyuid_whole(last, "UID COPY")
alive(r, "the long COPY")

out = r.cmd("UID MOVE 1:* Moved")
ok(out[-1].startswith("t OK"), "UID MOVE: OK", out[-1])
moved = [l for l in out if l.startswith("* OK [COPYUID")]
ok(len(moved) == 1 and moved[0].endswith("] moved\r\n"), "UID MOVE: one whole untagged OK",
   [l[:100] + " ... " + l[-100:] for l in moved])
if moved:
    copyuid_whole(moved[0], "UID MOVE")
is_(len([l for l in out if l.endswith(" EXPUNGE\r\n")]), N, "and an EXPUNGE for each")
alive(r, "the long MOVE")
r.cmd("LOGOUT")
r.close()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
