/* Unit tests of lib/imapurl: the URL forms of RFC 4469 and 5092, and
 * hostile ones. */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "imapurl.h"

static struct imapurl u;

static int parse(const char *s)
{
	return imapurl_parse(s, strlen(s), &u);
}

int main(void)
{
	char big[IMAPURL_MAX + 100];

	/* RFC 4469 section 6's examples */
	is_int(parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER"), 0, "RFC 4469 example: HEADER");
	ok(u.mailbox_given && !strcmp(u.mailbox, "Drafts") && u.uidvalidity == 385759045 && u.uid == 20 &&
	   !strcmp(u.section, "HEADER") && !u.partial && !u.server, "its fields");
	is_int(parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME"), 0, "section 1.MIME");
	is_str(u.section, "1.MIME", "section kept");
	is_int(parse("imap://bob.example.com/Drafts;UIDVALIDITY=385759045/;UID=30"), 0, "absolute URL");
	ok(u.server && !strcmp(u.host, "bob.example.com") && !u.user[0] && u.uid == 30 && !u.section[0], "server part");
	is_int(parse("imap://alice;AUTH=*@h.example:143/INBOX/;UID=1/;SECTION=2/;PARTIAL=10.20"), 0, "user, auth, port, partial");
	ok(!strcmp(u.user, "alice") && u.port == 143 && !strcmp(u.mailbox, "INBOX") && !u.uidvalidity && u.uid == 1 &&
	   !strcmp(u.section, "2") && u.partial && u.offset == 10 && u.length == 20, "their fields");
	is_int(parse(";UID=7"), 0, "relative to the selected mailbox");
	ok(!u.mailbox_given && u.uid == 7, "no mailbox");
	is_int(parse(";uid=7/;partial=0"), 0, "partial without length, lower case");
	ok(u.partial && !u.offset && !u.length, "partial 0 to the end");
	is_int(parse("/a%2Fb%C3%A9/;UID=3"), 0, "percent-encoded mailbox");
	is_str(u.mailbox, "a/b\303\251", "decoded to UTF-8");
	is_int(parse("/Lists/posthorn/;UID=3"), 0, "mailbox with a slash in it");
	is_str(u.mailbox, "Lists/posthorn", "hierarchy kept");
	is_int(parse("/INBOX/;UID=2/;SECTION=HEADER.FIELDS%20(FROM)"), 0, "encoded section");
	is_str(u.section, "HEADER.FIELDS (FROM)", "section decoded");

	/* refused */
	is_int(parse(""), -1, "empty");
	is_int(parse("/INBOX"), -1, "no UID");
	is_int(parse("/INBOX/;UID=0"), -1, "UID 0");
	is_int(parse("/INBOX/;UID=4294967296"), -1, "UID over 32 bits");
	is_int(parse("/INBOX/;UID=99999999999999999999999"), -1, "UID with many digits");
	is_int(parse("/INBOX;UIDVALIDITY=/;UID=1"), -1, "empty UIDVALIDITY");
	is_int(parse("/INBOX;UIDVALIDITY=0/;UID=1"), -1, "UIDVALIDITY 0");
	is_int(parse("/;UID=1"), -1, "empty mailbox");
	is_int(parse("/INBOX/;UID=1x"), -1, "junk after the UID");
	is_int(parse("/INBOX/;UID=1/;SECTION="), -1, "empty section");
	is_int(parse("/INBOX/;UID=1/;PARTIAL=1.0"), -1, "partial length 0");
	is_int(parse("/INBOX/;UID=1/;PARTIAL=x"), -1, "partial not a number");
	is_int(parse("/INBOX/;UID=1/;URLAUTH=anonymous:internal:abc"), -1, "URLAUTH");
	is_int(parse("/INBOX/;UID=1?x"), -1, "a query");
	is_int(parse("/IN%00BOX/;UID=1"), -1, "%00 in the mailbox");
	is_int(parse("/IN%0aBOX/;UID=1"), -1, "LF in the mailbox");
	is_int(parse("/IN%zzBOX/;UID=1"), -1, "bad escape");
	is_int(parse("/INBOX%4/;UID=1"), -1, "cut escape");
	is_int(parse("imap:///INBOX/;UID=1"), -1, "empty host");
	is_int(parse("imap://h.example:99999/INBOX/;UID=1"), -1, "port over 65535");
	is_int(parse("imap://h.example"), -1, "no path");
	is_int(parse("imap://h.example/;UID=1"), -1, "server URL without a mailbox");
	is_int(parse("imap://h\"x/INBOX/;UID=1"), -1, "bad host byte");
	is_int(parse("http://h/INBOX/;UID=1"), -1, "not imap:");
	is_int(imapurl_parse("/IN\0BOX/;UID=1", 14, &u), -1, "raw NUL");
	memset(big, 'a', sizeof big);
	big[0] = '/';
	memcpy(big + IMAPURL_MAX - 6, "/;UID=1", 7);
	is_int(imapurl_parse(big, IMAPURL_MAX + 1, &u), -1, "over IMAPURL_MAX");
	is_int(imapurl_parse(big, IMAPURL_MAX - 6 + 7, &u), -1, "a mailbox over IMAPURL_MAILBOX_MAX");
	return tap_done();
}
