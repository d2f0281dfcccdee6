#!/usr/bin/env python3
# Send limits per account (posthorn-queue(8), SEND LIMITS), end to end.
# alice@example.test sends over submission (posthorn-smtpd -s, STARTTLS +
# AUTH) on four connections at once, and the local user "daemon" sends
# through posthorn-sendmail in four processes at once, each through a
# set-user-ID copy of posthorn-queue as it is installed (the queue owner
# is nobody, which is smtpd's account here too).  With sendlimit-hour 20,
# exactly 20 of each get through: submission's 21st is 450 4.7.1, sendmail
# exits 75 with the queue's line.  MX mail is not counted.  The counts are
# in files: a restarted server still refuses.  A burst (3 x 20 tries in the
# hour) locks alice: one note to the postmaster, event=sendlock in smtpd's
# log, posthorn-user show says locked, and posthorn-user unlock lifts it.
# A damaged limits file is reset, not fatal; per-user and per-domain limits
# from posthorn-user hold.
import glob
import os
import pwd
import shutil
import smtplib
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done, prog  # noqa: E402
from instance import Instance, make_cert, _servers  # noqa: E402

if os.geteuid() != 0:
    print("1..0 # SKIP needs root: smtpd's account, a set-user-ID posthorn-queue and a second local user")
    sys.exit(0)

LIMIT = 20
inst = Instance(settings={"sendlimit-hour": str(LIMIT), "smtpduser": "nobody"})
for u in ("alice", "carol", "dave"):
    inst.add_user(u + "@example.test", u + "-pw")
inst.add_user("bob@example.test")
inst.user("domain", "add", "other.test")
inst.add_user("erin@other.test", "erin-pw")
make_cert(os.path.join(inst.conf, "tls"), cn="localhost")
nobody = pwd.getpwnam("nobody")
daemon = pwd.getpwnam("daemon")

# posthorn-queue as installed: set-user-ID to the queue owner (nobody)
sbin = os.path.join(inst.dir, "sbin")
os.makedirs(sbin)
queue_prog = os.path.join(sbin, "posthorn-queue")
shutil.copy(prog("queue"), queue_prog)
os.chown(queue_prog, nobody.pw_uid, nobody.pw_gid)
os.chmod(queue_prog, 0o4711)

sub = inst.serve("smtpd", "-s", env={"POSTHORN_QUEUE": queue_prog})
mx = inst.serve("smtpd", env={"POSTHORN_QUEUE": queue_prog})

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def msg(n, who="alice@example.test"):
    return ("From: %s\r\nTo: bob@example.test\r\nSubject: %s\r\n\r\nbody\r\n" % (who, n)).encode()


def submit(user, n, port=None):
    """Sends n messages as user on one connection; the reply of each."""
    out = []
    with smtplib.SMTP("127.0.0.1", port or sub, timeout=60) as s:
        s.ehlo("client.test")
        s.starttls(context=ctx)
        s.ehlo("client.test")
        s.login(user, user.split("@")[0] + "-pw")
        for i in range(n):
            try:
                s.sendmail(user, ["bob@example.test"], msg(i, user))
                out.append((250, ""))
            except smtplib.SMTPDataError as e:
                out.append((e.smtp_code, e.smtp_error.decode()))
            except smtplib.SMTPRecipientsRefused as e:
                out.append(list(e.recipients.values())[0])
    return out


def as_daemon():
    os.setgroups([])
    os.setgid(daemon.pw_gid)
    os.setuid(daemon.pw_uid)


def sendmail(n):
    """Runs posthorn-sendmail as daemon n times; (exit code, stderr) each."""
    out = []
    env = dict(os.environ, POSTHORN_CONF=inst.conf, POSTHORN_QUEUE=queue_prog)
    for i in range(n):
        p = subprocess.run([prog("sendmail"), "-i", "bob@example.test"], input=msg(i, "daemon"), env=env,
                           capture_output=True, preexec_fn=as_daemon, timeout=60, cwd="/")
        out.append((p.returncode, p.stderr.decode()))
    return out


def limits_file(account):
    name = "".join(c if c.isalnum() and c.islower() or c.isdigit() or c in "@_-." else "%%%02x" % ord(c)
                   for c in account)
    return os.path.join(inst.queue, "limits", name)


# --- four submission connections and four sendmail processes at once
results = {}


def worker(key, fn, *args):
    results[key] = fn(*args)


threads = [threading.Thread(target=worker, args=(("smtp", i), submit, "alice@example.test", 8)) for i in range(4)]
threads += [threading.Thread(target=worker, args=(("sendmail", i), sendmail, 8)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join(300)
smtp = [r for i in range(4) for r in results.get(("smtp", i), [])]
sm = [r for i in range(4) for r in results.get(("sendmail", i), [])]
is_(len(smtp), 32, "32 tries over four submission connections")
is_(sum(1 for c, _ in smtp if c == 250), LIMIT, "exactly %d accepted over submission" % LIMIT)
refused = [(c, t) for c, t in smtp if c != 250]
is_(sorted(set(c for c, _ in refused)), [450], "the others refused with 450")
ok(all(t.startswith("4.7.1 sending limit reached for alice@example.test: 20 messages in the last hour (limit 20)")
       for _, t in refused), "with 4.7.1 and the account, count and limit", refused[:1])
is_(len(sm), 32, "32 runs of posthorn-sendmail")
is_(sum(1 for c, _ in sm if c == 0), LIMIT, "exactly %d accepted through posthorn-sendmail" % LIMIT)
bad = [(c, e) for c, e in sm if c != 0]
is_(sorted(set(c for c, _ in bad)), [75], "the others exit 75 (EX_TEMPFAIL)")
ok(all("4.7.1 sending limit reached for unix:daemon: 20 messages in the last hour (limit 20)" in e for _, e in bad),
   "and print the queue's line", bad[:1])
is_(len(inst.queued()), 2 * LIMIT, "the queue holds the %d accepted messages" % (2 * LIMIT))

# --- MX mail is not counted
got = 0
with smtplib.SMTP("127.0.0.1", mx, timeout=60) as s:
    for i in range(LIMIT + 5):
        if not s.sendmail("someone@elsewhere.test", ["alice@example.test"], msg(i, "someone@elsewhere.test")):
            got += 1
is_(got, LIMIT + 5, "MX mail for alice is not counted (%d accepted)" % (LIMIT + 5))
ok(not os.path.exists(limits_file("someone@elsewhere.test")), "and has no limits file")

# --- the counts are in files: a restarted server still refuses
for p in list(_servers):
    p.terminate()
    p.wait(10)
_servers.clear()
sub = inst.serve("smtpd", "-s", env={"POSTHORN_QUEUE": queue_prog})
r = submit("alice@example.test", 1)
is_(r[0][0], 450, "after a restart alice is still at her limit")
ok(os.path.getsize(limits_file("alice@example.test")) > 0, "her counts are in QUEUEDIR/limits/")

# --- a burst locks: 3 x 20 tries within the hour
tries = 32 + 1
replies = submit("alice@example.test", 3 * LIMIT - tries + 2)
codes = [c for c, _ in replies]
is_(codes[:3 * LIMIT - tries - 1], [450] * (3 * LIMIT - tries - 1), "up to the 59th try: 450")
is_(codes[3 * LIMIT - tries - 1], 554, "the 60th try locks: 554")
ok(replies[3 * LIMIT - tries - 1][1].startswith("5.7.1 sending locked now for alice@example.test after a burst of "
                                                "60 messages; ask the postmaster"), "5.7.1 locked", replies[-2])
is_(codes[-1], 554, "and the next is refused too")
ok(replies[-1][1].startswith("5.7.1 sending locked for alice@example.test"), "as locked", replies[-1])


def notes():
    n = 0
    for e in glob.glob(os.path.join(inst.queue, "q", "*.env")):
        with open(e, "rb") as f:
            if b"postmaster@mx.example.test" in f.read():
                n += 1
    return n


is_(notes(), 1, "one note to the postmaster is queued")
submit("alice@example.test", 2)
is_(notes(), 1, "and only one, however often she tries")
with open(os.path.join(inst.dir, "smtpd.log"), "rb") as f:
    log = f.read().decode("utf-8", "replace")
is_(log.count("event=sendlock "), 1, "smtpd logs event=sendlock once")
out = inst.user("show", "alice@example.test")
ok("sending: locked after a burst of 60 messages" in out, "posthorn-user show says locked", out)
out = inst.user("show", "bob@example.test")
ok("sending: allowed" in out, "and bob is not", out)
out = inst.user("unlock", "alice@example.test")
ok("unlocked" in out, "posthorn-user unlock", out)
ok("sending: allowed" in inst.user("show", "alice@example.test"), "show says allowed again")
is_(submit("alice@example.test", 1), [(250, "")], "alice can send again")
is_(notes(), 1, "no second note")

# --- a damaged file is reset, not fatal
path = limits_file("alice@example.test")
with open(path, "r+b") as f:
    f.seek(100)
    f.write(b"\xff" * 8)
is_(submit("alice@example.test", 1), [(250, "")], "a damaged limits file does not stop her mail")
is_(os.path.getsize(path), 944, "the file is whole again")
out = inst.user("show", "alice@example.test")
ok("sent: 1 messages in the last hour" in out, "with the counts started afresh", out)

# --- per-user and per-domain limits, from posthorn-user
inst.user("sendlimit", "carol@example.test", "2", "-")
inst.user("sendlimit", "other.test", "3", "-")
ok("send limits: 2 messages/hour" in inst.user("show", "carol@example.test"), "show tells carol's limit")
is_([c for c, _ in submit("carol@example.test", 3)], [250, 250, 450], "carol's own limit: 2 an hour")
is_([c for c, _ in submit("erin@other.test", 4)], [250, 250, 250, 450], "other.test's domain limit: 3 an hour")
inst.user("sendlimit", "dave@example.test", "-", "2")
r = submit("dave@example.test", 3)
is_([c for c, _ in r], [250, 250, 450], "a day's limit of recipients: 2")
ok("recipients in the last day" in r[2][1], "and says so", r[2])
done()
