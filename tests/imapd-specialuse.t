#!/usr/bin/env python3
# posthorn-imapd: SPECIAL-USE and CREATE-SPECIAL-USE (RFC 6154): the uses
# the folder names give, the SPECIAL-USE selection and return options,
# CREATE name (USE (...)) kept in the folder's posthorn-specialuse file,
# [USEATTR] for a use we do not know; transcripts from a raw socket, and
# imaplib.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, is_, done
from imapd import Instance, Raw, alive

inst = Instance(users=[("alice", "alice-pw")])
port = inst.start(env={"IMAPD_CLEARTEXT": "1"})
md = inst.maildir("alice")
r = Raw(port)


def cmd(text):
    out = [l.rstrip("\r\n") for l in r.cmd(text)]
    return out[:-1], out[-1]


cmd("LOGIN alice@example.org alice-pw")
got, _ = cmd("CAPABILITY")
ok(" SPECIAL-USE" in got[0] and " CREATE-SPECIAL-USE" in got[0], "CAPABILITY names SPECIAL-USE and CREATE-SPECIAL-USE")

# RFC 6154 5.3, example 1: CREATE with a use
got, tagged = cmd("CREATE MySpecialArchive (USE (\\Archive))")
ok(tagged == "t OK CREATE completed", "CREATE MySpecialArchive (USE (\\Archive))", tagged)
path = os.path.join(md, ".MySpecialArchive", "posthorn-specialuse")
ok(os.path.exists(path) and open(path).read() == "\\Archive\n", "the use is the line in .MySpecialArchive/posthorn-specialuse",
   open(path).read() if os.path.exists(path) else "missing")
got, tagged = cmd("CREATE Everything (USE (\\all \\Flagged \\All))")
ok(tagged.startswith("t OK"), "CREATE with two uses (any case, the second \\All once)", tagged)
ok(open(os.path.join(md, ".Everything", "posthorn-specialuse")).read() == "\\All\n\\Flagged\n", "both uses kept, canonical")

# RFC 6154 example 2: an unknown use
got, tagged = cmd("CREATE Stuff (USE (\\Fish))")
ok(tagged.startswith("t NO [USEATTR]"), "an unknown use: NO [USEATTR]", tagged)
ok(not os.path.exists(os.path.join(md, ".Stuff")), "and no folder made")
for bad in ("CREATE Stuff (USE \\Sent)", "CREATE Stuff (USE ())", "CREATE Stuff (FOO (\\Sent))", "CREATE Stuff (USE (Sent))",
            "CREATE Stuff (USE (\\Sent) X)", "CREATE Stuff \\Sent"):
    got, tagged = cmd(bad)
    ok(tagged.startswith("t BAD") and not os.path.exists(os.path.join(md, ".Stuff")), "BAD: " + bad, tagged)
alive(r, "bad CREATE parameters")

# RFC 6154 5.1: the SPECIAL-USE selection lists only folders with a use;
# Drafts, Junk, Sent and Trash (posthorn-user made them) by their names
want = ['* LIST (\\Drafts) "." "Drafts"',
        '* LIST (\\All \\Flagged) "." "Everything"',
        '* LIST (\\Junk) "." "Junk"',
        '* LIST (\\Archive) "." "MySpecialArchive"',
        '* LIST (\\Sent) "." "Sent"',
        '* LIST (\\Trash) "." "Trash"']
got, tagged = cmd('LIST (SPECIAL-USE) "" "*"')
is_(got, want, "LIST (SPECIAL-USE) \"\" \"*\" (RFC 6154 5.1)")
got, tagged = cmd('LIST "" "*" RETURN (SPECIAL-USE)')
is_([l for l in got if "\\" in l], want, "RETURN (SPECIAL-USE): the same uses")
ok('* LIST () "." "INBOX"' in got, "RETURN (SPECIAL-USE): INBOX listed, without a use", got)
got, _ = cmd('LIST (SPECIAL-USE) "" "*" RETURN (CHILDREN)')
ok('* LIST (\\HasNoChildren \\Sent) "." "Sent"' in got, "selection and CHILDREN together", got)
got, _ = cmd('LIST "" "Everything"')
is_(got, ['* LIST (\\HasNoChildren \\All \\Flagged) "." "Everything"'], "the basic LIST gives the uses too")

# the file is the folder's: it moves with RENAME, and wins over the name
ok(cmd("RENAME Everything Sent.Old")[1].startswith("t OK"), "RENAME Everything Sent.Old")
got, _ = cmd('LIST (SPECIAL-USE) "" "Sent*"')
is_(got, ['* LIST (\\Sent) "." "Sent"', '* LIST (\\All \\Flagged) "." "Sent.Old"'], "the uses went along")
os.unlink(os.path.join(md, ".Sent.Old", "posthorn-specialuse"))
with open(os.path.join(md, ".Sent", "posthorn-specialuse"), "w") as f:
    f.write("\\Archive\nnonsense\n\\Bogus\n")
got, _ = cmd('LIST (SPECIAL-USE) "" "Sent*"')
is_(got, ['* LIST (\\Archive) "." "Sent"'], "the file over the name; unknown lines skipped")
with open(os.path.join(md, ".Sent", "posthorn-specialuse"), "wb") as f:
    f.write(b"\\Junk" + b"\x00\xff\r" * 5000 + b"\n\\Sent\n")
got, tagged = cmd('LIST (SPECIAL-USE) "" "Sent*"')
ok(tagged.startswith("t OK") and got == [], "a long file of junk: no use read (only its start is read)", got)
r.close()
done()
