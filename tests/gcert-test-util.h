/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

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
