#!/usr/bin/env python3
# posthorn-imapd CATENATE (RFC 4469): a message put together from TEXT
# literals and IMAP URLs (RFC 5092) of messages and parts in the user's
# own mailboxes: the example of RFC 4469 section 5 compared byte for byte
# with what FETCH gives of the parts; absolute and relative URLs, a
# partial range, literal8 text, CATENATE within a MULTIAPPEND; and the
# errors: NO [BADURL url] for a URL that names nothing we have, NO
# [TOOBIG] for a message over imapd-maxmsg, none of a MULTIAPPEND added
# when one part fails.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
inst.write("imapd-maxmsg", "4096")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})

r = Raw(port)
me = r.greeting.decode().split("] ", 1)[1].split(" ")[0]
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login", out)
out = r.cmd("CAPABILITY")
ok(" CATENATE" in out[0], "CAPABILITY lists CATENATE", out)
r.cmd("CREATE Drafts")

B = "------------030308070208000400050907"
draft = ("From: Bob <bob@example.org>\r\nTo: carol@example.net\r\nSubject: the draft\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\nThis is a multi-part message.\r\n--%s\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
         "the text of the draft\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--%s--\r\n" % (B, B, B, B)).encode()
fwd = b"From: dave@example.net\r\nSubject: to forward\r\n\r\nforwarded text\r\n"


def append(box, data):
    r.send(b"t APPEND %s {%d+}\r\n" % (box.encode(), len(data)) + data + b"\r\n")
    return r.until("t")[-1].strip()


ok(append("Drafts", draft).startswith("t OK"), "APPEND the draft (Drafts UID 1)")
ok(append("Drafts", fwd).startswith("t OK"), "APPEND the message to forward (Drafts UID 2)")
ok(append("INBOX", fwd).startswith("t OK"), "APPEND to INBOX (UID 1)")
v = re.search(r"UIDVALIDITY (\d+)", r.cmd("STATUS Drafts (UIDVALIDITY)")[0]).group(1)


def fetch(box, uid, section):
    """BODY.PEEK[section] of uid in box, as bytes (its folder EXAMINEd)."""
    r.cmd("EXAMINE " + box)
    r.send(b"f UID FETCH %d (BODY.PEEK[%s])\r\n" % (uid, section.encode()))
    l = r.f.readline()
    m = re.search(rb"\{(\d+)\}\r\n$", l)
    data = r.f.read(int(m.group(1))) if m else None
    r.until("f")
    r.cmd("UNSELECT")
    return data


def cat(head, parts, tag="t"):
    """APPEND with a CATENATE list given as a list of ("URL", url) and
    ("TEXT", bytes) (TEXT8 for a literal8), with synchronizing literals.
    The tagged line."""
    line = head + " CATENATE ("
    first = True
    for kind, val in parts:
        line += "" if first else " "
        first = False
        if kind == "URL":
            line += 'URL "%s"' % val
        else:
            r.send((line + "TEXT %s{%d}\r\n" % ("~" if kind == "TEXT8" else "", len(val))).encode())
            l = r.line()
            if not l.startswith("+"):
                return l.strip()
            r.send(val)
            line = ""
    r.send((line + ")\r\n").encode())
    return r.until(tag)[-1].strip()


def last_uid(box):
    return int(re.search(r"UIDNEXT (\d+)", r.cmd("STATUS %s (UIDNEXT)" % box)[0]).group(1)) - 1


# RFC 4469 section 5's example, with our UIDVALIDITY and UIDs
u = "/Drafts;UIDVALIDITY=%s/;UID=" % v
t1 = ("\r\n--%s\r\n" % B).encode()
t3 = ("\r\n--%s--\r\n" % B).encode()
t = cat("t APPEND Drafts (\\Seen \\Draft $MDNSent)", [
    ("URL", u + "1/;section=HEADER"), ("TEXT", t1), ("URL", u + "1/;section=1.MIME"), ("URL", u + "1/;section=1"),
    ("TEXT", t1), ("URL", u + "2"), ("TEXT", t3)])
ok(re.match(r"t OK \[APPENDUID %s 3\]" % v, t), "RFC 4469 example: OK [APPENDUID v 3]", t)
want = (fetch("Drafts", 1, "HEADER") + t1 + fetch("Drafts", 1, "1.MIME") + fetch("Drafts", 1, "1") + t1 +
        fetch("Drafts", 2, "") + t3)
got = fetch("Drafts", 3, "")
ok(got == want, "the new message is its parts, byte for byte", "got %r\nwant %r" % (got, want))
r.cmd("EXAMINE Drafts")
out = r.cmd("UID FETCH 3 (FLAGS)")
ok("\\Seen" in out[0] and "\\Draft" in out[0] and "$MDNSent" in out[0], "with its flags", out)
r.cmd("UNSELECT")

# other forms
t = cat("t APPEND Drafts", [("TEXT", b"Subject: fwd\r\n\r\n"), ("URL", "imap://%s/INBOX/;UID=1" % me)])
ok(t.startswith("t OK") and fetch("Drafts", last_uid("Drafts"), "") == b"Subject: fwd\r\n\r\n" + fwd,
   "an absolute imap:// URL of this server, into INBOX", t)
t = cat("t APPEND Drafts", [("URL", "/INBOX/;UID=1/;PARTIAL=6.15")])
ok(t.startswith("t OK") and fetch("Drafts", last_uid("Drafts"), "") == fwd[6:21], "a partial range", t)
t = cat("t APPEND Drafts", [("URL", "/drafts/;UID=1/;SECTION=2")])
ok(t.startswith("t NO [BADURL"), "mailbox names are case-sensitive but INBOX's", t)
r.cmd("SELECT Drafts")
t = cat("t APPEND INBOX", [("TEXT", b"Subject: rel\r\n\r\n"), ("URL", ";UID=1/;SECTION=1")])
ok(t.startswith("t OK") and fetch("INBOX", last_uid("INBOX"), "TEXT") == b"the text of the draft",
   "a relative URL: the selected mailbox", t)
r.cmd("SELECT Drafts")
t = cat("t APPEND Drafts", [("TEXT8", b"Subject: nul\r\n\r\na\0b\r\n")])
ok(t.startswith("t OK"), "a TEXT literal8 with NUL", t)
t = cat("t APPEND Drafts", [("TEXT", b"Subject: nul\r\n\r\na\0b\r\n")])
ok(t.startswith("t BAD"), "a TEXT plain literal with NUL: BAD", t)
r.cmd("UNSELECT")

# BADURL and TOOBIG, and nothing added
n0 = last_uid("Drafts")
for url, why in [(u + "99", "no such UID"), ("/Drafts;UIDVALIDITY=1/;UID=1", "another UIDVALIDITY"),
                 ("/Nope/;UID=1", "no such mailbox"), ("http://example.org/x", "not an IMAP URL"),
                 ("imap://elsewhere.example/INBOX/;UID=1", "another server"),
                 ("imap://mallory@%s/INBOX/;UID=1" % me, "another user"),
                 (";UID=1", "relative with nothing selected"), (u + "1/;SECTION=9", "no such part"),
                 (u + "1/;SECTION=BOGUS", "a bad section"),
                 ("/INBOX/;UID=1/;URLAUTH=anonymous:internal:0123", "URLAUTH")]:
    t = cat("t APPEND Drafts", [("TEXT", b"Subject: x\r\n\r\n"), ("URL", url)])
    ok(t.startswith("t NO [BADURL %s]" % url), "%s: NO [BADURL url]" % why, t)
k = 4096 // len(draft) + 1
t = cat("t APPEND Drafts", [("URL", u + "1")] * k)
ok(t.startswith("t NO [TOOBIG]") and len(draft) * k > 4096, "a message put together over imapd-maxmsg: NO [TOOBIG]", t)
out = r.cmd('APPEND Drafts CATENATE (URL)')
ok(out[-1].startswith("t BAD"), "URL without its value: BAD", out)
out = r.cmd('APPEND Drafts CATENATE ()')
ok(out[-1].startswith("t BAD"), "an empty CATENATE: BAD", out)
out = r.cmd('APPEND Drafts CATENATE (FOO "x")')
ok(out[-1].startswith("t BAD"), "an unknown part kind: BAD", out)
n1 = last_uid("Drafts")
ok(n1 == n0, "none of the refused ones was added", (n0, n1))

# in a MULTIAPPEND: all or nothing
r.send(b"t APPEND Drafts {10+}\r\nSubject: a CATENATE (URL \"%s\")\r\n" % (u + "2").encode())
t = r.until("t")[-1].strip()
ok(re.match(r"t OK \[APPENDUID %s %d:%d\]" % (v, n1 + 1, n1 + 2), t), "a literal and a CATENATE in one MULTIAPPEND", t)
r.send(b"t APPEND Drafts {10+}\r\nSubject: a CATENATE (URL \"%s\")\r\n" % (u + "77").encode())
t = r.until("t")[-1].strip()
ok(t.startswith("t NO [BADURL") and last_uid("Drafts") == n1 + 2, "a bad URL in the second: none added", t)
alive(r, "the CATENATE errors")
r.cmd("LOGOUT")
r.close()
ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
