#!/usr/bin/env python3
# posthorn-smtpd, the protocol: real tcpserver, real clients (smtplib and a
# raw socket client), a fake injector that keeps what it is given.  Every
# reply path reachable in plain text, with its code and enhanced code;
# SMTPUTF8, 8BITMIME, BDAT, multiple recipients with some unknown; the
# injector's exit codes; the message text rules; limits from the config.
import os
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
from harness import Instance, Client, wait_for  # noqa: E402
from tap import ok, is_, note, done  # noqa: E402

inst = Instance()
srv = inst.start()


def session(*lines, ehlo=True, port=None):
    """Runs commands; returns the list of (code, text)."""
    c = Client(port or srv.port)
    res = [c.reply()]
    if ehlo:
        res.append(c.cmd("EHLO client.test"))
    for l in lines:
        res.append(c.cmd(l))
    c.close()
    return res


def code_of(got):
    return (got[0], got[1].split(" ")[0] if got[1] else "")


def expect(got, code, esc, name):
    return is_(code_of(got), (code, esc), name)


# ---- greeting, HELO, EHLO ----
c = Client(srv.port)
r = c.reply()
is_(r, (220, "mx.example.org ESMTP posthorn"), "greeting: 220 with the name from config me")
c.send("EHLO client.test\r\n")
lines = []
while True:
    l = c.readline().decode()
    lines.append(l.rstrip("\r\n"))
    if l[3] == " ":
        break
is_(lines[0], "250-mx.example.org", "EHLO first line names us")
keywords = [l[4:] for l in lines[1:]]
for k in ("PIPELINING", "SIZE 52428800", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING"):
    ok(k in keywords, "EHLO offers %s" % k, keywords)
ok("STARTTLS" not in keywords, "no STARTTLS without a certificate", keywords)
ok(not any(k.startswith("AUTH") for k in keywords), "no AUTH without TLS", keywords)
is_(c.cmd("HELO client.test"), (250, "mx.example.org"), "HELO: 250 and our name")
expect(c.cmd("HELO"), 501, "5.5.4", "HELO without a domain: 501 5.5.4")
expect(c.cmd("EHLO two words"), 501, "5.5.4", "EHLO with two words: 501 5.5.4")
expect(c.cmd("NOOP"), 250, "2.0.0", "NOOP: 250 2.0.0")
expect(c.cmd("NOOP anything"), 250, "2.0.0", "NOOP with an argument: 250")
expect(c.cmd("VRFY alice"), 252, "2.5.0", "VRFY: 252 2.5.0")
expect(c.cmd("EXPN team"), 502, "5.5.1", "EXPN: 502 5.5.1")
expect(c.cmd("HELP"), 214, "2.0.0", "HELP: 214 2.0.0")
expect(c.cmd("RSET"), 250, "2.0.0", "RSET: 250 2.0.0")
expect(c.cmd("RSET now"), 501, "5.5.4", "RSET with an argument: 501 5.5.4")
expect(c.cmd("FROB"), 500, "5.5.1", "unknown command: 500 5.5.1")
expect(c.cmd("STARTTLS"), 502, "5.5.1", "STARTTLS without a certificate: 502 5.5.1")
expect(c.cmd("AUTH PLAIN AGFsaWNlAHg="), 538, "5.7.11", "AUTH in clear text: 538 5.7.11")
expect(c.cmd("QUIT"), 221, "2.0.0", "QUIT: 221 2.0.0")
ok(c.eof() == b"", "connection closed after QUIT")

# ---- order of commands ----
r = session("MAIL FROM:<a@b.test>", ehlo=False)
expect(r[1], 503, "5.5.1", "MAIL before HELO: 503 5.5.1")
r = session("RCPT TO:<alice@example.org>", "DATA", "MAIL FROM:<a@b.test>", "MAIL FROM:<a@b.test>", "DATA",
            "RCPT TO:<nosuch@example.org>", "DATA", "BDAT 0 LAST")
expect(r[2], 503, "5.5.1", "RCPT before MAIL: 503 5.5.1")
expect(r[3], 503, "5.5.1", "DATA before MAIL: 503 5.5.1")
expect(r[4], 250, "2.1.0", "MAIL: 250 2.1.0")
expect(r[5], 503, "5.5.1", "nested MAIL: 503 5.5.1")
expect(r[6], 503, "5.5.1", "DATA before RCPT: 503 5.5.1")
expect(r[8], 554, "5.5.1", "DATA when every RCPT failed: 554 5.5.1")
expect(r[9], 554, "5.5.1", "BDAT when every RCPT failed: 554 5.5.1")

# ---- MAIL ----
r = session("MAIL FROM:a@b.test", "MAIL TO:<a@b.test>", "MAIL FROM:<a@b.test> FOO=bar",
            "MAIL FROM:<a@b.test> SIZE=52428801", "MAIL FROM:<a@b.test> BODY=BINARYMIME",
            "MAIL FROM:<a@b.test> SIZE=x", "MAIL FROM:<a@b.test> SMTPUTF8=yes",
            "MAIL FROM:<jörg@b.test>", "MAIL FROM:<a@@b>", "MAIL FROM:<>", "RSET",
            "MAIL FROM: <a@b.test> SIZE=1000 BODY=8BITMIME AUTH=<>", "RSET",
            "MAIL FROM:<jörg@bü.test> SMTPUTF8")
expect(r[2], 553, "5.1.7", "MAIL without angle brackets: 553 5.1.7")
expect(r[3], 501, "5.5.2", "MAIL TO: 501 5.5.2")
expect(r[4], 555, "5.5.4", "unknown MAIL parameter: 555 5.5.4")
expect(r[5], 552, "5.3.4", "SIZE over databytes: 552 5.3.4")
expect(r[6], 555, "5.5.4", "BODY=BINARYMIME: 555 5.5.4")
expect(r[7], 501, "5.5.4", "SIZE=x: 501 5.5.4")
expect(r[8], 501, "5.5.4", "SMTPUTF8=yes: 501 5.5.4")
expect(r[9], 553, "5.6.7", "UTF-8 sender without SMTPUTF8: 553 5.6.7")
expect(r[10], 553, "5.1.7", "bad sender syntax: 553 5.1.7")
expect(r[11], 250, "2.1.0", "null sender: 250")
expect(r[13], 250, "2.1.0", "space after colon, SIZE, BODY=8BITMIME, AUTH=<>: 250")
expect(r[15], 250, "2.1.0", "UTF-8 sender with SMTPUTF8: 250")

# ---- RCPT ----
r = session("MAIL FROM:<a@b.test>", "RCPT TO:<alice@example.org>", "RCPT TO:<Alice@EXAMPLE.org>",
            "RCPT TO:<nosuch@example.org>", "RCPT TO:<alice+lists@example.org>", "RCPT TO:<team@example.org>",
            "RCPT TO:<anyone@catch.test>", "RCPT TO:<postmaster>", "RCPT TO:<x@elsewhere.test>",
            "RCPT TO:<alice%elsewhere.test@example.org>", "RCPT TO:<elsewhere.test!alice@example.org>",
            "RCPT TO:<@example.org:x@elsewhere.test>", 'RCPT TO:<"x@elsewhere.test"@example.org>',
            "RCPT TO:<a b@example.org>", "RCPT TO:alice@example.org", "RCPT TO:<alice@example.org> NOTIFY=NEVER",
            "RCPT TO:<jörg@example.org>", "RCPT TO:<x@[192.0.2.1]>", "RCPT TO:<nobody>")
expect(r[3], 250, "2.1.5", "local user: 250 2.1.5")
expect(r[4], 250, "2.1.5", "any case: 250")
expect(r[5], 550, "5.1.1", "unknown user in our domain: 550 5.1.1")
ok("nosuch@example.org" in r[5][1], "the 550 names the address", r[5])
expect(r[6], 250, "2.1.5", "plus-address: 250")
expect(r[7], 250, "2.1.5", "alias: 250")
expect(r[8], 250, "2.1.5", "catch-all domain: 250")
expect(r[9], 250, "2.1.5", "bare postmaster: 250")
expect(r[10], 554, "5.7.1", "other domain without RELAYCLIENT or AUTH: 554 5.7.1")
expect(r[11], 550, "5.7.1", "percent hack: 550 5.7.1")
expect(r[12], 550, "5.7.1", "bang path: 550 5.7.1")
expect(r[13], 550, "5.7.1", "source route: 550 5.7.1")
expect(r[14], 550, "5.7.1", "quoted @: 550 5.7.1")
expect(r[15], 553, "5.1.3", "bad recipient syntax: 553 5.1.3")
expect(r[16], 553, "5.1.3", "recipient without brackets: 553 5.1.3")
expect(r[17], 555, "5.5.4", "RCPT parameter: 555 5.5.4")
expect(r[18], 553, "5.6.7", "UTF-8 recipient without SMTPUTF8: 553 5.6.7")
expect(r[19], 554, "5.7.1", "address literal is not ours: 554 5.7.1")
expect(r[20], 553, "5.1.3", "bare local part other than postmaster: 553 5.1.3")

# ---- smtplib: a plain message, several recipients, some unknown ----
inst.clear()
body = "From: a@b.test\r\nTo: alice@example.org\r\nSubject: plain\r\n\r\nline one\r\n.leading dot\r\n"
with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test", timeout=20) as s:
    refused = s.sendmail("sender@b.test", ["alice@example.org", "nosuch@example.org", "bob@example.org",
                                           "ghost@example.org"], body)
is_(sorted(refused), ["ghost@example.org", "nosuch@example.org"], "smtplib: unknown recipients refused")
is_(refused.get("ghost@example.org", (0,))[0], 550, "with 550")
q = inst.queued()
is_(len(q), 1, "one message queued")
if q:
    msg, sender, rcpts = q[0]
    is_(sender, "sender@b.test", "envelope sender")
    is_(rcpts, ["alice@example.org", "bob@example.org"], "envelope: only the known recipients, in order")
    head, _, rest = msg.partition(b"\nFrom: ")
    ok(head.startswith(b"Received: from client.test ([127.0.0.1])\n\tby mx.example.org (posthorn) with ESMTP;"),
       "Received header first, with HELO, IP, our name, ESMTP", head)
    ok(b"\tfor <" not in head, "no 'for' with two recipients")
    is_(b"From: " + rest, body.replace("\r\n", "\n").replace("\n.leading", "\nleading").encode()
        .replace(b"\nleading", b"\n.leading"),
        "body stored with LF line ends and dot-unstuffed")

# ---- SMTPUTF8 and 8BITMIME ----
inst.clear()
utf = "From: jörg@bü.test\r\nSubject: grüße\r\n\r\nÄÖÜ ✓\r\n".encode()
with smtplib.SMTP("127.0.0.1", srv.port, timeout=20) as s:
    s.ehlo("client.test")
    ok(s.has_extn("smtputf8") and s.has_extn("8bitmime"), "smtplib sees SMTPUTF8 and 8BITMIME")
    s.sendmail("jörg@bü.test", ["alice@example.org"], utf, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
q = inst.queued()
ok(len(q) == 1 and q[0][1] == "jörg@bü.test", "SMTPUTF8: UTF-8 sender kept", q and q[0][1])
ok(q and q[0][0].endswith("Subject: grüße\n\nÄÖÜ ✓\n".encode()), "8-bit text kept byte for byte")
ok(q and b"with UTF8SMTP\n" in q[0][0], "protocol UTF8SMTP in Received", q and q[0][0][:200])
inst.clear()
with smtplib.SMTP("127.0.0.1", srv.port, timeout=20) as s:
    s.sendmail("a@b.test", ["alice@example.org"], "Subject: 8bit\r\n\r\ncaf\xe9\r\n".encode("latin-1"),
               mail_options=["BODY=8BITMIME"])
q = inst.queued()
ok(q and q[0][0].endswith(b"caf\xe9\n"), "8BITMIME: Latin-1 byte kept")

# ---- BDAT (smtplib has no BDAT helper: its low-level calls) ----
inst.clear()
with smtplib.SMTP("127.0.0.1", srv.port, timeout=20) as s:
    s.ehlo("client.test")
    ok(s.has_extn("chunking"), "CHUNKING offered")
    s.mail("a@b.test")
    s.rcpt("alice@example.org")
    part1 = b"Subject: chunks\r\n\r\nfirst part\r"
    part2 = b"\nsecond part\r\n.not stuffed\r\n"
    s.putcmd("BDAT %d" % len(part1))
    s.send(part1)
    r1 = s.getreply()
    s.putcmd("BDAT %d LAST" % len(part2))
    s.send(part2)
    r2 = s.getreply()
is_(r1[0], 250, "BDAT chunk: 250")
ok(r2[0] == 250 and r2[1].startswith(b"2.0.0 queued"), "BDAT LAST: 250 queued", r2)
q = inst.queued()
ok(q and q[0][0].endswith(b"Subject: chunks\n\nfirst part\nsecond part\n.not stuffed\n"),
   "BDAT text: CRLF split across chunks joined, no dot-unstuffing", q and q[0][0])
c = Client(srv.port)
c.reply()
c.cmd("EHLO client.test")
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.send("BDAT 5\r\nab\ncd")
expect(c.reply(), 554, "5.6.0", "BDAT chunk with a bare LF: 554 5.6.0 at once")
c.send("BDAT 3 LAST\r\nxy\n")
expect(c.reply(), 503, "5.5.1", "the chunks after it are read and refused: 503 5.5.1")
expect(c.cmd("BDAT 0 LAST"), 503, "5.5.1", "BDAT after the transaction ended: 503 5.5.1")
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.send("BDAT 2\r\nab")
expect(c.reply(), 250, "2.0.0", "first chunk")
expect(c.cmd("DATA"), 503, "5.5.1", "DATA after BDAT: 503 5.5.1")
expect(c.cmd("BDAT x"), 501, "5.5.4", "BDAT without a size: 501 5.5.4, then the connection closes")
ok(c.eof() == b"", "closed")
inst.clear()
c = Client(srv.port)
c.reply()
c.cmd("EHLO client.test")
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.send("BDAT 0 LAST\r\n")
expect(c.reply(), 250, "2.0.0", "BDAT 0 LAST: an empty message is queued")
c.close()

# ---- the injector's answers ----
def one_message(port=None):
    c = Client(port or srv.port)
    c.reply()
    c.cmd("EHLO client.test")
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<alice@example.org>")
    c.cmd("DATA")
    c.send("Subject: x\r\n\r\nhello\r\n.\r\n")
    r = c.reply()
    c.close()
    return r


inst.clear()
inst.fake_queue(100, "5.3.4 message too big for the filter")
is_(one_message(), (554, "5.3.4 message too big for the filter"), "injector exit 100: 554 with its reason")
inst.fake_queue(111, "4.3.0 queue disk full")
is_(one_message(), (451, "4.3.0 queue disk full"), "injector exit 111: 451 with its reason")
inst.fake_queue(100, "no code here")
is_(one_message(), (554, "5.3.0 no code here"), "exit 100 with a reason without a code: 554 5.3.0")
inst.fake_queue(111, "5.1.1 wrong class")
ok(one_message()[0] == 451, "exit 111 with a 5.x.x reason: still 451")
inst.fake_queue(0)
is_(inst.queued(), [], "nothing was queued by the failing injector")
bad = os.path.join(inst.d, "killer")
with open(bad, "w") as f:
    f.write("#!/bin/sh\ncat >/dev/null\nkill -9 $$\n")
os.chmod(bad, 0o755)
srv2 = inst.start(injector=bad)
expect(one_message(srv2.port), 451, "4.3.0", "injector killed by a signal: 451 4.3.0")
srv2.stop()
srv3 = inst.start(injector="/nonexistent/injector")
r = one_message(srv3.port)
expect(r, 451, "4.3.0", "injector missing: 451 4.3.0")
ok("unable to run" in r[1], "with the reason", r)
srv3.stop()

# ---- RELAYCLIENT ----
inst.clear()
srv4 = inst.start(env={"RELAYCLIENT": ""})
r = session("MAIL FROM:<a@b.test>", "RCPT TO:<x@elsewhere.test>", "RCPT TO:<nosuch@example.org>",
            "RCPT TO:<alice%elsewhere.test@example.org>", port=srv4.port)
expect(r[3], 250, "2.1.5", "RELAYCLIENT set: other domains accepted")
expect(r[4], 550, "5.1.1", "RELAYCLIENT set: unknown local user still 550 5.1.1")
expect(r[5], 550, "5.7.1", "RELAYCLIENT set: percent hack still refused")
srv4.stop()

# ---- message text rules ----
def data(text, port=None):
    c = Client(port or srv.port)
    c.reply()
    c.cmd("EHLO client.test")
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<alice@example.org>")
    c.cmd("DATA")
    c.send(text)
    r = c.reply()
    after = c.cmd("NOOP")
    c.close()
    return r, after


inst.clear()
r, after = data(b"Subject: x\r\n\r\nbare\nlf\r\n.\r\n")
expect(r, 554, "5.6.0", "bare LF in DATA: 554 5.6.0")
expect(after, 250, "2.0.0", "and the session goes on")
expect(data(b"Subject: x\r\n\r\nbare\rcr\r\n.\r\n")[0], 554, "5.6.0", "bare CR: 554 5.6.0")
expect(data(b"Subject: x\r\n\r\nnul\0byte\r\n.\r\n")[0], 554, "5.6.0", "NUL byte: 554 5.6.0")
expect(data(b"Subject: x\r\n\r\n" + b"y" * 999 + b"\r\n.\r\n")[0], 554, "5.6.0", "999-octet line: 554 5.6.0")
expect(data(b"Subject: x\r\n\r\n" + b"y" * 998 + b"\r\n.\r\n")[0], 250, "2.0.0", "998-octet line: 250")
expect(data(b"\r\n.\r\n")[0], 250, "2.0.0", "empty body: 250")
is_(len(inst.queued()), 2, "only the two good messages were queued")
expect(data(b"Received: a\r\n" * 100 + b"Subject: x\r\n\r\nbody\r\n.\r\n")[0], 250, "2.0.0",
       "100 Received fields: accepted")
expect(data(b"Received: a\r\n" * 101 + b"Subject: x\r\n\r\nbody\r\n.\r\n")[0], 554, "5.4.6",
       "101 Received fields: a loop, 554 5.4.6")
expect(data(b"Subject: x\r\n\r\n" + b"Received: a\r\n" * 150 + b".\r\n")[0], 250, "2.0.0",
       "Received lines in the body do not count")

# ---- limits from the config dir ----
inst.setconf("databytes", 1000)
inst.setconf("smtpd-maxrcpt", 3)
inst.setconf("smtpd-maxhops", 2)
inst.setconf("smtpd-maxerrors", 4)
srv5 = inst.start()
r = session("MAIL FROM:<a@b.test> SIZE=1001", "MAIL FROM:<a@b.test> SIZE=1000", "RCPT TO:<alice@example.org>",
            "RCPT TO:<bob@example.org>", "RCPT TO:<carol@example.org>", "RCPT TO:<team@example.org>",
            "RCPT TO:<alice@example.org>", port=srv5.port)
expect(r[2], 552, "5.3.4", "SIZE over databytes from the config: 552 5.3.4")
expect(r[6], 250, "2.1.5", "third recipient: 250")
expect(r[7], 452, "4.5.3", "fourth recipient over smtpd-maxrcpt: 452 4.5.3")
expect(r[8], 250, "2.1.5", "a recipient given twice is not counted twice")
expect(data(b"Subject: x\r\n\r\n" + b"z" * 500 + b"\r\n" + b"z" * 500 + b"\r\n.\r\n", srv5.port)[0],
       552, "5.3.4", "message over databytes: 552 5.3.4")
expect(data(b"Received: a\r\n" * 3 + b"\r\nbody\r\n.\r\n", srv5.port)[0], 554, "5.4.6",
       "3 Received fields over smtpd-maxhops 2: 554 5.4.6")
r = session("FOO", "BAR", "BAZ", "QUX", port=srv5.port)
expect(r[4], 500, "5.5.1", "fourth error")
c = Client(srv5.port)
c.reply()
for l in ("FOO", "BAR", "BAZ"):
    c.cmd(l)
c.send("QUX\r\n")
c.reply()
expect(c.reply(), 421, "4.7.0", "errors reach smtpd-maxerrors: 421 4.7.0")
ok(c.eof() == b"", "and the connection is closed")
srv5.stop()
for n in ("databytes", "smtpd-maxrcpt", "smtpd-maxhops", "smtpd-maxerrors"):
    inst.setconf(n, None)

# ---- a config file that cannot be read ----
inst.setconf("smtpd-maxrcpt", 5)
os.chmod(os.path.join(inst.conf, "smtpd-maxrcpt"), 0)
srv6 = inst.start()
c = Client(srv6.port)
r = c.reply()
if os.geteuid() == 0 or os.access(os.path.join(inst.conf, "smtpd-maxrcpt"), os.R_OK) is False:
    expect(r, 421, "4.3.0", "unreadable config file: 421 4.3.0 at the greeting")
srv6.stop()
inst.setconf("smtpd-maxrcpt", None)

# ---- under inetd: no TCP* variables, the addresses come from the socket ----
import socket
import subprocess
from harness import IS_ROOT, NOBODY, HERE  # noqa: E402
from tap import prog  # noqa: E402
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
csock = socket.create_connection(lsock.getsockname())
ssock, _ = lsock.accept()
env = {k: v for k, v in os.environ.items() if not k.startswith("TCP") and k not in ("RELAYCLIENT", "POSTHORN_QUEUE")}
env["POSTHORN_QUEUE"] = os.path.join(HERE, "fakeq")
env["FAKEQ_OUT"] = inst.out


def drop():
    if IS_ROOT:
        os.setgroups([])
        os.setgid(NOBODY.pw_gid)
        os.setuid(NOBODY.pw_uid)


inetd = subprocess.Popen([prog("smtpd"), "-C", inst.conf], stdin=ssock, stdout=ssock, stderr=subprocess.PIPE,
                         env=env, preexec_fn=drop)
ssock.close()
inst.clear()
f = csock.makefile("rb")
greeting = f.readline()
csock.sendall(b"HELO inetd.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
replies = [f.readline()[:3] for _ in range(4)]
csock.sendall(b"Subject: inetd\r\n\r\nhi\r\n.\r\nQUIT\r\n")
replies += [f.readline()[:3] for _ in range(2)]
csock.close()
err = inetd.communicate(timeout=20)[1].decode()
ok(greeting.startswith(b"220 "), "inetd mode: greeting on the socket")
is_(replies, [b"250", b"250", b"250", b"354", b"250", b"221"], "inetd mode: a message accepted")
ok("event=connection client=127.0.0.1 port=" in err, "inetd mode: client address from getpeername", err)
q = inst.queued()
ok(q and q[0][0].startswith(b"Received: from inetd.test ([127.0.0.1])"), "inetd mode: Received names the peer")

# ---- root ----
if IS_ROOT:
    p = subprocess.run([prog("smtpd"), "-C", inst.conf], input=b"QUIT\r\n", capture_output=True, env=env)
    ok(p.returncode == 111 and p.stdout.startswith(b"421 4.3.0"), "refuses to run as root: 421, exit 111", p)

# ---- logs ----
wait_for(lambda: len(srv.loglines("connection")) > 5)
conn = srv.loglines("connection")
ok(conn and "client=127.0.0.1" in conn[0] and "end=" in conn[0], "one log line per connection", conn[:1])
msgs = srv.loglines("message")
ok(any("from=sender@b.test" in l and "to=alice@example.org,bob@example.org" in l and "result=\"250 " in l
       for l in msgs), "one log line per message with sender, recipients and result", msgs[:3])
ok(not any("hello" in l for l in srv.logtext().splitlines() if "posthorn-smtpd" in l), "no message text in the log")

inst.stop()
ok(not inst.sanitizer_reports(), "no sanitizer report in the server logs", "\n".join(inst.sanitizer_reports()[:10]))
done()
