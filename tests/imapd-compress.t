#!/usr/bin/env python3
# posthorn-imapd's COMPRESS=DEFLATE (RFC 4978): a raw-socket client that
# speaks raw deflate (zlib, wbits -15) both ways after the tagged OK, in
# the clear, with implicit TLS (-T) and after STARTTLS (both through the
# login half's relay: the session process compresses inside the TLS the
# login half holds).  A large FETCH through it matches the file; COMPRESS
# before login is BAD, a second one NO [COMPRESSIONACTIVE]; a bomb (a few
# KiB that inflate to 8 MiB on one line) is "line too long" and the
# session goes on; IDLE tells a delivery through it at once; a corrupt
# stream ends the session with a log line.
# mbsync (isync 1.4 asks for COMPRESS=DEFLATE when offered) syncs through it.
import os
import re
import shutil
import socket
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, done, note
from imapd import Instance, Raw
from mbsync import Mbsync

inst = Instance(users=[("alice", "alice-pw")])
body = "".join("line %06d of a big message, text that compresses well\n" % i for i in range(40000))
inst.deliver("alice", "Subject: big\n\n" + body)
inst.deliver("alice", "Subject: small\n\nsmall body\n")
clear = inst.start(env={"IMAPD_CLEARTEXT": "1"})
tls_port = inst.start(["-T"])
starttls = inst.start()


class Z:
    """A client session that turns on COMPRESS after login (Raw until then)."""

    def __init__(self, raw):
        self.r = raw
        self.c = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.d = zlib.decompressobj(-15)
        self.buf = b""
        self.wire_in = 0

    def send(self, data):
        self.r.s.sendall(self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH))

    def _more(self):
        chunk = self.r.s.recv(65536)
        if not chunk:
            return False
        self.wire_in += len(chunk)
        self.buf += self.d.decompress(chunk)
        return True

    def line(self):
        while b"\n" not in self.buf:
            if not self._more():
                out, self.buf = self.buf, b""
                return out.decode("latin-1")
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode("latin-1")

    def bytes(self, n):
        while len(self.buf) < n:
            if not self._more():
                break
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def until(self, tag):
        """Lines up to the tagged one; a literal's bytes are one item."""
        out = []
        while True:
            l = self.line()
            out.append(l)
            m = re.search(r"\{(\d+)\}\r\n$", l)
            if m:
                out.append(self.bytes(int(m.group(1))))
                continue
            if not l or l.startswith(tag + " "):
                return out

    def cmd(self, text, tag="z"):
        self.send(("%s %s\r\n" % (tag, text)).encode())
        return self.until(tag)


def compressed(raw, what):
    out = raw.cmd("COMPRESS DEFLATE", tag="c")
    # the OK is the last clear-text line; nothing else may follow it unread
    ok(out[-1].startswith("c OK"), what + ": COMPRESS DEFLATE OK", out)
    return Z(raw)


def fetch_checks(z, what):
    out = z.cmd("SELECT INBOX")
    ok(out[-1].startswith("z OK") and "* 2 EXISTS\r\n" in out, what + ": SELECT through deflate", out[-3:])
    out = z.cmd("FETCH 1 BODY[]")
    lit = [x for x in out if isinstance(x, bytes)]
    md = inst.maildir("alice")
    path = None
    for sub in ("cur", "new"):
        for f in os.listdir(os.path.join(md, sub)):
            with open(os.path.join(md, sub, f), "rb") as fh:
                data = fh.read()
            if b"Subject: big" in data:
                path = data
    want = path.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") if path else None
    ok(out[-1].startswith("z OK") and lit and lit[0] == want,
       what + ": FETCH BODY[] of %d bytes matches the file" % (len(want) if want else 0),
       (out[-1], len(lit[0]) if lit else None))
    ok(z.wire_in < len(want) // 4, what + ": and came compressed (%d bytes on the wire)" % z.wire_in)
    out = z.cmd("COMPRESS DEFLATE")
    ok(out[-1].startswith("z NO [COMPRESSIONACTIVE]"), what + ": a second COMPRESS: NO [COMPRESSIONACTIVE]", out)
    out = z.cmd("FETCH 2 BODY[TEXT]")
    ok(out[-1].startswith("z OK") and any("small body" in (x.decode() if isinstance(x, bytes) else x) for x in out),
       what + ": and the session goes on", out)
    out = z.cmd("LOGOUT")
    ok(any(x.startswith("* BYE") for x in out) and out[-1].startswith("z OK"), what + ": LOGOUT", out)


# in the clear
r = Raw(clear)
ok("COMPRESS=DEFLATE" in r.greeting.decode(), "COMPRESS=DEFLATE in the capabilities", r.greeting)
out = r.cmd("COMPRESS DEFLATE")
ok(out[-1].startswith("t BAD"), "COMPRESS before login: BAD", out)
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login in the clear", out)
out = r.cmd("COMPRESS GZIP")
ok(out[-1].startswith("t BAD"), "COMPRESS of another algorithm: BAD", out)
fetch_checks(compressed(r, "clear"), "clear")
r.close()

# implicit TLS: the login half keeps the TLS and relays
r = Raw(tls_port, ctx=inst.ctx)
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login with -T", out)
fetch_checks(compressed(r, "-T"), "-T")
r.close()

# STARTTLS, then the same
r = Raw(starttls)
r.send(b"s STARTTLS\r\n")
ok(r.line().startswith("s OK"), "STARTTLS")
r.s = inst.ctx.wrap_socket(r.s, server_hostname="localhost")
r.f = r.s.makefile("rb")
out = r.cmd("LOGIN alice@example.org alice-pw")
ok(out[-1].startswith("t OK"), "login after STARTTLS", out)
fetch_checks(compressed(r, "STARTTLS"), "STARTTLS")
r.close()

# a bomb: 8 MiB on one line from a few KiB: "line too long", and on
r = Raw(clear)
r.cmd("LOGIN alice@example.org alice-pw")
z = compressed(r, "bomb")
payload = b"b1 NOOP " + b"A" * (8 << 20) + b"\r\n"
z.send(payload)
note("bomb: %d bytes deflated to %d" % (len(payload), len(zlib.compress(payload))))
out = z.until("b1")
ok(out[-1].startswith("b1 BAD") and "too long" in out[-1], "bomb: 8 MiB on one line is BAD line too long", out)
out = z.cmd("NOOP")
ok(out[-1].startswith("z OK"), "bomb: the session goes on", out)
# IDLE through deflate: the update of a delivery reaches the client at once
# (a sync flush), and DONE (compressed) ends it
z.cmd("SELECT INBOX")
z.send(b"i IDLE\r\n")
ok(z.line().startswith("+ "), "IDLE under COMPRESS: continuation")
inst.deliver("alice", "Subject: during idle\n\nhi\n")
l = z.line()
ok(l == "* 3 EXISTS\r\n", "IDLE under COMPRESS: the new message is told", l)
z.send(b"DONE\r\n")
out = z.until("i")
ok(out[-1].startswith("i OK"), "IDLE under COMPRESS: DONE", out)
r.close()

# a corrupt stream ends the session, with a log line
r = Raw(clear)
r.cmd("LOGIN alice@example.org alice-pw")
z = compressed(r, "corrupt")
r.s.sendall(b"\xff\xff\xff\xff\x13\x37 junk that is no deflate\r\n")
r.s.settimeout(10)
rest = b""
try:
    while True:
        chunk = r.s.recv(4096)
        if not chunk:
            break
        rest += chunk
    closed = True
except (socket.timeout, ConnectionResetError):
    closed = False
ok(closed, "corrupt: the server closes the connection")
r.close()
log = inst.log()
ok(re.search(r'op=read error="inflate', log) and "reason=read-error" in log,
   "corrupt: logged (op=read error=inflate..., reason=read-error)", log[-600:])

# a client that pipelines its first compressed command behind COMPRESS
r = Raw(clear)
r.cmd("LOGIN alice@example.org alice-pw")
c = zlib.compressobj(6, zlib.DEFLATED, -15)
r.s.sendall(b"c COMPRESS DEFLATE\r\n" + c.compress(b"p NOOP\r\n") + c.flush(zlib.Z_SYNC_FLUSH))
line = r.line()
ok(line.startswith("c OK"), "pipelined: COMPRESS OK", line)
z = Z(r)
z.c = c
# what the line reader has read past the OK is compressed already
z.buf = z.d.decompress(r.f.peek())
out = z.until("p")
ok(out[-1].startswith("p OK"), "pipelined: the compressed NOOP sent with it runs", out)
r.close()

# mbsync (isync) does COMPRESS=DEFLATE when offered
if shutil.which("mbsync"):
    mb = Mbsync(tls_port, inst.cert)
    code, text = mb.run("-Dn")
    ok(code == 0, "mbsync syncs over -T", text[-1500:])
    ok("COMPRESS DEFLATE" in text, "mbsync asked for COMPRESS DEFLATE", text[:1500])
    got = []
    for sub in ("cur", "new"):
        d = os.path.join(mb.local, "INBOX", sub)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            with open(os.path.join(d, f), "rb") as fh:
                got.append(fh.read())
    ok(len(got) == 3 and any(body.encode() in g.replace(b"\r\n", b"\n") for g in got),
       "mbsync: all three messages arrived, the big one whole", len(got))
else:
    note("no mbsync: skipped")

ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
