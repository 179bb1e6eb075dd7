/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-bus.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* gcertd on the system bus (a private one) with polkit's mock: who may
 * change what, how it fails closed when polkit is missing or hangs, what
 * bad input gets, and who may cancel a job. Callers that must not be root
 * run as uid 65534 through setpriv. */

#define BUS_NAME      "org.gcert.Gcert1"
#define MANAGER_PATH  "/org/gcert/Gcert1"
#define JOB_PREFIX    "/org/gcert/Gcert1/job"
#define MANAGER_IFACE "org.gcert.Gcert1.Manager"
#define JOB_IFACE     "org.gcert.Gcert1.Job"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define INVALID_ARGS  "org.freedesktop.DBus.Error.InvalidArgs"
#define CALL_TIMEOUT_MS (30 * 1000)
#define JOB_TIMEOUT_S   60

static GCertTestPebble *pebble;
static char *pebble_root;
static char *bus_dir;      /* 0755: the socket must be reachable by uid 65534 */
static char *bus_socket;

static const char * const web_names[] = { "web.auth.test", NULL };

typedef struct {
  char            *dir;
  char            *state;
  char            *config;
  char            *slow_pid;     /* the slow DNS program's pid, once it runs */
  GCertTestBus    *bus;
  GDBusConnection *connection;   /* the test's own, as root */
  GHashTable      *finished;     /* job path → (bs) of its Finished signal */
  guint            finished_sub;
} Fixture;

static void
finished_cb (GDBusConnection *connection,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  Fixture *f = user_data;

  g_hash_table_replace (f->finished, g_strdup (path), g_variant_ref (parameters));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *body = NULL;
  g_autofree char *groups = NULL;
  g_autofree char *text = NULL;
  g_autofree char *command = NULL;
  g_autofree char *address = g_strconcat ("unix:path=", bus_socket, NULL);
  g_auto(GStrv) envp = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *policies[] = { g_getenv ("GCERT_BUS_POLICY"), NULL };
  const char *services[] = { BUS_NAME, NULL, NULL };
  GCertTestBusOptions options = { 0 };

  f->dir = gcert_test_mkdtemp ("gcert-daemon-auth-test");
  f->state = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "gcert.conf", NULL);
  f->slow_pid = g_build_filename (f->dir, "slow.pid", NULL);

  /* "present" never ends on its own, so a job on it waits until cancelled */
  body = g_strdup_printf ("case \"$1\" in\n"
                          "present)\n"
                          "  echo $$ > '%s.tmp' && mv '%s.tmp' '%s'\n"
                          "  exec sleep 300\n"
                          "  ;;\n"
                          "esac\n"
                          "exit 0\n", f->slow_pid, f->slow_pid, f->slow_pid);
  script = gcert_test_write_script (f->dir, "slow-dns", body, 0700);
  groups = g_strdup_printf ("[dns slow]\nplugin = exec\nprogram = %s\ntimeout = 10m\n\n"
                            "[certificate web]\ndomains = web.auth.test\ndns = test\n\n"
                            "[certificate slow]\ndomains = slow.auth.test\ndns = slow\n",
                            script);
  text = gcert_test_pebble_config (pebble, f->state, groups);
  gcert_test_write_file (f->config, text, 0600);

  command = g_strdup_printf ("%s --config %s --idle-timeout 30 --polkit-timeout 2",
                             g_getenv ("GCERTD"), f->config);
  services[1] = command;
  envp = g_environ_setenv (g_get_environ (), "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  options.socket_path = bus_socket;
  options.policies = policies;
  options.services = services;
  options.envp = (const char * const *) envp;
  f->bus = gcert_test_bus_start (&options, &error);
  g_assert_no_error (error);

  f->connection = gcert_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
  f->finished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_variant_unref);
  f->finished_sub = g_dbus_connection_signal_subscribe (f->connection, BUS_NAME, JOB_IFACE,
                                                        "Finished", NULL, NULL,
                                                        G_DBUS_SIGNAL_FLAGS_NONE, finished_cb,
                                                        f, NULL);
  /* a round trip: the bus has the match rule before any job can start */
  reply = g_dbus_connection_call_sync (f->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint32 pid = gcert_test_bus_get_pid (f->connection, BUS_NAME);

  g_dbus_connection_signal_unsubscribe (f->connection, f->finished_sub);
  g_clear_object (&f->connection);
  g_clear_pointer (&f->bus, gcert_test_bus_stop);
  /* gcertd leaves with its bus: none is left behind for the next test */
  if (pid != 0)
    {
      g_autofree char *pid_file = g_build_filename (f->dir, "gcertd.pid", NULL);
      g_autofree char *text = g_strdup_printf ("%u\n", pid);

      gcert_test_write_file (pid_file, text, 0600);
      gcert_test_assert_process_gone (pid_file);
    }
  gcert_test_pebble_check_alive (pebble, &error);
  g_assert_no_error (error);
  g_hash_table_unref (f->finished);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->state);
  g_free (f->config);
  g_free (f->slow_pid);
}

/* --- calls ------------------------------------------------------------------ */

static GVariant *
call_on (GDBusConnection  *connection,
         const char       *path,
         const char       *interface,
         const char       *method,
         GVariant         *parameters,
         GError          **error)
{
  return g_dbus_connection_call_sync (connection, BUS_NAME, path, interface, method,
                                      parameters, NULL, G_DBUS_CALL_FLAGS_NONE,
                                      CALL_TIMEOUT_MS, NULL, error);
}

static GVariant *
call_manager (Fixture     *f,
              const char  *method,
              GVariant    *parameters,
              GError     **error)
{
  return call_on (f->connection, MANAGER_PATH, MANAGER_IFACE, method, parameters, error);
}

/* Asserts that @error is the D-Bus error @name with @needle in its message. */
static void
assert_dbus_error (const GError *error,
                   const char   *name,
                   const char   *needle)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_test_message ("error: %s", error->message);
  g_assert_cmpstr (remote, ==, name);
  if (needle != NULL)
    gcert_test_assert_contains (error->message, needle);
}

/* Renew of @name as root; returns the job's path. */
static char *
renew_as_root (Fixture    *f,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  char *path = NULL;

  reply = call_manager (f, "Renew", g_variant_new ("(s@a{sv})", name,
                                                   g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                                        NULL, 0)),
                        &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  g_assert_true (g_str_has_prefix (path, JOB_PREFIX "/"));
  return path;
}

/* The service's PID, starting it when it does not run yet. */
static guint32
service_pid (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_manager (f, "ListCertificates", NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(a{sa{sv}})")));
  return gcert_test_bus_get_pid (f->connection, BUS_NAME);
}

/* It still runs as @pid and answers. */
static void
assert_service_up (Fixture *f,
                   guint32  pid)
{
  g_assert_cmpuint (pid, !=, 0);
  g_assert_true (gcert_test_bus_name_has_owner (f->connection, BUS_NAME));
  g_assert_cmpuint (service_pid (f), ==, pid);
}

/* The jobs on the bus now. */
static guint
count_jobs (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  const char *xml = NULL;
  guint n = 0;

  reply = call_on (f->connection, JOB_PREFIX, "org.freedesktop.DBus.Introspectable",
                   "Introspect", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  while (node->nodes != NULL && node->nodes[n] != NULL)
    n++;
  return n;
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  g_assert_true (g_variant_lookup (dict, key, "&s", &value));
  return value;
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for @ms milliseconds (signals come in). */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Waits for the job @path to end; returns its properties. Its Finished
 * signal must have come too (in f->finished). */
static GVariant *
wait_job (Fixture    *f,
          const char *path)
{
  gint64 deadline = g_get_monotonic_time () + JOB_TIMEOUT_S * G_TIME_SPAN_SECOND;

  for (;;)
    {
      g_autoptr(GVariant) properties = gcert_test_bus_get_job (f->connection, path);

      if (g_strcmp0 (lookup_string (properties, "Status"), "running") != 0)
        {
          /* Finished left gcertd before the answer that says so */
          while (!g_hash_table_contains (f->finished, path) &&
                 g_get_monotonic_time () < deadline)
            spin (20);
          g_assert_true (g_hash_table_contains (f->finished, path));
          return g_steal_pointer (&properties);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("job %s still runs after %d s: %s", path, JOB_TIMEOUT_S,
                 lookup_string (properties, "Message"));
      spin (100);
    }
}

/* The job @path succeeded, by its properties and its Finished signal. */
static void
assert_job_succeeded (Fixture    *f,
                      const char *path)
{
  g_autoptr(GVariant) properties = wait_job (f, path);
  GVariant *finished = g_hash_table_lookup (f->finished, path);
  gboolean success = FALSE;
  const char *message = NULL;
  gint32 exit_status = -1;

  g_variant_get (finished, "(b&s)", &success, &message);
  if (!success)
    g_test_message ("job %s: %s", path, message);
  g_assert_true (success);
  g_assert_cmpstr (lookup_string (properties, "Status"), ==, "succeeded");
  g_assert_true (g_variant_lookup (properties, "ExitStatus", "i", &exit_status));
  g_assert_cmpint (exit_status, ==, 0);
}

/* --- callers as uid 65534 ------------------------------------------------ */

/* Starts `setpriv … ARGS` as uid and gid 65534, no groups. */
static GSubprocess *
spawn_nobody (const char * const *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *line = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (char *) "setpriv");
  g_ptr_array_add (argv, (char *) "--reuid=65534");
  g_ptr_array_add (argv, (char *) "--regid=65534");
  g_ptr_array_add (argv, (char *) "--clear-groups");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  line = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("as 65534: %s", line);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  return process;
}

/* Waits for @process (iterating the main context); its outcome. */
static GCertTestRun *
finish_nobody (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GCertTestRun *run = g_new0 (GCertTestRun, 1);

  g_subprocess_communicate_utf8_async (process, NULL, NULL, gcert_test_result_cb, &result);
  g_subprocess_communicate_utf8_finish (process, gcert_test_wait_for (&result), &run->out,
                                        &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
  return run;
}

static GCertTestRun *
run_nobody (const char * const *args)
{
  g_autoptr(GSubprocess) process = spawn_nobody (args);

  return finish_nobody (process);
}

/* gdbus call of the Manager's @method as uid 65534 */
#define GDBUS_MANAGER(method, ...) \
  (const char * const []) { "gdbus", "call", "--system", "--dest", BUS_NAME, "--object-path", \
                            MANAGER_PATH, "--method", MANAGER_IFACE "." method, __VA_ARGS__, \
                            NULL }
#define GDBUS_RENEW_WEB GDBUS_MANAGER ("Renew", "web", "{}")

/* The run failed with the D-Bus error @name, its message containing @needle. */
static void
assert_gdbus_error (const GCertTestRun *run,
                    const char         *name,
                    const char         *needle)
{
  g_autofree char *prefix = g_strconcat ("GDBus.Error:", name, ": ", NULL);

  g_assert_cmpint (run->status, !=, 0);
  gcert_test_assert_contains (run->err, prefix);
  gcert_test_assert_contains (run->err, needle);
}

/* The job path gdbus printed: "(objectpath '/org/…/job/N',)" */
static char *
gdbus_job_path (const GCertTestRun *run)
{
  const char *start;
  const char *end;

  g_assert_cmpint (run->status, ==, 0);
  start = strstr (run->out, "'" JOB_PREFIX "/");
  g_assert_nonnull (start);
  start++;
  end = strchr (start, '\'');
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

static void
assert_not_live (Fixture    *f,
                 const char *name)
{
  g_autofree char *live = g_build_filename (f->state, "live", name, NULL);

  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (live, G_FILE_TEST_IS_SYMLINK));
}

static void
start_polkit (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  gcert_test_bus_start_polkit (f->bus, &error);
  g_assert_no_error (error);
}

/* --- the cases ---------------------------------------------------------------- */

/* polkit refuses everything: an unprivileged Renew is refused and does
 * nothing; reading stays open; uid 65534 cannot take the bus name. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GCertTestRun) renew = NULL;
  g_autoptr(GCertTestRun) list = NULL;
  g_autoptr(GCertTestRun) get = NULL;
  g_autoptr(GCertTestRun) ctl = NULL;
  g_autoptr(GCertTestRun) own = NULL;
  guint32 pid;

  start_polkit (f);
  pid = service_pid (f);

  renew = run_nobody (GDBUS_RENEW_WEB);
  assert_gdbus_error (renew, ACCESS_DENIED, "org.gcert.Gcert1.renew");
  assert_not_live (f, "web");
  g_assert_cmpuint (count_jobs (f), ==, 0);
  g_assert_cmpuint (g_hash_table_size (f->finished), ==, 0);
  assert_service_up (f, pid);

  /* the real client says the same, and fails */
  ctl = run_nobody ((const char * const []) { gcert_test_gcertctl_path (), "--system", "renew",
                                              "web", NULL });
  g_assert_cmpint (ctl->status, ==, GCERT_EXIT_FAILURE);
  gcert_test_assert_contains (ctl->err, "org.gcert.Gcert1.renew");
  gcert_test_assert_contains (ctl->err, "not authorized");
  assert_not_live (f, "web");
  g_assert_cmpuint (count_jobs (f), ==, 0);

  list = run_nobody (GDBUS_MANAGER ("ListCertificates", NULL));
  g_assert_cmpint (list->status, ==, 0);
  gcert_test_assert_contains (list->out, "'web': {");
  gcert_test_assert_contains (list->out, "'slow': {");
  get = run_nobody (GDBUS_MANAGER ("GetCertificate", "web"));
  g_assert_cmpint (get->status, ==, 0);
  gcert_test_assert_contains (get->out, "'name': <'web'>");
  gcert_test_assert_contains (get->out, "'web.auth.test'");

  /* not even by replacing gcertd, which allows replacement */
  own = run_nobody ((const char * const []) { "gdbus", "call", "--system", "--dest",
                                              "org.freedesktop.DBus", "--object-path",
                                              "/org/freedesktop/DBus", "--method",
                                              "org.freedesktop.DBus.RequestName", BUS_NAME,
                                              "2", NULL });
  assert_gdbus_error (own, ACCESS_DENIED, "not allowed to own");
  assert_service_up (f, pid);
}

/* polkit allows renew only: the same caller renews, but may not issue. */
static void
test_allowed (Fixture       *f,
              gconstpointer  data)
{
  const char *allowed[] = { "org.gcert.Gcert1.renew", NULL };
  g_autoptr(GCertTestRun) renew = NULL;
  g_autoptr(GCertTestRun) issue = NULL;
  g_autoptr(GCertTestRun) ctl = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autofree char *path = NULL;

  start_polkit (f);
  gcert_test_bus_polkit_allow (f->bus, allowed);

  renew = run_nobody (GDBUS_RENEW_WEB);
  path = gdbus_job_path (renew);
  assert_job_succeeded (f, path);
  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);
  g_assert_cmpuint (count_jobs (f), ==, 1);

  issue = run_nobody (GDBUS_MANAGER ("Issue", "['other.auth.test']", "{'dns': <'test'>}"));
  assert_gdbus_error (issue, ACCESS_DENIED, "org.gcert.Gcert1.issue");
  assert_not_live (f, "other.auth.test");
  g_assert_cmpuint (count_jobs (f), ==, 1);

  /* gcertctl as the same user: allowed, and nothing is due */
  ctl = run_nobody ((const char * const []) { gcert_test_gcertctl_path (), "--system", "renew",
                                              "web", NULL });
  g_assert_cmpint (ctl->status, ==, GCERT_EXIT_OK);
  g_assert_cmpuint (count_jobs (f), ==, 2);
}

/* root needs no polkit answer, even while polkit refuses everything */
static void
test_root (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GCertCertificate) live = NULL;
  g_autofree char *path = NULL;

  start_polkit (f);
  path = renew_as_root (f, "web");
  assert_job_succeeded (f, path);
  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);
}

/* no polkit on the bus: refused, saying why; root still works */
static void
test_no_polkit (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCertTestRun) renew = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autofree char *path = NULL;
  guint32 pid = service_pid (f);

  renew = run_nobody (GDBUS_RENEW_WEB);
  assert_gdbus_error (renew, ACCESS_DENIED, "polkit's authority");
  gcert_test_assert_contains (renew->err, "is not running");
  gcert_test_assert_contains (renew->err, "org.gcert.Gcert1.renew");
  assert_not_live (f, "web");
  g_assert_cmpuint (count_jobs (f), ==, 0);
  assert_service_up (f, pid);

  path = renew_as_root (f, "web");
  assert_job_succeeded (f, path);
  live = gcert_test_check_live (f->state, "web", web_names, pebble_root);
}

/* polkit never answers: refused after --polkit-timeout, and the service
 * answers others meanwhile */
static void
test_polkit_hangs (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GCertTestRun) renew = NULL;
  guint32 pid;
  gint64 start, list_time, elapsed;

  start_polkit (f);
  gcert_test_bus_polkit_hang (f->bus, TRUE);
  pid = service_pid (f);

  start = g_get_monotonic_time ();
  process = spawn_nobody (GDBUS_RENEW_WEB);
  /* the pending check blocks nobody else */
  spin (500);
  list_time = g_get_monotonic_time ();
  assert_service_up (f, pid);
  list_time = g_get_monotonic_time () - list_time;
  g_assert_cmpint (list_time, <, G_TIME_SPAN_SECOND);
  renew = finish_nobody (process);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("refused after %.1f s", elapsed / (double) G_TIME_SPAN_SECOND);

  assert_gdbus_error (renew, ACCESS_DENIED, "did not answer");
  gcert_test_assert_contains (renew->err, "within 2 s");
  gcert_test_assert_contains (renew->err, "org.gcert.Gcert1.renew");
  g_assert_cmpint (elapsed, >=, 2 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (elapsed, <, 10 * G_TIME_SPAN_SECOND);
  assert_not_live (f, "web");
  g_assert_cmpuint (count_jobs (f), ==, 0);
  assert_service_up (f, pid);
}

/* bad input from root (authorization passes): clear errors, no crash */
static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantBuilder) many = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autofree char *huge = g_malloc (1024 * 1024 + 1);
  guint32 pid = service_pid (f);
  gint64 start;
  struct {
    const char *method;
    const char *parameters;
    const char *name;
    const char *needles[3];
  } cases[] = {
    { "Renew", "('nosuch', @a{sv} {})", "org.gcert.Gcert1.Error.NotFound",
      { "nosuch", NULL } },
    { "Issue", "(['bad..example.test'], {'dns': <'test'>})", INVALID_ARGS,
      { "malformed domain list", "bad..example.test", NULL } },
    { "Issue", "(@as [], {'dns': <'test'>})", INVALID_ARGS,
      { "malformed domain list", "empty", NULL } },
    { "Renew", "('web', {'bogus': <true>})", INVALID_ARGS,
      { "“bogus”", "force (b)", "wait (b)" } },
    { "Renew", "('web', {'force': <'yes'>})", INVALID_ARGS,
      { "“force”", "type b", NULL } },
    { "Issue", "(['fine.auth.test'], {'key-type': <'ec-256'>})", INVALID_ARGS,
      { "“dns”", NULL } },
    { "Issue", "(['fine.auth.test'], {'dns': <'test'>, 'key-type': <'dsa'>})", INVALID_ARGS,
      { "dsa", NULL } },
    { "Renew", "(42,)", INVALID_ARGS, { "(i)", "(sa{sv})", NULL } },
    { "Revoke", "('web', {'reason': <uint32 2>})", INVALID_ARGS, { "reason 2", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) parameters = g_variant_parse (NULL, cases[i].parameters, NULL, NULL,
                                                        &error);

      g_assert_no_error (error);
      g_test_message ("%s%s", cases[i].method, cases[i].parameters);
      reply = call_manager (f, cases[i].method, parameters, &error);
      g_assert_null (reply);
      assert_dbus_error (error, cases[i].name, NULL);
      for (guint j = 0; j < G_N_ELEMENTS (cases[i].needles) && cases[i].needles[j]; j++)
        gcert_test_assert_contains (error->message, cases[i].needles[j]);
      g_clear_error (&error);
    }

  /* a 1 MiB name */
  memset (huge, 'a', 1024 * 1024);
  huge[1024 * 1024] = '\0';
  reply = call_manager (f, "Renew", g_variant_new ("(s@a{sv})", huge,
                                                   g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                                        NULL, 0)),
                        &error);
  g_assert_null (reply);
  assert_dbus_error (error, INVALID_ARGS, "longer than 64 characters");
  g_assert_cmpuint (strlen (error->message), <, 1024);
  g_clear_error (&error);

  /* 20 000 domains, every one well-formed */
  for (guint i = 0; i < 20000; i++)
    {
      g_autofree char *domain = g_strdup_printf ("d%u.many.auth.test", i);

      g_variant_builder_add (many, "s", domain);
    }
  start = g_get_monotonic_time ();
  reply = call_manager (f, "Issue", g_variant_new_parsed ("(%as, {'dns': <'test'>})", many),
                        &error);
  g_test_message ("20 000 domains refused in %.2f s",
                  (g_get_monotonic_time () - start) / (double) G_TIME_SPAN_SECOND);
  g_assert_null (reply);
  assert_dbus_error (error, INVALID_ARGS, "malformed domain list");
  gcert_test_assert_contains (error->message, "20000");
  g_clear_error (&error);

  g_assert_cmpuint (count_jobs (f), ==, 0);
  assert_not_live (f, "web");
  assert_not_live (f, "d0.many.auth.test");
  assert_service_up (f, pid);
}

/* only the caller that started a job may cancel it; then it ends cancelled
 * and nothing is live */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GCertTestRun) nobody = NULL;
  g_autofree char *path = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  gint64 start;
  GVariant *finished;
  gboolean success = TRUE;
  const char *message = NULL;
  gint32 exit_status = 0;

  path = renew_as_root (f, "slow");
  while (!g_file_test (f->slow_pid, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      spin (50);
    }

  other = gcert_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
  reply = call_on (other, path, JOB_IFACE, "Cancel", NULL, &error);
  g_assert_null (reply);
  assert_dbus_error (error, ACCESS_DENIED, "only the caller that started");
  g_clear_error (&error);
  nobody = run_nobody ((const char * const []) { "gdbus", "call", "--system", "--dest", BUS_NAME,
                                                 "--object-path", path, "--method",
                                                 JOB_IFACE ".Cancel", NULL });
  assert_gdbus_error (nobody, ACCESS_DENIED, "only the caller that started");
  properties = gcert_test_bus_get_job (f->connection, path);
  g_assert_cmpstr (lookup_string (properties, "Status"), ==, "running");
  g_clear_pointer (&properties, g_variant_unref);

  start = g_get_monotonic_time ();
  reply = call_on (f->connection, path, JOB_IFACE, "Cancel", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  properties = wait_job (f, path);
  g_test_message ("cancelled in %.2f s",
                  (g_get_monotonic_time () - start) / (double) G_TIME_SPAN_SECOND);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);

  g_assert_cmpstr (lookup_string (properties, "Status"), ==, "cancelled");
  g_assert_true (g_variant_lookup (properties, "ExitStatus", "i", &exit_status));
  g_assert_cmpint (exit_status, !=, 0);
  finished = g_hash_table_lookup (f->finished, path);
  g_variant_get (finished, "(b&s)", &success, &message);
  g_assert_false (success);
  g_assert_cmpstr (message, !=, "");
  assert_not_live (f, "slow");
  /* the DNS program was stopped with the job */
  gcert_test_assert_process_gone (f->slow_pid);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *address = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("GCERTD") == NULL || g_getenv ("GCERTCTL") == NULL ||
      g_getenv ("GCERT_BUS_POLICY") == NULL)
    g_error ("GCERTD, GCERTCTL or GCERT_BUS_POLICY is not set; run this test with "
             "“meson test”");

  /* every bus of this program listens here, and so its "system bus" is
   * known before any thread starts */
  bus_dir = gcert_test_mkdtemp ("gcert-daemon-auth-bus");
  g_assert_cmpint (g_chmod (bus_dir, 0755), ==, 0);
  bus_socket = g_build_filename (bus_dir, "system_bus_socket", NULL);
  address = g_strconcat ("unix:path=", bus_socket, NULL);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");

  pebble = gcert_test_start_pebble (NULL, &pebble_root);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/gcert/daemon-auth/refused", test_refused);
  ADD ("/gcert/daemon-auth/allowed", test_allowed);
  ADD ("/gcert/daemon-auth/root", test_root);
  ADD ("/gcert/daemon-auth/no-polkit", test_no_polkit);
  ADD ("/gcert/daemon-auth/polkit-hangs", test_polkit_hangs);
  ADD ("/gcert/daemon-auth/bad-input", test_bad_input);
  ADD ("/gcert/daemon-auth/cancel", test_cancel);

#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  g_free (pebble_root);
  gcert_test_rm_rf (bus_dir);
  g_free (bus_dir);
  g_free (bus_socket);
  return status;
}
