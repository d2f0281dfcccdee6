#!/usr/bin/env python3
# Content scanning with rspamd inside posthorn-smtpd, against the test's own
# rspamd (Debian's rules, tests/lib/scanners.py): smtplib -> tcpserver ->
# posthorn-smtpd -> rspamd's /checkv2 -> the fake injector.
#   GTUBE is refused with 554 5.7.1 and rspamd's text, and never queued;
#   a normal message is queued with X-Spam-Status: No; one over add_header's
#   score with X-Spam-Status: Yes and X-Posthorn-Junk; a forged
#   X-Spam-Status from outside is dropped; an authenticated sender is not
#   sent to rspamd; rspamd down or hanging (scan-timeout) -> 451, nothing
#   queued; scan-failure pass -> queued with X-Posthorn-Scan; a message over
#   scan-maxsize is passed with a mark.
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpd"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import Instance, PASSWORD  # noqa: E402
from tap import ok, is_, note, done  # noqa: E402
import scanners  # noqa: E402

if not os.path.exists(scanners.RSPAMD):
    print("1..0 # SKIP rspamd is not installed")
    sys.exit(0)

inst = Instance()
inst.setconf("smtpd-auth-cleartext", "1")
rs = scanners.Rspamd(inst.d)
if not ok(rs.start(), "rspamd answers on %s" % rs.addr):
    note(open(os.path.join(rs.d, "stderr")).read()[-2000:])
    rs.stop()
    done()
    sys.exit(1)
inst.setconf("rspamd", rs.addr)
inst.setconf("scan-timeout", "20")
srv = inst.start()


def message(subject, body, extra=""):
    return ("From: Sender <sender@elsewhere.test>\r\nTo: alice@example.org\r\nSubject: %s\r\n"
            "Date: Thu, 03 Dec 2026 18:00:00 +0000\r\nMessage-ID: <%s@elsewhere.test>\r\n%s\r\n%s\r\n"
            % (subject, abs(hash(subject + body)), extra, body))


def send(msg, login=None, sender="sender@elsewhere.test"):
    """(code, text) of the reply to the end of data."""
    with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.elsewhere.test", timeout=60) as s:
        if login:
            s.login(*login)
        s.ehlo()
        s.mail(sender)
        s.rcpt("alice@example.org")
        code, text = s.data(msg.encode())
        return code, text.decode("utf-8", "replace")


def only_queued():
    q = inst.queued()
    inst.clear()
    return q[0][0].decode("utf-8", "replace") if len(q) == 1 else ("%d queued" % len(q))


# ---- GTUBE ----
code, text = send(message("gtube", scanners.GTUBE))
is_(code, 554, "GTUBE refused with 554")
ok(text.startswith("5.7.1 ") and "Gtube pattern" in text, "5.7.1 with rspamd's smtp_message", text)
is_(inst.queued(), [], "the refused message is not queued")
ok(any("554 spam" in l for l in srv.loglines("message")), "the log says 554 spam", srv.logtext()[-1500:])

# ---- a normal message ----
code, text = send(message("lunch on friday", "Shall we meet at noon?",
                          "X-Spam-Status: Yes, score=99 (forged)\r\nX-Spam-Flag: YES\r\n"))
is_(code, 250, "a normal message is accepted")
m = only_queued()
ok(m.startswith("X-Spam-Status: No, score=") and 'action="no action" (rspamd)\n' in m.split("\n\n")[0] + "\n",
   "X-Spam-Status: No on top", m[:300])
ok("(forged)" not in m and "X-Spam-Flag" not in m, "forged X-Spam-Status and X-Spam-Flag dropped", m[:400])
ok("X-Posthorn-Junk" not in m, "no junk mark")

# ---- add header ----
code, text = send(message("offer " + scanners.JUNK_WORD, "buy now"))
is_(code, 250, "a message over add_header's score is accepted")
m = only_queued()
head = m.split("\n\n")[0]
ok("X-Spam-Status: Yes, score=" in head and 'required=15.00 action="add header" (rspamd)' in head,
   "X-Spam-Status: Yes", head)
ok('X-Posthorn-Junk: rspamd action="add header" score=' in head, "X-Posthorn-Junk for posthorn-local", head)

# ---- authenticated: not sent to rspamd, marks kept ----
code, text = send(message("from alice", scanners.GTUBE, "X-Spam-Status: No, score=1 (theirs)\r\n"),
                  login=("alice@example.org", PASSWORD), sender="alice@example.org")
is_(code, 250, "an authenticated sender's GTUBE is not refused (rspamd checks mail from outside)")
m = only_queued()
ok("(rspamd)" not in m and "(theirs)" in m, "no rspamd verdict; the sender's own field kept", m[:300])

# ---- rspamd hanging ----
hang = scanners.Hang()
inst.setconf("rspamd", hang.addr)
inst.setconf("scan-timeout", "1")
code, text = send(message("hang", "hello"))
is_(code, 451, "rspamd that never answers: 451 after scan-timeout")
ok(text.startswith("4.7.0"), "4.7.0", text)
is_(inst.queued(), [], "nothing queued")
ok(any("scanner=rspamd error=timeout" in l for l in srv.loglines("scan")), "the log says timeout")
hang.stop()

# ---- rspamd down ----
inst.setconf("rspamd", rs.addr)
inst.setconf("scan-timeout", "20")
rs.stop()
code, text = send(message("down", "hello"))
is_(code, 451, "rspamd down: 451")
is_(inst.queued(), [], "nothing queued")

# ---- scan-failure pass ----
inst.setconf("scan-failure", "pass")
code, text = send(message("down, passed", "hello"))
is_(code, 250, "scan-failure pass: accepted")
m = only_queued()
ok(m.startswith("X-Posthorn-Scan: rspamd failed: connect failed\n"), "marked X-Posthorn-Scan", m[:200])
inst.setconf("scan-failure", None)

# ---- scan-maxsize ----
inst.setconf("scan-maxsize", "100")
code, text = send(message("big", "x" * 200))
is_(code, 250, "a message over scan-maxsize is not scanned (rspamd is down) and accepted")
m = only_queued()
ok(m.startswith("X-Posthorn-Scan: rspamd skipped: size "), "marked skipped", m[:200])

bad = inst.sanitizer_reports()
ok(not bad, "no sanitizer reports", "\n".join(bad[:5]))
inst.stop()
rs.stop()
done()
