/*
 * cpuacct: runs CPUACCT_BIN/NAME (NAME: the last part of argv[0]) with the
 * same arguments and file descriptors, waits for it, and appends
 * "NAME UTIME STIME OWN" (seconds; UTIME and STIME from wait4's rusage:
 * the program and every child it waited for; OWN: this wrapper's own
 * user + system time, which a parent waiting for it counts too) to the file
 * CPUACCT_LOG.  For tools/bench-postfix: it
 * is linked under the names of the posthorn programs so that tcpserver,
 * posthorn-smtpd (POSTHORN_QUEUE) and posthorn-runq (POSTHORN_LOCAL) start
 * it in their place, which splits the CPU of a message by program.
 * The wrapper's own fork costs CPU, so runs through it are only used for the
 * split, never for the totals.  Exits as the program did.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *bin = getenv("CPUACCT_BIN"), *log = getenv("CPUACCT_LOG");
	const char *name;
	char path[PATH_MAX], line[256];
	struct rusage ru, self;
	int status, fd, len;
	pid_t pid;

	if (argc < 1 || !bin || !log) {
		fputs("cpuacct: CPUACCT_BIN and CPUACCT_LOG must be set\n", stderr);
		return 111;
	}
	name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	if (snprintf(path, sizeof path, "%s/%s", bin, name) >= (int)sizeof path) return 111;
	pid = fork();
	if (pid < 0) return 111;
	if (pid == 0) {
		argv[0] = path;
		execv(path, argv);
		_exit(127);
	}
	/* the program alone holds its input and output: an SMTP client must
	 * see the connection close when posthorn-smtpd exits */
	for (fd = 0; fd < 3; fd++) close(fd);
	while (wait4(pid, &status, 0, &ru) < 0)
		;
	getrusage(RUSAGE_SELF, &self);
	len = snprintf(line, sizeof line, "%s %ld.%06ld %ld.%06ld %.6f\n", name, (long)ru.ru_utime.tv_sec,
		       (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
		       self.ru_utime.tv_sec + self.ru_stime.tv_sec + (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0666);
	if (fd >= 0) {
		/* one write with O_APPEND: lines of parallel wrappers do not mix */
		if (write(fd, line, len) != len) {}
		close(fd);
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
