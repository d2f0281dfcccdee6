/* Unit tests for lib/userdb: write a user list, then look it up the ways
 * smtpd and posthorn-local do; damaged files must be USERDB_CORRUPT, never
 * a crash or a wrong answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb.h>
#include "userdb.h"
#include "tap.h"

static char dir[64], path[128];

static const char *const lines[] = {
	"domain example.org",
	"domain catch.org catchall=bob@catch.org",
	"user alice@example.org hash=$y$j9T$x$y maildir=/m/example.org/alice quota=1000",
	"alias postmaster@example.org to=alice@example.org,root@elsewhere.net",
	"user bob@catch.org maildir=/m/catch.org/bob",
};
#define NLINES (sizeof lines / sizeof lines[0])

static struct userrec *recs;

static void make_records(void)
{
	const char *why;
	size_t i;

	recs = calloc(NLINES, sizeof *recs);
	for (i = 0; i < NLINES; i++)
		if (userrec_parse(&recs[i], lines[i], strlen(lines[i]), &why) < 0) {
			printf("# bad test line %s: %s\n", lines[i], why);
			exit(1);
		}
}

static int get(const char *key, struct userrec *r)
{
	return userdb_get(path, key, strlen(key), r);
}

static int resolve(const char *address, char delim, struct userdb_hit *hit)
{
	struct addr a;
	if (addr_parse(&a, address, strlen(address), ADDR_ALLOW_UTF8) != ADDR_OK) return 99;
	return userdb_resolve(path, &a, delim, hit);
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf = malloc(1 << 20);
	*len = f ? fread(buf, 1, 1 << 20, f) : 0;
	if (f) fclose(f);
	return buf;
}

static void spit(const char *p, const char *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	if (len) fwrite(data, 1, len, f);
	fclose(f);
}

static void check_missing(void)
{
	struct userrec r;
	struct userdb_hit hit;
	struct userrec *all = (void *)1;
	unsigned long n = 99;

	errno = 0;
	is_int(get("alice@example.org", &r), USERDB_TEMP, "missing users.cdb: get is USERDB_TEMP");
	is_int(errno, ENOENT, "  errno ENOENT");
	is_int(resolve("alice@example.org", '+', &hit), USERDB_TEMP, "missing users.cdb: resolve is USERDB_TEMP");
	is_int(userdb_load(path, &all, &n), 0, "missing users.cdb: load is an empty list");
	is_int(n, 0, "  no records");
	userdb_free(all);
}

static void check_lookups(void)
{
	struct userrec r;
	struct userdb_hit hit;

	is_int(userdb_write(path, recs, NLINES), 0, "write users.cdb");
	is_int(get("alice@example.org", &r), USERDB_FOUND, "get alice");
	is_int(r.kind, USERREC_USER, "  a user");
	is_str(r.maildir, "/m/example.org/alice", "  her maildir");
	is_int(r.quota, 1000, "  her quota");
	is_str(r.hash, "$y$j9T$x$y", "  her hash");
	is_int(get("@example.org", &r), USERDB_FOUND, "get @example.org");
	is_int(r.kind, USERREC_DOMAIN, "  a domain");
	is_int(get("carol@example.org", &r), USERDB_NOUSER, "get an unknown key: USERDB_NOUSER");
	is_int(get("", &r), USERDB_NOUSER, "get the empty key: USERDB_NOUSER");

	is_int(resolve("alice@example.org", '+', &hit), USERDB_FOUND, "resolve alice@example.org");
	is_int(hit.how, USERDB_EXACT, "  exact");
	is_str(hit.ext, "", "  no extension");
	is_int(resolve("Alice@EXAMPLE.org", '+', &hit), USERDB_FOUND, "resolve Alice@EXAMPLE.org (case)");
	is_int(hit.how, USERDB_EXACT, "  exact");
	is_int(resolve("Alice+Lists@example.org", '+', &hit), USERDB_FOUND, "resolve Alice+Lists@example.org");
	is_int(hit.how, USERDB_BASE, "  by its base address");
	is_str(hit.ext, "Lists", "  extension kept as written");
	is_str(hit.rec.name, "alice@example.org", "  alice's record");
	is_int(resolve("alice-lists@example.org", '-', &hit), USERDB_FOUND, "resolve with delimiter '-'");
	is_int(hit.how, USERDB_BASE, "  by its base address");
	is_int(resolve("alice+lists@example.org", 0, &hit), USERDB_NOUSER, "no delimiter: alice+lists is nobody");
	is_int(resolve("postmaster@example.org", '+', &hit), USERDB_FOUND, "resolve the alias");
	is_int(hit.rec.kind, USERREC_ALIAS, "  an alias");
	is_int(hit.rec.ntargets, 2, "  with two targets");
	is_int(resolve("carol@example.org", '+', &hit), USERDB_NOUSER, "unknown user in our domain: USERDB_NOUSER");
	is_int(resolve("carol+x@example.org", '+', &hit), USERDB_NOUSER, "unknown user with extension: USERDB_NOUSER");
	is_int(resolve("anyone@catch.org", '+', &hit), USERDB_FOUND, "unknown user in a catch-all domain: found");
	is_int(hit.how, USERDB_CATCHALL, "  by the catch-all");
	is_str(hit.rec.catchall, "bob@catch.org", "  which names bob");
	is_int(resolve("bob+x@catch.org", '+', &hit), USERDB_FOUND, "bob+x@catch.org");
	is_int(hit.how, USERDB_BASE, "  by base, not by the catch-all");
	is_int(resolve("alice@elsewhere.net", '+', &hit), USERDB_NODOMAIN, "not our domain: USERDB_NODOMAIN");
	is_int(resolve("alice@Catch.Org", '+', &hit), USERDB_FOUND, "domain case does not matter");
}

static void check_load(void)
{
	struct userrec *all;
	unsigned long n, i, users = 0;

	is_int(userdb_load(path, &all, &n), 0, "load all records");
	is_int(n, NLINES, "  every record");
	for (i = 0; i < n; i++) users += all[i].kind == USERREC_USER;
	is_int(users, 2, "  two of them users");
	userdb_free(all);
}

static void check_write(void)
{
	struct userrec *two = calloc(2, sizeof *two);
	struct stat st;
	size_t before, after;
	char *old = slurp(path, &before), *now;

	two[0] = recs[2];
	two[1] = recs[2];
	errno = 0;
	is_int(userdb_write(path, two, 2), -1, "write refuses a duplicate key");
	is_int(errno, EEXIST, "  EEXIST");
	now = slurp(path, &after);
	ok(before == after && !memcmp(old, now, before), "  users.cdb unchanged");
	free(now);
	free(old);

	stat(path, &st);
	is_int(st.st_mode & 07777, 0644, "a new users.cdb is mode 0644");
	chmod(path, 0640);
	is_int(userdb_write(path, recs, NLINES), 0, "rewrite users.cdb");
	stat(path, &st);
	is_int(st.st_mode & 07777, 0640, "a rewrite keeps the admin's mode 0640");
	is_int(userdb_write(path, recs, 0), 0, "write an empty list");
	is_int(get("@example.org", &two[0]), USERDB_NOUSER, "  nothing in it");
	is_int(userdb_write(path, recs, NLINES), 0, "write the list again");
	free(two);
}

/* A CDB made here with tinycdb directly, holding one key/value pair. */
static void make_raw(const char *key, const char *value, size_t vlen)
{
	struct cdb_make cm;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cdb_make_start(&cm, fd);
	cdb_make_add(&cm, key, (unsigned)strlen(key), value, (unsigned)vlen);
	cdb_make_finish(&cm);
	close(fd);
}

static void expect_corrupt(const char *what, const char *key)
{
	struct userrec r, *all = 0;
	struct userdb_hit hit;
	unsigned long n = 0;
	char name[200];

	snprintf(name, sizeof name, "%s: get is USERDB_CORRUPT", what);
	is_int(get(key, &r), USERDB_CORRUPT, name);
	snprintf(name, sizeof name, "%s: resolve is USERDB_CORRUPT", what);
	is_int(resolve(key[0] == '@' ? "x@example.org" : key, '+', &hit), USERDB_CORRUPT, name);
	snprintf(name, sizeof name, "%s: load is USERDB_CORRUPT", what);
	is_int(userdb_load(path, &all, &n), USERDB_CORRUPT, name);
	ok(!all && !n, "  and returns no records");
	snprintf(name, sizeof name, "%s: a reason is given", what);
	ok(userdb_corrupt_reason()[0] != 0, name);
	printf("#   reason: %s\n", userdb_corrupt_reason());
}

static void check_corrupt(void)
{
	static char big[USERREC_LINE_MAX + 100];
	size_t len, cut, bad = 0;
	char *good = slurp(path, &len), *noise = malloc(8192);
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	struct userrec r;
	unsigned long n;
	struct userrec *all;
	size_t i;

	for (i = 0; i < 8192; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		noise[i] = (char)x;
	}
	spit(path, noise, 8192);
	expect_corrupt("8 KiB of random bytes", "alice@example.org");
	spit(path, noise, 100);
	expect_corrupt("100 random bytes", "alice@example.org");
	spit(path, "", 0);
	expect_corrupt("empty file", "alice@example.org");

	/* Cut the good file at every length: each must be refused whole. */
	for (cut = 0; cut < len; cut++) {
		spit(path, good, cut);
		if (get("alice@example.org", &r) != USERDB_CORRUPT || userdb_load(path, &all, &n) != USERDB_CORRUPT) {
			if (!bad) printf("#   first cut not refused: %zu of %zu bytes\n", cut, len);
			bad++;
		}
	}
	is_int(bad, 0, "a users.cdb truncated at any length is USERDB_CORRUPT");
	spit(path, good, len / 2);
	expect_corrupt("truncated to half", "alice@example.org");

	make_raw("alice@example.org", "user alice@example.org maildir=relative", 39);
	expect_corrupt("value that does not parse", "alice@example.org");
	make_raw("bob@example.org", "user alice@example.org maildir=/m", 33);
	expect_corrupt("record under the wrong key", "bob@example.org");
	make_raw("@example.org", "user alice@example.org maildir=/m", 33);
	expect_corrupt("user record under a domain key", "@example.org");
	memset(big, 'x', sizeof big);
	memcpy(big, "user a@example.org maildir=/", 28);
	make_raw("a@example.org", big, sizeof big);
	expect_corrupt("value longer than USERREC_LINE_MAX", "a@example.org");

	spit(path, good, len);
	is_int(get("alice@example.org", &r), USERDB_FOUND, "the good file is good again");
	free(good);
	free(noise);
}

static void check_lock(void)
{
	char lockpath[160];
	int fd = userdb_lock(path), other;

	ok(fd >= 0, "userdb_lock takes the lock");
	snprintf(lockpath, sizeof lockpath, "%s.lock", path);
	other = open(lockpath, O_RDWR);
	ok(other >= 0, "  on users.cdb.lock");
	ok(flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK, "  a second writer must wait");
	close(fd);
	ok(flock(other, LOCK_EX | LOCK_NB) == 0, "  and gets it once the first lets go");
	close(other);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/userdb.XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	snprintf(path, sizeof path, "%s/users.cdb", dir);
	make_records();

	check_missing();
	check_lookups();
	check_load();
	check_write();
	check_corrupt();
	check_lock();

	unlink(path);
	snprintf(path, sizeof path, "%s/users.cdb.lock", dir);
	unlink(path);
	rmdir(dir);
	free(recs);
	return tap_done();
}
