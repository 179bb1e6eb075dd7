/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "gcert-deploy-command.h"
#include "gcert-error.h"

/* how much of its stderr ends up in an error */
#define STDERR_TAIL_BYTES  500
/* how long we keep reading its stderr once the program has exited: a child
 * it left behind may hold the pipe open */
#define EXIT_GRACE_MS      1000

GStrv
gcert_deploy_command_parse (GCertSettings  *settings,
                            const char     *key,
                            gboolean        required,
                            GError        **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *program = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  text = gcert_settings_get_string (settings, key, required, &local_error);
  if (text == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!g_shell_parse_argv (text, NULL, &argv, &local_error))
    {
      if (g_error_matches (local_error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING))
        gcert_settings_set_error (settings, error, key, _("the command line is empty"));
      else
        gcert_settings_set_error (settings, error, key,
                                  _("“%s” is not a valid command line: %s"), text,
                                  local_error->message);
      return NULL;
    }

  if (*argv[0] == '\0')
    {
      gcert_settings_set_error (settings, error, key, _("the program name is empty"));
      return NULL;
    }
  if (strchr (argv[0], '/') == NULL)
    {
      program = g_find_program_in_path (argv[0]);
      if (program == NULL)
        {
          gcert_settings_set_error (settings, error, key,
                                    _("the program “%s” is not in PATH"), argv[0]);
          return NULL;
        }
    }
  else
    {
      if (g_path_is_absolute (argv[0]))
        program = g_strdup (argv[0]);
      else
        program = g_build_filename (gcert_settings_get_base_dir (settings), argv[0], NULL);
      if (!g_file_test (program, G_FILE_TEST_EXISTS))
        {
          gcert_settings_set_error (settings, error, key, _("%s does not exist"), program);
          return NULL;
        }
      if (!g_file_test (program, G_FILE_TEST_IS_REGULAR))
        {
          gcert_settings_set_error (settings, error, key, _("%s is not a regular file"),
                                    program);
          return NULL;
        }
      if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
        {
          gcert_settings_set_error (settings, error, key, _("%s is not executable"),
                                    program);
          return NULL;
        }
    }

  g_free (argv[0]);
  argv[0] = g_steal_pointer (&program);
  return g_steal_pointer (&argv);
}

gboolean
gcert_deploy_command_get_timeout (GCertSettings  *settings,
                                  gint64          default_seconds,
                                  gint64         *out_seconds,
                                  GError        **error)
{
  gint64 seconds;

  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (out_seconds != NULL, FALSE);

  if (!gcert_settings_get_duration (settings, "timeout", default_seconds, &seconds, error))
    return FALSE;
  if (seconds < 1 || seconds > GCERT_DEPLOY_COMMAND_MAX_TIMEOUT)
    {
      gcert_settings_set_error (settings, error, "timeout", _("must be between 1 s and %d s"),
                                GCERT_DEPLOY_COMMAND_MAX_TIMEOUT);
      return FALSE;
    }
  *out_seconds = seconds;
  return TRUE;
}

static gboolean
needs_quoting (const char *arg)
{
  if (*arg == '\0')
    return TRUE;
  for (const char *p = arg; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("-_./:=@%+,", *p) == NULL)
        return TRUE;
    }
  return FALSE;
}

char *
gcert_deploy_command_describe (const char * const *argv)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (argv != NULL, NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = NULL;

      if (i > 0)
        g_string_append_c (text, ' ');
      if (needs_quoting (argv[i]))
        {
          quoted = g_shell_quote (argv[i]);
          g_string_append (text, quoted);
        }
      else
        {
          g_string_append (text, argv[i]);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* --- one run ------------------------------------------------------------- */

typedef struct {
  GSubprocess  *process;
  char         *program;
  gint64        timeout_seconds;
  GByteArray   *tail;          /* the end of its stderr */
  gboolean      truncated;     /* the tail lost its beginning */
  guint8        buffer[4096];
  GCancellable *read_cancellable;
  GSource      *timeout_source;
  GSource      *grace_source;
  GSource      *cancel_source;
  gboolean      exited;
  gboolean      eof;
  gboolean      timed_out;
} CommandRun;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
command_run_free (CommandRun *run)
{
  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_clear_object (&run->process);
  g_clear_object (&run->read_cancellable);
  g_clear_pointer (&run->tail, g_byte_array_unref);
  g_free (run->program);
  g_free (run);
}

static GSource *
command_run_add_source (GTask       *task,
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
command_run_kill (CommandRun *run)
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

/* The end of its stderr on one line, valid UTF-8, lines joined by "; ". */
static char *
command_run_stderr_tail (CommandRun *run)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) joined = g_string_new (NULL);
  const guint8 *data = run->tail->data;
  gsize length = run->tail->len;

  /* the cut may have split a line: start at the next whole one, if any */
  if (run->truncated)
    {
      const guint8 *newline = memchr (data, '\n', length);

      if (newline != NULL && newline + 1 < data + length)
        {
          length -= (gsize) (newline + 1 - data);
          data = newline + 1;
        }
      while (length > 0 && (*data & 0xc0) == 0x80)
        {
          data++;
          length--;
        }
    }
  if (length == 0)
    return NULL;

  text = g_utf8_make_valid ((const char *) data, (gssize) length);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];

      for (char *p = line; *p != '\0'; p++)
        {
          if ((guchar) *p < 0x20 || *p == 0x7f)
            *p = ' ';
        }
      g_strstrip (line);
      if (*line == '\0')
        continue;
      if (joined->len > 0)
        g_string_append (joined, "; ");
      g_string_append (joined, line);
    }
  if (joined->len == 0)
    return NULL;
  if (run->truncated)
    g_string_prepend (joined, "…");
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static void
command_run_complete (GTask *task)
{
  CommandRun *run = g_task_get_task_data (task);
  g_autofree char *output = NULL;
  g_autofree char *suffix = NULL;

  if (!run->exited || !run->eof)
    return;

  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);

  if (g_task_return_error_if_cancelled (task))
    return;

  output = command_run_stderr_tail (run);
  suffix = output != NULL ? g_strconcat (": ", output, NULL) : g_strdup ("");

  if (run->timed_out)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                               _("killed after its timeout of %" G_GINT64_FORMAT " s%s"),
                               run->timeout_seconds, suffix);
      return;
    }
  if (g_subprocess_get_if_signaled (run->process))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("killed by signal %d%s"),
                               g_subprocess_get_term_sig (run->process), suffix);
      return;
    }
  if (g_subprocess_get_exit_status (run->process) != 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED, _("exit %d%s"),
                               g_subprocess_get_exit_status (run->process), suffix);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
command_run_grace_cb (gpointer user_data)
{
  GTask *task = user_data;
  CommandRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->grace_source, g_source_unref);
  g_cancellable_cancel (run->read_cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
command_run_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  CommandRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->timeout_source, g_source_unref);
  if (run->exited)
    {
      g_cancellable_cancel (run->read_cancellable);
      return G_SOURCE_REMOVE;
    }
  g_debug ("%s: timed out, killing its process group", run->program);
  run->timed_out = TRUE;
  command_run_kill (run);
  return G_SOURCE_REMOVE;
}

static gboolean
command_run_cancelled_cb (GCancellable *cancellable,
                          gpointer      user_data)
{
  GTask *task = user_data;
  CommandRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->cancel_source, g_source_unref);
  /* the task returns once the program is reaped: nothing is left running */
  command_run_kill (run);
  return G_SOURCE_REMOVE;
}

static void command_run_read (GTask *task);

static void
command_run_read_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CommandRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source_object), result, &error);
  if (n <= 0)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("%s: reading its stderr: %s", run->program, error->message);
      run->eof = TRUE;
      command_run_complete (task);
      return;
    }

  g_byte_array_append (run->tail, run->buffer, (guint) n);
  if (run->tail->len > STDERR_TAIL_BYTES)
    {
      g_byte_array_remove_range (run->tail, 0, run->tail->len - STDERR_TAIL_BYTES);
      run->truncated = TRUE;
    }
  command_run_read (task);
}

static void
command_run_read (GTask *task)
{
  CommandRun *run = g_task_get_task_data (task);

  g_input_stream_read_async (g_subprocess_get_stderr_pipe (run->process),
                             run->buffer, sizeof run->buffer,
                             g_task_get_priority (task), run->read_cancellable,
                             command_run_read_cb, g_object_ref (task));
}

static void
command_run_wait_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CommandRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* without a cancellable this fails only if waiting itself is impossible */
  if (!g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, &error))
    g_warning ("%s: waiting for it: %s", run->program, error->message);
  run->exited = TRUE;
  if (!run->eof)
    run->grace_source = command_run_add_source (task, g_timeout_source_new (EXIT_GRACE_MS),
                                                command_run_grace_cb);
  command_run_complete (task);
}

void
gcert_deploy_command_run_async (const char * const  *argv,
                                const char * const  *env,
                                gint64               timeout_seconds,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  CommandRun *run;

  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_return_if_fail (timeout_seconds > 0);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_deploy_command_run_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  run = g_new0 (CommandRun, 1);
  run->program = g_strdup (argv[0]);
  run->timeout_seconds = timeout_seconds;
  run->tail = g_byte_array_new ();
  run->read_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, run, (GDestroyNotify) command_run_free);

  /* no shell; stdin is /dev/null, so the program can never prompt */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *equals = strchr (env[i], '=');
      g_autofree char *name = NULL;

      if (equals == NULL)
        continue;
      name = g_strndup (env[i], (gsize) (equals - env[i]));
      g_subprocess_launcher_setenv (launcher, name, equals + 1, TRUE);
    }

  run->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("cannot run %s: %s"), argv[0], error->message);
      return;
    }
  g_debug ("started %s", argv[0]);

  run->timeout_source =
    command_run_add_source (task, g_timeout_source_new ((guint) (timeout_seconds * 1000)),
                            command_run_timeout_cb);
  if (cancellable != NULL)
    run->cancel_source = command_run_add_source (task, g_cancellable_source_new (cancellable),
                                                 G_SOURCE_FUNC (command_run_cancelled_cb));

  g_subprocess_wait_async (run->process, NULL, command_run_wait_cb, g_object_ref (task));
  command_run_read (task);
}

gboolean
gcert_deploy_command_run_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_deploy_command_run_async),
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
