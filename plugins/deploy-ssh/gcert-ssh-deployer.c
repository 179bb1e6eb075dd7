/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "gcert-deployer.h"
#include "gcert-error.h"
#include "gcert-settings.h"
#include "gcert-ssh-resources.h"
#include "gcert-subprocess.h"

/* Deploys over one OpenSSH session: a small POSIX sh script on the server
 * reads the files from standard input into a private directory beside the
 * target, waits for our "commit", swaps them in by rename() keeping hard
 * links to the previous files, runs the reload, and on a failed reload puts
 * the previous files back and reloads again. The whole transaction runs on
 * the server, so a lost connection after the commit cannot leave it half
 * done; before the commit, nothing at the target has changed. */

#define SSH_PROGRAM              "/usr/bin/ssh"
#define DEFAULT_TIMEOUT_SECONDS  60
#define MAX_TIMEOUT_SECONDS      3600
/* our own limit on silence from the server: a step the server bounds by
 * the timeout (a reload: TERM at the timeout, KILL 5 s later) reports
 * before this runs out */
#define SILENCE_GRACE_SECONDS    10
#define EXIT_GRACE_MS            1000
#define MAX_FILE_SIZE            (1024 * 1024)
#define STDERR_KEEP_BYTES        8192

/* gcert-ssh-deploy.sh, the script the server runs (see its head) */
#define REMOTE_SCRIPT_RESOURCE   "/org/gcert/deploy-ssh/gcert-ssh-deploy.sh"

#define GCERT_TYPE_SSH_DEPLOYER (gcert_ssh_deployer_get_type ())
G_DECLARE_FINAL_TYPE (GCertSshDeployer, gcert_ssh_deployer, GCERT, SSH_DEPLOYER, GObject)

struct _GCertSshDeployer {
  GObject              parent_instance;
  char                *host;
  char                *user;             /* nullable */
  guint                port;             /* 0: ssh's default */
  char                *identity_file;    /* nullable */
  char                *known_hosts_file; /* nullable */
  char                *ssh_config;       /* nullable */
  char                *path;             /* absolute, no trailing slash */
  char                *reload;           /* nullable */
  gint64               timeout_seconds;
  GCertDeployFileSpec *spec;
};

static void gcert_ssh_deployer_iface_init (GCertDeployerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertSshDeployer, gcert_ssh_deployer, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DEPLOYER,
                                                               gcert_ssh_deployer_iface_init))

/* --- setup ---------------------------------------------------------------- */

static gboolean
has_control_char (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return TRUE;
    }
  return FALSE;
}

static gboolean
read_host (GCertSshDeployer  *self,
           GCertSettings     *settings,
           GError           **error)
{
  g_autofree char *host = gcert_settings_get_string (settings, "host", TRUE, error);

  if (host == NULL)
    return FALSE;
  /* a leading '-' would be an option of ssh's */
  if (*host == '-' || has_control_char (host) || strpbrk (host, " @/\\'\"`$;&|<>%") != NULL)
    {
      gcert_settings_set_error (settings, error, "host",
                                _("“%s” is not a host name, address or ssh Host alias "
                                  "(give the user in the user key)"), host);
      return FALSE;
    }
  g_free (self->host);
  self->host = g_steal_pointer (&host);
  return TRUE;
}

static gboolean
read_user (GCertSshDeployer  *self,
           GCertSettings     *settings,
           GError           **error)
{
  g_autofree char *user = NULL;

  if (!gcert_settings_get_optional_string (settings, "user", &user, error))
    return FALSE;
  if (user != NULL)
    {
      gboolean ok = *user != '\0' && *user != '-';

      for (const char *p = user; ok && *p != '\0'; p++)
        ok = g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '.' || *p == '$';
      if (!ok)
        {
          gcert_settings_set_error (settings, error, "user", _("“%s” is not a user name"),
                                    user);
          return FALSE;
        }
    }
  g_free (self->user);
  self->user = g_steal_pointer (&user);
  return TRUE;
}

static gboolean
read_port (GCertSshDeployer  *self,
           GCertSettings     *settings,
           GError           **error)
{
  g_autofree char *text = NULL;
  guint64 port = 0;

  if (!gcert_settings_get_optional_string (settings, "port", &text, error))
    return FALSE;
  if (text != NULL &&
      (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &port, NULL)))
    {
      gcert_settings_set_error (settings, error, "port",
                                _("“%s” is not a port number (1 to 65535)"), text);
      return FALSE;
    }
  self->port = (guint) port;
  return TRUE;
}

/* A local file ssh reads; ssh expands "%" and "${" in the names of key and
 * known_hosts files, so a literal "${" cannot be given. */
static gboolean
read_local_file (GCertSettings  *settings,
                 const char     *key,
                 char          **out_path,
                 GError        **error)
{
  g_autofree char *path = NULL;

  if (!gcert_settings_get_optional_path (settings, key, &path, error))
    return FALSE;
  if (path != NULL)
    {
      if (has_control_char (path) || strstr (path, "${") != NULL)
        {
          gcert_settings_set_error (settings, error, key,
                                    _("the path must not contain control characters or “${”"));
          return FALSE;
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          gcert_settings_set_error (settings, error, key,
                                    _("%s does not exist or is not a regular file"), path);
          return FALSE;
        }
    }
  g_free (*out_path);
  *out_path = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
read_remote_path (GCertSshDeployer  *self,
                  GCertSettings     *settings,
                  GError           **error)
{
  /* a path on the server: never resolved against a local directory */
  g_autofree char *path = gcert_settings_get_string (settings, "path", TRUE, error);
  gsize length;

  if (path == NULL)
    return FALSE;
  if (*path != '/')
    {
      gcert_settings_set_error (settings, error, "path",
                                _("“%s” is not an absolute path on the server"), path);
      return FALSE;
    }
  if (has_control_char (path))
    {
      gcert_settings_set_error (settings, error, "path",
                                _("the path contains a control character"));
      return FALSE;
    }
  length = strlen (path);
  while (length > 1 && path[length - 1] == '/')
    path[--length] = '\0';
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
read_reload (GCertSshDeployer  *self,
             GCertSettings     *settings,
             GError           **error)
{
  g_autofree char *reload = NULL;

  if (!gcert_settings_get_optional_string (settings, "reload", &reload, error))
    return FALSE;
  if (reload != NULL && has_control_char (reload))
    {
      gcert_settings_set_error (settings, error, "reload",
                                _("the command contains a control character"));
      return FALSE;
    }
  if (reload != NULL && *g_strstrip (reload) == '\0')
    g_clear_pointer (&reload, g_free);
  g_free (self->reload);
  self->reload = g_steal_pointer (&reload);
  return TRUE;
}

static gboolean
gcert_ssh_deployer_setup (GCertDeployer  *deployer,
                          GCertSettings  *settings,
                          GError        **error)
{
  GCertSshDeployer *self = GCERT_SSH_DEPLOYER (deployer);
  static const char * const allowed[] = {
    "plugin", "host", "user", "port", "identity-file", "known-hosts-file", "ssh-config",
    "path", "reload", "timeout", GCERT_DEPLOY_FILE_KEYS, NULL
  };
  g_autoptr(GCertDeployFileSpec) spec = NULL;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error) ||
      !read_host (self, settings, error) ||
      !read_user (self, settings, error) ||
      !read_port (self, settings, error) ||
      !read_local_file (settings, "identity-file", &self->identity_file, error) ||
      !read_local_file (settings, "known-hosts-file", &self->known_hosts_file, error) ||
      !read_local_file (settings, "ssh-config", &self->ssh_config, error) ||
      !read_remote_path (self, settings, error) ||
      !read_reload (self, settings, error))
    return FALSE;

  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout_seconds, error))
    return FALSE;

  spec = gcert_deploy_file_spec_new (settings, error);
  if (spec == NULL)
    return FALSE;

  self->timeout_seconds = timeout_seconds;
  g_clear_pointer (&self->spec, gcert_deploy_file_spec_free);
  self->spec = g_steal_pointer (&spec);
  return TRUE;
}

static char *
gcert_ssh_deployer_get_host_name (GCertDeployer *deployer)
{
  GCertSshDeployer *self = GCERT_SSH_DEPLOYER (deployer);
  g_autofree char *name = NULL;
  gsize length;
  gboolean ok;

  if (self->host == NULL || g_hostname_is_ip_address (self->host))
    return NULL;
  name = g_ascii_strdown (self->host, -1);
  length = strlen (name);
  if (length > 1 && name[length - 1] == '.')
    name[length - 1] = '\0';
  ok = *name != '\0' && *name != '.' && *name != '-';
  for (const char *p = name; ok && *p != '\0'; p++)
    ok = g_ascii_isalnum (*p) || *p == '-' || (*p == '.' && p[1] != '.' && p[1] != '\0');
  return ok ? g_steal_pointer (&name) : NULL;
}

/* --- one deployment ------------------------------------------------------- */

typedef enum {
  STEP_CONNECTING,
  STEP_SENDING,
  STEP_SWAPPING,
  STEP_RELOADING,
  STEP_PUTTING_BACK,
  STEP_RELOADING_AGAIN,
  STEP_FINISHED,
} Step;

/* One run of the reload on the server, as reported by the script. */
typedef struct {
  gboolean  ran;
  int       status;
  gboolean  timed_out;
  char     *tail;
} ReloadOutcome;

typedef struct {
  GCertDeployFiles  *files;
  GArray            *sizes;           /* gsize per file */
  GByteArray        *payload;         /* the files, one after the other */
  guint              next_file;
  GCertProgressFunc  progress;
  gpointer           progress_data;

  GSubprocess       *process;
  GSocketConnection *stdin_connection;
  GDataInputStream  *lines;
  GBytes            *stderr_tail;     /* once read to its end */
  GCancellable      *io_cancellable;
  GSource           *silence_source;
  GSource           *grace_source;
  GSource           *cancel_source;

  Step               step;
  gboolean           payload_written;
  gboolean           received;
  gboolean           commit_sent;
  gboolean           done;
  gboolean           aborted;
  gboolean           exited;
  gboolean           stdout_eof;
  gboolean           stderr_eof;
  gboolean           timed_out;
  gboolean           cancelled;
  gboolean           finished;
  char              *error_line;      /* the script's "error" */
  guint              had;             /* previous files that existed */
  ReloadOutcome      reload;
  gboolean           put_back;
  char              *put_back_failed;
  ReloadOutcome      again;
} DeployRun;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
deploy_run_free (DeployRun *run)
{
  destroy_source (&run->silence_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_clear_pointer (&run->files, gcert_deploy_files_free);
  g_clear_pointer (&run->sizes, g_array_unref);
  g_clear_pointer (&run->payload, g_byte_array_unref);
  g_clear_object (&run->process);
  g_clear_object (&run->stdin_connection);
  g_clear_object (&run->lines);
  g_clear_pointer (&run->stderr_tail, g_bytes_unref);
  g_clear_object (&run->io_cancellable);
  g_free (run->error_line);
  g_free (run->reload.tail);
  g_free (run->put_back_failed);
  g_free (run->again.tail);
  g_free (run);
}

static void
report (GTask      *task,
        const char *format,
        ...) G_GNUC_PRINTF (2, 3);

static void
report (GTask      *task,
        const char *format,
        ...)
{
  DeployRun *run = g_task_get_task_data (task);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("%s", message);
  if (run->progress != NULL)
    run->progress (message, run->progress_data);
}

static GSource *
add_source (GTask       *task,
            GSource     *source,
            GSourceFunc  func)
{
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

/* Printable, valid UTF-8, on one line. */
static char *
sanitize (const char *text,
          gssize      length)
{
  g_autofree char *valid = g_utf8_make_valid (text, length);

  for (char *p = valid; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        *p = ' ';
    }
  return g_strdup (g_strstrip (valid));
}

/* The last non-empty line ssh wrote to stderr, without a final full stop
 * or ssh's "ssh: " prefix. */
static char *
stderr_last_line (DeployRun *run)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize size = 0;
  const char *data;

  if (run->stderr_tail == NULL)
    return NULL;
  data = g_bytes_get_data (run->stderr_tail, &size);
  if (size == 0)
    return NULL;
  text = g_utf8_make_valid (data, (gssize) size);
  lines = g_strsplit_set (text, "\r\n", -1);
  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      g_autofree char *line = sanitize (lines[i - 1], -1);
      gsize length = strlen (line);

      if (length == 0)
        continue;
      if (line[length - 1] == '.')
        line[length - 1] = '\0';
      if (g_str_has_prefix (line, "ssh: "))
        return g_strdup (line + strlen ("ssh: "));
      return g_steal_pointer (&line);
    }
  return NULL;
}

static const char *
step_description (Step step)
{
  switch (step)
    {
    case STEP_CONNECTING:
      return _("connecting");
    case STEP_SENDING:
      return _("sending the files");
    case STEP_SWAPPING:
      return _("replacing the files");
    case STEP_RELOADING:
      return _("running the reload");
    case STEP_PUTTING_BACK:
      return _("putting the previous files back");
    case STEP_RELOADING_AGAIN:
      return _("running the reload again");
    case STEP_FINISHED:
    default:
      return _("finishing");
    }
}

/* "exit 1: TAIL", "killed after its timeout of 60 s: TAIL", "killed by
 * signal 9" */
static char *
describe_outcome (GCertSshDeployer    *self,
                  const ReloadOutcome *outcome)
{
  /* the script reports a signal as a shell does: 128 + its number */
  return gcert_subprocess_describe_end (outcome->timed_out ? self->timeout_seconds : 0,
                                        outcome->status > 128 ? outcome->status - 128 : 0,
                                        outcome->status, outcome->tail);
}

static GError *
reload_error (GCertSshDeployer *self,
              DeployRun        *run)
{
  g_autofree char *first = describe_outcome (self, &run->reload);
  g_autofree char *rollback = NULL;

  if (run->put_back_failed != NULL)
    {
      g_autofree char *again = NULL;

      if (run->again.ran && run->again.status == 0)
        again = g_strdup (_("the reload then succeeded"));
      else if (run->again.ran)
        {
          g_autofree char *outcome = describe_outcome (self, &run->again);

          again = g_strdup_printf (_("the reload failed again (%s)"), outcome);
        }
      else
        again = g_strdup (_("the outcome of the second reload is unknown"));
      rollback = g_strdup_printf ("%s; %s", run->put_back_failed, again);
    }
  else if (!run->put_back)
    rollback = g_strdup (_("the connection was lost while putting the previous files back; "
                           "the outcome is unknown"));
  else if (run->again.ran && run->again.status == 0)
    rollback = g_strdup (run->had > 0 ?
                         _("the previous files were put back and the reload succeeded") :
                         _("there were no previous files: the new ones were removed and the "
                           "reload succeeded"));
  else if (run->again.ran)
    {
      g_autofree char *outcome = describe_outcome (self, &run->again);

      rollback = g_strdup_printf (run->had > 0 ?
                                  _("the previous files were put back, but the reload failed "
                                    "again (%s)") :
                                  _("there were no previous files: the new ones were removed, "
                                    "but the reload failed again (%s)"),
                                  outcome);
    }
  else
    rollback = g_strdup (run->had > 0 ?
                         _("the previous files were put back; the outcome of the second "
                           "reload is unknown") :
                         _("the new files were removed; the outcome of the second reload is "
                           "unknown"));

  return g_error_new (GCERT_ERROR, run->reload.timed_out ? GCERT_ERROR_TIMED_OUT :
                      GCERT_ERROR_FAILED,
                      _("reload `%s` on %s failed (%s); %s"), self->reload, self->host, first,
                      rollback);
}

static GError *
connect_error (GCertSshDeployer *self,
               DeployRun        *run)
{
  g_autofree char *detail = stderr_last_line (run);
  int code = GCERT_ERROR_NETWORK;

  if (detail == NULL)
    detail = g_strdup (_("ssh failed without a message"));
  if (strstr (detail, "Host key verification failed") != NULL ||
      strstr (detail, "Permission denied") != NULL)
    code = GCERT_ERROR_PERMISSION_DENIED;
  else if (strstr (detail, "timed out") != NULL)
    code = GCERT_ERROR_TIMED_OUT;
  return g_error_new (GCERT_ERROR, code, _("ssh %s: connecting: %s"), self->host, detail);
}

static void
deploy_complete (GTask *task)
{
  GCertSshDeployer *self = g_task_get_source_object (task);
  DeployRun *run = g_task_get_task_data (task);
  g_autofree char *detail = NULL;
  int status;

  if (run->finished || !run->exited || !run->stdout_eof || !run->stderr_eof)
    return;
  run->finished = TRUE;

  destroy_source (&run->silence_source);
  destroy_source (&run->grace_source);
  destroy_source (&run->cancel_source);
  g_cancellable_cancel (run->io_cancellable);

  status = g_subprocess_get_if_exited (run->process) ?
           g_subprocess_get_exit_status (run->process) : -1;

  if (run->cancelled)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("ssh %s: cancelled while %s; the previous files are in place"),
                               self->host, step_description (run->step));
      return;
    }
  if (run->timed_out)
    {
      const char *consequence = run->commit_sent ?
                                _("the outcome on the server is unknown") :
                                _("nothing was changed");

      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                               _("ssh %s: %s: no answer within %" G_GINT64_FORMAT " s; %s"),
                               self->host, step_description (run->step),
                               self->timeout_seconds + SILENCE_GRACE_SECONDS, consequence);
      return;
    }
  if (run->done && status == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (run->reload.ran && run->reload.status != 0)
    {
      g_task_return_error (task, reload_error (self, run));
      return;
    }
  if (run->error_line != NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED, "ssh %s: %s",
                               self->host, run->error_line);
      return;
    }
  if (run->step == STEP_CONNECTING && status == 255)
    {
      g_task_return_error (task, connect_error (self, run));
      return;
    }
  if (run->aborted)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NETWORK,
                               _("ssh %s: the server received the files but not the go-ahead; "
                                 "nothing was changed"), self->host);
      return;
    }

  detail = stderr_last_line (run);
  if (status == 255)
    g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NETWORK,
                             _("ssh %s: the connection was lost while %s%s%s; %s"),
                             self->host, step_description (run->step),
                             detail != NULL ? ": " : "", detail != NULL ? detail : "",
                             run->commit_sent ? _("the outcome on the server is unknown") :
                                                _("nothing was changed"));
  else if (run->step == STEP_CONNECTING)
    g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                             _("ssh %s: starting /bin/sh on the server failed (exit %d)%s%s"),
                             self->host, status, detail != NULL ? ": " : "",
                             detail != NULL ? detail : "");
  else
    g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                             _("ssh %s: the script on the server ended unexpectedly while %s "
                               "(exit %d)%s%s"),
                             self->host, step_description (run->step), status,
                             detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static gboolean
silence_cb (gpointer user_data)
{
  GTask *task = user_data;
  DeployRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->silence_source, g_source_unref);
  if (run->exited)
    {
      /* exited, but something it left holds the pipes open */
      g_cancellable_cancel (run->io_cancellable);
      return G_SOURCE_REMOVE;
    }
  run->timed_out = TRUE;
  gcert_subprocess_kill (run->process);
  return G_SOURCE_REMOVE;
}

static void
restart_silence_timer (GTask *task)
{
  GCertSshDeployer *self = g_task_get_source_object (task);
  DeployRun *run = g_task_get_task_data (task);
  guint seconds = (guint) (self->timeout_seconds + SILENCE_GRACE_SECONDS);

  destroy_source (&run->silence_source);
  run->silence_source = add_source (task, g_timeout_source_new_seconds (seconds), silence_cb);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  DeployRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->cancel_source, g_source_unref);
  /* once committed the server finishes the switch (and any rollback) on
   * its own: stopping now would only hide the outcome */
  if (run->commit_sent)
    return G_SOURCE_REMOVE;
  run->cancelled = TRUE;
  gcert_subprocess_kill (run->process);
  return G_SOURCE_REMOVE;
}

static void
commit_written_cb (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* a failure shows in the script's report and ssh's exit status */
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error))
    g_debug ("sending the commit: %s", error->message);
  g_socket_shutdown (g_socket_connection_get_socket (run->stdin_connection), FALSE, TRUE, NULL);
}

static void
maybe_commit (GTask *task)
{
  DeployRun *run = g_task_get_task_data (task);
  static const char commit[] = "commit\n";
  GOutputStream *output;

  if (!run->payload_written || !run->received || run->commit_sent || run->cancelled ||
      run->timed_out || run->finished)
    return;
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      run->cancelled = TRUE;
      gcert_subprocess_kill (run->process);
      return;
    }
  run->commit_sent = TRUE;
  run->step = STEP_SWAPPING;
  output = g_io_stream_get_output_stream (G_IO_STREAM (run->stdin_connection));
  g_output_stream_write_all_async (output, commit, strlen (commit), g_task_get_priority (task),
                                   run->io_cancellable, commit_written_cb, g_object_ref (task));
}

static void
payload_written_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error))
    {
      /* ssh is gone: its exit status and stderr say why */
      g_debug ("sending the files: %s", error->message);
      return;
    }
  run->payload_written = TRUE;
  maybe_commit (task);
}

/* "STATUS TIMED_OUT TAIL" after the word */
static void
parse_outcome (const char    *args,
               ReloadOutcome *outcome)
{
  g_auto(GStrv) fields = g_strsplit (args, " ", 3);

  outcome->ran = TRUE;
  outcome->status = fields[0] != NULL ? atoi (fields[0]) : -1;
  outcome->timed_out = fields[0] != NULL && fields[1] != NULL && g_strcmp0 (fields[1], "1") == 0;
  g_free (outcome->tail);
  outcome->tail = fields[0] != NULL && fields[1] != NULL && fields[2] != NULL ?
                  sanitize (fields[2], -1) : NULL;
}

static void
handle_line (GTask      *task,
             const char *line)
{
  GCertSshDeployer *self = g_task_get_source_object (task);
  DeployRun *run = g_task_get_task_data (task);
  g_autofree char *word = NULL;
  const char *args;
  const char *space;

  if (!g_str_has_prefix (line, "gcert "))
    {
      g_debug ("%s: %s", self->host, line);
      return;
    }
  line += strlen ("gcert ");
  space = strchr (line, ' ');
  word = space != NULL ? g_strndup (line, (gsize) (space - line)) : g_strdup (line);
  args = space != NULL ? space + 1 : "";
  restart_silence_timer (task);

  if (g_str_equal (word, "started"))
    {
      run->step = STEP_SENDING;
    }
  else if (g_str_equal (word, "received"))
    {
      run->received = TRUE;
      maybe_commit (task);
    }
  else if (g_str_equal (word, "aborted"))
    {
      run->aborted = TRUE;
    }
  else if (g_str_equal (word, "error"))
    {
      g_free (run->error_line);
      run->error_line = sanitize (args, -1);
    }
  else if (g_str_equal (word, "swapped"))
    {
      run->had = (guint) atoi (args);
    }
  else if (g_str_equal (word, "reloading"))
    {
      run->step = STEP_RELOADING;
      report (task, _("%s: running %s"), self->host, self->reload);
    }
  else if (g_str_equal (word, "reload-failed"))
    {
      parse_outcome (args, &run->reload);
      run->step = STEP_PUTTING_BACK;
      report (task, _("%s: the reload failed, putting the previous files back"), self->host);
    }
  else if (g_str_equal (word, "put-back"))
    {
      run->put_back = TRUE;
    }
  else if (g_str_equal (word, "put-back-failed"))
    {
      g_free (run->put_back_failed);
      run->put_back_failed = sanitize (args, -1);
    }
  else if (g_str_equal (word, "reloading-again"))
    {
      run->step = STEP_RELOADING_AGAIN;
      report (task, _("%s: running the reload again"), self->host);
    }
  else if (g_str_equal (word, "rollback-reloaded"))
    {
      run->again.ran = TRUE;
      run->again.status = 0;
      run->step = STEP_FINISHED;
    }
  else if (g_str_equal (word, "rollback-reload-failed"))
    {
      parse_outcome (args, &run->again);
      run->step = STEP_FINISHED;
    }
  else if (g_str_equal (word, "done"))
    {
      run->done = TRUE;
      run->step = STEP_FINISHED;
    }
}

static void read_next_line (GTask *task);

static void
line_read_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source_object), result,
                                               &length, &error);
  if (line == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("reading from ssh: %s", error->message);
      run->stdout_eof = TRUE;
      deploy_complete (task);
      return;
    }
  if (length > 0 && line[length - 1] == '\r')
    line[length - 1] = '\0';
  handle_line (task, line);
  read_next_line (task);
}

static void
read_next_line (GTask *task)
{
  DeployRun *run = g_task_get_task_data (task);

  g_data_input_stream_read_line_async (run->lines, g_task_get_priority (task),
                                       run->io_cancellable, line_read_cb, g_object_ref (task));
}

static void
stderr_read_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);

  run->stderr_tail = gcert_subprocess_read_tail_finish (result, NULL);
  run->stderr_eof = TRUE;
  deploy_complete (task);
}

static gboolean
grace_cb (gpointer user_data)
{
  GTask *task = user_data;
  DeployRun *run = g_task_get_task_data (task);

  g_clear_pointer (&run->grace_source, g_source_unref);
  g_cancellable_cancel (run->io_cancellable);
  return G_SOURCE_REMOVE;
}

static void
ssh_exited_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, &error))
    g_warning ("waiting for ssh: %s", error->message);
  run->exited = TRUE;
  if (!run->stdout_eof || !run->stderr_eof)
    run->grace_source = add_source (task, g_timeout_source_new (EXIT_GRACE_MS), grace_cb);
  deploy_complete (task);
}

/* "%" is expanded by ssh in these file names; the value is read like a
 * config line, so it is double-quoted */
static char *
ssh_option_path (const char *option,
                 const char *path)
{
  GString *value = g_string_new (option);

  g_string_append (value, "=\"");
  for (const char *p = path; *p != '\0'; p++)
    {
      if (*p == '%')
        g_string_append (value, "%%");
      else if (*p == '"' || *p == '\\')
        {
          g_string_append_c (value, '\\');
          g_string_append_c (value, *p);
        }
      else
        g_string_append_c (value, *p);
    }
  g_string_append_c (value, '"');
  return g_string_free (value, FALSE);
}

static char *
build_remote_command (GCertSshDeployer *self,
                      DeployRun        *run)
{
  GString *command = g_string_new ("exec /bin/sh -c ");
  g_autoptr(GBytes) text = NULL;
  g_autofree char *script = NULL;
  g_autofree char *limit = g_strdup_printf ("%" G_GINT64_FORMAT, self->timeout_seconds);
  const char *args[] = {
    self->path, self->reload != NULL ? self->reload : "", limit,
    run->files->owner != NULL ? run->files->owner : "",
    run->files->group != NULL ? run->files->group : "",
  };

  /* compiled in: it cannot be missing */
  text = g_resource_lookup_data (gcert_ssh_get_resource (), REMOTE_SCRIPT_RESOURCE,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (text != NULL);
  script = g_shell_quote (g_bytes_get_data (text, NULL));
  g_string_append (command, script);
  g_string_append (command, " gcert-deploy");
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    {
      g_autofree char *quoted = g_shell_quote (args[i]);

      g_string_append_c (command, ' ');
      g_string_append (command, quoted);
    }
  for (guint i = 0; i < run->files->files->len; i++)
    {
      GCertDeployFile *file = g_ptr_array_index (run->files->files, i);
      g_autofree char *name = g_shell_quote (file->name);

      g_string_append_printf (command, " %s '%o' '%" G_GSIZE_FORMAT "'", name, file->mode,
                              g_array_index (run->sizes, gsize, i));
    }
  return g_string_free (command, FALSE);
}

static void add_args (GPtrArray *argv,
                      ...) G_GNUC_NULL_TERMINATED;

static void
add_args (GPtrArray *argv,
          ...)
{
  va_list args;
  const char *arg;

  va_start (args, argv);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
}

static GStrv
build_argv (GCertSshDeployer *self,
            DeployRun        *run)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  char *program;

  if (g_file_test (SSH_PROGRAM, G_FILE_TEST_IS_EXECUTABLE))
    program = g_strdup (SSH_PROGRAM);
  else
    program = g_find_program_in_path ("ssh");
  if (program == NULL)
    return NULL;

  g_ptr_array_add (argv, program);
  /* ssh takes the first value it sees: these win over any config */
  add_args (argv, "-T", "-x", "-a",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "ClearAllForwardings=yes",
            "-o", NULL);
  g_ptr_array_add (argv, g_strdup_printf ("ConnectTimeout=%" G_GINT64_FORMAT,
                                          self->timeout_seconds));
  if (self->ssh_config != NULL)
    add_args (argv, "-F", self->ssh_config, NULL);
  if (self->identity_file != NULL)
    {
      add_args (argv, "-o", NULL);
      g_ptr_array_add (argv, ssh_option_path ("IdentityFile", self->identity_file));
      add_args (argv, "-o", "IdentitiesOnly=yes", NULL);
    }
  if (self->known_hosts_file != NULL)
    {
      add_args (argv, "-o", NULL);
      g_ptr_array_add (argv, ssh_option_path ("UserKnownHostsFile", self->known_hosts_file));
    }
  if (self->port != 0)
    {
      add_args (argv, "-p", NULL);
      g_ptr_array_add (argv, g_strdup_printf ("%u", self->port));
    }
  if (self->user != NULL)
    add_args (argv, "-l", self->user, NULL);
  add_args (argv, "--", self->host, NULL);
  g_ptr_array_add (argv, build_remote_command (self, run));
  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_steal (argv, NULL);
}

static void
spawn_ssh (GTask *task)
{
  GCertSshDeployer *self = g_task_get_source_object (task);
  DeployRun *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  GOutputStream *output;

  argv = build_argv (self, run);
  if (argv == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                               _("ssh %s: OpenSSH's ssh client is not installed (%s)"),
                               self->host, SSH_PROGRAM);
      return;
    }

  /* its own session: no terminal to prompt on, and a ProxyCommand it
   * starts is killed with it; its stdin a socket, so that writing after
   * ssh has gone is an error, not a SIGPIPE that ends this process */
  run->process = gcert_subprocess_spawn ((const char * const *) argv, NULL,
                                         GCERT_SUBPROCESS_FLAGS_NEW_SESSION |
                                         GCERT_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                         &run->stdin_connection, &error);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED, "ssh %s: %s", self->host,
                               error->message);
      return;
    }

  report (task, g_dngettext (GETTEXT_PACKAGE, "%s: copying %u file to %s",
                             "%s: copying %u files to %s", run->files->files->len),
          self->host, run->files->files->len, self->path);

  run->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (run->process));
  g_data_input_stream_set_newline_type (run->lines, G_DATA_STREAM_NEWLINE_TYPE_LF);
  restart_silence_timer (task);
  if (cancellable != NULL)
    run->cancel_source = add_source (task, g_cancellable_source_new (cancellable),
                                     G_SOURCE_FUNC (cancelled_cb));
  g_subprocess_wait_async (run->process, NULL, ssh_exited_cb, g_object_ref (task));
  read_next_line (task);
  gcert_subprocess_read_tail_async (g_subprocess_get_stderr_pipe (run->process),
                                    STDERR_KEEP_BYTES, g_task_get_priority (task),
                                    run->io_cancellable, stderr_read_cb, g_object_ref (task));
  output = g_io_stream_get_output_stream (G_IO_STREAM (run->stdin_connection));
  g_output_stream_write_all_async (output, run->payload->data, run->payload->len,
                                   g_task_get_priority (task), run->io_cancellable,
                                   payload_written_cb, g_object_ref (task));
}

static void load_next_file (GTask *task);

static void
file_loaded_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeployRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source_object), result, &contents, &length, NULL,
                                    &error))
    {
      g_autofree char *path = g_file_get_path (G_FILE (source_object));

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED, _("reading %s: %s"),
                                 path, error->message);
      return;
    }
  if (length > MAX_FILE_SIZE)
    {
      g_autofree char *path = g_file_get_path (G_FILE (source_object));

      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("%s is larger than %d bytes"), path, MAX_FILE_SIZE);
      return;
    }
  g_byte_array_append (run->payload, (const guint8 *) contents, (guint) length);
  g_array_append_val (run->sizes, length);
  run->next_file++;
  load_next_file (task);
}

static void
load_next_file (GTask *task)
{
  DeployRun *run = g_task_get_task_data (task);
  GCertDeployFile *file;
  g_autoptr(GFile) source = NULL;

  if (run->next_file == run->files->files->len)
    {
      spawn_ssh (task);
      return;
    }
  file = g_ptr_array_index (run->files->files, run->next_file);
  source = g_file_new_for_path (file->source);
  g_file_load_contents_async (source, g_task_get_cancellable (task), file_loaded_cb,
                              g_object_ref (task));
}

static void
gcert_ssh_deployer_deploy_async (GCertDeployer          *deployer,
                                 const GCertDeployment  *deployment,
                                 GCertProgressFunc       progress,
                                 gpointer                progress_data,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  GCertSshDeployer *self = GCERT_SSH_DEPLOYER (deployer);
  g_autoptr(GTask) task = NULL;
  DeployRun *run;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_ssh_deployer_deploy_async);
  /* a switch the server has committed to is reported as it ended */
  g_task_set_check_cancellable (task, FALSE);

  if (self->spec == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the ssh deployer is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  run = g_new0 (DeployRun, 1);
  run->files = gcert_deploy_file_spec_apply (self->spec, deployment);
  run->sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  run->payload = g_byte_array_new ();
  run->progress = progress;
  run->progress_data = progress_data;
  run->io_cancellable = g_cancellable_new ();
  run->step = STEP_CONNECTING;
  g_task_set_task_data (task, run, (GDestroyNotify) deploy_run_free);

  load_next_file (task);
}

static gboolean
gcert_ssh_deployer_deploy_finish (GCertDeployer  *deployer,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, deployer), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the type ------------------------------------------------------------- */

static void
gcert_ssh_deployer_finalize (GObject *object)
{
  GCertSshDeployer *self = GCERT_SSH_DEPLOYER (object);

  g_free (self->host);
  g_free (self->user);
  g_free (self->identity_file);
  g_free (self->known_hosts_file);
  g_free (self->ssh_config);
  g_free (self->path);
  g_free (self->reload);
  g_clear_pointer (&self->spec, gcert_deploy_file_spec_free);

  G_OBJECT_CLASS (gcert_ssh_deployer_parent_class)->finalize (object);
}

static void
gcert_ssh_deployer_iface_init (GCertDeployerInterface *iface)
{
  iface->setup = gcert_ssh_deployer_setup;
  iface->deploy_async = gcert_ssh_deployer_deploy_async;
  iface->deploy_finish = gcert_ssh_deployer_deploy_finish;
  iface->get_host_name = gcert_ssh_deployer_get_host_name;
}

static void
gcert_ssh_deployer_class_init (GCertSshDeployerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_ssh_deployer_finalize;
}

static void
gcert_ssh_deployer_class_finalize (GCertSshDeployerClass *klass)
{
}

static void
gcert_ssh_deployer_init (GCertSshDeployer *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished deployment may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_ssh_deployer_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DEPLOYER_EXTENSION_POINT,
                                  GCERT_TYPE_SSH_DEPLOYER, "ssh", 0);
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
