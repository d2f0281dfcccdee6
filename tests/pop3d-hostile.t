#!/usr/bin/env python3
# posthorn-pop3d against hostile and broken input, as transcripts piped into
# the program (and one STLS injection over TCP): overlong lines, NULs and
# control bytes, bad and out-of-range message numbers, commands in the wrong
# state, too many errors, binary junk, an overlong AUTH response; and over
# TCP, clients that trickle bytes without logging in, dropped at the login
# deadline.  The server must answer -ERR and go on (or hang up cleanly),
# never crash.
import os
import random
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from pop3d import Instance

inst = Instance(users=[("alice", "alice-pw")])
for i in range(3):
    inst.deliver("alice", "Subject: m%d\n\n.\n..\nbody\n" % i)
CLEAR = {"POP3D_CLEARTEXT": "1"}
LOGIN = b"USER alice@example.org\r\nPASS alice-pw\r\n"


def session(data, login=True):
    rc, out, err = inst.pipe((LOGIN if login else b"") + data, env=CLEAR)
    return rc, out.split("\r\n"), err


def replies(lines):
    """Status lines only (+OK / -ERR), after the greeting."""
    return [l for l in lines[1:] if l.startswith("+OK") or l.startswith("-ERR")]


# ---- overlong lines ----
rc, lines, err = session(b"NOOP " + b"A" * 10000 + b"\r\nSTAT\r\nQUIT\r\n")
r = replies(lines)
ok(rc == 0 and r[2] == "-ERR line too long" and r[3].startswith("+OK 3 "), "a 10,000-byte line: -ERR, then the session goes on", r)
rc, lines, err = session(b"USER " + b"a" * 600 + b"\r\nQUIT\r\n", login=False)
ok(rc == 0 and replies(lines)[0] == "-ERR line too long", "a 600-byte USER line is refused", replies(lines))
rc, lines, err = session(b"STAT\r\n" + b"B" * 200000, login=True)
ok(rc == 0 and "+OK 3 " in "\n".join(lines), "an endless line then EOF: clean end", (rc, err))
ok("reason=eof" in err and "deleted=0" in err, "EOF in the TRANSACTION state commits nothing", err)
rc, lines, err = session(b"AUTH PLAIN\r\n" + b"A" * 5000 + b"\r\nQUIT\r\n", login=False)
ok(rc == 0 and replies(lines)[0].startswith("-ERR"), "an overlong AUTH response: -ERR", replies(lines))

# ---- NULs and control bytes ----
rc, lines, err = session(b"ST\0AT\r\nUSER alice\0@example.org\r\nNO\x01OP\r\nQUIT\r\n", login=False)
r = replies(lines)
ok(rc == 0 and r[:3] == ["-ERR control character in command"] * 3, "NUL and control bytes in commands: -ERR", r)
rc, lines, err = session(b"USER alice@example.org\r\nPASS alice-pw\0junk\r\nQUIT\r\n", login=False)
ok(rc == 0 and replies(lines)[1].startswith("-ERR") and "+OK logged in" not in "".join(lines),
   "a NUL in the password does not log in", replies(lines))
rc, lines, err = session(b"\r\n   \r\nSTAT\r\nQUIT\r\n")
r = replies(lines)
ok(r[2] == "-ERR syntax error" and r[3] == "-ERR syntax error" and r[4].startswith("+OK"), "empty lines: -ERR", r)
rc, lines, err = session(b"STAT\nLIST 1\nQUIT\n")
r = replies(lines)
ok(r[2].startswith("+OK 3 ") and r[3].startswith("+OK 1 "), "bare LF line ends are taken", r)

# ---- message numbers ----
bad = [b"RETR 0", b"RETR 4", b"RETR 99999999999999999999", b"RETR -1", b"RETR +1", b"RETR 01", b"RETR 1x",
       b"RETR", b"RETR 1 2", b"TOP 1", b"TOP 1 -1", b"TOP 4 1", b"TOP 1 x", b"LIST 0", b"LIST 4", b"UIDL 4",
       b"DELE 0", b"DELE 4", b"DELE 4294967297", b"RETR 18446744073709551617", b"STAT 1", b"NOOP x"]
rc, lines, err = session(b"".join(c + b"\r\n" for c in bad) + b"STAT\r\nQUIT\r\n")
r = replies(lines)[2:]
ok(all(x.startswith("-ERR") for x in r[:len(bad)]), "out-of-range and malformed numbers: -ERR each",
   list(zip([c.decode() for c in bad], r)))
ok(r[len(bad)].startswith("+OK 3 "), "STAT afterwards: nothing changed", r[len(bad):])
is_(len(inst.files("alice")), 3, "nothing deleted")

# ---- wrong state ----
pre = [b"STAT", b"LIST", b"RETR 1", b"DELE 1", b"NOOP", b"RSET", b"UIDL", b"TOP 1 1", b"PASS x"]
rc, lines, err = session(b"".join(c + b"\r\n" for c in pre) + b"QUIT\r\n", login=False)
r = replies(lines)
ok(all(x.startswith("-ERR") for x in r[:len(pre)]) and r[len(pre)] == "+OK bye",
   "TRANSACTION commands before login: -ERR", r)
post = [b"USER alice@example.org", b"PASS alice-pw", b"AUTH PLAIN", b"STLS", b"APOP alice x"]
rc, lines, err = session(b"".join(c + b"\r\n" for c in post) + b"STAT\r\nQUIT\r\n")
r = replies(lines)[2:]
ok(all(x.startswith("-ERR") for x in r[:len(post)]) and r[len(post)].startswith("+OK 3 "),
   "AUTHORIZATION commands after login: -ERR", r)

# ---- too many errors ----
rc, lines, err = session(b"BOGUS\r\n" * 50, login=False)
r = replies(lines)
ok(rc == 0 and r[-1] == "-ERR too many errors, closing" and len(r) == 21, "20 bad commands: hang up", r[-3:])

# ---- binary junk ----
rnd = random.Random(1939)
for n in range(5):
    junk = bytes(rnd.randrange(256) for _ in range(20000))
    rc, lines, err = session(junk, login=n % 2 == 0)
    ok(rc == 0 and "AddressSanitizer" not in err and "runtime error" not in err, "random bytes #%d: clean end" % n,
       (rc, err[-500:]))

# ---- a large message with an overlong line and dot lines ----
big = "Subject: big\n\n" + "." * 1000000 + "\n.\n" + "x\r\n" * 1000
inst.deliver("alice", big)
rc, out, err = inst.pipe(LOGIN + b"LIST 4\r\nRETR 4\r\nQUIT\r\n", env=CLEAR)
size = int(out.split("+OK 4 ")[1].split("\r\n")[0])
body = out.split(" octets\r\n", 1)[1].rsplit("\r\n.\r\n+OK bye", 1)[0] + "\r\n"
unstuffed = "\r\n".join(l[1:] if l.startswith(".") else l for l in body.split("\r\n"))
ok(rc == 0 and len(unstuffed) == size and ("\r\n." + "." * 1000000 + "\r\n..\r\n") in body,
   "RETR of a 1 MB line and dot lines: stuffed, and the size matches", (size, len(unstuffed)))

# ---- STLS command injection (RFC 2595 section 4 / CVE-2011-0411 class) ----
port = inst.start()
s = socket.create_connection(("127.0.0.1", port), 10)
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\nCAPA\r\n")
is_(f.readline(), b"+OK begin TLS negotiation\r\n", "STLS answered")
ctx = ssl.create_default_context(cafile=inst.cert)
ctx.check_hostname = False
tls = ctx.wrap_socket(s, server_hostname="localhost")
tls.sendall(b"NOOP\r\n")
first = tls.recv(1000)
ok(first.startswith(b"-ERR command not valid"), "a command pipelined after STLS is dropped, not run over TLS", first)
tls.close()

# ---- the login deadline: a client that has not logged in is dropped after
# pop3d-preauth-timeout seconds in all, however it trickles its bytes ----
import poplib
import time

inst.write("pop3d-preauth-timeout", "2")
port = inst.start(env=CLEAR)


import pop3d


def trickle(first, seconds=12):
    return pop3d.trickle(port, first, seconds)


got, closed = trickle(b"USER alice@exa")
ok(closed and "-ERR autologout: no login in time" in got,
   "half a USER line, then a byte a second: dropped by the 2 s deadline (the idle timeout is 600 s)", got)
got, closed = trickle(b"CAPA\r\nNOOP\r\n")
ok(closed and "-ERR autologout: no login in time" in got, "whole commands (answered -ERR) do not extend it either", got)
got, closed = trickle(b"AUTH PLAIN\r\n")
ok(closed and got.count("+ ") == 1 and "-ERR autologout: no login in time" in got, "nor an AUTH PLAIN answer trickled in", got)
got, closed = trickle(b"")
ok(closed and "-ERR autologout: no login in time" in got, "a client that sends nothing: dropped", got)
ok("reason=login-timeout" in inst.log(), "logged as reason=login-timeout", inst.log()[-500:])

# logged in, the deadline is gone: in the clear and through STLS (relayed)
p = poplib.POP3("127.0.0.1", port, timeout=20)
p.user("alice@example.org")
p.pass_("alice-pw")
time.sleep(3)
ok(p.stat()[0] == 4, "a logged-in session outlives the login deadline")
p.quit()
ctx = ssl.create_default_context(cafile=inst.cert)
ctx.check_hostname = False
p = poplib.POP3("127.0.0.1", port, timeout=20)
p.stls(ctx)
p.user("alice@example.org")
p.pass_("alice-pw")
time.sleep(3)
ok(p.stat()[0] == 4, "also through STLS (the login half relays past its deadline)")
p.quit()

for bad in ("0", "x", "3601"):
    inst.write("pop3d-preauth-timeout", bad)
    rc, out, err = inst.pipe(b"QUIT\r\n", env=CLEAR)
    ok(rc == 111 and out.startswith("-ERR [SYS/TEMP]") and "pop3d-preauth-timeout" in err,
       "pop3d-preauth-timeout %s: refused at start-up, logged" % bad, (rc, out, err))
inst.write("pop3d-preauth-timeout", "180")

ok(inst.clean(), "no sanitizer report in the server logs", inst.log()[-2000:])
done()
