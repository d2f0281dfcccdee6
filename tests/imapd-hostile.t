#!/usr/bin/env python3
# posthorn-imapd against hostile input: huge literal announcements
# (synchronizing: refused before the client sends; non-synchronizing:
# BAD and hang up), deep parentheses, 100,000 arguments, overlong lines,
# unterminated quotes, NUL bytes, invalid sequence sets, commands in the
# wrong state, junk; after every refusal the session goes on.  Also the
# session never runs as root (when the tests run as root).
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw, ROOT, alive

inst = Instance(users=[("alice", "alice-pw")])
inst.deliver("alice", "Subject: one\n\nbody\n")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


r = Raw(port)
out = r.cmd("SELECT INBOX")
ok(out[-1].startswith("t BAD"), "SELECT before login: BAD", out)
out = r.cmd("FETCH 1 FLAGS")
ok(out[-1].startswith("t BAD"), "FETCH before login: BAD", out)
out = r.cmd("LOGIN {99999999999}")
ok(out[-1].startswith("t BAD") and "TOOBIG" in out[-1], "huge literal announced: BAD [TOOBIG] before any data", out)
alive(r, "a huge literal announcement")
out = r.cmd("LOGIN {99999999999999999999999}")
ok(out[-1].startswith("t BAD"), "absurd literal number: BAD", out)
alive(r, "an absurd literal number")
out = r.cmd('LOGIN "alice@example.org')
ok(out[-1].startswith("t BAD"), "unterminated quote: BAD", out)
alive(r, "an unterminated quote")
r.send(b"t LOGIN a\0b c\r\n")
out = r.until("t")
ok(out[-1].startswith("t BAD"), "NUL byte: BAD", out)
alive(r, "a NUL")
r.send(b"x" * 70000 + b"\r\n")
out = r.until("*")
ok(out[-1].startswith("* BAD") and "too long" in out[-1], "70,000-byte line: BAD line too long", out)
alive(r, "an overlong line")
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login")
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t BAD"), "LOGIN when logged in: BAD", out)
out = r.cmd("FETCH 1 FLAGS")
ok(out[-1].startswith("t BAD"), "FETCH with nothing selected: BAD", out)
out = r.cmd("SELECT INBOX")
ok(out[-1].startswith("t OK"), "SELECT")
out = r.cmd("SEARCH " + "(" * 100 + "ALL" + ")" * 100)
ok(out[-1].startswith("t BAD") and "nested" in out[-1], "100 nested parentheses: BAD", out)
alive(r, "deep parentheses")
r.send(("t SEARCH " + " ".join(["1"] * 100000) + "\r\n").encode())
out = r.line()
# tagged once session.c reads the tag of an overlong line (tests/imapd-longline.t)
ok(out.startswith(("t BAD", "* BAD")) and "too long" in out, "100,000 arguments (a 200 kB line): BAD, the line is dropped",
   out)
alive(r, "100,000 arguments")
chunks = "SEARCH " + " ".join(["ALL"] * 9000)
out = r.cmd(chunks)
ok(out[-1].startswith("t BAD"), "9,000 search keys: BAD (argument bound)", out[-1])
for bad in ("0", "1:0", "a", "1,,2", "99", "*:99", "1:2:3", "-1", "4294967296"):
    out = r.cmd("FETCH %s FLAGS" % bad)
    ok(out[-1].startswith("t BAD"), "invalid sequence set %r: BAD" % bad, out)
out = r.cmd("UID FETCH 99 FLAGS")
ok(out[-1].startswith("t OK") and len(out) == 1, "UID FETCH of a missing UID: OK, nothing", out)
out = r.cmd("STORE 1 +FLAGS (\\Bogus)")
ok(out[-1].startswith("t BAD"), "unknown system flag: BAD", out)
out = r.cmd("FETCH 1 (BODY[1.0])")
ok(out[-1].startswith("t BAD"), "section number 0: BAD", out)
out = r.cmd("FETCH 1 (BODY[HEADER.FIELDS ()])")
ok(out[-1].startswith("t BAD"), "empty HEADER.FIELDS: BAD", out)
out = r.cmd("FROB")
ok(out[-1].startswith("t BAD"), "unknown command: BAD", out)
out = r.cmd("UID FROB 1")
ok(out[-1].startswith("t BAD"), "UID with an unknown command: BAD", out)
r.send(b")(\r\n")
out = r.until("*")
ok(out[-1].startswith("* BAD"), "junk without a tag: * BAD", out)
out = r.cmd("APPEND INBOX {999999999999}")
ok(out[-1].startswith("t NO [TOOBIG]"), "APPEND of a message over imapd-maxmsg: NO [TOOBIG], before the data", out)
alive(r, "a refused APPEND")
out = r.cmd("CREATE " + "a" * 300)
ok(out[-1].startswith("t NO"), "mailbox name over 255 bytes: NO", out)
out = r.cmd('CREATE "../../etc"')
ok(out[-1].startswith("t NO"), "path in a mailbox name: NO", out)
out = r.cmd('SELECT "../.."')
ok(out[-1].startswith("t NO"), "SELECT of a path: NO", out)
# a non-synchronizing literal over the bound: BAD, then the server hangs up
r.send(b"t LOGIN {99999999+}\r\n")
out = [r.line(), r.line(), r.line()]
ok(out[0].startswith("t BAD") and out[1].startswith("* BYE") and out[2] == "",
   "LITERAL+ over the bound: BAD, BYE, closed", out)
r.close()

# a literal that is announced but not sent: the timeout applies (not tested: 60 s)
# too many errors in a row: hang up
r = Raw(port)
out = []
r.send(b"t FROB\r\n" * 50)
lines = []
while True:
    try:
        l = r.line()
    except ConnectionResetError:
        break
    if not l:
        break
    lines.append(l)
ok(any(l.startswith("* BYE") for l in lines) and len(lines) <= 52, "50 bad commands in a row: BYE", lines[-2:])
r.close()

if ROOT:
    import subprocess
    r = Raw(port)
    r.cmd("LOGIN alice@example.org alice-pw")
    time.sleep(0.2)
    ps = subprocess.run(["ps", "-o", "user=,args=", "-C", "posthorn-imapd"], capture_output=True, text=True).stdout
    ok("root" not in [l.split()[0] for l in ps.splitlines() if l.strip()], "after login no imapd runs as root", ps)
    r.close()

log = inst.log()
ok("literal-too-big" in log and "errors" in log, "the hang-ups are logged")
slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
