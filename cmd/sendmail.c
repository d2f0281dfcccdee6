/*
 * posthorn-sendmail: the sendmail(8) command line in front of the injector
 * (see posthorn-sendmail(8)).
 *
 *     posthorn-sendmail [-t] [-i] [-f sender] [-F name] [--] [recipient ...] < message
 *     posthorn-sendmail -bp            (also: mailq)     lists the queue
 *     posthorn-sendmail -q[interval]                     flushes the queue once
 *
 * Steps, each finished before the next starts:
 *   1. options, config (defaultdomain, me, databytes, maxrcpt);
 *   2. read the header block into memory (bounded), normalising CRLF to LF;
 *      pick out the recipients (-t), drop Bcc and Return-Path, note which
 *      of Date, Message-ID and From are missing;
 *   3. check every recipient and the sender: any error ends the run before
 *      the injector is started, so nothing is queued;
 *   4. start the injector, write our Received line, the header, the missing
 *      fields, then stream the body from stdin (CRLF to LF, the '.' line
 *      ends input unless -i), then the envelope; map its exit code.
 *
 * The injector is run through lib/inject, like everyone's (posthorn(7)).
 * Exit 0 only after the injector exited 0.  Every failure is one line on
 * stderr ("posthorn-sendmail: fatal: ...") and a sysexits.h code; on
 * success stderr stays empty, because cron mails whatever we print there.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <stralloc.h>
#include <textcode.h>
#include "addr.h"
#include "conf.h"
#include "exedir.h"
#include "exitcode.h"
#include "hdr.h"
#include "inject.h"

#define HEADER_MAX 262144           /* bytes of the header block as read */
#define RCPT_MAX_DEFAULT 10000      /* like posthorn-queue's maxrcpt */
#define DATABYTES_DEFAULT 52428800  /* like posthorn-queue's databytes */
#define NAME_MAX_BYTES 200          /* bytes of a display name we write */
#define IOBUF 65536

static const char usage_text[] =
	"usage: posthorn-sendmail [-t] [-i] [-f sender] [-F name] [--] [recipient ...] < message\n"
	"       posthorn-sendmail -bp | -q\n";

enum mode { MODE_SEND, MODE_LIST, MODE_FLUSH, MODE_NEWALIASES };

static struct {
	enum mode mode;
	int extract;            /* -t */
	int dotend;             /* a line "." ends input (no -i / -oi) */
	const char *sender;     /* -f / -r as given, or null */
	const char *fullname;   /* -F, or null */
} opt = { MODE_SEND, 0, 1, 0, 0 };

static struct {
	stralloc defaultdomain;
	stralloc me;
	unsigned long databytes;   /* 0: no limit */
	unsigned long maxrcpt;
} cf;

/* ---- messages ---- */

_Noreturn static void fail(int code, ...)
{
	char line[2048];
	size_t n = 0;
	const char *s;
	va_list ap;

	n = (size_t)snprintf(line, sizeof line, "posthorn-sendmail: fatal: ");
	va_start(ap, code);
	while ((s = va_arg(ap, const char *))) {
		for (; *s && n < sizeof line - 2; s++)
			line[n++] = (unsigned char)*s < 32 ? '?' : *s;
	}
	va_end(ap);
	line[n++] = '\n';
	if (write(2, line, n) < 0) {}
	_exit(code);
}

static void warn(const char *a, const char *b)
{
	char line[512];
	int n = snprintf(line, sizeof line, "posthorn-sendmail: warning: %s%s\n", a, b);
	if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {}
}

_Noreturn static void nomem(void) { fail(EX_OSERR, "out of memory", (char *)0); }
static const char *errstr(void) { return strerror(errno); }

_Noreturn static void usage(const char *why, const char *what)
{
	char line[256];
	int n = snprintf(line, sizeof line, "posthorn-sendmail: fatal: %s%s\n", why, what);
	if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {}
	if (write(2, usage_text, sizeof usage_text - 1) < 0) {}
	_exit(EX_USAGE);
}

/* ---- options ---- */

/* The value of an option letter: the rest of this argument, else the next
 * one.  Moves *i past what it used. */
static const char *optval(int argc, char **argv, int *i, const char *rest, char letter)
{
	char o[3] = { '-', letter, 0 };
	if (*rest) return rest;
	if (*i + 1 >= argc) usage("option needs a value: ", o);
	return argv[++*i];
}

/* Parses sendmail's options; returns the index of the first recipient.
 * Like sendmail 8, options end at the first argument that is not one. */
static int parse_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		size_t k;

		if (!strcmp(a, "--")) return i + 1;
		if (a[0] != '-' || !a[1]) return i;
		if (a[1] == '-') usage("unknown option ", a);
		for (k = 1; a[k]; k++) {
			char c = a[k];
			const char *rest = a + k + 1;
			switch (c) {
			/* flags */
			case 't': opt.extract = 1; continue;
			case 'i': opt.dotend = 0; continue;
			case 'v': case 'm': case 'n': case 'U': case 'x': case 'G': continue;
			/* options with a value */
			case 'f': case 'r': opt.sender = optval(argc, argv, &i, rest, c); break;
			case 'F': opt.fullname = optval(argc, argv, &i, rest, c); break;
			case 'o':
				if (!*rest) usage("option needs a value: ", "-o");
				if (!strcmp(rest, "i")) opt.dotend = 0;
				break;
			case 'e':
				if (!*rest) usage("option needs a value: ", "-e");
				break;
			case 'b':
				switch (*rest) {
				case 'm': opt.mode = MODE_SEND; break;
				case 'p': opt.mode = MODE_LIST; break;
				case 'i': opt.mode = MODE_NEWALIASES; break;
				case 's': fail(EX_USAGE, "-bs (SMTP on standard input) is not supported: "
					       "use posthorn-smtpd", (char *)0);
				case 0: usage("option needs a value: ", "-b");
				default: fail(EX_USAGE, "mode ", a, " is not supported", (char *)0);
				}
				break;
			case 'q':
				/* -q, -q30m, -qf, -qR...: one flush of the whole queue */
				opt.mode = MODE_FLUSH;
				if (*rest && (rest[0] == 'R' || rest[0] == 'S' || rest[0] == 'I' || rest[0] == 'Q'))
					warn("queue selection ignored: flushing the whole queue", "");
				break;
			case 'B': case 'L': case 'h': case 'O': case 'p': case 'A':
				(void)optval(argc, argv, &i, rest, c);
				break;
			case 'd': case 'M': case 'D':
				break;   /* debug flags, macros, log file: value attached, ignored */
			case 'N': case 'R': case 'V':
				v = optval(argc, argv, &i, rest, c);
				(void)v;
				warn(c == 'N' ? "-N ignored: " : c == 'R' ? "-R ignored: " : "-V ignored: ",
				     "delivery status notification options are not supported");
				break;
			case 'C':
				(void)optval(argc, argv, &i, rest, c);
				warn("-C ignored: ", "the config dir comes from POSTHORN_CONF");
				break;
			case 'X':
				(void)optval(argc, argv, &i, rest, c);
				warn("-X ignored: ", "no traffic log");
				break;
			default: {
				char o[3] = { '-', c, 0 };
				usage("unknown option ", o);
			}
			}
			break;   /* the value used the rest of this argument */
		}
	}
	return i;
}

/* ---- config ---- */

static void conf_fail(const char *name)
{
	fail(EX_TEMPFAIL, "unable to read config file ", conf_dir(), "/", name, ": ", errstr(), (char *)0);
}

static void read_config(void)
{
	char host[256];

	if (conf_line("me", &cf.me, "") < 0) conf_fail("me");
	if (!cf.me.len) {
		if (gethostname(host, sizeof host - 1) < 0) fail(EX_OSERR, "unable to get the host name: ", errstr(), (char *)0);
		host[sizeof host - 1] = 0;
		if (!stralloc_copys(&cf.me, host) || !stralloc_0(&cf.me)) nomem();
		cf.me.len--;
	}
	if (conf_line("defaultdomain", &cf.defaultdomain, "") < 0) conf_fail("defaultdomain");
	if (!cf.defaultdomain.len && (!stralloc_copy(&cf.defaultdomain, &cf.me) || !stralloc_0(&cf.defaultdomain)))
		nomem();
	cf.defaultdomain.len = strlen(cf.defaultdomain.s);
	/* lower-case it as addr_parse does with every domain */
	for (size_t i = 0; i < cf.defaultdomain.len; i++)
		if (cf.defaultdomain.s[i] >= 'A' && cf.defaultdomain.s[i] <= 'Z') cf.defaultdomain.s[i] += 32;
	if (addr_check_domain(cf.defaultdomain.s, cf.defaultdomain.len, ADDR_ALLOW_UTF8) != ADDR_OK)
		fail(EX_CONFIG, "invalid default domain '", cf.defaultdomain.s,
		     "' (config file defaultdomain, me, or the host name)", (char *)0);
	if (conf_ulong("databytes", &cf.databytes, DATABYTES_DEFAULT) < 0) conf_fail("databytes");
	if (conf_ulong("maxrcpt", &cf.maxrcpt, RCPT_MAX_DEFAULT) < 0) conf_fail("maxrcpt");
	if (!cf.maxrcpt) cf.maxrcpt = RCPT_MAX_DEFAULT;
}

/* ---- addresses ---- */

/* Parses text as an address; a bare local part gets @defaultdomain.  out =
 * the canonical text.  Returns 0 or an addr_error (ADDR_ERR_TOOLONG when
 * the added domain makes it too long). */
static int make_address(stralloc *out, const char *text, size_t len, unsigned flags)
{
	struct addr a;
	int err = addr_parse(&a, text, len, flags | ADDR_ALLOW_NODOMAIN | ADDR_ALLOW_UTF8);

	if (err) return err;
	if (!a.domain[0] && !a.empty) {
		memcpy(a.domain, cf.defaultdomain.s, cf.defaultdomain.len + 1);
		for (const char *p = a.domain; *p; p++)
			if ((unsigned char)*p >= 128) a.utf8 = 1;
	}
	if (!addr_format(out, &a)) nomem();
	if (out->len > ADDR_PATH_MAX - 2) return ADDR_ERR_TOOLONG;
	return 0;
}

/* The recipients, canonical and NUL-terminated, each once (compared in
 * lookup form through a small open-addressing hash). */
static stralloc rcpts;
static unsigned long nrcpts;
static stralloc rkeys;
static size_t *rhash;     /* offsets + 1 into rkeys, 0 = free */
static size_t rhashcap;

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void add_rcpt(const char *text, const char *where)
{
	static stralloc canon, key;
	struct addr a;
	size_t i;
	int err = make_address(&canon, text, strlen(text), 0);

	if (err)
		fail(EX_DATAERR, "invalid recipient address '", text, "'", where, ": ", addr_strerror(err), (char *)0);
	if (addr_parse(&a, canon.s, canon.len, ADDR_ALLOW_UTF8) != ADDR_OK || !addr_key(&key, &a))
		fail(EX_SOFTWARE, "internal error: canonical address does not parse: ", canon.s, (char *)0);
	if (!rhash) {
		rhashcap = 1;
		while (rhashcap < cf.maxrcpt * 2 + 2) rhashcap <<= 1;
		rhash = calloc(rhashcap, sizeof *rhash);
		if (!rhash) nomem();
	}
	for (i = fnv(key.s) & (rhashcap - 1); rhash[i]; i = (i + 1) & (rhashcap - 1))
		if (!strcmp(rkeys.s + rhash[i] - 1, key.s)) return;   /* already there */
	if (nrcpts >= cf.maxrcpt) {
		char num[32];   /* a 20-digit number */
		snprintf(num, sizeof num, "%lu", cf.maxrcpt);
		fail(EX_DATAERR, "too many recipients: more than ", num, (char *)0);
	}
	rhash[i] = rkeys.len + 1;
	if (!stralloc_cats(&rkeys, key.s) || !stralloc_0(&rkeys)) nomem();
	if (!stralloc_cats(&rcpts, canon.s) || !stralloc_0(&rcpts)) nomem();
	nrcpts++;
}

/* Every address of an address list (an argument or a header field). */
static void add_list(const char *s, size_t len, const char *where)
{
	static stralloc list;
	unsigned long n = 0;
	size_t i;
	int err;

	list.len = 0;
	err = hdr_addrlist(s, len, &list, &n, cf.maxrcpt);
	if (err == HDR_ERR_NOMEM) nomem();
	if (err == HDR_ERR_TOOMANY) {
		char num[32];   /* a 20-digit number */
		snprintf(num, sizeof num, "%lu", cf.maxrcpt);
		fail(EX_DATAERR, "too many recipients", where, ": more than ", num, (char *)0);
	}
	if (err) {
		stralloc show = {0};
		if (!stralloc_catb(&show, s, len > 200 ? 200 : len) || !stralloc_0(&show)) nomem();
		fail(EX_DATAERR, "invalid address list '", show.s, "'", where, ": ", hdr_strerror(err), (char *)0);
	}
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1) {
		if (!list.s[i]) fail(EX_DATAERR, "empty recipient address <>", where, (char *)0);
		add_rcpt(list.s + i, where);
	}
}

/* ---- the envelope sender and the From field ---- */

static stralloc sender;       /* canonical, "" for <> */
static stralloc login;        /* the real uid's name @ defaultdomain */
static stralloc gecos;        /* the real name from the passwd entry */

static void find_sender(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw) {
		const char *comma = strchr(pw->pw_gecos ? pw->pw_gecos : "", ',');
		if (make_address(&login, pw->pw_name, strlen(pw->pw_name), 0)) login.len = 0;
		if (pw->pw_gecos && !stralloc_catb(&gecos, pw->pw_gecos,
						  comma ? (size_t)(comma - pw->pw_gecos) : strlen(pw->pw_gecos)))
			nomem();
		if (!stralloc_0(&gecos)) nomem();
	}
	if (opt.sender) {
		const char *s = opt.sender;
		size_t len = strlen(s);
		int err;
		if (len >= 2 && s[0] == '<' && s[len - 1] == '>') { s++; len -= 2; }
		if (!len) {
			if (!stralloc_ready(&sender, 1)) nomem();
			sender.len = 0;
			sender.s[0] = 0;
			return;
		}
		err = make_address(&sender, s, len, 0);
		if (err) fail(EX_DATAERR, "invalid sender address '", opt.sender, "': ", addr_strerror(err), (char *)0);
		return;
	}
	if (!login.len) {
		char num[32];   /* a 20-digit number */
		snprintf(num, sizeof num, "%lu", (unsigned long)getuid());
		fail(EX_NOUSER, "no usable user name for uid ", num, ": give the sender with -f", (char *)0);
	}
	if (!stralloc_copy(&sender, &login)) nomem();
}

/* Is the address (canonical, as make_address writes it) the invoking
 * account's own, login@defaultdomain?  Compared in lookup form, so case
 * in the domain does not matter. */
static int is_login(const stralloc *a)
{
	static stralloc ka, kl;
	struct addr x;

	if (!login.len || !a->len) return 0;
	if (addr_parse(&x, a->s, a->len, ADDR_ALLOW_UTF8) != ADDR_OK || !addr_key(&ka, &x)) return 0;
	if (addr_parse(&x, login.s, login.len, ADDR_ALLOW_UTF8) != ADDR_OK || !addr_key(&kl, &x)) return 0;
	return ka.len == kl.len && !memcmp(ka.s, kl.s, ka.len);
}

/* Appends a display name: a quoted string when it is ASCII, RFC 2047
 * encoded words when it holds 8-bit bytes.  Controls become spaces. */
static void cat_phrase(stralloc *out, const char *name)
{
	size_t len = strlen(name), i;
	int eight = 0;
	char clean[NAME_MAX_BYTES + 1];

	if (len > NAME_MAX_BYTES) len = NAME_MAX_BYTES;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		clean[i] = c < 32 || c == 127 ? ' ' : (char)c;
		if (c >= 128) eight = 1;
	}
	clean[len] = 0;
	if (!eight) {
		if (!stralloc_append(out, "\"")) nomem();
		for (i = 0; i < len; i++)
			if ((clean[i] == '"' || clean[i] == '\\') ? !stralloc_append(out, "\\") || !stralloc_append(out, clean + i)
								    : !stralloc_append(out, clean + i))
				nomem();
		if (!stralloc_append(out, "\"")) nomem();
		return;
	}
	/* RFC 2047 5(3): encoded words of at most 75 characters, each holding
	 * whole characters: 45 bytes of text make 60 of base64. */
	for (i = 0; i < len;) {
		size_t n = len - i > 45 ? 45 : len - i;
		char b64[64];
		while (i + n < len && n > 1 && ((unsigned char)clean[i + n] & 0xc0) == 0x80) n--;
		if (i && !stralloc_cats(out, "\n ")) nomem();
		if (!stralloc_cats(out, "=?UTF-8?B?")) nomem();
		if (!stralloc_catb(out, b64, fmt_base64(b64, clean + i, n)) || !stralloc_cats(out, "?=")) nomem();
		i += n;
	}
}

/* ---- input: CRLF to LF, the '.' line ---- */

static struct {
	char buf[IOBUF];
	size_t len, pos;
	int eof;           /* end of input: EOF, or the '.' line */
	int bol;           /* at the beginning of a line */
	int cr;            /* a CR is held back: is an LF next? */
	int dot;           /* a '.' at bol is held back */
	int lastnl;        /* the last byte handed on was LF */
	char pend[2];      /* bytes released by a decision, handed on first */
	size_t npend;
} in = { .bol = 1, .lastnl = 1 };

/* The next byte of the normalised input, or -1 at its end. */
static int in_raw(void)
{
	if (in.pos == in.len) {
		ssize_t r;
		if (in.eof) return -1;
		do r = read(0, in.buf, sizeof in.buf);
		while (r < 0 && errno == EINTR);
		if (r < 0) fail(errno == EBADF ? EX_NOINPUT : EX_IOERR, "unable to read the message: ", errstr(), (char *)0);
		if (!r) { in.eof = 1; return -1; }
		in.len = (size_t)r;
		in.pos = 0;
	}
	return (unsigned char)in.buf[in.pos++];
}

/* CR LF becomes LF; a CR at end of input counts as a line end too. */
static int in_crlf(void)
{
	int c;
	if (in.cr) {
		in.cr = 0;
		c = in_raw();
		if (c == '\n' || c == -1) return '\n';
		in.pos--;   /* not an LF: give it back, hand on the CR */
		return '\r';
	}
	c = in_raw();
	if (c == '\r') { in.cr = 1; return in_crlf(); }
	return c;
}

static int done_input;

/* The next byte of the message, or -1 at its end (EOF or a lone '.'
 * line without -i, which is not handed on).  A final line end is added
 * if the input lacks one. */
static int in_getc(void)
{
	int c;

	if (in.npend) {
		c = (unsigned char)in.pend[0];
		in.pend[0] = in.pend[1];
		in.npend--;
		goto out;
	}
	if (done_input) return -1;
	c = in_crlf();
	if (c == '.' && in.bol && opt.dotend) {
		int d = in_crlf();
		if (d == '\n' || d == -1) { done_input = 1; return -1; }
		in.pend[0] = (char)d;
		in.npend = 1;
	} else if (c == -1) {
		done_input = 1;
		if (in.lastnl) return -1;
		c = '\n';
	}
out:
	in.bol = c == '\n';
	in.lastnl = c == '\n';
	return c;
}

/* ---- the header block ---- */

static stralloc head;      /* fields we keep, LF line ends */
static stralloc firstbody; /* a line that ended the header without a blank line */
static int has_date, has_msgid, has_from;
static stralloc tolist, resentlist;   /* -t: unfolded To/Cc/Bcc, Resent-* */
static int has_resent;

static void take_field(const char *f, size_t len)
{
	static stralloc v;
	int bcc = hdr_is(f, len, "Bcc"), rbcc = hdr_is(f, len, "Resent-Bcc");
	int list = 0, resent = 0;

	if (hdr_is(f, len, "To") || hdr_is(f, len, "Cc") || bcc) list = 1;
	if (hdr_is(f, len, "Resent-To") || hdr_is(f, len, "Resent-Cc") || rbcc) list = resent = 1;
	if (hdr_is(f, len, "Date")) has_date = 1;
	if (hdr_is(f, len, "Message-ID")) has_msgid = 1;
	if (hdr_is(f, len, "From")) has_from = 1;
	if (list && opt.extract) {
		stralloc *dst = resent ? &resentlist : &tolist;
		if (resent) has_resent = 1;
		if (hdr_unfold(&v, f, len) != 1) nomem();
		/* fields are separate lists: a ',' between them */
		if (!stralloc_catb(dst, v.s, v.len) || !stralloc_cats(dst, ",")) nomem();
	}
	/* RFC 5322 3.6.3: Bcc is not shown to the other recipients.  The final
	 * delivery writes Return-Path; one from the sender would be a lie. */
	if (bcc || rbcc || hdr_is(f, len, "Return-Path")) return;
	if (!stralloc_catb(&head, f, len)) nomem();
}

/* Reads the header block: up to an empty line (dropped; we write our own),
 * a line that is no field and no continuation (it starts the body), or the
 * end of input.  A first line "From " (an mbox separator) is dropped. */
static void read_header(void)
{
	stralloc line = {0}, field = {0};
	size_t total = 0;
	int first = 1;

	for (;;) {
		int c, toolong = 0;
		line.len = 0;
		while ((c = in_getc()) != -1) {
			if (!stralloc_append(&line, (char[]){ (char)c })) nomem();
			if (c == 0) fail(EX_DATAERR, "the message header holds a NUL byte", (char *)0);
			if (c == '\n') break;
			if (line.len > HDR_LINE_MAX + 1) { toolong = 1; break; }
		}
		if (!line.len) break;                         /* end of input */
		total += line.len;
		if (total > HEADER_MAX) fail(EX_DATAERR, "the message header is longer than 262144 bytes", (char *)0);
		if (line.len == 1 && line.s[0] == '\n') break; /* the empty line */
		if (first && line.len >= 5 && !memcmp(line.s, "From ", 5) && !toolong) { first = 0; continue; }
		first = 0;
		if ((line.s[0] == ' ' || line.s[0] == '\t') && field.len) {
			if (toolong) fail(EX_DATAERR, "a header line is longer than 998 bytes", (char *)0);
			if (!stralloc_cat(&field, &line)) nomem();
			continue;
		}
		if (field.len) take_field(field.s, field.len);
		field.len = 0;
		if (!hdr_name_len(line.s, line.len)) {
			/* no field: the body starts here */
			if (!stralloc_copy(&firstbody, &line)) nomem();
			break;
		}
		if (toolong) fail(EX_DATAERR, "a header line is longer than 998 bytes", (char *)0);
		if (!stralloc_copy(&field, &line)) nomem();
	}
	if (field.len) take_field(field.s, field.len);
	stralloc_free(&line);
	stralloc_free(&field);
}

/* ---- the fields we add ---- */

static void cat_date(stralloc *out, time_t t)
{
	char buf[64];
	struct tm *tm = localtime(&t);
	/* RFC 5322 3.3; the C locale gives the English names */
	if (!tm || !strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", tm)) fail(EX_OSERR, "unable to format the date", (char *)0);
	if (!stralloc_cats(out, buf)) nomem();
}

static void build_added(stralloc *top, stralloc *tail)
{
	struct timeval tv;
	char buf[128];   /* fits: fixed words and numbers, 90 bytes at most */
	unsigned char rnd[8];

	gettimeofday(&tv, 0);
	/* Our trace field: who ran us, so a forged -f can be traced
	 * (RFC 5321 4.4 leaves the comment free). */
	snprintf(buf, sizeof buf, "(posthorn-sendmail, from uid %lu)", (unsigned long)getuid());
	if (!stralloc_copys(top, "Received: by ") || !stralloc_cat(top, &cf.me) || !stralloc_cats(top, " ") ||
	    !stralloc_cats(top, buf) || !stralloc_cats(top, ";\n\t"))
		nomem();
	cat_date(top, tv.tv_sec);
	if (!stralloc_cats(top, "\n")) nomem();

	tail->len = 0;
	if (!has_date) {
		if (!stralloc_cats(tail, "Date: ")) nomem();
		cat_date(tail, tv.tv_sec);
		if (!stralloc_cats(tail, "\n")) nomem();
	}
	if (!has_msgid) {
		if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			memset(rnd, 0, sizeof rnd);
		snprintf(buf, sizeof buf, "<%lld.%06ld.%lu.%02x%02x%02x%02x%02x%02x%02x%02x@", (long long)tv.tv_sec,
			 (long)tv.tv_usec, (unsigned long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
		if (!stralloc_cats(tail, "Message-ID: ") || !stralloc_cats(tail, buf) || !stralloc_cat(tail, &cf.me) ||
		    !stralloc_cats(tail, ">\n"))
			nomem();
	}
	if (!has_from) {
		const stralloc *a = sender.len ? &sender : &login;
		/* The real name belongs to the account: it goes with the account's
		 * own address only, never with another one given by -f (root's
		 * cron job sending as alice@ must not read "root" <alice@...>). */
		const char *name = opt.fullname ? opt.fullname : gecos.len && is_login(a) ? gecos.s : "";
		if (!stralloc_cats(tail, "From: ")) nomem();
		if (*name) {
			cat_phrase(tail, name);
			if (!stralloc_cats(tail, " <") || !stralloc_catb(tail, a->s, a->len) || !stralloc_cats(tail, ">\n"))
				nomem();
		} else if (!stralloc_catb(tail, a->s, a->len) || !stralloc_cats(tail, "\n")) {
			nomem();
		}
	}
}

/* ---- the injector (lib/inject) ---- */

static struct inject inj;
static unsigned long long sent;   /* message bytes handed over */
static int broken;                /* the injector stopped reading */

static void start_injector(void)
{
	stralloc path = {0};

	if (!inject_path(&path)) fail(EX_OSERR, "unable to find our own directory: ", errstr(), (char *)0);
	if (access(path.s, X_OK) < 0) fail(EX_UNAVAILABLE, "unable to run ", path.s, ": ", errstr(), (char *)0);
	/* no timeout: whoever runs us waits for us, as for any sendmail */
	if (inject_open(&inj, -1, 0)) fail(EX_OSERR, "unable to start ", path.s, ": ", errstr(), (char *)0);
	inject_sign(&inj);   /* a local user's mail: DKIM-signed when its From domain has keys */
	stralloc_free(&path);
}

static void out(const char *s, size_t len)
{
	sent += len;
	if (cf.databytes && sent > cf.databytes) {
		char num[32];
		inject_abort(&inj);   /* it gets no envelope: nothing is queued */
		snprintf(num, sizeof num, "%lu", cf.databytes);
		fail(EX_DATAERR, "message too big: more than ", num, " bytes (config file databytes)", (char *)0);
	}
	/* an injector that stops reading has its say in finish_injection */
	if (inject_put(&inj, s, len)) broken = 1;
}

/* Sends the envelope, waits, and ends the run with the mapped code. */
_Noreturn static void finish_injection(void)
{
	struct inject_result r;
	size_t i;

	if (!stralloc_0(&sender)) nomem();
	inject_from(&inj, sender.s);
	for (i = 0; i < rcpts.len; i += strlen(rcpts.s + i) + 1) inject_to(&inj, rcpts.s + i);
	inject_close(&inj, &r);
	if (r.exit == EXIT_DONE) _exit(EX_OK);
	if (r.signal) {
		char num[16];
		snprintf(num, sizeof num, "%d", r.signal);
		fail(EX_TEMPFAIL, "message not queued: ", inj.path.s, " killed by signal ", num, (char *)0);
	}
	/* the injector's one reason line (its last line, if it said more).  A
	 * send limit (4.7.1) is EX_TEMPFAIL like any temporary failure; a
	 * sending lock (5.7.1) is a refusal of the sender, EX_NOPERM */
	fail(r.exit != EXIT_PERM ? EX_TEMPFAIL : !strcmp(r.esc, "5.7.1") ? EX_NOPERM : EX_DATAERR, "message not queued: ",
	     r.exit == EXIT_PERM ? "refused" : "temporary failure", r.line[0] ? ": " : "", r.line, (char *)0);
}

/* ---- the queue tools ---- */

/* $POSTHORN_RUNQ, else posthorn-runq beside our own executable
 * (/proc/self/exe: the real file, also when we run as a sendmail link). */
_Noreturn static void run_runq(const char *flag)
{
	const char *env = getenv("POSTHORN_RUNQ");
	stralloc path = {0};

	if (env && *env) {
		if (!stralloc_copys(&path, env) || !stralloc_0(&path)) nomem();
	} else if (!exedir_path(&path, "posthorn-runq")) {
		fail(EX_OSERR, "unable to find our own directory: ", errstr(), (char *)0);
	}
	execl(path.s, path.s, flag, (char *)0);
	fail(EX_UNAVAILABLE, "unable to run ", path.s, ": ", errstr(), (char *)0);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	stralloc top = {0}, tail = {0};
	int first, c, i;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(base, "mailq")) opt.mode = MODE_LIST;
	if (!strcmp(base, "newaliases")) opt.mode = MODE_NEWALIASES;
	first = parse_options(argc, argv);

	switch (opt.mode) {
	case MODE_LIST: run_runq("-l");
	case MODE_FLUSH: run_runq("-f");
	case MODE_NEWALIASES:
		/* package scripts call newaliases; aliases live in users.cdb */
		warn("newaliases: nothing to do: aliases are managed with posthorn-user", "");
		return EX_OK;
	case MODE_SEND: break;
	}

	conf_init(0);
	read_config();
	find_sender();
	for (i = first; i < argc; i++) add_list(argv[i], strlen(argv[i]), " (argument)");
	read_header();
	if (opt.extract) {
		/* RFC 5322 3.6.6: a resent message goes to the Resent- recipients */
		stralloc *l = has_resent ? &resentlist : &tolist;
		add_list(l->s, l->len, has_resent ? " (Resent-To/Cc/Bcc)" : " (To/Cc/Bcc)");
	}
	if (!nrcpts) fail(EX_USAGE, opt.extract ? "no recipients in the To, Cc or Bcc fields nor as arguments"
					: "no recipients given (name them as arguments, or use -t)", (char *)0);
	build_added(&top, &tail);

	start_injector();
	out(top.s, top.len);
	out(head.s, head.len);
	out(tail.s, tail.len);
	out("\n", 1);
	out(firstbody.s, firstbody.len);
	while (!broken && (c = in_getc()) != -1) {
		char ch = (char)c;
		out(&ch, 1);
	}
	finish_injection();
}
