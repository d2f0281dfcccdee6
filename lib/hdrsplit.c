/*
 * hdrsplit: a streaming message cut into header fields and body; see
 * hdrsplit.h.  One pass over each input piece, with a field buffer that is
 * bounded by HDRSPLIT_FIELD_MAX (a longer field is passed on in parts).
 */
#include <string.h>
#include "hdr.h"
#include "hdrsplit.h"

enum { HEAD, BODY, DONE };

void hdrsplit_init(struct hdrsplit *h, void (*event)(void *, enum hdrsplit_event, const char *, size_t), void *arg)
{
	stralloc keep = h->field;

	memset(h, 0, sizeof *h);
	h->field = keep;
	h->field.len = 0;
	h->event = event;
	h->arg = arg;
	h->state = HEAD;
	h->linestart = 1;
}

void hdrsplit_free(struct hdrsplit *h)
{
	stralloc_free(&h->field);
}

static void emit(struct hdrsplit *h, enum hdrsplit_event ev, const char *s, size_t n)
{
	h->event(h->arg, ev, s, n);
}

/* The field gathered so far is complete. */
static void flush_field(struct hdrsplit *h)
{
	if (h->field.len && !h->oversize) emit(h, HDRSPLIT_FIELD, h->field.s, h->field.len);
	h->field.len = 0;
	h->oversize = 0;
	h->firstline = 0;
}

/* The header ends without an empty line: what was gathered is body. */
static void body_starts(struct hdrsplit *h)
{
	emit(h, HDRSPLIT_END, "", 0);
	if (h->field.len) emit(h, HDRSPLIT_BODY, h->field.s, h->field.len);
	h->field.len = 0;
	h->oversize = h->firstline = 0;
	h->state = BODY;
}

void hdrsplit_feed(struct hdrsplit *h, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && h->state == HEAD) {
		if (h->linestart) {
			char c = buf[i];
			if (c == '\n') {
				flush_field(h);
				emit(h, HDRSPLIT_END, buf + i, 1);
				h->state = BODY;
				i++;
				break;
			}
			if ((c == ' ' || c == '\t') && !h->field.len && !h->oversize) {
				/* white space with no field to continue: not a header */
				body_starts(h);
				break;
			}
			if (c != ' ' && c != '\t') {
				flush_field(h);
				h->firstline = 1;
			}
			h->linestart = 0;
		}
		{
			const char *lf = memchr(buf + i, '\n', len - i);
			size_t n = lf ? (size_t)(lf - (buf + i)) + 1 : len - i;

			if (h->oversize) {
				emit(h, HDRSPLIT_FIELD_PART, buf + i, n);
			} else if (!stralloc_catb(&h->field, buf + i, n)) {
				h->nomem = 1;
				body_starts(h);
				emit(h, HDRSPLIT_BODY, buf + i, n);
				i += n;
				break;
			} else if (h->field.len > HDRSPLIT_FIELD_MAX) {
				if (h->firstline) {
					/* no field has a first line this long (RFC 5322 2.1.1) */
					body_starts(h);
					i += n;
					break;
				}
				emit(h, HDRSPLIT_FIELD_PART, h->field.s, h->field.len);
				h->field.len = 0;
				h->oversize = 1;
			}
			i += n;
			if (lf) {
				h->linestart = 1;
				if (h->firstline) {
					h->firstline = 0;
					if (!hdr_name_len(h->field.s, h->field.len - 1)) {
						body_starts(h);
						break;
					}
				}
			}
		}
	}
	if (i < len && h->state == BODY) emit(h, HDRSPLIT_BODY, buf + i, len - i);
}

void hdrsplit_end(struct hdrsplit *h)
{
	if (h->state != HEAD) {
		h->state = DONE;
		return;
	}
	if (h->firstline && !hdr_name_len(h->field.s, h->field.len)) {
		body_starts(h);
	} else {
		flush_field(h);
		emit(h, HDRSPLIT_END, "", 0);
	}
	h->state = DONE;
}
