/* conf: the config dir, one small file per setting; contract in conf.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf.h"

static const char *conf_directory = CONF_DEFAULT_DIR;

void conf_init(const char *dir)
{
	const char *env = getenv("POSTHORN_CONF");
	if (dir && *dir) conf_directory = dir;
	else if (env && *env) conf_directory = env;
	else conf_directory = CONF_DEFAULT_DIR;
}

const char *conf_dir(void) { return conf_directory; }

int conf_trusted(void)
{
	struct stat st;

	if (stat(conf_directory, &st)) return 0;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return 0;
	}
	return 1;
}

int conf_path(stralloc *out, const char *name)
{
	return stralloc_copys(out, conf_directory) && stralloc_cats(out, "/") &&
	       stralloc_cats(out, name) && stralloc_0(out) && (--out->len, 1);
}

/* Reads the whole file into out.  1 read, 0 missing, -1 error. */
static int conf_slurp(const char *name, stralloc *out)
{
	stralloc path = {0};
	char buf[4096];
	int fd, ret = -1;

	out->len = 0;
	if (!conf_path(&path, name)) return -1;
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	stralloc_free(&path);
	if (fd < 0) return errno == ENOENT ? 0 : -1;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR) continue;
			break;
		}
		if (r == 0) { ret = 1; break; }
		if (out->len + (size_t)r > CONF_FILE_MAX) { errno = EFBIG; break; }
		if (!stralloc_catb(out, buf, (size_t)r)) break;
	}
	close(fd);
	return ret;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Copies s[0..len) without surrounding white space to the end of out, plus a NUL. */
static int cat_trimmed(stralloc *out, const char *s, size_t len)
{
	while (len && is_space(*s)) { s++; len--; }
	while (len && is_space(s[len - 1])) len--;
	return stralloc_catb(out, s, len) && stralloc_0(out);
}

int conf_line(const char *name, stralloc *out, const char *dflt)
{
	stralloc text = {0};
	int r = conf_slurp(name, &text);
	size_t n;

	out->len = 0;
	if (r <= 0) {
		stralloc_free(&text);
		if (r < 0) return -1;
		if (!stralloc_copys(out, dflt ? dflt : "") || !stralloc_0(out)) return -1;
		out->len--;
		return 0;
	}
	for (n = 0; n < text.len && text.s[n] != '\n'; n++)
		;
	if (!cat_trimmed(out, text.s, n)) r = -1;
	else out->len--;
	stralloc_free(&text);
	return r;
}

int conf_ulong(const char *name, unsigned long *out, unsigned long dflt)
{
	stralloc line = {0};
	int r = conf_line(name, &line, "");
	unsigned long v = 0;
	size_t i;

	*out = dflt;
	if (r <= 0) { stralloc_free(&line); return r; }
	if (!line.len) { stralloc_free(&line); errno = EINVAL; return -1; }
	for (i = 0; i < line.len; i++) {
		unsigned d = (unsigned char)line.s[i] - '0';
		if (d > 9 || v > (~0UL - d) / 10) { stralloc_free(&line); errno = EINVAL; return -1; }
		v = v * 10 + d;
	}
	stralloc_free(&line);
	*out = v;
	return 1;
}

int conf_lines(const char *name, stralloc *out, unsigned long *count)
{
	stralloc text = {0};
	int r = conf_slurp(name, &text);
	size_t start = 0, i;

	out->len = 0;
	*count = 0;
	if (r <= 0) { stralloc_free(&text); return r; }
	for (i = 0; i <= text.len; i++) {
		if (i < text.len && text.s[i] != '\n') continue;
		{
			const char *s = text.s + start;
			size_t n = i - start;
			while (n && is_space(*s)) { s++; n--; }
			while (n && is_space(s[n - 1])) n--;
			if (n && *s != '#') {
				if (!stralloc_catb(out, s, n) || !stralloc_0(out)) { r = -1; break; }
				++*count;
			}
		}
		start = i + 1;
	}
	stralloc_free(&text);
	return r;
}
