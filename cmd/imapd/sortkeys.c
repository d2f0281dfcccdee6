/*
 * The sort keys of a message (RFC 5256 2.1, 2.2 and the criteria of
 * section 3; RFC 5957 3 for DISPLAYFROM and DISPLAYTO).  The header is
 * read once, and only when a key needs it.  Strings are stored folded
 * (lib/basesubject's comparison form) and cut to SORTKEY_STR_MAX bytes,
 * so that a folder of 100,000 messages keeps its keys in one arena.
 */
#include <string.h>
#include "basesubject.h"
#include "message.h"
#include "mime.h"
#include "msgdate.h"
#include "msgid.h"
#include "sortkeys.h"

/* Appends s folded, NUL-terminated; its offset into *off. */
static int put(stralloc *arena, const char *s, size_t n, uint32_t *off)
{
	static stralloc f;
	if (arena->len > UINT32_MAX - SORTKEY_STR_MAX - 2) return -1;
	*off = (uint32_t)arena->len;
	if (basesubject_fold(s, n, &f) < 0) return -1;
	if (f.len > SORTKEY_STR_MAX) {
		f.len = SORTKEY_STR_MAX;
		while (f.len && ((unsigned char)f.s[f.len] & 0xc0) == 0x80) f.len--;   /* a whole character */
	}
	return stralloc_catb(arena, f.s ? f.s : "", f.len) && stralloc_0(arena) ? 0 : -1;
}

/* The first mailbox of the address field name: its local part (mbox)
 * or its display value (RFC 5957 3: the decoded display name, else
 * mailbox@host), into arena. */
static int address(const char *h, size_t hl, const char *name, int display, stralloc *arena, uint32_t *off)
{
	static stralloc v, d;
	static struct mime_addr a;
	struct mime_addr_iter it;

	d.len = 0;
	if (mime_field(h, hl, name, &v)) {
		mime_addr_begin(&it, v.s, v.len);
		while (mime_addr_next(&it, &a))
			if (a.kind == MIME_ADDR_MAILBOX) {
				if (!display) {
					if (!stralloc_cats(&d, a.mailbox)) return -1;
				} else if (a.name[0] && (mime_decode_header(a.name, strlen(a.name), &d) < 0)) {
					return -1;
				}
				if (display && !d.len && a.mailbox[0]) {
					if (!stralloc_cats(&d, a.mailbox)) return -1;
					if (a.host[0] && (!stralloc_append(&d, "@") || !stralloc_cats(&d, a.host))) return -1;
				}
				break;
			}
	}
	return put(arena, d.s ? d.s : "", d.len, off);
}

/* SK_THREAD: the identifiers, bytes as written (msgid.h). */
static int thread_ids(const char *h, size_t hl, struct sortkeys *k, stralloc *arena)
{
	static stralloc v;
	char id[MSGID_MAX + 1];
	size_t pos = 0, n;

	if (arena->len > UINT32_MAX / 2) return -1;
	k->msgid = (uint32_t)arena->len;
	if (mime_field(h, hl, "message-id", &v) && (n = msgid_next(v.s, v.len, &pos, id)) &&
	    !stralloc_catb(arena, id, n))
		return -1;
	if (!stralloc_0(arena)) return -1;
	k->refs = (uint32_t)arena->len;
	k->nrefs = 0;
	if (mime_field(h, hl, "references", &v))
		for (pos = 0; (n = msgid_next(v.s, v.len, &pos, id)); k->nrefs++)
			if (!stralloc_catb(arena, id, n + 1)) return -1;
	if (!k->nrefs && mime_field(h, hl, "in-reply-to", &v) && (pos = 0, n = msgid_next(v.s, v.len, &pos, id))) {
		if (!stralloc_catb(arena, id, n + 1)) return -1;
		k->nrefs = 1;
	}
	return arena->len > UINT32_MAX / 2 ? -1 : 0;
}

int sortkeys_get(unsigned long i, unsigned want, struct sortkeys *k, stralloc *arena)
{
	static stralloc v, f;
	const char *h = "";
	size_t hl = 0;
	int64_t t;
	int refwd = 0;

	memset(k, 0, sizeof *k);
	if (want & (SK_ARRIVAL | SK_DATE)) {
		k->arrival = message_date(i);
		if (k->arrival == MESSAGE_DATE_NONE) k->arrival = 0;
		k->date = k->arrival;
	}
	if (want & SK_SIZE) message_size(i, &k->size);
	if ((want & SK_HEADER) && message_load(i, 1, &h, &hl) < 0) { h = ""; hl = 0; }
	if ((want & SK_DATE) && mime_field(h, hl, "date", &v) && msgdate_parse(v.s, v.len, &t) == 0) k->date = t;
	if (want & SK_SUBJECT) {
		if (!mime_field(h, hl, "subject", &v)) v.len = 0;
		if (basesubject(v.s ? v.s : "", v.len, &f, &refwd) < 0) return -1;
		k->refwd = (uint8_t)refwd;
		if (f.len > SORTKEY_STR_MAX) {
			f.len = SORTKEY_STR_MAX;
			while (f.len && ((unsigned char)f.s[f.len] & 0xc0) == 0x80) f.len--;
		}
		if (arena->len > UINT32_MAX - SORTKEY_STR_MAX - 2) return -1;
		k->subject = (uint32_t)arena->len;
		if (!stralloc_catb(arena, f.s ? f.s : "", f.len) || !stralloc_0(arena)) return -1;
	}
	if ((want & SK_FROM) && address(h, hl, "from", 0, arena, &k->from) < 0) return -1;
	if ((want & SK_TO) && address(h, hl, "to", 0, arena, &k->to) < 0) return -1;
	if ((want & SK_CC) && address(h, hl, "cc", 0, arena, &k->cc) < 0) return -1;
	if ((want & SK_DISPLAYFROM) && address(h, hl, "from", 1, arena, &k->displayfrom) < 0) return -1;
	if ((want & SK_DISPLAYTO) && address(h, hl, "to", 1, arena, &k->displayto) < 0) return -1;
	if ((want & SK_THREAD) && thread_ids(h, hl, k, arena) < 0) return -1;
	return 0;
}
