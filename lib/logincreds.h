#ifndef LOGINCREDS_H
#define LOGINCREDS_H
/*
 * The credentials a POP3/IMAP login half hands to posthorn-mailauth
 * (handoff.h): on fd 3, "login\0password\0", followed by the session's
 * state, which is not ours to read -- the session that posthorn-mailauth
 * becomes reads it from the same pipe.  So the reader takes one byte at a
 * time and stops right after the second NUL.
 *
 * posthorn-mailauth is set-user-ID to the mail owner and its caller is the
 * code we trust least (the half that talks to the network before login),
 * so both fields are bounded by the caller's buffers and a field that does
 * not fit is refused, never cut: a cut password could match another one.
 */
#include <stddef.h>

/* Reads the two fields from fd into login (at most logincap - 1 bytes and
 * a NUL) and password (pwcap).  0, or -1: a read error, EOF before the
 * second NUL, or a field too long; what was read is then garbage (the
 * caller wipes password either way). */
int logincreds_read(int fd, char *login, size_t logincap, char *password, size_t pwcap);
#endif
