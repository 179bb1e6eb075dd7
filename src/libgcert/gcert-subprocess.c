/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "gcert-error.h"
#include "gcert-subprocess.h"

/* how long we keep reading its stderr once the program has exited: a child
 * it left behind may hold the pipe open */
#define EXIT_GRACE_MS  1000

/* --- starting and killing ------------------------------------------------ */

static void
child_setup_group (gpointer user_data)
{
  /* its own process group, so that a timeout kills what it started too */
  setpgid (0, 0);
}

static void
child_setup_session (gpointer user_data)
{
  /* a process group as above, and no controlling terminal */
  setsid ();
}

GSubprocess *
gcert_subprocess_spawn (const char * const    *argv,
                        const char * const    *env,
                        GCertSubprocessFlags   flags,
                        GSocketConnection    **out_stdin,
                        GError               **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) local_error = NULL;
  GSubprocessFlags spawn_flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
  GSubprocess *process;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spawn_flags |= (flags & GCERT_SUBPROCESS_FLAGS_STDOUT_PIPE) != 0 ?
                 G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  launcher = g_subprocess_launcher_new (spawn_flags);

  if (out_stdin != NULL)
    {
      g_autoptr(GSocket) socket = NULL;
      int fds[2];

      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot create a socket pair: %s"), g_strerror (saved_errno));
          return NULL;
        }
      socket = g_socket_new_from_fd (fds[0], &local_error);
      if (socket == NULL)
        {
          close (fds[0]);
          close (fds[1]);
          g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_FAILED, local_error->message);
          return NULL;
        }
      /* GSocket sends with MSG_NOSIGNAL: no SIGPIPE once the program is gone */
      connection = g_socket_connection_factory_create_connection (socket);
      g_subprocess_launcher_take_stdin_fd (launcher, fds[1]);
    }

  if ((flags & GCERT_SUBPROCESS_FLAGS_NEW_SESSION) != 0)
    g_subprocess_launcher_set_child_setup (launcher, child_setup_session, NULL, NULL);
  else
    g_subprocess_launcher_set_child_setup (launcher, child_setup_group, NULL, NULL);

  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *equals = strchr (env[i], '=');
      g_autofree char *name = NULL;

      if (equals == NULL)
        continue;
      name = g_strndup (env[i], (gsize) (equals - env[i]));
      g_subprocess_launcher_setenv (launcher, name, equals + 1, TRUE);
    }

  process = g_subprocess_launcher_spawnv (launcher, argv, &local_error);
  if (process == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, _("cannot run %s: %s"), argv[0],
                   local_error->message);
      return NULL;
    }
  g_debug ("started %s", argv[0]);
  if (out_stdin != NULL)
    *out_stdin = g_steal_pointer (&connection);
  return process;
}

void
gcert_subprocess_kill (GSubprocess *process)
{
  const char *identifier;
  pid_t pid;

  g_return_if_fail (G_IS_SUBPROCESS (process));

  /* %NULL once reaped: from then on the pid may name something else */
  identifier = g_subprocess_get_identifier (process);
  if (identifier == NULL)
    return;
  pid = (pid_t) atoi (identifier);
  if (pid <= 1 || kill (-pid, SIGKILL) != 0)
    g_subprocess_force_exit (process);
}

/* --- the end of an output ------------------------------------------------ */

typedef struct {
  GByteArray *tail;
  gsize       max_bytes;
  gboolean    truncated;
  guint8      buffer[4096];
} TailRead;

static void
tail_read_free (TailRead *read)
{
  g_clear_pointer (&read->tail, g_byte_array_unref);
  g_free (read);
}

static void tail_read_next (GTask *task);

static void
tail_read_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TailRead *read = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source_object), result, &error);
  if (n <= 0)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("reading a program's output: %s", error->message);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_byte_array_append (read->tail, read->buffer, (guint) n);
  if (read->tail->len > read->max_bytes)
    {
      g_byte_array_remove_range (read->tail, 0, read->tail->len - (guint) read->max_bytes);
      read->truncated = TRUE;
    }
  tail_read_next (g_steal_pointer (&task));
}

static void
tail_read_next (GTask *task)
{
  TailRead *read = g_task_get_task_data (task);

  g_input_stream_read_async (G_INPUT_STREAM (g_task_get_source_object (task)), read->buffer,
                             sizeof read->buffer, g_task_get_priority (task),
                             g_task_get_cancellable (task), tail_read_cb, task);
}

void
gcert_subprocess_read_tail_async (GInputStream        *stream,
                                  gsize                max_bytes,
                                  int                  io_priority,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TailRead *read;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (max_bytes > 0 && max_bytes <= G_MAXUINT);

  task = g_task_new (stream, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_subprocess_read_tail_async);
  g_task_set_priority (task, io_priority);
  /* a cancellation only ends the reading */
  g_task_set_check_cancellable (task, FALSE);

  read = g_new0 (TailRead, 1);
  read->tail = g_byte_array_new ();
  read->max_bytes = max_bytes;
  g_task_set_task_data (task, read, (GDestroyNotify) tail_read_free);

  tail_read_next (g_steal_pointer (&task));
}

GBytes *
gcert_subprocess_read_tail_finish (GAsyncResult *result,
                                   gboolean     *out_truncated)
{
  TailRead *read;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_subprocess_read_tail_async),
                        NULL);

  g_task_propagate_boolean (G_TASK (result), NULL);
  read = g_task_get_task_data (G_TASK (result));
  if (out_truncated != NULL)
    *out_truncated = read->truncated;
  return g_bytes_new (read->tail->data, read->tail->len);
}

char *
gcert_subprocess_format_tail (GBytes   *tail,
                              gboolean  truncated)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) joined = NULL;
  const guint8 *data;
  gsize length = 0;

  g_return_val_if_fail (tail != NULL, NULL);

  data = g_bytes_get_data (tail, &length);
  if (length == 0)
    return NULL;
  /* the cut may have split a line: start at the next whole one, if any */
  if (truncated)
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
  joined = g_string_new (NULL);
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
  if (truncated)
    g_string_prepend (joined, "…");
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

char *
gcert_subprocess_describe_end (gint64      timed_out_after,
                               int         signal_number,
                               int         exit_status,
                               const char *tail)
{
  g_autofree char *what = NULL;

  if (timed_out_after > 0)
    what = g_strdup_printf (_("killed after its timeout of %" G_GINT64_FORMAT " s"),
                            timed_out_after);
  else if (signal_number > 0)
    what = g_strdup_printf (_("killed by signal %d"), signal_number);
  else
    what = g_strdup_printf (_("exit %d"), exit_status);
  if (tail != NULL && *tail != '\0')
    return g_strconcat (what, ": ", tail, NULL);
  return g_steal_pointer (&what);
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
gcert_subprocess_describe_argv (const char * const *argv)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (argv != NULL, NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (text, ' ');
      if (needs_quoting (argv[i]))
        {
          g_autofree char *quoted = g_shell_quote (argv[i]);

          g_string_append (text, quoted);
        }
      else
        {
          g_string_append (text, argv[i]);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* --- one run to its end -------------------------------------------------- */

typedef struct {
  GSubprocess          *process;
  char                 *program;
  gint64                timeout_seconds;
  GCertSubprocessFlags  flags;
  GSocketConnection    *stdin_connection;
  GBytes               *stdin_bytes;
  GCancellable         *io_cancellable;   /* ends the reading and writing */
  GSource              *timeout_source;
  GSource              *grace_source;
  GSource              *cancel_source;
  gboolean              exited;
  gboolean              eof;
  gboolean              timed_out;
  int                   exit_status;
  char                 *tail;
} Run;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
run_free (Run *run)
{
  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_clear_object (&run->process);
  g_free (run->program);
  g_clear_object (&run->stdin_connection);
  g_clear_pointer (&run->stdin_bytes, g_bytes_unref);
  g_clear_object (&run->io_cancellable);
  g_free (run->tail);
  g_free (run);
}

static GSource *
run_add_source (GTask       *task,
                GSource     *source,
                GSourceFunc  func)
{
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

/* Returns once the program has been reaped and its stderr read. */
static void
run_complete (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  g_autofree char *outcome = NULL;
  GCertError code = GCERT_ERROR_FAILED;

  if (!run->exited || !run->eof)
    return;

  destroy_source (&run->timeout_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_cancellable_cancel (run->io_cancellable);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (run->timed_out)
    {
      code = GCERT_ERROR_TIMED_OUT;
      outcome = gcert_subprocess_describe_end (run->timeout_seconds, 0, 0, run->tail);
    }
  else if (g_subprocess_get_if_signaled (run->process))
    {
      outcome = gcert_subprocess_describe_end (0, g_subprocess_get_term_sig (run->process), 0,
                                               run->tail);
    }
  else
    {
      run->exit_status = g_subprocess_get_exit_status (run->process);
      if (run->exit_status != 0 && (run->flags & GCERT_SUBPROCESS_FLAGS_EXIT_STATUS) == 0)
        outcome = gcert_subprocess_describe_end (0, 0, run->exit_status, run->tail);
    }

  if (outcome != NULL)
    g_task_return_new_error (task, GCERT_ERROR, code, "%s", outcome);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
run_grace_cb (gpointer user_data)
{
  GTask *task = user_data;
  Run *run = g_task_get_task_data (task);

  g_clear_pointer (&run->grace_source, g_source_unref);
  g_cancellable_cancel (run->io_cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
run_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  Run *run = g_task_get_task_data (task);

  g_clear_pointer (&run->timeout_source, g_source_unref);
  if (run->exited)
    {
      g_cancellable_cancel (run->io_cancellable);
      return G_SOURCE_REMOVE;
    }
  g_debug ("%s: timed out, killing its process group", run->program);
  run->timed_out = TRUE;
  gcert_subprocess_kill (run->process);
  return G_SOURCE_REMOVE;
}

static gboolean
run_cancelled_cb (GCancellable *cancellable,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Run *run = g_task_get_task_data (task);

  g_clear_pointer (&run->cancel_source, g_source_unref);
  /* the task returns once the program is reaped: nothing is left running */
  if (!run->exited)
    gcert_subprocess_kill (run->process);
  return G_SOURCE_REMOVE;
}

static void
run_stdin_written_cb (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* a program that does not read all of it says so in its exit status */
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error))
    g_debug ("%s: writing its stdin: %s", run->program, error->message);
  g_socket_shutdown (g_socket_connection_get_socket (run->stdin_connection), FALSE, TRUE, NULL);
}

static void
run_tail_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GBytes) tail = NULL;
  gboolean truncated = FALSE;

  tail = gcert_subprocess_read_tail_finish (result, &truncated);
  run->tail = gcert_subprocess_format_tail (tail, truncated);
  run->eof = TRUE;
  run_complete (task);
}

static void
run_wait_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* without a cancellable this fails only if waiting itself is impossible */
  if (!g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, &error))
    g_warning ("%s: waiting for it: %s", run->program, error->message);
  run->exited = TRUE;
  if (!run->eof)
    run->grace_source = run_add_source (task, g_timeout_source_new (EXIT_GRACE_MS),
                                        run_grace_cb);
  run_complete (task);
}

void
gcert_subprocess_run_async (const char * const   *argv,
                            const char * const   *env,
                            GBytes               *stdin_bytes,
                            gint64                timeout_seconds,
                            GCertSubprocessFlags  flags,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Run *run;

  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_return_if_fail (timeout_seconds > 0 && timeout_seconds <= G_MAXUINT / 1000);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_subprocess_run_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  run = g_new0 (Run, 1);
  run->program = g_strdup (argv[0]);
  run->timeout_seconds = timeout_seconds;
  run->flags = flags;
  run->io_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  run->process = gcert_subprocess_spawn (argv, env, flags & ~GCERT_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                         stdin_bytes != NULL ? &run->stdin_connection : NULL,
                                         &error);
  if (run->process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  run->timeout_source =
    run_add_source (task, g_timeout_source_new ((guint) (timeout_seconds * 1000)),
                    run_timeout_cb);
  if (cancellable != NULL)
    run->cancel_source = run_add_source (task, g_cancellable_source_new (cancellable),
                                         G_SOURCE_FUNC (run_cancelled_cb));

  g_subprocess_wait_async (run->process, NULL, run_wait_cb, g_object_ref (task));
  gcert_subprocess_read_tail_async (g_subprocess_get_stderr_pipe (run->process),
                                    GCERT_SUBPROCESS_TAIL_BYTES, g_task_get_priority (task),
                                    run->io_cancellable, run_tail_cb, g_object_ref (task));
  if (stdin_bytes != NULL)
    {
      GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (run->stdin_connection));
      gsize size = 0;
      const void *data = g_bytes_get_data (stdin_bytes, &size);

      run->stdin_bytes = g_bytes_ref (stdin_bytes);
      g_output_stream_write_all_async (output, data, size, g_task_get_priority (task),
                                       run->io_cancellable, run_stdin_written_cb,
                                       g_object_ref (task));
    }
}

gboolean
gcert_subprocess_run_finish (GAsyncResult  *result,
                             int           *out_exit_status,
                             char         **out_stderr_tail,
                             GError       **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_subprocess_run_async), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  run = g_task_get_task_data (G_TASK (result));
  if (out_exit_status != NULL)
    *out_exit_status = run->exit_status;
  if (out_stderr_tail != NULL)
    *out_stderr_tail = g_strdup (run->tail);
  return TRUE;
}
