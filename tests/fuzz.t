#!/usr/bin/env python3
# Fuzz smoke run: builds every libFuzzer target (tests/fuzz/*.c) and runs each
# for a few seconds from its seeds.  A crash, sanitizer report or leak fails
# the test.  `make fuzz` runs the same targets for longer.
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tap import ok, note, done, ROOT, SANITIZER

SECONDS = int(os.environ.get("POSTHORN_FUZZ_SECONDS", "3"))

if SANITIZER:
    # The sanitizer pass of `make test` runs the same file; fuzzing once is enough.
    print("1..0 # SKIP fuzz smoke runs in the normal pass only")
    sys.exit(0)

targets = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(ROOT, "tests/fuzz/*.c")))
ok(len(targets) >= 3, "fuzz targets exist: %s" % " ".join(targets))

build = subprocess.run(["make", "-s", "-C", ROOT, "fuzz-build"], capture_output=True, text=True)
ok(build.returncode == 0, "make fuzz-build", build.stdout + build.stderr)

for t in targets:
    binary = os.path.join(ROOT, "build/fuzz", t)
    seeds = os.path.join(ROOT, "tests/fuzz/seeds", t)
    corpus = os.path.join(ROOT, "build/fuzz", "corpus-" + t)
    os.makedirs(corpus, exist_ok=True)
    args = [binary, "-max_total_time=%d" % SECONDS, "-max_len=4096", "-timeout=10",
            "-artifact_prefix=" + os.path.join(ROOT, "build/fuzz", t + "-"), corpus]
    if os.path.isdir(seeds):
        args.append(seeds)
    p = subprocess.run(args, capture_output=True, text=True, timeout=SECONDS + 120)
    tail = "\n".join(p.stderr.splitlines()[-15:])
    ok(p.returncode == 0, "fuzz %s for %ds: no crash" % (t, SECONDS), tail)
    runs = [l for l in p.stderr.splitlines() if l.startswith("Done ")]
    if runs:
        note("%s: %s" % (t, runs[-1]))

done()
