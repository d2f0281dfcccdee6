"""A private Dovecot over a copy of a posthorn Maildir, as an oracle for
the imapd tests (SORT, THREAD): its own config under the test's temp dir,
plain IMAP on a free loopback port, any password, mail_location
maildir:...; killed by pid when the test ends (Oracle.stop, and atexit).
Oracle.start returns None when Dovecot is missing or does not start, so a
test can skip those checks cleanly.

The copy's files are renamed in the order of posthorn's message numbers
(Dovecot numbers new files by name), keeping their mtimes (INTERNALDATE),
so that both servers number the messages alike."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import time

from pop3d import free_port

_procs = []


def _stop_all():
    for p in _procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


atexit.register(_stop_all)


class Oracle:
    def __init__(self, tmpdir):
        self.dir = os.path.join(tmpdir, "dovecot")
        self.port = None
        self.proc = None

    def start(self, files_in_order):
        """files_in_order: paths of the message files, in posthorn's
        sequence order.  The port, or None."""
        if not shutil.which("dovecot"):
            return None
        md = os.path.join(self.dir, "mail", "alice")
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, d), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        for k, f in enumerate(files_in_order):
            shutil.copy2(f, os.path.join(md, "cur", "%08d.oracle.host:2," % (k + 1)))
        subprocess.run(["chown", "-R", "nobody:nogroup", os.path.join(self.dir, "mail")], check=False)
        self.port = free_port()
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf, "w") as f:
            f.write("""base_dir = %(d)s/run
state_dir = %(d)s/state
log_path = %(d)s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:%(d)s/mail/%%u
passdb {
  driver = static
  args = password=oracle
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%(d)s/mail/%%u
}
service imap-login {
  inet_listener imap {
    port = %(port)d
  }
  inet_listener imaps {
    port = 0
  }
}
""" % {"d": self.dir, "port": self.port})
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "err"), "ab"))
        _procs.append(self.proc)
        for _ in range(200):
            if self.proc.poll() is not None:
                return None
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self.port
            except OSError:
                time.sleep(0.05)
        self.stop()
        return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
