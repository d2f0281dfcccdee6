#!/usr/bin/env python3
# posthorn-imapd SEARCH with CHARSET UTF-8: the text keys (SUBJECT, FROM,
# BODY, TEXT, HEADER) match without regard to case beyond ASCII (Unicode
# simple case folding: Latin, Greek, Cyrillic), on encoded words, raw
# UTF-8 headers and quoted-printable bodies; bytes that are not UTF-8, in
# a message or in a key, never match a character by accident and crash
# nothing.  imaplib against a real server under tcpserver; the keys go as
# literals, as imaplib sends non-ASCII.
import imaplib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})

msgs = [
    # 1: an RFC 2047 encoded subject in capitals, a plain body
    b"From: a@example.net\r\nSubject: =?UTF-8?Q?=C3=84RGER_im_B=C3=BCro?=\r\n\r\nnothing here\r\n",
    # 2: raw UTF-8 header fields (RFC 6532), Greek subject in small letters, Cyrillic name in capitals
    "From: =?UTF-8?B?0JjQktCQ0J0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>\r\nSubject: σοφία και γνώση\r\n"
    "\r\nbody\r\n".encode(),
    # 3: a quoted-printable UTF-8 body in capitals
    b"From: b@example.net\r\nSubject: post\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"VIELE GR=C3=9CSSE AUS DER STRA=C3=9FE\r\n",
    # 4: Latin-1 bytes where UTF-8 is due (raw subject; body that says utf-8)
    b"From: c@example.net\r\nSubject: \xc4RGER latin1\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xc4RGER \xfcber alles\r\n",
    # 5: a header of our own, Greek capitals with an accent
    "From: d@example.net\r\nSubject: note\r\nX-Note: ΕΛΛΗΝΙΚΆ\r\n\r\nbody\r\n".encode(),
]
m = inst.login(port)
for raw in msgs:
    m.append("INBOX", None, None, raw)
typ, dat = m.select("INBOX")
ok(typ == "OK" and dat == [b"5"], "five messages", dat)


def search(key, text, charset="UTF-8"):
    """SEARCH [CHARSET charset] key {literal}: the message numbers, or the
    tagged response type if it is not OK."""
    m.literal = text.encode() if isinstance(text, str) else text
    try:
        typ, dat = m.search(charset, key)
    except imaplib.IMAP4.error as e:
        return "error: %s" % e
    if typ != "OK":
        return typ
    return [int(x) for x in dat[0].split()]


is_(search("SUBJECT", "ärger"), [1], 'SUBJECT "ärger" matches the encoded "ÄRGER", not Latin-1 bytes')
is_(search("SUBJECT", "BÜRO"), [1], 'SUBJECT "BÜRO" matches "Büro"')
is_(search("SUBJECT", "ΣΟΦΊΑ"), [2], 'SUBJECT "ΣΟΦΊΑ" matches a raw UTF-8 "σοφία"')
is_(search("SUBJECT", "ΓΝΏΣΗ"), [2], "Greek with tonos, in capitals")
is_(search("SUBJECT", "σοφια"), [], "but an unaccented key does not match accented text (no normalization)")
is_(search("FROM", "иван"), [2], 'FROM "иван" matches an encoded "ИВАН"')
is_(search("FROM", "ПЕТРОВ"), [2], 'FROM "ПЕТРОВ" matches "Петров"')
is_(search("BODY", "grüsse"), [3], 'BODY "grüsse" matches a quoted-printable "GRÜSSE"')
is_(search("BODY", "straße"), [3], 'BODY "straße" matches "STRAßE" (ß is itself)')
is_(search("BODY", "STRASSE"), [], 'BODY "STRASSE" does not match "STRAßE": simple folding, no ß to SS')
is_(search("TEXT", "ελληνικά"), [5], 'TEXT "ελληνικά" matches a header "ΕΛΛΗΝΙΚΆ"')
m.literal = "ελληνικά".encode()
typ, dat = m.search("UTF-8", "HEADER", "X-Note")
ok(typ == "OK" and dat == [b"5"], 'HEADER X-Note "ελληνικά" matches "ΕΛΛΗΝΙΚΆ"', dat)
is_(search("SUBJECT", "ärger", charset=None), [1], "without CHARSET the key is read as UTF-8 all the same")
is_(search("SUBJECT", "ARGER", charset="US-ASCII"), [], "CHARSET US-ASCII: A is not Ä")
is_(search("SUBJECT", "latin1", charset="US-ASCII"), [4], "CHARSET US-ASCII: ASCII keys as before")

# bytes that are not UTF-8
is_(search("SUBJECT", b"\xc3"), [], "a key of a truncated sequence (C3) does not match the C3 of an encoded Ä")
is_(search("SUBJECT", "RGER"), [1, 4], "RGER matches both, the Latin-1 one too")
is_(search("BODY", "ärger"), [], "Latin-1 Ä in a body said to be UTF-8 is not ä")
is_(search("BODY", "rger"), [4], "... its ASCII part still matches")
is_(search("SUBJECT", b"\xc4RGER"), [4], "a Latin-1 key matches only the same bytes, not the UTF-8 Ä")
is_(search("TEXT", b"\xff\xfe\xc0\xaf\xed\xa0\x80"), [], "a key of invalid bytes (FF, overlong, surrogate): nothing")
is_(search("TEXT", b"\xf4\x90\x80\x80\xe2\x82"), [], "above U+10FFFF, truncated: nothing")
typ, dat = m.noop()
ok(typ == "OK", "the session goes on after invalid keys")
is_(search("TEXT", "ärger"), [1], "TEXT ärger: only the UTF-8 message")
m.logout()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
