#!/usr/bin/env python3
# posthorn-local end to end: real binaries, a users.cdb made by
# posthorn-user import, Maildirs on disk.  Aliases, loops, unknown users and
# domains, config trouble, quota, posthorn-rules with pipes and folders,
# plus-addressing, catch-all, forwards through a fake injector and through
# the real posthorn-queue (into the queue of the -C config dir), and 1,000
# concurrent deliveries.
import glob
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, tempdir, SANITIZER

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if ROOT else None
d = tempdir()
conf = os.path.join(d, "conf")
mail = os.path.join(d, "mail")
out = os.path.join(d, "out")          # where pipes and the fake injector write
os.makedirs(conf)
os.makedirs(out)
os.chmod(out, 0o777)
if ROOT:
    with open(os.path.join(conf, "mailowner"), "w") as f:
        f.write("nobody\n")


def md(user):
    return os.path.join(mail, user)


def own(path):
    """Give path (recursively) to the mail owner when running as root."""
    if not ROOT:
        return
    for dirpath, dirs, files in os.walk(path):
        os.chown(dirpath, NOBODY.pw_uid, NOBODY.pw_gid)
        for n in files:
            os.chown(os.path.join(dirpath, n), NOBODY.pw_uid, NOBODY.pw_gid)
    if os.path.isfile(path):
        os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)


users = """\
domain example.org
domain catch.test catchall=carol@example.org
user alice@example.org maildir=%(m)s/alice quota=0
user bob@example.org maildir=%(m)s/bob
user carol@example.org maildir=%(m)s/carol
user full@example.org maildir=%(m)s/full quota=2000
user piper@example.org maildir=%(m)s/piper
user load@example.org maildir=%(m)s/load
alias all@example.org to=alice@example.org,bob@example.org
alias twice@example.org to=all@example.org,alice@example.org
alias loop1@example.org to=loop2@example.org
alias loop2@example.org to=loop1@example.org
alias fwd@example.org to=alice@example.org,Remote@far.test
""" % {"m": mail}
with open(os.path.join(d, "users.txt"), "w") as f:
    f.write(users)
p = subprocess.run([prog("user"), "-C", conf, "import", os.path.join(d, "users.txt")],
                   capture_output=True, text=True)
if not is_(p.returncode, 0, "posthorn-user import builds users.cdb and the Maildirs"):
    note(p.stdout + p.stderr)


def message(body, headers="From: s@example.net\nSubject: test\n", name="msg"):
    path = os.path.join(d, name)
    with open(path, "w", newline="") as f:
        f.write(headers + "\n" + body)
    return path


def deliver(rcpt, msgpath=None, sender="s@example.net", env=None, confdir=None, preexec=None):
    if msgpath is None:
        msgpath = message("hello\n")
    e = dict(os.environ)
    for k in ("POSTHORN_QUEUE", "QMAILQUEUE"):
        e.pop(k, None)
    if env:
        e.update(env)
    with open(msgpath, "rb") as m:
        p = subprocess.run([prog("local"), "-C", confdir or conf, sender, rcpt], stdin=m,
                           capture_output=True, env=e, preexec_fn=preexec, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def new_files(user, folder=""):
    return sorted(glob.glob(os.path.join(md(user), folder, "new", "*")))


def newest(user, folder=""):
    files = new_files(user, folder)
    if not files:
        return ""
    files.sort(key=os.path.getmtime)
    return open(files[-1], encoding="utf-8", errors="replace").read()


def clear(user):
    for f in glob.glob(os.path.join(md(user), "new", "*")) + glob.glob(os.path.join(md(user), ".*", "new", "*")):
        os.unlink(f)


def check(got, code, prefix, name):
    rc, so, se = got
    good = rc == code and so.startswith(prefix) and so.count("\n") == 1
    return ok(good, name, "exit %d, stdout %r, stderr %r" % (rc, so, se))


# ---- plain delivery, headers, CRLF ----
r = deliver("Alice@Example.ORG", message("line\r\nend\r\n", headers="Subject: crlf\r\n"))
check(r, 0, "2.0.0 ", "delivery to a user exits 0 with a 2.0.0 reason")
ok("event=" in r[2] and "status=0" in r[2], "a key=value log line on stderr", r[2])
files = new_files("alice")
is_(len(files), 1, "one file in alice's new/")
ok(files and ",S=%d" % os.path.getsize(files[0]) in os.path.basename(files[0]), "file name carries ,S=SIZE")
is_(newest("alice"), "Return-Path: <s@example.net>\nDelivered-To: alice@example.org\nSubject: crlf\n\nline\nend\n",
    "Return-Path and Delivered-To (key form) prepended, CRLF stored as LF")
r = deliver("alice@example.org", sender="")
check(r, 0, "2.0.0", "null sender delivers")
ok(newest("alice").startswith("Return-Path: <>\n"), "null sender is Return-Path: <>")
check(deliver("alice@example.org", sender="evil\nX-Injected: yes"), 100, "5.1.7", "a sender with a newline is refused")
clear("alice")

# ---- unknown user / domain, bad recipient ----
r = deliver("nosuch@example.org")
check(r, 100, "5.1.1 ", "unknown user: 100 with 5.1.1")
ok("nosuch@example.org" in r[1], "the reason names the address", r[1])
check(deliver("someone@elsewhere.test"), 100, "5.1.2", "unknown domain: 100 with 5.1.2")
check(deliver("not an address"), 100, "5.1.3", "unparsable recipient: 100")

# ---- aliases ----
check(deliver("all@example.org"), 0, "2.0.0", "alias to two users")
is_((len(new_files("alice")), len(new_files("bob"))), (1, 1), "each user got one copy")
ok("Delivered-To: all@example.org\n" in newest("bob"), "Delivered-To names the alias as addressed")
clear("alice"), clear("bob")
check(deliver("twice@example.org"), 0, "2.0.0", "alias reaching alice on two paths")
is_(len(new_files("alice")), 1, "alice gets one copy, not two (deduplicated)")
clear("alice"), clear("bob")
r = deliver("loop1@example.org")
check(r, 100, "5.4.6", "alias loop: 100 with 5.4.6")
ok("alias loop" in r[1], "reason says alias loop", r[1])

# ---- catch-all ----
check(deliver("whatever@catch.test"), 0, "2.0.0", "catch-all delivers")
is_(len(new_files("carol")), 1, "into the catch-all target's Maildir")
ok("Delivered-To: whatever@catch.test\n" in newest("carol"), "with Delivered-To the address as given")

# ---- Delivered-To loops ----
looped = message("body\n", headers="Received: x\nDelivered-To: ALICE@example.org\nSubject: loop\n")
r = deliver("alice@example.org", looped)
check(r, 100, "5.4.6", "Delivered-To of this recipient: 100 with 5.4.6")
ok("already delivered to alice@example.org" in r[1], "reason names the loop", r[1])
many = message("body\n", headers="".join("Delivered-To: hop%d@example.net\n" % i for i in range(26)))
check(deliver("alice@example.org", many), 100, "5.4.6", "26 Delivered-To header fields: a loop")
some = message("body\n", headers="".join("Delivered-To: hop%d@example.net\n" % i for i in range(25)))
check(deliver("alice@example.org", some), 0, "2.0.0", "25 are fine")
inbody = message("Delivered-To: alice@example.org\n", headers="Subject: quoting\n")
check(deliver("alice@example.org", inbody), 0, "2.0.0", "a Delivered-To line in the body is not a loop")
clear("alice")

# ---- plus-addressing ----
lists = os.path.join(md("alice"), ".Lists")
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(lists, sub))
own(lists)
check(deliver("alice+lists@example.org"), 0, "2.0.0", "plus-address with an existing folder")
is_((len(new_files("alice", ".Lists")), len(new_files("alice"))), (1, 0),
    "delivered into folder .Lists (matched ignoring case)")
ok("Delivered-To: alice+lists@example.org\n" in newest("alice", ".Lists"), "Delivered-To keeps the tag")
check(deliver("alice+nofolder@example.org"), 0, "2.0.0", "plus-address without such a folder")
is_((len(new_files("alice", ".Lists")), len(new_files("alice"))), (1, 1), "delivered into the INBOX")
check(deliver("\"alice+../../x\"@example.org"), 0, "2.0.0", "a hostile tag (quoted local part)")
is_(len(new_files("alice")), 2, "goes to the INBOX, nowhere else")
clear("alice")

# ---- quota ----
big = message("x" * 1400 + "\n", name="big")
check(deliver("full@example.org", big), 0, "2.0.0", "quota: under the limit delivers")
ok(os.path.exists(os.path.join(md("full"), "maildirsize")), "maildirsize written")
r = deliver("full@example.org", big)
check(r, 111, "4.2.2", "over quota: 111 with 4.2.2 (overquota=defer, the default)")
with open(os.path.join(conf, "overquota"), "w") as f:
    f.write("bounce\n")
check(deliver("full@example.org", big), 100, "5.2.2", "over quota with overquota=bounce: 100 with 5.2.2")
os.unlink(os.path.join(conf, "overquota"))
is_(len(new_files("full")), 1, "only the first message was stored")


# ---- posthorn-rules: pipes ----
def rules(user, text):
    path = os.path.join(md(user), "posthorn-rules")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    own(path)


pipe_msg = os.path.join(out, "pipe.msg")
pipe_env = os.path.join(out, "pipe.env")
rules("piper", "|cat > %s; env > %s\ninbox\n" % (pipe_msg, pipe_env))
r = deliver("piper+tag@example.org", message("pipe body\n"), sender="from@example.net")
check(r, 0, "2.0.0", "pipe exits 0: delivered")
got = open(pipe_msg).read() if os.path.exists(pipe_msg) else ""
ok(got.startswith("Return-Path: <from@example.net>\nDelivered-To: piper+tag@example.org\n") and
   got.endswith("\npipe body\n"), "the program saw the message with Return-Path and Delivered-To", got)
env = dict(l.split("=", 1) for l in open(pipe_env).read().splitlines() if "=" in l) if os.path.exists(pipe_env) else {}
is_({k: env.get(k) for k in ("SENDER", "RECIPIENT", "USER", "HOST", "LOCAL", "EXT")},
    {"SENDER": "from@example.net", "RECIPIENT": "piper+tag@example.org", "USER": "piper",
     "HOST": "example.org", "LOCAL": "piper+tag", "EXT": "tag"}, "the program's environment")
is_(len(new_files("piper")), 1, "after exit 0 the next rule (inbox) ran")
clear("piper")

rules("piper", "|exit 99\ninbox\n")
check(deliver("piper@example.org"), 0, "2.0.0", "pipe exits 99: success")
is_(len(new_files("piper")), 0, "and the rules after it are skipped")
rules("piper", "|echo sorry, no; exit 100\ninbox\n")
r = deliver("piper@example.org")
check(r, 100, "5.3.0", "pipe exits 100: permanent failure 5.3.0")
ok("sorry, no" in r[1], "with the program's reason", r[1])
rules("piper", "|exit 111\n")
check(deliver("piper@example.org"), 111, "4.3.0", "pipe exits 111: temporary failure")
rules("piper", "|exit 3\n")
check(deliver("piper@example.org"), 111, "4.3.0", "pipe exits 3: temporary failure")
rules("piper", "|kill -9 $$\n")
r = deliver("piper@example.org")
check(r, 111, "4.3.0", "pipe killed by a signal: temporary failure")
ok("signal" in r[1], "reason says signal", r[1])
with open(os.path.join(conf, "pipe-timeout"), "w") as f:
    f.write("1\n")
rules("piper", "|sleep 30\n")
t0 = time.monotonic()
r = deliver("piper@example.org")
check(r, 111, "4.3.0", "pipe over pipe-timeout: killed, temporary failure")
ok(time.monotonic() - t0 < 10, "within the timeout, not the program's 30 s")
os.unlink(os.path.join(conf, "pipe-timeout"))
rules("piper", "|head -c 1 >/dev/null\n")
check(deliver("piper@example.org", message("y" * 300000 + "\n", name="huge")), 0, "2.0.0",
      "a program that stops reading early is no failure")
is_(len(new_files("piper")), 0, "nothing went to the INBOX")

# ---- posthorn-rules: folders, forwards, broken files ----
rules("piper", "# sort\nfolder sent\nfolder NoSuchFolder\n")
check(deliver("piper@example.org"), 0, "2.0.0", "folder rules")
is_((len(new_files("piper", ".Sent")), len(new_files("piper"))), (1, 1),
    "existing folder (any case) gets it; a missing folder falls back to the INBOX")
clear("piper")
rules("piper", "inbox\nbogus instruction\n")
r = deliver("piper@example.org")
check(r, 111, "4.3.5", "a broken posthorn-rules: 111 with 4.3.5")
ok("line 2" in r[1], "the reason gives the line", r[1])
is_(len(new_files("piper")), 0, "and nothing was delivered")

# ---- forwards ----
inj = os.path.join(d, "injector")
with open(inj, "w") as f:
    f.write("#!/bin/sh\ncat > %s/fwd.msg\ncat <&1 > %s/fwd.env\nexit ${FAKE_EXIT:-0}\n" % (out, out))
os.chmod(inj, 0o755)
r = deliver("fwd@example.org", message("forward me\n"), sender="orig@example.net", env={"POSTHORN_QUEUE": inj})
check(r, 0, "2.0.0", "alias with a remote target: forwarded")
env_bytes = open(os.path.join(out, "fwd.env"), "rb").read() if os.path.exists(os.path.join(out, "fwd.env")) else b""
is_(env_bytes, b"Forig@example.net\0Tremote@far.test\0\0", "the injector got the envelope on fd 1")
fwd_msg = open(os.path.join(out, "fwd.msg")).read() if os.path.exists(os.path.join(out, "fwd.msg")) else ""
ok(fwd_msg.startswith("Delivered-To: fwd@example.org\nFrom:") and "forward me" in fwd_msg,
   "and the message with Delivered-To (no Return-Path) on fd 0", fwd_msg[:200])
is_(len(new_files("alice")), 1, "the local target got its copy")
clear("alice")
check(deliver("fwd@example.org", env={"POSTHORN_QUEUE": inj, "FAKE_EXIT": "100"}), 100, "5.",
      "injector exit 100 maps to 100")
clear("alice")
check(deliver("fwd@example.org", env={"QMAILQUEUE": inj, "FAKE_EXIT": "111"}), 111, "4.",
      "injector exit 111 maps to 111 ($QMAILQUEUE honoured)")
clear("alice")
r = deliver("fwd@example.org", env={"POSTHORN_QUEUE": os.path.join(d, "no-such-injector")})
check(r, 111, "4.3.0", "no injector: 111")
ok("forwarding not available" in r[1], "reason says forwarding not available", r[1])
is_(len(new_files("alice")), 0, "and no local copy was made first (no duplicate on retry)")
rules("piper", "forward Other@far.test, third@far.test\n")
os.unlink(os.path.join(out, "fwd.env"))
check(deliver("piper@example.org", env={"POSTHORN_QUEUE": inj}), 0, "2.0.0", "forward rule")
env_bytes = open(os.path.join(out, "fwd.env"), "rb").read() if os.path.exists(os.path.join(out, "fwd.env")) else b""
is_(env_bytes, b"Fs@example.net\0TOther@far.test\0Tthird@far.test\0\0", "forward rule envelope (case of the local part kept)")
os.unlink(os.path.join(md("piper"), "posthorn-rules"))

# ---- forwards through the real posthorn-queue, under -C ----
# The injector must get our config dir, whichever way we got it: with
# -C DIR the forward goes into DIR's queue, not into that of
# $POSTHORN_CONF (here a decoy) or of /etc/posthorn.
queue = os.path.join(d, "queue")
decoy = os.path.join(d, "decoy-conf")
decoyq = os.path.join(d, "decoy-queue")
os.makedirs(decoy)
for c, q in ((conf, queue), (decoy, decoyq)):
    os.makedirs(q)
    own(q)
    with open(os.path.join(c, "queuedir"), "w") as f:
        f.write(q + "\n")


def queued(q):
    return sorted(glob.glob(os.path.join(q, "q", "*.env")))


r = deliver("fwd@example.org", message("forward me for real\n"), sender="orig@example.net",
            env={"POSTHORN_CONF": decoy})
check(r, 0, "2.0.0", "a forward through the real posthorn-queue")
envs = queued(queue)
is_(len(envs), 1, "it is in the queue of the config dir given with -C")
is_(queued(decoyq), [], "not in the queue of $POSTHORN_CONF")
if envs:
    text = open(envs[0]).read()
    ok("\nsender\torig@example.net\n" in text and "\tremote@far.test\t" in text,
       "from the original sender to the remote target", text)
    body = open(envs[0][:-4] + ".msg").read()
    ok(body.startswith("Delivered-To: fwd@example.org\n") and "forward me for real" in body,
       "the queued message carries our Delivered-To", body[:200])
clear("alice")
shutil.rmtree(queue)
os.makedirs(queue, 0o700)
with open(os.path.join(queue, "q"), "w") as f:
    f.write("not a dir\n")
own(queue)
clear("alice")
r = deliver("fwd@example.org", message("queue broken\n"))
check(r, 111, "4.3.0 forwarding failed", "a queue that cannot take it: 111")
ok("posthorn-queue exited with an error" in r[1], "naming the injector", r[1])
ok("unable to" in r[2], "and its reason line is logged", r[2])
for c in (conf, decoy):
    os.unlink(os.path.join(c, "queuedir"))
clear("alice")

# ---- config trouble ----
bare = os.path.join(d, "conf-nocdb")
shutil.copytree(conf, bare)
os.unlink(os.path.join(bare, "users.cdb"))
check(deliver("alice@example.org", confdir=bare), 111, "4.3.0", "missing users.cdb: 111")
os.mkdir(os.path.join(bare, "users.cdb"))
check(deliver("alice@example.org", confdir=bare), 111, "4.3.0", "users.cdb that is not a file: 111")
locked = os.path.join(d, "conf-locked")
shutil.copytree(conf, locked)
os.chmod(os.path.join(locked, "users.cdb"), 0)
pre = as_nobody if ROOT else None
check(deliver("alice@example.org", confdir=locked, preexec=pre), 111, "4.3.0", "unreadable users.cdb: 111")
os.chmod(locked, 0)
check(deliver("alice@example.org", confdir=locked, preexec=pre), 111, "4.3.5", "unreadable config dir: 111")
os.chmod(locked, 0o755)
check(deliver("alice@example.org", confdir=os.path.join(d, "no-such-conf")), 111, "4.3.5",
      "missing config dir: 111")
if ROOT:
    noowner = os.path.join(d, "conf-noowner")
    shutil.copytree(conf, noowner)
    os.unlink(os.path.join(noowner, "mailowner"))
    r = deliver("alice@example.org", confdir=noowner)
    check(r, 111, "4.3.5", "as root without mailowner: 111")
    ok("refusing to deliver as root" in r[1], "reason says it refuses root", r[1])
    check(deliver("alice@example.org", confdir=noowner, preexec=as_nobody), 0, "2.0.0",
          "the same config works for a non-root caller")
    st = os.stat(new_files("alice")[-1]) if new_files("alice") else None
    ok(st and st.st_uid == NOBODY.pw_uid, "root delivered as the mail owner (file owned by nobody)")
    clear("alice")
    rules("piper", "|id -u > %s/pipe.uid\n" % out)
    deliver("piper@example.org")
    uid = open(os.path.join(out, "pipe.uid")).read().strip() if os.path.exists(os.path.join(out, "pipe.uid")) else ""
    is_(uid, str(NOBODY.pw_uid), "pipes run as the mail owner, not root")
    os.unlink(os.path.join(md("piper"), "posthorn-rules"))
else:
    note("not root: mailowner checks skipped")
is_(subprocess.run([prog("local")], capture_output=True).returncode, 64, "no arguments: usage, exit 64")
p = subprocess.run("echo hi | %s -C %s s@example.net alice@example.org" % (prog("local"), conf), shell=True,
                   capture_output=True, text=True, timeout=20)
check((p.returncode, p.stdout, p.stderr), 111, "4.3.0", "a message on a pipe: 111, no hang")

# ---- 1,000 deliveries from 4 concurrent processes ----
PER = 50 if SANITIZER else 250
if SANITIZER:
    note("sanitizer build: %d deliveries instead of 1,000" % (4 * PER))
msgs = os.path.join(d, "msgs")
os.makedirs(msgs)
for i in range(4 * PER):
    with open(os.path.join(msgs, "%d" % i), "w") as f:
        f.write("Subject: load %d\n\nMARKER-%06d\n%s\n" % (i, i, "z" * (i % 700)))
driver = ("i=$1; end=$2; while [ $i -lt $end ]; do "
          "\"$LOCAL\" -C \"$CONF\" s@example.net load@example.org < \"$MSGS/$i\" >/dev/null 2>&1 || echo \"fail $i $?\"; "
          "i=$((i+1)); done")
env = dict(os.environ, LOCAL=prog("local"), CONF=conf, MSGS=msgs)
t0 = time.monotonic()
procs = [subprocess.Popen(["sh", "-c", driver, "sh", str(k * PER), str((k + 1) * PER)],
                          stdout=subprocess.PIPE, text=True, env=env) for k in range(4)]
fails = "".join(p.communicate()[0] for p in procs)
elapsed = time.monotonic() - t0
note("%d deliveries by 4 processes in %.1f s" % (4 * PER, elapsed))
is_(fails, "", "every delivery exited 0")
files = new_files("load")
is_(len(files), 4 * PER, "exactly %d files in new/" % (4 * PER))
markers = set()
intact = True
for fpath in files:
    text = open(fpath).read()
    m = text.split("MARKER-", 1)[1][:6] if "MARKER-" in text else None
    i = int(m) if m and m.isdigit() else -1
    want = ("Return-Path: <s@example.net>\nDelivered-To: load@example.org\nSubject: load %d\n\nMARKER-%06d\n%s\n"
            % (i, i, "z" * (i % 700)))
    if text != want or ",S=%d" % len(text) not in os.path.basename(fpath):
        intact = False
    markers.add(i)
ok(intact, "every file intact: headers, its body, its ,S=SIZE")
is_(len(markers), 4 * PER, "each body marker exactly once")
is_(glob.glob(os.path.join(md("load"), "tmp", "*")), [], "tmp/ is empty")
done()
