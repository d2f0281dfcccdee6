#!/usr/bin/env python3
# lib/dnsq against a real DNS server: dnsmasq on a loopback address with a
# test zone, DNSCACHEIP pointing at it, asked through build/tests/dnsq.t
# (--query, --adapter, --dnsbl: see tests/unit/dnsq.c).  TXT records kept
# apart and a record's strings joined; NXDOMAIN apart from NODATA; A, AAAA,
# MX, PTR, a CNAME; 32 questions at once; the cache; the deadline against
# a server that never answers; the adapters of SPF, DKIM, DMARC, DNSBL.
# Needs root (port 53) and dnsmasq.
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, ROOT
from dnsserver import DNSServer

BUILD = os.environ.get("POSTHORN_BUILD", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD, "tests", "dnsq.t")
DNS_IP = "127.53.14.2"      # dnsmasq
SILENT_IP = "127.53.14.3"   # a UDP socket that never answers

if os.geteuid() != 0 or not shutil.which("dnsmasq"):
    print("1..0 # SKIP needs root and dnsmasq")
    sys.exit(0)

dns = DNSServer(DNS_IP, [
    'txt-record=two.test,"v=spf1 -all"',       # two records
    'txt-record=two.test,"second record"',
    'txt-record=multi.test,"v=spf1 ","ip4:192.0.2.0/24 ","-all"',   # one of three strings
    'txt-record=2.0.0.127.bl.test,"listed: see https://bl.test/"',
    "host-record=h.test,192.0.2.1,2001:db8::1",
    "mx-host=mxd.test,mx1.mxd.test,10", "mx-host=mxd.test,mx2.mxd.test,20",
    "ptr-record=1.2.0.192.in-addr.arpa,host.test",
    "cname=alias.test,h.test",
    # a DNSBL zone listing 127.0.0.2
    "host-record=2.0.0.127.bl.test,127.0.0.2",
], local=("test", "in-addr.arpa"))
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind((SILENT_IP, 53))


ok(dns.ok, "dnsmasq answers on %s:53" % DNS_IP, dns.why)


def tool(*args, server=DNS_IP):
    p = subprocess.run([TOOL] + list(args), capture_output=True, timeout=120,
                       env=dict(os.environ, DNSCACHEIP=server))
    return p.stdout.decode("utf-8", "replace"), p.returncode, p.stderr.decode("utf-8", "replace")


def query(*args):
    """{(type, name): (rc, [records])}, and the number of queries sent."""
    out, rc, err = tool("--query", *args)
    res, sent, cur = {}, None, None
    for line in out.splitlines():
        if line.startswith("  "):
            res[cur][1].append(line[2:])
        elif line.startswith("sent "):
            sent = int(line[5:])
        else:
            f = line.split(" ")
            cur = (f[0], f[1])
            res[cur] = (f[2], [])
    if rc != 0:
        note(out + err)
    return res, sent


r, sent = query("TXT", "two.test", "TXT", "multi.test")
is_(r[("TXT", "two.test")][0], "OK", "TXT: OK")
is_(sorted(r[("TXT", "two.test")][1]), ["second record", "v=spf1 -all"], "two TXT records kept apart")
is_(r[("TXT", "multi.test")][1], ["v=spf1 ip4:192.0.2.0/24 -all"], "a record of three strings joined")

r, sent = query("A", "nowhere.test", "TXT", "h.test", "A", "h.test", "AAAA", "h.test",
                "MX", "mxd.test", "PTR", "1.2.0.192.in-addr.arpa", "A", "alias.test", "TXT", "bad..name")
is_(r[("A", "nowhere.test")], ("NXDOMAIN", []), "a name that does not exist: NXDOMAIN")
is_(r[("TXT", "h.test")], ("NODATA", []), "a name without TXT: NODATA")
is_(r[("A", "h.test")], ("OK", ["192.0.2.1"]), "A")
is_(r[("AAAA", "h.test")], ("OK", ["2001:db8::1"]), "AAAA")
is_(r[("MX", "mxd.test")][0], "OK", "MX: OK")
is_(sorted(r[("MX", "mxd.test")][1]), ["10 mx1.mxd.test", "20 mx2.mxd.test"], "MX: preference and name, no final dot")
is_(r[("PTR", "1.2.0.192.in-addr.arpa")], ("OK", ["host.test"]), "PTR")
is_(r[("A", "alias.test")], ("OK", ["192.0.2.1"]), "A through a CNAME")
is_(r[("TXT", "bad..name")], ("NXDOMAIN", []), "a name with an empty label is not asked: NXDOMAIN")
is_(sent, 7, "one query each on the network")

# The cache: the same question again, in other case and with a final dot.
r, sent = query("A", "h.test", "A", "H.Test.", "TXT", "two.test", "TXT", "two.test")
ok(r[("A", "H.Test.")] == ("OK", ["192.0.2.1"]) and len(r[("TXT", "two.test")][1]) == 2, "answers from the cache")
is_(sent, 2, "a repeated question is not sent again")

# 32 at once: each a different name (the 127.0.0.x of a DNSBL zone).
args = []
for i in range(32):
    args += ["A", "%d.0.0.127.bl.test" % i]
r, sent = query("-m", *args)
is_(len(r), 32, "dnsq_many: 32 answers")
ok(all(v[0] in ("NXDOMAIN", "OK") for v in r.values()), "dnsq_many: every one answered",
   [k for k, v in r.items() if v[0] not in ("NXDOMAIN", "OK")])
is_(r[("A", "2.0.0.127.bl.test")], ("OK", ["127.0.0.2"]), "dnsq_many: the listed one has its A")
is_(sent, 32, "dnsq_many: 32 queries sent")

# The deadline: a server that never answers.  dns_resolve would retry for
# about a minute; a 1 s deadline gives TEMP long before that.
t0 = time.monotonic()
out, rc, err = tool("--query", "-t", "1000", "-m", "A", "h.test", "TXT", "two.test", server=SILENT_IP)
took = time.monotonic() - t0
ok("A h.test TEMP" in out and "TXT two.test TEMP" in out, "a server that never answers: TEMP", out + err)
ok(took < 30, "within the deadline, not libowfat's minute of retries", "took %.1f s" % took)
note("deadline 1 s took %.1f s" % took)
t0 = time.monotonic()
out, rc, err = tool("--query", "-t", "1000", "A", "h.test", "A", "x.test", server=SILENT_IP)
ok("A h.test TEMP" in out and "A x.test TEMP" in out and "sent 2" in out,
   "TEMP is not cached: the next question is sent", out + err)

# The adapters.
def adapter(*args):
    out, rc, err = tool("--adapter", *args)
    lines = out.splitlines()
    return (lines[0] if lines else "", [l[2:] for l in lines[1:]]) if rc == 0 else ("exit %d" % rc, err)

SPF_OK, SPF_NODATA, SPF_NX, SPF_TEMP = "rc 0", "rc 1", "rc 2", "rc 3"
rc, recs = adapter("spf", "TXT", "two.test")
ok(rc == SPF_OK and sorted(recs) == ["second record", "v=spf1 -all"], "spf: TXT records apart", (rc, recs))
is_(adapter("spf", "A", "h.test"), (SPF_OK, ["\\xc0\\x00\\x02\\x01"]), "spf: A as 4 bytes")
is_(adapter("spf", "MX", "mxd.test")[1][0] in ("mx1.mxd.test", "mx2.mxd.test"), True, "spf: MX names as text")
is_(adapter("spf", "TXT", "h.test")[0], SPF_NODATA, "spf: NODATA")
is_(adapter("spf", "TXT", "nowhere.test")[0], SPF_NX, "spf: NXDOMAIN")
is_(adapter("dkim", "TXT", "two.test")[0], "rc 0", "dkim: DKIM_DNS_OK")
ok(adapter("dkim", "TXT", "two.test")[1][0] in ("v=spf1 -all\\x00second record\\x00", "second record\\x00v=spf1 -all\\x00"),
   "dkim: records each followed by NUL")
is_(adapter("dkim", "TXT", "nowhere.test"), ("rc 1", [""]), "dkim: NXDOMAIN is DKIM_DNS_NONE")
is_(adapter("dmarc-txt", "TXT", "multi.test"), ("rc 0", ["v=spf1 ip4:192.0.2.0/24 -all\\x00"]), "dmarc: txt")
is_(adapter("dmarc-txt", "TXT", "nowhere.test"), ("rc 0", [""]), "dmarc: txt of NXDOMAIN is empty")
is_(adapter("dmarc-exists", "-", "h.test")[0], "rc 1", "dmarc: exists (A)")
is_(adapter("dmarc-exists", "-", "mxd.test")[0], "rc 1", "dmarc: exists (MX only)")
is_(adapter("dmarc-exists", "-", "two.test")[0], "rc 0", "dmarc: TXT only does not count as existing (RFC 9091)")
is_(adapter("dmarc-exists", "-", "nowhere.test")[0], "rc 0", "dmarc: NXDOMAIN does not exist")
is_(adapter("dnsbl-a", "A", "2.0.0.127.bl.test"), ("rc 0", ["\\x7f\\x00\\x00\\x02"]), "dnsbl: a")
is_(adapter("dnsbl-a", "A", "3.0.0.127.bl.test"), ("rc 0", [""]), "dnsbl: a of NXDOMAIN is empty")
is_(adapter("dnsbl-txt", "TXT", "2.0.0.127.bl.test"), ("rc 0", ["listed: see https://bl.test/"]), "dnsbl: txt")

# The DNSBL helper: every zone at once.
out, rc, err = tool("--dnsbl", "127.0.0.2", "bl.test 5\nclean.test 3\n")
is_(out.splitlines(), ["bl.test 2", "clean.test 1", "score 5 tempfail 0 sent 2"],
    "dnsq_dnsbl_ask: the listing zone LISTED, the other NOTLISTED, both asked at once")
out, rc, err = tool("--dnsbl", "127.0.0.2", "bl.test 5\n", server=SILENT_IP)
is_(out.splitlines(), ["bl.test 3", "score 0 tempfail 1 sent 1"], "dnsq_dnsbl_ask: no answer is TEMPFAIL")

dns.stop()
silent.close()
done()
