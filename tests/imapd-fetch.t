#!/usr/bin/env python3
# posthorn-imapd FETCH and SEARCH against Python's email package: a corpus
# of MIME messages made here (nested multiparts, attachments, a forwarded
# message/rfc822, encoded headers, 8-bit text, quoted-printable, malformed
# MIME) is APPENDed; for each, BODYSTRUCTURE is walked beside email's parse
# (types, parameters, encodings, sizes, line counts), every part is fetched
# as BODY[n] and decoded and compared with email's payload, and .MIME,
# HEADER, HEADER.FIELDS(.NOT), TEXT, <partial>, ENVELOPE, RFC822.SIZE,
# INTERNALDATE and \Seen behave; then SEARCH with every key.
import email
import email.policy
import imaplib
import os
import re
import sys
import base64
import quopri
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.header import Header

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance
import imapsexp

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})


def corpus():
    out = []
    m = MIMEText("plain body\nsecond line\n")
    m["Subject"] = "plain"
    m["From"] = "Ann Example <ann@example.net>"
    m["To"] = "alice@example.org, Bob <bob@example.org>"
    m["Date"] = "Tue, 2 Jan 2024 10:00:00 +0100"
    m["Message-ID"] = "<plain@example.net>"
    out.append(m)

    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("the text part\n", "plain", "utf-8"))
    alt.attach(MIMEText("<p>the html part</p>\n", "html", "utf-8"))
    mixed = MIMEMultipart("mixed")
    mixed.attach(alt)
    pdf = MIMEApplication(os.urandom(3000), "pdf", Name="report.pdf")
    pdf.add_header("Content-Disposition", "attachment", filename="report.pdf")
    mixed.attach(pdf)
    mixed["Subject"] = Header("Grüße aus Köln", "iso-8859-1").encode()
    mixed["From"] = "=?utf-8?q?J=C3=B6rg?= <joerg@example.net>"
    mixed["To"] = "alice@example.org"
    mixed["Date"] = "Wed, 3 Jan 2024 11:00:00 +0000"
    out.append(mixed)

    inner = MIMEText("forwarded body with needle-in-forward\n")
    inner["Subject"] = "inner subject"
    inner["From"] = "carol@example.net"
    fwd = MIMEMultipart("mixed")
    fwd.attach(MIMEText("see below\n"))
    fwd.attach(MIMEMessage(inner))
    fwd["Subject"] = "Fwd: inner subject"
    fwd["From"] = "dave@example.net"
    fwd["Cc"] = "team: x@example.net, y@example.net;"
    out.append(fwd)

    eight = ("From: eve@example.net\nTo: alice@example.org\nSubject: eight bit\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
             "naïve café body with ümlauts\n").encode()
    out.append(eight)

    qp = ("From: qp@example.net\nSubject: quoted printable\nMIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
          "a long line that is soft=\n broken, and caf=E9 in latin-1\n").encode()
    out.append(qp)

    b64 = MIMEText("base64 secret word: xylophone\n", "plain", "utf-8")
    b64.replace_header("Content-Transfer-Encoding", "base64")
    b64.set_payload(base64.encodebytes("base64 secret word: xylophone\n".encode()).decode())
    b64["Subject"] = "b64"
    out.append(b64)

    # malformed: boundary never used, missing close delimiter, no header at all in a part
    out.append(b"Subject: no boundary\nContent-Type: multipart/mixed; boundary=\"nowhere\"\n\njust text\n")
    out.append(b"Subject: unclosed\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\none\n--B\n\ntwo, no header\n")
    out.append(b"Subject: deep\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nleaf\n--c--\n--b--\n--a--\n")
    return [x if isinstance(x, bytes) else x.as_bytes() for x in out]


msgs = corpus()
m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
m.login("alice@example.org", "alice-pw")
for raw in msgs:
    typ, _ = m.append("INBOX", None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert typ == "OK"
typ, dat = m.select("INBOX")
ok(typ == "OK" and int(dat[0]) == len(msgs), "corpus of %d messages APPENDed" % len(msgs))


def fetch_raw(n, items):
    typ, dat = m.fetch(str(n), items)
    if typ != "OK":
        return None
    raw = b""
    for r in dat:
        if isinstance(r, tuple):
            raw += r[0] + b"\r\n" + r[1]
        elif r is not None:
            raw += r
    return raw


def fetch_items(n, items):
    raw = fetch_raw(n, items)
    body = raw[raw.index(b"(") :]
    lst = imapsexp.parse(body)[0]
    return {lst[i].upper(): lst[i + 1] for i in range(0, len(lst), 2)}


def section(n, sec):
    typ, dat = m.fetch(str(n), "(BODY.PEEK[%s])" % sec)
    for r in dat:
        if isinstance(r, tuple):
            return r[1]
    return b""


def decode(data, enc):
    enc = (enc or "7bit").lower()
    if enc == "base64":
        return base64.b64decode(data)
    if enc == "quoted-printable":
        return quopri.decodestring(data.replace(b"\r\n", b"\n"))
    return data.replace(b"\r\n", b"\n")


problems = []


def walk(n, bs, part, path):
    """bs: BODYSTRUCTURE list; part: email.message; path: part numbers."""
    where = "msg %d part %s" % (n, ".".join(map(str, path)) or "TEXT")
    if part.get_content_maintype() == "multipart" and not part.is_multipart():
        # email found no boundary: we give one text/plain part with the body
        sec = ".".join(map(str, path + [1]))
        if not isinstance(bs[0], list) or bs[0][0].lower() != "text" or \
                section(n, sec).replace(b"\r\n", b"\n") != part.get_payload().encode():
            problems.append("%s: boundary-less multipart: %r" % (where, bs))
        return
    if part.get_content_maintype() == "multipart":
        kids = []
        for x in bs:
            if not isinstance(x, list):
                break
            kids.append(x)
        sub = bs[len(kids)]
        if sub.lower() != part.get_content_subtype():
            problems.append("%s: subtype %s vs %s" % (where, sub, part.get_content_subtype()))
        if len(kids) != len(part.get_payload()):
            problems.append("%s: %d parts vs %d" % (where, len(kids), len(part.get_payload())))
        for i, (k, p) in enumerate(zip(kids, part.get_payload())):
            walk(n, k, p, path + [i + 1])
        return
    typ, sub = bs[0].lower(), bs[1].lower()
    if (typ, sub) != (part.get_content_maintype(), part.get_content_subtype()):
        problems.append("%s: type %s/%s vs %s" % (where, typ, sub, part.get_content_type()))
    params = {bs[2][i].lower(): bs[2][i + 1] for i in range(0, len(bs[2] or []), 2)}
    if typ == "text" and (params.get("charset") or "us-ascii").lower() != (part.get_content_charset() or "us-ascii"):
        problems.append("%s: charset %s vs %s" % (where, params.get("charset"), part.get_content_charset()))
    enc = bs[5]
    want_enc = (part.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if enc.lower() != want_enc:
        problems.append("%s: encoding %s vs %s" % (where, enc, want_enc))
    sec = ".".join(map(str, path)) if path else "1"
    data = section(n, sec)
    if int(bs[6]) != len(data):
        problems.append("%s: size %s vs BODY[%s] %d" % (where, bs[6], sec, len(data)))
    if typ == "text":
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        if int(bs[7]) != lines:
            problems.append("%s: lines %s vs %d" % (where, bs[7], lines))
    if typ == "message" and sub == "rfc822":
        inner = part.get_payload()[0]
        env = bs[7]
        if (env[1] or "") != (inner["Subject"] or ""):
            problems.append("%s: inner envelope subject %r" % (where, env[1]))
        if inner.is_multipart():
            walk(n, bs[8], inner, path)
        else:
            ib = bs[8]
            d2 = section(n, sec + ".1" if path else "1")
            if decode(d2, ib[5]) != inner.get_payload(decode=True):
                problems.append("%s: inner body differs" % where)
            hdr = section(n, sec + ".HEADER")
            if b"Subject: inner subject" not in hdr:
                problems.append("%s: .HEADER of message/rfc822: %r" % (where, hdr[:60]))
        return
    want = part.get_payload(decode=True)
    got = decode(data, enc)
    if typ == "text" and enc.lower() not in ("base64",):
        want = want.replace(b"\r\n", b"\n")
    if got != want:
        problems.append("%s: decoded BODY[%s] differs: %r vs %r" % (where, sec, got[:40], want[:40]))
    if path:
        mime = section(n, sec + ".MIME")
        if part["Content-Type"] and b"content-type" not in mime.lower():
            problems.append("%s: .MIME lacks Content-Type: %r" % (where, mime[:60]))


for n, raw in enumerate(msgs, 1):
    pm = email.message_from_bytes(raw)
    it = fetch_items(n, "(BODYSTRUCTURE)")
    before = len(problems)
    walk(n, it["BODYSTRUCTURE"], pm, [])
    ok(len(problems) == before, "message %d (%s): BODYSTRUCTURE and sections match email's view" % (n, pm["Subject"]),
       "\n".join(problems[before:]) + "\n" + repr(it["BODYSTRUCTURE"]))

# sizes, header sections, partials, envelope
wire = msgs[0].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
it = fetch_items(1, "(RFC822.SIZE INTERNALDATE ENVELOPE FLAGS UID)")
is_(int(it["RFC822.SIZE"]), len(wire), "RFC822.SIZE is the CRLF size")
is_(section(1, ""), wire, "BODY[] is the message with CRLF")
ok(re.match(r"\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d [+-]\d{4}$", it["INTERNALDATE"]), "INTERNALDATE format",
   it["INTERNALDATE"])
env = it["ENVELOPE"]
is_(env[0], "Tue, 2 Jan 2024 10:00:00 +0100", "ENVELOPE date")
is_(env[1], "plain", "ENVELOPE subject")
is_(env[2], [["Ann Example", None, "ann", "example.net"]], "ENVELOPE from")
is_(env[3], env[2], "ENVELOPE sender defaults to from")
is_(env[5], [[None, None, "alice", "example.org"], ["Bob", None, "bob", "example.org"]], "ENVELOPE to")
is_(env[9], "<plain@example.net>", "ENVELOPE message-id")
env3 = fetch_items(3, "(ENVELOPE)")["ENVELOPE"]
is_(env3[6], [[None, None, "team", None], [None, None, "x", "example.net"], [None, None, "y", "example.net"],
              [None, None, None, None]], "ENVELOPE group syntax in Cc")
hdr = section(1, "HEADER")
ok(hdr.endswith(b"\r\n\r\n") and hdr.startswith(b"Content-Type"), "BODY[HEADER] ends with the blank line")
is_(section(1, "HEADER.FIELDS (SUBJECT FROM)"), b"Subject: plain\r\nFrom: Ann Example <ann@example.net>\r\n\r\n",
    "HEADER.FIELDS")
nf = section(1, "HEADER.FIELDS.NOT (SUBJECT FROM TO DATE MESSAGE-ID)")
ok(b"Subject" not in nf and b"Content-Type" in nf, "HEADER.FIELDS.NOT", nf)
is_(section(1, "TEXT"), b"plain body\r\nsecond line\r\n", "BODY[TEXT]")
raw = fetch_raw(1, "(BODY.PEEK[TEXT]<6.8>)")
ok(b"BODY[TEXT]<6> {8}" in raw and raw.endswith(b"body\r\nse)"), "partial <6.8>", raw)
raw = fetch_raw(1, "(BODY.PEEK[TEXT]<500.8>)")
ok(b"BODY[TEXT]<500> {0}" in raw or b'BODY[TEXT]<500> ""' in raw, "partial beyond the end is empty", raw)
is_(fetch_items(1, "(FLAGS)")["FLAGS"], ["\\Recent"], "no \\Seen after PEEK fetches (\\Recent: this session saw the APPENDs first)")
raw = fetch_raw(1, "(BODY[1])")
ok(b"\\Seen" in raw, "BODY[1] sets \\Seen and says so", raw)
raw = fetch_raw(2, "(RFC822.HEADER)")
ok(b"RFC822.HEADER" in raw and b"\\Seen" not in raw, "RFC822.HEADER does not set \\Seen")
raw = fetch_raw(2, "(RFC822.TEXT)")
ok(b"\\Seen" in raw, "RFC822.TEXT sets \\Seen")
typ, dat = m.fetch("1", "ALL")
ok(typ == "OK" and b"ENVELOPE" in dat[0] and b"RFC822.SIZE" in dat[0], "FETCH ALL macro")
typ, dat = m.fetch("1:2", "FAST")
ok(typ == "OK" and len(dat) == 2, "FETCH FAST macro over a range")
typ, dat = m.fetch("1", "FULL")
ok(typ == "OK" and b"BODY (" in dat[0], "FETCH FULL macro")
typ, dat = m.uid("FETCH", "1:*", "(FLAGS)")
ok(typ == "OK" and len(dat) == len(msgs) and all(b"UID" in d for d in dat), "UID FETCH adds UID")
typ, dat = m.fetch("1", "(BODY[9.9])")
ok(typ == "OK", "a part that does not exist is empty, not an error")
try:
    m.fetch("1", "(BOGUS)")
    ok(False, "unknown FETCH item is BAD")
except imaplib.IMAP4.error:
    ok(True, "unknown FETCH item is BAD")

# ---- SEARCH ----


def search(*crit, uid=False, charset=None):
    if uid:
        typ, dat = m.uid("SEARCH", *crit)
    else:
        typ, dat = m.search(charset, *crit)
    return typ, [int(x) for x in dat[0].split()] if typ == "OK" and dat[0] else []


is_(search("ALL")[1], list(range(1, len(msgs) + 1)), "SEARCH ALL")
is_(search("SUBJECT", "plain")[1], [1], "SEARCH SUBJECT")
m.literal = "Grüße".encode()
is_(search("SUBJECT", charset="UTF-8")[1], [2], "SEARCH SUBJECT decodes RFC 2047 (ISO-8859-1), literal UTF-8")
m.literal = "Jörg".encode()
is_(search("FROM", charset="UTF-8")[1], [2], "SEARCH FROM matches an encoded display name")
is_(search("BODY", "xylophone")[1], [6], "SEARCH BODY decodes base64")
m.literal = "café in latin-1".encode()
is_(search("BODY", charset="UTF-8")[1], [5], "SEARCH BODY decodes quoted-printable and latin-1")
is_(search("BODY", '"soft broken,"')[1], [5], "a soft line break joins the lines")
is_(search("BODY", "needle-in-forward")[1], [3], "SEARCH BODY finds text in a forwarded message")
is_(search("TEXT", "dave@example")[1], [3], "SEARCH TEXT matches the header")
is_(search("HEADER", "Message-ID", "plain@")[1], [1], "SEARCH HEADER")
is_(search("TO", "bob@")[1], [1], "SEARCH TO")
is_(search("CC", "team")[1], [3], "SEARCH CC")
is_(search("BCC", "x")[1], [], "SEARCH BCC")
is_(search("SEEN")[1], [1, 2], "SEARCH SEEN")
is_(search("UNSEEN")[1], list(range(3, len(msgs) + 1)), "SEARCH UNSEEN")
is_(search("NOT", "SEEN", "NOT", "SUBJECT", "b64")[1], [n for n in range(3, len(msgs) + 1) if n != 6], "NOT")
is_(search("OR", "SUBJECT", "plain", "SUBJECT", "b64")[1], [1, 6], "OR")
is_(search("(OR SUBJECT plain SUBJECT b64) 2:6")[1], [6], "parentheses and a sequence set")
is_(search("UID", "2:3")[1], [2, 3], "UID set")
is_(search("SUBJECT", "plain", uid=True)[1], [1], "UID SEARCH answers UIDs")
is_(search("SENTON", "2-Jan-2024")[1], [1], "SENTON")
is_(search("SENTBEFORE", "3-Jan-2024")[1], [1], "SENTBEFORE")
is_(search("SENTSINCE", "3-Jan-2024")[1], [2], "SENTSINCE")
is_(search("SINCE", "1-Jan-2000")[1], list(range(1, len(msgs) + 1)), "SINCE")
is_(search("BEFORE", "1-Jan-2000")[1], [], "BEFORE")
is_(search("ON", "1-Jan-2000")[1], [], "ON")
is_(search("LARGER", "3000")[1], [2], "LARGER")
is_(search("SMALLER", "200")[1], [n for n in range(1, len(msgs) + 1) if len(msgs[n - 1]) + msgs[n - 1].count(b"\n") < 200],
    "SMALLER")
m.store("4", "+FLAGS", "(\\Flagged \\Answered \\Draft \\Deleted $Label1)")
is_(search("FLAGGED", "ANSWERED", "DRAFT", "DELETED")[1], [4], "FLAGGED ANSWERED DRAFT DELETED")
is_(search("KEYWORD", "$Label1")[1], [4], "KEYWORD")
is_(len(search("UNKEYWORD", "$Label1")[1]), len(msgs) - 1, "UNKEYWORD")
is_(len(search("UNFLAGGED", "UNANSWERED", "UNDRAFT", "UNDELETED")[1]), len(msgs) - 1, "UN- keys")
# APPENDed before the SELECT: this session is the first to see them (RFC 3501 2.3.2)
is_(search("RECENT")[1], list(range(1, len(msgs) + 1)), "RECENT: all, claimed by the first SELECT")
is_(search("NEW")[1], [n for n in range(1, len(msgs) + 1) if n not in search("SEEN")[1]], "NEW: recent and not \\Seen")
is_(search("OLD")[1], [], "OLD: none")
typ, _ = m._simple_command("SEARCH", "CHARSET", "KOI8-R", "ALL")
ok(typ == "NO", "an unknown charset: NO [BADCHARSET]")
try:
    m.search(None, "FOO")
    ok(False, "unknown search key: BAD")
except imaplib.IMAP4.error:
    ok(True, "unknown search key: BAD")
try:
    m.search(None, "1:99")
    ok(False, "message number beyond the mailbox: BAD")
except imaplib.IMAP4.error:
    ok(True, "message number beyond the mailbox: BAD")
m.logout()
slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
