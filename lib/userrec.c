/*
 * userrec: one user-list record as one line of text; contract in userrec.h,
 * format in posthorn-users(5).
 *
 * The parser is strict because the same line arrives from two places a
 * person may have edited by hand (an import file) or that may be damaged (a
 * CDB value): every field is checked, unknown and repeated fields are
 * errors, and a value that could be read two ways (white space, a comma in
 * an alias target, "/../" in a path) is refused rather than guessed at.
 */
#include <limits.h>
#include <string.h>
#include <fmt.h>
#include "userrec.h"

/* Which fields each kind takes; a bit per field name. */
enum {
	F_HASH = 1, F_MAILDIR = 2, F_QUOTA = 4, F_TO = 8, F_CATCHALL = 16, F_SENDHOUR = 32, F_SENDDAY = 64
};

static const struct field {
	const char *name;
	unsigned bit;
	enum userrec_kind kind;
} fields[] = {
	{"hash", F_HASH, USERREC_USER},
	{"maildir", F_MAILDIR, USERREC_USER},
	{"quota", F_QUOTA, USERREC_USER},
	{"to", F_TO, USERREC_ALIAS},
	{"catchall", F_CATCHALL, USERREC_DOMAIN},
	{"sendhour", F_SENDHOUR, USERREC_USER},
	{"sendday", F_SENDDAY, USERREC_USER},
	{"sendhour", F_SENDHOUR, USERREC_DOMAIN},
	{"sendday", F_SENDDAY, USERREC_DOMAIN},
};

static int is_blank(unsigned char c) { return c == ' ' || c == '\t'; }

static int is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

/* The next blank-separated token of s[*pos..len); 0 at the end. */
static int next_token(const char *s, size_t len, size_t *pos, const char **tok, size_t *toklen)
{
	size_t i = *pos, start;

	while (i < len && is_blank((unsigned char)s[i])) i++;
	if (i == len) { *pos = i; return 0; }
	start = i;
	while (i < len && !is_blank((unsigned char)s[i])) i++;
	*tok = s + start;
	*toklen = i - start;
	*pos = i;
	return 1;
}

static int token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(tok, word, len);
}

/* Parses an address into its lookup form.  The key must stay one token of
 * the line and one element of a to= list, so white space and commas (only
 * possible in a quoted local part) are refused: such an address could not be
 * written back out unambiguously. */
static const char *parse_address(char out[ADDR_PATH_MAX + 1], const char *s, size_t len, int literal_ok)
{
	struct addr a;
	stralloc key = {0};
	const char *why = 0;
	size_t i;
	int err = addr_parse(&a, s, len, ADDR_ALLOW_UTF8);

	if (err != ADDR_OK) return addr_strerror(err);
	if (a.literal && !literal_ok) return "address literal not allowed here";
	if (!addr_key(&key, &a)) return "out of memory";
	if (key.len > ADDR_PATH_MAX) why = "address too long";
	for (i = 0; !why && i < key.len; i++)
		if (is_blank((unsigned char)key.s[i]) || is_ctl((unsigned char)key.s[i]) || key.s[i] == ',')
			why = "address holds white space, a control character or a comma";
	if (!why) {
		memcpy(out, key.s, key.len);
		out[key.len] = 0;
	}
	stralloc_free(&key);
	return why;
}

static const char *parse_domain(char out[ADDR_PATH_MAX + 1], const char *s, size_t len)
{
	size_t i;

	if (addr_check_domain(s, len, ADDR_ALLOW_UTF8) != ADDR_OK) return "bad domain";
	if (len > ADDR_DOMAIN_MAX) return "domain too long";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = 0;
	return 0;
}

/* An absolute path that names one place: no "." or ".." component games
 * that would let a record point outside the tree its path seems to name. */
static const char *parse_maildir(char out[USERREC_PATH_MAX + 1], const char *s, size_t len)
{
	size_t i;

	if (len > USERREC_PATH_MAX) return "maildir path too long";
	if (s[0] != '/') return "maildir path is not absolute";
	for (i = 0; i + 3 <= len; i++)
		if (s[i] == '/' && s[i + 1] == '.' && s[i + 2] == '.' && (i + 3 == len || s[i + 3] == '/'))
			return "maildir path holds \"..\"";
	memcpy(out, s, len);
	out[len] = 0;
	return 0;
}

static const char *parse_quota(unsigned long long *q, const char *s, size_t len)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9) return "quota is not a decimal number";
		if (v > (ULLONG_MAX - d) / 10) return "quota too large";
		v = v * 10 + d;
	}
	*q = v;
	return 0;
}

/* A send limit (posthorn-queue(8)): 1..USERREC_SENDLIMIT_MAX; 0 would be
 * the default, which is written by leaving the field out. */
static const char *parse_sendlimit(unsigned long *out, const char *s, size_t len)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9) return "send limit is not a decimal number";
		v = v * 10 + d;
		if (v > USERREC_SENDLIMIT_MAX) return "send limit too large";
	}
	if (!v) return "send limit is 0 (leave the field out for the default)";
	*out = v;
	return 0;
}

static const char *parse_targets(struct userrec *r, const char *s, size_t len)
{
	size_t start = 0, i, k;

	r->ntargets = 0;
	for (i = 0; i <= len; i++) {
		const char *why;
		if (i < len && s[i] != ',') continue;
		if (i == start) return "empty alias target";
		if (r->ntargets == USERREC_TARGETS_MAX) return "too many alias targets";
		why = parse_address(r->targets[r->ntargets], s + start, i - start, 1);
		if (why) return why;
		for (k = 0; k < r->ntargets; k++)
			if (!strcmp(r->targets[k], r->targets[r->ntargets])) return "duplicate alias target";
		r->ntargets++;
		start = i + 1;
	}
	return 0;
}

static const char *parse_field(struct userrec *r, unsigned *seen, const char *tok, size_t len)
{
	const char *eq = memchr(tok, '=', len);
	const char *v;
	size_t nlen, vlen, i;

	if (!eq) return "field without '='";
	nlen = (size_t)(eq - tok);
	v = eq + 1;
	vlen = len - nlen - 1;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i].kind == r->kind && token_is(tok, nlen, fields[i].name)) break;
	if (i == sizeof fields / sizeof fields[0]) return "unknown field";
	if (*seen & fields[i].bit) return "duplicate field";
	*seen |= fields[i].bit;
	if (!vlen) return "empty field value";

	switch (fields[i].bit) {
	case F_HASH:
		if (vlen > USERREC_HASH_MAX) return "hash too long";
		memcpy(r->hash, v, vlen);
		r->hash[vlen] = 0;
		return 0;
	case F_MAILDIR: return parse_maildir(r->maildir, v, vlen);
	case F_QUOTA: return parse_quota(&r->quota, v, vlen);
	case F_TO: return parse_targets(r, v, vlen);
	case F_SENDHOUR: return parse_sendlimit(&r->sendhour, v, vlen);
	case F_SENDDAY: return parse_sendlimit(&r->sendday, v, vlen);
	default: return parse_address(r->catchall, v, vlen, 1);
	}
}

static const char *parse(struct userrec *r, const char *line, size_t len)
{
	const char *tok;
	size_t toklen, pos = 0, i;
	unsigned seen = 0;
	const char *why;

	if (len > USERREC_LINE_MAX) return "line too long";
	for (i = 0; i < len; i++)
		if (line[i] != '\t' && is_ctl((unsigned char)line[i])) return "control character in line";

	if (!next_token(line, len, &pos, &tok, &toklen)) return "empty line";
	if (token_is(tok, toklen, "user")) r->kind = USERREC_USER;
	else if (token_is(tok, toklen, "alias")) r->kind = USERREC_ALIAS;
	else if (token_is(tok, toklen, "domain")) r->kind = USERREC_DOMAIN;
	else return "unknown record kind (not user, alias or domain)";

	if (!next_token(line, len, &pos, &tok, &toklen))
		return r->kind == USERREC_DOMAIN ? "missing domain" : "missing address";
	why = r->kind == USERREC_DOMAIN ? parse_domain(r->name, tok, toklen)
	                                : parse_address(r->name, tok, toklen, 0);
	if (why) return why;

	while (next_token(line, len, &pos, &tok, &toklen))
		if ((why = parse_field(r, &seen, tok, toklen))) return why;

	if (r->kind == USERREC_USER && !(seen & F_MAILDIR)) return "user without maildir=";
	if (r->kind == USERREC_ALIAS && !(seen & F_TO)) return "alias without to=";
	return 0;
}

int userrec_parse(struct userrec *r, const char *line, size_t len, const char **why)
{
	const char *reason;

	memset(r, 0, sizeof *r);
	reason = parse(r, line, len);
	if (!reason) return 0;
	*why = reason;
	return -1;
}

static int cat_field(stralloc *out, const char *name, const char *value)
{
	return stralloc_append(out, " ") && stralloc_cats(out, name) &&
	       stralloc_append(out, "=") && stralloc_cats(out, value);
}

/* The send limits of a user or domain, those that are set. */
static int cat_sendlimits(stralloc *out, const struct userrec *r)
{
	char num[FMT_ULONG];

	if (r->sendhour) {
		num[fmt_ulong(num, r->sendhour)] = 0;
		if (!cat_field(out, "sendhour", num)) return 0;
	}
	if (r->sendday) {
		num[fmt_ulong(num, r->sendday)] = 0;
		if (!cat_field(out, "sendday", num)) return 0;
	}
	return 1;
}

int userrec_format(stralloc *out, const struct userrec *r)
{
	char num[FMT_ULONG * 2];
	unsigned i;
	int ok;

	out->len = 0;
	switch (r->kind) {
	case USERREC_USER:
		ok = stralloc_copys(out, "user ") && stralloc_cats(out, r->name) &&
		     (!r->hash[0] || cat_field(out, "hash", r->hash)) &&
		     cat_field(out, "maildir", r->maildir);
		if (ok && r->quota) {
			num[fmt_ulonglong(num, r->quota)] = 0;
			ok = cat_field(out, "quota", num);
		}
		ok = ok && cat_sendlimits(out, r);
		break;
	case USERREC_ALIAS:
		ok = stralloc_copys(out, "alias ") && stralloc_cats(out, r->name) &&
		     stralloc_cats(out, " to=");
		for (i = 0; ok && i < r->ntargets; i++)
			ok = (!i || stralloc_append(out, ",")) && stralloc_cats(out, r->targets[i]);
		break;
	default:
		ok = stralloc_copys(out, "domain ") && stralloc_cats(out, r->name) &&
		     (!r->catchall[0] || cat_field(out, "catchall", r->catchall)) && cat_sendlimits(out, r);
		break;
	}
	if (!ok || !stralloc_0(out)) return 0;
	out->len--;
	return 1;
}

int userrec_key(stralloc *out, const struct userrec *r)
{
	out->len = 0;
	if (r->kind == USERREC_DOMAIN && !stralloc_append(out, "@")) return 0;
	if (!stralloc_cats(out, r->name) || !stralloc_0(out)) return 0;
	out->len--;
	return 1;
}
