#!/usr/bin/env python3
# Batch local delivery (posthorn-local -b, posthorn-runq local-batch):
#  1. posthorn-local -b reports one "K CODE REASON" line per delivery, the
#     same code and reason as posthorn-local run once per delivery.
#  2. A mixed queue (delivered, unknown user, over quota, a rules folder, a
#     forward, a message with several local recipients) ends up the same
#     with local-batch 32 as with local-batch 1: Maildirs, bounces, what is
#     left to retry.  The runner really started one posthorn-local for it.
#  3. kill -9 of posthorn-local in the middle of a batch (a rules pipe that
#     waits), and 4. kill -9 of the runner there, then a restart: every
#     message is delivered, what the runner had recorded as done exactly
#     once, the one in flight at most twice.
import glob
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, ROOT
from instance import Instance, wait_for

SENDER = "sender@example.test"


def msg(n, pad=0):
    return (b"From: sender@example.test\nTo: x\nSubject: batch %d\nMessage-ID: <batch-%d@example.test>\n\n"
            b"Body %d.\n" % (n, n, n)) + b"x" * pad + b"\n"


def wrapper(inst):
    """POSTHORN_LOCAL: a script that logs each start (pid, arguments) and
    execs the real posthorn-local (fds stay as the runner gave them)."""
    path = os.path.join(inst.dir, "local-wrapper")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho \"$$ $*\" >> %s/starts\nexec %s \"$@\"\n" % (inst.dir, prog("local")))
    os.chmod(path, 0o755)
    return dict(os.environ, POSTHORN_LOCAL=path)


def starts(inst):
    try:
        with open(os.path.join(inst.dir, "starts")) as f:
            return [line.split() for line in f]
    except FileNotFoundError:
        return []


def give_to_owner(path):
    """Files a delivery writes as the mail owner (nobody under root)."""
    if not ROOT:
        return
    import pwd
    nb = pwd.getpwnam("nobody")
    for dirpath, dirs, files in os.walk(path):
        os.chown(dirpath, nb.pw_uid, nb.pw_gid)
        for n in files:
            os.chown(os.path.join(dirpath, n), nb.pw_uid, nb.pw_gid)


def rules(inst, user, text):
    md = inst.maildir(user)
    with open(os.path.join(md, "posthorn-rules"), "w") as f:
        f.write(text)
    give_to_owner(md)


def subjects(inst, user, folder=""):
    out = []
    for raw in inst.messages(user, folder):
        m = re.search(rb"\nSubject: batch (\d+)\n", b"\n" + raw)
        out.append(int(m.group(1)) if m else -1)
    return sorted(out)


def bounces(inst):
    """Per bounce in the sender's INBOX: the failed recipients it names."""
    out = []
    for raw in inst.messages(SENDER):
        if b"Final-Recipient" not in raw:
            continue
        out.append(tuple(sorted(re.findall(rb"Final-Recipient: rfc822; *([^\s]+)", raw))))
    return sorted(out)


def queue_state(inst):
    """Per queued entry: its recipients and states, as posthorn-runq -l says
    (times and ids left out)."""
    rc, out, err = inst.runq("-l")
    lines = [re.sub(r"\b[0-9A-Za-z.]*\d{6,}[0-9A-Za-z.]*\b", "#", l) for l in out.splitlines()]
    lines = [re.sub(r"\b\d+ ?(s|m|h|seconds?|minutes?|hours?|tries|try|bytes)\b", "#", l) for l in lines]
    return sorted(lines)


# ---- 1. posthorn-local -b, straight ----
inst = Instance(settings={"retry-min": "1", "retry-max": "2"})
for u in (SENDER, "bob@example.test", "piper@example.test"):
    inst.add_user(u)
inst.user("add", "full@example.test", "--no-password", "--quota", "300")
rules(inst, "piper@example.test", "folder Sent\n")
mpath = os.path.join(inst.dir, "m1")
with open(mpath, "wb") as f:
    f.write(msg(1, 400))
cases = ["bob@example.test", "nosuch@example.test", "full@example.test", "piper@example.test", "bob@example.test"]
single = []
for r in cases:
    with open(mpath, "rb") as m:
        p = subprocess.run([prog("local"), "-C", inst.conf, SENDER, r], stdin=m, capture_output=True, timeout=60)
    single.append((p.returncode, p.stdout.decode().strip()))
fds = [os.open(mpath, os.O_RDONLY) for _ in cases]
args = []
for fd, r in zip(fds, cases):
    args += [str(fd), SENDER, r]
p = subprocess.run([prog("local"), "-C", inst.conf, "-b", "--"] + args, capture_output=True, timeout=60,
                   pass_fds=fds, stdin=subprocess.DEVNULL)
for fd in fds:
    os.close(fd)
is_(p.returncode, 0, "posthorn-local -b exits 0 when it reported every delivery")
lines = p.stdout.decode().splitlines()
got = []
for k, line in enumerate(lines):
    idx, code, reason = line.split(" ", 2)
    got.append((int(idx), int(code), reason))
is_([g[0] for g in got], list(range(len(cases))), "one result line per delivery, in order")
is_([(g[1], g[2]) for g in got], single, "the same codes and reasons as one posthorn-local per delivery")
is_([s[0] for s in single], [0, 100, 111, 0, 0], "(delivered, unknown user, over quota, rules folder, delivered)")
is_(subjects(inst, "bob@example.test"), [1, 1, 1, 1], "bob: two copies from each mode")
is_(subjects(inst, "piper@example.test", "Sent"), [1, 1], "piper's rules folder: one copy from each mode")
is_(subjects(inst, "full@example.test"), [], "nothing for the user over quota")
for bad in (["3"], ["x", "a", "b"], ["1", "a", "b"], ["999", "a", "b"]):
    p = subprocess.run([prog("local"), "-C", inst.conf, "-b", "--"] + bad, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    is_((p.returncode, p.stdout), (64, b""), "-b %s: usage, nothing delivered" % " ".join(bad))
# a config error: each delivery of the batch reports it, as a single run does
inst.set("overquota", "bogus")
with open(mpath, "rb") as m:
    p = subprocess.run([prog("local"), "-C", inst.conf, SENDER, "bob@example.test"], stdin=m, capture_output=True,
                       timeout=60)
want = p.stdout.decode().strip()
fd = os.open(mpath, os.O_RDONLY)
p2 = subprocess.run([prog("local"), "-C", inst.conf, "-b", "--"] + [str(fd), SENDER, "bob@example.test"] * 2,
                    capture_output=True, timeout=60, pass_fds=[fd], stdin=subprocess.DEVNULL)
os.close(fd)
is_((p.returncode, p2.stdout.decode()), (111, "0 111 %s\n1 111 %s\n" % (want, want)),
    "a broken config: every delivery of the batch fails as a single run does")
os.unlink(os.path.join(inst.conf, "overquota"))

# -a: the next delivery starts only on the caller's go (a byte on fd 0); end
# of file ends the batch, the rest undelivered and unreported
before = len(inst.messages("bob@example.test"))
fd = os.open(mpath, os.O_RDONLY)
p = subprocess.Popen([prog("local"), "-C", inst.conf, "-ab", "--"] + [str(fd), SENDER, "bob@example.test"] * 3,
                     pass_fds=[fd], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
os.close(fd)
first = p.stdout.readline()
ok(first.startswith(b"0 0 2.0.0"), "-a: the first delivery is made and reported", first)
is_(len(inst.messages("bob@example.test")) - before, 1, "-a: the second waits for the go")
p.stdin.write(b"\0")
p.stdin.flush()
second = p.stdout.readline()
ok(second.startswith(b"1 0 2.0.0"), "-a: after the go, the second", second)
p.stdin.close()
rest = p.stdout.read()
p.wait(timeout=60)
is_((p.returncode, rest), (111, b""), "-a: end of file ends the batch (111), the third not reported")
is_(len(inst.messages("bob@example.test")) - before, 2, "-a: and not made")
p = subprocess.run([prog("local"), "-C", inst.conf, SENDER], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
is_(p.returncode, 64, "one-delivery mode still wants SENDER RECIPIENT")


# ---- 2. the runner: batch on and off end the same ----
def scenario(batch):
    inst = Instance(settings={"retry-min": "100", "local-batch": str(batch)})
    for u in (SENDER, "bob@example.test", "carol@example.test", "piper@example.test"):
        inst.add_user(u)
    inst.user("add", "full@example.test", "--no-password", "--quota", "300")
    inst.user("alias", "add", "fwd@example.test", "carol@example.test", "Remote@far.test")
    rules(inst, "piper@example.test", "folder Sent\n")
    plan = [["bob@example.test"], ["nosuch@example.test"], ["full@example.test"], ["piper@example.test"],
            ["fwd@example.test"], ["bob@example.test", "carol@example.test", "nosuch2@example.test"],
            ["bob@example.test"]]
    for n, rcpts in enumerate(plan):
        rc, err = inst.inject(msg(n, 400), SENDER, rcpts)
        if rc:
            note("inject: " + err)
    give_to_owner(inst.queue)    # the forward is injected by the mail owner
    env = wrapper(inst)
    p = subprocess.run([prog("runq"), "-C", inst.conf], env=env, capture_output=True, timeout=120)
    if p.returncode:
        note(p.stderr.decode())
    res = {
        "bob": subjects(inst, "bob@example.test"),
        "carol": subjects(inst, "carol@example.test"),
        "piper": (subjects(inst, "piper@example.test"), subjects(inst, "piper@example.test", "Sent")),
        "full": subjects(inst, "full@example.test"),
        "bounces": bounces(inst),
        "queue": queue_state(inst),
    }
    return res, starts(inst)


one, starts1 = scenario(1)
many, starts32 = scenario(32)
note("local-batch 1: %d posthorn-local starts; local-batch 32: %d" % (len(starts1), len(starts32)))
is_(many, one, "a mixed queue ends the same with local-batch 32 as with 1 (Maildirs, bounces, queue)")
is_(one["bob"], [0, 5, 6], "bob got his three messages")
is_(one["carol"], [4, 5], "carol: the forward's local part and the multi-recipient message")
is_(one["piper"], ([], [3]), "piper: into the rules folder")
is_(one["full"], [], "nothing for the user over quota")
is_(one["bounces"], [(b"nosuch2@example.test",), (b"nosuch@example.test",)],
    "one bounce per unknown user (their messages had no other failure)")
ok(any("full@example.test" in l for l in one["queue"]), "over quota: left in the queue for a retry", one["queue"])
ok(any("Remote@far.test" in l or "remote@far.test" in l.lower() for l in one["queue"]),
   "the forward is queued for far.test", one["queue"])
# 9 local deliveries, then the two bounces to the (local) sender, each in a
# pass of its own
is_(len(starts1), 11, "local-batch 1: one posthorn-local per local delivery (9 + 2 bounces)")
is_(len(starts32), 3, "local-batch 32: one posthorn-local for the 9, one per bounce")
if starts32:
    ok("-ab" in starts32[0] and starts32[0].count(SENDER) == 9, "started with -ab and 9 deliveries",
       " ".join(starts32[0]))
    ok(all("-ab" not in st for st in starts32[1:]), "a lone delivery (a bounce) starts a plain posthorn-local",
       starts32[1:])

# ---- 3 and 4: kill -9 in the middle of a batch ----
N = 12
SLOW = 5      # the message whose delivery waits in a rules pipe


def crash_setup():
    inst = Instance(settings={"retry-min": "1", "retry-max": "1", "local-batch": "32"})
    inst.add_user(SENDER)
    inst.add_user("bob@example.test")
    inst.add_user("slow@example.test")
    md = inst.maildir("slow@example.test")
    # bounded wait: 600 * 0.1 s, ended by the file "go" (made by the test)
    rules(inst, "slow@example.test",
          "|touch started; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; cat >/dev/null\n"
          "inbox\n")
    for n in range(N):
        rc, err = inst.inject(msg(n), SENDER, ["slow@example.test" if n == SLOW else "bob@example.test"])
        if rc:
            note("inject: " + err)
    return inst, md


def go(md):
    with open(os.path.join(md, "go"), "w"):
        pass
    give_to_owner(md)


def entries_left(inst):
    """Message numbers of the entries still queued (not recorded as done)."""
    left = set()
    for p in glob.glob(os.path.join(inst.queue, "q", "*.msg")):
        if not os.path.exists(p[:-4] + ".env"):
            continue     # the .env is the commit point: removed, the entry is done
        with open(p, "rb") as f:
            m = re.search(rb"Subject: batch (\d+)\n", f.read())
        if m:
            left.add(int(m.group(1)))
    return left


def account(inst, left_at_kill, what):
    got = subjects(inst, "bob@example.test") + subjects(inst, "slow@example.test")
    counts = {n: got.count(n) for n in range(N)}
    recorded = set(range(N)) - left_at_kill
    note("%s: recorded as done at the kill: %s; copies: %s" % (what, sorted(recorded), counts))
    ok(len(recorded) >= 1 and SLOW not in recorded, "%s: some results were recorded before the kill" % what)
    is_([n for n in range(N) if counts[n] == 0], [], "%s: no message lost" % what)
    is_([n for n in recorded if counts[n] != 1], [], "%s: every delivery recorded as done appears exactly once" % what)
    ok(all(counts[n] <= 2 for n in range(N)) and sum(c - 1 for c in counts.values()) <= 1,
       "%s: at most one delivery (the one in flight) twice" % what, counts)
    is_(inst.queued(), [], "%s: the queue is empty" % what)


# 3. kill -9 of posthorn-local: the runner goes on
inst, md = crash_setup()
env = wrapper(inst)
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=env, stdout=subprocess.DEVNULL,
                     stderr=open(os.path.join(inst.dir, "runq.log"), "ab"))
ok(wait_for(lambda: os.path.exists(os.path.join(md, "started")), 20), "local kill: the slow delivery started")
st = starts(inst)
ok(len(st) == 1 and st[0][1:].count(SENDER) == N, "local kill: one batch of %d" % N, st)
left_at_kill = entries_left(inst)
if st:
    os.kill(int(st[0][0]), signal.SIGKILL)
time.sleep(0.2)
left_at_kill = entries_left(inst)    # after the kill: what the runner had recorded by then
go(md)
ok(wait_for(lambda: inst.queued() == [], 30), "local kill: the runner finishes (retries what got no result)")
d.send_signal(signal.SIGTERM)
try:
    d.wait(timeout=20)
except subprocess.TimeoutExpired:
    d.kill()
    d.wait()
is_(d.returncode, 0, "local kill: the runner exits 0")
account(inst, left_at_kill, "local kill")

# 4. kill -9 of the runner, then a restart
inst, md = crash_setup()
env = wrapper(inst)
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=env, stdout=subprocess.DEVNULL,
                     stderr=open(os.path.join(inst.dir, "runq.log"), "ab"))
ok(wait_for(lambda: os.path.exists(os.path.join(md, "started")), 20), "runner kill: the slow delivery started")
d.kill()
d.wait()
left_at_kill = entries_left(inst)
st = starts(inst)
# the batch dies with its runner (parent death signal): wait until it is gone
ok(st and wait_for(lambda: not os.path.exists("/proc/%s" % st[0][0]), 10), "runner kill: the batch died with it")
go(md)
p = None
for attempt in range(20):
    p = subprocess.run([prog("runq"), "-C", inst.conf], env=env, capture_output=True, timeout=120)
    if not inst.queued():
        break
    time.sleep(0.5)
ok(p is not None and p.returncode == 0, "runner kill: the restarted runner exits 0")
account(inst, left_at_kill, "runner kill")
done()
