#!/usr/bin/env python3
# make run's demo: sets up an instance from nothing and the welcome message
# lands in the demo user's Maildir; run twice, it keeps the instance and
# delivers a second message.
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done, ROOT, BIN, tempdir

d = tempdir()
run = os.path.join(d, "run")
env = dict(os.environ, POSTHORN_RUN=run, POSTHORN_BIN=BIN)
p = subprocess.run([os.path.join(ROOT, "tools/demo")], capture_output=True, text=True, env=env)
is_(p.returncode, 0, "tools/demo exits 0")
ok("demo@example.test" in p.stdout and "password" in p.stdout, "prints the demo user and password", p.stdout + p.stderr)
new = glob.glob(os.path.join(run, "mail", "example.test", "demo", "new", "*"))
is_(len(new), 1, "one message in the demo user's new/")
if new:
    text = open(new[0]).read()
    ok(text.startswith("Return-Path: <postmaster@example.test>\n"), "Return-Path added")
    ok("Delivered-To: demo@example.test\n" in text, "Delivered-To added")
    ok("Subject: Welcome to posthorn" in text, "the welcome message")
for f in ("Sent", "Drafts", "Trash", "Junk"):
    ok(os.path.isdir(os.path.join(run, "mail", "example.test", "demo", "." + f, "cur")), "folder %s made" % f)
p = subprocess.run([os.path.join(ROOT, "tools/demo")], capture_output=True, text=True, env=env)
is_(p.returncode, 0, "second run exits 0")
is_(len(glob.glob(os.path.join(run, "mail", "example.test", "demo", "new", "*"))), 2, "second welcome delivered, nothing lost")
done()
