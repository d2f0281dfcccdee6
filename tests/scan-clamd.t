#!/usr/bin/env python3
# Virus scanning with clamd inside posthorn-smtpd, against the test's own
# clamd (a signature database written here, tests/lib/scanners.py):
# smtplib -> tcpserver -> posthorn-smtpd -> clamd's zINSTREAM -> the fake
# injector.
#   An infected message is refused with 554 5.7.1 naming the signature and
#   never queued, by DATA and by BDAT; a clean one is accepted; an
#   authenticated sender's infected message is refused too (outbound
#   scanning); clamd down -> 451, nothing queued; clamd back -> accepted;
#   clamd's own size limit -> passed with X-Posthorn-Scan.
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import Instance, Client, PASSWORD  # noqa: E402
from tap import ok, is_, note, done  # noqa: E402
import scanners  # noqa: E402

if not os.path.exists(scanners.CLAMD):
    print("1..0 # SKIP clamd is not installed")
    sys.exit(0)

inst = Instance()
inst.setconf("smtpd-auth-cleartext", "1")
cl = scanners.Clamd(inst.d)
if not ok(cl.start(), "clamd answers on %s" % cl.sock):
    note(open(os.path.join(cl.d, "stderr")).read()[-2000:])
    done()
    sys.exit(1)
inst.setconf("clamd", cl.sock)
srv = inst.start()

INFECTED = ("From: <sender@elsewhere.test>\r\nTo: alice@example.org\r\nSubject: invoice\r\n\r\n"
            "Please open the attachment.\r\n%s\r\n" % scanners.VIRUS)
CLEAN = "From: <sender@elsewhere.test>\r\nTo: alice@example.org\r\nSubject: hello\r\n\r\nJust text.\r\n"


def send(msg, login=None, sender="sender@elsewhere.test"):
    with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.elsewhere.test", timeout=60) as s:
        if login:
            s.login(*login)
        s.ehlo()
        s.mail(sender)
        s.rcpt("alice@example.org")
        code, text = s.data(msg.encode())
        return code, text.decode("utf-8", "replace")


code, text = send(INFECTED)
is_(code, 554, "an infected message is refused with 554")
ok(text.startswith("5.7.1 ") and scanners.VIRUS_NAME in text, "5.7.1 naming the signature", text)
is_(inst.queued(), [], "the infected message is not queued")
ok(any("554 virus" in l and ("virus=" + scanners.VIRUS_NAME) in l for l in srv.loglines("message")),
   "the log names the signature")

code, text = send(CLEAN)
is_(code, 250, "a clean message is accepted")
q = inst.queued()
is_(len(q), 1, "and queued")
ok(q and b"X-Posthorn-Scan" not in q[0][0], "without a scan mark")
inst.clear()

# BDAT: the same verdict at the LAST chunk
c = Client(srv.port)
c.reply()
c.cmd("EHLO client.elsewhere.test")
c.cmd("MAIL FROM:<sender@elsewhere.test>")
c.cmd("RCPT TO:<alice@example.org>")
half = len(INFECTED) // 2
c.send("BDAT %d\r\n%s" % (half, INFECTED[:half]))
c.reply()
c.send("BDAT %d LAST\r\n%s" % (len(INFECTED) - half, INFECTED[half:]))
code, text = c.reply()
is_(code, 554, "BDAT: infected message refused at LAST")
c.cmd("QUIT")
c.close()
is_(inst.queued(), [], "nothing queued")

code, text = send(INFECTED.replace("sender@elsewhere.test", "alice@example.org"),
                  login=("alice@example.org", PASSWORD), sender="alice@example.org")
is_(code, 554, "an authenticated sender's infected message is refused too")
is_(inst.queued(), [], "not queued")

cl.stop()
code, text = send(CLEAN)
is_(code, 451, "clamd down: 451")
ok(text.startswith("4.7.0"), "4.7.0", text)
is_(inst.queued(), [], "nothing queued while clamd is down")

ok(cl.start(), "clamd back")
code, text = send(CLEAN)
is_(code, 250, "clamd back: accepted")
is_(len(inst.queued()), 1, "queued")
inst.clear()

# clamd's StreamMaxLength (1M in this config) is reached: passed, marked
code, text = send(CLEAN + ("y" * 990 + "\r\n") * 1100)
is_(code, 250, "over clamd's own size limit: passed")
q = inst.queued()
ok(len(q) == 1 and q[0][0].startswith(b"X-Posthorn-Scan: clamd skipped: size "), "marked skipped",
   q[0][0][:100] if q else "nothing queued")
inst.clear()

bad = inst.sanitizer_reports()
ok(not bad, "no sanitizer reports", "\n".join(bad[:5]))
inst.stop()
cl.stop()
done()
