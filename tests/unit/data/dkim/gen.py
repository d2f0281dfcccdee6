#!/usr/bin/python3
# Generates vectors.h, the DKIM test vectors of tests/unit/dkim.c, with the
# python3-dkim module (Debian's, so run it with /usr/bin/python3) as the
# independent signer.  Keys are made fresh on each run; the output is
# committed, so the unit test needs no Python.  Run: /usr/bin/python3 gen.py
import base64, subprocess, tempfile, os, dkim, nacl.signing

def rsa_key(bits):
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                          "-pkeyopt", "rsa_keygen_bits:%d" % bits],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"],
                         input=pem, check=True, capture_output=True).stdout
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

def ed_key():
    sk = nacl.signing.SigningKey.generate()
    return (base64.b64encode(bytes(sk)),
            "v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(sk.verify_key)).decode())

rsa2048, rsa2048_rec = rsa_key(2048)
rsa1024, rsa1024_rec = rsa_key(1024)
rsa512, rsa512_rec = rsa_key(512)
rsa4096, rsa4096_rec = rsa_key(4096)
ed, ed_rec = ed_key()

keys = [
    ("r2048._domainkey.example.org", rsa2048_rec),
    ("r1024._domainkey.example.org", rsa1024_rec),
    ("r512._domainkey.example.org", rsa512_rec),
    ("r4096._domainkey.example.org", rsa4096_rec),
    # the unit test's resolver puts a record that does not parse before this one
    ("multi._domainkey.example.org", rsa2048_rec),
    ("ed._domainkey.example.org", ed_rec),
    ("ed._domainkey.example.net", ed_rec),
    # the same RSA key, published with t=y and with an h= that excludes sha256
    ("testing._domainkey.example.org", rsa2048_rec.replace("k=rsa;", "k=rsa; t=y;")),
    ("sha1only._domainkey.example.org", rsa2048_rec.replace("k=rsa;", "k=rsa; h=sha1;")),
    ("revoked._domainkey.example.org", "v=DKIM1; k=rsa; p="),
    ("wrongk._domainkey.example.org", rsa2048_rec.replace("k=rsa", "k=ed25519")),
]

base = (b"From: Alice <alice@example.org>\r\n"
        b"To: Bob <bob@example.net>\r\n"
        b"Subject: a test   of\r\n\tDKIM  folding\r\n"
        b"Date: Thu, 03 Dec 2026 14:00:00 +0000\r\n"
        b"Message-ID: <1@example.org>\r\n"
        b"\r\n")
body = (b"Hello Bob,\r\n"
        b"  this line has \t  odd   spacing   \r\n"
        b"\r\n"
        b"Regards, Alice\r\n"
        b"\r\n\r\n")
hdrs = [b"from", b"to", b"subject", b"date", b"message-id"]

def sign(msg, sel, key, alg=b"rsa-sha256", canon=(b"relaxed", b"relaxed"),
         length=False, dom=b"example.org", heads=hdrs):
    return dkim.sign(msg, sel, dom, key, signature_algorithm=alg,
                     canonicalize=canon, include_headers=heads, length=length)

vectors = []   # (name, message, [expected results in header order])
def add(name, msg, results):
    vectors.append((name, msg, results))

m = base + body
add("rsa2048 relaxed/relaxed", sign(m, b"r2048", rsa2048) + m, ["pass"])
add("rsa2048 simple/simple", sign(m, b"r2048", rsa2048, canon=(b"simple", b"simple")) + m, ["pass"])
add("rsa2048 simple/relaxed", sign(m, b"r2048", rsa2048, canon=(b"simple", b"relaxed")) + m, ["pass"])
add("rsa1024 relaxed/simple", sign(m, b"r1024", rsa1024, canon=(b"relaxed", b"simple")) + m, ["pass"])
add("rsa4096 relaxed/relaxed", sign(m, b"r4096", rsa4096) + m, ["pass"])
add("two key records, one bad", sign(m, b"multi", rsa2048) + m, ["pass"])
add("ed25519 relaxed/relaxed", sign(m, b"ed", ed, alg=b"ed25519-sha256") + m, ["pass"])
add("ed25519 simple/simple", sign(m, b"ed", ed, alg=b"ed25519-sha256", canon=(b"simple", b"simple")) + m, ["pass"])
s = sign(m, b"r2048", rsa2048, length=True)
add("l= with text appended", s + m + b"appended after signing\r\n", ["pass"])
s = sign(m, b"r2048", rsa2048, canon=(b"simple", b"simple"), length=True)
add("l= simple with text appended", s + m + b"more\r\n", ["pass"])
e = base
add("empty body relaxed", sign(e, b"r2048", rsa2048) + e, ["pass"])
add("empty body simple", sign(e, b"r2048", rsa2048, canon=(b"simple", b"simple")) + e, ["pass"])
add("ed25519 empty body", sign(e, b"ed", ed, alg=b"ed25519-sha256", canon=(b"simple", b"simple")) + e, ["pass"])
two = sign(m, b"ed", ed, alg=b"ed25519-sha256", dom=b"example.net") + sign(m, b"r2048", rsa2048) + m
add("two signatures", two, ["pass", "pass"])
# h= names a field twice and one that is absent: the second instance and
# the null string (RFC 6376 5.4.2)
m2 = base.replace(b"Subject:", b"X-Tag: one\r\nX-Tag:  two \r\n\r\nSubject:") + body
add("h= repeated and absent", sign(m2, b"r2048", rsa2048, heads=hdrs + [b"x-tag", b"x-tag", b"x-tag", b"reply-to"]) + m2, ["pass"])
add("rsa-sha1", sign(m, b"r2048", rsa2048, alg=b"rsa-sha1") + m, ["policy"])
add("rsa 512 bits", sign(m, b"r512", rsa512) + m, ["policy"])
add("key t=y", sign(m, b"testing", rsa2048) + m, ["pass"])
add("key h=sha1", sign(m, b"sha1only", rsa2048) + m, ["permerror"])
add("key revoked", sign(m, b"revoked", rsa2048) + m, ["permerror"])
add("key k= mismatch", sign(m, b"wrongk", rsa2048) + m, ["permerror"])
add("no key record", sign(m, b"missing", rsa2048) + m, ["permerror"])
add("dns temporary failure", sign(m, b"tempfail", rsa2048) + m, ["temperror"])

# Check every vector against python3-dkim itself, so a wrong expectation
# here cannot hide a bug there.
def dnsfunc(name, timeout=5):
    for n, r in keys:
        if n.encode() + b"." == name or n.encode() == name:
            return r.encode()
    return None
for name, msg, res in vectors:
    if res == ["pass"]:
        assert dkim.verify(msg, dnsfunc=dnsfunc), name

def c(b):
    out, col = ['"'], 0
    for ch in b:
        if ch == 10:
            out.append('\\n"\n\t"')
        elif ch == 13:
            out.append("\\r")
        elif ch in (34, 92):
            out.append("\\" + chr(ch))
        elif ch == 9:
            out.append("\\t")
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)
    out.append('"')
    return "".join(out)

with open("vectors.h", "w") as f:
    f.write("/* Generated by tests/unit/data/dkim/gen.py with python3-dkim; do not edit. */\n")
    f.write("struct dkim_keyrec { const char *name, *txt; };\n")
    f.write("static const struct dkim_keyrec keyrecs[] = {\n")
    for n, r in keys:
        f.write("\t{%s, %s},\n" % (c(n.encode()), c(r.encode())))
    f.write("};\n\nstruct dkim_vector { const char *name, *msg, *want[2]; };\n")
    f.write("static const struct dkim_vector vectors[] = {\n")
    for name, msg, res in vectors:
        w = ", ".join('"%s"' % r for r in res)
        f.write("\t{%s,\n\t%s,\n\t{%s}},\n" % (c(name.encode()), c(msg), w))
    f.write("};\n")
print("wrote", len(vectors), "vectors")
