#!/usr/bin/env python3
# DKIM signing by posthorn-queue, checked by independent verifiers:
#   keys made with openssl (RSA 2048 and Ed25519) in DIR/dkim/example.test/;
#   mail through posthorn-sendmail and through submission (posthorn-smtpd -s
#   with AUTH) is stored with both signatures, which Debian's python3-dkim
#   verifies against the public keys;
#   h= oversigns From, To, Subject, Date; a message over 64 KiB (read back
#   from its temp file) signs right; MX mail (no AUTH) is not signed, nor a
#   From domain without keys; a key file with a bad mode is not used and the
#   message is still queued.
#   End to end (root and dnsmasq): posthorn's own verifier, on another
#   instance's MX with the public keys in DNS, says dkim=pass.
import base64
import glob
import json
import os
import pwd
import re
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog  # noqa: E402
from instance import Instance, ROOT  # noqa: E402
from dnsserver import DNSServer  # noqa: E402

ORACLE = "/usr/bin/python3"
if not os.path.exists(ORACLE) or subprocess.run([ORACLE, "-c", "import dkim"], capture_output=True).returncode:
    print("1..0 # SKIP needs /usr/bin/python3 with python3-dkim")
    sys.exit(0)

DOMAIN = "example.test"
inst = Instance(domains=(DOMAIN,), settings={"smtpd-auth-cleartext": "1"})
inst.add_user("alice@" + DOMAIN, "alice-pw")
# the queue runs as nobody under tcpserver when we are root: the keys are
# its account's, as they are posthorn-q's on a real system
owner = pwd.getpwnam("nobody") if ROOT else pwd.getpwuid(os.getuid())
keydir = os.path.join(inst.conf, "dkim", DOMAIN)
os.makedirs(keydir)
os.chmod(os.path.join(inst.conf, "dkim"), 0o755)
os.chmod(keydir, 0o700)
RSA, ED = "r202612", "e202612"
for sel, args in ((RSA, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]), (ED, ["-algorithm", "ED25519"])):
    path = os.path.join(keydir, sel + ".key")
    subprocess.run(["openssl", "genpkey"] + args + ["-out", path], check=True, capture_output=True)
    os.chmod(path, 0o600)
    os.chown(path, owner.pw_uid, owner.pw_gid)
os.chown(keydir, owner.pw_uid, owner.pw_gid)


def record(sel):
    """The key's DNS record (RFC 6376 3.6.1; RFC 8463 4 for Ed25519)."""
    der = subprocess.run(["openssl", "pkey", "-in", os.path.join(keydir, sel + ".key"), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    if sel == ED:
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]).decode()
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


RECORDS = {"%s._domainkey.%s" % (s, DOMAIN): record(s) for s in (RSA, ED)}

VERIFY = r'''
import json, sys, dkim
job = json.load(sys.stdin)
recs = job["records"]
def dnsfunc(name, timeout=5):
    return recs.get(name.decode().rstrip("."), "").encode()
msg = job["msg"].encode("latin-1").replace(b"\n", b"\r\n")
d = dkim.DKIM(msg)
n = len([l for l in msg.split(b"\r\n\r\n")[0].split(b"\r\n") if l.lower().startswith(b"dkim-signature:")])
print(json.dumps([bool(d.verify(idx=i, dnsfunc=dnsfunc)) for i in range(n)]))
'''


def verify(msg):
    """python3-dkim's verdict on each DKIM-Signature, top first."""
    p = subprocess.run([ORACLE, "-c", VERIFY], input=json.dumps({"records": RECORDS, "msg": msg}),
                       capture_output=True, text=True, timeout=120)
    if p.returncode:
        note(p.stderr)
        return None
    return json.loads(p.stdout)


def sigs(msg):
    """The DKIM-Signature fields of msg, unfolded, top first."""
    head = msg.split("\n\n", 1)[0]
    head = re.sub(r"\n[ \t]+", " ", head)
    return [l for l in head.split("\n") if l.lower().startswith("dkim-signature:")]


def tag(sig, name):
    m = re.search(r"[; :]" + name + r"=([^;]*)", sig)
    return re.sub(r"\s+", "", m.group(1)) if m else None


def stored(subject):
    """The queued message with this Subject, as text."""
    for p in glob.glob(os.path.join(inst.queue, "q", "*.msg")):
        with open(p, "rb") as f:
            m = f.read().decode("latin-1")
        if ("\nSubject: %s\n" % subject) in m:
            return m
    return None


def message(subject, frm="Alice <alice@%s>" % DOMAIN, body="Hello,\nthis is signed.\n"):
    return ("From: %s\nTo: Bob <bob@remote.test>, carl@remote.test\nSubject: %s\n"
            "Date: Thu, 03 Dec 2026 15:00:00 +0000\nMessage-ID: <%s@%s>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\nList-Id: <list.%s>\n\n%s"
            % (frm, subject, subject.replace(" ", "."), DOMAIN, DOMAIN, body))


def sendmail(msg):
    return inst.sendmail(["-i", "-f", "alice@" + DOMAIN, "bob@remote.test"], msg.encode(), owner)


def submit(msg, port, login=True, rcpt="bob@remote.test"):
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=60)
    try:
        s.ehlo()
        if login:
            s.login("alice@" + DOMAIN, "alice-pw")
        return s.sendmail("alice@" + DOMAIN, [rcpt], msg.replace("\n", "\r\n").encode())
    finally:
        s.quit()


def check_signed(m, what):
    ss = sigs(m or "")
    is_(len(ss), 2, what + ": two DKIM-Signature fields")
    if len(ss) != 2:
        return
    algs = sorted(tag(s, "a") for s in ss)
    is_(algs, ["ed25519-sha256", "rsa-sha256"], what + ": rsa-sha256 and ed25519-sha256")
    ok(all(tag(s, "d") == DOMAIN and tag(s, "c") == "relaxed/relaxed" for s in ss), what + ": d= and c=")
    is_(sorted(tag(s, "s") for s in ss), [ED, RSA], what + ": one per key file, s= its name")
    is_(verify(m), [True, True], what + ": python3-dkim verifies both")
    folded = m.split("\n\n", 1)[0].split("\n")
    ok(all(len(l) < 78 for l in folded if l[:1] in ("\t", "D")), what + ": lines under 78")


# the servers first: as root, serve() gives the queue dir to nobody, whom
# posthorn-sendmail runs as too
sub = inst.serve("smtpd", "-s")
mx = inst.serve("smtpd")

# ---- posthorn-sendmail ----
rc, err = sendmail(message("by sendmail"))
is_(rc, 0, "posthorn-sendmail queues")
m = stored("by sendmail")
check_signed(m, "sendmail")
h = tag(sigs(m)[0], "h").lower().split(":") if m and sigs(m) else []
for name in ("from", "to", "subject", "date"):
    is_(h.count(name), 2, "h= oversigns %s (present once, named twice)" % name)
ok(all(n in h for n in ("message-id", "mime-version", "content-type", "list-id")), "h= names the other fields present")
ok("cc" not in h and "reply-to" not in h, "h= does not name fields that are absent")
ok(m is not None and m.index("DKIM-Signature") == 0, "the signatures are on top")

# the same message with a field added after signing fails (oversigning)
if m:
    forged = m.replace("\nSubject: by sendmail\n", "\nSubject: by sendmail\nSubject: forged\n", 1)
    is_(verify(forged), [False, False], "an added Subject breaks both signatures")

# over 64 KiB: read back from the temp file
big_body = "".join("line %05d of a big message, with  some   spaces \t\n" % i for i in range(3000))
rc, err = sendmail(message("big one", body=big_body))
is_(rc, 0, "a message of %d bytes is queued" % len(big_body))
check_signed(stored("big one"), "over 64 KiB")

# a From domain without keys, several From fields: not signed, still queued
rc, err = sendmail(message("other domain", frm="carol@other.test"))
m = stored("other domain")
ok(rc == 0 and m is not None and not sigs(m), "a From domain without keys: queued, not signed")
rc, err = sendmail("From: alice@%s\nFrom: x@%s\nSubject: two froms\n\nx\n" % (DOMAIN, DOMAIN))
m = stored("two froms")
ok(rc == 0 and m is not None and not sigs(m), "two From fields: queued, not signed")

# ---- submission (AUTH) and MX ----
submit(message("by submission"), sub)
check_signed(stored("by submission"), "submission with AUTH")
try:
    submit(message("by mx"), mx, login=False, rcpt="alice@" + DOMAIN)
except smtplib.SMTPException as e:
    note("mx: %r" % (e,))
m = stored("by mx")
ok(m is not None and not sigs(m), "MX mail (no AUTH) is queued unsigned")

# a key with a bad mode: not used; the other still signs; the message queued
edkey = os.path.join(keydir, ED + ".key")
os.chmod(edkey, 0o640)
rc, err = sendmail(message("bad mode"))
m = stored("bad mode")
ok(rc == 0 and m is not None, "a key of mode 0640: the message is still queued")
ss = sigs(m or "")
ok(len(ss) == 1 and tag(ss[0], "s") == RSA, "only the good key signs")
is_(verify(m or ""), [True], "and that signature verifies")
os.chmod(edkey, 0o600)
if ROOT:
    os.chown(edkey, 0, 0)
    rc, err = sendmail(message("bad owner"))
    m = stored("bad owner")
    ok(rc == 0 and m is not None and len(sigs(m)) == 1, "a key owned by another account is not used")
    os.chown(edkey, owner.pw_uid, owner.pw_gid)

# ---- end to end: posthorn's own verifier on another MX, keys in DNS ----
DNS_IP = "127.5.5.15"
if not ROOT or not shutil.which("dnsmasq"):
    note("skipped the DNS end-to-end part: needs root and dnsmasq")
    done()
    sys.exit(0)
lines = []
for name, text in RECORDS.items():
    parts = [text[i:i + 250] for i in range(0, len(text), 250)]
    lines.append("txt-record=%s,%s" % (name, ",".join('"%s"' % p for p in parts)))
dns = DNSServer(DNS_IP, lines)
try:
    if ok(dns.ok, "dnsmasq answers on %s" % DNS_IP, dns.why):
        other = Instance(domains=("remote.test",), me="mx.remote.test", settings={"smtpd-checks": "1"})
        other.add_user("bob@remote.test")
        port = other.serve("smtpd", env={"DNSCACHEIP": DNS_IP})
        m = stored("by submission")
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="mx.example.test", timeout=60)
        try:
            s.ehlo()
            s.sendmail("alice@" + DOMAIN, ["bob@remote.test"], m.replace("\n", "\r\n").encode("latin-1"))
        finally:
            s.quit()
        rc, out, err = other.runq()
        got = [x.decode("latin-1") for x in other.messages("bob@remote.test")]
        got = [x for x in got if "Subject: by submission\n" in x]
        ok(len(got) == 1, "the signed message reaches the other MX's mailbox")
        ar = re.sub(r"\n[ \t]+", " ", got[0].split("\n\n", 1)[0]) if got else ""
        ar = [l for l in ar.split("\n") if l.lower().startswith("authentication-results: mx.remote.test")]
        ok(len(ar) == 1 and ar[0].count("dkim=pass") == 2, "posthorn's verifier: dkim=pass for both",
           ar[0] if ar else "no Authentication-Results")
        ok(ar and "header.s=" + RSA in ar[0] and "header.s=" + ED in ar[0], "with both selectors")
finally:
    dns.stop()
done()
