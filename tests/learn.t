#!/usr/bin/env python3
# posthorn-learn -j, the job runner: jobs (hard links of message files in
# MAILDIR/learn/new/, named *.spam / *.ham, as posthorn-imapd makes them)
# are registered with bogofilter and removed; the scores of a probe message
# move; ham after spam for the same message undoes the spam registration,
# and the same class twice counts once; a held lock makes a second runner
# exit at once, leaving the jobs to the holder.  Real bogofilter.
import fcntl
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

U = MailUsers(("alice",))
d, conf, mail = U.d, U.conf, U.mail

md = os.path.join(mail, "alice")
learn = os.path.join(md, "learn")
new = os.path.join(learn, "new")
wl = os.path.join(md, "bogofilter")


own = U.own


os.makedirs(new)
for p_ in (learn, new):
    os.chmod(p_, 0o700)
    own(p_)

seq = [0]


def store(text, folder=""):
    """A message file in the Maildir, as delivered."""
    seq[0] += 1
    path = os.path.join(md, folder, "cur", "%d.M%dP1.test:2,S" % (1700000000 + seq[0], seq[0]))
    with open(path, "w") as f:
        f.write(text)
    own(path)
    return path


def job(path, kind):
    """A job as posthorn-imapd makes it: a hard link into learn/new/."""
    seq[0] += 1
    os.link(path, os.path.join(new, "%d.%d_%d.%s" % (1700000000 + seq[0], 4242, seq[0], kind)))


def run_jobs():
    return subprocess.run([prog("learn"), "-C", conf, "-j", md], capture_output=True, text=True, timeout=120)


def counts(token=".MSG_COUNT"):
    out = subprocess.run(["bogoutil", "-d", os.path.join(wl, "wordlist.db")], capture_output=True,
                         text=True).stdout
    for l in out.splitlines():
        f = l.split()
        if f and f[0] == token:
            return (int(f[1]), int(f[2]))
    return (0, 0)


def score(text):
    p = subprocess.run([BOGOFILTER, "-T", "-d", wl], input=text, capture_output=True, text=True)
    return float(p.stdout.split()[1])


p = subprocess.run([prog("learn")], capture_output=True, text=True)
is_(p.returncode, 64, "no arguments: usage, exit 64")

# ---- the corpus, as jobs ----
for n in range(20):
    job(store(corpus.message("spam", n), ".Junk"), "spam")
    job(store(corpus.message("ham", n)), "ham")
with open(os.path.join(new, "stray-file"), "w") as f:
    f.write("not a job\n")
own(os.path.join(new, "stray-file"))
is_(len(os.listdir(new)), 41, "41 entries in learn/new")
p = run_jobs()
if not is_(p.returncode, 0, "posthorn-learn -j runs them"):
    note(p.stderr)
is_(os.listdir(new), [], "every job is removed, the stray file too")
ok("not a job" in p.stderr, "the stray file is logged as no job", p.stderr)
is_(counts(), (20, 20), "bogofilter counts 20 spam, 20 ham")
if ROOT:
    is_(os.stat(os.path.join(wl, "wordlist.db")).st_uid, NOBODY.pw_uid, "the word list belongs to the mail owner")
ok(len(glob.glob(os.path.join(md, ".Junk", "cur", "*"))) == 20, "the messages themselves are untouched")

# ---- scores move ----
ham_probe = corpus.message("ham", 500)
spam_probe = corpus.message("spam", 500)
ok(score(spam_probe) > 0.9 and score(ham_probe) < 0.1, "a spam probe scores high, a ham probe low",
   (score(spam_probe), score(ham_probe)))

# A new kind of mail, from a vocabulary never seen: its score moves with jobs.
NEWWORDS = "quokka marzipan zeppelin tungsten"
odd = "From: x@y.example\nSubject: %s\n\n%s\n" % (NEWWORDS, (NEWWORDS + " ") * 5)
before = score(odd)
files = [store(odd.replace("Subject: ", "Subject: %d " % i)) for i in range(5)]
for f in files:
    job(f, "spam")
run_jobs()
after = score(odd)
ok(after > before and after > 0.9, "after 5 spam jobs of its kind the probe scores as spam", (before, after))

# ---- undo: the same messages moved out of Junk again ----
spam_n = counts()[0]
for f in files:
    job(f, "ham")
p = run_jobs()
is_(counts(), (spam_n - 5, 25), "ham after spam moves the 5 messages from the spam count to ham")
ok(counts("quokka")[0] == 0 and counts("quokka")[1] > 0, "the words' spam counts are undone",
   counts("quokka"))
ok("spam-to-ham" in p.stderr, "logged as spam-to-ham", p.stderr)
ok(score(odd) < 0.5, "the probe no longer scores as spam", score(odd))

# ---- the same class twice counts once ----
for f in files:
    job(f, "ham")
run_jobs()
is_(counts(), (spam_n - 5, 25), "learning the same messages as ham again changes nothing")

# ---- the lock ----
job(files[0], "spam")
lockfd = os.open(os.path.join(learn, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lockfd, fcntl.LOCK_EX)
p = run_jobs()
is_(p.returncode, 0, "a second runner exits 0 while the lock is held")
is_(len(os.listdir(new)), 1, "and leaves the job to the holder")
os.close(lockfd)
p = run_jobs()
is_(os.listdir(new), [], "with the lock free the job is run")
is_(counts(), (spam_n - 4, 24), "and undoes that message's ham")

# ---- the record stays bounded and readable when damaged ----
rec = os.path.join(wl, "posthorn-learned")
lines = open(rec).read().splitlines()
ok(lines and all(len(l) == 66 and l[0] in "SH" for l in lines), "the record holds one line per message", lines[:3])
with open(rec, "a") as f:
    f.write("garbage line\nS zz\n" + "x" * 5000 + "\n")
job(files[1], "spam")
p = run_jobs()
is_(p.returncode, 0, "a damaged record is read all the same")
is_(counts(), (spam_n - 3, 23), "its good lines still undo")
ok(all(len(l) == 66 for l in open(rec).read().splitlines()), "the bad lines are dropped when it is written")

# ---- a missing classifier loses the lesson, never the job runner ----
with open(os.path.join(conf, "bogofilter"), "w") as f:
    f.write("/nonexistent/bogofilter\n")
job(files[2], "spam")
p = run_jobs()
is_((p.returncode, os.listdir(new)), (0, []), "with the classifier missing the job is logged and dropped")
ok("result=error" in p.stderr, "the failure is logged", p.stderr)
os.unlink(os.path.join(conf, "bogofilter"))
done()
