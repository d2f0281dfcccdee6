#!/usr/bin/env python3
# posthorn-mailauth, the one way from pop3d's and imapd's login half to the
# Maildirs: a good password starts the session (it says "+" on fd 4, then
# serves the client on fd 0/1), a bad one exits 1 with nothing said to the
# client.  As root with a set-user-ID copy: the session runs with every uid
# the mail owner's, the caller's environment does not reach it, a config
# dir the caller could have written is refused, and the login account
# cannot serve a mailbox by running the session program itself.
import os
import pwd
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, SANITIZER
from pop3d import Instance, ROOT, NOBODY

inst = Instance(users=[("alice", "alice-pw")])
inst.deliver("alice", "Subject: one\n\nbody\n")

# An installed pair: mailauth runs posthorn-pop3d from its own directory.
bindir = os.path.join(inst.dir, "bin")
os.makedirs(bindir)
for name in ("mailauth", "pop3d", "imapd"):
    shutil.copy(prog(name), os.path.join(bindir, "posthorn-" + name))
os.chmod(inst.dir, 0o755)
MAILAUTH = os.path.join(bindir, "posthorn-mailauth")


def start(creds, state=b"method user\ntls -\n\n", user=None, env=None, exe=MAILAUTH, args=("pop3d",),
          conf=None):
    """Runs exe like the login half does; returns (pid, client socket,
    status pipe)."""
    ours, theirs = socket.socketpair()
    r3, w3 = os.pipe()
    r4, w4 = os.pipe()
    os.write(w3, creds + state)
    os.close(w3)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(theirs.fileno(), 0)
            os.dup2(theirs.fileno(), 1)
            os.dup2(r3, 3)
            os.dup2(w4, 4)
            fd = os.open(os.path.join(inst.dir, "mailauth.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
            os.dup2(fd, 2)
            os.closerange(5, 256)
            if user:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            os.execve(exe, [exe, "-C", conf or inst.conf] + list(args), env or {"TCPREMOTEIP": "127.0.0.9"})
        finally:
            os._exit(127)
    theirs.close()
    os.close(r3)
    os.close(w4)
    ours.settimeout(20)
    return pid, ours, r4


def status_byte(fd):
    b = os.read(fd, 1)
    os.close(fd)
    return b


def exit_code(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def readline(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf


def log():
    with open(os.path.join(inst.dir, "mailauth.log"), errors="replace") as f:
        return f.read()


runner = NOBODY if ROOT else None     # never as root

# ---- a good login: the session serves, with what was pipelined ----
pid, s, st = start(b"alice@example.org\0alice-pw\0", state=b"method user\ntls -\n\nSTAT\r\n", user=runner)
is_(status_byte(st), b"+", "good password: the session says + on fd 4")
line = readline(s)
ok(line.startswith(b"+OK logged in, 1 messages"), "and greets the client on fd 0/1", line)
line = readline(s)
ok(line.startswith(b"+OK 1 "), "the STAT the client had pipelined after PASS is answered", line)
s.sendall(b"QUIT\r\n")
ok(readline(s).startswith(b"+OK"), "QUIT")
is_(exit_code(pid), 0, "the session exits 0")
ok("event=login user=alice@example.org" in log(), "the session logs the login", log()[-500:])

# ---- a bad login: exit 1, not a word to the client ----
for creds, what in ((b"alice@example.org\0wrong\0", "a wrong password"),
                    (b"nosuch@example.org\0alice-pw\0", "an unknown user"),
                    (b"alice@example.org", "credentials without their NULs")):
    pid, s, st = start(creds, user=runner)
    is_(status_byte(st), b"", "%s: no + on fd 4" % what)
    is_(exit_code(pid), 1, "%s: exit 1" % what)
    s.settimeout(1)
    try:
        got = s.recv(100)
    except socket.timeout:
        got = b"(nothing)"
    ok(got in (b"", b"(nothing)"), "%s: nothing said to the client" % what, got)

# The wait after a failure is mailauth's own, so a login half cannot skip it.
inst.write("pop3d-faildelay", "1")
t0 = time.monotonic()
pid, s, st = start(b"alice@example.org\0wrong\0", user=runner)
is_(exit_code(pid), 1, "a wrong password with pop3d-faildelay 1")
ok(time.monotonic() - t0 >= 1, "mailauth itself waits pop3d-faildelay before it answers (%.2fs)"
   % (time.monotonic() - t0))
inst.write("pop3d-faildelay", "0")

pid, s, st = start(b"alice@example.org\0alice-pw\0", user=runner, args=("sh",))
is_(exit_code(pid), 64, "a service other than pop3d or imapd is refused")

if ROOT:
    pid, s, st = start(b"alice@example.org\0alice-pw\0")
    is_(exit_code(pid), 111, "run as root: refused (111)")
    ok("refusing to run as root" in log(), "and says why")

# ---- set-user-ID install, as on a real system ----
if ROOT and not SANITIZER:
    MAILUID = 4243
    md = inst.maildir("alice")
    for dirpath, dirs, files in os.walk(md):
        for n in dirs + files + [""]:
            os.chown(os.path.join(dirpath, n) if n else dirpath, MAILUID, MAILUID)
    os.chmod(md, 0o700)
    os.chown(MAILAUTH, MAILUID, 0)
    os.chmod(MAILAUTH, 0o4755)
    os.chmod(inst.conf, 0o755)
    os.chmod(os.path.join(inst.conf, "users.cdb"), 0o644)

    pid, s, st = start(b"alice@example.org\0alice-pw\0", user=NOBODY,
                       env={"TCPREMOTEIP": "127.0.0.9", "LD_PRELOAD": "/nonexistent.so", "POSTHORN_MAILDIR": "/tmp",
                            "FOO": "bar"})
    is_(status_byte(st), b"+", "set-user-ID: nobody's good login starts the session")
    ok(readline(s).startswith(b"+OK logged in, 1 messages"), "which serves alice's Maildir (mode 0700, mail owner's)")
    session = pid
    with open("/proc/%d/status" % session) as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    is_(uids, [str(MAILUID)] * 4, "real, effective, saved and fs uid of the session are all the mail owner's")
    with open("/proc/%d/environ" % session, "rb") as f:
        environ = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
    ok(b"LD_PRELOAD" not in environ and b"FOO" not in environ, "the caller's environment is dropped", environ)
    is_(environ.get(b"POSTHORN_MAILDIR"), md.encode(), "the Maildir comes from users.cdb, not from the caller")
    is_(environ.get(b"TCPREMOTEIP"), b"127.0.0.9", "tcpserver's TCPREMOTEIP is kept")
    s.sendall(b"QUIT\r\n")
    readline(s)
    is_(exit_code(pid), 0, "the session ends")

    os.chown(inst.conf, NOBODY.pw_uid, NOBODY.pw_gid)
    pid, s, st = start(b"alice@example.org\0alice-pw\0", user=NOBODY)
    is_(exit_code(pid), 111, "a config dir owned by the caller is refused")
    os.chown(inst.conf, 0, 0)
    os.chmod(inst.conf, 0o1777)
    pid, s, st = start(b"alice@example.org\0alice-pw\0", user=NOBODY)
    is_(exit_code(pid), 111, "so is a root-owned one that others may write to, like /tmp")
    ok("refusing a config dir" in log(), "and it says why")
    os.chmod(inst.conf, 0o755)

    # The privilege is the uid, not the -L flag: nobody running the session
    # program itself cannot get into the mailbox.
    pid, s, st = start(b"", state=b"method user\ntls -\n\n", user=NOBODY,
                       exe=os.path.join(bindir, "posthorn-pop3d"), args=("-L",),
                       env={"POSTHORN_USER": "alice@example.org", "POSTHORN_MAILDIR": md})
    is_(status_byte(st), b"", "nobody running posthorn-pop3d -L on alice's Maildir: no session")
    is_(exit_code(pid), 111, "it exits 111 (the Maildir cannot be entered)")
else:
    note("set-user-ID checks need root and a non-sanitizer build; skipped")

done()
