#!/usr/bin/env python3
# QRESYNC (RFC 7162 3.2) against a real posthorn-imapd: the RFC's examples
# as transcripts (tests/imapd-qresync/*.txt, format in tests/lib/imapmulti.py):
# ENABLE QRESYNC, SELECT (QRESYNC ...) with VANISHED (EARLIER) and FETCH of
# what another session changed, [CLOSED], VANISHED for expunges, UID FETCH
# (CHANGEDSINCE n VANISHED).  Then a small sync client written against RFC
# 7162 (qresync_client below) keeps a copy of a folder in step with
# changes by another session and by another Maildir tool, and the index
# survives kill -9 in the middle of a STORE, deletion and corruption.
import glob
import os
import random
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from tap import ok, note, done
from imapd import Instance, Raw
import imapmulti
import pop3d

inst = Instance()
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
# MULTI_ALL=1: report every step that fails, not only the first of each
# transcript (later steps may then fail because an earlier one did)
runner = imapmulti.Runner(inst, port, keep_going=bool(os.environ.get("MULTI_ALL")))

files = sorted(glob.glob(os.path.join(HERE, "imapd-qresync", "*.txt")))
only = os.environ.get("MULTI_ONLY")      # a part of a title: run only those
for path in files:
    with open(path) as f:
        scripts = imapmulti.parse(f.read(), os.path.relpath(path, os.path.dirname(HERE)))
    for t in scripts:
        if only and only not in t.title:
            continue
        good, why = runner.run(t)
        ok(good, "%s: %s" % (os.path.basename(path)[:-4], t.title), why)


# ---- a sync client written against RFC 7162 ----

def uid_set(text):
    """The UIDs of a uid-set ("1:3,7")."""
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo, hi = int(lo), int(hi or lo)
        out.update(range(min(lo, hi), max(lo, hi) + 1))
    return out


def set_text(uids):
    """A uid-set for sorted uids, ranges merged."""
    runs, uids = [], sorted(uids)
    for u in uids:
        if runs and runs[-1][1] == u - 1:
            runs[-1][1] = u
        else:
            runs.append([u, u])
    return ",".join(str(a) if a == b else "%d:%d" % (a, b) for a, b in runs)


FETCH_RE = re.compile(r"^\* \d+ FETCH \((.*)\)\r?\n?$")


def fetch_items(line):
    m = FETCH_RE.match(line)
    if not m:
        return None
    body = m.group(1)
    uid = re.search(r"\bUID (\d+)", body)
    flags = re.search(r"\bFLAGS \(([^)]*)\)", body)
    modseq = re.search(r"\bMODSEQ \((\d+)\)", body)
    return (int(uid.group(1)) if uid else None, set(flags.group(1).split()) - {"\\Recent"} if flags else None,
            int(modseq.group(1)) if modseq else None)


class SyncClient:
    """A local copy of one folder, {uid: flags}, with the UIDVALIDITY and
    HIGHESTMODSEQ it was last in step with; resync() brings it up to date
    with one SELECT (QRESYNC (validity modseq known-uids)) (RFC 7162 3.2.5):
    the UIDs in VANISHED (EARLIER) go, the FETCHed ones get their flags."""

    def __init__(self, port, user, pw):
        self.port, self.user, self.pw = port, user, pw
        self.validity = self.modseq = None
        self.msgs = {}
        self.fetched = 0          # FETCH lines of the last resync

    def _session(self):
        r = Raw(self.port)
        out = r.cmd("LOGIN %s %s" % (self.user, self.pw), "l")
        if not out[-1].startswith("l OK"):
            raise RuntimeError("login: %r" % out)
        out = r.cmd("ENABLE QRESYNC", "e")
        if "* ENABLED QRESYNC\r\n" not in out:
            raise RuntimeError("enable: %r" % out)
        return r

    def _codes(self, out):
        for l in out:
            m = re.match(r"^\* OK \[UIDVALIDITY (\d+)\]", l)
            if m:
                self.validity = int(m.group(1))
            m = re.match(r"^\* OK \[HIGHESTMODSEQ (\d+)\]", l)
            if m:
                self.modseq = int(m.group(1))

    def full(self):
        r = self._session()
        out = r.cmd("SELECT INBOX", "s")
        self._codes(out)
        self.msgs = {}
        for l in r.cmd("UID FETCH 1:* (FLAGS)", "f"):
            it = fetch_items(l)
            if it:
                self.msgs[it[0]] = it[1]
        r.cmd("LOGOUT", "o")
        r.close()

    def resync(self):
        r = self._session()
        known = set_text(self.msgs) if self.msgs else None
        out = r.cmd("SELECT INBOX (QRESYNC (%d %d%s))" % (self.validity, self.modseq, " " + known if known else ""),
                    "s")
        if not out[-1].startswith("s OK"):
            raise RuntimeError("select: %r" % out)
        old = self.validity
        self._codes(out)
        if self.validity != old:
            raise RuntimeError("UIDVALIDITY changed")
        self.fetched = 0
        for l in out:
            m = re.match(r"^\* VANISHED \(EARLIER\) (\S+)", l)
            if m:
                for u in uid_set(m.group(1)):
                    self.msgs.pop(u, None)
            it = fetch_items(l)
            if it:
                self.fetched += 1
                self.msgs[it[0]] = it[1]
        # new messages: their arrival gave them a modseq above ours, but
        # they are outside known-uids; ask for the UIDs above what we know
        top = max(self.msgs) if self.msgs else 0
        for l in r.cmd("UID FETCH %d:* (FLAGS) (CHANGEDSINCE 1)" % (top + 1), "n"):
            it = fetch_items(l)
            if it and it[0] > top:
                self.msgs[it[0]] = it[1]
        r.cmd("LOGOUT", "o")
        r.close()


def truth(port, user, pw):
    """The folder as a fresh plain IMAP4rev1 session sees it, and its HIGHESTMODSEQ."""
    r = Raw(port)
    r.cmd("LOGIN %s %s" % (user, pw), "l")
    out = r.cmd("EXAMINE INBOX", "s")
    hms = [int(m.group(1)) for m in (re.match(r"^\* OK \[HIGHESTMODSEQ (\d+)\]", l) for l in out) if m]
    msgs, modseqs = {}, {}
    for l in r.cmd("UID FETCH 1:* (FLAGS MODSEQ)", "f"):
        it = fetch_items(l)
        if it:
            msgs[it[0]] = it[1]
            modseqs[it[0]] = it[2]
    r.cmd("LOGOUT", "o")
    r.close()
    return msgs, modseqs, hms[0] if hms else None


def other(port, user, pw, cmds):
    r = Raw(port)
    r.cmd("LOGIN %s %s" % (user, pw), "l")
    r.cmd("SELECT INBOX", "s")
    outs = [r.cmd(c, "c%d" % i) for i, c in enumerate(cmds)]
    r.cmd("LOGOUT", "o")
    r.close()
    return outs


FLAGLETTERS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S", "\\Deleted": "T"}

inst.add_user("sync", "sync-pw")
md = inst.maildir("sync")
for i in range(40):
    inst.deliver("sync", "Subject: s%d\n\nbody %d\n" % (i, i))
client = SyncClient(port, "sync@example.org", "sync-pw")
client.full()
want, _, _ = truth(port, "sync@example.org", "sync-pw")
ok(client.msgs == want and len(want) == 40, "sync client: the first full fetch")
rnd = random.Random(7162)
for rnd_no in range(4):
    uids = sorted(want)
    # another session: flags and expunges
    pick = rnd.sample(uids, 6)
    other(port, "sync@example.org", "sync-pw", [
        "UID STORE %d +FLAGS (\\Seen)" % pick[0], "UID STORE %d +FLAGS (\\Flagged $Work)" % pick[1],
        "UID STORE %d -FLAGS (\\Seen)" % pick[2], "UID STORE %d,%d +FLAGS.SILENT (\\Deleted)" % (pick[3], pick[4]),
        "UID EXPUNGE %d,%d" % (pick[3], pick[4])])
    # another Maildir tool: a rename and a removal behind the server's back
    left = [u for u in uids if u not in pick[3:5]]
    tool = rnd.sample(left, 2)
    path = imapmulti.Runner.message_file(md, tool[0])
    base = os.path.basename(path).split(":2,")[0]
    letters = "".join(sorted(rnd.sample("DFRS", 2)))
    os.rename(path, os.path.join(md, "cur", base + ":2," + letters))
    os.unlink(imapmulti.Runner.message_file(md, tool[1]))
    inst.deliver("sync", "Subject: new %d\n\nbody\n" % rnd_no)
    old_modseq = client.modseq
    client.resync()
    want, _, hms = truth(port, "sync@example.org", "sync-pw")
    ok(client.msgs == want, "sync client, round %d: the copy equals the folder after changes by a session and a "
       "Maildir tool" % rnd_no, "only client: %r\nonly server: %r" % (
           {u: f for u, f in client.msgs.items() if want.get(u) != f}, {u: f for u, f in want.items()
                                                                          if client.msgs.get(u) != f}))
    ok(client.fetched <= 8 and client.modseq > old_modseq and client.modseq == hms,
       "sync client, round %d: only what changed was sent (%d FETCH), HIGHESTMODSEQ went up" % (rnd_no, client.fetched))

# ---- crash: kill -9 in the middle of a STORE on many messages ----


def descendants(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        if int(st.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d))
    out = list(kids)
    for k in kids:
        out += descendants(k)
    return out


inst.add_user("crash", "crash-pw")
cmd_ = inst.maildir("crash")
for i in range(300):
    inst.deliver("crash", "Subject: c%d\n\nbody\n" % i)
before, mod_before, hms_before = truth(port, "crash@example.org", "crash-pw")
server = pop3d._children[-1].pid
r = Raw(port)
r.cmd("LOGIN crash@example.org crash-pw", "l")
r.cmd("SELECT INBOX", "s")
r.send(b"k STORE 1:* +FLAGS (\\Seen $Done)\r\n")
first = r.line()
for p in descendants(server):
    try:
        os.kill(p, signal.SIGKILL)
    except ProcessLookupError:
        pass
r.close()
ok(first.startswith("* "), "crash: the STORE had begun when the session was killed", first)
after, mod_after, hms_after = truth(port, "crash@example.org", "crash-pw")
ok(set(after) == set(before), "crash: the same UIDs after kill -9 during a STORE")
ok(all(mod_after[u] >= mod_before[u] for u in before) and hms_after >= hms_before,
   "crash: no modseq smaller than before")
changed = {u for u in after if after[u] != before[u]}
r = Raw(port)
r.cmd("LOGIN crash@example.org crash-pw", "l")
r.cmd("ENABLE CONDSTORE", "e")
r.cmd("EXAMINE INBOX", "s")
told = {fetch_items(l)[0] for l in r.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % hms_before, "f")
        if fetch_items(l)}
r.cmd("LOGOUT", "o")
r.close()
ok(changed and changed <= told, "crash: every message the killed STORE changed (%d) is reported by "
   "CHANGEDSINCE the old HIGHESTMODSEQ" % len(changed))

# ---- the index deleted, then corrupted: rebuilt, HIGHESTMODSEQ not smaller ----
resync = SyncClient(port, "crash@example.org", "crash-pw")
resync.full()
for what in ("deleted", "corrupted", "a short file"):
    _, _, hms_old = truth(port, "crash@example.org", "crash-pw")
    idx = os.path.join(cmd_, "posthorn-index")
    if what == "deleted":
        os.unlink(idx)
    else:
        with open(idx, "r+b") as f:
            if what == "corrupted":
                f.seek(60)
                f.write(b"\xff" * 16)
            else:
                f.truncate(30)
    other(port, "crash@example.org", "crash-pw", ["UID STORE 5 -FLAGS (\\Seen)", "UID STORE 6,7 +FLAGS (\\Deleted)",
                                                  "UID EXPUNGE 6:7"])
    now, mods, hms_new = truth(port, "crash@example.org", "crash-pw")
    ok(hms_new > hms_old and min(mods.values()) > hms_old,
       "index %s: rebuilt, every modseq above the old HIGHESTMODSEQ" % what)
    resync.resync()
    ok(resync.msgs == now, "index %s: a QRESYNC client from before is right again" % what)
    other(port, "crash@example.org", "crash-pw", ["UID STORE 8:10 +FLAGS (\\Seen)"]) if what == "deleted" else None

ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
