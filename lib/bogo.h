#ifndef BOGO_H
#define BOGO_H
/*
 * bogofilter, the Bayesian classifier (Debian's /usr/bin/bogofilter), run as
 * a program on one message: classify it against a word list directory, or
 * register it as spam or ham.  No shell: the program is spawned with an
 * argument vector, the message file on its fd 0, its stdout on a pipe that
 * we read with a bound (BOGO_OUTPUT_MAX) and a deadline.  Its stderr is
 * ours (it says why it failed into our log).
 *
 * bogofilter reads its config files (/etc/bogofilter.cf, ~/.bogofilter.cf)
 * as usual: an admin tunes spam_cutoff / ham_cutoff there.
 */
#include <stddef.h>

#define BOGO_OUTPUT_MAX 64   /* bytes of output we accept; -T prints ~15 */

enum bogo_verdict { BOGO_SPAM, BOGO_HAM, BOGO_UNSURE };

struct bogo_result {
	enum bogo_verdict verdict;
	unsigned score;             /* spamicity in 1/10000, 0..10000 */
};

/* Parses the output of `bogofilter -T`: one line "S|H|U SCORE" with SCORE a
 * decimal number in 0..1 ("1", "0.52", "4.57624e-09"), an optional
 * newline, nothing else.  Returns 0, or -1 for anything else. */
int bogo_parse(const char *s, size_t n, struct bogo_result *r);

/* The verdict of an exit code of `bogofilter -T` (0 spam, 1 ham, 2 unsure);
 * -1 for any other (3 is bogofilter's error). */
int bogo_exit_verdict(int code);

/* "Yes" / "No" / "Unsure", the X-Spam-Status word of a verdict. */
const char *bogo_word(enum bogo_verdict v);

/* Formats the score as "0.9990" into out (7 bytes with the NUL). */
void bogo_score_fmt(char out[7], unsigned score);

/* Classifies the message open on fd (read from offset 0; the offset of fd
 * is moved) with `PROG -T --db-transaction=no -d DIR`.  Returns 0 and fills *r; or -1 with
 * *why a static reason: the program is missing or cannot be started
 * (errno ENOENT/EACCES kept for the caller), timed out after timeout
 * seconds (killed), died, exited 3 or with a verdict its output does not
 * match, or printed output that bogo_parse refuses. */
int bogo_classify(const char *prog, const char *dir, int fd, unsigned timeout, struct bogo_result *r,
		  const char **why);

/* How a message is registered: as spam (-s), as ham (-n), as spam undoing
 * its earlier ham registration (-Ns), as ham undoing spam (-Sn). */
enum bogo_learn { BOGO_LEARN_SPAM, BOGO_LEARN_HAM, BOGO_LEARN_HAM_TO_SPAM, BOGO_LEARN_SPAM_TO_HAM };

/* Registers the message on fd (from offset 0) with `PROG FLAGS -d DIR`.
 * 0 when bogofilter exited 0; -1 with *why as bogo_classify. */
int bogo_register(const char *prog, const char *dir, int fd, enum bogo_learn how, unsigned timeout,
		  const char **why);
#endif
