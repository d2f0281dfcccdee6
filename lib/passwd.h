#ifndef PASSWD_H
#define PASSWD_H
/*
 * Password hashes with crypt(3) from libcrypt (libxcrypt).  New hashes are
 * yescrypt ("$y$"); verification takes any hash libcrypt knows, including
 * bcrypt ("$2b$") and sha512-crypt ("$6$").  Passwords longer than
 * PASSWD_MAX are refused rather than cut.
 */
#include <stddef.h>

/* libxcrypt takes at most CRYPT_MAX_PASSPHRASE_SIZE (512) bytes with the
 * NUL; anything longer it refuses. */
#define PASSWD_MAX 511

/* Hashes password (NUL-terminated) into out (cap bytes, NUL-terminated).
 * Returns 0, or -1 with errno (EINVAL for an empty or too long password). */
int passwd_hash(char *out, size_t cap, const char *password);

/* 1 if password matches hash, 0 if not (also for an empty, locked "!..." or
 * unknown-scheme hash).  The final comparison takes the same time whatever
 * the position of the first differing byte. */
int passwd_verify(const char *password, const char *hash);

/* Constant-time comparison of two equal-length byte strings: 1 if equal. */
int passwd_equal(const void *a, const void *b, size_t len);
#endif
