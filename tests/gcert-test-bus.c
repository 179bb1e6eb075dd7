/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gcert-test-bus.h"
#include "gcert-test-util.h"

#define START_TIMEOUT_MS 15000
#define POLKIT_NAME      "org.freedesktop.PolicyKit1"
#define POLKIT_PATH      "/org/freedesktop/PolicyKit1/Authority"

/* The first line dbus-daemon prints: its address. */
static char *
read_address (int      fd,
              GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;
      char c;
      ssize_t n;

      if (left <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "dbus-daemon printed no address");
          return NULL;
        }
      if (poll (&pfd, 1, (int) left) < 0)
        {
          if (errno == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "poll: %s",
                       g_strerror (errno));
          return NULL;
        }
      if ((pfd.revents & (POLLIN | POLLHUP)) == 0)
        continue;
      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "dbus-daemon exited before printing its address");
          return NULL;
        }
      if (c == '\n')
        break;
      g_string_append_c (line, c);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static gboolean
write_services (GCertTestBus       *bus,
                const char * const *services,
                GError            **error)
{
  for (guint i = 0; services != NULL && services[i] != NULL && services[i + 1] != NULL; i += 2)
    {
      g_autofree char *file = g_strconcat (services[i], ".service", NULL);
      g_autofree char *path = g_build_filename (bus->service_dir, file, NULL);
      g_autofree char *text = g_strdup_printf ("[D-BUS Service]\nName=%s\nExec=%s\n",
                                               services[i], services[i + 1]);

      if (!g_file_set_contents (path, text, -1, error))
        return FALSE;
    }
  return TRUE;
}

GCertTestBus *
gcert_test_bus_start (const GCertTestBusOptions *options,
                      GError                   **error)
{
  static const GCertTestBusOptions defaults = { NULL, NULL, NULL, NULL };
  g_autoptr(GCertTestBus) bus = g_new0 (GCertTestBus, 1);
  g_autoptr(GString) config = g_string_new (NULL);
  g_autofree char *config_path = NULL;
  g_autofree char *socket = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *escaped_dir = NULL;
  g_autofree char *config_arg = NULL;
  int out_fd = -1;

  if (options == NULL)
    options = &defaults;
  bus->tmpdir = gcert_test_mkdtemp ("gcert-test-bus");
  /* callers that run as another user must reach the socket */
  g_chmod (bus->tmpdir, 0755);
  bus->service_dir = g_build_filename (bus->tmpdir, "services", NULL);
  bus->log_path = g_build_filename (bus->tmpdir, "dbus-daemon.log", NULL);
  g_mkdir (bus->service_dir, 0755);
  if (!write_services (bus, options->services, error))
    return NULL;

  socket = options->socket_path != NULL ? g_strdup (options->socket_path)
                                        : g_build_filename (bus->tmpdir, "bus", NULL);
  if (g_unlink (socket) != 0 && errno != ENOENT)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "removing %s: %s",
                   socket, g_strerror (errno));
      return NULL;
    }

  escaped = g_markup_escape_text (socket, -1);
  escaped_dir = g_markup_escape_text (bus->service_dir, -1);
  g_string_append_printf (config,
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <listen>unix:path=%s</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <servicedir>%s</servicedir>\n"
    "  <policy context=\"default\">\n"
    "    <allow user=\"*\"/>\n"
    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    "    <allow eavesdrop=\"true\"/>\n"
    "  </policy>\n"
    "  <policy user=\"root\">\n"
    "    <allow own=\"*\"/>\n"
    "  </policy>\n", escaped, escaped_dir);
  for (guint i = 0; options->policies != NULL && options->policies[i] != NULL; i++)
    {
      g_autofree char *policy = g_markup_escape_text (options->policies[i], -1);

      g_string_append_printf (config, "  <include>%s</include>\n", policy);
    }
  g_string_append (config, "</busconfig>\n");
  config_path = g_build_filename (bus->tmpdir, "bus.conf", NULL);
  if (!g_file_set_contents (config_path, config->str, -1, error))
    return NULL;

  config_arg = g_strconcat ("--config-file=", config_path, NULL);
  /* its complaints (it cannot raise its fd limit) and what the services it
   * starts print go to a log, not the TAP; its address comes on stdout */
  {
    const char *argv[] = { "dbus-daemon", config_arg, "--print-address", "--nofork", NULL };

    if (!gcert_test_spawn_logged (bus->tmpdir, argv, options->envp, bus->log_path, &out_fd,
                                  &bus->daemon_pid, error))
      return NULL;
  }
  {
    g_autoptr(GError) local_error = NULL;

    bus->address = read_address (out_fd, &local_error);
    close (out_fd);
    if (bus->address == NULL)
      {
        gcert_test_error_with_log (error, GCERT_ERROR_FAILED, bus->log_path, "%s",
                                   local_error->message);
        return NULL;
      }
  }
  g_strstrip (bus->address);
  return g_steal_pointer (&bus);
}

void
gcert_test_bus_stop (GCertTestBus *bus)
{
  if (bus == NULL)
    return;
  gcert_test_bus_stop_polkit (bus);
  gcert_test_terminate (&bus->daemon_pid);
  if (bus->tmpdir != NULL)
    gcert_test_rm_rf (bus->tmpdir);
  g_free (bus->tmpdir);
  g_free (bus->address);
  g_free (bus->service_dir);
  g_free (bus->log_path);
  g_free (bus);
}

GDBusConnection *
gcert_test_bus_connect (GCertTestBus  *bus,
                        GError       **error)
{
  return g_dbus_connection_new_for_address_sync (bus->address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, error);
}

gboolean
gcert_test_bus_name_has_owner (GDBusConnection *connection,
                               const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

guint32
gcert_test_bus_get_pid (GDBusConnection *connection,
                        const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  guint32 pid = 0;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &pid);
  return pid;
}

GVariant *
gcert_test_bus_get_job (GDBusConnection *connection,
                        const char      *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (connection, "org.gcert.Gcert1", path,
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", "org.gcert.Gcert1.Job"),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

gboolean
gcert_test_bus_start_polkit (GCertTestBus  *bus,
                             GError       **error)
{
  g_autofree char *address_env = g_strconcat ("DBUS_SYSTEM_BUS_ADDRESS=", bus->address, NULL);
  g_autofree char *log_path = g_build_filename (bus->tmpdir, "polkitd.log", NULL);
  g_autoptr(GDBusConnection) connection = NULL;
  const char *argv[] = { "/usr/bin/python3", "-m", "dbusmock", "--system", "--template",
                         "polkitd", NULL };
  const char *envp[] = { address_env, "PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL };
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  g_return_val_if_fail (bus->polkit_pid == 0, FALSE);

  if (!gcert_test_spawn_logged (bus->tmpdir, argv, envp, log_path, NULL, &bus->polkit_pid, error))
    return FALSE;
  connection = gcert_test_bus_connect (bus, error);
  if (connection == NULL)
    return FALSE;
  while (!gcert_test_bus_name_has_owner (connection, POLKIT_NAME))
    {
      if (gcert_test_reap_if_exited (&bus->polkit_pid) || g_get_monotonic_time () > deadline)
        return gcert_test_error_with_log (error, GCERT_ERROR_FAILED, log_path,
                                          "the polkitd mock did not take %s", POLKIT_NAME);
      g_usleep (50 * 1000);
    }
  return TRUE;
}

void
gcert_test_bus_stop_polkit (GCertTestBus *bus)
{
  g_autoptr(GDBusConnection) connection = NULL;
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  if (bus->polkit_pid == 0)
    return;
  gcert_test_terminate (&bus->polkit_pid);
  /* the bus must know it is gone before the next call asks for it */
  connection = gcert_test_bus_connect (bus, NULL);
  while (connection != NULL && gcert_test_bus_name_has_owner (connection, POLKIT_NAME) &&
         g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
}

static void
polkit_mock_call (GCertTestBus *bus,
                  const char   *method,
                  GVariant     *parameters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = gcert_test_bus_connect (bus, &error);
  g_autoptr(GVariant) reply = NULL;

  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, POLKIT_NAME, POLKIT_PATH,
                                       "org.freedesktop.DBus.Mock", method, parameters, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

void
gcert_test_bus_polkit_allow (GCertTestBus       *bus,
                             const char * const *actions)
{
  polkit_mock_call (bus, "SetAllowed",
                    g_variant_new ("(^as)", actions ? actions : (const char * const[]) { NULL }));
}

void
gcert_test_bus_polkit_hang (GCertTestBus *bus,
                            gboolean      hang)
{
  polkit_mock_call (bus, "SimulateHang", g_variant_new ("(b)", hang));
}
