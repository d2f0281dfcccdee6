#!/usr/bin/env python3
# The whole system the way an admin runs it: posthorn-setup makes the
# accounts, directories and certificate of two instances (a.test, b.test);
# s6-svscan runs the service scripts of conf/s6 (paths and ports rewritten
# to the instance and to free loopback ports).  A user of each domain sends
# to the other by submission with STARTTLS and AUTH; each reads the mail by
# POP3 and by IMAP; a message to an unknown user bounces with the peer's
# 550; the queue runner and a tcpserver are killed with SIGKILL mid-run,
# the supervisor restarts them and nothing is lost.  Privilege separation:
# no network-facing process runs as root, smtpd's account cannot read a
# Maildir or the queue.  posthorn-setup run again repairs an account's
# wrong shell and home.  The loggers write into the directories that
# posthorn-setup made (LOG/smtpd, ...): 2750 nobody:adm, files 0640, no other
# account can read them.  Needs root and s6.
import glob
import grp
import imaplib
import os
import poplib
import pwd
import shutil
import signal
import smtplib
import socket
import ssl
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, ROOT as TREE
from instance import wait_for, listening
from services import Installation

if os.geteuid() != 0 or not shutil.which("s6-svscan"):
    print("1..0 # SKIP needs root and s6")
    sys.exit(0)

HAVE_IMAP = os.path.exists(prog("imapd"))
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
svscans = []


class System(Installation):
    def services(self):
        # LOG/smtpd for posthorn-smtpd, as /var/log/posthorn/smtpd: the
        # directories posthorn-setup -l made.
        Installation.services(self, "s6", lambda svc, name: os.path.join(self.log, name[len("posthorn-"):]),
                              keep=lambda name: HAVE_IMAP or "imap" not in name)
        p = subprocess.Popen(["s6-svscan", self.svc], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        svscans.append(p)
        self.svscan = p

    def up(self):
        return all(wait_for(lambda p=p: listening(p), 20) for p in self.ports.values())

    def service_pid(self, name):
        out = subprocess.run(["s6-svstat", "-p", os.path.join(self.svc, name)], capture_output=True, text=True).stdout
        return int(out.strip()) if out.strip().isdigit() else 0

    def submit(self, rcpts, subject, body="hello"):
        with smtplib.SMTP("127.0.0.1", self.ports[587], timeout=30) as s:
            s.ehlo("client." + self.domain)
            s.starttls(context=CTX)
            s.ehlo("client." + self.domain)
            s.login(self.user, self.password)
            return s.sendmail(self.user, rcpts, ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n"
                                                 % (self.user, ", ".join(rcpts), subject, body)).encode())

    def pop3_subjects(self):
        pop = poplib.POP3("127.0.0.1", self.ports[110], timeout=30)
        pop.stls(CTX)
        pop.user(self.user)
        pop.pass_(self.password)
        subjects = []
        for i in range(1, pop.stat()[0] + 1):
            for line in pop.retr(i)[1]:
                if line.startswith(b"Subject: "):
                    subjects.append(line[9:].decode())
        pop.quit()
        return subjects

    def imap_subjects(self):
        m = imaplib.IMAP4("127.0.0.1", self.ports[143], timeout=30)
        m.starttls(ssl_context=CTX)
        m.login(self.user, self.password)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        m.logout()
        return [item[1].decode().strip()[9:] for item in data if isinstance(item, tuple)]




def stop_all():
    for p in svscans:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in svscans:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


import atexit
atexit.register(stop_all)

a = System("a.test", "alice@a.test", "alice-secret")
b = System("b.test", "bob@b.test", "bob-secret")
for x in (a, b):
    is_(x.setup.returncode, 0, "posthorn-setup for %s" % x.domain)
    if x.setup.returncode:
        note(x.setup.stdout + x.setup.stderr)
# ---- posthorn-setup repairs an account that is wrong ----
# b's setup gave posthorn-q b's queue as its home; an admin's slip gives
# posthorn-smtpd a shell.  Run again for a, setup puts both right.
subprocess.run(["usermod", "--shell", "/bin/sh", "--home", "/wrong", "posthorn-smtpd"], check=True)
again = a.run_setup()
is_(again.returncode, 0, "posthorn-setup runs again for a.test")
is_((pwd.getpwnam("posthorn-smtpd").pw_shell, pwd.getpwnam("posthorn-smtpd").pw_dir),
    ("/usr/sbin/nologin", "/nonexistent"), "it repaired posthorn-smtpd's shell and home (usermod)")
is_(pwd.getpwnam("posthorn-q").pw_dir, a.queue, "and gave posthorn-q a.test's queue as its home")
ok("account posthorn-smtpd: shell /bin/sh -> /usr/sbin/nologin" in again.stdout, "and said so", again.stdout)

# ---- the TLS session ticket key: made once, rotated by `ticket` ----
tk = os.path.join(a.conf, "tls", "ticket.key")


def ticket_state():
    st = os.stat(tk)
    with open(tk, "rb") as f:
        return f.read(), (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode))


key1, owner = ticket_state()
ok(len(key1) == 48 and owner == (0, "posthorn", 0o640),
   "posthorn-setup made tls/ticket.key: 48 bytes, root:posthorn 0640 (made once: the run again kept it)",
   (len(key1), owner))
p = subprocess.run([os.path.join(TREE, "tools/posthorn-setup"), "-C", a.conf, "ticket"], capture_output=True, text=True)
key2, owner2 = ticket_state()
ok(p.returncode == 0 and len(key2) == 96 and key2[48:] == key1 and key2[:48] != key1 and owner2 == owner,
   "posthorn-setup ticket: a new key in front, the old one behind it, the same owner and mode",
   (p.returncode, p.stderr, len(key2), owner2))

for x in (a, b):
    x.services()
ok(a.up() and b.up(), "s6-svscan brought up every service of both instances on loopback ports")
a.set("routes", "b.test [127.0.0.1]:%d" % b.ports[25])
b.set("routes", "a.test [127.0.0.1]:%d" % a.ports[25])

# ---- privilege separation ----
smtpd_user = pwd.getpwnam("posthorn-smtpd")
mail_user = pwd.getpwnam("posthorn-mail")
roots = []
for line in subprocess.run(["ps", "-eo", "pid,uid,args"], capture_output=True, text=True).stdout.splitlines():
    if "tcpserver" in line and (a.root in line or b.root in line):
        pid, uid = line.split()[:2]
        if uid == "0":
            roots.append(line)
is_(roots, [], "no tcpserver (network-facing process) runs as root")


def as_user(pw, fn):
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            fn()
            os._exit(0)
        except PermissionError:
            os._exit(13)
        except Exception:
            os._exit(1)
    return os.WEXITSTATUS(os.waitpid(pid, 0)[1])


# ---- mail both ways, by submission with STARTTLS and AUTH ----
is_(a.submit(["bob@b.test"], "from alice"), {}, "alice@a.test submits to bob@b.test (STARTTLS + AUTH)")
is_(b.submit(["alice@a.test"], "from bob"), {}, "bob@b.test submits to alice@a.test")
is_(a.submit(["nobody@b.test"], "to nobody"), {}, "alice submits to an unknown user at b.test")
ok(wait_for(lambda: b.maildir_has("from alice"), 30), "bob's Maildir has alice's message")
ok(wait_for(lambda: a.maildir_has("from bob"), 30), "alice's Maildir has bob's message")
ok(wait_for(lambda: a.maildir_has("Undelivered mail returned to sender"), 30), "alice got a bounce for nobody@b.test")

# ---- logs: they hold addresses ----
adm = grp.getgrnam("adm").gr_gid
nobody = pwd.getpwnam("nobody").pw_uid
logdir = os.path.join(a.log, "smtpd")
current = os.path.join(logdir, "current")
ok(wait_for(lambda: os.path.exists(current) and b"event=" in open(current, "rb").read(), 10),
   "s6-log writes smtpd's lines into the directory posthorn-setup made (LOG/smtpd/current)")
st, dst = os.stat(current), os.stat(logdir)
is_((oct(stat.S_IMODE(dst.st_mode)), dst.st_uid, dst.st_gid), (oct(0o2750), nobody, adm),
    "the log directory is 2750 nobody:adm")
is_((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid), (oct(0o640), nobody, adm),
    "current is 0640 nobody:adm (umask 027 in the log/run script, group from the setgid directory)")
is_(sorted(os.listdir(a.log)), sorted(["smtpd", "submission", "smtps", "pop3d", "pop3s", "imapd", "imaps", "runq"]),
    "posthorn-setup made one log directory per service, the loggers no other")

files = [f for f in glob.glob(os.path.join(a.mail, "a.test", "alice", "*", "*")) if os.path.isfile(f)]
ok(files, "alice's Maildir has files", glob.glob(os.path.join(a.mail, "a.test", "alice", "*")))
is_(as_user(smtpd_user, lambda: open(files[0], "rb").read()) if files else None, 13,
    "smtpd's account cannot open a Maildir file")
is_(as_user(smtpd_user, lambda: os.listdir(os.path.join(a.queue, "q"))), 13, "smtpd's account cannot list the queue")
is_(as_user(smtpd_user, lambda: open(os.path.join(a.conf, "tls", "key.pem")).read()), 0,
    "smtpd's account can read the TLS key (group posthorn)")
is_(as_user(pwd.getpwnam("nobody"), lambda: open(os.path.join(a.conf, "users.cdb"), "rb").read()), 13,
    "other accounts cannot read users.cdb (the password hashes)")
is_(as_user(smtpd_user, lambda: open(current, "rb").read()), 13, "nor a log file (smtpd's account, not in adm)")

# ---- reading: POP3 and IMAP ----
subjects = a.pop3_subjects()
ok("from bob" in subjects, "alice reads bob's message by POP3 (STLS)", subjects)
bounce = [f for f in glob.glob(os.path.join(a.mail, "a.test", "alice", "*", "*")) if os.path.isfile(f)
          and b"multipart/report" in open(f, "rb").read()]
ok(bounce and b"550 5.1.1" in open(bounce[0], "rb").read(), "the bounce carries b.test's 550 reply")
ok("from alice" in b.pop3_subjects(), "bob reads alice's message by POP3")
if HAVE_IMAP:
    ok("from bob" in a.imap_subjects(), "alice reads it by IMAP (STARTTLS) too")
    ok("from alice" in b.imap_subjects(), "bob reads his by IMAP")
else:
    note("posthorn-imapd is not built: IMAP reading skipped")

# ---- pop3d and imapd: no mailbox before login ----
login_user = pwd.getpwnam("posthorn-login")
is_(as_user(login_user, lambda: open(files[0], "rb").read()) if files else None, 13,
    "the login account (pop3d and imapd before login) cannot open a Maildir file")
is_(as_user(login_user, lambda: open(os.path.join(a.conf, "tls", "key.pem")).read()), 0,
    "but can read the TLS key")
remote_user = pwd.getpwnam("posthorn-remote")
is_(open(os.path.join(a.conf, "remoteuser")).read().strip(), "posthorn-remote",
    "posthorn-setup names posthorn-remote as remoteuser (the runner, root, starts posthorn-remote as it)")
is_(as_user(remote_user, lambda: os.listdir(os.path.join(a.queue, "q"))), 13, "posthorn-remote cannot list the queue")
is_(as_user(remote_user, lambda: open(files[0], "rb").read()) if files else None, 13,
    "nor open a Maildir file")
mailauth = os.stat(os.path.join(a.bin, "posthorn-mailauth"))
ok(mailauth.st_uid == mail_user.pw_uid and mailauth.st_mode & 0o4000 and not mailauth.st_mode & 0o001,
   "posthorn-mailauth is set-user-ID posthorn-mail, not executable by others", oct(mailauth.st_mode))


def imapd_procs(system):
    procs = []
    for line in subprocess.run(["ps", "-eo", "pid=,ppid=,uid=,args="], capture_output=True, text=True).stdout.splitlines():
        pid, ppid, uid, args = line.split(None, 3)
        if args.split()[0].endswith("posthorn-imapd") and system.conf in args:
            procs.append((int(pid), int(ppid), int(uid), "-L" in args.split()))
    return procs


if HAVE_IMAP:
    m = imaplib.IMAP4("127.0.0.1", a.ports[143], timeout=30)
    m.starttls(ssl_context=CTX)
    before = imapd_procs(a)
    ok(len(before) == 1 and before[0][2] == login_user.pw_uid and not before[0][3],
       "before login, the one imapd runs as posthorn-login", before)
    m.login(a.user, a.password)
    m.select("INBOX")
    after = imapd_procs(a)
    halves = {p[3]: p for p in after}
    ok(len(after) == 2 and halves.get(True, (0, 0, -1))[2] == mail_user.pw_uid and
       halves.get(False, (0, 0, -1))[2] == login_user.pw_uid and halves[True][1] == halves[False][0],
       "after login, the session runs as posthorn-mail, a child of the login half (still posthorn-login, "
       "relaying TLS)", after)
    m.logout()

# ---- SIGKILL mid-run: the supervisor restarts, nothing is lost ----
runq_pid = a.service_pid("posthorn-runq")
smtpd_pid = b.service_pid("posthorn-smtpd")
ok(runq_pid > 0 and smtpd_pid > 0, "s6-svstat knows the runner's and b.test's smtpd's pids")
sent = 0
for i in range(20):
    if i == 5:
        os.kill(runq_pid, signal.SIGKILL)
    if i == 10:
        os.kill(smtpd_pid, signal.SIGKILL)
    try:
        if a.submit(["bob@b.test"], "burst %d" % i) == {}:
            sent += 1
    except (smtplib.SMTPException, OSError) as e:
        note("submission %d: %r" % (i, e))
is_(sent, 20, "20 messages accepted while services were killed")
ok(wait_for(lambda: a.service_pid("posthorn-runq") not in (0, runq_pid), 10), "the runner was restarted")
ok(wait_for(lambda: b.service_pid("posthorn-smtpd") not in (0, smtpd_pid), 10), "b.test's smtpd was restarted")
# A delivery refused while b's smtpd was down waits for its retry: flush.
for _ in range(30):
    if all(b.maildir_has("burst %d" % i) for i in range(20)):
        break
    subprocess.run([os.path.join(a.bin, "posthorn-runq"), "-C", a.conf, "-f"], capture_output=True, timeout=60)
    time.sleep(0.5)
missing = [i for i in range(20) if not b.maildir_has("burst %d" % i)]
is_(missing, [], "every accepted message arrived at bob@b.test")
done()
