#ifndef IMAPD_COMMANDS_H
#define IMAPD_COMMANDS_H
/* The command handlers of posthorn-imapd, one per entry of session.c's
 * dispatch table.  A handler checks its arguments (S.args, S.nargs, S.uid),
 * does the work, writes its untagged data and sets its tagged response
 * with reply(); the dispatcher then sends the folder's updates where RFC
 * 3501 7.4.1 allows them and the tagged line (reply_send). */
void do_capability(void); void do_noop(void); void do_logout(void); void do_starttls(void);
void do_login(void); void do_authenticate(void); void do_id(void); void do_enable(void);
void do_namespace(void);
void do_list(void); void do_lsub(void); void do_subscribe(void); void do_unsubscribe(void);
void do_create(void); void do_delete(void); void do_rename(void); void do_status(void);
void do_select(void); void do_examine(void); void do_close(void); void do_unselect(void);
void do_check(void); void do_expunge(void); void do_fetch(void); void do_store(void);
void do_copy(void); void do_move(void); void do_append(void); void do_search(void);
void do_idle(void); void do_sort(void); void do_thread(void);
void do_getquotaroot(void); void do_getquota(void); void do_setquota(void);
void do_compress(void);

#endif
