#!/usr/bin/env python3
# lib/dkim against python3-dkim (dkimpy, Debian's), an independent
# implementation of RFC 6376 and RFC 8463.  The oracle part, under
# /usr/bin/python3 (the one that sees Debian's modules), makes keys (RSA
# 512/1024/2048 with the cryptography module, Ed25519 with nacl, which is
# what dkimpy's ed25519 code imports), builds a corpus of messages, signs
# them with dkimpy and verifies each signature with dkimpy.  Each message is
# then verified by build/tools/dkimverify (lib/dkim, key records from a
# table, the body fed in odd chunk sizes), with CRLF and with bare-LF line
# ends: pass or not must be the same per signature.  Then one-byte changes
# to the body, a signed header, b= and the key's p= must fail in both.
# The corpus: bodies (trailing whitespace, empty, only empty lines, 8-bit,
# no final CRLF, 998-byte lines, bare CR, bare LF) and header sections
# (folded, trailing whitespace, 8-bit, empty values) under the four
# canonicalizations; l=, over-signed h=, From twice, several signatures,
# x= and t=, key records and DKIM-Signature tags in their other forms.
# Where the two differ by design (RFC 8301 policy, clock slack, tags dkimpy
# does not read), the case names the difference and both sides' answers
# are asserted as they are.
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, note, done, ROOT

BUILD = os.environ.get("POSTHORN_BUILD", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD, "tools", "dkimverify")
PY = "/usr/bin/python3"

if not os.path.exists(PY) or subprocess.run([PY, "-c", "import dkim, nacl.signing, cryptography"],
                                            capture_output=True).returncode:
    print("1..0 # SKIP /usr/bin/python3 with python3-dkim, python3-nacl, python3-cryptography is not installed")
    sys.exit(0)
if not os.access(TOOL, os.X_OK):
    print("1..0 # SKIP %s is not built (make all)" % TOOL)
    sys.exit(0)

# The oracle: writes the corpus into argv[1] and prints a manifest, one
# entry per message file: its key table, dkimpy's verdict per signature,
# whether the LF form may be checked too, and a named difference if any.
ORACLE = r'''
import base64, json, os, re, sys, time
import dkim, nacl.signing
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization

out = sys.argv[1]
NOW = int(time.time())

def rsa_key(bits):
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    der = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

def ed_key():
    sk = nacl.signing.SigningKey.generate()
    return base64.b64encode(bytes(sk)), "v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(sk.verify_key)).decode()

KEYS = {}
for sel, bits in (("r2048", 2048), ("r1024", 1024), ("r512", 512)):
    KEYS[sel] = rsa_key(bits)
KEYS["ed"] = ed_key()
TABLE = {sel + "._domainkey.example.org": rec for sel, (_, rec) in KEYS.items()}
# a selector that publishes another key than the one that signed
TABLE["wrong._domainkey.example.org"] = KEYS["r2048"][1]
WRONG_PRIV = rsa_key(2048)[0]
# key records of other forms, all with the RSA-2048 key (or the Ed25519 one)
P = KEYS["r2048"][1].split("p=")[1]
PED = KEYS["ed"][1].split("p=")[1]
der = base64.b64decode(P)
PKCS1 = base64.b64encode(serialization.load_der_public_key(der).public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.PKCS1)).decode()
KEYFORMS = {
    # both accept
    "bare": ("p=" + P, None, None),
    "alltags": ("v=DKIM1; h=sha256:sha1; k=rsa; t=y; s=email; n=a note; foo=bar; p=" + P + ";", None, None),
    "spaced": ("v=DKIM1 ;  k = rsa ;p= " + " ".join(P[i:i + 60] for i in range(0, len(P), 60)) + " ; ", None, None),
    "pkcs1": ("v=DKIM1; k=rsa; p=" + PKCS1, None, None),
    "edspaced": ("v=DKIM1; k=ed25519; p=" + PED[:20] + " " + PED[20:], None, None),
    # both refuse
    "v2": ("v=DKIM2; k=rsa; p=" + P, ["permerror"], None),
    "kdsa": ("v=DKIM1; k=dsa; p=" + P, ["permerror"], None),
    "revoked": ("v=DKIM1; k=rsa; p=", ["permerror"], None),
    "edasrsa": ("v=DKIM1; k=ed25519; p=" + P, ["permerror"], None),
    "tlsrpt": ("v=DKIM1; k=rsa; s=tlsrpt; p=" + P, ["permerror"], None),
    # named differences
    "sha1only": ("v=DKIM1; k=rsa; h=sha1; p=" + P, None,
                 dict(posthorn="permerror", dkimpy=[True],
                      why="the key's h=sha1 excludes rsa-sha256 (RFC 6376 3.6.1); dkimpy ignores the key's h=")),
    "vnotfirst": ("k=rsa; v=DKIM1; p=" + P, None,
                  dict(posthorn="permerror", dkimpy=[True],
                       why="RFC 6376 3.6.1: v= MUST be the first tag; dkimpy takes it anywhere")),
}
for sel, (rec, _, _) in KEYFORMS.items():
    TABLE[sel + "._domainkey.example.org"] = rec

def write_table(path, table):
    with open(path, "w") as f:
        for name, rec in table.items():
            f.write("%s %s\n" % (name, rec))

TABLEFILE = os.path.join(out, "keys")
write_table(TABLEFILE, TABLE)

def lookup(table):
    def txt(name, timeout=5):
        rec = table.get(name.decode().rstrip(".").lower())
        return rec.encode() if rec is not None else None
    return txt

class DKIMx(dkim.DKIM):
    """dkimpy with t= and x= of our choosing (its sign() sets t= to now and
    has no x=), and other tags edited before it signs."""
    t = x = edit = None
    def gen_header(self, fields, *a, **k):
        if self.edit:
            fields = self.edit(fields)
        if self.t is not None:
            fields = [(n, str(self.t).encode()) if n == b"t" else (n, v) for n, v in fields]
        if self.x is not None:
            fields = fields[:-1] + [(b"x", str(self.x).encode())] + fields[-1:]
        return super().gen_header(fields, *a, **k)

HDRS = [b"from", b"to", b"subject", b"date", b"message-id"]

def sign(msg, sel="r2048", canon=("relaxed", "relaxed"), heads=HDRS, length=False, alg=None, t=None, x=None, priv=None,
         edit=None):
    ed = sel.startswith("ed")
    pk = priv or (WRONG_PRIV if sel == "wrong" else KEYS["ed" if ed else sel if sel in KEYS else "r2048"][0])
    alg = alg or (b"ed25519-sha256" if ed else b"rsa-sha256")
    d = DKIMx(msg)
    d.t, d.x, d.edit = t, x, edit
    return d.sign(sel.encode(), b"example.org", pk, signature_algorithm=alg,
                  canonicalize=(canon[0].encode(), canon[1].encode()), include_headers=list(heads), length=length) + msg

def dkimpy(msg, table):
    n = len(re.findall(rb"(?im)^dkim-signature:", msg.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in msg else msg))
    res = []
    for i in range(n):
        try:
            res.append(bool(dkim.DKIM(msg, minkey=1024).verify(idx=i, dnsfunc=lookup(table))))
        except dkim.DKIMException as e:
            res.append(False)
    return res

HEAD = (b"From: Alice <alice@example.org>\r\n"
        b"To: Bob <bob@example.net>\r\n"
        b"Subject: a test message\r\n"
        b"Date: Thu, 03 Dec 2026 14:00:00 +0000\r\n"
        b"Message-ID: <1@example.org>\r\n")
BODIES = {
    "plain": b"Hello Bob,\r\n\r\nRegards, Alice\r\n",
    "trailing whitespace": b"line one   \r\nline two\t\r\n \tindented  \t \r\n",
    "empty body": b"",
    "only empty lines": b"\r\n\r\n\r\n",
    "whitespace-only lines": b"a\r\n \t \r\nb\r\n  \r\n\t\r\n",
    "8-bit": "caf\u00e9 \u00fcber \u2603\r\n".encode() + b"\xff\xfe raw\r\n",
    "no final CRLF": b"first\r\nlast line without end",
    "long lines": b"x" * 998 + b"\r\n" + b"y " * 499 + b"\r\n",
    "bare CR inside a line": b"one\rtwo\r\nthree\r\n",
    "inner whitespace runs": b"a  b\t\tc \t d\r\n\r\n\r\nend\r\n\r\n",
    "bare LF among CRLF": b"crlf\r\nbare lf\nagain\n\ncrlf\r\n",
    "CR CR LF": b"one\r\r\ntwo\r\n",
    "CR at the very end": b"text\r\nends in CR\r",
}
CANONS = [(h, b) for h in ("simple", "relaxed") for b in ("simple", "relaxed")]
HEADERS = {
    "folded subject": HEAD.replace(b"Subject: a test message\r\n",
                                   b"Subject: a test\r\n  of  folding\r\n\tacross three lines\r\n"),
    "trailing whitespace in headers": HEAD.replace(b"Subject: a test message\r\n", b"Subject: a test  \t\r\n")
                                          .replace(b"To: Bob <bob@example.net>\r\n", b"To: Bob <bob@example.net> \r\n"),
    "8-bit header": HEAD.replace(b"Subject: a test message\r\n", "Subject: caf\u00e9 \u2603 test\r\n".encode()),
    "upper-case names, spacing": HEAD.replace(b"Subject: a test message\r\n", b"SUBJECT:a   test\t message\r\n")
                                     .replace(b"From:", b"FROM:"),
    "empty values": HEAD.replace(b"Subject: a test message\r\n", b"Subject:\r\nTo:  \r\n"),
    "whitespace-only continuation line": HEAD.replace(b"Subject: a test message\r\n",
                                                      b"Subject: a test\r\n \t\r\n message\r\n"),
    "long header line": HEAD.replace(b"Subject: a test message\r\n", b"Subject: " + b"s" * 980 + b"\r\n"),
}

cases = []
def add(name, msg, table=None, lf=True, diff=None, mutate=True, want=None):
    cases.append(dict(name=name, msg=msg, table=table, lf=lf, diff=diff, mutate=mutate, want=want))

# every body under every canonicalization, RSA-2048 and Ed25519 in turn
i = 0
for bname, body in BODIES.items():
    for hc, bc in CANONS:
        sel = ("r2048", "ed", "r1024")[i % 3]
        i += 1
        add("%s, %s/%s, %s" % (bname, hc, bc, sel), sign(HEAD + b"\r\n" + body, sel, (hc, bc)),
            lf=b"\r\r\n" not in body and not body.endswith(b"\r"))
# every header variant under every canonicalization
for hname, head in HEADERS.items():
    for hc, bc in CANONS:
        sel = ("r2048", "ed")[i % 2]
        i += 1
        heads = HDRS if b"To:  " not in head else [b"from", b"to", b"subject"]
        add("%s, %s/%s, %s" % (hname, hc, bc, sel), sign(head + b"\r\n" + BODIES["plain"], sel, (hc, bc), heads))
plain = HEAD + b"\r\n" + BODIES["plain"]
# l=: the signed length, then text appended after signing
for hc, bc in CANONS:
    m = sign(plain, "r2048", (hc, bc), length=True)
    add("l=, %s/%s" % (hc, bc), m)
    add("l=, text appended after signing, %s/%s" % (hc, bc), m + b"-- \r\nappended by a list\r\n", mutate=False)
# h= with names over-signed (more than there are fields), and a name absent
add("h= over-signed", sign(plain, "r2048", heads=HDRS + [b"from", b"subject", b"subject", b"reply-to"]))
add("h= over-signed, ed25519, simple", sign(plain, "ed", ("simple", "simple"), heads=HDRS + [b"from", b"to"]))
m = sign(plain, "r2048", heads=HDRS + [b"subject"])
add("h= over-signed, a Subject added after signing fails", m.replace(b"To:", b"Subject: added\r\nTo:", 1), mutate=False,
    want=["fail"])
# From twice
two = b"From: Mallory <m@example.com>\r\n" + plain
add("From twice, both signed (h=from:from)", sign(two, "r2048", heads=HDRS + [b"from"]))
add("From twice, h=from once", sign(two, "r2048"), mutate=False,
    diff=dict(posthorn="pass", dkimpy=[False],
              why="dkimpy signs an extra 'from' on verifying (its bug #644046); RFC 6376 5.4.2 takes "
                  "only the last From; a second From is DMARC's to refuse (RFC 7489 6.6.1)"))
m = sign(plain, "r2048")
add("From added on top after signing (h=from once)", b"From: Mallory <m@example.com>\r\n" + m, mutate=False,
    diff=dict(posthorn="pass", dkimpy=[False],
              why="as above: the unsigned From above the signed one is DMARC's to refuse"))
# several signatures: good and bad
good = sign(plain, "ed")
add("two signatures: good ed25519, good rsa", sign(good, "r2048"), mutate=False)
add("two signatures: bad (wrong key) above good", sign(good, "wrong", ("simple", "simple")), mutate=False,
    want=["fail", "pass"])
bad_bh = sign(HEAD + b"\r\n" + b"another body\r\n", "r1024").split(b"\r\nFrom:")[0] + b"\r\n"
add("three signatures: good, bad body hash, good", sign(bad_bh + good, "r1024", ("simple", "relaxed")), mutate=False,
    want=["pass", "fail", "pass"])
# x= and t=
add("x= expired two days ago", sign(plain, "r2048", t=NOW - 3 * 86400, x=NOW - 2 * 86400), mutate=False,
    want=["permerror"])
add("x= in the future", sign(plain, "r2048", t=NOW - 60, x=NOW + 86400))
add("x= expired an hour ago", sign(plain, "r2048", t=NOW - 7200, x=NOW - 3600), mutate=False,
    diff=dict(posthorn="permerror", dkimpy=[True],
              why="dkimpy allows x= 10 hours of slack; RFC 6376 3.5 says a verifier MAY, lib/dkim does not"))
# key records of other forms
for sel, (rec, want, diff) in KEYFORMS.items():
    add("key record %s: %s" % (sel, rec[:60]), sign(plain, sel), mutate=False, want=want, diff=diff)
# DKIM-Signature tags in other forms
def tag(name, value):
    """An edit: sets tag name to value (appended before b= when absent; removed when value is None)."""
    def f(fields):
        out = [(n, v) for n, v in fields if n != name]
        if value is None:
            return out
        if len(out) < len(fields):
            return [(n, value if n == name else v) for n, v in fields]
        return out[:-1] + [(name, value)] + out[-1:]
    return f
add("c= absent (simple/simple)", sign(plain, "r2048", ("simple", "simple"), edit=tag(b"c", None)))
add("c=relaxed (body simple)", sign(plain, "ed", ("relaxed", "simple"), edit=tag(b"c", b"relaxed")))
add("q= absent, unknown tag, z=", sign(plain, "r2048", edit=lambda f: tag(b"q", None)(tag(b"zz", b"x y")(tag(b"z", b"From:a=20b")(f)))))
add("i= in a subdomain", sign(plain, "r2048", edit=tag(b"i", b"alice@mail.example.org")))
add("i= outside d=", sign(plain, "r2048", edit=tag(b"i", b"alice@example.com")), want=["permerror"], mutate=False)
add("d= in upper case", sign(plain, "ed", edit=tag(b"d", b"EXAMPLE.ORG")))
add("h= folded with spaces", sign(plain, "r2048", edit=tag(b"h", b"from :\r\n\tto: subject\r\n :date:message-id ")),
    want=["pass"])
add("a= in upper case", sign(plain, "r2048", edit=tag(b"a", b"RSA-SHA256")), mutate=False,
    diff=dict(posthorn="pass", dkimpy=[False],
              why="RFC 6376 3.5 a= is ABNF, whose literal strings are case-insensitive (RFC 5234 2.3); "
                  "dkimpy compares bytes"))
add("t= an hour ahead", sign(plain, "r2048", t=NOW + 3600), mutate=False,
    diff=dict(posthorn="permerror", dkimpy=[True],
              why="lib/dkim allows a signer's clock 15 minutes ahead (DKIM_CLOCK_SKEW), dkimpy 10 hours"))
TABLE["strict._domainkey.example.org"] = "v=DKIM1; k=rsa; t=s; p=" + P
add("i= in a subdomain, key t=s", sign(plain, "strict", edit=tag(b"i", b"alice@mail.example.org")), mutate=False,
    diff=dict(posthorn="permerror", dkimpy=[True],
              why="RFC 6376 3.6.1 t=s: i= must be in d= itself; dkimpy does not read the key's t="))
add("i= in d= itself, key t=s", sign(plain, "strict", edit=tag(b"i", b"alice@example.org")))
# RFC 8301 policy
add("rsa-sha1", sign(plain, "r2048", alg=b"rsa-sha1"), mutate=False,
    diff=dict(posthorn="policy", dkimpy=[True],
              why="RFC 8301 3.1: rsa-sha1 MUST NOT be accepted as valid; dkimpy still verifies it"))
# both refuse: dkimpy by its minkey=1024, lib/dkim as policy (RFC 8301 3.2)
add("RSA 512-bit key", sign(plain, "r512"), mutate=False, want=["policy"])
# no empty line after the header section: the body is empty
add("header section only, no empty line", sign(HEAD, "ed", ("simple", "simple")))
add("header section only, no empty line, relaxed", sign(HEAD, "r2048", ("relaxed", "relaxed")))
# LF-only input straight to dkimpy's signer
add("signed from LF input", sign(plain.replace(b"\r\n", b"\n")).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

write_table(TABLEFILE, TABLE)
manifest = []
for k, c in enumerate(cases):
    table = c["table"] or TABLE
    tfile = TABLEFILE
    path = os.path.join(out, "m%03d" % k)
    with open(path, "wb") as f:
        f.write(c["msg"])
    lf = None
    if c["lf"]:
        lf = path + ".lf"
        with open(lf, "wb") as f:
            f.write(c["msg"].replace(b"\r\n", b"\n"))
    manifest.append(dict(name=c["name"], file=path, lf=lf, table=tfile, dkimpy=dkimpy(c["msg"], table),
                         diff=c["diff"], want=c["want"], kind="corpus"))
    if not c["mutate"] or manifest[-1]["dkimpy"] != [True]:
        continue
    msg = c["msg"]
    head, _, body = msg.partition(b"\r\n\r\n")
    sel = re.search(rb"[; \t]s=([a-z0-9]+)", head).group(1).decode()
    muts = []
    # a byte of the (signed part of the) body that is not whitespace
    for j, ch in enumerate(body):
        if ch not in b" \t\r\n":
            muts.append(("body byte", len(head) + 4 + j, ch))
            break
    # the signed From's display name: the last "Alice" of the header section
    j = head.rfind(b"Alice")
    muts.append(("signed header byte", j + 1, head[j + 1]))
    # the middle of b= (its last characters may carry only padding bits)
    mb = re.search(rb"[; \t]b=([A-Za-z0-9+/=\s]+)", head)
    b64 = [p for p in range(mb.start(1), mb.end(1)) if head[p:p+1] not in b" \t\r\n="]
    j = b64[len(b64) // 2]
    muts.append(("b= byte", j, head[j]))
    for what, pos, ch in muts:
        m = bytearray(msg)
        m[pos] = ord("B") if ch == ord("A") else ord("A")
        path2 = "%s.%s" % (path, what.split()[0].replace("=", ""))
        with open(path2, "wb") as f:
            f.write(m)
        manifest.append(dict(name="%s: %s changed" % (c["name"], what), file=path2, lf=None, table=tfile,
                             dkimpy=dkimpy(bytes(m), table), diff=None, want=None, kind="mutation"))
    # the key record's p=, a character in the middle
    name = sel + "._domainkey.example.org"
    rec = table[name]
    p = rec.index("p=") + 2
    j = p + (len(rec) - p) // 2
    t2 = dict(table)
    t2[name] = rec[:j] + ("B" if rec[j] == "A" else "A") + rec[j + 1:]
    tpath = path + ".keys"
    write_table(tpath, t2)
    manifest.append(dict(name="%s: p= byte changed" % c["name"], file=path, lf=None, table=tpath,
                         dkimpy=dkimpy(msg, t2), diff=None, want=None, kind="mutation"))
print(json.dumps(manifest))
'''

work = tempfile.mkdtemp(prefix="dkim-oracle.", dir=BUILD)
try:
    p = subprocess.run([PY, "-c", ORACLE, work], capture_output=True, timeout=120)
    if not ok(p.returncode == 0, "the dkimpy oracle ran", p.stderr.decode("utf-8", "replace")[-3000:]):
        done()
    manifest = json.loads(p.stdout)
    ncorpus = sum(1 for m in manifest if m["kind"] == "corpus")
    ok(ncorpus >= 40, "a corpus of %d messages (>= 40)" % ncorpus)

    def posthorn(path, table):
        r = subprocess.run([TOOL, table, path], capture_output=True, timeout=30)
        if r.returncode:
            return None, r.stderr.decode("utf-8", "replace")
        return [line.split(" ", 3) for line in r.stdout.decode().splitlines()], ""

    for m in manifest:
        got, err = posthorn(m["file"], m["table"])
        if got is None:
            ok(False, m["name"] + ": dkimverify ran", err)
            continue
        ph = [g[2] for g in got]
        mine = [g[2] == "pass" for g in got]
        show = "posthorn: %s\ndkimpy:   %s" % ("; ".join(" ".join(g) for g in got), m["dkimpy"])
        if m["kind"] == "mutation":
            ok(not any(mine) and not any(m["dkimpy"]), m["name"] + ": both fail", show)
            continue
        if m["diff"]:
            d = m["diff"]
            ok(ph == [d["posthorn"]] and m["dkimpy"] == d["dkimpy"],
               "%s: known difference (posthorn %s, dkimpy %s): %s" % (m["name"], d["posthorn"], d["dkimpy"], d["why"]),
               show)
        else:
            ok(len(mine) == len(m["dkimpy"]) and mine == m["dkimpy"],
               "%s: same verdicts %s" % (m["name"], ",".join(ph) or "(no signature)"), show)
        if m["want"]:
            is_(ph, m["want"], m["name"] + ": lib/dkim's results")
        if m["lf"]:
            lf, err = posthorn(m["lf"], m["table"])
            is_(lf, got, m["name"] + ": the same with LF line ends")
    # the corpus must not be all-pass or all-fail: it is a test of both sides
    verdicts = [v for m in manifest if m["kind"] == "corpus" for v in m["dkimpy"]]
    ok(verdicts.count(True) >= 40 and verdicts.count(False) >= 4,
       "dkimpy passed %d and refused %d signatures" % (verdicts.count(True), verdicts.count(False)))
finally:
    shutil.rmtree(work, ignore_errors=True)
done()
