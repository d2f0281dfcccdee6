#!/usr/bin/env python3
# posthorn-imapd's UTF8=ACCEPT (RFC 6855): after ENABLE UTF8=ACCEPT,
# folder names are UTF-8 on the wire both ways (CREATE, LIST, SELECT,
# STATUS, RENAME, APPEND, COPY), while the folder dirs stay modified UTF-7
# on disk, so a client that did not enable it (and other Maildir tools)
# sees the same folder in modified UTF-7.  APPEND's UTF8 data item
# (section 4) stores UTF-8 headers as they are; SEARCH with CHARSET is BAD
# once enabled (section 3, erratum 4029); a login with a UTF-8 password
# works and one with a UTF-8 user name is an ordinary failure.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, done
from imapd import Instance, Raw

inst = Instance(users=[("alice", "alice-pw"), ("bob", "pässwörd-日本")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")


def u(text):
    return text.encode("utf-8")


def cmd(r, text, tag="t"):
    r.send(u("%s %s\r\n" % (tag, text)))
    return [l.encode("latin-1").decode("utf-8", "replace") for l in r.until(tag)]


r = Raw(port)
ok("UTF8=ACCEPT" in r.greeting.decode(), "UTF8=ACCEPT in the capabilities", r.greeting)
cmd(r, "LOGIN alice@example.org alice-pw")
out = cmd(r, "ENABLE UTF8=ACCEPT")
ok("* ENABLED UTF8=ACCEPT\r\n" in out and out[-1].startswith("t OK"), "ENABLE UTF8=ACCEPT", out)
out = cmd(r, "ENABLE UTF8=ACCEPT")
ok("* ENABLED\r\n" in out, "enabled once: a second ENABLE lists nothing (RFC 5161 3.2)", out)

out = cmd(r, 'CREATE "Entwürfe"')
ok(out[-1].startswith("t OK"), "CREATE \"Entwürfe\" in UTF-8", out)
ok(os.path.isdir(os.path.join(md, ".Entw&APw-rfe")), "on disk: .Entw&APw-rfe (modified UTF-7, as before)",
   sorted(os.listdir(md)))
out = cmd(r, "CREATE 日本")
ok(out[-1].startswith("t OK") and os.path.isdir(os.path.join(md, ".&ZeVnLA-")), "CREATE 日本 as an atom", out)
out = cmd(r, 'CREATE "R&D"')
ok(out[-1].startswith("t OK") and os.path.isdir(os.path.join(md, ".R&-D")), "an '&' is text: .R&-D on disk", out)
out = cmd(r, 'CREATE "Entw&APw-rfe2"')
ok(out[-1].startswith("t OK") and os.path.isdir(os.path.join(md, ".Entw&-APw-rfe2")),
   "modified UTF-7 is not decoded once enabled", out)
out = cmd(r, 'LIST "" "*"')
ok('* LIST (\\HasNoChildren) "." "Entwürfe"\r\n' in out, "LIST answers in UTF-8", out)
ok('* LIST (\\HasNoChildren) "." "日本"\r\n' in out and '* LIST (\\HasNoChildren) "." "R&D"\r\n' in out,
   "LIST: 日本 and R&D", out)
ok(not any('"Entw&APw-rfe"' in l or "&ZeVnLA-" in l for l in out), "LIST: no modified UTF-7 in the answer", out)
out = cmd(r, 'LIST "" "Entwü*"')
ok(len(out) == 2 and out[0] == '* LIST (\\HasNoChildren) "." "Entwürfe"\r\n', "LIST with a UTF-8 pattern", out)
out = cmd(r, 'SELECT "Entwürfe"')
ok(out[-1].startswith("t OK") and "* 0 EXISTS\r\n" in out, "SELECT \"Entwürfe\"", out)

# APPEND with UTF-8 headers, in the UTF8 data item of RFC 6855 4
msg = u("From: Jörg <jörg@example.org>\r\nSubject: Grüße aus 日本\r\n\r\nHallo\r\n")
r.send(u('a APPEND "Entwürfe" UTF8 ({%d}\r\n' % len(msg)))
cont = r.line()
ok(cont.startswith("+"), "APPEND UTF8 (literal): continuation", cont)
r.send(msg + b")\r\n")
out = [l.encode("latin-1").decode("utf-8", "replace") for l in r.until("a")]
ok(out[-1].startswith("a OK"), "APPEND UTF8 (literal) to Entwürfe", out)
files = os.listdir(os.path.join(md, ".Entw&APw-rfe", "new")) + os.listdir(os.path.join(md, ".Entw&APw-rfe", "cur"))
data = b""
for f in files:
    for sub in ("new", "cur"):
        p = os.path.join(md, ".Entw&APw-rfe", sub, f)
        if os.path.exists(p):
            data = open(p, "rb").read()
ok(u("Subject: Grüße aus 日本") in data, "the UTF-8 header is stored as it is", data[:200])
r.send(u('p APPEND "日本" {%d}\r\n' % len(msg)))
r.line()
r.send(msg + b"\r\n")
out = [l.encode("latin-1").decode("utf-8", "replace") for l in r.until("p")]
ok(out[-1].startswith("p OK"), "APPEND of a plain literal to 日本", out)

out = cmd(r, 'STATUS "日本" (MESSAGES)')
ok('* STATUS "日本" (MESSAGES 1)\r\n' in out, "STATUS names the folder in UTF-8", out)
out = cmd(r, "SELECT INBOX")
out = cmd(r, 'SELECT "Entwürfe"')
out = cmd(r, 'SEARCH CHARSET UTF-8 SUBJECT "Grüße"')
ok(out[-1].startswith("t BAD"), "SEARCH CHARSET after ENABLE UTF8=ACCEPT: BAD", out)
out = cmd(r, 'SEARCH SUBJECT "Grüße"')
ok("* SEARCH 1\r\n" in out, "SEARCH without CHARSET finds the UTF-8 subject", out)
out = cmd(r, 'COPY 1 "R&D"')
ok(out[-1].startswith("t OK"), "COPY to \"R&D\"", out)
out = cmd(r, 'RENAME "R&D" "Forschung & Entwicklung ü"')
ok(out[-1].startswith("t OK") and os.path.isdir(os.path.join(md, ".Forschung &- Entwicklung &APw-")),
   "RENAME to a UTF-8 name", (out, sorted(os.listdir(md))))
r.send(b't CREATE "bad\xff name"\r\n')
out = r.until("t")
ok(out[-1].startswith("t NO"), "a name that is not UTF-8: NO", out)
cmd(r, "LOGOUT")
r.close()

# a client that did not enable it sees modified UTF-7
r = Raw(port)
cmd(r, "LOGIN alice@example.org alice-pw")
out = cmd(r, 'LIST "" "*"')
ok('* LIST (\\HasNoChildren) "." "Entw&APw-rfe"\r\n' in out and '* LIST (\\HasNoChildren) "." "&ZeVnLA-"\r\n' in out,
   "without ENABLE: the same folders in modified UTF-7", out)
out = cmd(r, 'SELECT "Entw&APw-rfe"')
ok(out[-1].startswith("t OK") and "* 1 EXISTS\r\n" in out, "without ENABLE: SELECT in modified UTF-7", out)
out = cmd(r, 'SEARCH CHARSET UTF-8 SUBJECT "Grüße"')
ok("* SEARCH 1\r\n" in out, "without ENABLE: SEARCH CHARSET UTF-8 as before", out)
r.send(u('t CREATE "Entwürfe3"\r\n'))
out = r.until("t")
ok(out[-1].startswith("t NO"), "without ENABLE: an 8-bit name is refused as before", out)
cmd(r, "LOGOUT")
r.close()

# logins with UTF-8 (RFC 6855 5): a password, a user name
r = Raw(port)
out = cmd(r, 'LOGIN bob@example.org "pässwörd-日本"')
ok(out[-1].startswith("t OK"), "LOGIN with a UTF-8 password (quoted)", out)
r.close()
r = Raw(port)
pw = u("pässwörd-日本")
r.send(b"t LOGIN bob@example.org {%d}\r\n" % len(pw))
r.line()
r.send(pw + b"\r\n")
out = r.until("t")
ok(out[-1].startswith("t OK"), "LOGIN with a UTF-8 password (literal)", out)
r.close()
r = Raw(port)
out = cmd(r, 'LOGIN "jörg@example.org" "x"')
ok(out[-1].startswith("t NO [AUTHENTICATIONFAILED]"), "LOGIN with a UTF-8 user name: an ordinary failure", out)
r.close()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
