"""dnsmasq on a loopback address, port 53, for the tests of everything
that asks DNS (posthorn-smtpd's sender checks, lib/dnsq, posthorn-remote,
posthorn-dnscheck, DKIM).  Records go into a config file, since dnsmasq
reads TXT records of several strings only from a file.  Root is needed for
port 53; the callers skip without it.  The server is stopped when the test
exits, whatever happens."""
import atexit
import os
import socket
import subprocess
import time

from tap import tempdir


def answers(ip):
    """Does a DNS server answer on ip:53 (any answer, NXDOMAIN too)?"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ready\x04test\x00\x00\x01\x00\x01"
    try:
        s.sendto(q, (ip, 53))
        return len(s.recv(512)) > 12
    except OSError:
        return False
    finally:
        s.close()


class DNSServer:
    """dnsmasq serving the config lines (e.g. 'txt-record=a.test,"v=spf1 -all"')
    on ip; names under local are answered here only (NXDOMAIN or no data),
    never forwarded.  self.ok says whether it answers; self.why what it said
    when it did not start."""

    def __init__(self, ip, lines, local=("test", "127.in-addr.arpa")):
        self.ip = ip
        self.conf = os.path.join(tempdir(), "dnsmasq.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.p = subprocess.Popen(["dnsmasq", "-k", "--port=53", "--listen-address=" + ip, "--bind-interfaces",
                                   "--no-resolv", "--no-hosts", "--conf-file=" + self.conf, "--log-facility=-",
                                   "--pid-file="] + ["--local=/%s/" % z for z in local],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        atexit.register(self.stop)
        for _ in range(100):
            if answers(ip) or self.p.poll() is not None:
                break
            time.sleep(0.1)
        self.ok = answers(ip)
        self.why = "" if self.ok else (self.p.stderr.read().decode() if self.p.poll() is not None else "no answer")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
