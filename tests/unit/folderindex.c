/* Unit tests of lib/folderindex and its use by lib/imapstore: the file
 * format and its hostile forms, modseqs of changes made by us and behind
 * our back, expunge records and their bound, rebuilds that never go
 * backwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "folderindex.h"
#include "imapstore.h"

static char root[] = "/tmp/posthorn-folderindex-XXXXXX";

static void put(const char *sub, const char *name)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s/%s", root, sub, name);
	f = fopen(p, "w");
	fputs("Subject: x\n\nbody\n", f);
	fclose(f);
}

static void put_bytes(const char *name, const char *data, size_t len)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", root, name);
	f = fopen(p, "w");
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A hostile copy of good: one byte changed, then the checksum fixed or not. */
static int parses(const char *data, size_t len)
{
	static struct folderindex x;
	int r = folderindex_parse(&x, data, len);
	folderindex_free(&x);
	return r == 0;
}

int main(void)
{
	static struct folderindex x, y;
	static struct store s, s2;
	char *data, *bad, p[512];
	size_t len;
	uint64_t hi, hi2, ms;
	long k;
	unsigned i;

	/* ---- the format ---- */
	folderindex_rebuild(&x, "/nonexistent", 7, 0);
	ok(x.highest > (uint64_t)time(0) << FOLDERINDEX_TIME_SHIFT, "a new index starts above the time floor");
	ok(x.gone_floor == x.highest, "a new index knows no expunges");
	hi = x.highest;
	is_int(folderindex_set(&x, 5, STORE_SEEN), 1, "a new record");
	is_int(folderindex_set(&x, 3, 0), 1, "another, before it");
	is_int(folderindex_set(&x, 3, 0), 0, "same flags: no change");
	ok(x.n == 2 && x.r[0].uid == 3 && x.r[1].uid == 5, "ascending");
	ok(x.r[0].modseq == hi + 2 && x.highest == hi + 2, "each change its own modseq");
	is_int(folderindex_set(&x, 5, STORE_SEEN | STORE_KW(3)), 1, "changed flags");
	ok(x.r[1].modseq == hi + 3 && x.r[1].flags == (STORE_SEEN | STORE_KW(3)), "new modseq and flags");
	ok(folderindex_expunge(&x, 3) == 0 && folderindex_find(&x, 3) < 0, "expunge");
	folderindex_compact(&x);
	ok(x.n == 1 && x.r[0].uid == 5, "compacted");
	ok(x.ng == 1 && x.g[0].lo == 3 && x.g[0].modseq == hi + 4, "recorded with its modseq");
	folderindex_gone(&x, 4, folderindex_next(&x));
	folderindex_gone(&x, 1, folderindex_next(&x));
	ok(x.ng == 2 && x.g[1].lo == 3 && x.g[1].hi == 4, "neighbours join one range");
	folderindex_gone(&x, 2, folderindex_next(&x));
	ok(x.ng == 1 && x.g[0].lo == 1 && x.g[0].hi == 4 && x.g[0].modseq == x.highest, "a gap filled: one range, newest modseq");
	ok(folderindex_format(&x, &data, &len) == 0, "format");
	is_int(len, FOLDERINDEX_HEAD + FOLDERINDEX_REC + FOLDERINDEX_VREC + 8, "its size");
	ok(folderindex_parse(&y, data, len) == 0, "parses back");
	ok(y.validity == 7 && y.highest == x.highest && y.n == 1 && y.r[0].uid == 5 && y.r[0].flags == x.r[0].flags &&
	   y.ng == 1 && y.g[0].hi == 4 && y.gone_floor == x.gone_floor, "the same index");

	/* hostile files: each must be refused, none may crash */
	ok(!parses(data, 0), "empty");
	ok(!parses(data, len - 1), "cut short");
	ok(!parses("PHINDEX1", 8), "a header alone");
	bad = malloc(len + 64);
	for (i = 0; i < len; i++) {
		memcpy(bad, data, len);
		bad[i] ^= 0x41;
		if (parses(bad, len)) break;
	}
	is_int(i, len, "any byte changed: the checksum refuses it");
	memcpy(bad, data, len);
	memcpy(bad + len, data + len - 8, 8);   /* a longer file with a count not changed */
	ok(!parses(bad, len + 8), "size and counts disagree");
	{
		/* well-formed checksum, wrong contents: a hand-made file */
		static struct folderindex z;
		char *d2;
		size_t l2;
		folderindex_rebuild(&z, "/nonexistent", 9, 0);
		folderindex_set(&z, 1, 0);
		folderindex_set(&z, 2, 0);
		z.r[1].uid = 1;   /* not ascending */
		folderindex_format(&z, &d2, &l2);
		ok(!parses(d2, l2), "UIDs not ascending");
		free(d2);
		z.r[1].uid = 2;
		z.r[1].modseq = z.highest + 1;
		folderindex_format(&z, &d2, &l2);
		ok(!parses(d2, l2), "a modseq above HIGHESTMODSEQ");
		free(d2);
		z.r[1].modseq = z.highest;
		z.validity = 0;
		folderindex_format(&z, &d2, &l2);
		ok(!parses(d2, l2), "UIDVALIDITY 0");
		free(d2);
		z.validity = 9;
		z.highest = FOLDERINDEX_MODSEQ_MAX + 1;
		folderindex_format(&z, &d2, &l2);
		ok(!parses(d2, l2), "HIGHESTMODSEQ of 2^63");
		free(d2);
		folderindex_free(&z);
	}
	free(bad);

	/* the bound on expunge ranges: the oldest go, and the floor says so */
	folderindex_rebuild(&y, "/nonexistent", 7, 0);
	y.gone_floor = 0;
	ms = y.highest;
	for (i = 0; i < FOLDERINDEX_VANISHED_MAX + 10; i++) folderindex_gone(&y, 2 * i + 1, folderindex_next(&y));
	is_int(y.ng, FOLDERINDEX_VANISHED_MAX, "at most FOLDERINDEX_VANISHED_MAX ranges");
	ok(y.g[0].lo == 21 && y.gone_floor == ms + 10, "the oldest dropped, the floor at the newest dropped");
	ok(!folderindex_gone_complete(&y, ms + 5) && folderindex_gone_complete(&y, ms + 10), "complete only above it");

	/* ---- in a folder ---- */
	if (!mkdtemp(root)) return 1;
	snprintf(p, sizeof p, "%s/new", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/cur", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/tmp", root); mkdir(p, 0700);
	put("cur", "1000.a.host:2,S");
	put("cur", "1001.b.host:2,");
	put("new", "1002.c.host");
	store_open(&s, root);
	ok(store_sync(&s, 1) == 1 && s.n == 3, "sync");
	hi = store_highestmodseq(&s);
	ok(hi > 0 && s.m[0].modseq && s.m[0].modseq <= hi && s.m[2].modseq <= hi, "every message has a modseq");
	ok(folderindex_read(&x, root) == 1 && x.n == 3 && x.validity == s.ul.validity, "the index is written");
	{
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", root, FOLDERINDEX_FILE);
		ok(stat(p, &st) == 0 && st.st_mtim.tv_sec == s.t_ix.tv_sec && st.st_mtim.tv_nsec == s.t_ix.tv_nsec,
		   "our own index write is no news to the cheap check");
	}
	ok(store_setflags(&s, 1, STORE_FLAGGED, 0) == 0 && s.m[1].modseq > hi, "our STORE: a new modseq");
	hi2 = store_highestmodseq(&s);
	ok(hi2 == s.m[1].modseq, "it is the highest");
	/* another Maildir tool renames a file behind our back */
	snprintf(p, sizeof p, "%s/cur/1000.a.host:2,S", root);
	{
		char q[512];
		snprintf(q, sizeof q, "%s/cur/1000.a.host:2,RS", root);
		rename(p, q);
	}
	store_open(&s2, root);
	ok(store_sync(&s2, 1) == 1 && (s2.m[0].flags & STORE_ANSWERED) && s2.m[0].modseq > hi2,
	   "a rename behind our back gets a new modseq");
	ok(store_sync(&s, 0) == 1 && s.m[0].modseq == s2.m[0].modseq, "the other store sees the same modseq");
	hi2 = store_highestmodseq(&s);
	/* expunge by another tool */
	snprintf(p, sizeof p, "%s/cur/1001.b.host:2,F", root);
	ok(unlink(p) == 0, "a file removed behind our back");
	ok(store_sync(&s, 0) == 1 && s.n == 2 && store_highestmodseq(&s) > hi2, "its expunge takes a modseq");
	ok(s.ix.ng == 1 && s.ix.g[0].lo == 2 && s.ix.g[0].modseq > hi2, "and is recorded");
	/* our own expunge */
	ok(store_begin(&s) == 0 && store_remove(&s, 0) == 0 && store_commit(&s) == 0, "store_remove");
	ok(folderindex_read(&x, root) == 1 && x.n == 1 && x.ng == 1 && x.g[0].lo == 1 && x.g[0].hi == 2,
	   "recorded expunged in one range");
	hi2 = x.highest;
	/* the index deleted: rebuilt, not backwards */
	snprintf(p, sizeof p, "%s/%s", root, FOLDERINDEX_FILE);
	unlink(p);
	store_free(&s);
	store_open(&s, root);
	ok(store_sync(&s, 1) == 1 && store_highestmodseq(&s) > hi2 && s.m[0].modseq > hi2, "deleted: rebuilt above the old");
	hi2 = store_highestmodseq(&s);
	/* corrupt: rebuilt above */
	put_bytes(FOLDERINDEX_FILE, "PHINDEX1 garbage", 16);
	store_free(&s);
	store_open(&s, root);
	ok(store_sync(&s, 1) == 1 && store_highestmodseq(&s) > hi2, "corrupt: rebuilt above the old");
	ok(!folderindex_gone_complete(&s.ix, hi2), "a rebuilt index knows no old expunges");
	hi2 = store_highestmodseq(&s);
	/* both the index and the floor file gone: the time floor, which
	 * holds from the next second on (2^20 modseqs a second) */
	sleep(1);
	snprintf(p, sizeof p, "%s/%s", root, FOLDERINDEX_FLOOR_FILE);
	unlink(p);
	snprintf(p, sizeof p, "%s/%s", root, FOLDERINDEX_FILE);
	unlink(p);
	store_free(&s);
	store_open(&s, root);
	ok(store_sync(&s, 1) == 1 && store_highestmodseq(&s) > hi2, "no index, no floor file: still above");
	k = folderindex_find(&s.ix, s.m[0].uid);
	ok(k >= 0, "the message is in the new index");

	/* a crash between the renames of a STORE and its index write: the
	 * child is killed (SIGKILL) with the lock held and nothing written */
	{
		char q[512];
		pid_t pid;
		int st, all = 1;
		unsigned long j;
		for (i = 0; i < 50; i++) {
			snprintf(q, sizeof q, "2000.k%02u.host:2,", i);
			put("cur", q);
		}
		store_free(&s);
		store_open(&s, root);
		store_sync(&s, 1);
		hi = store_highestmodseq(&s);
		pid = fork();
		if (pid == 0) {
			static struct store c;
			store_open(&c, root);
			store_sync(&c, 1);
			store_begin(&c);
			for (j = 0; j < c.n; j++) store_setflags(&c, j, STORE_SEEN, 0);
			kill(getpid(), SIGKILL);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child was killed in the middle of its STORE");
		store_free(&s);
		store_open(&s, root);
		ok(store_sync(&s, 1) == 1 && store_highestmodseq(&s) > hi, "after it: the index moved on");
		for (j = 0; j < s.n; j++)
			if (!(s.m[j].flags & STORE_SEEN) || s.m[j].modseq <= hi) all = 0;
		ok(all && s.n == 51, "every message it renamed has \\Seen and a modseq above the old highest");
		ok(store_begin(&s) == 0 && store_commit(&s) == 0, "the lock it held is free again");
	}

	store_free(&s);
	store_free(&s2);
	folderindex_free(&x);
	folderindex_free(&y);
	free(data);
	snprintf(p, sizeof p, "rm -rf %s", root);
	if (system(p) != 0) diag("cleanup failed");
	return tap_done();
}
