#!/usr/bin/env python3
# posthorn-pop3d with Python's poplib as the client, under real tcpserver:
# every RFC 1939 command, CAPA, STLS, implicit TLS, AUTH PLAIN (with and
# without an initial response), wrong passwords, RSET undoing DELE, QUIT
# committing, a dropped connection committing nothing, the [IN-USE] lock
# (and a lock left by a killed session), deliveries during a session, and
# stable UIDLs.
import base64
import os
import poplib
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from pop3d import Instance, ROOT, NOBODY, wire_size, order_key, drop_to_nobody

inst = Instance(users=[("alice", "alice-pw"), ("bob", "bob pw with spaces"), ("carol", "carol-pw")])
ctx = ssl.create_default_context(cafile=inst.cert)
ctx.check_hostname = False

MSGS = [
    "Subject: one\n\nfirst body\n.starts with a dot\n..two dots\n.\nend\n",
    "Subject: two\nX-Long: yes\n\nline 1\nline 2\nline 3\n",
    "Subject: three\n\nno final newline",
]
for m in MSGS:
    inst.deliver("alice", m)

plain = inst.start()                                   # port 110 style: STLS, login only after it
clear = inst.start(env={"POP3D_CLEARTEXT": "1"})       # logins allowed in the clear (tcprules)
implicit = inst.start(["-T"])                          # port 995 style


def err_text(fn, *a):
    try:
        fn(*a)
    except poplib.error_proto as e:
        return e.args[0].decode("latin-1")
    return ""


def tls_session(user="alice", pw="alice-pw"):
    p = poplib.POP3("127.0.0.1", plain, timeout=10)
    p.stls(ctx)
    p.user(user + "@example.org")
    p.pass_(pw)
    return p


# ---- before TLS ----
p = poplib.POP3("127.0.0.1", plain, timeout=10)
ok(p.getwelcome().startswith(b"+OK "), "greeting")
caps = p.capa()
ok("STLS" in caps and "USER" not in caps and "SASL" not in caps,
   "CAPA in the clear offers STLS, neither USER nor SASL", caps)
ok("RESP-CODES" in caps and "UIDL" in caps and "TOP" in caps and "PIPELINING" in caps, "CAPA: RESP-CODES UIDL TOP PIPELINING")
e = err_text(p.user, "alice@example.org")
ok(e.startswith("-ERR [AUTH]") and "TLS" in e, "USER refused before TLS", e)
e = err_text(p._shortcmd, "AUTH PLAIN " + base64.b64encode(b"\0alice@example.org\0alice-pw").decode())
ok(e.startswith("-ERR [AUTH]"), "AUTH refused before TLS", e)
e = err_text(p.stat)
ok(e.startswith("-ERR"), "STAT before login: -ERR", e)
e = err_text(p._shortcmd, "PASS x")
ok(e.startswith("-ERR"), "PASS before USER: -ERR", e)

# ---- STLS ----
ok(p.stls(ctx).startswith(b"+OK"), "STLS handshake with the test certificate")
caps = p.capa()
ok("USER" in caps and caps.get("SASL") == ["PLAIN"] and "STLS" not in caps,
   "CAPA after STLS: USER, SASL PLAIN, no STLS", caps)
e = err_text(p._shortcmd, "STLS")
ok(e.startswith("-ERR"), "second STLS refused", e)
p.user("alice@example.org")
ok(p.pass_("alice-pw").startswith(b"+OK"), "USER/PASS over STLS")

# ---- the TRANSACTION state ----
def stored(user):
    """The stored messages in Maildir order (delivery time, then name)."""
    md = inst.maildir(user)
    paths = [os.path.join(md, d, f) for d in ("new", "cur") for f in os.listdir(os.path.join(md, d))]
    paths.sort(key=lambda x: order_key(os.path.basename(x)))
    return [open(x, "rb").read() for x in paths]


count, total = p.stat()
texts = stored("alice")
sizes = [wire_size(t) for t in texts]
is_(count, 3, "STAT: 3 messages")
is_(total, sum(sizes), "STAT: octets are the CRLF wire sizes")
resp, lines, _ = p.list()
is_([l.decode() for l in lines], ["%d %d" % (i + 1, s) for i, s in enumerate(sizes)], "LIST")
is_(p.list(2), ("+OK 2 %d" % sizes[1]).encode(), "LIST 2")
resp, uids, _ = p.uidl()
uids = [l.decode().split(" ", 1)[1] for l in uids]
files = inst.files("alice")
ok(all(u in [f.split(":")[0] for f in files] for u in uids) and len(set(uids)) == 3,
   "UIDL: the unique part of each Maildir file name", uids)
is_(p.uidl(3), ("+OK 3 " + uids[2]).encode(), "UIDL 3")
for i, m in enumerate(texts):
    resp, lines, octets = p.retr(i + 1)
    want = m.replace(b"\n", b"\r\n")
    if not want.endswith(b"\r\n"):
        want += b"\r\n"
    got = b"".join(l + b"\r\n" for l in lines)
    ok(got == want and octets == sizes[i] and resp.startswith(b"+OK %d" % sizes[i]),
       "RETR %d: text, dot-unstuffed, and octets as LIST said" % (i + 1),
       "resp %r octets %r want %r\ngot %r" % (resp, octets, sizes[i], got))
resp, lines, _ = p.top(2, 0)
ok(lines[-1] == b"" and b"Subject: two" in lines and b"line 1" not in lines, "TOP 2 0: header and blank line", lines)
resp, lines, _ = p.top(2, 2)
ok(lines[-2:] == [b"line 1", b"line 2"], "TOP 2 2: two body lines", lines)
resp, lines, _ = p.top(1, 100)
ok(b".starts with a dot" in lines and b"." in lines, "TOP unstuffs like RETR", lines)
is_(p.noop(), b"+OK", "NOOP")
ok(p.dele(1).startswith(b"+OK"), "DELE 1")
e = err_text(p.retr, 1)
ok(e.startswith("-ERR"), "RETR of a deleted message: -ERR", e)
e = err_text(p.dele, 1)
ok(e.startswith("-ERR"), "DELE twice: -ERR", e)
is_(p.stat(), (2, sizes[1] + sizes[2]), "STAT leaves out the deleted message")
resp, lines, _ = p.list()
is_(len(lines), 2, "LIST leaves out the deleted message")
ok(p.rset().startswith(b"+OK"), "RSET")
is_(p.stat(), (3, sum(sizes)), "RSET undoes DELE")
e = err_text(p._shortcmd, "USER alice@example.org")
ok(e.startswith("-ERR"), "USER in the TRANSACTION state: -ERR", e)
e = err_text(p._shortcmd, "XYZZY")
ok(e.startswith("-ERR"), "unknown command: -ERR", e)
ok(p.quit().startswith(b"+OK"), "QUIT after RSET")
is_(len(inst.files("alice")), 3, "RSET then QUIT removes nothing")
ok(all(":2," in f for f in inst.files("alice")), "QUIT moved the messages from new/ to cur/", inst.files("alice"))
ok(any(f.endswith(":2,S") for f in inst.files("alice")), "retrieved messages are flagged Seen")

# ---- UIDL stable across sessions, QUIT commits ----
p = tls_session()
resp, lines, _ = p.uidl()
uids2 = [l.decode().split(" ", 1)[1] for l in lines]
is_(uids2, uids, "UIDL the same in the next session, after the move to cur/")
p.dele(1)
p.dele(3)
ok(p.quit().startswith(b"+OK"), "QUIT with two deletions")
is_(len(inst.files("alice")), 1, "QUIT removed the deleted messages")
p = tls_session()
resp, lines, _ = p.uidl()
is_([l.decode().split(" ", 1)[1] for l in lines], [uids[1]], "the next session lists the survivor under its old UIDL")
p.quit()

# ---- a dropped connection commits nothing ----
for m in MSGS:
    inst.deliver("alice", m)
p = tls_session()
n = p.stat()[0]
for i in range(n):
    p.dele(i + 1)
p.sock.shutdown(socket.SHUT_RDWR)
p.sock.close()
for attempt in range(50):          # the server notices the drop, and its lock goes
    try:
        p = tls_session()
        break
    except poplib.error_proto:
        time.sleep(0.1)
is_(p.stat()[0], n, "a connection dropped after DELE removed nothing")
p.quit()
ok("reason=eof" in inst.log() and "deleted=0" in inst.log(), "the dropped session is logged as eof, deleted=0")

# ---- IN-USE ----
a = tls_session()
b = poplib.POP3("127.0.0.1", plain, timeout=10)
b.stls(ctx)
b.user("alice@example.org")
e = err_text(b.pass_, "alice-pw")
ok(e.startswith("-ERR [IN-USE]"), "a second session gets -ERR [IN-USE]", e)
a.quit()
b = tls_session()
ok(b.stat()[0] == n, "after the first QUIT, a new session gets in")
b.quit()

# a session killed with SIGKILL leaves no lock behind (flock dies with it)
env = dict(os.environ, POP3D_CLEARTEXT="1")
k = subprocess.Popen([prog("pop3d"), "-C", inst.conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, env=env, preexec_fn=drop_to_nobody)
k.stdin.write(b"USER alice@example.org\r\nPASS alice-pw\r\n")
k.stdin.flush()
greet = k.stdout.readline() + k.stdout.readline() + k.stdout.readline()
ok(b"+OK logged in" in greet, "a session on pipes logs in and holds the lock", greet)
# The lock is held by the session process that posthorn-mailauth started
# (k's child): that is the one killed.
with open("/proc/%d/task/%d/children" % (k.pid, k.pid)) as f:
    for child in f.read().split():
        os.kill(int(child), signal.SIGKILL)
k.wait()
b = tls_session()
ok(b.stat()[0] == n, "the lock of a killed session does not block the next")
b.quit()
lock = os.path.join(inst.maildir("alice"), "posthorn-pop3d.lock")
if ROOT:
    is_(os.stat(lock).st_uid, NOBODY.pw_uid, "the lock file was made as the mail owner, not root")

# ---- deliveries during a session ----
a = tls_session()
before = a.stat()[0]
inst.deliver("alice", "Subject: during\n\nwhile a session was open\n")
is_(a.stat()[0], before, "a message delivered during the session is not in its list")
a.quit()
a = tls_session()
is_(a.stat()[0], before + 1, "it shows up in the next session")
a.quit()

# ---- wrong passwords, unknown users: one answer ----
def login_error(user, pw, port=clear):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(user)
    e = err_text(p.pass_, pw)
    p.close()
    return e

e1 = login_error("alice@example.org", "wrong")
e2 = login_error("nosuch@example.org", "wrong")
e3 = login_error("nosuch@nodomain.test", "wrong")
ok(e1.startswith("-ERR [AUTH]"), "wrong password: -ERR [AUTH]", e1)
ok(e1 == e2 == e3, "wrong password, unknown user and unknown domain get the same reply", [e1, e2, e3])
log = inst.log()
ok("event=login-fail user=alice@example.org" in log and "event=login-fail user=nosuch@example.org" in log,
   "failed logins are logged with the name tried")
ok("wrong" not in log and "alice-pw" not in log, "no password in the log")
p = poplib.POP3("127.0.0.1", clear, timeout=10)
for i in range(3):
    p.user("alice@example.org")
    e = err_text(p.pass_, "wrong%d" % i)
ok("too many" in e, "the third failed login hangs up", e)

# ---- USER/PASS with a password holding spaces; case-insensitive login ----
p = poplib.POP3("127.0.0.1", clear, timeout=10)
p.user("Bob@Example.ORG")
ok(p.pass_("bob pw with spaces").startswith(b"+OK"), "PASS takes the rest of the line (spaces) and names any case")
p.quit()

# ---- AUTH PLAIN ----
p = poplib.POP3("127.0.0.1", clear, timeout=10)
ir = base64.b64encode(b"\0carol@example.org\0carol-pw").decode()
ok(p._shortcmd("AUTH PLAIN " + ir).startswith(b"+OK"), "AUTH PLAIN with an initial response")
p.quit()
p = poplib.POP3("127.0.0.1", clear, timeout=10)
p._putcmd("AUTH PLAIN")
cont = p._getline()[0]
is_(cont, b"+ ", "AUTH PLAIN without initial response: the server asks with '+ '")
p._putcmd(base64.b64encode(b"carol@example.org\0carol@example.org\0carol-pw").decode())
ok(p._getresp().startswith(b"+OK"), "AUTH PLAIN continuation, authzid = authcid")
p.quit()
p = poplib.POP3("127.0.0.1", clear, timeout=10)
e = err_text(p._shortcmd, "AUTH PLAIN " + base64.b64encode(b"alice@example.org\0carol@example.org\0carol-pw").decode())
ok(e.startswith("-ERR [AUTH]"), "AUTH PLAIN acting for another user is refused", e)
e = err_text(p._shortcmd, "AUTH PLAIN " + base64.b64encode(b"\0carol@example.org\0nope").decode())
ok(e.startswith("-ERR [AUTH]"), "AUTH PLAIN wrong password", e)
p._putcmd("AUTH PLAIN")
p._getline()
p._putcmd("*")
e = err_text(p._getresp)
ok(e.startswith("-ERR"), "AUTH cancelled with '*'", e)
e = err_text(p._shortcmd, "AUTH CRAM-MD5")
ok(e.startswith("-ERR"), "AUTH with an unknown mechanism", e)
p.close()

# ---- implicit TLS (port 995) ----
p = poplib.POP3_SSL("127.0.0.1", implicit, context=ctx, timeout=10)
ok(p.getwelcome().startswith(b"+OK"), "implicit TLS (-T): greeting over TLS")
caps = p.capa()
ok("USER" in caps and "STLS" not in caps, "implicit TLS: CAPA offers USER, not STLS", caps)
p.user("carol@example.org")
ok(p.pass_("carol-pw").startswith(b"+OK"), "implicit TLS: login")
p.quit()
ok("event=login user=carol@example.org" in inst.log(), "logins are logged")
ok("retrieved=3" in inst.log() and "bytes=" in inst.log(), "logouts are logged with retrieved and bytes")

# ---- failed-login delay ----
inst.write("pop3d-faildelay", "1")
t0 = time.time()
rc, out, err = inst.pipe(b"USER alice@example.org\r\nPASS wrong\r\nQUIT\r\n", env={"POP3D_CLEARTEXT": "1"})
ok(time.time() - t0 >= 1 and "-ERR [AUTH]" in out, "pop3d-faildelay: a failed login waits", out)
inst.write("pop3d-faildelay", "0")

# ---- config: pop3d-cleartext ----
inst.write("pop3d-cleartext", "1")
rc, out, err = inst.pipe(b"CAPA\r\nUSER alice@example.org\r\nPASS alice-pw\r\nQUIT\r\n")
ok("\r\nUSER\r\n" in out and "+OK logged in" in out, "config file pop3d-cleartext 1 allows logins in the clear", out)
os.unlink(os.path.join(inst.conf, "pop3d-cleartext"))
inst.write("pop3d-timeout", "1")
t0 = time.time()
p = subprocess.Popen([prog("pop3d"), "-C", inst.conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, preexec_fn=drop_to_nobody)
out = p.stdout.read()          # stdin stays open: the client is idle, not gone
p.stdin.close()
p.wait(10)
ok(b"autologout" in out and time.time() - t0 < 5, "pop3d-timeout: an idle session is closed", out)
os.unlink(os.path.join(inst.conf, "pop3d-timeout"))

# ---- kill -9 of the login half under TLS: the session ends, nothing is lost ----


def procs(session):
    """pids of this instance's pop3d processes: sessions (-L) or login halves."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                argv = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"posthorn-pop3d") and inst.conf.encode() in argv and (b"-L" in argv) == session:
                out.append(int(d))
    return out


files_before = inst.files("alice")
p = tls_session()
p.dele(1)
halves, sessions = procs(False), procs(True)
ok(len(halves) == 1 and len(sessions) == 1, "a TLS session: its login half and its session", (halves, sessions))
if halves and sessions:
    os.kill(halves[0], signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline and os.path.exists("/proc/%d" % sessions[0]) and \
            b"State:\tZ" not in open("/proc/%d/status" % sessions[0], "rb").read():
        time.sleep(0.05)
    ok(not procs(True), "the session ends when its relay dies")
is_(inst.files("alice"), files_before, "the DELE before the kill was not applied: the Maildir is unchanged")
b = tls_session()
ok(b.stat()[0] == len(files_before), "and the next session gets in at once (the lock went with the session)")
b.quit()

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
