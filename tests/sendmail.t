#!/usr/bin/env python3
# posthorn-sendmail end to end with a capturing injector: a script named by
# POSTHORN_QUEUE that stores the message (fd 0) and the envelope (fd 1) it
# gets and exits with a chosen code -- the documented filter interface.
# Recipients from arguments and from headers (-t), Bcc removal, the fields
# we add, -f -F -i, line ends, exit-code mapping, refusals with nothing
# injected, and the queue tools (-bp, -q) through a stand-in posthorn-runq.
import email
import email.header
import email.policy
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, run, tempdir

SENDMAIL = prog("sendmail")
d = tempdir()
conf = os.path.join(d, "conf")
cap = os.path.join(d, "cap")
os.makedirs(conf)
with open(os.path.join(conf, "me"), "w") as f:
    f.write("mx.example.org\n")
with open(os.path.join(conf, "defaultdomain"), "w") as f:
    f.write("Example.ORG\n")

INJ = os.path.join(d, "inject")
with open(INJ, "w") as f:
    f.write("""#!/bin/sh
cat > "$CAP/msg.tmp"
cat <&1 > "$CAP/env.tmp"
[ -s "$CAP/env.tmp" ] || { echo "4.3.0 no envelope: nothing queued" >&2; exit 111; }
mv "$CAP/msg.tmp" "$CAP/msg"; mv "$CAP/env.tmp" "$CAP/env"
echo "${CAP_REASON:-2.0.0 queued as 1}" >&2
exit ${CAP_EXIT:-0}
""")
os.chmod(INJ, 0o755)
RUNQ = os.path.join(d, "runq")
with open(RUNQ, "w") as f:
    f.write('#!/bin/sh\necho "runq $*"\nexit 3\n')
os.chmod(RUNQ, 0o755)

LOGIN = pwd.getpwuid(os.getuid()).pw_name
ENV = {"POSTHORN_CONF": conf, "POSTHORN_QUEUE": INJ, "POSTHORN_RUNQ": RUNQ, "CAP": cap}


def send(args, data, **extra):
    """Runs sendmail; returns (code, stderr, message bytes or None, envelope)."""
    import shutil
    shutil.rmtree(cap, True)
    os.makedirs(cap)
    env = dict(ENV)
    env.update(extra)
    if isinstance(data, str):
        data = data.encode()
    import subprocess
    e = dict(os.environ)
    e.update(env)
    p = subprocess.run([SENDMAIL] + args, input=data, capture_output=True, env=e, timeout=60)
    msg = envl = None
    if os.path.exists(os.path.join(cap, "msg")):
        with open(os.path.join(cap, "msg"), "rb") as f:
            msg = f.read()
        with open(os.path.join(cap, "env"), "rb") as f:
            raw = f.read()
        envl = raw.split(b"\0")
    return p.returncode, p.stderr.decode("utf-8", "replace"), msg, envl


def envelope(envl):
    """(sender, [recipients]) from the qmail-queue envelope, checking its end
    and the S item first (posthorn-sendmail always asks for DKIM signing)."""
    if not envl or envl[-2:] != [b"", b""] or envl[0] != b"S":
        return None, None
    items = [x.decode() for x in envl[1:-2]]
    if not items or not items[0].startswith("F") or not all(x.startswith("T") for x in items[1:]):
        return None, None
    return items[0][1:], [x[1:] for x in items[1:]]


def header(msg):
    return msg.split(b"\n\n", 1)[0].decode("utf-8", "replace")


def fields(msg, name):
    m = email.message_from_bytes(msg, policy=email.policy.compat32)
    return m.get_all(name) or []


# ---- recipients as arguments ----
code, err, msg, envl = send(["-i", "--", "alice@example.net", "Joe <joe@example.net>, root", "bob"],
                            "Subject: hello\n\nhi there\n")
is_(code, 0, "arguments: exit 0")
is_(err, "", "arguments: nothing on stderr on success")
s, r = envelope(envl)
is_(s, LOGIN + "@example.org", "envelope sender is the login name @ defaultdomain")
is_(r, ["alice@example.net", "joe@example.net", "root@example.org", "bob@example.org"],
    "argument recipients, address lists in one argument, bare names get @defaultdomain, -- ends options")
h = header(msg)
ok(h.startswith("Received: by mx.example.org (posthorn-sendmail, from uid %d);\n\t" % os.getuid()),
   "a Received field names the uid", h)
is_(len(fields(msg, "Date")), 1, "Date added")
is_(len(fields(msg, "Message-ID")), 1, "Message-ID added")
ok(fields(msg, "Message-ID") and fields(msg, "Message-ID")[0].endswith("@mx.example.org>"), "Message-ID is <unique@me>")
ok(fields(msg, "From") and fields(msg, "From")[0].endswith("<%s@example.org>" % LOGIN) or
   fields(msg, "From") == ["%s@example.org" % LOGIN], "From added from the login name", fields(msg, "From"))
ok(msg.endswith(b"\n\nhi there\n"), "body kept after one empty line")
m = email.message_from_bytes(msg, policy=email.policy.default)
ok(m["Date"] is not None and m["Date"].datetime is not None, "Date parses as an RFC 5322 date", m["Date"])

code2, err, msg2, envl = send(["alice@example.net"], "Subject: hello\n\nhi\n")
ok(fields(msg, "Message-ID") != fields(msg2, "Message-ID"), "Message-IDs differ between messages")

# ---- -t with a cron-style message ----
cron = ("From: root (Cron Daemon)\n"
        "To: alice@example.net\n"
        "Cc: Bob Builder <bob@example.net>,\n"
        "\t\"Smith, Carol\" <carol@example.net> (team lead)\n"
        "Bcc: secret@example.net, ALICE@example.net\n"
        "Subject: Cron <root@host> run-parts /etc/cron.daily\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "X-Cron-Env: <SHELL=/bin/sh>\n"
        "\n"
        "run-parts output\n")
code, err, msg, envl = send(["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "-t", "extra@example.net"], cron)
is_(code, 0, "-t cron message: exit 0")
s, r = envelope(envl)
is_(r, ["extra@example.net", "alice@example.net", "bob@example.net", "carol@example.net", "secret@example.net"],
    "-t: argument recipients added, then To, Cc (folded), Bcc; duplicates once")
h = header(msg)
ok("Bcc" not in h and "secret" not in h, "Bcc removed from the message", h)
is_(fields(msg, "From"), ["root (Cron Daemon)"], "From kept, not added twice")
ok("Cc: Bob Builder <bob@example.net>,\n\t\"Smith, Carol\"" in h, "folded field kept as written")
is_(fields(msg, "X-Cron-Env"), ["<SHELL=/bin/sh>"], "other fields kept")

code, err, msg, envl = send(["-t"], "To: team: a@example.net, B <b@example.net>;, undisclosed-recipients:;\n"
                                    "Cc: c@example.net (C), d@example.net\n\nx\n")
is_(envelope(envl)[1], ["a@example.net", "b@example.net", "c@example.net", "d@example.net"],
    "-t: groups, empty groups, comments, several addresses per field")

code, err, msg, envl = send(["-t"], "To: old@example.net\nResent-To: new@example.net\n"
                                    "Resent-Bcc: hidden@example.net\n\nx\n")
is_(envelope(envl)[1], ["new@example.net", "hidden@example.net"], "-t: Resent- fields win when present")
ok(b"hidden" not in msg, "Resent-Bcc removed")

code, err, msg, envl = send(["x@example.net"], "Bcc: b@example.net\nReturn-Path: <forged@example.net>\n\nx\n")
ok(msg and b"Bcc" not in msg and b"forged" not in msg, "Bcc and Return-Path dropped without -t too")
is_(envelope(envl)[1], ["x@example.net"], "without -t, Bcc is no recipient")

# ---- present fields are kept ----
code, err, msg, envl = send(["x@example.net"], "Date: Tue, 1 Jan 2030 00:00:00 +0000\n"
                                               "Message-ID: <keep@here>\nFrom: Me <me@example.net>\n\nbody\n")
is_((fields(msg, "Date"), fields(msg, "Message-ID"), fields(msg, "From")),
    (["Tue, 1 Jan 2030 00:00:00 +0000"], ["<keep@here>"], ["Me <me@example.net>"]), "present Date, Message-ID, From kept")

# ---- -f, -F, -r ----
for args, want in ((["-f", "boss@example.net"], "boss@example.net"), (["-fboss@example.net"], "boss@example.net"),
                   (["-r", "<boss@example.net>"], "boss@example.net"), (["-f", "<>"], ""),
                   (["-f", ""], ""), (["-f", "daemon"], "daemon@example.org")):
    code, err, msg, envl = send(args + ["x@example.net"], "Subject: s\n\nb\n")
    is_(envelope(envl)[0], want, "envelope sender %r gives %r" % (args, want))
code, err, msg, envl = send(["-f", "boss@example.net", "-F", "The Boss", "x@example.net"], "Subject: s\n\nb\n")
is_(fields(msg, "From"), ['"The Boss" <boss@example.net>'], "-F name and -f sender make the From field")
code, err, msg, envl = send(["-F", "J\u00f6rg \"Q\" M\u00fcller", "x@example.net"], "Subject: s\n\nb\n")
frm = fields(msg, "From")[0] if msg else ""
dec = str(email.header.make_header(email.header.decode_header(frm.split(" <")[0])))
is_(dec, "J\u00f6rg \"Q\" M\u00fcller", "a UTF-8 -F name is RFC 2047 encoded and decodes back")
code, err, msg, envl = send(["-f", "<>", "x@example.net"], "Subject: s\n\nb\n")
ok(fields(msg, "From") and LOGIN + "@example.org" in fields(msg, "From")[0], "null sender: From is the login")
# The real name from the password entry goes only with the account's own
# address: root's cron job sending with -f alice@... must not show up as
# "root" <alice@...>.
GECOS = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0]
if GECOS:
    own = '"%s" <%s@example.org>' % (GECOS.replace("\\", "\\\\").replace('"', '\\"'), LOGIN)
    for args, what in (([], "no -f"), (["-f", LOGIN], "-f with the bare login name"),
                       (["-f", "%s@EXAMPLE.org" % LOGIN], "-f with the login's own address")):
        code, err, msg, envl = send(args + ["x@example.net"], "Subject: s\n\nb\n")
        is_(fields(msg, "From") if msg else None, [own], "%s: From has the account's real name" % what)
else:
    note("the running account has no real name in its password entry: the positive gecos checks are skipped")
for args, want, what in ((["-f", "alice@example.org"], ["alice@example.org"], "-f another address: no real name"),
                         (["-f", LOGIN + "+tag@example.org"], [LOGIN + "+tag@example.org"],
                          "-f a plus-address of the login: no real name (not the same address)"),
                         (["-f", "alice@example.org", "-F", "Alice A"], ['"Alice A" <alice@example.org>'],
                          "-f another address with -F: the given name")):
    code, err, msg, envl = send(args + ["x@example.net"], "Subject: s\n\nb\n")
    is_(fields(msg, "From") if msg else None, want, what)
code, err, msg, envl = send(["-f", "bad@@example.net", "x@example.net"], "Subject: s\n\nb\n")
ok(code == 65 and msg is None and "invalid sender" in err, "invalid -f refused, nothing injected", err)

# ---- the '.' line, -i, -oi, line ends ----
code, err, msg, envl = send(["x@example.net"], "Subject: s\n\nline 1\n.\nnot sent\n")
ok(msg.endswith(b"\n\nline 1\n"), "without -i a line '.' ends the input", msg)
code, err, msg, envl = send(["x@example.net"], "Subject: s\n\nline 1\r\n.\r\nnot sent\r\n")
ok(msg.endswith(b"\n\nline 1\n"), "... also as '.' CRLF", msg)
for opt in ("-i", "-oi"):
    code, err, msg, envl = send([opt, "x@example.net"], "Subject: s\n\nline 1\n.\n..two\nlast\n")
    ok(msg.endswith(b"\n\nline 1\n.\n..two\nlast\n"), "%s: '.' is an ordinary line, '..' kept as is" % opt, msg)
code, err, msg, envl = send(["-i", "x@example.net"], "Subject: s\r\nX: y\r\n\r\na\r\nb\rc\r\nno end")
ok(msg.endswith(b"\n\na\nb\rc\nno end\n") and b"X: y\n" in msg and b"\r\n" not in msg,
   "CRLF becomes LF, a lone CR stays, a final line end is added", msg)
code, err, msg, envl = send(["x@example.net"], "From someone Mon Jan  1 00:00:00 2030\nSubject: s\n\nb\n")
ok(b"From someone" not in msg and fields(msg, "Subject") == ["s"], "an mbox 'From ' line is dropped")
code, err, msg, envl = send(["x@example.net"], "just a body line\nSubject: not a header\n")
ok(msg.endswith(b"\n\njust a body line\nSubject: not a header\n") and not fields(msg, "Subject"),
   "a first line that is no field starts the body")
code, err, msg, envl = send(["x@example.net"], b"Subject: s\n\nnul \0 in body\n")
ok(code == 0 and msg.endswith(b"nul \0 in body\n"), "a NUL in the body is passed on")

# ---- refusals: nothing injected ----
code, err, msg, envl = send([], "Subject: s\n\nb\n")
ok(code == 64 and msg is None and "no recipients" in err, "no recipient: EX_USAGE, nothing injected", err)
code, err, msg, envl = send(["-t"], "Subject: s\n\nb\n")
ok(code == 64 and msg is None, "-t without To/Cc/Bcc: EX_USAGE, nothing injected", err)
code, err, msg, envl = send(["a@example.net", "bad address@example.net"], "Subject: s\n\nb\n")
ok(code == 65 and msg is None and "invalid address list 'bad address@example.net'" in err,
   "address with a space: EX_DATAERR, nothing injected", err)
code, err, msg, envl = send(["a@example.net", "b@@example.net"], "Subject: s\n\nb\n")
ok(code == 65 and msg is None and "invalid recipient address 'b@@example.net'" in err,
   "invalid address: EX_DATAERR, nothing injected", err)
code, err, msg, envl = send(["-t"], "To: Bob <bob@example.net\n\nb\n")
ok(code == 65 and msg is None and "unbalanced angle brackets" in err, "broken To field: clear error", err)
code, err, msg, envl = send(["-t"], "To: x%y@example.net\n\nb\n")
ok(code == 65 and msg is None, "relay trick in To refused", err)
code, err, msg, envl = send(["x@example.net"], b"Subject: a\0b\n\nb\n")
ok(code == 65 and msg is None and "NUL" in err, "NUL in the header: EX_DATAERR", err)
code, err, msg, envl = send(["x@example.net"], "Subject: " + "x" * 1000 + "\n\nb\n")
ok(code == 65 and msg is None and "998" in err, "header line over 998 bytes refused", err)
code, err, msg, envl = send(["x@example.net"], "Subject: " + "x" * 980 + "\n\n" + "y" * 5000 + "\n")
ok(code == 0 and msg.endswith(b"y" * 5000 + b"\n"), "long body lines are passed on")
code, err, msg, envl = send(["x@example.net"], ("X-Filler: " + "x" * 900 + "\n") * 300 + "\nb\n")
ok(code == 65 and msg is None and "header" in err, "header block over 256 KiB refused", err)
with open(os.path.join(conf, "databytes"), "w") as f:
    f.write("10000\n")
code, err, msg, envl = send(["x@example.net"], "Subject: s\n\n" + "z" * 20000 + "\n")
ok(code == 65 and msg is None and "too big" in err, "message over databytes: EX_DATAERR, no envelope for the injector: nothing queued", err)
os.unlink(os.path.join(conf, "databytes"))
with open(os.path.join(conf, "maxrcpt"), "w") as f:
    f.write("3\n")
code, err, msg, envl = send(["a@x.test", "b@x.test", "A@x.test", "c@x.test"], "Subject: s\n\nb\n")
is_(code, 0, "maxrcpt counts distinct recipients")
code, err, msg, envl = send(["a@x.test", "b@x.test", "c@x.test", "d@x.test"], "Subject: s\n\nb\n")
ok(code == 65 and msg is None and "too many recipients" in err, "more than maxrcpt refused", err)
os.unlink(os.path.join(conf, "maxrcpt"))
many = ", ".join("user%d@example.net" % i for i in range(10000))
code, err, msg, envl = send(["-t"], "To: " + many.replace(", ", ",\n ") + "\n\nb\n")
ok(code == 0 and len(envelope(envl)[1]) == 10000, "10,000 recipients from a folded To field")

# ---- options ----
code, err, msg, envl = send(["-Q", "x@example.net"], "b\n")
ok(code == 64 and msg is None and "unknown option -Q" in err, "unknown option: EX_USAGE", err)
code, err, msg, envl = send(["-bs"], "")
ok(code == 64 and "not supported" in err, "-bs: clear error", err)
code, err, msg, envl = send(["-f"], "")
ok(code == 64 and "needs a value" in err, "-f without value: EX_USAGE", err)
code, err, msg, envl = send(["-oem", "-oee", "-odb", "-odi", "-odq", "-oXfoo", "-B8BITMIME", "-v", "-m", "-n", "-U",
                             "-x", "-L", "tag", "-em", "-ee", "-bm", "-G", "-h", "5", "x@example.net"], "b\n")
ok(code == 0 and err == "" and msg is not None, "harmless options accepted silently", err)
code, err, msg, envl = send(["-N", "success,failure", "-R", "hdrs", "-V", "envid", "-C", "/etc/mail/sendmail.cf",
                             "-X", "/tmp/log", "x@example.net"], "b\n")
ok(code == 0 and msg is not None and err.count("warning") == 5, "-N -R -V -C -X accepted with a warning each", err)
code, err, msg, envl = send(["-tif", "me@example.net", "-oi"], "To: x@example.net\n\nb\n")
ok(code == 0 and envelope(envl) == ("me@example.net", ["x@example.net"]), "flags combine: -tif SENDER")

# ---- exit codes of the injector ----
code, err, msg, envl = send(["x@example.net"], "b\n", CAP_EXIT="100", CAP_REASON="5.1.3 bad recipient")
ok(code == 65 and "5.1.3 bad recipient" in err, "injector 100: EX_DATAERR with its reason", err)
code, err, msg, envl = send(["x@example.net"], "b\n", CAP_EXIT="111", CAP_REASON="4.3.0 disk full")
ok(code == 75 and "4.3.0 disk full" in err, "injector 111: EX_TEMPFAIL with its reason", err)
code, err, msg, envl = send(["x@example.net"], "b\n", POSTHORN_QUEUE="/bin/false")
ok(code == 75, "injector failing otherwise: EX_TEMPFAIL", err)
with open(os.path.join(d, "killer"), "w") as f:
    f.write("#!/bin/sh\ncat >/dev/null\nkill -9 $$\n")
os.chmod(os.path.join(d, "killer"), 0o755)
code, err, msg, envl = send(["x@example.net"], "b\n", POSTHORN_QUEUE=os.path.join(d, "killer"))
ok(code == 75 and "signal" in err, "injector killed: EX_TEMPFAIL", err)
code, err, msg, envl = send(["x@example.net"], "b\n", POSTHORN_QUEUE=os.path.join(d, "missing"))
ok(code in (69, 75) and "unable to run" in err, "missing injector: clear error", err)
with open(os.path.join(d, "early"), "w") as f:
    f.write("#!/bin/sh\necho '5.3.4 too big' >&2\nexit 100\n")
os.chmod(os.path.join(d, "early"), 0o755)
code, err, msg, envl = send(["x@example.net"], "Subject: s\n\n" + "w" * 1000000 + "\n", POSTHORN_QUEUE=os.path.join(d, "early"))
ok(code == 65 and "5.3.4 too big" in err, "an injector that stops reading early: its exit code counts", err)

# ---- queue tools ----
for args, name, want in ((["-bp"], SENDMAIL, "runq -l"), (["-q"], SENDMAIL, "runq -f"), (["-q30m"], SENDMAIL, "runq -f")):
    code, out, e = run([name] + args, env=ENV)
    ok(code == 3 and out.strip() == want, "%s runs posthorn-runq %s and passes its exit code" % (args[0], want[5:]), out + e)
mailq = os.path.join(d, "mailq")
os.symlink(SENDMAIL, mailq)
code, out, e = run([mailq], env=ENV)
ok(out.strip() == "runq -l", "invoked as mailq: lists the queue", out + e)
newaliases = os.path.join(d, "newaliases")
os.symlink(SENDMAIL, newaliases)
code, out, e = run([newaliases], env=ENV)
ok(code == 0, "invoked as newaliases: nothing to do, exit 0", e)

# ---- end to end: sendmail -t -> posthorn-queue -> posthorn-runq -> Maildir ----
if os.path.exists(prog("queue")) and os.path.exists(prog("runq")):
    from instance import Instance
    inst = Instance()
    inst.add_user("alice@example.test")
    inst.add_user("root@example.test")
    inst.set("defaultdomain", "example.test")
    real = {"POSTHORN_CONF": inst.conf}
    cronmsg = ("From: root (Cron Daemon)\nTo: alice@example.test\nBcc: root\n"
               "Subject: Cron <root@host> date\n\nMon Nov 23 2026\n")
    p = __import__("subprocess").run([SENDMAIL, "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "-t"],
                                     input=cronmsg.encode(), capture_output=True,
                                     env=dict((k, v) for k, v in os.environ.items()
                                              if k not in ("POSTHORN_QUEUE", "QMAILQUEUE")) | real, timeout=60)
    ok(p.returncode == 0 and p.stderr == b"", "real injector: sendmail -t exits 0, quiet", p.stderr)
    is_(len(inst.queued()), 1, "the message is in the queue")
    code, out, e = run([SENDMAIL, "-bp"], env=real)
    ok(code == 0 and "alice@example.test" in out and "root@example.test" in out, "-bp lists it with both recipients", out + e)
    code, out, e = inst.runq()
    is_(code, 0, "posthorn-runq one pass")
    ma, mr = inst.messages("alice@example.test"), inst.messages("root@example.test")
    ok(len(ma) == 1 and len(mr) == 1, "delivered to the To and the Bcc recipient's Maildirs")
    if ma:
        m = email.message_from_bytes(ma[0])
        ok(m["Subject"] == "Cron <root@host> date" and m["Bcc"] is None and m["Message-ID"] and m["Date"],
           "delivered copy: Subject kept, Bcc gone, Message-ID and Date added", ma[0][:600])
        ok(ma[0].endswith(b"\n\nMon Nov 23 2026\n") and b"\r\n" not in ma[0], "body intact, LF line ends")
    is_(inst.queued(), [], "the queue is empty afterwards")
    code, out, e = run([SENDMAIL, "alice"], input=b"Subject: second\n\nagain\n", env=real)
    is_(code, 0, "a second message, to a bare name")
    code, out, e = run([SENDMAIL, "-q"], env=real)
    ok(code == 0, "-q flushes the queue", out + e)
    ok(len(inst.messages("alice@example.test")) == 2 and inst.queued() == [], "-q delivered it")
else:
    note("posthorn-queue or posthorn-runq not built: end-to-end part skipped")
done()
