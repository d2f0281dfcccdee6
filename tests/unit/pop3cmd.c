/* Unit tests of lib/pop3cmd: splitting POP3 command lines, message numbers. */
#include <string.h>
#include "tap.h"
#include "pop3cmd.h"

static int parse(struct pop3cmd *c, const char *text)
{
	static char buf[1024];
	size_t n = strlen(text);
	memcpy(buf, text, n + 1);
	return pop3cmd_parse(c, buf, n);
}

int main(void)
{
	struct pop3cmd c;
	char big[600], nul[] = "ST\0AT\r\n";
	unsigned long n;

	is_int(parse(&c, "retr 12\r\n"), POP3CMD_OK, "RETR parses");
	is_str(c.keyword, "RETR", "keyword upper-cased");
	is_int(c.nargs, 1, "one argument");
	is_str(c.arg[0], "12", "the argument");
	is_int(parse(&c, "TOP  1\t2\n"), POP3CMD_OK, "tabs and double spaces separate, bare LF ends");
	ok(c.nargs == 2 && !strcmp(c.arg[0], "1") && !strcmp(c.arg[1], "2"), "TOP 1 2");
	is_int(parse(&c, "PASS my secret  pw\r\n"), POP3CMD_OK, "PASS with spaces");
	is_str(c.rest, "my secret  pw", "rest keeps the spaces");
	is_int(c.restlen, 13, "restlen");
	is_int(c.nargs, 3, "and splits into 3 arguments too");
	is_int(parse(&c, "NOOP"), POP3CMD_OK, "no line end");
	is_int(c.nargs, 0, "no arguments");
	is_str(c.rest, "", "empty rest");
	is_int(parse(&c, "A B C D E F G\r\n"), POP3CMD_OK, "many arguments");
	is_int(c.nargs, 6, "all counted");
	is_int(parse(&c, "\r\n"), POP3CMD_EMPTY, "empty line");
	is_int(parse(&c, "   \r\n"), POP3CMD_EMPTY, "blank line");
	is_int(parse(&c, "RETRX 1\r\n"), POP3CMD_KEYWORD, "5-letter keyword");
	is_int(parse(&c, "R3TR 1\r\n"), POP3CMD_KEYWORD, "digit in keyword");
	is_int(pop3cmd_parse(&c, nul, sizeof nul - 1), POP3CMD_BADCHAR, "NUL");
	is_int(parse(&c, "USER a\rb\r\n"), POP3CMD_BADCHAR, "CR inside the line");
	is_int(parse(&c, "USER \x7f\r\n"), POP3CMD_BADCHAR, "DEL");
	is_int(parse(&c, "USER j\xc3\xb6rg@example.org\r\n"), POP3CMD_OK, "UTF-8 argument");
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = 0;
	is_int(parse(&c, big), POP3CMD_TOOLONG, "600 bytes");

	ok(pop3cmd_number("1", &n) == 0 && n == 1, "number 1");
	ok(pop3cmd_number("999999999", &n) == 0 && n == 999999999, "9 digits");
	ok(pop3cmd_number("0", &n) == 0 && n == 0, "0");
	ok(pop3cmd_number("1000000000", &n) < 0, "10 digits refused");
	ok(pop3cmd_number("01", &n) < 0, "leading zero refused");
	ok(pop3cmd_number("-1", &n) < 0 && pop3cmd_number("+1", &n) < 0, "signs refused");
	ok(pop3cmd_number("1x", &n) < 0 && pop3cmd_number("", &n) < 0, "junk and empty refused");
	return tap_done();
}
