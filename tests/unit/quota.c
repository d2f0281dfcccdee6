/* Unit tests of lib/quota: Maildir++ maildirsize. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "maildir.h"
#include "quota.h"

static char root[] = "/tmp/posthorn-quota-XXXXXX";
static char md[600], sizefile[700];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (f) { fputs(text, f); fclose(f); }
}

static void slurp(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	if (f) { n = fread(out, 1, cap - 1, f); fclose(f); }
	out[n] = 0;
}

/* A message file of n bytes in sub (e.g. "new" or ".Sent/cur"); named with
 * ",S=" when named is set, so the scan must stat the others. */
static void message(const char *sub, const char *base, size_t n, int named)
{
	char path[900];
	FILE *f;
	if (named) snprintf(path, sizeof path, "%s/%s/%s,S=%zu:2,S", md, sub, base, n);
	else snprintf(path, sizeof path, "%s/%s/%s", md, sub, base);
	f = fopen(path, "wb");
	while (f && n--) putc('x', f);
	if (f) fclose(f);
}

int main(void)
{
	struct quota_use use;
	char text[8192];

	if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
	snprintf(md, sizeof md, "%s/m", root);
	snprintf(sizefile, sizeof sizefile, "%s/maildirsize", md);
	maildir_create(md, (uid_t)-1, (gid_t)-1);
	maildir_create_folder(md, "Sent", (uid_t)-1, (gid_t)-1);
	message("new", "1", 100, 1);
	message("cur", "2", 200, 0);
	message(".Sent/cur", "3", 300, 1);

	is_int(quota_check(md, 0, 1000000), 1, "limit 0 means no limit");
	ok(access(sizefile, F_OK) < 0, "no maildirsize made without a limit");

	is_int(quota_read(md, 1000, &use), 0, "quota_read creates maildirsize");
	is_int(use.bytes, 600, "scan counts INBOX new/cur (named and stat'ed) and folders");
	is_int(use.count, 3, "three messages");
	slurp(sizefile, text, sizeof text);
	is_str(text, "1000S\n600 3\n", "maildirsize content");

	is_int(quota_check(md, 1000, 400), 1, "600 + 400 fits 1000");
	is_int(quota_check(md, 1000, 401), 0, "600 + 401 is over 1000");

	is_int(quota_add(md, 1000, 150), 0, "quota_add");
	slurp(sizefile, text, sizeof text);
	is_str(text, "1000S\n600 3\n150 1\n", "one line appended");
	is_int(quota_read(md, 1000, &use), 0, "read back");
	is_int(use.bytes, 750, "sums the lines");
	is_int(use.count, 4, "and the counts");

	put(sizefile, "1000S,10C\n600 3\n-100 -1\n");
	is_int(quota_read(md, 1000, &use), 0, "limit line with a count, negative line");
	is_int(use.bytes, 500, "negative lines subtract");

	put(sizefile, "1000S\n-5000 -10\n");
	is_int(quota_read(md, 1000, &use), 0, "a sum below zero");
	is_int(use.bytes, 0, "is clamped at 0");

	put(sizefile, "2000S\n5 1\n");
	is_int(quota_read(md, 1000, &use), 0, "a different limit in the file");
	is_int(use.bytes, 600, "means a recalculation");
	slurp(sizefile, text, sizeof text);
	is_str(text, "1000S\n600 3\n", "with the new limit line");

	put(sizefile, "1000S\ngarbage\n");
	quota_read(md, 1000, &use);
	is_int(use.bytes, 600, "a malformed line means a recalculation");
	put(sizefile, "1000S\n5 1\n7");
	quota_read(md, 1000, &use);
	is_int(use.bytes, 600, "a cut-off last line means a recalculation");
	put(sizefile, "1000S\n99999999999999999999 1\n");
	quota_read(md, 1000, &use);
	is_int(use.bytes, 600, "an overflowing number means a recalculation");

	/* Grow the file past 5120 bytes: the spec says recalculate. */
	{
		int i;
		put(sizefile, "1000S\n");
		for (i = 0; i < 1500; i++) quota_add(md, 1000, 1);  /* 4 bytes each */
		quota_read(md, 1000, &use);
		is_int(use.bytes, 600, "a file over 5120 bytes is recalculated");
		slurp(sizefile, text, sizeof text);
		is_str(text, "1000S\n600 3\n", "and rewritten short");
	}

	/* Over quota by the file, but messages were deleted behind its back:
	 * a file older than 15 minutes is recalculated before saying no. */
	{
		struct timeval old[2];
		put(sizefile, "1000S\n990 5\n");
		is_int(quota_check(md, 1000, 100), 0, "fresh file that says over quota is believed");
		old[0].tv_sec = old[1].tv_sec = time(0) - 3600;
		old[0].tv_usec = old[1].tv_usec = 0;
		utimes(sizefile, old);
		is_int(quota_check(md, 1000, 100), 1, "stale file is recalculated, and the message fits");
	}

	unlink(sizefile);
	is_int(quota_add(md, 1000, 50), 0, "quota_add without a file");
	slurp(sizefile, text, sizeof text);
	is_str(text, "1000S\n600 3\n", "makes the file from a scan (which includes the new message)");

	{
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd)) {}
	}
	return tap_done();
}
