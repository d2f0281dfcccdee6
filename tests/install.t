#!/usr/bin/env python3
# make install DESTDIR=... PREFIX=/usr/local produces the documented tree:
# every program, posthorn-setup, the sendmail and mailq links, every man page
# (and each renders), the example config and service scripts, and the
# manifest share/posthorn/installed that lists it all; make uninstall takes
# away what the manifest lists and nothing else.  A second install renames
# each program into place (a new inode, no temporary file left).  With
# DESTDIR nothing is chowned and no set-user-ID bit is set.  The sendmail
# and mailq links replace nothing but an earlier posthorn's: a file there
# (a Debian package's, by a stand-in dpkg-query, or by the real dpkg
# database, read only) stops the install before anything is installed,
# unless FORCE_SENDMAIL=1; make uninstall does not bring it back.
# tools/install-prog's owners and modes: chown before the set-user-ID bit
# (root), no bit when the owner cannot be set (no such account, not root).
# The upgrade on a running system is tests/upgrade.t.
import glob
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, tempdir, ROOT, BIN

INSTALL_PROG = os.path.join(ROOT, "tools", "install-prog")
build = os.path.dirname(BIN)
# Install what the test run built (the sanitizer pass has its own bin/).
MAKE = ["make", "-s", "-C", ROOT, "BINDIR=" + BIN]
if os.path.basename(build) == "build-asan":
    MAKE += ["B=" + build]


def make(*args, env=None):
    e = dict(os.environ)
    e.pop("MAKEFLAGS", None)  # not the outer make's (make test)
    e.update(env or {})
    p = subprocess.run(MAKE + list(args), capture_output=True, text=True, timeout=600, env=e)
    return p.returncode, p.stdout + p.stderr


def files_under(top):
    """Files and links (to anything) under top, relative to it."""
    found = []
    for d, ds, fs in os.walk(top):
        found += [os.path.relpath(os.path.join(d, f), top) for f in fs]
        found += [os.path.relpath(os.path.join(d, x), top) for x in ds if os.path.islink(os.path.join(d, x))]
    return sorted(found)


dest = tempdir()
rc, out = make("DESTDIR=" + dest, "PREFIX=/usr/local", "install")
is_(rc, 0, "make install DESTDIR=... exits 0")
if rc:
    note(out[-3000:])
ok("/usr/local/sbin/sendmail: new, a link to /usr/local/bin/posthorn-sendmail" in out,
   "it says what the sendmail link is and becomes", out)
usr = os.path.join(dest, "usr/local")
programs = sorted(os.path.basename(x) for x in glob.glob(os.path.join(BIN, "posthorn-*")))
installed = sorted(os.path.basename(x) for x in glob.glob(os.path.join(usr, "bin/posthorn-*")))
is_(installed, programs, "every program is in PREFIX/bin")
ok(all(os.access(os.path.join(usr, "bin", x), os.X_OK) for x in installed), "and executable")
ok(os.access(os.path.join(usr, "sbin/posthorn-setup"), os.X_OK), "posthorn-setup is in PREFIX/sbin")
is_(os.readlink(os.path.join(usr, "sbin/sendmail")), "/usr/local/bin/posthorn-sendmail", "sendmail links to posthorn-sendmail")
is_(os.readlink(os.path.join(usr, "bin/mailq")), "/usr/local/bin/posthorn-sendmail", "mailq too")
modes = {x: stat.S_IMODE(os.stat(os.path.join(usr, "bin", x)).st_mode) for x in ("posthorn-queue", "posthorn-mailauth")}
is_(modes, {"posthorn-queue": 0o711, "posthorn-mailauth": 0o750},
    "with DESTDIR posthorn-queue and posthorn-mailauth get no set-user-ID bit (posthorn-setup sets it)")
owners = {os.stat(os.path.join(usr, "bin", x)).st_uid for x in installed}
is_(owners, {os.geteuid()}, "and nothing is chowned: every program keeps the installer's account")
pages = sorted(os.path.basename(x) for x in glob.glob(os.path.join(ROOT, "man/*.[1-8]")))
inst_pages = sorted(os.path.basename(x) for x in glob.glob(os.path.join(usr, "share/man/man*/*")))
is_(inst_pages, pages, "every man page is installed under share/man/manN")
for pg in glob.glob(os.path.join(usr, "share/man/man*/*")):
    sec = pg.rsplit(".", 1)[1]
    ok(os.path.basename(os.path.dirname(pg)) == "man" + sec, "%s is in man%s" % (os.path.basename(pg), sec))
    r = subprocess.run(["mandoc", "-Tutf8", pg], capture_output=True, text=True)
    ok(r.returncode == 0 and "NAME" in re.sub(".\b", "", r.stdout), "%s renders" % os.path.basename(pg))
share = os.path.join(usr, "share/posthorn")
for f in ("example/me", "s6/posthorn-smtpd/run", "s6/posthorn-smtpd/log/run", "daemontools/posthorn-runq/run",
          "tcp.smtp", "inetd.conf", "xinetd.posthorn"):
    ok(os.path.isfile(os.path.join(share, f)), "share/posthorn/%s is installed" % f)
ok(os.access(os.path.join(share, "s6/posthorn-submission/run"), os.X_OK), "service scripts stay executable")
ok(not os.access(os.path.join(share, "tcp.smtp"), os.X_OK), "other files are not executable")
runs = sorted(glob.glob(os.path.join(share, "*/*/run")) + glob.glob(os.path.join(share, "*/*/log/run")))
ok(len(runs) == 32, "8 services with a logger each, for s6 and daemontools (%d run scripts)" % len(runs))
bad = [r for r in runs if subprocess.run(["sh", "-n", r]).returncode != 0]
is_(bad, [], "every run script is valid sh")

# ---- the manifest ----
manifest = os.path.join(share, "installed")
listed = open(manifest).read().split("\n")[:-1] if os.path.exists(manifest) else []
is_([p for p in listed if not p.startswith("/usr/local/")], [],
    "the manifest share/posthorn/installed lists paths under PREFIX, without DESTDIR")
is_(sorted(p[1:] for p in listed), [f for f in files_under(dest) if f != "usr/local/share/posthorn/installed"],
    "and every file and link installed, no directory (with DESTDIR, those are the package's business)")

# ---- a second install: each file renamed into place ----
inodes = {x: os.stat(os.path.join(usr, "bin", x)).st_ino for x in installed}
old = os.path.join(usr, "bin", "posthorn-retired")
with open(old, "w") as f:
    f.write("#!/bin/sh\n")
with open(manifest, "a") as f:
    f.write("/usr/local/bin/posthorn-retired\n")
rc, out = make("DESTDIR=" + dest, "PREFIX=/usr/local", "install")
is_(rc, 0, "a second make install exits 0")
ok("/usr/local/sbin/sendmail: a link to /usr/local/bin/posthorn-sendmail already" in out,
   "and says that the sendmail link is posthorn's already", out)
is_([x for x in installed if os.stat(os.path.join(usr, "bin", x)).st_ino == inodes[x]], [],
    "every program is a new file (renamed into place, never written over)")
is_([f for f in files_under(dest) if ".install-" in f], [], "no temporary file is left")
relisted = open(manifest).read().split("\n")[:-1]
is_(sorted(set(relisted) - set(listed)), ["/usr/local/bin/posthorn-retired"],
    "the manifest keeps an earlier install's entry that still exists (a program this version lacks)")

# ---- uninstall: the manifest and nothing else ----
foreign = os.path.join(usr, "bin", "someone-elses")
with open(foreign, "w") as f:
    f.write("not posthorn's\n")
os.unlink(os.path.join(usr, "bin", "mailq"))
os.symlink("/usr/bin/other-mta", os.path.join(usr, "bin", "mailq"))
rc, out = make("DESTDIR=" + dest, "PREFIX=/usr/local", "uninstall")
is_(rc, 0, "make uninstall exits 0")
is_(files_under(dest), ["usr/local/bin/mailq", "usr/local/bin/someone-elses"],
    "it removes what the manifest lists (and the manifest): a file it did not install stays, and a "
    "link of the manifest that points elsewhere now (another MTA's) stays")
ok("/usr/local/bin/mailq is a link to /usr/bin/other-mta now, not posthorn's: kept" in out, "and it says so", out)
os.unlink(foreign)
os.unlink(os.path.join(usr, "bin", "mailq"))
rc, out = make("DESTDIR=" + dest, "PREFIX=/usr/local", "uninstall")
ok(rc != 0 and "installed: nothing here was installed by make install" in out, "make uninstall without a manifest refuses", out)

# ---- the sendmail link: nothing replaced silently ----
dest = tempdir()
os.makedirs(os.path.join(dest, "usr/sbin"))
theirs = os.path.join(dest, "usr/sbin/sendmail")
with open(theirs, "w") as f:
    f.write("another MTA's sendmail\n")
rc, out = make("DESTDIR=" + dest, "SENDMAIL=/usr/sbin/sendmail", "MAILQ=/usr/bin/mailq", "install")
ok(rc != 0, "make install SENDMAIL=/usr/sbin/sendmail over a file there fails")
ok("/usr/sbin/sendmail is a regular file (23 bytes, " in out and "not replaced" in out and "FORCE_SENDMAIL=1" in out,
   "it says what is there, that it stays, and how to replace it anyway", out)
is_(files_under(dest), ["usr/sbin/sendmail"], "nothing is installed, the file is untouched")
is_(open(theirs).read(), "another MTA's sendmail\n", "and keeps its contents")
rc, out = make("DESTDIR=" + dest, "SENDMAIL=/usr/sbin/sendmail", "MAILQ=/usr/bin/mailq", "FORCE_SENDMAIL=1", "install")
is_(rc, 0, "with FORCE_SENDMAIL=1 make install replaces it")
is_(os.readlink(theirs) if os.path.islink(theirs) else None, "/usr/local/bin/posthorn-sendmail",
    "/usr/sbin/sendmail is posthorn's link now")
ok("/usr/sbin/sendmail: a regular file (23 bytes, " in out and "becomes a link to /usr/local/bin/posthorn-sendmail" in out
   and "make uninstall will not bring it back" in out, "and it said what it was and what it became", out)
is_(os.readlink(os.path.join(dest, "usr/bin/mailq")), "/usr/local/bin/posthorn-sendmail", "mailq at /usr/bin/mailq")
rc, out = make("DESTDIR=" + dest, "uninstall")
is_((rc, files_under(dest)), (0, []), "make uninstall removes both links and restores nothing it did not own")

# An earlier posthorn's link (another PREFIX) is replaced without FORCE_SENDMAIL.
dest = tempdir()
os.makedirs(os.path.join(dest, "usr/local/sbin"))
os.symlink("/opt/posthorn/bin/posthorn-sendmail", os.path.join(dest, "usr/local/sbin/sendmail"))
rc, out = make("DESTDIR=" + dest, "install")
ok(rc == 0 and "/usr/local/sbin/sendmail: a link to /opt/posthorn/bin/posthorn-sendmail (an earlier posthorn) "
   "becomes a link to /usr/local/bin/posthorn-sendmail" in out, "an earlier posthorn's link is replaced, and said so", out)
make("DESTDIR=" + dest, "uninstall")

# A Debian package's file, without DESTDIR: a stand-in dpkg-query, first in
# PATH, says that postfix owns PREFIX/sbin/sendmail (everything is in a
# temp dir).
prefix = os.path.join(tempdir(), "p")
fake = tempdir()
os.makedirs(os.path.join(prefix, "sbin"))
theirs = os.path.join(prefix, "sbin/sendmail")
with open(theirs, "w") as f:
    f.write("postfix's sendmail\n")
with open(os.path.join(fake, "dpkg-query"), "w") as f:
    f.write('#!/bin/sh\n[ "$1" = -S ] && [ "$2" = %s ] && { echo "postfix: $2"; exit 0; }\n'
            'echo "dpkg-query: no path found matching pattern $2" >&2; exit 1\n' % theirs)
os.chmod(os.path.join(fake, "dpkg-query"), 0o755)
PATH = {"PATH": fake + ":" + os.environ["PATH"]}
rc, out = make("PREFIX=" + prefix, "install", env=PATH)
ok(rc != 0 and "of the Debian package postfix: not replaced" in out and "apt-get remove postfix" in out,
   "make install refuses to replace a file of a Debian package and tells how to remove the other MTA", out)
is_(files_under(prefix), ["sbin/sendmail"], "nothing is installed")
rc, out = make("PREFIX=" + prefix, "FORCE_SENDMAIL=1", "install", env=PATH)
ok(rc == 0 and "of the Debian package postfix, becomes a link to" in out and "apt-get remove postfix" in out,
   "FORCE_SENDMAIL=1 replaces it, saying that postfix's next upgrade puts its file back", out)
rc, out = make("PREFIX=" + prefix, "uninstall")
is_((rc, files_under(prefix)), (0, []), "make uninstall leaves no file and no directory it made")
ok(os.path.isdir(prefix), "but keeps PREFIX, which it did not make")

# The real dpkg database, read only: check-link never writes.
if shutil.which("dpkg-query") and subprocess.run(["dpkg-query", "-S", "/usr/bin/dpkg"],
                                                capture_output=True).returncode == 0:
    before = os.lstat("/usr/bin/dpkg")
    for path in ("/usr/bin/dpkg", "/bin/dpkg"):
        p = subprocess.run([INSTALL_PROG, "check-link", "/usr/local/bin/posthorn-sendmail", path],
                           capture_output=True, text=True, env=dict(os.environ, DESTDIR="", MANIFEST=""))
        ok(p.returncode == 111 and "%s is a regular file" % path in p.stderr and "of the Debian package dpkg" in p.stderr,
           "the real dpkg database: %s is the package dpkg's, not replaced" % path, p.stderr)
    after = os.lstat("/usr/bin/dpkg")
    is_((after.st_ino, after.st_mtime_ns), (before.st_ino, before.st_mtime_ns), "and /usr/bin/dpkg is untouched")
else:
    note("no dpkg database: the real-package check is skipped")

# ---- install-prog's owners and modes ----
src = os.path.join(BIN, "posthorn-queue")


def install_file(mode, owner, user=None):
    d = tempdir()
    args = [INSTALL_PROG, "file", mode, owner, src, d]
    if user:
        pw = pwd.getpwnam(user)
        args = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"] + args
        os.chown(d, pwd.getpwnam(user).pw_uid, -1)
    p = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, DESTDIR="", MANIFEST=""))
    st = os.stat(os.path.join(d, "posthorn-queue")) if p.returncode == 0 else None
    return p, st


if os.geteuid() == 0:
    p, st = install_file("4711", "nobody:nogroup")
    ok(st and st.st_uid == pwd.getpwnam("nobody").pw_uid and stat.S_IMODE(st.st_mode) == 0o4711,
       "as root: owner nobody and mode 4711 (chown first, which would clear the bit)", (p.stderr, st))
    p, st = install_file("4711", "posthorn-nosuchaccount:root")
    ok(st and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o711 and "posthorn-setup" in p.stderr,
       "as root without the account: mode 0711, no set-user-ID bit on a root-owned file, and it says so",
       (p.stderr, st))
    nobody = pwd.getpwnam("nobody")
    if shutil.which("setpriv") and os.access(src, os.R_OK):
        p, st = install_file("4711", "root:root", user="nobody")
        ok(st and st.st_uid == nobody.pw_uid and stat.S_IMODE(st.st_mode) == 0o711,
           "not root: the installer's account, mode 0711 without the bit", (p.stderr, st))
else:
    p, st = install_file("4711", "root:root")
    ok(st and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o711,
       "not root: the installer's account, mode 0711 without the bit", (p.stderr, st))
done()
