/* Unit tests of lib/mdflags (the Maildir info letters) and lib/path
 * (paths into fixed buffers, truncation refused). */
#include <errno.h>
#include <string.h>
#include "tap.h"
#include "imapstore.h"
#include "mdflags.h"
#include "path.h"

int main(void)
{
	char out[MDFLAGS_CAPITALS_MAX + 1], info[STORE_INFO_MAX], buf[8], all[27];
	int c;

	/* the table: one bit a letter, the other letters none */
	is_int(mdflags_bit('D'), MDFLAG_DRAFT, "D is draft");
	is_int(mdflags_bit('F'), MDFLAG_FLAGGED, "F is flagged");
	is_int(mdflags_bit('R'), MDFLAG_ANSWERED, "R is replied");
	is_int(mdflags_bit('S'), MDFLAG_SEEN, "S is seen");
	is_int(mdflags_bit('T'), MDFLAG_DELETED, "T is trashed");
	is_int(mdflags_bit('P'), 0, "P (passed) names no flag of ours");
	is_int(mdflags_bit('s'), 0, "small letters are no flags");
	is_int(mdflags_bit(0), 0, "NUL names no flag");

	/* names */
	is_int(mdflags_of("123.M4P5.host:2,FS"), MDFLAG_FLAGGED | MDFLAG_SEEN, "flags of a name");
	is_int(mdflags_of("123.M4P5.host:2,DFPRST"), MDFLAG_ALL, "every flag");
	is_int(mdflags_of("123.M4P5.host"), 0, "no info part");
	is_int(mdflags_of("123.M4P5.host:1,S"), 0, "an info part of version 1 is not read");
	is_int(mdflags_of("123.M4P5.host:2,"), 0, "an empty info part");
	is_int(mdflags_of(":2,SSSSTTTT"), MDFLAG_SEEN | MDFLAG_DELETED, "letters twice count once");
	is_int(mdflags_of("a:b:2,S"), 0, "only the first colon starts the info");
	ok(mdflags_info("x") == 0, "no info: a null pointer");
	is_str(mdflags_info("x:2,ab"), "ab", "the info letters");

	/* letters: ASCII order, each once, other capitals kept */
	mdflags_letters(MDFLAG_SEEN | MDFLAG_DRAFT, 0, out);
	is_str(out, "DS", "letters in ASCII order");
	mdflags_letters(0, "PST", out);
	is_str(out, "P", "keep holds only the capitals that name no flag");
	mdflags_letters(MDFLAG_DELETED, "ZPaP", out);
	is_str(out, "PTZ", "other capitals kept, in order, once");
	for (c = 0; c < 26; c++) all[c] = (char)('A' + c);
	all[26] = 0;
	is_int(mdflags_letters(MDFLAG_ALL, all, out), 26, "every capital fits MDFLAGS_CAPITALS_MAX");
	is_str(out, all, "A to Z");
	mdflags_letters(0, 0, out);
	is_str(out, "", "no flags, no letters");

	/* imapstore's info: the capitals, then the keyword letters */
	store_info(STORE_SEEN | STORE_KW(0) | STORE_KW(25), "P", info);
	is_str(info, "PSaz", "store_info: capitals, then keywords");
	{
		uint32_t f = STORE_SYSTEM;
		for (c = 0; c < STORE_KEYWORDS_MAX; c++) f |= STORE_KW(c);
		store_info(f, all, info);
		is_int(strlen(info), 52, "the longest info fits STORE_INFO_MAX");
	}

	/* path: a path that does not fit is an error, not a shorter path */
	is_int(path_join(buf, sizeof buf, "ab", "cd"), 0, "path_join fits");
	is_str(buf, "ab/cd", "path_join");
	is_int(path_join(buf, sizeof buf, "abc", "def"), 0, "exactly cap - 1 bytes fit");
	errno = 0;
	is_int(path_join(buf, sizeof buf, "abcd", "efgh"), -1, "one byte over: refused");
	is_int(errno, ENAMETOOLONG, "ENAMETOOLONG");
	is_str(buf, "", "and no cut-short path is left");
	is_int(path_fmt(buf, sizeof buf, "cur/%s", "abc"), 0, "path_fmt fits");
	is_int(path_fmt(buf, sizeof buf, "cur/%s", "abcd"), -1, "path_fmt over");
	return tap_done();
}
