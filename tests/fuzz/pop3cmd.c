/*
 * Fuzz target for posthorn-pop3d's input handling: lib/pop3cmd (the command
 * line parser and number scanner) and lib/wire (the CRLF/dot-stuffing
 * encoder that RETR and TOP run every message through).
 *
 * pop3cmd_parse: an accepted line gives an upper-case A-Z keyword of 1 to 4
 * letters, arguments without separators or control bytes, and a rest that
 * lies inside the line.  pop3cmd_number accepts only what it promises.
 *
 * wire: the same bytes as a stored message, encoded whole and a few bytes
 * at a time, must give the same output; without stuffing its length is
 * wire_size_mem; with stuffing, no line starts with a lone '.', every LF
 * has its CR, and undoing the stuffing gives the unstuffed form back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pop3cmd.h"
#include "wire.h"

static void check_cmd(const uint8_t *data, size_t size)
{
	struct pop3cmd c;
	char *line = malloc(size + 1);
	unsigned i;
	int r;

	if (!line) return;
	memcpy(line, data, size);
	r = pop3cmd_parse(&c, line, size);
	if (r == POP3CMD_OK) {
		size_t k = strlen(c.keyword);
		if (k < 1 || k > POP3CMD_KEYWORD_MAX) abort();
		for (i = 0; i < k; i++)
			if (c.keyword[i] < 'A' || c.keyword[i] > 'Z') abort();
		if (c.rest < line || c.rest + c.restlen > line + size || c.rest[c.restlen]) abort();
		for (i = 0; i < c.nargs && i < POP3CMD_ARGS_MAX; i++) {
			const char *a = c.arg[i];
			unsigned long n;
			if (!*a) abort();
			for (; *a; a++)
				if (*a == ' ' || *a == '\t' || (unsigned char)*a < 0x20 || *a == 0x7f) abort();
			if (pop3cmd_number(c.arg[i], &n) == 0) {
				if (n > 999999999UL || strspn(c.arg[i], "0123456789") != strlen(c.arg[i])) abort();
			}
		}
	} else if (r != POP3CMD_EMPTY && r != POP3CMD_BADCHAR && r != POP3CMD_KEYWORD && r != POP3CMD_TOOLONG) {
		abort();
	}
	free(line);
}

/* Encodes data whole or in steps of `step` bytes; returns the length. */
static size_t encode(const uint8_t *data, size_t size, size_t step, int stuff, char *out)
{
	struct wire w;
	size_t i, o = 0;

	wire_init(&w, -1);
	w.stuff = stuff;
	for (i = 0; i < size; i += step) {
		size_t n = size - i < step ? size - i : step;
		o += wire_encode(&w, (const char *)data + i, n, out + o);
	}
	return o + wire_finish(&w, out + o);
}

static void check_wire(const uint8_t *data, size_t size)
{
	char *a = malloc(2 * size + 2), *b = malloc(2 * size + 2), *u = malloc(2 * size + 2);
	size_t la, lb, lu, i, j;
	size_t step = size ? (size_t)data[0] % 7 + 1 : 1;

	if (!a || !b || !u) goto out;
	lu = encode(data, size, size ? size : 1, 0, u);
	if (lu != wire_size_mem((const char *)data, size)) abort();
	la = encode(data, size, size ? size : 1, 1, a);
	lb = encode(data, size, step, 1, b);
	if (la != lb || memcmp(a, b, la)) abort();
	/* every LF has its CR; a line never starts with a single '.' unless
	 * followed by another; unstuffing gives u */
	for (i = 0, j = 0; i < la; i++) {
		int bol = i == 0 || a[i - 1] == '\n';
		if (a[i] == '\n' && (i == 0 || a[i - 1] != '\r')) abort();
		if (bol && a[i] == '.') {
			if (i + 1 >= la || a[i + 1] != '.') abort();
			i++;
		}
		if (j >= lu || u[j++] != a[i]) abort();
	}
	if (j != lu) abort();
	if (size && (la < 2 || a[la - 2] != '\r' || a[la - 1] != '\n')) abort();
out:
	free(a);
	free(b);
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_cmd(data, size);
	check_wire(data, size);
	return 0;
}
