#!/usr/bin/env python3
# posthorn-user's sender lists (posthorn-senders(5)) end to end: the real
# binary on a throw-away config dir.  allow, block, unlist and senders on a
# user's and a domain's list; the file they write (format, mode, no temp
# files left); refusals (bad patterns, unknown or alias owners, a broken
# file) that change nothing; concurrent edits that lose nothing; del taking
# the list along.
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done, prog, run, tempdir

USER = prog("user")
conf = tempdir()
senders = os.path.join(conf, "senders")
with open(os.path.join(conf, "mailroot"), "w") as f:
    f.write(os.path.join(conf, "mail") + "\n")
if os.geteuid() == 0:
    with open(os.path.join(conf, "mailowner"), "w") as f:
        f.write("nobody\n")


def pu(*args):
    return run([USER, "-C", conf] + list(args))


def fatal(r, code, words, name):
    rc, out, err = r
    ok(rc == code and err.startswith("posthorn-user: fatal: ") and err.count("\n") == 1 and words in err,
       name, "rc=%d stderr=%r" % (rc, err))


def text(name):
    try:
        with open(os.path.join(senders, name)) as f:
            return f.read()
    except FileNotFoundError:
        return None


is_(pu("add", "alice@example.org", "--no-password")[0], 0, "add alice")
is_(pu("add", "bob@example.org", "--no-password")[0], 0, "add bob")
is_(pu("alias", "add", "info@example.org", "alice@example.org")[0], 0, "add an alias")

# ---- allow, block, senders ----
rc, out, err = pu("senders", "alice@example.org")
is_((rc, out, err), (0, "", ""), "senders of a user without a list: nothing")
ok(not os.path.exists(senders), "showing makes no directory")

rc, out, err = pu("allow", "Alice@Example.ORG", "Friend@Partner.Example", ".lists.example")
is_((rc, err), (0, ""), "allow two patterns")
is_(out, "alice@example.org: allow friend@partner.example\nalice@example.org: allow .lists.example\n",
    "allow says what it did, lower-cased")
is_(text("alice@example.org"), "allow friend@partner.example\nallow .lists.example\n", "the file holds them")
is_(stat.S_IMODE(os.stat(senders).st_mode), 0o700, "the directory is mode 0700")
is_(stat.S_IMODE(os.stat(os.path.join(senders, "alice@example.org")).st_mode), 0o600, "the file is mode 0600")

rc, out, err = pu("block", "alice@example.org", "friend@partner.example", "spam.example")
is_(rc, 0, "block turns an allowed address round and adds a domain")
is_(out, "alice@example.org: block friend@partner.example (was the opposite)\n"
         "alice@example.org: block spam.example\n", "  and says so")
rc, out, err = pu("block", "alice@example.org", "spam.example")
is_((rc, out), (0, "alice@example.org: block spam.example (already)\n"), "blocking twice says already")
rc, out, err = pu("senders", "alice@example.org")
is_((rc, out), (0, "allow .lists.example\nblock friend@partner.example\nblock spam.example\n"),
    "senders shows the list in the file's format, one entry a pattern")

rc, out, err = pu("block", "@Example.org", ".bulk.example")
is_((rc, out), (0, "@example.org: block .bulk.example\n"), "a domain's list")
is_(text("@example.org"), "block .bulk.example\n", "  in its own file")
is_(pu("senders", "@example.org")[1], "block .bulk.example\n", "  shown")
is_(pu("senders", "bob@example.org")[1], "", "bob's list is his own")

# a plus address gets an encoded file name
is_(pu("add", "c+d@example.org", "--no-password")[0], 0, "add a user with '+'")
is_(pu("allow", "c+d@example.org", "x.example")[0], 0, "  allow for it")
is_(text("c%2bd@example.org"), "allow x.example\n", "  its file name is encoded")

# ---- refusals change nothing ----
before = text("alice@example.org")
fatal(pu("allow", "alice@example.org", "ok.example", "*.bad.example"), 1, ".example.com", "a wildcard is refused")
fatal(pu("allow", "alice@example.org", "@bad.example"), 1, "without the '@'", "an @domain pattern is refused")
fatal(pu("allow", "alice@example.org", "a@[127.0.0.1]"), 1, "literal", "an address literal is refused")
fatal(pu("allow", "alice@example.org", "bad..example"), 1, "bad pattern", "a bad domain is refused")
fatal(pu("allow", "alice@example.org", "a b@x.example"), 1, "bad pattern", "white space is refused")
fatal(pu("allow", "alice@example.org", "\"a b\"@x.example"), 1, "white space", "  even quoted")
fatal(pu("allow", "alice@example.org", "x" * 300 + ".example"), 1, "too long", "a long pattern is refused")
fatal(pu("allow", "alice@example.org", "bad\x01.example"), 1, "bad pattern bad?.example",
      "a control byte is refused and not echoed")
fatal(pu("allow", "nobody@example.org", "x.example"), 1, "no such user", "an unknown user")
fatal(pu("allow", "info@example.org", "x.example"), 1, "is an alias", "an alias")
fatal(pu("allow", "@nowhere.example", "x.example"), 1, "no such domain", "an unknown domain")
fatal(pu("allow", "example.org", "x.example"), 1, "@example.org", "a domain without '@' gets a hint")
fatal(pu("senders", "nobody@example.org"), 1, "no such user", "senders of an unknown user")
fatal(pu("unlist", "alice@example.org", "spam.example", "not.there.example"), 1, "is not in the list",
      "unlisting a pattern that is not there")
is_(text("alice@example.org"), before, "the refusals left the list as it was")
is_(pu("allow", "alice@example.org")[0], 64, "allow without a pattern is a usage error")
is_(pu("senders")[0], 64, "senders without an owner is a usage error")

# ---- unlist ----
rc, out, err = pu("unlist", "alice@example.org", "Friend@partner.example", ".lists.example")
is_((rc, out), (0, "alice@example.org: unlisted friend@partner.example\nalice@example.org: unlisted .lists.example\n"),
    "unlist two patterns")
is_(text("alice@example.org"), "block spam.example\n", "  the rest stays")
is_(pu("unlist", "alice@example.org", "spam.example")[0], 0, "unlist the last one")
is_(text("alice@example.org"), None, "  an empty list has no file")
ok(not [n for n in os.listdir(senders) if ".tmp." in n], "no temporary files are left")

# ---- a broken file: refused, not rewritten ----
with open(os.path.join(senders, "bob@example.org"), "w") as f:
    f.write("allow a.example\nallow *.b.example\n")
fatal(pu("senders", "bob@example.org"), 111, "line 2", "senders names the line of a broken file")
fatal(pu("block", "bob@example.org", "c.example"), 111, "fix the file by hand", "an edit of a broken file is refused")
is_(text("bob@example.org"), "allow a.example\nallow *.b.example\n", "  and leaves it alone")
os.unlink(os.path.join(senders, "bob@example.org"))

# hand-written files: comments, case, CRLF are read; the rewrite is canonical
with open(os.path.join(senders, "bob@example.org"), "w") as f:
    f.write("# bob's\r\nALLOW  A@B.example   # a friend\r\n\r\n")
is_(pu("senders", "bob@example.org")[1], "allow a@b.example\n", "a hand-written file is read")
is_(pu("block", "bob@example.org", "c.example")[0], 0, "  and edited")
is_(text("bob@example.org"), "allow a@b.example\nblock c.example\n", "  into the canonical form")

# ---- bounds ----
with open(os.path.join(senders, "bob@example.org"), "w") as f:
    f.write("".join("block d%d.example\n" % i for i in range(1000)))
fatal(pu("block", "bob@example.org", "one-more.example"), 1, "full", "a full list refuses another entry")
is_(pu("block", "bob@example.org", "d5.example")[0], 0, "  but takes one it holds")
os.unlink(os.path.join(senders, "bob@example.org"))

# ---- concurrent edits lose nothing (the users.cdb lock) ----
procs = [subprocess.Popen([USER, "-C", conf, "block", "bob@example.org", "p%d.example" % i],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(12)]
codes = [p.wait(timeout=60) for p in procs]
for p in procs:
    p.stderr.close()
is_(codes, [0] * 12, "12 concurrent blocks succeed")
is_(sorted(text("bob@example.org").splitlines()), sorted("block p%d.example" % i for i in range(12)),
    "  and every one is in the list")

# ---- del takes the list along ----
rc, out, err = pu("del", "bob@example.org")
ok(rc == 0 and "removed the sender list of bob@example.org" in out, "del of a user removes its list", out + err)
is_(text("bob@example.org"), None, "  the file is gone")
is_(pu("add", "bob@example.org", "--no-password")[0], 0, "a new bob")
is_(pu("senders", "bob@example.org")[1], "", "  starts with no list")
for u in ("alice", "bob", "c+d"):
    pu("del", u + "@example.org")
pu("alias", "del", "info@example.org")
rc, out, err = pu("domain", "del", "example.org")
ok(rc == 0 and "removed the sender list of @example.org" in out, "domain del removes the domain's list", out + err)
is_(text("@example.org"), None, "  the file is gone")

done()
