#!/usr/bin/env python3
# posthorn-smtpd against hostile and broken clients: SMTP smuggling with
# each end-of-data look-alike, a 10 MB line, 10,000 recipients, NUL bytes,
# invalid UTF-8, bad base64 in AUTH, a client that vanishes in the middle
# of DATA or BDAT (nothing queued), a client that never speaks (timeout),
# and pipelined commands around the end of data.
import base64
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
from harness import Instance, Client, wait_for  # noqa: E402
from tap import ok, is_, note, done, SANITIZER  # noqa: E402

inst = Instance()
inst.setconf("smtpd-auth-cleartext", 1)
srv = inst.start()


def esc(got):
    return (got[0], got[1].split(" ")[0] if got[1] else "")


def expect(got, code, e, name):
    return is_(esc(got), (code, e), name)


def opened(port=None):
    c = Client(port or srv.port)
    c.reply()
    c.cmd("EHLO client.test")
    return c


# ---- SMTP smuggling: six end-of-data look-alikes ----
HIDDEN = (b"MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
          b"From: ceo@example.org\r\nSubject: hidden\r\n\r\nsmuggled body\r\n")
for name, fake in (("\\n.\\n", b"\n.\n"), ("\\n.\\r\\n", b"\n.\r\n"), ("\\r.\\r", b"\r.\r"),
                   ("\\r\\n.\\r", b"\r\n.\r"), ("\\r\\n.\\n", b"\r\n.\n"), ("\\n.\\r", b"\n.\r")):
    inst.clear()
    c = opened()
    c.cmd("MAIL FROM:<a@b.test>")
    c.cmd("RCPT TO:<alice@example.org>")
    c.cmd("DATA")
    c.send(b"Subject: outer\r\n\r\nouter body" + fake + HIDDEN + b".\r\nNOOP\r\n")
    replies = [c.reply(), c.reply()]
    c.cmd("QUIT")
    c.close()
    q = inst.queued()
    ok(len(q) <= 1, "smuggling %s: at most one message queued" % name, q)
    ok(not any(m[1] == "evil@attacker.test" or b"\nSubject: hidden" in m[0].split(b"\n\n")[0] for m in q),
       "smuggling %s: the hidden message is not queued" % name, q)
    is_([esc(r) for r in replies], [(554, "5.6.0"), (250, "2.0.0")],
        "smuggling %s: one 554 5.6.0 for the whole text, then the next command" % name)

# ---- pipelining around the end of data ----
inst.clear()
c = opened()
c.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nosuch@example.org>\r\nDATA\r\n")
got = [esc(c.reply()) for _ in range(4)]
is_(got, [(250, "2.1.0"), (250, "2.1.5"), (550, "5.1.1"), (354, "end")], "pipelined MAIL, RCPT, RCPT, DATA")
c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<b@b.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
got = [esc(c.reply()) for _ in range(4)]
is_(got, [(250, "2.0.0"), (250, "2.1.0"), (250, "2.1.5"), (354, "end")],
    "commands pipelined right after the end of data are answered")
c.send(b".\r\nQUIT\r\n")
expect(c.reply(), 250, "2.0.0", "empty second message")
expect(c.reply(), 221, "2.0.0", "QUIT in the same write")
c.close()
is_(len(inst.queued()), 2, "both queued")

# ---- a 10 MB line ----
def smtpd_pid(server, before):
    """pid of the newest smtpd child tcpserver started."""
    pids = re.findall(r"tcpserver: pid (\d+) from", server.logtext())
    return int(pids[-1]) if len(pids) > before else None


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmHWM:"):
                    return int(l.split()[1])
    except OSError:
        return None


n_before = len(re.findall(r"tcpserver: pid (\d+) from", srv.logtext()))
c = opened()
pid = smtpd_pid(srv, n_before)
big = b"x" * (10 * 1024 * 1024)
c.send(b"NOOP " + big + b"\r\n")
expect(c.reply(), 500, "5.5.2", "10 MB command line: 500 5.5.2")
expect(c.cmd("NOOP"), 250, "2.0.0", "and the session goes on")
inst.clear()
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send(b"Subject: big\r\n\r\n" + big + b"\r\n.\r\n")
expect(c.reply(), 554, "5.6.0", "10 MB line in DATA: read to the end, 554 5.6.0")
expect(c.cmd("NOOP"), 250, "2.0.0", "session goes on")
hwm = rss_kb(pid) if pid else None
if not SANITIZER and hwm is not None:
    ok(hwm < 16 * 1024, "smtpd's peak RSS stays small after 20 MB of long lines: %d KiB" % hwm)
    note("smtpd VmHWM after the 10 MB lines: %d KiB" % hwm)
c.close()
is_(inst.queued(), [], "nothing queued")

# ---- 10,000 RCPTs ----
inst.clear()
c = opened()
c.cmd("MAIL FROM:<a@b.test>")
cmds = b"".join(b"RCPT TO:<alice+%d@example.org>\r\n" % i for i in range(10000))
sender = threading.Thread(target=c.send, args=(cmds,))
t0 = time.time()
sender.start()
codes = {}
for i in range(10000):
    r = c.reply()
    codes[esc(r)] = codes.get(esc(r), 0) + 1
sender.join()
note("10,000 RCPTs answered in %.2fs" % (time.time() - t0))
is_(codes, {(250, "2.1.5"): 100, (452, "4.5.3"): 9900}, "10,000 RCPTs: 100 accepted, 9,900 452 4.5.3")
c.cmd("DATA")
c.send("Subject: many\r\n\r\nx\r\n.\r\n")
expect(c.reply(), 250, "2.0.0", "the message goes to the first 100")
c.close()
q = inst.queued()
ok(q and len(q[0][2]) == 100 and q[0][2][0] == "alice+0@example.org", "envelope holds 100 recipients")

# ---- NUL bytes and invalid UTF-8 ----
c = opened()
expect(c.cmd("NOOP a\0b"), 500, "5.5.2", "NUL in a command line: 500 5.5.2")
expect(c.cmd("MAIL FROM:<a\0@b.test>"), 500, "5.5.2", "NUL in MAIL: 500 5.5.2")
expect(c.cmd("NOOP a\rb"), 500, "5.5.2", "bare CR in a command line: 500 5.5.2")
c.send(b"MAIL FROM:<\xff\xfe@b.test> SMTPUTF8\r\n")
expect(c.reply(), 553, "5.1.7", "invalid UTF-8 sender: 553 5.1.7")
c.send(b"MAIL FROM:<\xc3\xa4@b.test>\r\n")
expect(c.reply(), 553, "5.6.7", "UTF-8 sender without SMTPUTF8: 553 5.6.7")
c.send(b"MAIL FROM:<a@b.test> SMTPUTF8\r\n")
c.reply()
c.send(b"RCPT TO:<\xed\xa0\x80@example.org>\r\n")
expect(c.reply(), 553, "5.1.3", "surrogate in a recipient (invalid UTF-8): 553 5.1.3")
c.send(b"RCPT TO:<alice@example.org>\r\n")
c.reply()
c.send(b"EHLO \xff\xfe(evil)\r\n")
c.eof(0.3)
c.close()
inst.clear()
c = Client(srv.port)
c.reply()
c.send(b"EHLO \xff\xfe(evil)\\x\r\n")
while c.reply()[1] != "HELP":
    pass
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send(b"Subject: u\r\n\r\n\xff\xfe invalid UTF-8 in the body is 8-bit text\r\n.\r\n")
expect(c.reply(), 250, "2.0.0", "8-bit junk in the body is accepted (it is not ours to judge)")
c.close()
q = inst.queued()
ok(q and q[0][0].startswith(b"Received: from ???evil??x ([127.0.0.1])\n"),
   "a hostile HELO is cleaned before it goes into Received", q and q[0][0][:80])

# ---- bad base64 in AUTH ----
t0 = time.time()
c = opened()
expect(c.cmd("AUTH PLAIN QQ"), 501, "5.5.2", "AUTH base64 without padding: 501 5.5.2")
expect(c.cmd("AUTH PLAIN " + "A" * 5000), 500, "5.5.2", "AUTH response over the line limit: 500 5.5.2")
c.cmd("AUTH LOGIN")
expect(c.cmd("not base64!"), 501, "5.5.2", "AUTH LOGIN user name not base64: 501 5.5.2")
expect(c.cmd("AUTH PLAIN Q==="), 421, "4.7.0", "third bad AUTH: 421 4.7.0")
ok(c.eof() == b"", "closed")
ok(time.time() - t0 < 10, "bad AUTH costs a pause each, not more")

# ---- a client that vanishes mid-DATA or mid-BDAT: nothing queued ----
inst.clear()
c = opened()
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send(b"Subject: cut\r\n\r\n" + b"half a message\r\n" * 2000)
c.close()
c = opened()
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.send(b"BDAT 100000 LAST\r\n" + b"y" * 5000)
c.close()
wait_for(lambda: len([l for l in srv.loglines("message") if "result=lost" in l]) >= 2)
is_(len([l for l in srv.loglines("message") if "result=lost" in l]), 2, "both logged as lost")
time.sleep(0.3)
is_(inst.queued(), [], "client gone mid-DATA and mid-BDAT: nothing queued")
ok(not [f for f in os.listdir(inst.out) if f.startswith("tmp.")], "no half files left by the injector")

# ---- a client that never speaks; one that stops mid-DATA ----
inst.setconf("smtpd-timeout", 1)
slow = inst.start()
c = Client(slow.port)
t0 = time.time()
c.reply()
r = c.reply()
waited = time.time() - t0
expect(r, 421, "4.4.2", "silent client: 421 4.4.2")
ok(0.5 < waited < 5, "after the configured timeout (%.1fs)" % waited)
ok(c.eof() == b"", "and the connection is closed")
inst.clear()
c = opened(slow.port)
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send(b"Subject: stall\r\n\r\nand then nothing")
expect(c.reply(), 421, "4.4.2", "client stalls mid-DATA: 421 4.4.2")
c.close()
time.sleep(0.3)
is_(inst.queued(), [], "nothing queued")
wait_for(lambda: any("end=timeout" in l for l in slow.loglines("connection")))
ok(any("end=timeout" in l for l in slow.loglines("connection")), "timeouts are logged")
slow.stop()
inst.setconf("smtpd-timeout", None)

# ---- BDAT: chunk bigger than databytes ----
c = opened()
c.cmd("MAIL FROM:<a@b.test>")
c.cmd("RCPT TO:<alice@example.org>")
expect(c.cmd("BDAT 99999999999 LAST"), 552, "5.3.4", "BDAT chunk larger than databytes: 552 5.3.4")
ok(c.eof() == b"", "then the connection is closed (we will not read it to stay in step)")

inst.stop()
ok(not inst.sanitizer_reports(), "no sanitizer report in the server logs", "\n".join(inst.sanitizer_reports()[:10]))
done()
