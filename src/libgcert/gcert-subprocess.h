/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Running the administrator's programs (DNS hooks, deploy programs,
 * reloads, ssh): never through a shell, in a process group of their own
 * that is killed as a whole, with the end of their stderr in errors. */

/**
 * GCertSubprocessFlags:
 * @GCERT_SUBPROCESS_FLAGS_NONE: a process group of its own, stdout discarded
 * @GCERT_SUBPROCESS_FLAGS_NEW_SESSION: a session of its own (setsid()), so
 *   that it has no controlling terminal to prompt on either
 * @GCERT_SUBPROCESS_FLAGS_STDOUT_PIPE: gcert_subprocess_spawn() only: its
 *   stdout is a pipe to read
 * @GCERT_SUBPROCESS_FLAGS_EXIT_STATUS: gcert_subprocess_run_async() only: a
 *   non-zero exit status is handed to the caller, not made an error
 */
typedef enum {
  GCERT_SUBPROCESS_FLAGS_NONE        = 0,
  GCERT_SUBPROCESS_FLAGS_NEW_SESSION = 1 << 0,
  GCERT_SUBPROCESS_FLAGS_STDOUT_PIPE = 1 << 1,
  GCERT_SUBPROCESS_FLAGS_EXIT_STATUS = 1 << 2,
} GCertSubprocessFlags;

/* how much of a program's stderr gcert_subprocess_run_async() keeps */
#define GCERT_SUBPROCESS_TAIL_BYTES  500

/* Starts @argv (never through a shell) with @env ("KEY=VALUE" strings,
 * nullable) added to the environment, in a process group of its own,
 * stderr a pipe. With @out_stdin its stdin is one end of a socket pair,
 * the other end returned: writing to it after the program has gone fails
 * instead of raising SIGPIPE. Without, stdin is /dev/null. Errors
 * (GCERT_ERROR_FAILED): "cannot run PROGRAM: …", "cannot create a socket
 * pair: …". */
GSubprocess *gcert_subprocess_spawn              (const char * const    *argv,
                                                  const char * const    *env,
                                                  GCertSubprocessFlags   flags,
                                                  GSocketConnection    **out_stdin,
                                                  GError               **error)
                                                  G_GNUC_WARN_UNUSED_RESULT;

/* Kills the process group of @process (or @process alone when that
 * fails) with SIGKILL; nothing once it has been reaped, when its pid could
 * name another process. */
void         gcert_subprocess_kill               (GSubprocess           *process);

/* Reads @stream to its end, keeping its last @max_bytes. A read error or
 * the cancellation of @cancellable ends it like the end of the stream: the
 * finish function returns what was kept, never an error, and whether
 * earlier bytes were dropped. */
void         gcert_subprocess_read_tail_async    (GInputStream          *stream,
                                                  gsize                  max_bytes,
                                                  int                    io_priority,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data);
GBytes      *gcert_subprocess_read_tail_finish   (GAsyncResult          *result,
                                                  gboolean              *out_truncated)
                                                  G_GNUC_WARN_UNUSED_RESULT;

/* The tail of a program's output for a message: valid UTF-8 on one line,
 * control characters as spaces, non-empty lines joined by "; ", starting
 * with "…" at the first whole line when @truncated. %NULL when nothing
 * printable is left. */
char        *gcert_subprocess_format_tail        (GBytes                *tail,
                                                  gboolean               truncated)
                                                  G_GNUC_WARN_UNUSED_RESULT;

/* How a program ended, for a message: "killed after its timeout of 60 s"
 * when @timed_out_after (its timeout in seconds) is positive, else "killed
 * by signal 9" when @signal_number is, else "exit 1"; then ": TAIL" when
 * @tail is neither %NULL nor empty. */
char        *gcert_subprocess_describe_end       (gint64                 timed_out_after,
                                                  int                    signal_number,
                                                  int                    exit_status,
                                                  const char            *tail)
                                                  G_GNUC_WARN_UNUSED_RESULT;

/* A command line for messages: the arguments joined by spaces, quoted for
 * a shell where needed. */
char        *gcert_subprocess_describe_argv      (const char * const    *argv)
                                                  G_GNUC_WARN_UNUSED_RESULT;

/* Runs @argv as gcert_subprocess_spawn() does, writes @stdin_bytes
 * (nullable: stdin is then /dev/null) to its stdin and closes it,
 * discards its stdout, and waits at most @timeout_seconds for it to exit,
 * then kills its process group. Output that a program it left behind
 * writes after it exited is read for a second at most.
 *
 * The finish function returns the exit status (0 unless
 * %GCERT_SUBPROCESS_FLAGS_EXIT_STATUS) and the end of its stderr (see
 * gcert_subprocess_format_tail(); %NULL when empty). Errors, with that
 * tail as in gcert_subprocess_describe_end(): GCERT_ERROR_TIMED_OUT
 * "killed after its timeout of 60 s: TAIL", GCERT_ERROR_FAILED "killed by
 * signal 9: TAIL", "exit 1: TAIL" (unless
 * %GCERT_SUBPROCESS_FLAGS_EXIT_STATUS) or "cannot run PROGRAM: …". When
 * @cancellable is cancelled the process group is killed, and
 * G_IO_ERROR_CANCELLED returned once the program has been reaped. */
void         gcert_subprocess_run_async          (const char * const    *argv,
                                                  const char * const    *env,
                                                  GBytes                *stdin_bytes,
                                                  gint64                 timeout_seconds,
                                                  GCertSubprocessFlags   flags,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data);
gboolean     gcert_subprocess_run_finish         (GAsyncResult          *result,
                                                  int                   *out_exit_status,
                                                  char                 **out_stderr_tail,
                                                  GError               **error)
                                                  G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
