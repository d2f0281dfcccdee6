#!/usr/bin/env python3
# posthorn-imapd's login deadline: a client that has not logged in is
# dropped after imapd-preauth-timeout seconds (60 by default; 2 here) in
# all, however it trickles its bytes: half a command, whole commands, a
# literal, nothing at all.  Once logged in (in the clear, or through
# STARTTLS where the login half relays), the deadline no longer applies.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, done
from imapd import Instance, Raw

inst = Instance(users=[("alice", "alice-pw")])
inst.deliver("alice", "Subject: one\n\nbody\n")
inst.write("imapd-preauth-timeout", "2")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


import pop3d


def trickle(first, seconds=12):
    return pop3d.trickle(port, first, seconds)


got, closed = trickle(b"a LOGIN alice@exa")
ok(closed and "* BYE" in got, "half a LOGIN line, then a byte a second: dropped by the 2 s deadline", got)
got, closed = trickle(b"a CAPABILITY\r\nb NOOP\r\n")
ok(closed and "b OK" in got and "* BYE" in got, "whole commands do not extend it", got)
got, closed = trickle(b"a LOGIN {20}\r\n")
ok(closed and "+ " in got and "* BYE" in got, "nor a literal sent a byte a second", got)
got, closed = trickle(b"a AUTHENTICATE PLAIN\r\n")
ok(closed and "+" in got and "* BYE" in got, "nor an AUTHENTICATE answer", got)
got, closed = trickle(b"")
ok(closed and "* BYE" in got, "a client that sends nothing: dropped", got)
ok("reason=timeout" in inst.log(), "logged with reason=timeout", inst.log()[-500:])

# logged in, the deadline is gone
r = Raw(port)
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login", out)
time.sleep(3)
out = r.cmd("SELECT INBOX")
ok(out and out[-1].startswith("t OK") and "* 1 EXISTS\r\n" in out, "a logged-in session outlives the deadline", out)
r.cmd("LOGOUT")
r.close()
r = Raw(port)
r.send(b"s STARTTLS\r\n")
ok(r.line().startswith("s OK"), "STARTTLS")
r.s = inst.ctx.wrap_socket(r.s, server_hostname="localhost")
r.f = r.s.makefile("rb")
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login over TLS", out)
time.sleep(3)
out = r.cmd("NOOP")
ok(out and out[-1].startswith("t OK"), "over TLS too (the login half relays past its deadline)", out)
r.cmd("LOGOUT")
r.close()

for bad in ("0", "x", "3601"):
    inst.write("imapd-preauth-timeout", bad)
    rc, out, err = inst.pipe(b"a LOGOUT\r\n", env={"IMAPD_CLEARTEXT": "1"})
    ok(rc == 111 and "BYE [UNAVAILABLE]" in out and "imapd-preauth-timeout" in err,
       "imapd-preauth-timeout %s: refused at start-up, logged" % bad, (rc, out, err))

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
