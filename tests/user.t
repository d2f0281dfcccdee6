#!/usr/bin/env python3
# posthorn-user end to end: the real binary on a throw-away config dir.
# Adds, shows, lists, changes and removes users, aliases, catch-alls and
# domains; checks that refused changes leave users.cdb byte for byte as it
# was, that the Maildir appears with its folders, that import/export round
# trip, that concurrent writers lose nothing and that a damaged users.cdb is
# reported, not crashed on.
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, run, tempdir

USER = prog("user")
conf = tempdir()
mailroot = os.path.join(conf, "mail")
cdb = os.path.join(conf, "users.cdb")
ROOT = os.geteuid() == 0

with open(os.path.join(conf, "mailroot"), "w") as f:
    f.write(mailroot + "\n")
if ROOT:
    with open(os.path.join(conf, "mailowner"), "w") as f:
        f.write("nobody\n")


def pu(*args, input=None):
    return run([USER, "-C", conf] + list(args), input=input)


def cdb_bytes():
    with open(cdb, "rb") as f:
        return f.read()


def export():
    rc, out, err = pu("export")
    return out if rc == 0 else "export failed: %d %s" % (rc, err)


def hash_of(address):
    for line in export().splitlines():
        f = line.split()
        if f[:2] == ["user", address]:
            for field in f[2:]:
                if field.startswith("hash="):
                    return field[5:]
            return ""
    return None


def fatal(rc, err, code, name):
    """A refusal: the exit code, and one 'posthorn-user: fatal:' line."""
    ok(rc == code and err.startswith("posthorn-user: fatal: ") and err.count("\n") == 1,
       name, "rc=%d stderr=%r" % (rc, err))


# ---- add, show, list ----
rc, out, err = pu("add", "Alice@Example.ORG", "--password-stdin", input=b"correct horse\n")
is_((rc, err), (0, ""), "add alice with --password-stdin")
ok("added domain example.org" in out, "add says it added the domain", out)
ok("added user alice@example.org" in out, "add says it added alice (lower-cased)", out)
h1 = hash_of("alice@example.org")
ok(h1 and h1.startswith("$y$"), "alice's hash is yescrypt", h1)

rc, out, err = pu("show", "alice@example.org")
is_(rc, 0, "show alice")
ok("password: set" in out, "show says the password is set", out)
ok("$y$" not in out and h1 not in out, "show does not print the hash", out)
ok("maildir: %s/example.org/alice" % mailroot in out, "show gives the default Maildir path", out)

md = os.path.join(mailroot, "example.org", "alice")
for d in ("", "tmp", "new", "cur", ".Sent", ".Drafts", ".Trash", ".Junk",
          ".Sent/cur", ".Drafts/new", ".Trash/tmp", ".Junk/cur"):
    ok(os.path.isdir(os.path.join(md, d)), "Maildir has %s" % (d or "its top directory"))
is_(stat.S_IMODE(os.stat(md).st_mode), 0o700, "Maildir is mode 0700")
if ROOT:
    import pwd
    nobody = pwd.getpwnam("nobody")
    st = os.stat(os.path.join(md, "new"))
    is_((st.st_uid, st.st_gid), (nobody.pw_uid, nobody.pw_gid), "as root, the Maildir belongs to the mailowner")

rc, out, err = pu("add", "bob@example.org", "--no-password", "--quota", "1000")
is_((rc, err), (0, ""), "add bob with --no-password --quota 1000")
ok("added domain" not in out, "the domain is added only once", out)
rc, out, err = pu("show", "bob@example.org")
ok("password: none" in out and "quota: 1000 bytes" in out, "show bob: no password, quota", out)

rc, out, err = pu("list")
is_((rc, out), (0, "alice@example.org user\nbob@example.org user\n"), "list")
rc, out, err = pu("list", "Example.org")
is_((rc, out), (0, "alice@example.org user\nbob@example.org user\n"), "list DOMAIN")
rc, out, err = pu("list", "other.org")
fatal(rc, err, 1, "list of an unknown domain is refused")

# ---- refusals change nothing ----
before = cdb_bytes()
rc, out, err = pu("add", "ALICE@example.org", "--no-password")
fatal(rc, err, 1, "duplicate add refused")
ok("already a user" in err, "  and says why", err)
is_(cdb_bytes(), before, "  users.cdb unchanged (same bytes)")
for bad in ("not an address", "alice", "a@@example.org", "a@", "@example.org", "a%b@example.org",
            '"a b"@example.org', "a@[192.0.2.1]", "x" * 70 + "@example.org"):
    rc, out, err = pu("add", bad, "--no-password")
    fatal(rc, err, 1, "malformed address refused: %r" % bad[:30])
is_(cdb_bytes(), before, "  users.cdb unchanged after all of them")
rc, out, err = pu("add", "carol@example.org", "--no-password", "--maildir", "relative/path")
fatal(rc, err, 1, "relative --maildir refused")
rc, out, err = pu("add", "carol@example.org", "--no-password", "--maildir", "/srv/../etc")
fatal(rc, err, 1, "--maildir with /../ refused")
rc, out, err = pu("add", "carol@example.org", "--no-password", "--quota", "12x")
fatal(rc, err, 1, "bad --quota refused")
rc, out, err = pu("add", "carol@example.org", "--no-password", "--quota", "99999999999999999999999")
fatal(rc, err, 1, "overflowing --quota refused")
rc, out, err = pu("del", "nobody@example.org")
fatal(rc, err, 1, "del of an unknown user refused")
is_(cdb_bytes(), before, "  users.cdb unchanged")

# ---- passwords ----
rc, out, err = pu("passwd", "alice@example.org", "--password-stdin", input=b"battery staple\n")
is_((rc, err), (0, ""), "passwd alice --password-stdin")
h2 = hash_of("alice@example.org")
ok(h2 and h2 != h1 and h2.startswith("$y$"), "the hash changed and is yescrypt", "%s -> %s" % (h1, h2))
before = cdb_bytes()
rc, out, err = pu("passwd", "alice@example.org", "--password-stdin", input=b"x" * 2000 + b"\n")
fatal(rc, err, 1, "a 2000-byte password is refused")
rc, out, err = pu("passwd", "alice@example.org", "--password-stdin", input=b"\n")
fatal(rc, err, 1, "an empty password is refused")
rc, out, err = pu("passwd", "nobody@example.org", "--password-stdin", input=b"pw\n")
fatal(rc, err, 1, "passwd of an unknown user is refused")
is_(cdb_bytes(), before, "  users.cdb unchanged")
rc, out, err = pu("add", "dave@example.org", "--password-stdin", input=b"y" * 2000)
fatal(rc, err, 1, "add with a too-long password is refused")
is_(cdb_bytes(), before, "  users.cdb unchanged")
rc, out, err = run(["setsid", "-w", USER, "-C", conf, "passwd", "alice@example.org"], input=b"")
fatal(rc, err, 1, "passwd without a terminal is refused, not hung")
ok("--password-stdin" in err, "  and points at --password-stdin", err)

rc, out, err = pu("quota", "alice@example.org", "5000000")
is_(rc, 0, "quota alice 5000000")
rc, out, err = pu("show", "alice@example.org")
ok("quota: 5000000 bytes" in out, "  show has it", out)
rc, out, err = pu("quota", "alice@example.org", "0")
rc, out, err = pu("show", "alice@example.org")
ok("quota: unlimited" in out, "quota 0 is unlimited", out)

# ---- aliases, catch-all, domains ----
rc, out, err = pu("alias", "add", "Postmaster@example.org", "alice@example.org", "root@elsewhere.net")
is_((rc, err), (0, ""), "alias add postmaster")
rc, out, err = pu("show", "postmaster@example.org")
ok("kind: alias" in out and "to: alice@example.org, root@elsewhere.net" in out, "show the alias", out)
before = cdb_bytes()
rc, out, err = pu("alias", "add", "bob@example.org", "alice@example.org")
fatal(rc, err, 1, "an alias may not shadow a user")
rc, out, err = pu("add", "postmaster@example.org", "--no-password")
fatal(rc, err, 1, "a user may not shadow an alias")
rc, out, err = pu("alias", "add", "postmaster@example.org", "bob@example.org")
fatal(rc, err, 1, "alias add of an existing alias refused")
rc, out, err = pu("alias", "add", "loop@example.org", "loop@example.org")
fatal(rc, err, 1, "an alias to itself is refused")
rc, out, err = pu("alias", "add", "x@example.org", "bad address")
fatal(rc, err, 1, "an alias to a malformed target is refused")
rc, out, err = pu("del", "postmaster@example.org")
fatal(rc, err, 1, "del of an alias (not a user) refused")
rc, out, err = pu("alias", "del", "bob@example.org")
fatal(rc, err, 1, "alias del of a user refused")
is_(cdb_bytes(), before, "  users.cdb unchanged")
rc, out, err = pu("list")
ok("postmaster@example.org alias" in out, "list shows the alias and its kind", out)

rc, out, err = pu("catchall", "example.org", "alice@example.org")
is_(rc, 0, "catchall example.org alice@example.org")
rc, out, err = pu("show", "example.org")
ok("catchall: alice@example.org" in out, "show the domain's catch-all", out)
rc, out, err = pu("catchall", "example.org", "ghost@example.org")
fatal(rc, err, 1, "a catch-all to nobody in its own domain is refused (it would loop)")
rc, out, err = pu("catchall", "nowhere.org", "alice@example.org")
fatal(rc, err, 1, "catch-all of an unknown domain refused")
before = cdb_bytes()
rc, out, err = pu("del", "alice@example.org")
fatal(rc, err, 1, "del of the domain's catch-all target refused")
is_(cdb_bytes(), before, "  users.cdb unchanged")
rc, out, err = pu("catchall", "example.org", "--none")
rc2, out2, err2 = pu("show", "example.org")
ok(rc == 0 and "catchall: none" in out2, "catchall --none removes it", out2)

rc, out, err = pu("domain", "add", "Other.ORG")
is_((rc, out), (0, "added domain other.org\n"), "domain add")
rc, out, err = pu("domain", "add", "other.org")
fatal(rc, err, 1, "domain add of an existing domain refused")
rc, out, err = pu("domain", "add", "-bad-.org")
fatal(rc, err, 1, "domain add of a malformed domain refused")
rc, out, err = pu("domain", "list")
is_((rc, out), (0, "example.org\nother.org\n"), "domain list")
rc, out, err = pu("domain", "del", "example.org")
fatal(rc, err, 1, "domain del refused while the domain has users")
rc, out, err = pu("domain", "del", "other.org")
is_(rc, 0, "domain del of an empty domain")
rc, out, err = pu("alias", "del", "postmaster@example.org")
is_(rc, 0, "alias del")
rc, out, err = pu("alias", "del", "postmaster@example.org")
fatal(rc, err, 1, "alias del again is refused")

# ---- del keeps the Maildir ----
rc, out, err = pu("del", "bob@example.org")
is_(rc, 0, "del bob")
ok("kept" in out and os.path.join(mailroot, "example.org", "bob") in out, "del says the Maildir is kept", out)
ok(os.path.isdir(os.path.join(mailroot, "example.org", "bob", "cur")), "bob's Maildir is still there")
rc, out, err = pu("list")
is_(out, "alice@example.org user\n", "bob is gone from the list")

# ---- export / import ----
pu("alias", "add", "postmaster@example.org", "alice@example.org")
pu("catchall", "example.org", "postmaster@example.org")
pu("add", "bob@example.org", "--no-password", "--quota", "77")
first = export()
ok(first.count("\n") == 4 and first == "".join(sorted(first.splitlines(True))), "export is sorted lines", first)
f = os.path.join(conf, "export.txt")
with open(f, "w") as fh:
    fh.write("# a comment\n\n" + first)
os.unlink(cdb)
rc, out, err = pu("import", f)
is_((rc, err), (0, ""), "import the export (with a comment and a blank line)")
is_(export(), first, "export -> import -> export is identical")
rc, out, err = pu("import", "-", input=first.encode())
is_((rc, export()), (0, first), "import from stdin")

before = cdb_bytes()
bad = first + "user carol@example.org maildir=/m quota=x\nfrobnicate\nuser alice@example.org maildir=/other\n"
rc, out, err = pu("import", "-", input=bad.encode())
ok(rc == 1 and "line 5: quota is not a decimal number" in err and "line 6: unknown record kind" in err,
   "import reports every bad line as 'line N: reason'", err)
is_(cdb_bytes(), before, "  and changes nothing")
rc, out, err = pu("import", "-", input=(first + "user alice@example.org maildir=/other\n").encode())
ok(rc == 1 and "line 5: alice@example.org is already given on line" in err, "import refuses a duplicate", err)
rc, out, err = pu("import", "-", input=b"user zed@nowhere.org maildir=/m\n")
ok(rc == 1 and "line 1: no domain record for nowhere.org" in err, "import refuses a user without a domain record", err)
is_(cdb_bytes(), before, "  users.cdb unchanged")

# ---- concurrent writers ----
script = 'for i in $(seq 1 25); do "$0" -C "$1" add "c$2-$i@example.org" --no-password >/dev/null || exit 1; done'
procs = [subprocess.Popen(["sh", "-c", script, USER, conf, str(n)]) for n in (1, 2)]
codes = [p.wait(timeout=300) for p in procs]
is_(codes, [0, 0], "two loops of 25 adds each ran")
rc, out, err = pu("list")
added = [l for l in out.splitlines() if l.startswith("c1-") or l.startswith("c2-")]
is_(len(added), 50, "all 50 concurrent adds are in the list")

# ---- no mail owner as root ----
if ROOT:
    os.rename(os.path.join(conf, "mailowner"), os.path.join(conf, "mailowner.off"))
    before = cdb_bytes()
    rc, out, err = pu("add", "eve@example.org", "--no-password")
    fatal(rc, err, 111, "as root without a mailowner file, add is refused")
    ok("mailowner" in err, "  and names the file", err)
    is_(cdb_bytes(), before, "  users.cdb unchanged")
    os.rename(os.path.join(conf, "mailowner.off"), os.path.join(conf, "mailowner"))

# ---- a damaged users.cdb ----
good = cdb_bytes()
with open(cdb, "wb") as fh:
    fh.write(os.urandom(5000))
for args in (["list"], ["show", "alice@example.org"], ["add", "eve@example.org", "--no-password"], ["export"]):
    rc, out, err = pu(*args)
    fatal(rc, err, 111, "corrupt users.cdb: %s exits 111, no crash" % args[0])
    ok("users.cdb is corrupt" in err, "  and says users.cdb is corrupt", err)
with open(cdb, "wb") as fh:
    fh.write(good[: len(good) // 2])
rc, out, err = pu("list")
fatal(rc, err, 111, "truncated users.cdb: exits 111")
ok("users.cdb is corrupt" in err, "  and says users.cdb is corrupt", err)
rc, out, err = pu("import", f)
is_(rc, 0, "import repairs a corrupt users.cdb")
rc, out, err = pu("list")
is_(rc, 0, "  list works again")

# ---- usage ----
for args in ([], ["frobnicate"], ["add"], ["alias"], ["domain", "frob"], ["add", "a@example.org", "--bogus"]):
    rc, out, err = pu(*args)
    is_(rc, 64, "usage error exits 64: %s" % " ".join(args))

done()
