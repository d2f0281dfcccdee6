/* sendlimit: per-account send counts in one small file each; see sendlimit.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "sendlimit.h"

static const unsigned char magic[8] = {'P', 'H', 'S', 'L', 'I', 'M', '1', '\n'};

void sendlimit_reset(struct sendlimit *s) { memset(s, 0, sizeof *s); }

/* FNV-1a, 64 bit: a checksum against torn writes and damage, not an
 * adversary (only the queue owner and root can write the file). */
static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n--) h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static void put32(unsigned char **p, uint32_t v)
{
	for (int i = 0; i < 4; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char **p, uint64_t v)
{
	for (int i = 0; i < 8; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char **p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) v |= (uint32_t)*(*p)++ << (8 * i);
	return v;
}

static uint64_t get64(const unsigned char **p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++) v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

void sendlimit_format(const struct sendlimit *s, unsigned char out[SENDLIMIT_FILE_SIZE])
{
	unsigned char *p = out;
	int i;

	memcpy(p, magic, sizeof magic);
	p += sizeof magic;
	for (i = 0; i < SENDLIMIT_MINUTES; i++) {
		put32(&p, s->min[i].stamp);
		put32(&p, s->min[i].msgs);
		put32(&p, s->min[i].tries);
	}
	for (i = 0; i < SENDLIMIT_HOURS; i++) {
		put32(&p, s->hour[i].stamp);
		put32(&p, s->hour[i].rcpts);
	}
	put32(&p, s->locked);
	put64(&p, (uint64_t)s->locked_at);
	put32(&p, s->lock_tries);
	put64(&p, fnv(out, (size_t)(p - out)));
}

int sendlimit_parse(struct sendlimit *s, const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf;
	int i;

	sendlimit_reset(s);
	if (len == 0) return 0;
	if (len != SENDLIMIT_FILE_SIZE || memcmp(buf, magic, sizeof magic)) return -1;
	{
		const unsigned char *c = buf + SENDLIMIT_FILE_SIZE - 8;
		if (get64(&c) != fnv(buf, SENDLIMIT_FILE_SIZE - 8)) return -1;
	}
	p += sizeof magic;
	for (i = 0; i < SENDLIMIT_MINUTES; i++) {
		s->min[i].stamp = get32(&p);
		s->min[i].msgs = get32(&p);
		s->min[i].tries = get32(&p);
	}
	for (i = 0; i < SENDLIMIT_HOURS; i++) {
		s->hour[i].stamp = get32(&p);
		s->hour[i].rcpts = get32(&p);
	}
	s->locked = get32(&p);
	s->locked_at = (int64_t)get64(&p);
	s->lock_tries = get32(&p);
	if (s->locked > 1) {
		sendlimit_reset(s);
		return -1;
	}
	return 0;
}

/* The stamp of now's bucket; times before 1970 count as 0. */
static uint32_t stamp(long long now, long long unit)
{
	return now <= 0 ? 0 : (uint32_t)(now / unit);
}

/* Does a bucket stamped st count in the window of n units ending at cur?
 * Within it, or ahead of the clock by less than a window (the clock went
 * back: keep counting rather than forget). */
static int in_window(uint32_t st, uint32_t cur, uint32_t n)
{
	if (st <= cur) return cur - st < n && st != 0;
	return st - cur < n;
}

static unsigned long sum_min(const struct sendlimit *s, long long now, int tries)
{
	uint32_t cur = stamp(now, 60);
	unsigned long n = 0;

	for (int i = 0; i < SENDLIMIT_MINUTES; i++)
		if (in_window(s->min[i].stamp, cur, SENDLIMIT_MINUTES)) n += tries ? s->min[i].tries : s->min[i].msgs;
	return n;
}

unsigned long sendlimit_msgs_hour(const struct sendlimit *s, long long now) { return sum_min(s, now, 0); }
unsigned long sendlimit_tries_hour(const struct sendlimit *s, long long now) { return sum_min(s, now, 1); }

unsigned long sendlimit_rcpts_day(const struct sendlimit *s, long long now)
{
	uint32_t cur = stamp(now, 3600);
	unsigned long n = 0;

	for (int i = 0; i < SENDLIMIT_HOURS; i++)
		if (in_window(s->hour[i].stamp, cur, SENDLIMIT_HOURS)) n += s->hour[i].rcpts;
	return n;
}

static uint32_t add_sat(uint32_t a, unsigned long b)
{
	return b >= UINT32_MAX - a ? UINT32_MAX : a + (uint32_t)b;
}

enum sendlimit_verdict sendlimit_charge(struct sendlimit *s, const struct sendlimit_conf *c, long long now,
                                        unsigned long nrcpt)
{
	uint32_t m = stamp(now, 60), h = stamp(now, 3600);
	unsigned mi = m % SENDLIMIT_MINUTES, hi = h % SENDLIMIT_HOURS;
	unsigned long tries;

	if (s->locked) return SENDLIMIT_LOCKED;
	/* a bucket of another minute (or hour) is reused from zero */
	if (s->min[mi].stamp != m) s->min[mi].stamp = m, s->min[mi].msgs = s->min[mi].tries = 0;
	if (s->hour[hi].stamp != h) s->hour[hi].stamp = h, s->hour[hi].rcpts = 0;
	s->min[mi].tries = add_sat(s->min[mi].tries, 1);
	tries = sendlimit_tries_hour(s, now);
	if (c->burst && tries >= c->burst) {
		s->locked = 1;
		s->locked_at = now;
		s->lock_tries = tries > UINT32_MAX ? UINT32_MAX : (uint32_t)tries;
		return SENDLIMIT_LOCK;
	}
	if (c->hour && sendlimit_msgs_hour(s, now) >= c->hour) return SENDLIMIT_HOUR;
	if (c->day && (nrcpt > c->day || sendlimit_rcpts_day(s, now) > c->day - nrcpt)) return SENDLIMIT_DAY;
	s->min[mi].msgs = add_sat(s->min[mi].msgs, 1);
	s->hour[hi].rcpts = add_sat(s->hour[hi].rcpts, nrcpt);
	return SENDLIMIT_OK;
}

int sendlimit_filename(stralloc *out, const char *account)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	uint64_t h;
	int i;

	out->len = 0;
	for (p = (const unsigned char *)account; *p; p++) {
		char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '@' || *p == '_' ||
		            *p == '-' || (*p == '.' && p != (const unsigned char *)account);
		if (!(plain ? stralloc_append(out, (const char *)p) : stralloc_catb(out, e, 3))) return 0;
	}
	if (out->len > SENDLIMIT_NAME_MAX) {
		/* cut, and a hash of the whole name keeps long names apart */
		h = fnv((const unsigned char *)account, strlen(account));
		out->len = SENDLIMIT_NAME_MAX - 17;
		if (!stralloc_append(out, "~")) return 0;
		for (i = 15; i >= 0; i--)
			if (!stralloc_append(out, &hex[(h >> (4 * i)) & 15])) return 0;
	}
	return stralloc_0(out) ? (out->len--, 1) : 0;
}

int sendlimit_load(const char *path, int create, int *fd, struct sendlimit *s)
{
	unsigned char buf[SENDLIMIT_FILE_SIZE + 1];
	size_t got = 0;
	int bad;

	*fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (*fd < 0) return -1;
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR) goto fail;
	/* one byte more than a state: a longer file is damaged too */
	while (got < sizeof buf) {
		ssize_t r = pread(*fd, buf + got, sizeof buf - got, (off_t)got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) goto fail;
		if (r == 0) break;
		got += (size_t)r;
	}
	bad = sendlimit_parse(s, buf, got) < 0;
	if (bad && ftruncate(*fd, 0) < 0) goto fail;
	return bad;
fail:
	{
		int e = errno;
		close(*fd);
		*fd = -1;
		errno = e;
	}
	return -1;
}

int sendlimit_store(int fd, const struct sendlimit *s)
{
	unsigned char buf[SENDLIMIT_FILE_SIZE];
	ssize_t w;

	sendlimit_format(s, buf);
	do w = pwrite(fd, buf, sizeof buf, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0) return -1;
	if ((size_t)w != sizeof buf) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}
