#!/usr/bin/env python3
# The sender checks of posthorn-smtpd end to end, against a real DNS server
# (dnsmasq on a loopback address, DNSCACHEIP pointing at it) and messages
# signed by an independent DKIM signer (Debian's python3-dkim):
# smtplib -> tcpserver -> posthorn-smtpd -> posthorn-queue -> posthorn-runq
# -> posthorn-local -> Maildir.
#   DNSBL: a listed client is refused at MAIL with the list's TXT reason; an
#     allowlisted one is accepted; a low score only marks.  RELAYCLIENT and
#     AUTH clients are not looked up.
#   SPF: fail refused at RCPT (550 5.7.23); pass recorded.
#   DKIM: RSA and Ed25519, simple and relaxed, pass; a changed body fails.
#   DMARC: forged From of a p=reject domain refused after DATA; p=quarantine
#     and pct= sampling land in Junk; sp= for subdomains; the override list.
#   Authentication-Results: present and right; a forged one with our
#     authserv-id is removed, another ADMD's kept; forged marks removed.
# Needs root (port 53), dnsmasq and /usr/bin/python3 with the dkim module.
import json
import os
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done  # noqa: E402
from instance import Instance, ROOT  # noqa: E402
from dnsserver import DNSServer  # noqa: E402
import re  # noqa: E402


def like(got, pattern, name):
    return ok(re.search(pattern, got or "") is not None, name, "got: %r\nwant: /%s/" % (got, pattern))

DNS_IP = "127.5.5.14"
ORACLE = "/usr/bin/python3"
if not ROOT or not shutil.which("dnsmasq"):
    print("1..0 # SKIP needs root and dnsmasq")
    sys.exit(0)
if subprocess.run([ORACLE, "-c", "import dkim, nacl.signing"], capture_output=True).returncode:
    print("1..0 # SKIP needs python3-dkim (Debian) at %s" % ORACLE)
    sys.exit(0)

# ---- keys and signing, by python3-dkim ----
SIGNER = r'''
import base64, json, subprocess, sys, dkim, nacl.signing
job = json.load(sys.stdin)
if job["op"] == "keys":
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem, check=True,
                         capture_output=True).stdout
    sk = nacl.signing.SigningKey.generate()
    json.dump({"rsa": pem.decode(), "rsa_p": base64.b64encode(der).decode(),
               "ed": base64.b64encode(bytes(sk)).decode(),
               "ed_p": base64.b64encode(bytes(sk.verify_key)).decode()}, sys.stdout)
else:
    out = []
    for m in job["msgs"]:
        key = m["key"].encode()
        sig = dkim.sign(m["msg"].encode("latin-1"), m["sel"].encode(), m["dom"].encode(), key,
                        signature_algorithm=m["alg"].encode(),
                        canonicalize=tuple(c.encode() for c in m["canon"]),
                        include_headers=[b"from", b"to", b"subject", b"date"])
        out.append((sig + m["msg"].encode("latin-1")).decode("latin-1"))
    json.dump(out, sys.stdout)
'''


def oracle(job):
    p = subprocess.run([ORACLE, "-c", SIGNER], input=json.dumps(job), capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise RuntimeError(p.stderr)
    return json.loads(p.stdout)


keys = oracle({"op": "keys"})


def txt(name, text):
    """A dnsmasq txt-record with text cut into strings of at most 250 (a
    config-file line: dnsmasq reads several strings only from a file)."""
    parts = [text[i:i + 250] for i in range(0, len(text), 250)]
    return "txt-record=%s,%s" % (name, ",".join('"%s"' % p for p in parts))


records = [
    # DNSBL: 127.0.0.2 listed with a reason; 127.0.0.3 listed but allowlisted;
    # 127.0.0.4 only on a list of small weight
    "host-record=2.0.0.127.bl.test,127.0.0.2", txt("2.0.0.127.bl.test", "Listed by bl.test; see http://bl.test/q=127.0.0.2"),
    "host-record=3.0.0.127.bl.test,127.0.0.2", "host-record=3.0.0.127.wl.test,127.0.10.3",
    "host-record=4.0.0.127.small.test,127.0.0.2",
    # SPF
    txt("pass.test", "v=spf1 ip4:127.0.0.0/8 -all"),
    txt("fail.test", "v=spf1 ip4:192.0.2.1 -all"),
    txt("soft.test", "v=spf1 ~all"),
    txt("client.test", "v=spf1 ip4:127.0.0.0/8 -all"),
    # DKIM keys
    txt("rsa._domainkey.signed.test", "v=DKIM1; k=rsa; p=" + keys["rsa_p"]),
    txt("ed._domainkey.signed.test", "v=DKIM1; k=ed25519; p=" + keys["ed_p"]),
    # DMARC
    txt("_dmarc.pass.test", "v=DMARC1; p=reject"),
    txt("_dmarc.signed.test", "v=DMARC1; p=reject"),
    txt("_dmarc.reject.test", "v=DMARC1; p=reject"),
    txt("_dmarc.quar.test", "v=DMARC1; p=quarantine"),
    txt("_dmarc.sampled.test", "v=DMARC1; p=reject; pct=0"),
    txt("_dmarc.sub.test", "v=DMARC1; p=none; sp=reject"),
    "host-record=a.sub.test,127.0.0.9",
    txt("_dmarc.over.test", "v=DMARC1; p=reject"),
]
dns = DNSServer(DNS_IP, records)
if not ok(dns.ok, "dnsmasq answers on %s" % DNS_IP):
    note(dns.why)
    done()
    sys.exit(1)

inst = Instance(settings={"smtpd-checks": "1", "dnsbl-threshold": "10"})
with open(os.path.join(inst.conf, "dnsblzones"), "w") as f:
    f.write("bl.test 10 127.0.0.2-127.0.0.11\nsmall.test 5\nwl.test -20 127.0.0.0-127.0.255.255\n")
inst.set("dmarc-override", "over.test none")
inst.add_user("alice@example.test")
env = {"DNSCACHEIP": DNS_IP}
port = inst.serve("smtpd", env=env)
relay_port = inst.serve("smtpd", env=dict(env, RELAYCLIENT=""))


def smtp(client="127.0.0.1", p=None):
    s = smtplib.SMTP("127.0.0.1", p or port, local_hostname="client.test", timeout=60,
                     source_address=(client, 0))
    s.ehlo()
    return s


def msg(frm, subject, body="Hello.\r\n", extra=""):
    return ("From: %s\r\nTo: alice@example.test\r\nSubject: %s\r\nDate: Thu, 03 Dec 2026 15:00:00 +0000\r\n%s\r\n%s"
            % (frm, subject, extra, body))


def send(sender, message, client="127.0.0.1", p=None):
    """(code, text) of the first refusal, or (250, ...) when queued."""
    s = smtp(client, p)
    try:
        code, text = s.mail(sender)
        if code != 250:
            return code, text.decode()
        code, text = s.rcpt("alice@example.test")
        if code != 250:
            return code, text.decode()
        code, text = s.data(message.encode("latin-1") if isinstance(message, str) else message)
        return code, text.decode()
    finally:
        try:
            s.quit()
        except Exception:
            pass


def deliver():
    rc, out, err = inst.runq()
    is_(rc, 0, "posthorn-runq delivers")


def find(subject, folder=""):
    for m in inst.messages("alice@example.test", folder):
        if ("Subject: " + subject + "\n").encode() in m:
            return m.decode("latin-1")
    return None


def authres(m):
    """Our Authentication-Results field, unfolded; None when absent."""
    head = m.split("\n\n", 1)[0].replace("\n\t", " ").replace("\n ", " ")
    for line in head.split("\n"):
        if line.lower().startswith("authentication-results: mx.example.test"):
            return line
    return None


# ---- DNSBL ----
code, text = send("x@pass.test", msg("x@pass.test", "listed"), client="127.0.0.2")
is_(code, 554, "DNSBL-listed client refused at MAIL")
like(text, r"5\.7\.1 .*127\.0\.0\.2.* listed by bl\.test: Listed by bl\.test; see http://bl\.test/q=127\.0\.0\.2",
     "the refusal names the list and gives its TXT reason")
code, text = send("x@pass.test", msg("x@pass.test", "allowlisted"), client="127.0.0.3")
is_(code, 250, "a client listed but allowlisted is accepted")
code, text = send("x@pass.test", msg("x@pass.test", "small score"), client="127.0.0.4")
is_(code, 250, "a score under the threshold is accepted")
code, text = send("x@pass.test", msg("x@pass.test", "relayclient"), client="127.0.0.2", p=relay_port)
is_(code, 250, "a RELAYCLIENT client is not looked up in the DNSBL")

# ---- SPF ----
code, text = send("x@fail.test", msg("x@fail.test", "spf fail"))
is_(code, 550, "SPF fail refused at RCPT")
like(text, r"5\.7\.23 SPF check failed: <x@fail\.test> is not allowed to send from \[127\.0\.0\.1\]",
     "with 5.7.23 and the sender and client named")
is_(send("x@pass.test", msg("x@pass.test", "spf pass"))[0], 250, "SPF pass and aligned: accepted")

# ---- DKIM, signed by python3-dkim ----
signed = oracle({"op": "sign", "msgs": [
    {"msg": msg("Signer <a@signed.test>", "dkim rsa relaxed", "Body  with   spaces \r\n\r\n\r\n"),
     "key": keys["rsa"], "sel": "rsa", "dom": "signed.test", "alg": "rsa-sha256", "canon": ["relaxed", "relaxed"]},
    {"msg": msg("a@signed.test", "dkim rsa simple", "line\r\n\tindented\r\n"),
     "key": keys["rsa"], "sel": "rsa", "dom": "signed.test", "alg": "rsa-sha256", "canon": ["simple", "simple"]},
    {"msg": msg("a@signed.test", "dkim ed25519", "caf\xe9 8-bit\r\n"),
     "key": keys["ed"], "sel": "ed", "dom": "signed.test", "alg": "ed25519-sha256", "canon": ["relaxed", "simple"]},
    {"msg": msg("a@signed.test", "dkim changed", "original body\r\n"),
     "key": keys["rsa"], "sel": "rsa", "dom": "signed.test", "alg": "rsa-sha256", "canon": ["relaxed", "relaxed"]},
]})
for m in signed[:3]:
    is_(send("bounce@soft.test", m)[0], 250, "DKIM-signed message accepted")
code, text = send("bounce@soft.test", signed[3].replace("original body", "original bodY"))
is_(code, 550, "a changed body fails DKIM, and the p=reject From domain refuses it")
like(text, r"5\.7\.1 .*DMARC.*: signed\.test", "refused by DMARC, the domain named")

# ---- DMARC ----
code, text = send("x@soft.test", msg("CEO <ceo@reject.test>", "forged reject"))
is_(code, 550, "forged From of a p=reject domain refused after DATA")
like(text, r"^5\.7\.1 message refused by the DMARC policy of its From domain: reject\.test", "550 5.7.1 with the domain")
is_(send("x@soft.test", msg("someone@quar.test", "forged quarantine"))[0], 250, "p=quarantine accepted")
is_(send("x@soft.test", msg("someone@sampled.test", "sampled out"))[0], 250,
    "p=reject with pct=0 accepted (one step softer: quarantine)")
code, text = send("x@soft.test", msg("x@a.sub.test", "subdomain"))
is_(code, 550, "sp=reject applies to a subdomain of the organizational domain")
is_(send("x@soft.test", msg("x@over.test", "override"))[0], 250, "dmarc-override 'none' lets a p=reject domain in")

code, text = send("x@pass.test", msg("x@pass.test", "two froms", extra="From: ceo@pass.test\r\n"))
is_(code, 550, "two From fields refused")
like(text, r"more than one From", "saying why")

# ---- forged fields ----
forged = msg("x@pass.test", "forged fields",
             extra="Authentication-Results: mx.example.test; dkim=pass header.d=bank.test\r\n"
                   "Authentication-Results: (c) MX.EXAMPLE.TEST;\r\n\tspf=pass\r\n"
                   "Authentication-Results: other.test; spf=pass smtp.mailfrom=x@pass.test\r\n"
                   "X-Posthorn-Junk: spoofed\r\n")
is_(send("x@pass.test", forged)[0], 250, "message with forged fields accepted")

deliver()

m = find("allowlisted")
ok(m and "X-Posthorn-DNSBL: score=-10 bl.test=127.0.0.2 wl.test=127.0.10.3" in m,
   "allowlisted: delivered, marked with the score and the lists")
m = find("small score")
ok(m and "X-Posthorn-DNSBL: score=5 small.test=127.0.0.2" in m, "small score: marked")
m = find("relayclient")
ok(m and authres(m) is None and "X-Posthorn-DNSBL" not in m, "RELAYCLIENT: no checks, no fields")

m = find("spf pass")
ar = authres(m) if m else None
like(ar or "", r"spf=pass smtp\.mailfrom=x@pass\.test; spf=pass smtp\.helo=client\.test; dkim=none; "
     r"dmarc=pass \(p=reject dis=none\) header\.from=pass\.test", "A-R: spf pass (MAIL FROM and HELO), dmarc pass")
top = [l for l in (m or "").split("\n") if not l.startswith(("Return-Path:", "Delivered-To:"))]
ok(top and top[0].startswith("Authentication-Results: mx.example.test;") and top[5].startswith("Received: from client.test"),
   "A-R is on top, above our Received (only posthorn-local's Return-Path and Delivered-To above it)", "\n".join(top[:8]))

for subject, alg in (("dkim rsa relaxed", "rsa"), ("dkim rsa simple", "rsa"), ("dkim ed25519", "ed")):
    m = find(subject)
    like(authres(m) if m else "", r"spf=softfail smtp\.mailfrom=bounce@soft\.test; .*dkim=pass header\.d=signed\.test "
         r"header\.s=%s header\.b=(\"[^\"]{8}\"|[^\" ;]{8}); dmarc=pass" % alg, "%s: dkim=pass, dmarc pass through DKIM" % subject)

m = find("forged quarantine", "Junk")
ok(m is not None, "p=quarantine: delivered into the Junk folder")
ok(m and "X-Posthorn-Junk: dmarc p=quarantine quar.test" in m, "with the mark")
like(authres(m) if m else "", r"dmarc=fail \(p=quarantine dis=quarantine\) header\.from=quar\.test", "A-R: dmarc=fail")
ok(find("forged quarantine") is None, "not in the INBOX")
m = find("sampled out", "Junk")
like(authres(m) if m else "", r"dmarc=fail \(p=reject dis=quarantine\) header\.from=sampled\.test",
     "pct=0: quarantined instead of refused")
m = find("override")
like(authres(m) if m else "", r"dmarc=fail \(p=reject dis=none\) header\.from=over\.test", "override: in the INBOX")

m = find("forged fields")
ok(m is not None, "forged fields: in the INBOX (the forged Junk mark was removed)")
if m:
    head = m.split("\n\n", 1)[0]
    is_(head.lower().count("authentication-results: mx.example.test"), 1, "only our own A-R with our authserv-id")
    ok("bank.test" not in head and "(c) MX.EXAMPLE.TEST" not in head, "the forged ones are gone")
    ok("Authentication-Results: other.test; spf=pass" in head, "another ADMD's A-R is kept")
    ok("spoofed" not in head, "the forged X-Posthorn-Junk is gone")

# the log line per message carries each result
with open(os.path.join(inst.dir, "smtpd.log"), encoding="utf-8", errors="replace") as f:
    log = f.read()
like(log, r"event=message .*dnsbl=0 spf=pass dkim=none dmarc=pass", "log line: each result")
like(log, r"event=message .*dmarc=fail/reject result=\"550 dmarc\"", "log line: the DMARC refusal")

dns.stop()
done()
