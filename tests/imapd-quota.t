#!/usr/bin/env python3
# posthorn-imapd: QUOTA (RFC 9208) from the user's Maildir++ quota in
# users.cdb (posthorn-user quota; posthorn-mailauth passes it on):
# GETQUOTAROOT and GETQUOTA after deliveries by posthorn-local, SETQUOTA
# refused, [OVERQUOTA] on APPEND and COPY, MOVE allowed; STATUS SIZE,
# DELETED, DELETED-STORAGE and APPENDLIMIT (RFC 8438, 9208, 7889).  A user
# without a quota has no quota root.
import imaplib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw"), ("bob", "bob-pw")])
inst.pu("quota", "alice@example.org", "40960")       # 40 KiB
inst.write("imapd-maxmsg", "30000")
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")

r = Raw(port)


def cmd(text):
    out = [l.rstrip("\r\n") for l in r.cmd(text)]
    return out[:-1], out[-1]


def append(box, size):
    msg = "Subject: %d bytes\r\n\r\n" % size
    msg += "x" * (size - len(msg) - 2) + "\r\n"
    r.send(("a APPEND %s {%d}\r\n" % (box, len(msg))).encode())
    first = r.line()
    if not first.startswith("+"):
        return first.rstrip("\r\n")
    r.send(msg.encode() + b"\r\n")
    return r.until("a")[-1].rstrip("\r\n")


for i in range(2):
    inst.deliver("alice", "From: a@example.net\nSubject: d%d\n\n%s\n" % (i, "y" * 5000))
cmd("LOGIN alice@example.org alice-pw")
got, _ = cmd("CAPABILITY")
ok(" QUOTA " in got[0] + " " and " QUOTA=RES-STORAGE" in got[0] and "QUOTASET" not in got[0],
   "CAPABILITY: QUOTA, QUOTA=RES-STORAGE, no QUOTASET", got)
ok(" APPENDLIMIT=30000" in got[0], "CAPABILITY: APPENDLIMIT=30000 from imapd-maxmsg", got)
ok(" STATUS=SIZE" in got[0], "CAPABILITY: STATUS=SIZE", got)


def usage():
    got, tagged = cmd("GETQUOTAROOT INBOX")
    ok(tagged.startswith("t OK") and got[0] == '* QUOTAROOT "INBOX" ""', "GETQUOTAROOT INBOX: root \"\"", got + [tagged])
    mo = re.match(r'\* QUOTA "" \(STORAGE (\d+) (\d+)\)$', got[1] if len(got) > 1 else "")
    ok(mo and int(mo.group(2)) == 40, "* QUOTA \"\" (STORAGE used 40)", got)
    return int(mo.group(1)) if mo else -1


# the two deliveries: about 10 KiB (maildirsize, as posthorn-local keeps it)
used = usage()
ok(10 <= used <= 11, "two 5000-byte deliveries: 10 or 11 KiB used", used)
got, tagged = cmd('GETQUOTA ""')
ok(tagged.startswith("t OK") and got == ['* QUOTA "" (STORAGE %d 40)' % used], "GETQUOTA \"\"", got)
got, tagged = cmd('GETQUOTA "user.alice"')
ok(tagged.startswith("t NO [NONEXISTENT]"), "GETQUOTA of another root: NO [NONEXISTENT]", tagged)
got, tagged = cmd("GETQUOTAROOT Nowhere")
ok(tagged.startswith("t NO [NONEXISTENT]"), "GETQUOTAROOT of no folder: NO [NONEXISTENT]", tagged)
got, tagged = cmd("GETQUOTAROOT Sent")
ok(got and got[0] == '* QUOTAROOT "Sent" ""', "every folder has the one root", got)
got, tagged = cmd('SETQUOTA "" (STORAGE 100000)')
ok(tagged.startswith("t NO [NOPERM]"), "SETQUOTA: NO [NOPERM]", tagged)
for bad in ("GETQUOTA", "GETQUOTAROOT", 'SETQUOTA ""', "GETQUOTA (x)"):
    got, tagged = cmd(bad)
    ok(tagged.startswith("t BAD"), "BAD: " + bad, tagged)

# APPEND: 20000 bytes fit, then another 20000 would not
is_(append("INBOX", 20000)[:4], "a OK", "APPEND of 20000 bytes within the quota")
used2 = usage()
ok(used2 >= used + 19, "the APPEND counts in the usage", (used, used2))
res = append("Sent", 20000)
ok(res.startswith("a NO [OVERQUOTA]"), "APPEND over the quota: NO [OVERQUOTA]", res)
ok(not os.listdir(os.path.join(md, ".Sent", "cur")), "nothing stored in Sent")
res = append("INBOX", 40000)
ok(res.startswith("a NO [TOOBIG]"), "over APPENDLIMIT: NO [TOOBIG]", res)

# COPY over the quota; MOVE is fine (same Maildir)
cmd("SELECT INBOX")
big = cmd("SEARCH LARGER 10000")[0][0].split()[2:]
small = cmd("SEARCH SMALLER 10000")[0][0].split()[2:]
ok(len(big) == 1 and len(small) == 2, "INBOX: one big message, two small", (big, small))
got, tagged = cmd("COPY 1:* Sent")
ok(tagged.startswith("t NO [OVERQUOTA]"), "COPY over the quota: NO [OVERQUOTA]", tagged)
ok(not os.listdir(os.path.join(md, ".Sent", "cur")), "nothing copied")
got, tagged = cmd("COPY %s Sent" % big[0])
ok(tagged.startswith("t NO [OVERQUOTA]"), "COPY of the big one alone: NO [OVERQUOTA]", tagged)
got, tagged = cmd("COPY %s Sent" % small[0])
ok(tagged.startswith("t OK"), "COPY of one small message fits", tagged)
ok(usage() >= used2 + 4, "the COPY counts in the usage")
got, tagged = cmd("MOVE %s Trash" % big[0])
ok(tagged.startswith("t OK"), "MOVE of the big one: no new storage, OK", tagged)

# STATUS SIZE, DELETED, DELETED-STORAGE, APPENDLIMIT
cmd("STORE 1 +FLAGS (\\Deleted)")
got, tagged = cmd("STATUS INBOX (MESSAGES SIZE DELETED DELETED-STORAGE APPENDLIMIT)")
mo = re.match(r'\* STATUS "INBOX" \(MESSAGES 2 SIZE (\d+) DELETED 1 DELETED-STORAGE (\d+) APPENDLIMIT 30000\)$', got[0] if got else "")
ok(mo and 10000 < int(mo.group(1)) < 10400 and 5000 < int(mo.group(2)) < 5200, "STATUS SIZE, DELETED, DELETED-STORAGE, APPENDLIMIT", got)
got, tagged = cmd("STATUS Trash (SIZE MESSAGES)")
mo = re.match(r'\* STATUS "Trash" \(SIZE (\d+) MESSAGES 1\)$', got[0] if got else "")
ok(mo and 19990 <= int(mo.group(1)) <= 20000, "STATUS SIZE of a folder not selected", got)
alive(r, "quota commands")
r.close()

# bob has no quota: no root
m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
m.login("bob@example.org", "bob-pw")
typ, dat = m.getquotaroot("INBOX")
ok(typ == "OK" and dat[0] == [b'"INBOX"'] and dat[1] == [None], "imaplib: bob's GETQUOTAROOT INBOX names no root", dat)
typ, dat = m.getquota('""')
ok(typ == "NO", "bob: GETQUOTA \"\" is NO", dat)
m.logout()
m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
m.login("alice@example.org", "alice-pw")
typ, dat = m.getquotaroot("INBOX")
ok(typ == "OK" and dat[0] == [b'"INBOX" ""'] and dat[1][0].startswith(b'"" (STORAGE '), "imaplib: alice's GETQUOTAROOT", dat)
m.logout()
done()
