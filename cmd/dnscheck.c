/*
 * posthorn-dnscheck: is the DNS of a mail domain set up as
 * posthorn-setup dns printed it, and is the certificate good?  See
 * posthorn-dnscheck(8).
 *
 *     posthorn-dnscheck [-C DIR] [-n HOST] [-a ADDR]... DOMAIN
 *
 * HOST is the setting me (the HELO name) unless -n gives one; each -a is a
 * public address of the host (a VPS behind NAT cannot see its own).  The
 * checks, in order: MX, A/AAAA of HOST, PTR of each address, SPF, DKIM
 * (each DIR/dkim/DOMAIN/SEL.key against SEL._domainkey.DOMAIN), DMARC,
 * DIR/tls/cert.pem.  Each says one line on stdout:
 *
 *     ok   what is right
 *     FAIL what is wrong, and what to do
 *     warn what may be meant, but costs deliverability
 *
 * DNS goes through lib/dnsq ($DNSCACHEIP or /etc/resolv.conf), so that
 * SPF is evaluated by the same lib/spf that judges incoming mail.
 *
 * Exit: 0 every check passed (warnings allowed), 1 one failed, 64 usage,
 * 111 the config could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <fmt.h>
#include <ip4.h>
#include <ip6.h>
#include <scan.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "conf.h"
#include "dkim.h"
#include "dmarc.h"
#include "dnsq.h"
#include "exitcode.h"
#include "spf.h"

#define ADDRS_MAX      16     /* -a options, and addresses of HOST looked at */
#define KEYS_MAX       16     /* key files of a domain looked at */
#define SELECTOR_MAX   63     /* a DNS label (RFC 1035 2.3.4) */
#define CERT_DAYS_MIN  14     /* a certificate that ends sooner fails */

enum verdict { OK, FAIL, WARN };

static int failed;
static char domain[DNSQ_NAME_MAX + 1];
static char host[DNSQ_NAME_MAX + 1];

/* One finding, one line. */
static void say(enum verdict v, const char *fmt, ...)
{
	static const char *const tag[] = { [OK] = "ok   ", [FAIL] = "FAIL ", [WARN] = "warn " };
	va_list ap;

	if (v == FAIL) failed = 1;
	fputs(tag[v], stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

_Noreturn static void usage(void)
{
	fputs("usage: posthorn-dnscheck [-C DIR] [-n HOST] [-a ADDR]... DOMAIN\n", stderr);
	exit(EXIT_USAGE);
}

_Noreturn static void fatal(const char *what)
{
	fprintf(stderr, "posthorn-dnscheck: fatal: %s: %s\n", what, strerror(errno));
	exit(EXIT_TEMP);
}

/* An address: 16 bytes, IPv4 as ::ffff:a.b.c.d (lib/spf.h's form). */
struct addr {
	unsigned char ip[16];
};

static int is_v4(const struct addr *a)
{
	return !memcmp(a->ip, V4mappedprefix, 12);
}

static const char *addr_text(const struct addr *a)
{
	static char buf[FMT_IP6];
	size_t n = is_v4(a) ? fmt_ip4(buf, (const char *)a->ip + 12) : fmt_ip6(buf, (const char *)a->ip);
	buf[n] = 0;
	return buf;
}

static int addr_scan(struct addr *a, const char *s)
{
	size_t n = strlen(s);
	memcpy(a->ip, V4mappedprefix, 12);
	if (scan_ip4(s, (char *)a->ip + 12) == n && n) return 1;
	return strchr(s, ':') && scan_ip6(s, (char *)a->ip) == n;
}

/* The reverse name (RFC 1035 3.5, RFC 3596 2.5), no final dot. */
static void reverse_name(char *out, size_t size, const struct addr *a)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	int i;

	if (is_v4(a)) {
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a->ip[15], a->ip[14], a->ip[13], a->ip[12]);
		return;
	}
	for (i = 15; i >= 0 && k + 4 < size; i--) {
		out[k++] = hex[a->ip[i] & 15];
		out[k++] = '.';
		out[k++] = hex[a->ip[i] >> 4];
		out[k++] = '.';
	}
	snprintf(out + k, size - k, "ip6.arpa");
}

static int name_eq(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && !strncasecmp(s, name, n);
}

static const char *rc_text(enum dnsq_rc rc)
{
	switch (rc) {
	case DNSQ_OK: return "found";
	case DNSQ_NODATA: return "no record of this type";
	case DNSQ_NXDOMAIN: return "no such name";
	default: return "the DNS query failed (timeout or server failure)";
	}
}

static struct dnsq_answer ans;   /* big: static, one answer at a time */

/* MX: mail for the domain must reach HOST (RFC 5321 5.1). */
static void check_mx(void)
{
	unsigned i;

	if (dnsq_query(DNSQ_MX, domain, &ans) != DNSQ_OK) {
		say(FAIL, "MX of %s: %s; publish %s. MX 10 %s.", domain, rc_text(ans.rc), domain, host);
		return;
	}
	if (!ans.n) {
		say(FAIL, "MX of %s: no MX record kept (too many)", domain);
		return;
	}
	for (i = 0; i < ans.n; i++)
		if (name_eq(ans.buf + ans.rr[i].off, ans.rr[i].len, host)) {
			say(OK, "MX of %s is %s (preference %u)", domain, host, ans.rr[i].pref);
			if (ans.n > 1) say(WARN, "MX of %s: %u MX records; the others must accept its mail too", domain, ans.n);
			return;
		}
	say(FAIL, "MX of %s points elsewhere (%.*s), not at %s", domain,
	    (int)ans.rr[0].len, ans.buf + ans.rr[0].off, host);
}

/* A and AAAA of HOST; *n addresses come back in a[] for the PTR and SPF
 * checks: the given ones if any, else the published ones. */
static void check_addrs(struct addr *a, unsigned *n)
{
	struct addr pub[ADDRS_MAX];
	unsigned npub = 0, i, j, t;
	static const enum dnsq_type types[] = { DNSQ_A, DNSQ_AAAA };

	for (t = 0; t < 2; t++) {
		const char *tn = t ? "AAAA" : "A";
		if (dnsq_query(types[t], host, &ans) == DNSQ_TEMP) {
			say(FAIL, "%s of %s: %s", tn, host, rc_text(ans.rc));
			continue;
		}
		for (i = 0; ans.rc == DNSQ_OK && i < ans.n && npub < ADDRS_MAX; i++) {
			struct addr *p = &pub[npub++];
			if (t == 0 && ans.rr[i].len == 4) {
				memcpy(p->ip, V4mappedprefix, 12);
				memcpy(p->ip + 12, ans.buf + ans.rr[i].off, 4);
			} else if (t == 1 && ans.rr[i].len == 16) {
				memcpy(p->ip, ans.buf + ans.rr[i].off, 16);
			} else {
				npub--;
				continue;
			}
			say(OK, "%s of %s: %s", tn, host, addr_text(p));
		}
	}
	if (!npub) {
		say(FAIL, "%s has no A or AAAA record: publish its address", host);
		if (!*n) return;
	}
	for (i = 0; i < *n; i++) {
		for (j = 0; j < npub && memcmp(a[i].ip, pub[j].ip, 16); j++)
			;
		if (j == npub)
			say(FAIL, "%s has no %s record for %s (a public address given)", host,
			    is_v4(&a[i]) ? "A" : "AAAA", addr_text(&a[i]));
	}
	if (*n) {
		for (j = 0; j < npub; j++) {
			for (i = 0; i < *n && memcmp(a[i].ip, pub[j].ip, 16); i++)
				;
			if (i == *n) say(WARN, "%s has the address %s, which was not given", host, addr_text(&pub[j]));
		}
		return;
	}
	memcpy(a, pub, npub * sizeof *a);
	*n = npub;
}

/* PTR: receivers compare the address's name with the HELO name
 * (RFC 5321 4.1.4 allows them to; many large ones refuse otherwise). */
static void check_ptr(const struct addr *a)
{
	char rev[80];
	unsigned i;

	reverse_name(rev, sizeof rev, a);
	if (dnsq_query(DNSQ_PTR, rev, &ans) != DNSQ_OK || !ans.n) {
		say(FAIL, "PTR of %s: %s; ask the VPS provider for %s. PTR %s.", addr_text(a), rc_text(ans.rc), rev, host);
		return;
	}
	for (i = 0; i < ans.n; i++)
		if (name_eq(ans.buf + ans.rr[i].off, ans.rr[i].len, host)) {
			say(OK, "PTR of %s is %s, the HELO name", addr_text(a), host);
			return;
		}
	say(FAIL, "PTR of %s names %.*s, not %s (the HELO name); ask the VPS provider to change it",
	    addr_text(a), (int)ans.rr[0].len, ans.buf + ans.rr[0].off, host);
}

static int starts_word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n >= k && !strncasecmp(s, w, k) && (n == k || s[k] == ' ');
}

/* SPF: one v=spf1 record (RFC 7208 4.5), which passes every address. */
static void check_spf(const struct addr *a, unsigned n)
{
	struct spf_query q;
	static struct spf_outcome out;
	char sender[DNSQ_NAME_MAX + 16];
	unsigned i, nspf = 0, first = 0;

	if (dnsq_query(DNSQ_TXT, domain, &ans) == DNSQ_TEMP) {
		say(FAIL, "SPF of %s: %s", domain, rc_text(ans.rc));
		return;
	}
	for (i = 0; ans.rc == DNSQ_OK && i < ans.n; i++)
		if (starts_word(ans.buf + ans.rr[i].off, ans.rr[i].len, "v=spf1") && !nspf++) first = i;
	if (!nspf) {
		say(FAIL, "SPF of %s: no v=spf1 TXT record; publish \"v=spf1 mx -all\"", domain);
		return;
	}
	if (nspf > 1) {
		say(FAIL, "SPF of %s: %u SPF records, which is a permerror (RFC 7208 4.5): keep one", domain, nspf);
		return;
	}
	say(OK, "SPF of %s: one record, \"%.*s\"", domain, (int)(ans.rr[first].len > 200 ? 200 : ans.rr[first].len),
	    ans.buf + ans.rr[first].off);
	snprintf(sender, sizeof sender, "postmaster@%s", domain);   /* fits: domain <= 253 */
	for (i = 0; i < n; i++) {
		memset(&q, 0, sizeof q);
		memcpy(q.ip, a[i].ip, 16);
		q.sender = sender;
		q.helo = host;
		q.domain = domain;
		q.receiver = host;
		q.now = time(0);
		if (spf_check_host(&dnsq_spf, &q, &out) == SPF_PASS)
			say(OK, "SPF of %s passes %s", domain, addr_text(&a[i]));
		else
			say(FAIL, "SPF of %s does not authorize %s: %s%s%s", domain, addr_text(&a[i]),
			    spf_result_name(out.result), *out.problem ? ", " : "", out.problem);
	}
}

/* The public key of a key file as DKIM publishes it: the DER
 * SubjectPublicKeyInfo for RSA (RFC 6376 3.6.1), and, as some publish, the
 * bare RSAPublicKey too; the 32 raw bytes for Ed25519 (RFC 8463 4.2).
 * Returns the type or 0, with the reason in *why. */
static int key_public(const char *path, unsigned char spki[DKIM_KEY_BYTES], size_t *spkilen,
                      unsigned char bare[DKIM_KEY_BYTES], size_t *barelen, const char **why)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;
	int type = 0, len;
	unsigned char *p;

	*spkilen = *barelen = 0;
	if (!f) {
		*why = strerror(errno);
		return 0;
	}
	k = PEM_read_PrivateKey(f, 0, 0, 0);
	fclose(f);
	*why = "not a PEM private key";
	if (!k) return 0;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		*why = "RSA key too big";
		if (i2d_PUBKEY(k, 0) > DKIM_KEY_BYTES || i2d_PublicKey(k, 0) > DKIM_KEY_BYTES) goto done;
		p = spki;
		len = i2d_PUBKEY(k, &p);
		p = bare;
		if (len > 0) *spkilen = (size_t)len;
		len = i2d_PublicKey(k, &p);
		if (len > 0) *barelen = (size_t)len;
		if (*spkilen && *barelen) type = DKIM_KEY_RSA;
	} else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		*spkilen = DKIM_KEY_BYTES;
		if (EVP_PKEY_get_raw_public_key(k, spki, spkilen) == 1) type = DKIM_KEY_ED25519;
	} else {
		*why = "neither RSA nor Ed25519";
	}
done:
	EVP_PKEY_free(k);
	return type;
}

static void check_key(const char *dir, const char *sel)
{
	static struct dkim_key rec;
	unsigned char spki[DKIM_KEY_BYTES], bare[DKIM_KEY_BYTES];
	size_t spkilen, barelen;
	char path[4096], name[DNSQ_NAME_MAX + 2];
	const char *why;
	unsigned i, nrec = 0;
	int type;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.key", dir, sel) >= sizeof path) {
		say(FAIL, "DKIM key %s: path too long", sel);
		return;
	}
	if (!(type = key_public(path, spki, &spkilen, bare, &barelen, &why))) {
		say(FAIL, "DKIM key file %s: %s", path, why);
		return;
	}
	if ((size_t)snprintf(name, sizeof name, "%s._domainkey.%s", sel, domain) > DNSQ_NAME_MAX) {
		say(FAIL, "DKIM selector %s: %s._domainkey.%s is too long a name", sel, sel, domain);
		return;
	}
	if (dnsq_query(DNSQ_TXT, name, &ans) != DNSQ_OK) {
		say(FAIL, "DKIM record %s: %s; publish it (posthorn-setup dns)", name, rc_text(ans.rc));
		return;
	}
	for (i = 0; i < ans.n; i++) {
		if (dkim_key_parse(&rec, ans.buf + ans.rr[i].off, ans.rr[i].len) != DKIM_OK) continue;
		nrec++;
		if (rec.type != type || rec.revoked) continue;
		if ((rec.plen == spkilen && !memcmp(rec.p, spki, spkilen)) ||
		    (type == DKIM_KEY_RSA && rec.plen == barelen && !memcmp(rec.p, bare, barelen))) {
			say(OK, "DKIM record %s: p= is the public key of %s", name, path);
			if (rec.testing) say(WARN, "DKIM record %s says t=y (testing)", name);
			return;
		}
	}
	if (!nrec)
		say(FAIL, "DKIM record %s: no valid DKIM key record there", name);
	else
		say(FAIL, "DKIM record %s: p= is not the public key of %s (another key, or the wrong k=)", name, path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every DIR/dkim/DOMAIN/SEL.key signs (posthorn-queue(8)), so each must
 * have its record.  Names starting with '.' are posthorn-setup's temp files. */
static void check_dkim(void)
{
	stralloc dir = { 0 };
	char *sel[KEYS_MAX];
	unsigned n = 0, i, more = 0;
	struct dirent *e;
	DIR *d;

	if (!conf_path(&dir, "dkim") || !stralloc_cats(&dir, "/") || !stralloc_cats(&dir, domain) ||
	    !stralloc_0(&dir))
		fatal("out of memory");
	if (!(d = opendir(dir.s))) {
		say(FAIL, "DKIM: no key directory %s (%s): posthorn-setup keys %s makes the keys", dir.s,
		    strerror(errno), domain);
		free(dir.s);
		return;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".key")) continue;
		if (len - 4 > SELECTOR_MAX || n == KEYS_MAX) {
			more++;
			continue;
		}
		if (!(sel[n] = strndup(e->d_name, len - 4))) fatal("out of memory");
		n++;
	}
	closedir(d);
	if (!n) say(FAIL, "DKIM: no key files in %s: posthorn-setup keys %s makes them", dir.s, domain);
	if (more) say(WARN, "DKIM: %u more key files in %s not checked (names too long or over %u)", more, dir.s, KEYS_MAX);
	qsort(sel, n, sizeof *sel, cmp_names);
	for (i = 0; i < n; i++) {
		check_key(dir.s, sel[i]);
		free(sel[i]);
	}
	free(dir.s);
}

/* DMARC: one usable record at _dmarc.DOMAIN (RFC 7489 6.6.3). */
static void check_dmarc(void)
{
	struct dmarc_record r, use;
	char name[DNSQ_NAME_MAX + 8];
	const char *why = 0;
	unsigned i, nrec = 0;
	int bad = 0;

	snprintf(name, sizeof name, "_dmarc.%s", domain);   /* fits: domain <= 253 */
	if (dnsq_query(DNSQ_TXT, name, &ans) == DNSQ_TEMP) {
		say(FAIL, "DMARC of %s: %s", domain, rc_text(ans.rc));
		return;
	}
	for (i = 0; ans.rc == DNSQ_OK && i < ans.n; i++) {
		int rc = dmarc_parse(&r, ans.buf + ans.rr[i].off, ans.rr[i].len, &why);
		if (rc == 0) continue;
		nrec++;
		if (rc < 0) bad = 1;
		else use = r;
	}
	if (!nrec) {
		say(FAIL, "DMARC of %s: no DMARC record at %s", domain, name);
	} else if (nrec > 1) {
		say(FAIL, "DMARC of %s: %u DMARC records at %s; receivers use none (RFC 7489 6.6.3)", domain, nrec, name);
	} else if (bad) {
		say(FAIL, "DMARC of %s: the record at %s is not valid: %s", domain, name, why);
	} else {
		say(OK, "DMARC of %s: p=%s%s%s", domain, dmarc_policy_name(use.p), *use.rua ? " rua=" : "", use.rua);
		if (use.p == DMARC_P_NONE) say(WARN, "DMARC of %s: p=none asks receivers to do nothing with forged mail", domain);
	}
}

/* The certificate of smtpd, pop3d and imapd: for HOST, and not about to
 * end (CERT_DAYS_MIN days is time for one more renewal attempt). */
static void check_cert(void)
{
	stralloc path = { 0 };
	X509 *x = 0;
	FILE *f;
	int days, secs;

	if (!conf_path(&path, "tls/cert.pem")) fatal("out of memory");
	if (!(f = fopen(path.s, "r"))) {
		say(FAIL, "certificate %s: %s", path.s, strerror(errno));
		goto done;
	}
	x = PEM_read_X509(f, 0, 0, 0);
	fclose(f);
	if (!x) {
		say(FAIL, "certificate %s: not a PEM certificate", path.s);
		goto done;
	}
	if (X509_check_host(x, host, strlen(host), 0, 0) == 1)
		say(OK, "certificate %s is for %s", path.s, host);
	else
		say(FAIL, "certificate %s is not for %s (its names do not match)", path.s, host);
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		say(FAIL, "certificate %s is not valid yet", path.s);
	if (!ASN1_TIME_diff(&days, &secs, 0, X509_get0_notAfter(x)))
		say(FAIL, "certificate %s: its end date cannot be read", path.s);
	else if (days < 0 || secs < 0 || (days == 0 && secs == 0))
		say(FAIL, "certificate %s has expired", path.s);
	else if (days < CERT_DAYS_MIN)
		say(FAIL, "certificate %s expires in %d days (under %d): renew it", path.s, days, CERT_DAYS_MIN);
	else
		say(OK, "certificate %s expires in %d days", path.s, days);
	if (X509_check_issued(x, x) == X509_V_OK)
		say(WARN, "certificate %s is self-signed: mail clients and MTA-STS senders refuse it", path.s);
done:
	X509_free(x);
	free(path.s);
}

int main(int argc, char **argv)
{
	struct addr given[ADDRS_MAX];
	unsigned ngiven = 0, i;
	const char *dir = 0, *n = 0;
	stralloc me = { 0 };
	size_t len;
	int opt;

	while ((opt = getopt(argc, argv, "C:n:a:")) != -1) {
		switch (opt) {
		case 'C': dir = optarg; break;
		case 'n': n = optarg; break;
		case 'a':
			if (ngiven == ADDRS_MAX || !addr_scan(&given[ngiven], optarg)) {
				fprintf(stderr, "posthorn-dnscheck: fatal: -a %s: not an address (or more than %u)\n",
				        optarg, ADDRS_MAX);
				exit(EXIT_USAGE);
			}
			ngiven++;
			break;
		default: usage();
		}
	}
	if (optind + 1 != argc) usage();
	len = strlen(argv[optind]);
	while (len && argv[optind][len - 1] == '.') len--;
	if (!len || len > DNSQ_NAME_MAX) usage();
	memcpy(domain, argv[optind], len);
	conf_init(dir);
	if (!n) {
		if (conf_line("me", &me, "") < 0) fatal("cannot read the setting me");
		n = me.s;
	}
	len = strlen(n);
	while (len && n[len - 1] == '.') len--;
	if (!len || len > DNSQ_NAME_MAX) {
		fprintf(stderr, "posthorn-dnscheck: fatal: no host name: set me in %s or give -n\n", conf_dir());
		exit(EXIT_TEMP);
	}
	memcpy(host, n, len);
	free(me.s);

	check_mx();
	check_addrs(given, &ngiven);
	for (i = 0; i < ngiven; i++) check_ptr(&given[i]);
	check_spf(given, ngiven);
	check_dkim();
	check_dmarc();
	check_cert();
	if (fflush(stdout)) fatal("cannot write");
	return failed;
}
