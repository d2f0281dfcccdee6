#ifndef LOG_H
#define LOG_H
/*
 * One line per event on stderr: "PROGRAM: event=NAME key=value key=value".
 * No timestamps: the supervisor's logger (s6-log, multilog) adds them.
 * Values that are empty or hold a space, '"', '\\', '=' or a control byte are
 * written in double quotes with C-style escapes (\" \\ \xNN), so a log line is
 * always one line and always splits back into its fields.  Each value is cut
 * at LOG_VALUE_MAX bytes (marked with "..."), so a hostile value cannot flood
 * the log.
 */
#define LOG_VALUE_MAX 512

/* Name printed before every line; call once from main() (also sets libowfat's
 * errmsg_iam so die()/carp() say the same name).  The string must live for
 * the whole process (argv[0] or a literal). */
void log_init(const char *program);

/* log_event("deliver", "rcpt", r, "result", "ok", (char *)0): pairs of key and
 * value after the event name, ended by a null pointer.  A null value prints
 * as "-".  Never fails: a line that cannot be written is dropped. */
void log_event(const char *event, ...);

/* Appends one value to out[*len], quoted as above; exposed for tests. */
void log_quote(char *out, unsigned long *len, unsigned long cap, const char *value);
#endif
