#!/usr/bin/env python3
# The service scripts of conf/daemontools, run for real under daemontools:
# posthorn-setup makes an instance, svscan runs every service of
# conf/daemontools (paths and ports rewritten to the instance and to free
# loopback ports, each logger writing into its service's log/main, the
# daemontools habit).  A message sent with smtplib to the MX service
# arrives in the user's Maildir through the runner service; multilog, as
# nobody, writes timestamped log lines into a directory that only nobody
# and group adm may read (2750: multilog makes current 0644 itself, so the
# directory is what keeps others out); svc -k (SIGKILL) of the smtpd
# service makes supervise restart it and it serves again; svstat reports
# every service and logger up.  At the end every supervise is told svc -dx
# (after svscan, which would restart an exited supervise within 5 seconds,
# is gone), and no process of the instance is left.  Needs root and
# daemontools (Debian's package: svscan, supervise, svc, svstat, multilog).
import atexit
import grp
import os
import pwd
import re
import shutil
import signal
import smtplib
import stat
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from instance import wait_for, listening
from services import Installation, processes_under

TOOLS = ("svscan", "supervise", "svc", "svstat", "svok", "multilog", "setuidgid")
if os.geteuid() != 0:
    print("1..0 # SKIP needs root (posthorn-setup makes accounts; services drop to them)")
    sys.exit(0)
if not all(shutil.which(t) for t in TOOLS):
    print("1..0 # SKIP needs daemontools (%s): apt-get install daemontools" % ", ".join(TOOLS))
    sys.exit(0)

HAVE_IMAP = os.path.exists(prog("imapd"))
TAI64N = re.compile(rb"^@[0-9a-f]{24} ")
STOP_SECONDS = 20


def svstat(path):
    """(state, pid) from svstat: ("up", 1234), ("down", 0), or (text, 0)
    when supervise is not running there."""
    out = subprocess.run(["svstat", path], capture_output=True, text=True, timeout=10).stdout.strip()
    m = re.search(r": (up) \(pid (\d+)\)", out)
    if m:
        return "up", int(m.group(2))
    m = re.search(r": (down) ", out)
    return (m.group(1) if m else out), 0


def supervised(path):
    """Is a supervise running for this dir?  (svok exits 0 if so.)"""
    return subprocess.run(["svok", path], timeout=10).returncode == 0


inst = Installation("d.test", "dora@d.test", "dora-secret")
is_(inst.setup.returncode, 0, "posthorn-setup for d.test")
if inst.setup.returncode:
    note(inst.setup.stdout + inst.setup.stderr)
    done()

svc = inst.services("daemontools", lambda svc, name: os.path.join(svc, name, "log", "main"),
                    keep=lambda name: HAVE_IMAP or "imap" not in name)
names = sorted(os.listdir(svc))
dirs = [os.path.join(svc, n) for n in names] + [os.path.join(svc, n, "log") for n in names]
svscan_log = os.path.join(inst.root, "svscan.log")
# The environment svscanboot (Debian's daemontools-run) gives svscan: PATH
# and nothing else, so the run scripts get no help from the test's.  Plus
# DNSCACHEIP on loopback, as everywhere in the tests (tests/lib/tap.py): no
# test asks the real resolver anything.
BOOT_ENV = {"PATH": "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin",
            "DNSCACHEIP": "127.0.0.1"}
svscan = subprocess.Popen(["svscan", svc], stdin=subprocess.DEVNULL, stdout=open(svscan_log, "ab"),
                          stderr=subprocess.STDOUT, env=BOOT_ENV, start_new_session=True)


def stop():
    """svscan first, by its pid (alive, it would start a new supervise for
    each one that exits); then svc -dx every service, and once their
    supervise is gone (the pipe to the logger closes with it), every
    logger.  Returns the instance's processes still there after that."""
    if svscan.poll() is None:
        svscan.terminate()
        try:
            svscan.wait(10)
        except subprocess.TimeoutExpired:
            svscan.kill()
            svscan.wait(10)
    for group in ([os.path.join(svc, n) for n in names], [os.path.join(svc, n, "log") for n in names]):
        live = [d for d in group if supervised(d)]
        if live:
            subprocess.run(["svc", "-dx"] + live, timeout=10)
        wait_for(lambda: not any(supervised(d) for d in live), STOP_SECONDS, 0.1)
    wait_for(lambda: not processes_under([inst.root]), STOP_SECONDS, 0.1)
    return processes_under([inst.root])


def cleanup():
    # Only after a failure halfway: nothing of the instance may outlive the
    # test (its temp dir is removed next).
    for pid in stop():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


atexit.register(cleanup)

# ---- every service comes up ----
is_(sorted(inst.ports), sorted([25, 465, 587, 110, 995] + ([143, 993] if HAVE_IMAP else [])),
    "every network service of conf/daemontools got a loopback port")
up = all(wait_for(lambda p=p: listening(p), 20) for p in inst.ports.values())
ok(up, "svscan brought up every network service (tcpserver listening)",
   open(svscan_log, errors="replace").read() if not up else None)
ok(wait_for(lambda: all(svstat(d)[0] == "up" for d in dirs), 10),
   "svstat reports all %d services and their loggers up" % len(names),
   "\n".join("%s: %s" % (os.path.relpath(d, svc), svstat(d)) for d in dirs))

# Listening is tcpserver's part; the greeting shows that the run script's
# command line starts a working posthorn program (with TLS on 465, 993, 995).
GREETING = {25: b"220 ", 587: b"220 ", 465: b"220 ", 110: b"+OK", 995: b"+OK", 143: b"* OK", 993: b"* OK"}
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def greeting(port):
    try:
        with socket.create_connection(("127.0.0.1", inst.ports[port]), timeout=10) as c:
            if port in (465, 993, 995):
                c = CTX.wrap_socket(c)
            return c.makefile("rb").readline()
    except OSError as e:
        return repr(e).encode()


greetings = {port: greeting(port) for port in sorted(inst.ports)}
is_({port: g for port, g in greetings.items() if not g.startswith(GREETING[port])}, {},
    "each service greets on its port (%s)" % ", ".join(str(p) for p in sorted(inst.ports)))

# ---- the runner delivers what the MX service accepted ----
MSG = "From: carol@elsewhere.test\r\nTo: dora@d.test\r\nSubject: %s\r\n\r\nhello through daemontools\r\n"


def send(subject):
    with smtplib.SMTP("127.0.0.1", inst.ports[25], timeout=30) as s:
        s.ehlo("client.elsewhere.test")
        return s.sendmail("carol@elsewhere.test", ["dora@d.test"], (MSG % subject).encode())


is_(send("first"), {}, "the smtpd service (MX) accepts a message for dora@d.test (smtplib)")
ok(wait_for(lambda: inst.maildir_has("first"), 30), "the runq service delivered it into dora's Maildir")

# ---- multilog: the services' lines, timestamped, as nobody ----
def log_lines(name):
    try:
        with open(os.path.join(svc, name, "log", "main", "current"), "rb") as f:
            return f.read().splitlines()
    except OSError:
        return []


def logged(name, needle):
    return any(needle in line for line in log_lines(name))


ok(wait_for(lambda: logged("posthorn-smtpd", b"posthorn-smtpd: event=message") and
            logged("posthorn-smtpd", b"tcpserver: "), 10),
   "multilog wrote smtpd's and tcpserver's lines into posthorn-smtpd/log/main/current",
   b"\n".join(log_lines("posthorn-smtpd")).decode(errors="replace"))
ok(wait_for(lambda: logged("posthorn-runq", b"posthorn-runq: event=delivery"), 10),
   "multilog wrote the runner's delivery line into posthorn-runq/log/main/current",
   b"\n".join(log_lines("posthorn-runq")).decode(errors="replace"))
lines = log_lines("posthorn-smtpd") + log_lines("posthorn-runq")
is_([l for l in lines if not TAI64N.match(l)], [], "every log line starts with a TAI64N timestamp (multilog t)")
nobody = pwd.getpwnam("nobody").pw_uid
current = os.path.join(svc, "posthorn-smtpd", "log", "main", "current")
is_(os.stat(current).st_uid if os.path.exists(current) else None, nobody,
    "log/main/current belongs to nobody (setuidgid nobody multilog)")
maindir = os.path.dirname(current)
dst = os.stat(maindir)
is_((oct(stat.S_IMODE(dst.st_mode)), dst.st_uid, dst.st_gid), (oct(0o2750), nobody, grp.getgrnam("adm").gr_gid),
    "log/main is 2750 nobody:adm (the log/run script)")
is_(os.stat(current).st_gid if os.path.exists(current) else None, grp.getgrnam("adm").gr_gid,
    "current has group adm (from the setgid directory)")


def open_as(account, path):
    """Opens path for reading as this account (a child drops to it): 0 if
    it could, 13 if refused, 1 for any other error."""
    pw = pwd.getpwnam(account)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            open(path, "rb").close()
            os._exit(0)
        except PermissionError:
            os._exit(13)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


is_(open_as("posthorn-smtpd", current), 13, "another account (posthorn-smtpd, not in adm) cannot read it")
loggers = [cmd for pid, cmd in processes_under([inst.root]).items() if cmd.startswith("multilog ")
           and os.stat("/proc/%d" % pid).st_uid != nobody]
is_(loggers, [], "no multilog runs as anyone but nobody")

# ---- svc -k: supervise restarts the smtpd service, which serves again ----
smtpd = os.path.join(svc, "posthorn-smtpd")
state, old = svstat(smtpd)
ok(state == "up" and old > 0, "svstat gives the smtpd service's pid (%d)" % old)
subprocess.run(["svc", "-k", smtpd], timeout=10)
ok(wait_for(lambda: svstat(smtpd)[1] not in (0, old), 10), "after svc -k supervise started a new tcpserver",
   svstat(smtpd))
ok(old and wait_for(lambda: not os.path.exists("/proc/%d" % old) or
                    open("/proc/%d/stat" % old).read().split()[2] == "Z", 5), "the old tcpserver is gone")
ok(wait_for(lambda: listening(inst.ports[25]), 10), "the restarted smtpd service listens again")
is_(send("after svc -k"), {}, "it accepts a message")
ok(wait_for(lambda: inst.maildir_has("after svc -k"), 30), "which arrives in dora's Maildir")
state, pid = svstat(smtpd)
ok(state == "up" and pid not in (0, old), "svstat reports the smtpd service up with its new pid")

# ---- everything stops; nothing is left ----
left = stop()
ok(svscan.returncode is not None, "svscan stopped (pid %d)" % svscan.pid)
is_([d for d in dirs if supervised(d)], [], "svc -dx: no supervise is left for any service or logger")
is_(left, {}, "no process of the instance is left (supervise, tcpserver, posthorn-runq, multilog)")
ok(wait_for(lambda: not listening(inst.ports[25]), 5), "nothing listens on the smtpd service's port")
errors = open(svscan_log, errors="replace").read()
is_(errors, "", "svscan and supervise reported no errors")
done()
