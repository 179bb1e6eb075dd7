/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manual DNS plugin on a pseudo-terminal where the test plays the
 * administrator, and gcertctl with it against Pebble. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

#define APEX_VALUE     "Xq3pL0cY1n5bW8sVfTzK2mJhR6dA9eGuQ4iN7oHwE1k"
#define WILDCARD_VALUE "b7Hs2KdP0wQm9rLx4VtE6yNc1JfG3aZuS8oRiW5eT0g"
#define OTHER_VALUE    "Mn4Rt8Yw2Qa6Ze0Xc5Vb9Nl3Kj7Hg1Fd6Sa2Pq8Wo4I"
#define NAME           "_acme-challenge.example.com."
#define APEX_RECORD     NAME " 60 IN TXT \"" APEX_VALUE "\""
#define WILDCARD_RECORD NAME " 60 IN TXT \"" WILDCARD_VALUE "\""

#define WAIT_SECONDS   30
/* how long a create must keep waiting without Enter */
#define SETTLE_MS      300

/* one Pebble for the gcertctl tests, started by the first of them */
static GCertTestPebble *pebble;
/* the messages the plugin logged */
static GString *plugin_log;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (g_strcmp0 (domain, "gcert-manual") == 0 && message != NULL)
    {
      g_string_append_printf (plugin_log, "%s\n", message);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

typedef struct {
  char    *dir;
  char    *config_path;
  int      master;
  /* kept open, so that the master never sees a hangup between prompts */
  int      slave;
  char    *tty;
  /* everything the master has read */
  GString *output;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  struct termios attrs;

  f->dir = gcert_test_mkdtemp ("gcert-manual-test");
  f->config_path = g_build_filename (f->dir, "gcert.conf", NULL);
  g_assert_cmpint (openpty (&f->master, &f->slave, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (fcntl (f->master, F_SETFD, FD_CLOEXEC), ==, 0);
  g_assert_cmpint (fcntl (f->slave, F_SETFD, FD_CLOEXEC), ==, 0);
  g_assert_cmpint (fcntl (f->master, F_SETFL, O_NONBLOCK), ==, 0);
  f->tty = g_strdup (ttyname (f->slave));
  g_assert_nonnull (f->tty);
  f->output = g_string_new (NULL);

  /* a terminal as a shell leaves it: lines, echo, Ctrl-D for the end */
  g_assert_cmpint (tcgetattr (f->slave, &attrs), ==, 0);
  g_assert_true (attrs.c_lflag & ICANON);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_close (f->master, NULL);
  g_close (f->slave, NULL);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
  g_free (f->tty);
  g_string_free (f->output, TRUE);
}

/* --- the terminal side -------------------------------------------------------- */

/* Reads what the plugin wrote so far. */
static void
pump (Fixture *f)
{
  char buffer[4096];

  for (;;)
    {
      gssize n = read (f->master, buffer, sizeof buffer);

      if (n > 0)
        {
          g_string_append_len (f->output, buffer, n);
          continue;
        }
      g_assert_cmpint (n, <, 0);
      g_assert_cmpint (errno, ==, EAGAIN);
      return;
    }
}

/* Runs the main loop and reads the terminal for a moment. */
static void
step (Fixture *f)
{
  struct pollfd pfd = { .fd = f->master, .events = POLLIN };

  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* EINTR: a child exiting (SIGCHLD) */
  if (poll (&pfd, 1, 10) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  pump (f);
}

/* Steps until @needle appears in the output after @from; returns the
 * offset just after it. */
static gsize
wait_output (Fixture    *f,
             gsize       from,
             const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  for (;;)
    {
      const char *found = strstr (f->output->str + from, needle);

      if (found != NULL)
        return (gsize) (found - f->output->str) + strlen (needle);
      if (g_get_monotonic_time () > deadline)
        {
          g_test_message ("terminal output:\n%s", f->output->str);
          g_error ("“%s” did not appear on the terminal", needle);
        }
      step (f);
    }
}

static void
settle (Fixture *f,
        guint    ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    step (f);
}

static GAsyncResult *
wait_result (Fixture       *f,
             GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  while (*slot == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the operation did not finish");
      step (f);
    }
  return *slot;
}

static void
type (Fixture    *f,
      const char *text)
{
  g_assert_cmpint (write (f->master, text, strlen (text)), ==, (gssize) strlen (text));
}

/* --- the provider ------------------------------------------------------------------ */

/* [dns test] with the manual plugin on @tty (the fixture's pty when NULL) */
static GCertDnsProvider *
load_provider (Fixture    *f,
               const char *tty,
               const char *extra)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf ("[dns test]\nplugin = manual\ntty = %s\n%s",
                          tty != NULL ? tty : f->tty, extra != NULL ? extra : "");
  return gcert_test_load_dns_provider_ok (f->config_path, text, "test");
}

static void
assert_bad_config (Fixture    *f,
                   const char *text,
                   guint       line,
                   const char *key)
{
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (f->config_path, text, "dns test", GCERT_ERROR_CONFIG,
                                        line, key, NULL);
}

static void
create_async (GCertDnsProvider  *provider,
              const char        *fqdn,
              const char        *value,
              GCancellable      *cancellable,
              GAsyncResult     **slot)
{
  gcert_dns_provider_create_record_async (provider, fqdn, value, cancellable,
                                          gcert_test_result_cb, slot);
}

static void
assert_created (Fixture           *f,
                GCertDnsProvider  *provider,
                GAsyncResult     **slot)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_dns_provider_create_record_finish (provider, wait_result (f, slot),
                                                          &error));
  g_assert_no_error (error);
  g_clear_object (slot);
}

static void
assert_cancelled (Fixture           *f,
                  GCertDnsProvider  *provider,
                  GAsyncResult     **slot)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (gcert_dns_provider_create_record_finish (provider, wait_result (f, slot),
                                                           &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (slot);
}

static void
test_bad_keys (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  assert_bad_config (f, "[dns test]\nplugin = manual\ncolour = red\n", 3, "colour");
  assert_bad_config (f, "[dns test]\nplugin = manual\nttl = soon\n", 3, "ttl");
  assert_bad_config (f, "[dns test]\nplugin = manual\nttl = 0\n", 3, "ttl");
  assert_bad_config (f, "[dns test]\nplugin = manual\n\nttl = 2d\n", 4, "ttl");

  /* setup never touches the terminal: a run that needs no record must not
   * fail for the want of one */
  provider = gcert_test_load_dns_provider (f->config_path, "[dns test]\nplugin = manual\n", "test",
                                           &error);
  g_assert_no_error (error);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertManualProvider");
  g_clear_object (&provider);
  provider = gcert_test_load_dns_provider (f->config_path,
                                           "[dns test]\nplugin = manual\ntty = /nonexistent/tty\n"
                                           "ttl = 1d\nzones = example.com\n",
                                           "test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (provider);
}

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  gsize end;

  create_async (provider, NAME, APEX_VALUE, NULL, &result);
  /* typed before the question: answers nothing */
  type (f, "\n");
  end = wait_output (f, 0, APEX_RECORD);
  gcert_test_assert_contains (f->output->str, "1 record");
  wait_output (f, end, "Press Enter");
  gcert_test_assert_not_contains (f->output->str, "same name");

  settle (f, SETTLE_MS);
  g_assert_null (result);

  type (f, "\n");
  assert_created (f, provider, &result);
}

static void
test_ttl_and_escaping (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, "ttl = 5m\n");
  g_autoptr(GAsyncResult) result = NULL;

  /* the name as a zone file wants it; nothing in the value reaches the
   * terminal as a control sequence */
  create_async (provider, "_ACME-Challenge.Example.COM", "a\"b\\c\033[2J", NULL, &result);
  wait_output (f, 0, "_acme-challenge.example.com. 300 IN TXT \"a\\\"b\\\\c\\027[2J\"");
  gcert_test_assert_not_contains (f->output->str, "\033");
  type (f, "\n");
  assert_created (f, provider, &result);
}

static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, NULL);
  g_autoptr(GAsyncResult) apex = NULL;
  g_autoptr(GAsyncResult) wildcard = NULL;
  g_autoptr(GAsyncResult) other = NULL;
  g_autofree char *head = NULL;
  gsize end, second;

  /* the apex and the wildcard of example.com, as the core starts them */
  create_async (provider, NAME, APEX_VALUE, NULL, &apex);
  create_async (provider, NAME, WILDCARD_VALUE, NULL, &wildcard);
  end = wait_output (f, 0, "Press Enter");
  gcert_test_assert_contains (f->output->str, "2 records");
  gcert_test_assert_contains (f->output->str, APEX_RECORD);
  gcert_test_assert_contains (f->output->str, WILDCARD_RECORD);
  gcert_test_assert_contains (f->output->str, "same name");

  /* one arriving while the prompt is open waits for its own */
  create_async (provider, "_acme-challenge.www.example.com.", OTHER_VALUE, NULL, &other);
  settle (f, SETTLE_MS);
  g_assert_null (apex);
  g_assert_null (wildcard);
  g_assert_null (other);
  gcert_test_assert_not_contains (f->output->str, OTHER_VALUE);

  type (f, "\n");
  assert_created (f, provider, &apex);
  assert_created (f, provider, &wildcard);

  second = wait_output (f, end, "_acme-challenge.www.example.com. 60 IN TXT \"" OTHER_VALUE "\"");
  head = g_strndup (f->output->str + end, second - end);
  gcert_test_assert_contains (head, "1 record");
  wait_output (f, second, "Press Enter");
  settle (f, SETTLE_MS);
  g_assert_null (other);
  type (f, "\n");
  assert_created (f, provider, &other);
}

static void
assert_same_attrs (const struct termios *a,
                   const struct termios *b)
{
  g_assert_cmpuint (a->c_iflag, ==, b->c_iflag);
  g_assert_cmpuint (a->c_oflag, ==, b->c_oflag);
  g_assert_cmpuint (a->c_cflag, ==, b->c_cflag);
  g_assert_cmpuint (a->c_lflag, ==, b->c_lflag);
  g_assert_cmpmem (a->c_cc, sizeof a->c_cc, b->c_cc, sizeof b->c_cc);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) apex_cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) waiting_cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) apex = NULL;
  g_autoptr(GAsyncResult) wildcard = NULL;
  g_autoptr(GAsyncResult) waiting = NULL;
  struct termios before, after;
  gsize end;

  g_assert_cmpint (tcgetattr (f->slave, &before), ==, 0);

  /* Ctrl-C while the prompt waits */
  create_async (provider, NAME, APEX_VALUE, cancellable, &apex);
  end = wait_output (f, 0, "Press Enter");
  g_cancellable_cancel (cancellable);
  assert_cancelled (f, provider, &apex);
  end = wait_output (f, end, "cancelled");
  g_assert_cmpint (tcgetattr (f->slave, &after), ==, 0);
  assert_same_attrs (&before, &after);

  /* cancelled before it starts: nothing is asked */
  create_async (provider, NAME, APEX_VALUE, cancellable, &apex);
  assert_cancelled (f, provider, &apex);
  settle (f, SETTLE_MS);
  gcert_test_assert_not_contains (f->output->str + end, APEX_VALUE);

  /* one of two in a prompt: the other still waits for Enter; one not
   * shown yet is never shown */
  create_async (provider, NAME, APEX_VALUE, apex_cancellable, &apex);
  create_async (provider, NAME, WILDCARD_VALUE, NULL, &wildcard);
  end = wait_output (f, end, "Press Enter");
  create_async (provider, "_acme-challenge.www.example.com.", OTHER_VALUE,
                waiting_cancellable, &waiting);
  g_cancellable_cancel (apex_cancellable);
  assert_cancelled (f, provider, &apex);
  g_cancellable_cancel (waiting_cancellable);
  assert_cancelled (f, provider, &waiting);
  settle (f, SETTLE_MS);
  g_assert_null (wildcard);
  type (f, "\n");
  assert_created (f, provider, &wildcard);
  settle (f, SETTLE_MS);
  gcert_test_assert_not_contains (f->output->str, OTHER_VALUE);

  g_assert_cmpint (tcgetattr (f->slave, &after), ==, 0);
  assert_same_attrs (&before, &after);
}

static void
test_end_of_input (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  struct termios attrs;
  char eof[2] = { 0, 0 };

  g_assert_cmpint (tcgetattr (f->slave, &attrs), ==, 0);
  eof[0] = (char) attrs.c_cc[VEOF];

  create_async (provider, NAME, APEX_VALUE, NULL, &result);
  wait_output (f, 0, "Press Enter");
  /* Ctrl-D */
  type (f, eof);
  g_assert_false (gcert_dns_provider_create_record_finish (provider, wait_result (f, &result),
                                                           &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message, f->tty);
  gcert_test_assert_contains (error->message, "ended");
}

static void
test_remove (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  gsize end;

  /* nobody presses anything */
  gcert_dns_provider_remove_record_async (provider, NAME, APEX_VALUE, NULL,
                                          gcert_test_result_cb, &result);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider,
                                                          gcert_test_wait_for (&result),
                                                          &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - started, <, G_TIME_SPAN_SECOND);
  g_clear_object (&result);
  end = wait_output (f, 0, "You may now remove: " APEX_RECORD);

  /* while a prompt waits, it says that it still does */
  create_async (provider, NAME, WILDCARD_VALUE, NULL, &created);
  end = wait_output (f, end, "Press Enter");
  gcert_dns_provider_remove_record_async (provider, NAME, APEX_VALUE, NULL,
                                          gcert_test_result_cb, &result);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, wait_result (f, &result),
                                                          &error));
  g_assert_no_error (error);
  end = wait_output (f, end, "You may now remove: " APEX_RECORD);
  wait_output (f, end, "Still waiting");
  g_assert_null (created);
  type (f, "\n");
  assert_created (f, provider, &created);
}

/* A create on @tty fails at once, saying why and what to do instead. */
static void
assert_no_terminal (Fixture    *f,
                    const char *tty,
                    const char *reason)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, tty, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  create_async (provider, NAME, APEX_VALUE, NULL, &result);
  g_assert_false (gcert_dns_provider_create_record_finish (provider,
                                                           gcert_test_wait_for (&result),
                                                           &error));
  g_assert_cmpint (g_get_monotonic_time () - started, <, G_TIME_SPAN_SECOND);
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED);
  gcert_test_assert_contains (error->message,
                              "the manual DNS plugin needs a terminal to ask you to create "
                              NAME " TXT \"" APEX_VALUE "\"; "
                              "use another plugin for unattended runs");
  gcert_test_assert_contains (error->message, tty);
  gcert_test_assert_contains (error->message, reason);
  g_clear_object (&result);

  /* a cleanup without a terminal still succeeds: the record goes to the log */
  g_clear_error (&error);
  g_string_truncate (plugin_log, 0);
  gcert_dns_provider_remove_record_async (provider, NAME, APEX_VALUE, NULL,
                                          gcert_test_result_cb, &result);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider,
                                                          gcert_test_wait_for (&result),
                                                          &error));
  g_assert_no_error (error);
  gcert_test_assert_contains (plugin_log->str, "You may now remove: " APEX_RECORD " (");
  gcert_test_assert_contains (plugin_log->str, reason);
}

static void
test_not_a_terminal (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *file = g_build_filename (f->dir, "not-a-tty", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (file, "keep me\n", -1, &error);
  g_assert_no_error (error);
  assert_no_terminal (f, file, "is not a terminal");
  g_file_get_contents (file, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "keep me\n");

  assert_no_terminal (f, "/dev/null", "/dev/null is not a terminal");
  assert_no_terminal (f, f->dir, "cannot open");
}

static void
test_missing_tty (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->dir, "no-such-tty", NULL);

  assert_no_terminal (f, missing, "No such file or directory");
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* --- gcertctl ------------------------------------------------------------------------- */

static void
ensure_pebble (void)
{
  g_autoptr(GError) error = NULL;

  if (pebble == NULL)
    pebble = gcert_test_pebble_start (NULL, &error);
  g_assert_no_error (error);
  gcert_test_pebble_check_alive (pebble, &error);
  g_assert_no_error (error);
}

/* Writes a config for Pebble with [dns m] on @tty. */
static char *
write_gcertctl_config (Fixture    *f,
                       const char *tty)
{
  g_autofree char *state = g_build_filename (f->dir, "state", NULL);
  g_autofree char *extra = g_strdup_printf ("[dns m]\nplugin = manual\ntty = %s\n", tty);
  g_autofree char *text = gcert_test_pebble_config (pebble, state, extra);

  gcert_test_write_file (f->config_path, text, 0600);
  return g_steal_pointer (&state);
}

/* gcertctl issue for example.test and its wildcard, output to files */
static GSubprocess *
spawn_issue (Fixture *f)
{
  g_autofree char *out = g_build_filename (f->dir, "stdout", NULL);
  g_autofree char *err = g_build_filename (f->dir, "stderr", NULL);
  const char * const args[] = { "issue", "-d", "example.test", "-d", "*.example.test",
                                "--dns", "m", "--name", "web", NULL };

  return gcert_test_spawn_gcertctl (f->config_path, out, err, args);
}

static char *
read_text (Fixture    *f,
           const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);

  return gcert_test_read_file (path);
}

/* Steps until the process has exited; its exit status. */
static int
wait_exit (Fixture     *f,
           GSubprocess *process,
           guint        seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  while (g_subprocess_get_identifier (process) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (process);
          g_subprocess_wait (process, NULL, NULL);
          g_test_message ("terminal output:\n%s", f->output->str);
          g_error ("gcertctl did not exit");
        }
      /* reaps it: GSubprocess watches its child from the main context */
      step (f);
    }
  out = read_text (f, "stdout");
  err = read_text (f, "stderr");
  g_test_message ("exit status %d\nstdout:\n%s\nstderr:\n%s\nterminal:\n%s",
                  g_subprocess_get_if_exited (process) ?
                    g_subprocess_get_exit_status (process) : -1,
                  out, err, f->output->str);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* The values of the records for example.test on the terminal after @from. */
static GPtrArray *
prompted_values (Fixture *f,
                 gsize    from)
{
  static const char prefix[] = "_acme-challenge.example.test. 60 IN TXT \"";
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  const char *p = f->output->str + from;

  while ((p = strstr (p, prefix)) != NULL)
    {
      const char *start = p + strlen (prefix);
      const char *quote = strchr (start, '"');
      g_autofree char *value = NULL;

      g_assert_nonnull (quote);
      value = g_strndup (start, quote - start);
      if (!g_ptr_array_find_with_equal_func (values, value, g_str_equal, NULL))
        g_ptr_array_add (values, g_steal_pointer (&value));
      p = quote;
    }
  return values;
}

static void
test_gcertctl_issue (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const names[] = { "example.test", "*.example.test", NULL };
  g_autofree char *state = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(GCertCertificate) chain = NULL;
  g_autoptr(GError) error = NULL;
  gsize end;

  ensure_pebble ();
  state = write_gcertctl_config (f, f->tty);
  process = spawn_issue (f);

  /* both challenges in one prompt; the administrator creates them (here
   * in challtestsrv, which the propagation check and Pebble ask) */
  end = wait_output (f, 0, "Press Enter");
  gcert_test_assert_contains (f->output->str, "2 records");
  values = prompted_values (f, 0);
  g_assert_cmpuint (values->len, ==, 2);
  for (guint i = 0; i < values->len; i++)
    {
      gcert_test_pebble_set_txt (pebble, "_acme-challenge.example.test.",
                                 g_ptr_array_index (values, i), &error);
      g_assert_no_error (error);
    }
  type (f, "\n");

  g_assert_cmpint (wait_exit (f, process, 60), ==, 0);
  for (guint i = 0; i < values->len; i++)
    {
      g_autofree char *line = g_strdup_printf ("You may now remove: _acme-challenge.example.test. "
                                               "60 IN TXT \"%s\"",
                                               (const char *) g_ptr_array_index (values, i));

      gcert_test_assert_contains (f->output->str + end, line);
    }
  gcert_test_pebble_clear_txt (pebble, "_acme-challenge.example.test.", &error);
  g_assert_no_error (error);

  root = gcert_test_pebble_get_root (pebble, &error);
  g_assert_no_error (error);
  chain = gcert_test_check_live (state, "web", names, root);
  g_assert_nonnull (chain);
}

static void
assert_no_live (const char *state)
{
  g_autofree char *live = g_build_filename (state, "live", "web", NULL);

  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
}

static void
test_gcertctl_no_terminal (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *state = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) process = NULL;
  int status;

  ensure_pebble ();
  state = write_gcertctl_config (f, "/dev/null");
  process = spawn_issue (f);
  status = wait_exit (f, process, 60);
  g_assert_cmpint (status, !=, 0);
  g_assert_cmpint (status, !=, 2);
  err = read_text (f, "stderr");
  gcert_test_assert_contains (err,
                              "the manual DNS plugin needs a terminal to ask you to create "
                              "_acme-challenge.example.test. TXT \"");
  gcert_test_assert_contains (err, "use another plugin for unattended runs");
  gcert_test_assert_contains (err, "/dev/null is not a terminal");
  out = read_text (f, "stdout");
  gcert_test_assert_not_contains (out, "renewed");
  assert_no_live (state);
  /* and nothing was asked on the test's terminal */
  g_assert_cmpuint (f->output->len, ==, 0);
}

static void
test_gcertctl_interrupt (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *state = NULL;
  g_autoptr(GSubprocess) process = NULL;
  struct termios before, after;
  gsize end;
  int status;

  ensure_pebble ();
  g_assert_cmpint (tcgetattr (f->slave, &before), ==, 0);
  state = write_gcertctl_config (f, f->tty);
  process = spawn_issue (f);
  end = wait_output (f, 0, "Press Enter");

  /* Ctrl-C */
  g_subprocess_send_signal (process, SIGINT);
  status = wait_exit (f, process, 30);
  g_assert_cmpint (status, !=, 0);
  pump (f);
  gcert_test_assert_contains (f->output->str + end, "cancelled");
  assert_no_live (state);
  g_assert_cmpint (tcgetattr (f->slave, &after), ==, 0);
  assert_same_attrs (&before, &after);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  plugin_log = g_string_new (NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/gcert/manual/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("bad-keys", test_bad_keys);
  ADD ("create", test_create);
  ADD ("ttl-and-escaping", test_ttl_and_escaping);
  ADD ("concurrent", test_concurrent);
  ADD ("cancel", test_cancel);
  ADD ("end-of-input", test_end_of_input);
  ADD ("remove", test_remove);
  ADD ("not-a-terminal", test_not_a_terminal);
  ADD ("missing-tty", test_missing_tty);
  ADD ("gcertctl/issue", test_gcertctl_issue);
  ADD ("gcertctl/no-terminal", test_gcertctl_no_terminal);
  ADD ("gcertctl/interrupt", test_gcertctl_interrupt);

#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  g_string_free (plugin_log, TRUE);
  return status;
}
