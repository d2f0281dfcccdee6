#!/usr/bin/env python3
# posthorn-queue: what it refuses (nothing queued), what it commits, and the
# set-user-ID install that lets unprivileged callers inject into a queue they
# cannot read.  The envelope's H item (header text stored before the
# message), taken and refused.  posthorn-runq -l and the per-message actions -D, -B, -X.
import glob
import os
import pwd
import shutil
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, SANITIZER
from instance import Instance, inject_raw, parse, ROOT

inst = Instance()
inst.add_user("alice@example.test")
inst.add_user("bob@example.test")
MSG = b"From: alice@example.test\nTo: bob@example.test\nSubject: queue test\n\nHello.\n"

# ---- refused envelopes and messages: nothing queued ----
bad = [
    ("no recipient", MSG, b"Falice@example.test\0\0", 100, "5.5.1"),
    ("NUL inside a recipient (envelope ends early)", MSG, b"Falice@example.test\0Tbo\0b@example.test\0\0", 100, "5.1.3"),
    ("overlong recipient", MSG, b"Falice@example.test\0T" + b"a" * 300 + b"@example.test\0\0", 100, "5.1.3"),
    ("overlong local part", MSG, b"Falice@example.test\0T" + b"a" * 65 + b"@example.test\0\0", 100, "5.1.3"),
    ("malformed sender", MSG, b"Fa lice@@example.test\0Tbob@example.test\0\0", 100, "5.1.7"),
    ("envelope without F", MSG, b"Tbob@example.test\0\0", 100, "5.3.0"),
    ("the final NUL first", MSG, b"\0", 100, "5.3.0"),
    ("a second F", MSG, b"Falice@example.test\0Fbob@example.test\0\0", 100, "5.3.0"),
    ("an item that is neither F nor T", MSG, b"Falice@example.test\0Xbob@example.test\0\0", 100, "5.3.0"),
    ("a control byte in a recipient", MSG, b"Falice@example.test\0Tbo\nb@example.test\0\0", 100, "5.1.3"),
    ("truncated envelope (writer died)", MSG, b"Falice@example.test\0Tbob@exam", 111, "4.3.0"),
    ("truncated envelope after a recipient", MSG, b"Falice@example.test\0Tbob@example.test\0", 111, "4.3.0"),
    ("no envelope at all (writer died during the message)", MSG[:20], b"", 111, "4.3.0"),
    ("relay-style recipient @a:b@c", MSG, b"Falice@example.test\0T@a.test:bob@example.test\0\0", 100, "5.1.3"),
]
for name, msg, envelope, code, esc in bad:
    rc, err = inject_raw(inst.conf, msg, envelope)
    is_(rc, code, "refused: %s (exit %d)" % (name, code))
    ok(err.startswith(esc), "reason for %s starts with %s" % (name, esc), err)
    is_(inst.leftovers(), [], "nothing left in the queue after: %s" % name)

inst.set("databytes", "1000")
rc, err = inst.inject(b"Subject: big\n\n" + b"x" * 2000 + b"\n", "alice@example.test", ["bob@example.test"])
is_(rc, 100, "a message over databytes is refused permanently")
ok(err.startswith("5.3.4"), "with 5.3.4", err)
is_(inst.leftovers(), [], "and nothing is left in the queue")
inst.set("databytes", "0")

inst.set("maxrcpt", "3")
rc, err = inst.inject(MSG, "alice@example.test", ["r%d@example.test" % i for i in range(4)])
is_(rc, 100, "more recipients than maxrcpt are refused")
is_(inst.leftovers(), [], "nothing queued for too many recipients")
os.unlink(os.path.join(inst.conf, "maxrcpt"))

os.chmod(inst.conf, 0o755)
open(os.path.join(inst.conf, "queuedir"), "w").write("/proc/no-such-queue\n")
rc, err = inst.inject(MSG, "alice@example.test", ["bob@example.test"])
is_(rc, 111, "an unusable queue dir is a temporary failure")
inst.set("queuedir", inst.queue)

# ---- a good one ----
rc, err = inst.inject(MSG, "alice@example.test", ["bob@example.test", "Carol@Remote.Example"])
is_(rc, 0, "a good message is queued")
ok(err.startswith("2.0.0 queued as "), "posthorn-queue says which id", err)
qid = err.split()[-1]
is_(inst.queued(), [qid], "one entry in q/, named by the id it reported")
with open(os.path.join(inst.queue, "q", qid + ".msg"), "rb") as f:
    is_(f.read(), MSG, "the message is stored byte for byte")
env = open(os.path.join(inst.queue, "q", qid + ".env")).read()
ok(env.startswith("posthorn-env 1\n") and "\nsender\talice@example.test\n" in env, "the .env has the sender", env)
ok("rcpt\tpending\t0\t0\tbob@example.test\t" in env and "Carol@remote.example" in env,
   "and both recipients, pending (the domain lower-cased)", env)
is_(stat.S_IMODE(os.stat(os.path.join(inst.queue, "q", qid + ".msg")).st_mode), 0o600, "queue files are mode 0600")
is_(glob.glob(os.path.join(inst.queue, "tmp", "*")), [], "tmp/ is empty after a commit")
rc, out, err = inst.runq("-l")
is_(rc, 0, "posthorn-runq -l lists the queue")
ok(qid in out and "<alice@example.test>" in out and "bob@example.test  queued" in out and "1 message, 2 recipients pending" in out,
   "with the id, sender, recipients and a summary", out)

# ---- delivery: the local recipient now, the remote one held (as when
# posthorn-remote is not installed) ----
NOREMOTE = {"POSTHORN_REMOTE": os.path.join(inst.dir, "no-such-posthorn-remote")}
rc, out, err = inst.runq(env=NOREMOTE)
is_(rc, 0, "a pass exits 0")
is_(len(inst.messages("bob@example.test")), 1, "the local recipient got the message")
is_(inst.queued(), [qid], "the entry stays: its remote recipient is not delivered")
rc, out, err = inst.runq("-l")
ok("bob@example.test  done" in out, "-l shows the local recipient done", out)
ok("carol@remote.example" in out.lower() and "remote delivery not available" in out,
   "and the remote one held with a clear reason", out)
ok("0 tries" in out, "held recipients do not count tries (they never expire while held)", out)

# ---- -D, -B, -X ----
rc, out, err = inst.runq("-D", qid, env=NOREMOTE)
is_(rc, 0, "-D ID: deliver now")
ok("due now" in out, "-D says so", out)
rc, out, err = inst.runq("-D", "no-such-id")
is_(rc, 1, "-D with an unknown id is an error")
ok("no such message" in err, "with a clear message", err)
rc, out, err = inst.runq("-D", "../etc/passwd")
is_(rc, 1, "an id with a slash is refused")

rc, out, err = inst.runq("-B", qid, env=NOREMOTE)
is_(rc, 0, "-B ID: bounce now")
is_(inst.queued(), [], "the bounced entry is gone (its bounce went to alice, a local user)")
bounces = inst.messages("alice@example.test")
is_(len(bounces), 1, "alice got the bounce")
if bounces:
    b = parse(bounces[0])
    is_(b.get_content_type(), "multipart/report", "the bounce is a multipart/report")
    ok("5.0.0" in bounces[0].decode() and "returned to the sender by the postmaster" in bounces[0].decode(),
       "saying the postmaster returned it")

rc, err = inst.inject(MSG, "alice@example.test", ["x@remote.example"])
qid2 = err.split()[-1]
rc, out, err = inst.runq("-X", qid2)
is_(rc, 0, "-X ID deletes")
is_(inst.leftovers(), [], "no trace of the deleted entry")
rc, out, err = inst.runq("-l")
ok("the queue is empty" in out, "-l says the queue is empty", out)

# ---- the H item: header text put before the message, byte for byte ----
HEAD = (b"Authentication-Results: mx.example.test;\n\tspf=pass smtp.mailfrom=alice@example.test;\n"
        b"\tdkim=none\nX-Prepended: yes\n")
ENV = b"Falice@example.test\0Tbob@example.test\0\0"


def stored(qid):
    with open(os.path.join(inst.queue, "q", qid + ".msg"), "rb") as f:
        msg = f.read()
    env = open(os.path.join(inst.queue, "q", qid + ".env")).read()
    size = [l.split("\t")[1] for l in env.split("\n") if l.startswith("size\t")]
    return msg, int(size[0]) if size else -1


BIG = b"Subject: big\n\n" + b"".join(b"%07d the body of a message of three MiB, line by line, to copy\n" % i
                                     for i in range(3 * 1024 * 1024 // 64))
for name, msg in [("a small message", MSG), ("a 3 MiB message", BIG)]:
    rc, err = inject_raw(inst.conf, msg, b"H" + HEAD + b"\0" + ENV)
    is_(rc, 0, "H: %s is queued" % name)
    qid = err.split()[-1]
    body, size = stored(qid)
    ok(body == HEAD + msg, "H: %s is stored as the header text, then the message, byte for byte" % name)
    is_(size, len(HEAD) + len(msg), "H: the .env's size is the stored file's")
    is_(glob.glob(os.path.join(inst.queue, "tmp", "*")), [], "H: no temp file left (%s)" % name)
rc, out, err = inst.runq()
got = inst.messages("bob@example.test")
ok(len(got) >= 2 and got[-2].endswith(HEAD + MSG) and got[-1].endswith(HEAD + BIG),
   "H: delivered with the header text on top of the message's own header")
is_(inst.queued(), [], "H: the queue drains")

# posthorn-queue holds a message of up to 64 KiB in memory until the
# envelope comes, and streams a bigger one to a file: both sides of that line
for n in (65535, 65536, 65537):
    msg = (b"Subject: edge\n\n" + b"y" * n)[:n - 1] + b"\n"
    for env in (ENV, b"H" + HEAD + b"\0" + ENV):
        rc, err = inject_raw(inst.conf, msg, env)
        qid = err.split()[-1]
        want = (HEAD if env[:1] == b"H" else b"") + msg
        ok(rc == 0 and stored(qid) == (want, len(want)),
           "a message of %d bytes, %s: stored byte for byte" % (n, "H" if env[:1] == b"H" else "no H"), err)
        inst.runq("-X", qid)

rc, err = inject_raw(inst.conf, MSG, ENV)
qid = err.split()[-1]
body, size = stored(qid)
ok(rc == 0 and body == MSG and size == len(MSG), "no H: the message is stored as it came, as before")
inst.runq("-X", qid)

# copy_file_range refused by the kernel (strace's fault injection, the real
# program): the copy falls back to read/write, byte for byte; any other
# failure of it is a temporary failure with nothing queued.
if shutil.which("strace"):
    wrap = os.path.join(inst.dir, "queue-under-strace")
    with open(wrap, "w") as f:
        f.write("#!/bin/sh\nexec strace -f -qq -o /dev/null -e trace=copy_file_range "
                "-e inject=copy_file_range:error=$CFR_ERROR %s \"$@\"\n" % prog("queue"))
    os.chmod(wrap, 0o755)
    for e in ("EXDEV", "ENOSYS", "EINVAL"):
        rc, err = inject_raw(inst.conf, BIG, b"H" + HEAD + b"\0" + ENV, env={"CFR_ERROR": e}, exe=wrap)
        qid = err.split()[-1]
        ok(rc == 0 and stored(qid) == (HEAD + BIG, len(HEAD) + len(BIG)),
           "copy_file_range failing with %s: read/write instead, byte for byte" % e, err)
        inst.runq("-X", qid)
    rc, err = inject_raw(inst.conf, BIG, b"H" + HEAD + b"\0" + ENV, env={"CFR_ERROR": "EIO"}, exe=wrap)
    ok(rc == 111 and err.startswith("4.3.0 unable to write the message"), "with EIO: a temporary failure", err)
    is_(inst.leftovers(), [], "and nothing queued or left in tmp/")
else:
    note("no strace: the read/write fallback of the copy is not tested")

badhead = [
    ("a NUL inside the header text", b"HX-A: b\nX-B: \0c\n\0" + ENV),
    ("CRLF line ends", b"HX-A: b\r\n\0" + ENV),
    ("an empty line (the header would end inside it)", b"HX-A: b\n\nX-B: c\n\0" + ENV),
    ("a line of white space", b"HX-A: b\n \nX-B: c\n\0" + ENV),
    ("a line without a colon", b"HX-A b\n\0" + ENV),
    ("a continuation line first", b"H\tX-A: b\n\0" + ENV),
    ("a last line without LF", b"HX-A: b\0" + ENV),
    ("an empty H", b"H\0" + ENV),
    ("more than 64 KiB of header text", b"HX-A: " + b"a" * 65536 + b"\n\0" + ENV),
    ("H after F", b"Falice@example.test\0HX-A: b\n\0Tbob@example.test\0\0"),
    ("two H items", b"HX-A: b\n\0HX-B: c\n\0" + ENV),
]
for name, envelope in badhead:
    rc, err = inject_raw(inst.conf, MSG, envelope)
    is_(rc, 100, "H refused: %s (exit 100)" % name)
    ok(err.startswith("5.3.0 ") and ("header text" in err or "item H" in err), "with a clear reason", err)
    is_(inst.leftovers(), [], "nothing queued or left in tmp/ after: %s" % name)
rc, err = inject_raw(inst.conf, MSG, b"HX-A: " + b"a" * (65536 - 6) + b"\n\0" + ENV)
is_(rc, 0, "H of exactly 64 KiB is taken")
qid = err.split()[-1]
body, size = stored(qid)
ok(body == b"X-A: " + b"a" * (65536 - 6) + b"\n" + MSG and size == 65536 + len(MSG), "whole", "size %d" % size)
inst.runq("-X", qid)

inst.set("databytes", str(len(HEAD) + len(MSG) - 1))
rc, err = inject_raw(inst.conf, MSG, b"H" + HEAD + b"\0" + ENV)
ok(rc == 100 and err.startswith("5.3.4"), "databytes counts the header text: one byte over is refused", err)
is_(inst.leftovers(), [], "and nothing is left, not even the first temp file")
inst.set("databytes", str(len(HEAD) + len(MSG)))
rc, err = inject_raw(inst.conf, MSG, b"H" + HEAD + b"\0" + ENV)
is_(rc, 0, "exactly databytes with the header text is taken")
inst.runq("-X", err.split()[-1])
inst.set("databytes", "0")
is_(inst.leftovers(), [], "the queue is empty after the H tests")

# ---- set-user-ID install: unprivileged callers inject, cannot read ----
if ROOT and not SANITIZER:
    QUID = 4242
    nobody = pwd.getpwnam("nobody")
    sq = Instance()
    sq.add_user("bob@example.test")
    exe = os.path.join(sq.dir, "posthorn-queue")
    shutil.copy(prog("queue"), exe)
    os.chown(exe, QUID, QUID)
    os.chmod(exe, 0o4711)
    os.makedirs(sq.queue)
    os.chown(sq.queue, QUID, QUID)
    os.chmod(sq.queue, 0o700)
    os.chmod(sq.conf, 0o755)
    for f in os.listdir(sq.conf):
        os.chmod(os.path.join(sq.conf, f), 0o644)

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    rc, err = inject_raw(sq.conf, MSG, b"Fnobody@example.test\0Tbob@example.test\0\0", exe=exe, preexec=as_nobody)
    ok(rc == 0, "setuid posthorn-queue: nobody can inject", err)
    files = glob.glob(os.path.join(sq.queue, "q", "*"))
    is_(len(files), 2, "the entry is in q/")
    ok(all(os.stat(p).st_uid == QUID and stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files),
       "owned by the queue owner, mode 0600")
    pid = os.fork()
    if pid == 0:
        as_nobody()
        try:
            os.listdir(os.path.join(sq.queue, "q"))
            os._exit(0)
        except PermissionError:
            os._exit(13)
    _, st = os.waitpid(pid, 0)
    is_(os.WEXITSTATUS(st), 13, "nobody cannot list the queue")
    pid = os.fork()
    if pid == 0:
        as_nobody()
        try:
            open(files[0], "rb").read()
            os._exit(0)
        except PermissionError:
            os._exit(13)
    _, st = os.waitpid(pid, 0)
    is_(os.WEXITSTATUS(st), 13, "nobody cannot read a queued message")
    os.chown(sq.conf, nobody.pw_uid, nobody.pw_gid)
    rc, err = inject_raw(sq.conf, MSG, b"Fnobody@example.test\0Tbob@example.test\0\0", exe=exe, preexec=as_nobody)
    is_(rc, 111, "setuid posthorn-queue refuses a config dir owned by the caller")
    ok("not owned by root or the queue owner" in err, "and says why", err)
    os.chown(sq.conf, 0, 0)
    os.chmod(sq.conf, 0o1777)
    rc, err = inject_raw(sq.conf, MSG, b"Fnobody@example.test\0Tbob@example.test\0\0", exe=exe, preexec=as_nobody)
    is_(rc, 111, "nor a root-owned config dir that others may write to (like /tmp)")
    os.chmod(sq.conf, 0o755)
    rc, out, err = sq.runq()
    is_(len(sq.messages("bob@example.test")), 1, "root's runner delivers what nobody injected")
else:
    note("set-user-ID checks need root and a non-sanitizer build; skipped")

done()
