/*
 * quota: Maildir++ "maildirsize"; contract in quota.h.
 *
 * The file is an estimate that many writers append to without a lock, as
 * the Maildir++ quota spec (Courier's README.maildirquota) intends: an
 * append racing a recalculation may be lost, and the next recalculation
 * repairs it.  A recalculation counts every message in new/ and cur/ of the
 * INBOX and of every folder, Trash included (a deleted message still takes
 * disk space until it is expunged).  Deletions by other programs may append
 * negative lines; sums are clamped at zero.
 *
 * Recalculation happens when the file is missing, malformed, longer than
 * QUOTA_FILE_MAX, carries a different limit, or -- per the spec -- when a
 * delivery would go over quota and the file is older than QUOTA_STALE
 * seconds (someone may have deleted mail without telling us).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fmt.h>
#include <scan.h>
#include <stralloc.h>
#include "durable.h"
#include "quota.h"

#define QUOTA_FILE "maildirsize"
#define QUOTA_FILE_MAX 5120     /* the spec's recalculation threshold */
#define QUOTA_STALE (15 * 60)   /* seconds */
#define QUOTA_SCAN_DEPTH 2      /* INBOX, then its folders */

static int path_of(stralloc *out, const char *maildir, const char *name)
{
	if (!stralloc_copys(out, maildir) || !stralloc_cats(out, "/") || !stralloc_cats(out, name) ||
	    !stralloc_0(out)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The size from a ",S=NNN" field of a Maildir file name, before any ":2,". */
static int size_from_name(const char *name, unsigned long long *size)
{
	const char *p = name;
	for (;;) {
		const char *s = strstr(p, ",S=");
		size_t n;
		if (!s) return 0;
		{
			const char *colon = strchr(name, ':');
			if (colon && colon < s) return 0;
		}
		n = scan_ulonglong(s + 3, size);
		if (n && (s[3 + n] == 0 || s[3 + n] == ',' || s[3 + n] == ':')) return 1;
		p = s + 3;
	}
}

/* Adds up the messages in dir (a new/ or cur/). */
static int scan_subdir(const char *dir, struct quota_use *use)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	stralloc p = {0};

	if (!d) return errno == ENOENT ? 0 : -1;
	while ((errno = 0, de = readdir(d))) {
		unsigned long long size;
		if (de->d_name[0] == '.') continue;
		if (!size_from_name(de->d_name, &size)) {
			struct stat st;
			if (path_of(&p, dir, de->d_name) < 0) break;
			/* A message expunged while we scan is simply not counted. */
			if (stat(p.s, &st) < 0 || !S_ISREG(st.st_mode)) continue;
			size = (unsigned long long)st.st_size;
		}
		use->bytes += size;
		use->count++;
	}
	{
		int e = errno;
		closedir(d);
		stralloc_free(&p);
		errno = e;
		return e ? -1 : 0;
	}
}

static int scan_maildir(const char *dir, struct quota_use *use)
{
	stralloc p = {0};
	int r = -1;

	if (path_of(&p, dir, "new") < 0 || scan_subdir(p.s, use) < 0) goto out;
	if (path_of(&p, dir, "cur") < 0 || scan_subdir(p.s, use) < 0) goto out;
	r = 0;
out:
	{ int e = errno; stralloc_free(&p); errno = e; }
	return r;
}

/* INBOX plus every Maildir++ folder (".NAME" directories). */
static int scan_all(const char *maildir, struct quota_use *use)
{
	DIR *d;
	struct dirent *de;
	stralloc p = {0};
	int r = 0;

	use->bytes = use->count = 0;
	if (scan_maildir(maildir, use) < 0) return -1;
	d = opendir(maildir);
	if (!d) return -1;
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] != '.' || !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
		if (path_of(&p, maildir, de->d_name) < 0) { r = -1; break; }
		if (lstat(p.s, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
		if (scan_maildir(p.s, use) < 0) { r = -1; break; }
	}
	if (!de && errno) r = -1;
	{ int e = errno; closedir(d); stralloc_free(&p); errno = e; }
	return r;
}

/* Writes a fresh maildirsize: the limit line and one line with the totals. */
static int recalc(const char *maildir, unsigned long long limit, struct quota_use *use)
{
	char buf[2 * FMT_ULONG + 8 + 2 * FMT_ULONG];
	stralloc path = {0};
	size_t n = 0;
	int r;

	if (scan_all(maildir, use) < 0) return -1;
	n += fmt_ulonglong(buf + n, limit);
	buf[n++] = 'S';
	buf[n++] = '\n';
	n += fmt_ulonglong(buf + n, use->bytes);
	buf[n++] = ' ';
	n += fmt_ulonglong(buf + n, use->count);
	buf[n++] = '\n';
	if (path_of(&path, maildir, QUOTA_FILE) < 0) return -1;
	r = durable_write(path.s, buf, n, 0600);
	{ int e = errno; stralloc_free(&path); errno = e; }
	return r;
}

/* Reads a signed decimal; returns the bytes used (0: none). */
static size_t scan_signed(const char *s, long long *v)
{
	unsigned long long u;
	size_t neg = *s == '-', n = scan_ulonglong(s + neg, &u);
	if (!n || u > (unsigned long long)LLONG_MAX) return 0;
	*v = neg ? -(long long)u : (long long)u;
	return neg + n;
}

/* The limit line: "NNNS", "NNNS,MMMC" or "MMMC,NNNS".  A line without S
 * has no byte limit, which is limit 0 in our terms. */
static int parse_limit(const char *s, size_t len, unsigned long long *limit)
{
	size_t i = 0;
	*limit = 0;
	while (i < len) {
		unsigned long long v;
		size_t n = scan_ulonglong(s + i, &v);
		if (!n || i + n >= len) return -1;
		i += n;
		if (s[i] == 'S') *limit = v;
		else if (s[i] != 'C') return -1;
		i++;
		if (i < len && s[i++] != ',') return -1;
	}
	return 0;
}

/* Parses the whole file; -1 when it must be recalculated. */
static int parse_file(const char *text, size_t len, unsigned long long want, struct quota_use *use)
{
	long long bytes = 0, count = 0;
	unsigned long long limit;
	size_t i = 0, eol;

	for (eol = 0; eol < len && text[eol] != '\n'; eol++)
		;
	if (eol == len || parse_limit(text, eol, &limit) < 0 || limit != want) return -1;
	for (i = eol + 1; i < len; i = eol + 1) {
		long long b, c;
		size_t n, m;
		for (eol = i; eol < len && text[eol] != '\n'; eol++)
			;
		if (eol == len) return -1;      /* an append cut short */
		n = scan_signed(text + i, &b);
		if (!n) return -1;
		while (text[i + n] == ' ') n++;
		m = scan_signed(text + i + n, &c);
		if (!m || i + n + m != eol) return -1;
		if ((b > 0 && bytes > LLONG_MAX - b) || (b < 0 && bytes < LLONG_MIN - b) ||
		    (c > 0 && count > LLONG_MAX - c) || (c < 0 && count < LLONG_MIN - c))
			return -1;
		bytes += b;
		count += c;
	}
	use->bytes = bytes < 0 ? 0 : (unsigned long long)bytes;
	use->count = count < 0 ? 0 : (unsigned long long)count;
	return 0;
}

/* Reads maildirsize; *mtime gets its age stamp.  1 parsed, 0 must recalc. */
static int read_file(const char *maildir, unsigned long long limit, struct quota_use *use, time_t *mtime)
{
	char text[QUOTA_FILE_MAX + 1];
	stralloc path = {0};
	struct stat st;
	size_t len = 0;
	int fd;

	if (path_of(&path, maildir, QUOTA_FILE) < 0) return -1;
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	stralloc_free(&path);
	if (fd < 0) return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0) { int e = errno; close(fd); errno = e; return -1; }
	*mtime = st.st_mtime;
	while (len < sizeof text) {
		ssize_t r = read(fd, text + len, sizeof text - len);
		if (r < 0) {
			if (errno == EINTR) continue;
			{ int e = errno; close(fd); errno = e; }
			return -1;
		}
		if (r == 0) break;
		len += (size_t)r;
	}
	close(fd);
	if (len > QUOTA_FILE_MAX) return 0;
	return parse_file(text, len, limit, use) == 0;
}

static int quota_get(const char *maildir, unsigned long long limit, struct quota_use *use, time_t *mtime)
{
	int r = read_file(maildir, limit, use, mtime);
	if (r != 0) return r < 0 ? -1 : 0;
	*mtime = time(0);
	return recalc(maildir, limit, use);
}

int quota_read(const char *maildir, unsigned long long limit_bytes, struct quota_use *use)
{
	time_t mtime;
	return quota_get(maildir, limit_bytes, use, &mtime);
}

static int fits(const struct quota_use *use, unsigned long long limit, unsigned long long size)
{
	return use->bytes <= limit && size <= limit - use->bytes;
}

int quota_check(const char *maildir, unsigned long long limit_bytes, unsigned long long size)
{
	struct quota_use use;
	time_t mtime;

	if (!limit_bytes) return 1;
	if (quota_get(maildir, limit_bytes, &use, &mtime) < 0) return -1;
	if (fits(&use, limit_bytes, size)) return 1;
	if (time(0) - mtime < QUOTA_STALE) return 0;
	if (recalc(maildir, limit_bytes, &use) < 0) return -1;
	return fits(&use, limit_bytes, size);
}

int quota_add(const char *maildir, unsigned long long limit_bytes, unsigned long long size)
{
	char line[FMT_ULONG + 4];
	stralloc path = {0};
	size_t n;
	int fd, r;

	if (!limit_bytes) return 0;
	if (path_of(&path, maildir, QUOTA_FILE) < 0) return -1;
	fd = open(path.s, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	stralloc_free(&path);
	if (fd < 0) {
		struct quota_use use;
		/* No file: a scan, which counts the message just delivered. */
		if (errno == ENOENT) return quota_read(maildir, limit_bytes, &use);
		return -1;
	}
	n = fmt_ulonglong(line, size);
	line[n++] = ' ';
	line[n++] = '1';
	line[n++] = '\n';
	/* One write(2) with O_APPEND: concurrent deliveries never interleave. */
	r = durable_writeall(fd, line, n);
	if (close(fd) < 0) r = -1;
	return r;
}
