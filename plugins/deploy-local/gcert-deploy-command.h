/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "gcert-settings.h"

G_BEGIN_DECLS

/* Running the administrator's commands (a reload, a deploy program) for the
 * deployer plugins: no shell, stdin /dev/null, stdout discarded, its own
 * process group killed at the timeout, the end of stderr in errors. Linked
 * into each deployer module that needs it; not part of libgcert. */

#define GCERT_DEPLOY_COMMAND_DEFAULT_TIMEOUT  60
#define GCERT_DEPLOY_COMMAND_MAX_TIMEOUT      3600

/* Reads the command line in @key of @settings (split like a shell would,
 * but never run by one). The program must exist: an absolute path, a
 * path relative to the config's directory, or a name found in PATH (which
 * replaces argv[0] by the full path). %NULL without error when the key is
 * missing and not @required. */
GStrv    gcert_deploy_command_parse      (GCertSettings        *settings,
                                          const char           *key,
                                          gboolean              required,
                                          GError              **error);

/* Reads `timeout` (default %GCERT_DEPLOY_COMMAND_DEFAULT_TIMEOUT s, 1 s to
 * %GCERT_DEPLOY_COMMAND_MAX_TIMEOUT s). */
gboolean gcert_deploy_command_get_timeout (GCertSettings       *settings,
                                           gint64               default_seconds,
                                           gint64              *out_seconds,
                                           GError             **error);

/* The command for messages: the arguments joined by spaces, quoted where
 * needed. */
char    *gcert_deploy_command_describe   (const char * const   *argv);

/* Runs @argv with @env ("KEY=VALUE" strings, nullable) added to the
 * environment. Errors: GCERT_ERROR_FAILED with a message such as
 * "exit 1: TAIL" or "killed by signal 9", GCERT_ERROR_TIMED_OUT "killed
 * after its timeout of 60 s: TAIL", or "cannot run PROGRAM: …". When
 * @cancellable is cancelled the process group is killed and the task
 * returns G_IO_ERROR_CANCELLED once the program has been reaped. */
void     gcert_deploy_command_run_async  (const char * const   *argv,
                                          const char * const   *env,
                                          gint64                timeout_seconds,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean gcert_deploy_command_run_finish (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
