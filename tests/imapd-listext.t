#!/usr/bin/env python3
# posthorn-imapd: LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819)
# over the folder tree of RFC 5258's examples (section 5), as transcripts
# from a raw socket; "." is our delimiter where the RFC has "/".  Then
# curl's IMAP client and imaplib send extended LISTs of their own.
import imaplib
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
r = Raw(port)


def cmd(text):
    """The untagged lines of a command and its tagged one, without CRLF."""
    out = [l.rstrip("\r\n") for l in r.cmd(text)]
    return out[:-1], out[-1]


def transcript(text, want, name):
    got, tagged = cmd(text)
    ok(tagged.startswith("t OK") and got == want, name, "\n".join(["C: t " + text] + ["S: " + l for l in got + [tagged]]))


cmd("LOGIN alice@example.org alice-pw")
_, capa = cmd("CAPABILITY")
got, _ = cmd("CAPABILITY")
ok(" LIST-EXTENDED" in got[0] and " LIST-STATUS" in got[0], "CAPABILITY names LIST-EXTENDED and LIST-STATUS", got)

# the tree of RFC 5258 section 5: Fruit.Peach is subscribed, not created
for f in ("Drafts", "Junk", "Sent", "Trash"):       # posthorn-user's folders: not in the RFC's tree
    cmd("DELETE " + f)
for f in ("Fruit", "Fruit.Apple", "Fruit.Banana", "Tofu", "Vegetable", "Vegetable.Broccoli", "Vegetable.Corn"):
    ok(cmd("CREATE " + f)[1].startswith("t OK"), "CREATE " + f)
for f in ("INBOX", "Fruit.Banana", "Fruit.Peach", "Vegetable", "Vegetable.Broccoli"):
    ok(cmd("SUBSCRIBE " + f)[1].startswith("t OK"), "SUBSCRIBE " + f)

# RFC 5258 5, example 1: the basic LIST is unchanged
transcript('LIST "" "%"', [
    '* LIST (\\HasNoChildren) "." "INBOX"',
    '* LIST (\\HasChildren) "." "Fruit"',
    '* LIST (\\HasNoChildren) "." "Tofu"',
    '* LIST (\\HasChildren) "." "Vegetable"'], "basic LIST as before")

# example 2: SUBSCRIBED selection; Fruit.Peach is \NonExistent
transcript('LIST (SUBSCRIBED) "" "*"', [
    '* LIST (\\Subscribed) "." "INBOX"',
    '* LIST (\\Subscribed) "." "Fruit.Banana"',
    '* LIST (\\NonExistent \\Subscribed) "." "Fruit.Peach"',
    '* LIST (\\Subscribed) "." "Vegetable"',
    '* LIST (\\Subscribed) "." "Vegetable.Broccoli"'], "LIST (SUBSCRIBED) \"\" \"*\" (RFC 5258 5.2)")

# example 3: CHILDREN return option, empty selection
transcript('LIST () "" "%" RETURN (CHILDREN)', [
    '* LIST (\\HasNoChildren) "." "INBOX"',
    '* LIST (\\HasChildren) "." "Fruit"',
    '* LIST (\\HasNoChildren) "." "Tofu"',
    '* LIST (\\HasChildren) "." "Vegetable"'], "LIST () \"\" \"%\" RETURN (CHILDREN) (RFC 5258 5.3)")

# SUBSCRIBED as a return option marks the subscribed names among all
transcript('LIST "" "%" RETURN (SUBSCRIBED)', [
    '* LIST (\\Subscribed) "." "INBOX"',
    '* LIST () "." "Fruit"',
    '* LIST () "." "Tofu"',
    '* LIST (\\Subscribed) "." "Vegetable"'], "LIST RETURN (SUBSCRIBED)")

# example 5: RECURSIVEMATCH: parents of subscribed names, with CHILDINFO
transcript('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)', [
    '* LIST (\\Subscribed \\HasNoChildren) "." "INBOX"',
    '* LIST (\\HasChildren) "." "Fruit" ("CHILDINFO" ("SUBSCRIBED"))',
    '* LIST (\\Subscribed \\HasChildren) "." "Vegetable" ("CHILDINFO" ("SUBSCRIBED"))'],
    "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" (RFC 5258 5.5)")
# a parent that exists in no form, over a subscription alone
cmd("SUBSCRIBE Gone.Away")
transcript('LIST (SUBSCRIBED RECURSIVEMATCH) "" "G%"', [
    '* LIST (\\NonExistent) "." "Gone" ("CHILDINFO" ("SUBSCRIBED"))'],
    "RECURSIVEMATCH: a \\NonExistent parent of a subscription")
cmd("UNSUBSCRIBE Gone.Away")

# example 6 style: several patterns in one LIST
transcript('LIST "" ("INBOX" "Fruit.%" "Nothing*")', [
    '* LIST () "." "INBOX"',
    '* LIST () "." "Fruit.Apple"',
    '* LIST () "." "Fruit.Banana"'], "LIST with a list of patterns (RFC 5258 5.7)")
transcript('LIST "Fruit." ("Apple" "B*")', [
    '* LIST () "." "Fruit.Apple"',
    '* LIST () "." "Fruit.Banana"'], "the reference goes before each pattern")
transcript('LIST (REMOTE) "" "Tofu"', ['* LIST () "." "Tofu"'], "REMOTE: no remote folders, the local ones")

# bad options: BAD, and the session goes on
for bad in ('LIST (RECURSIVEMATCH) "" "*"', 'LIST (NOSUCH) "" "*"', 'LIST "" "*" RETURN (NOSUCH)',
            'LIST "" () ', 'LIST "" "*" RETURN CHILDREN', 'LIST "" "*" RETURN (STATUS)',
            'LIST "" "*" RETURN (STATUS (MESSAGES NOSUCH))', 'LIST "" "*" RETURN (STATUS ())',
            'LIST "" "*" FOO (CHILDREN)', 'LIST "" ("a" ("b"))'):
    got, tagged = cmd(bad)
    ok(tagged.startswith("t BAD") and not got, "BAD: " + bad, got + [tagged])
# hostile: too many patterns, patterns too long, deep lists, many options
got, tagged = cmd('LIST "" (%s)' % " ".join('"p%d"' % i for i in range(65)))
ok(tagged.startswith("t BAD"), "65 patterns: BAD", tagged)
got, tagged = cmd('LIST "" (%s "*")' % " ".join('"p%d"' % i for i in range(63)))
ok(tagged.startswith("t OK") and len(got) == 8, "64 patterns: OK", got)
got, tagged = cmd('LIST "%s" ("x" "%s")' % ("a" * 300, "b" * 300))
ok(tagged.startswith("t BAD"), "a reference and pattern over the bound: BAD", tagged)
got, tagged = cmd('LIST ' + "(" * 40 + ")" * 40 + ' "" "*"')
ok(tagged.startswith("t BAD"), "nested selection lists: BAD", tagged)
got, tagged = cmd('LIST (%s) "" "Tofu" RETURN (%s)' % ("SUBSCRIBED " * 2000, "CHILDREN " * 2000))
ok(tagged.startswith("t OK"), "thousands of repeated options: OK", tagged)
alive(r, "bad LIST options")

# ---- LIST-STATUS (RFC 5819) ----
for i in range(3):
    inst.deliver("alice", "From: a@example.net\nSubject: m%d\n\nbody %d\n" % (i, i))
msg = "Subject: apple\r\n\r\nred\r\n"
r.send(("a APPEND Fruit.Apple (\\Seen) {%d}\r\n" % len(msg)).encode())
r.line()
r.send(msg.encode() + b"\r\n")
r.until("a")
got, tagged = cmd('LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN))')
ok(tagged.startswith("t OK"), "LIST RETURN (STATUS (MESSAGES UNSEEN)): OK", got)
want = ['* LIST () "." "INBOX"', '* STATUS "INBOX" (MESSAGES 3 UNSEEN 3)',
        '* LIST () "." "Fruit"', '* STATUS "Fruit" (MESSAGES 0 UNSEEN 0)',
        '* LIST () "." "Fruit.Apple"', '* STATUS "Fruit.Apple" (MESSAGES 1 UNSEEN 0)']
is_(got[:6], want, "each selectable name's STATUS follows its LIST line")
is_(sum(1 for l in got if l.startswith("* LIST")), 8, "eight folders listed")
is_(sum(1 for l in got if l.startswith("* STATUS")), 8, "eight STATUS lines")
# a \Noselect name gets no STATUS (RFC 5819: only selectable ones)
cmd("DELETE Vegetable")
got, _ = cmd('LIST "" "Veg*" RETURN (CHILDREN STATUS (MESSAGES))')
is_(got, ['* LIST (\\Noselect \\HasChildren) "." "Vegetable"',
          '* LIST (\\HasNoChildren) "." "Vegetable.Broccoli"', '* STATUS "Vegetable.Broccoli" (MESSAGES 0)',
          '* LIST (\\HasNoChildren) "." "Vegetable.Corn"', '* STATUS "Vegetable.Corn" (MESSAGES 0)'],
    "no STATUS for a \\Noselect name")
got, _ = cmd('LIST (SUBSCRIBED) "" "Fruit.*" RETURN (STATUS (MESSAGES))')
is_(got, ['* LIST (\\Subscribed) "." "Fruit.Banana"', '* STATUS "Fruit.Banana" (MESSAGES 0)',
          '* LIST (\\NonExistent \\Subscribed) "." "Fruit.Peach"'], "no STATUS for a \\NonExistent name")
# the selected folder's STATUS is the session's view
cmd("SELECT INBOX")
cmd("STORE 1 +FLAGS (\\Seen \\Deleted)")
got, _ = cmd('LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN DELETED))')
is_(got, ['* LIST () "." "INBOX"', '* STATUS "INBOX" (MESSAGES 3 UNSEEN 2 DELETED 1)'], "LIST-STATUS of the selected folder")
r.close()

# ---- real clients ----
m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
m.login("alice@example.org", "alice-pw")
typ, dat = m._simple_command("LIST", '""', "Fruit.%", "RETURN", "(STATUS (MESSAGES))")
typ, dat = m._untagged_response(typ, dat, "STATUS")
ok(typ == "OK" and any(b'"Fruit.Apple" (MESSAGES 1)' in d for d in dat), "imaplib: LIST RETURN (STATUS ...)", dat)
m.logout()
# curl prints the untagged lines named as its command (LIST); -v shows the rest
p = subprocess.run(["curl", "-sS", "-v", "--max-time", "20", "-u", "alice@example.org:alice-pw",
                    "imap://127.0.0.1:%d/" % port, "-X", 'LIST "" * RETURN (STATUS (MESSAGES))'],
                   capture_output=True, text=True)
ok(p.returncode == 0 and '< * STATUS "Fruit.Apple" (MESSAGES 1)' in p.stderr and '* LIST () "." "Tofu"' in p.stdout,
   "curl: LIST RETURN (STATUS (MESSAGES))", p.stdout + p.stderr)
done()
