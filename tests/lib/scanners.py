"""Content scanners for the tests, each the test's own instance in its temp
dir (never the system's services): rspamd (Debian's rules, a normal worker
on a free 127.0.0.1 port, no DNS, no redis) and clamd (a signature database
written here, a unix socket in the temp dir).  Both run in the foreground
as children of the test and are killed by pid."""
import atexit
import os
import shutil
import socket
import subprocess
import threading
import time

from instance import free_port

RSPAMD = shutil.which("rspamd") or "/usr/bin/rspamd"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"

# a string our clamd signature finds, and the message text that holds it
VIRUS = "POSTHORN-TEST-VIRUS-7e1c0a"
VIRUS_NAME = "Posthorn.Test.Virus.UNOFFICIAL"
# rspamd's GTUBE: its test pattern for "reject"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# a Subject word our rspamd config scores 8 (over add_header's 6)
JUNK_WORD = "posthorn-junk-please"


def _wait_port(port, proc, timeout):
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class Rspamd:
    """learn=True: also a controller worker (for /learnspam, /learnham) and
    the Bayes classifier on the test's own redis-server."""

    def __init__(self, d, learn=False):
        self.d = os.path.join(d, "rspamd")
        self.port = free_port()
        self.proc = self.redis = None
        self.learn = learn
        local = os.path.join(self.d, "local")
        for sub in ("override.d", "local.d"):
            os.makedirs(os.path.join(local, sub), exist_ok=True)
        # greylisting needs redis: off; add header at 6, reject at 15
        with open(os.path.join(local, "override.d", "actions.conf"), "w") as f:
            f.write("reject = 15;\nadd_header = 6;\ngreylist = null;\n")
        with open(os.path.join(self.d, "junk.map"), "w") as f:
            f.write("/%s/\n" % JUNK_WORD)
        with open(os.path.join(local, "local.d", "multimap.conf"), "w") as f:
            f.write('POSTHORN_JUNK { type = "header"; header = "Subject"; regexp = true; map = "%s"; score = 8.0; }\n'
                    % os.path.join(self.d, "junk.map"))
        self.conf = os.path.join(self.d, "rspamd.conf")
        with open(self.conf, "w") as f:
            f.write('''.include "/etc/rspamd/common.conf"
options {
    pidfile = "%(d)s/rspamd.pid";
    .include "/etc/rspamd/options.inc"
    disable_hyperscan = true;
    dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }
}
logging { type = "file"; filename = "%(d)s/rspamd.log"; level = "error"; }
worker "normal" { bind_socket = "127.0.0.1:%(port)d"; count = 1; .include "/etc/rspamd/worker-normal.inc" }
''' % {"d": self.d, "port": self.port})
            if learn:
                self.cport, self.rport = free_port(), free_port()
                f.write('worker "controller" { bind_socket = "127.0.0.1:%d"; count = 1; '
                        '.include "/etc/rspamd/worker-controller.inc" }\n' % self.cport)
                self.controller = "127.0.0.1:%d" % self.cport
        if learn:
            with open(os.path.join(local, "local.d", "classifier-bayes.conf"), "w") as f:
                f.write('backend = "redis";\nservers = "127.0.0.1:%d";\nmin_learns = 1000;\nautolearn = false;\n'
                        % self.rport)
        self.addr = "127.0.0.1:%d" % self.port
        atexit.register(self.stop)   # also when the test dies half-way

    def start(self, timeout=120):
        self.out = open(os.path.join(self.d, "stderr"), "ab")
        if self.learn and not self.redis:
            self.redis = subprocess.Popen([REDIS, "--bind", "127.0.0.1", "--port", str(self.rport), "--save", "",
                                           "--appendonly", "no", "--dir", self.d, "--daemonize", "no"],
                                          stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
            if not _wait_port(self.rport, self.redis, 30):
                return False
        self.proc = subprocess.Popen([RSPAMD, "-f", "-i", "-c", self.conf, "--var", "DBDIR=" + self.d,
                                      "--var", "RUNDIR=" + self.d, "--var", "LOCAL_CONFDIR=" + os.path.join(self.d, "local")],
                                     stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out, start_new_session=True)
        return _wait_port(self.port, self.proc, timeout) and \
            (not self.learn or _wait_port(self.cport, self.proc, timeout))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # the main process and its workers: its own process group
            try:
                os.killpg(self.proc.pid, 9)
            except OSError:
                pass
            self.proc.wait()
        self.proc = None
        if self.redis and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait()
        self.redis = None


class Clamd:
    def __init__(self, d):
        self.d = os.path.join(d, "clamd")
        db = os.path.join(self.d, "db")
        os.makedirs(db, exist_ok=True)
        with open(os.path.join(db, "posthorn.ndb"), "w") as f:
            f.write("%s:0:*:%s\n" % (VIRUS_NAME.replace(".UNOFFICIAL", ""), VIRUS.encode().hex()))
        self.sock = os.path.join(self.d, "clamd.sock")
        self.conf = os.path.join(self.d, "clamd.conf")
        with open(self.conf, "w") as f:
            f.write("LocalSocket %s\nForeground yes\nDatabaseDirectory %s\nLogFile %s\nTemporaryDirectory %s\n"
                    "StreamMaxLength 1M\n" % (self.sock, db, os.path.join(self.d, "clamd.log"), self.d))
        os.chmod(self.d, 0o755)
        self.proc = None
        atexit.register(self.stop)

    def start(self, timeout=60):
        self.out = open(os.path.join(self.d, "stderr"), "ab")
        self.proc = subprocess.Popen([CLAMD, "-c", self.conf], stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.out)
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                os.chmod(self.sock, 0o777)   # the smtpd runs as nobody
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()   # clamd removes its socket
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Hang:
    """A scanner that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.conns = []
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def stop(self):
        for c in self.conns:
            c.close()
        self.sock.close()
