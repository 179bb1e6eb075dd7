/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GCertManager against a real Pebble: what reaches the user when the CA
 * refuses, that TXT records are always cleaned up, and that a run killed
 * after finalize is resumed instead of ordering again. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <string.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-proxy.h"
#include "gcert-test-util.h"

static GCertTestPebble *pebble;

typedef struct {
  char         *dir;
  char         *state;
  char         *calls;      /* what the exec script was asked to do */
  GPtrArray    *results;
  GCancellable *cancellable;
  char         *cancel_on;  /* cancel when a progress line contains this */
  GString      *progress;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->dir = gcert_test_mkdtemp ("gcert-manager");
  fx->state = g_build_filename (fx->dir, "state", NULL);
  fx->calls = g_build_filename (fx->dir, "calls.log", NULL);
  fx->cancellable = g_cancellable_new ();
  fx->progress = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->results, g_ptr_array_unref);
  g_object_unref (fx->cancellable);
  g_string_free (fx->progress, TRUE);
  gcert_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->state);
  g_free (fx->calls);
  g_free (fx->cancel_on);
}

/* An exec hook that logs each call and sets/clears the value at @dns's
 * management URL (a challtestsrv). */
static char *
write_hook (Fixture    *fx,
            const char *management_url)
{
  g_autofree char *path = g_build_filename (fx->dir, "hook.sh", NULL);
  g_autofree char *script = NULL;

  if (management_url == NULL)
    /* logs, but never publishes anything */
    script = g_strdup_printf ("#!/bin/sh\necho \"$1 $2 $3\" >> '%s'\n", fx->calls);
  else
    script = g_strdup_printf ("#!/bin/sh\n"
                            "echo \"$1 $2 $3\" >> '%s'\n"
                            "case \"$1\" in\n"
                            "present) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}\" '%s/set-txt' ;;\n"
                            "cleanup) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\"}\" '%s/clear-txt' ;;\n"
                            "esac\n",
                            fx->calls, management_url, management_url);
  gcert_test_write_file (path, script, 0755);
  return g_steal_pointer (&path);
}

/* A config with the exec hook @hook as [dns hook] and one certificate. */
static char *
hook_config (Fixture    *fx,
             const char *resolver,
             const char *propagation_timeout,
             const char *hook,
             const char *name,
             const char *domains)
{
  return g_strdup_printf ("[gcert]\nca = %s\nca-certificates = %s\nstate-dir = %s\n"
                          "resolvers = %s\npropagation-timeout = %s\n\n"
                          "[dns hook]\nplugin = exec\nprogram = %s\n\n"
                          "[certificate %s]\ndomains = %s\ndns = hook\n",
                          pebble->directory_url, pebble->ca_certificates, fx->state,
                          resolver, propagation_timeout, hook, name, domains);
}

static void
progress_cb (GCertManager *manager,
             const char   *name,
             const char   *message,
             Fixture      *fx)
{
  g_string_append_printf (fx->progress, "%s: %s\n", name, message);
  if (fx->cancel_on != NULL && strstr (message, fx->cancel_on) != NULL)
    g_cancellable_cancel (fx->cancellable);
}

static GCertRenewResult *
renew (Fixture    *fx,
       const char *config_text)
{
  g_autofree char *conf_path = g_build_filename (fx->dir, "gcert.conf", NULL);
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_autoptr(GError) error = NULL;

  config = gcert_config_load_from_data (config_text, conf_path, &error);
  g_assert_no_error (error);
  manager = gcert_manager_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (manager, "progress", G_CALLBACK (progress_cb), fx);

  g_clear_pointer (&fx->results, g_ptr_array_unref);
  fx->results = gcert_test_renew (manager, NULL, GCERT_RENEW_FORCE, fx->cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fx->results->len, ==, 1);
  return g_ptr_array_index (fx->results, 0);
}

static char *
read_calls (Fixture *fx)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (fx->calls, &text, NULL, NULL))
    return g_strdup ("");
  return g_steal_pointer (&text);
}

static guint
count_lines_with (const char *text,
                  const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], prefix))
        n++;
    }
  return n;
}

/* A second challtestsrv: gcert's propagation check asks it, Pebble does
 * not, so the CA itself finds no record and says so. */
typedef struct {
  GPid   pid;
  char  *dns;
  char  *management;
} Challtestsrv;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static Challtestsrv *
challtestsrv_start (void)
{
  Challtestsrv *srv = g_new0 (Challtestsrv, 1);
  guint16 dns_port = gcert_test_find_free_port (TRUE);
  guint16 mgmt_port = gcert_test_find_free_port (FALSE);
  g_autofree char *dns = g_strdup_printf ("127.0.0.1:%u", dns_port);
  g_autofree char *mgmt = g_strdup_printf ("127.0.0.1:%u", mgmt_port);
  const char *argv[] = { "pebble-challtestsrv", "-dns01", dns, "-management", mgmt,
                         "-http01", "", "-https01", "", "-tlsalpn01", "", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                die_with_parent, NULL, &srv->pid, &error));
  g_assert_no_error (error);
  srv->dns = g_steal_pointer (&dns);
  srv->management = g_strdup_printf ("http://%s", mgmt);

  /* ready once the management API answers */
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", srv->management);
      g_autofree char *url = g_strdup_printf ("%s/clear-txt", srv->management);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GBytes) answer = NULL;

      g_clear_object (&msg);
      msg = soup_message_new ("POST", url);
      body = g_bytes_new_static ("{\"host\":\"ready.test.\"}", 22);
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
      answer = soup_session_send_and_read (session, msg, NULL, NULL);
      if (answer != NULL && soup_message_get_status (msg) == 200)
        return srv;
      g_usleep (50 * 1000);
    }
  g_error ("pebble-challtestsrv did not start");
  return NULL;
}

static void
challtestsrv_stop (Challtestsrv *srv)
{
  kill (srv->pid, SIGTERM);
  waitpid (srv->pid, NULL, 0);
  g_spawn_close_pid (srv->pid);
  g_free (srv->dns);
  g_free (srv->management);
  g_free (srv);
}

static void
test_ca_error_reaches_user (Fixture       *fx,
                            gconstpointer  data)
{
  Challtestsrv *other = challtestsrv_start ();
  g_autofree char *hook = write_hook (fx, other->management);
  g_autofree char *config = NULL;
  g_autofree char *calls = NULL;
  GCertRenewResult *result;

  config = hook_config (fx, other->dns, "20s", hook, "refused", "refused.test");
  result = renew (fx, config);
  challtestsrv_stop (other);

  g_assert_false (result->success);
  g_assert_nonnull (result->error);
  /* the CA's own words, prefixed with the name they are about */
  g_assert_error (result->error, GCERT_ACME_ERROR, GCERT_ACME_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (result->error->message, "refused.test: "));
  g_assert_nonnull (strstr (result->error->message, "TXT"));

  /* the record was removed again, and nothing is live */
  calls = read_calls (fx);
  g_assert_cmpuint (count_lines_with (calls, "present _acme-challenge.refused.test."), ==, 1);
  g_assert_cmpuint (count_lines_with (calls, "cleanup _acme-challenge.refused.test."), ==, 1);
  {
    g_autofree char *live = g_build_filename (fx->state, "live", "refused", NULL);

    g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
  }
}

static void
test_cancel_cleans_up (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *hook = NULL;
  g_autofree char *config = NULL;
  g_autofree char *calls = NULL;
  GCertRenewResult *result;

  /* the hook logs but never publishes: the run waits for propagation, and
   * we cancel it there */
  hook = write_hook (fx, NULL);
  fx->cancel_on = g_strdup ("waiting for TXT record");
  config = hook_config (fx, pebble->dns_server, "60s", hook, "cancelled", "cancelled.test;*.cancelled.test");
  result = renew (fx, config);

  g_assert_false (result->success);
  g_assert_error (result->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  calls = read_calls (fx);
  /* two values at one name (apex and wildcard), both removed */
  g_assert_cmpuint (count_lines_with (calls, "present _acme-challenge.cancelled.test."), ==, 2);
  g_assert_cmpuint (count_lines_with (calls, "cleanup _acme-challenge.cancelled.test."), ==, 2);
}

static void
test_propagation_timeout (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *hook = write_hook (fx, NULL);
  g_autofree char *config = NULL;
  g_autofree char *calls = NULL;
  GCertRenewResult *result;

  config = hook_config (fx, pebble->dns_server, "2s", hook, "late", "late.test");
  result = renew (fx, config);

  g_assert_false (result->success);
  g_assert_error (result->error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  /* names the domain, the record and the server that lacks it */
  g_assert_nonnull (strstr (result->error->message, "late.test"));
  g_assert_nonnull (strstr (result->error->message, pebble->dns_server));
  calls = read_calls (fx);
  g_assert_cmpuint (count_lines_with (calls, "cleanup _acme-challenge.late.test."), ==, 1);
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle) != NULL;
}

/* Runs the main context (the proxy lives there) until @done or a bound. */
static void
iterate_until (gboolean (*done) (gpointer),
               gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  while (!done (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
download_hangs (gpointer data)
{
  return gcert_test_proxy_get_fault_count (data) >= 1;
}

/* A run killed right after finalize: the next run finds the pending order
 * and downloads its certificate instead of ordering anew. The proxy holds
 * the download of the certificate, so the kill lands after the CA has
 * accepted the finalize and before the run could finish. */
static void
test_resume_after_kill (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *text = gcert_test_pebble_config (pebble, fx->state,
                                                    "\n[certificate resumed]\n"
                                                    "domains = resumed.test;*.resumed.test\n"
                                                    "dns = test\n");
  g_autofree char *config = NULL;
  g_autofree char *conf_path = g_build_filename (fx->dir, "gcert.conf", NULL);
  g_autofree char *err_path = g_build_filename (fx->dir, "stderr.log", NULL);
  g_autofree char *pending = g_build_filename (fx->state, "certificates", "resumed",
                                               "pending.json", NULL);
  const char * const args[] = { "--config", conf_path, "renew", "--force", NULL };
  g_autoptr(GCertTestProxy) proxy = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = NULL;
  GCertRenewResult *result;

  proxy = gcert_test_proxy_new (pebble, &error);
  g_assert_no_error (error);
  parts = g_strsplit (text, pebble->directory_url, -1);
  config = g_strjoinv (gcert_test_proxy_get_directory_url (proxy), parts);
  gcert_test_write_file (conf_path, config, 0644);
  gcert_test_proxy_add_fault (proxy, "POST", "/certZ/", GCERT_TEST_FAULT_HANG, 1);

  proc = gcert_test_spawn_gcertctl (NULL, NULL, err_path, args);
  iterate_until (download_hangs, proxy);
  g_assert_true (file_contains (err_path, "finalizing the order"));
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (pending, G_FILE_TEST_EXISTS));

  result = renew (fx, config);
  g_assert_no_error (result->error);
  g_assert_true (result->success);
  g_assert_nonnull (strstr (fx->progress->str, "resuming the order"));
  g_assert_null (strstr (fx->progress->str, "ordering a certificate"));
  g_assert_false (g_file_test (pending, G_FILE_TEST_EXISTS));
}

static char *
account_dir (Fixture *fx)
{
  g_autofree char *accounts = g_build_filename (fx->state, "accounts", NULL);
  g_autoptr(GDir) dir = g_dir_open (accounts, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  name = g_dir_read_name (dir);
  g_assert_nonnull (name);
  return g_build_filename (accounts, name, NULL);
}

static char *
account_url (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "account.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  return g_strdup (json_object_get_string_member (object, "url"));
}

/* The key is the account: with account.json gone, the CA is asked for the
 * account of that key (onlyReturnExisting) and no new account is made. */
static void
test_account_found_by_key (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *config = gcert_test_pebble_config (pebble, fx->state,
                                                      "\n[certificate acct]\n"
                                                      "domains = acct.test\n"
                                                      "dns = test\n");
  g_autofree char *dir = NULL;
  g_autofree char *json = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *url_before = NULL;
  g_autofree char *url_after = NULL;

  g_assert_true (renew (fx, config)->success);
  g_assert_nonnull (strstr (fx->progress->str, "creating an account key"));
  dir = account_dir (fx);
  key_path = g_build_filename (dir, "account.key", NULL);
  json = g_build_filename (dir, "account.json", NULL);
  url_before = account_url (dir);
  g_assert_true (g_file_get_contents (key_path, &key_before, NULL, NULL));
  g_assert_cmpint (g_unlink (json), ==, 0);

  g_string_truncate (fx->progress, 0);
  g_assert_true (renew (fx, config)->success);
  g_assert_null (strstr (fx->progress->str, "creating an account key"));
  url_after = account_url (dir);
  g_assert_cmpstr (url_before, ==, url_after);
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (key_before, ==, key_after);
}

/* An account key others can read is refused, and never replaced. */
static void
test_account_key_exposed (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *config = gcert_test_pebble_config (pebble, fx->state,
                                                      "\n[certificate exposed]\n"
                                                      "domains = exposed.test\n"
                                                      "dns = test\n");
  g_autofree char *dir = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  GCertRenewResult *result;

  g_assert_true (renew (fx, config)->success);
  dir = account_dir (fx);
  key_path = g_build_filename (dir, "account.key", NULL);
  g_assert_true (g_file_get_contents (key_path, &key_before, NULL, NULL));
  g_assert_cmpint (g_chmod (key_path, 0644), ==, 0);

  result = renew (fx, config);
  g_assert_false (result->success);
  g_assert_error (result->error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (result->error->message, "chmod 600"));
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (key_before, ==, key_after);
}

/* A run killed while its TXT records exist: the next run removes them
 * before it creates its own. */
static gboolean
stderr_says_waiting (gpointer data)
{
  return file_contains (data, "waiting for TXT record");
}

static void
test_records_of_killed_run (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *silent = write_hook (fx, NULL);
  g_autofree char *working = NULL;
  g_autofree char *conf_path = g_build_filename (fx->dir, "gcert.conf", NULL);
  g_autofree char *err_path = g_build_filename (fx->dir, "stderr.log", NULL);
  g_autofree char *journal = g_build_filename (fx->state, "certificates", "killed",
                                               "records.json", NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *stale_value = NULL;
  g_autofree char *expected = NULL;
  const char * const args[] = { "--config", conf_path, "renew", NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  GCertRenewResult *result;

  /* the first run's hook never publishes: it waits for propagation */
  first = hook_config (fx, pebble->dns_server, "60s", silent, "killed", "killed.test");
  gcert_test_write_file (conf_path, first, 0644);
  proc = gcert_test_spawn_gcertctl (NULL, NULL, err_path, args);
  iterate_until (stderr_says_waiting, err_path);
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));

  calls = read_calls (fx);
  words = g_strsplit_set (calls, " \n", -1);
  g_assert_cmpstr (words[0], ==, "present");
  stale_value = g_strdup (words[2]);

  /* the next run (a hook that publishes) takes the old value out first */
  working = write_hook (fx, pebble->challtestsrv_url);
  second = hook_config (fx, pebble->dns_server, "20s", working, "killed", "killed.test");
  result = renew (fx, second);
  g_assert_no_error (result->error);
  g_assert_true (result->success);
  g_assert_nonnull (strstr (fx->progress->str, "left by an interrupted run"));

  g_free (calls);
  calls = read_calls (fx);
  expected = g_strdup_printf ("cleanup _acme-challenge.killed.test. %s\n", stale_value);
  g_assert_nonnull (strstr (calls, expected));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  pebble = gcert_test_start_pebble (NULL, NULL);

  g_test_add ("/gcert/manager/ca-error-reaches-user", Fixture, NULL, fixture_setup,
              test_ca_error_reaches_user, fixture_teardown);
  g_test_add ("/gcert/manager/cancel-cleans-up", Fixture, NULL, fixture_setup,
              test_cancel_cleans_up, fixture_teardown);
  g_test_add ("/gcert/manager/propagation-timeout", Fixture, NULL, fixture_setup,
              test_propagation_timeout, fixture_teardown);
  g_test_add ("/gcert/manager/resume-after-kill", Fixture, NULL, fixture_setup,
              test_resume_after_kill, fixture_teardown);

  g_test_add ("/gcert/manager/account-found-by-key", Fixture, NULL, fixture_setup,
              test_account_found_by_key, fixture_teardown);
  g_test_add ("/gcert/manager/account-key-exposed", Fixture, NULL, fixture_setup,
              test_account_key_exposed, fixture_teardown);

  g_test_add ("/gcert/manager/records-of-killed-run", Fixture, NULL, fixture_setup,
              test_records_of_killed_run, fixture_teardown);

  status = g_test_run ();
  gcert_test_pebble_stop (pebble);
  return status;
}
