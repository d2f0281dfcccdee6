#!/usr/bin/env python3
# posthorn-imapd MULTIAPPEND (RFC 3502): several messages in one APPEND,
# each with its own flags and date, with synchronizing literals (a "+"
# for each) and LITERAL+; APPENDUID with a UID set (RFC 4315); and all or
# nothing: a second message that is too big, has a bad date or flag, is
# empty or holds NUL leaves none of them in the folder and nothing in
# tmp/.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
inst.write("imapd-maxmsg", "4096")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")

r = Raw(port)
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login", out)
out = r.cmd("CAPABILITY")
ok(" MULTIAPPEND" in out[0], "CAPABILITY lists MULTIAPPEND", out)
out = r.cmd("CREATE saved-messages")
ok(out[-1].startswith("t OK"), "CREATE saved-messages", out)
box = inst.folder_dir("alice", "saved-messages")


def count():
    out = r.cmd("STATUS saved-messages (MESSAGES UIDNEXT)")
    m = re.search(r"MESSAGES (\d+) UIDNEXT (\d+)", out[0])
    return (int(m.group(1)), int(m.group(2))) if m else None


def tmp_empty():
    return os.listdir(os.path.join(box, "tmp")) == []


def multi(head, pieces):
    """A synchronizing MULTIAPPEND: head, then for each (text before the
    literal, data): the announcement, the "+" wait, the data.  Returns
    (the "+" lines seen, the tagged line)."""
    pluses = 0
    line = head
    for pre, data in pieces:
        r.send((line + pre + "{%d}\r\n" % len(data)).encode())
        l = r.line()
        if not l.startswith("+"):
            return pluses, l.strip()
        pluses += 1
        r.send(data)
        line = ""
    r.send(b"\r\n")
    return pluses, r.until("t")[-1].strip()


# the example of RFC 3502 section 6.3.11 (messages of our own)
m1 = (b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example.COM>\r\n"
      b"Subject: afternoon meeting\r\nTo: mooch@owatagu.example.net\r\nMessage-Id: <B27397-0100000@Blurdybloop.example.COM>\r\n"
      b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n")
m2 = (b"Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\nFrom: Joe Mooch <mooch@OWaTaGu.example.net>\r\n"
      b"Subject: Re: afternoon meeting\r\nTo: foobar@blurdybloop.example.com\r\nMessage-Id: <a0434793874930@OWaTaGu.example.net>\r\n"
      b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n3:30 is fine with me.\r\n")
pluses, t = multi("t APPEND saved-messages ", [("(\\Seen) ", m1), (' (\\Seen) " 7-Feb-1994 22:43:04 -0800" ', m2)])
ok(pluses == 2, "a + for each synchronizing literal", pluses)
m = re.match(r"t OK \[APPENDUID (\d+) (\d+):(\d+)\]", t)
ok(m and int(m.group(3)) == int(m.group(2)) + 1, "RFC 3502 example: OK [APPENDUID v a:b] with two UIDs", t)
ok(count() == (2, 3), "both messages are in the folder", count())
out = r.cmd("EXAMINE saved-messages")
out = r.cmd("FETCH 1:2 (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
f1 = [l for l in out if l.startswith("* 1 FETCH")]
f2 = [l for l in out if l.startswith("* 2 FETCH")]
ok(f1 and f2 and "\\Seen" in f1[0] and "\\Seen" in f2[0] and "Subject: Re: afternoon meeting\r\n" in out and
   '"08-Feb-1994 06:43:04 +0000"' in f2[0] and "RFC822.SIZE %d" % len(m1) in f1[0] and
   "RFC822.SIZE %d" % len(m2) in f2[0], "each with its flags, the second with its date", out)
r.cmd("UNSELECT")

# LITERAL+: all in one go, three messages, one with a literal8
r.send(b"t APPEND saved-messages {6+}\r\nA: 1\r\n (\\Flagged) {6+}\r\nB: 2\r\n ~{7+}\r\nC: \x003\r\n\r\n")
t = r.until("t")[-1].strip()
ok(re.match(r"t OK \[APPENDUID \d+ 3:5\]", t), "LITERAL+ MULTIAPPEND of three: APPENDUID 3:5", t)
ok(count() == (5, 6), "five messages now", count())

# all or nothing
before = count()
pluses, t = multi("t APPEND saved-messages ", [("", b"Subject: one\r\n\r\nx\r\n"), (" ", b"y" * 5000)])
ok(pluses == 1 and t.startswith("t NO [TOOBIG]"), "a second message over imapd-maxmsg: NO [TOOBIG] before its data", t)
ok(count() == before and tmp_empty(), "none of them was added, tmp/ is empty", count())
alive(r, "a refused MULTIAPPEND")
pluses, t = multi("t APPEND saved-messages ", [("", b"z" * 3000), (" ", b"w" * 3000)])
ok(pluses == 1 and t.startswith("t NO [TOOBIG]"), "two messages over imapd-maxmsg together: NO [TOOBIG]", t)
ok(count() == before, "none added", count())
pluses, t = multi("t APPEND saved-messages ", [("", b"Subject: one\r\n\r\nx\r\n"), (' "31-Feb-1994 25:00:00 +0000" ', b"y\r\n")])
ok(pluses == 2 and t.startswith("t BAD"), "a second message with a bad date: BAD", t)
ok(count() == before and tmp_empty(), "none of them was added", count())
pluses, t = multi("t APPEND saved-messages ", [("", b"Subject: one\r\n\r\nx\r\n"), (" (\\Bogus) ", b"y\r\n")])
ok(t.startswith("t BAD") and count() == before, "a second message with a bad flag: BAD, none added", t)
pluses, t = multi("t APPEND saved-messages ", [("", b"Subject: one\r\n\r\nx\r\n"), (" ", b"")])
ok(t.startswith("t NO") and count() == before and tmp_empty(), "an empty second message: NO, none added", t)
pluses, t = multi("t APPEND saved-messages ", [("", b"Subject: one\r\n\r\nx\r\n"), (" ", b"a\0b\r\n")])
ok(t.startswith("t BAD") and count() == before, "NUL in a second (plain) literal: BAD, none added", t)
pluses, t = multi("t APPEND nosuch ", [("", b"Subject: one\r\n\r\nx\r\n"), (" ", b"y\r\n")])
ok(t.startswith("t NO [TRYCREATE]"), "MULTIAPPEND to a missing mailbox: NO [TRYCREATE]", t)
out = r.cmd("APPEND saved-messages (\\Seen)")
ok(out[-1].startswith("t BAD"), "APPEND without a message: BAD", out)
r.send(b"t APPEND saved-messages {1+}\r\nx (\\Seen)\r\n")
t = r.until("t")[-1].strip()
ok(t.startswith("t BAD") and count() == before, "flags after the last message: BAD, none added", t)
alive(r, "the refused MULTIAPPENDs")

# a failure while they enter cur/: the UID list is made to run out of
# UIDs after the first (RFC 3501 2.3.1.1: 4294967295 is the last), so the
# second cannot be added; the first, already in cur/, is taken out again
out = r.cmd("CREATE full")
full = inst.folder_dir("alice", "full")
r.send(b"t APPEND full {8+}\r\nA: 1\r\n\r\n\r\n")
t = r.until("t")[-1].strip()
ok(t.startswith("t OK"), "one message in folder full", t)
ulp = os.path.join(full, "posthorn-uidlist")
with open(ulp) as f:
    ul = f.read()
first, rest = ul.split("\n", 1)
v = re.search(r"V(\d+)", first).group(1)
ul2 = "1 V%s N4294967294 R4294967294\n%s" % (v, rest)
with open(ulp, "w") as f:
    f.write(ul2)
cur_before = sorted(os.listdir(os.path.join(full, "cur")))
r.send(b"t APPEND full {8+}\r\nB: 2\r\n\r\n (\\Seen) {8+}\r\nC: 3\r\n\r\n\r\n")
t = r.until("t")[-1].strip()
ok(t.startswith("t NO"), "a second message that gets no UID: NO", t)
with open(ulp) as f:
    ul3 = f.read()
ok(sorted(os.listdir(os.path.join(full, "cur"))) == cur_before and
   os.listdir(os.path.join(full, "tmp")) == [] and ul3 == ul2,
   "the first is taken out of cur/ again, tmp/ is empty, the UID list is as it was",
   (cur_before, os.listdir(os.path.join(full, "cur")), ul3))
r.send(b"t APPEND full {8+}\r\nD: 4\r\n\r\n\r\n")
t = r.until("t")[-1].strip()
ok(t.startswith("t OK [APPENDUID %s 4294967294]" % v), "and the next APPEND gets the UID that was not used", t)

# the folder is still whole: the UIDs given out are the ones there
out = r.cmd("SELECT saved-messages")
out = r.cmd("UID FETCH 1:* (UID)")
ok([re.search(r"UID (\d+)", l).group(1) for l in out[:-1]] == ["1", "2", "3", "4", "5"], "UIDs 1 to 5, no gaps", out)
r.cmd("LOGOUT")
r.close()
ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
