#!/usr/bin/env python3
# posthorn-learn teaches rspamd: with rspamd-controller set, each job (and
# each message of a bulk run) goes to the controller's /learnspam or
# /learnham; a message moved back out of Junk is relearned as ham (rspamd
# moves it from one class to the other); a controller that is down is
# logged and the job does not stop the others.  Real rspamd with its Bayes
# classifier on the test's own redis-server, both on loopback.
import json
import os
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
import corpus
import scanners
from mailusers import MailUsers

if not os.access(scanners.RSPAMD, os.X_OK) or not os.access(scanners.REDIS, os.X_OK):
    print("1..0 # SKIP rspamd or redis-server is not installed")
    sys.exit(0)

U = MailUsers(("alice",))
d, conf, mail, setting = U.d, U.conf, U.mail, U.set

rs = scanners.Rspamd(d, learn=True)
if not ok(rs.start(), "rspamd (normal and controller workers) and redis-server are up"):
    note(open(os.path.join(rs.d, "stderr"), errors="replace").read()[-2000:])
    done()
    sys.exit(0)
setting("spam-classifier", "none")      # rspamd alone: no bogofilter
setting("rspamd-controller", rs.controller)
setting("scan-timeout", "20")

md = os.path.join(mail, "alice")
new = os.path.join(md, "learn", "new")
for sub in ("learn", "learn/new"):
    os.makedirs(os.path.join(md, sub), exist_ok=True)
U.own(md)
seq = [0]


def store(text, folder=""):
    seq[0] += 1
    path = os.path.join(md, folder, "cur", "%d.M%dP1.test:2,S" % (1700000000 + seq[0], seq[0]))
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, folder, sub), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    U.own(path)
    return path


def job(path, kind):
    seq[0] += 1
    os.link(path, os.path.join(new, "%d.%d_%d.%s" % (1700000000 + seq[0], 4242, seq[0], kind)))


def run_jobs():
    return subprocess.run([prog("learn"), "-C", conf, "-j", md], capture_output=True, text=True, timeout=300)


def revisions():
    """rspamd's learned counts per class, from its redis (the controller's
    /stat gives them only after its next periodic sync)."""
    out = {}
    for sym, key in (("BAYES_SPAM", "learns_spam"), ("BAYES_HAM", "learns_ham")):
        r = subprocess.run(["redis-cli", "-p", str(rs.rport), "HGET", "RS", key], capture_output=True, text=True)
        out[sym] = int(r.stdout.strip() or 0)
    return out


def long_message(kind, n):
    # rspamd's Bayes wants enough tokens (min_tokens): three corpus bodies
    return corpus.message(kind, n, words=120)


before = revisions()
note("rspamd statfiles before: %r" % before)
spam = [store(long_message("spam", n), ".Junk") for n in range(4)]
ham = [store(long_message("ham", n)) for n in range(3)]
for pth in spam:
    job(pth, "spam")
for pth in ham:
    job(pth, "ham")
p = run_jobs()
ok(p.returncode == 0, "posthorn-learn -j runs the jobs", p.stderr[-2000:])
is_(os.listdir(new), [], "every job is removed")
ok(not os.path.exists(os.path.join(md, "bogofilter")), "no bogofilter word list dir made: spam-classifier is none")
ok(p.stderr.count("learner=rspamd result=ok") == 7, "seven lessons taken by rspamd's controller", p.stderr[-3000:])
after = revisions()
ok((after.get("BAYES_SPAM", 0) - before.get("BAYES_SPAM", 0), after.get("BAYES_HAM", 0) - before.get("BAYES_HAM", 0))
   == (4, 3), "rspamd counts 4 spam and 3 ham learned", after)

# one spam moved back out of Junk: relearned as ham
job(spam[0], "ham")
p = run_jobs()
ok(p.returncode == 0, "the ham job runs", p.stderr[-2000:])
again = revisions()
ok((again.get("BAYES_SPAM", 0), again.get("BAYES_HAM", 0))
   == (after.get("BAYES_SPAM", 0) - 1, after.get("BAYES_HAM", 0) + 1), "moved back: rspamd moves it from spam to ham",
   again)

# bulk learning (POP3 users) goes to rspamd too
for n in range(4, 6):
    store(long_message("spam", n), ".Spam")
p = subprocess.run([prog("learn"), "-C", conf, "-u", "alice@example.org", "-s", "Spam"], capture_output=True,
                   text=True, timeout=300)
ok(p.returncode == 0, "posthorn-learn -u -s Spam", p.stderr[-2000:])
bulk = revisions()
ok(bulk.get("BAYES_SPAM", 0) - again.get("BAYES_SPAM", 0) == 2, "bulk: two more spam learned by rspamd", bulk)

# the controller down: logged, the job does not hang or stay
rs.stop()
job(store(long_message("spam", 9), ".Junk"), "spam")
p = run_jobs()
ok("learner=rspamd result=error" in p.stderr, "rspamd down: the failed lesson is logged", p.stderr[-2000:])
is_(os.listdir(new), [], "and the job is not left behind")
done()
