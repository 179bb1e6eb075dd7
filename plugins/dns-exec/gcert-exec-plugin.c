/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-settings.h"

/* Runs a program of the administrator's to create and remove the records:
 * `PROGRAM present FQDN VALUE` and `PROGRAM cleanup FQDN VALUE`. */

#define DEFAULT_TIMEOUT_SECONDS  60
#define MAX_TIMEOUT_SECONDS      3600
/* how long we keep reading its stderr once the program has exited: a child
 * it left behind may hold the pipe open */
#define EXIT_GRACE_MS            1000
#define STDERR_KEEP_BYTES        8192
#define STDERR_LINES             10

#define GCERT_TYPE_EXEC_PROVIDER (gcert_exec_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertExecProvider, gcert_exec_provider, GCERT, EXEC_PROVIDER, GObject)

struct _GCertExecProvider {
  GObject  parent_instance;
  char    *program;
  gint64   timeout_seconds;
};

static void gcert_exec_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertExecProvider, gcert_exec_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_exec_provider_iface_init))

static gboolean
gcert_exec_provider_setup (GCertDnsProvider  *provider,
                           GCertSettings     *settings,
                           GError           **error)
{
  GCertExecProvider *self = GCERT_EXEC_PROVIDER (provider);
  static const char * const allowed[] = { "plugin", "program", "timeout", NULL };
  g_autofree char *program = NULL;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  program = gcert_settings_get_path (settings, "program", TRUE, error);
  if (program == NULL)
    return FALSE;
  if (!g_file_test (program, G_FILE_TEST_EXISTS))
    {
      gcert_settings_set_error (settings, error, "program", _("%s does not exist"), program);
      return FALSE;
    }
  if (!g_file_test (program, G_FILE_TEST_IS_REGULAR))
    {
      gcert_settings_set_error (settings, error, "program", _("%s is not a regular file"),
                                program);
      return FALSE;
    }
  if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
    {
      gcert_settings_set_error (settings, error, "program", _("%s is not executable"),
                                program);
      return FALSE;
    }

  if (!gcert_settings_get_duration (settings, "timeout", DEFAULT_TIMEOUT_SECONDS,
                                    &timeout_seconds, error))
    return FALSE;
  if (timeout_seconds < 1 || timeout_seconds > MAX_TIMEOUT_SECONDS)
    {
      gcert_settings_set_error (settings, error, "timeout",
                                _("must be between 1 s and %d s"), MAX_TIMEOUT_SECONDS);
      return FALSE;
    }

  g_free (self->program);
  self->program = g_steal_pointer (&program);
  self->timeout_seconds = timeout_seconds;
  return TRUE;
}

/* One run of the program. */
typedef struct {
  GSubprocess  *process;
  char         *description;   /* "PROGRAM present FQDN" */
  gint64        timeout_seconds;
  GByteArray   *tail;          /* the end of its stderr */
  guint8        buffer[4096];
  GCancellable *read_cancellable;
  GSource      *timeout_source;
  GSource      *grace_source;
  GSource      *cancel_source;
  gboolean      exited;
  gboolean      eof;
  gboolean      timed_out;
} ExecRun;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
exec_run_free (ExecRun *run)
{
  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_clear_object (&run->process);
  g_clear_object (&run->read_cancellable);
  g_clear_pointer (&run->tail, g_byte_array_unref);
  g_free (run->description);
  g_free (run);
}

static GSource *
exec_run_add_source (GTask       *task,
                     GSource     *source,
                     GSourceFunc  func)
{
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

static void
child_setup (gpointer user_data)
{
  /* its own process group, so that a timeout kills what it started too */
  setpgid (0, 0);
}

/* Kills the process group while the program has not been reaped (until then
 * its pid cannot name anything else). */
static void
exec_run_kill (ExecRun *run)
{
  const char *identifier;
  pid_t pid;

  if (run->exited)
    return;
  identifier = g_subprocess_get_identifier (run->process);
  if (identifier == NULL)
    return;
  pid = (pid_t) atoi (identifier);
  if (pid <= 1 || kill (-pid, SIGKILL) != 0)
    g_subprocess_force_exit (run->process);
}

/* The last lines of its stderr, on one line, valid UTF-8. */
static char *
exec_run_stderr_tail (ExecRun *run)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  guint n;

  if (run->tail->len == 0)
    return NULL;
  text = g_utf8_make_valid ((const char *) run->tail->data, run->tail->len);
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = n; i > 0 && kept->len < STDERR_LINES; i--)
    {
      char *line = g_strstrip (lines[i - 1]);

      for (char *p = line; *p != '\0'; p++)
        {
          if ((guchar) *p < 0x20)
            *p = ' ';
        }
      if (*line != '\0')
        g_ptr_array_insert (kept, 0, line);
    }
  if (kept->len == 0)
    return NULL;
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("; ", (char **) kept->pdata);
}

static void
exec_run_complete (GTask *task)
{
  ExecRun *run = g_task_get_task_data (task);
  g_autofree char *output = NULL;
  g_autofree char *suffix = NULL;

  if (!run->exited || !run->eof)
    return;

  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);

  if (g_task_return_error_if_cancelled (task))
    return;

  output = exec_run_stderr_tail (run);
  suffix = output != NULL ? g_strconcat (": ", output, NULL) : g_strdup ("");

  if (run->timed_out)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                               _("%s: killed after its timeout of %" G_GINT64_FORMAT " s%s"),
                               run->description, run->timeout_seconds, suffix);
      return;
    }
  if (g_subprocess_get_if_signaled (run->process))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("%s: killed by signal %d%s"), run->description,
                               g_subprocess_get_term_sig (run->process), suffix);
      return;
    }
  if (g_subprocess_get_exit_status (run->process) != 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("%s: failed with exit status %d%s"), run->description,
                               g_subprocess_get_exit_status (run->process), suffix);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
exec_run_grace_cb (gpointer user_data)
{
  GTask *task = user_data;
  ExecRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->grace_source, g_source_unref);
  g_cancellable_cancel (run->read_cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
exec_run_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ExecRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->timeout_source, g_source_unref);
  if (run->exited)
    {
      g_cancellable_cancel (run->read_cancellable);
      return G_SOURCE_REMOVE;
    }
  g_debug ("%s: timed out, killing it", run->description);
  run->timed_out = TRUE;
  exec_run_kill (run);
  return G_SOURCE_REMOVE;
}

static gboolean
exec_run_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  GTask *task = user_data;
  ExecRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->cancel_source, g_source_unref);
  /* the task returns once the program is reaped: nothing is left running */
  exec_run_kill (run);
  return G_SOURCE_REMOVE;
}

static void exec_run_read (GTask *task);

static void
exec_run_read_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExecRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source_object), result, &error);
  if (n <= 0)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("%s: reading its stderr: %s", run->description, error->message);
      run->eof = TRUE;
      exec_run_complete (task);
      return;
    }

  g_byte_array_append (run->tail, run->buffer, (guint) n);
  if (run->tail->len > STDERR_KEEP_BYTES)
    g_byte_array_remove_range (run->tail, 0, run->tail->len - STDERR_KEEP_BYTES);
  exec_run_read (task);
}

static void
exec_run_read (GTask *task)
{
  ExecRun *run = g_task_get_task_data (task);

  g_input_stream_read_async (g_subprocess_get_stderr_pipe (run->process),
                             run->buffer, sizeof run->buffer,
                             g_task_get_priority (task), run->read_cancellable,
                             exec_run_read_cb, g_object_ref (task));
}

static void
exec_run_wait_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExecRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* without a cancellable this fails only if waiting itself is impossible */
  if (!g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, &error))
    g_warning ("%s: waiting for it: %s", run->description, error->message);
  run->exited = TRUE;
  if (!run->eof)
    run->grace_source = exec_run_add_source (task, g_timeout_source_new (EXIT_GRACE_MS),
                                             exec_run_grace_cb);
  exec_run_complete (task);
}

static void
exec_run_async (GCertExecProvider   *self,
                const char          *action,
                const char          *fqdn,
                const char          *value,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  ExecRun *run;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (self->program == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the exec plugin is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  name = g_str_has_suffix (fqdn, ".") ? g_strdup (fqdn) : g_strconcat (fqdn, ".", NULL);

  run = g_new0 (ExecRun, 1);
  run->description = g_strdup_printf ("%s %s %s", self->program, action, name);
  run->timeout_seconds = self->timeout_seconds;
  run->tail = g_byte_array_new ();
  run->read_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, run, (GDestroyNotify) exec_run_free);

  /* no shell; stdin is /dev/null, so the program can never prompt */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  run->process = g_subprocess_launcher_spawn (launcher, &error, self->program, action,
                                              name, value, NULL);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("cannot run %s: %s"), self->program, error->message);
      return;
    }
  g_debug ("started %s", run->description);

  run->timeout_source =
    exec_run_add_source (task,
                         g_timeout_source_new ((guint) self->timeout_seconds * 1000),
                         exec_run_timeout_cb);
  if (cancellable != NULL)
    run->cancel_source = exec_run_add_source (task, g_cancellable_source_new (cancellable),
                                              G_SOURCE_FUNC (exec_run_cancelled_cb));

  g_subprocess_wait_async (run->process, NULL, exec_run_wait_cb, g_object_ref (task));
  exec_run_read (task);
}

static void
gcert_exec_provider_create_record_async (GCertDnsProvider    *provider,
                                         const char          *fqdn,
                                         const char          *value,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  exec_run_async (GCERT_EXEC_PROVIDER (provider), "present", fqdn, value, cancellable,
                  callback, user_data, gcert_exec_provider_create_record_async);
}

static gboolean
gcert_exec_provider_create_record_finish (GCertDnsProvider  *provider,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_exec_provider_remove_record_async (GCertDnsProvider    *provider,
                                         const char          *fqdn,
                                         const char          *value,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  exec_run_async (GCERT_EXEC_PROVIDER (provider), "cleanup", fqdn, value, cancellable,
                  callback, user_data, gcert_exec_provider_remove_record_async);
}

static gboolean
gcert_exec_provider_remove_record_finish (GCertDnsProvider  *provider,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_exec_provider_finalize (GObject *object)
{
  GCertExecProvider *self = GCERT_EXEC_PROVIDER (object);

  g_free (self->program);

  G_OBJECT_CLASS (gcert_exec_provider_parent_class)->finalize (object);
}

static void
gcert_exec_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_exec_provider_setup;
  iface->create_record_async = gcert_exec_provider_create_record_async;
  iface->create_record_finish = gcert_exec_provider_create_record_finish;
  iface->remove_record_async = gcert_exec_provider_remove_record_async;
  iface->remove_record_finish = gcert_exec_provider_remove_record_finish;
}

static void
gcert_exec_provider_class_init (GCertExecProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_exec_provider_finalize;
}

static void
gcert_exec_provider_class_finalize (GCertExecProviderClass *klass)
{
}

static void
gcert_exec_provider_init (GCertExecProvider *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished run may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_exec_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_EXEC_PROVIDER, "exec", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DNS_PROVIDER_EXTENSION_POINT, NULL });
}
