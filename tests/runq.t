#!/usr/bin/env python3
# posthorn-runq: retries on the schedule, bounces that Python's email package
# reads as RFC 3464 reports, double bounces to the postmaster, no bounce
# loops, expiry, and the daemon (woken by the FIFO, SIGTERM lets deliveries
# finish, SIGHUP rereads the config).
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from instance import Instance, parse, wait_for

MSG = b"From: alice@example.test\nTo: x\nSubject: runq test %d\nMessage-ID: <runq-%d@example.test>\n\nBody %d.\n"


def msg(n):
    return MSG % (n, n, n)


def stop(d):
    """SIGTERM to a daemon; its exit code (killed if it does not end)."""
    d.send_signal(signal.SIGTERM)
    try:
        d.wait(timeout=10)
    except subprocess.TimeoutExpired:
        d.kill()
        d.wait()
    return d.returncode


def fake_local(inst, script):
    """A deliverer in place of posthorn-local (POSTHORN_LOCAL), a shell script.
    It speaks the one-delivery protocol, so the runner hands it one at a time
    (local-batch 1; batches: tests/local-batch.t)."""
    inst.set("local-batch", "1")
    path = os.path.join(inst.dir, "fake-local")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)
    return {"POSTHORN_LOCAL": path}


# ---- temporary failures twice, then success: delivered once, on schedule ----
inst = Instance(settings={"retry-min": "2", "retry-max": "100"})
inst.add_user("alice@example.test")
inst.add_user("bob@example.test")
log = os.path.join(inst.dir, "attempts")
env = fake_local(inst, """
n=$(cat %(log)s.count 2>/dev/null || echo 0); n=$((n+1)); echo $n > %(log)s.count
python3 -c 'import time; print(time.time())' >> %(log)s
if [ $n -le 2 ]; then echo "4.2.0 try again later ($n)"; exit 111; fi
cat > %(dir)s/delivered.$n; echo "2.0.0 delivered by the fake"; exit 0
""" % {"log": log, "dir": inst.dir})
rc, err = inst.inject(msg(1), "alice@example.test", ["bob@example.test"])
is_(rc, 0, "injected a message for the flaky deliverer")
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=dict(os.environ, **env),
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ok(wait_for(lambda: os.path.exists(inst.dir + "/delivered.3"), 20), "delivered on the third attempt")
time.sleep(0.3)
times = [float(x) for x in open(log).read().split()]
is_(len(times), 3, "exactly three attempts")
if len(times) == 3:
    g1, g2 = times[1] - times[0], times[2] - times[1]
    note("gaps between attempts: %.2fs, %.2fs (schedule: 2s, then 4s)" % (g1, g2))
    ok(1.0 <= g1 <= 3.5, "first retry after about retry-min (2s): %.2fs" % g1)
    ok(3.0 <= g2 <= 5.5, "second retry after twice that (4s): %.2fs" % g2)
    ok(g2 > g1, "the backoff grows")
ok(wait_for(lambda: inst.queued() == [], 5), "the entry is gone from the queue")
is_(sorted(f for f in os.listdir(inst.dir) if f.startswith("delivered.")), ["delivered.3"], "delivered exactly once")
with open(inst.dir + "/delivered.3", "rb") as f:
    is_(f.read(), msg(1), "the deliverer got the message byte for byte on fd 0")

# ---- the daemon wakes on the FIFO, not on its timer ----
t0 = time.monotonic()
rc, err = inst.inject(msg(2), "alice@example.test", ["bob@example.test"])
ok(wait_for(lambda: os.path.exists(inst.dir + "/delivered.4"), 5), "a new message is delivered at once by the daemon")
note("injection to delivery through the daemon: %.3fs" % (time.monotonic() - t0))

# ---- SIGHUP rereads the config, SIGTERM waits for running deliveries ----
os.unlink(log + ".count")
fake_local(inst,  # same path the daemon runs: now a slow deliverer
           "sleep 1; cat > %s/slow.$$; echo 2.0.0 slow; exit 0\n" % inst.dir)
d.send_signal(signal.SIGHUP)
time.sleep(0.2)
ok(d.poll() is None, "the daemon survives SIGHUP")
rc, err = inst.inject(msg(3), "alice@example.test", ["bob@example.test"])
time.sleep(0.4)
is_(stop(d), 0, "SIGTERM: the daemon exits 0")
dlog = d.stderr.read().decode()
ok("event=config result=reloaded" in dlog, "SIGHUP was logged as a reload")
ok(any(f.startswith("slow.") for f in os.listdir(inst.dir)), "the delivery running at SIGTERM was finished")
is_(inst.queued(), [], "and recorded: nothing left in the queue")

# ---- permanent failures: an RFC 3464 bounce ----
inst = Instance(settings={"doublebounceto": "postmaster@example.test"})
for u in ("alice", "bob", "postmaster"):
    inst.add_user(u + "@example.test")
rc, err = inst.inject(msg(10), "alice@example.test",
                      ["bob@example.test", "nobody@example.test", "ghost@example.test"])
rc, out, err = inst.runq()
is_(rc, 0, "a pass with two unknown recipients")
is_(len(inst.messages("bob@example.test")), 1, "the known recipient got it")
bounces = inst.messages("alice@example.test")
is_(len(bounces), 1, "the sender got one bounce for both failures")
is_(inst.queued(), [], "the queue is empty afterwards")
if bounces:
    raw = bounces[0]
    b = parse(raw)
    ok(b"\nReturn-Path: <>\n" in b"\n" + raw, "the bounce was sent with the null sender", raw[:300])
    is_(b.get_content_type(), "multipart/report", "Content-Type multipart/report")
    is_(b.get_param("report-type"), "delivery-status", "report-type=delivery-status")
    parts = b.get_payload()
    is_([p.get_content_type() for p in parts], ["text/plain", "message/delivery-status", "text/rfc822-headers"],
        "three parts: human text, delivery-status, original headers")
    is_(b["Auto-Submitted"], "auto-replied", "Auto-Submitted: auto-replied")
    if len(parts) == 3:
        blocks = parts[1].get_payload()
        ok(blocks[0]["Reporting-MTA"] == "dns; mx.example.test", "Reporting-MTA names this host", blocks[0])
        per = {blk["Final-Recipient"]: blk for blk in blocks[1:]}
        is_(sorted(per), ["rfc822; ghost@example.test", "rfc822; nobody@example.test"],
            "one block per failed recipient, none for the delivered one")
        for r in ("nobody", "ghost"):
            blk = per.get("rfc822; %s@example.test" % r)
            if blk is None:
                continue
            is_(blk["Action"], "failed", "%s: Action: failed" % r)
            is_(blk["Status"], "5.1.1", "%s: Status: 5.1.1" % r)
            ok("no such user" in blk["Diagnostic-Code"], "%s: Diagnostic-Code has the reason" % r, blk["Diagnostic-Code"])
        ok("Subject: runq test 10" in parts[2].get_payload(), "the original header is returned")
        ok("Body 10." not in raw.decode(), "the original body is not")

# ---- a bounce that fails goes to the postmaster; a failing double bounce is dropped ----
rc, err = inst.inject(msg(11), "ghost@example.test", ["nobody@example.test"])
rc, out, err = inst.runq()
pm = inst.messages("postmaster@example.test")
is_(len(pm), 1, "the undeliverable bounce went to the postmaster as a double bounce")
if pm:
    ok(b"Undeliverable bounce message" in pm[0] and b"ghost@example.test" in pm[0],
       "the double bounce says which bounce failed")
    ok(b"\nReturn-Path: <>\n" in b"\n" + pm[0], "double bounces have the null sender too")
is_(inst.queued(), [], "nothing left queued")

inst.set("doublebounceto", "gone@example.test")
rc, err = inst.inject(msg(12), "ghost@example.test", ["nobody@example.test"])
rc, out, err = inst.runq()
is_(inst.queued(), [], "with an undeliverable postmaster the double bounce is dropped: the queue empties")
ok("event=discard" in err, "the dropped double bounce is logged", err)
ok(err.count("event=bounce") == 2, "exactly one bounce and one double bounce were sent, no loop", err)

# ---- a SIGHUP reload is all or nothing: with one bad setting the old config stays whole ----
inst.set("doublebounceto", "postmaster@example.test")
inst.add_user("other@example.test")
dlogpath = os.path.join(inst.dir, "daemon.log")
with open(dlogpath, "wb") as lf:
    d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], stdout=subprocess.DEVNULL, stderr=lf)
ok(wait_for(lambda: "mode=daemon" in open(dlogpath).read(), 10), "a daemon runs")
inst.set("doublebounceto", "other@example.test")   # read before the bad one
inst.set("delivery-timeout", "soon")               # no number: the reload fails
d.send_signal(signal.SIGHUP)
ok(wait_for(lambda: "config not reloaded" in open(dlogpath).read(), 10), "the bad setting: config not reloaded")
rc, err = inst.inject(msg(13), "ghost@example.test", ["nobody@example.test"])
ok(wait_for(lambda: len(inst.messages("postmaster@example.test")) == 2, 20),
   "the next double bounce still goes to the old doublebounceto")
is_(len(inst.messages("other@example.test")), 0, "none to the new one of the failed reload")
is_(stop(d), 0, "the daemon exits 0")

# ---- expiry ----
inst = Instance(settings={"retry-min": "1", "retry-max": "1", "queue-lifetime": "2"})
inst.add_user("alice@example.test")
inst.add_user("bob@example.test")
env = fake_local(inst, """
case "$4" in alice@*) exec %s "$@";; esac
echo "4.2.2 mailbox busy"; exit 111
""" % prog("local"))
rc, err = inst.inject(msg(20), "alice@example.test", ["bob@example.test"])
rc, out, err = inst.runq(env=env)
is_(inst.queued() != [], True, "after a first temporary failure the message waits")
time.sleep(3)
rc, out, err = inst.runq("-f", env=env)
bounces = inst.messages("alice@example.test")
is_(len(bounces), 1, "after the lifetime the sender gets a bounce")
if bounces:
    blocks = parse(bounces[0]).get_payload()[1].get_payload()
    is_(blocks[1]["Status"], "4.4.7", "Status 4.4.7 (delivery time expired)")
    ok("mailbox busy" in blocks[1]["Diagnostic-Code"], "the last reason is in the diagnostic", blocks[1]["Diagnostic-Code"])
is_(inst.queued(), [], "the expired message left the queue")

# ---- the FIFO names each new entry; a full FIFO makes the runner list q/ ----
inst = Instance()
inst.add_user("bob@example.test")
env = fake_local(inst, "cat > %s/got.$$; echo 2.0.0 ok; exit 0\n" % inst.dir)


def got():
    return len([f for f in os.listdir(inst.dir) if f.startswith("got.")])


rc, err = inst.inject(msg(20), "alice@example.test", ["bob@example.test"])
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=dict(os.environ, **env),
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ok(wait_for(lambda: inst.queued() == [] and got() == 1, 5), "a daemon starting lists q/: what waited is delivered")
for n in range(3):
    inst.inject(msg(21 + n), "alice@example.test", ["bob@example.test"])
ok(wait_for(lambda: inst.queued() == [] and got() == 4, 5), "entries injected while the daemon runs go at once")
fifo = os.path.join(inst.queue, "trigger")
w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
os.write(w, b"nno-such-entry\n" + b"n" + b"x" * 500 + b"\nn../../etc/passwd\n")
time.sleep(0.3)
ok(d.poll() is None, "ids of no entry, an over-long record and a path in the FIFO: the daemon goes on")
# A stopped runner whose FIFO fills: the injector's record does not fit,
# yet the entry is delivered once the runner drains the full FIFO.
d.send_signal(signal.SIGSTOP)
filled = 0   # with records that by themselves ask for no listing
try:
    while True:
        filled += os.write(w, b"nzzzzzz\n" * 512)
except BlockingIOError:
    pass
try:
    while True:
        filled += os.write(w, b"\n")
except BlockingIOError:
    pass
rc, err = inst.inject(msg(24), "alice@example.test", ["bob@example.test"])
is_(rc, 0, "with the FIFO full (%d bytes), injection still succeeds" % filled)
d.send_signal(signal.SIGCONT)
ok(wait_for(lambda: inst.queued() == [] and got() == 5, 5), "and the runner, draining a full FIFO, lists q/ and delivers it")
os.close(w)
d.terminate()
d.wait(timeout=10)

# ---- a runner killed with SIGKILL takes its deliveries with it ----
inst = Instance(settings={"retry-min": "1"})
inst.add_user("bob@example.test")
env = fake_local(inst, "sleep 2; cat > %s/slow.$$; echo 2.0.0 ok; exit 0\n" % inst.dir)
rc, err = inst.inject(msg(30), "alice@example.test", ["bob@example.test"])
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=dict(os.environ, **env),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fake_locals():
    return [p for p in os.listdir("/proc") if p.isdigit() and
            os.path.exists("/proc/%s/cmdline" % p) and
            (inst.dir + "/fake-local").encode() in open("/proc/%s/cmdline" % p, "rb").read()]


ok(wait_for(lambda: fake_locals(), 5), "the slow delivery runs")
d.kill()
d.wait()
ok(wait_for(lambda: not fake_locals(), 5), "kill -9 of the runner: its delivery is killed too (parent-death signal)")
time.sleep(2.5)
is_([f for f in os.listdir(inst.dir) if f.startswith("slow.")], [], "and it delivered nothing")
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], env=dict(os.environ, **env),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ok(wait_for(lambda: inst.queued() == [], 10), "the next runner delivers it")
is_(len([f for f in os.listdir(inst.dir) if f.startswith("slow.")]), 1, "once: no duplicate")
d.terminate()
d.wait(timeout=10)

# ---- posthorn-remote never runs as root ----
if os.geteuid() == 0:
    import pwd
    inst = Instance(settings={"retry-min": "1"})
    script = os.path.join(inst.dir, "fake-remote")
    drop = os.path.join(inst.dir, "drop")      # where the fake may write, whoever it runs as
    os.makedirs(drop)
    os.chmod(drop, 0o777)
    with open(script, "w") as f:
        f.write("#!/bin/sh\nid -u > %s/remote.uid\nshift 4\nfor r; do echo 'ok 250 fine'; done\n" % drop)
    os.chmod(script, 0o755)
    os.chmod(inst.dir, 0o755)
    renv = {"POSTHORN_REMOTE": script}
    rc, err = inst.inject(msg(31), "alice@example.test", ["someone@far.test"])
    rc, out, err = inst.runq(env=dict(os.environ, **renv))
    uid = open(os.path.join(drop, "remote.uid")).read().strip() if os.path.exists(
        os.path.join(drop, "remote.uid")) else ""
    is_(uid, str(pwd.getpwnam("nobody").pw_uid), "a root runner starts posthorn-remote as remoteuser (nobody)")
    is_(inst.queued(), [], "and records its result")
    os.unlink(os.path.join(inst.conf, "remoteuser"))
    os.unlink(os.path.join(drop, "remote.uid"))
    rc, err = inst.inject(msg(32), "alice@example.test", ["someone@far.test"])
    rc, out, err = inst.runq(env=dict(os.environ, **renv))
    ok(not os.path.exists(os.path.join(drop, "remote.uid")), "without remoteuser it is not run at all")
    rc, out, err = inst.runq("-l")
    ok("set remoteuser" in out, "the recipient waits with the reason (a temporary failure)", out)
else:
    note("not root: the remoteuser checks are skipped")

# ---- one pass hands over to a running daemon ----
d = subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3)
rc, out, err = inst.runq("-f")
is_(rc, 0, "-f while a daemon runs exits 0")
ok("asked it to flush" in out, "and says it asked the daemon", out)
rc, out, err = inst.runq("-d")
is_(rc, 111, "a second daemon refuses to start")
d.terminate()
d.wait(timeout=10)

done()
