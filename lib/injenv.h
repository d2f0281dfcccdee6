#ifndef INJENV_H
#define INJENV_H
/*
 * The envelope of the injection protocol (qmail-queue's, posthorn-queue(8)):
 * on the injector's fd 1, after the message on its fd 0,
 *
 *     [H<header text>\0] [S\0] [A<account>\0] F<sender>\0 T<recipient>\0 ... \0
 *
 * The sender may be empty (the null sender <>); at least one recipient.
 *
 * The optional H, S and A items are our extensions, each at most once,
 * before F, in any order (H, S, A is what lib/inject writes).
 *
 * S (no text: the letter and its NUL) asks posthorn-queue to DKIM-sign the
 * message with the keys of its From domain (posthorn-queue(8)); the
 * injector's clients ask for it for mail of their own users, never for
 * mail they relay in from elsewhere.
 *
 * The H item is an extension too: header
 * fields the injector's client learnt only after the whole message had
 * streamed (posthorn-smtpd's Authentication-Results, RFC 8601 5: at the top
 * of the message), which posthorn-queue puts before the message.  Its text
 * is one or more whole RFC 5322 header fields in the queue's form: LF line
 * ends, the last line ended too, folded continuation lines allowed (RFC 5322
 * 2.2.3); every other line starts with a field name and a colon
 * (hdr_name_len).  No NUL (it ends the item), no CR, no empty line or line
 * of only white space (a reader would end the header there), at most
 * QUEUE_HEAD_MAX bytes.  Anything else refuses the envelope for good.
 * Without H, S and A the envelope is qmail-queue's, byte for byte.
 *
 * The optional A item, before F (after H, if any), at most once, is ours
 * too: the account the message is sent for, for the send limits
 * (lib/sendlimit).  1..SENDLIMIT_ACCOUNT_MAX bytes, no control byte, no
 * space.  Whether it is believed is posthorn-queue's decision (it trusts
 * only smtpd's account); the reader only checks its form.
 * Both sides live here: the writer used by lib/inject, and the reader of
 * posthorn-queue, which is set-user-ID to the queue owner and reads what
 * any local user writes -- so the reader trusts nothing: every item is
 * bounded (ADDR_PATH_MAX bytes), every address is parsed and rewritten in
 * its canonical form (addr_format: domain lower-cased, quotes only where
 * needed, so the runner groups recipients by domain with a plain
 * comparison), and the recipients are counted against a cap.
 *
 * The reader is incremental: bytes go in as they arrive, in pieces of any
 * size, and the verdict is the same whatever the pieces.
 */
#include <stddef.h>
#include <stralloc.h>
#include "queue.h"
#include "status.h"

#define QUEUE_HEAD_MAX 65536   /* bytes of an H item's header text */

/* ---- writing ---- */

/* Appends "F<sender>\0", "T<rcpt>\0", or the final "\0" to out.  0 on
 * ENOMEM.  The caller has checked the addresses (the injector checks them
 * again). */
int injenv_from(stralloc *out, const char *sender);
int injenv_to(stralloc *out, const char *rcpt);
int injenv_end(stralloc *out);

/* Appends "H<text>\0": len bytes of header text as above.  Must come before F
 * in out.  0 on ENOMEM.  The caller has checked the text (the injector
 * checks it again). */
int injenv_head(stralloc *out, const char *text, size_t len);

/* Appends "A<account>\0".  Before injenv_from; 0 on ENOMEM. */
int injenv_account(stralloc *out, const char *account);
/* Appends "S\0": sign the message.  Before F.  0 on ENOMEM. */
int injenv_sign(stralloc *out);

/* ---- reading ---- */

enum injenv_state { INJENV_LETTER = 0, INJENV_ITEM, INJENV_DONE, INJENV_FAILED };

struct injenv {
	struct queue_env *env;     /* the caller's; sender and recipients go here */
	unsigned long maxrcpt;     /* at most this many recipients (<= QUEUE_RCPT_MAX) */
	enum injenv_state state;
	int any;                   /* a byte has been read */
	int have_sender;
	int have_head;             /* the H item was read */
	int sign;                  /* the S item was read: sign the message */
	char letter;               /* of the item being read */
	stralloc item, canon;      /* the item; its canonical form */
	stralloc head;             /* the H item's header text, validated; empty
	                              without H.  Not NUL-terminated; the reader's,
	                              freed by injenv_free */
	size_t line;               /* H: where the line being read starts in head */
	stralloc account;          /* the A item, NUL-terminated; len 0 without A */
	enum status_id why;        /* INJENV_FAILED: the reason (ST_ENV_*, ST_NOMEM) */
	const char *detail;        /* and its detail (addr_strerror text), or "" */
};

/* Starts reading into env (zeroed by the caller, sender and recipients
 * empty).  maxrcpt 0 or above QUEUE_RCPT_MAX means QUEUE_RCPT_MAX. */
void injenv_init(struct injenv *r, struct queue_env *env, unsigned long maxrcpt);

/* Takes up to len bytes.  Returns the state: INJENV_LETTER or INJENV_ITEM
 * (more wanted), INJENV_DONE (the final \0 was read; *used says how many
 * bytes of buf were taken, the rest is not part of the envelope) or
 * INJENV_FAILED (r->why, r->detail say why; the envelope is refused). */
enum injenv_state injenv_feed(struct injenv *r, const char *buf, size_t len, size_t *used);

/* The input ended (EOF) before INJENV_DONE: sets r->why to the temporary
 * failure that says so (no envelope at all, or one cut short) and returns
 * INJENV_FAILED.  A writer that died must not have its message queued. */
enum injenv_state injenv_eof(struct injenv *r);

/* Frees the reader's buffers (not env), the header text and account too. */
void injenv_free(struct injenv *r);
#endif
