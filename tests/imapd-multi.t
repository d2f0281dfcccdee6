#!/usr/bin/env python3
# Two and three posthorn-imapd sessions on one folder, with deliveries by
# posthorn-local and changes by another Maildir tool in between: scripted
# transcripts (tests/imapd-multi/*.txt, format in tests/lib/imapmulti.py)
# of the exact replies each session gets.  Issue 11, "Several sessions on
# one folder": flag changes and expunges reported at NOOP, CHECK, IDLE and
# other commands but never as EXPUNGE during FETCH, STORE or SEARCH;
# commands naming a message expunged meanwhile answer OK; \Recent in
# exactly one session; new keywords announced by * FLAGS first; a larger
# UIDVALIDITY after DELETE + CREATE and RENAME; LSUB's \Noselect parents;
# IDLE while other sessions change the folder.
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from tap import ok, note, done
from imapd import Instance
import imapmulti

# The matcher itself: a wrong reply must not pass.
M = imapmulti
want = M.parse("=== t\nA> NOOP\nA<~ * 1 EXISTS\nA<~ * 0 RECENT\nA<? * OK x\nA< OK ...\n")[0].steps[0].expect["A"][0]
ok(M.match_seq(want, ["* 0 RECENT", "* 1 EXISTS", "OK done"], {}) is not None,
   "matcher: a group in any order, an optional line left out")
ok(M.match_seq(want, ["* 1 EXISTS", "OK done"], {}) is None, "matcher: a missing line fails")
ok(M.match_seq(want, ["* 1 EXISTS", "* 0 RECENT", "* 1 EXPUNGE", "OK done"], {}) is None,
   "matcher: an extra line fails")
ok(M.match_seq(want, ["* 1 EXISTS", "* 0 RECENT", "OK done", "* OK x"], {}) is None, "matcher: order outside a group")
ok(M.match_line("OK [APPENDUID {w>v} 1] ...", "OK [APPENDUID 5 1] done", {"v": "5"}) is None and
   M.match_line("OK [APPENDUID {w>v} 1] ...", "OK [APPENDUID 6 1] done", {"v": "5"}) == {"v": "5", "w": "6"},
   "matcher: {w>v} wants a larger number and binds it")
ok(M.match_line("* OK [UIDVALIDITY {v}] ...", "* OK [UIDVALIDITY 6] x", {"v": "5"}) is None,
   "matcher: a bound name must match the same text again")
ok(M.match_line("* 1 FETCH (UID 4 FLAGS (\\Seen \\Recent))", "* 1 FETCH (FLAGS (\\Recent \\Seen) UID 4)", {})
   is not None and M.match_line("* 1 FETCH (FLAGS (\\Seen))", "* 1 FETCH (FLAGS (\\Seen \\Recent))", {}) is None,
   "matcher: flags compare as sets, FETCH items in any order, nothing more")
ok(M.match_line('* LSUB (\\Noselect) "." a.b', '* LSUB () "." "a.b"', {}) is None and
   M.match_line('* LSUB (\\Noselect) "." a.b', '* LSUB (\\Noselect) "." "a.b"', {}) is not None,
   "matcher: a quoted mailbox name is the atom, attributes count")

inst = Instance()
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
# MULTI_ALL=1: report every step that fails, not only the first of each
# transcript (later steps may then fail because an earlier one did)
runner = imapmulti.Runner(inst, port, keep_going=bool(os.environ.get("MULTI_ALL")))

files = sorted(glob.glob(os.path.join(HERE, "imapd-multi", "*.txt")))
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
