#!/usr/bin/env python3
# posthorn-imapd's learning jobs (posthorn-imapd(8), LEARNING), with
# imaplib and mbsync against a real server under tcpserver: a move or copy
# into the junk folder, an APPEND into it, or a junk keyword set by STORE
# links the message into MAILDIR/learn/new/ as SEC.PID_N.spam; out of the
# junk folder (not into Trash), or a not-junk keyword, as .ham; nothing
# when spam-learn is 0 or there is no classifier to teach.
# The job files are the contract with posthorn-learn: while they are
# checked, this test holds learn/lock, so a posthorn-learn that imapd
# starts exits at once and leaves them.  The end-to-end part (posthorn-learn
# teaches bogofilter; moving back reverses it) runs when bin/posthorn-learn
# exists.
import fcntl
import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mbsync import Mbsync
from tap import ok, is_, note, done, skip, prog
from imapd import Instance, Raw
from pop3d import ROOT, NOBODY, drop_to_nobody

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
tls_port = inst.start(["-T"])
md = inst.maildir("alice")
learn = os.path.join(md, "learn")
new = os.path.join(learn, "new")

# learn/ as imapd would make it (0700, the mail owner's), and its lock held
os.makedirs(new, 0o700)
os.chmod(learn, 0o700)
lockf = open(os.path.join(learn, "lock"), "w")
for p in (learn, new, lockf.name):
    inst.own(p)
fcntl.flock(lockf, fcntl.LOCK_EX)

for i in range(12):
    inst.deliver("alice", "From: s%d@example.net\nSubject: message %d\nMessage-ID: <m%d@example.org>\n\n"
                 "body of message %d\n" % (i, i, i, i))


def jobs():
    """{name: kind} of the jobs waiting."""
    return {n: n.rsplit(".", 1)[1] for n in os.listdir(new)} if os.path.isdir(new) else {}


def clear():
    for n in os.listdir(new):
        os.unlink(os.path.join(new, n))


def kinds():
    return sorted(jobs().values())


def folder_files(folder):
    d = inst.folder_dir("alice", folder)
    return [os.path.join(d, s, n) for s in ("cur", "new") for n in os.listdir(os.path.join(d, s))]


def file_of(folder, subject):
    """The file of folder holding 'Subject: subject'."""
    hits = [p for p in folder_files(folder) if ("Subject: %s\n" % subject).encode() in open(p, "rb").read()]
    return hits[0] if len(hits) == 1 else None


def job_is_link_of(path):
    """The one job waiting is a hard link of path (same file)."""
    j = list(jobs())
    if len(j) != 1 or not path:
        return False
    a, b = os.stat(os.path.join(new, j[0])), os.stat(path)
    return a.st_ino == b.st_ino and a.st_dev == b.st_dev


def uid_of(m, subject):
    typ, dat = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
    return dat[0].split()[-1].decode()


m = inst.login(port)
ok(m.select("INBOX")[0] == "OK", "SELECT INBOX")

# ---- MOVE into Junk: spam, a link of the message ----
uid = uid_of(m, "message 0")
typ, dat = m.uid("MOVE", uid, "Junk")
ok(typ == "OK", "UID MOVE message 0 to Junk", dat)
is_(kinds(), ["spam"], "one .spam job")
j = list(jobs())
ok(j and re.fullmatch(r"\d+\.\d+_\d+\.spam", j[0]), "its name is SEC.PID_N.spam", j)
ok(job_is_link_of(file_of("Junk", "message 0")), "the job is a hard link of the message in Junk")
ok(j and b"body of message 0" in open(os.path.join(new, j[0]), "rb").read(), "with the message's text")
st = os.stat(learn)
ok(st.st_mode & 0o777 == 0o700, "learn/ is mode 0700")
ok(not os.path.isdir(os.path.join(md, ".learn")) and b"learn" not in b"".join(m.list()[1]),
   "learn/ is no folder a client sees", m.list()[1])
clear()

# sequence-number MOVE too
typ, dat = m._simple_command("MOVE", "1", "Junk")
ok(typ == "OK", "MOVE 1 (message 1) to Junk")
is_(kinds(), ["spam"], "MOVE by sequence number: a .spam job")
ok(job_is_link_of(file_of("Junk", "message 1")), "of message 1")
clear()

# ---- COPY into Junk: spam; COPY out of Junk: ham ----
typ, dat = m.uid("COPY", uid_of(m, "message 2"), "Junk")
ok(typ == "OK", "UID COPY message 2 to Junk")
is_(kinds(), ["spam"], "COPY into Junk: a .spam job")
clear()
ok(m.select("Junk")[0] == "OK", "SELECT Junk")
typ, dat = m.copy("1", "INBOX")
ok(typ == "OK", "COPY message 0 out of Junk to INBOX", dat)
is_(kinds(), ["ham"], "COPY out of Junk: a .ham job")
ok(job_is_link_of(file_of("Junk", "message 0")), "a link of the message in Junk")
clear()

# ---- MOVE out of Junk: ham, but not into Trash ----
typ, dat = m.uid("MOVE", uid_of(m, "message 1"), "Trash")
ok(typ == "OK", "UID MOVE message 1 from Junk to Trash")
is_(kinds(), [], "MOVE to Trash: no job")
ok(m.create("Work")[0] == "OK", "CREATE Work")
typ, dat = m.uid("MOVE", uid_of(m, "message 2"), "Work")
ok(typ == "OK", "UID MOVE message 2 from Junk to Work")
is_(kinds(), ["ham"], "MOVE out of Junk to another folder: a .ham job")
ok(job_is_link_of(file_of("Work", "message 2")), "a link of the message now in Work")
clear()
# Junk to Junk is no lesson
typ, dat = m.copy("1", "Junk")
ok(typ == "OK" and kinds() == [], "COPY from Junk to Junk: no job", (typ, kinds()))
ok(m.select("INBOX")[0] == "OK", "SELECT INBOX again")
typ, dat = m.copy("1:2", "Work")
ok(typ == "OK" and kinds() == [], "COPY from INBOX to Work: no job", kinds())
typ, dat = m.uid("MOVE", uid_of(m, "message 3"), "Trash")
ok(typ == "OK" and kinds() == [], "MOVE from INBOX to Trash: no job", kinds())

# ---- STORE: junk keywords newly set ----
u4, u5, u6, u7 = (uid_of(m, "message %d" % i) for i in (4, 5, 6, 7))
typ, dat = m.uid("STORE", u4, "+FLAGS", "($Junk)")
ok(typ == "OK", "UID STORE +FLAGS ($Junk)", dat)
is_(kinds(), ["spam"], "$Junk: a .spam job")
ok(job_is_link_of(file_of("INBOX", "message 4")), "a link of the message (after its rename)")
clear()
typ, dat = m.uid("STORE", u4, "+FLAGS", "($Junk \\Seen)")
ok(typ == "OK" and kinds() == [], "$Junk again (already set): no job", kinds())
typ, dat = m.uid("STORE", u4, "-FLAGS", "($Junk)")
ok(typ == "OK" and kinds() == [], "-FLAGS ($Junk): no job", kinds())
typ, dat = m.uid("STORE", u5, "+FLAGS.SILENT", "(Junk)")
is_(kinds(), ["spam"], "Junk (Thunderbird's older keyword): a .spam job")
clear()
typ, dat = m.uid("STORE", u6, "+FLAGS", "($NotJunk)")
is_(kinds(), ["ham"], "$NotJunk: a .ham job")
clear()
typ, dat = m.uid("STORE", u7, "+FLAGS", "(NonJunk)")
is_(kinds(), ["ham"], "NonJunk: a .ham job")
clear()
typ, dat = m.uid("STORE", u4, "FLAGS", "(\\Seen $junk)")
is_(kinds(), ["spam"], "FLAGS replacement setting $Junk (any case): a .spam job")
clear()
typ, dat = m.uid("STORE", u5, "FLAGS", "(\\Flagged)")
ok(typ == "OK" and kinds() == [], "FLAGS replacement without a junk keyword: no job", kinds())
typ, dat = m.store("1:*", "+FLAGS", "(Work)")
ok(typ == "OK" and kinds() == [], "another keyword on every message: no job", kinds())
typ, dat = m.uid("STORE", u5, "+FLAGS", "($Junk $NotJunk)")
ok(typ == "OK" and kinds() == [], "$Junk and $NotJunk at once: no job", kinds())
typ, dat = m.store("1:*", "+FLAGS", "($Junk)")
n_inbox = len(folder_files("INBOX"))
is_(kinds(), ["spam"] * (n_inbox - 2), "$Junk on every message: a job for each that lacked it")
clear()

# ---- APPEND into Junk: spam ----
typ, dat = m.append("Junk", None, None, b"Subject: appended\r\n\r\nappended body\r\n")
ok(typ == "OK", "APPEND to Junk")
is_(kinds(), ["spam"], "APPEND into Junk: a .spam job")
ok(job_is_link_of(file_of("Junk", "appended")), "a link of the appended message")
clear()
typ, dat = m.append("INBOX", None, None, b"Subject: appended 2\r\n\r\nbody\r\n")
ok(typ == "OK" and kinds() == [], "APPEND into INBOX: no job", kinds())
m.logout()

if not os.path.exists(prog("learn")):
    log = inst.log()
    ok(log.count("op=learn-start") == 1, "without posthorn-learn: its absence logged once in the session",
       log[-1500:])


# ---- settings, read at each session's start ----
def one_move(subject, folder="Junk"):
    s = inst.login(port)
    s.select("INBOX")
    typ, dat = s.uid("MOVE", uid_of(s, subject), folder)
    s.logout()
    r = kinds()
    clear()
    return typ, r


def unset(name):
    try:
        os.unlink(os.path.join(inst.conf, name))
    except FileNotFoundError:
        pass


inst.write("spam-learn", "0")
typ, r = one_move("message 8")
ok(typ == "OK" and r == [], "spam-learn 0: MOVE into Junk writes no job", r)
s = inst.login(port)
s.select("INBOX")
s.uid("STORE", uid_of(s, "message 9"), "+FLAGS", "($NotJunk)")
s.logout()
ok(kinds() == [], "spam-learn 0: STORE $NotJunk writes no job", kinds())
inst.write("spam-learn", "1")
inst.write("spam-classifier", "none")
typ, r = one_move("message 9")
ok(typ == "OK" and r == [], "spam-classifier none, no rspamd-controller: no job", r)
inst.write("rspamd-controller", "127.0.0.1:11334")
typ, r = one_move("message 10")
ok(typ == "OK" and r == ["spam"], "spam-classifier none with rspamd-controller: a job", r)
unset("rspamd-controller")
unset("spam-classifier")
inst.write("spam-learn", "2")
r = Raw(port)
ok(r.greeting.startswith(b"* BYE") and "config-error" in inst.log(),
   "spam-learn 2: the server says it is misconfigured, and logs it", r.greeting)
r.close()
inst.write("spam-learn", "1")
# local-junk-folder names the junk folder, matched ignoring case
ok(inst.login(port).create("Spam")[0] == "OK", "CREATE Spam")
inst.write("local-junk-folder", "spam")
typ, r = one_move("message 11", "Spam")
ok(typ == "OK" and r == ["spam"], "local-junk-folder spam: MOVE into Spam is spam", r)
typ, r = one_move("message 5", "Junk")
ok(typ == "OK" and r == [], "and Junk is an ordinary folder", r)
inst.write("local-junk-folder", "-")
typ, r = one_move("appended 2", "Spam")
ok(typ == "OK" and r == [], "local-junk-folder -: no junk folder", r)
unset("local-junk-folder")

# ---- mbsync: a message moved locally into Junk ----
# mbsync (isync 1.4) does not know moves: it sees a new message in the
# local Junk and one gone from INBOX, and so APPENDs it to the server's
# Junk, then sets \Deleted on the INBOX copy and expunges it.  The APPEND
# into the junk folder is the lesson.
if shutil.which("mbsync") is None:
    skip("mbsync not installed (Debian package isync)", 5)
else:
    mb = Mbsync(tls_port, inst.cert)
    local = mb.local

    def mbsync():
        return mb.run("-Dn")

    code, out = mbsync()
    ok(code == 0, "mbsync: first sync", out[-2000:])
    clear()
    inbox = os.path.join(local, "INBOX")
    victim = [os.path.join(inbox, s, n) for s in ("cur", "new") for n in os.listdir(os.path.join(inbox, s))
              if b"Subject: message 6\n" in open(os.path.join(inbox, s, n), "rb").read()]
    ok(len(victim) == 1, "the local copy of message 6", victim)
    # what a mail client does to move: a new file in Junk, the old one removed
    with open(victim[0], "rb") as f:
        text = f.read()
    with open(os.path.join(local, "Junk", "new", "1800000000.moved.host"), "wb") as f:
        f.write(text)
    os.unlink(victim[0])
    code, out = mbsync()
    cmds = sorted(set(re.findall(r"^>>> \d+ (?:UID )?([A-Z]+)", out, re.M)))
    note("mbsync's commands for a local move: " + " ".join(cmds))
    ok(code == 0 and "APPEND" in cmds, "mbsync carries the move as an APPEND to Junk", out[-2000:])
    is_(kinds(), ["spam"], "and the APPEND into Junk is a .spam job")
    ok(job_is_link_of(file_of("Junk", "message 6")), "a link of the message mbsync stored in Junk")
    clear()
    code, out = mbsync()
    ok(code == 0 and kinds() == [], "mbsync again: nothing to teach", out[-800:])


# ---- end to end: posthorn-learn teaches bogofilter ----
def as_owner():
    drop_to_nobody()


def bogo(args, data):
    p = subprocess.run(["bogofilter", "-d", os.path.join(md, "bogofilter")] + args, input=data,
                       capture_output=True, timeout=60, preexec_fn=as_owner)
    return p.returncode, p.stdout.decode()


def text(words, subject):
    return ("From: someone@example.net\nSubject: %s\n\n%s\n" % (subject, " ".join(words))).encode()


def wait_jobs_gone():
    """Until learn/new/ is empty, at most 30 seconds."""
    for _ in range(600):
        if not jobs():
            return
        time.sleep(0.05)


if not os.path.exists(prog("learn")) or not shutil.which("bogofilter"):
    skip("bin/posthorn-learn or bogofilter missing", 10)
else:
    rng = random.Random(16)
    spamw = "viagra casino lottery winner pills cheap offer prize claim urgent bonus free money".split()
    hamw = "meeting agenda report project schedule review minutes budget team lunch notes draft".split()
    neutral = "the a of and to in for on with this that is it you we".split()
    neww = "zanzibar timeshare yacht sunset villa brochure seminar retreat lagoon coconut".split()
    bd = os.path.join(md, "bogofilter")
    os.makedirs(bd, 0o700, exist_ok=True)   # posthorn-learn makes it when it starts
    inst.own(bd)
    for i in range(30):
        bogo(["-s"], text(rng.sample(spamw, 8) + rng.sample(neutral, 6), "spam %d" % i))
        bogo(["-n"], text(rng.sample(hamw, 8) + rng.sample(neutral, 6), "ham %d" % i))
    for i in range(3):
        inst.deliver("alice", text(rng.sample(neww, 8) + rng.sample(neutral, 6), "lesson %d" % i).decode())
    probe = text(rng.sample(neww, 8) + rng.sample(neutral, 6), "probe")
    code, out = bogo(["-T"], probe)
    ok(not out.startswith("S"), "before the lesson the probe is not spam", out)

    m = inst.login(port)
    m.select("INBOX")
    typ, dat = m.uid("SEARCH", "SUBJECT", "lesson")
    typ, dat = m.uid("MOVE", b",".join(dat[0].split()).decode(), "Junk")
    m.logout()
    is_(kinds(), ["spam"] * 3, "three lessons moved into Junk: three .spam jobs")
    fcntl.flock(lockf, fcntl.LOCK_UN)
    p = subprocess.run([prog("learn"), "-C", inst.conf, "-j", md], capture_output=True, timeout=120,
                       preexec_fn=as_owner)
    # the posthorn-learn imapd started may have got the lock just after
    # it was released; then ours exits at once, and that one does the work
    wait_jobs_gone()
    ok(p.returncode == 0 and kinds() == [], "posthorn-learn -j MAILDIR takes every job",
       (p.returncode, p.stderr[-1000:], kinds()))
    code, out = bogo(["-T"], probe)
    ok(out.startswith("S"), "the probe, like the lessons, now scores as spam", out)

    # moved back, with posthorn-learn started by posthorn-imapd itself
    m = inst.login(port)
    m.select("Junk")
    typ, dat = m.uid("SEARCH", "SUBJECT", "lesson")
    typ, dat = m.uid("MOVE", b",".join(dat[0].split()).decode(), "INBOX")
    m.logout()
    ok(typ == "OK", "the lessons moved back to INBOX")
    wait_jobs_gone()
    is_(kinds(), [], "posthorn-learn, started by posthorn-imapd, took the .ham jobs")
    code, out = bogo(["-T"], probe)
    ok(out.startswith("H"), "the probe scores as ham again: the lesson was reversed", out)
    ok(not [l for l in inst.log().splitlines() if "learn-start" in l], "no failed start logged",
       inst.log()[-1000:])

    # the same lesson by mbsync: messages moved into Junk in the local copy
    if shutil.which("mbsync") is None:
        skip("mbsync not installed (Debian package isync)", 2)
    else:
        neww2 = "glacier kayak fjord aurora husky igloo tundra walrus narwhal sledge".split()
        for i in range(3):
            inst.deliver("alice", text(rng.sample(neww2, 8) + rng.sample(neutral, 6), "north %d" % i).decode())
        probe2 = text(rng.sample(neww2, 8) + rng.sample(neutral, 6), "probe north")
        code, out = bogo(["-T"], probe2)
        ok(not out.startswith("S"), "mbsync: before the lesson the second probe is not spam", out)
        code, out = mbsync()
        moved = 0
        for sub in ("cur", "new"):
            dd = os.path.join(local, "INBOX", sub)
            for n in os.listdir(dd):
                with open(os.path.join(dd, n), "rb") as f:
                    data = f.read()
                if b"Subject: north " in data:
                    with open(os.path.join(local, "Junk", "new", "1800000001.north%d.host" % moved), "wb") as f:
                        f.write(data)
                    os.unlink(os.path.join(dd, n))
                    moved += 1
        code, out = mbsync()
        wait_jobs_gone()
        code2, probe_out = bogo(["-T"], probe2)
        ok(code == 0 and moved == 3 and kinds() == [] and probe_out.startswith("S"),
           "mbsync moves three messages into Junk: posthorn-learn, started by posthorn-imapd, makes the probe spam",
           (code, moved, kinds(), probe_out, out[-800:]))

fcntl.flock(lockf, fcntl.LOCK_UN)
lockf.close()
ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
