/* log: key=value event lines on stderr; format in log.h. */
#include <errmsg.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include "log.h"

#define LOG_LINE_MAX 4096

static const char *log_program = "posthorn";
static int log_syslog;

void log_init(const char *program)
{
	const char *slash = strrchr(program, '/');
	struct stat st;

	log_program = slash ? slash + 1 : program;
	errmsg_iam(log_program);
	/* inetd and xinetd hand the connection over as fds 0, 1 and 2: a log
	 * line on stderr would go to the client (and break TLS).  Then stderr
	 * becomes /dev/null and the lines go to syslog (facility mail). */
	if (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0 && fd != 2) {
			dup2(fd, 2);
			close(fd);
		}
		openlog(log_program, LOG_PID, LOG_MAIL);
		log_syslog = 1;
	}
}

static int needs_quotes(const char *v)
{
	if (!*v) return 1;
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c <= ' ' || c == 127 || c == '"' || c == '\\' || c == '=') return 1;
	}
	return 0;
}

static void put(char *out, unsigned long *len, unsigned long cap, const char *s, unsigned long n)
{
	if (*len >= cap) return;
	if (n > cap - *len) n = cap - *len;
	memcpy(out + *len, s, n);
	*len += n;
}

void log_quote(char *out, unsigned long *len, unsigned long cap, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long used = 0;
	int quoted;

	if (!value) value = "-";
	quoted = needs_quotes(value);
	if (quoted) put(out, len, cap, "\"", 1);
	for (; *value && used < LOG_VALUE_MAX; value++, used++) {
		unsigned char c = (unsigned char)*value;
		char esc[4];
		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c;
			put(out, len, cap, esc, 2);
		} else if (c < ' ' || c == 127) {
			esc[0] = '\\'; esc[1] = 'x'; esc[2] = hex[c >> 4]; esc[3] = hex[c & 15];
			put(out, len, cap, esc, 4);
		} else
			put(out, len, cap, (const char *)&c, 1);
	}
	if (*value) put(out, len, cap, "...", 3);
	if (quoted) put(out, len, cap, "\"", 1);
}

void log_event(const char *event, ...)
{
	char line[LOG_LINE_MAX];
	unsigned long len = 0, cap = sizeof line - 1;
	const char *key;
	va_list ap;

	put(line, &len, cap, log_program, strlen(log_program));
	put(line, &len, cap, ": event=", 8);
	log_quote(line, &len, cap, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		put(line, &len, cap, " ", 1);
		put(line, &len, cap, key, strlen(key));
		put(line, &len, cap, "=", 1);
		log_quote(line, &len, cap, value);
	}
	va_end(ap);
	if (log_syslog) {
		size_t skip = strlen(log_program) + 2;   /* syslog names the program */
		line[len] = 0;
		syslog(LOG_INFO, "%s", len > skip ? line + skip : line);
		return;
	}
	line[len++] = '\n';
	/* one write(2): lines from concurrent processes do not interleave */
	if (write(2, line, len) < 0) return;
}
