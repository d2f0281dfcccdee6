#!/usr/bin/env python3
# Crash safety of the queue: 1,000 messages are injected (4 at a time) while
# some posthorn-queue processes and the posthorn-runq daemon are killed with
# SIGKILL at random instants, and the daemon is restarted each time.  Then a
# flush.  Every message whose injection exited 0 must be in the Maildir,
# whole; a message whose injector was killed is there whole or not at all;
# duplicates (deliveries in flight at a runner kill) are counted and reported.
# A quarter of the messages carry an H item (header text put before the
# message), and must arrive with it.  Then H messages alone, their injectors
# killed at random instants and no runner: every entry in q/ must hold its
# header text and its whole message.
import glob
import os
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, SANITIZER
from instance import Instance, wait_for

N = 300 if SANITIZER else 1000
WORKERS = 4
random.seed(int(os.environ.get("CRASH_SEED", str(int(time.time())))))

inst = Instance(settings={"retry-min": "1", "retry-max": "2"})
inst.add_user("crash@example.test")
PAD = b"".join(b"line %04d of the padding so the message is a few KiB long\n" % i for i in range(80))


def message(n):
    return (b"From: loader@example.test\nTo: crash@example.test\nSubject: crash %d\n"
            b"Message-ID: <crash-%d@example.test>\n\nSTART-%d\n" % (n, n, n)) + PAD + b"END-%d\n" % n


ENVELOPE = b"Floader@example.test\0Tcrash@example.test\0\0"


def head(n):
    return b"X-Crash-Head: %d\n\tfolded\n" % n


def envelope(n):
    return (b"H" + head(n) + b"\0" + ENVELOPE) if n % 4 == 1 else ENVELOPE
results = {}        # n -> "ok" | "killed" | "refused"
lock = threading.Lock()
counter = iter(range(N))
stop = threading.Event()


def inject_one(n):
    r, w = os.pipe()
    p = subprocess.Popen([prog("queue"), "-C", inst.conf], stdin=subprocess.PIPE, stdout=r,
                         stderr=subprocess.DEVNULL)
    os.close(r)
    kill = random.random() < 0.08
    data = message(n)
    try:
        if kill and random.random() < 0.5:
            # Killed while the message is still arriving.
            p.stdin.write(data[:len(data) // 2])
            p.stdin.flush()
            p.kill()
        else:
            p.stdin.write(data)
            p.stdin.close()
            os.write(w, envelope(n))
            if kill:
                # Killed somewhere in the commit (or just after it).
                time.sleep(random.random() * 0.004)
                p.kill()
    except (BrokenPipeError, OSError):
        pass
    os.close(w)
    try:
        p.stdin.close()
    except Exception:
        pass
    p.wait()
    with lock:
        results[n] = "ok" if p.returncode == 0 else ("killed" if p.returncode < 0 else "refused")


def worker():
    while True:
        with lock:
            n = next(counter, None)
        if n is None:
            return
        inject_one(n)


def start_runner():
    return subprocess.Popen([prog("runq"), "-C", inst.conf, "-d"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


runner = [start_runner()]
runner_kills = [0]


def killer():
    # Bounded: stops when the injections are done, at most 500 kills.
    while not stop.is_set() and runner_kills[0] < 500:
        time.sleep(random.uniform(0.02, 0.25))
        runner[0].kill()
        runner[0].wait()
        runner_kills[0] += 1
        runner[0] = start_runner()


t0 = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
k = threading.Thread(target=killer)
k.start()
for t in threads:
    t.start()
for t in threads:
    t.join()
stop.set()
k.join()
runner[0].kill()
runner[0].wait()
runner_kills[0] += 1     # the last one, before the flush, counts too
note("injected %d messages in %.1fs; killed the runner %d times" % (N, time.monotonic() - t0, runner_kills[0]))

accepted = sorted(n for n, r in results.items() if r == "ok")
killed = sorted(n for n, r in results.items() if r == "killed")
is_(sorted(results), list(range(N)), "every injection ran")
is_(sum(1 for r in results.values() if r == "refused"), 0, "no injection that was not killed failed")
note("%d injections exited 0, %d injectors were killed" % (len(accepted), len(killed)))

# Recovery: a flush after the crashes delivers everything (deliverers killed
# with the runner may still be finishing, so wait for the queue to drain).
for attempt in range(20):
    rc, out, err = inst.runq("-f")
    if not inst.queued():
        break
    time.sleep(0.5)
is_(rc, 0, "the flush after the crashes exits 0")
is_(inst.queued(), [], "the queue drains completely")

counts = {}
broken = []
for raw in inst.messages("crash@example.test"):
    m = re.search(rb"\nSTART-(\d+)\n", raw)
    if not m:
        broken.append(raw[:200])
        continue
    n = int(m.group(1))
    if not raw.endswith((head(n) if n % 4 == 1 else b"") + message(n)):
        broken.append(raw[:200])
        continue
    counts[n] = counts.get(n, 0) + 1
is_(broken, [], "every delivered message is whole (with its header text when it came with H)")
lost = [n for n in accepted if n not in counts]
is_(lost, [], "no message whose injection exited 0 is lost")
dups = sum(c - 1 for c in counts.values() if c > 1)
killed_delivered = sum(1 for n in killed if n in counts)
note("duplicates: %d (deliveries in flight when the runner was killed %d times)" % (dups, runner_kills[0]))
note("killed injections that were delivered anyway (killed after the commit): %d of %d" % (killed_delivered, len(killed)))
ok(dups <= runner_kills[0] * 10,
   "duplicates stay within the in-flight window (at most concurrency-local = 10 per runner kill): %d" % dups)
ok(set(counts) <= set(range(N)), "nothing delivered that was never injected")
tmp = glob.glob(os.path.join(inst.queue, "tmp", "*"))
note("temp files left by killed injectors (removed after a day): %d" % len(tmp))

# ---- H messages killed at random points of their commit, no runner ----
M = 100 if SANITIZER else 300
hinst = Instance()
BIGPAD = PAD * 40    # ~190 KiB: the copy behind the header text takes a while
hres = {}


def hmessage(n):
    return message(n) + BIGPAD


def inject_h(n):
    r, w = os.pipe()
    p = subprocess.Popen([prog("queue"), "-C", hinst.conf], stdin=subprocess.PIPE, stdout=r,
                         stderr=subprocess.DEVNULL)
    os.close(r)
    try:
        p.stdin.write(hmessage(n))
        p.stdin.close()
        os.write(w, b"H" + head(n) + b"\0" + ENVELOPE)
        # anywhere from reading the envelope to after the commit
        time.sleep(random.random() * 0.012)
        p.kill()
    except (BrokenPipeError, OSError):
        pass
    os.close(w)
    p.wait()
    hres[n] = "ok" if p.returncode == 0 else "killed"


hthreads = []
hcounter = iter(range(M))


def hworker():
    while True:
        with lock:
            n = next(hcounter, None)
        if n is None:
            return
        inject_h(n)


hthreads = [threading.Thread(target=hworker) for _ in range(WORKERS)]
for t in hthreads:
    t.start()
for t in hthreads:
    t.join()
qdir = os.path.join(hinst.queue, "q")
entries = sorted(f[:-4] for f in os.listdir(qdir) if f.endswith(".env"))
msgs = sorted(f[:-4] for f in os.listdir(qdir) if f.endswith(".msg"))
bad = []
seen = set()
for name in msgs:
    with open(os.path.join(qdir, name + ".msg"), "rb") as f:
        raw = f.read()
    m = re.match(rb"X-Crash-Head: (\d+)\n\tfolded\n", raw)
    if not m or raw != head(int(m.group(1))) + hmessage(int(m.group(1))):
        bad.append((name, raw[:80]))
    elif name in entries:
        seen.add(int(m.group(1)))
note("H: %d injections, %d killed before exit 0; %d committed entries, %d orphan .msg in q/, %d temp files"
     % (M, sum(1 for r in hres.values() if r == "killed"), len(entries), len(msgs) - len(entries),
        len(os.listdir(os.path.join(hinst.queue, "tmp")))))
is_(bad, [], "H: no message in q/ lacks its header text or any of its bytes")
ok(all(e in msgs for e in entries), "H: every committed .env has its .msg")
is_(sorted(n for n, r in hres.items() if r == "ok" and n not in seen), [],
    "H: every injection that exited 0 is committed")

done()
