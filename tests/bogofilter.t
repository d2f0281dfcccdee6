#!/usr/bin/env python3
# posthorn-local and bogofilter: a user's word list, trained by
# posthorn-learn -u on a generated corpus (30 spam, 30 ham, distinct
# vocabularies), makes new spam land in Junk with "X-Spam-Status: Yes" and
# new ham in the INBOX with "No"; an untrained user gets no header; a
# missing, slow or broken classifier leaves the message delivered unmarked;
# a junk-marked message is not classified; the user's posthorn-rules win.
# Real bogofilter (Debian's), real binaries, Maildirs on disk.
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
import corpus
from mailusers import MailUsers, ROOT, NOBODY

BOGOFILTER = "/usr/bin/bogofilter"
if not os.access(BOGOFILTER, os.X_OK):
    print("1..0 # SKIP bogofilter is not installed")
    sys.exit(0)

U = MailUsers(("alice", "bob"), extra=("alias both@example.org to=alice@example.org,bob@example.org",))
d, conf, mail, md, own = U.d, U.conf, U.mail, U.md, U.own


def setting(name, value):
    path = os.path.join(conf, name)
    if value is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(value + "\n")


def deliver(rcpt, text):
    path = os.path.join(d, "msg")
    with open(path, "w", newline="") as f:
        f.write(text)
    with open(path, "rb") as m:
        p = subprocess.run([prog("local"), "-C", conf, "s@example.net", rcpt], stdin=m,
                           capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def files(user, folder=""):
    return sorted(glob.glob(os.path.join(md(user, folder), "new", "*")))


def only(user, folder=""):
    fs = files(user, folder)
    return open(fs[0]).read() if len(fs) == 1 else None


def clear(user):
    for f in glob.glob(os.path.join(md(user), "new", "*")) + glob.glob(os.path.join(md(user), ".*", "new", "*")):
        os.unlink(f)


def status_line(text):
    head = (text or "").split("\n\n", 1)[0]
    lines = [l for l in head.split("\n") if l.lower().startswith("x-spam-status:")]
    return lines[0] if len(lines) == 1 else None if not lines else lines


def delivered(r, name):
    return ok(r[0] == 0 and r[1].startswith("2.0.0 "), name, "exit %d, stdout %r, stderr %r" % r)


# ---- the corpus: 30 spam into alice's Junk, 30 ham into her INBOX (cur/) ----
for kind, folder in (("spam", ".Junk"), ("ham", "")):
    for n in range(30):
        path = os.path.join(md("alice", folder), "cur", "%d.corpus%s:2,S" % (1000 + n, kind))
        with open(path, "w") as f:
            f.write(corpus.message(kind, n))
        own(path)

# ---- an untrained user: no word list, no classifier, no header ----
r = deliver("alice@example.org", corpus.message("spam", 100))
delivered(r, "a message for a user without a word list")
is_(status_line(only("alice")), None, "goes into the INBOX without X-Spam-Status")
ok("event=spam" not in r[2], "and the classifier is not asked", r[2])
clear("alice")

# ---- training with posthorn-learn -u ----
for flag, folder in (("-s", "Junk"), ("-n", "INBOX")):
    p = subprocess.run([prog("learn"), "-C", conf, "-u", "alice@example.org", flag, folder],
                       capture_output=True, text=True, timeout=120)
    if not is_(p.returncode, 0, "posthorn-learn -u alice %s %s" % (flag, folder)):
        note(p.stdout + p.stderr)
wl = md("alice", "bogofilter")
ok(os.path.isfile(os.path.join(wl, "wordlist.db")), "the word list is in the user's Maildir")
if ROOT:
    is_(os.stat(os.path.join(wl, "wordlist.db")).st_uid, NOBODY.pw_uid, "owned by the mail owner")
    is_(os.stat(wl).st_mode & 0o777, 0o700, "its directory is private")
counts = subprocess.run(["bogoutil", "-d", os.path.join(wl, "wordlist.db")], capture_output=True, text=True).stdout
msgcount = [l.split() for l in counts.splitlines() if l.startswith(".MSG_COUNT")]
is_(msgcount and msgcount[0][1:3], ["30", "30"], "bogofilter counts 30 spam and 30 ham")

# Learning the same folder again changes nothing (the record of learned messages).
p = subprocess.run([prog("learn"), "-C", conf, "-u", "alice@example.org", "-s", "Junk"],
                   capture_output=True, text=True, timeout=120)
counts = subprocess.run(["bogoutil", "-d", os.path.join(wl, "wordlist.db")], capture_output=True, text=True).stdout
msgcount = [l.split() for l in counts.splitlines() if l.startswith(".MSG_COUNT")]
is_(msgcount and msgcount[0][1:3], ["30", "30"], "learning the same messages twice counts them once")

# ---- new spam into Junk, new ham into the INBOX ----
r = deliver("alice@example.org", corpus.message("spam", 200))
delivered(r, "new spam is delivered")
is_((len(files("alice")), len(files("alice", ".Junk"))), (0, 1), "into Junk")
line = status_line(only("alice", ".Junk"))
ok(line and line.startswith("X-Spam-Status: Yes, score=") and line.endswith(" (bogofilter)"),
   "with X-Spam-Status: Yes", line)
ok(only("alice", ".Junk").startswith("Return-Path: <s@example.net>\nDelivered-To: alice@example.org\nX-Spam-Status: "),
   "the header sits after Delivered-To")
ok("junk=bogofilter" in r[2] and "event=spam" in r[2] and "result=spam" in r[2],
   "logged as result=spam and junk=bogofilter", r[2])
clear("alice")

r = deliver("alice@example.org", corpus.message("ham", 200))
delivered(r, "new ham is delivered")
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "into the INBOX")
line = status_line(only("alice"))
ok(line and line.startswith("X-Spam-Status: No, score=0.") and line.endswith(" (bogofilter)"),
   "with X-Spam-Status: No", line)
clear("alice")

# ---- bob is untrained, alice trained: one message to both ----
r = deliver("both@example.org", corpus.message("spam", 201))
delivered(r, "spam to an alias of a trained and an untrained user")
is_(len(files("alice", ".Junk")), 1, "the trained user's copy is in Junk")
is_((len(files("bob")), status_line(only("bob"))), (1, None), "the untrained user's in the INBOX, no header")
clear("alice")
clear("bob")

# ---- a junk-marked message is junk already: not classified ----
r = deliver("alice@example.org", "X-Posthorn-Junk: dmarc p=quarantine example.com\n" + corpus.message("ham", 202))
delivered(r, "a junk-marked message")
is_(len(files("alice", ".Junk")), 1, "goes into Junk")
is_(status_line(only("alice", ".Junk")), None, "without X-Spam-Status")
ok("event=spam" not in r[2] and "junk=dmarc" in r[2], "the classifier is not asked", r[2])
clear("alice")

# ---- the owner's posthorn-rules win ----
rules = md("alice", "posthorn-rules")
with open(rules, "w") as f:
    f.write("inbox\n")
own(rules)
r = deliver("alice@example.org", corpus.message("spam", 203))
delivered(r, "spam for a user whose rules say inbox")
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "the rules win: INBOX")
line = status_line(only("alice"))
ok(line and line.startswith("X-Spam-Status: Yes"), "the header is there all the same", line)
os.unlink(rules)
clear("alice")

# ---- the classifier missing, broken, slow, or the message too big ----
setting("bogofilter", "/nonexistent/bogofilter")
r = deliver("alice@example.org", corpus.message("spam", 204))
delivered(r, "with the classifier missing the message is delivered")
is_((len(files("alice")), status_line(only("alice"))), (1, None), "into the INBOX, unmarked")
ok("event=spam" in r[2] and "result=error" in r[2], "the failure is logged", r[2])
clear("alice")

stand_in = os.path.join(d, "bogo-stand-in")


def stand(script):
    with open(stand_in, "w") as f:
        f.write("#!/bin/sh\n" + script + "\n")
    os.chmod(stand_in, 0o755)


setting("bogofilter", stand_in)
stand("cat >/dev/null; echo 'U 0.52'; exit 2")
r = deliver("alice@example.org", corpus.message("spam", 205))
delivered(r, "an unsure verdict")
is_(status_line(only("alice")), "X-Spam-Status: Unsure, score=0.5200 (bogofilter)",
    "stays in the INBOX, marked Unsure")
clear("alice")

for script, what in (("exit 3", "an error exit"), ("echo 'S 7'; exit 0", "garbage output"),
                     ("echo 'H 0.1'; exit 0", "an output that contradicts the exit code"),
                     ("kill -9 $$", "a crash")):
    stand(script)
    r = deliver("alice@example.org", corpus.message("spam", 206))
    delivered(r, "with %s the message is delivered" % what)
    is_((len(files("alice")), status_line(only("alice"))), (1, None), "  unmarked, in the INBOX")
    ok("result=error" in r[2], "  and the failure logged", r[2])
    clear("alice")

stand("exec sleep 30")
setting("scan-timeout", "1")
r = deliver("alice@example.org", corpus.message("spam", 207))
delivered(r, "a classifier slower than scan-timeout")
is_((len(files("alice")), status_line(only("alice"))), (1, None), "is killed; the message is delivered unmarked")
ok("timed out" in r[2], "the timeout is logged", r[2])
clear("alice")
setting("scan-timeout", None)
setting("bogofilter", None)

setting("spam-maxsize", "100")
r = deliver("alice@example.org", corpus.message("spam", 208))
delivered(r, "a message bigger than spam-maxsize")
is_((len(files("alice")), status_line(only("alice"))), (1, None), "is not classified")
ok("result=skipped" in r[2], "logged as skipped", r[2])
setting("spam-maxsize", None)
clear("alice")

setting("spam-classifier", "none")
r = deliver("alice@example.org", corpus.message("spam", 209))
is_((len(files("alice")), status_line(only("alice"))), (1, None), "spam-classifier none: no classifier")
setting("spam-classifier", "bayes")
r = deliver("alice@example.org", corpus.message("spam", 210))
ok(r[0] == 111 and "spam-classifier" in r[1], "an unknown spam-classifier is a temporary failure", r)
setting("spam-classifier", None)
clear("alice")

# ---- a shared word list ----
shared = os.path.join(d, "shared")
os.makedirs(shared)
own(shared)
setting("spam-wordlist", shared)
r = deliver("bob@example.org", corpus.message("spam", 211))
is_(status_line(only("bob")), None, "a shared word list that does not exist yet: no header")
clear("bob")
p = subprocess.run([prog("learn"), "-C", conf, "-u", "alice@example.org", "-s", "Junk"], capture_output=True, text=True)
p = subprocess.run([prog("learn"), "-C", conf, "-u", "alice@example.org", "-n", "INBOX"], capture_output=True, text=True)
ok(os.path.isfile(os.path.join(shared, "wordlist.db")), "posthorn-learn trains the shared word list", p.stderr)
r = deliver("both@example.org", corpus.message("spam", 212))
is_((len(files("alice", ".Junk")), len(files("bob", ".Junk"))), (1, 1), "spam to both users lands in both Junks")
is_(r[2].count("event=spam"), 2, "  (each user's verdict logged)")
setting("spam-wordlist", None)
done()
