#!/usr/bin/env python3
# posthorn-imapd against hostile input: huge literal announcements
# (synchronizing: refused before the client sends; non-synchronizing:
# BAD and hang up), deep parentheses, 100,000 arguments, overlong lines,
# unterminated quotes, NUL bytes, invalid sequence sets, commands in the
# wrong state, junk; after every refusal the session goes on.  Literal
# sizes that cannot be read (over 2^63-1, not digits): BAD, BYE, closed,
# and the bytes that followed never run as a command.  Every number the
# server reads (sequence numbers, UIDs, partial ranges, section parts,
# SEARCH sizes) is refused with BAD past 4294967295, never wrapped.  Atoms
# as RFC 3501 section 9 has them ("[" in a mailbox name).  Also the
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
out = r.cmd("LOGIN {4294967297}")
ok(out[-1].startswith("t BAD") and "TOOBIG" in out[-1], "literal of 2^32+1 bytes: BAD [TOOBIG] (not read as 1)", out)
alive(r, "a literal of 2^32+1 bytes")
# a literal of 0 bytes, and a size with leading zeros (RFC 3501 number)
r.send(b"t LOGIN {0}\r\n")
out = r.line()
ok(out.startswith("+"), "{0}: continuation", out)
r.send(b" x\r\n")
out = r.until("t")
ok(out[-1].startswith("t NO"), "LOGIN with an empty user from {0}: NO", out)
alive(r, "an empty literal")
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
for bad in ("0", "1:0", "a", "1,,2", "99", "*:99", "1:2:3", "-1", "4294967296", "4294967297", "1:4294967296",
            "18446744073709551617", "01", "+1", "4294967296:*"):
    out = r.cmd("FETCH %s FLAGS" % bad)
    ok(out[-1].startswith("t BAD"), "invalid sequence set %r: BAD" % bad, out)
alive(r, "bad sequence sets")
for cmd in ("UID FETCH 4294967296 FLAGS", "UID FETCH 1:4294967296 FLAGS", "STORE 4294967297 +FLAGS (\\Seen)",
            "UID STORE 4294967296 +FLAGS (\\Seen)", "COPY 4294967296 INBOX", "UID COPY 0 INBOX",
            "SEARCH 4294967296", "SEARCH UID 4294967296", "UID SEARCH UID 1:4294967296",
            "SEARCH LARGER 4294967296", "SEARCH SMALLER 18446744073709551617", "SEARCH LARGER -1",
            "SEARCH LARGER +5", "SEARCH LARGER 1x", 'SEARCH LARGER " 5"', "SEARCH SINCE +1-Jan-2020",
            "SEARCH ON 1-Jan-2020x", "SEARCH BEFORE 4294967297-Jan-2020"):
    out = r.cmd(cmd)
    ok(len(out) == 1 and out[-1].startswith("t BAD"), "%s: BAD, nothing else" % cmd, out)
    alive(r, cmd)
out = r.cmd("SEARCH LARGER 4294967295")
ok(out == ["* SEARCH\r\n", "t OK SEARCH completed\r\n"], "SEARCH LARGER 4294967295: OK, none", out)
out = r.cmd("SEARCH SMALLER 00000000000000000000100")
ok(out == ["* SEARCH 1\r\n", "t OK SEARCH completed\r\n"], "SEARCH SMALLER with leading zeros: a number", out)
out = r.cmd("UID SEARCH UID 4294967295")
ok(out == ["* SEARCH\r\n", "t OK SEARCH completed\r\n"], "UID SEARCH UID 4294967295: OK, none", out)
# partial ranges <origin.count> are 32-bit numbers, the count not 0
for bad in ("BODY[]<4294967296.1>", "BODY[]<0.4294967296>", "BODY.PEEK[]<18446744073709551616.1>",
            "BODY[]<-1.1>", "BODY[]<1.0>", "BODY[]<1.>", "BODY[]<.1>", "BODY[]<1>", "BODY[]<1.2.3>",
            "BODY[]< 1.2>", "BODY[]<+1.2>", "BODY[]<0x1.2>"):
    out = r.cmd("FETCH 1 (%s)" % bad)
    ok(len(out) == 1 and out[-1].startswith("t BAD"), "partial %s: BAD, nothing fetched" % bad, out)
alive(r, "bad partial ranges")
head = r.cmd("FETCH 1 (BODY.PEEK[]<0.10>)")
out = r.cmd("FETCH 1 (BODY.PEEK[]<1.2>)")
ok(len(head) == 3 and head[0] == "* 1 FETCH (BODY[]<0> {10}\r\n" and len(out) == 3 and
   out[0] == "* 1 FETCH (BODY[]<1> {2}\r\n" and out[1] == head[1][1:3] + ")\r\n" and out[2].startswith("t OK"),
   "BODY.PEEK[]<1.2>: the 2 bytes from offset 1", [head, out])
out = r.cmd("FETCH 1 (BODY.PEEK[]<4294967295.4294967295>)")
ok(len(out) == 3 and out[0] == "* 1 FETCH (BODY[]<4294967295> {0}\r\n" and out[2].startswith("t OK"),
   "BODY.PEEK[]<4294967295.4294967295>: the largest numbers, nothing there", out)
# section parts are nz-numbers up to 4294967295
for bad in ("BODY[4294967296]", "BODY[1.4294967297]", "BODY[18446744073709551617]", "BODY[01]", "BODY[-1]",
            "BODY[1..2]", "BODY[1.]"):
    out = r.cmd("FETCH 1 (%s)" % bad)
    ok(len(out) == 1 and out[-1].startswith("t BAD"), "section %s: BAD" % bad, out)
alive(r, "bad section numbers")
out = r.cmd("FETCH 1 (BODY.PEEK[4294967295])")
ok(len(out) == 3 and out[0] == "* 1 FETCH (BODY[4294967295] {0}\r\n" and out[2].startswith("t OK"),
   "BODY.PEEK[4294967295]: no such part, empty", out)
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
# APPEND's date-time: every number digits only
r.send(b't APPEND INBOX "+1-Jan-2020 10:00:00 +0000" {5+}\r\nhello\r\n')
out = r.until("t")
ok(len(out) == 1 and out[0].startswith("t BAD"), "APPEND date-time with a sign in the day: BAD", out)
r.send(b't APPEND INBOX "01-Jan-2020 10:00:00 +-999" {5+}\r\nhello\r\n')
out = r.until("t")
ok(len(out) == 1 and out[0].startswith("t BAD"), "APPEND date-time with a zone of +-999: BAD", out)
out = r.cmd("APPEND INBOX {4294967297}")
ok(out[-1].startswith("t NO [TOOBIG]"), "APPEND of 2^32+1 bytes: NO [TOOBIG] (not read as 1)", out)
alive(r, "the refused APPENDs")
# atoms (RFC 3501 section 9): "[" and every other ATOM-CHAR in a mailbox name
out = r.cmd("SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}")
ok(len(out) == 1 and out[0].startswith("t NO") and "[NONEXISTENT]" in out[0],
   "SELECT of a name with every ATOM-CHAR: NO, no such mailbox", out)
out = r.cmd('LIST "" "!#$&\'+,-.0123456789:;<=>?@^_`|[}%*"')
ok(out == ["t OK LIST completed\r\n"], "LIST with that pattern: OK", out)
alive(r, "LIST with [ in the pattern")
out = r.cmd("CREATE Pro[j]")
ok(out[-1].startswith("t OK"), "CREATE Pro[j] (an unquoted astring with [ and ])", out)
out = r.cmd('LIST "" Pro[%')
ok(out == ['* LIST (\\HasNoChildren) "." "Pro[j]"\r\n', "t OK LIST completed\r\n"], "LIST \"\" Pro[%", out)
out = r.cmd("SELECT Pro[j]")
ok(out[-1].startswith("t OK"), "SELECT Pro[j]", out)
out = r.cmd("SELECT a[b c]")
ok(len(out) == 1 and out[0].startswith("t BAD"), "SELECT a[b c]: two arguments, BAD", out)
out = r.cmd("SELECT INBOX")
ok(out[-1].startswith("t OK"), "SELECT INBOX again", out)
out = r.cmd("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
ok(out[0] == "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {16}\r\n" and out[1] == "Subject: one\r\n" and
   out[-1].startswith("t OK"), "FETCH BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] still one item", out)
out = r.cmd("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS.NOT (FROM)])")
ok("BODY[HEADER.FIELDS.NOT (FROM)] {" in out[0] and "Subject: one\r\n" in out and out[-1].startswith("t OK"),
   "and in UID FETCH", out)
r.send(b"a[1] NOOP\r\n")
out = r.line()
ok(out == "a[1] OK NOOP completed\r\n", "a tag with [ and ]", out)
r.send(b"* NOOP\r\n")
out = r.line()
ok(out.startswith("* BAD"), "* is no tag: * BAD", out)
# a non-synchronizing literal over the bound: BAD, then the server hangs up
r.send(b"t LOGIN {99999999+}\r\n")
out = [r.line(), r.line(), r.line()]
ok(out[0].startswith("t BAD") and out[1].startswith("* BYE") and out[2] == "",
   "LITERAL+ over the bound: BAD, BYE, closed", out)
r.close()



def rest(r):
    """The lines up to the end of the connection (at most 20)."""
    lines = []
    for _ in range(20):
        try:
            l = r.line()
        except (ConnectionResetError, socket.timeout):
            break
        if not l:
            break
        lines.append(l)
    return lines


def folder_made(name):
    return os.path.isdir(inst.folder_dir("alice", name))


# A literal announcement whose size cannot be read: the client's bytes may
# be on their way and we cannot tell where they end, so BAD, BYE, closed;
# the command inside the literal never runs (a CREATE is the witness).
for ann, what in ((b"{18446744073709551617+}", "2^64+1, non-synchronizing"),
                  (b"{18446744073709551617}", "2^64+1, synchronizing"),
                  (b"{9223372036854775808+}", "2^63"),
                  (b"{99999999999999999999999999999999999999}", "38 digits"),
                  (b"{12x+}", "not digits"),
                  (b"{-1+}", "negative"),
                  (b"{}", "empty")):
    for logged_in in (False, True):
        r = Raw(port)
        if logged_in:
            r.cmd("LOGIN alice@example.org alice-pw")
            r.cmd("SELECT INBOX")
            cmd = b"t APPEND INBOX " + ann + b"\r\nc CREATE Smuggled\r\nn NOOP\r\n"
        else:
            cmd = b"t LOGIN " + ann + b"\r\nc LOGIN alice@example.org alice-pw\r\nn NOOP\r\n"
        r.send(cmd)
        out = rest(r)
        ok(len(out) == 2 and out[0].startswith("t BAD") and out[1].startswith("* BYE"),
           "literal %s (%s): BAD, BYE, closed; nothing after it answered" % (what, "APPEND" if logged_in else "LOGIN"),
           out)
        r.close()
ok(not folder_made("Smuggled"), "the CREATE inside those literals never ran")
# within the bounds the same bytes are a literal like any other
r = Raw(port)
r.send(b"t LOGIN {000000000000000000017+}\r\nalice@example.org {00000008+}\r\nalice-pw\r\n")
out = r.until("t")
ok(out[-1].startswith("t OK"), "LOGIN with literal sizes with leading zeros", out)
r.send(b"t LIST \"\" {1+}\r\n%\r\n")
out = r.until("t")
ok(out[-1].startswith("t OK") and any("INBOX" in l for l in out), "LIST with a literal pattern", out)
# a literal of 2^32+1 bytes, non-synchronizing, with a command inside the
# bytes that follow: over the bound, so BAD, BYE, closed
r.send(b"t APPEND INBOX {4294967297+}\r\nc CREATE Smuggled2\r\nn NOOP\r\n")
out = rest(r)
ok(len(out) == 2 and out[0].startswith("t BAD") and out[1].startswith("* BYE"),
   "APPEND {4294967297+}: BAD, BYE, closed", out)
ok(not folder_made("Smuggled2"), "the CREATE after it never ran")
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
ok("literal-too-big" in log and "literal-unreadable" in log and "errors" in log, "the hang-ups are logged")
slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
