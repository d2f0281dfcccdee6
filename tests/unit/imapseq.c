/* Unit tests of lib/imapseq: sequence sets (RFC 3501 section 9,
 * sequence-set), their resolution against a mailbox, and hostile input:
 * numbers at and over 2^32, zero, leading zeros, junk, the range bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "imapseq.h"

int main(void)
{
	struct imapseq s = {0};
	char *big;
	size_t i;

	ok(imapseq_parse(&s, "1,3:5,9:*") == 0, "sequence set");
	imapseq_resolve(&s, 12);
	ok(imapseq_has(&s, 1) && !imapseq_has(&s, 2) && imapseq_has(&s, 4) && imapseq_has(&s, 12) &&
	   !imapseq_has(&s, 13) && !imapseq_has(&s, 8), "membership");
	ok(imapseq_parse(&s, "7:2") == 0, "reversed range");
	imapseq_resolve(&s, 10);
	ok(imapseq_has(&s, 2) && imapseq_has(&s, 7) && !imapseq_has(&s, 8), "ordered");
	ok(imapseq_parse(&s, "*") == 0 && s.star, "star");
	imapseq_resolve(&s, 0);
	ok(!imapseq_has(&s, 0) && !imapseq_has(&s, 1), "star in an empty mailbox matches nothing");
	ok(imapseq_parse(&s, "*:4") == 0, "*:4");
	imapseq_resolve(&s, 2);
	ok(!imapseq_has(&s, 1) && imapseq_has(&s, 2) && imapseq_has(&s, 4) && !imapseq_has(&s, 5), "*:4 with max 2 is 2:4");

	/* nz-number is 1 to 4294967295: nothing wraps */
	ok(imapseq_parse(&s, "4294967295") == 0 && s.top == 4294967295U, "largest number");
	imapseq_resolve(&s, 3);
	ok(imapseq_has(&s, 4294967295U) && !imapseq_has(&s, 3), "it is itself");
	ok(imapseq_parse(&s, "1:4294967295") == 0, "whole range");
	imapseq_resolve(&s, 1);
	ok(imapseq_has(&s, 1) && imapseq_has(&s, 4294967295U) && s.n == 1, "one range, both ends");
	ok(imapseq_parse(&s, "4294967296") < 0, "2^32 refused, not 0");
	ok(imapseq_parse(&s, "4294967297") < 0, "2^32+1 refused, not 1");
	ok(imapseq_parse(&s, "1:4294967296") < 0 && imapseq_parse(&s, "4294967296:1") < 0, "2^32 at either end");
	ok(imapseq_parse(&s, "18446744073709551617") < 0, "2^64+1");
	ok(imapseq_parse(&s, "42949672950") < 0, "10 * (2^32-1)");
	ok(imapseq_parse(&s, "99999999999999999999999999999999999999999") < 0, "41 digits");
	ok(imapseq_parse(&s, "0") < 0 && imapseq_parse(&s, "1:0") < 0 && imapseq_parse(&s, "0:*") < 0, "zero refused");
	ok(imapseq_parse(&s, "01") < 0 && imapseq_parse(&s, "1:007") < 0, "leading zeros: not an nz-number");
	ok(imapseq_parse(&s, "") < 0 && imapseq_parse(&s, "1,") < 0 && imapseq_parse(&s, ",1") < 0 &&
	   imapseq_parse(&s, "1::2") < 0 && imapseq_parse(&s, "a") < 0 && imapseq_parse(&s, "1:*:2") < 0,
	   "malformed sets refused");
	ok(imapseq_parse(&s, "-1") < 0 && imapseq_parse(&s, "+1") < 0 && imapseq_parse(&s, " 1") < 0 &&
	   imapseq_parse(&s, "1 ") < 0 && imapseq_parse(&s, "1:-2") < 0 && imapseq_parse(&s, "**") < 0 &&
	   imapseq_parse(&s, "1,*x") < 0 && imapseq_parse(&s, "0x10") < 0, "signs, spaces, junk refused");

	/* the range bound */
	big = malloc(IMAPSEQ_RANGES_MAX * 2 + 16);
	for (i = 0; i < IMAPSEQ_RANGES_MAX; i++) memcpy(big + 2 * i, "1,", 2);
	big[2 * IMAPSEQ_RANGES_MAX - 1] = 0;
	ok(imapseq_parse(&s, big) == 0 && s.n == IMAPSEQ_RANGES_MAX, "ranges at the bound");
	imapseq_resolve(&s, 5);
	ok(s.n == 1 && imapseq_has(&s, 1) && !imapseq_has(&s, 2), "merged into one");
	strcpy(big + 2 * IMAPSEQ_RANGES_MAX - 1, ",1");
	ok(imapseq_parse(&s, big) < 0, "one range too many");
	free(big);
	imapseq_free(&s);
	return tap_done();
}
