"""A config dir with users and their Maildirs, for tests that run
posthorn-local, posthorn-learn or posthorn-user directly (no servers):
users.cdb made by posthorn-user import, the mail owner nobody when the
test runs as root (as posthorn-local then drops to it), else the caller."""
import os
import pwd
import subprocess

from tap import is_, note, prog, tempdir

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if ROOT else None


class MailUsers:
    def __init__(self, users, domain="example.org", extra=()):
        """users: local parts of domain; extra: more users.txt lines
        (aliases).  Reports the import as one test."""
        self.domain = domain
        self.d = tempdir()
        self.conf = os.path.join(self.d, "conf")
        self.mail = os.path.join(self.d, "mail")
        os.makedirs(self.conf)
        if ROOT:
            os.chmod(self.d, 0o755)
            self.set("mailowner", "nobody")
        with open(os.path.join(self.d, "users.txt"), "w") as f:
            f.write("domain %s\n" % domain)
            for u in users:
                f.write("user %s@%s maildir=%s/%s\n" % (u, domain, self.mail, u))
            for line in extra:
                f.write(line + "\n")
        p = subprocess.run([prog("user"), "-C", self.conf, "import", os.path.join(self.d, "users.txt")],
                           capture_output=True, text=True)
        if not is_(p.returncode, 0, "posthorn-user import builds users.cdb and the Maildirs"):
            note(p.stdout + p.stderr)

    def set(self, name, value):
        """A setting: the file conf/NAME."""
        with open(os.path.join(self.conf, name), "w") as f:
            f.write(value + "\n")

    def md(self, user, folder=""):
        return os.path.join(self.mail, user, folder)

    def own(self, path):
        """path (and, for a directory, all below it) to the mail owner."""
        if not ROOT:
            return
        os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
        for dirpath, dirs, files in os.walk(path):
            for n in dirs + files:
                os.chown(os.path.join(dirpath, n), NOBODY.pw_uid, NOBODY.pw_gid)

    def as_owner(self):
        """A preexec_fn: become the mail owner (when root)."""
        if ROOT:
            os.setgid(NOBODY.pw_gid)
            os.setuid(NOBODY.pw_uid)
