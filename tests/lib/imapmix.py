"""A random mix of IMAP commands from N concurrent sessions on one folder,
with a checker that keeps each session's view of the selected folder as
RFC 3501 defines it and reports every reply that contradicts it.

Used by tests/imapd-stress.t (posthorn-imapd, zero errors required) and
tools/bench-imapd-mix (the same mix against posthorn-imapd and a private
Dovecot, in commands per second).  Only generic IMAP4rev1 (RFC 3501) plus
UIDPLUS (RFC 4315), MOVE (RFC 6851) and IDLE (RFC 2177) is spoken, on raw
sockets, so any server that has those can be driven.

The model, per session (RFC 3501 2.3.1.2, 5.2, 7.3.1, 7.4.1): the list of
messages in sequence order as told to this session -- `* n EXISTS` appends
(UIDs unknown until a FETCH names them), `* n EXPUNGE` removes the n-th --
and per message its UID, its flags as last told and whether it was shown
\\Recent.  Every message the mix puts in a folder is APPENDed with a unique
marker header, and its body is a pure function of the marker (body_for), so
any session can check any body it fetches.

Rules (a reply breaking one is an error of that kind):
  expunge-in-fetch/-store/-search  `* n EXPUNGE` while answering FETCH,
        STORE or SEARCH (RFC 3501 7.4.1); with rules["uid_no_expunge"] also
        during their UID forms (posthorn's rule; RFC 3501 allows it there,
        and Dovecot sends them)
  seq-range      a sequence number outside 1..(messages in the view) in an
        EXPUNGE, FETCH or SEARCH response
  uid-mismatch   a FETCH whose UID differs from the view's UID at that number
  uid-order      UIDs not strictly ascending in sequence order (RFC 3501 2.3.1.1)
  exists-down    `* n EXISTS` smaller than the view without EXPUNGEs
  expungeissued  a tagged NO [EXPUNGEISSUED] (RFC 5530); for COPY and MOVE
        allowed by rules["copy_expunged_no"]
  tagged-no      any other tagged NO or BAD: every command the mix sends is
        valid for the session's view
  untagged-no    an untagged NO, BAD or an unexpected BYE
  uid-reused     one UID of a folder (same UIDVALIDITY) holding two different
        messages, across all sessions (RFC 3501 2.3.1.1)
  uidvalidity    a folder's UIDVALIDITY changing during the run
  uidnext        UIDNEXT at SELECT not above a UID this session knows there
  recent-twice   one message shown \\Recent to two sessions (RFC 3501 2.3.2)
  recent-changed \\Recent of a message appearing or going away within one
        selection of one session
  recent-none    messages added to a folder, the folder SELECTed later, and
        no session told RECENT > 0 or shown \\Recent since (RFC 3501 2.3.2)
  keyword        a FETCH showing a keyword not in the session's last * FLAGS
        (RFC 3501 7.2.6)
  bad-flag       a system flag that RFC 3501 2.3.2 does not define
  body           BODY[] not exactly what was APPENDed, or no marker in it
  size           RFC822.SIZE not the size of what was APPENDed (0 allowed
        by rules["nil_fetch"]: RFC 2180's answer for an expunged message)
  move-left      after MOVE's OK, a moved UID still in the view (RFC 6851 4.3)
  stale-view     a message that some session had been told was expunged
        still in this session's view after a command sent later (every
        command except FETCH, STORE, SEARCH and IDLE must report it);
        rules["stale_view"]
  expunge-order  with rules["expunge_descending"]: several EXPUNGEs in a row
        not in descending sequence order, or an EXPUNGE after EXISTS or
        RECENT within one command's replies (posthorn's order of an update)
  io             the connection closed or a reply did not come within the
        timeout
  driver, parse  a bug of this driver or a reply it cannot parse
Server-specific rules are switched by a rules dict: RULES_POSTHORN follows
posthorn's semantics (the common brief of issue 11), RULES_DOVECOT switches
off the three rules where Dovecot 2.3 takes another choice that the RFCs
allow (see there).

Replay: the seed is printed by the callers; each session's random stream is
derived from (seed, session number), so the same seed gives the same choice
of commands as long as the sessions' views evolve the same way.  The
interleaving of sessions is up to the scheduler, so a replay repeats a
failure's mix, not its exact timing.
"""
import collections
import hashlib
import multiprocessing
import random
import re
import resource
import select
import socket
import threading
import time

LINE_MAX = 1 << 20          # longest response line we accept
LITERAL_MAX = 16 << 20      # largest literal we accept
TIMEOUT = 30.0              # seconds a reply may take before it is an io error
TRANSCRIPT_LINES = 40       # lines kept per connection for error reports
ERRORS_KEPT = 20            # examples kept per session and kind

SYSTEM_FLAGS = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"}
STORE_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted"]
KEYWORDS = ["$MixWork", "mixa", "mixb", "mixc"]

# posthorn's semantics (issue 11's common brief); Dovecot 2.3 differs in
# three points that RFC 3501 and RFC 2180 allow: EXPUNGE during UID FETCH,
# UID STORE and UID SEARCH (RFC 3501 7.4.1 forbids it only for the sequence
# number forms), NO [EXPUNGEISSUED] for a COPY or MOVE naming a message that
# another session expunged (RFC 2180 4.4.1), and "RFC822.SIZE 0 BODY[] NIL"
# for such a message in FETCH (RFC 2180 4.1.2, where posthorn omits the
# data it no longer has).
RULES_POSTHORN = {"uid_no_expunge": True, "expunge_descending": True, "stale_view": True,
                  "copy_expunged_no": False, "nil_fetch": False}
RULES_DOVECOT = dict(RULES_POSTHORN, uid_no_expunge=False, copy_expunged_no=True, nil_fetch=True)

# Commands during which RFC 3501 7.4.1 forbids an EXPUNGE response.
NO_EXPUNGE = {"FETCH": "expunge-in-fetch", "STORE": "expunge-in-store", "SEARCH": "expunge-in-search"}
# Commands after which a message expunged earlier must be gone (stale-view).
SYNCING = {"NOOP", "CHECK", "EXPUNGE", "COPY", "MOVE", "APPEND", "SELECT"}


def body_for(marker):
    """The message the mix APPENDs for marker: CRLF lines, 0.3 to 3 KiB,
    every byte a function of the marker."""
    h = hashlib.sha256(marker.encode()).hexdigest()
    head = ("From: mix <mix@example.org>\r\nTo: alice@example.org\r\nSubject: mix %s\r\n"
            "Message-ID: <%s@mix.example.org>\r\nX-Mix-Marker: %s\r\n\r\n" % (marker, marker, marker))
    lines = ["line %d of %s %s" % (i, marker, h[i % 40:]) for i in range(1 + int(h[:2], 16) % 40)]
    return (head + "\r\n".join(lines) + "\r\n").encode()


MARKER_RE = re.compile(rb"\r\nX-Mix-Marker: ([0-9A-Za-z.\-]+)\r\n")


# ---- the wire --------------------------------------------------------------

class IOFail(Exception):
    pass


class Wire:
    """A buffered socket that reads whole responses: a line, and when it ends
    in a literal {n}, the n bytes and the rest of the line, and so on."""

    LIT_RE = re.compile(rb"\{(\d{1,10})\}\r\n$")

    def __init__(self, host, port, timeout=TIMEOUT):
        try:
            self.s = socket.create_connection((host, port), timeout)
        except OSError as e:
            raise IOFail("connect: %s" % e)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self):
        try:
            d = self.s.recv(262144)
        except socket.timeout:
            raise IOFail("no reply within %d s" % TIMEOUT)
        except OSError as e:
            raise IOFail("recv: %s" % e)
        if not d:
            raise IOFail("connection closed by the server")
        self.buf += d

    def _line(self):
        start = 0
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                line = bytes(self.buf[:i + 2])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > LINE_MAX:
                raise IOFail("response line longer than %d bytes" % LINE_MAX)
            start = max(0, len(self.buf) - 1)
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def response(self):
        parts = []
        while True:
            line = self._line()
            parts.append(line)
            m = self.LIT_RE.search(line)
            if not m:
                return b"".join(parts)
            n = int(m.group(1))
            if n > LITERAL_MAX:
                raise IOFail("literal of %d bytes" % n)
            parts.append(self._exact(n))

    def pending(self, seconds):
        """Is a response (or part of one) there within seconds?"""
        if self.buf:
            return True
        r, _, _ = select.select([self.s], [], [], max(0.0, seconds))
        return bool(r)

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError as e:
            raise IOFail("send: %s" % e)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---- response parsing -------------------------------------------------------

def sexp(data, pos):
    """One item of response data at pos: a list, a quoted string or literal
    (bytes), NIL (None) or an atom (str, '[...]' kept inside it).  Returns
    (item, position after it)."""
    n = len(data)
    while pos < n and data[pos] == 32:
        pos += 1
    if pos >= n:
        raise ValueError("data ends early")
    c = data[pos]
    if c == 40:                                   # (
        pos += 1
        out = []
        while True:
            while pos < n and data[pos] == 32:
                pos += 1
            if pos >= n:
                raise ValueError("list not closed")
            if data[pos] == 41:                   # )
                return out, pos + 1
            item, pos = sexp(data, pos)
            out.append(item)
    if c == 34:                                   # "
        pos += 1
        s = bytearray()
        while pos < n and data[pos] != 34:
            if data[pos] == 92:
                pos += 1
            s.append(data[pos])
            pos += 1
        return bytes(s), pos + 1
    if c == 123:                                  # {n}CRLF + n bytes
        end = data.index(b"}", pos)
        k = int(data[pos + 1:end])
        start = end + 3
        return data[start:start + k], start + k
    start = pos
    depth = 0
    while pos < n:
        ch = data[pos]
        if ch == 91:
            depth += 1
        elif ch == 93:
            depth -= 1
        elif depth == 0 and ch in (32, 40, 41, 13):
            break
        pos += 1
    tok = data[start:pos].decode("latin-1")
    return (None if tok.upper() == "NIL" else tok), pos


def parse_fetch(data):
    """'(' key value ... ')' into a dict with upper-cased keys."""
    lst, _ = sexp(data, 0)
    if not isinstance(lst, list) or len(lst) % 2:
        raise ValueError("FETCH data is not a list of pairs")
    return {str(lst[i]).upper(): lst[i + 1] for i in range(0, len(lst), 2)}


def uid_set(text):
    """'1:3,7' -> [1, 2, 3, 7] (bounded)."""
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            a, b = min(a, b), max(a, b)
            if b - a > 100000:
                raise ValueError("set too large")
            out.extend(range(a, b + 1))
        else:
            out.append(int(part))
    return out


UNTAGGED_NUM = re.compile(rb"\* (\d{1,10}) (EXISTS|EXPUNGE|RECENT|FETCH)\b ?(.*)", re.I | re.S)
CODE_RE = re.compile(rb"\[([A-Z\-]+)(?: ([^\]]*))?\]", re.I)


LITERAL_IN = re.compile(rb"\{(\d{1,10})\}\r\n")


def short(raw, n=300):
    """A response on one line for reports: each literal shown as {size}
    and its marker, the line cut at n characters."""
    out = []
    pos = 0
    while True:
        m = LITERAL_IN.search(raw, pos)
        if not m:
            out.append(raw[pos:])
            break
        k = int(m.group(1))
        lit = raw[m.end():m.end() + k]
        mm = MARKER_RE.search(lit)
        out.append(raw[pos:m.start()] + b"{%d: %s}" % (k, mm.group(1) if mm else repr(lit[:40]).encode()))
        pos = m.end() + k
    t = b"".join(out).decode("latin-1").rstrip("\r\n").replace("\r", "\\r").replace("\n", "\\n")
    return t if len(t) <= n else t[:n] + "...(%d bytes)" % len(t)


# ---- one session's view -----------------------------------------------------

class Msg:
    __slots__ = ("uid", "flags", "recent", "told")

    def __init__(self):
        self.uid = None          # unknown until a FETCH names it
        self.flags = None        # set of flags as last told, None if never
        self.recent = None       # \Recent as shown to this session
        self.told = None         # (command number, response) that first told it


class Session:
    """One client: its connection(s), view, and the errors it found.  Runs
    `count` commands (LOGIN, SELECT and LOGOUT included)."""

    def __init__(self, cfg, idx):
        self.cfg = cfg
        self.idx = idx
        self.rules = cfg["rules"]
        self.rng = random.Random("%s/%d" % (cfg["seed"], idx))
        self.folders = cfg["folders"]
        self.left = cfg["count"]
        self.errors = []
        self.kinds = collections.Counter()
        self.verbs = collections.Counter()
        self.done = 0
        self.nos = 0
        self.conn = 0
        self.marker_n = 0
        self.tagn = 0
        self.wire = None
        self.transcript = collections.deque(maxlen=TRANSCRIPT_LINES)   # (direction, raw bytes)
        self.maxview = {}        # folder -> most messages seen in a view
        self.sizes = {}          # folder -> messages in the last view of it
        self.logf = None         # the whole transcript, with times, when cfg["logdir"]
        # facts merged across sessions at the end
        self.uid_marker = {}     # (folder, uidvalidity, uid) -> (marker, evidence)
        self.recent_claims = {}  # (folder, uidvalidity, uid) -> (connection, evidence)
        self.uidvalidity = {}    # folder -> (value, evidence)
        self.gone = {}           # (folder, uidvalidity, uid) -> (monotonic time told EXPUNGEd, evidence)
        self.views = []          # (t_sent, folder, uidvalidity, (uids...), evidence) for stale-view
        self.added = []          # (folder, t_sent, t_done, evidence): APPEND, COPY, MOVE into a folder
        self.selects = []        # (folder, t_sent, evidence)
        self.recent_seen = []    # (folder, t): RECENT > 0 or a \Recent flag told
        self.reset_view(None)

    # -- bookkeeping

    def reset_view(self, folder):
        self.folder = folder
        self.uv = None
        self.msgs = []
        self.announced = set()

    def err(self, kind, detail):
        self.kinds[kind] += 1
        if self.kinds[kind] <= ERRORS_KEPT:
            self.errors.append({"kind": kind, "session": self.idx, "conn": self.conn, "cmd": self.done,
                                "detail": detail,
                                "transcript": ["%s%d %s" % (d, self.idx, short(raw, 240)) for d, raw in self.transcript]})

    def evidence(self, line):
        return "session %d conn %d cmd %d: %s" % (self.idx, self.conn, self.done, line)

    def log(self, direction, raw):
        # formatted only for an error report or the log file: the benchmark
        # runs this for every line
        self.transcript.append((direction, raw))
        if self.logf:
            self.logf.write("%.6f %s%d %s\n" % (time.monotonic(), direction, self.idx, short(raw, 240)))

    def key(self, uid):
        return (self.folder, self.uv, uid)

    def new_marker(self):
        self.marker_n += 1
        return "%s.%d.%d.%d" % (self.cfg["seed"], self.idx, self.conn, self.marker_n)

    def learn_marker(self, folder, uv, uid, marker, line):
        k = (folder, uv, uid)
        old = self.uid_marker.get(k)
        if old is None:
            self.uid_marker[k] = (marker, self.evidence(line))
        elif old[0] != marker:
            self.err("uid-reused", "UID %d of %s (UIDVALIDITY %s) held %s (%s) and now %s"
                     % (uid, folder, uv, old[0], old[1], marker))

    # -- talking

    def tag(self):
        self.tagn += 1
        return "m%d" % self.tagn

    def run_cmd(self, text, verb, uid=False, literal=None, idle=False):
        """Sends one command and feeds every response to the model; returns
        the tagged line, and leaves the command's context (codes of its
        replies, send and reply times) in self.ctx.  literal: bytes sent as
        the last argument ({n+} with LITERAL+, else a synchronizing one)."""
        tag = self.tag()
        ctx = {"verb": verb, "uid": uid, "t0": time.monotonic()}
        self.ctx = ctx
        self.done += 1
        self.left -= 1
        self.verbs[verb] += 1
        line = ("%s %s" % (tag, text)).encode()
        btag = tag.encode() + b" "
        if literal is None:
            self.wire.send(line + b"\r\n")
            self.log("C", line)
        elif self.literal_plus:
            self.wire.send(line + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
            self.log("C", line + b" {%d+}" % len(literal))
        else:
            self.wire.send(line + b" {%d}\r\n" % len(literal))
            self.log("C", line + b" {%d}" % len(literal))
            r = self.until_continuation(btag, ctx)
            if r is not None:
                return self.tagged(r, text, ctx)
            self.wire.send(literal + b"\r\n")
        if idle:
            # RFC 2177: '+', stay a little (reading what comes), DONE
            r = self.until_continuation(btag, ctx)
            if r is not None:
                return self.tagged(r, text, ctx)
            lo, hi = self.cfg["idle_ms"]
            end = time.monotonic() + self.rng.uniform(lo, hi) / 1000.0
            while time.monotonic() < end and self.wire.pending(end - time.monotonic()):
                r = self.wire.response()
                self.log("S", r)
                self.untagged(r, ctx)
            self.wire.send(b"DONE\r\n")
            self.log("C", b"DONE")
        while True:
            r = self.wire.response()
            self.log("S", r)
            if r.startswith(btag):
                return self.tagged(r, text, ctx)
            self.untagged(r, ctx)

    def until_continuation(self, btag, ctx):
        """Responses up to a '+' (returns None) or the tagged reply (returns it)."""
        while True:
            r = self.wire.response()
            self.log("S", r)
            if r.startswith(b"+"):
                return None
            if r.startswith(btag):
                return r
            self.untagged(r, ctx)

    def tagged(self, r, text, ctx):
        ctx["t1"] = time.monotonic()
        st = r.split(b" ", 2)
        status = st[1].upper() if len(st) > 1 else b""
        if status != b"OK":
            self.nos += 1
            if b"[EXPUNGEISSUED]" in r.upper():
                if not (ctx["verb"] in ("COPY", "MOVE") and self.rules.get("copy_expunged_no")):
                    self.err("expungeissued", "%s -> %s" % (text, short(r)))
            else:
                self.err("tagged-no", "%s -> %s" % (text, short(r)))
            return r
        for m in CODE_RE.finditer(r):
            self.code(m, ctx, r)
        return r

    def code(self, m, ctx, r):
        name = m.group(1).upper()
        arg = m.group(2) or b""
        if name == b"COPYUID":
            p = arg.split()
            ctx["copyuid"] = (int(p[0]), uid_set(p[1].decode()), uid_set(p[2].decode()))
        elif name == b"APPENDUID":
            p = arg.split()
            ctx["appenduid"] = (int(p[0]), int(p[1]))
        elif name == b"UIDVALIDITY":
            ctx["uidvalidity"] = int(arg)
        elif name == b"UIDNEXT":
            ctx["uidnext"] = int(arg)

    # -- the model

    def untagged(self, r, ctx):
        m = UNTAGGED_NUM.match(r)
        if m:
            n = int(m.group(1))
            what = m.group(2).upper()
            if what == b"EXISTS":
                self.on_exists(n, r, ctx)
            elif what == b"EXPUNGE":
                self.on_expunge(n, r, ctx)
            elif what == b"RECENT":
                self.order(ctx, "R", n, r)
                if n > 0:
                    self.recent_seen.append((self.folder, time.monotonic()))
                if n > len(self.msgs):
                    self.err("seq-range", "RECENT %d with %d messages in the view: %s" % (n, len(self.msgs), short(r)))
            else:
                self.on_fetch(n, m.group(3), r, ctx)
            return
        up = r[:40].upper()
        if up.startswith(b"* FLAGS "):
            try:
                lst, _ = sexp(r, 8)
            except (ValueError, IndexError):
                self.err("parse", short(r))
                return
            self.announced = {f for f in lst if isinstance(f, str) and not f.startswith("\\")}
            self.order(ctx, "F", 0, r)
        elif up.startswith(b"* SEARCH"):
            if ctx["verb"] == "SEARCH" and not ctx["uid"]:
                for t in r[8:].split():
                    if t.isdigit() and not 1 <= int(t) <= len(self.msgs):
                        self.err("seq-range", "SEARCH gave %s with %d messages in the view" % (t.decode(), len(self.msgs)))
        elif up.startswith(b"* OK"):
            for mm in CODE_RE.finditer(r):
                self.code(mm, ctx, r)
        elif up.startswith(b"* BYE"):
            if ctx["verb"] != "LOGOUT":
                self.err("untagged-no", "%s during %s" % (short(r), ctx["verb"]))
        elif up.startswith(b"* NO") or up.startswith(b"* BAD"):
            self.err("untagged-no", "%s during %s" % (short(r), ctx["verb"]))

    def order(self, ctx, what, n, r):
        """posthorn's order within one update (rules["expunge_descending"]):
        EXPUNGEs first, in descending sequence order, then the rest ending
        with EXISTS and RECENT.  An IDLE wake-up starts a new update."""
        if not self.rules.get("expunge_descending") or ctx["verb"] in ("SELECT", "IDLE"):
            return   # SELECT has no update; IDLE's wake-ups are updates of their own, unmarked
        u = ctx.get("updates")
        if u is None:
            u = ctx["updates"] = []
        if what == "X":
            if any(k in ("E", "R") for k, _ in u):
                self.err("expunge-order", "EXPUNGE after EXISTS/RECENT in one update (%s): %s"
                         % (ctx["verb"], short(r)))
            elif u and u[-1][0] == "X" and n >= u[-1][1]:
                self.err("expunge-order", "EXPUNGE %d right after EXPUNGE %d: not descending (%s)"
                         % (n, u[-1][1], ctx["verb"]))
        u.append((what, n))

    def on_exists(self, n, r, ctx):
        self.order(ctx, "E", n, r)
        if n < len(self.msgs):
            self.err("exists-down", "%s with %d messages in the view" % (short(r), len(self.msgs)))
            return
        if n - len(self.msgs) > 100000:
            self.err("seq-range", "EXISTS jumps to %d" % n)
            return
        while len(self.msgs) < n:
            self.msgs.append(Msg())

    def on_expunge(self, n, r, ctx):
        verb = ctx["verb"]
        if verb in NO_EXPUNGE and (not ctx["uid"] or self.rules.get("uid_no_expunge")):
            self.err(NO_EXPUNGE[verb], "%s during %s%s" % (short(r), "UID " if ctx["uid"] else "", verb))
        if not 1 <= n <= len(self.msgs):
            self.err("seq-range", "%s with %d messages in the view" % (short(r), len(self.msgs)))
            return
        self.order(ctx, "X", n, r)
        m = self.msgs.pop(n - 1)
        if self.logf:
            self.logf.write("  (that was UID %s)\n" % m.uid)
        if m.uid is not None and self.uv is not None:
            k = self.key(m.uid)
            if k not in self.gone:
                self.gone[k] = (time.monotonic(), self.evidence(short(r)))

    def on_fetch(self, n, data, r, ctx):
        if not 1 <= n <= len(self.msgs):
            self.err("seq-range", "%s with %d messages in the view" % (short(r), len(self.msgs)))
            return
        try:
            d = parse_fetch(data)
        except (ValueError, IndexError) as e:
            self.err("parse", "%s: %s" % (e, short(r)))
            return
        msg = self.msgs[n - 1]
        if "UID" in d:
            try:
                uid = int(d["UID"])
            except (TypeError, ValueError):
                self.err("parse", short(r))
                return
            if msg.uid is None:
                self.check_uid_order(n, uid, r)
                msg.uid = uid
            elif msg.uid != uid:
                self.err("uid-mismatch", "message %d is UID %d in the view, FETCH says %s" % (n, msg.uid, short(r)))
                return
        if "FLAGS" in d:
            flags = d["FLAGS"]
            if not isinstance(flags, list):
                self.err("parse", short(r))
                return
            fs = set(flags)
            for f in fs:
                if f.startswith("\\"):
                    if f not in SYSTEM_FLAGS:
                        self.err("bad-flag", "%s in %s" % (f, short(r)))
                elif f not in self.announced:
                    self.err("keyword", "%s not in the last * FLAGS (%s): %s"
                             % (f, " ".join(sorted(self.announced)), short(r)))
            rec = "\\Recent" in fs
            if msg.recent is not None and msg.recent != rec:
                self.err("recent-changed", "message %d (UID %s) was %s\\Recent (command %d: %s), now %s"
                         % (n, msg.uid, "" if msg.recent else "not ", msg.told[0], short(msg.told[1]), short(r)))
            if msg.recent is None:
                msg.told = (self.done, r)
            msg.recent = rec
            msg.flags = fs
        if msg.uid is not None and msg.recent and self.uv is not None:
            k = self.key(msg.uid)
            old = self.recent_claims.get(k)
            if old is None:
                self.recent_claims[k] = (self.conn, self.evidence(short(r, 120)))
                self.recent_seen.append((self.folder, time.monotonic()))
            elif old[0] != self.conn:
                self.err("recent-twice", "UID %d of %s shown \\Recent to two connections: %s; now %s"
                         % (msg.uid, self.folder, old[1], short(r, 120)))
        body = d.get("BODY[]")
        marker = None
        if isinstance(body, bytes):
            mm = MARKER_RE.search(body)
            if not mm:
                self.err("body", "message %d (UID %s): no marker in %r" % (n, msg.uid, body[:200]))
            else:
                marker = mm.group(1).decode()
                want = body_for(marker)
                if body != want:
                    self.err("body", "message %d (UID %s, %s): %d bytes differ from the %d APPENDed: %r"
                             % (n, msg.uid, marker, len(body), len(want), body[:300]))
                if msg.uid is not None and self.uv is not None:
                    self.learn_marker(self.folder, self.uv, msg.uid, marker, short(r, 120))
        if "RFC822.SIZE" in d:
            if marker is None and msg.uid is not None:
                known = self.uid_marker.get(self.key(msg.uid))
                marker = known[0] if known else None
            if marker is not None:
                want = len(body_for(marker))
                if str(d["RFC822.SIZE"]) != str(want) and not (self.rules.get("nil_fetch") and d["RFC822.SIZE"] == "0"):
                    self.err("size", "message %d (UID %s, %s): RFC822.SIZE %s, APPENDed %d"
                             % (n, msg.uid, marker, d["RFC822.SIZE"], want))

    def check_uid_order(self, n, uid, r):
        for j in range(n - 2, -1, -1):
            if self.msgs[j].uid is not None:
                if self.msgs[j].uid >= uid:
                    self.err("uid-order", "message %d is UID %d, message %d UID %d: %s"
                             % (j + 1, self.msgs[j].uid, n, uid, short(r)))
                break
        for j in range(n, len(self.msgs)):
            if self.msgs[j].uid is not None:
                if self.msgs[j].uid <= uid:
                    self.err("uid-order", "message %d is UID %d, message %d UID %d: %s"
                             % (j + 1, self.msgs[j].uid, n, uid, short(r)))
                break

    def after(self, verb, ctx, text):
        """Checks after the tagged reply of a command."""
        if verb in SYNCING and self.uv is not None and self.rules.get("stale_view"):
            uids = tuple(m.uid for m in self.msgs if m.uid is not None)
            self.views.append((ctx["t0"], self.folder, self.uv, uids, "session %d conn %d cmd %d %s"
                               % (self.idx, self.conn, self.done, text)))

    # -- generating commands valid for the view

    def seqset(self, maxn=6, star=True):
        n = len(self.msgs)
        r = self.rng.random()
        if r < 0.45 or n == 1:
            return str(self.rng.randint(1, n))
        if r < 0.75:
            a = self.rng.randint(1, n)
            b = min(n, a + self.rng.randint(1, maxn - 1))
            return "%d:%d" % (a, b)
        if r < 0.9 or not star:
            k = sorted(self.rng.sample(range(1, n + 1), min(n, 2)))
            return ",".join(str(x) for x in k)
        return "%d:*" % max(1, n - self.rng.randint(0, maxn - 1))

    def uidset(self, maxn=6):
        known = [m.uid for m in self.msgs if m.uid is not None]
        r = self.rng.random()
        if not known or r < 0.05:
            # valid whatever is there: past the last UID it names the last
            # message (RFC 3501 6.4.8: n:* is *:n) or the new ones
            return "%d:*" % (max(known) + 1 if known else 1)
        if r < 0.5:
            return str(self.rng.choice(known))
        if r < 0.8:
            i = self.rng.randrange(len(known))
            j = min(len(known) - 1, i + self.rng.randint(1, maxn - 1))
            return "%d:%d" % (known[i], known[j])
        k = sorted(self.rng.sample(known, min(len(known), 3)))
        return ",".join(str(x) for x in k)

    def flaglist(self, deleted_bias):
        pool = STORE_FLAGS[:4] + KEYWORDS
        out = set(self.rng.sample(pool, self.rng.randint(1, 2)))
        if self.rng.random() < deleted_bias:
            out.add("\\Deleted")
        return "(" + " ".join(sorted(out)) + ")"

    def step(self):
        """One command of the mix, chosen for the current view.  The folder
        is kept near cfg["target"] messages: below it APPEND is likely,
        above it \\Deleted and EXPUNGE; a session in another folder mostly
        MOVEs messages back and returns."""
        n = len(self.msgs)
        self.maxview[self.folder] = max(self.maxview.get(self.folder, 0), n)
        self.sizes[self.folder] = n
        other = self.folder != self.folders[0]
        over = n / float(self.cfg["target"])
        # the other folder as this session last saw it: no COPY or MOVE to a
        # full one
        dest_full = any(self.sizes.get(f, 0) > 1.5 * self.cfg["target"] for f in self.folders[1:])
        w = collections.OrderedDict()
        if n:
            w["fetch"] = 18
            w["store"] = 16 if over < 1.5 else 24
            w["copy"] = 0 if other or over > 1.5 or dest_full else 2
            w["move"] = (20 if over > 0.5 else 5) if other else (0 if dest_full else 2)
        w["search"] = 7
        w["noop"] = 5
        w["idle"] = 3
        w["append"] = 12 if over < 1 else (3 if over < 1.5 else 0)
        w["expunge"] = 4 if over < 1 else 10
        w["select"] = (3 if over > 1 else 6 if over > 0.5 else 20) if other else 3
        choice = self.rng.choices(list(w), weights=list(w.values()))[0]
        getattr(self, "do_" + choice)()

    def cmd(self, text, verb, uid=False, **kw):
        """Runs a command and the after-command checks; returns its context
        (the codes of its replies), or None after a NO or BAD."""
        before = self.nos
        self.run_cmd(text, verb, uid, **kw)
        self.after(verb, self.ctx, text)
        return None if self.nos != before else self.ctx

    def do_fetch(self):
        uid = self.rng.random() < 0.4
        items = [i for i in ("FLAGS", "UID", "RFC822.SIZE", "BODY.PEEK[]") if self.rng.random() < 0.5] or ["FLAGS"]
        if "BODY.PEEK[]" in items:
            s = self.uidset(3) if uid else self.seqset(3, star=False)
        elif self.rng.random() < 0.15:
            s = "1:*"
        else:
            s = self.uidset() if uid else self.seqset()
        text = "%sFETCH %s (%s)" % ("UID " if uid else "", s, " ".join(items))
        self.cmd(text, "FETCH", uid)

    def do_store(self):
        uid = self.rng.random() < 0.4
        s = self.uidset() if uid else self.seqset()
        sign = "+" if self.rng.random() < 0.65 else "-"
        silent = ".SILENT" if self.rng.random() < 0.3 else ""
        over = len(self.msgs) / float(self.cfg["target"])
        bias = 0.08 if over < 1 else (0.3 if over < 1.5 else 0.7)
        text = "%sSTORE %s %sFLAGS%s %s" % ("UID " if uid else "", s, sign, silent,
                                          self.flaglist(bias if sign == "+" else 0.3))
        self.cmd(text, "STORE", uid)

    def do_search(self):
        uid = self.rng.random() < 0.4
        crit = ["ALL", "UNSEEN", "FLAGGED", "DELETED", "NOT DELETED", "RECENT", "NEW", "OLD", "ANSWERED",
                "KEYWORD " + self.rng.choice(KEYWORDS), "UNKEYWORD " + self.rng.choice(KEYWORDS),
                "SMALLER 1500", "OR SEEN FLAGGED",
                "HEADER X-Mix-Marker %s.%d" % (self.cfg["seed"], self.rng.randrange(self.cfg["sessions"]))]
        c = self.rng.choice(crit)
        if self.msgs and self.rng.random() < 0.2:
            c = (("UID " + self.uidset()) if uid else self.seqset(star=False)) + " " + c
        self.cmd("%sSEARCH %s" % ("UID " if uid else "", c), "SEARCH", uid)

    def do_noop(self):
        self.cmd("CHECK" if self.rng.random() < 0.2 else "NOOP", "NOOP")

    def do_idle(self):
        self.cmd("IDLE", "IDLE", idle=True)

    def do_append(self):
        folder = self.folder if self.rng.random() < 0.85 else self.rng.choice(self.folders)
        marker = self.new_marker()
        body = body_for(marker)
        flags = ""
        if self.rng.random() < 0.3:
            flags = " " + self.flaglist(0.0)
        text = "APPEND %s%s" % (quote(folder), flags)
        ctx = self.cmd(text, "APPEND", literal=body)
        if ctx is None:
            return
        au = ctx.get("appenduid")
        if au:
            uv, uid = au
            self.note_uidvalidity(folder, uv, "APPENDUID")
            self.learn_marker(folder, uv, uid, marker, "APPENDUID %d %d" % au)
            self.added.append((folder, ctx["t0"], ctx["t1"], self.evidence(text)))

    def do_expunge(self):
        if self.msgs and self.rng.random() < 0.4:
            self.cmd("UID EXPUNGE " + self.uidset(), "EXPUNGE", uid=True)
        else:
            self.cmd("EXPUNGE", "EXPUNGE")

    def copy_or_move(self, verb):
        uid = self.rng.random() < 0.5
        s = self.uidset(4) if uid else self.seqset(4)
        # from the main folder to another one, and back
        dest = self.rng.choice(self.folders[1:]) if self.folder == self.folders[0] else self.folders[0]
        ctx = self.cmd("%s%s %s %s" % ("UID " if uid else "", verb, s, quote(dest)), verb, uid)
        if ctx is None:
            return
        cu = ctx.get("copyuid")
        if not cu:
            return
        uv, src, dst = cu
        if len(src) != len(dst):
            self.err("parse", "COPYUID with %d source and %d destination UIDs" % (len(src), len(dst)))
            return
        self.note_uidvalidity(dest, uv, "COPYUID")
        if dst:
            self.added.append((dest, ctx["t0"], ctx["t1"], self.evidence("%s %s" % (verb, s))))
        for a, b in zip(src, dst):
            known = self.uid_marker.get(self.key(a))
            if known:
                self.learn_marker(dest, uv, b, known[0], "COPYUID from %s UID %d" % (self.folder, a))
        if verb == "MOVE":
            left = [m.uid for m in self.msgs if m.uid in set(src)]
            if left:
                self.err("move-left", "UIDs %s moved (COPYUID) but still in the view" % left)

    def do_copy(self):
        self.copy_or_move("COPY")

    def do_move(self):
        self.copy_or_move("MOVE")

    def note_uidvalidity(self, folder, uv, how):
        old = self.uidvalidity.get(folder)
        if old is None:
            self.uidvalidity[folder] = (uv, self.evidence(how))
        elif old[0] != uv:
            self.err("uidvalidity", "%s: UIDVALIDITY %d (%s), now %d (%s)" % (folder, old[0], old[1], uv, how))

    def do_select(self, folder=None):
        if folder is None:
            if self.folder != self.folders[0]:
                folder = self.folders[0]
            else:
                folder = self.rng.choice(self.folders[1:]) if self.rng.random() < 0.5 else self.folders[0]
        self.reset_view(folder)
        ctx = self.cmd("SELECT " + quote(folder), "SELECT")
        if ctx is None:
            self.reset_view(None)
            return False
        self.selects.append((folder, ctx["t0"], self.evidence("SELECT " + folder)))
        uv = ctx.get("uidvalidity")
        if uv is not None:
            self.uv = uv
            self.note_uidvalidity(folder, uv, "SELECT")
            nxt = ctx.get("uidnext")
            mine = [u for (f, v, u) in self.uid_marker if f == folder and v == uv]
            if nxt is not None and mine and nxt <= max(mine):
                self.err("uidnext", "SELECT %s: UIDNEXT %d, but UID %d exists there" % (folder, nxt, max(mine)))
        t_select = ctx["t0"]
        if self.msgs and self.rng.random() < 0.7:
            # what most clients do next; it also gives the view its UIDs,
            # which must not hold one expunged before the SELECT was sent
            if self.cmd("FETCH 1:* (UID FLAGS)", "FETCH") is not None and self.rules.get("stale_view"):
                self.views.append((t_select, self.folder, self.uv,
                                   tuple(m.uid for m in self.msgs if m.uid is not None),
                                   "session %d conn %d cmd %d SELECT %s + FETCH 1:*"
                                   % (self.idx, self.conn, self.done, folder)))
        return True

    # -- connections

    def connect(self):
        self.conn += 1
        self.tagn = 0
        self.transcript.append(("-", b"connection %d" % self.conn))
        self.wire = Wire(self.cfg["host"], self.cfg["port"])
        g = self.wire.response()
        self.log("S", g)
        if not g.upper().startswith(b"* OK"):
            raise IOFail("greeting: %s" % short(g))
        self.literal_plus = b"LITERAL+" in g.upper()
        self.reset_view(None)
        if self.cmd("LOGIN %s %s" % (quote(self.cfg["user"]), quote(self.cfg["password"])), "LOGIN") is None:
            raise IOFail("LOGIN failed")
        self.do_select(self.folders[0])

    def logout(self):
        try:
            self.cmd("LOGOUT", "LOGOUT")
        finally:
            self.wire.close()
            self.wire = None

    def run(self):
        if self.cfg.get("logdir"):
            self.logf = open("%s/session-%d.log" % (self.cfg["logdir"], self.idx), "w")
        t0 = time.monotonic()
        deadline = t0 + self.cfg["deadline"]
        every = self.cfg["login_every"]
        try:
            while self.left > 0 and time.monotonic() < deadline:
                if self.wire is None:
                    self.connect()
                    since = 0
                    if self.folder is None:
                        continue
                if self.left <= 1 or (every and since >= every):
                    self.logout()
                    continue
                if self.folder is None:
                    self.do_select(self.folders[0])
                    continue
                self.step()
                since += 1
            if self.wire is not None:
                self.logout()
        except IOFail as e:
            self.err("io", str(e))
        except Exception as e:   # a bug of ours or an unparsable reply: report, never hang
            import traceback
            self.err("driver", "%s\n%s" % (e, traceback.format_exc()))
        finally:
            if self.wire is not None:
                self.wire.close()
            if self.logf:
                self.logf.close()
        t1 = time.monotonic()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {"idx": self.idx, "cpu": ru.ru_utime + ru.ru_stime, "errors": self.errors, "kinds": dict(self.kinds), "verbs": dict(self.verbs),
                "done": self.done, "nos": self.nos, "conns": self.conn, "t0": t0, "t1": t1,
                "uid_marker": self.uid_marker, "recent": self.recent_claims, "uidvalidity": self.uidvalidity,
                "gone": self.gone, "views": self.views, "maxview": self.maxview,
                "added": self.added, "selects": self.selects, "recent_seen": self.recent_seen}


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- set-up, running, merging ----------------------------------------------

def prepare(host, port, user, password, folders, per_folder, seed):
    """Creates the folders after the first and APPENDs per_folder messages
    to each, through one plain session (not checked)."""
    w = Wire(host, port)
    w.response()
    n = [0]

    def cmd(line, literal=None):
        n[0] += 1
        tag = b"p%d" % n[0]
        if literal is None:
            w.send(tag + b" " + line.encode() + b"\r\n")
        else:
            w.send(tag + b" " + line.encode() + b" {%d}\r\n" % len(literal))
            while True:
                r = w.response()
                if r.startswith(b"+"):
                    break
                if r.startswith(tag + b" "):
                    raise RuntimeError("%s: %s" % (line, short(r)))
            w.send(literal + b"\r\n")
        while True:
            r = w.response()
            if r.startswith(tag + b" "):
                return r
    r = cmd("LOGIN %s %s" % (quote(user), quote(password)))
    if b" OK" not in r[:8]:
        raise RuntimeError("prepare: LOGIN: %s" % short(r))
    for f in folders[1:]:
        cmd("CREATE %s" % quote(f))
    for f in folders:
        for i in range(per_folder):
            r = cmd("APPEND %s" % quote(f), body_for("%s.p.%s.%d" % (seed, re.sub(r"[^A-Za-z0-9]", "", f), i)))
            if b" OK" not in r[:8]:
                raise RuntimeError("prepare: APPEND: %s" % short(r))
    cmd("LOGOUT")
    w.close()


def _session_main(cfg, idx):
    return Session(cfg, idx).run()


def _proc_main(cfg, idx, conn):
    try:
        conn.send(_session_main(cfg, idx))
    finally:
        conn.close()


def run(host, port, user, password, sessions=5, commands=3000, seed=None, folders=("INBOX", "MixOther"),
        login_every=0, rules=None, processes=False, deadline=300.0, idle_ms=(5, 40), target=30,
        prepare_messages=10, logdir=None):
    """Runs the mix; returns a Report.  commands is the total over all
    sessions.  login_every: 0 for one long session per client, else a new
    connection (LOGIN, SELECT) after that many commands of the mix.
    processes: one process per session (for the benchmark: the client's own
    CPU is spread over cores) instead of one thread per session.  logdir:
    each session's whole transcript, with monotonic times, in
    logdir/session-N.log."""
    if seed is None:
        seed = random.SystemRandom().randrange(1, 10 ** 9)
    cfg = {"host": host, "port": port, "user": user, "password": password, "seed": seed,
           "folders": list(folders), "count": max(3, commands // sessions), "login_every": login_every,
           "rules": dict(rules or RULES_POSTHORN), "deadline": deadline, "idle_ms": idle_ms,
           "target": target, "sessions": sessions, "logdir": logdir}
    if prepare_messages is not None:
        prepare(host, port, user, password, folders, prepare_messages, seed)
    t0 = time.monotonic()
    results = []
    if processes:
        ctx = multiprocessing.get_context("fork")
        procs = []
        for i in range(sessions):
            a, b = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_proc_main, args=(cfg, i, b))
            p.start()
            b.close()
            procs.append((p, a))
        for i, (p, a) in enumerate(procs):
            try:
                if a.poll(deadline + 2 * TIMEOUT):
                    results.append(a.recv())
                else:
                    results.append(_lost(i, "no result from the session's process"))
            except EOFError:
                results.append(_lost(i, "the session's process died"))
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()
    else:
        out = [None] * sessions

        def th(i):
            out[i] = _session_main(cfg, i)
        ts = [threading.Thread(target=th, args=(i,)) for i in range(sessions)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        results = [r or _lost(i, "thread died") for i, r in enumerate(out)]
    t1 = time.monotonic()
    return Report(cfg, results, t1 - t0)


def _lost(i, why):
    e = {"kind": "driver", "session": i, "conn": 0, "cmd": 0, "detail": why, "transcript": []}
    return {"idx": i, "cpu": 0.0, "errors": [e], "kinds": {"driver": 1}, "verbs": {}, "done": 0, "nos": 0, "conns": 0,
            "t0": 0, "t1": 0, "uid_marker": {}, "recent": {}, "uidvalidity": {}, "gone": {}, "views": [], "maxview": {},
            "added": [], "selects": [], "recent_seen": []}


class Report:
    """The merged result: per-session errors plus the cross-session rules
    (uid-reused, recent-twice, uidvalidity, stale-view)."""

    def __init__(self, cfg, results, elapsed):
        self.cfg = cfg
        self.seed = cfg["seed"]
        self.results = results
        self.elapsed = elapsed
        self.errors = [e for r in results for e in r["errors"]]
        self.kinds = collections.Counter()
        for r in results:
            self.kinds.update(r["kinds"])
        self.verbs = collections.Counter()
        for r in results:
            self.verbs.update(r["verbs"])
        self.done = sum(r["done"] for r in results)
        self.nos = sum(r["nos"] for r in results)
        self.conns = sum(r["conns"] for r in results)
        # CPU seconds of the client: with processes=True, each session's own
        self.client_cpu = sum(r["cpu"] for r in results)
        self.maxview = {}
        for r in results:
            for f, n in r["maxview"].items():
                self.maxview[f] = max(n, self.maxview.get(f, 0))
        self.merge()

    def add(self, kind, detail):
        self.kinds[kind] += 1
        if self.kinds[kind] <= ERRORS_KEPT:
            self.errors.append({"kind": kind, "session": -1, "conn": 0, "cmd": 0, "detail": detail,
                                "transcript": []})

    def merge(self):
        markers = {}
        for r in self.results:
            for k, (marker, ev) in r["uid_marker"].items():
                old = markers.get(k)
                if old is None:
                    markers[k] = (marker, ev)
                elif old[0] != marker:
                    self.add("uid-reused", "UID %d of %s (UIDVALIDITY %s): %s in %s, %s in %s"
                             % (k[2], k[0], k[1], old[0], old[1], marker, ev))
        claims = {}
        for r in self.results:
            for k, (_, ev) in r["recent"].items():
                if k in claims:
                    self.add("recent-twice", "UID %d of %s shown \\Recent to two sessions: %s; %s"
                             % (k[2], k[0], claims[k], ev))
                else:
                    claims[k] = ev
        uvs = {}
        for r in self.results:
            for f, (uv, ev) in r["uidvalidity"].items():
                if f in uvs and uvs[f][0] != uv:
                    self.add("uidvalidity", "%s: UIDVALIDITY %d (%s) and %d (%s)" % (f, uvs[f][0], uvs[f][1], uv, ev))
                uvs.setdefault(f, (uv, ev))
        if self.cfg["rules"].get("stale_view"):
            gone = {}
            for r in self.results:
                for k, t in r["gone"].items():
                    if k not in gone or t[0] < gone[k][0]:
                        gone[k] = t
            for r in self.results:
                for t0, folder, uv, uids, ev in r["views"]:
                    for u in uids:
                        g = gone.get((folder, uv, u))
                        if g is not None and g[0] < t0:
                            self.add("stale-view", "UID %d of %s was told EXPUNGEd (%s, at %.6f) %.3f s before "
                                     "this command was sent (at %.6f), and is still in its view after it: %s"
                                     % (u, folder, g[1], g[0], t0 - g[0], t0, ev))
                            break

        # RFC 3501 2.3.2: a new message is \Recent in one session, which is
        # told so by a RECENT response (its count grew) or a SELECT's RECENT.
        # So after a message was added to a folder and the folder was then
        # SELECTed, some session must have been told RECENT > 0 (or shown
        # \Recent) after the addition began.  Checked for the last such
        # addition of each folder, which makes the check weak but free of
        # timing assumptions.
        added = [a for r in self.results for a in r["added"]]
        selects = [x for r in self.results for x in r["selects"]]
        seen = [x for r in self.results for x in r["recent_seen"]]
        for folder in sorted({a[0] for a in added}):
            sel = [x for x in selects if x[0] == folder]
            cand = [a for a in added if a[0] == folder and any(x[1] > a[2] for x in sel)]
            if not cand:
                continue
            last = max(cand, key=lambda a: a[1])
            if not any(f == folder and t >= last[1] for f, t in seen):
                after = min((x for x in sel if x[1] > last[2]), key=lambda x: x[1])
                self.add("recent-none", "%s: a message was added (%s), the folder SELECTed after it (%s), and no "
                         "session was ever told RECENT > 0 or shown \\Recent after that; %d additions to %s, "
                         "%d RECENT > 0 or \\Recent in the whole run"
                         % (folder, last[3], after[2], len([a for a in added if a[0] == folder]), folder,
                            len([x for x in seen if x[0] == folder])))

    def ok(self):
        return not self.errors

    def rate(self):
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self, examples=1, kinds=None):
        """Seed, counts per kind, and per kind (of kinds, or all) the first
        examples with the end of their session's transcript."""
        out = ["seed %s: %d commands in %.2f s (%d connections, largest views %s), %d NO/BAD; errors: %s"
               % (self.seed, self.done, self.elapsed, self.conns,
                  " ".join("%s %d" % kv for kv in sorted(self.maxview.items())), self.nos,
                  ", ".join("%s %d" % kv for kv in sorted(self.kinds.items())) or "none")]
        shown = collections.Counter()
        for e in self.errors:
            if shown[e["kind"]] >= examples or (kinds is not None and e["kind"] not in kinds):
                continue
            shown[e["kind"]] += 1
            out.append("--- %s (session %d, connection %d, command %d): %s"
                       % (e["kind"], e["session"], e["conn"], e["cmd"], e["detail"]))
            out.extend("    " + l for l in e["transcript"][-14:])
        return "\n".join(out)
