"""Helpers for the posthorn-smtpd tests: a config dir with users made by
posthorn-user, a fake injector (tests/smtpd/fakeq) or the real queue,
posthorn-smtpd under a real tcpserver on a free loopback port, and a raw
SMTP client for the paths smtplib will not take."""
import glob
import os
import pwd
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
from tap import prog, tempdir, note  # noqa: E402

IS_ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if IS_ROOT else None
PASSWORD = "correct horse battery"

USERS = """\
domain example.org
domain catch.test catchall=carol@example.org
domain mx.example.org
user alice@example.org maildir=%(m)s/alice
user bob@example.org maildir=%(m)s/bob
user carol@example.org maildir=%(m)s/carol
alias postmaster@example.org to=alice@example.org
alias postmaster@mx.example.org to=alice@example.org
alias team@example.org to=alice@example.org,bob@example.org
alias sales@example.org to=alice@example.org
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Instance:
    """A config dir, mail dir and injector output dir in a temp dir."""

    def __init__(self, users=USERS):
        self.d = tempdir()
        self.conf = os.path.join(self.d, "conf")
        self.mail = os.path.join(self.d, "mail")
        self.out = os.path.join(self.d, "out")
        os.makedirs(self.conf)
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        if IS_ROOT:
            self.setconf("mailowner", "nobody")
        self.setconf("me", "mx.example.org")
        # the protocol tests are about SMTP; the sender checks have their
        # own test (smtpd-checks.t, against a DNS server of its own) and
        # these must not depend on the machine's resolver
        self.setconf("smtpd-checks", "0")
        # login bans count here, never in the system's directory
        os.makedirs(os.path.join(self.d, "bans"))
        os.chmod(os.path.join(self.d, "bans"), 0o777)
        self.setconf("bandir", os.path.join(self.d, "bans"))
        path = os.path.join(self.d, "users.txt")
        with open(path, "w") as f:
            f.write(users % {"m": self.mail})
        self.user("import", path)
        self.user("passwd", "alice@example.org", "--password-stdin", input=PASSWORD + "\n")
        self.user("passwd", "bob@example.org", "--password-stdin", input="bobs secret\n")
        os.chmod(os.path.join(self.conf, "users.cdb"), 0o644)
        self.servers = []

    def user(self, *args, input=None):
        p = subprocess.run([prog("user"), "-C", self.conf] + list(args), input=input,
                           capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError("posthorn-user %s: %s" % (args, p.stdout + p.stderr))
        return p.stdout

    def setconf(self, name, value):
        path = os.path.join(self.conf, name)
        if value is None:
            if os.path.exists(path):
                os.unlink(path)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(str(value) + "\n")

    def make_cert(self):
        tls = os.path.join(self.conf, "tls")
        os.makedirs(tls, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-subj", "/CN=mx.example.org", "-days", "2",
                        "-keyout", os.path.join(tls, "key.pem"), "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)
        os.chmod(os.path.join(tls, "key.pem"), 0o644)   # read by the smtpd account in tests
        return os.path.join(tls, "cert.pem")

    def fake_queue(self, code=0, reason=None):
        self.setconf("../out/exitcode", code)
        self.setconf("../out/reason", reason)

    def queued(self):
        """(msg bytes, sender, [rcpts]) of every message the fake injector kept."""
        res = []
        for env in sorted(glob.glob(os.path.join(self.out, "*.env"))):
            with open(env, "rb") as f:
                items = f.read().split(b"\0")
            with open(env[:-4] + ".msg", "rb") as f:
                msg = f.read()
            res.append((msg, items[0][1:].decode("utf-8", "replace"),
                        [i[1:].decode("utf-8", "replace") for i in items[1:-2]]))
        return res

    def clear(self):
        for f in glob.glob(os.path.join(self.out, "*.env")) + glob.glob(os.path.join(self.out, "*.msg")):
            os.unlink(f)

    def start(self, args=(), env=None, injector=None):
        """posthorn-smtpd ARGS under tcpserver; injector None is the fake
        queue, "" the default (posthorn-queue beside posthorn-smtpd)."""
        s = Server(self, list(args), env or {}, os.path.join(HERE, "fakeq") if injector is None else injector)
        self.servers.append(s)
        return s

    def stop(self):
        for s in self.servers:
            s.stop()

    def sanitizer_reports(self):
        """Lines of any server log that hold a sanitizer report (the
        asan build aborts the smtpd process, which a test may not see)."""
        bad = []
        for s in self.servers:
            for l in s.logtext().splitlines():
                if "AddressSanitizer" in l or "runtime error:" in l or "LeakSanitizer" in l:
                    bad.append(l)
        return bad


class Server:
    def __init__(self, inst, args, env, injector):
        self.inst = inst
        self.port = free_port()
        self.logpath = os.path.join(inst.d, "log.%d" % self.port)
        e = dict(os.environ)
        for k in ("RELAYCLIENT", "QMAILQUEUE", "POSTHORN_QUEUE", "POSTHORN_CONF"):
            e.pop(k, None)
        e["FAKEQ_OUT"] = inst.out
        if injector:
            e["POSTHORN_QUEUE"] = injector
        e.update(env)
        cmd = ["tcpserver", "-v", "-HR", "-l", "localhost", "-c", "200"]
        if IS_ROOT:
            cmd += ["-u", str(NOBODY.pw_uid), "-g", str(NOBODY.pw_gid)]
        cmd += ["127.0.0.1", str(self.port), prog("smtpd"), "-C", inst.conf] + args
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=e)
        for _ in range(200):
            if "status: 0/" in self.logtext():
                break
            time.sleep(0.02)

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def loglines(self, event):
        return [l for l in self.logtext().splitlines() if ("event=%s " % event) in l]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Client:
    """A raw SMTP client: send bytes, read replies (code, [lines])."""

    def __init__(self, port, timeout=20, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            self.sock = client_context().wrap_socket(self.sock, server_hostname="mx.example.org")
        self.buf = b""

    def starttls(self):
        self.sock = client_context().wrap_socket(self.sock, server_hostname="mx.example.org")
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                line, self.buf = self.buf, b""
                return line
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self):
        """(code, text of the last line) or (None, '') at EOF."""
        lines = []
        while True:
            line = self.readline()
            if not line:
                return None, "\n".join(lines)
            lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        try:
            return int(lines[-1][:3]), lines[-1][4:]
        except ValueError:
            return None, "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def eof(self, timeout=10):
        """Reads to EOF; returns what came."""
        self.sock.settimeout(timeout)
        data = self.buf
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            pass
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def wait_for(cond, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()
