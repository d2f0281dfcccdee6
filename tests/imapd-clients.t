#!/usr/bin/env python3
# Real IMAP clients against posthorn-imapd under tcpserver: mbsync (isync)
# syncs a test account both ways with a local Maildir, then again with no
# changes (nothing transferred), then after changes on each side (a new
# message, a flag, a deletion); curl's IMAP client lists folders, fetches a
# message over IMAPS and STARTTLS, and searches.
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mbsync import Mbsync
from tap import ok, is_, note, done
from imapd import Instance

inst = Instance(users=[("alice", "alice-pw")])
for i in range(5):
    inst.deliver("alice", "Subject: server %d\nMessage-ID: <s%d@example.org>\n\nserver body %d\n" % (i, i, i))
plain = inst.start()
implicit = inst.start(["-T"])

have_mbsync = shutil.which("mbsync") is not None
if not have_mbsync:
    note("mbsync not installed (Debian package isync): skipping its tests")
else:
    mb = Mbsync(implicit, inst.cert)
    local = mb.local

    def mbsync():
        return mb.run("-V")

    def local_msgs(folder="INBOX"):
        d = os.path.join(local, folder)
        return sorted(os.listdir(os.path.join(d, "cur")) + os.listdir(os.path.join(d, "new")))

    code, out = mbsync()
    ok(code == 0, "mbsync: first sync", out[-2000:])
    is_(len(local_msgs()), 5, "5 messages pulled into the local INBOX")
    ok(os.path.isdir(os.path.join(local, "Sent")) and os.path.isdir(os.path.join(local, "Trash")),
       "folders created locally", os.listdir(local))
    def state():
        files = []
        for root in (local, inst.maildir("alice")):
            for dp, dn, fn in os.walk(root):
                files += [os.path.join(dp, x) for x in fn if ".mbsyncstate" not in x and "lock" not in x]
        return sorted(files)

    before = state()
    code, out = mbsync()
    ok(code == 0 and state() == before, "mbsync again: nothing transferred, no file changed on either side",
       out[-800:])
    # changes on the local side: a new message, a flag
    with open(os.path.join(local, "INBOX", "new", "1700000000.local.host"), "w") as f:
        f.write("Subject: from local\nMessage-ID: <l1@example.org>\n\nlocal body\n")
    first = local_msgs()[0]
    src = os.path.join(local, "INBOX", "cur", first) if os.path.exists(os.path.join(local, "INBOX", "cur", first)) \
        else os.path.join(local, "INBOX", "new", first)
    base = first.split(":2,")[0]
    os.rename(src, os.path.join(local, "INBOX", "cur", base + ":2,F" + (first.split(":2,")[1] if ":2," in first else "")))
    # changes on the server side: a delivery and a deletion
    inst.deliver("alice", "Subject: server late\n\nlate\n")
    scur = os.path.join(inst.maildir("alice"), "cur")
    # the last message delivered ("server 4"), found by its text: a string
    # sort of the names is not delivery order (M99999 sorts after M100000),
    # and curl below fetches UID 2, "server 1", which must stay
    victim = [n for n in os.listdir(scur) if b"Subject: server 4\n" in open(os.path.join(scur, n), "rb").read()]
    is_(len(victim), 1, "the server's last message is there to delete")
    os.unlink(os.path.join(scur, victim[0]))
    code, out = mbsync()
    ok(code == 0, "mbsync after changes on both sides", out[-2000:])
    srv = sorted(os.listdir(scur) + os.listdir(os.path.join(inst.maildir("alice"), "new")))
    is_(len(srv), 6, "server: 5 - 1 deleted + 1 delivered + 1 from local")
    ok(any(n.split(":2,")[1].count("F") for n in srv if ":2," in n), "server: the local flag arrived", srv)
    is_(len(local_msgs()), 6, "local: the same 6")
    before = state()
    code, out = mbsync()
    ok(code == 0 and state() == before, "mbsync once more: nothing to do", out[-800:])

# curl
cacert = ["--cacert", inst.cert]
p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", "alice@example.org:alice-pw"] + cacert +
                   ["imaps://localhost:%d/" % implicit], capture_output=True, text=True)
ok(p.returncode == 0 and '"INBOX"' in p.stdout and "Sent" in p.stdout, "curl lists folders over IMAPS", p.stdout + p.stderr)
p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", "alice@example.org:alice-pw"] + cacert +
                   ["imaps://localhost:%d/INBOX;UID=2" % implicit], capture_output=True, text=True)
ok(p.returncode == 0 and "server body 1" in p.stdout and "Subject: server 1" in p.stdout,
   "curl fetches a message by UID", p.stdout + p.stderr)
p = subprocess.run(["curl", "-sS", "--max-time", "20", "--ssl-reqd", "-u", "alice@example.org:alice-pw"] + cacert +
                   ["imap://localhost:%d/INBOX?SUBJECT%%20late" % plain], capture_output=True, text=True)
ok(p.returncode == 0 and p.stdout.startswith("* SEARCH"), "curl searches over STARTTLS", p.stdout + p.stderr)
p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", "alice@example.org:wrong"] + cacert +
                   ["imaps://localhost:%d/" % implicit], capture_output=True, text=True)
ok(p.returncode != 0, "curl with a wrong password fails")
slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
