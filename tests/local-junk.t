#!/usr/bin/env python3
# posthorn-local and the junk mark: a message whose header holds
# X-Posthorn-Junk (added by posthorn-smtpd for DMARC p=quarantine) goes into
# the user's Junk folder instead of the INBOX or the plus-address folder; the
# folder is made when missing; an existing one is found ignoring case; the
# owner's posthorn-rules win; the setting local-junk-folder moves or turns
# off the filing.  Real binaries, a users.cdb made by posthorn-user import,
# Maildirs on disk.
import glob
import os
import pwd
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, tempdir

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if ROOT else None
d = tempdir()
conf = os.path.join(d, "conf")
mail = os.path.join(d, "mail")
out = os.path.join(d, "out")
os.makedirs(conf)
os.makedirs(out)
os.chmod(out, 0o777)
if ROOT:
    with open(os.path.join(conf, "mailowner"), "w") as f:
        f.write("nobody\n")

USERS = ("alice", "bob", "carol", "dave", "erin", "piper", "many")
with open(os.path.join(d, "users.txt"), "w") as f:
    f.write("domain example.org\n")
    for u in USERS:
        f.write("user %s@example.org maildir=%s/%s\n" % (u, mail, u))
    f.write("alias both@example.org to=alice@example.org,bob@example.org\n")
p = subprocess.run([prog("user"), "-C", conf, "import", os.path.join(d, "users.txt")],
                   capture_output=True, text=True)
if not is_(p.returncode, 0, "posthorn-user import builds users.cdb and the Maildirs"):
    note(p.stdout + p.stderr)


def md(user, folder=""):
    return os.path.join(mail, user, folder)


def own(path):
    """Give path (recursively) to the mail owner when running as root."""
    if not ROOT:
        return
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    for dirpath, dirs, files in os.walk(path):
        for n in dirs + files:
            os.chown(os.path.join(dirpath, n), NOBODY.pw_uid, NOBODY.pw_gid)


def make_folder(user, dotname):
    path = md(user, dotname)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub))
    own(path)


MARK = "X-Posthorn-Junk: dmarc p=quarantine example.com\n"
HEAD = "From: someone@example.com\nSubject: test\n"


def message(head, body="hello\n", name="msg"):
    path = os.path.join(d, name)
    with open(path, "w", newline="") as f:
        f.write(head + "\n" + body)
    return path


def deliver(rcpt, msgpath, env=None):
    e = dict(os.environ)
    for k in ("POSTHORN_QUEUE", "QMAILQUEUE"):
        e.pop(k, None)
    if env:
        e.update(env)
    with open(msgpath, "rb") as m:
        p = subprocess.run([prog("local"), "-C", conf, "s@example.net", rcpt], stdin=m,
                           capture_output=True, timeout=60, env=e)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def files(user, folder=""):
    return sorted(glob.glob(os.path.join(md(user, folder), "new", "*")))


def content(user, folder=""):
    fs = files(user, folder)
    return open(fs[0], newline="").read() if len(fs) == 1 else None


def delivered(r, name):
    rc, so, se = r
    return ok(rc == 0 and so.startswith("2.0.0 "), name, "exit %d, stdout %r, stderr %r" % (rc, so, se))


def delivery_lines(r):
    return [l for l in r[2].splitlines() if "event=delivery" in l]


def clear(user):
    for f in glob.glob(os.path.join(md(user), "new", "*")) + glob.glob(os.path.join(md(user), ".*", "new", "*")):
        os.unlink(f)


def setting(value):
    path = os.path.join(conf, "local-junk-folder")
    if value is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(value)


ok(os.path.isdir(md("alice", ".Junk/cur")), "posthorn-user made a Junk folder for alice")

# ---- unmarked mail stays in the INBOX ----
r = deliver("alice@example.org", message(HEAD))
delivered(r, "an unmarked message is delivered")
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "into the INBOX, not Junk")
ok(delivery_lines(r) and "junk=" not in delivery_lines(r)[0], "its log line says nothing of junk", r[2])
clear("alice")

# ---- a marked message goes into .Junk, header intact ----
r = deliver("alice@example.org", message(MARK + HEAD))
delivered(r, "a marked message is delivered")
is_((len(files("alice")), len(files("alice", ".Junk"))), (0, 1), "into .Junk/new, not the INBOX")
is_(content("alice", ".Junk"),
    "Return-Path: <s@example.net>\nDelivered-To: alice@example.org\n" + MARK + HEAD + "\nhello\n",
    "the stored message keeps the X-Posthorn-Junk field")
lines = delivery_lines(r)
ok(lines and "folder=Junk" in lines[0] and "junk=dmarc" in lines[0],
   "the delivery log line says folder=Junk and junk=dmarc", r[2])
clear("alice")

# ---- the mark only in the body does not count ----
r = deliver("alice@example.org", message(HEAD, body="quoted:\n" + MARK))
delivered(r, "X-Posthorn-Junk only in the body")
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "stays in the INBOX")
r = deliver("alice@example.org", message(HEAD, body=MARK))
is_((len(files("alice")), len(files("alice", ".Junk"))), (2, 0),
    "also as the first line after the empty line")
clear("alice")

# ---- how the field may be written ----
r = deliver("alice@example.org", message(HEAD + "x-posthorn-JUNK:\n\tdmarc\n p=quarantine example.com\n"))
delivered(r, "a folded field, name in another case")
is_(len(files("alice", ".Junk")), 1, "counts: into Junk")
ok(delivery_lines(r) and "junk=dmarc" in delivery_lines(r)[0], "the kind is read across the fold", r[2])
clear("alice")
crlf = message((MARK + HEAD).replace("\n", "\r\n"), body="line\r\n", name="crlf")
r = deliver("alice@example.org", crlf)
delivered(r, "a CRLF message with the mark")
is_(len(files("alice", ".Junk")), 1, "into Junk")
clear("alice")
r = deliver("alice@example.org", message("X-Posthorn-Junk:\n" + HEAD))
is_(len(files("alice", ".Junk")), 1, "an empty mark counts")
ok(delivery_lines(r) and "junk=yes" in delivery_lines(r)[0], "and is logged as junk=yes", r[2])
clear("alice")
# The obsolete form with white space before the colon is not taken for the
# mark, so posthorn-smtpd's removal need not know it.
deliver("alice@example.org", message("X-Posthorn-Junk : dmarc\n" + HEAD))
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "'X-Posthorn-Junk :' is no mark")
deliver("alice@example.org", message("X-Posthorn-Junked: dmarc\n" + HEAD))
is_((len(files("alice")), len(files("alice", ".Junk"))), (2, 0), "nor is a longer field name")
clear("alice")
# A line that is no header field ends what counts as header for the mark
# (a program that stops there would not have removed a forged one).
deliver("alice@example.org", message(HEAD + "not a field\n" + MARK))
is_((len(files("alice")), len(files("alice", ".Junk"))), (1, 0), "a mark after a line that is no field does not count")
deliver("alice@example.org", message(MARK + HEAD + "not a field\n"))
is_(len(files("alice", ".Junk")), 1, "one before it does")
clear("alice")
long_head = "X-Long: " + "y" * 5000 + "\n" + MARK + HEAD
deliver("alice@example.org", message(long_head))
is_(len(files("alice", ".Junk")), 1, "the mark after an over-long field counts")
clear("alice")

# ---- plus-addressing ----
make_folder("alice", ".Lists")
r = deliver("alice+lists@example.org", message(MARK + HEAD))
delivered(r, "a marked message to a plus-address")
is_((len(files("alice", ".Lists")), len(files("alice", ".Junk"))), (0, 1), "goes into Junk, not the tag's folder")
deliver("alice+lists@example.org", message(HEAD))
is_(len(files("alice", ".Lists")), 1, "an unmarked one still goes into the tag's folder")
clear("alice")

# ---- Junk made when missing ----
shutil.rmtree(md("bob", ".Junk"))
r = deliver("bob@example.org", message(MARK + HEAD))
delivered(r, "a marked message for a user without Junk")
junk = md("bob", ".Junk")
ok(all(os.path.isdir(os.path.join(junk, s)) for s in ("tmp", "new", "cur")), "Junk made with tmp/new/cur")
ok(os.path.isfile(os.path.join(junk, "maildirfolder")), "and the Maildir++ maildirfolder file")
is_(stat.S_IMODE(os.stat(junk).st_mode), stat.S_IMODE(os.stat(md("bob", ".Sent")).st_mode),
    "with the mode of the other folders")
if ROOT:
    is_(os.stat(junk).st_uid, NOBODY.pw_uid, "owned by the mail owner")
is_(len(files("bob", ".Junk")), 1, "the message is in it")
ok("event=folder" in r[2] and "result=created" in r[2], "the log says the folder was created", r[2])
r = deliver("bob@example.org", message(MARK + HEAD))
ok("result=created" not in r[2], "the second time it is only used", r[2])
is_(len(files("bob", ".Junk")), 2, "both are there")

# ---- what an IMAP client sees of a folder made this way ----
from imapd import Instance
inst = Instance(users=[("imapuser", "imapuser-pw")])
shutil.rmtree(inst.folder_dir("imapuser", "Junk"))
inst.deliver("imapuser", MARK + HEAD + "\nin junk\n")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
m = inst.login(port, "imapuser", "imapuser-pw")
typ, listed = m.list('""', "Junk")
ok(typ == "OK" and any(b"\\Junk" in l and (l.endswith(b" Junk") or l.endswith(b' "Junk"')) for l in listed),
   "IMAP LIST shows the folder posthorn-local made as \\Junk", listed)
typ, n = m.select("Junk")
is_((typ, n), ("OK", [b"1"]), "and SELECT finds the message in it")
m.logout()
ok(inst.clean(), "no sanitizer report in the imapd log", inst.log()[-2000:])

# ---- an existing folder in another case ----
shutil.rmtree(md("carol", ".Junk"))
make_folder("carol", ".junk")
r = deliver("carol@example.org", message(MARK + HEAD))
delivered(r, "a user whose folder is .junk")
is_(len(files("carol", ".junk")), 1, "gets it in .junk")
ok(not os.path.exists(md("carol", ".Junk")), "no second .Junk made")
ok(delivery_lines(r) and "folder=junk" in delivery_lines(r)[0], "the log names the real folder", r[2])

# ---- one copy each for an alias ----
clear("alice"), clear("bob")
delivered(deliver("both@example.org", message(MARK + HEAD)), "a marked message to an alias of two users")
is_((len(files("alice", ".Junk")), len(files("bob", ".Junk")), len(files("alice")), len(files("bob"))),
    (1, 1, 0, 0), "each copy in its user's Junk")
clear("alice"), clear("bob")

# ---- concurrent deliveries that all make the folder ----
shutil.rmtree(md("many", ".Junk"))
mpath = message(MARK + HEAD, name="many")
drv = "i=0; while [ $i -lt 10 ]; do \"$LOCAL\" -C \"$CONF\" s@example.net many@example.org < \"$M\" >/dev/null 2>&1 || echo fail $?; i=$((i+1)); done"
env = dict(os.environ, LOCAL=prog("local"), CONF=conf, M=mpath)
procs = [subprocess.Popen(["sh", "-c", drv], stdout=subprocess.PIPE, text=True, env=env) for _ in range(4)]
fails = "".join(p.communicate(timeout=300)[0] for p in procs)
is_(fails, "", "40 marked deliveries from 4 processes racing to make Junk all succeed")
is_(len(files("many", ".Junk")), 40, "and all 40 are in Junk")

# ---- posthorn-rules win ----
def rules(user, text):
    path = md(user, "posthorn-rules")
    with open(path, "w") as f:
        f.write(text)
    own(path)


rules("piper", "folder Sent\n")
r = deliver("piper@example.org", message(MARK + HEAD))
delivered(r, "a marked message for a user with a folder rule")
is_((len(files("piper", ".Sent")), len(files("piper", ".Junk")), len(files("piper"))), (1, 0, 0),
    "the rule's folder gets it, not Junk")
clear("piper")
rules("piper", "inbox\n")
deliver("piper@example.org", message(MARK + HEAD))
is_((len(files("piper")), len(files("piper", ".Junk"))), (1, 0), "an explicit inbox rule wins too")
clear("piper")
rules("piper", "|exit 99\n")
deliver("piper@example.org", message(MARK + HEAD))
is_(len(glob.glob(os.path.join(md("piper"), "*", "new", "*")) + glob.glob(os.path.join(md("piper"), ".*", "new", "*"))),
    0, "a discarding pipe rule wins: nothing stored")
inj = os.path.join(d, "injector")
with open(inj, "w") as f:
    f.write("#!/bin/sh\ncat > %s/fwd.msg\ncat <&1 >/dev/null\nexit 0\n" % out)
os.chmod(inj, 0o755)
rules("piper", "forward far@far.test\n")
r = deliver("piper@example.org", message(MARK + HEAD), env={"POSTHORN_QUEUE": inj})
delivered(r, "a marked message for a user with a forward rule")
fwd = os.path.join(out, "fwd.msg")
got = open(fwd).read() if os.path.exists(fwd) else ""
ok(got.startswith("Delivered-To: piper@example.org\n" + MARK), "the forwarded copy keeps the mark", got[:300])
is_(len(files("piper", ".Junk")) + len(files("piper")), 0, "and no local copy")
os.unlink(md("piper", "posthorn-rules"))

# ---- the setting local-junk-folder ----
for value, name in (("-\n", "'-'"), ("", "an empty file"), ("inbox\n", "INBOX")):
    setting(value)
    r = deliver("dave@example.org", message(MARK + HEAD))
    delivered(r, "local-junk-folder %s" % name)
    is_((len(files("dave")), len(files("dave", ".Junk"))), (1, 0), "keeps marked mail in the INBOX")
    ok(MARK in (content("dave") or ""), "with the mark in its header")
    ok(delivery_lines(r) and "folder=INBOX" in delivery_lines(r)[0] and "junk=dmarc" in delivery_lines(r)[0],
       "the log still says junk=dmarc", r[2])
    clear("dave")
setting("-\n")
make_folder("dave", ".Lists")
deliver("dave+lists@example.org", message(MARK + HEAD))
is_(len(files("dave", ".Lists")), 1, "with '-' a marked plus-address message goes to the tag's folder")
clear("dave")
setting("Spam/DMARC\n")
r = deliver("erin@example.org", message(MARK + HEAD))
delivered(r, "local-junk-folder Spam/DMARC")
is_(len(files("erin", ".Spam.DMARC")), 1, "the named folder is made and used")
ok(os.path.isfile(md("erin", ".Spam.DMARC/maildirfolder")), "as a Maildir++ folder")
is_(len(files("erin", ".Junk")), 0, "Junk stays empty")
for bad in ("../x\n", ".hidden\n", "a//b\n"):
    setting(bad)
    r = deliver("erin@example.org", message(MARK + HEAD))
    ok(r[0] == 111 and r[1].startswith("4.3.0 bad config local-junk-folder"),
       "an invalid local-junk-folder %r: 111, the message waits" % bad.strip(), r)
setting(None)
done()
