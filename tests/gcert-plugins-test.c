/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* The plugin loader and the exec and challtestsrv DNS plugins, loaded from
 * the build tree (GCERT_PLUGIN_DIR). */

typedef struct {
  char            *dir;
  char            *config_path;
  GCertTestPebble *pebble;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  fixture->dir = gcert_test_mkdtemp ("gcert-plugins-test");
  fixture->config_path = g_build_filename (fixture->dir, "gcert.conf", NULL);
}

static void
fixture_setup_pebble (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;

  fixture_setup (fixture, user_data);
  fixture->pebble = gcert_test_pebble_start (&options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->pebble);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_pointer (&fixture->pebble, gcert_test_pebble_stop);
  gcert_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
}

/* Asserts a GCERT_ERROR_CONFIG naming "FILE:LINE: [dns test] KEY" and
 * containing @detail. */
static void
assert_bad_config (Fixture    *fixture,
                   const char *text,
                   guint       line,
                   const char *key,
                   const char *detail)
{
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (fixture->config_path, text, "dns test",
                                        GCERT_ERROR_CONFIG, line, key, detail);
}

/* Loader */

static void
test_loader_list (void)
{
  g_auto(GStrv) names = gcert_plugins_list_dns ();
  g_auto(GStrv) deployers = gcert_plugins_list_deployers ();
  const char *dns_expected[] = { "challtestsrv", "cloudflare", "exec", "manual", "powerdns",
                                 "rfc2136", NULL };
  const char *deploy_expected[] = { "exec", "local", "ssh", "systemd", NULL };

  /* every plugin built, each on its own extension point, sorted */
  g_assert_cmpstrv (names, dns_expected);
  g_assert_cmpstrv (deployers, deploy_expected);
}

static void
test_loader_unknown (Fixture       *fixture,
                     gconstpointer  user_data)
{
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = nosuch\n",
                     2, "plugin", "nosuch");
  assert_bad_config (fixture,
                     "# a comment\n"
                     "[dns test]\n"
                     "\n"
                     "plugin = cloudflair\n",
                     4, "plugin", "available: challtestsrv, cloudflare, exec, manual, "
                     "powerdns, rfc2136");
  /* a deployer is no DNS plugin */
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = ssh\n",
                     2, "plugin", "unknown DNS plugin");
}

static void
test_loader_types (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *script = gcert_test_write_script (fixture->dir, "hook", "exit 0\n", 0700);

  provider = gcert_test_load_dns_provider (fixture->config_path,
                                           "[dns test]\nplugin = exec\nprogram = hook\n", "test",
                                           &error);
  g_assert_no_error (error);
  g_assert_true (GCERT_IS_DNS_PROVIDER (provider));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertExecProvider");
  g_clear_object (&provider);

  provider = gcert_test_load_dns_provider (fixture->config_path,
                                           "[dns test]\nplugin = challtestsrv\n"
                                           "url = http://127.0.0.1:9/\n", "test", &error);
  g_assert_no_error (error);
  g_assert_true (GCERT_IS_DNS_PROVIDER (provider));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertChalltestsrvProvider");
}

/* exec */

static void
test_exec_bad_keys (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *hook = gcert_test_write_script (fixture->dir, "hook", "exit 0\n", 0700);
  g_autofree char *plain = gcert_test_write_script (fixture->dir, "plain", "exit 0\n", 0600);
  g_autofree char *subdir = g_build_filename (fixture->dir, "subdir", NULL);

  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);

  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = hook\n"
                     "colour = red\n",
                     4, "colour", NULL);
  /* a missing key is reported at the group */
  assert_bad_config (fixture,
                     "\n"
                     "[dns test]\n"
                     "plugin = exec\n",
                     2, "program", NULL);
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = missing-hook\n",
                     3, "program", "does not exist");
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = plain\n",
                     3, "program", "not executable");
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = subdir\n",
                     3, "program", "not a regular file");
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = hook\n"
                     "timeout = soon\n",
                     4, "timeout", NULL);
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = exec\n"
                     "program = hook\n"
                     "timeout = 0\n",
                     4, "timeout", NULL);
}

static void
test_exec_run (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *log = g_build_filename (fixture->dir, "log", NULL);
  g_autofree char *hook = NULL;
  g_autofree char *config = NULL;
  g_autofree char *contents = NULL;
  const char *expected =
    "present|_acme-challenge.example.com.|v-1 with space;$(no shell)\n"
    "present|_acme-challenge.example.com.|v-2\n"
    "cleanup|_acme-challenge.example.com.|v-1 with space;$(no shell)\n";

  /* the arguments one per field; stdin is not a terminal */
  hook = gcert_test_write_script (fixture->dir, "bin-hook",
                                  "test -t 0 && exit 9\n"
                                  "printf '%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" >> \"$(dirname \"$0\")/log\"\n"
                                  "echo noise on stdout\n",
                                  0700);
  /* an absolute path works as well as one relative to the config */
  config = g_strdup_printf ("[dns test]\nplugin = exec\nprogram = %s\ntimeout = 10s\n", hook);
  provider = gcert_test_load_dns_provider (fixture->config_path, config, "test", &error);
  g_assert_no_error (error);

  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.example.com.",
                                           "v-1 with space;$(no shell)", NULL, &error));
  g_assert_no_error (error);
  /* the trailing dot is added when missing */
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.example.com", "v-2", NULL,
                                           &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_remove_record (provider, "_acme-challenge.example.com.",
                                           "v-1 with space;$(no shell)", NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (log, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_exec_failure (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *hook = NULL;

  hook = gcert_test_write_script (fixture->dir, "hook",
                                  "if [ \"$1\" = present ]; then\n"
                                  "  echo 'starting' >&2\n"
                                  "  echo 'the DNS API said: zone not found' >&2\n"
                                  "  exit 3\n"
                                  "fi\n"
                                  /* a flood of output: only its end is kept */
                                  "i=0\n"
                                  "while [ $i -lt 20000 ]; do echo \"line $i of noise\" >&2; i=$((i+1)); done\n"
                                  "echo 'the very last line' >&2\n"
                                  "kill -TERM $$\n",
                                  0700);
  provider = gcert_test_load_dns_provider (fixture->config_path,
                                           "[dns test]\nplugin = exec\nprogram = hook\n", "test",
                                           &error);
  g_assert_no_error (error);

  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.com.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "exit status 3"));
  g_assert_nonnull (strstr (error->message, "the DNS API said: zone not found"));
  g_assert_nonnull (strstr (error->message, "starting"));
  g_assert_nonnull (strstr (error->message, hook));
  g_assert_nonnull (strstr (error->message, "present _acme-challenge.example.com."));
  g_clear_error (&error);

  g_assert_false (gcert_test_remove_record (provider, "_acme-challenge.example.com.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "signal 15"));
  g_assert_nonnull (strstr (error->message, "the very last line"));
  g_assert_null (strstr (error->message, "line 100 of noise"));
  g_assert_cmpuint (strlen (error->message), <, 2048);
}

static void
test_exec_timeout (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *hook = NULL;
  g_autofree char *pid_file = g_build_filename (fixture->dir, "child.pid", NULL);
  gint64 started;
  gint64 elapsed;

  /* hangs, with a child of its own that holds stderr open */
  hook = gcert_test_write_script (fixture->dir, "hook",
                                  "echo 'hanging now' >&2\n"
                                  "sleep 300 &\n"
                                  "echo $! > \"$(dirname \"$0\")/child.pid\"\n"
                                  "wait\n",
                                  0700);
  provider = gcert_test_load_dns_provider (fixture->config_path,
                                           "[dns test]\nplugin = exec\nprogram = hook\n"
                                           "timeout = 1s\n", "test", &error);
  g_assert_no_error (error);

  started = g_get_monotonic_time ();
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.com.", "v", NULL,
                                            &error));
  elapsed = g_get_monotonic_time () - started;
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "hanging now"));
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);

  /* what it started was killed with it */
  gcert_test_assert_process_gone (pid_file);
}

static void
test_exec_cancel (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *hook = gcert_test_write_script (fixture->dir, "hook", "exec sleep 300\n", 0700);
  gint64 started;

  provider = gcert_test_load_dns_provider (fixture->config_path,
                                           "[dns test]\nplugin = exec\nprogram = hook\n", "test",
                                           &error);
  g_assert_no_error (error);

  gcert_test_cancel_after (cancellable, 300);
  started = g_get_monotonic_time ();
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.com.", "v",
                                            cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
}

/* challtestsrv */

static void
test_challtestsrv_bad_keys (Fixture       *fixture,
                            gconstpointer  user_data)
{
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = challtestsrv\n",
                     1, "url", NULL);
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = challtestsrv\n"
                     "url = ftp://127.0.0.1:8055\n",
                     3, "url", "ftp://127.0.0.1:8055");
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = challtestsrv\n"
                     "url = not a url\n",
                     3, "url", NULL);
  assert_bad_config (fixture,
                     "[dns test]\n"
                     "plugin = challtestsrv\n"
                     "url = http://127.0.0.1:8055\n"
                     "program = /bin/true\n",
                     4, "program", NULL);
}

static GCertDnsProvider *
challtestsrv_provider (Fixture    *fixture,
                       const char *url)
{
  g_autofree char *config = NULL;

  config = g_strdup_printf ("[dns test]\nplugin = challtestsrv\nurl = %s\n",
                            url != NULL ? url : fixture->pebble->challtestsrv_url);
  return gcert_test_load_dns_provider_ok (fixture->config_path, config, "test");
}

/* The values challtestsrv's DNS serves at @fqdn, sorted and joined by ','. */
static char *
served (Fixture    *fixture,
        const char *fqdn)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = gcert_test_query_txt (fixture->pebble->dns_server, fqdn, &error);

  g_assert_no_error (error);
  g_assert_nonnull (values);
  gcert_test_sort_strv (values);
  return g_strjoinv (",", values);
}

static void
test_challtestsrv_create_remove (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *url = g_strconcat (fixture->pebble->challtestsrv_url, "/", NULL);
  g_autofree char *values = NULL;

  /* a trailing slash in the URL is fine */
  provider = challtestsrv_provider (fixture, url);

  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.one.example.", "token-1",
                                           NULL, &error));
  g_assert_no_error (error);
  values = served (fixture, "_acme-challenge.one.example.");
  g_assert_cmpstr (values, ==, "token-1");
  g_clear_pointer (&values, g_free);

  g_assert_true (gcert_test_remove_record (provider, "_acme-challenge.one.example.", "token-1",
                                           NULL, &error));
  g_assert_no_error (error);
  values = served (fixture, "_acme-challenge.one.example.");
  g_assert_cmpstr (values, ==, "");
}

static void
test_challtestsrv_apex_wildcard (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = challtestsrv_provider (fixture, NULL);
  g_autoptr(GAsyncResult) result1 = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autofree char *values = NULL;
  const char *name = "_acme-challenge.two.example.";

  g_assert_true (gcert_test_create_record (provider, name, "apex", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_create_record (provider, name, "wildcard", NULL, &error));
  g_assert_no_error (error);
  /* another name is not touched by what happens at this one */
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.other.example.", "x", NULL,
                                           &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "apex,wildcard");
  g_clear_pointer (&values, g_free);

  g_assert_true (gcert_test_remove_record (provider, name, "apex", NULL, &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "wildcard");
  g_clear_pointer (&values, g_free);

  g_assert_true (gcert_test_remove_record (provider, name, "wildcard", NULL, &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "");
  g_clear_pointer (&values, g_free);

  /* both at once, as two authorizations do it: still each exactly once */
  gcert_dns_provider_create_record_async (provider, name, "a2", NULL, gcert_test_result_cb, &result1);
  gcert_dns_provider_create_record_async (provider, name, "w2", NULL, gcert_test_result_cb, &result2);
  g_assert_true (gcert_dns_provider_create_record_finish (provider, gcert_test_wait_for (&result1), &error));
  g_assert_true (gcert_dns_provider_create_record_finish (provider, gcert_test_wait_for (&result2), &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "a2,w2");
  g_clear_pointer (&values, g_free);
  g_clear_object (&result1);
  g_clear_object (&result2);

  gcert_dns_provider_remove_record_async (provider, name, "a2", NULL, gcert_test_result_cb, &result1);
  gcert_dns_provider_create_record_async (provider, name, "a3", NULL, gcert_test_result_cb, &result2);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, gcert_test_wait_for (&result1), &error));
  g_assert_true (gcert_dns_provider_create_record_finish (provider, gcert_test_wait_for (&result2), &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "a3,w2");
  g_clear_pointer (&values, g_free);
  g_clear_object (&result1);
  g_clear_object (&result2);

  gcert_dns_provider_remove_record_async (provider, name, "a3", NULL, gcert_test_result_cb, &result1);
  gcert_dns_provider_remove_record_async (provider, name, "w2", NULL, gcert_test_result_cb, &result2);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, gcert_test_wait_for (&result1), &error));
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, gcert_test_wait_for (&result2), &error));
  g_assert_no_error (error);
  values = served (fixture, name);
  g_assert_cmpstr (values, ==, "");
  g_clear_pointer (&values, g_free);

  values = served (fixture, "_acme-challenge.other.example.");
  g_assert_cmpstr (values, ==, "x");
}

static void
test_challtestsrv_errors (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *wrong_path = g_strconcat (fixture->pebble->challtestsrv_url, "/nope", NULL);
  g_autofree char *dead_url = g_strdup_printf ("http://127.0.0.1:%u",
                                               gcert_test_find_free_port (FALSE));

  /* the server answers, but not the API */
  provider = challtestsrv_provider (fixture, wrong_path);
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.one.example.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "404"));
  g_assert_nonnull (strstr (error->message, "/nope/set-txt"));
  g_assert_nonnull (strstr (error->message, "_acme-challenge.one.example."));
  g_clear_error (&error);
  g_assert_false (gcert_test_remove_record (provider, "_acme-challenge.one.example.", "v", NULL,
                                            &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "404"));
  g_clear_error (&error);
  g_clear_object (&provider);

  /* nobody listens */
  provider = challtestsrv_provider (fixture, dead_url);
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.one.example.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, dead_url));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_PEBBLE(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup_pebble, func, fixture_teardown)

  g_test_add_func ("/gcert/plugins/loader/list", test_loader_list);
  ADD ("/gcert/plugins/loader/unknown", test_loader_unknown);
  ADD ("/gcert/plugins/loader/types", test_loader_types);
  ADD ("/gcert/plugins/exec/bad-keys", test_exec_bad_keys);
  ADD ("/gcert/plugins/exec/run", test_exec_run);
  ADD ("/gcert/plugins/exec/failure", test_exec_failure);
  ADD ("/gcert/plugins/exec/timeout", test_exec_timeout);
  ADD ("/gcert/plugins/exec/cancel", test_exec_cancel);
  ADD ("/gcert/plugins/challtestsrv/bad-keys", test_challtestsrv_bad_keys);
  ADD_PEBBLE ("/gcert/plugins/challtestsrv/create-remove", test_challtestsrv_create_remove);
  ADD_PEBBLE ("/gcert/plugins/challtestsrv/apex-wildcard", test_challtestsrv_apex_wildcard);
  ADD_PEBBLE ("/gcert/plugins/challtestsrv/errors", test_challtestsrv_errors);

#undef ADD
#undef ADD_PEBBLE

  return g_test_run ();
}
