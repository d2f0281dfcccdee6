#!/usr/bin/env python3
# posthorn-imapd SORT and UID SORT (RFC 5256), SORT=DISPLAY (RFC 5957) and
# ESORT (RFC 5267 3): every criterion over a folder of crafted messages
# (Re:/Fwd:/[blob]/(fwd) subjects and encoded words, Dates in several
# zones, missing and broken, addresses with and without display names),
# REVERSE, ties in mailbox order, the charset argument, the RFC's
# examples as transcripts, errors; then a Dovecot oracle over a copy of a
# generated folder of 300 messages compares the order of each criterion.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw
import dovecot
import sortcorpus

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
m = inst.login(port)

D = lambda s: int(__import__("calendar").timegm(__import__("time").strptime(s, "%Y-%m-%d %H:%M")))
msgs = [
    (b"From: Aaron <zz@x.org>\r\nTo: bob@y.org\r\nCc: carl@y.org\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\n"
     b"Subject: Re: hello\r\n\r\nbody one, the longest of them all by far\r\n", D("2023-01-05 00:00")),
    (b"From: Amy <amy@x.org>\r\nTo: \"Zoe\" <aaa@y.org>\r\nDate: Mon, 2 Jan 2023 06:00:00 -0500\r\n"
     b"Subject: hello\r\n\r\nbody two, long\r\n", D("2023-01-04 00:00")),
    (b"From: bert@x.org\r\nSubject: =?utf-8?q?[list]_Fwd:_Apple?=\r\n\r\nthree\r\n", D("2023-01-02 10:30")),
    (b"From: =?utf-8?q?Carl?= <carl@x.org>\r\nTo: \"\" <mmm@y.org>\r\nDate: Tue, 3 Jan 2023 01:00:00 +0900\r\n"
     b"Subject: [fwd: banana] (fwd)\r\n\r\nfour, a bit\r\n", D("2023-01-06 00:00")),
    (b"To: <zz@y.org>\r\nDate: garbage\r\n\r\n5\r\n", D("2023-01-01 00:00")),
]
# a message appended and expunged first: UIDs are message numbers + 1
m.append("INBOX", None, None, b"Subject: gone\r\n\r\nx\r\n")
m.select("INBOX")
m.store("1", "+FLAGS", "\\Deleted")
m.expunge()
sortcorpus.append_all(m, msgs)
m.logout()

r = Raw(port)
r.cmd("LOGIN alice@example.org alice-pw")
out = r.cmd("SORT (SUBJECT) UTF-8 ALL")
ok(out[-1].startswith("t BAD"), "SORT before SELECT: BAD", out)
caps = r.cmd("CAPABILITY")[0]
for c in ("SORT", "SORT=DISPLAY", "ESORT"):
    ok(" %s " % c in caps, "capability " + c, caps)
r.cmd("SELECT INBOX")


def sort(args, uid=False):
    out = r.cmd(("UID " if uid else "") + "SORT " + args)
    if not out[-1].startswith("t OK"):
        return out[-1].strip()
    lines = [l for l in out if l.startswith("* SORT")]
    return [int(x) for x in lines[0].split()[2:]] if len(lines) == 1 else lines


sizes = sorted(range(1, 6), key=lambda k: (len(msgs[k - 1][0]), k))
cases = [
    ("(SUBJECT) UTF-8 ALL", [5, 3, 4, 1, 2], "SUBJECT: base subjects '', APPLE, BANANA, HELLO, HELLO; the tie in mailbox order"),
    ("(DATE) UTF-8 ALL", [5, 1, 3, 2, 4], "DATE: in UTC across zones; missing and broken Dates take INTERNALDATE"),
    ("(REVERSE DATE) UTF-8 ALL", [4, 2, 3, 1, 5], "REVERSE DATE"),
    ("(ARRIVAL) UTF-8 ALL", [5, 3, 2, 1, 4], "ARRIVAL: INTERNALDATE"),
    ("(FROM) UTF-8 ALL", [5, 2, 3, 4, 1], "FROM: the first From's mailbox, none first"),
    ("(DISPLAYFROM) UTF-8 ALL", [5, 1, 2, 3, 4], "DISPLAYFROM: display name (decoded), else mailbox@host"),
    ("(TO) UTF-8 ALL", [3, 2, 1, 4, 5], "TO: the first To's mailbox"),
    ("(DISPLAYTO) UTF-8 ALL", [3, 1, 4, 2, 5], "DISPLAYTO: an empty display name counts as none"),
    ("(CC) UTF-8 ALL", [2, 3, 4, 5, 1], "CC"),
    ("(SIZE) UTF-8 ALL", sizes, "SIZE"),
    ("(REVERSE SIZE) US-ASCII ALL", sizes[::-1], "REVERSE SIZE with US-ASCII"),
    ("(SUBJECT REVERSE DATE) UTF-8 ALL", [5, 3, 4, 2, 1], "SUBJECT then REVERSE DATE (RFC 5256's example form)"),
    ("(SUBJECT) UTF-8 SINCE 1-Feb-1994", [5, 3, 4, 1, 2], "RFC 5256 example: SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994"),
    ('(SUBJECT) US-ASCII TEXT "not in mailbox"', [], "RFC 5256 example: nothing matches, an empty * SORT"),
    ("(DATE) utf-8 2:4 NOT FROM amy", [3, 4], "search keys select the messages"),
    ("(REVERSE ARRIVAL) UTF-8 ALL", [4, 1, 2, 3, 5], "REVERSE ARRIVAL"),
]
for args, want, name in cases:
    is_(sort(args), want, name)
is_(sort("(DATE) UTF-8 ALL", uid=True), [6, 2, 4, 3, 5], "UID SORT answers UIDs")
is_(sort("(DATE) UTF-8 UID 2:4", uid=True), [2, 4, 3], "UID SORT with a UID set")

# ESORT (RFC 5267 3)
out = r.cmd("SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL")
is_(out[0].strip(), '* ESEARCH (TAG "t") MIN 5 MAX 4 ALL 5,1,3,2,4 COUNT 5',
    "SORT RETURN: MIN and MAX first and last in sort order, ALL in sort order")
out = r.cmd("UID SORT RETURN (ALL) (REVERSE ARRIVAL) UTF-8 ALL")
is_(out[0].strip(), '* ESEARCH (TAG "t") UID ALL 5,2:4,6', "UID SORT RETURN (ALL): ranges only where they rise by one")
out = r.cmd("SORT RETURN (COUNT) (DATE) UTF-8 NOT ALL")
is_(out[0].strip(), '* ESEARCH (TAG "t") COUNT 0', "nothing matches: COUNT 0 only")
out = r.cmd("SORT RETURN () (DATE) UTF-8 1:2")
is_(out[0].strip(), '* ESEARCH (TAG "t") ALL 1:2', "RETURN () is RETURN (ALL)")

# errors
for args, want, name in [
    ("(SUBJECT) KOI8-R ALL", "t NO [BADCHARSET", "an unknown charset: NO [BADCHARSET]"),
    ("(FOO) UTF-8 ALL", "t BAD", "an unknown criterion: BAD"),
    ("() UTF-8 ALL", "t BAD", "no criteria: BAD"),
    ("(REVERSE) UTF-8 ALL", "t BAD", "REVERSE alone: BAD"),
    ("(REVERSE REVERSE DATE) UTF-8 ALL", "t BAD", "REVERSE twice: BAD"),
    ("SUBJECT UTF-8 ALL", "t BAD", "criteria not in a list: BAD"),
    ("(SUBJECT) UTF-8", "t BAD", "no search keys: BAD"),
    ("(SUBJECT)", "t BAD", "no charset: BAD"),
    ("(" + "DATE " * 17 + ") UTF-8 ALL", "t BAD", "17 criteria: BAD"),
    ("RETURN (BOGUS) (DATE) UTF-8 ALL", "t BAD", "an unknown RETURN option: BAD"),
]:
    got = sort(args)
    ok(isinstance(got, str) and got.startswith(want), name, got)
out = r.cmd("NOOP")
ok(out[-1].startswith("t OK"), "the session goes on after the errors", out)
r.cmd("LOGOUT")
r.close()

# ---- the oracle ----
inst2 = Instance(users=[("alice", "alice-pw")])
port2 = inst2.start(env={"IMAPD_CLEARTEXT": "1"})
sortcorpus.write_maildir(inst2, "alice", sortcorpus.corpus(300, 5256))
m = inst2.login(port2)
m.select("INBOX")
order = sortcorpus.seq_to_n(m)
files = sortcorpus.files_by_n(inst2.maildir("alice"))
oracle = dovecot.Oracle(inst2.dir)
dport = oracle.start([files[n] for n in order])
if dport is None:
    note("Dovecot did not start: the oracle comparison is skipped")
else:
    import imaplib
    d = imaplib.IMAP4("127.0.0.1", dport, timeout=30)
    d.login("alice", "oracle")
    d.select("INBOX")
    is_(sortcorpus.seq_to_n(d), order, "Dovecot numbers the copy's 300 messages as posthorn does")
    for crit in ["(SUBJECT DATE)", "(REVERSE SUBJECT DATE)", "(DATE)", "(REVERSE DATE)", "(ARRIVAL)", "(FROM DATE)",
                 "(TO DATE)", "(CC REVERSE DATE)", "(SIZE DATE)", "(DISPLAYFROM DATE)", "(DISPLAYTO DATE)"]:
        a = sortcorpus.command(m, "SORT %s UTF-8 ALL" % crit)
        b = sortcorpus.command(d, "SORT %s UTF-8 ALL" % crit)
        ok(a[0] == "OK" and a == b, "SORT %s over 300 messages: as Dovecot" % crit,
           "posthorn %s\ndovecot  %s" % (a, b))
    d.logout()
    oracle.stop()
m.logout()
ok(inst.clean() and inst2.clean(), "no sanitizer report", inst.log()[-2000:])
done()
