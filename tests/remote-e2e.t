#!/usr/bin/env python3
# Two posthorn instances on loopback, each with its own config dir and
# domain.  A user of a.test submits a message (STARTTLS + AUTH on
# submission) for users of b.test; a.test's runner hands it to
# posthorn-remote, which reaches b.test's posthorn-smtpd through a route;
# it arrives in b.test's Maildir intact.  A message to an unknown user at
# b.test bounces back to the sender with b.test's 550 text.  STARTTLS:
# opportunistic with a self-signed certificate works; tls=verify fails
# temporarily, and works once the test CA is configured.
import email
import os
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from instance import Instance, make_cert, parse

a = Instance(domains=("a.test",), me="mx.a.test", settings={"timeout-remote": "10"})
b = Instance(domains=("b.test",), me="mx.b.test")
a.add_user("alice@a.test", "alice-pw")
b.add_user("bob@b.test")
b.add_user("carol@b.test")
make_cert(os.path.join(a.conf, "tls"), cn="mx.a.test")
make_cert(os.path.join(b.conf, "tls"), cn="localhost", ip="127.0.0.1")

b_mx = b.serve("smtpd")
a_sub = a.serve("smtpd", "-s")
route = "b.test [127.0.0.1]:%d" % b_mx
a.set("routes", route)

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

body = ("From: Alice <alice@a.test>\r\nTo: bob@b.test, carol@b.test\r\nSubject: across two instances\r\n"
        "Message-ID: <two-instances@a.test>\r\n\r\nHello Bob and Carol,\r\n.a line with a dot\r\n"
        "caf\xc3\xa9 8-bit\r\n\r\n-- \r\nAlice\r\n").encode("latin-1")
with smtplib.SMTP("127.0.0.1", a_sub, timeout=30) as s:
    s.ehlo("client.a.test")
    s.starttls(context=ctx)
    s.ehlo("client.a.test")
    s.login("alice@a.test", "alice-pw")
    refused = s.sendmail("alice@a.test", ["bob@b.test", "carol@b.test"], body)
is_(refused, {}, "submission at a.test accepts the message (STARTTLS + AUTH)")

rc, out, err = a.runq()
is_(a.queued(), [], "a.test's runner delivered it: a.test's queue is empty")
ok("via=remote status=ok" in err, "through posthorn-remote", err)
ok("event=tls" in err and "verified=no" in err, "opportunistic STARTTLS to b.test's self-signed certificate", err)
is_(len(b.queued()), 1, "b.test's smtpd queued it")
rc, out, err = b.runq()
for user in ("bob", "carol"):
    msgs = b.messages(user + "@b.test")
    is_(len(msgs), 1, "%s@b.test got it" % user)
    if msgs:
        want = body.replace(b"\r\n", b"\n")
        head, sep, rest = msgs[0].partition(b"\nFrom: Alice")
        ok(msgs[0].endswith(want[len(b"From: Alice"):]) and b"Received: from " in head,
           "%s's copy: the sent header and body intact after the added trace fields" % user, msgs[0][:400])

# ---- an unknown user at b.test: b.test refuses at RCPT, a.test bounces ----
with smtplib.SMTP("127.0.0.1", a_sub, timeout=30) as s:
    s.ehlo("client.a.test")
    s.starttls(context=ctx)
    s.login("alice@a.test", "alice-pw")
    s.sendmail("alice@a.test", ["nobody@b.test"], b"Subject: to nobody\r\n\r\nhello?\r\n")
rc, out, err = a.runq()
bounces = [m for m in a.messages("alice@a.test") if b"multipart/report" in m]
is_(len(bounces), 1, "alice got a bounce")
if bounces:
    blk = parse(bounces[0]).get_payload()[1].get_payload()[1]
    is_(blk["Final-Recipient"], "rfc822; nobody@b.test", "for nobody@b.test")
    is_(blk["Status"], "5.1.1", "Status 5.1.1")
    ok(blk["Diagnostic-Code"].startswith("smtp; 550 5.1.1"), "b.test's 550 text as the diagnostic", blk["Diagnostic-Code"])
is_(a.queued(), [], "nothing left in a.test's queue")


# ---- tls=verify ----
def send_and_run(subject):
    with smtplib.SMTP("127.0.0.1", a_sub, timeout=30) as s:
        s.ehlo("client.a.test")
        s.starttls(context=ctx)
        s.login("alice@a.test", "alice-pw")
        s.sendmail("alice@a.test", ["bob@b.test"], b"Subject: " + subject + b"\r\n\r\nbody\r\n")
    return a.runq()


a.set("routes", route + " tls=verify")
rc, out, err = send_and_run(b"verify without the CA")
ok("event=delivery" in err and "status=defer" in err, "tls=verify with an unknown CA: a temporary failure", err)
ok("TLS handshake failed" in err, "the reason is the failed verification", err)
is_(len(a.queued()), 1, "the message waits in the queue")
os.symlink(os.path.join(b.conf, "tls", "cert.pem"), os.path.join(a.conf, "tls", "ca.pem"))
rc, out, err = a.runq("-f")
is_(a.queued(), [], "with the test CA in tls/ca.pem it is delivered")
ok("verified=yes" in err, "over a verified TLS session", err)
rc, out, err = b.runq()
ok(any(b"verify without the CA" in m for m in b.messages("bob@b.test")), "and arrives at bob@b.test")

done()
