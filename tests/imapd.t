#!/usr/bin/env python3
# posthorn-imapd with Python's imaplib under real tcpserver: greeting and
# CAPABILITY, LOGINDISABLED before TLS, STARTTLS, implicit TLS, LOGIN,
# AUTHENTICATE PLAIN with and without SASL-IR, wrong passwords, ID, ENABLE,
# NAMESPACE, and the folder commands: LIST/LSUB with wildcards and
# attributes, CREATE, DELETE, RENAME (INBOX too), SUBSCRIBE, STATUS,
# SELECT/EXAMINE, APPEND with APPENDUID, STORE, COPY with COPYUID, MOVE,
# EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, CHECK; UIDs that persist.
import base64
import imaplib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done
from imapd import Instance, Raw, ROOT
from pop3d import order_key

inst = Instance(users=[("alice", "alice-pw"), ("bob", "bob pw")])
for i in range(3):
    inst.deliver("alice", "Subject: msg %d\nFrom: a@example.net\n\nbody %d\n" % (i + 1, i + 1))

plain = inst.start()
clear = inst.start(env={"IMAPD_CLEARTEXT": "1"})
implicit = inst.start(["-T"])

# ---- before login ----
m = imaplib.IMAP4("127.0.0.1", plain, timeout=20)
caps = m.capabilities
ok("IMAP4REV1" in caps and "STARTTLS" in caps and "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps,
   "plain port: STARTTLS and LOGINDISABLED, no AUTH=", caps)
for c in ("IDLE", "UIDPLUS", "MOVE", "NAMESPACE", "SPECIAL-USE", "LITERAL+", "ID", "ENABLE", "UNSELECT",
          "CHILDREN", "SASL-IR"):
    ok(c in caps, "capability " + c)
try:
    m.login("alice@example.org", "alice-pw")
    ok(False, "LOGIN refused before TLS")
except imaplib.IMAP4.error as e:
    ok("PRIVACYREQUIRED" in str(e), "LOGIN refused before TLS", e)
typ, dat = m.xatom("ID", "NIL")
ok(typ == "OK", "ID before login")
r = Raw(plain)
out = r.cmd("SELECT INBOX")
ok(out[-1].startswith("t BAD"), "SELECT before login is BAD", out)
r.close()
m.starttls(inst.ctx)
ok("AUTH=PLAIN" in m.capabilities and "STARTTLS" not in m.capabilities and "LOGINDISABLED" not in m.capabilities,
   "after STARTTLS: AUTH=PLAIN, no STARTTLS", m.capabilities)
try:
    m.login("alice@example.org", "wrong")
    ok(False, "wrong password refused")
except imaplib.IMAP4.error as e:
    ok("AUTHENTICATIONFAILED" in str(e), "wrong password refused", e)
typ, dat = m.login("alice@example.org", "alice-pw")
ok(typ == "OK" and b"CAPABILITY" in dat[0], "LOGIN over STARTTLS, with CAPABILITY", dat)
m.logout()

m = inst.login(implicit, tls=True)
ok(m.state == "AUTH", "implicit TLS (993) login")
m.logout()

# AUTHENTICATE PLAIN: SASL-IR and continuation
r = Raw(clear)
resp = base64.b64encode(b"\0bob@example.org\0bob pw").decode()
out = r.cmd("AUTHENTICATE PLAIN " + resp)
ok(out[-1].startswith("t OK"), "AUTHENTICATE PLAIN with an initial response (SASL-IR)", out)
r.close()
r = Raw(clear)
r.send(b"a AUTHENTICATE PLAIN\r\n")
ok(r.line().startswith("+"), "AUTHENTICATE PLAIN: continuation")
r.send(resp.encode() + b"\r\n")
ok(r.line().startswith("a OK"), "AUTHENTICATE PLAIN after the continuation")
out = r.cmd("NAMESPACE")
is_(out[0], '* NAMESPACE (("" ".")) NIL NIL\r\n', "NAMESPACE")
out = r.cmd("ENABLE CONDSTORE")
ok(out[0].startswith("* ENABLED") and out[-1].startswith("t OK"), "ENABLE", out)
r.close()
r = Raw(clear)
r.send(b"a AUTHENTICATE PLAIN\r\n")
r.line()
r.send(b"*\r\n")
ok(r.line().startswith("a BAD"), "AUTHENTICATE cancelled with *")
out = r.cmd("AUTHENTICATE PLAIN " + base64.b64encode(b"\0bob@example.org\0nope").decode())
ok(out[-1].startswith("t NO [AUTHENTICATIONFAILED]"), "AUTHENTICATE with a wrong password", out)
r.close()
# the authorization identity: the login itself (in any case, as logins are), never another user
r = Raw(clear)
out = r.cmd("AUTHENTICATE PLAIN " + base64.b64encode(b"alice@example.org\0bob@example.org\0bob pw").decode())
ok(out[-1].startswith("t NO [AUTHENTICATIONFAILED]"), "AUTHENTICATE as bob for alice: refused", out)
out = r.cmd("AUTHENTICATE PLAIN " + base64.b64encode(b"Bob@Example.ORG\0bob@example.org\0bob pw").decode())
ok(out[-1].startswith("t OK"), "AUTHENTICATE as bob for Bob@Example.ORG: bob himself", out)
r.close()

# ---- folders ----
m = inst.login(clear)
typ, dat = m.list()
names = [l.decode() for l in dat]
note("\n".join(names))
ok(any(re.search(r'\\Sent\b.*"Sent"$', l) for l in names), "LIST: Sent with \\Sent")
ok(any(re.search(r'\\Trash\b.*"Trash"$', l) for l in names), "LIST: Trash with \\Trash")
ok(any(l.endswith('"INBOX"') for l in names), "LIST: INBOX")
typ, dat = m.list('""', '""')
ok(dat[0] == b'(\\Noselect) "." ""', "LIST \"\" \"\" gives the delimiter", dat)
ok(m.create("Work")[0] == "OK" and m.create("Work.2024")[0] == "OK" and m.create("Work.2025.")[0] == "OK",
   "CREATE Work, Work.2024, Work.2025. (trailing delimiter)")
ok(m.create("Work")[0] == "NO", "CREATE of an existing folder: NO")
ok(m.create("a..b")[0] == "NO" and m.create("x/y")[0] == "NO" and m.create(".hidden")[0] == "NO",
   "CREATE refuses bad names")
typ, dat = m.list('""', "%")
top = [l.decode() for l in dat]
ok(any(l.endswith('"Work"') and "\\HasChildren" in l for l in top) and not any("Work.2024" in l for l in top),
   "LIST %: Work with \\HasChildren, no grandchildren", top)
typ, dat = m.list("Work.", "%")
ok(sorted(l.decode().split()[-1] for l in dat) == ['"Work.2024"', '"Work.2025"'], "LIST with a reference", dat)
typ, dat = m.list('""', "inbox")
ok(len(dat) == 1 and dat[0].decode().endswith('"INBOX"'), "LIST inbox (any case)", dat)
ok(m.rename("Work.2025", "Old")[0] == "OK", "RENAME")
ok(m.rename("Work", "Job")[0] == "OK", "RENAME with children")
typ, dat = m.list('""', "*")
allnames = [l.decode().split()[-1].strip('"') for l in dat]
ok("Job.2024" in allnames and "Old" in allnames and "Work" not in allnames, "children moved along", allnames)
ok(m.delete("Old")[0] == "OK" and m.delete("Old")[0] == "NO", "DELETE, then DELETE again: NO")
ok(m.delete("INBOX")[0] == "NO", "DELETE INBOX: NO")
ok(m.subscribe("Job")[0] == "OK" and m.subscribe("Sent")[0] == "OK", "SUBSCRIBE")
typ, dat = m.lsub('""', "*")
ok(sorted(l.decode().split()[-1] for l in dat) == ['"Job"', '"Sent"'], "LSUB", dat)
ok(m.unsubscribe("Job")[0] == "OK", "UNSUBSCRIBE")
typ, dat = m.lsub('""', "*")
ok(len(dat) == 1, "LSUB after UNSUBSCRIBE", dat)

typ, dat = m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
st = dat[0].decode()
ok("MESSAGES 3" in st and "UIDNEXT 4" in st and "UNSEEN 3" in st, "STATUS INBOX", st)
validity = re.search(r"UIDVALIDITY (\d+)", st).group(1)

# ---- selected ----
typ, dat = m.select("INBOX")
ok(typ == "OK" and dat[0] == b"3", "SELECT INBOX: 3 messages", dat)
ok(m.untagged_responses.get("UIDVALIDITY", [b""])[0].decode() == validity, "UIDVALIDITY as STATUS said")
typ, dat = m.append("Sent", "(\\Seen $Forwarded)", imaplib.Time2Internaldate(1700000000),
                    b"Subject: sent\r\nFrom: alice@example.org\r\n\r\nhello\r\n")
ok(typ == "OK" and b"APPENDUID" in dat[0], "APPEND with flags and date: APPENDUID", dat)
sent = inst.folder_dir("alice", "Sent")
files = os.listdir(os.path.join(sent, "cur"))
ok(len(files) == 1 and files[0].endswith(":2,Sa"), "stored in cur/ with flags S and keyword a", files)
with open(os.path.join(sent, "cur", files[0]), "rb") as f:
    body = f.read()
ok(b"\r" not in body, "stored with LF line ends")
ok(int(os.stat(os.path.join(sent, "cur", files[0])).st_mtime) == 1700000000, "INTERNALDATE as the mtime")
with open(os.path.join(sent, "posthorn-keywords")) as f:
    is_(f.read(), "0 $Forwarded\n", "keyword file")
typ, dat = m.append("Nope", None, None, b"x\r\n")
ok(typ == "NO" and b"TRYCREATE" in dat[0], "APPEND to a missing folder: NO [TRYCREATE]", dat)
typ, dat = m.store("1:2", "+FLAGS", "(\\Seen Important)")
ok(typ == "OK" and len(dat) == 2 and b"Important" in dat[0], "STORE +FLAGS with a keyword", dat)
typ, dat = m.store("2", "-FLAGS.SILENT", "(\\Seen)")
ok(typ == "OK" and dat == [None], "STORE -FLAGS.SILENT says nothing", dat)
typ, dat = m.uid("STORE", "3", "FLAGS", "(\\Flagged)")
ok(typ == "OK" and b"UID 3" in dat[0], "UID STORE answers with UID", dat)
# in delivery order (the order of the UIDs), not string order
names = sorted(os.listdir(os.path.join(inst.maildir("alice"), "cur")), key=order_key)
ok(len(names) == 3 and names[0].endswith(":2,Sa") and names[1].endswith(":2,a") and names[2].endswith(":2,F"),
   "flags in the file names", names)
typ, dat = m.copy("1:3", "Job")
ok(typ == "OK" and re.search(rb"COPYUID \d+ 1:3 1:3", dat[0]), "COPY with COPYUID", dat)
typ, dat = m.uid("MOVE", "2", "Job.2024")
ok(typ == "OK", "UID MOVE")
ok(m.untagged_responses.pop("EXPUNGE", None) == [b"2"], "MOVE expunged message 2", m.untagged_responses)
typ, dat = m.status("Job.2024", "(MESSAGES)")
ok(b"MESSAGES 1" in dat[0], "moved message in the target", dat)
m.store("1", "+FLAGS", "(\\Deleted)")
typ, dat = m.expunge()
ok(typ == "OK" and dat == [b"1"], "EXPUNGE", dat)
typ, dat = m.select("INBOX")
ok(dat == [b"1"], "one message left", dat)
m.uid("STORE", "3", "+FLAGS", "(\\Deleted)")


def uid_expunge(s):
    typ, dat = m._simple_command("UID", "EXPUNGE", s)
    return m._untagged_response(typ, dat, "EXPUNGE")


typ, dat = uid_expunge("1:2")
ok(typ == "OK" and dat == [None], "UID EXPUNGE outside the set removes nothing", dat)
typ, dat = uid_expunge("3")
ok(typ == "OK" and dat == [b"1"], "UID EXPUNGE", dat)
ok(m.check()[0] == "OK", "CHECK")
m.select("Job")
m.store("1", "+FLAGS", "(\\Deleted)")
typ, dat = m.close()
ok(typ == "OK", "CLOSE")
typ, dat = m.select("Job", readonly=True)
ok(dat == [b"2"], "CLOSE expunged silently", dat)
ok(m.store("1", "+FLAGS", "(\\Seen)")[0] == "NO", "STORE in an EXAMINEd folder: NO")
typ, dat = m.xatom("UNSELECT")
ok(typ == "OK" and m.state == "SELECTED", "UNSELECT")
m.logout()

# UIDs persist; RENAME INBOX
inst.deliver("alice", "Subject: late\n\nlate\n")
m = inst.login(clear)
m.select("INBOX")
typ, dat = m.status("INBOX", "(UIDNEXT MESSAGES)")
ok(b"UIDNEXT 5" in dat[0] and b"MESSAGES 1" in dat[0], "UIDs never reused: UIDNEXT 5", dat)
ok(m.rename("INBOX", "Saved")[0] == "OK", "RENAME INBOX")
typ, dat = m.status("Saved", "(MESSAGES)")
ok(b"MESSAGES 1" in dat[0], "INBOX's messages moved to the new folder", dat)
typ, dat = m.status("INBOX", "(MESSAGES)")
ok(b"MESSAGES 0" in dat[0], "INBOX empty, still there", dat)
m.logout()

# New messages get UIDs in delivery order, the name's microseconds counted
# as a number: M99999 was delivered before M100000 (a plain string order
# would say the opposite), and M9 before M10 in the next second's names.
new = os.path.join(inst.maildir("bob"), "new")
for name, subject in (("1700000000.M100000P7Q2.test", "second"), ("1700000000.M99999P7Q1.test", "first"),
                      ("1700000001.M10P7Q4.test", "fourth"), ("1700000001.M9P7Q3.test", "third")):
    with open(os.path.join(new, name), "w") as f:
        f.write("Subject: %s\n\nbody\n" % subject)
    inst.own(os.path.join(new, name))
m = inst.login(implicit, "bob", "bob pw", tls=True)
m.select("INBOX")
typ, dat = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
subjects = [d[1].decode().strip()[9:] for d in dat if isinstance(d, tuple)]
is_(subjects, ["first", "second", "third", "fourth"], "UIDs follow delivery order, microseconds as numbers")
m.logout()

log = inst.log()
ok("event=login user=alice@example.org" in log and "event=login-fail" in log and "event=logout" in log,
   "login, failure and logout logged")
ok("alice-pw" not in log, "no password in the log")
slog = inst.log()
ok("AddressSanitizer" not in slog and "runtime error" not in slog, "no sanitizer report in the server log",
   slog[-3000:])
done()
