"""A posthorn installation in a temp dir, made the way an admin makes one
(tools/posthorn-setup, as root), and the service directories of conf/ (s6
or daemontools) copied and rewritten to run it: the config dir and the
programs of the instance, free loopback ports, logs where the test says.
The supervisor itself (s6-svscan, svscan) is the test's to start.  Used by
system.t, daemontools.t, inetd.t and systemd.t.

posthorn-setup makes real system accounts (posthorn-q, posthorn-mail, ...)
and repairs the home of those that exist.  Importing this module takes a
snapshot of /etc/passwd and /etc/group; when the test exits (after its own
exit handlers, which stop its processes: this one is registered first, so
it runs last) every account and group that was not there is removed and
every one that was there gets its old home, shell, group and comment back.
A test that still leaks one exits 1, whatever its TAP lines said."""
import atexit
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from tap import tempdir, ROOT as SRC, BIN
from instance import free_port

# What conf/*/run and log/run name, and what a test replaces it with.
CONF_LINE = "CONF=/etc/posthorn"
BIN_LINE = "BIN=/usr/local/bin"
IP_LINE = "IP=0"
LOGDIR_RE = re.compile(r"^LOGDIR=/var/log/posthorn/\S+$", re.M)
PORT_RE = re.compile(r"^PORT=(\d+)$", re.M)


# ---- accounts: leave /etc/passwd and /etc/group as they were ----

def _table(path):
    """name -> list of fields of each entry of a passwd-format file."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and ":" in line:
                fields = line.split(":")
                out[fields[0]] = fields
    return out


def _uid_busy(uid):
    """Does some process run with this real or effective uid?"""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:3]:
                            return True
                        break
        except OSError:
            pass
    return False


def _run_quiet(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode:
        sys.stderr.write("services.py: %s: %s" % (" ".join(args), p.stderr or "exit %d\n" % p.returncode))
    return p.returncode == 0


_BEFORE = None
if os.geteuid() == 0:
    _BEFORE = (_table("/etc/passwd"), _table("/etc/group"))


def restore_accounts():
    """Removes the accounts and groups made since the snapshot and puts
    back home, shell, primary group and comment of those changed; returns
    the names that still differ (empty when all is as it was)."""
    if _BEFORE is None:
        return []
    users, groups = _BEFORE
    now = _table("/etc/passwd")
    for name in sorted(set(now) - set(users)):
        uid = int(now[name][2])
        # A service of the test may take a moment to exit after its
        # supervisor was stopped; userdel refuses while it runs.
        deadline = time.monotonic() + 15
        while _uid_busy(uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        _run_quiet(["userdel", name])
    for name in sorted(set(now) & set(users)):
        old, cur = users[name], now[name]
        args = []
        for i, opt in ((3, "--gid"), (4, "--comment"), (5, "--home"), (6, "--shell")):
            if old[i] != cur[i]:
                args += [opt, old[i]]
        if args:
            deadline = time.monotonic() + 15
            while not _run_quiet(["usermod"] + args + [name]) and time.monotonic() < deadline:
                time.sleep(0.5)
    nowg = _table("/etc/group")
    for name in sorted(set(nowg) - set(groups)):
        _run_quiet(["groupdel", name])
    after_u, after_g = _table("/etc/passwd"), _table("/etc/group")
    return sorted(n for n in set(after_u) | set(users) if after_u.get(n) != users.get(n)) + \
        sorted("group " + n for n in set(after_g) | set(groups) if after_g.get(n) != groups.get(n))


def _at_exit():
    left = restore_accounts()
    if left:
        sys.stderr.write("services.py: /etc/passwd or /etc/group not as the test found them: %s\n"
                         % ", ".join(left))
        sys.stdout.flush()
        os._exit(1)


if _BEFORE is not None:
    atexit.register(_at_exit)
    # prove or a person may stop the test with SIGTERM: exit handlers run
    # only on a normal exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Installation:
    """posthorn-setup -C ROOT/conf -q ROOT/queue -m ROOT/mail -l ROOT/log
    -b ROOT/bin for domain and user; self.setup is the finished process (check its
    returncode).  self.ports maps a service's real port (25, 587, ...) to
    the loopback port it was given by services()."""

    def __init__(self, domain, user, password):
        self.domain, self.user, self.password = domain, user, password
        self.root = tempdir()
        self.bin = os.path.join(self.root, "bin")
        os.makedirs(self.bin)
        # A copy: posthorn-setup makes posthorn-queue set-user-ID, which
        # must not happen to the build under test.
        for p in glob.glob(os.path.join(BIN, "posthorn-*")):
            shutil.copy(p, self.bin)
        self.conf = os.path.join(self.root, "conf")
        self.queue = os.path.join(self.root, "queue")
        self.mail = os.path.join(self.root, "mail")
        self.log = os.path.join(self.root, "log")
        self.setup = self.run_setup()
        self.ports = {}
        self.test_settings()

    def test_settings(self):
        """What every test instance sets after posthorn-setup."""
        if os.path.isdir(self.conf):
            # posthorn-smtpd's sender checks ask DNS, which the tests point
            # at nothing (DNSCACHEIP, tests/lib/tap.py): an SPF temperror
            # would defer the mail these instances send each other.  The
            # checks have their own test against a DNS server of its own.
            self.set("smtpd-checks", "0")

    def run_setup(self):
        """Runs posthorn-setup for this instance (again); the finished process."""
        # Login bans in the instance's own dir, not /var/lib/posthorn/bans:
        # one test's wrong passwords must not ban 127.0.0.1 for the next,
        # and nothing is left outside the tree (posthorn-setup keeps a
        # bandir the config already names).
        os.makedirs(self.conf, exist_ok=True)
        if not os.path.exists(os.path.join(self.conf, "bandir")):
            with open(os.path.join(self.conf, "bandir"), "w") as f:
                f.write(os.path.join(self.root, "bans") + "\n")
        return subprocess.run([os.path.join(SRC, "tools/posthorn-setup"), "-C", self.conf, "-q", self.queue,
                               "-m", self.mail, "-l", self.log, "-b", self.bin, "-n", "mx." + self.domain, "-p",
                               self.domain, self.user],
                              input=self.password + "\n", capture_output=True, text=True, timeout=120)

    def set(self, name, value):
        with open(os.path.join(self.conf, name), "w") as f:
            f.write(value + "\n")
        os.chmod(os.path.join(self.conf, name), 0o644)

    def services(self, flavor, logdir, keep=lambda name: True):
        """Copies conf/FLAVOR (s6, daemontools) to ROOT/service, keeping the
        services for which keep(name) is true, and rewrites each run script
        to this installation and a free loopback port, and each log/run to
        write into logdir(svcdir, name).  Raises ValueError if a script
        names a path that was not rewritten: a test must never touch
        /etc/posthorn or /var/log.  Returns the service dir."""
        svc = os.path.join(self.root, "service")
        shutil.copytree(os.path.join(SRC, "conf", flavor), svc)
        for name in sorted(os.listdir(svc)):
            if not keep(name):
                shutil.rmtree(os.path.join(svc, name))
                continue
            run = os.path.join(svc, name, "run")
            text = open(run).read()
            text = text.replace(CONF_LINE, "CONF=" + self.conf).replace(BIN_LINE, "BIN=" + self.bin)
            text = text.replace(IP_LINE, "IP=127.0.0.1")
            m = PORT_RE.search(text)
            if m:
                port = free_port()
                self.ports[int(m.group(1))] = port
                text = text.replace(m.group(0), "PORT=%d" % port)
            _check(run, text)
            with open(run, "w") as f:
                f.write(text)
            logrun = os.path.join(svc, name, "log", "run")
            text = LOGDIR_RE.sub(lambda _: "LOGDIR=" + logdir(svc, name), open(logrun).read())
            _check(logrun, text)
            with open(logrun, "w") as f:
                f.write(text)
        self.svc = svc
        return svc

    def maildir_has(self, subject):
        local = self.user.split("@")[0]
        for f in glob.glob(os.path.join(self.mail, self.domain, local, "new", "*")) + \
                glob.glob(os.path.join(self.mail, self.domain, local, "cur", "*")):
            if ("Subject: " + subject).encode() in open(f, "rb").read():
                return True
        return False


def _check(path, text):
    for real in ("/etc/posthorn", "/usr/local/bin", "/var/log", "IP=0\n"):
        if real in text:
            raise ValueError("%s: %r was not rewritten for the test" % (path, real.strip()))


def processes_under(roots):
    """pid -> command line of every process whose working directory or
    command line is inside one of roots (supervise, the run scripts'
    programs and the loggers all chdir into their service dir)."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % d)
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        if any(cwd == r or cwd.startswith(r + "/") or r + "/" in cmd for r in roots):
            found[int(d)] = cmd
    return found
