/* Unit tests for lib/bogo: the parser of bogofilter's terse output, with
 * hostile cases, the score format, the exit codes; and one classification
 * through a stand-in program (a shell script we write) for the bounds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bogo.h"
#include "tap.h"

struct row {
	const char *in;
	int ok;
	int verdict;
	unsigned score;
};

static const struct row rows[] = {
	{"S 1\n", 1, BOGO_SPAM, 10000},
	{"S 1", 1, BOGO_SPAM, 10000},
	{"H 4.57624e-09\n", 1, BOGO_HAM, 0},
	{"U 0.52\n", 1, BOGO_UNSURE, 5200},
	{"S 0.99995\n", 1, BOGO_SPAM, 10000},
	{"S 0.99994\n", 1, BOGO_SPAM, 9999},
	{"H 0\n", 1, BOGO_HAM, 0},
	{"H 1e-300\n", 1, BOGO_HAM, 0},
	{"H 1e-999\n", 1, BOGO_HAM, 0},
	{"U 5.2E-01\n", 1, BOGO_UNSURE, 5200},
	{"", 0, 0, 0},
	{"\n", 0, 0, 0},
	{"S\n", 0, 0, 0},
	{"S \n", 0, 0, 0},
	{"S  1\n", 0, 0, 0},
	{"S\t1\n", 0, 0, 0},
	{"X 0.5\n", 0, 0, 0},
	{"s 0.5\n", 0, 0, 0},
	{"S 1.5\n", 0, 0, 0},
	{"S 2\n", 0, 0, 0},
	{"S 1e999\n", 0, 0, 0},
	{"S -0.5\n", 0, 0, 0},
	{"S +0.5\n", 0, 0, 0},
	{"S nan\n", 0, 0, 0},
	{"S inf\n", 0, 0, 0},
	{"S 0x1p-1\n", 0, 0, 0},
	{"S 0.5 \n", 0, 0, 0},
	{"S 0.5\n\n", 0, 0, 0},
	{"S 0.5\nH 0.1\n", 0, 0, 0},
	{"S 0.5junk\n", 0, 0, 0},
	{"S 1..2\n", 0, 0, 0},
	{"S 1e\n", 0, 0, 0},
	{"S 0.000000000000000000000000000000000001\n", 0, 0, 0},   /* longer than the bound */
	{"S 0.5\r\n", 0, 0, 0},
};

int main(void)
{
	struct bogo_result r;
	char buf[64], s[7];
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = bogo_parse(rows[i].in, strlen(rows[i].in), &r) == 0;
		snprintf(buf, sizeof buf, "parse %.40s", rows[i].in);
		for (char *p = buf; *p; p++) if (*p == '\n') *p = '|';
		if (!is_int(got, rows[i].ok, buf)) continue;
		if (got) {
			is_int(r.verdict, rows[i].verdict, "  verdict");
			is_int(r.score, rows[i].score, "  score");
		}
	}
	/* A NUL inside is not a number. */
	ok(bogo_parse("S 0\0" "5\n", 5, &r) < 0, "NUL inside the score");
	ok(bogo_parse("S 0.5", 3, &r) == 0 && r.score == 0, "only n bytes are read");

	bogo_score_fmt(s, 9990); is_str(s, "0.9990", "score 0.9990");
	bogo_score_fmt(s, 52); is_str(s, "0.0052", "score 0.0052");
	bogo_score_fmt(s, 10000); is_str(s, "1.0000", "score 1.0000");
	bogo_score_fmt(s, 99999); is_str(s, "1.0000", "score capped");
	is_str(bogo_word(BOGO_SPAM), "Yes", "Yes");
	is_str(bogo_word(BOGO_HAM), "No", "No");
	is_str(bogo_word(BOGO_UNSURE), "Unsure", "Unsure");
	is_int(bogo_exit_verdict(0), BOGO_SPAM, "exit 0 spam");
	is_int(bogo_exit_verdict(1), BOGO_HAM, "exit 1 ham");
	is_int(bogo_exit_verdict(2), BOGO_UNSURE, "exit 2 unsure");
	is_int(bogo_exit_verdict(3), -1, "exit 3 error");

	/* Stand-in programs: the bounds of reading and waiting. */
	{
		char dir[] = "/tmp/bogo-unit-XXXXXX", prog[128], msg[128];
		const char *why = "";
		int fd;
		struct { const char *script; int ok; const char *why; } progs[] = {
			{"#!/bin/sh\ncat >/dev/null; echo 'S 0.999'; exit 0\n", 1, ""},
			{"#!/bin/sh\ncat >/dev/null; echo 'S 0.999'; exit 1\n", 0, "output does not match the exit code"},
			{"#!/bin/sh\nexit 3\n", 0, "error exit"},
			{"#!/bin/sh\necho 'H 0.1'; exit 7\n", 0, "unknown exit code"},
			{"#!/bin/sh\necho garbage; exit 0\n", 0, "unreadable output"},
			{"#!/bin/sh\nyes S 0.5; exit 0\n", 0, "too much output"},
			{"#!/bin/sh\nexec sleep 5\n", 0, "timed out"},
			{"#!/bin/sh\nkill -9 $$\n", 0, "killed by a signal"},
		};
		if (!mkdtemp(dir)) return 1;
		snprintf(msg, sizeof msg, "%s/msg", dir);
		fd = open(msg, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || write(fd, "Subject: x\n\nhi\n", 15) != 15) return 1;
		snprintf(prog, sizeof prog, "%s/prog", dir);
		for (i = 0; i < sizeof progs / sizeof progs[0]; i++) {
			FILE *f = fopen(prog, "w");
			int got;
			if (!f) return 1;
			fputs(progs[i].script, f);
			fclose(f);
			chmod(prog, 0700);
			got = bogo_classify(prog, dir, fd, 1, &r, &why) == 0;
			snprintf(buf, sizeof buf, "stand-in %u: %s", (unsigned)i, progs[i].ok ? "classified" : progs[i].why);
			ok(got == progs[i].ok && (got || !strcmp(why, progs[i].why)), buf);
			if (got != progs[i].ok || (!got && strcmp(why, progs[i].why))) diag(why);
		}
		ok(bogo_classify("/nonexistent/bogofilter", dir, fd, 1, &r, &why) < 0 &&
		   !strcmp(why, "program not found"), "missing program");
		unlink(prog);
		unlink(msg);
		close(fd);
		rmdir(dir);
	}
	return tap_done();
}
