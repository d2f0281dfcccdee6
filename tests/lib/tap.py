"""Minimal TAP producer for posthorn's Python tests, plus helpers to find
the programs under test and to make throw-away instances."""
import os
import subprocess
import sys
import tempfile

_n = 0
_failed = 0

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("POSTHORN_BIN", os.path.join(ROOT, "bin"))
SANITIZER = bool(os.environ.get("POSTHORN_SANITIZER"))

# No test asks the machine's real DNS resolver anything: posthorn-remote
# (started by posthorn-runq for any remote recipient) asks $DNSCACHEIP,
# which on loopback answers at once with "connection refused".  Tests of
# the MX logic run their own DNS server and set DNSCACHEIP themselves.
os.environ["DNSCACHEIP"] = "127.0.0.1"


def ok(cond, name, diag=None):
    global _n, _failed
    _n += 1
    print("%sok %d - %s" % ("" if cond else "not ", _n, name))
    sys.stdout.flush()
    if not cond:
        _failed += 1
        # on stderr, as TAP's diagnostics go: prove shows them even when it
        # is not verbose, so a failure in `make test` names its reason
        lines = [] if diag is None else (str(diag).splitlines() or [""])
        sys.stderr.write("#   Failed test %d - %s\n" % (_n, name))
        for line in lines[:80]:
            sys.stderr.write("#   " + line + "\n")
        if len(lines) > 80:
            sys.stderr.write("#   (%d more lines)\n" % (len(lines) - 80))
        sys.stderr.flush()
    return cond


def is_(got, want, name):
    return ok(got == want, name, "got:  %r\nwant: %r" % (got, want))


def note(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


def done():
    print("1..%d" % _n)
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)


def prog(name):
    """Path of bin/posthorn-NAME in the build under test."""
    return os.path.join(BIN, "posthorn-" + name)


def run(args, input=None, env=None, timeout=60):
    """Runs a program; returns (exit code, stdout, stderr) as text."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(args, input=input, capture_output=True, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def tempdir():
    """A temp dir that other users (the mail owner when tests run as root)
    can traverse; removed when the test exits."""
    import atexit
    import shutil
    d = tempfile.mkdtemp(prefix="posthorn-test-")
    os.chmod(d, 0o755)
    atexit.register(shutil.rmtree, d, True)
    return d


def skip(reason, count=1):
    """count tests skipped (TAP "# skip"), each with reason."""
    global _n
    for _ in range(count):
        _n += 1
        print("ok %d # skip %s" % (_n, reason))
    sys.stdout.flush()
