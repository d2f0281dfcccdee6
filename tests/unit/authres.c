/*
 * lib/authres: the field we write, and which incoming fields are ours.
 */
#include "authres.h"
#include "tap.h"

#define OURS(f) authres_is_ours(f, sizeof f - 1, "mx.example.org")

int main(void)
{
	stralloc out = {0};

	ok(authres_begin(&out, "mx.example.org") && authres_end(&out), "empty field");
	stralloc_0(&out);
	is_str(out.s, "Authentication-Results: mx.example.org; none\n", "no result: none");

	authres_begin(&out, "mx.example.org");
	authres_add(&out, "spf", "pass", 0, "smtp.mailfrom", "example.com", "smtp.helo", "", (char *)0);
	authres_add(&out, "dkim", "fail", "body hash (mismatch)", "header.d", "ex.com", "header.s", "s1", (char *)0);
	authres_add(&out, "dmarc", "pass", 0, "header.from", "a b\"c;\n", (char *)0);
	authres_end(&out);
	stralloc_0(&out);
	is_str(out.s,
	       "Authentication-Results: mx.example.org;\n"
	       "\tspf=pass smtp.mailfrom=example.com;\n"
	       "\tdkim=fail (body hash ?mismatch?) header.d=ex.com header.s=s1;\n"
	       "\tdmarc=pass header.from=\"a b\\\"c;\"\n",
	       "results folded, empty values left out, comment and value cleaned");

	ok(OURS("Authentication-Results: mx.example.org; spf=pass\n"), "ours");
	ok(OURS("authentication-results:MX.Example.ORG;dkim=pass\n"), "ours, any case, no spaces");
	ok(OURS("Authentication-Results: (c (nested)) mx.example.org 1; none\n"), "ours after comments, with version");
	ok(OURS("Authentication-Results:\n\tmx.example.org;\n\tspf=pass\n"), "ours, folded");
	ok(OURS("Authentication-Results: \"mx.example.org\"; none\n"), "ours, quoted");
	ok(OURS("Authentication-Results: mx.example.org(c); none\n"), "ours, comment right after");
	ok(!OURS("Authentication-Results: other.example; spf=pass\n"), "another's id is kept");
	ok(!OURS("Authentication-Results: mx.example.org.evil; spf=pass\n"), "a longer id is not ours");
	ok(!OURS("Authentication-Results: mx.example; spf=pass\n"), "a shorter id is not ours");
	ok(!OURS("X-Authentication-Results: mx.example.org; spf=pass\n"), "another field name");
	ok(!OURS("Authentication-Results: (unterminated mx.example.org; none\n"), "unterminated comment: not read");
	ok(!OURS("Authentication-Results: \"mx.example.org\n"), "unterminated quote: not read");
	ok(!OURS("Authentication-Results:\n"), "empty");
	stralloc_free(&out);
	return tap_done();
}
