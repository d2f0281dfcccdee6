/*
 * smtpcmd: SMTP command line parsing; contract in smtpcmd.h.
 *
 * Strictness: MAIL/RCPT need the path in angle brackets (RFC 5321 4.1.2);
 * a bare address is refused, as Postfix's strict_rfc821_envelopes does,
 * because the brackets are what make the end of the path unambiguous once
 * parameters follow.  Spaces after the colon are tolerated since many
 * clients write "MAIL FROM: <a@b>".
 */
#include "smtpcmd.h"

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t smtpcmd_chomp(const char *line, size_t len, int *crlf)
{
	*crlf = 0;
	if (len && line[len - 1] == '\n') {
		len--;
		if (len && line[len - 1] == '\r') {
			len--;
			*crlf = 1;
		}
	}
	return len;
}

int smtpcmd_has_control(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) return 1;
	}
	return 0;
}

size_t smtpcmd_verb(const char *line, size_t len, const char **arg, size_t *arglen)
{
	size_t i = 0;

	while (i < len && line[i] != ' ') i++;
	if (i < len) {
		*arg = line + i + 1;
		*arglen = len - i - 1;
	} else {
		*arg = line + len;
		*arglen = 0;
	}
	return i;
}

int smtpcmd_is(const char *verb, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!name[i] || ascii_lower((unsigned char)verb[i]) != ascii_lower((unsigned char)name[i])) return 0;
	return name[i] == 0;
}

/* Length of the path starting at s[0] == '<': up to and including the '>'
 * that is outside a quoted string; 0 if there is none. */
static size_t path_len(const char *s, size_t len)
{
	size_t i;
	int quoted = 0;

	for (i = 1; i < len; i++) {
		if (quoted) {
			if (s[i] == '\\') i++;
			else if (s[i] == '"') quoted = 0;
			continue;
		}
		if (s[i] == '"') quoted = 1;
		else if (s[i] == '>') return i + 1;
	}
	return 0;
}

/* One "keyword[=value]" of len bytes (no spaces inside). */
static int param(const char *s, size_t len, struct smtpcmd_param *p)
{
	size_t i = 0, j;

	if (!len || !is_alnum((unsigned char)s[0])) return SMTPCMD_ERR_PARAM;
	while (i < len && (is_alnum((unsigned char)s[i]) || s[i] == '-')) i++;
	p->key = s;
	p->keylen = i;
	p->value = 0;
	p->vallen = 0;
	if (i == len) return SMTPCMD_OK;
	if (s[i] != '=' || i + 1 == len) return SMTPCMD_ERR_PARAM;
	/* esmtp-value: any visible character but '=' (RFC 5321 4.1.2), UTF-8
	 * allowed (RFC 6531 3.3) */
	for (j = i + 1; j < len; j++)
		if (s[j] == '=' || s[j] == ' ') return SMTPCMD_ERR_PARAM;
	p->value = s + i + 1;
	p->vallen = len - i - 1;
	return SMTPCMD_OK;
}

int smtpcmd_path(const char *arg, size_t len, const char *prefix, const char **path, size_t *pathlen,
                 struct smtpcmd_param params[SMTPCMD_PARAMS_MAX], unsigned *nparams)
{
	size_t i = 0, n;

	*nparams = 0;
	if (smtpcmd_has_control(arg, len)) return SMTPCMD_ERR_CONTROL;
	for (; prefix[i]; i++)
		if (i >= len || ascii_lower((unsigned char)arg[i]) != ascii_lower((unsigned char)prefix[i]))
			return SMTPCMD_ERR_SYNTAX;
	while (i < len && arg[i] == ' ') i++;
	if (i >= len || arg[i] != '<') return SMTPCMD_ERR_PATH;
	n = path_len(arg + i, len - i);
	if (!n) return SMTPCMD_ERR_PATH;
	*path = arg + i;
	*pathlen = n;
	i += n;
	if (i < len && arg[i] != ' ') return SMTPCMD_ERR_SYNTAX;
	for (;;) {
		size_t start;
		int r;

		while (i < len && arg[i] == ' ') i++;
		if (i >= len) return SMTPCMD_OK;
		start = i;
		while (i < len && arg[i] != ' ') i++;
		if (*nparams >= SMTPCMD_PARAMS_MAX) return SMTPCMD_ERR_TOOMANY;
		if ((r = param(arg + start, i - start, &params[*nparams]))) return r;
		++*nparams;
	}
}

int smtpcmd_number(const char *s, size_t len, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!len || len > 20) return -1;
	for (i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9') return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (~0ULL - d) / 10) return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

const char *smtpcmd_strerror(int err)
{
	switch (err) {
	case SMTPCMD_OK: return "no error";
	case SMTPCMD_ERR_SYNTAX: return "syntax error";
	case SMTPCMD_ERR_PATH: return "address must be in angle brackets";
	case SMTPCMD_ERR_PARAM: return "malformed parameter";
	case SMTPCMD_ERR_TOOMANY: return "too many parameters";
	case SMTPCMD_ERR_CONTROL: return "control character in command";
	}
	return "unknown error";
}
