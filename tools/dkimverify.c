/*
 * dkimverify: verifies the DKIM signatures of one message with lib/dkim,
 * its key records taken from a table file instead of DNS.  For
 * tests/dkim-oracle.t, which checks lib/dkim against python3-dkim.
 *
 * Usage: dkimverify KEYTABLE MESSAGE [NOW]
 *   KEYTABLE  lines "NAME TXT-RECORD" (the strings of a record already
 *             joined); a name on several lines has several records; a
 *             record "TEMP" makes the lookup fail for now.
 *   MESSAGE   the message, CRLF or bare-LF line ends.
 *   NOW       seconds since the epoch for t= and x= (default: the clock).
 * Prints "d s result reason" per signature, in the message's order ("-"
 * for an empty d, s or reason).  Exits 0, or 111 when a file cannot be
 * read.
 *
 * The header section is handed over field by field and the body in chunks
 * of changing odd sizes, as posthorn-smtpd hands over what it streams: a
 * CRLF split between two chunks must not change the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "dkim.h"

/* Bounds a test file, so a mistake in the test cannot eat the machine. */
#define FILE_MAX (64 * 1024 * 1024)

static char *keytab;
static size_t keytablen;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = 0;
	size_t n = 0, cap = 0, r;

	if (!f) return 0;
	for (;;) {
		if (n == cap) {
			char *nb;
			if (cap >= FILE_MAX || !(nb = realloc(buf, cap = cap ? cap * 2 : 65536))) {
				free(buf);
				fclose(f);
				return 0;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) break;
	}
	if (ferror(f)) { free(buf); fclose(f); return 0; }
	fclose(f);
	*len = n;
	return buf;
}

/* The resolver of lib/dkim.h: every line of the table whose name is
 * name (case-insensitive, a final dot ignored) is one record. */
static int table_txt(void *ctx, const char *name, stralloc *out)
{
	size_t pos = 0, nlen = strlen(name);
	int found = 0;

	(void)ctx;
	if (nlen && name[nlen - 1] == '.') nlen--;
	while (pos < keytablen) {
		const char *line = keytab + pos, *nl = memchr(line, '\n', keytablen - pos);
		size_t llen = nl ? (size_t)(nl - line) : keytablen - pos;
		const char *sp = memchr(line, ' ', llen);
		pos += llen + 1;
		if (llen && line[llen - 1] == '\r') llen--;
		if (!sp || (size_t)(sp - line) != nlen || strncasecmp(line, name, nlen)) continue;
		sp++;
		llen -= (size_t)(sp - line);
		if (llen == 4 && !memcmp(sp, "TEMP", 4)) return DKIM_DNS_TEMP;
		if (!stralloc_catb(out, sp, llen) || !stralloc_0(out)) return DKIM_DNS_TEMP;
		found = 1;
	}
	return found ? DKIM_DNS_OK : DKIM_DNS_NONE;
}

static const char *dash(const char *s) { return s && *s ? s : "-"; }

int main(int argc, char **argv)
{
	static const size_t chunks[] = {1, 3, 7, 2, 61, 5, 509, 13, 4093};
	static struct dkim v;
	struct dkim_dns dns = {table_txt, 0};
	unsigned long long now = (unsigned long long)time(0);
	size_t len, pos = 0, c = 0, k;
	char *msg;

	if (argc < 3 || argc > 4) {
		fputs("usage: dkimverify keytable message [now]\n", stderr);
		return 100;
	}
	if (argc == 4) now = strtoull(argv[3], 0, 10);
	if (!(keytab = slurp(argv[1], &keytablen))) { perror(argv[1]); return 111; }
	if (!(msg = slurp(argv[2], &len))) { perror(argv[2]); return 111; }

	dkim_init(&v);
	/* the header section: each field with its continuation lines (those
	 * that start with WSP), up to the empty line */
	while (pos < len) {
		size_t start = pos;
		if (msg[pos] == '\n') { pos++; break; }
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n') { pos += 2; break; }
		for (;;) {
			const char *nl = memchr(msg + pos, '\n', len - pos);
			pos = nl ? (size_t)(nl - msg) + 1 : len;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t')) break;
		}
		if (dkim_header(&v, msg + start, pos - start)) { fputs("dkimverify: out of memory\n", stderr); return 111; }
	}
	dkim_headers_end(&v);
	while (pos < len) {
		size_t n = chunks[c++ % (sizeof chunks / sizeof chunks[0])];
		if (n > len - pos) n = len - pos;
		dkim_body(&v, msg + pos, n);
		pos += n;
	}
	dkim_finish(&v, &dns, now);
	for (k = 0; k < v.nsig; k++)
		printf("%s %s %s %s\n", dash(v.sig[k].d), dash(v.sig[k].s),
		       dkim_result_str(v.sig[k].result), dash(v.sig[k].reason));
	dkim_free(&v);
	free(msg);
	free(keytab);
	return fflush(stdout) ? 111 : 0;
}
