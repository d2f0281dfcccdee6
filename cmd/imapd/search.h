#ifndef IMAPD_SEARCH_H
#define IMAPD_SEARCH_H
/* search.c's parts that SORT and THREAD share: the search program, the
 * ESEARCH response (RFC 4731, RFC 5267 ESORT), and the saved result "$"
 * of SEARCHRES (RFC 5182). */
#include <stdint.h>
#include "imapparse.h"
#include "imapseq.h"

/* Parses the search keys from a to the end of the arguments.  0, or -1
 * after a BAD reply.  search_end frees what it kept. */
int search_program(const struct imap_arg *a);
/* Does view message i (0-based) match?  Gone messages never do. */
int search_match(unsigned long i);
void search_end(void);

/* Result options of SEARCH/SORT RETURN (RFC 4731 3.1, RFC 5182). */
enum { RET_MIN = 1, RET_MAX = 2, RET_ALL = 4, RET_COUNT = 8, RET_SAVE = 16 };
/* "RETURN (...)" at *a: sets *opts (RET_ALL for an empty list) and moves
 * *a past it; no RETURN leaves *opts 0.  0, or -1 after a BAD reply. */
int search_return(const struct imap_arg **a, unsigned *opts);
/* Sends "* ESEARCH (TAG ...)" for the matches idx[0..n) (view indices,
 * in ascending order, or in sort order with sorted: RFC 5267 3) and
 * saves them for "$" with RET_SAVE; a modseq other than 0 goes out as
 * MODSEQ (RFC 7162 3.1.5). */
void search_result(const unsigned long *idx, unsigned long n, unsigned opts, int sorted, uint64_t modseq);

/* The charset argument of SORT and THREAD (sort.c): UTF-8 or US-ASCII.
 * 0, or -1 after the reply. */
int sort_charset(const struct imap_arg *a);

/* "$": the saved result as a resolved set of UIDs (uid) or of message
 * numbers now.  0, or -1 (ENOMEM). */
int searchres_set(struct imapseq *seq, int uid);
/* SELECT, EXAMINE, CLOSE, UNSELECT: $ is empty again (RFC 5182 2.1). */
void searchres_reset(void);
#endif
