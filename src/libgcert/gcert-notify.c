/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-error.h"
#include "gcert-manager.h"
#include "gcert-notify.h"

/* The CA no longer warns of expiry by mail: gcert has to. */

#define NOTIFY_TIMEOUT_SECONDS 60
#define SENDMAIL               "/usr/sbin/sendmail"

static char *
format_date (GDateTime *time)
{
  if (time == NULL)
    return g_strdup ("-");
  return g_date_time_format (time, "%Y-%m-%d %H:%M UTC");
}

char *
gcert_notify_summarize (GCertConfig  *config,
                        GPtrArray    *results,
                        const char  **out_event,
                        char        **out_subject)
{
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autoptr(GString) expiring = g_string_new (NULL);
  g_autoptr(GString) renewed = g_string_new (NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) horizon = NULL;
  g_autofree char *host = NULL;
  guint n_failures = 0, n_expiring = 0, n_renewed = 0;
  GString *text;

  g_return_val_if_fail (GCERT_IS_CONFIG (config), NULL);
  g_return_val_if_fail (results != NULL, NULL);

  horizon = g_date_time_add_seconds (now, (double) gcert_config_get_warn_before (config));
  for (guint i = 0; i < results->len; i++)
    {
      GCertRenewResult *r = g_ptr_array_index (results, i);
      g_autofree char *expires = format_date (r->not_after);

      if (!r->success)
        {
          n_failures++;
          g_string_append_printf (failures, "  %s: %s\n", r->name,
                                  r->error != NULL ? r->error->message : _("failed"));
        }
      if (r->deploy_error != NULL)
        {
          n_failures++;
          g_string_append_printf (failures, "  %s: %s\n", r->name, r->deploy_error->message);
        }
      if ((!r->attempted || !r->success) && r->not_after != NULL &&
          g_date_time_compare (r->not_after, horizon) < 0)
        {
          n_expiring++;
          if (g_date_time_compare (r->not_after, now) < 0)
            g_string_append_printf (expiring, _("  %s: EXPIRED at %s\n"), r->name, expires);
          else
            g_string_append_printf (expiring, _("  %s: expires %s (%" G_GINT64_FORMAT
                                                " days left) and was not renewed\n"),
                                    r->name, expires,
                                    g_date_time_difference (r->not_after, now) /
                                    G_TIME_SPAN_DAY);
        }
      if (r->attempted && r->success)
        {
          n_renewed++;
          g_string_append_printf (renewed, _("  %s: version %u, expires %s\n"), r->name,
                                  r->version, expires);
        }
    }

  if (n_failures == 0 && n_expiring == 0 &&
      (n_renewed == 0 || !gcert_config_get_notify_on_success (config)))
    return NULL;

  host = g_strdup (g_get_host_name ());
  text = g_string_new (NULL);
  if (n_failures > 0)
    {
      *out_event = "failure";
      *out_subject = g_strdup_printf (_("gcert on %s: %u failure(s)"), host, n_failures);
    }
  else if (n_expiring > 0)
    {
      *out_event = "expiring";
      *out_subject = g_strdup_printf (_("gcert on %s: %u certificate(s) close to expiry"),
                                      host, n_expiring);
    }
  else
    {
      *out_event = "success";
      *out_subject = g_strdup_printf (_("gcert on %s: %u certificate(s) renewed"), host,
                                      n_renewed);
    }
  if (n_failures > 0)
    g_string_append_printf (text, _("Failed:\n%s\n"), failures->str);
  if (n_expiring > 0)
    g_string_append_printf (text, _("Close to expiry, not renewed:\n%s\n"), expiring->str);
  if (n_renewed > 0)
    g_string_append_printf (text, _("Renewed:\n%s\n"), renewed->str);
  g_string_append_printf (text, _("Configuration: %s\nRun “gcertctl list” for the state of "
                                  "every certificate.\n"), gcert_config_get_path (config));
  return g_string_free (text, FALSE);
}

/* --- sending -------------------------------------------------------------------- */

typedef struct {
  guint    pending;
  GString *errors;
} SendData;

static void
send_data_free (SendData *data)
{
  g_string_free (data->errors, TRUE);
  g_free (data);
}

typedef struct {
  GTask       *task;
  GSubprocess *process;
  char        *what;
  guint        timeout_id;
} Child;

static void
child_done (Child  *child,
            GError *error)
{
  g_autoptr(GTask) task = child->task;
  SendData *data = g_task_get_task_data (task);

  if (child->timeout_id != 0)
    g_source_remove (child->timeout_id);
  if (error != NULL)
    {
      if (data->errors->len > 0)
        g_string_append (data->errors, "; ");
      g_string_append_printf (data->errors, "%s: %s", child->what, error->message);
      g_error_free (error);
    }
  g_clear_object (&child->process);
  g_free (child->what);
  g_free (child);

  if (--data->pending > 0)
    return;
  if (data->errors->len > 0)
    g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                             _("sending the notification: %s"), data->errors->str);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
child_timeout_cb (gpointer user_data)
{
  Child *child = user_data;

  child->timeout_id = 0;
  g_subprocess_force_exit (child->process);
  return G_SOURCE_REMOVE;
}

static void
child_exited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Child *child = user_data;
  GError *error = NULL;
  g_autofree char *stderr_text = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL,
                                             &stderr_text, &error))
    {
      child_done (child, error);
      return;
    }
  if (g_subprocess_get_if_signaled (child->process))
    error = g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT, _("killed after %u s"),
                         NOTIFY_TIMEOUT_SECONDS);
  else if (g_subprocess_get_exit_status (child->process) != 0)
    {
      g_strstrip (stderr_text);
      error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED, _("exit status %d%s%s"),
                           g_subprocess_get_exit_status (child->process),
                           *stderr_text != '\0' ? ": " : "",
                           stderr_text);
    }
  child_done (child, error);
}

static void
spawn_child (GTask               *task,
             const char * const  *argv,
             const char * const  *env,
             const char          *input,
             const char          *what)
{
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GError *error = NULL;
  Child *child = g_new0 (Child, 1);

  child->task = g_object_ref (task);
  child->what = g_strdup (what);
  data->pending++;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  child->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (child->process == NULL)
    {
      child_done (child, error);
      return;
    }
  child->timeout_id = g_timeout_add_seconds (NOTIFY_TIMEOUT_SECONDS, child_timeout_cb, child);
  g_subprocess_communicate_utf8_async (child->process, input, NULL, child_exited_cb, child);
}

void
gcert_notify_send_async (GCertConfig          *config,
                         const char           *event,
                         const char           *subject,
                         const char           *summary,
                         GCancellable         *cancellable,
                         GAsyncReadyCallback   callback,
                         gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  SendData *data;
  const char *program;
  const char *mail;

  g_return_if_fail (GCERT_IS_CONFIG (config));
  g_return_if_fail (event != NULL && subject != NULL && summary != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_notify_send_async);
  data = g_new0 (SendData, 1);
  data->errors = g_string_new (NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  /* one extra count so that a child finishing at once cannot end the task */
  data->pending = 1;
  program = gcert_config_get_notify (config);
  if (program != NULL)
    {
      const char *argv[] = { program, event, NULL };
      const char *env[] = { "GCERT_NOTIFY_EVENT", event, "GCERT_NOTIFY_SUBJECT", subject, NULL };

      spawn_child (task, argv, env, summary, program);
    }
  mail = gcert_config_get_notify_mail (config);
  if (mail != NULL)
    {
      const char *argv[] = { SENDMAIL, "-oi", "-t", NULL };
      g_autofree char *message = NULL;

      message = g_strdup_printf ("To: %s\nSubject: %s\nContent-Type: text/plain; "
                                 "charset=utf-8\nAuto-Submitted: auto-generated\n\n%s",
                                 mail, subject, summary);
      spawn_child (task, argv, NULL, message, SENDMAIL);
    }

  if (--data->pending == 0)
    g_task_return_boolean (task, TRUE);
}

gboolean
gcert_notify_send_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
