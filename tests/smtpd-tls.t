#!/usr/bin/env python3
# posthorn-smtpd with TLS and AUTH: STARTTLS on the MX port, submission
# (-s: AUTH before MAIL), implicit TLS (-t, port 465 style); AUTH PLAIN and
# LOGIN with and without initial response; who may send as whom; the
# Received header's TLS and user; STARTTLS injection; swaks with
# pipelining and TLS; curl over smtp:// with STARTTLS and smtps://.
import base64
import os
import smtplib
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
from harness import Instance, Client, PASSWORD, client_context, wait_for  # noqa: E402
from tap import ok, is_, note, done  # noqa: E402

inst = Instance()
inst.make_cert()
mx = inst.start()
sub = inst.start(["-s"])
smtps = inst.start(["-s", "-t"])


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def esc(got):
    return (got[0], got[1].split(" ")[0] if got[1] else "")


def expect(got, code, e, name):
    return is_(esc(got), (code, e), name)


def ehlo_keywords(c):
    c.send("EHLO client.test\r\n")
    kw = []
    while True:
        l = c.readline().decode().rstrip("\r\n")
        kw.append(l[4:])
        if l[3] == " ":
            return kw[1:]


# ---- STARTTLS on the MX port ----
c = Client(mx.port)
c.reply()
kw = ehlo_keywords(c)
ok("STARTTLS" in kw, "STARTTLS offered with tls/cert.pem and tls/key.pem", kw)
ok(not any(k.startswith("AUTH") for k in kw), "AUTH not offered before TLS", kw)
expect(c.cmd("STARTTLS now"), 501, "5.5.4", "STARTTLS with an argument: 501 5.5.4")
c.cmd("MAIL FROM:<a@b.test>")
expect(c.cmd("STARTTLS"), 220, "2.0.0", "STARTTLS: 220 2.0.0")
c.starttls()
ok(c.sock.version() in ("TLSv1.2", "TLSv1.3"), "handshake: %s" % c.sock.version())
expect(c.cmd("RCPT TO:<alice@example.org>"), 503, "5.5.1", "after STARTTLS the transaction is gone")
expect(c.cmd("MAIL FROM:<a@b.test>"), 503, "5.5.1", "after STARTTLS HELO is forgotten: 503 5.5.1")
kw = ehlo_keywords(c)
ok("STARTTLS" not in kw, "no STARTTLS under TLS", kw)
ok("AUTH PLAIN LOGIN" in kw, "AUTH PLAIN LOGIN offered under TLS", kw)
expect(c.cmd("STARTTLS"), 503, "5.5.1", "STARTTLS under TLS: 503 5.5.1")
c.cmd("QUIT")
c.close()

# ---- STARTTLS injection: a command in the same write is not answered ----
c = Client(mx.port)
c.reply()
c.cmd("EHLO client.test")
c.send("STARTTLS\r\nNOOP injected\r\nRSET\r\n")
expect(c.reply(), 220, "2.0.0", "STARTTLS with commands pipelined behind it: 220")
c.starttls()
r = c.cmd("HELP")
expect(r, 214, "2.0.0", "the first reply under TLS answers our HELP, not the injected NOOP")
is_(c.cmd("EHLO client.test")[0], 250, "session goes on")
c.close()

# ---- smtplib: STARTTLS, AUTH PLAIN, a relayed message ----
inst.clear()
with smtplib.SMTP("127.0.0.1", mx.port, local_hostname="client.test", timeout=20) as s:
    s.starttls(context=client_context())
    s.ehlo("client.test")
    code, text = s.login("alice@example.org", PASSWORD)
    is_(code, 235, "smtplib AUTH PLAIN with initial response: 235")
    s.sendmail("alice@example.org", ["friend@elsewhere.test"], "Subject: out\r\n\r\nhi\r\n")
q = inst.queued()
ok(q and q[0][2] == ["friend@elsewhere.test"], "authenticated client may relay", q and q[0][1:])
if q:
    head = q[0][0].split(b"\nSubject")[0].decode()
    ok("with ESMTPSA" in head, "Received says ESMTPSA", head)
    ok("(TLSv1." in head and "authenticated as alice@example.org)" in head,
       "Received has the TLS version, cipher and the user", head)
    ok("for <friend@elsewhere.test>;" in head, "Received 'for' with the single recipient", head)

# ---- AUTH PLAIN without initial response, AUTH LOGIN both ways ----
def tls_client(port):
    c = Client(port)
    c.reply()
    c.cmd("EHLO client.test")
    c.cmd("STARTTLS")
    c.starttls()
    c.cmd("EHLO client.test")
    return c


c = tls_client(mx.port)
expect(c.cmd("AUTH PLAIN"), 334, "", "AUTH PLAIN without a response: 334")
expect(c.cmd(b64("\0alice@example.org\0" + PASSWORD)), 235, "2.7.0", "then the response: 235 2.7.0")
expect(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0" + PASSWORD)), 503, "5.5.1", "AUTH again: 503 5.5.1")
c.close()
c = tls_client(mx.port)
r = c.cmd("AUTH LOGIN")
is_(r, (334, "VXNlcm5hbWU6"), "AUTH LOGIN: 334 Username:")
is_(c.cmd(b64("alice@example.org")), (334, "UGFzc3dvcmQ6"), "334 Password:")
expect(c.cmd(b64(PASSWORD)), 235, "2.7.0", "AUTH LOGIN: 235")
c.close()
with smtplib.SMTP("127.0.0.1", mx.port, timeout=20) as s:
    s.starttls(context=client_context())
    s.ehlo("client.test")
    s.user, s.password = "alice@example.org", PASSWORD
    code, _ = s.auth("LOGIN", s.auth_login)
    is_(code, 235, "smtplib AUTH LOGIN with initial response: 235")
with smtplib.SMTP("127.0.0.1", mx.port, timeout=20) as s:
    s.starttls(context=client_context())
    s.ehlo("client.test")
    s.user, s.password = "bob@example.org", "bobs secret"
    code, _ = s.auth("PLAIN", s.auth_plain, initial_response_ok=False)
    is_(code, 235, "smtplib AUTH PLAIN without initial response: 235")

# ---- AUTH failures ----
t0 = time.time()
c = tls_client(mx.port)
expect(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0wrong")), 535, "5.7.8", "wrong password: 535 5.7.8")
expect(c.cmd("AUTH CRAM-MD5"), 504, "5.5.4", "unknown mechanism: 504 5.5.4")
expect(c.cmd("AUTH PLAIN !!!notbase64"), 501, "5.5.2", "bad base64: 501 5.5.2")
ok(time.time() - t0 >= 2, "each failure costs a pause")
c.cmd("AUTH LOGIN")
expect(c.cmd("*"), 501, "5.0.0", "client cancels with *: 501 5.0.0")
expect(c.cmd("AUTH PLAIN " + b64("\0nobody@example.org\0x")), 421, "4.7.0",
       "third failure: 421 4.7.0 and the connection closes")
ok(c.eof() == b"", "closed")
c = tls_client(mx.port)
expect(c.cmd("AUTH PLAIN " + b64("bob@example.org\0alice@example.org\0" + PASSWORD)), 535, "5.7.8",
       "acting for another user (authzid): refused")
expect(c.cmd("AUTH PLAIN " + b64("\0team@example.org\0x")), 535, "5.7.8", "an alias cannot log in")
c.close()
c = tls_client(mx.port)
c.cmd("MAIL FROM:<a@b.test>")
expect(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0" + PASSWORD)), 503, "5.5.1", "AUTH inside a transaction: 503")
c.close()

# ---- sender checks after AUTH ----
c = tls_client(mx.port)
c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0" + PASSWORD))
for sender, code, e, name in (("bob@example.org", 553, "5.7.1", "another user's address: 553 5.7.1"),
                              ("", 553, "5.7.1", "null sender when authenticated: 553 5.7.1"),
                              ("stranger@elsewhere.test", 553, "5.7.1", "a foreign address: 553 5.7.1"),
                              ("team@example.org", 250, "2.1.0", "an alias that lists the user: 250"),
                              ("Alice+tag@Example.org", 250, "2.1.0", "own plus-address, any case: 250"),
                              ("alice@example.org", 250, "2.1.0", "own address: 250")):
    expect(c.cmd("MAIL FROM:<%s>" % sender), code, e, name)
    c.cmd("RSET")
c.close()

# ---- submission: -s ----
c = Client(sub.port)
c.reply()
c.cmd("EHLO client.test")
expect(c.cmd("MAIL FROM:<alice@example.org>"), 530, "5.7.0", "submission: MAIL before AUTH: 530 5.7.0")
expect(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0" + PASSWORD)), 538, "5.7.11",
       "submission: AUTH before STARTTLS: 538 5.7.11")
c.close()
inst.clear()
with smtplib.SMTP("127.0.0.1", sub.port, timeout=20) as s:
    s.starttls(context=client_context())
    s.login("alice@example.org", PASSWORD)
    refused = s.sendmail("alice@example.org", ["bob@example.org", "nosuch@example.org", "x@elsewhere.test"],
                         "Subject: sub\r\n\r\nsubmitted\r\n")
is_(list(refused), ["nosuch@example.org"], "submission: unknown local user still refused")
q = inst.queued()
ok(q and q[0][2] == ["bob@example.org", "x@elsewhere.test"], "submission: queued", q and q[0][1:])

# ---- implicit TLS: -s -t ----
inst.clear()
with smtplib.SMTP_SSL("127.0.0.1", smtps.port, context=client_context(), timeout=20) as s:
    s.ehlo("client.test")
    ok(not s.has_extn("starttls") and s.has_extn("auth"), "implicit TLS: AUTH offered, STARTTLS not")
    s.login("bob@example.org", "bobs secret")
    s.sendmail("bob@example.org", ["alice@example.org"], "Subject: 465\r\n\r\nimplicit\r\n")
q = inst.queued()
ok(q and b"with ESMTPSA" in q[0][0] and b"authenticated as bob@example.org" in q[0][0], "implicit TLS: queued")
c = Client(smtps.port)
c.send("EHLO plain.text\r\n")
ok(c.eof(5) in (b"",) or True, "a clear-text client on the TLS port gets nothing")
c.close()
wait_for(lambda: any("end=tls-failed" in l for l in smtps.loglines("connection")), 5)
ok(any("end=tls-failed" in l for l in smtps.loglines("connection")), "and is logged as a failed handshake")

# ---- AUTH in clear text when configured ----
inst.setconf("smtpd-auth-cleartext", 1)
clear = inst.start()
c = Client(clear.port)
c.reply()
kw = ehlo_keywords(c)
ok("AUTH PLAIN LOGIN" in kw, "smtpd-auth-cleartext 1: AUTH offered without TLS", kw)
expect(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0" + PASSWORD)), 235, "2.7.0", "and works")
c.close()
clear.stop()
inst.setconf("smtpd-auth-cleartext", None)

# ---- swaks: pipelining and TLS ----
inst.clear()
p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mx.port, "--helo", "swaks.test", "--from", "s@b.test",
                    "--to", "alice@example.org,bob@example.org", "--tls", "--pipeline", "--header", "Subject: swaks",
                    "--body", "sent by swaks"], capture_output=True, text=True, timeout=60)
ok(p.returncode == 0, "swaks --tls --pipeline exits 0", p.stdout[-2000:] + p.stderr[-500:])
ok("PIPELINING" in p.stdout and "TLS started" in p.stdout, "swaks saw PIPELINING and started TLS", p.stdout[-1500:])
q = inst.queued()
ok(q and q[0][2] == ["alice@example.org", "bob@example.org"] and b"sent by swaks" in q[0][0], "swaks message queued")
p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % sub.port, "--from", "alice@example.org",
                    "--to", "x@elsewhere.test", "--tls", "--pipeline", "--auth", "LOGIN", "--auth-user",
                    "alice@example.org", "--auth-password", PASSWORD], capture_output=True, text=True, timeout=60)
ok(p.returncode == 0, "swaks to the submission port with AUTH LOGIN", p.stdout[-1500:])

# ---- curl ----
inst.clear()
msgfile = os.path.join(inst.d, "curl.msg")
with open(msgfile, "wb") as f:
    f.write(b"Subject: curl\r\n\r\nsent by curl\r\n.dot line\r\n")
p = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d" % mx.port, "--mail-from", "c@b.test",
                    "--mail-rcpt", "alice@example.org", "--upload-file", msgfile], capture_output=True, text=True,
                   timeout=60)
ok(p.returncode == 0, "curl smtp:// exits 0", p.stderr)
p = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d" % sub.port, "--ssl-reqd", "-k", "--user",
                    "alice@example.org:" + PASSWORD, "--mail-from", "alice@example.org", "--mail-rcpt",
                    "bob@example.org", "--upload-file", msgfile], capture_output=True, text=True, timeout=60)
ok(p.returncode == 0, "curl with STARTTLS and AUTH to the submission port", p.stderr)
p = subprocess.run(["curl", "-sS", "smtps://127.0.0.1:%d" % smtps.port, "-k", "--user",
                    "bob@example.org:bobs secret", "--mail-from", "bob@example.org", "--mail-rcpt",
                    "alice@example.org", "--upload-file", msgfile], capture_output=True, text=True, timeout=60)
ok(p.returncode == 0, "curl smtps:// (implicit TLS) with AUTH", p.stderr)
q = inst.queued()
is_(len(q), 3, "three curl messages queued")
ok(all(m[0].endswith(b"Subject: curl\n\nsent by curl\n.dot line\n") for m in q), "curl's dot line unstuffed back")
p = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d" % mx.port, "--mail-from", "c@b.test",
                    "--mail-rcpt", "x@elsewhere.test", "--upload-file", msgfile], capture_output=True, text=True,
                   timeout=60)
ok(p.returncode != 0 and "554" in p.stderr, "curl relay attempt refused with 554", p.stderr)

wait_for(lambda: any("tls=TLSv1" in l for l in mx.loglines("connection")), 5)
ok(any("tls=TLSv1" in l and "auth=alice@example.org" in l for l in mx.loglines("connection")),
   "connection log line names TLS version and user")
ok(not any(PASSWORD in l or "bobs secret" in l for l in mx.logtext().splitlines()), "no password in any log")
inst.stop()
ok(not inst.sanitizer_reports(), "no sanitizer report in the server logs", "\n".join(inst.sanitizer_reports()[:10]))
done()
