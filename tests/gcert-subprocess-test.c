/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert.h"
#include "gcert-test-util.h"

/* Running programs (gcert-subprocess) and the settings getters the plugins
 * share (URLs, programs, command lines, durations in a range). */

typedef struct {
  int     status;
  char   *tail;
  GError *error;
} RunResult;

static void
run_result_clear (RunResult *r)
{
  g_free (r->tail);
  g_clear_error (&r->error);
}

static void
run (const char * const  *argv,
     const char * const  *env,
     const char          *input,
     gint64               timeout,
     GCertSubprocessFlags flags,
     GCancellable        *cancellable,
     RunResult           *out)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = input != NULL ? g_bytes_new (input, strlen (input)) : NULL;

  memset (out, 0, sizeof *out);
  out->status = -1;
  gcert_subprocess_run_async (argv, env, bytes, timeout, flags, cancellable,
                              gcert_test_result_cb, &result);
  if (gcert_subprocess_run_finish (gcert_test_wait_for (&result), &out->status, &out->tail,
                                   &out->error))
    g_assert_no_error (out->error);
  else
    g_assert_nonnull (out->error);
}

static void
test_run_success_and_input (void)
{
  const char *argv[] = { "/bin/sh", "-c", "read line; test \"$line\" = hello && "
                         "test \"$GCERT_X\" = 42 && echo fine >&2", NULL };
  const char *env[] = { "GCERT_X=42", NULL };
  RunResult r;

  run (argv, env, "hello\n", 10, GCERT_SUBPROCESS_FLAGS_NONE, NULL, &r);
  g_assert_no_error (r.error);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.tail, ==, "fine");
  run_result_clear (&r);
}

static void
test_run_failures (void)
{
  RunResult r;

  {
    const char *argv[] = { "/bin/sh", "-c", "echo first >&2; echo second >&2; exit 3", NULL };

    run (argv, NULL, NULL, 10, GCERT_SUBPROCESS_FLAGS_NONE, NULL, &r);
    g_assert_error (r.error, GCERT_ERROR, GCERT_ERROR_FAILED);
    g_assert_cmpstr (r.error->message, ==, "exit 3: first; second");
    run_result_clear (&r);

    /* the caller wants the status itself */
    run (argv, NULL, NULL, 10, GCERT_SUBPROCESS_FLAGS_EXIT_STATUS, NULL, &r);
    g_assert_no_error (r.error);
    g_assert_cmpint (r.status, ==, 3);
    run_result_clear (&r);
  }
  {
    const char *argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };

    run (argv, NULL, NULL, 10, GCERT_SUBPROCESS_FLAGS_NONE, NULL, &r);
    g_assert_error (r.error, GCERT_ERROR, GCERT_ERROR_FAILED);
    g_assert_true (g_str_has_prefix (r.error->message, "killed by signal 15"));
    run_result_clear (&r);
  }
  {
    const char *argv[] = { "/nonexistent/program", NULL };

    run (argv, NULL, NULL, 10, GCERT_SUBPROCESS_FLAGS_NONE, NULL, &r);
    g_assert_error (r.error, GCERT_ERROR, GCERT_ERROR_FAILED);
    g_assert_nonnull (strstr (r.error->message, "/nonexistent/program"));
    run_result_clear (&r);
  }
}

/* a timeout kills the whole group, also what the program started */
static void
test_run_timeout (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-subprocess-test");
  g_autofree char *marker = g_build_filename (dir, "late", NULL);
  g_autofree char *script = g_strdup_printf ("(sleep 3; touch '%s') & echo started >&2; "
                                             "sleep 30", marker);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  gint64 started = g_get_monotonic_time ();
  RunResult r;

  run (argv, NULL, NULL, 1, GCERT_SUBPROCESS_FLAGS_NONE, NULL, &r);
  g_assert_error (r.error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_cmpstr (r.error->message, ==, "killed after its timeout of 1 s: started");
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
  run_result_clear (&r);

  g_usleep (3500 * 1000);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  gcert_test_rm_rf (dir);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_run_cancel (void)
{
  const char *argv[] = { "/bin/sleep", "30", NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 started = g_get_monotonic_time ();
  RunResult r;

  g_timeout_add (200, cancel_cb, cancellable);
  run (argv, NULL, NULL, 60, GCERT_SUBPROCESS_FLAGS_NONE, cancellable, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
  run_result_clear (&r);
}

static void
test_format (void)
{
  g_autoptr(GBytes) plain = g_bytes_new_static ("one\n\ntwo\x01three\n", 15);
  g_autoptr(GBytes) cut = g_bytes_new_static ("rest of a line\nwhole line\n", 26);
  g_autoptr(GBytes) empty = g_bytes_new_static ("\n \n", 3);
  g_autofree char *a = gcert_subprocess_format_tail (plain, FALSE);
  g_autofree char *b = gcert_subprocess_format_tail (cut, TRUE);
  g_autofree char *c = gcert_subprocess_format_tail (empty, FALSE);
  g_autofree char *d = gcert_subprocess_describe_end (0, 0, 2, "oops");
  g_autofree char *e = gcert_subprocess_describe_end (60, 9, 0, NULL);
  const char *argv[] = { "/usr/bin/prog", "a b", "it's", NULL };
  g_autofree char *f = gcert_subprocess_describe_argv (argv);

  g_assert_cmpstr (a, ==, "one; two three");
  g_assert_cmpstr (b, ==, "…whole line");
  g_assert_null (c);
  g_assert_cmpstr (d, ==, "exit 2: oops");
  g_assert_cmpstr (e, ==, "killed after its timeout of 60 s");
  g_assert_nonnull (strstr (f, "/usr/bin/prog"));
  g_assert_nonnull (strstr (f, "'a b'"));
}

/* --- settings getters shared by plugins ---------------------------------- */

static GCertSettings *
settings_for (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = gcert_config_load_from_data (text, "/etc/gcert/gcert.conf",
                                                                &error);

  g_assert_no_error (error);
  return gcert_config_get_dns_settings (config, "t");
}

static void
test_settings_url (void)
{
  const struct {
    const char           *value;
    GCertSettingsUrlFlags flags;
    const char           *expected;   /* NULL: an error containing @detail */
    const char           *detail;
  } cases[] = {
    { "https://api.example.com/v4///", GCERT_SETTINGS_URL_FLAGS_NONE,
      "https://api.example.com/v4", NULL },
    { "http://127.0.0.1:8081", GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK,
      "http://127.0.0.1:8081", NULL },
    { "http://localhost:8081/", GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK,
      "http://localhost:8081", NULL },
    { "http://api.example.com", GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK, NULL,
      "https" },
    { "ftp://api.example.com", GCERT_SETTINGS_URL_FLAGS_NONE, NULL, "ftp://api.example.com" },
    { "https://user:pw@api.example.com", GCERT_SETTINGS_URL_FLAGS_NONE, NULL, "user" },
    { "https://api.example.com/?q=1", GCERT_SETTINGS_URL_FLAGS_NONE, NULL, "query" },
    { "not a url", GCERT_SETTINGS_URL_FLAGS_NONE, NULL, "not a url" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("[dns t]\nplugin = x\nurl = %s\n", cases[i].value);
      g_autoptr(GCertSettings) settings = settings_for (text);
      g_autoptr(GError) error = NULL;
      g_autofree char *url = gcert_settings_get_url (settings, "url", TRUE, cases[i].flags,
                                                     &error);

      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (url, ==, cases[i].expected);
          continue;
        }
      g_assert_null (url);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, "/etc/gcert/gcert.conf:3: [dns t] url"));
      g_assert_nonnull (strstr (error->message, cases[i].detail));
    }

  g_assert_true (gcert_settings_url_is_loopback ("http://[::1]:80"));
  g_assert_false (gcert_settings_url_is_loopback ("http://example.com"));
}

static void
test_settings_program_and_range (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-settings-test");
  g_autofree char *plain = g_build_filename (dir, "plain", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *good = NULL;
  g_auto(GStrv) command = NULL;
  g_autofree char *optional = NULL;
  gint64 seconds = 0;

  g_assert_true (g_file_set_contents_full (plain, "data\n", -1, G_FILE_SET_CONTENTS_NONE, 0644,
                                           &error));
  text = g_strdup_printf ("[dns t]\nplugin = x\ngood = /bin/true\nmissing = /nonexistent/x\n"
                          "notexec = %s\ncommand = /bin/echo 'a b' c\n"
                          "badcommand = /bin/echo 'open\nttl = 30s\nbig = 2h\n", plain);
  settings = settings_for (text);
  good = gcert_settings_get_program (settings, "good", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (good, ==, "/bin/true");
  g_assert_null (gcert_settings_get_program (settings, "missing", TRUE, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "[dns t] missing"));
  g_clear_error (&error);
  g_assert_null (gcert_settings_get_program (settings, "notexec", TRUE, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_clear_error (&error);

  command = gcert_settings_get_command (settings, "command", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (command), ==, 3);
  g_assert_cmpstr (command[1], ==, "a b");
  g_assert_null (gcert_settings_get_command (settings, "badcommand", TRUE, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_clear_error (&error);

  g_assert_true (gcert_settings_get_duration_in_range (settings, "ttl", 60, 1, 3600, &seconds,
                                                       &error));
  g_assert_cmpint (seconds, ==, 30);
  g_assert_true (gcert_settings_get_duration_in_range (settings, "unset", 60, 1, 3600, &seconds,
                                                       &error));
  g_assert_cmpint (seconds, ==, 60);
  g_assert_false (gcert_settings_get_duration_in_range (settings, "big", 60, 1, 3600, &seconds,
                                                        &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "[dns t] big"));
  g_clear_error (&error);

  g_assert_true (gcert_settings_get_optional_string (settings, "nothere", &optional, &error));
  g_assert_null (optional);
  g_assert_true (gcert_settings_get_optional_string (settings, "ttl", &optional, &error));
  g_assert_cmpstr (optional, ==, "30s");
  gcert_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/program/success-and-input", test_run_success_and_input);
  g_test_add_func ("/gcert/program/failures", test_run_failures);
  g_test_add_func ("/gcert/program/timeout", test_run_timeout);
  g_test_add_func ("/gcert/program/cancel", test_run_cancel);
  g_test_add_func ("/gcert/program/format", test_format);
  g_test_add_func ("/gcert/settings/url", test_settings_url);
  g_test_add_func ("/gcert/settings/program-and-range", test_settings_program_and_range);

  return g_test_run ();
}
