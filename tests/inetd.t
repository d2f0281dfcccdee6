#!/usr/bin/env python3
# The inetd lines of conf/ work: two instances made by posthorn-setup, their
# SMTP and submission services run by xinetd from conf/xinetd.posthorn
# (paths and ports rewritten, bound to 127.0.0.1), no tcpserver anywhere.
# The same pair of messages as tests/system.t: a user of each domain sends
# to the other by submission with STARTTLS and AUTH; posthorn-runq passes
# deliver them; each reads the message by POP3 (STLS) and IMAP over TLS
# through xinetd's posthorn-pop3d and posthorn-imaps services, whose login
# half runs as posthorn-login and hands over to posthorn-mailauth.  Needs
# root and xinetd.
import glob
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done, ROOT as SRC
from instance import free_port, wait_for, listening
from services import Installation

if os.geteuid() != 0 or not shutil.which("xinetd"):
    print("1..0 # SKIP needs root and xinetd")
    sys.exit(0)

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE




class Inst(Installation):
    def __init__(self, domain, user, pw):
        super().__init__(domain, user, pw)
        self.pw = pw
        self.setup_rc = self.setup.returncode
        # xinetd: the posthorn services from conf/ that the test uses.
        text = open(os.path.join(SRC, "conf/xinetd.posthorn")).read()
        blocks = re.findall(r"(# [^\n]*\nservice (\S+)\n\{.*?\n\})", text, re.S)
        out = "defaults\n{\n\tinstances = 50\n}\n\n"
        for block, name in blocks:
            if name not in ("posthorn-smtpd", "posthorn-submission", "posthorn-pop3d", "posthorn-imaps"):
                continue
            port = free_port()
            self.ports[name] = port
            block = re.sub(r"port\s+= \d+", "port        = %d\n\tbind        = 127.0.0.1" % port, block)
            block = block.replace("/usr/local/bin/", self.bin + "/").replace("/etc/posthorn", self.conf)
            out += block + "\n\n"
        self.xconf = os.path.join(self.root, "xinetd.conf")
        with open(self.xconf, "w") as f:
            f.write(out)
        self.xinetd = subprocess.Popen(["xinetd", "-dontfork", "-f", self.xconf, "-pidfile",
                                        os.path.join(self.root, "xinetd.pid")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def submit(self, rcpt, subject):
        with smtplib.SMTP("127.0.0.1", self.ports["posthorn-submission"], timeout=30) as s:
            s.ehlo("client." + self.domain)
            s.starttls(context=CTX)
            s.ehlo("client." + self.domain)
            s.login(self.user, self.pw)
            return s.sendmail(self.user, [rcpt], ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nvia inetd\r\n"
                                                  % (self.user, rcpt, subject)).encode())

    def runq(self):
        return subprocess.run([os.path.join(self.bin, "posthorn-runq"), "-C", self.conf], capture_output=True,
                              text=True, timeout=60)

    def has(self, subject):
        local = self.user.split("@")[0]
        return any(("Subject: " + subject).encode() in open(f, "rb").read()
                   for f in glob.glob(os.path.join(self.mail, self.domain, local, "new", "*")))

    def pop3_subjects(self):
        pop = poplib.POP3("127.0.0.1", self.ports["posthorn-pop3d"], timeout=30)
        pop.stls(CTX)
        pop.user(self.user)
        pop.pass_(self.pw)
        subjects = [l[9:].decode() for i in range(1, pop.stat()[0] + 1) for l in pop.retr(i)[1]
                    if l.startswith(b"Subject: ")]
        pop.quit()
        return subjects

    def imap_subjects(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.ports["posthorn-imaps"], ssl_context=CTX, timeout=30)
        m.login(self.user, self.pw)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        m.logout()
        return [item[1].decode().strip()[9:] for item in data if isinstance(item, tuple)]

    def stop(self):
        self.xinetd.send_signal(signal.SIGTERM)
        try:
            self.xinetd.wait(10)
        except subprocess.TimeoutExpired:
            self.xinetd.kill()


a = Inst("a.test", "alice@a.test", "alice-secret")
b = Inst("b.test", "bob@b.test", "bob-secret")
try:
    is_((a.setup_rc, b.setup_rc), (0, 0), "posthorn-setup for both instances")
    ok(all(wait_for(lambda p=p: listening(p), 15) for x in (a, b) for p in x.ports.values()),
       "xinetd listens for SMTP, submission, POP3 and IMAPS of both instances")
    a.set("routes", "b.test [127.0.0.1]:%d" % b.ports["posthorn-smtpd"])
    b.set("routes", "a.test [127.0.0.1]:%d" % a.ports["posthorn-smtpd"])
    is_(a.submit("bob@b.test", "inetd from alice"), {}, "alice submits to bob through xinetd (STARTTLS + AUTH)")
    is_(b.submit("alice@a.test", "inetd from bob"), {}, "bob submits to alice through xinetd")
    for x in (a, b):
        x.runq()
    for x in (a, b):
        x.runq()
    ok(b.has("inetd from alice"), "bob's Maildir has alice's message")
    ok(a.has("inetd from bob"), "alice's Maildir has bob's message")
    is_(b.pop3_subjects(), ["inetd from alice"], "bob reads it by POP3 with STLS through xinetd")
    is_(a.imap_subjects(), ["inetd from bob"], "alice reads hers by IMAP over TLS through xinetd")
finally:
    a.stop()
    b.stop()
done()
