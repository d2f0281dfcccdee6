#!/usr/bin/env python3
# Login bans (loginban.h) across SMTP AUTH (posthorn-smtpd), POP3 and IMAP
# (posthorn-mailauth behind pop3d's and imapd's login halves), all under
# real tcpserver, counting in one bans directory: wrong passwords from one
# address over the three services together ban it at exactly
# loginban-failures; during the ban the right password gets the answer a
# wrong one gets, over all three; another address (127.0.0.2) logs in;
# posthorn-user bans lists the ban and unban lifts it; a ban ends after
# loginban-time.
import base64
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from pop3d import Instance, ROOT, NOBODY

inst = Instance(users=[("alice", "alice-pw")], faildelay=0)
inst.deliver("alice", "Subject: one\n\nbody\n")
bandir = os.path.join(inst.dir, "bans")   # made by pop3d.Instance; given the services' account
os.chmod(inst.dir, 0o755)
if ROOT:
    os.chown(bandir, NOBODY.pw_uid, NOBODY.pw_gid)   # the services' account
os.chmod(bandir, 0o2770)
inst.write("bandir", bandir)
inst.write("loginban-failures", "10")
inst.write("imapd-faildelay", "0")
for s in ("pop3d-cleartext", "imapd-cleartext", "smtpd-auth-cleartext"):
    inst.write(s, "1")
inst.write("smtpd-checks", "0")   # no DNS in this test

ports = {}
for name in ("pop3d", "imapd", "smtpd"):
    inst.PROGRAM = name
    ports[name] = inst.start()

USER = "alice@example.org"


def connect(service, src):
    s = socket.create_connection(("127.0.0.1", ports[service]), 20, source_address=(src, 0))
    f = s.makefile("rb")
    f.readline()   # the greeting (smtpd's is one line)
    return s, f


def smtp(pw, src="127.0.0.1"):
    """One AUTH PLAIN on a connection of its own: the reply line."""
    s, f = connect("smtpd", src)
    s.sendall(b"EHLO client.test\r\n")
    while True:
        l = f.readline()
        if not l or l[3:4] != b"-":
            break
    cred = base64.b64encode(b"\0" + USER.encode() + b"\0" + pw.encode())
    s.sendall(b"AUTH PLAIN " + cred + b"\r\n")
    reply = f.readline().decode("latin-1").strip()
    s.sendall(b"QUIT\r\n")
    s.close()
    return reply


def pop3(pw, src="127.0.0.1"):
    s, f = connect("pop3d", src)
    s.sendall(b"USER " + USER.encode() + b"\r\n")
    f.readline()
    s.sendall(b"PASS " + pw.encode() + b"\r\n")
    reply = f.readline().decode("latin-1").strip()
    s.sendall(b"QUIT\r\n")
    s.close()
    return reply


def imap(pw, src="127.0.0.1"):
    s, f = connect("imapd", src)
    s.sendall(('a LOGIN "%s" "%s"\r\n' % (USER, pw)).encode())
    while True:
        reply = f.readline().decode("latin-1").strip()
        if not reply or reply.startswith("a "):
            break
    s.sendall(b"z LOGOUT\r\n")
    s.close()
    return reply


def user(*args):
    p = subprocess.run([prog("user"), "-C", inst.conf] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


SMTP_OK, POP_OK, IMAP_OK = "235 ", "+OK", "a OK"

# ---- 9 wrong passwords over the three services: no ban yet ----
wrong = {"smtp": set(), "pop3": set(), "imap": set()}
for _ in range(4):
    wrong["smtp"].add(smtp("wrong"))
for _ in range(3):
    wrong["pop3"].add(pop3("wrong"))
for _ in range(2):
    wrong["imap"].add(imap("wrong"))
is_(len(wrong["smtp"]) + len(wrong["pop3"]) + len(wrong["imap"]), 3, "one answer per service to a wrong password")
smtp_bad, pop_bad, imap_bad = (next(iter(wrong[k])) for k in ("smtp", "pop3", "imap"))
ok(smtp_bad.startswith("535 5.7.8"), "SMTP: 535 5.7.8 for a wrong password", smtp_bad)
ok(pop_bad.startswith("-ERR"), "POP3: -ERR for a wrong password", pop_bad)
ok(imap_bad.startswith("a NO [AUTHENTICATIONFAILED]"), "IMAP: NO [AUTHENTICATIONFAILED] for a wrong password", imap_bad)
rc, out, err = user("bans")
is_((rc, out), (0, "127.0.0.1 failures 9\n"), "posthorn-user bans: 9 failures counted across the three services")
ok(imap("alice-pw").startswith(IMAP_OK), "at 9 of 10 the right password still works")
rc, out, err = user("bans")
is_(out, "127.0.0.1 failures 9\n", "a good login does not clear the count")

# ---- the 10th: banned ----
is_(pop3("wrong"), pop_bad, "the 10th wrong password (POP3)")
rc, out, err = user("bans")
ok(rc == 0 and out.startswith("127.0.0.1 banned until ") and out.endswith(" refused 0\n"),
   "posthorn-user bans: 127.0.0.1 banned at exactly 10", out + err)
is_(smtp("alice-pw"), smtp_bad, "banned: SMTP answers the right password as a wrong one")
is_(pop3("alice-pw"), pop_bad, "banned: POP3 answers the right password as a wrong one")
is_(imap("alice-pw"), imap_bad, "banned: IMAP answers the right password as a wrong one")
rc, out, err = user("bans")
ok(out.endswith(" refused 3\n"), "the refusals are counted", out)
log = inst.log()
ok("event=loginban client=127.0.0.1 failures=10" in log, "the ban is logged once it starts", log[-2000:])
ok("event=auth client=127.0.0.1 user=alice@example.org result=banned" in log, "smtpd logs result=banned")
ok("event=login-fail client=127.0.0.1 user=alice@example.org reason=banned" in log, "mailauth logs reason=banned")

# ---- another address is not banned ----
ok(smtp("alice-pw", "127.0.0.2").startswith(SMTP_OK), "from 127.0.0.2: SMTP AUTH works")
ok(pop3("alice-pw", "127.0.0.2").startswith(POP_OK), "from 127.0.0.2: POP3 login works")
ok(imap("alice-pw", "127.0.0.2").startswith(IMAP_OK), "from 127.0.0.2: IMAP login works")

# ---- unban ----
rc, out, err = user("unban", "127.0.0.1")
is_((rc, out), (0, "127.0.0.1 unbanned\n"), "posthorn-user unban 127.0.0.1")
ok(smtp("alice-pw").startswith(SMTP_OK), "unbanned: SMTP AUTH works")
ok(pop3("alice-pw").startswith(POP_OK), "unbanned: POP3 login works")
ok(imap("alice-pw").startswith(IMAP_OK), "unbanned: IMAP login works")
rc, out, err = user("unban", "127.0.0.1")
is_(rc, 1, "unban of an address with nothing: exit 1")
rc, out, err = user("unban", "not-an-address")
is_(rc, 1, "unban of nonsense: exit 1")

# ---- the ban ends after loginban-time ----
inst.write("loginban-failures", "2")
inst.write("loginban-time", "2")
imap("wrong")
pop3("wrong")
is_(imap("alice-pw"), imap_bad, "2 of 2: banned for 2 s")
time.sleep(3)
ok(pop3("alice-pw").startswith(POP_OK), "after loginban-time the ban is over")
rc, out, err = user("bans")
is_((rc, out), (0, ""), "and posthorn-user bans lists nothing (the spent file is removed)")
is_(os.listdir(bandir), [], "the bans directory is empty")

# ---- off ----
inst.write("loginban-failures", "0")
pop3("wrong")
pop3("wrong")
ok(pop3("alice-pw").startswith(POP_OK), "loginban-failures 0: no ban")
is_(os.listdir(bandir), [], "and nothing counted")

ok(inst.clean(), "no sanitizer report in the servers' logs")
done()
