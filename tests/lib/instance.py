"""A throw-away posthorn instance for end-to-end tests: a config dir, a user
list made with the real posthorn-user, a queue dir and Maildirs, all in a
temp dir.  When the tests run as root, Maildirs belong to `nobody` (the
mail owner), as they would to the storage user on a VPS."""
import atexit
import email
import glob
import os
import pwd
import signal
import socket
import subprocess
import time

from tap import prog, tempdir, run

ROOT = os.geteuid() == 0
_servers = []


def _stop_servers():
    for p in _servers:
        try:
            p.terminate()
            p.wait(5)
        except Exception:
            pass


atexit.register(_stop_servers)


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_cert(dirpath, cn="localhost", ip="127.0.0.1"):
    """A self-signed certificate (its own CA) for cn and IP ip, as
    dirpath/cert.pem and key.pem."""
    os.makedirs(dirpath, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:%s,IP:%s" % (cn, ip),
                    "-keyout", os.path.join(dirpath, "key.pem"), "-out", os.path.join(dirpath, "cert.pem")],
                   check=True, capture_output=True)
    for f in ("cert.pem", "key.pem"):
        os.chmod(os.path.join(dirpath, f), 0o644)


class Instance:
    def __init__(self, domains=("example.test",), me="mx.example.test", settings=None):
        self.dir = tempdir()
        self.conf = os.path.join(self.dir, "conf")
        self.mail = os.path.join(self.dir, "mail")
        self.queue = os.path.join(self.dir, "queue")
        os.makedirs(self.conf)
        os.makedirs(self.mail)
        os.chmod(self.mail, 0o755)
        self.set("me", me)
        self.set("mailroot", self.mail)
        self.set("queuedir", self.queue)
        # smtpd's sender checks ask DNS, and the tests' DNSCACHEIP answers
        # nothing (tap.py): off unless a test turns them on with a DNS
        # server of its own (smtpd-checks.t)
        self.set("smtpd-checks", "0")
        # login bans count here, never in the system's directory
        os.makedirs(os.path.join(self.dir, "bans"))
        os.chmod(os.path.join(self.dir, "bans"), 0o777)
        self.set("bandir", os.path.join(self.dir, "bans"))
        if ROOT:
            self.set("mailowner", "nobody")
            self.set("remoteuser", "nobody")   # posthorn-runq starts posthorn-remote as it
        for k, v in (settings or {}).items():
            self.set(k, v)
        for dom in domains:
            self.user("domain", "add", dom)

    def set(self, name, value):
        with open(os.path.join(self.conf, name), "w") as f:
            f.write("%s\n" % value)

    def user(self, *args, input=None):
        rc, out, err = run([prog("user"), "-C", self.conf] + list(args), input=input)
        if rc != 0:
            raise RuntimeError("posthorn-user %s: %s%s" % (" ".join(args), out, err))
        return out

    def add_user(self, address, password="secret"):
        self.user("add", address, "--password-stdin", input=(password + "\n").encode())

    def maildir(self, address):
        local, dom = address.split("@")
        return os.path.join(self.mail, dom, local)

    def messages(self, address, folder=""):
        """The messages in a Maildir (new/ and cur/), as bytes, oldest first."""
        base = self.maildir(address)
        if folder:
            base = os.path.join(base, "." + folder)
        files = glob.glob(os.path.join(base, "new", "*")) + glob.glob(os.path.join(base, "cur", "*"))
        files.sort(key=lambda p: os.stat(p).st_mtime)
        out = []
        for p in files:
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def inject(self, message, sender, rcpts, env=None):
        """Runs posthorn-queue; returns (exit code, its stderr line)."""
        envelope = b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"
        return inject_raw(self.conf, message, envelope, env)

    def sendmail(self, args, message, user=None):
        """Runs posthorn-sendmail ARGS with message on its input, as user
        (a pwd entry; None: as we are), with posthorn-queue beside it and
        no runner woken.  Returns (exit code, its stderr)."""
        e = dict(os.environ, POSTHORN_CONF=self.conf, POSTHORN_RUNQ="/bin/true")
        e.pop("POSTHORN_QUEUE", None)
        e.pop("QMAILQUEUE", None)

        def become():
            if user and user.pw_uid != os.getuid():
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
        p = subprocess.run([prog("sendmail")] + list(args), input=message, capture_output=True, env=e,
                           timeout=60, preexec_fn=become)
        return p.returncode, p.stderr.decode()

    def serve(self, name, *args, env=None, port=None):
        """tcpserver on 127.0.0.1 running bin/posthorn-NAME -C conf ARGS;
        network programs run as nobody when the tests run as root (the
        queue dir is given to nobody so smtpd can inject).  Returns the port."""
        port = port or free_port()
        cmd = ["tcpserver", "-R", "-H", "-l", "localhost", "-c", "50"]
        if ROOT:
            nobody = pwd.getpwnam("nobody")
            os.makedirs(self.queue, exist_ok=True)
            for dirpath, dirs, files in os.walk(self.queue):
                os.chown(dirpath, nobody.pw_uid, nobody.pw_gid)
            cmd += ["-u", str(nobody.pw_uid), "-g", str(nobody.pw_gid)]
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(cmd + ["127.0.0.1", str(port), prog(name), "-C", self.conf] + list(args),
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, name + ".log"), "ab"), env=e)
        _servers.append(p)
        wait_for(lambda: listening(port), 10)
        return port

    def runq(self, *args, env=None, timeout=120):
        return run([prog("runq"), "-C", self.conf] + list(args), env=env, timeout=timeout)

    def queued(self):
        """Ids of the entries in the queue."""
        return sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(self.queue, "q", "*.env")))

    def leftovers(self):
        """Every file in the queue's q/ and tmp/."""
        return sorted(glob.glob(os.path.join(self.queue, "q", "*")) + glob.glob(os.path.join(self.queue, "tmp", "*")))


def inject_raw(conf, message, envelope, env=None, exe=None, preexec=None):
    """posthorn-queue with message on fd 0 and envelope on fd 1 (a pipe)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    r, w = os.pipe()
    p = subprocess.Popen([exe or prog("queue"), "-C", conf], stdin=subprocess.PIPE, stdout=r,
                         stderr=subprocess.PIPE, env=e, preexec_fn=preexec)
    os.close(r)
    try:
        p.stdin.write(message)
        p.stdin.close()
    except BrokenPipeError:
        pass
    try:
        os.write(w, envelope)
    except BrokenPipeError:
        pass
    os.close(w)
    err = p.stderr.read().decode("utf-8", "replace")
    p.wait(timeout=60)
    return p.returncode, err.strip()


def listening(port):
    """Does something accept connections on 127.0.0.1:port?"""
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def parse(raw):
    return email.message_from_bytes(raw)


def wait_for(cond, seconds=10.0, step=0.05):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
