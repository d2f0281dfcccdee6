/* Unit tests of lib/uidlist's UIDVALIDITY record (uidlist_fresh_validity):
 * strictly larger every time, per Maildir, across a folder removed and
 * made again, found from every form of a folder's path, durable in the
 * Maildir's record, distinct across processes at once, and refusing when
 * the numbers are used up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "uidlist.h"

static char root[] = "/tmp/posthorn-uidvalidity-XXXXXX";

static uint32_t fresh(const char *dir)
{
	int fd = uidlist_lock(dir);
	uint32_t v;
	if (fd < 0) return 0;
	v = uidlist_fresh_validity(dir, fd);
	close(fd);
	return v;
}

static unsigned long record(void)
{
	char p[512], buf[32] = {0};
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", root, UIDLIST_VALIDITY_FILE);
	if (!(f = fopen(p, "r"))) return 0;
	if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
	fclose(f);
	return strlen(buf) == 11 && buf[10] == '\n' ? strtoul(buf, 0, 10) : 0;
}

static void put(const char *name, const char *text)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", root, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char a[512], p[512];
	uint32_t v1, v2, v3, v4;
	int i, bad;

	ok(mkdtemp(root) != 0, "temp Maildir");
	snprintf(a, sizeof a, "%s/.a", root);
	mkdir(a, 0700);

	v1 = fresh(a);
	v2 = fresh(a);
	ok(v1 && v2 > v1, "two in a row: the second larger");
	is_int(record(), v2, "the Maildir's record holds the last, as ten digits and LF");
	v3 = fresh(root);
	ok(v3 > v2, "INBOX (the Maildir itself) shares the record");

	/* the folder removed and made again: its lock file is gone */
	snprintf(p, sizeof p, "rm -rf %s/.a", root);
	ok(system(p) == 0, "folder removed");
	mkdir(a, 0700);
	v4 = fresh(a);
	ok(v4 > v3, "made again within the same second: larger still");

	/* every spelling of the folder's path finds the same Maildir */
	snprintf(p, sizeof p, "%s/.a/", root);
	ok(fresh(p) > v4, "a path with a trailing slash");
	ok(chdir(root) == 0, "into the Maildir");
	v1 = fresh(".a");
	ok(v1 > v4 && record() == v1, "a relative .a: the record in .");
	v2 = fresh(".");
	ok(v2 > v1 && record() == v2, "INBOX as .");
	snprintf(p, sizeof p, "%s/sub", root);
	mkdir(p, 0700);
	ok(fresh("sub") != 0 && record() == v2, "a directory without a leading dot is a Maildir of its own");
	snprintf(p, sizeof p, "%s/sub/%s", root, UIDLIST_VALIDITY_FILE);
	ok(access(p, F_OK) == 0, "  with a record of its own");

	/* the folder's lock file can only raise it */
	v1 = record();
	put(".a/" UIDLIST_LOCK, "4000000000\n");
	v2 = fresh(".a");
	is_int(v2, 4000000001UL, "a folder that had a larger one: above it");
	is_int(record(), 4000000001UL, "and the record follows");

	/* garbage in the record (a hand edit) is rewritten */
	put(UIDLIST_VALIDITY_FILE, "junk\n");
	mkdir(".b", 0700);
	v3 = fresh(".b");
	ok(v3 && record() == v3, "a record that holds no number: rewritten");

	/* used up */
	put(UIDLIST_VALIDITY_FILE, "4294967295\n");
	errno = 0;
	ok(fresh(".a") == 0 && errno == ERANGE, "after 4294967295: 0 with ERANGE, never a wrap");
	put(UIDLIST_VALIDITY_FILE, "0000000100\n");

	/* several processes at once: no number twice */
	{
		int pfd[2];
		uint32_t got[4 * 50];
		size_t n = 0;
		ssize_t r;
		if (pipe(pfd) < 0) return 1;
		for (i = 0; i < 4; i++) {
			if (fork() == 0) {
				char d[16];
				int k;
				close(pfd[0]);
				snprintf(d, sizeof d, ".p%d", i);
				mkdir(d, 0700);
				for (k = 0; k < 50; k++) {
					uint32_t v = fresh(d);
					if (write(pfd[1], &v, sizeof v) != sizeof v) _exit(1);
				}
				_exit(0);
			}
		}
		close(pfd[1]);
		while (n < 200 && (r = read(pfd[0], &got[n], sizeof got[0])) == sizeof got[0]) n++;
		close(pfd[0]);
		while (wait(0) > 0) {}
		bad = n != 200;
		for (i = 0; i < (int)n && !bad; i++) {
			size_t j;
			if (!got[i]) bad = 1;
			for (j = 0; j < (size_t)i; j++)
				if (got[j] == got[i]) bad = 1;
		}
		ok(!bad, "4 processes, 50 each, at once: 200 different UIDVALIDITYs");
	}

	ok(chdir("/") == 0, "out");
	snprintf(p, sizeof p, "rm -rf %s", root);
	ok(system(p) == 0, "clean up");
	return tap_done();
}
