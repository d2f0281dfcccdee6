#!/usr/bin/env python3
# posthorn-remote's MX logic against a real DNS server: dnsmasq on a
# loopback address with a test zone, DNSCACHEIP pointing at it.  MX order,
# fallback to the next MX when the first refuses connections, no MX -> the
# domain's A record, null MX (RFC 7505) -> permanent failure, no such
# domain -> permanent failure.  Needs root (port 53) and dnsmasq.
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, prog
from instance import Instance
from dnsserver import DNSServer
from fakesmtp import FakeSMTP

DNS_IP = "127.5.5.5"
if os.geteuid() != 0 or not shutil.which("dnsmasq"):
    print("1..0 # SKIP needs root and dnsmasq")
    sys.exit(0)

# One port number for every test host: each is its own loopback address.
first = FakeSMTP(host="127.0.1.4")
PORT = first.port
second = FakeSMTP(host="127.0.1.5", port=PORT)
backup = FakeSMTP(host="127.0.1.2", port=PORT)
plain = FakeSMTP(host="127.0.1.3", port=PORT)

inst = Instance(settings={"remote-port": str(PORT), "timeout-remote": "5", "timeout-connect": "3"})
dns = DNSServer(DNS_IP, [
    # MX order: 10 answers, 20 must not be used
    "mx-host=order.test,mx10.order.test,10", "mx-host=order.test,mx20.order.test,20",
    "host-record=mx10.order.test,127.0.1.4", "host-record=mx20.order.test,127.0.1.5",
    # fallback: the 10 refuses connections, the 20 takes the mail
    "mx-host=fallback.test,dead.fallback.test,10", "mx-host=fallback.test,alive.fallback.test,20",
    "host-record=dead.fallback.test,127.0.1.1", "host-record=alive.fallback.test,127.0.1.2",
    # no MX: the A record
    "host-record=nomx.test,127.0.1.3",
    # null MX: preference 0, the root name
    "dns-rr=nullmx.test,15,00:00:00",
], local=("test",))   # every other name in .test is answered here, never forwarded
ok(dns.ok, "dnsmasq answers on %s:53" % DNS_IP, dns.why)

msgfile = os.path.join(inst.dir, "msg")
with open(msgfile, "wb") as f:
    f.write(b"Subject: dns\n\nhello\n")


def remote(domain, rcpt):
    with open(msgfile, "rb") as m:
        p = subprocess.run([prog("remote"), "-C", inst.conf, domain, "alice@example.test", rcpt], stdin=m,
                           capture_output=True, timeout=60, env=dict(os.environ, DNSCACHEIP=DNS_IP))
    return p.stdout.decode().strip(), p.stderr.decode()


out, err = remote("order.test", "bob@order.test")
ok(out.startswith("ok ") and "mx10.order.test[127.0.1.4]" in out, "MX order: the preference 10 host gets it", out + err)
is_(len(second.sessions), 0, "the preference 20 host is not contacted")

out, err = remote("fallback.test", "bob@fallback.test")
ok(out.startswith("ok ") and "alive.fallback.test[127.0.1.2]" in out, "fallback: the next MX takes it", out + err)
ok("dead.fallback.test[127.0.1.1]" in err and "connect failed" in err, "after the first refused the connection", err)

out, err = remote("nomx.test", "bob@nomx.test")
ok(out.startswith("ok ") and "nomx.test[127.0.1.3]" in out, "no MX: delivered to the domain's A record", out + err)

out, err = remote("nullmx.test", "bob@nullmx.test")
ok(out.startswith("fail 5.1.10"), "null MX: a permanent failure, 5.1.10", out + err)

out, err = remote("nowhere.test", "bob@nowhere.test")
ok(out.startswith("fail 5.1.2"), "a domain with no MX and no address: a permanent failure, 5.1.2", out + err)

dns.stop()
for p in (first, second, backup, plain):
    p.close()
done()
