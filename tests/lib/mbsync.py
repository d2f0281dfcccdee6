"""mbsync (isync) as a test client of posthorn-imapd: a channel between
the server (implicit TLS on a loopback port, our test certificate) and a
local Maildir++ tree in a temp HOME."""
import os
import subprocess

from tap import tempdir

RC = """IMAPAccount test
Host localhost
Port %(port)d
User %(user)s
Pass %(password)s
SSLType IMAPS
CertificateFile %(cert)s
AuthMechs PLAIN

IMAPStore remote
Account test

MaildirStore local
Path %(local)s/
Inbox %(local)s/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""


class Mbsync:
    def __init__(self, port, cert, user="alice@example.org", password="alice-pw"):
        self.home = tempdir()
        self.local = os.path.join(self.home, "local")
        os.makedirs(self.local)
        self.rc = os.path.join(self.home, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write(RC % {"port": port, "user": user, "password": password, "cert": cert, "local": self.local})

    def run(self, *flags):
        """One sync of the channel; (exit code, its output).  flags: e.g.
        -V (verbose) or -Dn (the IMAP commands)."""
        p = subprocess.run(["mbsync"] + list(flags) + ["-c", self.rc, "test"], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, HOME=self.home))
        return p.returncode, p.stdout + p.stderr
