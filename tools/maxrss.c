/*
 * maxrss: runs a command and prints its peak RSS in KiB (ru_maxrss) on
 * stderr.  For make bench: a process spawned by Python inherits Python's
 * own RSS into ru_maxrss, so the figure must come from a small parent.
 * Usage: maxrss COMMAND [ARG...] < input.  Exits with the command's status.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fputs("usage: maxrss command [arg...]\n", stderr);
		return 100;
	}
	pid = fork();
	if (pid < 0) return 111;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) return 111;
	fprintf(stderr, "maxrss %ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
