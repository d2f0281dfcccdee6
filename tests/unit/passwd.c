/* Unit tests for lib/passwd: yescrypt hashing, verification of the schemes
 * an imported user list may hold, locked and broken hashes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "passwd.h"
#include "tap.h"

/* Made once with tools other than ours, so a verify that merely agrees with
 * our own hashing would not pass: `openssl passwd -6 -salt Xq3rT8bLk2
 * 'correct horse'` and Python's crypt module (bcrypt at cost 4, fast). */
static const struct known {
	const char *scheme, *hash, *password;
} known[] = {
	{"sha512-crypt (openssl)",
	 "$6$Xq3rT8bLk2$1g9fu/Cs6Ixv7NAR2TgYmD0/H1anDfe7853bKpm9BTGEw3gzzGzohjyUDKFiRO0n/2tAMmgm74OMQ1M39XuiP1",
	 "correct horse"},
	{"sha512-crypt (python)",
	 "$6$hSg62H8Rf2WWdfsm$bV3V0sbs5i96g.cwU0DadSoZX/gTYI.E9yK4Jcs9dxIgPtgtdA1s2YaSRo5OyYEIkZMqv03OBRmICrwqLzgCy1",
	 "tr0ub4dor&3"},
	{"bcrypt $2b$ (python)", "$2b$04$2SVu3GvKEKIqG0a2njQXlOZ3dVtaBvGYcTGvxuxpV51dYUerppgpu", "correct horse"},
	{"bcrypt $2b$ fixed salt (python)", "$2b$04$abcdefghijklmnopqrstuuu4mhWRA0zmTecRlFDBLO51tsOUon.1m", "tr0ub4dor&3"},
};

static void check_known(void)
{
	char name[200];
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		snprintf(name, sizeof name, "%s: right password matches", known[i].scheme);
		is_int(passwd_verify(known[i].password, known[i].hash), 1, name);
		snprintf(name, sizeof name, "%s: wrong password does not", known[i].scheme);
		is_int(passwd_verify("correct horsf", known[i].hash), 0, name);
		snprintf(name, sizeof name, "%s: prefix of the password does not", known[i].scheme);
		is_int(passwd_verify("correct", known[i].hash), 0, name);
	}
}

/* Fresh hashes from Python's crypt module, when it is there (it is gone
 * from Python 3.13 on): a second look at bcrypt and sha512-crypt. */
static void check_python(void)
{
	FILE *p = popen("python3 -W ignore -c 'import crypt; "
	                "print(crypt.crypt(\"s3cret pw\", crypt.mksalt(crypt.METHOD_SHA512))); "
	                "print(crypt.crypt(\"s3cret pw\", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))'"
	                " 2>/dev/null", "r");
	char line[512];
	int n = 0;

	if (!p) return;
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] != '$') continue;
		n++;
		ok(passwd_verify("s3cret pw", line), "python-made hash verifies with the right password");
		ok(!passwd_verify("s3cret pW", line), "python-made hash refuses a wrong password");
	}
	pclose(p);
	if (!n) diag("python3 crypt module not available; hard-coded hashes only");
}

static void check_yescrypt(void)
{
	char h1[256], h2[256], small[10];
	char *big = malloc(PASSWD_MAX + 2);

	is_int(passwd_hash(h1, sizeof h1, "hunter2"), 0, "hash a password");
	ok(!strncmp(h1, "$y$", 3), "new hashes are yescrypt ($y$)");
	is_int(passwd_verify("hunter2", h1), 1, "yescrypt: right password matches");
	is_int(passwd_verify("hunter3", h1), 0, "yescrypt: wrong password does not");
	is_int(passwd_verify("Hunter2", h1), 0, "yescrypt: case matters");
	is_int(passwd_hash(h2, sizeof h2, "hunter2"), 0, "hash the same password again");
	ok(strcmp(h1, h2) != 0, "each hash has its own salt");

	errno = 0;
	is_int(passwd_hash(h1, sizeof h1, ""), -1, "empty password refused");
	is_int(errno, EINVAL, "... with EINVAL");
	memset(big, 'a', PASSWD_MAX + 1);
	big[PASSWD_MAX + 1] = 0;
	errno = 0;
	is_int(passwd_hash(h1, sizeof h1, big), -1, "password of PASSWD_MAX+1 bytes refused, not cut");
	is_int(errno, EINVAL, "... with EINVAL");
	big[PASSWD_MAX] = 0;
	is_int(passwd_hash(h1, sizeof h1, big), 0, "password of exactly PASSWD_MAX bytes hashed");
	is_int(passwd_verify(big, h1), 1, "... and verifies");
	big[PASSWD_MAX - 1] = 'b';
	is_int(passwd_verify(big, h1), 0, "... a change in its last byte does not");
	errno = 0;
	is_int(passwd_hash(small, sizeof small, "hunter2"), -1, "too small output buffer refused");
	is_int(errno, ERANGE, "... with ERANGE");
	free(big);
}

static void check_never(void)
{
	char h[256];

	passwd_hash(h, sizeof h, "pw");
	is_int(passwd_verify("pw", ""), 0, "empty hash (no login) never matches");
	is_int(passwd_verify("", ""), 0, "... not even the empty password");
	is_int(passwd_verify("pw", "*"), 0, "\"*\" never matches");
	is_int(passwd_verify("pw", "!"), 0, "\"!\" never matches");
	memmove(h + 1, h, strlen(h) + 1);
	h[0] = '!';
	is_int(passwd_verify("pw", h), 0, "a locked (\"!\" prefixed) yescrypt hash never matches");
	is_int(passwd_verify("pw", "*0"), 0, "libcrypt failure token *0 never matches");
	is_int(passwd_verify("pw", "*1"), 0, "libcrypt failure token *1 never matches");
	is_int(passwd_verify("*0", "*0"), 0, "... not even when the password is the token");
	is_int(passwd_verify("pw", "$9$unknown$scheme"), 0, "unknown scheme never matches");
	is_int(passwd_verify("pw", "plaintext"), 0, "a plain-text \"hash\" never matches");
	is_int(passwd_verify("", known[0].hash), 0, "empty password never matches");
	is_int(passwd_verify(0, known[0].hash), 0, "null password never matches");
	is_int(passwd_verify("pw", 0), 0, "null hash never matches");
}

static void check_equal(void)
{
	is_int(passwd_equal("abcdef", "abcdef", 6), 1, "passwd_equal: equal");
	is_int(passwd_equal("abcdef", "abcdeg", 6), 0, "passwd_equal: last byte differs");
	is_int(passwd_equal("xbcdef", "abcdef", 6), 0, "passwd_equal: first byte differs");
	is_int(passwd_equal("a\0c", "a\0d", 3), 0, "passwd_equal: looks past NUL bytes");
	is_int(passwd_equal("", "", 0), 1, "passwd_equal: zero length");
}

int main(void)
{
	check_known();
	check_python();
	check_yescrypt();
	check_never();
	check_equal();
	return tap_done();
}
