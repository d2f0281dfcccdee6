#!/usr/bin/env python3
# posthorn-remote against scripted SMTP peers (tests/lib/fakesmtp.py) through
# the routes file: delivery, per-recipient 5xx/4xx, pipelining, a dropped
# connection mid-DATA, a 554 greeting (next host), a silent server
# (timeout), multi-line replies, STARTTLS advertised but refused, SIZE, the
# routes file's errors; then posthorn-runq using it, with bounces that carry
# the remote server's reply.
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from instance import Instance, parse
from fakesmtp import FakeSMTP

inst = Instance(settings={"timeout-remote": "3", "timeout-connect": "3"})
inst.add_user("alice@example.test")
msgfile = os.path.join(inst.dir, "msg")
MSG = b"From: alice@example.test\nTo: bob@far.test\nSubject: remote\n\n.leading dot\nline two\n"
with open(msgfile, "wb") as f:
    f.write(MSG)


def routes(text):
    with open(os.path.join(inst.conf, "routes"), "w") as f:
        f.write(text)


def remote(domain, sender, rcpts, msg=msgfile, timeout=60):
    with open(msg, "rb") as m:
        p = subprocess.run([prog("remote"), "-C", inst.conf, domain, sender] + rcpts, stdin=m,
                           capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode().splitlines(), p.stderr.decode()


# ---- a plain delivery, pipelined ----
peer = FakeSMTP()
routes("far.test 127.0.0.1:%d\n" % peer.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test", "carol@far.test"])
is_(rc, 0, "posthorn-remote exits 0")
is_([l.split(" ")[0] for l in lines], ["ok", "ok"], "both recipients delivered", )
ok("127.0.0.1" in lines[0] and "250 2.0.0 queued" in lines[0], "the reason names the host and its reply", lines)
s = peer.sessions[-1]
is_(s["rcpts"], ["bob@far.test", "carol@far.test"], "the peer got both RCPTs")
is_(s["data"], MSG.replace(b"\n", b"\r\n").replace(b"\r\n.leading", b"\r\n..leading"),
    "the message arrived with CRLF line ends and dot-stuffed")
ok(s["mail"].startswith("MAIL FROM:<alice@example.test> SIZE=%d" % len(MSG)), "MAIL carries SIZE", s["mail"])
is_(s["commands"][0], "EHLO mx.example.test", "EHLO with our name")
is_(s["commands"][-1], "QUIT", "and a QUIT at the end")

# ---- a message stored with CRLF line ends and no final line end ----
crlf = os.path.join(inst.dir, "crlf")
with open(crlf, "wb") as f:
    f.write(b"Subject: crlf\r\n\r\n.dot\r\nbare\rcr\r\nno end")
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"], msg=crlf)
is_(peer.sessions[-1]["data"], b"Subject: crlf\r\n\r\n..dot\r\nbare\rcr\r\nno end\r\n",
    "CRLF kept (not doubled), the dot stuffed, a final CRLF added")

# ---- per-recipient results ----
peer2 = FakeSMTP(rcpt={"no@far.test": "550 5.1.1 no such user", "later@far.test": "451 4.3.0 try later"})
routes("far.test 127.0.0.1:%d\n" % peer2.port)
rc, lines, err = remote("far.test", "alice@example.test", ["no@far.test", "yes@far.test", "later@far.test"])
is_([l.split(" ")[0] for l in lines], ["fail", "ok", "defer"], "5xx fails, 2xx delivers, 4xx defers, in order")
ok("550 5.1.1 no such user" in lines[0], "the 5xx reason keeps the server's text", lines[0])
results = [l for l in err.splitlines() if "event=result" in l]
ok(len(results) == 3 and all(" status=%s reason=" % w in l for w, l in zip(("fail", "ok", "defer"), results)),
   "one result log line per recipient, status=fail|ok|defer as a plain word", err)
is_(peer2.sessions[-1]["rcpts"], ["yes@far.test"], "the others still got the message")

# ---- MAIL refused: every recipient gets MAIL's reply, not what followed it ----
refusing = FakeSMTP(mail_reply="550 5.7.1 sender rejected")
routes("far.test 127.0.0.1:%d\n" % refusing.port)
rc, lines, err = remote("far.test", "alice@example.test", ["a@far.test", "b@far.test"])
is_([l.split(" ")[0] for l in lines], ["fail", "fail"], "a refused MAIL fails every recipient (pipelined)")
ok(all("550 5.7.1 sender rejected" in l for l in lines), "with MAIL's own reply as the reason", lines)
refusing.close()

# ---- without PIPELINING, multi-line replies ----
peer3 = FakeSMTP(ehlo=("SIZE 100000",), multiline=True, rcpt={"no@far.test": "550 5.1.1 gone"})
routes("far.test 127.0.0.1:%d\n" % peer3.port)
rc, lines, err = remote("far.test", "alice@example.test", ["no@far.test", "yes@far.test"])
is_([l.split(" ")[0] for l in lines], ["fail", "ok"], "one command at a time, multi-line greeting and replies")
ok("first line of the refusal" in lines[0] and "550 5.1.1 gone" in lines[0], "a multi-line reply is kept whole", lines[0])

# ---- a connection dropped in the middle of DATA ----
big = os.path.join(inst.dir, "big")
with open(big, "wb") as f:
    f.write(MSG + b"x" * 5000 + b"\n")
peer4 = FakeSMTP(drop_in_data=True)
routes("far.test 127.0.0.1:%d\n" % peer4.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"], msg=big)
is_([l.split(" ")[0] for l in lines], ["defer"], "dropped mid-DATA: a temporary failure")
ok("connection lost" in lines[0], "saying the connection was lost", lines)

# ---- the first host greets with 554: the next one gets the mail ----
bad = FakeSMTP(greeting="554 5.7.1 go away")
good = FakeSMTP()
routes("far.test 127.0.0.1:%d\n" % bad.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["defer"], "a 554 greeting from the only host is a deferral")
ok("554 5.7.1 go away" in lines[0], "with the greeting in the reason", lines)

# ---- a silent server: the timeout ----
silent = FakeSMTP(silent=True)
routes("far.test 127.0.0.1:%d\n" % silent.port)
t0 = time.monotonic()
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
took = time.monotonic() - t0
is_([l.split(" ")[0] for l in lines], ["defer"], "a server that never answers: deferred")
ok("timed out" in lines[0] and took < 10, "after the configured timeout (3s): %.1fs" % took, lines)

# ---- STARTTLS advertised, then refused ----
refuser = FakeSMTP(starttls_reply="454 4.7.0 TLS not available")
routes("far.test 127.0.0.1:%d\n" % refuser.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["ok"], "opportunistic TLS: a refused STARTTLS goes on in the clear")
ok("STARTTLS" in refuser.sessions[-1]["commands"], "STARTTLS was tried")
routes("far.test 127.0.0.1:%d tls=verify\n" % refuser.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["defer"], "tls=verify: a refused STARTTLS is a temporary failure")
ok("TLS required" in lines[0], "saying TLS was required", lines)
routes("far.test 127.0.0.1:%d tls=verify\n" % good.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["defer"], "tls=verify with no STARTTLS offered: deferred")
routes("far.test 127.0.0.1:%d tls=none auth=u:p\n" % good.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["defer"], "credentials are never sent without TLS")
ok("without TLS" in lines[0], "and the reason says so", lines)

# ---- SIZE: a message the peer will not take ----
small = FakeSMTP(ehlo=("PIPELINING", "SIZE 50"))
routes("far.test 127.0.0.1:%d\n" % small.port)
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["fail"], "a message over the peer's SIZE fails permanently")
ok(lines[0].startswith("fail 5.3.4") and small.sessions[-1]["mail"] is None, "5.3.4, and no MAIL was sent", lines)

# ---- SMTPUTF8 needed but not offered ----
routes("far.test 127.0.0.1:%d\n" % good.port)
rc, lines, err = remote("far.test", "alice@example.test", ["jörg@far.test", "bob@far.test"])
is_([l.split(" ")[0] for l in lines], ["fail", "ok"], "a UTF-8 address fails (5.6.7) where SMTPUTF8 is missing; others go")
ok(lines[0].startswith("fail 5.6.7"), "with 5.6.7", lines)

# ---- the routes file ----
routes("far.test 127.0.0.1:99999\n")
rc, lines, err = remote("far.test", "alice@example.test", ["bob@far.test"])
ok(rc == 111 and "bad routes file, line 1" in "".join(lines), "a bad port in routes is a temporary failure naming the line",
   lines)
routes("# comment\n\n.far.test 127.0.0.1:%d\n* 127.0.0.1:1\n" % good.port)
rc, lines, err = remote("sub.far.test", "alice@example.test", ["bob@sub.far.test"])
is_([l.split(" ")[0] for l in lines], ["ok"], "a .domain route matches a subdomain")
rc, lines, err = remote("other.test", "alice@example.test", ["bob@other.test"])
is_([l.split(" ")[0] for l in lines], ["defer"], "'*' catches every other domain (here: nothing listens)")
ok("connect failed" in lines[0], "a refused connection is named", lines)

# ---- posthorn-runq with posthorn-remote: delivered, and bounces with the remote reply ----
peer5 = FakeSMTP(rcpt={"gone@far.test": "550 5.1.1 <gone@far.test>: mailbox unavailable"})
routes("far.test 127.0.0.1:%d\n" % peer5.port)
rc, e = inst.inject(MSG, "alice@example.test", ["bob@far.test", "gone@far.test", "carol@far.test"])
is_(rc, 0, "queued a message for three remote recipients")
rc, out, err = inst.runq()
is_(inst.queued(), [], "after a pass the queue is empty")
s = peer5.sessions[-1]
is_(s["rcpts"], ["bob@far.test", "carol@far.test"], "one connection for the domain, both good recipients in it")
ok("remote delivery not available" not in err, "no 'remote delivery not available' any more")
bounces = inst.messages("alice@example.test")
is_(len(bounces), 1, "the sender got a bounce for the refused recipient")
if bounces:
    blk = parse(bounces[0]).get_payload()[1].get_payload()[1]
    is_(blk["Final-Recipient"], "rfc822; gone@far.test", "for gone@far.test")
    is_(blk["Status"], "5.1.1", "Status 5.1.1 from the remote reply")
    ok(blk["Diagnostic-Code"].startswith("smtp; 550 5.1.1 <gone@far.test>: mailbox unavailable"),
       "Diagnostic-Code: smtp; with the remote server's reply", blk["Diagnostic-Code"])

for p in (peer, peer2, peer3, peer4, bad, good, silent, refuser, small, peer5):
    p.close()
done()
