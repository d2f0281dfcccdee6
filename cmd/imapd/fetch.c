/*
 * FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2).
 *
 * A message is read from its file and turned into wire form (every LF
 * that has no CR before it becomes CRLF) once per FETCH response; every
 * size and offset we report (RFC822.SIZE, BODYSTRUCTURE sizes, <partial>
 * origins) is in that form, which is what the client receives.  Items
 * that need only the header (ENVELOPE, BODY.PEEK[HEADER...]) read only up
 * to the blank line.  RFC822.SIZE is remembered per message for the
 * session.
 *
 * Sections (RFC 3501 6.4.5): "" (all), HEADER, HEADER.FIELDS (...),
 * HEADER.FIELDS.NOT (...), TEXT, and part numbers "1.2" with an optional
 * ".MIME", ".HEADER", ".TEXT", ... suffix; a <origin.count> partial
 * range.  BODY[...] without .PEEK, RFC822 and RFC822.TEXT set \Seen (not
 * in an EXAMINEd folder), and the new FLAGS go out in the same response.
 *
 * BINARY (RFC 3516): BINARY[part]<partial>, BINARY.PEEK[...] and
 * BINARY.SIZE[part] send a leaf part's body with its transfer encoding
 * undone (lib/cte), as a literal8 when it holds NUL; BINARY[] is the
 * whole message, its body decoded when it is a single part.  Before any
 * response line of a message goes out, its BINARY items are checked: an
 * encoding we cannot undo, or a multipart or message/rfc822 part, leaves
 * the message out and fails the command (NO [UNKNOWN-CTE], RFC 3516 4.3;
 * NO [CLIENTBUG]: RFC 9051 6.4.5 allows leaf parts only).
 * CONDSTORE (RFC 7162 3.1.4): the MODSEQ item, the (CHANGEDSINCE n)
 * modifier and, with QRESYNC, (CHANGEDSINCE n VANISHED) on UID FETCH
 * (condstore.c); once the client enabled CONDSTORE, a response that shows
 * flags shows MODSEQ too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "condstore.h"
#include "message.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "log.h"
#include "mime.h"
#include "cte.h"
#include "wire.h"

#define FETCH_ITEMS_MAX 64
#define FETCH_FIELDS_MAX 64
#define HEADER_READ_MAX (1UL << 20)
#define ADDR_MAX 200

enum fkind {
	F_FLAGS = 1, F_INTERNALDATE, F_SIZE, F_ENVELOPE, F_UID, F_BODY, F_BODYSTRUCTURE, F_SECTION,
	F_RFC822, F_RFC822_HEADER, F_RFC822_TEXT,
	F_BINARY, F_BINARY_SIZE, F_MODSEQ
};
enum fwhat { W_ALL, W_HEADER, W_FIELDS, W_FIELDS_NOT, W_TEXT, W_MIME };

struct fitem {
	enum fkind kind;
	char echo[300];                 /* the section as the client wrote it */
	unsigned nums[16], nnum;
	enum fwhat what;
	char fields[FETCH_FIELDS_MAX][80];
	unsigned nfields;
	int peek, partial;
	unsigned long origin, count;
};

static struct fitem items[FETCH_ITEMS_MAX];
static unsigned nitems;
static enum resp_id binary_failed;     /* why a message's BINARY items could not be sent, or 0 */
static int fetch_add_modseq;     /* CONDSTORE on and MODSEQ not asked for */
static stralloc raw, wire;

/* ---- loading ---- */

static int to_wire(const char *s, size_t len)
{
	size_t i;
	if (!stralloc_ready(&wire, len + len / 16 + 16)) return -1;
	wire.len = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
			if (!stralloc_append(&wire, "\r")) return -1;
		}
		if (!stralloc_append(&wire, &s[i])) return -1;
	}
	return 0;
}

int message_load(unsigned long i, int header_only, const char **data, size_t *len)
{
	long k = view_store(i);
	int fd;
	char buf[65536];
	ssize_t n;

	if (k < 0) { errno = ENOENT; return -1; }
	fd = store_open_msg(&S.st, (unsigned long)k);
	if (fd < 0) return -1;
	raw.len = 0;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		if (!stralloc_catb(&raw, buf, (size_t)n)) { close(fd); errno = ENOMEM; return -1; }
		if (header_only) {
			size_t from = raw.len > (size_t)n + 3 ? raw.len - (size_t)n - 3 : 0;
			if (memmem(raw.s + from, raw.len - from, "\n\n", 2) || memmem(raw.s + from, raw.len - from, "\n\r\n", 3) ||
			    raw.len > HEADER_READ_MAX)
				break;
		}
	}
	close(fd);
	if (n < 0) return -1;
	if (to_wire(raw.s ? raw.s : "", raw.len) < 0) { errno = ENOMEM; return -1; }
	if (header_only) wire.len = mime_header_end(wire.s, wire.len);
	*data = wire.s ? wire.s : "";
	*len = wire.len;
	return 0;
}

int message_size(unsigned long i, uint64_t *size)
{
	long k;
	int fd;
	unsigned long long sz;

	if (S.v[i].sized) { *size = S.v[i].size; return 0; }
	if ((k = view_store(i)) < 0) return -1;
	fd = store_open_msg(&S.st, (unsigned long)k);
	if (fd < 0) return -1;
	if (wire_size_fd(fd, &sz) < 0) { close(fd); return -1; }
	close(fd);
	S.v[i].size = sz;
	S.v[i].sized = 1;
	*size = sz;
	return 0;
}

int64_t message_date(unsigned long i)
{
	char p[2048];
	struct stat st;
	long k = view_store(i);
	if (k < 0 || store_path(&S.st, (unsigned long)k, p, sizeof p) < 0) return MESSAGE_DATE_NONE;
	if (stat(p, &st) < 0) {
		int fd = store_open_msg(&S.st, (unsigned long)k);
		if (fd < 0 || fstat(fd, &st) < 0) { if (fd >= 0) close(fd); return MESSAGE_DATE_NONE; }
		close(fd);
	}
	return (int64_t)st.st_mtime;
}

/* ---- parsing the items ---- */

static int parse_section(struct fitem *it, const char *s, size_t len)
{
	size_t i = 0;
	char fl[300];

	if (len >= sizeof it->echo) return -1;
	memcpy(it->echo, s, len);
	it->echo[len] = 0;
	s = it->echo;
	it->what = W_ALL;
	/* section-part: nz-number *("." nz-number), each 1 to 4294967295
	 * (RFC 3501 section 9); a part that is not there reads as empty */
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		size_t j = i;
		uint32_t v;
		while (j < len && s[j] >= '0' && s[j] <= '9') j++;
		if (it->nnum >= 16 || imap_nz_number(s + i, j - i, &v) < 0) return -1;
		it->nums[it->nnum++] = v;
		i = j;
		if (i < len && s[i] == '.') {
			i++;
			if (i >= len) return -1;
		} else if (i < len) return -1;
	}
	if (i == len) return 0;
	if (!strncasecmp(s + i, "HEADER.FIELDS", 13)) {
		size_t j = i + 13;
		const char *p;
		it->what = W_FIELDS;
		if (j + 4 <= len && !strncasecmp(s + j, ".NOT", 4)) { it->what = W_FIELDS_NOT; j += 4; }
		if (j + 2 > len || s[j] != ' ' || s[j + 1] != '(' || s[len - 1] != ')') return -1;
		if (len - j - 3 >= sizeof fl) return -1;
		memcpy(fl, s + j + 2, len - j - 3);
		fl[len - j - 3] = 0;
		for (p = strtok(fl, " \""); p; p = strtok(0, " \"")) {
			if (it->nfields >= FETCH_FIELDS_MAX || strlen(p) >= sizeof it->fields[0]) return -1;
			strcpy(it->fields[it->nfields++], p);   /* fits: its length is checked above */
		}
		return it->nfields ? 0 : -1;
	}
	if (!strcasecmp(s + i, "HEADER")) it->what = W_HEADER;
	else if (!strcasecmp(s + i, "TEXT")) it->what = W_TEXT;
	else if (!strcasecmp(s + i, "MIME") && it->nnum) it->what = W_MIME;
	else return -1;
	return 0;
}

/* BINARY, BINARY.PEEK, BINARY.SIZE (n bytes at s, before the "["):
 * sets the kind and peek; 0, or -1 for any other name. */
static int binary_att(struct fitem *it, const char *s, size_t n)
{
	if (n == 6 && !strncasecmp(s, "BINARY", 6)) it->kind = F_BINARY;
	else if (n == 11 && !strncasecmp(s, "BINARY.PEEK", 11)) { it->kind = F_BINARY; it->peek = 1; }
	else if (n == 11 && !strncasecmp(s, "BINARY.SIZE", 11)) { it->kind = F_BINARY_SIZE; it->peek = 1; }
	else return -1;
	return 0;
}

static int parse_item(const struct imap_arg *a)
{
	static const struct { const char *name; enum fkind kind; } simple[] = {
		{"FLAGS", F_FLAGS}, {"INTERNALDATE", F_INTERNALDATE}, {"RFC822.SIZE", F_SIZE},
		{"ENVELOPE", F_ENVELOPE}, {"UID", F_UID}, {"BODYSTRUCTURE", F_BODYSTRUCTURE}, {"BODY", F_BODY},
		{"RFC822", F_RFC822}, {"RFC822.HEADER", F_RFC822_HEADER}, {"RFC822.TEXT", F_RFC822_TEXT},
		{"MODSEQ", F_MODSEQ},
	};
	struct fitem *it;
	const char *s = a->s, *br, *close;
	unsigned i;

	if (a->type != IMAP_ATOM || nitems >= FETCH_ITEMS_MAX) return -1;
	it = &items[nitems];
	memset(it, 0, sizeof *it);
	br = strchr(s, '[');
	if (!br) {
		for (i = 0; i < sizeof simple / sizeof simple[0]; i++)
			if (!strcasecmp(s, simple[i].name)) { it->kind = simple[i].kind; nitems++; return 0; }
		return -1;
	}
	it->kind = F_SECTION;
	if ((size_t)(br - s) == 4 && !strncasecmp(s, "BODY", 4)) it->peek = 0;
	else if ((size_t)(br - s) == 9 && !strncasecmp(s, "BODY.PEEK", 9)) it->peek = 1;
	else if (binary_att(it, s, (size_t)(br - s)) < 0) return -1;
	close = strrchr(br, ']');   /* the last: a quoted header name may hold one */
	if (!close || parse_section(it, br + 1, (size_t)(close - br - 1)) < 0) return -1;
	/* RFC 3516 section-binary: part numbers only */
	if (it->kind != F_SECTION && it->what != W_ALL) return -1;
	s = close + 1;
	if (*s) {
		if (it->kind == F_BINARY_SIZE) return -1;   /* no partial (RFC 3516 section 6) */
		/* "<" number "." nz-number ">" (RFC 3501 section 9): 32-bit
		 * numbers, read with their bound */
		const char *dot = strchr(s, '.');
		uint32_t o, n;
		size_t l = strlen(s);
		if (*s != '<' || s[l - 1] != '>' || !dot || imap_number(s + 1, (size_t)(dot - s - 1), &o) < 0 ||
		    imap_nz_number(dot + 1, (size_t)(s + l - 1 - dot - 1), &n) < 0)
			return -1;
		it->partial = 1;
		it->origin = o;
		it->count = n;
	}
	nitems++;
	return 0;
}

static int parse_items(const struct imap_arg *a)
{
	nitems = 0;
	if (a->type == IMAP_ATOM) {
		static const char *const macros[][5] = {
			{"ALL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
			{"FAST", "FLAGS", "INTERNALDATE", "RFC822.SIZE", 0},
			{"FULL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
		};
		unsigned m, j;
		for (m = 0; m < 3; m++) {
			if (!imap_arg_atom_is(a, macros[m][0])) continue;
			for (j = 1; j < 5 && macros[m][j]; j++) {
				struct imap_arg t = {IMAP_ATOM, macros[m][j], strlen(macros[m][j]), 0, 0, 0, 0};
				parse_item(&t);
			}
			if (m == 2) {
				struct imap_arg t = {IMAP_ATOM, "BODY", 4, 0, 0, 0, 0};
				parse_item(&t);
			}
			return 0;
		}
		return parse_item(a);
	}
	if (a->type != IMAP_LIST || !a->len) return -1;
	for (a = a->list; a; a = a->next)
		if (parse_item(a) < 0) return -1;
	return 0;
}

/* ---- output ---- */

static void out_date(int64_t t)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	outf("\"%02d-%.3s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday, mon + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour,
	     tm.tm_min, tm.tm_sec);
}

/* The entries of the first field called name (0 when absent or empty). */
static unsigned parse_addrs(const char *hdr, size_t hlen, const char *name, struct mime_addr *a)
{
	static stralloc v;
	if (!mime_field(hdr, hlen, name, &v)) return 0;
	return mime_addresses(v.s, v.len, a, ADDR_MAX);
}

/* An address field of ENVELOPE (RFC 3501 7.4.2): NIL, or a list of
 * (name adl mailbox host).  A group is (NIL NIL "group" NIL), its members,
 * then (NIL NIL NIL NIL).  An address without a local part or domain shows
 * MISSING_MAILBOX or MISSING_DOMAIN there, as Dovecot does: a NIL host would
 * read as group syntax.  Sender and Reply-To take From's value when they
 * are absent or hold no address (7.4.2). */
static void out_addrs(const char *hdr, size_t hlen, const char *name, const char *fallback)
{
	static struct mime_addr a[ADDR_MAX];
	unsigned n, i;

	n = parse_addrs(hdr, hlen, name, a);
	if (!n && fallback) n = parse_addrs(hdr, hlen, fallback, a);
	if (!n) { out("NIL"); return; }
	out("(");
	for (i = 0; i < n; i++) {
		const struct mime_addr *e = &a[i];
		if (e->kind == MIME_ADDR_GROUP) {
			out("(NIL NIL ");
			out_string(e->name, strlen(e->name));
			out(" NIL)");
		} else if (e->kind == MIME_ADDR_GROUP_END) {
			out("(NIL NIL NIL NIL)");
		} else {
			const char *mb = e->mailbox[0] ? e->mailbox : "MISSING_MAILBOX";
			const char *host = e->host[0] ? e->host : "MISSING_DOMAIN";
			out("(");
			out_nstring(e->name[0] ? e->name : 0, strlen(e->name));
			out(" ");
			out_nstring(e->adl[0] ? e->adl : 0, strlen(e->adl));
			out(" ");
			out_string(mb, strlen(mb));
			out(" ");
			out_string(host, strlen(host));
			out(")");
		}
	}
	out(")");
}

static void out_field(const char *hdr, size_t hlen, const char *name)
{
	static stralloc v;
	if (mime_field(hdr, hlen, name, &v)) out_string(v.s, v.len);
	else out("NIL");
}

static void out_envelope(const char *hdr, size_t hlen)
{
	out("(");
	out_field(hdr, hlen, "date");
	out(" ");
	out_field(hdr, hlen, "subject");
	out(" ");
	out_addrs(hdr, hlen, "from", 0);
	out(" ");
	out_addrs(hdr, hlen, "sender", "from");
	out(" ");
	out_addrs(hdr, hlen, "reply-to", "from");
	out(" ");
	out_addrs(hdr, hlen, "to", 0);
	out(" ");
	out_addrs(hdr, hlen, "cc", 0);
	out(" ");
	out_addrs(hdr, hlen, "bcc", 0);
	out(" ");
	out_field(hdr, hlen, "in-reply-to");
	out(" ");
	out_field(hdr, hlen, "message-id");
	out(")");
}

static void out_params(const struct mime_params *p)
{
	unsigned i;
	if (!p->n) { out("NIL"); return; }
	out("(");
	for (i = 0; i < p->n; i++) {
		if (i) out(" ");
		out_string(p->name[i], strlen(p->name[i]));
		out(" ");
		out_string(p->value[i], strlen(p->value[i]));
	}
	out(")");
}

static void out_str0(const char *s)
{
	out_nstring(s, s ? strlen(s) : 0);
}

/* The extension data both kinds of part end with (RFC 3501 7.4.2):
 * disposition, language, location. */
static void out_disposition_tail(const struct mime_part *p)
{
	if (p->disposition) {
		out("(");
		out_str0(p->disposition);
		out(" ");
		out_params(&p->dparams);
		out(")");
	} else out("NIL");
	out(" ");
	out_str0(p->language);
	out(" ");
	out_str0(p->location);
}

static void out_structure(const struct mime *m, const struct mime_part *p, int ext)
{
	out("(");
	if (p->multipart) {
		const struct mime_part *c;
		for (c = p->child; c; c = c->next) out_structure(m, c, ext);
		out(" ");
		out_str0(p->subtype);
		if (ext) {
			out(" ");
			out_params(&p->params);
			out(" ");
			out_disposition_tail(p);
		}
		out(")");
		return;
	}
	out_str0(p->type);
	out(" ");
	out_str0(p->subtype);
	out(" ");
	out_params(&p->params);
	out(" ");
	out_str0(p->id);
	out(" ");
	out_str0(p->description);
	out(" ");
	out_str0(p->encoding ? p->encoding : "7BIT");
	outf(" %zu", p->bodylen);
	if (p->message && p->msg) {
		out(" ");
		out_envelope(m->data + p->msg->hdr, p->msg->hdrlen);
		out(" ");
		out_structure(m, p->msg, ext);
		outf(" %lu", p->lines);
	} else if (!strcasecmp(p->type, "text")) {
		outf(" %lu", p->lines);
	}
	if (ext) {
		out(" ");
		out_str0(p->md5);
		out(" ");
		out_disposition_tail(p);
	}
	out(")");
}

/* The part that section numbers name, or null. */
static const struct mime_part *find_part(const struct mime *m, const unsigned *nums, unsigned n)
{
	const struct mime_part *cur = &m->part[0];
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i > 0 && cur->message && cur->msg) cur = cur->msg;
		if (cur->multipart) {
			const struct mime_part *c = cur->child;
			unsigned k;
			for (k = 1; c && k < nums[i]; k++) c = c->next;
			if (!c) return 0;
			cur = c;
		} else if (nums[i] != 1) {
			return 0;
		}
	}
	return cur;
}

/* The bytes of a section into s and len (in m, or in a static buffer). */
static int section_data(const struct mime *m, const struct fitem *it, const char **s, size_t *len)
{
	static stralloc sel;
	const struct mime_part *p = &m->part[0], *msg;
	size_t pos = 0, flen;
	const char *f;

	if (it->nnum) {
		p = find_part(m, it->nums, it->nnum);
		if (!p) { *s = ""; *len = 0; return 0; }
	}
	if (it->what == W_ALL) {
		if (!it->nnum) { *s = m->data; *len = m->len; }
		else { *s = m->data + p->body; *len = p->bodylen; }
		return 0;
	}
	if (it->what == W_MIME) {
		*s = m->data + p->hdr;
		*len = p->hdrlen;
		return 0;
	}
	/* HEADER, HEADER.FIELDS, TEXT: of the message, or of a message/rfc822 part */
	msg = p;
	if (it->nnum) {
		if (!p->message || !p->msg) { *s = ""; *len = 0; return 0; }
		msg = p->msg;
	}
	if (it->what == W_TEXT) { *s = m->data + msg->body; *len = msg->bodylen; return 0; }
	if (it->what == W_HEADER) { *s = m->data + msg->hdr; *len = msg->hdrlen; return 0; }
	sel.len = 0;
	while (mime_next_field(m->data + msg->hdr, msg->hdrlen, &pos, &f, &flen)) {
		unsigned i;
		int hit = 0;
		for (i = 0; i < it->nfields && !hit; i++) {
			size_t nl = strlen(it->fields[i]);
			if (flen > nl && !strncasecmp(f, it->fields[i], nl) && (f[nl] == ':' || f[nl] == ' ' || f[nl] == '\t'))
				hit = 1;
		}
		if (hit == (it->what == W_FIELDS) && !stralloc_catb(&sel, f, flen)) return -1;
	}
	if (!stralloc_cats(&sel, "\r\n")) return -1;
	*s = sel.s;
	*len = sel.len;
	return 0;
}

/* ---- BINARY (RFC 3516) ---- */

/* The part a BINARY item names: the message for BINARY[], or null when
 * there is no such part. */
static const struct mime_part *binary_part(const struct mime *m, const struct fitem *it)
{
	return it->nnum ? find_part(m, it->nums, it->nnum) : &m->part[0];
}

static int non_leaf(const struct mime_part *p)
{
	return p->multipart || p->message ||
	       (p->type && !strcasecmp(p->type, "message") && p->subtype &&
	        (!strcasecmp(p->subtype, "rfc822") || !strcasecmp(p->subtype, "global")));
}

/* Can every BINARY item of this FETCH be served from message m?  0, or
 * the tagged response that fails the command. */
static enum resp_id binary_check(const struct mime *m)
{
	unsigned j;
	for (j = 0; j < nitems; j++) {
		const struct fitem *it = &items[j];
		const struct mime_part *p;
		if (it->kind != F_BINARY && it->kind != F_BINARY_SIZE) continue;
		if (!(p = binary_part(m, it))) continue;
		if (it->nnum && non_leaf(p)) return R_NO_BINARY_PART;
		if (!p->multipart && cte_kind(p->encoding) == CTE_UNKNOWN) return R_NO_UNKNOWN_CTE;
	}
	return 0;
}

/* Every LF in sa from byte from on that has no CR before it gets one. */
static int crlf_text(stralloc *sa, size_t from)
{
	static stralloc t;
	size_t i, bare = 0;

	for (i = from; i < sa->len; i++)
		if (sa->s[i] == '\n' && (i == from || sa->s[i - 1] != '\r')) bare++;
	if (!bare) return 0;
	if (!stralloc_copyb(&t, sa->s, from) || !stralloc_ready(&t, sa->len + bare)) return -1;
	for (i = from; i < sa->len; i++) {
		if (sa->s[i] == '\n' && (i == from || sa->s[i - 1] != '\r')) t.s[t.len++] = '\r';
		t.s[t.len++] = sa->s[i];
	}
	return stralloc_copy(sa, &t) ? 0 : -1;
}

/* The decoded bytes of a BINARY item into *s, *len (in m, or a static
 * buffer valid until the next call).  0, or -1 (ENOMEM). */
static int binary_data(const struct mime *m, const struct fitem *it, const char **s, size_t *len)
{
	static stralloc dec;
	const struct mime_part *p = binary_part(m, it);

	*s = "";
	*len = 0;
	if (!p) return 0;
	/* a multipart message is sent as it is: its own encoding can only be
	 * an identity one (RFC 2045 6.4) */
	if (p->multipart) { *s = m->data; *len = m->len; return 0; }
	dec.len = 0;
	/* BINARY[] of a single-part message: its header, then its body decoded */
	if (!it->nnum && !stralloc_catb(&dec, m->data + p->hdr, p->hdrlen)) return -1;
	if (cte_decode(cte_kind(p->encoding), m->data + p->body, p->bodylen, &dec) < 0) return -1;
	/* RFC 3516 4.2: text goes out with CRLF line ends, whatever the
	 * decoding gave (base64 text usually holds bare LFs) */
	if (p->type && !strcasecmp(p->type, "text") && crlf_text(&dec, it->nnum ? 0 : p->hdrlen) < 0) return -1;
	*s = dec.s ? dec.s : "";
	*len = dec.len;
	return 0;
}

/* One BINARY or BINARY.SIZE item of the response: a literal8 when the
 * data holds NUL, else a literal (RFC 3516 4.2 says a string SHOULD be
 * used then); the partial range counts decoded bytes. */
static void out_binary(const struct mime *m, const struct fitem *it)
{
	const char *s;
	size_t len;

	if (binary_data(m, it, &s, &len) < 0) {
		outf("%s[%s] NIL", it->kind == F_BINARY ? "BINARY" : "BINARY.SIZE", it->echo);
		return;
	}
	if (it->kind == F_BINARY_SIZE) { outf("BINARY.SIZE[%s] %zu", it->echo, len); return; }
	outf("BINARY[%s]", it->echo);
	if (it->partial) {
		outf("<%lu>", it->origin);
		if (it->origin >= len) len = 0;
		else {
			s += it->origin;
			len -= it->origin;
			if (len > it->count) len = it->count;
		}
	}
	if (memchr(s, 0, len)) {
		outf(" ~{%zu}\r\n", len);
		outb(s, len);
	} else {
		out(" ");
		out_literal(s, len);
	}
}

int message_section(const char *data, size_t len, const char *section, stralloc *out)
{
	static struct fitem it;
	struct mime m;
	const char *s;
	size_t sl;
	int r = -1;

	memset(&it, 0, sizeof it);
	if (parse_section(&it, section, strlen(section)) < 0) { errno = EINVAL; return -1; }
	memset(&m, 0, sizeof m);
	if (mime_parse(&m, data, len) < 0) { errno = ENOMEM; return -1; }
	if (it.nnum && !find_part(&m, it.nums, it.nnum)) errno = EINVAL;
	else if (section_data(&m, &it, &s, &sl) < 0 || !stralloc_catb(out, s, sl)) errno = ENOMEM;
	else r = 0;
	mime_free(&m);
	return r;
}

static int needs(int *full, int *header, int *setseen)
{
	unsigned i;
	*full = *header = *setseen = 0;
	for (i = 0; i < nitems; i++) {
		switch (items[i].kind) {
		case F_ENVELOPE: case F_RFC822_HEADER: *header = 1; break;
		case F_BODY: case F_BODYSTRUCTURE: *full = 1; break;
		case F_RFC822: case F_RFC822_TEXT: *full = 1; *setseen = 1; break;
		case F_BINARY: case F_BINARY_SIZE:
			*full = 1;
			if (!items[i].peek) *setseen = 1;
			break;
		case F_SECTION:
			if (items[i].nnum || items[i].what == W_ALL || items[i].what == W_TEXT) *full = 1;
			else *header = 1;
			if (!items[i].peek) *setseen = 1;
			break;
		default: break;
		}
	}
	return 0;
}

/* One message's response.  A message that another session expunged (the
 * client not told yet) is left out, and the FETCH still answers OK: RFC
 * 2180 4.1.4, what clients cope with; its EXPUNGE follows at the next
 * command that allows one.  Everything that reads the file is done before
 * the response line starts, so a file gone meanwhile leaves no half line. */
static void fetch_one(unsigned long i, int full, int header, int setseen)
{
	static struct mime m;
	const char *data = 0;
	size_t len = 0;
	unsigned j;
	int sp = 0, flags_sent = 0, parsed = 0, need_size = 0, need_date = 0;
	uint64_t size = 0;
	int64_t date = 0;
	long k = view_store(i);

	if (k < 0) return;
	for (j = 0; j < nitems; j++) {
		need_size |= items[j].kind == F_SIZE;
		need_date |= items[j].kind == F_INTERNALDATE;
	}
	if (need_size && message_size(i, &size) < 0) {
		if (errno != ENOENT) log_error("fetch", S.mailbox);
		return;
	}
	if (need_date && (date = message_date(i)) == MESSAGE_DATE_NONE) return;
	if ((full || header) && message_load(i, !full, &data, &len) < 0) {
		if (errno != ENOENT) log_error("fetch", S.mailbox);
		return;
	}
	if (full && mime_parse(&m, data, len) == 0) parsed = 1;
	if (parsed && (binary_failed = binary_check(&m)) != 0) {
		mime_free(&m);
		return;
	}
	/* the flags now, as this or another session left them */
	S.v[i].flags = S.st.m[k].flags;
	S.v[i].dirty = 0;
	if (setseen && !S.readonly && !(S.st.m[k].flags & STORE_SEEN)) {
		if (store_setflags(&S.st, (unsigned long)k, STORE_SEEN, 0) == 0) S.v[i].flags = S.st.m[k].flags;
	} else {
		setseen = 0;
	}
	outf("* %lu FETCH (", i + 1);
	/* UID FETCH, and every FETCH once QRESYNC is on: a QRESYNC client
	 * keys its copy by UID (RFC 7162 3.2), not by message number */
	if (S.uid || qresync_on()) {
		int has = 0;
		for (j = 0; j < nitems; j++) has |= items[j].kind == F_UID;
		if (!has) { outf("UID %lu", (unsigned long)S.v[i].uid); sp = 1; }
	}
	for (j = 0; j < nitems; j++) {
		const struct fitem *it = &items[j];
		if (sp) out(" ");
		sp = 1;
		switch (it->kind) {
		case F_UID: outf("UID %lu", (unsigned long)S.v[i].uid); break;
		case F_FLAGS:
			out("FLAGS ");
			out_flags(S.v[i].flags, S.v[i].recent);
			flags_sent = 1;
			break;
		case F_INTERNALDATE: out("INTERNALDATE "); out_date(date); break;
		case F_MODSEQ: outf("MODSEQ (%llu)", (unsigned long long)S.st.m[k].modseq); break;
		case F_SIZE: outf("RFC822.SIZE %llu", (unsigned long long)size); break;
		case F_ENVELOPE: out("ENVELOPE "); out_envelope(data, mime_header_end(data, len)); break;
		case F_BODY: case F_BODYSTRUCTURE:
			out(it->kind == F_BODY ? "BODY " : "BODYSTRUCTURE ");
			if (parsed) out_structure(&m, &m.part[0], it->kind == F_BODYSTRUCTURE);
			else out("(\"text\" \"plain\" NIL NIL NIL \"7BIT\" 0 0)");
			break;
		case F_RFC822: out("RFC822 "); out_literal(data, len); break;
		case F_RFC822_HEADER: {
			size_t h = mime_header_end(data, len);
			out("RFC822.HEADER ");
			out_literal(data, h);
			break;
		}
		case F_RFC822_TEXT: {
			size_t h = mime_header_end(data, len);
			out("RFC822.TEXT ");
			out_literal(data + h, len - h);
			break;
		}
		case F_BINARY: case F_BINARY_SIZE:
			if (parsed) out_binary(&m, it);
			else outf("%s[%s] NIL", it->kind == F_BINARY ? "BINARY" : "BINARY.SIZE", it->echo);
			break;
		case F_SECTION: {
			const char *s = "";
			size_t sl = 0;
			struct mime hm;
			const struct mime *mm = &m;
			if (!parsed) {
				/* header-only sections: a one-part view of the header */
				memset(&hm, 0, sizeof hm);
				if (mime_parse(&hm, data, len) < 0) { out("NIL"); break; }
				mm = &hm;
			}
			section_data(mm, it, &s, &sl);
			outf("BODY[%s]", it->echo);
			if (it->partial) {
				outf("<%lu>", it->origin);
				if (it->origin >= sl) sl = 0;
				else {
					s += it->origin;
					sl -= it->origin;
					if (sl > it->count) sl = it->count;
				}
			}
			out(" ");
			out_literal(s, sl);
			if (!parsed) mime_free(&hm);
			break;
		}
		}
	}
	if (setseen && !flags_sent) {
		out(" FLAGS ");
		out_flags(S.v[i].flags, S.v[i].recent);
	}
	if (fetch_add_modseq && (flags_sent || setseen))
		outf(" MODSEQ (%llu)", (unsigned long long)S.st.m[k].modseq);
	out(")\r\n");
	if (parsed) mime_free(&m);
	S.fetched++;
}

void do_fetch(void)
{
	struct imapseq seq = {0};
	unsigned long i;
	int full, header, setseen, vanished = 0;
	uint64_t since = 0;
	unsigned j;

	if ((S.nargs != 2 && S.nargs != 3) || S.args->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	if (parse_items(S.args->next) < 0) { reply(R_BAD_SYNTAX, "invalid FETCH item"); return; }
	if (S.nargs == 3 && fetch_modifiers(S.args->next->next, &since, &vanished) < 0) return;
	if (view_set(S.args->s, &seq, S.uid) < 0) { imapseq_free(&seq); return; }
	needs(&full, &header, &setseen);
	/* RFC 7162 3.1.4.1: CHANGEDSINCE adds MODSEQ; asking for MODSEQ enables CONDSTORE */
	for (j = 0; j < nitems && items[j].kind != F_MODSEQ; j++) {}
	if (j < nitems) condstore_enable();
	else if (S.nargs == 3 && nitems < FETCH_ITEMS_MAX) {
		memset(&items[nitems], 0, sizeof items[nitems]);
		items[nitems++].kind = F_MODSEQ;
	}
	fetch_add_modseq = condstore_on();
	for (j = 0; j < nitems; j++)
		if (items[j].kind == F_MODSEQ) fetch_add_modseq = 0;
	flags_announce();
	binary_failed = 0;
	if (vanished) vanished_earlier(&seq, since);
	/* the \Seen changes go to the index in one write per batch of
	 * output; the lock is never held while the client reads */
	setseen = setseen && !S.readonly;
	for (i = 0; i < S.nv && !S.dead; i++) {
		if (!view_in(&seq, i, S.uid)) continue;
		if (S.nargs == 3 && view_modseq(i) <= since) continue;
		if (setseen && store_begin(&S.st) < 0) log_error("fetch", S.mailbox);
		fetch_one(i, full, header, setseen);
		/* a big FETCH goes out as it is made */
		if (S.io.outlen > STREAM_BUF / 2) {
			if (store_commit(&S.st) < 0) log_error("fetch", S.mailbox);
			if (stream_flush(&S.io) < 0) S.dead = 1;
		}
	}
	if (store_commit(&S.st) < 0) log_error("fetch", S.mailbox);
	imapseq_free(&seq);
	if (binary_failed) reply(binary_failed);
	else reply(R_OK_FETCH);
}
