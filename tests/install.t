#!/usr/bin/env python3
# make install DESTDIR=... PREFIX=/usr/local produces the documented tree:
# every program, posthorn-setup, the sendmail and mailq links, every man page
# (and each renders), the example config and service scripts; make uninstall
# takes it all away again.
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, tempdir, ROOT, BIN

dest = tempdir()
build = os.path.dirname(BIN)
# Install what the test run built (the sanitizer pass has its own bin/).
args = ["make", "-s", "-C", ROOT, "DESTDIR=" + dest, "PREFIX=/usr/local", "BINDIR=" + BIN]
if os.path.basename(build) == "build-asan":
    args += ["B=" + build]
p = subprocess.run(args + ["install"], capture_output=True, text=True, timeout=600)
is_(p.returncode, 0, "make install DESTDIR=... exits 0", )
if p.returncode:
    note(p.stdout[-2000:] + p.stderr[-2000:])
usr = os.path.join(dest, "usr/local")
programs = sorted(os.path.basename(x) for x in glob.glob(os.path.join(BIN, "posthorn-*")))
installed = sorted(os.path.basename(x) for x in glob.glob(os.path.join(usr, "bin/posthorn-*")))
is_(installed, programs, "every program is in PREFIX/bin")
ok(all(os.access(os.path.join(usr, "bin", x), os.X_OK) for x in installed), "and executable")
ok(os.access(os.path.join(usr, "sbin/posthorn-setup"), os.X_OK), "posthorn-setup is in PREFIX/sbin")
is_(os.readlink(os.path.join(usr, "sbin/sendmail")), "/usr/local/bin/posthorn-sendmail", "sendmail links to posthorn-sendmail")
is_(os.readlink(os.path.join(usr, "bin/mailq")), "/usr/local/bin/posthorn-sendmail", "mailq too")
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
runs = sorted(glob.glob(os.path.join(share, "*/*/run")) + glob.glob(os.path.join(share, "*/*/log/run")))
ok(len(runs) == 32, "8 services with a logger each, for s6 and daemontools (%d run scripts)" % len(runs))
bad = [r for r in runs if subprocess.run(["sh", "-n", r]).returncode != 0]
is_(bad, [], "every run script is valid sh")

p = subprocess.run(args + ["uninstall"], capture_output=True, text=True, timeout=120)
is_(p.returncode, 0, "make uninstall exits 0")
left = [os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs]
left += [os.path.relpath(os.path.join(d, x), dest) for d, ds, _ in os.walk(dest) for x in ds
         if os.path.islink(os.path.join(d, x))]
is_(left, [], "nothing is left after make uninstall")
done()
