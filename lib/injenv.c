/* injenv: the injection protocol's envelope, written and read; see injenv.h. */
#include "addr.h"
#include "hdr.h"
#include "injenv.h"
#include "sendlimit.h"

static int item(stralloc *out, const char *letter, const char *addr)
{
	return stralloc_cats(out, letter) && stralloc_cats(out, addr) && stralloc_0(out);
}

int injenv_from(stralloc *out, const char *sender) { return item(out, "F", sender); }
int injenv_to(stralloc *out, const char *rcpt) { return item(out, "T", rcpt); }
int injenv_end(stralloc *out) { return stralloc_0(out); }

int injenv_sign(stralloc *out) { return stralloc_catb(out, "S", 2); }

int injenv_head(stralloc *out, const char *text, size_t len)
{
	return stralloc_cats(out, "H") && stralloc_catb(out, text, len) && stralloc_0(out);
}

int injenv_account(stralloc *out, const char *account) { return item(out, "A", account); }

void injenv_init(struct injenv *r, struct queue_env *env, unsigned long maxrcpt)
{
	r->env = env;
	r->maxrcpt = maxrcpt && maxrcpt <= QUEUE_RCPT_MAX ? maxrcpt : QUEUE_RCPT_MAX;
	r->state = INJENV_LETTER;
	r->any = r->have_sender = r->sign = r->have_head = 0;
	r->letter = 0;
	r->item.len = r->canon.len = r->head.len = r->account.len = 0;
	r->line = 0;
	r->why = ST_NONE;
	r->detail = "";
}

static enum injenv_state fail(struct injenv *r, enum status_id why, const char *detail)
{
	r->why = why;
	r->detail = detail ? detail : "";
	return r->state = INJENV_FAILED;
}

/* Parses r->item (NUL-terminated) as an address and leaves its canonical
 * form in r->canon; the null sender stays empty.  0, or -1 after fail(). */
static int canonical(struct injenv *r, int sender)
{
	struct addr a;
	int e;

	r->canon.len = 0;
	if (sender && r->item.len == 0) return 0;
	e = addr_parse(&a, r->item.s, r->item.len, ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS);
	if (e != ADDR_OK) return fail(r, sender ? ST_ENV_BAD_SENDER : ST_ENV_BAD_RCPT, addr_strerror(e)), -1;
	if (!addr_format(&r->canon, &a)) return fail(r, ST_NOMEM, 0), -1;
	return 0;
}

/* A: the account, once, before F; its form only (injenv.h). */
static enum injenv_state take_account(struct injenv *r)
{
	size_t i;

	if (r->account.len) return fail(r, ST_ENV_BAD_ACCOUNT, "more than one A item");
	if (!r->item.len) return fail(r, ST_ENV_BAD_ACCOUNT, "empty");
	if (r->item.len > SENDLIMIT_ACCOUNT_MAX) return fail(r, ST_ENV_BAD_ACCOUNT, "too long");
	for (i = 0; i < r->item.len; i++)
		if ((unsigned char)r->item.s[i] <= ' ' || r->item.s[i] == 0x7f)
			return fail(r, ST_ENV_BAD_ACCOUNT, "space or control character");
	if (!stralloc_copyb(&r->account, r->item.s, r->item.len + 1)) return fail(r, ST_NOMEM, 0);
	r->account.len--;
	return r->state = INJENV_LETTER;
}

/* A whole item (its NUL seen): the sender first, then recipients. */
static enum injenv_state take_item(struct injenv *r)
{
	struct queue_env *e = r->env;

	if (!stralloc_0(&r->item)) return fail(r, ST_NOMEM, 0);
	r->item.len--;
	if (!r->have_sender && r->letter == 'A') return take_account(r);
	if (!r->have_sender) {
		if (r->letter != 'F') return fail(r, ST_ENV_NO_SENDER, 0);
		if (canonical(r, 1)) return r->state;
		if (!stralloc_copyb(&e->sender, r->canon.s, r->canon.len) || !stralloc_0(&e->sender))
			return fail(r, ST_NOMEM, 0);
		e->sender.len--;
		r->have_sender = 1;
		return r->state = INJENV_LETTER;
	}
	if (r->letter != 'T') return fail(r, ST_ENV_BAD_ITEM, 0);
	if (canonical(r, 0)) return r->state;
	if (e->n >= r->maxrcpt) return fail(r, ST_ENV_TOO_MANY, 0);
	if (!queue_env_add(e, r->canon.s, 0)) return fail(r, ST_NOMEM, 0);
	return r->state = INJENV_LETTER;
}

/* H: a line of header text has just ended (its LF is in r->head).  A
 * continuation line (RFC 5322 2.2.3: it starts with white space) needs a
 * field above it and something other than white space; any other line
 * starts a field.  An empty line would end the header inside our text and
 * make the rest of it, and the message's own header, body. */
static void head_line(struct injenv *r)
{
	const char *l = r->head.s + r->line;
	size_t n = r->head.len - 1 - r->line, i;

	if (!n) {
		fail(r, ST_ENV_BAD_HEAD, "empty line");
	} else if (l[0] == ' ' || l[0] == '\t') {
		for (i = 0; i < n && (l[i] == ' ' || l[i] == '\t'); i++) {}
		if (!r->line) fail(r, ST_ENV_BAD_HEAD, "continuation line first");
		else if (i == n) fail(r, ST_ENV_BAD_HEAD, "line of only white space");
	} else if (!hdr_name_len(l, n)) {
		fail(r, ST_ENV_BAD_HEAD, "line is not a header field");
	}
	r->line = r->head.len;
}

/* H: one more byte of header text; the NUL that ends it is for take_head. */
static void head_byte(struct injenv *r, char c)
{
	if (r->head.len >= QUEUE_HEAD_MAX) {
		fail(r, ST_ENV_HEAD_TOO_LONG, 0);
	} else if (c == '\r') {
		fail(r, ST_ENV_BAD_HEAD, "CR (line ends are LF)");
	} else if (!stralloc_append(&r->head, &c)) {
		fail(r, ST_NOMEM, 0);
	} else if (c == '\n') {
		head_line(r);
	}
}

/* H: its NUL.  Every line was judged at its LF; the text must not be
 * empty, and its last field must be ended (a NUL inside the text ends the
 * item early, and lands here without a line end). */
static void take_head(struct injenv *r)
{
	if (!r->head.len) fail(r, ST_ENV_BAD_HEAD, "empty header text");
	else if (r->head.s[r->head.len - 1] != '\n') fail(r, ST_ENV_BAD_HEAD, "last line not ended by LF (or a NUL inside)");
	else r->have_head = 1, r->state = INJENV_LETTER;
}

enum injenv_state injenv_feed(struct injenv *r, const char *buf, size_t len, size_t *used)
{
	size_t i = 0;

	while (i < len && (r->state == INJENV_LETTER || r->state == INJENV_ITEM)) {
		char c = buf[i++];
		r->any = 1;
		if (r->state == INJENV_LETTER) {
			r->letter = c;
			r->item.len = 0;
			if (c == 'H' || c == 'S') {
				/* each at most once, before F: a reader knows
				 * at F that neither comes any more */
				if (r->have_sender || (c == 'H' ? r->have_head : r->sign))
					fail(r, c == 'H' ? ST_ENV_HEAD_NOT_FIRST : ST_ENV_BAD_SIGN, c == 'H' ? 0 : "twice or after F");
				else r->state = INJENV_ITEM;
			} else if (c != 0) {
				r->state = INJENV_ITEM;
			} else if (!r->have_sender) {
				fail(r, ST_ENV_NO_SENDER, 0);   /* "\0" first: no F */
			} else if (!r->env->n) {
				fail(r, ST_ENV_NO_RCPT, 0);
			} else {
				r->state = INJENV_DONE;
			}
			continue;
		}
		if (r->letter == 'S') {
			/* S has no text: its NUL comes at once */
			if (c != 0) fail(r, ST_ENV_BAD_SIGN, "text after S");
			else r->sign = 1, r->state = INJENV_LETTER;
			continue;
		}
		if (r->letter == 'H') {
			if (c == 0) take_head(r);
			else head_byte(r, c);
			continue;
		}
		if (c == 0) {
			take_item(r);
			continue;
		}
		/* the bound comes before the letter is judged, as an item is
		 * read whole before it is looked at */
		if (r->item.len >= ADDR_PATH_MAX) {
			fail(r, ST_ENV_ADDR_TOO_LONG, 0);
			continue;
		}
		if (!stralloc_append(&r->item, &c)) fail(r, ST_NOMEM, 0);
	}
	if (used) *used = i;
	return r->state;
}

enum injenv_state injenv_eof(struct injenv *r)
{
	if (r->state == INJENV_DONE || r->state == INJENV_FAILED) return r->state;
	return fail(r, r->any ? ST_ENV_CUT : ST_ENV_NONE, 0);
}

void injenv_free(struct injenv *r)
{
	stralloc_free(&r->item);
	stralloc_free(&r->canon);
	stralloc_free(&r->head);
	stralloc_free(&r->account);
}
