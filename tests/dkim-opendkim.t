#!/usr/bin/env python3
# DKIM signing checked by OpenDKIM's tools (opendkim-tools), another
# implementation than python3-dkim and posthorn's own verifier, against the
# records exactly as `posthorn-setup dns` prints them:
#   keys made by `posthorn-setup keys`, the records of `posthorn-setup dns`
#   served by dnsmasq on a loopback address; mail through posthorn-sendmail;
#   opendkim-testmsg verifies the RSA and the Ed25519 signature, each alone
#   and both together; one byte changed in the body fails each; with no DNS
#   server it fails (so it did ask ours);
#   opendkim-testkey says the printed RSA record is the private key's, and
#   not another key's.
# opendkim-testmsg asks the system resolver (/etc/resolv.conf); it runs in
# a private mount namespace with a resolv.conf of ours bound over it, so
# the real /etc is never touched.  Needs root, unshare, dnsmasq and
# opendkim-tools (tools/deps installs it).
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog, tempdir, run  # noqa: E402
from dnsserver import DNSServer  # noqa: E402
from instance import Instance, ROOT  # noqa: E402

DNS_IP = "127.5.5.17"
NO_DNS_IP = "127.5.5.18"      # nothing listens here
DOMAIN = "example.test"
SETUP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "posthorn-setup")

why = None
if not ROOT:
    why = "needs root (port 53, mount namespace)"
elif not shutil.which("dnsmasq"):
    why = "needs dnsmasq"
elif not shutil.which("unshare") or subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode:
    why = "needs unshare --mount"
elif not shutil.which("opendkim-testmsg") or not shutil.which("opendkim-testkey"):
    why = "needs opendkim-tools"
if why:
    print("1..0 # SKIP " + why)
    sys.exit(0)

# ---- keys and records, by posthorn-setup ----
inst = Instance(domains=(DOMAIN,))
owner = pwd.getpwnam("nobody")     # the queue's account in tests run as root
rc, out, err = run(["sh", SETUP, "-C", inst.conf, "-u", "nobody", "keys", DOMAIN])
is_(rc, 0, "posthorn-setup keys: exit 0")
month = time.strftime("%Y%m", time.gmtime())
RSA, ED = "r" + month, "e" + month
keydir = os.path.join(inst.conf, "dkim", DOMAIN)
is_(sorted(os.listdir(keydir)), [ED + ".key", RSA + ".key"], "the keys are rYYYYMM and eYYYYMM")
rc, zone, err = run(["sh", SETUP, "-C", inst.conf, "-4", "127.0.3.9", "dns", DOMAIN])
is_(rc, 0, "posthorn-setup dns: exit 0")


def nodot(n):
    return n[:-1] if n.endswith(".") else n


def txt_lines(zone):
    """The printed TXT records as dnsmasq lines, each string of a record
    one string of the line (as tests/setup-dns.t does; dnsmasq takes
    multi-string TXT only from a config file)."""
    out = []
    for ln in zone.splitlines():
        if not ln or ln.startswith(";"):
            continue
        name, ttl, cls, rtype, data = re.split(r"\s+", ln, 4)
        if rtype == "TXT":
            out.append("txt-record=%s,%s" % (nodot(name), ",".join('"%s"' % s for s in re.findall(r'"([^"]*)"', data))))
    return out


served = txt_lines(zone)
ok(any(l.startswith("txt-record=%s._domainkey.%s," % (RSA, DOMAIN)) for l in served) and
   any(l.startswith("txt-record=%s._domainkey.%s," % (ED, DOMAIN)) for l in served),
   "the printed zone has both DKIM records", zone)

work = tempdir()
resolv = os.path.join(work, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver %s\noptions timeout:2 attempts:1\n" % DNS_IP)
deaf = os.path.join(work, "resolv-deaf.conf")
with open(deaf, "w") as f:
    f.write("nameserver %s\noptions timeout:1 attempts:1\n" % NO_DNS_IP)
# opendkim-testkey resolves with libunbound, which reads no resolv.conf:
# it gets an unbound config that forwards to dnsmasq, and allows the
# "test." zone, which unbound answers itself with NXDOMAIN by default
# (RFC 6761 6.2)
unbound = os.path.join(work, "unbound.conf")
with open(unbound, "w") as f:
    f.write('server:\n\tdo-not-query-localhost: no\n\tlocal-zone: "test." nodefault\n'
            'forward-zone:\n\tname: "."\n\tforward-addr: %s\n' % DNS_IP)
odkconf = os.path.join(work, "opendkim.conf")
with open(odkconf, "w") as f:
    f.write("ResolverConfiguration %s\n" % unbound)


def in_ns(args, input=None, conf=resolv):
    """args in a private mount namespace whose /etc/resolv.conf is conf."""
    return run(["unshare", "--mount", "sh", "-c", 'r=$1; shift; mount --bind "$r" /etc/resolv.conf && exec "$@"',
                "sh", conf] + args, input=input, timeout=60)


def testmsg(msg, conf=resolv):
    rc, out, err = in_ns(["opendkim-testmsg"], input=msg.encode("latin-1"), conf=conf)
    return rc, (out + err).strip()


def sendmail(msg):
    return inst.sendmail(["-i", "-f", "alice@" + DOMAIN, "bob@remote.test"], msg.encode(), owner)


def stored(subject):
    for name in os.listdir(os.path.join(inst.queue, "q")):
        if name.endswith(".msg"):
            with open(os.path.join(inst.queue, "q", name), "rb") as f:
                m = f.read().decode("latin-1")
            if ("\nSubject: %s\n" % subject) in m:
                return m
    return None


def split(m):
    """(DKIM-Signature fields by algorithm, the other fields, body)."""
    head, body = m.split("\n\n", 1)
    fields = re.split(r"\n(?=[^ \t])", head)
    sigs = {}
    for fl in fields:
        if fl.lower().startswith("dkim-signature:"):
            alg = re.search(r"a=([a-z0-9-]+)", fl)
            sigs[alg.group(1) if alg else "?"] = fl
    return sigs, [fl for fl in fields if not fl.lower().startswith("dkim-signature:")], body


dns = DNSServer(DNS_IP, served, local=("test",))
try:
    if not ok(dns.ok, "dnsmasq answers on %s" % DNS_IP, dns.why):
        done()

    # the queue dir is nobody's, as inst.serve() would make it
    os.makedirs(inst.queue, exist_ok=True)
    os.chown(inst.queue, owner.pw_uid, owner.pw_gid)
    body = "Hello Bob,\n\nthis message is signed twice.\n  Spaces  and\ttabs stay.\n"
    msg = ("From: Alice <alice@%s>\nTo: Bob <bob@remote.test>\nSubject: to opendkim\n"
           "Date: Thu, 03 Dec 2026 15:00:00 +0000\nMessage-ID: <odk@%s>\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=us-ascii\n\n%s" % (DOMAIN, DOMAIN, body))
    rc, err = sendmail(msg)
    is_(rc, 0, "posthorn-sendmail queues the message")
    m = stored("to opendkim") or ""
    sigs, rest, mbody = split(m)
    is_(sorted(sigs), ["ed25519-sha256", "rsa-sha256"], "it carries an RSA and an Ed25519 signature")

    rc, out = testmsg(m)
    is_(rc, 0, "opendkim-testmsg accepts the message with both signatures")
    note(out)
    for alg in ("rsa-sha256", "ed25519-sha256"):
        if alg not in sigs:
            continue
        alone = "\n".join([sigs[alg]] + rest) + "\n\n" + mbody
        rc, out = testmsg(alone)
        ok(rc == 0, "opendkim-testmsg accepts the %s signature alone" % alg, out)
        # one byte of the body: "signed" -> "signes"
        bad = alone.replace("signed twice", "signes twice", 1)
        ok(bad != alone, "(the body has the byte to change)")
        rc, out = testmsg(bad)
        ok(rc != 0 and "bad signature" in out.lower(),
           "one byte changed in the body: opendkim-testmsg rejects the %s signature" % alg, "exit %d: %s" % (rc, out))
        # no DNS server: the key cannot be had, so it did ask dnsmasq above
        rc, out = testmsg(alone, conf=deaf)
        ok(rc != 0, "with no DNS server opendkim-testmsg fails the %s signature" % alg, "exit %d: %s" % (rc, out))
    bad = m.replace("signed twice", "signes twice", 1)
    rc, out = testmsg(bad)
    ok(rc != 0, "one byte changed in the body: both signatures together fail", "exit %d: %s" % (rc, out))

    # ---- opendkim-testkey: the printed record against the key file ----
    def testkey(sel, keyfile):
        rc, out, err = in_ns(["opendkim-testkey", "-x", odkconf, "-vvv", "-d", DOMAIN, "-s", sel, "-k", keyfile])
        return rc, (out + err).strip()

    rc, out = testkey(RSA, os.path.join(keydir, RSA + ".key"))
    ok(rc == 0 and "key OK" in out, "opendkim-testkey: the printed RSA record matches %s.key" % RSA, out)
    other = os.path.join(work, "other.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other],
                   check=True, capture_output=True)
    os.chmod(other, 0o600)
    rc, out = testkey(RSA, other)
    ok(rc != 0 and "match" in out, "opendkim-testkey: another private key does not match the record",
       "exit %d: %s" % (rc, out))
    # OpenDKIM 2.11.0~beta2 (Debian 12) reads every key in testkey as RSA
    # (EVP_PKEY_get1_RSA); it verifies Ed25519 signatures (above) but
    # cannot compare an Ed25519 key with its record.  Either it says the
    # key is OK, or it fails for that reason and no other (not "record not
    # found", not "keys do not match").
    rc, out = testkey(ED, os.path.join(keydir, ED + ".key"))
    note("opendkim-testkey on the Ed25519 key (exit %d):\n%s" % (rc, out))
    ok((rc == 0 and "key OK" in out) or (rc != 0 and "rsa key" in out.lower() and "not found" not in out
                                         and "match" not in out),
       "opendkim-testkey on the Ed25519 record: key OK, or only 'expecting an rsa key'", out)
finally:
    dns.stop()
done()
