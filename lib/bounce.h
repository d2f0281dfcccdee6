#ifndef BOUNCE_H
#define BOUNCE_H
/*
 * Delivery status notifications (RFC 3464, RFC 3462 multipart/report):
 * the bounce that posthorn-runq sends with the null sender when recipients
 * fail for good.  Three parts: a short text for people, a
 * message/delivery-status part with one block per failed recipient
 * (Final-Recipient, Action: failed, Status, Diagnostic-Code), and the
 * original message's header as text/rfc822-headers.
 *
 * Status is the first RFC 3463 code found in the reason ("5.1.1 no such
 * user", "mx.example.net said: 550 5.7.1 ..."); without one, 5.0.0, or 4.4.7
 * for an expired message.  A reason that holds an SMTP reply code
 * ("550 ...") becomes "Diagnostic-Code: smtp; 550 ...", others
 * "Diagnostic-Code: x-posthorn; REASON".  Reasons are written as printable
 * ASCII.  Lines end in LF, the queue's stored form.
 */
#include <stralloc.h>

#define BOUNCE_HEADER_MAX 65536   /* bytes of the original header returned */

struct bounce_rcpt {
	const char *addr;
	const char *reason;
	int expired;          /* failed because the queue lifetime ran out */
};

struct bounce_info {
	const char *me;             /* this host's name (Reporting-MTA, From) */
	const char *id;             /* queue id of the original message */
	const char *orig_sender;    /* "" when the original was itself a bounce */
	long long arrival;          /* unix time the original was queued */
	int double_bounce;          /* to the postmaster: the bounce itself failed */
	const struct bounce_rcpt *rcpt;
	unsigned n;
};

/* Appends the whole bounce message to out, reading the original header from
 * msgfd (read from offset 0 with pread; the offset is not moved).  0 on
 * ENOMEM or a read error. */
int bounce_build(stralloc *out, const struct bounce_info *b, int msgfd);

/* The Status of a reason as described above, into out[16]. */
void bounce_status(const char *reason, int expired, char out[16]);

/* Appends an RFC 5322 date for t (local time) to out.  0 on ENOMEM. */
int bounce_date(stralloc *out, long long t);
#endif
