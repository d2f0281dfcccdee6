"""Scripted transcripts of several IMAP sessions on one mailbox, run against a
real posthorn-imapd (tests/imapd-multi.t; the transcripts are in
tests/imapd-multi/*.txt and double as documentation of what a client sees).

A transcript file holds transcripts, each one TAP test:

    === title of the transcript
    # a comment
    ! deliver m1 m2          posthorn-local delivers one message per word
                             ("Subject: WORD", body "body of WORD")
    ! claim [FOLDER]         a throw-away session SELECTs FOLDER (INBOX) and
                             logs out, so its messages are no longer \\Recent
    ! flags UID LETTERS      another Maildir tool renames the file of message
                             UID in cur/ to ":2,LETTERS" ("-" for none)
    ! unlink UID             another Maildir tool deletes the file of UID
    A> SELECT INBOX          session A sends "A<n> SELECT INBOX" (A, B, C...
                             connect and log in on first use); <<text>> in a
                             command goes as a literal (LITERAL+), \\n in it
                             is CRLF; {name} in a command is the text bound
                             to name by an earlier reply (below); "A> DONE" ends A's IDLE (no tag; the
                             reply is IDLE's tagged one); after "A> LOGOUT"
                             the next "A>" is a new session
    A< * 3 EXISTS            a line A must receive in this step, in order
    A<~ * FLAGS (...)        consecutive <~ lines: received in any order
    A<? * 2 FETCH (FLAGS ()) a line that may come or not
    A<or                     what follows (for A) is another acceptable reply
    A< OK [READ-WRITE] ...   the tagged reply: written without the tag

Every step is one "X>" command or one "!" action, followed by the lines the
sessions must receive because of it: the acting session's whole reply, up to
and including its tagged line (or the "+" of IDLE); for a session that is in
IDLE, the untagged lines it must be sent (waited for, at most IDLE_WAIT
seconds); every other session must receive nothing at all.

In an expected line, "..." at the end matches any text (the human-readable
part of a response), {*} matches any text, {name} matches a token and binds
it for the rest of the transcript (the same name must match the same text
later), {name>other} matches a number larger than the one bound to other.
Flag lists (FLAGS, PERMANENTFLAGS, LIST attributes) compare as sets, the
simple items of a FETCH response (UID, FLAGS, sizes) in any order, and a
quoted mailbox name in LIST, LSUB and STATUS equals the bare atom: the RFC
fixes neither.  A literal in a reply shows as {N}<<text>> with \\n for CRLF.

Checked on every line, in every step, besides the transcript: a FETCH never
shows a keyword missing from the session's last "* FLAGS" (RFC 3501 7.2.6),
and FETCH, STORE and SEARCH never carry an EXPUNGE (RFC 3501 7.4.1).
"""
import difflib
import os
import re
import select
import socket
import time

from tap import SANITIZER

CMD_WAIT = 30            # seconds for a tagged reply
IDLE_WAIT = 5            # seconds for the lines an IDLE session must get
GRACE = 0.25 if SANITIZER else 0.1   # how long an IDLE session is watched for extra lines
LINE_MAX = 1 << 20


class Error(Exception):
    pass


# ---- transcripts ----

class Step:
    def __init__(self, lineno, who, text):
        self.lineno = lineno
        self.who = who            # session name, or "!" for an outside action
        self.text = text
        self.expect = {}          # session -> [alternative: [item]]; item (kind, pattern)

    def show(self):
        return "%s %s" % (self.who + ">" if self.who != "!" else "!", self.text)


class Transcript:
    def __init__(self, title, where):
        self.title = title
        self.where = where
        self.steps = []


_EXPECT = re.compile(r"^([A-Z])<(~|\?|or)?(?: (.*))?$")
_COMMAND = re.compile(r"^([A-Z])> (.+)$")


def parse(text, name="transcript"):
    out = []
    t = None
    last = None       # (session, kind) of the last expectation line, for groups
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            last = None
            continue
        if line.startswith("=== "):
            t = Transcript(line[4:].strip(), "%s:%d" % (name, n))
            out.append(t)
            last = None
            continue
        if t is None:
            raise Error("%s:%d: text before the first === title" % (name, n))
        m = _COMMAND.match(line)
        if m or line.startswith("! "):
            t.steps.append(Step(n, m.group(1), m.group(2)) if m else Step(n, "!", line[2:].strip()))
            last = None
            continue
        m = _EXPECT.match(line)
        if not m or not t.steps:
            raise Error("%s:%d: not a step or an expected line: %r" % (name, n, line))
        who, mark, pat = m.group(1), m.group(2), m.group(3) or ""
        alts = t.steps[-1].expect.setdefault(who, [[]])
        if mark == "or":
            alts.append([])
            last = None
            continue
        items = alts[-1]
        if mark == "~":
            if last == (who, "~") and items and items[-1][0] == "group":
                items[-1][1].append(pat)
            else:
                items.append(("group", [pat]))
        else:
            items.append(("opt" if mark == "?" else "line", pat))
        last = (who, mark)
    for t in out:
        for s in t.steps:
            if s.who != "!" and s.text.split()[0].upper() != "IDLE":
                for alt in s.expect.get(s.who, [[]]):
                    if not alt or alt[-1][0] != "line" or _untagged(alt[-1][1]):
                        raise Error("%s:%d: the reply of %s must end with its tagged line" %
                                    (name, s.lineno, s.show()))
    return out


def _untagged(pat):
    return pat.startswith("* ") or pat.startswith("+ ") or pat == "+"


# ---- matching ----

_FLAGLIST = re.compile(r"((?:FLAGS|PERMANENTFLAGS) \()([^()]*)(\))")
_LISTLINE = re.compile(r'^(\* (?:LIST|LSUB) \()([^()]*)(\) (?:"[^"]*"|NIL) )"([A-Za-z0-9._&,+-]+)"$')
_STATUSLINE = re.compile(r'^(\* STATUS )"([A-Za-z0-9._&,+-]+)"( \(.*)$')


def _sorted(m):
    return m.group(1) + " ".join(sorted(m.group(2).split())) + m.group(3)


# one FETCH data item whose value is simple: a number, a quoted string, a
# list without inner lists, or a placeholder
_FETCHITEM = re.compile(r'\s*([A-Z0-9.]+) (\d+|"[^"]*"|\([^()]*\)|\{[^}]*\})')


def _fetch_items(line):
    """A FETCH response with simple items, its items in name order (RFC
    3501 7.4.2 fixes no order); anything else unchanged."""
    m = re.match(r"^(\* \d+ FETCH \()(.*)\)$", line)
    if not m:
        return line
    body, pos, items = m.group(2), 0, []
    while pos < len(body):
        i = _FETCHITEM.match(body, pos)
        if not i:
            return line
        items.append((i.group(1), i.group(2)))
        pos = i.end()
    return m.group(1) + " ".join("%s %s" % kv for kv in sorted(items)) + ")"


def normalize(line):
    """The form in which got and wanted lines are compared (see above)."""
    line = _fetch_items(_FLAGLIST.sub(_sorted, line))
    m = _LISTLINE.match(line)
    if m:
        line = m.group(1) + " ".join(sorted(m.group(2).split())) + m.group(3) + m.group(4)
    m = _STATUSLINE.match(line)
    if m:
        line = m.group(1) + m.group(2) + m.group(3)
    return line


_PLACE = re.compile(r"\{(\*|[A-Za-z_][A-Za-z0-9_]*(?:>[A-Za-z_][A-Za-z0-9_]*)?)\}")


def match_line(pat, line, env):
    """env (bindings) extended by matching line against pat, or None."""
    pat = normalize(pat)
    line = normalize(line)
    anytail = pat.endswith(" ...") or pat == "..."
    if anytail:
        pat = pat[:-3]
    rx, pos, groups = "", 0, []
    for m in _PLACE.finditer(pat):
        rx += re.escape(pat[pos:m.start()])
        pos = m.end()
        p = m.group(1)
        if p == "*":
            rx += ".*?"
            continue
        name, _, than = p.partition(">")
        if name in env and not than:
            rx += re.escape(env[name])
        else:
            rx += "(%s)" % (r"\d+" if than else r"[^\s()\[\]]+")
            groups.append((name, than))
    rx += re.escape(pat[pos:]) + (".*" if anytail else "")
    m = re.fullmatch(rx, line, re.S)
    if not m:
        return None
    env = dict(env)
    for k, (name, than) in enumerate(groups):
        v = m.group(k + 1)
        if than:
            if than not in env or int(v) <= int(env[than]):
                return None
        if name in env and env[name] != v:
            return None
        env[name] = v
    return env


def match_seq(items, lines, env):
    """Backtracking match of expected items against all of lines: the new
    bindings, or None."""
    if not items:
        return env if not lines else None
    kind, pat = items[0]
    if kind == "opt":
        if lines:
            e = match_line(pat, lines[0], env)
            if e is not None:
                r = match_seq(items[1:], lines[1:], e)
                if r is not None:
                    return r
        return match_seq(items[1:], lines, env)
    if kind == "line":
        if not lines:
            return None
        e = match_line(pat, lines[0], env)
        return None if e is None else match_seq(items[1:], lines[1:], e)
    # an unordered group: the next len(pat) lines, in any order
    n = len(pat)
    if len(lines) < n:
        return None

    def perm(pats, rest, env):
        if not pats:
            return match_seq(items[1:], lines[n:], env)
        for i, p in enumerate(pats):
            e = match_line(p, rest[0], env)
            if e is not None:
                r = perm(pats[:i] + pats[i + 1:], rest[1:], e)
                if r is not None:
                    return r
        return None
    return perm(list(pat), lines[:n], env)


def required(items):
    return sum(len(p) if k == "group" else (k == "line") for k, p in items)


def flat(items):
    out = []
    for k, p in items:
        if k == "group":
            out += [("~", q) for q in p]
        else:
            out.append(("?" if k == "opt" else " ", p))
    return out


def diff(items, got, env, tag):
    """Wanted against got, diff-like: "  " both, "- " wanted only,
    "+ " got only."""
    want = flat(items)
    used = set()
    keys = []
    for j, l in enumerate(got):
        key = ("got", j)
        for i, (_, p) in enumerate(want):
            if i not in used and match_line(_with_tag(p, tag), l, env) is not None:
                key = i
                used.add(i)
                break
        keys.append(key)
    out = []
    sm = difflib.SequenceMatcher(a=list(range(len(want))), b=keys, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            out += ["     %s" % got[j] for j in range(j1, j2)]
            continue
        out += ["  -%s %s" % (want[i][0].strip() or " ", _with_tag(want[i][1], tag)) for i in range(i1, i2)]
        out += ["  +  %s" % got[j] for j in range(j1, j2)]
    return out


def _with_tag(pat, tag):
    return pat if _untagged(pat) or not tag else tag + " " + pat


# ---- sessions ----

def render(data):
    """A reply line as text: literals as {N}<<text>>, CRLF in them as \\n."""
    out, pos = "", 0
    while True:
        m = re.compile(rb"\{(\d+)\}\r\n").search(data, pos)
        if not m:
            return out + data[pos:].decode("latin-1").rstrip("\r\n")
        n = int(m.group(1))
        lit = data[m.end():m.end() + n]
        out += data[pos:m.end() - 2].decode("latin-1") + "<<" + _escape(lit) + ">>"
        pos = m.end() + n


def _escape(b):
    s = b.decode("latin-1").replace("\\", "\\\\").replace("\r\n", "\\n")
    return s.replace("\r", "\\x0d").replace("\n", "\\x0a")


def literal_args(text):
    """A command with <<text>> as LITERAL+ literals, as bytes."""
    out, pos = b"", 0
    for m in re.finditer(r"<<(.*?)>>", text, re.S):
        out += text[pos:m.start()].encode()
        body = m.group(1).replace("\\n", "\r\n").replace("\\\\", "\\").encode()
        out += b"{%d+}\r\n" % len(body) + body
        pos = m.end()
    return out + text[pos:].encode()


class Session:
    def __init__(self, name, port, user, password):
        self.name = name
        self.s = socket.create_connection(("127.0.0.1", port), CMD_WAIT)
        self.buf = b""
        self.n = 0
        self.idle_tag = None
        self.flags = None                # the last "* FLAGS" list told
        deadline = time.monotonic() + CMD_WAIT
        greet = self.line(deadline)
        if not greet or not greet.startswith("* OK"):
            raise Error("%s: no greeting: %r" % (name, greet))
        self.s.sendall(("L LOGIN %s %s\r\n" % (user, password)).encode())
        while True:
            l = self.line(deadline)
            if l is None or l.startswith("L "):
                break
        if not l or not l.startswith("L OK"):
            raise Error("%s: LOGIN failed: %r" % (name, l))

    def tag(self):
        self.n += 1
        return "%s%d" % (self.name, self.n)

    def _fill(self, timeout):
        r, _, _ = select.select([self.s], [], [], max(0, timeout))
        if not r:
            return False
        d = self.s.recv(65536)
        if not d:
            raise Error("%s: the server closed the connection" % self.name)
        self.buf += d
        if len(self.buf) > LINE_MAX:
            raise Error("%s: a reply line over %d bytes" % (self.name, LINE_MAX))
        return True

    def _complete(self):
        """Length of the first whole response line (literals included) in buf, or 0."""
        pos = 0
        while True:
            e = self.buf.find(b"\r\n", pos)
            if e < 0:
                return 0
            m = re.search(rb"\{(\d+)\}$", self.buf[pos:e])
            if not m:
                return e + 2
            pos = e + 2 + int(m.group(1))
            if pos > len(self.buf):
                return 0

    def line(self, deadline):
        """The next response line as text, or None when deadline passed."""
        while True:
            n = self._complete()
            if n:
                data, self.buf = self.buf[:n], self.buf[n:]
                return render(data)
            if not self._fill(deadline - time.monotonic()):
                return None

    def sweep(self, wait):
        """Whatever arrives within wait seconds (0: what is there now)."""
        out = []
        deadline = time.monotonic() + wait
        while True:
            l = self.line(deadline)
            if l is None:
                break
            out.append(l)
        if self.buf:
            out.append("(a partial line) " + render(self.buf))
        return out

    def close(self):
        self.s.close()


# ---- running ----

class Runner:
    """Runs transcripts against inst (tests/lib/imapd.py Instance), whose
    posthorn-imapd listens on port with cleartext logins allowed.  Each
    transcript gets a new user, so a new Maildir."""

    def __init__(self, inst, port, keep_going=False):
        self.keep_going = keep_going      # go on after a step that failed (later steps may fail in turn)
        self.inst = inst
        self.port = port
        self.users = 0

    def run(self, t):
        """(True, None) or (False, diagnostic text)."""
        self.users += 1
        self.user = "multi%d" % self.users
        self.pw = "pw-%d" % self.users
        self.inst.add_user(self.user, self.pw)
        self.sessions = {}
        self.env = {}
        diag = []
        try:
            for k, step in enumerate(t.steps, 1):
                err = self.step(step)
                if err:
                    diag.append("step %d (%s:%d): %s" % (k, t.where.split(":")[0], step.lineno, step.show()))
                    diag += err
                    if not self.keep_going:
                        return False, "\n".join(diag)
            # nothing left over anywhere
            for name, s in sorted(self.sessions.items()):
                extra = s.sweep(GRACE if s.idle_tag else 0)
                if extra:
                    diag.append("after the last step, %s got more:" % name)
                    diag += ["  +  " + l for l in extra]
        except (Error, OSError) as e:
            diag.append("%s: %s" % (type(e).__name__, e))
        finally:
            for s in self.sessions.values():
                s.close()
        return not diag, "\n".join(diag) or None

    def session(self, name):
        if name not in self.sessions:
            self.sessions[name] = Session(name, self.port, self.user + "@example.org", self.pw)
        return self.sessions[name]

    def step(self, step):
        got, tags, checks = {}, {}, []
        actor = None
        if step.who == "!":
            self.outside(step.text)
        else:
            actor = self.session(step.who)
            verb = step.text.split()[0].upper()
            if verb == "UID" and len(step.text.split()) > 1:
                verb = "UID " + step.text.split()[1].upper()
            if verb == "DONE":
                if not actor.idle_tag:
                    raise Error("%s is not in IDLE" % step.who)
                tag = actor.idle_tag
                actor.s.sendall(b"DONE\r\n")
            else:
                if actor.idle_tag:
                    raise Error("%s is in IDLE" % step.who)
                tag = actor.tag()
                text = re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}",
                              lambda m: self.env.get(m.group(1), m.group(0)), step.text)
                actor.s.sendall(tag.encode() + b" " + literal_args(text) + b"\r\n")
            tags[step.who] = tag
            lines = []
            deadline = time.monotonic() + CMD_WAIT
            while True:
                l = actor.line(deadline)
                if l is None:
                    lines.append("(no tagged reply within %d s)" % CMD_WAIT)
                    break
                lines.append(l)
                if l.startswith(tag + " "):
                    actor.idle_tag = None
                    break
                if verb == "IDLE" and l.startswith("+"):
                    actor.idle_tag = tag
                    break
            if verb == "LOGOUT":
                # the server closes the connection: this session is over
                actor.close()
                del self.sessions[step.who]
            elif actor.idle_tag and verb == "IDLE":
                # IDLE began: what it sends next is what an IDLE session gets
                lines += self.idle_lines(actor, step.expect.get(step.who), lines)
            else:
                lines += actor.sweep(0)
            got[step.who] = lines
            checks += self.invariants(step.who, actor, verb, lines)
        for name, s in sorted(self.sessions.items()):
            if name == step.who:
                continue
            if s.idle_tag:
                got[name] = self.idle_lines(s, step.expect.get(name), [])
            else:
                if name in step.expect:
                    raise Error("line %d: %s is not in IDLE, so it can get nothing here" % (step.lineno, name))
                got[name] = s.sweep(0)
            checks += self.invariants(name, s, None, got[name])
        return self.judge(step, got, tags, checks)

    def idle_lines(self, s, alts, have):
        """Reads what an IDLE session is sent: until the lines match one of
        alts (at most IDLE_WAIT seconds), then a short look for more."""
        lines = []
        if alts:
            deadline = time.monotonic() + IDLE_WAIT
            while not any(match_seq(a, have + lines, self.env) is not None for a in alts):
                l = s.line(deadline)
                if l is None:
                    lines.append("(nothing more within %d s)" % IDLE_WAIT)
                    return lines
                lines.append(l)
        return lines + s.sweep(GRACE)

    def invariants(self, name, s, verb, lines):
        out = []
        for l in lines:
            m = re.match(r"^\* FLAGS \((.*)\)$", l)
            if m:
                s.flags = set(m.group(1).split())
                continue
            m = re.match(r"^\* \d+ FETCH \(.*FLAGS \(([^()]*)\)", l)
            if m and s.flags is not None:
                new = [f for f in m.group(1).split() if not f.startswith("\\") and f not in s.flags]
                if new:
                    out.append("%s: \"%s\" shows %s, not in its last * FLAGS (RFC 3501 7.2.6)" % (name, l, " ".join(new)))
            if verb and verb.split()[-1] in ("FETCH", "STORE", "SEARCH") and re.match(r"^\* \d+ EXPUNGE$", l):
                out.append("%s: \"%s\" during %s (RFC 3501 7.4.1)" % (name, l, verb))
        return out

    def judge(self, step, got, tags, checks):
        err = []
        for name in sorted(got):
            alts = step.expect.get(name, [[]])
            tag = tags.get(name)
            found = None
            for a in alts:
                found = match_seq([(k, _with_tag(p, tag) if k != "group" else [_with_tag(q, tag) for q in p])
                                   for k, p in a], got[name], self.env)
                if found is not None:
                    break
            if found is not None:
                self.env = found
                continue
            err.append("%s: wanted (-) / got (+):" % name)
            for i, a in enumerate(alts):
                if i:
                    err.append("  or:")
                err += diff(a, got[name], self.env, tag)
        return err + checks

    # ---- outside actions ----

    def outside(self, text):
        words = text.split()
        what, args = words[0], words[1:]
        md = self.inst.maildir(self.user)
        if what == "deliver":
            for w in args:
                self.inst.deliver(self.user, "Subject: %s\n\nbody of %s\n" % (w, w))
        elif what == "claim":
            folder = args[0] if args else "INBOX"
            c = Session("Z", self.port, self.user + "@example.org", self.pw)
            c.s.sendall(("z1 SELECT %s\r\nz2 LOGOUT\r\n" % folder).encode())
            deadline = time.monotonic() + CMD_WAIT
            replies = []
            while True:
                l = c.line(deadline)
                if l is None:
                    break
                replies.append(l)
                if l.startswith("z2 "):
                    break
            c.close()
            if not any(l.startswith("z1 OK") for l in replies):
                raise Error("claim: SELECT %s failed: %r" % (folder, replies))
        elif what in ("flags", "unlink"):
            path = self.message_file(md, int(args[0]))
            if what == "unlink":
                os.unlink(path)
            else:
                letters = "" if args[1] == "-" else args[1]
                base = os.path.basename(path).split(":2,")[0]
                os.rename(path, os.path.join(md, "cur", base + ":2," + letters))
        else:
            raise Error("unknown action: %s" % text)

    @staticmethod
    def message_file(md, uid):
        """The file of message uid in INBOX (as any Maildir tool finds it: by
        its unique name, from the UID list)."""
        with open(os.path.join(md, "posthorn-uidlist")) as f:
            recs = dict(l.split(" ", 1) for l in f.read().splitlines()[1:])
        name = recs.get(str(uid))
        if name is None:
            raise Error("no UID %d in the UID list" % uid)
        for sub in ("cur", "new"):
            for n in os.listdir(os.path.join(md, sub)):
                if n == name or n.startswith(name + ":"):
                    return os.path.join(md, sub, n)
        raise Error("the file of UID %d is gone" % uid)
