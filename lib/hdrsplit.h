#ifndef HDRSPLIT_H
#define HDRSPLIT_H
/*
 * A message that streams through, cut into its header fields and its body
 * (RFC 5322 2.1, 2.2), for the checks that read fields while the message
 * goes on to the queue (posthorn-smtpd: DKIM, DMARC's From, removing
 * forged Authentication-Results).  Lines end in LF (the queue's form; a CR
 * before the LF is kept as part of the line).  The input may come in pieces
 * of any size; the events are the same whatever the pieces.
 *
 * Events, in message order, to the caller's callback:
 *   HDRSPLIT_FIELD      one whole field, folded lines and its last LF
 *                       included, at most HDRSPLIT_FIELD_MAX bytes;
 *   HDRSPLIT_FIELD_PART a field that went over HDRSPLIT_FIELD_MAX, in
 *                       pieces: the first piece is its first
 *                       HDRSPLIT_FIELD_MAX bytes or more, the others follow
 *                       until the field ends (the caller can pass them on
 *                       but not read the field as a whole);
 *   HDRSPLIT_END        the end of the header section: data is the empty
 *                       line ("\n"), or empty when the header had no empty
 *                       line (a line that is not a field, or that starts
 *                       with white space where no field is open, started
 *                       the body; or the message ended);
 *   HDRSPLIT_BODY       body bytes, as they come.
 * Every input byte is in exactly one event, in order: concatenating the
 * data of all events gives the input back.
 */
#include <stddef.h>
#include <stralloc.h>

#define HDRSPLIT_FIELD_MAX 65536

enum hdrsplit_event { HDRSPLIT_FIELD, HDRSPLIT_FIELD_PART, HDRSPLIT_END, HDRSPLIT_BODY };

struct hdrsplit {
	void (*event)(void *arg, enum hdrsplit_event ev, const char *data, size_t len);
	void *arg;
	int state;          /* private */
	int linestart;      /* private: the next byte starts a line */
	int firstline;      /* private: the field's first line is not complete */
	int oversize;       /* private: the field is being passed in parts */
	stralloc field;     /* private: the field being gathered */
	int nomem;          /* set when memory ran out: the rest was passed as
	                       body, unread */
};

void hdrsplit_init(struct hdrsplit *h, void (*event)(void *, enum hdrsplit_event, const char *, size_t),
                   void *arg);
void hdrsplit_feed(struct hdrsplit *h, const char *buf, size_t len);
/* The message ended: flushes a field still gathered and says HDRSPLIT_END
 * if it was not said yet. */
void hdrsplit_end(struct hdrsplit *h);
void hdrsplit_free(struct hdrsplit *h);
#endif
