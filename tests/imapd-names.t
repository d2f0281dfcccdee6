#!/usr/bin/env python3
# Mailbox names in posthorn-imapd (RFC 3501 5.1.3): a name that is not
# modified UTF-7 (raw 8-bit bytes, BASE64 for plain ASCII, broken shifts)
# is refused by every command that takes a name, and nothing of it reaches
# the disk; a valid one becomes a Maildir++ folder of the same name
# (".&ZeVnLIqe-", as Dovecot and Courier keep them) and LIST shows it.
# LIST patterns may be anything.  LSUB with '%' shows an unsubscribed
# parent as \Noselect (RFC 3501 6.3.9); two sessions that subscribe at
# once both count.  UIDVALIDITY (RFC 3501 2.3.1.1): a folder deleted and
# made again, or renamed, gets a larger one, also within the same second.
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
inst.deliver("alice", "Subject: one\n\nbody\n")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")


def session():
    r = Raw(port)
    out = r.cmd("LOGIN alice@example.org alice-pw")
    assert out[-1].startswith("t OK"), out
    return r


def dirs():
    """The folder directories of the Maildir, as bytes."""
    m = md.encode()
    return sorted(d for d in os.listdir(m) if d.startswith(b".") and d not in (b".", b"..") and
                  os.path.isdir(os.path.join(m, d)))


def status(line):
    return line.split(" ", 2)[1] if line and " " in line else ""


def tagged(out):
    return out[-1] if out else ""


def unquote(s):
    """An IMAP astring from a LIST/LSUB line: quoted or atom."""
    s = s.strip()
    if s.startswith('"'):
        return re.sub(r'\\(.)', r'\1', s[1:-1])
    return s


def listed(out, verb="LIST"):
    """(attributes, name) of each LIST or LSUB line."""
    res = []
    for l in out:
        m = re.match(r'\* %s \(([^)]*)\) "\." (.*)\r\n$' % verb, l)
        if m:
            res.append((m.group(1), unquote(m.group(2))))
    return res


a = session()

# ---- invalid names are refused, and nothing reaches the disk ----
before = dirs()
bad = [
    (b'"Entw\xc3\xbcrfe"', "raw UTF-8 bytes"),
    (b'"caf\xe9"', "a Latin-1 byte"),
    (b'{9+}\r\nEntw\xc3\xbcrfe', "raw UTF-8 in a literal"),
    (b'{3+}\r\na\x00b', "a NUL in a literal"),
    (b'"&AGE-"', "BASE64 for plain ASCII ('a')"),
    (b'"&AC4-x"', "BASE64 for the delimiter"),
    (b'"&AOQ"', "a shift without its '-'"),
    (b'"a&b"', "a lone '&'"),
    (b'"&AOR-"', "padding bits set"),
    (b'"&2D0-"', "a lone surrogate"),
    (b'"&AOQ-&AOQ-"', "two shifts in a row"),
    (b'"&AO/-"', "'/' inside a shift"),
    (b'"&AAA-"', "an encoded NUL"),
    (b'"a\x7fb"', "DEL"),
]
for name, why in bad:
    out = a.cmd(b"c CREATE " + name + b"\r\n", tag="c")
    ok(status(tagged(out)) in ("NO", "BAD"), "CREATE refuses %s" % why, out)
    ok("invalid mailbox name" in tagged(out) or status(tagged(out)) == "BAD", "  with a clear reason", out)
is_(dirs(), before, "no folder was made on disk")
out = a.cmd(b'c CREATE "Entw\xc3\xbcrfe.sub"\r\n', tag="c")
ok(status(tagged(out)) in ("NO", "BAD") and dirs() == before, "nor for a child of a raw 8-bit name", out)
alive(a, "the refused names")

# ---- a valid name: the folder of that name on disk, and LIST shows it ----
out = a.cmd('CREATE "&ZeVnLIqe-"')
ok(tagged(out).startswith("t OK"), "CREATE &ZeVnLIqe- (Japanese, RFC 3501's example)", out)
d = os.path.join(md, ".&ZeVnLIqe-")
ok(all(os.path.isdir(os.path.join(d, s)) for s in ("cur", "new", "tmp")), "its Maildir++ folder is .&ZeVnLIqe-",
   dirs())
out = a.cmd('CREATE "&ZeVnLIqe-.&U,BTFw-"')
ok(tagged(out).startswith("t OK") and os.path.isdir(os.path.join(md, ".&ZeVnLIqe-.&U,BTFw-", "cur")),
   "a child &U,BTFw- under it: .&ZeVnLIqe-.&U,BTFw-", out)
out = a.cmd('CREATE "Tom &- Jerry"')
ok(tagged(out).startswith("t OK") and os.path.isdir(os.path.join(md, ".Tom &- Jerry")), "'&' as &-", out)
out = a.cmd('CREATE "Entw&APw-rfe"')
ok(tagged(out).startswith("t OK"), "CREATE Entw&APw-rfe", out)
out = a.cmd('LIST "" "*"')
names = [n for _, n in listed(out)]
for n in ("&ZeVnLIqe-", "&ZeVnLIqe-.&U,BTFw-", "Tom &- Jerry", "Entw&APw-rfe"):
    ok(n in names, "LIST shows %s" % n, out)
ok(("\\HasChildren", "&ZeVnLIqe-") in listed(out), "with \\HasChildren for the parent", out)
out = a.cmd('LIST "" "&ZeVnLIqe-.%"')
is_(listed(out), [("\\HasNoChildren", "&ZeVnLIqe-.&U,BTFw-")], "LIST with a pattern under it")
out = a.cmd('SELECT "&ZeVnLIqe-"')
ok(tagged(out).startswith("t OK") and "* 0 EXISTS\r\n" in out, "SELECT it", out)
a.send(b"t APPEND \"&ZeVnLIqe-\" {14+}\r\nSubject: x\r\n\r\n\r\n")
out = a.until("t")
ok(tagged(out).startswith("t OK"), "APPEND to it", out)
out = a.cmd('STATUS "&ZeVnLIqe-" (MESSAGES)')
ok('* STATUS "&ZeVnLIqe-" (MESSAGES 1)\r\n' in out, "STATUS counts the message", out)

# ---- a directory another program made with a name we would refuse ----
rawdir = os.path.join(md.encode(), b".raw\xfc")
os.mkdir(rawdir)
for s in (b"cur", b"new", b"tmp"):
    os.mkdir(os.path.join(rawdir, s))
    inst.own(os.path.join(rawdir, s))
inst.own(rawdir)
out = a.cmd('LIST "" "*"')
ok(tagged(out).startswith("t OK") and not any("raw" in l for l in out), "a folder with an 8-bit name is not listed",
   out)

# ---- every command that takes a name refuses an invalid one ----
a.cmd("SELECT INBOX")
raw = b'"Entw\xfcrfe"'
for cmd in (b"SELECT " + raw, b"EXAMINE " + raw, b"STATUS " + raw + b" (MESSAGES)", b"SUBSCRIBE " + raw,
            b"UNSUBSCRIBE " + raw, b"DELETE " + raw, b"RENAME " + raw + b" x", b"RENAME INBOX " + raw,
            b'RENAME "&ZeVnLIqe-" ' + raw, b"COPY 1 " + raw, b"MOVE 1 " + raw, b"UID COPY 1:* " + raw,
            b'SELECT "&AGE-"', b'STATUS "&AOQ" (MESSAGES)', b'CREATE "' + b"a" * 300 + b'"',
            b'SELECT "' + b"a" * 300 + b'"', b"APPEND " + raw + b" {14+}\r\nSubject: x\r\n\r\n"):
    out = a.cmd(b"x " + cmd + b"\r\n", tag="x")
    ok(status(tagged(out)) in ("NO", "BAD"), "refused: %s" % cmd[:40].decode("latin-1").split("\r")[0], out)
    if cmd.split()[0] in (b"COPY", b"MOVE", b"UID", b"APPEND"):
        ok("TRYCREATE" not in tagged(out), "  and no TRYCREATE: a CREATE would not help", out)
    if cmd.startswith(b"SELECT") or cmd.startswith(b"EXAMINE"):
        a.cmd("SELECT INBOX")
is_(dirs(), sorted(before + [b".&ZeVnLIqe-", b".&ZeVnLIqe-.&U,BTFw-", b".Tom &- Jerry", b".Entw&APw-rfe", b".raw\xfc"]),
    "the folders on disk are the valid ones (and the other program's)")
ok(len(inst.files("alice")) == 1, "INBOX still has its message (nothing copied or moved)")
out = a.cmd('SELECT "!#$&\'+,-.0123456789:;<=>?@^_`|}"')
is_(status(tagged(out)), "NO", "SELECT of RFC 3501 atom characters (an invalid name): NO, not BAD")
alive(a, "the refused commands")

# ---- LIST patterns may be anything ----
for pat in (b'"\xff\xfe*"', b'"*\x80%"', b'"&"', b'"&AOQ"', b'"%&-*"', b'"' + b"*a" * 200 + b'b"',
            b'"' + b"%*" * 250 + b'"', b'"' + b"*" * 300 + b'"'):
    t0 = time.monotonic()
    out = a.cmd(b'l LIST "" ' + pat + b"\r\n", tag="l")
    ok(status(tagged(out)) in ("OK", "BAD"), "LIST pattern %r answered" % pat[:20], out[-1:])
    ok(time.monotonic() - t0 < 5, "  at once (no backtracking blow-up)")
a.cmd("CREATE " + "a" * 60)
t0 = time.monotonic()
out = a.cmd('LIST "" "' + "*a" * 30 + 'b"')
ok(tagged(out).startswith("t OK") and not listed(out) and time.monotonic() - t0 < 5,
   "a folder of 60 a's against *a*a...*ab (30 stars): no match, at once (backtracking takes ages)", out)
a.cmd("DELETE " + "a" * 60)
out = a.cmd('LIST "" "' + "*" * 250 + '"')
ok(("\\HasChildren", "&ZeVnLIqe-") in listed(out), "a pattern of 250 stars matches like one", out[-3:])
out = a.cmd(b'l LSUB "" "\xff*%"\r\n', tag="l")
ok(tagged(out).startswith("l OK"), "LSUB with 8-bit bytes in the pattern", out)
alive(a, "the patterns")

# ---- LSUB: an unsubscribed parent under '%' is \Noselect ----
a.cmd("CREATE a.b.c")
out = a.cmd("SUBSCRIBE a.b.c")
ok(tagged(out).startswith("t OK"), "SUBSCRIBE a.b.c", out)
out = a.cmd('LSUB "" "a.%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a.b")], 'LSUB "" "a.%": a.b \\Noselect (RFC 3501 6.3.9)')
out = a.cmd('LSUB "" "%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a")], 'LSUB "" "%": a \\Noselect')
out = a.cmd('LSUB "" "*"')
is_(listed(out, "LSUB"), [("", "a.b.c")], 'LSUB "" "*": only the subscribed name')
out = a.cmd('LSUB "" "a.b"')
is_(listed(out, "LSUB"), [], 'LSUB "" "a.b": no wildcard, nothing')
out = a.cmd('LSUB "a." "%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a.b")], 'LSUB "a." "%": the reference counts too')
a.cmd("SUBSCRIBE a.b.d")
out = a.cmd('LSUB "" "a.%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a.b")], "two subscribed children: the parent once")
a.cmd("CREATE a.b")
out = a.cmd('LSUB "" "a.%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a.b")], "a.b a folder but not subscribed: still \\Noselect")
a.cmd("SUBSCRIBE a.b")
out = a.cmd('LSUB "" "a.%"')
is_(listed(out, "LSUB"), [("", "a.b")], "once a.b is subscribed itself: a plain LSUB line")
a.cmd("UNSUBSCRIBE a.b")
a.cmd("UNSUBSCRIBE a.b.d")
out = a.cmd('LSUB "" "a.%"')
is_(listed(out, "LSUB"), [("\\Noselect", "a.b")], "after UNSUBSCRIBE a.b: \\Noselect again")
a.cmd('SUBSCRIBE "&ZeVnLIqe-.&U,BTFw-"')
out = a.cmd('LSUB "" "%"')
ok(("\\Noselect", "&ZeVnLIqe-") in listed(out, "LSUB"), "a modified UTF-7 parent too", out)
with open(os.path.join(md, "posthorn-subscriptions"), "ab") as f:
    f.write(b"junk\xff\n\n&AGE-\nnolf")
out = a.cmd('LSUB "" "*"')
ok(tagged(out).startswith("t OK") and not any("junk" in l or "&AGE-" in l for l in out) and
   ("\\Noselect", "nolf") in listed(out, "LSUB"),
   "invalid lines in the subscriptions file are skipped; a last line without LF is read", out)

# ---- two sessions that subscribe at once both count ----
b = session()
N = 60
results = {}


def subscribe_many(r, prefix):
    r.send(b"".join(b"s%d SUBSCRIBE %s%d\r\n" % (i, prefix, i) for i in range(N)))
    got = 0
    lines = []
    while got < N:
        l = r.line()
        if not l:
            break
        lines.append(l)
        if l.startswith("s"):
            got += 1
    results[prefix] = [l for l in lines if l.startswith("s")]


ta = threading.Thread(target=subscribe_many, args=(a, b"pa"))
tb = threading.Thread(target=subscribe_many, args=(b, b"pb"))
ta.start()
tb.start()
ta.join(60)
tb.join(60)
ok(all(l.split()[1] == "OK" for l in results.get(b"pa", []) + results.get(b"pb", [])) and
   len(results.get(b"pa", [])) == N and len(results.get(b"pb", [])) == N, "%d SUBSCRIBEs in each of two sessions" % N)
out = a.cmd('LSUB "" "p*"')
got = sorted(n for _, n in listed(out, "LSUB"))
is_(len(got), 2 * N, "LSUB shows all %d: none lost to the other session" % (2 * N))

# ---- UIDVALIDITY: DELETE + CREATE, and RENAME, give a larger one ----
def validity(r, name):
    out = r.cmd('STATUS "%s" (UIDVALIDITY)' % name)
    m = re.search(r"UIDVALIDITY (\d+)", "".join(out))
    return int(m.group(1)) if m else None


def select_validity(r, name):
    out = r.cmd('SELECT "%s"' % name)
    m = re.search(r"\[UIDVALIDITY (\d+)\]", "".join(out))
    return int(m.group(1)) if m else None


a.cmd("CREATE Again")
seen = [validity(a, "Again")]
t0 = time.time()
for i in range(3):
    a.cmd("DELETE Again")
    a.cmd("CREATE Again")
    seen.append(validity(a, "Again"))
note("UIDVALIDITY after DELETE+CREATE: %s within %.2fs" % (seen, time.time() - t0))
ok(None not in seen and all(y > x for x, y in zip(seen, seen[1:])),
   "DELETE + CREATE: each UIDVALIDITY larger than the last, also within one second", seen)
v = select_validity(a, "Again")
is_(v, seen[-1], "SELECT shows the same UIDVALIDITY as STATUS")
a.cmd("DELETE Again")
a.cmd("CREATE Again")
ok(select_validity(a, "Again") > v, "DELETE of the selected folder, CREATE, SELECT: larger")

a.cmd("CREATE Old")
a.cmd("CREATE Old.kid")
a.send(b"t APPEND Old.kid {14+}\r\nSubject: k\r\n\r\n\r\n")
out = a.until("t")
m = re.search(r"APPENDUID (\d+) (\d+)", out[-1])
old = validity(a, "Old")
oldkid = validity(a, "Old.kid")
ok(m and int(m.group(1)) == oldkid, "APPENDUID names the child's UIDVALIDITY", out)
out = a.cmd("RENAME Old New")
ok(tagged(out).startswith("t OK"), "RENAME Old New", out)
new, newkid = validity(a, "New"), validity(a, "New.kid")
ok(new and new > max(old, oldkid), "the renamed folder: a larger UIDVALIDITY (%s -> %s)" % (old, new))
ok(newkid and newkid > new, "its child: a larger one too (%s -> %s)" % (oldkid, newkid))
out = a.cmd("SELECT New.kid")
ok("* 1 EXISTS\r\n" in out, "the child kept its message", out)
out = a.cmd("UID FETCH 1:* (UID)")
ok(any("UID %s)" % m.group(2) in l for l in out), "and its UID", out)
a.cmd("CREATE Old")
ok(validity(a, "Old") > newkid, "CREATE of the old name: larger than all before")
a.cmd("CREATE Fresh")
a.cmd("RENAME Fresh Fresher")
ok(validity(a, "Fresher") > validity(a, "Old"), "a folder renamed before its first use: a fresh one at first use")
rec = open(os.path.join(md, "posthorn-uidvalidity")).read()
ok(re.fullmatch(r"\d{10}\n", rec) and int(rec) == validity(a, "Fresher"),
   "the Maildir's record holds the last UIDVALIDITY given out", rec)

# two sessions making and removing folders at once: no UIDVALIDITY twice
vals = {}


def churn(r, name):
    mine = []
    for i in range(8):
        r.cmd('DELETE "%s"' % name)
        r.cmd('CREATE "%s"' % name)
        mine.append(validity(r, name))
    vals[name] = mine


ta = threading.Thread(target=churn, args=(a, "ChurnA"))
tb = threading.Thread(target=churn, args=(b, "ChurnB"))
ta.start()
tb.start()
ta.join(60)
tb.join(60)
allv = vals.get("ChurnA", []) + vals.get("ChurnB", [])
ok(len(allv) == 16 and None not in allv and len(set(allv)) == 16 and
   all(sorted(v) == v for v in vals.values()), "two sessions churning folders: 16 different UIDVALIDITYs", vals)

a.cmd("LOGOUT")
b.cmd("LOGOUT")
ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
