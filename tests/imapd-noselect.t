#!/usr/bin/env python3
# posthorn-imapd, DELETE of a folder with inferior names (RFC 3501 6.3.4)
# and what CREATE, RENAME, SELECT, STATUS and LIST do with the \Noselect
# name it leaves, with imaplib against a real server under tcpserver.
# On disk the \Noselect name is the folder's directory without cur/ (see
# posthorn-imapd(8), STORAGE).
import imaplib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")


def listing(m, pat="*"):
    """LIST "" pat as {name: set of attributes}."""
    typ, dat = m.list('""', pat)
    res = {}
    for l in dat:
        if not l:
            continue
        mo = re.match(r'\(([^)]*)\) "\." "?(.*?)"?$', l.decode())
        res[mo.group(2)] = set(mo.group(1).split())
    return res


def append(m, box, subject):
    msg = ("From: a@example.net\r\nSubject: %s\r\n\r\nbody\r\n" % subject).encode()
    return m.append(box, None, None, msg)[0]


def validity(m, box):
    typ, dat = m.status(box, "(UIDVALIDITY)")
    return int(re.search(rb"UIDVALIDITY (\d+)", dat[0]).group(1)) if typ == "OK" else None


m = inst.login(port)
other = inst.login(port)

# ---- DELETE of a folder with an inferior name ----
ok(m.create("a")[0] == "OK" and m.create("a.b")[0] == "OK", "CREATE a and a.b")
ok(append(m, "a", "one") == "OK" and append(m, "a", "two") == "OK" and append(m, "a.b", "kept") == "OK",
   "two messages in a, one in a.b")
ok(other.select("a")[0] == "OK", "another session has a selected")
typ, dat = m.delete("a")
ok(typ == "OK", "DELETE of a folder with an inferior name: OK", dat)
lst = listing(m)
ok("a" in lst and "\\Noselect" in lst["a"] and "\\HasChildren" in lst["a"],
   "LIST: a stays, \\Noselect \\HasChildren", lst)
ok("a.b" in lst and "\\Noselect" not in lst["a.b"] and "\\HasNoChildren" in lst["a.b"],
   "LIST: a.b selectable, \\HasNoChildren", lst)
ok(listing(m, "%").get("a") == {"\\Noselect", "\\HasChildren"}, "LIST %: a as \\Noselect \\HasChildren")
ok(os.path.isdir(os.path.join(md, ".a")) and not os.path.exists(os.path.join(md, ".a", "cur"))
   and not os.path.exists(os.path.join(md, ".a", "new")), "on disk: .a without cur/ and new/, the messages gone")
ok(os.path.isdir(os.path.join(md, ".a.b", "cur")), "on disk: .a.b kept")
typ, dat = m.select("a")
ok(typ == "NO", "SELECT of the \\Noselect name: NO", dat)
ok(m.select("a", readonly=True)[0] == "NO", "EXAMINE of it: NO")
ok(m.status("a", "(MESSAGES)")[0] == "NO", "STATUS of it: NO")
ok(m.select("a.b")[0] == "OK" and m.search(None, "ALL")[1] == [b"1"], "a.b still holds its message")
try:
    typ, dat = other.noop()
    gone = False
except imaplib.IMAP4.abort as e:
    gone = "UNAVAILABLE" in str(e)
ok(gone, "the session that had a selected is told it is gone (BYE [UNAVAILABLE])")
typ, dat = m.delete("a")
ok(typ == "NO" and "Noselect" in dat[0].decode(), "DELETE of a \\Noselect name with inferiors: NO", dat)
ok(listing(m).get("a") == {"\\Noselect", "\\HasChildren"}, "the refused DELETE changed nothing")

# ---- CREATE and RENAME under the \Noselect name ----
ok(m.create("a.c")[0] == "OK", "CREATE a.c under the \\Noselect a")
ok(m.create("x")[0] == "OK" and append(m, "x", "moved") == "OK", "CREATE x with a message")
ok(m.rename("x", "a.x")[0] == "OK", "RENAME x a.x, under the \\Noselect a")
lst = listing(m)
ok(all(n in lst and "\\Noselect" not in lst[n] for n in ("a.b", "a.c", "a.x")) and "x" not in lst
   and "\\Noselect" in lst["a"], "LIST: a.b, a.c, a.x under the \\Noselect a", lst)
ok(m.select("a.x")[0] == "OK" and len(m.search(None, "ALL")[1][0].split()) == 1, "a.x holds the moved message")
ok(m.create("y")[0] == "OK", "CREATE y")
typ, dat = m.rename("y", "a")
ok(typ == "NO" and "ALREADYEXISTS" in dat[0].decode(), "RENAME onto the \\Noselect name: NO [ALREADYEXISTS]", dat)
typ, dat = m.rename("a", "z")
ok(typ == "OK", "RENAME of the \\Noselect name", dat)
lst = listing(m)
ok("a" not in lst and lst.get("z") == {"\\Noselect", "\\HasChildren"} and
   all(n in lst for n in ("z.b", "z.c", "z.x")), "its inferiors moved along, z is \\Noselect", lst)
ok(m.rename("z", "z.in")[0] == "NO", "RENAME under itself: NO")
ok(m.rename("z", "a")[0] == "OK", "RENAME it back")

# ---- once the inferiors are gone, DELETE removes the name ----
for n in ("a.b", "a.c", "a.x"):
    ok(m.delete(n)[0] == "OK", "DELETE " + n)
lst = listing(m)
ok(lst.get("a") == {"\\Noselect", "\\HasNoChildren"}, "LIST: a, \\Noselect and now \\HasNoChildren", lst)
typ, dat = m.delete("a")
ok(typ == "OK", "DELETE of the \\Noselect name without inferiors: OK", dat)
ok("a" not in listing(m) and not os.path.exists(os.path.join(md, ".a")), "the name is gone, on disk too")
typ, dat = m.delete("a")
ok(typ == "NO" and "NONEXISTENT" in dat[0].decode(), "DELETE again: NO [NONEXISTENT]", dat)

# ---- CREATE of a \Noselect name makes it a folder again ----
ok(m.create("p")[0] == "OK" and m.create("p.q")[0] == "OK" and append(m, "p", "old") == "OK", "CREATE p, p.q")
ok(m.select("p")[0] == "OK", "SELECT p")
v1 = validity(m, "p")
ok(m.delete("p")[0] == "OK", "DELETE p (selected) with its inferior p.q")
ok(m.noop()[0] == "OK", "the session goes on")
ok(listing(m).get("p") == {"\\Noselect", "\\HasChildren"}, "p is \\Noselect")
typ, dat = m.create("p")
ok(typ == "OK", "CREATE of the \\Noselect name: OK", dat)
lst = listing(m)
ok(lst.get("p") == {"\\HasChildren"}, "p selectable again, \\HasChildren", lst)
typ, dat = m.select("p")
ok(typ == "OK" and dat == [b"0"], "SELECT p: empty", dat)
v2 = validity(m, "p")
ok(v1 is not None and v2 is not None and v2 > v1, "a new UIDVALIDITY (%s, then %s)" % (v1, v2))
m.close()

# ---- a \Noselect name implied by its inferior (no directory of its own) ----
ok(m.create("m.n")[0] == "OK", "CREATE m.n without m")
ok(listing(m).get("m") == {"\\Noselect", "\\HasChildren"}, "m implied: \\Noselect \\HasChildren")
ok(m.delete("m")[0] == "NO", "DELETE of the implied name: NO (inferiors)")
ok(m.rename("m", "k")[0] == "OK" and listing(m).get("k.n") is not None and "m.n" not in listing(m),
   "RENAME of the implied name moves its inferiors")
ok(m.delete("k.n")[0] == "OK" and "k" not in listing(m), "DELETE k.n: the implied k goes with it")
ok(m.delete("k")[0] == "NO", "DELETE k: NO")

# ---- RENAME whose inferior's new name would pass 255 bytes: nothing moves ----
deep = "r." + "d" * 250
ok(m.create(deep)[0] == "OK", "CREATE r.<250 bytes>: 252 bytes in all")
typ, dat = m.rename("r", "longer")
ok(typ == "NO" and b"[LIMIT]" in dat[0], "RENAME r longer: NO [LIMIT] (r.<250> would be 257 bytes)", dat)
lst = listing(m)
ok(deep in lst and "r" in lst and not any(n.startswith("longer") for n in lst), "nothing moved", lst)
ok(m.rename("r", "s")[0] == "OK" and ("s." + "d" * 250) in listing(m), "RENAME r s (a name of the same length): OK")

# ---- a folder without inferiors still goes altogether; INBOX stays ----
ok(m.create("solo")[0] == "OK" and m.delete("solo")[0] == "OK" and "solo" not in listing(m)
   and not os.path.exists(os.path.join(md, ".solo")), "DELETE of a leaf folder removes it")
ok(m.delete("INBOX")[0] == "NO", "DELETE INBOX: NO")
m.logout()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
