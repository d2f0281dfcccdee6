#!/usr/bin/env python3
# posthorn-imapd and a command line over the 65,536-byte bound: the rest
# of the line is dropped and the session goes on; the BAD carries the
# line's tag when it had a valid one (RFC 3501 7.1.5: the client waits for
# that tag), and is untagged only when no tag can be read.  imaplib for
# the command a client really sends too long (a SEARCH of 20,000 UIDs),
# a raw socket for the rest.
import imaplib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
inst.deliver("alice", "Subject: one\n\nbody\n")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


r = Raw(port)
ok(r.cmd("LOGIN alice@example.org alice-pw")[-1].startswith("t OK"), "login")
ok(r.cmd("SELECT INBOX")[-1].startswith("t OK"), "SELECT")

# a valid tag, then 70,000 bytes
r.send(b"a1 SEARCH " + b"1 " * 35000 + b"\r\n")
line = r.line()
ok(line.startswith("a1 BAD") and "too long" in line, "tagged BAD for an overlong line with a valid tag", line)
ok(line.startswith(("a1 BAD", "* BAD")) and "too long" in line, "the overlong line is refused (BAD)", line)
alive(r, "an overlong line with a tag")

# a 64-byte tag is still a tag; the line split over many writes
tag = "T" * 64
r.send((tag + " NOOP ").encode())
for _ in range(10):
    r.send(b"x" * 7000)
r.send(b"\r\n")
line = r.line()
ok(line.startswith(tag + " BAD"), "a 64-byte tag, the line in 11 writes: tagged BAD", line)
alive(r, "a line in pieces")

# no valid tag: untagged BAD, as before
for what, data in (("70,000 bytes of x (no space: no tag)", b"x" * 70000),
                   ("a 65-byte tag", b"T" * 65 + b" NOOP " + b"x" * 70000),
                   ("a tag with a brace", b"a{1 NOOP " + b"x" * 70000),
                   ("a line starting with a space", b" a1 NOOP " + b"x" * 70000)):
    r.send(data + b"\r\n")
    line = r.line()
    ok(line.startswith("* BAD") and "too long" in line, "untagged BAD: " + what, line)
    alive(r, what)

# a short line and a line just under the bound are untouched
cmd = "SEARCH UID " + ",".join(str(n) for n in range(1, 22700, 2))
ok(60000 < len(cmd) < 65000, "(a SEARCH line of %d bytes)" % len(cmd))
out = r.cmd(cmd)
ok(out[-1].startswith("t OK") and out[0].startswith("* SEARCH 1"), "a SEARCH line just under the bound works",
   out[-1])
r.close()

# imaplib: a UID SEARCH of 20,000 UIDs (a client that builds its command
# from a long list) gets its tagged BAD, and the connection stays usable
m = inst.login(port)
m.sock.settimeout(5)
m.select("INBOX")
uids = ",".join(str(n) for n in range(1, 40001, 2))
try:
    typ, dat = m.uid("SEARCH", "UID", uids)
    got = (typ, dat)
except imaplib.IMAP4.error as e:
    got = ("error", str(e))
except (imaplib.IMAP4.abort, OSError) as e:
    # the untagged BAD leaves imaplib waiting for its tag until it times out
    got = ("abort", repr(e))
ok(got[0] == "error" and "too long" in got[1], "imaplib: UID SEARCH of 20,000 UIDs gets BAD line too long", got)
if got[0] != "error":
    # start over for the last check
    m = inst.login(port)
    m.select("INBOX")
typ, dat = m.noop()
ok(typ == "OK", "imaplib: the session goes on")
m.logout()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
