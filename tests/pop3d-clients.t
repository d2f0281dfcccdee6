#!/usr/bin/env python3
# posthorn-pop3d with real clients under tcpserver: fetchmail (Debian's)
# downloads every message of an account over STLS and deletes it on the
# server; curl's POP3 client lists, retrieves and deletes, over STLS and
# over implicit TLS (pop3s://).
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from pop3d import Instance

inst = Instance(users=[("dave", "dave-pw"), ("erin", "erin-pw")])
plain = inst.start()
implicit = inst.start(["-T"])

for i in range(5):
    inst.deliver("dave", "Subject: fetch %d\n\nbody %d\n.dotted\n" % (i, i))

# ---- fetchmail ----
home = os.path.join(inst.dir, "home")
out = os.path.join(inst.dir, "fetched")
os.makedirs(home)
os.makedirs(out)
mda = os.path.join(inst.dir, "mda.sh")
with open(mda, "w") as f:
    f.write('#!/bin/sh\ncat > "%s/msg.$$"\n' % out)
os.chmod(mda, 0o755)
rc = os.path.join(home, "fetchmailrc")
with open(rc, "w") as f:
    f.write('set no bouncemail\n'
            'poll 127.0.0.1 service %d protocol pop3 timeout 20 auth password\n'
            '  user "dave@example.org" there with password "dave-pw" is "root" here\n'
            '  sslproto "TLS1.2+" sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
            '  mda "%s"\n' % (plain, inst.cert, mda))
os.chmod(rc, stat.S_IRUSR | stat.S_IWUSR)
env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
p = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "-a", "-v", "--pidfile", os.path.join(home, "pid")],
                   capture_output=True, text=True, env=env, timeout=60)
log = p.stdout + p.stderr
ok(p.returncode == 0, "fetchmail exits 0", log[-3000:])
ok("STLS" in log, "fetchmail used STLS", log[-2000:])
got = sorted(os.listdir(out))
is_(len(got), 5, "fetchmail delivered all 5 messages to its MDA")
texts = [open(os.path.join(out, g), encoding="utf-8", errors="replace").read() for g in got]
ok(all("\n.dotted\n" in t for t in texts), "the dot line arrived unstuffed")
is_(sorted(int(t.split("Subject: fetch ")[1][0]) for t in texts), list(range(5)), "each message once")
is_(inst.files("dave"), [], "fetchmail deleted them on the server")
ok("retrieved=5" in inst.log() and "deleted=5" in inst.log(), "pop3d logged 5 retrieved, 5 deleted")

# ---- curl ----
for i in range(3):
    inst.deliver("erin", "Subject: curl %d\n\ncurl body %d\n" % (i, i))


def curl(url, *extra):
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", inst.cert, "-u", "erin@example.org:erin-pw"]
                       + list(extra) + [url], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


r, o, e = curl("pop3://localhost:%d/" % plain, "--ssl-reqd")
lines = o.splitlines()
ok(r == 0 and len(lines) == 3 and all(l.split()[0] == str(i + 1) for i, l in enumerate(lines)),
   "curl lists 3 messages over STLS", (r, o, e))
r, o, e = curl("pop3://localhost:%d/2" % plain, "--ssl-reqd")
ok(r == 0 and "Subject: curl 1" in o and "curl body 1" in o, "curl retrieves message 2", (r, o, e))
r, o, e = curl("pop3s://localhost:%d/1" % implicit)
ok(r == 0 and "Subject: curl 0" in o, "curl retrieves over implicit TLS (pop3s)", (r, o, e))
r, o, e = curl("pop3s://localhost:%d/" % implicit, "-X", "UIDL")
ok(r == 0 and len(o.splitlines()) == 3, "curl -X UIDL", (r, o, e))
r, o, e = curl("pop3s://localhost:%d/1" % implicit, "-X", "DELE", "-I")
ok(r == 0, "curl -X DELE 1", (r, o, e))
is_(len(inst.files("erin")), 2, "curl's DELE removed one message")
r, o, e = curl("pop3://localhost:%d/" % plain)
ok(r != 0, "curl without TLS cannot log in (logins need TLS)", (r, o, e))
r, o, e = curl("pop3s://localhost:%d/" % implicit, "--login-options", "AUTH=PLAIN")
ok(r == 0 and len(o.splitlines()) == 2, "curl with AUTH PLAIN lists the 2 left", (r, o, e))

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
