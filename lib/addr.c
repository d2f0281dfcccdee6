/*
 * addr: mail address parsing; the contract is in addr.h.
 *
 * Decisions the RFCs leave open, made here:
 * - The 64-octet local-part limit (RFC 5321 4.5.3.1.1) counts the local part
 *   as written, quotes and backslashes included: that is the Local-part
 *   production the RFC bounds.  The unquoted copy is never longer.
 * - addr_parse takes at most ADDR_PATH_MAX - 2 bytes: the path limit of
 *   RFC 5321 4.5.3.1.3 counts the angle brackets.
 * - An empty quoted string (""@x) is refused: it would make an empty local
 *   part, which no mailbox has and which reads like the null path.
 * - With ADDR_ALLOW_UTF8, 8-bit bytes must be well-formed UTF-8 (RFC 3629: no
 *   overlong forms, no surrogates, nothing above U+10FFFF) and must not be a
 *   C1 control (U+0080..U+009F); a control byte is invalid in any form.
 * - '%' and '!' are refused inside a quoted local part as well, unless
 *   ADDR_ALLOW_RELAYCHARS: the unquoted text is what a later hop sees.
 * - Address literals (RFC 5321 4.1.3): IPv4 and IPv6 only, both checked
 *   against the RFC's grammar; the general form [tag:text] is refused.
 *   A leading zero in an IPv4 number ([010.0.0.1]) is refused although Snum
 *   allows it: inet_aton(3) and others read it as octal, so two hops could
 *   disagree on the address.  The
 *   tag is stored as "IPv6:" and hex digits lower-cased, so a literal has one
 *   spelling.
 * - A source route (a path starting with '@' and holding ':') gets
 *   ADDR_ERR_ROUTE rather than being skipped as RFC 5321 4.1.2/C allows:
 *   nobody legitimate sends them any more.
 */
#include <string.h>
#include <strings.h>
#include "addr.h"

static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_hex(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* RFC 5322 3.2.3 atext, ASCII part. */
static int is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5321 4.1.2 qtextSMTP: printable ASCII except '"' and '\'. */
static int is_qtext(unsigned char c)
{
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

/* Length of the well-formed UTF-8 sequence of a code point >= U+00A0 at s
 * (at most len bytes available), or 0.  The second byte's range excludes
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629 4). */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] == 0xc2) { n = 2; lo = 0xa0; }      /* U+0080..U+009F are C1 controls */
	else if (s[0] >= 0xc3 && s[0] <= 0xdf) n = 2;
	else if (s[0] == 0xe0) { n = 3; lo = 0xa0; }
	else if (s[0] == 0xed) { n = 3; hi = 0x9f; }
	else if (s[0] >= 0xe1 && s[0] <= 0xef) n = 3;
	else if (s[0] == 0xf0) { n = 4; lo = 0x90; }
	else if (s[0] == 0xf4) { n = 4; hi = 0x8f; }
	else if (s[0] >= 0xf1 && s[0] <= 0xf3) n = 4;
	else return 0;
	if (len < n || s[1] < lo || s[1] > hi) return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf) return 0;
	return n;
}

/* An 8-bit sequence at s: its length, or 0 with *err set. */
static size_t eight_bit(const unsigned char *s, size_t len, unsigned flags, int *err)
{
	size_t n;

	*err = ADDR_ERR_UTF8;
	if (!(flags & ADDR_ALLOW_UTF8)) return 0;
	n = utf8_len(s, len);
	if (n) *err = ADDR_OK;
	return n;
}

/*
 * Domain names (RFC 5321 4.1.2 Domain; RFC 1035 2.3.4 label limit): labels
 * of 1..63 octets, letters, digits and inner hyphens; with ADDR_ALLOW_UTF8
 * also UTF-8 (RFC 6531 3.3 U-labels, checked for form only).  If out is not
 * null, the lower-cased domain is copied there (NUL-terminated).
 */
static int domain_parse(const char *str, size_t len, unsigned flags, char *out, int *utf8)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, label = 0;
	int err;

	if (!len) return ADDR_ERR_DOMAIN;
	if (len > ADDR_DOMAIN_MAX) return ADDR_ERR_TOOLONG;
	while (i < len) {
		unsigned char c = s[i];
		size_t n = 1;
		if (c == '.') {
			if (!label || s[i - 1] == '-') return ADDR_ERR_DOMAIN;
			label = 0;
		} else if (c == '-') {
			if (!label) return ADDR_ERR_DOMAIN;
			label++;
		} else if (is_alpha(c) || is_digit(c)) {
			label++;
		} else if (c >= 0x80) {
			if (!(n = eight_bit(s + i, len - i, flags, &err))) return err;
			*utf8 = 1;
			label += n;
		} else
			return ADDR_ERR_DOMAIN;
		if (label > 63) return ADDR_ERR_DOMAIN;
		if (out) {
			size_t k;
			for (k = 0; k < n; k++) out[i + k] = (char)lower(s[i + k]);
		}
		i += n;
	}
	/* a trailing dot ("example.com.") is DNS syntax, not mail syntax */
	if (!label || s[len - 1] == '-') return ADDR_ERR_DOMAIN;
	if (out) out[len] = 0;
	return ADDR_OK;
}

int addr_check_domain(const char *s, size_t len, unsigned flags)
{
	int utf8 = 0;
	return domain_parse(s, len, flags, 0, &utf8);
}

/* RFC 5321 4.1.3 Snum "." Snum "." Snum "." Snum, each 0..255.  Returns the
 * bytes used, or 0. */
static size_t ipv4_len(const char *s, size_t len)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		if (part) {
			if (i >= len || s[i] != '.') return 0;
			i++;
		}
		while (i < len && is_digit((unsigned char)s[i]) && digits < 3) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || v > 255) return 0;
		if (digits > 1 && s[i - digits] == '0') return 0;
	}
	return i;
}

/* RFC 5321 4.1.3 IPv6-addr: full (8 groups), compressed ("::" standing for
 * at least two groups, at most 6 written), and the forms ending in an IPv4
 * address (which counts as two groups).  The whole of s must match. */
static int ipv6_ok(const char *s, size_t len)
{
	size_t i = 0;
	int groups = 0, compressed = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = 1;
		i = 2;
		if (i == len) return 1;
	} else if (len && s[0] == ':')
		return 0;
	for (;;) {
		size_t start = i, v4;
		if ((v4 = ipv4_len(s + i, len - i)) && i + v4 == len) {
			groups += 2;
			i = len;
			break;
		}
		while (i < len && i - start < 4 && is_hex((unsigned char)s[i])) i++;
		if (i == start) return 0;
		groups++;
		if (i == len) break;
		if (s[i] != ':') return 0;
		i++;
		if (i < len && s[i] == ':') {
			if (compressed) return 0;
			compressed = 1;
			i++;
			if (i == len) break;
		} else if (i == len)
			return 0;
		if (groups > 8) return 0;
	}
	return compressed ? groups <= 6 : groups == 8;
}

/* An address literal "[...]" of len bytes: copied to out in its one
 * canonical spelling. */
static int literal_parse(const char *s, size_t len, char *out)
{
	size_t i;

	if (len < 2 || s[len - 1] != ']') return ADDR_ERR_DOMAIN;
	if (len > ADDR_DOMAIN_MAX) return ADDR_ERR_TOOLONG;
	s++;
	len -= 2;
	if (len > 5 && !strncasecmp(s, "IPv6:", 5)) {
		if (!ipv6_ok(s + 5, len - 5)) return ADDR_ERR_DOMAIN;
		memcpy(out, "[IPv6:", 6);
		for (i = 5; i < len; i++) out[i + 1] = (char)lower((unsigned char)s[i]);
	} else {
		if (!len || ipv4_len(s, len) != len) return ADDR_ERR_DOMAIN;
		out[0] = '[';
		memcpy(out + 1, s, len);
	}
	out[len + 1] = ']';
	out[len + 2] = 0;
	return ADDR_OK;
}

static int relay_char(unsigned char c, unsigned flags)
{
	return (c == '%' || c == '!') && !(flags & ADDR_ALLOW_RELAYCHARS);
}

/* RFC 5321 Dot-string (RFC 5322 dot-atom, RFC 6531 UTF8-non-ascii in atext)
 * at the start of s; stops at the first byte that cannot continue it.  Sets
 * *used to the bytes consumed; the text goes to out unchanged. */
static int dotstring_parse(const unsigned char *s, size_t len, unsigned flags,
                           char *out, size_t *used, int *utf8, int *relay)
{
	size_t i = 0;
	int err;

	while (i < len && s[i] != '@') {
		size_t n = 1;
		if (s[i] == '.') {
			if (!i || s[i - 1] == '.') return ADDR_ERR_LOCAL;
		} else if (s[i] >= 0x80) {
			if (!(n = eight_bit(s + i, len - i, flags, &err))) return err;
			*utf8 = 1;
		} else if (!is_atext(s[i]))
			return ADDR_ERR_LOCAL;
		if (relay_char(s[i], flags)) *relay = 1;
		if (i + n > ADDR_LOCAL_MAX) return ADDR_ERR_TOOLONG;
		memcpy(out + i, s + i, n);
		i += n;
	}
	if (!i || s[i - 1] == '.') return ADDR_ERR_LOCAL;
	out[i] = 0;
	*used = i;
	return ADDR_OK;
}

/* RFC 5321 Quoted-string (qtextSMTP, quoted-pairSMTP; RFC 6531 adds
 * UTF8-non-ascii to qtextSMTP).  s[0] is the opening quote. */
static int quoted_parse(const unsigned char *s, size_t len, unsigned flags,
                        char *out, size_t *used, int *utf8, int *relay)
{
	size_t i = 1, o = 0;
	int at = 0, err;

	for (;;) {
		size_t n = 1;
		const unsigned char *c = s + i;
		if (i >= len) return ADDR_ERR_LOCAL;
		if (*c == '"') break;
		if (*c == '\\') {
			if (i + 1 >= len || s[i + 1] < 32 || s[i + 1] > 126) return ADDR_ERR_LOCAL;
			c++;
			i++;
		} else if (*c >= 0x80) {
			if (!(n = eight_bit(c, len - i, flags, &err))) return err;
			*utf8 = 1;
		} else if (!is_qtext(*c))
			return ADDR_ERR_LOCAL;
		if (*c == '@') at = 1;
		if (relay_char(*c, flags)) *relay = 1;
		if (i + n + 1 > ADDR_LOCAL_MAX) return ADDR_ERR_TOOLONG;
		memcpy(out + o, c, n);
		o += n;
		i += n;
	}
	if (!o) return ADDR_ERR_LOCAL;
	if (at) *relay = 1;
	out[o] = 0;
	*used = i + 1;
	return ADDR_OK;
}

int addr_parse(struct addr *a, const char *str, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t used = 0;
	int utf8 = 0, relay = 0, err;

	memset(a, 0, sizeof *a);
	if (!len) {
		if (!(flags & ADDR_ALLOW_EMPTY)) return ADDR_ERR_EMPTY;
		a->empty = 1;
		return ADDR_OK;
	}
	if (len > ADDR_PATH_MAX - 2) return ADDR_ERR_TOOLONG;
	if (s[0] == '@') return memchr(s, ':', len) ? ADDR_ERR_ROUTE : ADDR_ERR_LOCAL;
	if (s[0] == '"')
		err = quoted_parse(s, len, flags, a->local, &used, &utf8, &relay);
	else
		err = dotstring_parse(s, len, flags, a->local, &used, &utf8, &relay);
	if (err) return err;
	if (relay) return ADDR_ERR_RELAY;
	if (used == len) {
		if (!(flags & ADDR_ALLOW_NODOMAIN)) return ADDR_ERR_NODOMAIN;
	} else {
		if (s[used] != '@') return ADDR_ERR_LOCAL;
		used++;
		if (used < len && s[used] == '[') {
			err = literal_parse(str + used, len - used, a->domain);
			a->literal = 1;
		} else
			err = domain_parse(str + used, len - used, flags, a->domain, &utf8);
		if (err) return err;
	}
	a->utf8 = (unsigned char)utf8;
	return ADDR_OK;
}

/* Is there a '<' or '>' outside a quoted string?  (Inside one they are
 * ordinary qtext.) */
static int stray_bracket(const char *s, size_t len)
{
	size_t i;
	int quoted = 0;

	for (i = 0; i < len; i++) {
		if (quoted && s[i] == '\\') i++;
		else if (s[i] == '"') quoted = !quoted;
		else if (!quoted && (s[i] == '<' || s[i] == '>')) return 1;
	}
	return 0;
}

int addr_parse_path(struct addr *a, const char *s, size_t len, unsigned flags)
{
	int err;

	memset(a, 0, sizeof *a);
	if (len > ADDR_PATH_MAX) return ADDR_ERR_TOOLONG;
	if (len < 2 || s[0] != '<' || s[len - 1] != '>') return ADDR_ERR_BRACKETS;
	if (stray_bracket(s + 1, len - 2)) return ADDR_ERR_BRACKETS;
	err = addr_parse(a, s + 1, len - 2, flags);
	if (err) memset(a, 0, sizeof *a);
	return err;
}

const char *addr_strerror(int err)
{
	switch (err) {
	case ADDR_OK: return "no error";
	case ADDR_ERR_EMPTY: return "empty address";
	case ADDR_ERR_TOOLONG: return "address, local part or domain too long";
	case ADDR_ERR_LOCAL: return "bad local part syntax";
	case ADDR_ERR_DOMAIN: return "bad domain or address literal";
	case ADDR_ERR_NODOMAIN: return "address has no domain";
	case ADDR_ERR_RELAY: return "relay characters in local part";
	case ADDR_ERR_ROUTE: return "source routes are not accepted";
	case ADDR_ERR_UTF8: return "8-bit characters not allowed or invalid UTF-8";
	case ADDR_ERR_BRACKETS: return "path not enclosed in angle brackets";
	}
	return "unknown address error";
}

/* Can the local part be written bare?  RFC 5322 3.2.3 dot-atom, with 8-bit
 * text as atext (RFC 6531 3.3). */
static int is_dotatom(const char *local)
{
	const unsigned char *s = (const unsigned char *)local;
	size_t i;

	if (!s[0] || s[0] == '.') return 0;
	for (i = 0; s[i]; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.' || !s[i + 1]) return 0;
		} else if (s[i] < 0x80 && !is_atext(s[i]))
			return 0;
	}
	return 1;
}

int addr_format(stralloc *out, const struct addr *a)
{
	const char *p;

	out->len = 0;
	if (!a->empty) {
		if (is_dotatom(a->local)) {
			if (!stralloc_cats(out, a->local)) return 0;
		} else {
			if (!stralloc_append(out, "\"")) return 0;
			for (p = a->local; *p; p++) {
				if ((*p == '"' || *p == '\\') && !stralloc_append(out, "\\")) return 0;
				if (!stralloc_append(out, p)) return 0;
			}
			if (!stralloc_append(out, "\"")) return 0;
		}
		if (a->domain[0] && (!stralloc_append(out, "@") || !stralloc_cats(out, a->domain)))
			return 0;
	}
	if (!stralloc_0(out)) return 0;
	out->len--;
	return 1;
}

int addr_key(stralloc *out, const struct addr *a)
{
	size_t i;

	if (!addr_format(out, a)) return 0;
	for (i = 0; i < out->len; i++) out->s[i] = (char)lower((unsigned char)out->s[i]);
	return 1;
}

int addr_split_ext(const struct addr *a, char delim, struct addr *base, char ext[ADDR_LOCAL_MAX + 1])
{
	const char *d;
	const unsigned char *p;
	size_t n;

	if (!delim || a->empty || !(d = strchr(a->local, delim)) || d == a->local) return 0;
	n = (size_t)(d - a->local);
	strcpy(ext, d + 1);   /* fits: a part of a->local (ADDR_LOCAL_MAX) */
	if (base != a) *base = *a;
	base->local[n] = 0;
	base->utf8 = 0;
	for (p = (const unsigned char *)base->local; *p; p++)
		if (*p >= 0x80) base->utf8 = 1;
	for (p = (const unsigned char *)base->domain; *p; p++)
		if (*p >= 0x80) base->utf8 = 1;
	return 1;
}
