#!/usr/bin/env python3
# The systemd units of conf/systemd.  Systemd is not PID 1 here, so no unit
# is started by systemd itself; instead:
#   - each socket unit and its service template say what conf/s6's run
#     script says: port, connection limit and backlog, program, arguments,
#     account and group; posthorn-runq.service runs the runner as the s6
#     script does; posthorn.target wants every unit; posthorn-s6.service
#     runs s6-svscan on /etc/posthorn-services, the one place README and
#     posthorn-setup(8) name;
#   - systemd-analyze verify finds nothing to say about any unit (when
#     systemd's tools are installed);
#   - as root, in a network namespace of its own (so that the units' real
#     ports 25, 587, 465, 110, 995, 143, 993 are free and only loopback
#     exists), tests/lib/sdunits.py binds every socket unit as systemd
#     would and runs each service's ExecStart per connection, as its User=
#     and Group=, in its Environment= and EnvironmentFile=, on an instance
#     made by posthorn-setup; posthorn-runq.service's command runs the
#     queue.  Every service greets; a client at 127.0.0.1:25 may relay
#     (posthorn-smtpd-local, RELAYCLIENT) and the same client at
#     127.0.0.2:25 may not (posthorn-smtpd.socket, bound to all addresses);
#     a message submitted on 587 arrives and is read by POP3 and IMAP;
#     smtpd found the client's address with getpeername (no tcpserver);
#     POP3D_CLEARTEXT=1 in the pop3d EnvironmentFile allows a login
#     without TLS; everything stops on SIGTERM and nothing is left.
import glob
import imaplib
import os
import poplib
import re
import shlex
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NETNS = "POSTHORN_SYSTEMD_NETNS"
# The running part needs a network namespace: enter one first (nothing has
# been made yet), or go on without it and skip that part.
if os.geteuid() == 0 and not os.environ.get(NETNS) and shutil.which("unshare") and \
        subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0:
    os.execvpe("unshare", ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__)],
               dict(os.environ, **{NETNS: "1"}))

sys.path.insert(0, os.path.join(HERE, "lib"))
from tap import ok, is_, note, done, prog, tempdir, ROOT as SRC, BIN
import sdunits

UNITS = os.path.join(SRC, "conf", "systemd")
units = {n: sdunits.Unit(os.path.join(UNITS, n)) for n in sorted(os.listdir(UNITS))}


# ---- the units say what the s6 run scripts say ----
def run_script(name):
    """What conf/s6/NAME/run runs: (port or None, argv with $BIN and $CONF
    filled in, user, group, -c, -b)."""
    text = open(os.path.join(SRC, "conf", "s6", name, "run")).read()
    var = dict(re.findall(r"^(\w+)=(\S+)$", text, re.M))
    cmd = text[text.rindex("exec "):].replace("\\\n", " ")
    words = shlex.split(cmd.replace("$BIN", var["BIN"]).replace("$CONF", var["CONF"]))[1:]
    if words[0] != "tcpserver":
        return None, words, None, None, None, None
    user = re.search(r'-u "\$\(id -u (\S+)\)"', text).group(1)
    group = re.search(r'-g "\$\(getent group (\S+) ', text).group(1)
    c, b = re.search(r" -c (\d+)", text).group(1), re.search(r" -b (\d+)", text).group(1)
    argv = words[words.index("$PORT") + 1:]
    return int(var["PORT"]), argv, user, group, c, b


services = sorted(os.listdir(os.path.join(SRC, "conf", "s6")))
network = [s for s in services if run_script(s)[0]]
is_(sorted(n for n in units if n.endswith(".socket")),
    sorted(["%s.socket" % s for s in network] + ["posthorn-smtpd-local.socket"]),
    "a socket unit for each network service of conf/s6, and posthorn-smtpd-local")
is_(sorted(n for n in units if n.endswith("@.service")),
    sorted(["%s@.service" % s for s in network] + ["posthorn-smtpd-local@.service"]),
    "and a service template for each")
ports = {}
for s in network:
    port, argv, user, group, c, b = run_script(s)
    sock, svc = units[s + ".socket"], units[s + "@.service"]
    ports[s] = port
    is_((sock.all("Socket", "ListenStream"), sock.get("Socket", "Accept"), sock.get("Socket", "MaxConnections"),
         sock.get("Socket", "Backlog")), ([str(port)], "yes", c, b),
        "%s.socket: port %d on all addresses, Accept=yes, tcpserver's -c %s and -b %s" % (s, port, c, b))
    is_((sdunits.exec_argv(svc), svc.get("Service", "User"), svc.get("Service", "Group"),
         svc.get("Service", "StandardInput"), svc.get("Service", "StandardOutput")),
        (argv, user, group, "socket", "socket"),
        "%s@.service runs %s as %s:%s on the connection, like conf/s6/%s/run" % (s, " ".join(argv), user, group, s))
local, local_svc = units["posthorn-smtpd-local.socket"], units["posthorn-smtpd-local@.service"]
is_(local.all("Socket", "ListenStream"), ["127.0.0.1:25", "[::1]:25"], "posthorn-smtpd-local.socket: loopback, port 25")
ok(local.get("Socket", "ReusePort") == "yes" and units["posthorn-smtpd.socket"].get("Socket", "ReusePort") == "yes",
   "ReusePort on both sockets of port 25 (else the second cannot bind)")
is_((sdunits.exec_argv(local_svc), local_svc.get("Service", "User"), local_svc.get("Service", "Group"),
     local_svc.all("Service", "Environment")),
    (sdunits.exec_argv(units["posthorn-smtpd@.service"]), "posthorn-smtpd", "posthorn", ["RELAYCLIENT="]),
    "posthorn-smtpd-local@.service: posthorn-smtpd's command and account, with RELAYCLIENT set")
runq = units["posthorn-runq.service"]
is_((sdunits.exec_argv(runq), runq.get("Service", "User"), runq.get("Service", "KillMode")),
    (run_script("posthorn-runq")[1], None, "mixed"),
    "posthorn-runq.service runs what conf/s6/posthorn-runq/run runs, as root; SIGTERM to the runner alone")
wants = " ".join(units["posthorn.target"].all("Unit", "Wants")).split()
is_(sorted(wants), sorted([n for n in units if n.endswith(".socket")] + ["posthorn-runq.service"]),
    "posthorn.target wants every socket unit and the runner")
s6unit = units["posthorn-s6.service"]
is_((sdunits.exec_argv(s6unit), s6unit.get("Service", "KillMode")),
    (["/usr/bin/s6-svscan", "/etc/posthorn-services"], "mixed"),
    "posthorn-s6.service runs s6-svscan on /etc/posthorn-services; SIGTERM to s6-svscan alone")
docs = {f: open(os.path.join(SRC, f)).read() for f in ("README", "man/posthorn-setup.8")}
is_([f for f, t in docs.items() if "/etc/posthorn-services" not in t or "/etc/s6/sv" in t], [],
    "README and posthorn-setup(8) put the service directories in /etc/posthorn-services, and nowhere else")

# ---- systemd-analyze verify ----
if shutil.which("systemd-analyze"):
    vdir = os.path.join(tempdir(), "units")
    os.makedirs(vdir)
    # The programs of the build under test: verify checks that each
    # ExecStart names an executable.
    for n in units:
        if n == "posthorn-s6.service" and not os.access("/usr/bin/s6-svscan", os.X_OK):
            note("s6 is not installed: posthorn-s6.service not verified")
            continue
        with open(os.path.join(vdir, n), "w") as f:
            f.write(open(os.path.join(UNITS, n)).read().replace("/usr/local/bin/", BIN + "/"))
    p = subprocess.run(["systemd-analyze", "verify", "--man=no"] + sorted(os.listdir(vdir)), cwd=vdir,
                       capture_output=True, text=True, timeout=60)
    is_((p.returncode, p.stdout + p.stderr), (0, ""), "systemd-analyze verify: every unit is clean")
else:
    note("systemd-analyze is not installed: the units are not verified (apt-get install systemd)")

# ---- the units at work ----
if os.geteuid() != 0 or not os.environ.get(NETNS):
    note("skipped running the units: needs root and unshare --net (a network namespace with real ports)")
    done()

import fcntl
import struct
from instance import wait_for, listening
from services import Installation

# Loopback comes up down in a new network namespace.
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
with socket.socket() as s:
    flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH22x", b"lo", 0)))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
HAVE_IMAP = os.path.exists(prog("imapd"))
HAVE_V6 = subprocess.run(["sh", "-c", "ip -6 addr show dev lo | grep -q '::1'"]).returncode == 0 \
    if shutil.which("ip") else False
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE

inst = Installation("s.test", "sam@s.test", "sam-secret")
is_(inst.setup.returncode, 0, "posthorn-setup for s.test", )
if inst.setup.returncode:
    note(inst.setup.stdout + inst.setup.stderr)
    done()
unitdir = os.path.join(inst.root, "systemd")
journal = os.path.join(inst.root, "journal")
os.makedirs(unitdir)
os.makedirs(journal)
unrewritten = []
for n in units:
    if n.endswith((".socket", "@.service")) and (HAVE_IMAP or "imap" not in n) or n == "posthorn-runq.service":
        text = open(os.path.join(UNITS, n)).read().replace("/usr/local/bin/", inst.bin + "/")
        text = text.replace("/etc/posthorn/", inst.conf + "/").replace("/etc/posthorn\n", inst.conf + "\n")
        text = text.replace("/etc/posthorn ", inst.conf + " ")
        if not HAVE_V6:
            text = text.replace("ListenStream=[::1]:25\n", "")
        if "/etc/posthorn" in text or "/usr/local" in text:
            unrewritten.append(n)
        with open(os.path.join(unitdir, n), "w") as f:
            f.write(text)
is_(unrewritten, [], "the units' paths are rewritten to the instance (config dir, programs)")
os.makedirs(os.path.join(inst.conf, "systemd"))
if not HAVE_V6:
    note("no IPv6 on loopback here: [::1]:25 left out")

act = subprocess.Popen([sys.executable, os.path.join(HERE, "lib", "sdunits.py"), "serve", unitdir, journal],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
runq_pid = None


def stop_all():
    global runq_pid
    if act.poll() is None:
        act.terminate()
        try:
            act.wait(15)
        except subprocess.TimeoutExpired:
            act.kill()
            act.wait()
    if runq_pid:
        os.kill(runq_pid, signal.SIGTERM)
        pid, status = os.waitpid(runq_pid, 0)
        runq_pid = None
        return os.waitstatus_to_exitcode(status)
    return None


import atexit
atexit.register(stop_all)
ready = act.stdout.readline().strip()
is_(ready, "ready", "every socket unit is bound as systemd binds it (real ports, ReusePort on port 25)")
if ready != "ready":
    note(act.stderr.read())
    done()
runq_pid = sdunits.spawn(sdunits.Unit(os.path.join(unitdir, "posthorn-runq.service")), os.path.join(journal, "runq.log"))

GREETING = {25: b"220 ", 587: b"220 ", 465: b"220 ", 110: b"+OK", 995: b"+OK", 143: b"* OK", 993: b"* OK"}


def greeting(host, port):
    try:
        with socket.create_connection((host, port), timeout=10) as c:
            if port in (465, 993, 995):
                c = CTX.wrap_socket(c)
            return c.makefile("rb").readline()
    except OSError as e:
        return repr(e).encode()


got = {p: greeting("127.0.0.1", p) for p in sorted(ports.values()) if HAVE_IMAP or p not in (143, 993)}
is_({p: g for p, g in got.items() if not g.startswith(GREETING[p])}, {},
    "each service greets at 127.0.0.1 on its real port (%s)" % ", ".join(str(p) for p in sorted(got)))
ok(greeting("127.0.0.2", 25).startswith(b"220 "), "port 25 answers at 127.0.0.2 too (posthorn-smtpd.socket, all addresses)")


# ---- relaying: by the socket the client reached ----
def relay(host):
    with smtplib.SMTP(host, 25, timeout=30) as s:
        s.ehlo("client.elsewhere.test")
        s.mail("someone@elsewhere.test")
        return s.rcpt("far@far.test")[0]


is_(relay("127.0.0.1"), 250, "a client at 127.0.0.1:25 may relay (posthorn-smtpd-local@.service sets RELAYCLIENT)")
if HAVE_V6:
    is_(relay("::1"), 250, "so may one at [::1]:25")
is_(relay("127.0.0.2"), 554, "the same client at 127.0.0.2:25 reaches posthorn-smtpd.socket: relay refused (554)")

# ---- a message in by submission, through the runner, out by POP3 and IMAP ----
with smtplib.SMTP("127.0.0.1", 587, timeout=30) as s:
    s.ehlo("client.s.test")
    s.starttls(context=CTX)
    s.ehlo("client.s.test")
    s.login(inst.user, inst.password)
    refused = s.sendmail(inst.user, [inst.user], b"From: sam@s.test\r\nTo: sam@s.test\r\nSubject: via systemd\r\n\r\nhi\r\n")
is_(refused, {}, "submission on 587 (STARTTLS + AUTH) takes a message")
ok(wait_for(lambda: inst.maildir_has("via systemd"), 30), "posthorn-runq.service's command delivered it")
msgs = [open(f, "rb").read() for f in glob.glob(os.path.join(inst.mail, "s.test", "sam", "new", "*"))]
ok(msgs and b"[127.0.0.1])" in msgs[0].split(b"\n\n")[0],
   "its Received field has the client's address, found with getpeername (no tcpserver, no TCPREMOTEIP)",
   msgs[0][:400] if msgs else None)


def pop3_login(port, tls, stls):
    pop = (poplib.POP3_SSL("127.0.0.1", port, context=CTX, timeout=30) if tls
           else poplib.POP3("127.0.0.1", port, timeout=30))
    try:
        if stls:
            pop.stls(CTX)
        pop.user(inst.user)
        pop.pass_(inst.password)
        return pop.stat()[0]
    except poplib.error_proto as e:
        return e.args[0][:4]
    finally:
        try:
            pop.quit()
        except Exception:
            pop.close()


is_(pop3_login(110, False, True), 1, "POP3 on 110 with STLS: sam sees the message")
is_(pop3_login(995, True, False), 1, "POP3 over TLS on 995 too")
is_(pop3_login(110, False, False), b"-ERR", "a login without TLS on 110 is refused")
with open(os.path.join(inst.conf, "systemd", "pop3d.env"), "w") as f:
    f.write("# what tcprules would set\nPOP3D_CLEARTEXT=1\n")
is_(pop3_login(110, False, False), 1, "with POP3D_CLEARTEXT=1 in the pop3d EnvironmentFile it is allowed")
os.unlink(os.path.join(inst.conf, "systemd", "pop3d.env"))
if HAVE_IMAP:
    m = imaplib.IMAP4_SSL("127.0.0.1", 993, ssl_context=CTX, timeout=30)
    m.login(inst.user, inst.password)
    is_(m.select("INBOX", readonly=True), ("OK", [b"1"]), "IMAP over TLS on 993: INBOX holds the message")
    m.logout()
    m = imaplib.IMAP4("127.0.0.1", 143, timeout=30)
    m.starttls(ssl_context=CTX)
    m.login(inst.user, inst.password)
    is_(m.select("INBOX", readonly=True)[0], "OK", "IMAP on 143 with STARTTLS")
    m.logout()
else:
    note("posthorn-imapd is not built: IMAP skipped")
ok(wait_for(lambda: b"posthorn-smtpd: event=" in open(os.path.join(journal, "posthorn-submission.log"), "rb").read(), 5),
   "the sessions' stderr (the journal under systemd) has smtpd's log lines")

# ---- stop ----
code = stop_all()
is_(code, 0, "the runner exits 0 on SIGTERM (KillMode=mixed sends it to the runner alone)")


def left():
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                if inst.root.encode() in open("/proc/%s/cmdline" % d, "rb").read():
                    found.append(int(d))
            except OSError:
                pass
    return found


ok(wait_for(lambda: not left(), 10), "no process of the instance is left", left())
ok(not listening(25), "nothing listens on port 25 any more")
done()
