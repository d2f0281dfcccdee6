/* exedir: a sibling of our own executable; see exedir.h. */
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "exedir.h"

int exedir_path(stralloc *out, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (n <= 0) return 0;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash) return 0;
	slash[1] = 0;
	return stralloc_copys(out, exe) && stralloc_cats(out, name) && stralloc_0(out);
}
