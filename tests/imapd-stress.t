#!/usr/bin/env python3
# Randomized stress test of posthorn-imapd under concurrency (issue 11): 5
# sessions on one folder (plus a second folder for COPY and MOVE there and
# back) run a random mix of SELECT, FETCH, STORE, SEARCH, EXPUNGE,
# UID EXPUNGE, APPEND, COPY, MOVE, IDLE, NOOP and CHECK, and a checker
# (tests/lib/imapmix.py) keeps each session's view of the folder as RFC
# 3501 defines it and fails on every reply that contradicts it.  Twice:
# long sessions, and a new login every 5 commands.  Zero errors and zero
# NO replies are required: every command the mix sends is valid for the
# session's view.
#
# The seed is printed; IMAPMIX_SEED=n replays the same mix (the sessions'
# interleaving is the scheduler's), IMAPMIX_LOGDIR=dir keeps every
# session's whole transcript with times, IMAPMIX_COMMANDS=n changes the
# count (3000 per variant, 600 under POSTHORN_SANITIZER).
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, note, done, SANITIZER
from imapd import Instance
import imapmix

SEED = int(os.environ.get("IMAPMIX_SEED") or random.SystemRandom().randrange(1, 10 ** 9))
COMMANDS = int(os.environ.get("IMAPMIX_COMMANDS") or (600 if SANITIZER else 3000))
SESSIONS = 5

# What a user would check, each a group of the checker's error kinds.
CHECKS = [
    ("no EXPUNGE while answering FETCH, STORE or SEARCH (nor their UID forms)",
     ["expunge-in-fetch", "expunge-in-store", "expunge-in-search"]),
    ("no NO [EXPUNGEISSUED] for a message another session expunged", ["expungeissued"]),
    ("no other NO or BAD, no unexpected BYE", ["tagged-no", "untagged-no"]),
    ("sequence numbers, EXISTS and UIDs agree with the session's view",
     ["seq-range", "uid-mismatch", "uid-order", "exists-down", "move-left"]),
    ("UIDs never reused; UIDVALIDITY stable; UIDNEXT above every UID", ["uid-reused", "uidvalidity", "uidnext"]),
    ("a new message is \\Recent in one session (RFC 3501 2.3.2), stable in it",
     ["recent-twice", "recent-changed", "recent-none"]),
    ("a keyword is announced in * FLAGS before a FETCH shows it", ["keyword", "bad-flag"]),
    ("BODY[] and RFC822.SIZE are exactly what was APPENDed", ["body", "size"]),
    ("an expunge is seen at the very next command of every other session", ["stale-view"]),
    ("one update: EXPUNGEs first and in descending order", ["expunge-order"]),
    ("no lost connection, timeout or unparsable reply", ["io", "driver", "parse"]),
]
KNOWN = {k for _, ks in CHECKS for k in ks}

note("seed %d (replay: IMAPMIX_SEED=%d prove -v tests/imapd-stress.t), %d commands per variant, %d sessions"
     % (SEED, SEED, COMMANDS, SESSIONS))
inst = Instance(users=[("alice", "alice-pw"), ("bob", "bob-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
logroot = os.environ.get("IMAPMIX_LOGDIR")


for name, user, every in (("long sessions", "alice", 0), ("a login per 5 commands", "bob", 5)):
    logdir = None
    if logroot:
        logdir = os.path.join(logroot, user)
        os.makedirs(logdir, exist_ok=True)
    rep = imapmix.run("127.0.0.1", port, user + "@example.org", user + "-pw", sessions=SESSIONS,
                      commands=COMMANDS, seed=SEED, login_every=every, rules=imapmix.RULES_POSTHORN,
                      logdir=logdir)
    note("%s: %s" % (name, rep.summary(examples=0)))
    note("%s: %s" % (name, ", ".join("%s %d" % kv for kv in sorted(rep.verbs.items()))))
    want = SESSIONS * (COMMANDS // SESSIONS)
    ok(rep.done >= want, "%s: %d sessions ran their %d commands" % (name, SESSIONS, want),
       "%d of %d ran\n%s" % (rep.done, want, rep.summary()))
    for title, kinds in CHECKS:
        n = sum(rep.kinds.get(k, 0) for k in kinds)
        ok(n == 0, "%s: %s" % (name, title), rep.summary(1, kinds) if n else None)
    other = {k: v for k, v in rep.kinds.items() if k not in KNOWN}
    ok(not other, "%s: no error of another kind" % name, rep.summary(1, set(other)) if other else None)

ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
