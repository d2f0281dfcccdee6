/*
 * authres: the Authentication-Results header field; see authres.h.
 */
#include <stdarg.h>
#include <string.h>
#include "authres.h"
#include "hdr.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int authres_begin(stralloc *out, const char *authserv_id)
{
	out->len = 0;
	return stralloc_cats(out, "Authentication-Results: ") && stralloc_cats(out, authserv_id);
}

/* RFC 2045 token characters, and '@' for addr-spec values (RFC 8601 2.2). */
static int token_char(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("()<>,;:\\\"/[]?=", c);
}

static int cat_value(stralloc *out, const char *v)
{
	size_t i, n = strlen(v);
	int plain = n > 0;

	if (n > AUTHRES_VALUE_MAX) n = AUTHRES_VALUE_MAX;
	for (i = 0; i < n; i++)
		if (!token_char((unsigned char)v[i]) && v[i] != '@') plain = 0;
	if (plain) return stralloc_catb(out, v, n);
	if (!stralloc_append(out, "\"")) return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 32 || c == 127) continue;
		if ((c == '"' || c == '\\') && !stralloc_append(out, "\\")) return 0;
		if (!stralloc_append(out, (const char *)&v[i])) return 0;
	}
	return stralloc_append(out, "\"");
}

static int cat_comment(stralloc *out, const char *c)
{
	size_t i, n = strlen(c);

	if (n > AUTHRES_COMMENT_MAX) n = AUTHRES_COMMENT_MAX;
	if (!stralloc_cats(out, " (")) return 0;
	for (i = 0; i < n; i++) {
		char ch = c[i];
		if ((unsigned char)ch < 32 || (unsigned char)ch >= 127 || ch == '(' || ch == ')' || ch == '\\') ch = '?';
		if (!stralloc_append(out, &ch)) return 0;
	}
	return stralloc_append(out, ")");
}

int authres_add(stralloc *out, const char *method, const char *result, const char *comment, ...)
{
	va_list ap;
	const char *prop, *val;
	int okay = 1;

	if (!stralloc_cats(out, ";\n\t") || !stralloc_cats(out, method) || !stralloc_append(out, "=") ||
	    !stralloc_cats(out, result))
		return 0;
	if (comment && *comment && !cat_comment(out, comment)) return 0;
	va_start(ap, comment);
	while (okay && (prop = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		if (!val || !*val) continue;
		okay = stralloc_append(out, " ") && stralloc_cats(out, prop) && stralloc_append(out, "=") &&
		       cat_value(out, val);
	}
	va_end(ap);
	return okay;
}

int authres_end(stralloc *out)
{
	/* a field with no result holds no ';' after the authserv-id */
	const char *semi = memchr(out->s, ';', out->len);

	if (!semi && !stralloc_cats(out, "; none")) return 0;
	return stralloc_append(out, "\n");
}

/* Skips folding white space and comments (nested, RFC 5322 3.2.2). */
static size_t skip_cfws(const char *s, size_t i, size_t len)
{
	unsigned depth = 0;

	while (i < len) {
		char c = s[i];
		if (depth) {
			if (c == '\\') i++;
			else if (c == '(') depth++;
			else if (c == ')') depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
		i++;
	}
	return depth ? len : i;
}

int authres_is_ours(const char *field, size_t len, const char *id)
{
	char got[AUTHRES_ID_MAX + 1];
	size_t i, n = 0, idlen = strlen(id);

	if (!hdr_is(field, len, "Authentication-Results")) return 0;
	i = (size_t)((const char *)memchr(field, ':', len) - field) + 1;
	i = skip_cfws(field, i, len);
	if (i < len && field[i] == '"') {
		for (i++; i < len && field[i] != '"'; i++) {
			if (field[i] == '\\' && i + 1 < len) i++;
			if (n == AUTHRES_ID_MAX) return 0;
			got[n++] = field[i];
		}
		if (i == len) return 0;
	} else {
		for (; i < len && token_char((unsigned char)field[i]); i++) {
			if (n == AUTHRES_ID_MAX) return 0;
			got[n++] = field[i];
		}
	}
	if (n != idlen || !n) return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)got[i]) != lower((unsigned char)id[i])) return 0;
	return 1;
}
