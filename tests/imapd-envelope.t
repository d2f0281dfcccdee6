#!/usr/bin/env python3
# posthorn-imapd ENVELOPE addresses (RFC 3501 7.4.2) and SEARCH FROM, TO,
# CC, BCC on parsed addresses.  Messages with the address forms mail
# really carries (old-style comment names, groups, empty groups, source
# routes, quoting, comments inside addresses, encoded words, addresses
# without a domain, broken syntax, 10,000 recipients) are delivered by
# posthorn-local; the exact ENVELOPE text comes back by FETCH over a raw
# connection, and SEARCH finds a message by a full address however the
# header wrote it, and by any substring of the field as before.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})

DATE = "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
# (message, its ENVELOPE as the server must write it, what it shows)
cases = [
    ("From: user@domain.example (Real Name)\r\n"
     "To: \"Phrase\" <p@x.example> (Comment)\r\n"
     "Cc: undisclosed-recipients:;\r\n"
     "Subject: one\r\nMessage-ID: <m1@x.example>\r\n",
     '("Mon, 1 Jan 2024 10:00:00 +0000" "one" (("Real Name" NIL "user" "domain.example")) '
     '(("Real Name" NIL "user" "domain.example")) (("Real Name" NIL "user" "domain.example")) '
     '(("Phrase" NIL "p" "x.example")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) '
     'NIL NIL "<m1@x.example>")',
     "old-style comment name; a phrase wins over a comment; an empty group is start and end"),
    ("From: <user (comment)@ (comment) domain.org>\r\n"
     "Sender:\r\n"
     "Reply-To: \"Re \\\"Quoted\\\" \\\\ Name\" <r@e.example>\r\n"
     "To: g: a@b.example, \"Doe, J\" <j@c.example>;, h@d.example\r\n"
     "Cc: <@a.example,@b.example:user@c.example>\r\n"
     "Bcc: undisclosed, first . last @ example . org\r\n"
     "Subject: two\r\n",
     '("Mon, 1 Jan 2024 10:00:00 +0000" "two" ((NIL NIL "user" "domain.org")) '
     '((NIL NIL "user" "domain.org")) (("Re \\"Quoted\\" \\\\ Name" NIL "r" "e.example")) '
     '((NIL NIL "g" NIL)(NIL NIL "a" "b.example")("Doe, J" NIL "j" "c.example")(NIL NIL NIL NIL)'
     '(NIL NIL "h" "d.example")) '
     '((NIL "@a.example,@b.example" "user" "c.example")) '
     '((NIL NIL "undisclosed" "MISSING_DOMAIN")(NIL NIL "first.last" "example.org")) NIL NIL)',
     "comments inside an address dropped; an empty Sender is From; quoted-pairs unquoted; "
     "a group among mailboxes; a source route; an address without a domain"),
    ("From: =?utf-8?q?J=C3=B6rg?= <joerg@example.net>\r\n"
     "To: \"Name\" <user@domain.org>\r\n"
     "Cc: team: x@y.example, inner: z@y.example;;\r\n"
     "Bcc: <>, Unterminated <u@v.example, \"open quote <q@w.example>\r\n"
     "Subject: three\r\n",
     '("Mon, 1 Jan 2024 10:00:00 +0000" "three" (("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.net")) '
     '(("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.net")) '
     '(("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.net")) '
     '(("Name" NIL "user" "domain.org")) '
     '((NIL NIL "team" NIL)(NIL NIL "x" "y.example")(NIL NIL "z" "y.example")(NIL NIL NIL NIL)) '
     '((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")("Unterminated" NIL "u" "v.example")'
     '(NIL NIL "open quote <q@w.example>" "MISSING_DOMAIN")) NIL NIL)',
     "encoded words stay encoded; a group in a group is flattened; <>, an unclosed <, an unclosed quote"),
    ("From: (only a comment)\r\nTo:  \r\nSubject: four\r\n",
     '("Mon, 1 Jan 2024 10:00:00 +0000" "four" NIL NIL NIL NIL NIL NIL NIL NIL)',
     "a field with no address is NIL, and so are Sender and Reply-To"),
    ("From: a@b.example (((deep (nest) ed)) comment\r\n"
     "To: x@y.example, (" + "(" * 5000 + "\r\nSubject: five\r\n",
     '("Mon, 1 Jan 2024 10:00:00 +0000" "five" (("((deep (nest) ed)) comment" NIL "a" "b.example")) '
     '(("((deep (nest) ed)) comment" NIL "a" "b.example")) '
     '(("((deep (nest) ed)) comment" NIL "a" "b.example")) '
     '((NIL NIL "x" "y.example")) NIL NIL NIL NIL)',
     "an unterminated nested comment runs to the end of the field"),
]
for text, _, _ in cases:
    inst.deliver("alice", DATE + text + "\r\nbody\r\n")

# 6: 10,000 recipients in a group, folded every ten
many = ",\r\n ".join(", ".join("r%d@many.example" % (i + j) for j in range(10)) for i in range(0, 10000, 10))
inst.deliver("alice", DATE + "From: bulk@example.net\r\nTo: list: " + many + ";\r\nSubject: six\r\n\r\nbody\r\n")
N = len(cases) + 1

r = Raw(port)
ok(r.cmd("LOGIN alice@example.org alice-pw")[-1].startswith("t OK"), "login")
out = r.cmd("SELECT INBOX")
ok(out[-1].startswith("t OK") and "* %d EXISTS\r\n" % N in out, "%d messages" % N, out)


def envelope(n):
    """The ENVELOPE text of message n, from FETCH n (ENVELOPE)."""
    out = r.cmd("FETCH %d (ENVELOPE)" % n)
    for l in out:
        m = re.match(r"\* %d FETCH \(ENVELOPE (.*)\)\r\n$" % n, l)
        if m:
            return m.group(1)
    return out


for i, (_, want, what) in enumerate(cases, 1):
    is_(envelope(i), want, "ENVELOPE %d: %s" % (i, what))

env = envelope(6)
to = re.findall(r"\((NIL|\"[^\"]*\") (NIL|\"[^\"]*\") (NIL|\"[^\"]*\") (NIL|\"[^\"]*\")\)",
                env.split(" ((NIL NIL \"list\" NIL)", 1)[-1]) if isinstance(env, str) else []
ok(isinstance(env, str) and '((NIL NIL "list" NIL)(NIL NIL "r0" "many.example")' in env
   and to and to[-1] == ("NIL", "NIL", "NIL", "NIL") and 2 < len(to) < 10000,
   "10,000 in a group: the first ones listed, the group still ended (%d entries)" % len(to), env[:200])


def search(key, text):
    out = r.cmd('SEARCH %s "%s"' % (key, text.replace("\\", "\\\\").replace('"', '\\"')))
    if not out[-1].startswith("t OK"):
        return out
    for l in out:
        if l.startswith("* SEARCH"):
            return [int(x) for x in l.split()[2:]]
    return out


# a full address matches the parsed address however the header wrote it
is_(search("FROM", "user@domain.org"), [2], 'FROM user@domain.org finds "<user (comment)@ (comment) domain.org>"')
is_(search("TO", "user@domain.org"), [3], 'TO user@domain.org finds "\\"Name\\" <user@domain.org>"')
is_(search("TO", "Name <user@domain.org>"), [3], "TO \"Name <user@domain.org>\" matches the parsed name and address")
is_(search("BCC", "first.last@example.org"), [2], 'BCC first.last@example.org finds "first . last @ example . org"')
is_(search("FROM", "JOERG@EXAMPLE.NET"), [3], "case does not count")
is_(search("FROM", "Jörg <joerg@"), [3], "the parsed name is decoded (RFC 2047)")
is_(search("FROM", "user@domain.orgx"), [], "a longer address does not match")
is_(search("CC", "user@c.example"), [2], "CC: the address of a source route")
is_(search("TO", "j@c.example"), [2], "TO: a member of a group")
is_(search("CC", "z@y.example"), [3], "CC: a member of a flattened inner group")
is_(search("TO", "r9999@many.example"), [6], "TO: the last of 10,000 recipients")
# a substring of the field still matches (RFC 3501 6.4.4)
is_(search("FROM", "domain"), [1, 2], "FROM domain: a part of a domain")
is_(search("FROM", "real name"), [1], "FROM: part of an old-style comment name")
is_(search("FROM", "(comment)"), [2], "FROM: text of the field that no address holds")
is_(search("CC", "team"), [3], "CC: a group name")
is_(search("CC", "undisclosed-recipients"), [1], "CC: an empty group's name")
is_(search("BCC", "undisclosed"), [2], "BCC: an address without a domain")
is_(search("FROM", "MISSING_DOMAIN"), [], "the placeholder of ENVELOPE is not in the field")
is_(search("TO", ""), [1, 2, 3, 4, 5, 6], "an empty key matches every message with the field")
is_(search("FROM", "bulk@example.net"), [6], "FROM: a plain address")
is_(search("OR FROM a@b.example TO", "x@y.example"), [5], "address keys combine with OR")
is_(search("NOT FROM", "user@domain.org"), [1, 3, 4, 5, 6], "and with NOT")
is_(r.cmd("NOOP")[-1][:4], "t OK", "the session goes on")
r.cmd("LOGOUT")
r.close()
done()
