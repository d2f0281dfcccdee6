/* Unit tests for lib/smtpcmd: line ends, verbs, MAIL/RCPT paths and ESMTP
 * parameters, numbers. */
#include <stdio.h>
#include <string.h>
#include "smtpcmd.h"
#include "tap.h"

static const struct {
	const char *arg;
	const char *prefix;
	int err;
	const char *path;      /* on success */
	unsigned nparams;
} rows[] = {
	{"FROM:<a@b.test>", "FROM:", SMTPCMD_OK, "<a@b.test>", 0},
	{"from:<a@b.test>", "FROM:", SMTPCMD_OK, "<a@b.test>", 0},
	{"FROM: <a@b.test>", "FROM:", SMTPCMD_OK, "<a@b.test>", 0},
	{"FROM:<>", "FROM:", SMTPCMD_OK, "<>", 0},
	{"FROM:<a@b.test> SIZE=100 BODY=8BITMIME", "FROM:", SMTPCMD_OK, "<a@b.test>", 2},
	{"FROM:<a@b.test>  SMTPUTF8 ", "FROM:", SMTPCMD_OK, "<a@b.test>", 1},
	{"FROM:<\"a>b\"@x>", "FROM:", SMTPCMD_OK, "<\"a>b\"@x>", 0},
	{"FROM:<\"a\\\">b\"@x> X", "FROM:", SMTPCMD_OK, "<\"a\\\">b\"@x>", 1},
	{"TO:<a@b.test>", "TO:", SMTPCMD_OK, "<a@b.test>", 0},
	{"TO:<a@b.test>", "FROM:", SMTPCMD_ERR_SYNTAX, 0, 0},
	{"FROM <a@b.test>", "FROM:", SMTPCMD_ERR_SYNTAX, 0, 0},
	{"FROM:", "FROM:", SMTPCMD_ERR_PATH, 0, 0},
	{"FROM:a@b.test", "FROM:", SMTPCMD_ERR_PATH, 0, 0},
	{"FROM:<a@b.test", "FROM:", SMTPCMD_ERR_PATH, 0, 0},
	{"FROM:<\"a>@b.test", "FROM:", SMTPCMD_ERR_PATH, 0, 0},
	{"FROM:<a@b.test>X", "FROM:", SMTPCMD_ERR_SYNTAX, 0, 0},
	{"FROM:<a@b.test> =x", "FROM:", SMTPCMD_ERR_PARAM, 0, 0},
	{"FROM:<a@b.test> SIZE=", "FROM:", SMTPCMD_ERR_PARAM, 0, 0},
	{"FROM:<a@b.test> A=b=c", "FROM:", SMTPCMD_ERR_PARAM, 0, 0},
	{"FROM:<a@b.test> -X", "FROM:", SMTPCMD_ERR_PARAM, 0, 0},
	{"FROM:<a@b.test> A B C D E F G H I J K L M N O P", "FROM:", SMTPCMD_OK, "<a@b.test>", 16},
	{"FROM:<a@b.test> A B C D E F G H I J K L M N O P Q", "FROM:", SMTPCMD_ERR_TOOMANY, 0, 0},
	{"FROM:<a@b.test>\r", "FROM:", SMTPCMD_ERR_CONTROL, 0, 0},
};

int main(void)
{
	struct smtpcmd_param p[SMTPCMD_PARAMS_MAX];
	const char *arg, *path;
	size_t i, arglen, pathlen, v;
	unsigned n;
	unsigned long long num;
	int crlf;
	char name[160];

	is_int(smtpcmd_chomp("NOOP\r\n", 6, &crlf), 4, "chomp CRLF");
	is_int(crlf, 1, "CRLF seen");
	is_int(smtpcmd_chomp("NOOP\n", 5, &crlf), 4, "chomp bare LF");
	is_int(crlf, 0, "bare LF seen");
	is_int(smtpcmd_chomp("NOOP\r", 5, &crlf), 5, "a lone CR stays");
	ok(smtpcmd_has_control("a\0b", 3), "NUL is a control byte");
	ok(smtpcmd_has_control("a\x7f", 2), "DEL is a control byte");
	ok(!smtpcmd_has_control("a\tb \xc3\xa4", 6), "TAB and 8-bit are not");

	v = smtpcmd_verb("MAIL FROM:<a@b>", 15, &arg, &arglen);
	ok(v == 4 && arglen == 10 && !memcmp(arg, "FROM:<a@b>", 10), "verb and argument");
	v = smtpcmd_verb("QUIT", 4, &arg, &arglen);
	ok(v == 4 && arglen == 0, "verb alone");
	v = smtpcmd_verb("", 0, &arg, &arglen);
	ok(v == 0 && arglen == 0, "empty line");
	ok(smtpcmd_is("ehlo", 4, "EHLO") && !smtpcmd_is("EHL", 3, "EHLO") && !smtpcmd_is("EHLOX", 5, "EHLO"),
	   "verb comparison: case-insensitive, whole word");

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int r = smtpcmd_path(rows[i].arg, strlen(rows[i].arg), rows[i].prefix, &path, &pathlen, p, &n);
		snprintf(name, sizeof name, "path row %zu: %s", i, smtpcmd_strerror(rows[i].err));
		if (!is_int(r, rows[i].err, name)) continue;
		if (r) continue;
		snprintf(name, sizeof name, "path row %zu: path and %u parameters", i, rows[i].nparams);
		ok(pathlen == strlen(rows[i].path) && !memcmp(path, rows[i].path, pathlen) && n == rows[i].nparams, name);
	}
	smtpcmd_path("FROM:<a@b> SIZE=100 SMTPUTF8", 28, "FROM:", &path, &pathlen, p, &n);
	ok(n == 2 && p[0].keylen == 4 && p[0].vallen == 3 && !memcmp(p[0].value, "100", 3) && !p[1].value,
	   "parameters split into key and value");

	ok(smtpcmd_number("0", 1, &num) == 0 && num == 0, "number 0");
	ok(smtpcmd_number("18446744073709551615", 20, &num) == 0 && num == 18446744073709551615ULL, "largest number");
	is_int(smtpcmd_number("18446744073709551616", 20, &num), -1, "overflow refused");
	is_int(smtpcmd_number("", 0, &num), -1, "empty refused");
	is_int(smtpcmd_number("12a", 3, &num), -1, "non-digit refused");
	is_int(smtpcmd_number("-1", 2, &num), -1, "sign refused");
	return tap_done();
}
