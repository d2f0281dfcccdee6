/* Unit tests of lib/msglist (scan, order, sizes, UIDs, relocation, removal,
 * new -> cur) and lib/maillock (exclusive, dies with its process, waits out
 * a brief holder). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "maillock.h"
#include "mdflags.h"
#include "msglist.h"

static char root[] = "/tmp/posthorn-msglist-XXXXXX";

static void put(const char *sub, const char *name, const char *text)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s/%s", root, sub, name);
	f = fopen(p, "w");
	if (f) { fputs(text, f); fclose(f); }
}

static int exists(const char *sub, const char *name)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s/%s", root, sub, name);
	return stat(p, &st) == 0;
}

int main(void)
{
	struct msglist ml;
	char uid[MSGLIST_UID_MAX + 1], p[512], longname[200];
	unsigned long long size;
	int fd, st;
	pid_t pid;

	if (!mkdtemp(root)) return 1;
	snprintf(p, sizeof p, "%s/new", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/cur", root); mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/tmp", root); mkdir(p, 0700);
	put("new", "1700000002.M1P1Q1.h,S=3", "b\n");
	put("cur", "1700000001.M1P1Q1.h,S=5:2,S", "a\nb\n");
	put("cur", "999999999.M1P1Q1.h:2,", "old");
	put("new", ".hidden", "x");
	put("new", "1700000001.M100000P1Q1.h", "later in the same second\n");
	put("new", "1700000001.M99999P1Q1.h", "earlier in the same second\n");
	put("tmp", "1700000003.M1P1Q1.h", "in tmp");
	memset(longname, 'y', 100);
	memcpy(longname, "1700000004.", 11);
	longname[100] = 0;
	put("new", longname, "long\n");

	ok(msglist_scan(&ml, root, 100) == 0, "scan");
	is_int(ml.n, 6, "6 messages: dot files and tmp/ left out");
	is_str(msglist_name(&ml, 0), "999999999.M1P1Q1.h:2,", "oldest first (9-digit time)");
	is_str(msglist_name(&ml, 1), "1700000001.M1P1Q1.h,S=5:2,S", "then by time");
	is_str(msglist_name(&ml, 2), "1700000001.M99999P1Q1.h", "then by microseconds, as numbers");
	is_str(msglist_name(&ml, 3), "1700000001.M100000P1Q1.h", "M99999 before M100000");
	is_str(msglist_name(&ml, 4), "1700000002.M1P1Q1.h,S=3", "new/ and cur/ merged");
	ok(msglist_remove(&ml, 2) == 0 && msglist_remove(&ml, 3) == 0, "remove the two");
	ok(msglist_size(&ml, 1, &size) == 0 && size == 6, "wire size of a\\nb\\n is 6");
	ok(msglist_size(&ml, 0, &size) == 0 && size == 5, "wire size of 'old' is 5 (final CRLF)");
	msglist_uid(&ml, 1, uid);
	is_str(uid, "1700000001.M1P1Q1.h,S=5", "UID: the name before ':'");
	msglist_uid(&ml, 5, uid);
	ok(uid[0] == 'H' && strlen(uid) == 33, "UID of a 100-byte name: hashed");

	/* another program moves message 3 to cur/ with flags: still found */
	snprintf(p, sizeof p, "%s/new/1700000002.M1P1Q1.h,S=3", root);
	{
		char q[512];
		snprintf(q, sizeof q, "%s/cur/1700000002.M1P1Q1.h,S=3:2,RS", root);
		rename(p, q);
	}
	fd = msglist_open(&ml, 4);
	ok(fd >= 0, "a message moved by another program is found again");
	if (fd >= 0) close(fd);
	is_str(msglist_name(&ml, 4), "1700000002.M1P1Q1.h,S=3:2,RS", "under its new name");
	msglist_uid(&ml, 4, uid);
	is_str(uid, "1700000002.M1P1Q1.h,S=3", "with the same UID");

	ok(msglist_remove(&ml, 1) == 0 && !exists("cur", "1700000001.M1P1Q1.h,S=5:2,S"), "remove");
	ok(msglist_remove(&ml, 1) == 0, "removing a removed message is fine");
	ok(msglist_tocur(&ml, 5, MDFLAG_SEEN) == 0, "tocur");
	{
		char n2[220];
		snprintf(n2, sizeof n2, "%s:2,S", longname);
		ok(exists("cur", n2) && !exists("new", longname), "new/NAME moved to cur/NAME:2,S");
	}
	ok(msglist_sync(&ml) == 0, "sync");
	msglist_free(&ml);

	ok(msglist_scan(&ml, root, 2) == 0 && ml.n == 2 && ml.left_out == 1, "max: 2 listed, 1 left out");
	msglist_free(&ml);
	snprintf(p, sizeof p, "%s/nonexistent", root);
	ok(msglist_scan(&ml, p, 10) < 0, "no such folder: -1");

	fd = maillock_take(root, "lock");
	ok(fd >= 0, "lock taken");
	pid = fork();
	if (pid == 0) {
		int f2 = maillock_take(root, "lock");
		_exit(f2 < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a second process gets EWOULDBLOCK");
	close(fd);
	pid = fork();
	if (pid == 0) {
		maillock_take(root, "lock");
		kill(getpid(), SIGKILL);   /* dies holding it */
		_exit(1);
	}
	waitpid(pid, &st, 0);
	fd = maillock_take(root, "lock");
	ok(fd >= 0, "a lock held by a killed process is free");
	if (fd >= 0) close(fd);

	/* maillock_wait: waits out a brief holder, gives up on one that stays */
	snprintf(p, sizeof p, "%s/lock", root);
	{
		int up[2], down[2], f2;   /* child to parent, parent to child */
		char c;
		if (pipe(up) || pipe(down)) diag("pipe failed");
		pid = fork();
		if (pid == 0) {
			int held = maillock_wait(p, 5);
			if (write(up[1], "x", 1) < 0) _exit(1);
			/* held until the parent says, then released as we exit */
			if (read(down[0], &c, 1) < 0) _exit(1);
			_exit(held >= 0 ? 0 : 1);
		}
		if (read(up[0], &c, 1) != 1) diag("child did not start");
		errno = 0;
		f2 = maillock_wait(p, 1);
		ok(f2 < 0 && errno == EWOULDBLOCK, "maillock_wait: a holder that stays: EWOULDBLOCK after the wait");
		if (write(down[1], "x", 1) < 0) diag("write failed");
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the holder had it");
		f2 = maillock_wait(p, 5);
		ok(f2 >= 0, "maillock_wait: taken once the holder is gone");
		if (f2 >= 0) close(f2);
		close(up[0]);
		close(up[1]);
		close(down[0]);
		close(down[1]);
	}

	snprintf(p, sizeof p, "rm -rf '%s'", root);
	if (system(p)) diag("cleanup failed");
	return tap_done();
}
