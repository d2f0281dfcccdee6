/*
 * The sender checks of posthorn-smtpd (posthorn-smtpd(8), "Sender
 * checks"; their place in the chain is in posthorn(7)).  All of them run
 * here, in the process that already holds the connection, so a checked
 * message costs no exec more than an unchecked one:
 *
 *   first MAIL   DNSBL/DNSWL of the client address, all zones at once,
 *                once per connection (RFC 5782); a score at the threshold
 *                refuses the client (554 with the list's TXT reason), a
 *                lower positive score marks the message;
 *   MAIL         SPF (RFC 7208) of the HELO identity (once per HELO name)
 *                and of the MAIL FROM identity (the HELO one for <>);
 *   RCPT         an SPF "fail" is refused (550 5.7.23, RFC 7372) unless
 *                spf-reject is 0; "temperror" asks to come back (451);
 *   DATA         the text passes through lib/hdrsplit on its way to the
 *                injector: DKIM (RFC 6376) reads each header field and
 *                hashes the body as it streams; the From domains are
 *                noted; Authentication-Results fields that claim our
 *                authserv-id, and our own marks, are dropped (RFC 8601 5);
 *   end of data  the DKIM keys are fetched and the signatures checked,
 *                then DMARC (RFC 7489): p=reject refuses the message
 *                (550 5.7.1), p=quarantine marks it for the Junk folder
 *                (posthorn-local reads X-Posthorn-Junk); the
 *                Authentication-Results field goes to the injector to be
 *                put on top of the message (lib/inject's inject_prepend).
 *
 * Clients that authenticated or that RELAYCLIENT trusts are not checked
 * (their mail is ours); forged fields are still dropped from their text.
 * smtpd-checks 0 turns everything here off: the text then goes to the
 * injector untouched, exactly as without this file.
 *
 * DNS goes through lib/dnsq (libowfat's resolver, so DNSCACHEIP points
 * every lookup at a test server), with a deadline per query and a cache
 * for the life of the connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <textcode.h>
#include <fmt.h>
#include <ip4.h>
#include <ip6.h>
#include "authres.h"
#include "dnsq.h"
#include "hdr.h"
#include "log.h"
#include "reply.h"
#include "smtpd.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

void checks_connection(struct session *s)
{
	struct checks *c = &s->chk;

	c->apply = s->conf->checks && !s->auth_user.len && !s->conf->relayclient;
}

/* The client address as SPF wants it: IPv4 as ::ffff:a.b.c.d.  0 if the
 * address is unknown. */
static int client_ip(const struct session *s, unsigned char ip[16])
{
	const char *t = s->peer.remote_ip;
	size_t n = strlen(t);

	if (!n) return 0;
	if (scan_ip4(t, (char *)ip + 12) == n) {
		memcpy(ip, V4mappedprefix, 12);
		return 1;
	}
	return scan_ip6(t, (char *)ip) == n;
}

/* ---- DNSBL ---- */

static void dnsbl_lookup(struct session *s)
{
	struct checks *c = &s->chk;
	struct dnsbl_query q[DNSBL_ZONES_MAX];
	const struct dnsbl_list *l = &s->conf->dnsbl;
	size_t used = 0;
	unsigned i;

	c->dnsbl_done = 1;
	memset(&c->dnsbl, 0, sizeof c->dnsbl);
	c->dnsbl.listed = -1;
	c->dnsbl_reason[0] = c->dnsbl_listed[0] = 0;
	if (!l->n) return;
	if (dnsq_dnsbl_ask(l, s->peer.remote_ip, q) < 0) return;
	dnsbl_score(l, q, &c->dnsbl);
	if (c->dnsbl.listed >= 0) {
		/* the reason of the list that refuses, if it gives one */
		static stralloc txt;
		if (!dnsq_dnsbl.txt(0, &txt, q[c->dnsbl.listed].qname))
			dnsbl_reason(c->dnsbl_reason, txt.s ? txt.s : "", txt.len);
	}
	for (i = 0; i < l->n; i++) {
		char code[IP4_FMT];
		size_t zl = strlen(l->z[i].name), cl;
		if (q[i].status != DNSBL_LISTED) continue;
		code[fmt_ip4(code, (const char *)q[i].code)] = 0;
		cl = strlen(code);
		if (used + zl + cl + 3 >= sizeof c->dnsbl_listed) break;
		if (used) c->dnsbl_listed[used++] = ' ';
		memcpy(c->dnsbl_listed + used, l->z[i].name, zl);
		used += zl;
		c->dnsbl_listed[used++] = '=';
		memcpy(c->dnsbl_listed + used, code, cl);
		used += cl;
		c->dnsbl_listed[used] = 0;
	}
}

/* ---- SPF ---- */

/* Is name worth an SPF check of the HELO identity: a domain name, not an
 * address literal or a bare word? */
static int helo_is_domain(const char *name)
{
	return name[0] && name[0] != '[' && strchr(name, '.') && strlen(name) <= SPF_NAME_MAX;
}

static enum spf_result spf(struct session *s, const char *sender, const char *domain, char *exp)
{
	struct spf_query q;
	static struct spf_outcome out;   /* 1 KiB of explanation: not on the stack */

	memset(&q, 0, sizeof q);
	if (!client_ip(s, q.ip)) return SPF_NONE;
	q.sender = sender;
	q.helo = s->helo_name.len ? s->helo_name.s : "";
	q.domain = domain;
	q.receiver = s->conf->me;
	q.now = (long long)time(0);
	spf_check_host(&dnsq_spf, &q, &out);
	if (exp) strcpy(exp, out.explanation);   /* fits: both SPF_EXP_MAX + 1 */
	return out.result;
}

static void spf_helo(struct session *s)
{
	struct checks *c = &s->chk;
	const char *h = s->helo_name.len ? s->helo_name.s : "";

	if (c->helo_checked.len && !strcmp(c->helo_checked.s, h)) return;
	c->helo_spf = helo_is_domain(h) ? spf(s, 0, h, 0) : SPF_NONE;
	if (!stralloc_copys(&c->helo_checked, h) || !stralloc_0(&c->helo_checked)) c->helo_checked.len = 0;
}

/* The domain of a canonical address, or "" for <> or a literal. */
static const char *sender_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	if (!at || at[1] == '[') return "";
	return at + 1;
}

/* What DNSBL, SPF and (most often) DMARC will ask, asked at once: the
 * checks then find the answers in lib/dnsq's cache, and a message costs one
 * wait for DNS here instead of one per lookup. */
static void prefetch_mail(struct session *s)
{
	static char dmarc[DMARC_DOMAIN_MAX + 8];
	struct dnsbl_query q[DNSBL_ZONES_MAX];
	const struct dnsbl_list *l = &s->conf->dnsbl;
	enum dnsq_type type[DNSQ_PARALLEL_MAX];
	const char *name[DNSQ_PARALLEL_MAX];
	const char *dom = s->tx.sender.len ? sender_domain(s->tx.sender.s) : "";
	const char *helo = s->helo_name.len ? s->helo_name.s : "";
	unsigned n = 0, i;

	if (!s->chk.dnsbl_done && l->n && dnsbl_queries(l, q, s->peer.remote_ip) == 0)
		for (i = 0; i < l->n && n < DNSQ_PARALLEL_MAX - 3; i++)
			if (q[i].qname[0]) type[n] = DNSQ_A, name[n++] = q[i].qname;
	if (dom[0]) {
		type[n] = DNSQ_TXT, name[n++] = dom;
		if (strlen(dom) <= DMARC_DOMAIN_MAX) {
			memcpy(dmarc, "_dmarc.", 7);
			strcpy(dmarc + 7, dom);   /* fits: checked above */
			type[n] = DNSQ_TXT, name[n++] = dmarc;
		}
	}
	if (helo_is_domain(helo) && strcmp(helo, dom)) type[n] = DNSQ_TXT, name[n++] = helo;
	if (n > 1) dnsq_prefetch(type, name, n);
}

int checks_mail(struct session *s, stralloc *detail)
{
	struct checks *c = &s->chk;
	const char *dom;

	checks_connection(s);
	detail->len = 0;
	c->dkim_log = 0;
	c->dmarc_done = 0;
	c->spf_done = 0;
	c->mfrom_spf = SPF_NONE;
	c->spf_exp[0] = 0;
	if (!c->apply) return R_NONE;
	prefetch_mail(s);
	if (!c->dnsbl_done) dnsbl_lookup(s);
	if (dnsbl_verdict(c->dnsbl.score, (int)s->conf->dnsbl_threshold) == DNSBL_REJECT && c->dnsbl.listed >= 0) {
		const char *zone = s->conf->dnsbl.z[c->dnsbl.listed].name;
		if (!stralloc_copys(detail, "[") || !stralloc_cats(detail, s->peer.remote_ip) ||
		    !stralloc_cats(detail, "] is listed by ") || !stralloc_cats(detail, zone) ||
		    (c->dnsbl_reason[0] && (!stralloc_cats(detail, ": ") || !stralloc_cats(detail, c->dnsbl_reason))) ||
		    !stralloc_0(detail))
			detail->len = 0;
		log_event("dnsbl", "client", s->peer.remote_ip, "zone", zone, "reason", c->dnsbl_reason, "result",
		          "refused", (char *)0);
		return R_DNSBL_LISTED;
	}
	spf_helo(s);
	dom = s->tx.sender.len ? sender_domain(s->tx.sender.s) : "";
	if (!s->tx.sender.len) c->mfrom_spf = c->helo_spf;   /* RFC 7208 2.4 */
	else if (dom[0]) c->mfrom_spf = spf(s, s->tx.sender.s, dom, c->spf_exp);
	c->spf_done = 1;
	return R_NONE;
}

int checks_rcpt(struct session *s, stralloc *detail)
{
	struct checks *c = &s->chk;

	detail->len = 0;
	if (!c->apply || !c->spf_done) return R_NONE;
	if (c->mfrom_spf == SPF_TEMPERROR) return R_SPF_TEMP;
	if (c->mfrom_spf != SPF_FAIL || !s->conf->spf_reject) return R_NONE;
	if (!stralloc_copys(detail, "<") || !stralloc_cats(detail, s->tx.sender.s) ||
	    !stralloc_cats(detail, "> is not allowed to send from [") || !stralloc_cats(detail, s->peer.remote_ip) ||
	    !stralloc_cats(detail, "]") ||
	    (c->spf_exp[0] && (!stralloc_cats(detail, ": ") || !stralloc_cats(detail, c->spf_exp))) ||
	    !stralloc_0(detail))
		detail->len = 0;
	return R_SPF_FAIL;
}

/* ---- the message text ---- */

/* Fields nobody outside may write: forged results under our name, and the
 * marks we put on for delivery; a spam verdict from outside is nobody's
 * to trust (ours comes from scan.c). */
static int forged(const struct session *s, const char *f, size_t n)
{
	return hdr_is(f, n, "X-Posthorn-Junk") || hdr_is(f, n, "X-Posthorn-DNSBL") ||
	       hdr_is(f, n, "X-Posthorn-Scan") ||
	       (scan_incoming(s) && (hdr_is(f, n, "X-Spam-Status") || hdr_is(f, n, "X-Spam-Flag"))) ||
	       (s->conf->checks && authres_is_ours(f, n, s->conf->authserv_sa.s));
}

/* Notes the domains of a From field (RFC 7489 6.6.1: every author domain
 * is checked; the strictest outcome counts). */
static void note_from(struct checks *c, const char *f, size_t n)
{
	static stralloc body, list;
	unsigned long count = 0;
	size_t i;

	c->nfrom++;
	list.len = 0;   /* hdr_addrlist appends */
	if (hdr_unfold(&body, f, n) != 1 || hdr_addrlist(body.s, body.len, &list, &count, 16) != HDR_OK || !count) {
		c->from_bad = 1;
		return;
	}
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1) {
		const char *at = strrchr(list.s + i, '@');
		char dom[DMARC_DOMAIN_MAX + 1];
		size_t k, dl;
		unsigned j;

		if (!at || !at[1] || (dl = strlen(at + 1)) > DMARC_DOMAIN_MAX) {
			c->from_bad = 1;
			continue;
		}
		for (k = 0; k <= dl; k++) dom[k] = (char)lower((unsigned char)at[1 + k]);
		for (j = 0; j < c->ndomains; j++)
			if (!strcmp(c->from[j], dom)) break;
		if (j < c->ndomains) continue;
		if (c->ndomains == SMTPD_FROM_DOMAINS) {
			c->from_bad = 1;
			continue;
		}
		memcpy(c->from[c->ndomains++], dom, dl + 1);
	}
}

/* At the end of the header the DKIM keys and the From domains' DMARC
 * records are known: asked at once while the body still streams in. */
static void prefetch_keys(struct checks *c)
{
	static char names[DKIM_SIGS_MAX + SMTPD_FROM_DOMAINS][DMARC_DOMAIN_MAX + 96];
	enum dnsq_type type[DKIM_SIGS_MAX + SMTPD_FROM_DOMAINS];
	const char *name[DKIM_SIGS_MAX + SMTPD_FROM_DOMAINS];
	unsigned n = 0, i;

	for (i = 0; i < c->dkim.nsig; i++) {
		const struct dkim_one *o = &c->dkim.sig[i];
		if (o->result != DKIM_NONE || strlen(o->s) + strlen(o->d) + 13 > sizeof names[0]) continue;
		snprintf(names[n], sizeof names[n], "%s._domainkey.%s", o->s, o->d);
		type[n] = DNSQ_TXT, name[n] = names[n], n++;
	}
	for (i = 0; i < c->ndomains; i++) {
		snprintf(names[n], sizeof names[n], "_dmarc.%s", c->from[i]);
		type[n] = DNSQ_TXT, name[n] = names[n], n++;
	}
	if (n > 1) dnsq_prefetch(type, name, n);
}

static void split_event(void *arg, enum hdrsplit_event ev, const char *d, size_t n)
{
	struct session *s = arg;
	struct checks *c = &s->chk;

	if (ev != HDRSPLIT_FIELD_PART) c->last_event = ev;
	switch (ev) {
	case HDRSPLIT_FIELD:
		if (c->dkim_on && dkim_header(&c->dkim, d, n) < 0) c->dkim.overflow = 1;
		if (forged(s, d, n)) return;
		if (c->apply && hdr_is(d, n, "From")) note_from(c, d, n);
		break;
	case HDRSPLIT_FIELD_PART:
		/* a field we cannot read whole: DKIM cannot vouch for the header,
		 * and a From of that size is nobody's; the first part (64 KiB)
		 * says whether the field is one to drop */
		c->dkim.overflow = 1;
		if (c->last_event != HDRSPLIT_FIELD_PART) {
			c->drop_part = forged(s, d, n);
			if (c->apply && hdr_is(d, n, "From")) c->from_bad = 1;
		}
		c->last_event = ev;
		if (c->drop_part) return;
		break;
	case HDRSPLIT_END:
		if (c->dkim_on) {
			dkim_headers_end(&c->dkim);
			prefetch_keys(c);
		}
		break;
	case HDRSPLIT_BODY:
		if (c->dkim_on) dkim_body(&c->dkim, d, n);
		break;
	}
	if (n) inject_put(&s->inj, d, n);
}

void checks_data_begin(struct session *s)
{
	struct checks *c = &s->chk;

	/* scanning needs the filter too: it drops forged X-Spam-Status */
	c->filtering = s->conf->checks || scan_enabled(s);
	if (c->dkim_on) dkim_free(&c->dkim);
	c->dkim_on = 0;
	c->last_event = HDRSPLIT_END;
	c->drop_part = 0;
	c->nfrom = 0;
	c->from_bad = 0;
	c->ndomains = 0;
	c->dmarc_done = 0;
	c->dkim_log = "none";
	c->dkim_summary[0] = 0;
	if (!c->filtering) return;
	hdrsplit_init(&c->split, split_event, s);
	if (c->apply) {
		dkim_init(&c->dkim);
		c->dkim_on = 1;
	}
}

void checks_data(struct session *s, const char *buf, size_t len)
{
	if (s->chk.filtering) hdrsplit_feed(&s->chk.split, buf, len);
	else inject_put(&s->inj, buf, len);
}

/* ---- the end of the text: DKIM, DMARC, Authentication-Results ---- */

/* "header.b": the first 8 characters of the signature in base64, enough to
 * tell two signatures of one domain apart (RFC 6008). */
static void short_b(const struct dkim_one *o, char out[16])
{
	char b64[16];
	size_t n = o->sig.blen < 6 ? o->sig.blen : 6;

	b64[fmt_base64(b64, (const char *)o->sig.b, n)] = 0;
	memcpy(out, b64, 9);
	out[8] = 0;
}

static int add_dkim(struct session *s, stralloc *ar)
{
	struct checks *c = &s->chk;
	size_t i;
	unsigned pass = 0, fail = 0;

	if (!c->dkim.nsig) return authres_add(ar, "dkim", "none", 0, (char *)0);
	for (i = 0; i < c->dkim.nsig; i++) {
		const struct dkim_one *o = &c->dkim.sig[i];
		char b[16];
		short_b(o, b);
		if (o->result == DKIM_PASS) pass++;
		else fail++;
		if (!authres_add(ar, "dkim", dkim_result_str(o->result), o->result == DKIM_PASS ? 0 : o->reason,
		                 "header.d", o->d, "header.s", o->s, "header.b", b, (char *)0))
			return 0;
	}
	c->dkim_log = pass ? (fail ? "pass+fail" : "pass") : dkim_result_str(c->dkim.sig[0].result);
	return 1;
}

/* A policy the admin set for this From domain (dmarc-override: lines of
 * "domain policy", the domain or any parent of it), or DMARC_P_UNSET. */
static enum dmarc_policy override(const struct session *s, const char *from)
{
	const char *t = s->conf->dmarc_override.s, *end;
	size_t fl = strlen(from);

	if (!t) return DMARC_P_UNSET;
	end = t + s->conf->dmarc_override.len - 1;
	while (t < end) {
		const char *nl = memchr(t, '\n', (size_t)(end - t)), *le = nl ? nl : end, *sp;
		size_t dl;
		while (t < le && (*t == ' ' || *t == '\t')) t++;
		sp = t;
		while (sp < le && *sp != ' ' && *sp != '\t') sp++;
		dl = (size_t)(sp - t);
		if (dl && *t != '#' && dl <= fl && !strncasecmp(from + fl - dl, t, dl) &&
		    (dl == fl || from[fl - dl - 1] == '.')) {
			while (sp < le && (*sp == ' ' || *sp == '\t')) sp++;
			if (le - sp >= 6 && !strncmp(sp, "reject", 6)) return DMARC_P_REJECT;
			if (le - sp >= 10 && !strncmp(sp, "quarantine", 10)) return DMARC_P_QUARANTINE;
			if (le - sp >= 4 && !strncmp(sp, "none", 4)) return DMARC_P_NONE;
		}
		t = le + 1;
	}
	return DMARC_P_UNSET;
}

static void dmarc(struct session *s)
{
	struct checks *c = &s->chk;
	const char *dkim_domains[DKIM_SIGS_MAX];
	struct dmarc_auth auth;
	struct dmarc_result r;
	const char *spf_dom;
	unsigned i, nd = 0;

	spf_dom = s->tx.sender.len ? sender_domain(s->tx.sender.s) : (s->helo_name.len ? s->helo_name.s : "");
	auth.spf_domain = c->mfrom_spf == SPF_PASS && spf_dom[0] ? spf_dom : 0;
	for (i = 0; i < c->dkim.nsig; i++)
		if (c->dkim.sig[i].result == DKIM_PASS) dkim_domains[nd++] = c->dkim.sig[i].d;
	auth.dkim_domains = dkim_domains;
	auth.ndkim = nd;
	for (i = 0; i < c->ndomains; i++) {
		dmarc_check(c->from[i], &auth, &dnsq_dmarc, arc4random_uniform(100), &r);
		if (r.status == DMARC_FAIL) {
			enum dmarc_policy o = override(s, r.from);
			if (o != DMARC_P_UNSET) r.apply = o;
		}
		/* the strictest outcome of all author domains counts */
		if (!c->dmarc_done || r.apply > c->dmarc.apply ||
		    (r.apply == c->dmarc.apply && r.status == DMARC_FAIL && c->dmarc.status != DMARC_FAIL))
			c->dmarc = r;
		c->dmarc_done = 1;
	}
}

static int add_dmarc(struct session *s, stralloc *ar)
{
	struct checks *c = &s->chk;
	char comment[64];

	if (!c->dmarc_done) return authres_add(ar, "dmarc", "none", c->from_bad ? "no readable From" : 0, (char *)0);
	comment[0] = 0;
	if (c->dmarc.status == DMARC_PASS || c->dmarc.status == DMARC_FAIL)
		snprintf(comment, sizeof comment, "p=%s dis=%s", dmarc_policy_name(c->dmarc.policy),
		         dmarc_policy_name(c->dmarc.apply == DMARC_P_UNSET ? DMARC_P_NONE : c->dmarc.apply));
	return authres_add(ar, "dmarc", dmarc_status_name(c->dmarc.status), comment, "header.from", c->dmarc.from,
	                   (char *)0);
}

static int marks(struct session *s, stralloc *out)
{
	struct checks *c = &s->chk;

	if (c->dnsbl_listed[0]) {
		char score[FMT_LONG];
		score[fmt_long(score, c->dnsbl.score)] = 0;
		if (!stralloc_cats(out, "X-Posthorn-DNSBL: score=") || !stralloc_cats(out, score) ||
		    !stralloc_cats(out, " ") || !stralloc_cats(out, c->dnsbl_listed) || !stralloc_cats(out, "\n"))
			return 0;
	}
	if (c->dmarc_done && c->dmarc.apply == DMARC_P_QUARANTINE && s->conf->dmarc_enforce &&
	    (!stralloc_cats(out, "X-Posthorn-Junk: dmarc p=quarantine ") || !stralloc_cats(out, c->dmarc.from) ||
	     !stralloc_cats(out, "\n")))
		return 0;
	return 1;
}

int checks_data_end(struct session *s, stralloc *detail)
{
	static stralloc ar;
	struct checks *c = &s->chk;
	const char *helo = s->helo_name.len ? s->helo_name.s : 0;
	int okay;

	if (!c->filtering) return R_NONE;
	hdrsplit_end(&c->split);
	if (!s->conf->checks || (!s->auth_user.len && !c->apply)) return R_NONE;
	if (!authres_begin(&ar, s->conf->authserv_sa.s)) return R_QUEUE_TEMP;
	if (s->auth_user.len) {
		okay = authres_add(&ar, "auth", "pass", 0, "smtp.auth", s->auth_user.s, (char *)0);
	} else {
		/* RFC 5322 3.6 allows one From; with two, a reader sees the first
		 * while DKIM vouches for the last (RFC 6376 5.4.2): the classic
		 * way around DMARC (RFC 7489 6.6.1), refused outright */
		if (c->nfrom > 1) return R_MANY_FROM;
		dkim_finish(&c->dkim, &dnsq_dkim, (unsigned long long)time(0));
		dmarc(s);
		okay = authres_add(&ar, "spf", spf_result_name(c->mfrom_spf), 0, "smtp.mailfrom",
		                   s->tx.sender.len ? s->tx.sender.s : 0, (char *)0) &&
		       (!helo || !helo_is_domain(helo) ||
		        authres_add(&ar, "spf", spf_result_name(c->helo_spf), 0, "smtp.helo", helo, (char *)0)) &&
		       add_dkim(s, &ar) && add_dmarc(s, &ar);
		if (c->dmarc_done && c->dmarc.apply == DMARC_P_REJECT && s->conf->dmarc_enforce) {
			if (!stralloc_copys(detail, c->dmarc.from) || !stralloc_0(detail)) detail->len = 0;
			return R_DMARC_REJECT;
		}
	}
	if (!okay || !authres_end(&ar) || !marks(s, &ar) || inject_prepend(&s->inj, ar.s, ar.len) < 0)
		return R_QUEUE_TEMP;
	return R_NONE;
}

void checks_log(const struct session *s, const char **spf_r, const char **dkim_r, const char **dmarc_r,
                const char **dnsbl_r)
{
	static char score[FMT_LONG];
	const struct checks *c = &s->chk;

	*spf_r = *dkim_r = *dmarc_r = *dnsbl_r = 0;
	if (!c->apply) return;
	if (c->spf_done) *spf_r = spf_result_name(c->mfrom_spf);
	*dkim_r = c->dkim_log;
	if (c->dmarc_done) *dmarc_r = c->dmarc.apply > DMARC_P_NONE && c->dmarc.status == DMARC_FAIL
	                               ? (c->dmarc.apply == DMARC_P_REJECT ? "fail/reject" : "fail/quarantine")
	                               : dmarc_status_name(c->dmarc.status);
	if (c->dnsbl_done && s->conf->dnsbl.n) {
		score[fmt_long(score, c->dnsbl.score)] = 0;
		*dnsbl_r = score;
	}
}
