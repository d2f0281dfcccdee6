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

# ---- without tcpserver (inetd, systemd's Accept=yes sockets): the
# client's address comes from the socket, so the log still names it ----
import socket
import subprocess
from pop3d import drop_to_nobody
from tap import prog
inst.write("imapd-preauth-timeout", "60")
lsock = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(lsock.getsockname(), 10)
server, _ = lsock.accept()
env = {k: v for k, v in os.environ.items() if not k.startswith("TCP")}
p = subprocess.Popen([prog("imapd"), "-C", inst.conf], stdin=server, stdout=server, stderr=subprocess.PIPE,
                     env=env, preexec_fn=drop_to_nobody)
server.close()
client.settimeout(10)
greeting = client.recv(1000)
client.sendall(b"a LOGOUT\r\n")
try:
    _, err = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    _, err = p.communicate()
client.close()
lsock.close()
ok(greeting.startswith(b"* OK") and b"ip=127.0.0.1" in err,
   "no TCPREMOTEIP: the log names the client from the socket", (greeting, err[-500:]))

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
