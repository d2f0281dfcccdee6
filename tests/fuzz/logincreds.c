/*
 * Fuzz target for lib/logincreds: any bytes a login half (the code we
 * trust least) can write to the set-user-ID posthorn-mailauth.  Accepted
 * fields fit their buffers and hold no NUL, and the reader stopped exactly
 * after the second NUL: the state behind it stays unread for the session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "auth.h"
#include "logincreds.h"
#include "passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char login[AUTH_LOGIN_MAX + 1], password[PASSWD_MAX + 1];
	int fd = memfd_create("creds", MFD_CLOEXEC);
	size_t ll, pl;

	if (fd < 0) abort();
	if (size && write(fd, data, size) != (ssize_t)size) abort();
	if (lseek(fd, 0, SEEK_SET) != 0) abort();
	if (logincreds_read(fd, login, sizeof login, password, sizeof password) == 0) {
		ll = strnlen(login, sizeof login);
		pl = strnlen(password, sizeof password);
		if (ll >= sizeof login || pl >= sizeof password) abort();
		if (lseek(fd, 0, SEEK_CUR) != (off_t)(ll + 1 + pl + 1)) abort();
		if (memcmp(data, login, ll) || data[ll] || memcmp(data + ll + 1, password, pl) || data[ll + 1 + pl]) abort();
	}
	close(fd);
	return 0;
}
