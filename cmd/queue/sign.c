/*
 * posthorn-queue's DKIM signing: the keys of the From domain, read from
 * DIR/dkim/DOMAIN/SELECTOR.key, and one DKIM-Signature per key through
 * lib/dkimsign.  Asked for by the envelope's S item (lib/injenv).
 *
 * The keys are ours alone: a file that is not a regular file owned by our
 * effective user (the queue account; posthorn-queue is set-user-ID to it)
 * with no permission for group or other is not used -- a key others can
 * read is no longer a secret, and one others could write is not ours.  A
 * signing problem never costs the message: it is queued unsigned, and the
 * status line says why (posthorn-smtpd logs that line with the message).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "dkimsign.h"
#include "sign.h"

#define DOMAIN_MAX 253
#define PIECE 65536

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/dkim/DOMAIN/ is a path: only a plain LDH name (RFC 5890's A-labels
 * included) may make it, never "..", "/" or a leading dot. */
static int safe_domain(const char *d)
{
	size_t i;
	if (!d[0] || d[0] == '.' || d[0] == '-') return 0;
	for (i = 0; d[i]; i++) {
		char c = d[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return 0;
		if (c == '.' && d[i + 1] == '.') return 0;
	}
	return 1;
}

static int note_add(stralloc *note, const char *a, const char *b, const char *c)
{
	return stralloc_cats(note, a) && stralloc_cats(note, b ? b : "") && stralloc_cats(note, c ? c : "");
}

/* Reads one key file (name in dir), checking owner and mode on the open
 * file.  0, or -1 with *why (a static text). */
static int read_key(int dfd, const char *name, struct dkimsign_key *k, const char **why)
{
	static char pem[DKIMSIGN_KEY_BYTES + 1];
	char sel[64];
	size_t n = strlen(name) - 4, got = 0;
	struct stat st;
	int fd, r;

	memset(k, 0, sizeof *k);
	if (n >= sizeof sel) return *why = "selector too long", -1;
	memcpy(sel, name, n);
	sel[n] = 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) return *why = "cannot open", -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return *why = "not a regular file", -1;
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return *why = "not owned by the queue account", -1;
	}
	if (st.st_mode & 077) {
		close(fd);
		return *why = "readable or writable by group or other (mode must be 0600)", -1;
	}
	while (got < sizeof pem) {
		ssize_t m = read(fd, pem + got, sizeof pem - got);
		if (m < 0 && errno == EINTR) continue;
		if (m <= 0) break;
		got += (size_t)m;
	}
	close(fd);
	r = dkimsign_key_read(k, pem, got, sel, why);
	memset(pem, 0, got);
	return r;
}

int queue_sign(const char *held, size_t nheld, int fd, unsigned long long size, stralloc *sigs, stralloc *note)
{
	static char buf[PIECE];
	struct dkimsign s;
	char domain[DOMAIN_MAX + 1], *names[DKIMSIGN_KEYS_MAX];
	const char *why = 0;
	stralloc dir = {0}, good = {0}, bad = {0};
	struct dirent *de;
	size_t nnames = 0, i;
	DIR *d;
	int ret = 0;

	/* no libcrypto (or no memory for its hash): unsigned, not refused */
	if (dkimsign_init(&s))
		return note_add(note, " (DKIM: not signed: libcrypto cannot be loaded)", 0, 0) ? 0 : -1;
	if (held) {
		dkimsign_feed(&s, held, nheld);
	} else {
		off_t off = 0;
		while ((unsigned long long)off < size) {
			unsigned long long left = size - (unsigned long long)off;
			ssize_t m = pread(fd, buf, left < sizeof buf ? (size_t)left : sizeof buf, off);
			if (m < 0 && errno == EINTR) continue;
			if (m <= 0) {
				dkimsign_free(&s);
				return note_add(note, " (DKIM: not signed: cannot read the message back)", 0, 0) ? 0 : -1;
			}
			dkimsign_feed(&s, buf, (size_t)m);
			off += m;
		}
	}
	dkimsign_end(&s);
	if (dkimsign_from_domain(&s, domain, sizeof domain, &why)) {
		ret = note_add(note, " (DKIM: not signed: ", why, ")") ? 0 : -1;
		goto out;
	}
	if (!safe_domain(domain)) {
		ret = note_add(note, " (DKIM: not signed: From domain not a plain domain name)", 0, 0) ? 0 : -1;
		goto out;
	}
	if (!conf_path(&dir, "dkim/") || !stralloc_cats(&dir, domain) || !stralloc_0(&dir)) {
		ret = -1;
		goto out;
	}
	if (!(d = opendir(dir.s))) {
		ret = note_add(note, " (DKIM: not signed: no keys for ", domain, ")") ? 0 : -1;
		goto out;
	}
	/* every *.key signs, in name order, at most DKIMSIGN_KEYS_MAX */
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **slot;
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".key")) continue;
		if (nnames == DKIMSIGN_KEYS_MAX) {
			/* keep the first names in order */
			qsort(names, nnames, sizeof *names, cmp);
			if (strcmp(de->d_name, names[nnames - 1]) >= 0) continue;
			free(names[--nnames]);
		}
		slot = &names[nnames];
		if (!(*slot = strdup(de->d_name))) { ret = -1; break; }
		nnames++;
	}
	qsort(names, nnames, sizeof *names, cmp);
	for (i = 0; i < nnames && ret == 0; i++) {
		struct dkimsign_key k;
		int ok = read_key(dirfd(d), names[i], &k, &why) == 0 &&
		         dkimsign_sign(&s, &k, domain, (unsigned long long)time(0), sigs, &why) == 0;
		if (ok && !note_add(&good, good.len ? "," : "", k.selector, 0)) ret = -1;
		/* a key that cannot sign is named; the others still sign */
		if (!ok && (!note_add(&bad, " (DKIM: key ", names[i], ": ") || !note_add(&bad, why, ")", 0))) ret = -1;
		dkimsign_key_free(&k);
	}
	if (ret == 0 && good.len && (!note_add(note, " (DKIM: signed d=", domain, " s=") || !stralloc_cat(note, &good) ||
	                             !stralloc_cats(note, ")")))
		ret = -1;
	if (ret == 0 && !stralloc_cat(note, &bad)) ret = -1;
	if (ret == 0 && !nnames && !note_add(note, " (DKIM: not signed: no keys for ", domain, ")")) ret = -1;
	for (i = 0; i < nnames; i++) free(names[i]);
	closedir(d);
out:
	stralloc_free(&dir);
	stralloc_free(&good);
	stralloc_free(&bad);
	dkimsign_free(&s);
	return ret;
}
