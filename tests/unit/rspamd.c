/* Unit tests of lib/rspamd: the JSON reply (members we read, members we
 * skip, hostile input), the HTTP reply around it, and rspamd_learn and
 * rspamd_check against a small HTTP server in a child process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "tap.h"
#include "rspamd.h"

static int json(const char *s, struct rspamd_result *r)
{
	return rspamd_parse_json(s, strlen(s), r);
}

static void json_tests(void)
{
	struct rspamd_result r;
	char deep[200];
	int i;

	ok(json("{\"is_skipped\":false,\"score\":9.2,\"required_score\":15.0,\"action\":\"add header\","
	        "\"symbols\":{\"A\":{\"name\":\"A\",\"score\":1.5,\"options\":[\"x\",\"y\"]}},"
	        "\"messages\":{},\"time_real\":0.0123,\"milter\":{\"remove_headers\":{\"X-Spam\":1}}}", &r) == 0,
	   "a reply with symbols");
	is_int(r.action, RSPAMD_ADD_HEADER, "action add header");
	ok(r.score > 9.19 && r.score < 9.21 && r.required > 14.99 && r.required < 15.01, "score and required");
	ok(r.time_real > 0.012 && r.time_real < 0.013, "time_real");
	is_str(r.message, "", "no smtp_message");
	ok(json("{\"action\":\"reject\",\"score\":1e3,\"messages\":{\"smtp_message\":\"Spam \\\"message\\\" rejected\\u0021\\n\"}}",
	        &r) == 0 && r.action == RSPAMD_REJECT, "reject");
	is_str(r.message, "Spam \"message\" rejected!?", "smtp_message unescaped, control as ?");
	ok(json(" { \"score\" : -2.5 , \"action\" : \"no action\" } ", &r) == 0 && r.action == RSPAMD_NO_ACTION &&
	   r.score < -2.4, "white space, negative score");
	ok(json("{\"action\":\"soft reject\",\"score\":0}", &r) == 0 && r.action == RSPAMD_SOFT_REJECT, "soft reject");
	ok(json("{\"action\":\"greylist\",\"score\":0}", &r) == 0 && r.action == RSPAMD_GREYLIST, "greylist");
	ok(json("{\"action\":\"rewrite subject\",\"score\":0}", &r) == 0 && r.action == RSPAMD_REWRITE_SUBJECT,
	   "rewrite subject");
	ok(json("{\"action\":\"discard\",\"score\":0}", &r) < 0 && !r.ok, "unknown action is an error");
	ok(json("{\"score\":1}", &r) < 0, "no action: error");
	ok(json("{\"action\":\"reject\"}", &r) < 0, "no score: error");
	ok(json("{\"action\":\"reject\",\"score\":\"high\"}", &r) < 0, "score as a string: error");
	ok(json("", &r) < 0, "empty");
	ok(json("[]", &r) < 0, "not an object");
	ok(json("{\"action\":\"reject\",\"score\":1", &r) < 0, "cut short");
	ok(json("{\"action\":\"reject,\"score\":1}", &r) < 0, "unterminated string");
	ok(json("{\"action\":\"reject\",\"score\":1,}", &r) < 0, "trailing comma");
	ok(json("{\"action\":\"rej\\q\",\"score\":1}", &r) < 0, "bad escape");
	ok(json("{\"action\":\"reject\",\"score\":1,\"x\":\"\\u12\"}", &r) < 0, "short \\u");
	ok(json("{\"action\":\"reject\",\"score\":1,\"x\":tru}", &r) < 0, "bad literal");
	ok(json("{\"action\":\"reject\",\"score\":1,\"x\":[1,2,{\"a\":null,\"b\":true}],\"y\":false}", &r) == 0,
	   "arrays, literals skipped");
	strcpy(deep, "{\"action\":\"reject\",\"score\":1,\"x\":");
	for (i = 0; i < 60; i++) strcat(deep, "[");
	ok(json(deep, &r) < 0, "deep nesting refused, no crash");
	ok(json("{\"action\":\"no action\",\"score\":1,\"messages\":{\"smtp_message\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", &r) == 0 &&
	   strlen(r.message) == RSPAMD_MESSAGE_MAX, "long smtp_message cut");
	ok(json("{\"action\":\"no action\",\"score\":1,\"messages\":{\"smtp_message\":\"caf\xc3\xa9\"}}", &r) == 0, "UTF-8 message");
	is_str(r.message, "caf??", "non-ASCII as ?");
}

static void http_tests(void)
{
	struct rspamd_result r;
	const char *ok200 = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 31\r\n\r\n{\"action\":\"reject\",\"score\":20}garbage";
	const char *bad;

	ok(rspamd_parse_reply(ok200, strlen(ok200), &r) == 0 && r.action == RSPAMD_REJECT, "HTTP reply with Content-Length");
	bad = "HTTP/1.0 200 OK\n\n{\"action\":\"no action\",\"score\":0}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) == 0 && r.action == RSPAMD_NO_ACTION, "LF-only reply, no length");
	bad = "HTTP/1.1 500 Internal\r\nContent-Length: 31\r\n\r\n{\"action\":\"reject\",\"score\":20}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0 && r.why, "status 500 is an error");
	bad = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{\"action\":\"reject\",\"score\":20}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0, "body shorter than Content-Length");
	bad = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n{}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0, "huge Content-Length");
	bad = "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0, "Content-Length not a number");
	bad = "SMTP/1.1 200 OK\r\n\r\n{}";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0, "not HTTP");
	bad = "HTTP/1.1 200 OK\r\nX: y\r\n";
	ok(rspamd_parse_reply(bad, strlen(bad), &r) < 0, "header without its end");
	is_str(rspamd_action_name(RSPAMD_ADD_HEADER), "add header", "action names");
}

/* A one-request HTTP server: reads the request to its end (header and
 * Content-Length bytes), writes it to the pipe, answers reply. */
static pid_t server(int *port, const char *reply, int pipefd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	if ((pid = fork())) {
		close(l);
		return pid;
	}
	{
		static char req[65536];
		size_t got = 0;
		int c = accept(l, 0, 0);
		for (;;) {
			ssize_t n = read(c, req + got, sizeof req - 1 - got);
			char *end, *cl;
			if (n <= 0) break;
			got += (size_t)n;
			req[got] = 0;
			if ((end = strstr(req, "\r\n\r\n")) && (cl = strstr(req, "Content-Length: ")) &&
			    got >= (size_t)(end + 4 - req) + strtoul(cl + 16, 0, 10))
				break;
		}
		if (write(pipefd, req, got) < 0 || write(c, reply, strlen(reply)) < 0) _exit(1);
		_exit(0);
	}
}

static void net_tests(void)
{
	char addr[64], req[65536];
	const char *why = 0;
	struct rspamd_result r;
	struct rspamd_query q;
	int port, p[2], msg[2];
	ssize_t n;
	pid_t pid;

	if (pipe(p) || pipe(msg)) return;
	if (write(msg[1], "Subject: x\n\nhello\n", 18) != 18) return;
	close(msg[1]);
	pid = server(&port, "HTTP/1.0 200 OK\r\nContent-Length: 16\r\n\r\n{\"success\":true}", p[1]);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	ok(rspamd_learn(addr, 1, msg[0], 18, "sekrit", 5, &why) == 0, "learnspam accepted");
	waitpid(pid, 0, 0);
	n = read(p[0], req, sizeof req - 1);
	req[n > 0 ? n : 0] = 0;
	ok(!strncmp(req, "POST /learnspam HTTP/1.0\r\n", 26), "POST /learnspam");
	ok(strstr(req, "\r\nPassword: sekrit\r\n") != 0, "Password header");
	ok(strstr(req, "\r\nContent-Length: 18\r\n") != 0, "Content-Length");
	ok(strstr(req, "\r\n\r\nSubject: x\n\nhello\n") != 0, "the message as the body");
	close(msg[0]);

	if (pipe(msg)) return;
	if (write(msg[1], "Subject: y\n\n", 12) != 12) return;
	close(msg[1]);
	pid = server(&port, "HTTP/1.0 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}", p[1]);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	ok(rspamd_learn(addr, 0, msg[0], 12, 0, 5, &why) < 0 && why, "a refused password is an error");
	waitpid(pid, 0, 0);
	n = read(p[0], req, sizeof req - 1);
	req[n > 0 ? n : 0] = 0;
	ok(!strncmp(req, "POST /learnham ", 15) && !strstr(req, "Password:"), "learnham without Password");
	close(msg[0]);

	if (pipe(msg)) return;
	if (write(msg[1], "Subject: z\n\n", 12) != 12) return;
	close(msg[1]);
	pid = server(&port, "HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\n{\"action\":\"add header\",\"score\":7.5000}", p[1]);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	memset(&q, 0, sizeof q);
	q.from = "a@example.org";
	q.rcpts = "b@example.org\0c@example.org";
	q.nrcpt = 2;
	q.ip = "192.0.2.1";
	q.helo = "bad\r\nInjected: yes";
	q.user = "alice";
	ok(rspamd_check(addr, &q, msg[0], 12, 5, &r) == 0 && r.action == RSPAMD_ADD_HEADER, "check: add header");
	waitpid(pid, 0, 0);
	n = read(p[0], req, sizeof req - 1);
	req[n > 0 ? n : 0] = 0;
	ok(!strncmp(req, "POST /checkv2 HTTP/1.0\r\n", 24), "POST /checkv2");
	ok(strstr(req, "\r\nFrom: a@example.org\r\n") && strstr(req, "\r\nRcpt: b@example.org\r\n") &&
	   strstr(req, "\r\nRcpt: c@example.org\r\n") && strstr(req, "\r\nIP: 192.0.2.1\r\n") &&
	   strstr(req, "\r\nUser: alice\r\n"), "From, Rcpt, IP, User headers");
	ok(!strstr(req, "Injected") && !strstr(req, "Helo:"), "a value with CR LF is not sent");
	close(msg[0]);
	ok(rspamd_check("127.0.0.1:1", &q, -1, 0, 2, &r) < 0 && !r.ok && r.why, "nobody listening: error");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	json_tests();
	http_tests();
	net_tests();
	return tap_done();
}
