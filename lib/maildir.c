/*
 * maildir: Maildir and Maildir++ folders; contract in maildir.h.
 *
 * Delivery order (the durability rule): write tmp/NAME, fsync it, link it to
 * new/NAME,S=SIZE, unlink tmp/NAME, fsync new/.  A crash before the link
 * leaves only a tmp/ file (readers ignore tmp/); after the link the message
 * is whole.  The size is known only once the copy is written, so the tmp/
 * name lacks ",S=" and the new/ name has it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt.h>
#include "durable.h"
#include "maildir.h"
#include "uniq.h"

const char *const maildir_special_folders[] = {"Sent", "Drafts", "Trash", "Junk", 0};

/* Tries this many unique names before giving up on EEXIST. */
#define MAILDIR_NAME_TRIES 5
#define MAILDIR_BUF 16384

/* mkdir that accepts an existing directory; a new one is chowned through an
 * fd opened with O_NOFOLLOW, so a symlink swapped in cannot redirect it. */
static int mkdir_owned(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0700) < 0) {
		if (errno != EEXIST) return -1;
		if (stat(path, &st) < 0) return -1;
		if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
		return 0;
	}
	if (uid == (uid_t)-1) return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return -1;
	if (fchown(fd, uid, gid) < 0) { int e = errno; close(fd); errno = e; return -1; }
	return close(fd);
}

/* out = a "/" b, NUL-terminated, len excluding the NUL. */
static int join(stralloc *out, const char *a, const char *b)
{
	if (!stralloc_copys(out, a) || !stralloc_cats(out, "/") || !stralloc_cats(out, b) ||
	    !stralloc_0(out))
		return 0;
	out->len--;
	return 1;
}

/* Creates dir and its tmp/new/cur, then makes the new entries durable. */
static int create_dirs(const char *dir, uid_t uid, gid_t gid)
{
	static const char *const sub[] = {"tmp", "new", "cur"};
	stralloc p = {0};
	unsigned i;

	if (mkdir_owned(dir, uid, gid) < 0) return -1;
	for (i = 0; i < 3; i++) {
		if (!join(&p, dir, sub[i])) { errno = ENOMEM; goto fail; }
		if (mkdir_owned(p.s, uid, gid) < 0) goto fail;
	}
	stralloc_free(&p);
	if (durable_sync_dir(dir) < 0) return -1;
	return durable_sync_parent(dir);
fail:
	{ int e = errno; stralloc_free(&p); errno = e; }
	return -1;
}

int maildir_create(const char *maildir, uid_t uid, gid_t gid)
{
	return create_dirs(maildir, uid, gid);
}

static int is_inbox(const char *folder)
{
	static const char inbox[] = "inbox";
	size_t i;

	if (!*folder) return 1;
	/* RFC 3501 5.1: INBOX is case-insensitive. */
	for (i = 0; i < 5; i++)
		if ((folder[i] | 0x20) != inbox[i]) return 0;
	return folder[5] == 0;
}

/* Appends ".NAME" (with '/' written as '.') to out after checking name. */
static int cat_folder(stralloc *out, const char *folder)
{
	size_t n = strlen(folder), i, start = out->len;

	if (n > MAILDIR_FOLDER_MAX) { errno = EINVAL; return -1; }
	if (!stralloc_cats(out, ".")) return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)folder[i];
		if (c < 0x20 || c == 0x7f) { errno = EINVAL; return -1; }
		if (!stralloc_append(out, c == '/' ? "." : (const char *)&folder[i])) return -1;
	}
	/* After mapping, an empty hierarchy level shows up as a leading, trailing
	 * or doubled '.', which would also allow "..": refuse them all. */
	{
		const char *s = out->s + start + 1;
		size_t m = out->len - start - 1;
		if (!m || s[0] == '.' || s[m - 1] == '.') { errno = EINVAL; return -1; }
		for (i = 1; i < m; i++)
			if (s[i] == '.' && s[i - 1] == '.') { errno = EINVAL; return -1; }
	}
	return 0;
}

int maildir_folder_path(stralloc *out, const char *maildir, const char *folder)
{
	if (!stralloc_copys(out, maildir)) return -1;
	if (!is_inbox(folder)) {
		if (!stralloc_cats(out, "/")) return -1;
		if (cat_folder(out, folder) < 0) return -1;
	}
	if (!stralloc_0(out)) return -1;
	out->len--;
	return 0;
}

int maildir_create_folder(const char *maildir, const char *folder, uid_t uid, gid_t gid)
{
	stralloc path = {0}, marker = {0};
	int fd, e;

	if (is_inbox(folder)) { errno = EINVAL; return -1; }
	if (maildir_folder_path(&path, maildir, folder) < 0) goto fail;
	if (create_dirs(path.s, uid, gid) < 0) goto fail;
	/* Maildir++: the empty "maildirfolder" file marks a folder, so that
	 * deliverers that honour quota look for maildirsize one level up. */
	if (!join(&marker, path.s, "maildirfolder")) { errno = ENOMEM; goto fail; }
	fd = open(marker.s, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) goto fail;
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) { e = errno; close(fd); errno = e; goto fail; }
	if (close(fd) < 0) goto fail;
	/* The marker's name is a directory entry like any other: a folder
	 * that posthorn-local creates and then delivers into must not lose
	 * it in a crash (the quota would then be counted in the wrong place). */
	if (durable_sync_dir(path.s) < 0) goto fail;
	stralloc_free(&path);
	stralloc_free(&marker);
	return 0;
fail:
	e = errno;
	stralloc_free(&path);
	stralloc_free(&marker);
	errno = e;
	return -1;
}

static int has_cur(const char *dir)
{
	stralloc p = {0};
	struct stat st;
	int r;

	if (!join(&p, dir, "cur")) return 0;
	r = stat(p.s, &st) == 0 && S_ISDIR(st.st_mode);
	stralloc_free(&p);
	return r;
}

static int ascii_caseeq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z') x += 32;
		if (y >= 'A' && y <= 'Z') y += 32;
		if (x != y) return 0;
		if (!x) return 1;
	}
}

static void copy_name(char *realname, const char *name)
{
	size_t n;
	if (!realname) return;
	n = strlen(name);
	if (n > MAILDIR_FOLDER_MAX) n = MAILDIR_FOLDER_MAX;
	memcpy(realname, name, n);
	realname[n] = 0;
}

/* Scans maildir for ".NAME" matching the mapped folder name ignoring ASCII
 * case.  The first match in directory order wins: two folders that differ
 * only in case are the owner's ambiguity, and either is a fine answer. */
static int find_folder_nocase(const char *maildir, const char *dotname, char *realname)
{
	DIR *d = opendir(maildir);
	struct dirent *de;
	stralloc p = {0};
	int found = 0;

	if (!d) return 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] != '.' || !ascii_caseeq(de->d_name, dotname)) continue;
		if (!join(&p, maildir, de->d_name)) break;
		if (has_cur(p.s)) {
			copy_name(realname, de->d_name + 1);
			found = 1;
		}
	}
	closedir(d);
	stralloc_free(&p);
	return found;
}

int maildir_folder_exists(const char *maildir, const char *folder, int exact, char *realname)
{
	stralloc path = {0}, dotname = {0};
	int found = 0;

	if (is_inbox(folder)) {
		copy_name(realname, "INBOX");
		return has_cur(maildir);
	}
	if (maildir_folder_path(&path, maildir, folder) < 0) goto out;
	if (has_cur(path.s)) {
		/* The path's last component is ".NAME" with '/' already mapped. */
		copy_name(realname, strrchr(path.s, '/') + 2);
		found = 1;
	} else if (!exact) {
		if (cat_folder(&dotname, folder) < 0 || !stralloc_0(&dotname)) goto out;
		found = find_folder_nocase(maildir, dotname.s, realname);
	}
out:
	stralloc_free(&path);
	stralloc_free(&dotname);
	return found;
}

/* Copies with CRLF turned into LF.  *cr carries a '\r' seen at the end of
 * the previous chunk, so a CRLF split across two reads is still joined.
 * Returns the bytes put into out: at most n + 1 (each input byte yields at
 * most one, plus a '\r' held over from the previous chunk). */
static size_t crlf_to_lf(char *out, const char *in, size_t n, int *cr)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (*cr) {
			*cr = 0;
			if (in[i] == '\n') { out[o++] = '\n'; continue; }
			out[o++] = '\r';
		}
		if (in[i] == '\r') *cr = 1;
		else out[o++] = in[i];
	}
	return o;
}

/* Writes head then fd's bytes, converted, to out; *size gets the total. */
static int copy_message(int out, const char *head, size_t hlen, int fd, unsigned long long *size)
{
	char in[MAILDIR_BUF], conv[MAILDIR_BUF + 1];
	unsigned long long total = 0;
	int cr = 0;

	while (hlen) {
		size_t n = hlen < MAILDIR_BUF ? hlen : MAILDIR_BUF;
		size_t o = crlf_to_lf(conv, head, n, &cr);
		if (durable_writeall(out, conv, o) < 0) return -1;
		total += o;
		head += n;
		hlen -= n;
	}
	for (;;) {
		ssize_t r = read(fd, in, sizeof in);
		size_t o;
		if (r < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		if (r == 0) break;
		o = crlf_to_lf(conv, in, (size_t)r, &cr);
		if (durable_writeall(out, conv, o) < 0) return -1;
		total += o;
	}
	if (cr) {
		if (durable_writeall(out, "\r", 1) < 0) return -1;
		total++;
	}
	*size = total;
	return 0;
}

/* Opens DIR/tmp/UNIQ exclusively; base gets UNIQ, tmp the whole path. */
static int open_tmp(const char *dir, stralloc *base, stralloc *tmp)
{
	int i;

	for (i = 0; i < MAILDIR_NAME_TRIES; i++) {
		int fd;
		base->len = 0;
		if (!uniq_name(base) || !stralloc_copys(tmp, dir) || !stralloc_cats(tmp, "/tmp/") ||
		    !stralloc_cat(tmp, base) || !stralloc_0(tmp)) {
			errno = ENOMEM;
			return -1;
		}
		fd = open(tmp->s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) return fd;
	}
	return -1;
}

/* new = DIR/new/BASE,S=SIZE; a later try gets a fresh unique base. */
static int new_name(stralloc *newp, const char *dir, stralloc *base, int attempt, unsigned long long size)
{
	char num[FMT_ULONG];
	if (attempt) {
		base->len = 0;
		if (!uniq_name(base)) return 0;
	}
	return stralloc_copys(newp, dir) && stralloc_cats(newp, "/new/") && stralloc_cat(newp, base) &&
	       stralloc_cats(newp, ",S=") && stralloc_catb(newp, num, fmt_ulonglong(num, size)) &&
	       stralloc_0(newp);
}

/* Some file systems refuse hard links; only then is rename used, because
 * rename would silently replace an existing message of the same name. */
static int link_refused(int e)
{
	return e == EPERM || e == ENOSYS || e == EOPNOTSUPP || e == EMLINK || e == EXDEV;
}

/* Moves tmp into new/ under a name that did not exist. */
static int publish(const char *dir, const char *tmp, stralloc *base, unsigned long long size)
{
	stralloc newp = {0};
	int i, e;

	for (i = 0; i < MAILDIR_NAME_TRIES; i++) {
		if (!new_name(&newp, dir, base, i, size)) { errno = ENOMEM; break; }
		if (link(tmp, newp.s) == 0) {
			unlink(tmp);
			stralloc_free(&newp);
			return 0;
		}
		if (errno == EEXIST) continue;
		if (link_refused(errno) && rename(tmp, newp.s) == 0) {
			stralloc_free(&newp);
			return 0;
		}
		break;
	}
	e = errno;
	stralloc_free(&newp);
	errno = e;
	return -1;
}

int maildir_deliver(const char *dir, const char *head, size_t hlen, int fd, unsigned long long *size)
{
	stralloc base = {0}, tmp = {0}, newdir = {0};
	int out, e;

	out = open_tmp(dir, &base, &tmp);
	if (out < 0) goto fail_noclean;
	if (copy_message(out, head, hlen, fd, size) < 0 || fsync(out) < 0) {
		e = errno;
		close(out);
		errno = e;
		goto fail;
	}
	/* close can report a deferred write error (NFS, some quota systems). */
	if (close(out) < 0) goto fail;
	if (publish(dir, tmp.s, &base, *size) < 0) goto fail;
	if (!join(&newdir, dir, "new")) { errno = ENOMEM; goto fail_noclean; }
	/* The message is linked; a failure to fsync new/ is still a failure,
	 * and the caller retries (at worst a duplicate, never a loss). */
	if (durable_sync_dir(newdir.s) < 0) goto fail_noclean;
	stralloc_free(&base);
	stralloc_free(&tmp);
	stralloc_free(&newdir);
	return 0;
fail:
	e = errno;
	unlink(tmp.s);
	errno = e;
fail_noclean:
	e = errno;
	stralloc_free(&base);
	stralloc_free(&tmp);
	stralloc_free(&newdir);
	errno = e;
	return -1;
}

/* Compares the runs of digits at *x and *y as numbers (names hold no
 * leading zeros there) and moves both past them. */
static int cmp_digits(const char **x, const char **y)
{
	size_t dx = strspn(*x, "0123456789"), dy = strspn(*y, "0123456789");
	int r = dx != dy ? (dx < dy ? -1 : 1) : strncmp(*x, *y, dx);

	*x += dx;
	*y += dy;
	return r;
}

int maildir_name_cmp(const char *a, const char *b)
{
	const char *x = a, *y = b;
	int r = cmp_digits(&x, &y);

	if (r) return r;
	if (!strncmp(x, ".M", 2) && !strncmp(y, ".M", 2)) {
		x += 2;
		y += 2;
		if ((r = cmp_digits(&x, &y))) return r;
	}
	return strcmp(a, b);
}
