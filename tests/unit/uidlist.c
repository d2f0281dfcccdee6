/* Unit tests of lib/uidlist and lib/imapstore: the list format, UIDs
 * for deliveries, flags in names, keywords, adding messages. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "imapstore.h"
#include "uidlist.h"

static char root[] = "/tmp/posthorn-uidlist-XXXXXX";

static void put(const char *sub, const char *name)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s/%s", root, sub, name);
	f = fopen(p, "w");
	fputs("Subject: x\n\nbody\n", f);
	fclose(f);
}

int main(void)
{
	static struct uidlist l;
	static struct store s;
	char p[512], info[64];
	struct store_adder a;
	uint32_t uid;
	const char *kw[] = {"$Forwarded"};

	ok(uidlist_parse(&l, "1 V5 N4\n1 a\n3 b\n", 16) == 0, "parse");
	ok(l.validity == 5 && l.next == 4 && l.n == 2, "values");
	is_int(uidlist_find(&l, "b", 1), 3, "find");
	is_int(uidlist_find(&l, "c", 1), 0, "not found");
	is_int(uidlist_add(&l, "c", 1), 4, "add gives next");
	ok(uidlist_parse(&l, "1 V5 N3\n3 b\n", 12) < 0, "a UID at or over next is refused");
	ok(uidlist_parse(&l, "1 V5 N9\n3 b\n2 a\n", 16) < 0, "descending UIDs refused");
	ok(uidlist_parse(&l, "1 V5 N9\n3 b", 11) < 0, "unterminated line refused");
	ok(uidlist_parse(&l, "garbage\n", 8) < 0, "garbage refused");
	store_info(STORE_SEEN | STORE_FLAGGED | STORE_KW(1), "PT", info);
	is_str(info, "FPSb", "info letters: ASCII order, P kept, T dropped");

	ok(mkdtemp(root) != 0, "temp dir");
	snprintf(p, sizeof p, "%s/new", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/cur", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/tmp", root); mkdir(p, 0700);
	put("new", "200.a.host");
	put("new", "100.b.host");
	put("cur", "150.c.host:2,S");
	ok(store_open(&s, root) == 0, "open");
	s.claim = 1;
	ok(store_sync(&s, 1) == 1, "sync");
	is_int(s.n, 3, "three messages");
	ok(s.m[0].uid == 1 && s.m[1].uid == 2 && s.m[2].uid == 3, "UIDs 1..3");
	ok(strstr(s.names.s + s.m[0].name, "100.b") && strstr(s.names.s + s.m[2].name, "200.a"), "in delivery order");
	ok(s.m[0].recent && s.m[1].recent && s.m[2].recent, "a new list: all claimed as recent by the first session");
	{
		struct store s2, s3;
		ok(store_open(&s2, root) == 0 && store_open(&s3, root) == 0, "two more stores");
		s2.claim = 1;
		ok(store_sync(&s2, 1) == 1 && s2.n == 3 && !s2.m[0].recent && !s2.m[2].recent, "a second session: none recent");
		put("new", "250.e.host");
		ok(store_sync(&s3, 1) == 1 && s3.n == 4 && s3.m[3].recent && !s3.m[0].recent,
		   "a non-claiming store (EXAMINE, STATUS) sees the unclaimed delivery as recent");
		ok(store_sync(&s2, 0) == 1 && s2.n == 4 && s2.m[3].recent, "the next claiming session claims it");
		ok(store_sync(&s, 0) == 1 && s.n == 4 && !s.m[3].recent && s.m[0].recent, "not recent for the first; its own stay");
		ok(store_sync(&s3, 1) == 1 && !s3.m[3].recent, "claimed: no longer recent for a non-claiming store");
		{
			char q[600];
			snprintf(q, sizeof q, "%s/%s", root, s.names.s + s.m[3].name);
			ok(unlink(q) == 0, "the extra message removed");
		}
		store_free(&s2);
		store_free(&s3);
		ok(store_sync(&s, 0) == 1 && s.n == 3, "three again");
	}
	ok(s.m[1].flags == STORE_SEEN, "flags from the name");
	ok(store_setflags(&s, 0, STORE_ANSWERED, 0) == 0 && strstr(s.names.s + s.m[0].name, "100.b.host:2,R"), "setflags renames");
	is_int(store_sync(&s, 0), 1, "our rename is seen as a change");
	ok(s.m[0].flags == STORE_ANSWERED && s.m[0].uid == 1, "same UID, new flags");
	put("new", "300.d.host");
	ok(store_sync(&s, 0) == 1 && s.n == 4 && s.m[3].uid == 5, "a delivery gets UID 5 (4 was the removed one)");
	ok(store_keyword(&s, "Work", 1) == 0 && store_keyword(&s, "work", 0) == 0, "keyword created, found in any case");
	ok(store_add_begin(&a, root) == 0, "adder");
	snprintf(p, sizeof p, "%s/cur/", root);
	{
		char src[600];
		snprintf(src, sizeof src, "%s/%s", root, s.names.s + s.m[1].name);
		ok(store_add(&a, src, STORE_ADD_LINK, STORE_SEEN, kw, 1, 0, &uid) == 0 && uid == 6, "COPY by link: UID 6");
	}
	ok(store_add_end(&a) == 0, "adder end");
	ok(store_sync(&s, 0) == 1 && s.n == 5 && s.m[4].flags == (STORE_SEEN | STORE_KW(1)), "copy with \\Seen and keyword b");
	ok(store_remove(&s, 0) == 0 && store_sync(&s, 0) == 1 && s.n == 4 && s.m[0].uid == 2, "remove");
	/* a removed message's record goes at the next write, not before */
	ok(uidlist_read(&l, root) == 0 && l.next == 7 && l.n == 5 && l.recent == 7, "list on disk: next 7, 5 records, R 7");
	uidlist_free(&l);
	store_free(&s);
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd)) diag("cleanup failed");
	}
	return tap_done();
}
