/* senderlist: per-user and per-domain sender allow/block lists; see
 * senderlist.h and posthorn-senders(5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fmt.h>
#include "conf.h"
#include "hdr.h"
#include "log.h"
#include "senderlist.h"
#include "sendlimit.h"
#include "textfile.h"

/* Above any domain's rank (2 * length + 1, length <= ADDR_DOMAIN_MAX). */
#define RANK_ADDRESS (2 * ADDR_PATH_MAX + 8)

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

static int domain_pattern(struct senderlist_entry *e, const char *s, size_t len, const char **why)
{
	size_t i;

	if (!len) { *why = "a domain after the dot is missing"; return -1; }
	if (len > ADDR_DOMAIN_MAX) { *why = "domain too long"; return -1; }
	if (addr_check_domain(s, len, ADDR_ALLOW_UTF8) != ADDR_OK) {
		*why = "not an address (local@domain) or a domain (example.com, .example.com)";
		return -1;
	}
	for (i = 0; i < len; i++) e->pattern[i] = lower(s[i]);
	e->pattern[len] = 0;
	return 0;
}

int senderlist_pattern(struct senderlist_entry *e, const char *s, size_t len, const char **why)
{
	struct addr a;
	stralloc key = {0};
	int err;

	if (!len) { *why = "empty pattern"; return -1; }
	if (memchr(s, 0, len)) { *why = "a NUL byte in the pattern"; return -1; }
	if (s[0] == '@') { *why = "write a domain without the '@' (example.com)"; return -1; }
	if (!memchr(s, '@', len)) {
		/* '*' is atext in a local part, so only a domain can be a wildcard */
		if (memchr(s, '*', len)) {
			*why = "no wildcards: write .example.com for example.com and every name under it";
			return -1;
		}
		e->kind = s[0] == '.' ? SENDERLIST_SUBDOMAINS : SENDERLIST_DOMAIN;
		return s[0] == '.' ? domain_pattern(e, s + 1, len - 1, why) : domain_pattern(e, s, len, why);
	}
	/* Relay characters are legal in a sender's address; a list must be
	 * able to name one. */
	err = addr_parse(&a, s, len, ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS);
	if (err != ADDR_OK) { *why = addr_strerror(err); return -1; }
	if (a.literal) { *why = "an address literal ([...]) cannot be listed"; return -1; }
	if (!addr_key(&key, &a)) { *why = "out of memory"; errno = ENOMEM; return -1; }
	if (key.len > ADDR_PATH_MAX) {
		stralloc_free(&key);
		*why = "address too long";
		return -1;
	}
	/* A line is split at white space and '#' starts a comment: such an
	 * address could not be written back.  List its domain instead. */
	if (key.s[strcspn(key.s, " \t")] || key.s[0] == '#') {
		stralloc_free(&key);
		*why = "an address holding white space or starting with '#' cannot be listed";
		return -1;
	}
	e->kind = SENDERLIST_ADDRESS;
	memcpy(e->pattern, key.s, key.len + 1);
	stralloc_free(&key);
	return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* One line, without its line end: blank, a comment, or ACTION PATTERN
 * [# comment].  1 when *e was filled, 0 for nothing, -1 on error. */
static int parse_line(struct senderlist_entry *e, const char *s, size_t len, const char **why)
{
	size_t i = 0, w, p;

	if (memchr(s, 0, len)) { *why = "a NUL byte"; return -1; }
	while (i < len && is_space(s[i])) i++;
	if (i == len || s[i] == '#') return 0;
	for (w = i; i < len && !is_space(s[i]); i++)
		;
	if (i - w == 5 && !strncasecmp(s + w, "allow", 5)) e->action = SENDERLIST_ALLOW;
	else if (i - w == 5 && !strncasecmp(s + w, "block", 5)) e->action = SENDERLIST_BLOCK;
	else { *why = "a line must start with allow or block"; return -1; }
	while (i < len && is_space(s[i])) i++;
	if (i == len || s[i] == '#') { *why = "a pattern is missing"; return -1; }
	for (p = i; i < len && !is_space(s[i]); i++)
		;
	if (senderlist_pattern(e, s + p, i - p, why) < 0) return -1;
	while (i < len && is_space(s[i])) i++;
	if (i < len && s[i] != '#') { *why = "one pattern a line"; return -1; }
	return 1;
}

int senderlist_parse(struct senderlist *l, const char *text, size_t len, const char **why, unsigned *line)
{
	size_t pos = 0;
	unsigned cap = 0;

	l->n = 0;
	l->e = 0;
	*line = 0;
	if (len > SENDERLIST_FILE_MAX) { *why = "file too large"; return -1; }
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		struct senderlist_entry e;
		int r;

		pos += n + !!nl;
		++*line;
		if (n && s[n - 1] == '\r') n--;
		if (n > SENDERLIST_LINE_MAX) { *why = "line too long"; return -1; }
		r = parse_line(&e, s, n, why);
		if (r < 0) return -1;
		if (!r) continue;
		if (l->n == SENDERLIST_ENTRIES_MAX) { *why = "too many entries"; return -1; }
		if (l->n == cap) {
			unsigned ncap = cap ? cap * 2 : 16;
			struct senderlist_entry *grown;
			if (ncap > SENDERLIST_ENTRIES_MAX) ncap = SENDERLIST_ENTRIES_MAX;
			grown = realloc(l->e, ncap * sizeof *grown);
			if (!grown) { *why = "out of memory"; errno = ENOMEM; return -1; }
			l->e = grown;
			cap = ncap;
		}
		e.line = *line;
		l->e[l->n++] = e;
	}
	*line = 0;
	return 0;
}

void senderlist_free(struct senderlist *l)
{
	free(l->e);
	l->e = 0;
	l->n = 0;
}

int senderlist_format(stralloc *out, const struct senderlist *l)
{
	unsigned i;

	out->len = 0;
	for (i = 0; i < l->n; i++) {
		const struct senderlist_entry *e = &l->e[i];
		if (!stralloc_cats(out, e->action == SENDERLIST_BLOCK ? "block " : "allow ") ||
		    (e->kind == SENDERLIST_SUBDOMAINS && !stralloc_append(out, ".")) ||
		    !stralloc_cats(out, e->pattern) || !stralloc_append(out, "\n"))
			return 0;
	}
	return 1;
}

/* How specifically e names the address key of domain d: 0 not at all.
 * Domain patterns that match one name are suffixes of it, so the longer
 * one is the nearer; the domain itself beats ".domain" of the same
 * length. */
static size_t rank(const struct senderlist_entry *e, const char *key, const char *d)
{
	size_t dl = strlen(d), pl = strlen(e->pattern);

	switch (e->kind) {
	case SENDERLIST_ADDRESS:
		return strcmp(e->pattern, key) ? 0 : RANK_ADDRESS;
	case SENDERLIST_DOMAIN:
		return strcmp(e->pattern, d) ? 0 : 2 * pl + 1;
	case SENDERLIST_SUBDOMAINS:
		if (dl == pl) return strcmp(e->pattern, d) ? 0 : 2 * pl;
		if (dl > pl && d[dl - pl - 1] == '.' && !strcmp(d + dl - pl, e->pattern)) return 2 * pl;
		return 0;
	}
	return 0;
}

void senderlist_match(const struct senderlist *l, const char *key, const struct senderlist_entry **best,
                      size_t *best_rank)
{
	const char *at = strrchr(key, '@');
	unsigned i;

	if (!at) return;   /* the null sender, or no address at all */
	for (i = 0; i < l->n; i++) {
		size_t r = rank(&l->e[i], key, at + 1);
		if (!r) continue;
		if (r > *best_rank || (r == *best_rank && *best && (*best)->action == SENDERLIST_ALLOW &&
		                       l->e[i].action == SENDERLIST_BLOCK)) {
			*best = &l->e[i];
			*best_rank = r;
		}
	}
}

int senderlist_path(stralloc *out, const char *name)
{
	stralloc enc = {0};
	int ok = sendlimit_filename(&enc, name) && conf_path(out, SENDERLIST_DIR) && stralloc_append(out, "/") &&
	         stralloc_cat(out, &enc) && stralloc_0(out);

	if (ok) out->len--;
	stralloc_free(&enc);
	return ok;
}

int senderlist_load(struct senderlist *l, const char *name, const char **why, unsigned *line)
{
	stralloc path = {0}, text = {0};
	int r;

	l->n = 0;
	l->e = 0;
	*line = 0;
	if (!senderlist_path(&path, name)) { *why = "out of memory"; errno = ENOMEM; return -1; }
	r = textfile_read(path.s, SENDERLIST_FILE_MAX, &text, why);
	if (r == 1 && senderlist_parse(l, text.s, text.len, why, line) < 0) r = -1;
	stralloc_free(&path);
	stralloc_free(&text);
	return r;
}

/* Reads the list or logs why not; 0 when it cannot be used. */
static int load_or_log(struct senderlist *l, const char *name)
{
	const char *why = "";
	unsigned line;
	int e;
	char num[FMT_ULONG];
	stralloc path = {0};

	if (senderlist_load(l, name, &why, &line) >= 0) return 1;
	e = errno;
	num[fmt_ulong(num, line)] = 0;
	if (!senderlist_path(&path, name)) path.s = 0;
	if (line)
		log_event("senderlist", "file", path.s ? path.s : name, "result", "ignored", "reason", why,
		          "line", num, (char *)0);
	else
		log_event("senderlist", "file", path.s ? path.s : name, "result", "ignored", "reason", why,
		          "error", strerror(e), (char *)0);
	stralloc_free(&path);
	senderlist_free(l);
	return 0;
}

/* Appends the lookup key of address s (len bytes) to keys, NUL-terminated;
 * an address that does not parse is no key (it can match nothing). */
static int add_key(stralloc *keys, const char *s, size_t len)
{
	struct addr a;
	stralloc k = {0};
	int ok;

	if (addr_parse(&a, s, len, ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS) != ADDR_OK) return 1;
	ok = addr_key(&k, &a) && stralloc_catb(keys, k.s, k.len + 1);
	stralloc_free(&k);
	return ok;
}

int senderlist_verdict(const char *userkey, const char *domain, const char *env_sender, const char *from_field,
                       size_t from_len)
{
	struct senderlist lists[2] = {{0, 0}, {0, 0}};
	stralloc dkey = {0}, keys = {0}, from = {0};
	unsigned long nfrom = 0;
	int verdict = SENDERLIST_NONE, usable;
	unsigned i;
	size_t pos;

	if (!stralloc_copys(&dkey, "@") || !stralloc_cats(&dkey, domain) || !stralloc_0(&dkey)) goto nomem;
	/* Both files are read, so a broken one is noticed whichever decides. */
	usable = load_or_log(&lists[0], userkey);
	usable = load_or_log(&lists[1], dkey.s) && usable;
	if (!usable || (!lists[0].n && !lists[1].n)) goto done;

	if (env_sender && *env_sender && !add_key(&keys, env_sender, strlen(env_sender))) goto nomem;
	/* A From that does not parse as a whole still gives what it parsed
	 * before the fault; at most SENDERLIST_FROM_MAX addresses count. */
	if (from_field) {
		int err = hdr_addrlist(from_field, from_len, &from, &nfrom, SENDERLIST_FROM_MAX);
		if (err == HDR_ERR_NOMEM) goto nomem;
	}
	for (pos = 0; pos < from.len; pos += strlen(from.s + pos) + 1)
		if (!add_key(&keys, from.s + pos, strlen(from.s + pos))) goto nomem;

	/* The user's list first; the domain's only when the user's says nothing. */
	for (i = 0; i < 2 && verdict == SENDERLIST_NONE; i++) {
		const struct senderlist_entry *best = 0;
		size_t best_rank = 0;
		for (pos = 0; pos < keys.len; pos += strlen(keys.s + pos) + 1)
			senderlist_match(&lists[i], keys.s + pos, &best, &best_rank);
		if (best) verdict = best->action;
	}
	goto done;
nomem:
	log_event("senderlist", "user", userkey, "result", "ignored", "reason", "out of memory", (char *)0);
	verdict = SENDERLIST_NONE;
done:
	senderlist_free(&lists[0]);
	senderlist_free(&lists[1]);
	stralloc_free(&dkey);
	stralloc_free(&keys);
	stralloc_free(&from);
	return verdict;
}
