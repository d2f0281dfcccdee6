#ifndef TAP_H
#define TAP_H
/*
 * Minimal TAP producer for the C unit tests (run by prove).  Each check
 * prints "ok N - name" or "not ok N - name" with the values on a "#" line.
 * End main() with `return tap_done();`, which prints the plan and exits
 * non-zero when anything failed.
 */
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, name);
	if (!cond) tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, name) tap_ok(!!(cond), name)

static inline int tap_is_int(long long got, long long want, const char *name)
{
	int r = tap_ok(got == want, name);
	if (!r) printf("#   got %lld, want %lld\n", got, want);
	return r;
}
#define is_int(got, want, name) tap_is_int((long long)(got), (long long)(want), name)

static inline int tap_is_str(const char *got, const char *want, const char *name)
{
	int r = tap_ok(got && want && !strcmp(got, want), name);
	if (!r) printf("#   got '%s', want '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}
#define is_str(got, want, name) tap_is_str(got, want, name)

static inline void diag(const char *s) { printf("# %s\n", s); }

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
