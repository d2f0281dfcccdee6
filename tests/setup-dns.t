#!/usr/bin/env python3
# posthorn-setup's DKIM keys, its dns mode and its check mode
# (posthorn-dnscheck), against a config dir in a temp dir: these modes make
# no account and touch nothing outside -C DIR.
#   keys: rYYYYMM (RSA 2048) and eYYYYMM (Ed25519), dir 0700, files 0600,
#     never replaced by a second run.
#   dns: the records, served as printed by dnsmasq on a loopback address
#     (DNSCACHEIP points posthorn-dnscheck at it), pass every check.
#   check: each broken variant (MX elsewhere, no PTR, PTR to another name,
#     SPF without our address, two SPF records, DKIM p= of another key, no
#     DMARC, a certificate that ends in 5 days) fails with exit 1 and a FAIL
#     line that names the problem; a self-signed certificate only warns.
# Needs root (port 53) and dnsmasq.
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, tempdir, run, BIN  # noqa: E402
from dnsserver import DNSServer  # noqa: E402
from instance import ROOT  # noqa: E402

DNS_IP = "127.5.5.31"
HOST_IP = "127.0.3.9"
DOMAIN = "example.test"
HOST = "mail.example.test"
SETUP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "posthorn-setup")

if not ROOT or not shutil.which("dnsmasq"):
    print("1..0 # SKIP needs root and dnsmasq")
    sys.exit(0)


def like(got, pattern, name):
    return ok(re.search(pattern, got or "", re.M) is not None, name, "got: %r\nwant: /%s/" % (got, pattern))


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


conf = tempdir()
with open(os.path.join(conf, "me"), "w") as f:
    f.write(HOST + "\n")

# ---- keys ----
rc, out, err = run(["sh", SETUP, "-C", conf, "-u", "root", "keys", DOMAIN])
is_(rc, 0, "keys: exit 0")
month = time.strftime("%Y%m", time.gmtime())
kdir = os.path.join(conf, "dkim", DOMAIN)
keys = sorted(os.listdir(kdir))
is_(keys, ["e%s.key" % month, "r%s.key" % month], "keys: rYYYYMM.key and eYYYYMM.key, nothing else")
is_(oct(os.stat(kdir).st_mode & 0o7777), "0o700", "keys: the domain's dir is 0700")
ok(all(os.stat(os.path.join(kdir, k)).st_mode & 0o7777 == 0o600 for k in keys), "keys: the files are 0600")
texts = [subprocess.run(["openssl", "pkey", "-in", os.path.join(kdir, k), "-noout", "-text"],
                        capture_output=True, text=True).stdout for k in keys]
like(texts[0], r"^ED25519 Private-Key", "keys: e is Ed25519")
like(texts[1], r"Private-Key: \(2048 bit", "keys: r is RSA 2048")
before = [open(os.path.join(kdir, k), "rb").read() for k in keys]
rc, out, err = run(["sh", SETUP, "-C", conf, "-u", "root", "keys", DOMAIN])
ok(rc == 0 and [open(os.path.join(kdir, k), "rb").read() for k in keys] == before and "kept" in out,
   "keys: a second run keeps the keys", out + err)

# ---- certificates: a CA's for HOST (90 days, 5 days) and a self-signed ----
tls = os.path.join(conf, "tls")
os.mkdir(tls)
work = tempdir()
ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
sh("openssl", "req", "-x509", *ec, "-days", "30", "-subj", "/CN=Test CA",
   "-keyout", work + "/ca.key", "-out", work + "/ca.pem")
sh("openssl", "req", "-new", *ec, "-subj", "/CN=" + HOST, "-keyout", tls + "/key.pem", "-out", work + "/req.csr")
with open(work + "/ext", "w") as f:
    f.write("subjectAltName=DNS:%s\n" % HOST)
for days in ("90", "5"):
    sh("openssl", "x509", "-req", "-in", work + "/req.csr", "-CA", work + "/ca.pem", "-CAkey", work + "/ca.key",
       "-CAcreateserial", "-days", days, "-extfile", work + "/ext", "-out", "%s/cert%s.pem" % (work, days))
sh("openssl", "req", "-x509", *ec, "-days", "90", "-subj", "/CN=" + HOST, "-addext", "subjectAltName=DNS:" + HOST,
   "-keyout", work + "/self.key", "-out", work + "/self.pem")
shutil.copy(work + "/cert90.pem", tls + "/cert.pem")

# ---- dns ----
rc, zone, err = run(["sh", SETUP, "-C", conf, "-4", HOST_IP, "dns", DOMAIN])
is_(rc, 0, "dns: exit 0")
note(zone)
records = [ln for ln in zone.splitlines() if ln and not ln.startswith(";")]
ok(all(re.match(r"^\S+\. 3600 IN (MX|A|AAAA|TXT|SRV) ", re.sub(r"\s+", " ", ln)) for ln in records),
   "dns: every record in zone-file syntax, absolute names", "\n".join(records))
ok(all(len(s) <= 255 for ln in records for s in re.findall(r'"([^"]*)"', ln)),
   "dns: no TXT string longer than 255")
for pat, name in [
        (r"^example\.test\. +3600 IN MX +10 mail\.example\.test\.$", "MX"),
        (r"^mail\.example\.test\. +3600 IN A +127\.0\.3\.9$", "A from -4"),
        (r'^example\.test\. +3600 IN TXT +"v=spf1 mx -all"$', "SPF"),
        (r'^r%s\._domainkey\.example\.test\. +3600 IN TXT +"v=DKIM1; k=rsa; p=\S+" "\S+"$' % month,
         "RSA DKIM key, split in two strings"),
        (r'^e%s\._domainkey\.example\.test\. +3600 IN TXT +"v=DKIM1; k=ed25519; p=\S{44}"$' % month, "Ed25519 key"),
        (r'^_dmarc\.example\.test\. .* "v=DMARC1; p=quarantine; rua=mailto:postmaster@example\.test"$', "DMARC"),
        (r'^_mta-sts\.example\.test\. .* "v=STSv1; id=[0-9a-zA-Z]+"$', "MTA-STS"),
        (r"^; +https://mta-sts\.example\.test/\.well-known/mta-sts\.txt$", "the MTA-STS policy's place"),
        (r"^; +mx: mail\.example\.test$", "the MTA-STS policy"),
        (r'^_smtp\._tls\.example\.test\. .* "v=TLSRPTv1; rua=mailto:postmaster@example\.test"$', "TLS-RPT"),
        (r"^_submissions\._tcp\.example\.test\. .* SRV +0 1 465 mail\.example\.test\.$", "SRV submissions"),
        (r"^_submission\._tcp\.example\.test\. .* SRV +\d+ 1 587 mail\.example\.test\.$", "SRV submission"),
        (r"^_imaps\._tcp\.example\.test\. .* SRV +\d+ 1 993 ", "SRV imaps"),
        (r"^_imap\._tcp\.example\.test\. .* SRV +\d+ 1 143 ", "SRV imap"),
        (r"^_pop3s\._tcp\.example\.test\. .* SRV +\d+ 1 995 ", "SRV pop3s"),
        (r"^_pop3\._tcp\.example\.test\. .* SRV +\d+ 1 110 ", "SRV pop3"),
        (r"^; +9\.3\.0\.127\.in-addr\.arpa\. PTR mail\.example\.test\.$", "the PTR, as a comment")]:
    like(zone, pat, "dns: " + name)


def nodot(n):
    return n[:-1] if n.endswith(".") else n


def to_dnsmasq(zone):
    """The printed records as dnsmasq config lines.  host-record would add
    a PTR of its own, so A and AAAA are address= lines and the PTR comes
    from the printed comment."""
    out = []
    for ln in zone.splitlines():
        m = re.match(r"^;\s+(\S+) PTR (\S+)$", ln)
        if m:
            out.append("ptr-record=%s,%s" % (nodot(m.group(1)), nodot(m.group(2))))
            continue
        if not ln or ln.startswith(";"):
            continue
        owner, ttl, cls, rtype, data = re.split(r"\s+", ln, 4)
        owner = nodot(owner)
        if rtype == "MX":
            pref, target = data.split()
            out.append("mx-host=%s,%s,%s" % (owner, nodot(target), pref))
        elif rtype in ("A", "AAAA"):
            out.append("address=/%s/%s" % (owner, data))
        elif rtype == "TXT":
            out.append("txt-record=%s,%s" % (owner, ",".join('"%s"' % s for s in re.findall(r'"([^"]*)"', data))))
        elif rtype == "SRV":
            prio, weight, port, target = data.split()
            out.append("srv-host=%s,%s,%s,%s,%s" % (owner, nodot(target), port, prio, weight))
    return out


served = to_dnsmasq(zone)
dns = None


def stop_dns():
    global dns
    if dns:
        dns.stop()
        dns = None


def serve(lines):
    """(Re)starts dnsmasq with exactly these records."""
    global dns
    stop_dns()
    dns = DNSServer(DNS_IP, lines)
    if not dns.ok:
        ok(False, "dnsmasq answers on %s" % DNS_IP, dns.why)
        stop_dns()
        done()


def check():
    return run(["sh", SETUP, "-C", conf, "-b", BIN, "-4", HOST_IP, "check", DOMAIN], env={"DNSCACHEIP": DNS_IP})


try:
    # (a) the records as printed: every check passes
    serve(served)
    rc, out, err = check()
    note(out + err)
    is_(rc, 0, "check: the printed records pass (exit 0)")
    lines = out.splitlines()
    ok(len(lines) >= 10 and all(ln.startswith("ok   ") for ln in lines), "check: every line ok", out)
    for pat, name in [(r"^ok   MX of example\.test is mail\.example\.test", "MX"),
                      (r"^ok   A of mail\.example\.test: 127\.0\.3\.9$", "A"),
                      (r"^ok   PTR of 127\.0\.3\.9 is mail\.example\.test", "PTR"),
                      (r"^ok   SPF of example\.test passes 127\.0\.3\.9$", "SPF"),
                      (r"^ok   DKIM record r%s\._domainkey\.example\.test: p= is the public key" % month, "DKIM RSA"),
                      (r"^ok   DKIM record e%s\._domainkey\.example\.test: p= is the public key" % month, "DKIM Ed25519"),
                      (r"^ok   DMARC of example\.test: p=quarantine", "DMARC"),
                      (r"^ok   certificate .* is for mail\.example\.test$", "certificate names"),
                      (r"^ok   certificate .* expires in (89|90) days$", "certificate expiry")]:
        like(out, pat, "check: ok line for " + name)

    # (b) one thing broken at a time
    other = subprocess.run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 |"
                           " openssl pkey -pubout -outform DER | base64 -w0",
                           shell=True, capture_output=True, text=True, check=True).stdout
    rsa_name = "r%s._domainkey.%s" % (month, DOMAIN)

    def without(prefix):
        return [ln for ln in served if not ln.startswith(prefix)]

    variants = [
        ("MX elsewhere", without("mx-host=") + ["mx-host=%s,mx.elsewhere.test,10" % DOMAIN,
                                                "address=/mx.elsewhere.test/192.0.2.1"],
         r"^FAIL MX of example\.test points elsewhere \(mx\.elsewhere\.test\)"),
        ("no PTR", without("ptr-record="), r"^FAIL PTR of 127\.0\.3\.9: no such name"),
        ("PTR to another name", without("ptr-record=") + ["ptr-record=9.3.0.127.in-addr.arpa,vps-9.provider.test"],
         r"^FAIL PTR of 127\.0\.3\.9 names vps-9\.provider\.test, not mail\.example\.test"),
        ("SPF without our address", without("txt-record=%s,\"v=spf1" % DOMAIN) +
         ['txt-record=%s,"v=spf1 ip4:192.0.2.1 -all"' % DOMAIN],
         r"^FAIL SPF of example\.test does not authorize 127\.0\.3\.9: fail"),
        ("two SPF records", served + ['txt-record=%s,"v=spf1 a -all"' % DOMAIN],
         r"^FAIL SPF of example\.test: 2 SPF records"),
        ("DKIM p= of another key", without("txt-record=" + rsa_name) +
         ['txt-record=%s,"v=DKIM1; k=rsa; p=%s","%s"' % (rsa_name, other[:200], other[200:])],
         r"^FAIL DKIM record %s: p= is not the public key of " % re.escape(rsa_name)),
        ("no DMARC", without("txt-record=_dmarc."), r"^FAIL DMARC of example\.test: no DMARC record"),
    ]
    for name, lines, pat in variants:
        serve(lines)
        rc, out, err = check()
        is_(rc, 1, "%s: check exits 1" % name)
        like(out, pat, "%s: the FAIL line names it" % name)
    serve(served)
    shutil.copy(work + "/cert5.pem", tls + "/cert.pem")
    rc, out, err = check()
    is_(rc, 1, "certificate ending in 5 days: check exits 1")
    like(out, r"^FAIL certificate .*cert\.pem expires in [45] days \(under 14\)", "... the FAIL line says so")
    ok(len([ln for ln in out.splitlines() if ln.startswith("FAIL")]) == 1, "... and is the only one", out)
    shutil.copy(work + "/self.pem", tls + "/cert.pem")
    shutil.copy(work + "/self.key", tls + "/key.pem")
    rc, out, err = check()
    is_(rc, 0, "self-signed certificate: check exits 0 (a warning only)")
    like(out, r"^warn certificate .* is self-signed", "... with a warn line")
finally:
    stop_dns()
done()
