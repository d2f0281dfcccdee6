#!/usr/bin/env python3
# make run's demo: sets up an instance from nothing and the welcome message
# goes through sendmail and the queue into the demo user's Maildir; run
# twice, it keeps the instance.  Then the running system: the servers on
# loopback ports take a message by SMTP that POP3 then hands out, and
# Ctrl-C (SIGINT) stops every process it started.
import glob
import os
import poplib
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, ROOT, BIN, tempdir
from instance import wait_for, listening

d = tempdir()
run = os.path.join(d, "run")
env = dict(os.environ, POSTHORN_RUN=run, POSTHORN_BIN=BIN, POSTHORN_DEMO_ONESHOT="1")
env.pop("POSTHORN_CONF", None)
p = subprocess.run([os.path.join(ROOT, "tools/demo")], capture_output=True, text=True, env=env, timeout=120)
is_(p.returncode, 0, "tools/demo exits 0")
ok("demo@example.test" in p.stdout and "password" in p.stdout, "prints the demo user and password", p.stdout + p.stderr)
new = glob.glob(os.path.join(run, "mail", "example.test", "demo", "new", "*"))
is_(len(new), 1, "one message in the demo user's new/")
if new:
    text = open(new[0]).read()
    ok(text.startswith("Return-Path: <postmaster@example.test>\n"), "Return-Path added", text[:200])
    ok("Delivered-To: demo@example.test\n" in text, "Delivered-To added")
    ok("Subject: Welcome to posthorn" in text, "the welcome message")
    ok("\nDate: " in text and "\nMessage-ID: <" in text and "\nFrom: \"posthorn\" <postmaster@example.test>" in text,
       "sendmail added Date, Message-ID and From", text[:600])
for f in ("Sent", "Drafts", "Trash", "Junk"):
    ok(os.path.isdir(os.path.join(run, "mail", "example.test", "demo", "." + f, "cur")), "folder %s made" % f)
is_(glob.glob(os.path.join(run, "queue", "q", "*")), [], "the queue is empty after the welcome message")
p = subprocess.run([os.path.join(ROOT, "tools/demo")], capture_output=True, text=True, env=env, timeout=120)
is_(p.returncode, 0, "second run exits 0")
is_(len(glob.glob(os.path.join(run, "mail", "example.test", "demo", "new", "*"))), 2, "second welcome delivered, nothing lost")


def free_base():
    # Ports BASE+25 .. BASE+995 must be free; try a few bases.
    for base in range(21000, 60000, 1000):
        good = True
        for off in (25, 587, 465, 110, 995, 143, 993):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", base + off))
            except OSError:
                good = False
            s.close()
        if good:
            return base
    return None


base = free_base()
env.pop("POSTHORN_DEMO_ONESHOT")
env["POSTHORN_DEMO_PORT_BASE"] = str(base)
demo = subprocess.Popen([os.path.join(ROOT, "tools/demo")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        env=env, start_new_session=True)
summary = ""
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    line = demo.stdout.readline().decode()
    if not line:
        break
    summary += line
    if line.startswith("Ctrl-C"):
        break
ok("posthorn is running" in summary, "make run prints what runs", summary)
note(summary)




if os.path.exists(os.path.join(BIN, "posthorn-smtpd")):
    # tcpserver may still be starting when the summary is printed.
    ok(wait_for(lambda: listening(base + 25), 10), "SMTP listens on BASE+25")
    try:
        with smtplib.SMTP("127.0.0.1", base + 25, timeout=20) as c:
            c.sendmail("visitor@example.net", ["demo@example.test"],
                       b"From: visitor@example.net\r\nTo: demo@example.test\r\nSubject: hello demo\r\n\r\nvia SMTP\r\n")
        sent = True
    except Exception as e:
        sent = False
        note("smtp: %r" % e)
    ok(sent, "a message to the demo user is accepted by SMTP")
    maildir_new = os.path.join(run, "mail", "example.test", "demo", "new")
    end = time.monotonic() + 15
    got = False
    while time.monotonic() < end and not got:
        for f in glob.glob(os.path.join(maildir_new, "*")) + glob.glob(os.path.join(maildir_new, "..", "cur", "*")):
            if b"Subject: hello demo" in open(f, "rb").read():
                got = True
        time.sleep(0.1)
    ok(got, "the running queue runner delivers it to the Maildir")
if os.path.exists(os.path.join(BIN, "posthorn-pop3d")):
    ok(wait_for(lambda: listening(base + 110), 10), "POP3 listens on BASE+110")
    try:
        pop = poplib.POP3("127.0.0.1", base + 110, timeout=20)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        pop.stls(ctx)
        pop.user("demo@example.test")
        pop.pass_("demo")
        count, size = pop.stat()
        pop.quit()
        ok(count >= 2, "POP3 with STLS logs the demo user in and sees the mail (%d messages)" % count)
    except Exception as e:
        ok(False, "POP3 login to the demo: %r" % e)

os.killpg(demo.pid, signal.SIGINT)
try:
    demo.wait(timeout=20)
except subprocess.TimeoutExpired:
    os.killpg(demo.pid, signal.SIGKILL)
    demo.wait()
is_(demo.returncode, 0, "Ctrl-C stops make run cleanly")
time.sleep(0.3)
ok(not listening(base + 25) and not listening(base + 110), "nothing listens any more")
left = subprocess.run(["pgrep", "-f", "posthorn-runq -d"], capture_output=True, text=True).stdout.split()
own = [pid for pid in left if os.path.exists("/proc/%s/environ" % pid)
       and run.encode() in open("/proc/%s/environ" % pid, "rb").read()]
is_(own, [], "the demo's queue runner is gone")
done()
