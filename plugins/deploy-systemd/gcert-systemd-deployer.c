/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-deployer.h"
#include "gcert-error.h"
#include "gcert-settings.h"

/* Reloads or restarts a unit through systemd's D-Bus API (no systemctl, no
 * shell) and waits for the job to finish. It copies no files: it follows
 * a deployer that does. */

#define DEFAULT_TIMEOUT_SECONDS  90
#define MAX_TIMEOUT_SECONDS      3600
#define UNIT_NAME_MAX            255

#define SYSTEMD_NAME       "org.freedesktop.systemd1"
#define SYSTEMD_PATH       "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER    "org.freedesktop.systemd1.Manager"

typedef struct {
  const char *name;     /* the `action` value */
  const char *method;   /* of org.freedesktop.systemd1.Manager */
  const char *verb;     /* for messages */
} SystemdAction;

static const SystemdAction actions[] = {
  { "reload", "ReloadUnit", N_("reloading") },
  { "restart", "RestartUnit", N_("restarting") },
  { "reload-or-restart", "ReloadOrRestartUnit", N_("reloading or restarting") },
  { "try-restart", "TryRestartUnit", N_("try-restarting") },
};

static const char * const unit_types[] = {
  "service", "socket", "target", "device", "mount", "automount", "swap", "timer",
  "path", "slice", "scope", NULL
};

#define GCERT_TYPE_SYSTEMD_DEPLOYER (gcert_systemd_deployer_get_type ())
G_DECLARE_FINAL_TYPE (GCertSystemdDeployer, gcert_systemd_deployer, GCERT, SYSTEMD_DEPLOYER,
                      GObject)

struct _GCertSystemdDeployer {
  GObject              parent_instance;
  char                *unit;
  const SystemdAction *action;
  GBusType             bus_type;
  gint64               timeout_seconds;
};

static void gcert_systemd_deployer_iface_init (GCertDeployerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertSystemdDeployer, gcert_systemd_deployer, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DEPLOYER,
                                                               gcert_systemd_deployer_iface_init))

/* --- setup --------------------------------------------------------------- */

static gboolean
unit_char_is_valid (char c)
{
  return g_ascii_isalnum (c) || strchr (":-_.\\", c) != NULL;
}

/* "nginx.service", "getty@tty1.service": systemd's own rules, except that
 * a template without an instance cannot be reloaded and is refused. */
static gboolean
unit_name_is_valid (const char *unit)
{
  const char *dot = strrchr (unit, '.');
  const char *at = strchr (unit, '@');
  g_autofree char *type = NULL;

  if (strlen (unit) > UNIT_NAME_MAX || dot == NULL || dot == unit)
    return FALSE;
  type = g_strdup (dot + 1);
  if (!g_strv_contains (unit_types, type))
    return FALSE;
  if (at == unit || (at != NULL && at + 1 == dot))
    return FALSE;
  for (const char *p = unit; p < dot; p++)
    {
      if (p == at)
        continue;
      /* the instance may contain '@' itself */
      if (!unit_char_is_valid (*p) && !(at != NULL && p > at && *p == '@'))
        return FALSE;
    }
  return TRUE;
}

static gboolean
gcert_systemd_deployer_setup (GCertDeployer  *deployer,
                              GCertSettings  *settings,
                              GError        **error)
{
  GCertSystemdDeployer *self = GCERT_SYSTEMD_DEPLOYER (deployer);
  static const char * const allowed[] = { "unit", "action", "bus", "timeout", NULL };
  g_autofree char *unit = NULL;
  g_autofree char *action = NULL;
  g_autofree char *bus = NULL;
  const SystemdAction *found = &actions[0];
  GBusType bus_type = G_BUS_TYPE_SYSTEM;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  unit = gcert_settings_get_string (settings, "unit", TRUE, error);
  if (unit == NULL)
    return FALSE;
  if (!unit_name_is_valid (unit))
    {
      gcert_settings_set_error (settings, error, "unit",
                                _("“%s” is not a unit name such as nginx.service"), unit);
      return FALSE;
    }

  if (!gcert_settings_get_optional_string (settings, "action", &action, error))
    return FALSE;
  if (action != NULL)
    {
      found = NULL;
      for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
        {
          if (g_strcmp0 (action, actions[i].name) == 0)
            found = &actions[i];
        }
      if (found == NULL)
        {
          gcert_settings_set_error (settings, error, "action",
                                    _("unknown action “%s” (expected reload, restart, "
                                      "reload-or-restart or try-restart)"), action);
          return FALSE;
        }
    }

  if (!gcert_settings_get_optional_string (settings, "bus", &bus, error))
    return FALSE;
  if (bus != NULL)
    {
      if (g_strcmp0 (bus, "system") == 0)
        bus_type = G_BUS_TYPE_SYSTEM;
      else if (g_strcmp0 (bus, "session") == 0)
        bus_type = G_BUS_TYPE_SESSION;
      else
        {
          gcert_settings_set_error (settings, error, "bus",
                                    _("unknown bus “%s” (expected system or session)"),
                                    bus);
          return FALSE;
        }
    }

  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout_seconds, error))
    return FALSE;

  g_free (self->unit);
  self->unit = g_steal_pointer (&unit);
  self->action = found;
  self->bus_type = bus_type;
  self->timeout_seconds = timeout_seconds;
  return TRUE;
}

/* --- one job ------------------------------------------------------------- */

typedef struct {
  char                *unit;
  const SystemdAction *action;
  gint64               timeout_seconds;
  GDBusConnection     *connection;
  guint                subscription;
  char                *job;            /* the job's object path, once known */
  GHashTable          *finished_jobs;  /* path -> result, seen before ours was known */
  GCancellable        *cancellable;    /* cancelled by the caller's or at the timeout */
  GSource             *timeout_source;
  GSource             *cancel_source;
  gboolean             waiting;        /* for JobRemoved, with no call pending */
  gboolean             timed_out;
  gboolean             returned;
} SystemdJob;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
systemd_job_free (SystemdJob *job)
{
  destroy_source (&job->timeout_source);
  destroy_source (&job->cancel_source);
  if (job->connection != NULL)
    {
      if (job->subscription != 0)
        g_dbus_connection_signal_unsubscribe (job->connection, job->subscription);
      g_dbus_connection_close (job->connection, NULL, NULL, NULL);
      g_object_unref (job->connection);
    }
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->finished_jobs, g_hash_table_unref);
  g_free (job->job);
  g_free (job->unit);
  g_free (job);
}

static const char *
systemd_job_verb (SystemdJob *job)
{
  return g_dgettext (GETTEXT_PACKAGE, job->action->verb);
}

/* Ends the task: stops the timers and the subscription (which holds a
 * reference on the task). */
static void
systemd_job_return (GTask  *task,
                    GError *error)
{
  SystemdJob *job = g_task_get_task_data (task);

  if (job->returned)
    {
      g_clear_error (&error);
      return;
    }
  job->returned = TRUE;
  destroy_source (&job->timeout_source);
  destroy_source (&job->cancel_source);
  if (job->subscription != 0)
    {
      g_dbus_connection_signal_unsubscribe (job->connection, job->subscription);
      job->subscription = 0;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* The error for a step that ended with @error, which may be the result of
 * our own cancellable. */
static void
systemd_job_return_step_error (GTask      *task,
                               GError     *error,
                               const char *what)
{
  SystemdJob *job = g_task_get_task_data (task);
  g_autoptr(GError) owned = error;
  g_autofree char *remote = NULL;
  g_autofree char *detail = NULL;
  int code = GCERT_ERROR_FAILED;

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (job->timed_out)
        systemd_job_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                                               _("systemd: %s %s did not finish within "
                                                 "%" G_GINT64_FORMAT " s"),
                                               systemd_job_verb (job), job->unit,
                                               job->timeout_seconds));
      else
        systemd_job_return (task, g_steal_pointer (&owned));
      return;
    }

  remote = g_dbus_error_get_remote_error (owned);
  if (remote != NULL)
    {
      g_dbus_error_strip_remote_error (owned);
      if (g_strcmp0 (remote, SYSTEMD_NAME ".NoSuchUnit") == 0)
        {
          code = GCERT_ERROR_NOT_FOUND;
          detail = g_strdup_printf (_("no such unit (%s: %s)"), remote, owned->message);
        }
      else if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.AccessDenied") == 0 ||
               g_strcmp0 (remote,
                          "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") == 0)
        {
          code = GCERT_ERROR_PERMISSION_DENIED;
          detail = g_strdup_printf (_("access denied (%s: %s); allow this user to manage "
                                      "the unit, e.g. with a polkit rule"),
                                    remote, owned->message);
        }
      else if (g_strcmp0 (remote, SYSTEMD_NAME ".UnitInactive") == 0)
        {
          detail = g_strdup_printf (_("the unit is not running (%s: %s); "
                                      "`action = reload-or-restart` would start it"),
                                    remote, owned->message);
        }
      else if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
               g_strcmp0 (remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0)
        {
          detail = g_strdup_printf (_("systemd is not running on this bus (%s: %s)"),
                                    remote, owned->message);
        }
      else
        {
          detail = g_strdup_printf ("%s: %s", remote, owned->message);
        }
    }
  else
    {
      if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        code = GCERT_ERROR_TIMED_OUT;
      detail = g_strdup (owned->message);
    }

  /* TRANSLATORS: "systemd: reloading nginx.service failed: no such unit (…)";
   * the third %s says which step, e.g. " (subscribing to job signals)" */
  systemd_job_return (task, g_error_new (GCERT_ERROR, code, _("systemd: %s %s failed%s: %s"),
                                         systemd_job_verb (job), job->unit, what, detail));
}

static void
systemd_job_finished (GTask      *task,
                      const char *result)
{
  SystemdJob *job = g_task_get_task_data (task);

  if (g_strcmp0 (result, "done") == 0)
    {
      systemd_job_return (task, NULL);
      return;
    }
  systemd_job_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                                         _("systemd: %s %s failed (job result: %s)"),
                                         systemd_job_verb (job), job->unit, result));
}

static void
job_removed_cb (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  GTask *task = user_data;
  SystemdJob *job = g_task_get_task_data (task);
  const char *path = NULL;
  const char *result = NULL;
  guint32 id;

  if (job->returned || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(uoss)")))
    return;
  g_variant_get (parameters, "(u&o&s&s)", &id, &path, NULL, &result);

  if (job->job == NULL)
    {
      /* a job may end before the reply that names it has been handled */
      g_hash_table_replace (job->finished_jobs, g_strdup (path), g_strdup (result));
      return;
    }
  if (g_strcmp0 (path, job->job) == 0)
    {
      g_debug ("job %u (%s) for %s: %s", id, path, job->unit, result);
      systemd_job_finished (task, result);
    }
}

static void
job_cb (GObject      *source_object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SystemdJob *job = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;
  const char *finished;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  if (job->returned)
    {
      g_clear_error (&error);
      return;
    }
  if (reply == NULL)
    {
      systemd_job_return_step_error (task, error, "");
      return;
    }
  g_variant_get (reply, "(o)", &job->job);
  g_debug ("%s %s: job %s", job->action->method, job->unit, job->job);

  finished = g_hash_table_lookup (job->finished_jobs, job->job);
  if (finished != NULL)
    {
      systemd_job_finished (task, finished);
      return;
    }
  /* from now on only the signal, the timeout or a cancellation end it */
  job->waiting = TRUE;
}

static void
subscribe_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SystemdJob *job = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  if (job->returned)
    {
      g_clear_error (&error);
      return;
    }
  if (reply == NULL)
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      if (g_strcmp0 (remote, SYSTEMD_NAME ".AlreadySubscribed") != 0)
        {
          systemd_job_return_step_error (task, error, _(" (subscribing to its job signals)"));
          return;
        }
      g_clear_error (&error);
    }

  g_dbus_connection_call (job->connection, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                          job->action->method, g_variant_new ("(ss)", job->unit, "replace"),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          G_MAXINT, job->cancellable, job_cb, g_steal_pointer (&task));
}

static void
connect_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SystemdJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  job->connection = g_dbus_connection_new_for_address_finish (result, &error);
  if (job->returned)
    {
      g_clear_error (&error);
      return;
    }
  if (job->connection == NULL)
    {
      systemd_job_return_step_error (task, error, _(" (connecting to the bus)"));
      return;
    }

  /* subscribed before the call, so that the job's end cannot be missed */
  job->subscription =
    g_dbus_connection_signal_subscribe (job->connection, SYSTEMD_NAME, SYSTEMD_MANAGER,
                                        "JobRemoved", SYSTEMD_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, job_removed_cb,
                                        g_object_ref (task), g_object_unref);
  /* systemd sends job signals only to clients that subscribed */
  g_dbus_connection_call (job->connection, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                          "Subscribe", NULL, G_VARIANT_TYPE ("()"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, job->cancellable,
                          subscribe_cb, g_steal_pointer (&task));
}

/* The timeout and the caller's cancellation both cancel our own
 * cancellable; a pending call then ends the task, else we do. */
static void
systemd_job_interrupt (GTask *task)
{
  SystemdJob *job = g_task_get_task_data (task);

  g_cancellable_cancel (job->cancellable);
  if (job->waiting)
    systemd_job_return_step_error (task, g_error_new_literal (G_IO_ERROR,
                                                              G_IO_ERROR_CANCELLED,
                                                              _("Operation was cancelled")),
                                   "");
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  SystemdJob *job = g_task_get_task_data (task);

  g_clear_pointer (&job->timeout_source, g_source_unref);
  job->timed_out = TRUE;
  systemd_job_interrupt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  SystemdJob *job = g_task_get_task_data (task);

  g_clear_pointer (&job->cancel_source, g_source_unref);
  systemd_job_interrupt (task);
  return G_SOURCE_REMOVE;
}

static GSource *
attach_source (GTask       *task,
               GSource     *source,
               GSourceFunc  func)
{
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

static void
gcert_systemd_deployer_deploy_async (GCertDeployer          *deployer,
                                     const GCertDeployment  *deployment,
                                     GCertProgressFunc       progress,
                                     gpointer                progress_data,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  GCertSystemdDeployer *self = GCERT_SYSTEMD_DEPLOYER (deployer);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  SystemdJob *job;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_systemd_deployer_deploy_async);
  /* the job ran or did not: report which, even if cancelled meanwhile */
  g_task_set_check_cancellable (task, FALSE);

  if (self->unit == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the systemd deployer is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  job = g_new0 (SystemdJob, 1);
  job->unit = g_strdup (self->unit);
  job->action = self->action;
  job->timeout_seconds = self->timeout_seconds;
  job->finished_jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  job->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, job, (GDestroyNotify) systemd_job_free);

  if (progress != NULL)
    {
      /* TRANSLATORS: "web1: reloading nginx.service" */
      g_autofree char *line = g_strdup_printf (_("%s: %s %s"),
                                               deployment->target != NULL ?
                                               deployment->target : "systemd",
                                               systemd_job_verb (job), job->unit);

      progress (line, progress_data);
    }

  address = g_dbus_address_get_for_bus_sync (self->bus_type, cancellable, &error);
  if (address == NULL)
    {
      systemd_job_return_step_error (task, g_steal_pointer (&error),
                                     _(" (finding the bus)"));
      return;
    }

  job->timeout_source =
    attach_source (task, g_timeout_source_new ((guint) (job->timeout_seconds * 1000)),
                   timeout_cb);
  if (cancellable != NULL)
    job->cancel_source = attach_source (task, g_cancellable_source_new (cancellable),
                                        G_SOURCE_FUNC (cancelled_cb));

  /* a connection of our own: its subscription ends with it */
  g_dbus_connection_new_for_address (address,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, job->cancellable, connect_cb,
                                     g_steal_pointer (&task));
}

static gboolean
gcert_systemd_deployer_deploy_finish (GCertDeployer  *deployer,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, deployer), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- type ---------------------------------------------------------------- */

static void
gcert_systemd_deployer_finalize (GObject *object)
{
  GCertSystemdDeployer *self = GCERT_SYSTEMD_DEPLOYER (object);

  g_free (self->unit);

  G_OBJECT_CLASS (gcert_systemd_deployer_parent_class)->finalize (object);
}

static void
gcert_systemd_deployer_iface_init (GCertDeployerInterface *iface)
{
  iface->setup = gcert_systemd_deployer_setup;
  iface->deploy_async = gcert_systemd_deployer_deploy_async;
  iface->deploy_finish = gcert_systemd_deployer_deploy_finish;
}

static void
gcert_systemd_deployer_class_init (GCertSystemdDeployerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_systemd_deployer_finalize;
}

static void
gcert_systemd_deployer_class_finalize (GCertSystemdDeployerClass *klass)
{
}

static void
gcert_systemd_deployer_init (GCertSystemdDeployer *self)
{
  self->action = &actions[0];
  self->bus_type = G_BUS_TYPE_SYSTEM;
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished job may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_systemd_deployer_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DEPLOYER_EXTENSION_POINT,
                                  GCERT_TYPE_SYSTEMD_DEPLOYER, "systemd", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DEPLOYER_EXTENSION_POINT, NULL });
}
