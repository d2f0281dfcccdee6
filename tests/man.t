#!/usr/bin/env python3
# Docs are part of done: every program in cmd/ has a man page, every page in
# man/ is clean under mandoc -Tlint, and each renders.
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done, ROOT

pages = sorted(glob.glob(os.path.join(ROOT, "man/*.[1-8]")))
ok(len(pages) >= 5, "man pages exist (%d)" % len(pages))
names = {os.path.basename(p) for p in pages}
for need in ("posthorn.7", "posthorn-users.5", "posthorn-rules.5"):
    ok(need in names, "man/%s exists" % need)

for c in sorted(glob.glob(os.path.join(ROOT, "cmd/*"))):
    n = os.path.basename(c)
    if n.endswith(".h"):
        continue
    n = n[:-2] if n.endswith(".c") else n
    ok(any(x.startswith("posthorn-%s." % n) for x in names), "cmd/%s has a man page" % n)

for p in pages:
    lint = subprocess.run(["mandoc", "-Tlint", "-Wwarning", p], capture_output=True, text=True)
    is_((lint.returncode, lint.stdout + lint.stderr), (0, ""), "mandoc -Tlint %s" % os.path.basename(p))
    out = subprocess.run(["mandoc", "-Tutf8", p], capture_output=True, text=True)
    # Strip the terminal's overstrike bold (X\bX) so section names can be matched.
    text = re.sub(".\b", "", out.stdout)
    ok(out.returncode == 0 and "NAME" in text and len(text) > 300, "%s renders" % os.path.basename(p))

done()
