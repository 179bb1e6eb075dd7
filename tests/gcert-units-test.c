/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gcert-test-util.h"

/* The data files of gcertd as they are installed: the systemd unit and its
 * sandbox (rated by systemd-analyze), the D-Bus activation file, the bus
 * policy (loaded by a real dbus-daemon, tried by root and by uid 65534)
 * and the polkit actions. */

#define BUS_NAME       "org.gcert.Gcert1"
#define OBJECT_PATH    "/org/gcert/Gcert1"
#define MANAGER_IFACE  "org.gcert.Gcert1.Manager"
#define JOB_IFACE      "org.gcert.Gcert1.Job"
#define NOBODY         "65534"
/* systemd-analyze security rates a bare service 9.6; the sandbox must
 * bring gcertd.service to this or better */
#define MAX_EXPOSURE   3.0

/* --- helpers ---------------------------------------------------------------- */

/* a file of the source tree's data/ */
static char *
data_source_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
}

/* a file of the build tree's data/: the configured and merged ones */
static char *
data_build_path (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "..", "data", name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing: build the project before testing", path);
  return g_steal_pointer (&path);
}

static char *
program_path (const char *name)
{
  g_autofree char *path = gcert_test_find_program (name);

  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is not installed", name);
  return g_steal_pointer (&path);
}

/* A small environment for the programs the tests run, without the
 * debugging settings meson gives the test itself. */
static GStrv
child_environment (void)
{
  const char *path = g_getenv ("PATH");
  g_autofree char *path_entry = g_strconcat ("PATH=", path != NULL ? path : "/usr/bin:/bin", NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, path_entry);
  g_strv_builder_add (builder, "LC_ALL=C.UTF-8");
  g_strv_builder_add (builder, "HOME=/nonexistent");
  g_strv_builder_add (builder, "SYSTEMD_COLORS=0");
  g_strv_builder_add (builder, "SYSTEMD_PAGER=");
  return g_strv_builder_end (builder);
}

/* Runs @argv to its end, iterating the thread-default main context
 * meanwhile (the test may be serving the bus the program calls). */
static GCertTestRun *
run_argv (const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  g_auto(GStrv) env = child_environment ();
  GCertTestRun *run = g_new0 (GCertTestRun, 1);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, gcert_test_result_cb, &result);
  g_subprocess_communicate_utf8_finish (process, gcert_test_wait_for (&result),
                                        &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("%s: exit %d\n%s%s", command, run->status, run->out, run->err);
  return run;
}

#define run_cmd(...) run_argv ((const char * const []) { __VA_ARGS__, NULL })

/* --- the systemd unit ----------------------------------------------------- */

/* The "Overall exposure level" systemd-analyze gives @unit_path; its whole
 * report in @out_report. */
static double
exposure_of (const char  *unit_path,
             char       **out_report)
{
  g_autofree char *analyze = program_path ("systemd-analyze");
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *number = NULL;

  run = run_cmd (analyze, "security", "--offline=true", "--no-pager", unit_path);
  regex = g_regex_new ("Overall exposure level for \\S+: ([0-9]+(\\.[0-9]+)?)", 0, 0, NULL);
  if (!g_regex_match (regex, run->out, 0, &match))
    g_error ("systemd-analyze security %s gave no exposure level (exit %d):\n%s%s",
             unit_path, run->status, run->out, run->err);
  number = g_match_info_fetch (match, 1);
  *out_report = g_strconcat (run->out, run->err, NULL);
  return g_ascii_strtod (number, NULL);
}

static void
test_unit_exposure (void)
{
  g_autofree char *unit = data_build_path ("gcertd.service");
  g_autofree char *report = NULL;
  double exposure = exposure_of (unit, &report);

  g_test_message ("exposure level of gcertd.service: %.1f", exposure);
  if (exposure > MAX_EXPOSURE)
    g_error ("gcertd.service is rated %.1f, more than %.1f:\n%s",
             exposure, MAX_EXPOSURE, report);
}

/* The parsing above must not pass by accident: an unprotected service
 * is rated far above the limit. */
static void
test_unit_exposure_bare (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-units");
  g_autofree char *unit = gcert_test_write_file_in (dir, "bare.service",
                                                    "[Service]\n"
                                                    "ExecStart=/usr/bin/true\n", 0644);
  g_autofree char *report = NULL;
  double exposure = exposure_of (unit, &report);

  g_test_message ("exposure level of a bare service: %.1f", exposure);
  g_assert_cmpfloat (exposure, >, MAX_EXPOSURE);
  gcert_test_rm_rf (dir);
}

static void
test_unit_verify (void)
{
  g_autofree char *unit = data_build_path ("gcertd.service");
  g_autofree char *analyze = program_path ("systemd-analyze");
  g_autofree char *text = gcert_test_read_file (unit);
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-units");
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec_start = NULL;
  g_autofree char *copy_text = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *true_path = program_path ("true");
  g_auto(GStrv) parts = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  char *space;

  /* every @VARIABLE@ was substituted */
  g_assert_false (g_regex_match_simple ("@[A-Za-z_]+@", text, 0, 0));
  g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec_start = g_key_file_get_string (keyfile, "Service", "ExecStart", &error);
  g_assert_no_error (error);
  g_assert_true (g_path_is_absolute (exec_start));
  space = strchr (exec_start, ' ');
  g_assert_nonnull (space);
  *space = '\0';
  g_assert_true (g_str_has_suffix (exec_start, "/gcertd"));

  /* verify wants the program to exist, and gcertd is not installed: the
   * same unit with an existing program instead, under the same name;
   * --man=no as its man pages are not installed either */
  parts = g_strsplit (text, exec_start, -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  copy_text = g_strjoinv (true_path, parts);
  copy = gcert_test_write_file_in (dir, "gcertd.service", copy_text, 0644);
  run = run_cmd (analyze, "verify", "--man=no", copy);
  if (run->status != 0 || run->out[0] != '\0' || run->err[0] != '\0')
    g_error ("systemd-analyze verify complains about gcertd.service (exit %d):\n%s%s",
             run->status, run->out, run->err);
  gcert_test_rm_rf (dir);
}

/* The activation file starts what the unit starts, and names the unit. */
static void
test_activation_file (void)
{
  g_autofree char *activation = data_build_path ("org.gcert.Gcert1.service");
  g_autofree char *unit = data_build_path ("gcertd.service");
  g_autoptr(GKeyFile) a = g_key_file_new ();
  g_autoptr(GKeyFile) u = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *user = NULL;
  g_autofree char *systemd_service = NULL;
  g_autofree char *exec_start = NULL;
  g_autofree char *bus_name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *unit_name = g_path_get_basename (unit);

  g_key_file_load_from_file (a, activation, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_key_file_load_from_file (u, unit, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  name = g_key_file_get_string (a, "D-BUS Service", "Name", &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (a, "D-BUS Service", "Exec", &error);
  g_assert_no_error (error);
  user = g_key_file_get_string (a, "D-BUS Service", "User", &error);
  g_assert_no_error (error);
  systemd_service = g_key_file_get_string (a, "D-BUS Service", "SystemdService", &error);
  g_assert_no_error (error);
  exec_start = g_key_file_get_string (u, "Service", "ExecStart", &error);
  g_assert_no_error (error);
  bus_name = g_key_file_get_string (u, "Service", "BusName", &error);
  g_assert_no_error (error);
  type = g_key_file_get_string (u, "Service", "Type", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (name, ==, BUS_NAME);
  g_assert_cmpstr (bus_name, ==, BUS_NAME);
  g_assert_cmpstr (type, ==, "dbus");
  g_assert_cmpstr (user, ==, "root");
  g_assert_cmpstr (systemd_service, ==, unit_name);
  g_assert_cmpstr (exec, ==, exec_start);
  g_assert_true (g_str_has_suffix (exec, "/gcertd --system"));
  g_assert_true (g_path_is_absolute (exec));
}

/* --- the bus policy ------------------------------------------------------- */

typedef struct {
  char            *dir;
  char            *log_path;
  char            *address;
  GPid             daemon;
  GDBusConnection *root;        /* the test's own connection, as root */
  GDBusNodeInfo   *node;
  GDBusNodeInfo   *debug_node;
  guint            ids[3];
  guint            job_cancels;
} Bus;

/* A bus with the system bus's defaults (no owning, no method calls unless
 * a policy allows them; signals and replies flow), listening on a socket
 * in a directory uid 65534 can reach, plus the policy under test. */
static const char bus_config_format[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <listen>unix:path=%s</listen>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow user=\"*\"/>\n"
  "    <deny own=\"*\"/>\n"
  "    <deny send_type=\"method_call\"/>\n"
  "    <allow send_type=\"signal\"/>\n"
  "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
  "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
  "    <allow receive_type=\"method_call\"/>\n"
  "    <allow receive_type=\"method_return\"/>\n"
  "    <allow receive_type=\"error\"/>\n"
  "    <allow receive_type=\"signal\"/>\n"
  "    <allow send_destination=\"org.freedesktop.DBus\"\n"
  "           send_interface=\"org.freedesktop.DBus\"/>\n"
  "    <allow send_destination=\"org.freedesktop.DBus\"\n"
  "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
  "  </policy>\n"
  "  <include>%s</include>\n"
  "</busconfig>\n";

static const char debug_xml[] =
  "<node>"
  "  <interface name='org.gcert.Gcert1.Debug'>"
  "    <method name='Ping'/>"
  "  </interface>"
  "</node>";

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Bus *bus = user_data;

  if (g_str_equal (method_name, "ListCertificates"))
    {
      g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{sa{sv}}"));

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(a{sa{sv}})", builder));
    }
  else if (g_str_equal (method_name, "Cancel"))
    {
      bus->job_cancels++;
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "Ping"))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_return_dbus_error (invocation, "org.gcert.Gcert1.Error.Failed",
                                                "not in this test");
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_string (PACKAGE_VERSION);
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("running");
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "not in this test");
  return NULL;
}

static const GDBusInterfaceVTable vtable = { method_call_cb, get_property_cb, NULL, { 0 } };

static void
bus_setup (Bus           *bus,
           gconstpointer  data)
{
  g_autofree char *policy = data_source_path ("org.gcert.Gcert1.conf");
  g_autofree char *dbus_daemon = program_path ("dbus-daemon");
  g_autofree char *socket_path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config_arg = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = child_environment ();
  int stdout_fd = -1;

  g_assert_true (g_file_test (policy, G_FILE_TEST_IS_REGULAR));
  if (geteuid () != 0)
    g_error ("the bus policy tests run as root: they compare root with uid " NOBODY);

  bus->dir = gcert_test_mkdtemp ("gcert-units-bus");
  g_assert_no_errno (g_chmod (bus->dir, 0755));
  socket_path = g_build_filename (bus->dir, "bus", NULL);
  config = g_markup_printf_escaped (bus_config_format, socket_path, policy);
  config_path = gcert_test_write_file_in (bus->dir, "bus.conf", config, 0644);
  bus->log_path = g_build_filename (bus->dir, "dbus-daemon.log", NULL);

  /* it gets SIGTERM should the test abort */
  config_arg = g_strconcat ("--config-file=", config_path, NULL);
  gcert_test_spawn_logged (bus->dir,
                           (const char * const []) { dbus_daemon, config_arg, "--print-address",
                                                     "--nofork", NULL },
                           (const char * const *) env, bus->log_path, &stdout_fd, &bus->daemon,
                           &error);
  g_assert_no_error (error);

  /* the address comes once the bus listens; nothing when the
   * configuration (our policy included) is refused */
  channel = g_io_channel_unix_new (stdout_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_line (channel, &bus->address, NULL, NULL, &error);
  g_assert_no_error (error);
  if (bus->address != NULL)
    g_strstrip (bus->address);
  if (bus->address == NULL || bus->address[0] == '\0')
    {
      g_autofree char *log = gcert_test_read_log (bus->log_path);

      g_error ("dbus-daemon refused the configuration with %s:\n%s", policy, log);
    }
  g_test_message ("bus at %s", bus->address);

  bus->root = g_dbus_connection_new_for_address_sync (bus->address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
bus_teardown (Bus           *bus,
              gconstpointer  data)
{
  g_autofree char *log = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bus->ids); i++)
    if (bus->ids[i] != 0)
      g_dbus_connection_unregister_object (bus->root, bus->ids[i]);
  g_dbus_connection_close_sync (bus->root, NULL, NULL);
  g_clear_object (&bus->root);
  g_clear_pointer (&bus->node, g_dbus_node_info_unref);
  g_clear_pointer (&bus->debug_node, g_dbus_node_info_unref);

  gcert_test_terminate (&bus->daemon);

  /* a policy it cannot use stops dbus-daemon at the start (see
   * bus_setup()); what it logs here are the refusals */
  log = gcert_test_read_log (bus->log_path);
  g_test_message ("dbus-daemon: %s", log);

  gcert_test_rm_rf (bus->dir);
  g_free (bus->dir);
  g_free (bus->log_path);
  g_free (bus->address);
}

/* RequestName on the test's own connection, as root */
static guint32
root_request_name (Bus *bus)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 result = 0;

  reply = g_dbus_connection_call_sync (bus->root, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", BUS_NAME, 4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 10000,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  return result;
}

/* Owns the name on the root connection and serves the Manager, a job and
 * an interface the policy does not open. */
static void
bus_serve (Bus *bus)
{
  g_autofree char *xml_path = data_source_path ("org.gcert.Gcert1.xml");
  g_autofree char *xml = gcert_test_read_file (xml_path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (root_request_name (bus), ==, 1 /* PRIMARY_OWNER */);

  bus->node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  bus->debug_node = g_dbus_node_info_new_for_xml (debug_xml, &error);
  g_assert_no_error (error);
  bus->ids[0] = g_dbus_connection_register_object (bus->root, OBJECT_PATH,
                                                   g_dbus_node_info_lookup_interface (bus->node,
                                                                                      MANAGER_IFACE),
                                                   &vtable, bus, NULL, &error);
  g_assert_no_error (error);
  bus->ids[1] = g_dbus_connection_register_object (bus->root, OBJECT_PATH "/job/1",
                                                   g_dbus_node_info_lookup_interface (bus->node,
                                                                                      JOB_IFACE),
                                                   &vtable, bus, NULL, &error);
  g_assert_no_error (error);
  bus->ids[2] = g_dbus_connection_register_object (bus->root, OBJECT_PATH,
                                                   bus->debug_node->interfaces[0],
                                                   &vtable, bus, NULL, &error);
  g_assert_no_error (error);
}

/* `gdbus ARGS… --address ADDRESS` as uid 65534 (and gid 65534, no
 * supplementary groups) */
static GCertTestRun *
run_gdbus_as_nobody (Bus                *bus,
                     const char * const *args)
{
  g_autofree char *setpriv = program_path ("setpriv");
  g_autofree char *gdbus = program_path ("gdbus");
  g_autofree char *address_arg = g_strconcat ("--address=", bus->address, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, setpriv);
  g_ptr_array_add (argv, (char *) "--reuid=" NOBODY);
  g_ptr_array_add (argv, (char *) "--regid=" NOBODY);
  g_ptr_array_add (argv, (char *) "--clear-groups");
  g_ptr_array_add (argv, (char *) "--");
  g_ptr_array_add (argv, gdbus);
  g_ptr_array_add (argv, (char *) args[0]);
  g_ptr_array_add (argv, address_arg);
  for (guint i = 1; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return run_argv ((const char * const *) argv->pdata);
}

#define nobody_gdbus(bus, ...) \
  run_gdbus_as_nobody ((bus), (const char * const []) { __VA_ARGS__, NULL })

#define REQUEST_NAME_ARGS \
  "call", "--timeout=10", "--dest=org.freedesktop.DBus", "--object-path=/org/freedesktop/DBus", \
  "--method=org.freedesktop.DBus.RequestName", BUS_NAME, "4"

static void
assert_access_denied (const GCertTestRun *run)
{
  g_assert_cmpint (run->status, !=, 0);
  gcert_test_assert_contains (run->err, "org.freedesktop.DBus.Error.AccessDenied");
}

static void
test_policy_root_owns (Bus           *bus,
                       gconstpointer  data)
{
  g_autofree char *gdbus = program_path ("gdbus");
  g_autofree char *address_arg = g_strconcat ("--address=", bus->address, NULL);
  g_autoptr(GCertTestRun) run = NULL;

  /* another process of root's, as gcertd is */
  run = run_cmd (gdbus, "call", address_arg, "--timeout=10", "--dest=org.freedesktop.DBus",
                 "--object-path=/org/freedesktop/DBus",
                 "--method=org.freedesktop.DBus.RequestName", BUS_NAME, "4");
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, "(uint32 1,)\n");

  /* and this one: the first owner */
  g_assert_cmpuint (root_request_name (bus), ==, 1 /* PRIMARY_OWNER */);
}

static void
test_policy_nobody_cannot_own (Bus           *bus,
                               gconstpointer  data)
{
  g_autoptr(GCertTestRun) hello = NULL;
  g_autoptr(GCertTestRun) own = NULL;
  g_autoptr(GCertTestRun) again = NULL;

  /* uid 65534 reaches the bus and may talk to it: what follows is refused
   * by the policy, not for want of a connection */
  hello = nobody_gdbus (bus, "call", "--timeout=10", "--dest=org.freedesktop.DBus",
                        "--object-path=/org/freedesktop/DBus",
                        "--method=org.freedesktop.DBus.GetId");
  g_assert_cmpint (hello->status, ==, 0);
  g_assert_true (g_str_has_prefix (hello->out, "('"));

  own = nobody_gdbus (bus, REQUEST_NAME_ARGS);
  assert_access_denied (own);
  gcert_test_assert_contains (own->err, BUS_NAME);

  /* nor can it take the name over once root has it */
  bus_serve (bus);
  again = nobody_gdbus (bus, "call", "--timeout=10", "--dest=org.freedesktop.DBus",
                        "--object-path=/org/freedesktop/DBus",
                        "--method=org.freedesktop.DBus.RequestName", BUS_NAME, "2");
  assert_access_denied (again);
}

static void
test_policy_nobody_calls (Bus           *bus,
                          gconstpointer  data)
{
  g_autoptr(GCertTestRun) list = NULL;
  g_autoptr(GCertTestRun) version = NULL;
  g_autoptr(GCertTestRun) status = NULL;
  g_autoptr(GCertTestRun) introspect = NULL;
  g_autoptr(GCertTestRun) cancel = NULL;
  g_autoptr(GCertTestRun) debug = NULL;

  bus_serve (bus);

  list = nobody_gdbus (bus, "call", "--timeout=10", "--dest=" BUS_NAME,
                       "--object-path=" OBJECT_PATH,
                       "--method=" MANAGER_IFACE ".ListCertificates");
  g_assert_cmpint (list->status, ==, 0);
  g_assert_cmpstr (list->out, ==, "(@a{sa{sv}} {},)\n");

  version = nobody_gdbus (bus, "call", "--timeout=10", "--dest=" BUS_NAME,
                          "--object-path=" OBJECT_PATH,
                          "--method=org.freedesktop.DBus.Properties.Get",
                          MANAGER_IFACE, "Version");
  g_assert_cmpint (version->status, ==, 0);
  g_assert_cmpstr (version->out, ==, "(<'" PACKAGE_VERSION "'>,)\n");

  status = nobody_gdbus (bus, "call", "--timeout=10", "--dest=" BUS_NAME,
                         "--object-path=" OBJECT_PATH "/job/1",
                         "--method=org.freedesktop.DBus.Properties.Get",
                         JOB_IFACE, "Status");
  g_assert_cmpint (status->status, ==, 0);
  g_assert_cmpstr (status->out, ==, "(<'running'>,)\n");

  introspect = nobody_gdbus (bus, "introspect", "--dest=" BUS_NAME,
                             "--object-path=" OBJECT_PATH);
  g_assert_cmpint (introspect->status, ==, 0);
  gcert_test_assert_contains (introspect->out, "interface " MANAGER_IFACE);

  /* a method of the Job interface reaches the service, which decides */
  cancel = nobody_gdbus (bus, "call", "--timeout=10", "--dest=" BUS_NAME,
                         "--object-path=" OBJECT_PATH "/job/1",
                         "--method=" JOB_IFACE ".Cancel");
  g_assert_cmpint (cancel->status, ==, 0);
  g_assert_cmpuint (bus->job_cancels, ==, 1);

  /* an interface the policy does not name is closed, though the service
   * has it */
  debug = nobody_gdbus (bus, "call", "--timeout=10", "--dest=" BUS_NAME,
                        "--object-path=" OBJECT_PATH,
                        "--method=org.gcert.Gcert1.Debug.Ping");
  assert_access_denied (debug);
}

typedef struct {
  GDataInputStream *in;
  GString          *text;
  gboolean          eof;
} Reader;

static void
reader_line_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Reader *reader = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (reader->in, result, NULL, NULL);
  if (line == NULL)
    {
      reader->eof = TRUE;
      return;
    }
  g_string_append_printf (reader->text, "%s\n", line);
  g_data_input_stream_read_line_async (reader->in, G_PRIORITY_DEFAULT, NULL,
                                       reader_line_cb, reader);
}

/* Iterates the main context until @needle is in the reader's text, for at
 * most ten seconds, emitting CertificateRenewed meanwhile when @emit_on is
 * not NULL. */
static gboolean
wait_for_text (Reader          *reader,
               const char      *needle,
               GDBusConnection *emit_on)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gint64 next_emit = 0;

  while (strstr (reader->text->str, needle) == NULL && !reader->eof)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (emit_on != NULL && g_get_monotonic_time () >= next_emit)
        {
          g_autoptr(GVariantBuilder) info = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
          g_autoptr(GError) error = NULL;

          g_dbus_connection_emit_signal (emit_on, NULL, OBJECT_PATH, MANAGER_IFACE,
                                         "CertificateRenewed",
                                         g_variant_new ("(sa{sv})", "web", info), &error);
          g_assert_no_error (error);
          next_emit = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (G_USEC_PER_SEC / 100);
    }
  return strstr (reader->text->str, needle) != NULL;
}

static void
test_policy_nobody_receives_signals (Bus           *bus,
                                     gconstpointer  data)
{
  g_autofree char *setpriv = program_path ("setpriv");
  g_autofree char *gdbus = program_path ("gdbus");
  g_autofree char *address_arg = g_strconcat ("--address=", bus->address, NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) monitor = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = child_environment ();
  Reader reader = { NULL, NULL, FALSE };

  bus_serve (bus);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, env);
  monitor = g_subprocess_launcher_spawn (launcher, &error, setpriv, "--reuid=" NOBODY,
                                         "--regid=" NOBODY, "--clear-groups", "--", gdbus,
                                         "monitor", address_arg, "--dest=" BUS_NAME, NULL);
  g_assert_no_error (error);
  reader.in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));
  reader.text = g_string_new (NULL);
  g_data_input_stream_read_line_async (reader.in, G_PRIORITY_DEFAULT, NULL,
                                       reader_line_cb, &reader);

  /* it watches once it has seen who owns the name */
  if (!wait_for_text (&reader, "is owned by", NULL))
    g_error ("gdbus monitor as uid " NOBODY " did not start:\n%s", reader.text->str);
  if (!wait_for_text (&reader, MANAGER_IFACE ".CertificateRenewed ('web'", bus->root))
    g_error ("uid " NOBODY " did not receive CertificateRenewed:\n%s", reader.text->str);
  g_test_message ("%s", reader.text->str);

  g_subprocess_force_exit (monitor);
  while (!reader.eof)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (monitor, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&reader.in);
  g_string_free (reader.text, TRUE);
}

/* --- the polkit actions --------------------------------------------------- */

typedef struct {
  char *description;
  char *message;
  char *allow_any;
  char *allow_inactive;
  char *allow_active;
} Action;

static void
action_free (Action *action)
{
  g_free (action->description);
  g_free (action->message);
  g_free (action->allow_any);
  g_free (action->allow_inactive);
  g_free (action->allow_active);
  g_free (action);
}

typedef struct {
  GHashTable *actions;   /* id → Action */
  Action     *current;
  char       *element;   /* whose text is wanted, or NULL */
} PolicyParse;

static void
policy_start_cb (GMarkupParseContext  *context,
                 const char           *element,
                 const char          **names,
                 const char          **values,
                 gpointer              user_data,
                 GError              **error)
{
  PolicyParse *parse = user_data;
  gboolean translated = FALSE;

  g_clear_pointer (&parse->element, g_free);
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], "xml:lang"))
      translated = TRUE;

  if (g_str_equal (element, "action"))
    {
      const char *id = NULL;

      for (guint i = 0; names[i] != NULL; i++)
        if (g_str_equal (names[i], "id"))
          id = values[i];
      g_assert_nonnull (id);
      g_assert_false (g_hash_table_contains (parse->actions, id));
      parse->current = g_new0 (Action, 1);
      g_hash_table_insert (parse->actions, g_strdup (id), parse->current);
    }
  else if (parse->current != NULL && !translated &&
           (g_str_equal (element, "description") || g_str_equal (element, "message") ||
            g_str_has_prefix (element, "allow_")))
    parse->element = g_strdup (element);
}

static void
policy_text_cb (GMarkupParseContext  *context,
                const char           *text,
                gsize                 length,
                gpointer              user_data,
                GError              **error)
{
  PolicyParse *parse = user_data;
  char **slot = NULL;

  if (parse->element == NULL)
    return;
  if (g_str_equal (parse->element, "description"))
    slot = &parse->current->description;
  else if (g_str_equal (parse->element, "message"))
    slot = &parse->current->message;
  else if (g_str_equal (parse->element, "allow_any"))
    slot = &parse->current->allow_any;
  else if (g_str_equal (parse->element, "allow_inactive"))
    slot = &parse->current->allow_inactive;
  else if (g_str_equal (parse->element, "allow_active"))
    slot = &parse->current->allow_active;
  else
    g_error ("unexpected element <%s> in an action", parse->element);
  g_assert_null (*slot);
  *slot = g_strstrip (g_strndup (text, length));
}

static void
policy_end_cb (GMarkupParseContext  *context,
               const char           *element,
               gpointer              user_data,
               GError              **error)
{
  PolicyParse *parse = user_data;

  g_clear_pointer (&parse->element, g_free);
  if (g_str_equal (element, "action"))
    parse->current = NULL;
}

static void
assert_policy_file (const char *path)
{
  static const GMarkupParser parser = { policy_start_cb, policy_end_cb, policy_text_cb, NULL, NULL };
  static const char * const ids[] = {
    "org.gcert.Gcert1.renew", "org.gcert.Gcert1.issue", "org.gcert.Gcert1.revoke",
  };
  g_autofree char *xmllint = program_path ("xmllint");
  g_autofree char *text = gcert_test_read_file (path);
  g_autoptr(GCertTestRun) lint = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GHashTable) actions = NULL;
  g_autoptr(GError) error = NULL;
  PolicyParse parse = { NULL, NULL, NULL };

  lint = run_cmd (xmllint, "--noout", "--nonet", path);
  g_assert_cmpint (lint->status, ==, 0);
  g_assert_cmpstr (lint->err, ==, "");

  actions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) action_free);
  parse.actions = actions;
  context = g_markup_parse_context_new (&parser, G_MARKUP_DEFAULT_FLAGS, &parse, NULL);
  g_markup_parse_context_parse (context, text, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_hash_table_size (actions), ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      Action *action = g_hash_table_lookup (actions, ids[i]);

      g_test_message ("%s: %s / %s", ids[i], action != NULL ? action->description : "(none)",
                      action != NULL ? action->message : "(none)");
      g_assert_nonnull (action);
      g_assert_nonnull (action->description);
      g_assert_cmpstr (action->description, !=, "");
      g_assert_nonnull (action->message);
      g_assert_cmpstr (action->message, !=, "");
      g_assert_cmpstr (action->allow_active, ==, "auth_admin_keep");
      g_assert_cmpstr (action->allow_inactive, ==, "auth_admin_keep");
      g_assert_cmpstr (action->allow_any, ==, "auth_admin");
    }
  g_free (parse.element);
}

static void
test_polkit_policy (void)
{
  g_autofree char *source = data_source_path ("org.gcert.Gcert1.policy.in");
  g_autofree char *merged = data_build_path ("org.gcert.Gcert1.policy");

  /* what translators see, and what is installed */
  assert_policy_file (source);
  assert_policy_file (merged);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/units/unit/exposure", test_unit_exposure);
  g_test_add_func ("/gcert/units/unit/exposure-bare", test_unit_exposure_bare);
  g_test_add_func ("/gcert/units/unit/verify", test_unit_verify);
  g_test_add_func ("/gcert/units/activation", test_activation_file);
  g_test_add ("/gcert/units/bus-policy/root-owns", Bus, NULL,
              bus_setup, test_policy_root_owns, bus_teardown);
  g_test_add ("/gcert/units/bus-policy/nobody-cannot-own", Bus, NULL,
              bus_setup, test_policy_nobody_cannot_own, bus_teardown);
  g_test_add ("/gcert/units/bus-policy/nobody-calls", Bus, NULL,
              bus_setup, test_policy_nobody_calls, bus_teardown);
  g_test_add ("/gcert/units/bus-policy/nobody-receives-signals", Bus, NULL,
              bus_setup, test_policy_nobody_receives_signals, bus_teardown);
  g_test_add_func ("/gcert/units/polkit-policy", test_polkit_policy);

  return g_test_run ();
}
