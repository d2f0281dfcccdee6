"""Shared set-up of the posthorn-pop3d tests (tests/pop3d*.t): a config
dir with users and a TLS certificate made by openssl, Maildirs filled by
posthorn-local or written directly, and posthorn-pop3d under real
tcpserver on free loopback ports, killed by pid when the test exits."""
import atexit
import re
import os
import pwd
import signal
import socket
import subprocess
import time

from tap import prog, tempdir, note

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if ROOT else None
_children = []


def _cleanup():
    for p in _children:
        try:
            os.kill(p.pid, signal.SIGTERM)
            p.wait(5)
        except Exception:
            pass


atexit.register(_cleanup)


def as_nobody_args():
    """tcpserver's -u/-g: pop3d and imapd refuse to run as root."""
    return ["-u", str(NOBODY.pw_uid), "-g", str(NOBODY.pw_gid)] if ROOT else []


def drop_to_nobody():
    if ROOT:
        os.setgroups([])
        os.setgid(NOBODY.pw_gid)
        os.setuid(NOBODY.pw_uid)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Instance:
    PROGRAM = "pop3d"     # the server start() and pipe() run

    def __init__(self, users=(), faildelay=0):
        self.dir = tempdir()
        self.conf = os.path.join(self.dir, "conf")
        self.mail = os.path.join(self.dir, "mail")
        self.logdir = os.path.join(self.dir, "log")
        os.makedirs(os.path.join(self.conf, "tls"))
        os.makedirs(self.logdir)
        self.write("mailroot", self.mail)
        self.write("pop3d-faildelay", str(faildelay))
        # login bans count here, never in the system's directory
        os.makedirs(os.path.join(self.dir, "bans"), 0o777)
        os.chmod(os.path.join(self.dir, "bans"), 0o777)
        self.write("bandir", os.path.join(self.dir, "bans"))
        if ROOT:
            self.write("mailowner", "nobody")
        self.cert = os.path.join(self.conf, "tls", "cert.pem")
        key = os.path.join(self.conf, "tls", "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)
        if ROOT:
            # The servers run as nobody (never root): the key must be theirs.
            os.chown(key, NOBODY.pw_uid, NOBODY.pw_gid)
        self.pu("domain", "add", "example.org")
        for u, pw in users:
            self.add_user(u, pw)
        self.logs = []

    def write(self, name, text):
        with open(os.path.join(self.conf, name), "w") as f:
            f.write(text + "\n")

    def pu(self, *args, input=None):
        p = subprocess.run([prog("user"), "-C", self.conf] + list(args), input=input,
                           capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError("posthorn-user %s: %s" % (" ".join(args), p.stdout + p.stderr))
        return p.stdout

    def add_user(self, user, password):
        self.pu("add", user + "@example.org", "--password-stdin", input=password + "\n")

    def maildir(self, user):
        return os.path.join(self.mail, "example.org", user)

    def deliver(self, user, text):
        path = os.path.join(self.dir, "msg")
        with open(path, "w", newline="") as f:
            f.write(text)
        with open(path, "rb") as m:
            p = subprocess.run([prog("local"), "-C", self.conf, "sender@example.net", user + "@example.org"],
                               stdin=m, capture_output=True, timeout=30)
        if p.returncode:
            raise RuntimeError("posthorn-local: %r %r" % (p.stdout, p.stderr))

    def files(self, user):
        md = self.maildir(user)
        return sorted(os.listdir(os.path.join(md, "new")) + os.listdir(os.path.join(md, "cur")))

    def own(self, path):
        if ROOT:
            os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)

    def start(self, args=(), env=None):
        """posthorn-PROGRAM under tcpserver on a free port; returns the port.
        stderr (the log) goes to a file, read with log()."""
        e = dict(os.environ)
        e.update(env or {})
        port = free_port()
        log = os.path.join(self.logdir, "%s-%d.log" % (self.PROGRAM, port))
        self.logs.append(log)
        with open(log, "wb") as lf:
            p = subprocess.Popen(["tcpserver", "-q", "-R", "-H", "-l", "localhost"] + as_nobody_args() +
                                 ["127.0.0.1", str(port), prog(self.PROGRAM), "-C", self.conf] + list(args),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=lf, env=e)
        _children.append(p)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.02)
        return port

    def log(self):
        text = ""
        for l in self.logs:
            with open(l, encoding="utf-8", errors="replace") as f:
                text += f.read()
        return text

    def clean(self):
        """No sanitizer report in the servers' logs."""
        log = self.log()
        return "Sanitizer" not in log and "runtime error" not in log

    def pipe(self, data, args=(), env=None, timeout=30):
        """One session on pipes: data in, (exit code, replies, log) out."""
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([prog(self.PROGRAM), "-C", self.conf] + list(args), input=data,
                           capture_output=True, env=e, timeout=timeout, preexec_fn=drop_to_nobody)
        return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("utf-8", "replace")



def trickle(port, first, seconds=12):
    """A client that connects to port, sends first, then one byte a
    second (a slow-loris before login); returns (what the server said,
    whether it hung up before the client stopped)."""
    import select
    s = socket.create_connection(("127.0.0.1", port), 10)
    got = b""
    closed = False
    try:
        got = s.recv(1000)
        if first:
            s.sendall(first)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                d = s.recv(1000)
                if not d:
                    closed = True
                    break
                got += d
            else:
                s.sendall(b"x")
    except OSError:
        closed = True
    s.close()
    return got.decode("latin-1"), closed

def wire_size(data):
    """What LIST must say for a stored message (bytes): every LF not after a
    CR becomes CRLF, and a last line without LF gets a CRLF."""
    n = len(data) + data.count(b"\n") - data.count(b"\r\n")
    return n + (2 if data and not data.endswith(b"\n") else 0)


def order_key(name):
    """The delivery order posthorn-pop3d numbers messages in: seconds, then
    the microseconds of ".MUSEC", numerically, then the name."""
    m = re.match(r"(\d*)(?:\.M(\d+))?", name)
    return (int(m.group(1) or 0), int(m.group(2) or -1), name)
