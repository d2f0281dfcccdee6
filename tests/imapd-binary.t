#!/usr/bin/env python3
# posthorn-imapd BINARY (RFC 3516) and literal8: messages with base64,
# quoted-printable, 8bit and binary parts are APPENDed; FETCH BINARY[n]
# of each part is compared with Python's email package's decoding;
# BINARY.SIZE matches it; a partial range counts decoded bytes; data with
# NUL comes as a literal8 (~{n}), without NUL as a literal; an unknown
# encoding fails with NO [UNKNOWN-CTE] and a multipart part with NO;
# BINARY sets \Seen and BINARY.PEEK does not; APPEND of a literal8 with
# NUL works, and of a plain literal with NUL is BAD (RFC 3516 4.4).
import base64
import email
import email.policy
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


def read_resp(r, tag):
    """Responses up to the tagged one: (text with literals inlined as
    b'<LIT8 n>' or b'<LIT n>', [(is_literal8, bytes)])."""
    out = []
    while True:
        line = r.f.readline()
        if not line:
            return out
        text, lits = b"", []
        while True:
            m = re.search(rb"(~?)\{(\d+)\}\r\n$", line)
            if not m:
                text += line
                break
            data = r.f.read(int(m.group(2)))
            lits.append((m.group(1) == b"~", data))
            text += line[:m.start()] + b"<LIT%s>" % (b"8" if m.group(1) else b"")
            line = r.f.readline()
        out.append((text, lits))
        if text.startswith(tag.encode() + b" "):
            return out


def cmd(r, text, tag="t"):
    r.send(text.encode() + b"\r\n" if isinstance(text, str) else text)
    return read_resp(r, tag)


def tagged(resp):
    return resp[-1][0].decode("latin-1").strip() if resp else ""


def append(r, data, lit8=False, flags=""):
    """APPEND data to INBOX with a synchronizing literal; the tagged line."""
    r.send(b"a APPEND INBOX %s%s{%d}\r\n" % (flags.encode(), b"~" if lit8 else b"", len(data)))
    l = r.f.readline()
    if not l.startswith(b"+"):
        return l.decode("latin-1").strip()
    r.send(data + b"\r\n")
    return tagged(read_resp(r, "a"))


def crlf(b):
    return re.sub(rb"\r?\n", b"\r\n", b)


# the corpus: parts with every encoding, and bytes with NUL in them
binblob = bytes(range(256)) * 4 + b"\0\0end"
textnul = b"no nul here, just 8-bit \xe9\xe8 bytes\r\n"
msgs = []
msgs.append(crlf(b"""From: a@example.net
To: alice@example.org
Subject: mixed encodings
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9 and a soft=
 break, trailing space   =20
=3D sign
--XX
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

""") + base64.encodebytes(binblob).replace(b"\n", b"\r\n") + crlf(b"""--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + textnul + crlf(b"""--XX
Content-Type: text/plain
Content-Transfer-Encoding: base64

aGVsbG8gd29ybGQK
--XX--
"""))
msgs.append(crlf(b"""From: a@example.net
Subject: unknown encoding
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="YY"

--YY
Content-Type: text/plain

fine
--YY
Content-Type: application/octet-stream
Content-Transfer-Encoding: x-uuencode

begin 644 x
--YY--
"""))
msgs.append(crlf(b"""From: a@example.net
Subject: single base64
MIME-Version: 1.0
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAEC/w==
"""))
msgs.append(crlf(b"""From: a@example.net
Subject: nested
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="ZZ"

--ZZ
Content-Type: multipart/alternative; boundary="WW"

--WW
Content-Type: text/plain

inner
--WW--
--ZZ--
"""))

r = Raw(port)
resp = cmd(r, "l LOGIN alice@example.org alice-pw", "l")
ok(tagged(resp).startswith("l OK"), "login", resp)
resp = cmd(r, "c CAPABILITY", "c")
ok(b" BINARY" in resp[0][0], "CAPABILITY lists BINARY", resp)
for m in msgs:
    t = append(r, m)
    ok(t.startswith("a OK [APPENDUID"), "APPEND of a test message", t)
resp = cmd(r, "s SELECT INBOX", "s")
ok(tagged(resp).startswith("s OK"), "SELECT INBOX", resp)

# message 1, part by part, against email's decoding
parsed = email.message_from_bytes(msgs[0], policy=email.policy.compat32)
parts = parsed.get_payload()
for n, part in enumerate(parts, 1):
    want = part.get_payload(decode=True)
    if part.get_content_maintype() == "text":
        want = crlf(want)   # RFC 3516 4.2: text with CRLF line ends
    resp = cmd(r, "t FETCH 1 (BINARY.PEEK[%d] BINARY.SIZE[%d])" % (n, n))
    ok(tagged(resp).startswith("t OK"), "FETCH BINARY.PEEK[%d]: OK" % n, resp)
    lits = resp[0][1] if resp and resp[0][1] else [(None, None)]
    got8, got = lits[0]
    cte = part["Content-Transfer-Encoding"]
    # Python keeps CRLF in the qp text; the base64 payloads are exact bytes
    ok(got == want, "BINARY[%d] (%s) equals email's decoding" % (n, cte), "got %r\nwant %r" % (got, want))
    ok(got8 == (b"\0" in want), "BINARY[%d]: %s" % (n, "literal8 (NUL in it)" if b"\0" in want else "a plain literal"),
       resp[0][0])
    m = re.search(rb"BINARY\.SIZE\[%d\] (\d+)" % n, resp[0][0])
    ok(m and int(m.group(1)) == len(want), "BINARY.SIZE[%d] is %d" % (n, len(want)), resp[0][0])
    ok(("BINARY[%d] <LIT" % n).encode() in resp[0][0], "the item is named BINARY[%d] (not .PEEK)" % n, resp[0][0])

resp = cmd(r, "t FETCH 1 (BINARY.PEEK[2]<1000.30>)")
want = binblob[1000:1030]
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0][1] == want and
   b"BINARY[2]<1000> <LIT8>" in resp[0][0], "partial <1000.30> counts decoded bytes", resp)
resp = cmd(r, "t FETCH 1 (BINARY.PEEK[2]<5000.10>)")
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0][1] == b"", "partial beyond the end: empty", resp)
resp = cmd(r, "t FETCH 1 (FLAGS)")
ok(b"\\Seen" not in resp[0][0], "BINARY.PEEK leaves \\Seen unset", resp)
resp = cmd(r, "t FETCH 1 (BINARY[4])")
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0][1] == b"hello world\r\n" and b"\\Seen" in resp[0][0],
   "BINARY[4] decodes base64 text, with CRLF (RFC 3516 4.2), and sets \\Seen (its FLAGS in the same response)", resp)

# the whole message of a single-part base64 message: header, decoded body
resp = cmd(r, "t FETCH 3 (BINARY.PEEK[] BINARY.PEEK[1] BINARY.SIZE[])")
hdr = msgs[2][:msgs[2].index(b"\r\n\r\n") + 4]
ok(tagged(resp).startswith("t OK") and len(resp[0][1]) == 2 and resp[0][1][0] == (True, hdr + b"\0\1\2\xff") and
   resp[0][1][1] == (True, b"\0\1\2\xff") and b"BINARY.SIZE[] %d" % (len(hdr) + 4) in resp[0][0],
   "BINARY[] of a one-part message: its header and decoded body; BINARY[1] the body", resp)
resp = cmd(r, "t FETCH 1 (BINARY.PEEK[] BINARY.SIZE[])")
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0][1] == msgs[0] and
   b"BINARY.SIZE[] %d" % len(msgs[0]) in resp[0][0], "BINARY[] of a multipart message: the message as it is", resp)

# errors
resp = cmd(r, "t FETCH 2 (BINARY.PEEK[2])")
ok(tagged(resp).startswith("t NO [UNKNOWN-CTE]") and len(resp) == 1, "x-uuencode: NO [UNKNOWN-CTE] (RFC 3516 4.3)",
   resp)
resp = cmd(r, "t FETCH 2 (BINARY.SIZE[2])")
ok(tagged(resp).startswith("t NO [UNKNOWN-CTE]"), "BINARY.SIZE of x-uuencode: NO [UNKNOWN-CTE]", resp)
resp = cmd(r, "t FETCH 2 (BINARY.PEEK[1])")
ok(tagged(resp).startswith("t OK") and resp[0][1][0][1] == b"fine", "the other part of that message is fine", resp)
resp = cmd(r, "t FETCH 4 (BINARY.PEEK[1])")
ok(tagged(resp).startswith("t NO"), "BINARY of a multipart part: NO", resp)
resp = cmd(r, "t FETCH 1 (BINARY.PEEK[1.MIME])")
ok(tagged(resp).startswith("t BAD"), "BINARY with a MIME section: BAD", resp)
resp = cmd(r, "t FETCH 1 (BINARY.PEEK[HEADER])")
ok(tagged(resp).startswith("t BAD"), "BINARY with HEADER: BAD", resp)
resp = cmd(r, "t FETCH 1 (BINARY.SIZE[1]<0.10>)")
ok(tagged(resp).startswith("t BAD"), "BINARY.SIZE with a partial: BAD", resp)
resp = cmd(r, "t FETCH 1 (BINARY.PEEK[9])")
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0][1] == b"", "a part that is not there: empty",
   resp)

# APPEND with literal8 (RFC 3516 4.4)
withnul = crlf(b"From: a@example.net\nSubject: nul\nContent-Transfer-Encoding: binary\n\nbefore\0after\n")
t = append(r, withnul, lit8=True)
ok(t.startswith("a OK [APPENDUID"), "APPEND ~{n} of a message with NUL", t)
resp = cmd(r, "t NOOP")
resp = cmd(r, "t FETCH 5 (BINARY.PEEK[1] RFC822.SIZE)")
ok(tagged(resp).startswith("t OK") and resp[0][1] and resp[0][1][0] == (True, b"before\0after\r\n"),
   "its body comes back as a literal8 with the NUL", resp)
t = append(r, withnul)
ok(t.startswith("a BAD"), "APPEND {n} (not literal8) with NUL: BAD", t)
r.send(b"a APPEND INBOX ~{%d+}\r\n" % len(withnul) + withnul + b"\r\n")
t = tagged(read_resp(r, "a"))
ok(t.startswith("a OK [APPENDUID"), "APPEND ~{n+} (LITERAL+) with NUL", t)
resp = cmd(r, "t FETCH 1 (BODY.PEEK[] ~{3}\r\nabc)")
ok(tagged(resp).startswith("t BAD"), "literal8 outside APPEND: BAD", resp)
alive(r, "the BINARY errors")
cmd(r, "z LOGOUT", "z")
r.close()
ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
