/* uniq: unique Maildir-style names; see uniq.h. */
#include <sys/time.h>
#include <unistd.h>
#include <fmt.h>
#include "uniq.h"

/* The host part is computed once per process: a process never renames its host. */
static char uniq_host[256];
static int uniq_host_ready;
static unsigned long uniq_counter;

static void uniq_init_host(void)
{
	char raw[256];
	size_t i, n = 0;

	if (gethostname(raw, sizeof raw - 1) < 0 || !raw[0]) {
		raw[0] = 'l'; raw[1] = 'o'; raw[2] = 'c'; raw[3] = 'a'; raw[4] = 'l'; raw[5] = 0;
	}
	raw[sizeof raw - 1] = 0;
	for (i = 0; raw[i] && n + 5 < sizeof uniq_host; i++) {
		/* '/' would split the path and ':' starts the info part (":2,FLAGS"). */
		if (raw[i] == '/' || raw[i] == ':') {
			uniq_host[n++] = '\\';
			uniq_host[n++] = '0';
			uniq_host[n++] = raw[i] == '/' ? '5' : '7';
			uniq_host[n++] = raw[i] == '/' ? '7' : '2';
		} else
			uniq_host[n++] = raw[i];
	}
	uniq_host[n] = 0;
	uniq_host_ready = 1;
}

int uniq_name(stralloc *out)
{
	char num[FMT_ULONG];
	struct timeval tv;

	if (!uniq_host_ready) uniq_init_host();
	gettimeofday(&tv, 0);
	/* The counter makes two names of one process in one microsecond differ;
	 * the pid, two processes; the host, two machines sharing the Maildir. */
	return stralloc_catb(out, num, fmt_ulong(num, (unsigned long)tv.tv_sec)) &&
	       stralloc_cats(out, ".M") &&
	       stralloc_catb(out, num, fmt_ulong(num, (unsigned long)tv.tv_usec)) &&
	       stralloc_cats(out, "P") &&
	       stralloc_catb(out, num, fmt_ulong(num, (unsigned long)getpid())) &&
	       stralloc_cats(out, "Q") &&
	       stralloc_catb(out, num, fmt_ulong(num, ++uniq_counter)) &&
	       stralloc_cats(out, ".") && stralloc_cats(out, uniq_host);
}
