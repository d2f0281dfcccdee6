#!/usr/bin/env python3
# lib/spf against pyspf (Debian python3-spf), the independent implementation
# of RFC 7208: each case -- a client, a sender and a zone -- is evaluated by
# posthorn (build/tests/spf.t --eval) and by pyspf with its DNS answered from
# the same zone (spf.DNSLookup replaced); results must be the same, and so
# must explanations where a case has exp=.  pyspf runs under /usr/bin/python3,
# which sees Debian's python3-spf.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, ROOT

BUILD = os.environ.get("POSTHORN_BUILD", os.path.join(ROOT, "build"))
EVAL = os.path.join(BUILD, "tests", "spf.t")
PY = "/usr/bin/python3"

if not os.path.exists(PY) or subprocess.run([PY, "-c", "import spf"], capture_output=True).returncode:
    print("1..0 # SKIP /usr/bin/python3 with python3-spf is not installed")
    sys.exit(0)

# pyspf's side: cases as JSON on stdin, [result, explanation] of each out.
PYSPF = r'''
import json, sys, spf
cases = json.load(sys.stdin)
zone = []
def lookup(name, qtype, *args, **kw):
    name = name.rstrip(".").lower()
    seen = False
    for t, n, data in zone:
        if n.lower() != name: continue
        seen = True
        if t != qtype: continue
        if data == "TEMP": raise spf.TempError("DNS error for test")
        out = []
        for d in data.split("|"):
            if qtype == "TXT": out.append(((name, qtype), [d.encode()]))
            elif qtype == "MX": out.append(((name, qtype), (10, d)))
            else: out.append(((name, qtype), d))
        return out
    return []
spf.DNSLookup = lookup
res = []
for c in cases:
    zone[:] = [({"T": "TXT", "A": "A", "6": "AAAA", "M": "MX", "P": "PTR"}[r[0]], r[1], r[2]) for r in c["zone"]]
    q = spf.query(i=c["ip"], s=c["sender"], h=c["helo"], receiver="mx.receiver.test")
    r, code, exp = q.check()
    res.append([r, exp])
print(json.dumps(res))
'''

V4, V4B, V6 = "192.0.2.3", "203.0.113.9", "2001:db8::cb01"
S = "strong-bad@example.com"


def case(name, record, ip=V4, rows=(), sender=S, exp=False, rfc=None):
    zone = [("T", "example.com", record)] if record is not None else []
    zone += [tuple(r.split(" ", 2)) for r in rows]
    return {"name": name, "ip": ip, "sender": sender, "helo": "mx.example.org", "zone": zone, "exp": exp, "rfc": rfc}


common = ["A example.com 192.0.2.3|192.0.2.4", "6 example.com 2001:db8::cb01",
          "M example.com mx1.example.com|mx2.example.com", "A mx1.example.com 192.0.2.30",
          "A mx2.example.com 203.0.113.9", "6 mx2.example.com 2001:db8::99",
          "T pass.test v=spf1 +all", "T fail.test v=spf1 -all", "T perm.test v=spf1 nonsense",
          "T tempspf.test TEMP", "A yes.test 127.0.0.2", "A tempa.test TEMP",
          "P 3.2.0.192.in-addr.arpa mail.example.com|other.test", "A mail.example.com 192.0.2.3",
          "A other.test 192.0.2.99", "T why.example.com %{i} may not send for %{d} (%{S}, %{l1r-}, %{c}, %{r})"]
CASES = [
    case("no record", None, rows=common),
    case("two records", None, rows=["T example.com v=spf1 +all|v=spf1 -all"]),
    case("v=spf10 is none", None, rows=["T example.com v=spf10 +all"]),
    case("empty record", "v=spf1"),
    case("-all", "v=spf1 -all"),
    case("~all", "v=spf1 ~all"),
    case("?all", "v=spf1 ?all"),
    case("ip4/24 pass", "v=spf1 ip4:192.0.2.0/24 -all"),
    case("ip4/32 fail", "v=spf1 ip4:192.0.2.4 -all"),
    case("ip4/33 permerror", "v=spf1 ip4:192.0.2.4/33 -all"),
    case("ip6/32", "v=spf1 ip6:2001:db8::/32 -all", ip=V6),
    case("ip6 other net", "v=spf1 ip6:2001:db9::/32 -all", ip=V6),
    case("ip4 vs IPv6 client", "v=spf1 ip4:0.0.0.0/0 -all", ip=V6),
    case("ip6 vs IPv4 client", "v=spf1 ip6:::/0 ~all"),
    case("a", "v=spf1 a -all", rows=common),
    case("a IPv6", "v=spf1 a -all", ip=V6, rows=common),
    case("a/24", "v=spf1 a/24 -all", ip="192.0.2.200", rows=common),
    case("a//64", "v=spf1 a//64 -all", ip="2001:db8::1:2", rows=common),
    case("a/24//64 no", "v=spf1 a/24//64 -all", ip="2001:db8:1::1", rows=common),
    case("a:other", "v=spf1 a:other.test -all", ip="192.0.2.99", rows=common),
    case("a temperror", "v=spf1 a:tempa.test -all", rows=common),
    case("mx", "v=spf1 mx -all", ip=V4B, rows=common),
    case("mx IPv6", "v=spf1 mx -all", ip="2001:db8::99", rows=common),
    case("mx no", "v=spf1 mx ~all", rows=common),
    case("mx 11 names", "v=spf1 mx -all", rows=["M example.com " + "|".join("m%d.test" % i for i in range(11))]),
    case("ptr", "v=spf1 ptr -all", rows=common),
    case("ptr:other not validated", "v=spf1 ptr:other.test -all", rows=common),
    case("ptr no PTR", "v=spf1 ptr -all", ip=V4B, rows=common),
    case("exists", "v=spf1 exists:yes.test -all", rows=common),
    case("exists IPv6 asks A", "v=spf1 exists:yes.test -all", ip=V6, rows=common),
    case("exists macro 7.4", "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all",
         rows=["A 3.2.0.192.in-addr._spf.example.com 127.0.0.2"]),
    case("exists macro IPv6", "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", ip=V6,
         rows=["A 1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com 127.0.0.2"]),
    case("exists %{lr-}", "v=spf1 exists:%{lr-}.lp._spf.%{d2} -all", rows=["A bad.strong.lp._spf.example.com 127.0.0.2"]),
    case("exists %{l1r-} %{ir}", "v=spf1 exists:%{ir}.%{v}.%{l1r-}.lp._spf.%{d2} -all",
         rows=["A 3.2.0.192.in-addr.strong.lp._spf.example.com 127.0.0.2"]),
    case("exists %{d2}", "v=spf1 exists:%{d2}.trusted-domains.example.net -all",
         rows=["A example.com.trusted-domains.example.net 127.0.0.2"]),
    case("exists %{h} %{o}", "v=spf1 exists:%{h}.%{o}.x.test -all", rows=["A mx.example.org.example.com.x.test 127.0.0.2"]),
    case("bad macro", "v=spf1 exists:%{x}.test -all"),
    # RFC 7208 7.1: "If a DIGIT is specified, the value MUST be nonzero";
    # pyspf accepts %{d0}.  Here we follow the RFC, not pyspf.
    case("%{d0} is a permerror", "v=spf1 exists:%{d0}.test -all", rfc="permerror"),
    case("%{c} outside exp", "v=spf1 exists:%{c}.test -all"),
    case("include pass", "v=spf1 include:pass.test -all", rows=common),
    case("include fail", "v=spf1 include:fail.test ?all", rows=common),
    case("include none", "v=spf1 include:nothing.test +all", rows=common),
    case("include permerror", "v=spf1 include:perm.test +all", rows=common),
    case("include temperror", "v=spf1 include:tempspf.test +all", rows=common),
    case("redirect", "v=spf1 redirect=fail.test", rows=common),
    case("redirect to none", "v=spf1 redirect=nothing.test", rows=common),
    case("redirect after a match", "v=spf1 ip4:192.0.2.3 redirect=fail.test", rows=common),
    case("unknown modifier", "v=spf1 foo=bar ~all"),
    case("unknown mechanism", "v=spf1 foo ~all"),
    case("error after match", "v=spf1 +all foo:"),
    case("two redirects", "v=spf1 redirect=pass.test redirect=fail.test", rows=common),
    case("10 lookups", "v=spf1 " + " ".join("a:h%d.test" % i for i in range(10)) + " -all",
         rows=["A h%d.test 198.51.100.1" % i for i in range(12)]),
    case("11 lookups", "v=spf1 " + " ".join("a:h%d.test" % i for i in range(11)) + " -all",
         rows=["A h%d.test 198.51.100.1" % i for i in range(12)]),
    case("include loop", "v=spf1 include:example.com -all"),
    case("2 void lookups", "v=spf1 a:n1.test a:n2.test -all"),
    case("3 void lookups", "v=spf1 a:n1.test a:n2.test a:n3.test -all"),
    case("void NODATA", "v=spf1 a:n1.test mx:yes.test exists:n3.test -all", rows=common),
    case("exp", "v=spf1 -all exp=why.%{d}", ip=V4B, rows=common, exp=True),
    case("exp IPv6", "v=spf1 -all exp=why.%{d}", ip=V6, rows=common, exp=True),
    case("exp via redirect", "v=spf1 redirect=r.test", ip=V4B,
         rows=common + ["T r.test v=spf1 -all exp=why.example.com"], exp=True),
    case("no local part", "v=spf1 exists:%{l}.%{o}.x.test -all", sender="example.com",
         rows=["A postmaster.example.com.x.test 127.0.0.2"]),
    case("URL escaping", "v=spf1 exists:%{L}.x.test -all", sender="a+b@example.com",
         rows=["A a%2Bb.x.test 127.0.0.2"]),
]

cases_json = json.dumps(CASES)
r = subprocess.run([PY, "-c", PYSPF], input=cases_json, capture_output=True, text=True, timeout=120)
if not ok(r.returncode == 0, "pyspf ran the corpus", r.stderr):
    done()
theirs = json.loads(r.stdout)

for c, (want, wantexp) in zip(CASES, theirs):
    ip = "::ffff:" + c["ip"] if ":" not in c["ip"] else c["ip"]
    lines = ["%s %s %s %s" % (ip, c["sender"] or "-", c["helo"], c["sender"].rpartition("@")[2])]
    lines += ["%s %s %s" % row for row in c["zone"]]
    p = subprocess.run([EVAL, "--eval"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=30)
    got, _, gotexp = p.stdout.rstrip("\n").partition(" ")
    if c["rfc"]:
        note("%s: pyspf says %s, RFC 7208 %s" % (c["name"], want, c["rfc"]))
        want = c["rfc"]
    is_(got, want, "%s: %s" % (c["name"], want))
    if c["exp"]:
        # pyspf writes the nibbles of an IPv6 %{i} in capitals, RFC 7208 7.4
        # in small letters (as we do); both name the same DNS name.
        is_(gotexp.lower(), wantexp.lower(), "%s: explanation" % c["name"])

done()
