#!/usr/bin/env python3
# posthorn-imapd ESEARCH (RFC 4731: SEARCH RETURN (MIN MAX ALL COUNT) and
# the * ESEARCH (TAG ...) [UID] response) and SEARCHRES (RFC 5182:
# RETURN (SAVE) and "$" in FETCH, STORE, COPY, MOVE, SEARCH and their UID
# forms; $ follows expunges and is emptied by SELECT, EXAMINE, CLOSE,
# UNSELECT and by a failed SEARCH ... SAVE).  The RFCs' examples as
# transcripts over a raw socket, on a folder built to give their answers.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
m = inst.login(port)
m.create("Other")
# 11 messages; 2, 5, 10 and 11 flagged, 5 from Smith: RFC 4731's example
# "FLAGGED SINCE 1-Feb-1994 NOT FROM Smith" gives 2, 10 and 11.  A first
# message appended and expunged makes UIDs the message numbers + 1.
m.append("INBOX", None, None, b"Subject: gone\r\n\r\nx\r\n")
m.select("INBOX")
m.store("1", "+FLAGS", "\\Deleted")
m.expunge()
for k in range(1, 12):
    frm = "Smith <smith@example.net>" if k == 5 else "user%d@example.net" % k
    flags = "(\\Flagged)" if k in (2, 5, 10, 11) else None
    m.append("INBOX", flags, None, ("From: %s\r\nSubject: m%d\r\n\r\n%s\r\n" % (frm, k, "x" * k)).encode())
m.logout()

r = Raw(port)
r.cmd("LOGIN alice@example.org alice-pw")
caps = r.cmd("CAPABILITY")[0]
for c in ("ESEARCH", "SEARCHRES"):
    ok(" %s " % c in caps or caps.rstrip().endswith(" " + c), "capability " + c, caps)
r.cmd("SELECT INBOX")


def t(cmd, want, name, tag="A"):
    out = [l.rstrip("\r\n") for l in r.cmd(cmd, tag=tag)]
    if isinstance(want, list):
        is_(out[:-1], want, name)
    ok(out[-1].startswith(tag + " OK"), name + ": tagged OK", out)
    return out


# RFC 4731 section 3.1's examples
K = 'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'
t("SEARCH RETURN (MIN COUNT) " + K, ['* ESEARCH (TAG "A282") MIN 2 COUNT 3'], "RFC 4731: RETURN (MIN COUNT)", "A282")
t("SEARCH RETURN () " + K, ['* ESEARCH (TAG "A283") ALL 2,10:11'], "RFC 4731: RETURN () is ALL", "A283")
t("UID SEARCH RETURN (MIN MAX) UID 1:5000", ['* ESEARCH (TAG "A285") UID MIN 2 MAX 12'], "UID SEARCH RETURN (MIN MAX)",
  "A285")
t("SEARCH RETURN (MIN MAX ALL COUNT) NOT ALL", ['* ESEARCH (TAG "A286") COUNT 0'],
  "nothing found: no MIN, MAX or ALL, COUNT 0", "A286")
t("SEARCH RETURN (ALL) CHARSET UTF-8 1:3,5", ['* ESEARCH (TAG "A287") ALL 1:3,5'], "RETURN then CHARSET", "A287")
t("SEARCH " + K, ["* SEARCH 2 10 11"], "without RETURN: * SEARCH as before")
out = r.cmd("SEARCH RETURN (FOO) ALL")
ok(out[-1].startswith("t BAD"), "an unknown RETURN option: BAD", out)
out = r.cmd("SEARCH RETURN ALL")
ok(out[-1].startswith("t BAD"), "RETURN without a list: BAD", out)

# RFC 5182 section 3's examples
t("SEARCH RETURN (SAVE) " + K, [], "RFC 5182: SEARCH RETURN (SAVE) answers nothing but OK", "A282")
out = t("FETCH $ (UID FLAGS)", None, "RFC 5182: FETCH $", "A283")
is_([l.split()[1] for l in out[:-1]], ["2", "10", "11"], "FETCH $ fetches the saved messages")
t("UID FETCH $ (UID)", ["* 2 FETCH (UID 3)", "* 10 FETCH (UID 11)", "* 11 FETCH (UID 12)"], "UID FETCH $")
t("SEARCH $ NOT 11", ["* SEARCH 2 10"], "SEARCH $ with another key")
t("UID SEARCH UID $", ["* SEARCH 3 11 12"], "UID SEARCH UID $")
t("STORE $ +FLAGS.SILENT (\\Seen)", [], "STORE $")
t("SEARCH SEEN", ["* SEARCH 2 10 11"], "... set \\Seen on the saved messages")
out = t("COPY $ Other", None, "COPY $")
t("SEARCH RETURN (SAVE MIN) FLAGGED", ['* ESEARCH (TAG "A") MIN 2'], "RETURN (SAVE MIN): saves the minimum only")
t("SEARCH $", ["* SEARCH 2"], "... $ is message 2")
t("SEARCH RETURN (SAVE MAX MIN) FLAGGED", ['* ESEARCH (TAG "A") MIN 2 MAX 11'], "RETURN (SAVE MIN MAX)")
t("SEARCH $", ["* SEARCH 2 11"], "... $ is the minimum and the maximum")
t("SEARCH RETURN (SAVE COUNT MIN) FLAGGED", ['* ESEARCH (TAG "A") MIN 2 COUNT 4'], "RETURN (SAVE COUNT MIN) answers")
t("SEARCH $", ["* SEARCH 2 5 10 11"], "... and with COUNT saves them all")
t("SORT RETURN (SAVE) (REVERSE SUBJECT) UTF-8 3:4", [], "SORT RETURN (SAVE)")
t("SEARCH $", ["* SEARCH 3 4"], "... saves the sorted messages")
t("SORT RETURN (SAVE MIN) (REVERSE SUBJECT) UTF-8 3:4", ['* ESEARCH (TAG "A") MIN 4'],
  "SORT RETURN (SAVE MIN): MIN is the first in sort order")
t("SEARCH $", ["* SEARCH 4"], "... and $ keeps that one")
t("SEARCH RETURN (SAVE) 1:4", [], "save 1:4")
out = t("MOVE $ Other", None, "MOVE $")
ok(sum(1 for l in out if l.endswith("EXPUNGE")) == 4, "MOVE $ moved the 4 saved messages", out)
t("SEARCH $", ["* SEARCH"], "$ lost the moved messages")
t("SEARCH RETURN (SAVE) 1:2", [], "save 1:2")
r.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
r.cmd("EXPUNGE")
t("SEARCH $", ["* SEARCH 1"], "$ follows an expunge: the old 2 is now 1")
out = r.cmd("SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")
ok(out[-1].startswith("t NO [BADCHARSET"), "a failing SEARCH RETURN (SAVE)", out)
t("SEARCH $", ["* SEARCH"], "... empties $ (RFC 5182 2.1)")
for reset in ("UNSELECT", "CLOSE", "SELECT INBOX", "EXAMINE INBOX"):
    r.cmd("SELECT INBOX")
    r.cmd("SEARCH RETURN (SAVE) ALL")
    r.cmd(reset)
    if reset in ("UNSELECT", "CLOSE"):
        r.cmd("SELECT INBOX")
    t("SEARCH $", ["* SEARCH"], "%s empties $" % reset)
out = r.cmd("FETCH $ (UID)")
ok(out[-1].startswith("t OK") and len(out) == 1, "FETCH of an empty $: OK, nothing", out)
out = r.cmd("FETCH $$ (UID)")
ok(out[-1].startswith("t BAD"), "$$ is no sequence set: BAD", out)
r.cmd("LOGOUT")
r.close()
ok(inst.clean(), "no sanitizer report", inst.log()[-2000:])
done()
