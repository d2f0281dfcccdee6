#!/usr/bin/env python3
# TLS session resumption of the implicit-TLS servers (posthorn-smtpd -s -t,
# posthorn-pop3d -T, posthorn-imapd -T) with tls/ticket.key: a session from
# one connection (one process) resumes in the next, with Python's ssl and
# with openssl s_client -sess_out/-sess_in over TLS 1.3 and 1.2; no file: no
# resumption; a ticket of one service does not resume another; rotation
# (new key in front of the old one) keeps old tickets good until the old
# key leaves the file; a file of a wrong size is refused, logged.
import os
import pwd
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done  # noqa: E402
from instance import Instance, make_cert, ROOT  # noqa: E402

inst = Instance()
tls = os.path.join(inst.conf, "tls")
make_cert(tls)
keyfile = os.path.join(tls, "ticket.key")


def write_keys(data):
    with open(keyfile, "wb") as f:
        f.write(data)
    # readable by the servers only, as tls/key.pem should be
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        os.chown(keyfile, nobody.pw_uid, nobody.pw_gid)
    os.chmod(keyfile, 0o600)


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def connect(port, session=None):
    """(greeting line, session, reused); the greeting is read, so the
    TLS 1.3 tickets sent before it are in the session."""
    with socket.create_connection(("127.0.0.1", port), 30) as raw:
        try:
            with ctx.wrap_socket(raw, session=session) as s:
                got = b""
                while b"\n" not in got:
                    b = s.recv(512)
                    if not b:
                        break
                    got += b
                return got.decode(errors="replace"), s.session, s.session_reused
        except (ssl.SSLError, OSError) as e:
            return "error: %s" % e, None, False


def s_client(port, version, sess_arg, path):
    # -ign_eof: s_client sends QUIT and waits for the server's close, so
    # it has read the TLS 1.3 tickets, which come after the handshake
    p = subprocess.run(["openssl", "s_client", "-ign_eof", version, "-connect", "127.0.0.1:%d" % port, sess_arg, path],
                       input=b"QUIT\r\n", capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    for line in out.splitlines():
        if line.startswith("New,") or line.startswith("Reused,"):
            return line.split(",")[0]
    return "none: " + out[-200:]


smtps = inst.serve("smtpd", "-s", "-t")
pop3s = inst.serve("pop3d", "-T")
imaps = inst.serve("imapd", "-T")
servers = (("smtpd -s -t", smtps, "220 "), ("pop3d -T", pop3s, "+OK"), ("imapd -T", imaps, "* OK"))

# ---- no ticket key: every handshake is a full one, as before ----
g, sess, _ = connect(smtps)
ok(g.startswith("220 "), "no ticket.key: greeting over TLS", g)
g, _, reused = connect(smtps, sess)
ok(g.startswith("220 ") and not reused, "no ticket.key: the session is not resumed", g)

# ---- a shared key: each service resumes across processes ----
key1 = os.urandom(48)
write_keys(key1)
sessions = {}
for name, port, greet in servers:
    g, sess, reused = connect(port)
    ok(g.startswith(greet) and not reused, "%s: first connection, full handshake" % name, g)
    g, sess2, reused = connect(port, sess)
    ok(g.startswith(greet) and reused, "%s: the next connection (a new process) resumes its session" % name, g)
    sessions[name] = sess

for version in ("-tls1_3", "-tls1_2"):
    path = os.path.join(inst.dir, "sess" + version)
    is_(s_client(smtps, version, "-sess_out", path), "New", "openssl s_client %s: new session saved" % version)
    is_(s_client(smtps, version, "-sess_in", path), "Reused",
        "openssl s_client %s -sess_in: the session is reused" % version)

g, _, reused = connect(pop3s, sessions["imapd -T"])
ok(g.startswith("+OK") and not reused, "an imapd ticket does not resume a pop3d session", g)

# ---- rotation: a new key in front, the old one behind ----
key2 = os.urandom(48)
write_keys(key2 + key1)
g, new_sess, reused = connect(imaps, sessions["imapd -T"])
ok(g.startswith("* OK") and reused, "rotated: a ticket under the previous key still resumes", g)
write_keys(key2)
g, _, reused = connect(imaps, sessions["imapd -T"])
ok(g.startswith("* OK") and not reused, "the old key gone: its tickets give a full handshake", g)
g, _, reused = connect(imaps, new_sess)
ok(g.startswith("* OK") and reused, "a ticket issued under the new key resumes", g)

# ---- a file of a wrong size is refused, and said why ----
write_keys(os.urandom(47))
g, _, _ = connect(smtps)
ok(not g.startswith("220 "), "ticket.key of 47 bytes: no TLS session", g)
with open(os.path.join(inst.dir, "smtpd.log"), errors="replace") as f:
    log = f.read()
ok("must hold 48 or 96 bytes" in log, "and the log says why", log[-300:])
write_keys(os.urandom(97))
g, _, _ = connect(pop3s)
ok(not g.startswith("+OK"), "ticket.key of 97 bytes: no TLS session", g)

done()
