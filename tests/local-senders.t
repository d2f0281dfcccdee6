#!/usr/bin/env python3
# posthorn-local and the sender lists (posthorn-senders(5)): a blocked
# sender's mail goes into the Junk folder, an allowed sender's into the
# INBOX even when the classifier (bogofilter, trained here on a small
# corpus) calls it spam; the user's list before the domain's; the From
# address counts as well as the envelope sender; a broken list is logged
# and ignored; the owner's posthorn-rules win.  Real binaries, lists
# written by posthorn-user, Maildirs on disk.
#
# Needs posthorn-local to consult the lists (lib/senderlist); skipped
# until it does.
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, skip
from mailusers import MailUsers, ROOT, NOBODY

USERS = ("alice", "bob", "carol")
U = MailUsers(USERS)
U.set("spam-classifier", "none")
d, conf, mail, md, own = U.d, U.conf, U.mail, U.md, U.own


def pu(*args):
    p = subprocess.run([prog("user"), "-C", conf] + list(args), capture_output=True, text=True)
    return p.returncode


def message(sender_from, subject="hello", body="See you at lunch tomorrow.\n"):
    path = os.path.join(d, "msg")
    with open(path, "w") as f:
        f.write("From: %s\nTo: someone@example.org\nSubject: %s\n\n%s" % (sender_from, subject, body))
    return path


def deliver(rcpt, sender, msgpath):
    e = dict(os.environ)
    for k in ("POSTHORN_QUEUE", "QMAILQUEUE"):
        e.pop(k, None)
    with open(msgpath, "rb") as m:
        p = subprocess.run([prog("local"), "-C", conf, sender, rcpt], stdin=m,
                           capture_output=True, timeout=60, env=e)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def where(user):
    """'INBOX', 'Junk', or what else is there; the files are removed."""
    inbox = glob.glob(os.path.join(md(user), "new", "*"))
    junk = glob.glob(os.path.join(md(user), ".Junk", "new", "*"))
    for f in inbox + junk:
        os.unlink(f)
    if len(inbox) == 1 and not junk:
        return "INBOX"
    if len(junk) == 1 and not inbox:
        return "Junk"
    return "INBOX %d, Junk %d" % (len(inbox), len(junk))


def case(user, sender, frm, want, name):
    r = deliver(user + "@example.org", sender, message(frm))
    if not ok(r[0] == 0 and r[1].startswith("2.0.0 "), name + ": delivered", "%r" % (r,)):
        return r
    is_(where(user), want, name)
    return r


# ---- without lists: the INBOX ----
case("alice", "s@bulk.example", "news@bulk.example", "INBOX", "no lists: INBOX")

# ---- block and allow ----
is_(pu("block", "alice@example.org", ".bulk.example"), 0, "alice blocks .bulk.example")
case("alice", "s@bulk.example", "news@bulk.example", "Junk", "a blocked envelope sender: Junk")
case("alice", "s@mail.bulk.example", "x@other.example", "Junk", "  a subdomain of it: Junk")
case("alice", "s@other.example", "news@bulk.example", "Junk", "a blocked From address alone: Junk")
case("alice", "", "news@bulk.example", "Junk", "  with the null sender too")
case("bob", "s@bulk.example", "news@bulk.example", "INBOX", "bob's mail is not alice's list")

is_(pu("allow", "alice@example.org", "friend@bulk.example"), 0, "alice allows friend@bulk.example")
case("alice", "bounce@bulk.example", "Friend <Friend@Bulk.Example>", "INBOX",
     "an allowed From address beats the blocked domain")

# ---- the domain's list, and the user's before it ----
is_(pu("block", "@example.org", "pest.example"), 0, "example.org blocks pest.example")
case("bob", "a@pest.example", "a@pest.example", "Junk", "the domain's list applies to bob")
is_(pu("allow", "carol@example.org", "pest.example"), 0, "carol allows pest.example")
case("carol", "a@pest.example", "a@pest.example", "INBOX", "carol's list comes before the domain's")

# The receiving side's marks: an allow clears a classifier's (rspamd), not
# DMARC's p=quarantine one, which says the allowed From was forged.
is_(pu("allow", "bob@example.org", "boss@partner.example"), 0, "bob allows boss@partner.example")
for kind, want in (("rspamd action=\"add header\" score=9.00", "INBOX"), ("dmarc p=quarantine partner.example", "Junk")):
    path = message("boss@partner.example", "marked")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write("X-Posthorn-Junk: %s\n" % kind + text)
    r = deliver("bob@example.org", "boss@partner.example", path)
    ok(r[0] == 0, "an allowed sender, marked %s: delivered" % kind.split()[0], "%r" % (r,))
    is_(where("bob"), want, "  into the %s" % want)


# ---- a broken list is logged and ignored ----
with open(os.path.join(conf, "senders", "bob@example.org"), "w") as f:
    f.write("block *.example\n")
r = case("bob", "a@pest.example", "a@pest.example", "INBOX", "a broken list: no verdict at all (INBOX)")
ok("event=senderlist" in r[2] and "bob@example.org" in r[2], "  and a log line names the file", r[2])
os.unlink(os.path.join(conf, "senders", "bob@example.org"))

# ---- posthorn-rules win ----
with open(md("alice", "posthorn-rules"), "w") as f:
    f.write("inbox\n")
own(md("alice", "posthorn-rules"))
case("alice", "s@bulk.example", "news@bulk.example", "INBOX", "alice's posthorn-rules win over her block")
os.unlink(md("alice", "posthorn-rules"))

# ---- allow wins over the classifier ----
BOGO = shutil.which("bogofilter")
if not BOGO:
    skip("the allow over the classifier needs bogofilter", 7)
else:
    wl = md("carol", "bogofilter")
    os.makedirs(wl)
    spam = "".join("From: x%d@spam.example\nSubject: cheap pills viagra casino winner\n\n"
                   "cheap pills viagra casino winner prize money offer click now %d\n\n" % (i, i)
                   for i in range(40))
    ham = "".join("From: y%d@work.example\nSubject: meeting notes project\n\n"
                  "the meeting about the project schedule is on thursday, notes attached %d\n\n" % (i, i)
                  for i in range(40))
    for flag, corpus in (("-s", spam), ("-n", ham)):
        p = subprocess.run([BOGO, "-d", wl, flag, "-M"], input=corpus.encode(), capture_output=True)
        ok(p.returncode == 0, "bogofilter learns carol's %s" % ("spam" if flag == "-s" else "ham"), p.stderr)
    own(wl)
    with open(os.path.join(conf, "spam-classifier"), "w") as f:
        f.write("bogofilter\n")
    pills = "cheap pills viagra casino winner prize money offer click now\n"
    r = deliver("carol@example.org", "x@spam.example", message("x@spam.example", "cheap pills", pills))
    ok(r[0] == 0, "spam from an unlisted sender is delivered", "%r" % (r,))
    is_(where("carol"), "Junk", "  the classifier files it into Junk")
    is_(pu("allow", "carol@example.org", "spam.example"), 0, "carol allows spam.example")
    r = deliver("carol@example.org", "x@spam.example", message("x@spam.example", "cheap pills", pills))
    ok(r[0] == 0, "the same spam from the allowed sender is delivered", "%r" % (r,))
    is_(where("carol"), "INBOX", "  into the INBOX: the allow wins over the classifier")

done()
