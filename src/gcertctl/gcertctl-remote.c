/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "gcert-dbus-util.h"
#include "gcertctl.h"

/* long enough for an administrator to answer polkit's password dialog */
#define CALL_TIMEOUT_MS (180 * 1000)

typedef struct {
  Ctl             *ctl;
  GDBusConnection *connection;
  char            *job_path;
  gboolean         finished;
  gboolean         vanished;
  char            *finished_error;
  guint            properties_sub;
  guint            finished_sub;
  guint            watch;
} Remote;

gboolean
remote_wanted (Ctl *ctl)
{
  return ctl->system_bus || ctl->session_bus;
}

static const char *
bus_label (Ctl *ctl)
{
  return ctl->system_bus ? _("system") : _("session");
}

/* Prints a failed call the way the in-process command prints the same
 * error, and returns the same exit status. */
static int
call_failed (Ctl    *ctl,
             GError *error)
{
  int status;

  g_dbus_error_strip_remote_error (error);
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED))
    {
      g_prefix_error (&error, _("gcertd is not available on the %s bus: "), bus_label (ctl));
      status = GCERT_EXIT_FAILURE;
    }
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS))
    status = GCERT_EXIT_USAGE;
  else
    status = gcert_error_to_exit_status (error);
  print_error (ctl, error);
  return status;
}

static GDBusConnection *
remote_connect (Ctl  *ctl,
                int  *out_status)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  /* registers gcert's D-Bus error names, so that errors keep their codes */
  (void) GCERT_ERROR;
  connection = g_bus_get_sync (ctl->system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION,
                               NULL, &error);
  if (connection == NULL)
    {
      g_prefix_error (&error, _("cannot connect to the %s bus: "), bus_label (ctl));
      print_error (ctl, error);
      *out_status = GCERT_EXIT_FAILURE;
    }
  return connection;
}

static GVariant *
call_manager (GDBusConnection *connection,
              const char      *method,
              GVariant        *parameters,
              const char      *reply_type,
              GError         **error)
{
  return g_dbus_connection_call_sync (connection, GCERT_DBUS_NAME, GCERT_DBUS_PATH,
                                      GCERT_DBUS_MANAGER_IFACE, method, parameters,
                                      G_VARIANT_TYPE (reply_type),
                                      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                      CALL_TIMEOUT_MS, NULL, error);
}

/* --- list / show ------------------------------------------------------------ */

int
remote_list (Ctl *ctl)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) certificates = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  GVariantIter iter;
  GVariant *info;
  int status = GCERT_EXIT_OK;

  connection = remote_connect (ctl, &status);
  if (connection == NULL)
    return status;
  reply = call_manager (connection, "ListCertificates", NULL, "(a{sa{sv}})", &error);
  if (reply == NULL)
    return call_failed (ctl, error);
  certificates = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, certificates);
  while (g_variant_iter_loop (&iter, "{&s@a{sv}}", NULL, &info))
    g_ptr_array_add (rows, gcert_dbus_variant_to_json (info));
  return print_list (ctl, rows);
}

int
remote_show (Ctl        *ctl,
             const char *name)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(JsonNode) root = NULL;
  int status = GCERT_EXIT_OK;

  connection = remote_connect (ctl, &status);
  if (connection == NULL)
    return status;
  reply = call_manager (connection, "GetCertificate", g_variant_new ("(s)", name), "(a{sv})",
                        &error);
  if (reply == NULL)
    return call_failed (ctl, error);
  info = g_variant_get_child_value (reply, 0);
  root = gcert_dbus_variant_to_json (info);
  return print_show (ctl, root);
}

/* --- jobs ----------------------------------------------------------------------- */

static void
properties_changed_cb (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *signal,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  Remote *remote = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *message = NULL;

  if (remote->job_path == NULL || g_strcmp0 (path, remote->job_path) != 0 || remote->finished)
    return;
  changed = g_variant_get_child_value (parameters, 1);
  if (g_variant_lookup (changed, "Message", "&s", &message) && *message != '\0')
    {
      g_autoptr(GVariant) status = g_variant_lookup_value (changed, "Status", G_VARIANT_TYPE_STRING);

      /* the last message repeats the outcome, which is printed on its own */
      if (status == NULL || g_strcmp0 (g_variant_get_string (status, NULL), "running") == 0)
        print_progress (remote->ctl, message);
    }
}

static void
finished_cb (GDBusConnection *connection,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  Remote *remote = user_data;

  if (remote->job_path == NULL || g_strcmp0 (path, remote->job_path) != 0 || remote->finished)
    return;
  remote->finished = TRUE;
  g_variant_get (parameters, "(bs)", NULL, &remote->finished_error);
  g_main_loop_quit (remote->ctl->loop);
}

static void
vanished_cb (GDBusConnection *connection,
             const char      *name,
             gpointer         user_data)
{
  Remote *remote = user_data;

  if (remote->job_path == NULL || remote->finished)
    return;
  remote->vanished = TRUE;
  g_main_loop_quit (remote->ctl->loop);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  Remote *remote = user_data;

  if (!remote->ctl->quiet)
    g_printerr (_("gcertctl: interrupted, cancelling the job (it removes its TXT records "
                  "first)…\n"));
  g_dbus_connection_call (remote->connection, GCERT_DBUS_NAME, remote->job_path,
                          GCERT_DBUS_JOB_IFACE, "Cancel", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                          -1, NULL, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static GVariant *
get_job_properties (Remote  *remote,
                    GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (remote->connection, GCERT_DBUS_NAME, remote->job_path,
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", GCERT_DBUS_JOB_IFACE),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, NULL, error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value (reply, 0);
}

/* Starts a job with @method, prints its progress, waits for its end and
 * prints its results as the in-process command does. */
typedef int (*ReportFunc) (Ctl       *ctl,
                           GPtrArray *results);

static int
report_renewed (Ctl       *ctl,
                GPtrArray *results)
{
  return report_results (ctl, results, G_MAXUINT);
}

static int
run_job (Ctl        *ctl,
         const char *method,
         GVariant   *parameters,
         ReportFunc  report)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) results_variant = NULL;
  g_autoptr(GPtrArray) results = NULL;
  Remote remote = { ctl, NULL, NULL, FALSE, FALSE, NULL, 0, 0, 0 };
  const char *state = NULL;
  gint32 exit_status = GCERT_EXIT_FAILURE;
  int status = GCERT_EXIT_OK;
  guint sigint, sigterm;

  g_variant_ref_sink (parameters);
  remote.connection = remote_connect (ctl, &status);
  if (remote.connection == NULL)
    {
      g_variant_unref (parameters);
      return status;
    }
  /* subscribed before the call, so that no signal of the job is missed */
  remote.properties_sub =
    g_dbus_connection_signal_subscribe (remote.connection, GCERT_DBUS_NAME,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        NULL, GCERT_DBUS_JOB_IFACE, G_DBUS_SIGNAL_FLAGS_NONE,
                                        properties_changed_cb, &remote, NULL);
  remote.finished_sub =
    g_dbus_connection_signal_subscribe (remote.connection, GCERT_DBUS_NAME,
                                        GCERT_DBUS_JOB_IFACE, "Finished", NULL, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, finished_cb, &remote, NULL);

  reply = call_manager (remote.connection, method, parameters, "(o)", &error);
  g_variant_unref (parameters);
  if (reply == NULL)
    status = call_failed (ctl, error);
  else
    {
      g_variant_get (reply, "(o)", &remote.job_path);
      remote.watch = g_bus_watch_name_on_connection (remote.connection, GCERT_DBUS_NAME,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                     vanished_cb, &remote, NULL);
      properties = get_job_properties (&remote, &error);
      if (properties == NULL)
        status = call_failed (ctl, error);
      else
        {
          g_variant_lookup (properties, "Status", "&s", &state);
          if (g_strcmp0 (state, "running") != 0)
            remote.finished = TRUE;
          g_clear_pointer (&properties, g_variant_unref);
        }
      if (status == GCERT_EXIT_OK && !remote.finished)
        {
          sigint = g_unix_signal_add (SIGINT, interrupt_cb, &remote);
          sigterm = g_unix_signal_add (SIGTERM, interrupt_cb, &remote);
          g_main_loop_run (ctl->loop);
          g_source_remove (sigint);
          g_source_remove (sigterm);
        }
      if (status == GCERT_EXIT_OK && remote.vanished)
        {
          g_set_error (&error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("gcertd left the %s bus before job %s ended; see its log"),
                       bus_label (ctl), remote.job_path);
          print_error (ctl, error);
          status = GCERT_EXIT_FAILURE;
        }
      else if (status == GCERT_EXIT_OK)
        {
          properties = get_job_properties (&remote, &error);
          if (properties == NULL)
            status = call_failed (ctl, error);
        }
    }

  if (properties != NULL)
    {
      g_variant_lookup (properties, "ExitStatus", "i", &exit_status);
      results_variant = g_variant_lookup_value (properties, "Results", G_VARIANT_TYPE ("aa{sv}"));
      results = results_variant != NULL
        ? gcert_dbus_results_from_variant (results_variant)
        : g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_renew_result_free);
      if (results != NULL && results->len > 0)
        status = report (ctl, results);
      else if (exit_status != GCERT_EXIT_OK)
        {
          const char *message = NULL;

          /* the run could not start: the service says why */
          if (remote.finished_error == NULL || *remote.finished_error == '\0')
            g_variant_lookup (properties, "Message", "&s", &message);
          g_set_error_literal (&error, GCERT_ERROR, GCERT_ERROR_FAILED,
                               message ? message : remote.finished_error);
          print_error (ctl, error);
          status = exit_status;
        }
      else
        status = report (ctl, results);
    }

  if (remote.watch != 0)
    g_bus_unwatch_name (remote.watch);
  g_dbus_connection_signal_unsubscribe (remote.connection, remote.properties_sub);
  g_dbus_connection_signal_unsubscribe (remote.connection, remote.finished_sub);
  g_free (remote.job_path);
  g_free (remote.finished_error);
  g_object_unref (remote.connection);
  return status;
}

int
remote_renew (Ctl                *ctl,
              const char * const *names,
              GCertRenewFlags     flags,
              guint               jobs)
{
  GVariantBuilder options;

  /* RenewDue with "names" is what an in-process run with names does: one
   * batch, one report, one exit status */
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (flags & GCERT_RENEW_FORCE)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  if (flags & GCERT_RENEW_WAIT_LOCK)
    g_variant_builder_add (&options, "{sv}", "wait", g_variant_new_boolean (TRUE));
  if (jobs > 0)
    g_variant_builder_add (&options, "{sv}", "jobs", g_variant_new_uint32 (jobs));
  if (names != NULL)
    g_variant_builder_add (&options, "{sv}", "names", g_variant_new_strv (names, -1));
  return run_job (ctl, "RenewDue", g_variant_new ("(a{sv})", &options), report_renewed);
}

int
remote_issue (Ctl                *ctl,
              const char * const *domains,
              const char         *dns,
              const char         *key_type,
              const char         *name,
              gboolean            force)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "dns", g_variant_new_string (dns));
  if (key_type != NULL)
    g_variant_builder_add (&options, "{sv}", "key-type", g_variant_new_string (key_type));
  if (name != NULL)
    g_variant_builder_add (&options, "{sv}", "name", g_variant_new_string (name));
  if (force)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  return run_job (ctl, "Issue", g_variant_new ("(^asa{sv})", domains, &options),
                  report_renewed);
}

int
remote_revoke (Ctl        *ctl,
               const char *name,
               guint       reason)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason", g_variant_new_uint32 (reason));
  return run_job (ctl, "Revoke", g_variant_new ("(sa{sv})", name, &options), report_revoked);
}
