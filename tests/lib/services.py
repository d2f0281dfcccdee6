"""A posthorn installation in a temp dir, made the way an admin makes one
(tools/posthorn-setup, as root), and the service directories of conf/ (s6
or daemontools) copied and rewritten to run it: the config dir and the
programs of the instance, free loopback ports, logs where the test says.
The supervisor itself (s6-svscan, svscan) is the test's to start.  Used by
system.t and daemontools.t."""
import glob
import os
import re
import shutil
import subprocess

from tap import tempdir, ROOT as SRC, BIN
from instance import free_port

# What conf/*/run and log/run name, and what a test replaces it with.
CONF_LINE = "CONF=/etc/posthorn"
BIN_LINE = "BIN=/usr/local/bin"
IP_LINE = "IP=0"
LOGDIR_RE = re.compile(r"^LOGDIR=/var/log/posthorn/\S+$", re.M)
PORT_RE = re.compile(r"^PORT=(\d+)$", re.M)


class Installation:
    """posthorn-setup -C ROOT/conf -q ROOT/queue -m ROOT/mail -b ROOT/bin
    for domain and user; self.setup is the finished process (check its
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
        self.setup = subprocess.run([os.path.join(SRC, "tools/posthorn-setup"), "-C", self.conf, "-q", self.queue,
                                     "-m", self.mail, "-b", self.bin, "-n", "mx." + domain, "-p", domain, user],
                                    input=password + "\n", capture_output=True, text=True, timeout=120)
        self.ports = {}

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
