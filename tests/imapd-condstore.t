#!/usr/bin/env python3
# CONDSTORE (RFC 7162 3.1) against a real posthorn-imapd: the RFC's examples
# as transcripts (tests/imapd-condstore/*.txt, format in tests/lib/imapmulti.py):
# HIGHESTMODSEQ on SELECT, FETCH MODSEQ and CHANGEDSINCE, STORE UNCHANGEDSINCE
# with [MODIFIED], SEARCH MODSEQ, STATUS HIGHESTMODSEQ, modseqs of changes by
# another session and by another Maildir tool.
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from tap import ok, note, done
from imapd import Instance
import imapmulti

inst = Instance()
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
# MULTI_ALL=1: report every step that fails, not only the first of each
# transcript (later steps may then fail because an earlier one did)
runner = imapmulti.Runner(inst, port, keep_going=bool(os.environ.get("MULTI_ALL")))

files = sorted(glob.glob(os.path.join(HERE, "imapd-condstore", "*.txt")))
only = os.environ.get("MULTI_ONLY")      # a part of a title: run only those
for path in files:
    with open(path) as f:
        scripts = imapmulti.parse(f.read(), os.path.relpath(path, os.path.dirname(HERE)))
    for t in scripts:
        if only and only not in t.title:
            continue
        good, why = runner.run(t)
        ok(good, "%s: %s" % (os.path.basename(path)[:-4], t.title), why)

ok(inst.clean(), "no sanitizer report in the server log", inst.log()[-3000:])
done()
