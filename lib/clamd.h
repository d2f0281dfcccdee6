#ifndef CLAMD_H
#define CLAMD_H
/*
 * A client of clamd's INSTREAM command (clamd(8), "zINSTREAM"): the
 * command ends in NUL, then the message in chunks, each after its length
 * as 4 bytes in network order, then a chunk of length 0.  clamd answers
 * one NUL-terminated line:
 *
 *   "stream: OK"                           clean
 *   "stream: NAME FOUND"                   infected by NAME
 *   "INSTREAM size limit exceeded. ERROR"  over its StreamMaxLength
 *   "... ERROR"                            any other trouble
 *
 * The reply is read up to CLAMD_REPLY_MAX bytes; anything else is an
 * error too (a scanner we cannot understand has not said "clean").
 */
#include <stddef.h>

#define CLAMD_REPLY_MAX 1024     /* bytes of the reply we read */
#define CLAMD_NAME_MAX 200       /* bytes of a signature name we keep */
#define CLAMD_CHUNK 65536        /* bytes per INSTREAM chunk */

enum clamd_status {
	CLAMD_CLEAN,
	CLAMD_INFECTED,              /* name holds the signature */
	CLAMD_TOOBIG,                /* clamd's own size limit */
	CLAMD_ERROR                  /* why says what */
};

struct clamd_result {
	enum clamd_status status;
	char name[CLAMD_NAME_MAX + 1];   /* the signature, control bytes as '?' */
	const char *why;                 /* for CLAMD_ERROR: a constant string */
};

/* Reads a reply of len bytes (its NUL, if any, and a trailing LF
 * excluded or not) into *r.  Never fails: what it cannot read is
 * CLAMD_ERROR. */
void clamd_parse_reply(const char *buf, size_t len, struct clamd_result *r);

/* Sends the open file msgfd (from its current offset to EOF) to clamd at
 * addr (/socket or HOST:PORT) and reads its verdict, within timeout
 * seconds.  *r is filled in every case; connection trouble is
 * CLAMD_ERROR. */
void clamd_scan(const char *addr, int msgfd, unsigned timeout, struct clamd_result *r);
#endif
