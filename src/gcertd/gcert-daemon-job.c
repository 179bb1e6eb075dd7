/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "gcert-daemon-job.h"
#include "gcert-dbus-generated.h"
#include "gcert-dbus-util.h"

/* journal MESSAGE_IDs of a job's start and end; the engine logs the
 * certificates' own events (renewed, failed, revoked) */
#define MESSAGE_ID_JOB_STARTED  "5c8d5a6e2b0f4f6c9d1e7a3b4c2f8e01"
#define MESSAGE_ID_JOB_FINISHED "5c8d5a6e2b0f4f6c9d1e7a3b4c2f8e02"

struct _GCertDaemonJob
{
  GObject          parent_instance;

  char            *kind;
  char            *owner;
  char            *path;
  char            *revoked;    /* the certificate a revoke job is about */
  GCertManager    *manager;
  GCertDBusJob    *skeleton;
  GCancellable    *cancellable;
  gboolean         running;
  gboolean         started;
};

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GCertDaemonJob, gcert_daemon_job, G_TYPE_OBJECT)

/* One journal entry about the job, with the fields of the engine's own
 * entries (the CA, the step) and the job's path and kind; plain text on a
 * terminal. */
static void
job_log (GCertDaemonJob *self,
         GLogLevelFlags  level,
         const char     *step,
         const char     *message_id,
         const char     *message)
{
  GCertConfig *config = gcert_manager_get_config (self->manager);
  GLogField fields[] = {
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "MESSAGE", message, -1 },
    { "MESSAGE_ID", message_id, -1 },
    { "GCERT_STEP", step, -1 },
    { "GCERT_JOB", self->path ? self->path : "", -1 },
    { "GCERT_JOB_KIND", self->kind, -1 },
    { "GCERT_CA", gcert_config_get_directory_url (config), -1 },
  };

  g_log_structured_array (level, fields, G_N_ELEMENTS (fields));
}

static void
progress_cb (GCertManager   *manager,
             const char     *name,
             const char     *message,
             GCertDaemonJob *self)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", name, message);

  /* the engine has logged it already */
  gcert_dbus_job_set_message (self->skeleton, line);
}

static void
run_progress_cb (GCertManager   *manager,
                 guint           percent,
                 GCertDaemonJob *self)
{
  /* the property only goes forward, whatever order signals come in */
  if (percent > gcert_dbus_job_get_progress (self->skeleton))
    gcert_dbus_job_set_progress (self->skeleton, MIN (percent, 100u));
}

static void
finish (GCertDaemonJob *self,
        GPtrArray      *results,
        const GError   *run_error)
{
  g_autoptr(GString) errors = g_string_new (NULL);
  gboolean cancelled = g_cancellable_is_cancelled (self->cancellable);
  int exit_status;

  if (run_error != NULL)
    {
      g_string_append (errors, run_error->message);
      exit_status = gcert_error_to_exit_status (run_error);
    }
  else
    {
      exit_status = gcert_renew_results_exit_status (results);
      for (guint i = 0; i < results->len; i++)
        {
          GCertRenewResult *r = g_ptr_array_index (results, i);
          g_autofree char *line = NULL;

          if (!r->success)
            line = g_strdup_printf ("%s: %s", r->name, r->error ? r->error->message : _("failed"));
          else if (r->deploy_error != NULL)
            line = g_strdup_printf (_("%s: version %u is live here, but %s"), r->name,
                                    r->version, r->deploy_error->message);
          if (line == NULL)
            continue;
          if (errors->len > 0)
            g_string_append_c (errors, '\n');
          g_string_append (errors, line);
        }
    }

  self->running = FALSE;
  gcert_dbus_job_set_results (self->skeleton, gcert_dbus_results_to_variant (results));
  gcert_dbus_job_set_exit_status (self->skeleton, exit_status);
  gcert_dbus_job_set_progress (self->skeleton, 100);
  if (exit_status == GCERT_EXIT_OK)
    gcert_dbus_job_set_status (self->skeleton, "succeeded");
  else
    gcert_dbus_job_set_status (self->skeleton, cancelled ? "cancelled" : "failed");
  gcert_dbus_job_set_message (self->skeleton,
                              exit_status == GCERT_EXIT_OK ? _("done") : errors->str);
  {
    g_autofree char *text = g_strdup_printf (_("job %s (%s) ended: %s"), self->path, self->kind,
                                             exit_status == GCERT_EXIT_OK ? _("success")
                                                                         : errors->str);

    job_log (self, exit_status == GCERT_EXIT_OK ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
             "job-finished", MESSAGE_ID_JOB_FINISHED, text);
  }
  /* changed properties go out from an idle; they must reach callers
   * before Finished does */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  gcert_dbus_job_emit_finished (self->skeleton, exit_status == GCERT_EXIT_OK,
                                exit_status == GCERT_EXIT_OK ? "" : errors->str);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
renew_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GCertDaemonJob) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  results = gcert_manager_renew_finish (GCERT_MANAGER (source), result, &error);
  finish (self, results, error);
}

static void
revoke_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GCertDaemonJob) self = user_data;
  g_autoptr(GPtrArray) results =
    g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_renew_result_free);
  GCertRenewResult *r = g_new0 (GCertRenewResult, 1);

  /* one result, shaped like a renewal's, so that callers read one format */
  r->name = g_strdup (self->revoked);
  r->attempted = TRUE;
  r->success = gcert_manager_revoke_finish (GCERT_MANAGER (source), result, &r->error);
  r->reason = g_strdup (r->success ? _("revoked") : _("revocation failed"));
  r->version = gcert_store_get_live_version (gcert_manager_get_store (self->manager), r->name);
  g_ptr_array_add (results, r);
  finish (self, results, NULL);
}

static gboolean
handle_cancel_cb (GCertDBusJob          *skeleton,
                  GDBusMethodInvocation *invocation,
                  GCertDaemonJob        *self)
{
  if (g_strcmp0 (g_dbus_method_invocation_get_sender (invocation), self->owner) != 0)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                             _("only the caller that started %s may cancel it"),
                                             self->path);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (self->running)
    {
      g_autofree char *text = g_strdup_printf (_("job %s cancelled by its caller"), self->path);

      job_log (self, G_LOG_LEVEL_MESSAGE, "job-cancelled", MESSAGE_ID_JOB_FINISHED, text);
      gcert_dbus_job_set_message (self->skeleton, _("cancelling: removing TXT records"));
      g_cancellable_cancel (self->cancellable);
    }
  gcert_dbus_job_complete_cancel (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
gcert_daemon_job_dispose (GObject *object)
{
  GCertDaemonJob *self = GCERT_DAEMON_JOB (object);

  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  if (self->skeleton != NULL)
    g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_clear_object (&self->manager);
  g_clear_object (&self->skeleton);
  G_OBJECT_CLASS (gcert_daemon_job_parent_class)->dispose (object);
}

static void
gcert_daemon_job_finalize (GObject *object)
{
  GCertDaemonJob *self = GCERT_DAEMON_JOB (object);

  g_free (self->kind);
  g_free (self->owner);
  g_free (self->path);
  g_free (self->revoked);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (gcert_daemon_job_parent_class)->finalize (object);
}

static void
gcert_daemon_job_class_init (GCertDaemonJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gcert_daemon_job_dispose;
  object_class->finalize = gcert_daemon_job_finalize;

  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gcert_daemon_job_init (GCertDaemonJob *self)
{
  self->cancellable = g_cancellable_new ();
  self->skeleton = gcert_dbus_job_skeleton_new ();
}

GCertDaemonJob *
gcert_daemon_job_new (const char   *kind,
                      const char   *owner,
                      GCertManager *manager)
{
  GCertDaemonJob *self;

  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (GCERT_IS_MANAGER (manager), NULL);

  self = g_object_new (GCERT_TYPE_DAEMON_JOB, NULL);
  self->kind = g_strdup (kind);
  self->owner = g_strdup (owner);
  self->manager = g_object_ref (manager);
  gcert_dbus_job_set_kind (self->skeleton, kind);
  gcert_dbus_job_set_status (self->skeleton, "running");
  gcert_dbus_job_set_message (self->skeleton, _("starting"));
  gcert_dbus_job_set_results (self->skeleton, g_variant_new ("aa{sv}", NULL));
  gcert_dbus_job_set_exit_status (self->skeleton, -1);
  g_signal_connect (self->skeleton, "handle-cancel", G_CALLBACK (handle_cancel_cb), self);
  g_signal_connect (manager, "progress", G_CALLBACK (progress_cb), self);
  g_signal_connect (manager, "run-progress", G_CALLBACK (run_progress_cb), self);
  return self;
}

gboolean
gcert_daemon_job_export (GCertDaemonJob   *self,
                         GDBusConnection  *connection,
                         const char       *object_path,
                         GError          **error)
{
  g_return_val_if_fail (GCERT_IS_DAEMON_JOB (self), FALSE);

  g_free (self->path);
  self->path = g_strdup (object_path);
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                           connection, object_path, error);
}

void
gcert_daemon_job_unexport (GCertDaemonJob *self)
{
  g_return_if_fail (GCERT_IS_DAEMON_JOB (self));

  if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)))
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

const char *
gcert_daemon_job_get_path (GCertDaemonJob *self)
{
  g_return_val_if_fail (GCERT_IS_DAEMON_JOB (self), NULL);

  return self->path;
}

gboolean
gcert_daemon_job_is_running (GCertDaemonJob *self)
{
  g_return_val_if_fail (GCERT_IS_DAEMON_JOB (self), FALSE);

  return self->running;
}

void
gcert_daemon_job_cancel (GCertDaemonJob *self)
{
  g_return_if_fail (GCERT_IS_DAEMON_JOB (self));

  if (self->running)
    g_cancellable_cancel (self->cancellable);
}

static void
job_started (GCertDaemonJob *self,
             const char     *what)
{
  g_autofree char *text = g_strdup_printf (_("job %s (%s) started by %s: %s"), self->path,
                                           self->kind, self->owner ? self->owner : "?", what);

  g_return_if_fail (!self->started);
  self->started = TRUE;
  self->running = TRUE;
  job_log (self, G_LOG_LEVEL_MESSAGE, "job-started", MESSAGE_ID_JOB_STARTED, text);
}

void
gcert_daemon_job_start_renew (GCertDaemonJob     *self,
                              const char * const *names,
                              GCertRenewFlags     flags)
{
  g_autofree char *what = NULL;

  g_return_if_fail (GCERT_IS_DAEMON_JOB (self));

  what = names ? g_strjoinv (", ", (char **) names) : g_strdup (_("every certificate that is due"));
  job_started (self, what);
  gcert_manager_renew_async (self->manager, names, flags, self->cancellable, renew_cb,
                             g_object_ref (self));
}

void
gcert_daemon_job_start_revoke (GCertDaemonJob *self,
                               const char     *name,
                               guint           reason)
{
  g_return_if_fail (GCERT_IS_DAEMON_JOB (self));

  self->revoked = g_strdup (name);
  job_started (self, name);
  gcert_manager_revoke_async (self->manager, name, reason, self->cancellable, revoke_cb,
                              g_object_ref (self));
}
