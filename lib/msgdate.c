/* RFC 5322 dates to UTC seconds; see msgdate.h. */
#include <string.h>
#include <strings.h>
#include "msgdate.h"

struct rd { const char *s; size_t n, p; };

/* Skips white space and comments (nested, with quoted pairs). */
static void cfws(struct rd *r)
{
	while (r->p < r->n) {
		char c = r->s[r->p];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { r->p++; continue; }
		if (c != '(') return;
		{
			unsigned depth = 0;
			while (r->p < r->n) {
				c = r->s[r->p++];
				if (c == '\\' && r->p < r->n) r->p++;
				else if (c == '(') depth++;
				else if (c == ')' && --depth == 0) break;
			}
		}
	}
}

/* 1 to max digits: the value, or -1. */
static long digits(struct rd *r, unsigned min, unsigned max, unsigned *count)
{
	long v = 0;
	unsigned k = 0;
	while (r->p < r->n && r->s[r->p] >= '0' && r->s[r->p] <= '9' && k < max) {
		v = v * 10 + (r->s[r->p++] - '0');
		k++;
	}
	if (k < min || (r->p < r->n && r->s[r->p] >= '0' && r->s[r->p] <= '9')) return -1;
	if (count) *count = k;
	return v;
}

static size_t word(struct rd *r, char *w, size_t max)
{
	size_t k = 0;
	while (r->p < r->n && ((r->s[r->p] | 32) >= 'a' && (r->s[r->p] | 32) <= 'z')) {
		if (k < max) w[k] = r->s[r->p];
		k++;
		r->p++;
	}
	return k;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int msgdate_parse(const char *s, size_t len, int64_t *t)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct { const char *name; int off; } zones[] = {
		{"ut", 0}, {"gmt", 0}, {"est", -500}, {"edt", -400}, {"cst", -600}, {"cdt", -500},
		{"mst", -700}, {"mdt", -600}, {"pst", -800}, {"pdt", -700},
	};
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct rd r = {s, len > MSGDATE_MAX ? MSGDATE_MAX : len, 0};
	char w[4];
	size_t wl;
	long day, year, hh, mm, ss = 0, zone = 0;
	unsigned yl, mon;

	cfws(&r);
	/* day-of-week "," */
	if ((wl = word(&r, w, 3))) {
		if (wl != 3) return -1;
		cfws(&r);
		if (r.p >= r.n || r.s[r.p] != ',') return -1;
		r.p++;
		cfws(&r);
	}
	if ((day = digits(&r, 1, 2, 0)) < 1) return -1;
	cfws(&r);
	if (word(&r, w, 3) != 3) return -1;
	for (mon = 0; mon < 12; mon++)
		if (!strncasecmp(months + 3 * mon, w, 3)) break;
	if (mon == 12) return -1;
	cfws(&r);
	if ((year = digits(&r, 2, 4, &yl)) < 0) return -1;
	if (yl == 2) year += year < 50 ? 2000 : 1900;
	else if (yl == 3) year += 1900;
	if (day > mdays[mon] || (mon == 1 && day == 29 && (year % 4 || (year % 100 == 0 && year % 400)))) return -1;
	cfws(&r);
	if ((hh = digits(&r, 2, 2, 0)) < 0 || hh > 23) return -1;
	cfws(&r);
	if (r.p >= r.n || r.s[r.p++] != ':') return -1;
	cfws(&r);
	if ((mm = digits(&r, 2, 2, 0)) < 0 || mm > 59) return -1;
	cfws(&r);
	if (r.p < r.n && r.s[r.p] == ':') {
		r.p++;
		cfws(&r);
		if ((ss = digits(&r, 2, 2, 0)) < 0 || ss > 60) return -1;
		cfws(&r);
	}
	if (r.p < r.n && (r.s[r.p] == '+' || r.s[r.p] == '-')) {
		int neg = r.s[r.p++] == '-';
		long z = digits(&r, 4, 4, 0);
		if (z < 0 || z % 100 > 59) return -1;
		zone = neg ? -z : z;
	} else if ((wl = word(&r, w, 3))) {
		unsigned k;
		for (k = 0; k < sizeof zones / sizeof zones[0]; k++)
			if (wl == strlen(zones[k].name) && !strncasecmp(zones[k].name, w, wl)) zone = zones[k].off;
		/* military and unknown zones: -0000, zone stays 0 */
		if (wl > 3) return -1;
	}
	cfws(&r);
	if (r.p < r.n) return -1;
	*t = days_from_civil(year, mon + 1, (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss -
	     ((zone / 100) * 3600 + (zone % 100) * 60);
	return 0;
}
