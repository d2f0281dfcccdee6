#!/usr/bin/env python3
# End to end: smtplib -> posthorn-smtpd under tcpserver -> posthorn-queue
# (found beside posthorn-smtpd, no POSTHORN_QUEUE) -> posthorn-runq, one
# pass -> posthorn-local -> Maildir.  The stored message must be the sent
# one byte for byte (with LF line ends, as the queue stores them) apart from
# the header fields added on the way: Return-Path, Delivered-To, Received.
import glob
import os
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
from harness import Instance, IS_ROOT, NOBODY  # noqa: E402
from tap import ok, is_, note, done, prog  # noqa: E402

inst = Instance()
queue = os.path.join(inst.d, "queue")
os.makedirs(queue)
if IS_ROOT:
    os.chown(queue, NOBODY.pw_uid, NOBODY.pw_gid)   # posthorn-queue runs as smtpd's account
inst.setconf("queuedir", queue)
srv = inst.start(injector="")

message = ("From: Sender <sender@elsewhere.test>\r\n"
           "To: alice@example.org, bob@example.org\r\n"
           "Subject: end to end \xe2\x9c\x93\r\n"
           "Message-ID: <e2e.1@elsewhere.test>\r\n"
           "\r\n"
           "First line.\r\n"
           ".A line that starts with a dot\r\n"
           "..two dots\r\n"
           ".\r\n"
           "From the start of a line\r\n"
           "trailing spaces   \r\n"
           "\r\n"
           "\tafter an empty line, 8-bit: caf\xc3\xa9\r\n"
           + "x" * 998 + "\r\n"
           "last line\r\n").encode("latin-1")

with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test", timeout=30) as s:
    refused = s.sendmail("sender@elsewhere.test", ["alice@example.org", "bob@example.org", "nosuch@example.org"],
                         message, mail_options=["BODY=8BITMIME"])
    is_(list(refused), ["nosuch@example.org"], "unknown recipient refused at RCPT")
    code, text = s.noop()

entries = glob.glob(os.path.join(queue, "q", "*.env"))
is_(len(entries), 1, "posthorn-queue committed one entry")

e = dict(os.environ)
for k in ("POSTHORN_QUEUE", "QMAILQUEUE", "POSTHORN_LOCAL", "POSTHORN_REMOTE"):
    e.pop(k, None)
p = subprocess.run([prog("runq"), "-C", inst.conf], capture_output=True, text=True, env=e, timeout=60)
is_(p.returncode, 0, "posthorn-runq: one pass exits 0")
note(p.stderr.strip())
is_(glob.glob(os.path.join(queue, "q", "*.env")), [], "the queue is empty after the pass")

# smtplib dot-stuffs, smtpd unstuffs: the lines with dots come back as sent
want = message.replace(b"\r\n", b"\n")
for user in ("alice", "bob"):
    files = glob.glob(os.path.join(inst.mail, user, "new", "*"))
    is_(len(files), 1, "%s: one message in Maildir/new" % user)
    if not files:
        continue
    got = open(files[0], "rb").read()
    ok(got.endswith(want), "%s: the message arrived byte for byte" % user, got[-300:])
    added = got[:len(got) - len(want)].decode("utf-8", "replace")
    names = [l.split(":")[0] for l in added.splitlines() if l and not l[0].isspace()]
    is_(names, ["Return-Path", "Delivered-To", "Received"], "%s: only Return-Path, Delivered-To, Received added" % user)
    ok("Return-Path: <sender@elsewhere.test>\n" in added and
       "Received: from client.test ([127.0.0.1])\n\tby mx.example.org (posthorn) with ESMTP" in added,
       "%s: the added fields say where it came from" % user, added)

srv.stop()
ok(not inst.sanitizer_reports(), "no sanitizer report in the server logs", "\n".join(inst.sanitizer_reports()[:10]))
done()
