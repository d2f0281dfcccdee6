#ifndef QUOTA_H
#define QUOTA_H
/*
 * Maildir++ quota: the "maildirsize" file at the top of a Maildir.  First
 * line "NNNS" (bytes) or "NNNS,MMMC"; then lines "BYTES COUNT" that are
 * summed.  Deliveries append one line (O_APPEND, one write); when the file
 * grows past 5120 bytes it is recalculated from the Maildir (file names carry
 * ",S=SIZE"; else stat) and replaced atomically, as the Maildir++ spec says.
 */
#include <stddef.h>

struct quota_use { unsigned long long bytes, count; };

/* Reads MAILDIR/maildirsize, (re)creating it from a scan when missing,
 * malformed, too long, or its limit line differs from limit_bytes.  0 or -1. */
int quota_read(const char *maildir, unsigned long long limit_bytes, struct quota_use *use);

/* 1 if adding size bytes keeps the Maildir within limit_bytes (0 = no limit
 * is always 1), 0 if over.  -1 on error reading the quota. */
int quota_check(const char *maildir, unsigned long long limit_bytes, unsigned long long size);

/* Records one delivered message of size bytes (append "SIZE 1").  0 or -1.
 * Does nothing when limit_bytes is 0. */
int quota_add(const char *maildir, unsigned long long limit_bytes, unsigned long long size);
#endif
