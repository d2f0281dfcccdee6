"""Shared set-up of the posthorn-imapd tests (tests/imapd*.t): the
posthorn-pop3d test instance (config dir, users made by posthorn-user, a
certificate made by openssl, deliveries by posthorn-local) with
posthorn-imapd under real tcpserver on free loopback ports, killed by pid
when the test exits; plus imaplib helpers."""
import imaplib
import os
import socket
import ssl

import pop3d
from pop3d import ROOT, NOBODY, free_port, wire_size
from tap import prog, ok

imaplib._MAXLINE = 10_000_000


class Instance(pop3d.Instance):
    PROGRAM = "imapd"

    def __init__(self, users=(), faildelay=0):
        super().__init__(users=users, faildelay=faildelay)
        self.write("imapd-faildelay", str(faildelay))
        self.ctx = ssl.create_default_context(cafile=self.cert)
        self.ctx.check_hostname = False

    def login(self, port, user="alice", pw="alice-pw", tls=False):
        if tls:
            m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=self.ctx, timeout=20)
        else:
            m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
        m.login(user + "@example.org", pw)
        return m

    def folder_dir(self, user, folder=""):
        md = self.maildir(user)
        return os.path.join(md, "." + folder) if folder and folder != "INBOX" else md


class Raw:
    """A raw line-based client for what imaplib will not send."""

    def __init__(self, port, timeout=10, ctx=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        if ctx:   # implicit TLS (-T)
            self.s = ctx.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        return self.f.readline().decode("latin-1")

    def until(self, tag):
        """Lines up to and including the tagged one."""
        out = []
        while True:
            l = self.line()
            out.append(l)
            if not l or l.startswith(tag + " "):
                return out

    def cmd(self, text, tag="t"):
        self.send(("%s %s\r\n" % (tag, text)).encode() if isinstance(text, str) else text)
        return self.until(tag)

    def close(self):
        self.s.close()


def alive(r, what):
    """A check that the session r still answers a NOOP after what."""
    out = r.cmd("NOOP", tag="n")
    ok(out and out[-1].startswith("n OK"), "session goes on after " + what, out)
