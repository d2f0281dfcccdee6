#!/usr/bin/env python3
# Crash test: posthorn-local killed with SIGKILL at random instants never
# leaves a partial message in new/ or cur/, and every delivery that exited 0
# is there, whole.  (Power loss is the fsync's job; this checks the order of
# write, fsync, link.)
import glob
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, tempdir, SANITIZER

RUNS = 60 if SANITIZER else 150
d = tempdir()
conf = os.path.join(d, "conf")
os.makedirs(conf)
with open(os.path.join(conf, "mailroot"), "w") as f:
    f.write(os.path.join(d, "mail") + "\n")
os.makedirs(os.path.join(d, "mail"))
os.chmod(os.path.join(d, "mail"), 0o755)
if os.geteuid() == 0:
    with open(os.path.join(conf, "mailowner"), "w") as f:
        f.write("nobody\n")
p = subprocess.run([prog("user"), "-C", conf, "add", "crash@example.test", "--no-password"], capture_output=True, text=True)
is_(p.returncode, 0, "user added")
maildir = os.path.join(d, "mail", "example.test", "crash")

random.seed(int(os.environ.get("CRASH_SEED", str(os.getpid()))))
delivered = []
killed = 0
for i in range(RUNS):
    marker = "MARKER-%05d" % i
    # Big enough (256 KiB) that a kill often lands mid-write.
    body = "Subject: %s\n\n" % marker + ("%s %s\n" % (marker, "x" * 50)) * 4000 + "END-%s\n" % marker
    path = os.path.join(d, "msg")
    with open(path, "w") as f:
        f.write(body)
    with open(path, "rb") as m:
        child = subprocess.Popen([prog("local"), "-C", conf, "s@example.net", "crash@example.test"],
                                 stdin=m, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0, 0.02))
        try:
            child.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.communicate()
    if child.returncode == 0:
        delivered.append(marker)
    elif child.returncode == -signal.SIGKILL:
        killed += 1
note("%d runs: %d killed, %d completed" % (RUNS, killed, len(delivered)))
ok(killed > 0, "some deliveries were killed mid-way")

files = glob.glob(os.path.join(maildir, "new", "*")) + glob.glob(os.path.join(maildir, "cur", "*"))
partial = []
found = set()
for f in files:
    text = open(f).read()
    subj = [l for l in text.splitlines() if l.startswith("Subject: ")]
    m = subj[0][9:] if subj else "?"
    if not text.endswith("END-%s\n" % m) or text.count(m) != 4002:
        partial.append(os.path.basename(f))
    found.add(m)
is_(partial, [], "no partial message in new/ or cur/")
missing = [m for m in delivered if m not in found]
is_(missing, [], "every delivery that exited 0 is in new/")
p = subprocess.run([prog("local"), "-C", conf, "s@example.net", "crash@example.test"],
                   stdin=open(path, "rb"), capture_output=True, text=True)
is_(p.returncode, 0, "the Maildir still takes deliveries after the crashes")
done()
