"""Generated folders for the SORT and THREAD tests (tests/imapd-sort.t,
tests/imapd-thread.t), and the comparison with a Dovecot oracle.

corpus(n, seed) makes n messages, each with "X-N: k" (k = 1..n, its
number in append order), subjects with Re:/Fwd:/[blob]/(fwd)/[fwd: ]
and encoded words, addresses with and without display names, Dates in
several zones, missing and broken, and References/In-Reply-To chains
with parents outside the folder, duplicates and loops.  Every sent date
and INTERNALDATE is distinct, so the criteria lists the tests send (each
ending in DATE or ARRIVAL) leave no ties for the two servers to break
differently.  Only ASCII text is used in the keys: past ASCII the
servers' i;unicode-casemap differ on purpose (posthorn-imapd(8))."""
import email.utils
import imaplib
import os
import random
import re
import time

BASES = ["hello world", "meeting", "Status report", "lunch?", "patch review", "release 1.2", "x", "_under",
         "zeta", "[blob only]", "", "Alpha beta"]
NAMES = ["Amy Adams", "bob", "\"Carl, Jr.\"", "=?utf-8?q?Dora?=", "", "Eve (E)", "zed", "_x"]
ZONES = ["+0000", "-0500", "+0530", "+1200", "-1000", "GMT", "EST", "PDT"]
ZOFF = {"+0000": 0, "-0500": -300, "+0530": 330, "+1200": 720, "-1000": -600, "GMT": 0, "EST": -300, "PDT": -420}


def subject(rnd):
    s = rnd.choice(BASES)
    for _ in range(rnd.randrange(3)):
        s = rnd.choice(["Re: ", "RE: ", "Fwd: ", "fw: ", "[list] ", "Re[2]: ", "[a][b] Re: "]) + s
    r = rnd.random()
    if r < 0.1:
        s = "[Fwd: %s]" % s
    elif r < 0.2:
        s = s + " (fwd)"
    elif r < 0.3 and s:
        s = "=?utf-8?q?%s?=" % s.replace(" ", "_").replace("?", "=3F")
    elif r < 0.35:
        s = "  " + s.upper() + "\t "
    return s


def address(rnd, k):
    name = rnd.choice(NAMES)
    box = rnd.choice(["amy", "Bob", "carl", "dora", "eve", "z", "_u"]) + str(k % 3)
    dom = rnd.choice(["example.org", "B.example", "a.test"])
    if not name:
        return "%s@%s" % (box, dom)
    return "%s <%s@%s>" % (name, box, dom)


def corpus(n, seed):
    """[(raw bytes, internal date as epoch seconds)]."""
    rnd = random.Random(seed)
    base = 1_600_000_000
    sent = rnd.sample(range(n * 10), n)          # distinct minutes
    arrival = rnd.sample(range(n * 10), n)
    out = []
    for k in range(1, n + 1):
        h = ["X-N: %d" % k]
        if rnd.random() < 0.9:
            h.append("From: " + address(rnd, k))
        if rnd.random() < 0.8:
            h.append("To: " + ", ".join(address(rnd, k + j) for j in range(rnd.randrange(1, 3))))
        if rnd.random() < 0.5:
            h.append("Cc: " + address(rnd, k * 7))
        r = rnd.random()
        t = base + sent[k - 1] * 60
        if r < 0.85:
            z = rnd.choice(ZONES)
            lt = time.gmtime(t + ZOFF[z] * 60)
            h.append("Date: " + time.strftime("%a, %d %b %Y %H:%M:%S ", lt) + z)
        elif r < 0.92:
            h.append("Date: not a date at all")
        h.append("Subject: " + subject(rnd))
        r = rnd.random()
        if r < 0.9:
            h.append("Message-ID: <m%d@corpus>" % k)
        elif r < 0.95 and k > 1:
            h.append("Message-ID: <m%d@corpus>" % rnd.randrange(1, k))   # a duplicate
        parents = []
        if k > 1 and rnd.random() < 0.7:
            p = rnd.randrange(1, k)
            parents = ["<m%d@corpus>" % j for j in sorted(rnd.sample(range(1, p + 1), min(p, rnd.randrange(1, 4))))]
            if rnd.random() < 0.2:
                parents.insert(0, "<gone%d@elsewhere>" % rnd.randrange(5))   # a parent not in the folder
        if rnd.random() < 0.05 and k < n:
            parents.append("<m%d@corpus>" % rnd.randrange(k + 1, n + 1))   # a later one: loops
        if parents:
            if rnd.random() < 0.8:
                h.append("References: " + "\r\n ".join(parents))
            else:
                h.append("In-Reply-To: " + parents[-1])
        body = "body %d\r\n" % k + "x" * rnd.randrange(0, 400) + "\r\n"
        out.append((("\r\n".join(h) + "\r\n\r\n" + body).encode(), base + arrival[k - 1] * 60 + 7))
    return out


def append_all(m, msgs, folder="INBOX"):
    for raw, t in msgs:
        typ, _ = m.append(folder, None, imaplib.Time2Internaldate(t), raw)
        assert typ == "OK"


def files_by_n(maildir):
    """{X-N value: path} of the messages in a Maildir's cur/ and new/."""
    res = {}
    for sub in ("cur", "new"):
        d = os.path.join(maildir, sub)
        for f in os.listdir(d):
            with open(os.path.join(d, f), "rb") as fh:
                m = re.search(rb"^X-N: (\d+)", fh.read(4096), re.M)
            if m:
                res[int(m.group(1))] = os.path.join(d, f)
    return res


def seq_to_n(m):
    """[X-N of message 1, of message 2, ...] as the server m numbers them."""
    typ, dat = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (X-N)])")
    res = {}
    for item in dat:
        if isinstance(item, tuple):
            seq = int(item[0].split()[0])
            res[seq] = int(re.search(rb"X-N: (\d+)", item[1]).group(1))
    return [res[k] for k in sorted(res)]


def command(m, text):
    """A raw command over imaplib: (tagged type, [untagged lines])."""
    tag = m._new_tag()
    m.send(tag + b" " + text.encode() + b"\r\n")
    lines = []
    while True:
        line = m._get_line()
        if line.startswith(tag + b" "):
            return line.split()[1].decode(), lines
        lines.append(line.decode("latin-1"))


def numbers_to_n(text, order):
    """Message numbers in a SORT or THREAD line rewritten to X-N values."""
    return re.sub(r"\d+", lambda k: str(order[int(k.group(0)) - 1]), text)


def hostile(n, seed):
    """n messages for THREAD's worst cases: Message-IDs shared by many
    messages, References and In-Reply-To naming themselves, later
    messages, each other in circles and messages not in the folder;
    empty and bracket-only subjects.  Dates distinct."""
    rnd = random.Random(seed)
    out = []
    for k in range(1, n + 1):
        h = ["X-N: %d" % k]
        if rnd.random() < 0.9:
            h.append("Message-ID: <h%d@x>" % rnd.randrange(1, n // 2 + 2))
        refs = ["<h%d@x>" % rnd.randrange(1, n + 5) for _ in range(rnd.randrange(0, 6))]
        if refs:
            h.append(("References: " if rnd.random() < 0.7 else "In-Reply-To: ") + " ".join(refs))
        h.append("Subject: " + rnd.choice(["a", "Re: a", "b", "Fwd: b", "", "[x]"]))
        t = 1_600_000_000 + k * 61 + rnd.randrange(0, 30) * 600
        h.append("Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)))
        out.append((("\r\n".join(h) + "\r\n\r\nx\r\n").encode(), 1_500_000_000 + k))
    return out


def write_maildir(inst, user, msgs):
    """The messages straight into the Maildir's cur/, named in order, with
    their INTERNALDATEs as mtimes (far faster than APPEND)."""
    cur = os.path.join(inst.maildir(user), "cur")
    for k, (raw, t) in enumerate(msgs):
        path = os.path.join(cur, "%d.w%06d.host:2," % (1_700_000_000 + k, k))
        with open(path, "wb") as f:
            f.write(raw)
        os.utime(path, (t, t))
        inst.own(path)
