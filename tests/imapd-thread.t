#!/usr/bin/env python3
# posthorn-imapd THREAD and UID THREAD (RFC 5256): ORDEREDSUBJECT and
# REFERENCES over a folder of crafted messages (a References chain with a
# parent missing from the folder, In-Reply-To, a loop, a duplicate
# Message-ID, siblings under a missing parent, subject grouping of
# replies and non-replies), the RFC's examples as transcripts, errors;
# then a Dovecot oracle over a copy of a generated folder of 300 messages
# and of a hostile one of 400 compares both algorithms.
import email.utils
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw
import dovecot
import sortcorpus


def msg(mid, subj, date, extra=""):
    h = ""
    if mid:
        h += "Message-ID: <%s@t>\r\n" % mid
    h += "Subject: %s\r\nDate: %s 2023 %s +0000\r\n%s" % (subj, date.split()[0] + " Jan", date.split()[1], extra)
    return (h + "\r\nbody\r\n").encode()


msgs = [
    msg("a", "topic", "2 10:00"),                                        # 1
    msg("b", "Re: topic", "2 11:00", "References: <a@t>\r\n"),           # 2
    msg("c", "Re: topic", "2 12:00", "References: <a@t>\r\n <missing@t>\r\n"),   # 3: a parent not here
    msg("d", "Re: topic", "2 09:00", "In-Reply-To: <b@t>\r\n"),          # 4
    msg("e", "loop", "3 00:00", "References: <f@t>\r\n"),                # 5
    msg("f", "Re: loop", "3 01:00", "References: <e@t>\r\n"),            # 6: a loop with 5
    msg(None, "Fwd: other", "4 00:00"),                                  # 7: no Message-ID, a forward
    msg("h", "other", "4 01:00"),                                        # 8
    msg("i", "orphan", "5 00:00", "References: <zz1@t>\r\n"),            # 9
    msg("j", "orphan2", "5 01:00", "References: <zz1@t>\r\n"),           # 10: a sibling of 9
    msg("a", "dup", "6 00:00"),                                          # 11: a duplicate Message-ID
    msg("l", "meeting", "7 00:00"),                                      # 12
    msg("m", "[x] Meeting", "7 01:00"),                                  # 13: same base subject, no reply
]
inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
m = inst.login(port)
m.append("INBOX", None, None, b"Subject: gone\r\n\r\nx\r\n")
m.select("INBOX")
m.store("1", "+FLAGS", "\\Deleted")
m.expunge()
for raw in msgs:
    m.append("INBOX", None, None, raw)
m.logout()

r = Raw(port)
r.cmd("LOGIN alice@example.org alice-pw")
caps = r.cmd("CAPABILITY")[0]
for c in ("THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"):
    ok(" %s " % c in caps or caps.rstrip().endswith(" " + c), "capability " + c, caps)
out = r.cmd("THREAD REFERENCES UTF-8 ALL")
ok(out[-1].startswith("t BAD"), "THREAD before SELECT: BAD", out)
r.cmd("SELECT INBOX")


def thread(args, uid=False):
    out = r.cmd(("UID " if uid else "") + "THREAD " + args)
    if not out[-1].startswith("t OK"):
        return out[-1].strip()
    return [l.strip() for l in out if l.startswith("* THREAD")]


is_(thread("REFERENCES UTF-8 ALL"), ["* THREAD (1 (2 4)(3))(6 5)(8 7)((9)(10))(11)((12)(13))"],
    "REFERENCES: a missing parent pruned, In-Reply-To, a loop broken, a forward under its original, "
    "siblings under a dummy, a duplicate Message-ID alone, two non-replies under a dummy")
is_(thread("ORDEREDSUBJECT UTF-8 ALL"), ["* THREAD (4 (1)(2)(3))(5 6)(7 8)(9)(10)(11)(12 13)"],
    "ORDEREDSUBJECT: by base subject, the first by date the parent of the others; threads by date")
is_(thread("REFERENCES UTF-8 ALL", uid=True), ["* THREAD (2 (3 5)(4))(7 6)(9 8)((10)(11))(12)((13)(14))"],
    "UID THREAD REFERENCES answers UIDs")
is_(thread("REFERENCES UTF-8 NOT SUBJECT topic"), ["* THREAD (6 5)(8 7)((9)(10))(11)((12)(13))"],
    "search keys select the messages threaded")
is_(thread("REFERENCES UTF-8 2:4"), ["* THREAD ((2 4)(3))"],
    "replies to a message not selected stay together under a dummy")
# RFC 5256 section 4's examples, in this folder
is_(thread("ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000"), ["* THREAD (4 (1)(2)(3))(5 6)(7 8)(9)(10)(11)(12 13)"],
    "RFC 5256 example: THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000")
is_(thread('ORDEREDSUBJECT US-ASCII TEXT "gewp"'), ["* THREAD"], 'RFC 5256 example: TEXT "gewp": an empty * THREAD')
is_(thread("REFERENCES UTF-8 SINCE 5-MAR-2000"), ["* THREAD (1 (2 4)(3))(6 5)(8 7)((9)(10))(11)((12)(13))"],
    "RFC 5256 example: THREAD REFERENCES UTF-8 SINCE 5-MAR-2000")
for args, want, name in [
    ("XYZ UTF-8 ALL", "t BAD", "an unknown algorithm: BAD"),
    ("REFERENCES KOI8-R ALL", "t NO [BADCHARSET", "an unknown charset: NO [BADCHARSET]"),
    ("REFERENCES UTF-8", "t BAD", "no search keys: BAD"),
    ("REFERENCES", "t BAD", "no charset: BAD"),
]:
    got = thread(args)
    ok(isinstance(got, str) and got.startswith(want), name, got)
out = r.cmd("NOOP")
ok(out[-1].startswith("t OK"), "the session goes on after the errors", out)
r.cmd("LOGOUT")
r.close()

# a References chain as long as the folder (written into cur/ directly:
# 3,000 APPENDs would take minutes), and a fan-out: the tree walks use no
# recursion
inst3 = Instance(users=[("alice", "alice-pw")])
port3 = inst3.start(env={"IMAPD_CLEARTEXT": "1"})
cur = os.path.join(inst3.maildir("alice"), "cur")
N = 3000
for k in range(N):
    refs = "References: <c%d@t>\r\n" % (k - 1) if k else ""
    if k >= N - 100:   # the last 100 all answer the first
        refs = "References: <c0@t>\r\n"
    path = os.path.join(cur, "%d.chain%05d.host:2," % (1700000000 + k, k))
    with open(path, "w", newline="") as f:
        f.write("Message-ID: <c%d@t>\r\n%sDate: %s\r\nSubject: chain\r\n\r\nx\r\n" % (
            k, refs, email.utils.formatdate(1700000000 + 60 * k, usegmt=True)))
    os.utime(path, (1700000000 + k, 1700000000 + k))
    inst3.own(path)
m = inst3.login(port3)
typ, dat = m.select("INBOX")
ok(typ == "OK" and dat == [str(N).encode()], "%d messages" % N, dat)
typ, lines = sortcorpus.command(m, "THREAD REFERENCES UTF-8 ALL")
chain = " ".join(str(k) for k in range(2, N - 99))
fan = "".join("(%d)" % k for k in range(N - 99, N + 1))
ok(typ == "OK" and lines == ["* THREAD (1 (%s)%s)" % (chain, fan)],
   "a chain of %d messages is written inline, 100 answers to its root as siblings" % (N - 100),
   (typ, [l[:300] for l in lines]))
m.logout()

# ---- the oracle: a generated folder, and a hostile one ----
dv_ok = None
for name, msgs in (("a generated folder", sortcorpus.corpus(300, 3)),
                   ("a hostile folder (shared Message-IDs, circles, self-references)", sortcorpus.hostile(400, 1))):
    inst2 = Instance(users=[("alice", "alice-pw")])
    port2 = inst2.start(env={"IMAPD_CLEARTEXT": "1"})
    sortcorpus.write_maildir(inst2, "alice", msgs)
    m = inst2.login(port2)
    m.select("INBOX")
    n = len(msgs)
    for alg in ("REFERENCES", "ORDEREDSUBJECT"):
        typ, lines = sortcorpus.command(m, "THREAD %s UTF-8 ALL" % alg)
        nums = sorted(int(x) for x in re.findall(r"\d+", lines[0])) if typ == "OK" else []
        ok(typ == "OK" and nums == list(range(1, n + 1)) and lines[0].count("(") == lines[0].count(")"),
           "%s: THREAD %s names each message once, parentheses balanced" % (name, alg), (typ, lines))
    order = sortcorpus.seq_to_n(m)
    files = sortcorpus.files_by_n(inst2.maildir("alice"))
    oracle = dovecot.Oracle(inst2.dir)
    dport = oracle.start([files[k] for k in order])
    if dport is None:
        note("Dovecot did not start: the oracle comparison is skipped")
    else:
        import imaplib
        d = imaplib.IMAP4("127.0.0.1", dport, timeout=30)
        d.login("alice", "oracle")
        d.select("INBOX")
        is_(sortcorpus.seq_to_n(d), order, "Dovecot numbers the copy of %s as posthorn does" % name)
        for alg in ("REFERENCES", "ORDEREDSUBJECT"):
            for keys in ("ALL", "1:150", "NOT SUBJECT meeting"):
                a = sortcorpus.command(m, "THREAD %s UTF-8 %s" % (alg, keys))
                b = sortcorpus.command(d, "THREAD %s UTF-8 %s" % (alg, keys))
                ok(a[0] == "OK" and a == b, "%s: THREAD %s UTF-8 %s as Dovecot" % (name, alg, keys),
                   "posthorn %s\ndovecot  %s" % (a, b))
        d.logout()
        oracle.stop()
    m.logout()
    ok(inst2.clean(), "no sanitizer report (%s)" % name, inst2.log()[-2000:])
ok(inst.clean() and inst3.clean(), "no sanitizer report", inst.log()[-2000:])
done()
