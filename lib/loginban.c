/* loginban: failed logins per client address, and bans; see loginban.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt.h>
#include "conf.h"
#include "log.h"
#include "loginban.h"

/* ---- settings ---- */

static int number(const char *name, unsigned long *out, unsigned long dflt, unsigned long min, unsigned long max)
{
	if (conf_ulong(name, out, dflt) < 0) return -1;
	if (*out < min) *out = min;
	if (*out > max) *out = max;
	return 0;
}

int loginban_conf_read(struct loginban_conf *c, const char **bad)
{
	if (number(*bad = "loginban-failures", &c->failures, LOGINBAN_FAILURES_DEFAULT, 0, LOGINBAN_FAILURES_MAX) ||
	    number(*bad = "loginban-window", &c->window, LOGINBAN_WINDOW_DEFAULT, 1, LOGINBAN_SECONDS_MAX) ||
	    number(*bad = "loginban-time", &c->bantime, LOGINBAN_TIME_DEFAULT, 1, LOGINBAN_SECONDS_MAX))
		return -1;
	*bad = "bandir";
	if (conf_line("bandir", &c->dir, LOGINBAN_DIR_DEFAULT) < 0) return -1;
	/* NUL-terminated, len without it (conf.h); an empty file: the default */
	if (!c->dir.len && (!stralloc_copys(&c->dir, LOGINBAN_DIR_DEFAULT) || !stralloc_0(&c->dir))) return -1;
	return 0;
}

/* ---- the file's format ---- */

/* One decimal number of 1 to 20 digits at *p (before end), no overflow. */
static int number_at(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (s == end || *s < '0' || *s > '9') return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (~0ULL - d) / 10) return -1;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static int keyword(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || memcmp(*p, word, n)) return 0;
	if (*p + n != end && (*p)[n] != ' ') return 0;
	*p += n;
	return 1;
}

/* " NUMBER" then the end of the line */
static int one_number(const char *p, const char *end, unsigned long long *out)
{
	if (p == end || *p++ != ' ') return -1;
	if (number_at(&p, end, out)) return -1;
	return p == end ? 0 : -1;
}

static int parse_line(const char *p, const char *end, struct loginban_rec *r, unsigned *seen)
{
	if (keyword(&p, end, "until")) {
		if (*seen & 1) return -1;
		*seen |= 1;
		return one_number(p, end, &r->until);
	}
	if (keyword(&p, end, "refused")) {
		if (*seen & 2) return -1;
		*seen |= 2;
		return one_number(p, end, &r->refused);
	}
	if (keyword(&p, end, "fail")) {
		if (*seen & 4) return -1;
		*seen |= 4;
		while (p < end) {
			if (*p++ != ' ' || r->nfail == LOGINBAN_FAILURES_MAX) return -1;
			if (number_at(&p, end, &r->fail[r->nfail])) return -1;
			r->nfail++;
		}
		return 0;
	}
	return -1;
}

int loginban_parse(const char *buf, size_t len, struct loginban_rec *r)
{
	const char *p = buf, *end = buf + len;
	unsigned seen = 0;

	memset(r, 0, sizeof *r);
	if (len > LOGINBAN_FILE_MAX) return -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || parse_line(p, eol, r, &seen)) {
			memset(r, 0, sizeof *r);
			return -1;
		}
		p = eol + 1;
	}
	return 0;
}

static size_t put(char *buf, size_t cap, size_t at, const char *s, size_t n)
{
	if (at == (size_t)-1 || n > cap - at) return (size_t)-1;
	memcpy(buf + at, s, n);
	return at + n;
}

static size_t put_num(char *buf, size_t cap, size_t at, unsigned long long v)
{
	char num[24];
	size_t n = 0;

	do num[sizeof num - ++n] = (char)('0' + v % 10); while ((v /= 10));
	return put(buf, cap, at, num + sizeof num - n, n);
}

size_t loginban_format(const struct loginban_rec *r, char *buf, size_t cap)
{
	size_t at = 0;
	unsigned i;

	at = put(buf, cap, at, "until ", 6);
	at = put_num(buf, cap, at, r->until);
	at = put(buf, cap, at, "\nrefused ", 9);
	at = put_num(buf, cap, at, r->refused);
	at = put(buf, cap, at, "\nfail", 5);
	for (i = 0; i < r->nfail && i < LOGINBAN_FAILURES_MAX; i++) {
		at = put(buf, cap, at, " ", 1);
		at = put_num(buf, cap, at, r->fail[i]);
	}
	at = put(buf, cap, at, "\n", 1);
	return at == (size_t)-1 ? 0 : at;
}

/* ---- names ---- */

int loginban_name(const char *ip, char name[LOGINBAN_NAME_MAX])
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char b[16];
	size_t n = strcspn(ip, "%");   /* a zone names our interface, not the client */

	if (n >= sizeof addr) return -1;
	memcpy(addr, ip, n);
	addr[n] = 0;
	name[0] = '4';
	name[1] = '-';
	if (inet_pton(AF_INET, addr, b) == 1) return inet_ntop(AF_INET, b, name + 2, LOGINBAN_NAME_MAX - 2) ? 0 : -1;
	if (inet_pton(AF_INET6, addr, b) != 1) return -1;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)b))
		return inet_ntop(AF_INET, b + 12, name + 2, LOGINBAN_NAME_MAX - 2) ? 0 : -1;
	/* one /64 is one customer's network: a host there picks its address
	 * at will (RFC 4941), so counting addresses would count nothing */
	memset(b + 8, 0, 8);
	name[0] = '6';
	return inet_ntop(AF_INET6, b, name + 2, LOGINBAN_NAME_MAX - 2) ? 0 : -1;
}

int loginban_show(const char *name, char out[LOGINBAN_SHOW_MAX])
{
	char again[LOGINBAN_NAME_MAX];

	if (strlen(name) >= LOGINBAN_NAME_MAX || (strncmp(name, "4-", 2) && strncmp(name, "6-", 2))) return -1;
	/* only the names we make: a parsed address, written back the same way */
	if (loginban_name(name + 2, again) || strcmp(again, name)) return -1;
	snprintf(out, LOGINBAN_SHOW_MAX, "%s%s", name + 2, name[0] == '6' ? "/64" : "");   /* fits: checked above */
	return 0;
}

int loginban_name_typed(const char *typed, char name[LOGINBAN_NAME_MAX])
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(typed, '/');
	size_t n = slash ? (size_t)(slash - typed) : strlen(typed);

	if (n >= sizeof addr || strchr(typed, '%')) return -1;
	memcpy(addr, typed, n);
	addr[n] = 0;
	if (loginban_name(addr, name)) return -1;
	if (!slash) return 0;
	return !strcmp(slash + 1, name[0] == '6' ? "64" : "32") ? 0 : -1;
}

/* ---- the files ---- */

static int file_path(const struct loginban_conf *c, const char *name, char *path, size_t cap)
{
	int n = snprintf(path, cap, "%s/%s", c->dir.s, name);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void trouble(const char *op, const char *path)
{
	log_event("error", "op", op, "file", path, "error", strerror(errno), (char *)0);
}

/* Reads the whole (small) file at fd into r; a malformed one is logged and
 * read as empty.  0, or -1 on a read error. */
static int read_rec(int fd, const char *path, struct loginban_rec *r)
{
	char buf[LOGINBAN_FILE_MAX + 1];
	size_t len = 0;
	ssize_t got;

	while (len < sizeof buf && (got = pread(fd, buf + len, sizeof buf - len, (off_t)len)) != 0) {
		if (got < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		len += (size_t)got;
	}
	if (loginban_parse(buf, len, r))
		log_event("loginban", "file", path, "error", "malformed: read as empty", (char *)0);
	return 0;
}

/* Opens path for reading (write: for changing, created if missing) with
 * its lock held.  A writer checks, once locked, that the name still leads
 * to its file: posthorn-user may have removed it meanwhile, and a count
 * written to a removed file would be lost. */
static int open_locked(const char *path, int write)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		struct stat st, again;
		int fd = open(path, (write ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0660);

		if (fd < 0) return -1;
		memset(&st, 0, sizeof st);
		errno = 0;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || flock(fd, write ? LOCK_EX : LOCK_SH)) {
			int e = errno;
			if (!e || !S_ISREG(st.st_mode)) e = EINVAL;   /* a fifo or device planted here */
			close(fd);
			errno = e;
			return -1;
		}
		if (!write) return fd;
		if (!stat(path, &again) && again.st_dev == st.st_dev && again.st_ino == st.st_ino) {
			/* the umask may have taken the group's write bit: the
			 * other services' accounts write here too */
			if (st.st_uid == geteuid() && (st.st_mode & 07777) != 0660) (void)fchmod(fd, 0660);
			return fd;
		}
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

static int write_rec(int fd, const struct loginban_rec *r)
{
	char buf[LOGINBAN_FILE_MAX];
	size_t len = loginban_format(r, buf, sizeof buf);

	if (!len) {
		errno = EOVERFLOW;
		return -1;
	}
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len)) return -1;
	return 0;
}

static unsigned long long as_ull(time_t now)
{
	return now < 0 ? 0 : (unsigned long long)now;
}

/* A ban that ends further away than one ban time is not believed (a
 * clock set back, or a file someone wrote by hand). */
static int banned(const struct loginban_conf *c, const struct loginban_rec *r, time_t now)
{
	unsigned long long t = as_ull(now);
	return r->until > t && r->until - t <= c->bantime;
}

int loginban_check(const struct loginban_conf *c, const char *ip, time_t now)
{
	char name[LOGINBAN_NAME_MAX], path[4096];
	static struct loginban_rec r;   /* 800 bytes: not on the stack of a caller in a session */
	int fd, ok;

	if (!c->failures || loginban_name(ip, name) || file_path(c, name, path, sizeof path)) return 0;
	if ((fd = open_locked(path, 0)) < 0) {
		if (errno != ENOENT) trouble("loginban-open", path);
		return 0;
	}
	ok = !read_rec(fd, path, &r);
	if (!ok) trouble("loginban-read", path);
	close(fd);
	return ok && banned(c, &r, now);
}

unsigned loginban_recent(const struct loginban_conf *c, const struct loginban_rec *r, time_t now)
{
	unsigned long long t = as_ull(now);
	unsigned i, n = 0;

	for (i = 0; i < r->nfail; i++)
		if (r->fail[i] <= t && t - r->fail[i] < c->window) n++;
	return n;
}

/* Keeps only the failures within the window at now, in order. */
static void age(const struct loginban_conf *c, struct loginban_rec *r, unsigned long long t)
{
	unsigned i, n = 0;

	for (i = 0; i < r->nfail; i++)
		if (r->fail[i] <= t && t - r->fail[i] < c->window) r->fail[n++] = r->fail[i];
	r->nfail = n;
}

enum loginban_result loginban_fail(const struct loginban_conf *c, const char *ip, time_t now)
{
	char name[LOGINBAN_NAME_MAX], show[LOGINBAN_SHOW_MAX], path[4096];
	static struct loginban_rec r;
	unsigned long long t = as_ull(now);
	enum loginban_result res = LOGINBAN_COUNTED;
	int fd;

	if (!c->failures || loginban_name(ip, name) || file_path(c, name, path, sizeof path)) return LOGINBAN_NOTHING;
	if ((fd = open_locked(path, 1)) < 0) {
		trouble("loginban-open", path);
		return LOGINBAN_NOTHING;
	}
	if (read_rec(fd, path, &r)) {
		trouble("loginban-read", path);
		close(fd);
		return LOGINBAN_NOTHING;
	}
	if (banned(c, &r, now)) {
		if (r.refused < ~0ULL) r.refused++;
		res = LOGINBAN_REFUSED;
	} else {
		if (r.until > t) log_event("loginban", "file", path, "error", "ban beyond loginban-time: ignored", (char *)0);
		r.until = r.refused = 0;
		age(c, &r, t);
		if (r.nfail == LOGINBAN_FAILURES_MAX) {   /* only after the setting was lowered */
			memmove(r.fail, r.fail + 1, sizeof r.fail[0] * (LOGINBAN_FAILURES_MAX - 1));
			r.nfail--;
		}
		r.fail[r.nfail++] = t;
		if (r.nfail >= c->failures) {
			char num[FMT_ULONG], secs[FMT_ULONG];
			r.until = t + c->bantime;
			r.nfail = 0;
			res = LOGINBAN_STARTED;
			num[fmt_ulong(num, c->failures)] = 0;
			secs[fmt_ulong(secs, c->bantime)] = 0;
			if (loginban_show(name, show)) strcpy(show, "?");   /* fits */
			log_event("loginban", "client", show, "failures", num, "seconds", secs, "result", "banned", (char *)0);
		}
	}
	if (write_rec(fd, &r)) {
		trouble("loginban-write", path);
		res = LOGINBAN_NOTHING;
	}
	close(fd);
	return res;
}

int loginban_read(const struct loginban_conf *c, const char *name, struct loginban_rec *r)
{
	char path[4096];
	int fd, e;

	if (file_path(c, name, path, sizeof path) || (fd = open_locked(path, 0)) < 0) return -1;
	if (read_rec(fd, path, r)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* Removes name's file when keep(r) says no, under its lock. */
static int remove_if(const struct loginban_conf *c, const char *name, time_t now, int all)
{
	static struct loginban_rec r;
	char path[4096];
	int fd, e, gone = 0;

	if (file_path(c, name, path, sizeof path)) return -1;
	/* not open_locked(path, 1): that would make a missing file */
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) return -1;
	if (flock(fd, LOCK_EX)) goto fail;
	if (!all && read_rec(fd, path, &r)) goto fail;
	if (all || (!banned(c, &r, now) && !loginban_recent(c, &r, now))) {
		if (unlink(path)) goto fail;
		gone = 1;
	}
	close(fd);
	return gone;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int loginban_remove(const struct loginban_conf *c, const char *name)
{
	return remove_if(c, name, 0, 1) < 0 ? -1 : 0;
}

int loginban_expire(const struct loginban_conf *c, const char *name, time_t now)
{
	return remove_if(c, name, now, 0);
}
