/*
 * Unit tests for lib/auth: strict base64 (hostile inputs included), the
 * SASL PLAIN decoder, and auth_check against a real users.cdb (right and
 * wrong passwords, unknown users, aliases, users without a password, a
 * missing or corrupt file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "auth.h"
#include "passwd.h"
#include "userdb.h"
#include "tap.h"

static void b64_cases(void)
{
	static const struct {
		const char *in;
		int valid;
		const char *out;   /* decoded, when valid and free of NUL */
	} rows[] = {
		{"QQ==", 1, "A"},
		{"QUI=", 1, "AB"},
		{"QUJD", 1, "ABC"},
		{"QUJDRA==", 1, "ABCD"},
		{"", 1, ""},
		{"QQ", 0, 0},          /* padding missing */
		{"QQ=", 0, 0},
		{"Q===", 0, 0},        /* three pads */
		{"====", 0, 0},
		{"QR==", 0, 0},        /* stray bits in the last group */
		{"QUJ=", 0, 0},        /* stray bits, one pad */
		{"QQ==QQ==", 0, 0},    /* padding in the middle */
		{"QU JD", 0, 0},
		{"QUJD\n", 0, 0},
		{"QUJ-", 0, 0},        /* base64url alphabet */
		{"QUJ_", 0, 0},
		{"\xff\xfe\xfd\xfc", 0, 0},
		{"QU=D", 0, 0},
	};
	stralloc out = {0};
	size_t i;
	char name[128];

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(name, sizeof name, "base64 row %zu is %s", i, rows[i].valid ? "valid" : "refused");
		is_int(auth_b64_valid(rows[i].in, strlen(rows[i].in)), rows[i].valid, name);
		if (rows[i].valid && rows[i].out) {
			snprintf(name, sizeof name, "base64 row %zu decodes", i);
			ok(auth_b64_decode(rows[i].in, strlen(rows[i].in), &out, 100) == 0 && !strcmp(out.s, rows[i].out),
			   name);
		} else if (!rows[i].valid) {
			snprintf(name, sizeof name, "base64 row %zu not decoded", i);
			is_int(auth_b64_decode(rows[i].in, strlen(rows[i].in), &out, 100), -1, name);
		}
	}
	/* length, not NUL, bounds the input */
	ok(auth_b64_valid("QUJDQUJD", 4), "only len bytes are read");
	is_int(auth_b64_decode("QUJDRA==", 8, &out, 3), -1, "more than max bytes: refused");
	is_int(auth_b64_decode("AGE=", 4, &out, 10), -1, "embedded NUL in a LOGIN step: refused");
	{
		size_t n = 1 << 20;
		char *huge = malloc(n);
		memset(huge, 'A', n);
		is_int(auth_b64_decode(huge, n, &out, AUTH_LOGIN_MAX), -1, "1 MB of base64: refused before decoding");
		free(huge);
	}
}

static void plain_cases(void)
{
	stralloc z = {0}, c = {0}, p = {0};

	/* "\0alice@example.org\0secret" */
	ok(auth_plain_decode("AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==", 36, &z, &c, &p) == 0, "PLAIN decodes");
	is_str(c.s, "alice@example.org", "authcid");
	is_str(p.s, "secret", "password");
	is_int(z.len, 0, "empty authzid");
	/* "boss\0alice\0pw" */
	ok(auth_plain_decode("Ym9zcwBhbGljZQBwdw==", 20, &z, &c, &p) == 0 && !strcmp(z.s, "boss"), "authzid kept");
	is_int(auth_plain_decode("YWxpY2U=", 8, &z, &c, &p), -1, "no NUL: refused");
	is_int(auth_plain_decode("AGFsaWNlAA==", 12, &z, &c, &p), -1, "empty password: refused");
	is_int(auth_plain_decode("AABwdw==", 8, &z, &c, &p), -1, "empty authcid: refused");
	is_int(auth_plain_decode("AGEAYgBj", 8, &z, &c, &p), -1, "three NULs: refused");
	is_int(auth_plain_decode("AGFsaWNlAHB3", 11, &z, &c, &p), -1, "bad length: refused");
	is_int(auth_plain_decode("AGFsaWNlAHB3\n", 13, &z, &c, &p), -1, "trailing newline: refused");

	/* auth_plain_login: the authzid empty or the login itself, in any case */
	ok(auth_plain_login("AGFsaWNlQGV4YW1wbGUub3JnAHB3", 28, &c, &p) == 0 && !strcmp(c.s, "alice@example.org") &&
	   !strcmp(p.s, "pw"), "login: empty authzid");
	is_int(auth_plain_login("QUxJQ0VARXhhbXBsZS5PUkcAYWxpY2VAZXhhbXBsZS5vcmcAcHc=", 52, &c, &p), 0,
	       "login: the authzid is the login in other case");
	is_int(auth_plain_login("Ym9zc0BleGFtcGxlLm9yZwBhbGljZUBleGFtcGxlLm9yZwBwdw==", 52, &c, &p), -1,
	       "login: acting for another user is refused");
	is_int(auth_plain_login("YWxpY2VAZXhhbXBsZS5vcgBhbGljZUBleGFtcGxlLm9yZwBwdw==", 52, &c, &p), -1,
	       "login: an authzid that is a prefix of the login is refused");
	is_int(auth_plain_login("YWxpY2VAZXhhbXBsZS5vcmd4AGFsaWNlQGV4YW1wbGUub3JnAHB3", 52, &c, &p), -1,
	       "login: an authzid that the login is a prefix of is refused");
	is_int(auth_plain_login("YWxpY2U=", 8, &c, &p), -1, "login: what auth_plain_decode refuses");
}

/* auth_plain_exchange with stand-ins for a server's continuation and login */
static const char *cont_line;
static int conts, logins;
static char got_method[16], got_name[300], got_pw[300];
static const char *got_pw_at;

static const char *cont(size_t *len)
{
	conts++;
	if (cont_line) *len = strlen(cont_line);
	return cont_line;
}

static void fake_login(const char *method, const char *name, const char *password)
{
	logins++;
	snprintf(got_method, sizeof got_method, "%s", method);
	snprintf(got_name, sizeof got_name, "%s", name);
	snprintf(got_pw, sizeof got_pw, "%s", password);
	got_pw_at = password;
}

static void exchange_cases(void)
{
	/* "\0alice@example.org\0pw" */
	auth_plain_exchange("AGFsaWNlQGV4YW1wbGUub3JnAHB3", cont, fake_login);
	ok(logins == 1 && conts == 0 && !strcmp(got_method, "plain") && !strcmp(got_name, "alice@example.org") &&
	   !strcmp(got_pw, "pw"), "exchange: the initial response, no continuation");
	ok(got_pw_at && !got_pw_at[0] && !got_pw_at[1], "exchange: the password is wiped after the login");
	cont_line = "AGFsaWNlQGV4YW1wbGUub3JnAHB3";
	auth_plain_exchange(0, cont, fake_login);
	ok(logins == 2 && conts == 1 && !strcmp(got_name, "alice@example.org"), "exchange: the continuation's line");
	auth_plain_exchange("=", cont, fake_login);
	ok(logins == 3 && !strcmp(got_name, "-") && !strcmp(got_pw, ""), "exchange: \"=\" tries the name \"-\"");
	auth_plain_exchange("Ym9zc0BleGFtcGxlLm9yZwBhbGljZUBleGFtcGxlLm9yZwBwdw==", cont, fake_login);
	ok(logins == 4 && !strcmp(got_name, "-"), "exchange: another user's authzid tries the name \"-\"");
	cont_line = 0;
	auth_plain_exchange(0, cont, fake_login);
	ok(logins == 4 && conts == 2, "exchange: no login after a cancelled continuation");
}

static void check_cases(void)
{
	char dir[] = "/tmp/posthorn-auth-XXXXXX", path[128], hash[256], line[512];
	struct userrec recs[4], user;
	const char *why;
	const char *lines[4];
	size_t i;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/users.cdb", dir);
	if (passwd_hash(hash, sizeof hash, "right horse")) {
		ok(0, "passwd_hash");
		return;
	}
	snprintf(line, sizeof line, "user alice@example.org hash=%s maildir=/m/alice", hash);
	lines[0] = "domain example.org";
	lines[1] = line;
	lines[2] = "user nopw@example.org maildir=/m/nopw";
	lines[3] = "alias team@example.org to=alice@example.org";
	for (i = 0; i < 4; i++)
		if (userrec_parse(&recs[i], lines[i], strlen(lines[i]), &why)) {
			printf("# %s: %s\n", lines[i], why);
			exit(1);
		}
	is_int(userdb_write(path, recs, 4), 0, "users.cdb written");
	is_int(auth_check(path, "alice@example.org", "right horse", &user), AUTH_OK, "right password: AUTH_OK");
	is_str(user.name, "alice@example.org", "the user's record is returned");
	is_int(auth_check(path, "ALICE@Example.ORG", "right horse", &user), AUTH_OK, "login name in any case");
	is_int(auth_check(path, "alice@example.org", "wrong horse", &user), AUTH_FAIL, "wrong password: AUTH_FAIL");
	is_int(auth_check(path, "alice@example.org", "", &user), AUTH_FAIL, "empty password: AUTH_FAIL");
	is_int(auth_check(path, "nobody@example.org", "right horse", &user), AUTH_FAIL, "unknown user: AUTH_FAIL");
	is_int(auth_check(path, "team@example.org", "right horse", &user), AUTH_FAIL, "alias: AUTH_FAIL");
	is_int(auth_check(path, "nopw@example.org", "", &user), AUTH_FAIL, "user without a password: AUTH_FAIL");
	is_int(auth_check(path, "not an address", "x", &user), AUTH_FAIL, "not an address: AUTH_FAIL");
	snprintf(line, sizeof line, "%s/missing.cdb", dir);
	is_int(auth_check(line, "alice@example.org", "right horse", &user), AUTH_TEMP,
	       "missing users.cdb: AUTH_TEMP (the admin's mistake, not the user's)");
	{
		FILE *f = fopen(path, "w");
		fputs("garbage", f);
		fclose(f);
	}
	is_int(auth_check(path, "alice@example.org", "right horse", &user), AUTH_TEMP, "corrupt users.cdb: AUTH_TEMP");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	b64_cases();
	plain_cases();
	check_cases();
	exchange_cases();
	return tap_done();
}
