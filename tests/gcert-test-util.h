/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gcert.h"
#include "gcert-test-pebble.h"

G_BEGIN_DECLS

/* A fresh temporary directory (0700) under $TMPDIR; aborts the test on error. */
char     *gcert_test_mkdtemp            (const char *prefix);
/* Removes a tree; symlinks are removed, not followed. */
void      gcert_test_rm_rf              (const char *path);

/* Writes a throw-away CA (ca.pem) and a leaf signed by it (cert.pem, key.pem)
 * into @dir for @names, which may be DNS names or IP literals. The leaf is
 * valid for TLS server use. */
gboolean  gcert_test_make_tls_pair      (const char          *dir,
                                         const char * const  *names,
                                         char               **out_ca_file,
                                         char               **out_cert_file,
                                         char               **out_key_file,
                                         GError             **error);

/* A leaf for @key carrying @names (dNSName SANs), valid between the two
 * times, issued by a fresh CA. Returns the leaf followed by the CA as PEM;
 * @out_ca_pem gets the CA alone. */
char     *gcert_test_issue_certificate  (GCertKey            *key,
                                         const char * const  *names,
                                         GDateTime           *not_before,
                                         GDateTime           *not_after,
                                         char               **out_ca_pem);

/* One key of each type per test program, made on first use (RSA-4096 takes
 * seconds); gcert_test_clear_keys() drops them. */
GCertKey *gcert_test_get_key    (GCertKeyType type);
void      gcert_test_clear_keys (void);

/* --- files ---------------------------------------------------------------- */

/* Writes @length bytes of @data (-1: up to its NUL) to @path, replacing it
 * atomically, with exactly @mode whatever the umask; aborts the test on
 * error. */
void      gcert_test_write_bytes      (const char  *path,
                                       const char  *data,
                                       gssize       length,
                                       int          mode);
/* gcert_test_write_bytes() of the string @contents */
void      gcert_test_write_file       (const char  *path,
                                       const char  *contents,
                                       int          mode);
/* gcert_test_write_file() to @dir/@name; returns that path */
char     *gcert_test_write_file_in    (const char  *dir,
                                       const char  *name,
                                       const char  *contents,
                                       int          mode);
/* A shell script "#!/bin/sh" + @body as @dir/@name with @mode (0755 or
 * 0700 to run it); returns its path */
char     *gcert_test_write_script     (const char  *dir,
                                       const char  *name,
                                       const char  *body,
                                       int          mode);
/* The whole contents of @path; aborts the test on error. */
char     *gcert_test_read_file        (const char  *path);
/* Asserts that @path is a regular file (not a link to one) with exactly
 * @mode that holds exactly @length bytes of @contents (-1: up to its NUL). */
void      gcert_test_assert_file      (const char  *path,
                                       const char  *contents,
                                       gssize       length,
                                       guint        mode);
/* gcert_test_assert_file() with the bytes of the file @source */
void      gcert_test_assert_same_file (const char  *path,
                                       const char  *source,
                                       guint        mode);
/* The names in the directory @dir, sorted and joined by spaces ("" when
 * empty, "(missing)" when it cannot be opened). */
char     *gcert_test_list_dir         (const char  *dir);
/* Asserts that gcert_test_list_dir (@dir) is @expected: nothing left
 * behind, no temporary files or backups. */
void      gcert_test_assert_dir_lists (const char  *dir,
                                       const char  *expected);

/* --- text ----------------------------------------------------------------- */

/* Assert that @haystack (which may be NULL) does or does not contain
 * @needle, logging the haystack when it is not so. */
void      gcert_test_assert_contains     (const char *haystack,
                                          const char *needle);
void      gcert_test_assert_not_contains (const char *haystack,
                                          const char *needle);
/* Asserts that @text (which may be NULL) contains none of the secrets in
 * the NULL-terminated @secrets; with @head > 0 not even the first @head
 * bytes of one, as a part of a secret is as bad. */
void      gcert_test_assert_no_secrets   (const char         *text,
                                          const char * const *secrets,
                                          gsize               head);
/* gcert_test_assert_no_secrets() of the one whole @secret */
#define gcert_test_assert_no_secret(text, secret) \
  gcert_test_assert_no_secrets ((text), (const char * const []) { (secret), NULL }, 0)
/* Sorts the NULL-terminated @strv in place (byte order). */
void      gcert_test_sort_strv           (char              **strv);

/* --- configuration -------------------------------------------------------- */

/* The provider of the group [dns @name] of the config text @text, read as
 * if from the file @config_path (relative paths are beside it). The text
 * itself must parse: only the provider's setup may fail. */
GCertDnsProvider *gcert_test_load_dns_provider    (const char  *config_path,
                                                   const char  *text,
                                                   const char  *name,
                                                   GError     **error);
/* gcert_test_load_dns_provider(), asserting that it succeeds */
GCertDnsProvider *gcert_test_load_dns_provider_ok (const char  *config_path,
                                                   const char  *text,
                                                   const char  *name);
/* The same for the deployer of the group [deploy @name] */
GCertDeployer    *gcert_test_load_deployer        (const char  *config_path,
                                                   const char  *text,
                                                   const char  *name,
                                                   GError     **error);
GCertDeployer    *gcert_test_load_deployer_ok     (const char  *config_path,
                                                   const char  *text,
                                                   const char  *name);
/* Asserts that @error is GCERT_ERROR @code (-1: any code of GCERT_ERROR)
 * and that its message names where the problem is, "CONFIG_PATH:LINE:
 * [GROUP] KEY" ("[GROUP]" alone when @key is NULL), and contains @detail
 * unless it is NULL. */
void              gcert_test_assert_config_error  (const GError *error,
                                                   int           code,
                                                   const char   *config_path,
                                                   guint         line,
                                                   const char   *group,
                                                   const char   *key,
                                                   const char   *detail);

/* Asserts that the provider or deployer of the group [@group] ("dns NAME"
 * or "deploy NAME") of @text cannot be made, with the error that
 * gcert_test_assert_config_error() checks; returns that error. */
GError           *gcert_test_assert_bad_config    (const char   *config_path,
                                                   const char   *text,
                                                   const char   *group,
                                                   int           code,
                                                   guint         line,
                                                   const char   *key,
                                                   const char   *detail);

/* --- asynchronous calls --------------------------------------------------- */

/* A GAsyncReadyCallback that stores a reference to the result in the
 * GAsyncResult* slot given as user data (which must be NULL before). */
void          gcert_test_result_cb (GObject       *source_object,
                                    GAsyncResult  *result,
                                    gpointer       user_data);
/* Iterates the thread-default main context until the slot is filled. */
GAsyncResult *gcert_test_wait_for  (GAsyncResult **slot);

/* Cancels @cancellable (holding a reference until then) after @ms
 * milliseconds on the thread-default main context; the source's id. */
guint      gcert_test_cancel_after  (GCancellable           *cancellable,
                                     guint                   ms);
/* gcert_dns_provider_create_record_async() and _remove_record_async(),
 * run to their end */
gboolean   gcert_test_create_record (GCertDnsProvider       *provider,
                                     const char             *fqdn,
                                     const char             *value,
                                     GCancellable           *cancellable,
                                     GError                **error);
gboolean   gcert_test_remove_record (GCertDnsProvider       *provider,
                                     const char             *fqdn,
                                     const char             *value,
                                     GCancellable           *cancellable,
                                     GError                **error);
/* gcert_dns_query_txt_async() of @fqdn at @server, run to its end */
GStrv      gcert_test_query_txt     (const char             *server,
                                     const char             *fqdn,
                                     GError                **error);
/* gcert_deployer_deploy_async(), run to its end; each progress message is
 * logged and, when @progress is not NULL, added to it (a copy). */
gboolean   gcert_test_deploy        (GCertDeployer          *deployer,
                                     const GCertDeployment  *deployment,
                                     GPtrArray              *progress,
                                     GCancellable           *cancellable,
                                     GError                **error);
/* gcert_manager_renew_async(), run to its end: the array of
 * GCertRenewResult, or NULL with @error set */
GPtrArray *gcert_test_renew         (GCertManager           *manager,
                                     const char * const     *names,
                                     GCertRenewFlags         flags,
                                     GCancellable           *cancellable,
                                     GError                **error);

/* --- processes and sockets ------------------------------------------------ */

/* Asserts that the process whose id the file @pid_file holds is gone (or
 * a zombie nobody reaped yet) within five seconds. */
void     gcert_test_assert_process_gone (const char *pid_file);
/* A socket of @type bound to 127.0.0.1:@port (0: any free port), and
 * listening when it is a stream; nothing ever answers on it unless the
 * caller makes it. @out_port (may be NULL) gets the port. */
GSocket *gcert_test_listen_loopback     (GSocketType  type,
                                         guint16      port,
                                         guint16     *out_port);
/* gcert_test_listen_loopback(), but NULL with @error set when the socket
 * cannot be made, for fixtures that report their errors */
GSocket *gcert_test_try_listen_loopback (GSocketType   type,
                                         guint16       port,
                                         guint16      *out_port,
                                         GError      **error);
/* Sends one UDP query for @name (the trailing dot is optional) of type
 * @qtype to the DNS server @server ("HOST:PORT") and waits a second for the
 * answer. TRUE when one came, with its rcode and number of answer records
 * in @out_rcode and @out_answers (both may be NULL). */
gboolean gcert_test_dns_probe           (const char   *server,
                                         const char   *name,
                                         guint16       qtype,
                                         guint        *out_rcode,
                                         guint        *out_answers);

/* --- talking to test servers --------------------------------------------- */

/* A session for the fixtures' own servers: never through a proxy, a 10 s
 * timeout, and trusting the CA file @ca_file when it is not NULL. */
SoupSession *gcert_test_session_new  (const char   *ca_file,
                                      GError      **error);
/* A synchronous @method request for @url on @session, with the body
 * @json_body (application/json; may be NULL) and, when @header is not
 * NULL, the header @header: @value. Returns the body of a 2xx answer
 * (empty for 204), else NULL with @error set, naming the status and
 * carrying the start of the body. @out_status (may be NULL) gets the HTTP
 * status whenever there was one, 0 else. */
GBytes      *gcert_test_http_request (SoupSession  *session,
                                      const char   *method,
                                      const char   *url,
                                      const char   *header,
                                      const char   *value,
                                      const char   *json_body,
                                      guint        *out_status,
                                      GError      **error);

/* --- server processes ----------------------------------------------------- */

/* The fixtures run real servers as children that log to a file. Each
 * child gets SIGTERM when the thread that started it exits, so that no
 * server outlives a test that aborts; a fixture still stops it with
 * gcert_test_terminate(). */

/* The program @name in $PATH, or else /usr/sbin/@name ($PATH may lack the
 * sbin directories). */
char     *gcert_test_find_program        (const char          *name);
/* Starts @argv (argv[0] is looked up in $PATH unless it holds a slash) in
 * @workdir with the environment @envp (NULL: this process's), its standard
 * output and error going to @log_path (made anew, mode 0600). With
 * @out_stdout_fd, only its standard error goes there and @out_stdout_fd
 * gets the reading end of a pipe from its standard output. Standard input
 * is /dev/null. The child is not reaped: see gcert_test_reap_if_exited()
 * and gcert_test_terminate(). */
gboolean  gcert_test_spawn_logged        (const char          *workdir,
                                          const char * const  *argv,
                                          const char * const  *envp,
                                          const char          *log_path,
                                          int                 *out_stdout_fd,
                                          GPid                *out_pid,
                                          GError             **error);
/* TRUE once the child *@pid has exited and is reaped, or when there is
 * none (*@pid is 0); *@pid is then 0. Never blocks. */
gboolean  gcert_test_reap_if_exited      (GPid                *pid);
/* Stops the child *@pid: SIGTERM, then SIGKILL when it has not exited
 * within five seconds; reaps it and sets *@pid to 0. Nothing when *@pid
 * is 0. */
void      gcert_test_terminate           (GPid                *pid);
/* The end of the log file @path (its last 6000 bytes at most), for an
 * error message; "(no log)" when it cannot be read. */
char     *gcert_test_read_log            (const char          *path);
/* Whether the log file @path contains @needle (FALSE when it cannot be
 * read). */
gboolean  gcert_test_log_contains        (const char          *path,
                                          const char          *needle);
/* Whether the server that logs to @path says that an address it wanted
 * is in use ("address already in use", "address in use", any case). */
gboolean  gcert_test_log_says_port_taken (const char          *path);
/* Sets @error to GCERT_ERROR @code with the message @format followed by
 * "; its log:", a new line and the end of the log @log_path
 * (gcert_test_read_log()); returns FALSE. */
gboolean  gcert_test_error_with_log      (GError             **error,
                                          GCertError           code,
                                          const char          *log_path,
                                          const char          *format,
                                          ...) G_GNUC_PRINTF (4, 5);

/* A server child of a fixture, as the helpers below watch it. */
typedef struct {
  const char *name;      /* in messages: "pdns_server" */
  GPid       *pid;       /* the fixture's own, which the helpers reap */
  const char *log_path;  /* its output (gcert_test_spawn_logged()) */
} GCertTestProcess;

/* FALSE with "NAME is not running; its log: …" in @error once the process
 * has exited (it is then reaped). */
gboolean  gcert_test_process_check_alive (const GCertTestProcess  *process,
                                          GError                 **error);

/* TRUE once the servers answer. When it returns FALSE it may set
 * *@out_waiting_for to a static description of what does not answer yet
 * ("the API"), for the message when the time runs out. */
typedef gboolean (*GCertTestProbeFunc) (gpointer     user_data,
                                        const char **out_waiting_for);

/* Calls @probe every 20 ms, for at most @timeout_s seconds, until it says
 * that the servers @processes (@n_processes of them) answer. FALSE with
 * @error set, carrying the logs, when one of them exits or logs that its
 * port is taken (gcert_test_log_says_port_taken()), or when the time runs
 * out (GCERT_ERROR_TIMED_OUT). @retry is set when a port was taken: as the
 * ports are chosen free before the servers start, somebody else took one
 * in between, and a new start on other ports may succeed. */
gboolean  gcert_test_wait_ready          (const GCertTestProcess  *processes,
                                          guint                    n_processes,
                                          guint                    timeout_s,
                                          GCertTestProbeFunc       probe,
                                          gpointer                 user_data,
                                          gboolean                *retry,
                                          GError                 **error);

/* One try at starting a fixture's servers on newly chosen free ports:
 * FALSE with @error set when it fails, and *@retry set when another try
 * may succeed (see gcert_test_wait_ready()). */
typedef gboolean (*GCertTestStartFunc) (gpointer     user_data,
                                        gboolean    *retry,
                                        GError     **error);

/* Ends what a failed try started. */
typedef void     (*GCertTestStopFunc)  (gpointer     user_data);

/* Calls @start, and @stop after each failed try, up to five times while
 * @start asks for a retry. The last try's error is prefixed
 * "starting @what: ". */
gboolean  gcert_test_start_retrying      (const char              *what,
                                          GCertTestStartFunc       start,
                                          GCertTestStopFunc        stop,
                                          gpointer                 user_data,
                                          GError                 **error);

/* --- servers -------------------------------------------------------------- */

/* Pebble (see gcert-test-pebble.h) that never reuses an authorization, so
 * that every issuance goes through the DNS; its validator asks @dns_server
 * ("HOST:PORT"; NULL: its own challtestsrv). @out_root (may be NULL) gets
 * the PEM of the root its chains end at. Aborts the test on error. */
GCertTestPebble *gcert_test_start_pebble (const char  *dns_server,
                                          char       **out_root);

/* --- gcertctl ------------------------------------------------------------- */

/* The gcertctl under test (env GCERTCTL, which meson test sets) */
const char   *gcert_test_gcertctl_path   (void);
/* Starts `gcertctl -c CONFIG ARGS…` (no -c when @config is NULL) with its
 * output going to the files @out_path and @err_path (NULL: discarded),
 * and GCERT_CA_CERTIFICATES, GCERT_STATEDIR, STATE_DIRECTORY and CF_Token
 * unset; the caller waits for it. */
GSubprocess  *gcert_test_spawn_gcertctl  (const char         *config,
                                          const char         *out_path,
                                          const char         *err_path,
                                          const char * const *args);

/* A finished run of the gcertctl under test (env GCERTCTL). */
typedef struct {
  int   status;
  char *out;
  char *err;
} GCertTestRun;

void          gcert_test_run_free     (GCertTestRun       *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestRun, gcert_test_run_free)
/* `gcertctl -c CONFIG ARGS…` (no -c when @config is NULL), to its end,
 * with the environment of gcert_test_spawn_gcertctl(); the command and its
 * outcome go into the log. Aborts the test when it did not exit normally. */
GCertTestRun *gcert_test_run_gcertctl (const char         *config,
                                       const char * const *args);
#define gcert_test_run_ctl(config, ...) \
  gcert_test_run_gcertctl ((config), (const char * const []) { __VA_ARGS__, NULL })
/* asserts the exit status of @run */
void          gcert_test_assert_exit  (const GCertTestRun *run,
                                       int                 expected);
/* The live files of @name under the state directory @state: a key 0600 in
 * a 0700 directory and a chain signed up to @root_pem for exactly @names
 * that belongs to the key; cert.pem the leaf, chain.pem its issuers.
 * Returns the full chain. */
GCertCertificate *gcert_test_check_live (const char         *state,
                                         const char         *name,
                                         const char * const *names,
                                         const char         *root_pem);

G_END_DECLS
