/*
 * smtpdata: decoding DATA and BDAT text; contract and the end-of-data rule
 * in smtpdata.h.
 *
 * States: BOL is the start of a line that follows a real CR LF (or the DATA
 * command itself); only there can a dot be stuffing or the end marker.  A
 * bare LF starts a new line for counting (length, header scan) but not a
 * BOL, so "\n.\r\n" can never end the message.
 */
#include "smtpdata.h"

enum { S_BOL, S_DOT, S_DOTCR, S_MID, S_CR };

static const char received[] = "received:";
#define RECEIVED_LEN 9
#define NOMATCH 0xffff

void smtpdata_init(struct smtpdata *d, enum smtpdata_mode mode)
{
	d->mode = mode;
	d->state = mode == SMTPDATA_DOT ? S_BOL : S_MID;
	d->flags = 0;
	d->linelen = 0;
	d->size = 0;
	d->received = 0;
	d->in_header = 1;
	d->match = 0;
	d->done = 0;
}

static void put(struct smtpdata *d, char *out, size_t *o, char c)
{
	out[(*o)++] = c;
	d->size++;
	if (d->in_header && d->match != NOMATCH) {
		unsigned char l = (unsigned char)c;
		if (l >= 'A' && l <= 'Z') l += 32;
		if (d->match < RECEIVED_LEN && l == (unsigned char)received[d->match]) {
			if (++d->match == RECEIVED_LEN) {
				d->received++;
				d->match = NOMATCH;
			}
		} else {
			d->match = NOMATCH;
		}
	}
	if (++d->linelen > SMTPDATA_LINE_MAX) d->flags |= SMTPDATA_LONGLINE;
}

static void put_lf(struct smtpdata *d, char *out, size_t *o)
{
	out[(*o)++] = '\n';
	d->size += 2;
	if (d->linelen == 0) d->in_header = 0;
	d->linelen = 0;
	d->match = 0;
}

/* A byte in the middle of a line (MID rules). */
static void mid(struct smtpdata *d, char c, char *out, size_t *o)
{
	switch (c) {
	case '\r':
		d->state = S_CR;
		return;
	case '\n':
		d->flags |= SMTPDATA_BARELF;
		put_lf(d, out, o);
		d->state = S_MID;
		return;
	case 0:
		d->flags |= SMTPDATA_NUL;
		break;
	}
	put(d, out, o, c);
	d->state = S_MID;
}

size_t smtpdata_feed(struct smtpdata *d, const char *in, size_t len, char *out, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && !d->done; i++) {
		char c = in[i];

		switch (d->state) {
		case S_BOL:
			if (c == '.') d->state = S_DOT;
			else mid(d, c, out, &o);
			break;
		case S_DOT:
			if (c == '\r') d->state = S_DOTCR;
			else mid(d, c, out, &o);   /* the stuffed dot is dropped */
			break;
		case S_DOTCR:
			if (c == '\n') {
				d->done = 1;
				break;
			}
			d->flags |= SMTPDATA_BARECR;
			mid(d, c, out, &o);
			break;
		case S_MID:
			mid(d, c, out, &o);
			break;
		case S_CR:
			if (c == '\n') {
				put_lf(d, out, &o);
				d->state = d->mode == SMTPDATA_DOT ? S_BOL : S_MID;
			} else {
				d->flags |= SMTPDATA_BARECR;
				mid(d, c, out, &o);
			}
			break;
		}
	}
	*outlen = o;
	return i;
}

void smtpdata_finish(struct smtpdata *d)
{
	if (d->state == S_CR || d->state == S_DOTCR) {
		d->flags |= SMTPDATA_BARECR;
		d->state = S_MID;
	}
}
