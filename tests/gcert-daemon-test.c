/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gcert.h"
#include "gcert-test-bus.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* gcertd on a real dbus-daemon (its session mode), activated by the bus
 * from a service file, renewing against Pebble: activation, jobs and their
 * progress, the CertificateRenewed signal, idle exit and re-activation, a
 * caller that leaves mid-job, and gcertctl --session giving the output of
 * an in-process run. */

#define NAME       "org.gcert.Gcert1"
#define PATH       "/org/gcert/Gcert1"
#define MANAGER    "org.gcert.Gcert1.Manager"
#define JOB        "org.gcert.Gcert1.Job"
#define WAIT_S     120

static GCertTestPebble *pebble;
static char *pebble_root;
static char *bus_dir;
static char *bus_socket;

typedef struct {
  char            *dir;
  char            *state;
  char            *config;
  GCertTestBus    *bus;
  GDBusConnection *connection;
} Fixture;

static void
start_bus (Fixture *f,
           guint    idle_timeout)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = g_strdup_printf ("%s --session --config %s --idle-timeout %u",
                                           g_getenv ("GCERTD"), f->config, idle_timeout);
  const char *services[] = { NAME, exec, NULL };
  GCertTestBusOptions options = { bus_socket, NULL, services, NULL };

  g_clear_object (&f->connection);
  g_clear_pointer (&f->bus, gcert_test_bus_stop);
  f->bus = gcert_test_bus_start (&options, &error);
  g_assert_no_error (error);
  f->connection = gcert_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  f->dir = gcert_test_mkdtemp ("gcert-daemon-test");
  /* the key's readers reach the state directory through this one */
  g_chmod (f->dir, 0755);
  f->state = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "gcert.conf", NULL);
  text = gcert_test_pebble_config (pebble, f->state,
                                   "[certificate web]\n"
                                   "domains = example.test;*.example.test\n"
                                   "dns = test\n"
                                   "readers = nobody\n");
  g_file_set_contents_full (f->config, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
  start_bus (f, GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 60);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (g_test_failed () && f->bus != NULL)
    {
      g_autofree char *log = gcert_test_read_log (f->bus->log_path);

      g_test_message ("bus log:\n%s", log);
    }
  g_clear_object (&f->connection);
  g_clear_pointer (&f->bus, gcert_test_bus_stop);
  gcert_test_pebble_check_alive (pebble, &error);
  g_assert_no_error (error);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->state);
  g_free (f->config);
}

static GVariant *
call (Fixture    *f,
      const char *method,
      GVariant   *parameters,
      const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (f->connection, NAME, PATH, MANAGER, method, parameters,
                                       G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE,
                                       WAIT_S * 1000, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until *@done or WAIT_S seconds. */
static void
wait_until (gboolean *done)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (WAIT_S, timeout_cb, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_false (timed_out);
}

/* What a test sees of the service's signals. */
typedef struct {
  char      *job_path;
  gboolean   finished;
  gboolean   success;
  char      *error;
  GArray    *progress;   /* guint, in the order they came */
  GPtrArray *messages;
  GPtrArray *renewed;    /* names of CertificateRenewed */
  GVariant  *renewed_info;
  gboolean   any_renewed;
  guint      subs[3];
  GDBusConnection *connection;
} Watch;

static void
job_signal_cb (GDBusConnection *connection,
               const char      *sender,
               const char      *path,
               const char      *interface,
               const char      *signal,
               GVariant        *parameters,
               gpointer         user_data)
{
  Watch *watch = user_data;

  if (g_strcmp0 (signal, "CertificateRenewed") == 0)
    {
      const char *name;
      g_autoptr(GVariant) info = NULL;

      g_variant_get (parameters, "(&s@a{sv})", &name, &info);
      g_ptr_array_add (watch->renewed, g_strdup (name));
      g_clear_pointer (&watch->renewed_info, g_variant_unref);
      watch->renewed_info = g_steal_pointer (&info);
      watch->any_renewed = TRUE;
      return;
    }
  if (watch->job_path == NULL || g_strcmp0 (path, watch->job_path) != 0)
    return;
  if (g_strcmp0 (signal, "Finished") == 0)
    {
      g_variant_get (parameters, "(bs)", &watch->success, &watch->error);
      watch->finished = TRUE;
    }
  else
    {
      g_autoptr(GVariant) changed = g_variant_get_child_value (parameters, 1);
      guint32 progress;
      const char *message;

      if (g_variant_lookup (changed, "Progress", "u", &progress))
        g_array_append_val (watch->progress, progress);
      if (g_variant_lookup (changed, "Message", "&s", &message))
        g_ptr_array_add (watch->messages, g_strdup (message));
    }
}

static void
watch_init (Watch           *watch,
            GDBusConnection *connection)
{
  memset (watch, 0, sizeof *watch);
  watch->connection = g_object_ref (connection);
  watch->progress = g_array_new (FALSE, FALSE, sizeof (guint));
  watch->messages = g_ptr_array_new_with_free_func (g_free);
  watch->renewed = g_ptr_array_new_with_free_func (g_free);
  watch->subs[0] = g_dbus_connection_signal_subscribe (connection, NAME, MANAGER,
                                                       "CertificateRenewed", PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, job_signal_cb,
                                                       watch, NULL);
  watch->subs[1] = g_dbus_connection_signal_subscribe (connection, NAME, JOB, "Finished", NULL,
                                                       NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       job_signal_cb, watch, NULL);
  watch->subs[2] = g_dbus_connection_signal_subscribe (connection, NAME,
                                                       "org.freedesktop.DBus.Properties",
                                                       "PropertiesChanged", NULL, JOB,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, job_signal_cb,
                                                       watch, NULL);
}

static void
watch_clear (Watch *watch)
{
  for (guint i = 0; i < G_N_ELEMENTS (watch->subs); i++)
    g_dbus_connection_signal_unsubscribe (watch->connection, watch->subs[i]);
  g_clear_object (&watch->connection);
  g_free (watch->job_path);
  g_free (watch->error);
  g_array_unref (watch->progress);
  g_ptr_array_unref (watch->messages);
  g_ptr_array_unref (watch->renewed);
  g_clear_pointer (&watch->renewed_info, g_variant_unref);
}

/* Whether uid @uid can read @path, as the kernel decides; the key is
 * never sent over the bus, "readers" in the configuration grants it. */
static void
assert_reads (guint       uid,
              const char *path,
              gboolean    expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reuid = g_strdup_printf ("--reuid=%u", uid);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *key = gcert_test_read_file (path);
  const char *argv[] = { "setpriv", reuid, "--regid=65534", "--clear-groups", "cat", path,
                         NULL };
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (expected)
    {
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_cmpstr (out, ==, key);
    }
  else
    {
      g_assert_false (g_spawn_check_wait_status (status, NULL));
      gcert_test_assert_contains (err, "Permission denied");
    }
}

static const char *const web_names[] = { "example.test", "*.example.test", NULL };

/* The first call activates the service, which lists the configured
 * certificate before anything was issued. */
static void
test_activation (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) web = NULL;
  g_autoptr(GVariant) version = NULL;
  const char *status = NULL;
  const char **domains = NULL;

  g_assert_false (gcert_test_bus_name_has_owner (f->connection, NAME));
  reply = call (f, "ListCertificates", NULL, "(a{sa{sv}})");
  g_assert_true (gcert_test_bus_name_has_owner (f->connection, NAME));
  g_assert_cmpuint (gcert_test_bus_get_pid (f->connection, NAME), >, 0);

  web = g_variant_lookup_value (g_variant_get_child_value (reply, 0), "web",
                                G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (web);
  g_assert_true (g_variant_lookup (web, "status", "&s", &status));
  g_assert_cmpstr (status, ==, "missing");
  g_assert_true (g_variant_lookup (web, "domains", "^a&s", &domains));
  g_assert_cmpstrv (domains, web_names);
  g_free (domains);

  version = g_dbus_connection_call_sync (f->connection, NAME, PATH,
                                         "org.freedesktop.DBus.Properties", "Get",
                                         g_variant_new ("(ss)", MANAGER, "Version"),
                                         G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                         NULL, NULL);
  g_assert_nonnull (version);
  g_variant_unref (web);
  web = g_variant_get_child_value (version, 0);
  g_assert_cmpstr (g_variant_get_string (g_variant_get_variant (web), NULL), ==, PACKAGE_VERSION);
}

/* Renew returns a job; its progress climbs to 100, it says what it waits
 * for, Finished(true) arrives, CertificateRenewed names the certificate,
 * and the certificate is live. */
static void
test_renew (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GVariant) described = NULL;
  Watch watch;
  const char *text = NULL;
  guint32 version = 0;
  gint32 exit_status = -1;
  gboolean attempted = FALSE, waited_for_dns = FALSE;
  guint between = 0;

  watch_init (&watch, f->connection);
  reply = call (f, "Renew", g_variant_new ("(sa{sv})", "web", NULL), "(o)");
  g_variant_get (reply, "(o)", &watch.job_path);
  g_assert_true (g_str_has_prefix (watch.job_path, "/org/gcert/Gcert1/job/"));
  wait_until (&watch.finished);

  g_assert_true (watch.success);
  g_assert_cmpstr (watch.error, ==, "");
  g_assert_cmpuint (watch.progress->len, >, 0);
  for (guint i = 0; i < watch.progress->len; i++)
    {
      guint value = g_array_index (watch.progress, guint, i);

      g_assert_cmpuint (value, <=, 100);
      if (i > 0)
        g_assert_cmpuint (value, >=, g_array_index (watch.progress, guint, i - 1));
      if (value > 0 && value < 100)
        between++;
    }
  g_assert_cmpuint (between, >, 0);
  g_assert_cmpuint (g_array_index (watch.progress, guint, watch.progress->len - 1), ==, 100);
  for (guint i = 0; i < watch.messages->len; i++)
    if (strstr (g_ptr_array_index (watch.messages, i), "TXT") != NULL)
      waited_for_dns = TRUE;
  g_assert_true (waited_for_dns);

  /* the signal came before Finished, or with it */
  g_assert_cmpuint (watch.renewed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (watch.renewed, 0), ==, "web");
  g_assert_true (g_variant_lookup (watch.renewed_info, "version", "u", &version));
  g_assert_cmpuint (version, ==, 1);
  g_assert_true (g_variant_lookup (watch.renewed_info, "not-after", "&s", &text));

  properties = gcert_test_bus_get_job (f->connection, watch.job_path);
  g_assert_true (g_variant_lookup (properties, "Status", "&s", &text));
  g_assert_cmpstr (text, ==, "succeeded");
  g_assert_true (g_variant_lookup (properties, "Kind", "&s", &text));
  g_assert_cmpstr (text, ==, "renew");
  g_assert_true (g_variant_lookup (properties, "ExitStatus", "i", &exit_status));
  g_assert_cmpint (exit_status, ==, 0);
  results = g_variant_lookup_value (properties, "Results", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_cmpuint (g_variant_n_children (results), ==, 1);
  first = g_variant_get_child_value (results, 0);
  g_assert_true (g_variant_lookup (first, "attempted", "b", &attempted));
  g_assert_true (attempted);

  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);
  g_assert_nonnull (live);

  /* the store has it: a fresh GetCertificate says so, with the paths */
  described = call (f, "GetCertificate", g_variant_new ("(s)", "web"), "(a{sv})");
  {
    g_autoptr(GVariant) info = g_variant_get_child_value (described, 0);
    g_autoptr(GVariant) files = g_variant_lookup_value (info, "files", G_VARIANT_TYPE_VARDICT);
    g_autofree char *expected = g_build_filename (f->state, "live", "web", "privkey.pem", NULL);

    g_assert_true (g_variant_lookup (info, "status", "&s", &text));
    g_assert_cmpstr (text, ==, "valid");
    g_assert_nonnull (files);
    g_assert_true (g_variant_lookup (files, "privkey", "&s", &text));
    g_assert_cmpstr (text, ==, expected);
    assert_reads (65534, text, TRUE);
    assert_reads (65533, text, FALSE);
  }
  watch_clear (&watch);
}

/* With a short idle timeout the service leaves the bus by itself, and the
 * next call starts it again. */
static void
test_idle_exit (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  guint32 pid1, pid2;
  gint64 deadline;

  first = call (f, "ListCertificates", NULL, "(a{sa{sv}})");
  pid1 = gcert_test_bus_get_pid (f->connection, NAME);
  g_assert_cmpuint (pid1, >, 0);

  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (gcert_test_bus_name_has_owner (f->connection, NAME))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  /* it exited rather than just dropping the name */
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (kill ((pid_t) pid1, 0) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }

  second = call (f, "ListCertificates", NULL, "(a{sa{sv}})");
  pid2 = gcert_test_bus_get_pid (f->connection, NAME);
  g_assert_cmpuint (pid2, >, 0);
  g_assert_cmpuint (pid2, !=, pid1);
  /* the same answer from the new process (times like next-due move on) */
  {
    g_autoptr(GVariant) list = g_variant_get_child_value (second, 0);
    g_autoptr(GVariant) web = g_variant_lookup_value (list, "web", G_VARIANT_TYPE_VARDICT);
    const char *status = NULL;

    g_assert_cmpuint (g_variant_n_children (list), ==, 1);
    g_assert_nonnull (web);
    g_assert_true (g_variant_lookup (web, "status", "&s", &status));
    g_assert_cmpstr (status, ==, "missing");
  }
}

/* A caller that starts a renewal and leaves the bus at once: the job goes
 * on, the certificate goes live and the store records the run. */
static void
test_caller_leaves (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) described = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  Watch watch;
  const char *text = NULL;

  watch_init (&watch, f->connection);
  other = gcert_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (other, NAME, PATH, MANAGER, "Renew",
                                       g_variant_new ("(sa{sv})", "web", NULL),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                       WAIT_S * 1000, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_close_sync (other, NULL, &error);
  g_assert_no_error (error);

  wait_until (&watch.any_renewed);
  g_assert_cmpstr (g_ptr_array_index (watch.renewed, 0), ==, "web");
  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);
  g_assert_nonnull (live);

  /* the outcome is recorded: the run record says success */
  g_variant_get (reply, "(o)", &watch.job_path);
  {
    g_autoptr(GVariant) properties = NULL;
    gint64 deadline = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;

    /* Finished may trail CertificateRenewed by the deployment step */
    do
      {
        g_clear_pointer (&properties, g_variant_unref);
        while (g_main_context_iteration (NULL, FALSE));
        properties = gcert_test_bus_get_job (f->connection, watch.job_path);
        g_assert_true (g_variant_lookup (properties, "Status", "&s", &text));
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      }
    while (g_strcmp0 (text, "running") == 0);
    g_assert_cmpstr (text, ==, "succeeded");
  }
  described = call (f, "GetCertificate", g_variant_new ("(s)", "web"), "(a{sv})");
  info = g_variant_get_child_value (described, 0);
  g_assert_true (g_variant_lookup (info, "last-result", "&s", &text));
  g_assert_cmpstr (text, ==, "success");
  watch_clear (&watch);
}

/* Starts @method and waits for the job's end; returns its properties. */
static GVariant *
run_job (Fixture    *f,
         const char *method,
         GVariant   *parameters)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *properties;
  Watch watch;

  watch_init (&watch, f->connection);
  reply = call (f, method, parameters, "(o)");
  g_variant_get (reply, "(o)", &watch.job_path);
  wait_until (&watch.finished);
  properties = gcert_test_bus_get_job (f->connection, watch.job_path);
  watch_clear (&watch);
  return properties;
}

/* Revoke asks the CA to revoke the live certificate; it is then reported
 * revoked and due, and the next renewal replaces it. */
static void
test_revoke (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GVariant) renewed = NULL;
  g_autoptr(GVariant) revoked = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GVariant) replaced = NULL;
  g_autoptr(GVariant) described = NULL;
  g_autoptr(GVariant) info = NULL;
  GVariantBuilder options;
  const char *text = NULL;
  gint32 exit_status = -1;

  renewed = run_job (f, "Renew", g_variant_new ("(sa{sv})", "web", NULL));
  g_assert_true (g_variant_lookup (renewed, "Status", "&s", &text));
  g_assert_cmpstr (text, ==, "succeeded");

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason", g_variant_new_uint32 (4));
  revoked = run_job (f, "Revoke", g_variant_new ("(sa{sv})", "web", &options));
  g_assert_true (g_variant_lookup (revoked, "Status", "&s", &text));
  g_assert_cmpstr (text, ==, "succeeded");
  g_assert_true (g_variant_lookup (revoked, "Kind", "&s", &text));
  g_assert_cmpstr (text, ==, "revoke");

  described = call (f, "GetCertificate", g_variant_new ("(s)", "web"), "(a{sv})");
  info = g_variant_get_child_value (described, 0);
  g_assert_true (g_variant_lookup (info, "status", "&s", &text));
  g_assert_cmpstr (text, ==, "revoked");

  /* revoking again: the CA says alreadyRevoked, which is what was asked */
  again = run_job (f, "Revoke", g_variant_new ("(sa{sv})", "web", NULL));
  g_assert_true (g_variant_lookup (again, "ExitStatus", "i", &exit_status));
  g_assert_cmpint (exit_status, ==, 0);

  /* a revoked certificate is due: RenewDue replaces it */
  replaced = run_job (f, "RenewDue", g_variant_new ("(a{sv})", NULL));
  g_assert_true (g_variant_lookup (replaced, "Status", "&s", &text));
  g_assert_cmpstr (text, ==, "succeeded");
  g_clear_pointer (&described, g_variant_unref);
  g_clear_pointer (&info, g_variant_unref);
  described = call (f, "GetCertificate", g_variant_new ("(s)", "web"), "(a{sv})");
  info = g_variant_get_child_value (described, 0);
  g_assert_true (g_variant_lookup (info, "status", "&s", &text));
  g_assert_cmpstr (text, ==, "valid");
  g_assert_true (g_variant_lookup (info, "version", "x", NULL));
  {
    gint64 version = 0;

    g_variant_lookup (info, "version", "x", &version);
    g_assert_cmpint (version, ==, 2);
  }
}

/* gcertctl --session prints what the in-process gcertctl prints, with
 * the same exit statuses, and shows the job's progress. */
static void
test_gcertctl (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GCertTestRun) renew = NULL;
  g_autoptr(GCertTestRun) again = NULL;
  g_autoptr(GCertTestRun) again_local = NULL;
  g_autoptr(GCertTestRun) list = NULL;
  g_autoptr(GCertTestRun) list_local = NULL;
  g_autoptr(GCertTestRun) show = NULL;
  g_autoptr(GCertTestRun) show_local = NULL;
  g_autoptr(GCertTestRun) unknown = NULL;
  g_autoptr(GCertTestRun) unknown_local = NULL;
  g_autoptr(GCertTestRun) issue = NULL;
  g_autoptr(GCertTestRun) json = NULL;
  g_autoptr(GCertTestRun) bad = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GCertCertificate) other = NULL;
  const char *const other_names[] = { "other.test", NULL };

  renew = gcert_test_run_ctl (NULL, "--session", "renew", "web");
  gcert_test_assert_exit (renew, 0);
  gcert_test_assert_contains (renew->out, "web: renewed, version 1, expires ");
  /* progress lines as the job runs */
  gcert_test_assert_contains (renew->err, "s] web: ");
  gcert_test_assert_contains (renew->err, "TXT");
  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);

  again = gcert_test_run_ctl (NULL, "--session", "-q", "renew");
  again_local = gcert_test_run_ctl (f->config, "-q", "renew");
  gcert_test_assert_exit (again, 0);
  gcert_test_assert_exit (again_local, 0);
  g_assert_cmpstr (again->out, ==, again_local->out);

  list = gcert_test_run_ctl (NULL, "--session", "list");
  list_local = gcert_test_run_ctl (f->config, "list");
  gcert_test_assert_exit (list, 0);
  g_assert_cmpstr (list->out, ==, list_local->out);
  gcert_test_assert_contains (list->out, "example.test,*.example.test");

  show = gcert_test_run_ctl (NULL, "--session", "show", "web");
  show_local = gcert_test_run_ctl (f->config, "show", "web");
  gcert_test_assert_exit (show, 0);
  g_assert_cmpstr (show->out, ==, show_local->out);
  gcert_test_assert_contains (show->out, "Private key:");

  unknown = gcert_test_run_ctl (NULL, "--session", "renew", "nosuch");
  unknown_local = gcert_test_run_ctl (f->config, "renew", "nosuch");
  gcert_test_assert_exit (unknown_local, 2);
  gcert_test_assert_exit (unknown, 2);
  gcert_test_assert_contains (unknown->err, "there is no [certificate nosuch]");

  issue = gcert_test_run_ctl (NULL, "--session", "issue", "-d", "other.test", "--dns", "test",
                              "--key-type", "rsa-2048");
  gcert_test_assert_exit (issue, 0);
  gcert_test_assert_contains (issue->out, "other.test: renewed, version 1");
  other = gcert_test_check_live (f->state, "other.test", other_names, pebble_root);
  {
    GCertKeyType type;

    g_assert_true (gcert_certificate_get_key_type (other, &type));
    g_assert_cmpint (type, ==, GCERT_KEY_TYPE_RSA_2048);
  }

  json = gcert_test_run_ctl (NULL, "--session", "renew", "--json", "--force", "web");
  gcert_test_assert_exit (json, 0);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *result;

    json_parser_load_from_data (parser, json->out, -1, &error);
    g_assert_no_error (error);
    result = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                    "results"), 0);
    g_assert_cmpstr (json_object_get_string_member (result, "name"), ==, "web");
    g_assert_true (json_object_get_boolean_member (result, "renewed"));
    g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 2);
  }

  /* revoke, through the service and in process */
  {
    g_autoptr(GCertTestRun) revoke = NULL;
    g_autoptr(GCertTestRun) revoke_local = NULL;
    g_autoptr(GCertTestRun) revoked_show = NULL;
    g_autoptr(GCertTestRun) bad_reason = NULL;
    g_autoptr(GCertTestRun) nothing_live = NULL;

    revoke = gcert_test_run_ctl (NULL, "--session", "revoke", "--reason", "superseded", "web");
    gcert_test_assert_exit (revoke, 0);
    gcert_test_assert_contains (revoke->out, "web: version 2 revoked; the next renewal replaces it");
    revoked_show = gcert_test_run_ctl (f->config, "show", "web");
    gcert_test_assert_contains (revoked_show->out, "revoked");
    revoke_local = gcert_test_run_ctl (f->config, "revoke", "web");
    gcert_test_assert_exit (revoke_local, 0);
    g_assert_cmpstr (revoke_local->out, ==, revoke->out);
    bad_reason = gcert_test_run_ctl (NULL, "--session", "revoke", "--reason", "2", "web");
    gcert_test_assert_exit (bad_reason, 2);
    gcert_test_assert_contains (bad_reason->err, "unsupported revocation reason");
    nothing_live = gcert_test_run_ctl (NULL, "--session", "revoke", "nosuch");
    g_assert_cmpint (nothing_live->status, !=, 0);
    gcert_test_assert_contains (nothing_live->err, "nosuch");
  }

  /* a malformed request is a usage error, as it is in process */
  bad = gcert_test_run_ctl (NULL, "--session", "issue", "-d", "bad..test", "--dns", "test");
  gcert_test_assert_exit (bad, 2);
  gcert_test_assert_contains (bad->err, "malformed domain list");

  /* without a bus there is nobody to ask: a clear failure, no hang */
  {
    g_autoptr(GCertTestRun) no_bus = NULL;
    g_autoptr(GCertTestRun) with_config = NULL;
    g_autoptr(GCertTestRun) deploy = NULL;

    g_clear_object (&f->connection);
    g_clear_pointer (&f->bus, gcert_test_bus_stop);
    no_bus = gcert_test_run_ctl (NULL, "--session", "list");
    gcert_test_assert_exit (no_bus, 1);
    gcert_test_assert_contains (no_bus->err, "cannot connect to the session bus");
    with_config = gcert_test_run_ctl (f->config, "--session", "list");
    gcert_test_assert_exit (with_config, 2);
    gcert_test_assert_contains (with_config->err, "--config cannot be combined");
    deploy = gcert_test_run_ctl (NULL, "--session", "deploy");
    gcert_test_assert_exit (deploy, 2);
    gcert_test_assert_contains (deploy->err, "runs only in process");
  }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *address = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* gcertctl --session and the services the bus starts find the bus
   * here; set once, before any thread runs */
  bus_dir = gcert_test_mkdtemp ("gcert-daemon-bus");
  g_chmod (bus_dir, 0755);
  bus_socket = g_build_filename (bus_dir, "bus", NULL);
  address = g_strconcat ("unix:path=", bus_socket, NULL);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");

  pebble = gcert_test_start_pebble (NULL, &pebble_root);

  g_test_add ("/gcert/daemon/activation", Fixture, NULL, fixture_setup, test_activation,
              fixture_teardown);
  g_test_add ("/gcert/daemon/renew", Fixture, NULL, fixture_setup, test_renew, fixture_teardown);
  g_test_add ("/gcert/daemon/idle-exit", Fixture, GUINT_TO_POINTER (1), fixture_setup,
              test_idle_exit, fixture_teardown);
  g_test_add ("/gcert/daemon/caller-leaves", Fixture, NULL, fixture_setup, test_caller_leaves,
              fixture_teardown);
  g_test_add ("/gcert/daemon/revoke", Fixture, NULL, fixture_setup, test_revoke,
              fixture_teardown);
  g_test_add ("/gcert/daemon/gcertctl", Fixture, NULL, fixture_setup, test_gcertctl,
              fixture_teardown);
  status = g_test_run ();

  gcert_test_pebble_stop (pebble);
  g_free (pebble_root);
  gcert_test_rm_rf (bus_dir);
  g_free (bus_dir);
  g_free (bus_socket);
  return status;
}
