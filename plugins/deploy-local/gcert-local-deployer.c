/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "gcert-deployer.h"
#include "gcert-error.h"
#include "gcert-settings.h"
#include "gcert-subprocess.h"

/* Copies the files into a directory of this machine and optionally runs a
 * reload command. Each file is written under a temporary name in the
 * target directory and renamed over the old one; the old one is kept as a
 * hard link (or a copy) until the reload succeeded, so that a failed
 * reload can put it back. */

#define TEMP_ATTEMPTS  16
/* for the reload */
#define DEFAULT_TIMEOUT_SECONDS  60
#define MAX_TIMEOUT_SECONDS      3600

#define GCERT_TYPE_LOCAL_DEPLOYER (gcert_local_deployer_get_type ())
G_DECLARE_FINAL_TYPE (GCertLocalDeployer, gcert_local_deployer, GCERT, LOCAL_DEPLOYER, GObject)

struct _GCertLocalDeployer {
  GObject              parent_instance;
  char                *path;
  GCertDeployFileSpec *spec;
  uid_t                uid;     /* (uid_t) -1: unchanged */
  gid_t                gid;     /* (gid_t) -1: unchanged */
  char                *owner;   /* as configured, for messages */
  char                *group;
  GStrv                reload;  /* nullable */
  gint64               timeout_seconds;
};

static void gcert_local_deployer_iface_init (GCertDeployerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertLocalDeployer, gcert_local_deployer, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DEPLOYER,
                                                               gcert_local_deployer_iface_init))

/* --- setup --------------------------------------------------------------- */

static gboolean
parse_id (const char *text,
          guint32    *out_id)
{
  guint64 value;
  char *end = NULL;

  if (!g_ascii_isdigit (*text))
    return FALSE;
  value = g_ascii_strtoull (text, &end, 10);
  if (end == NULL || *end != '\0' || value >= G_MAXUINT32)
    return FALSE;
  *out_id = (guint32) value;
  return TRUE;
}

static gsize
passwd_buffer_size (int name)
{
  long size = sysconf (name);

  return size > 0 ? (gsize) size : 16384;
}

/* A user name or number: the uid. */
static gboolean
resolve_owner (GCertSettings  *settings,
               const char     *owner,
               uid_t          *out_uid,
               GError        **error)
{
  g_autofree char *buffer = NULL;
  gsize size = passwd_buffer_size (_SC_GETPW_R_SIZE_MAX);
  struct passwd entry, *found = NULL;
  guint32 id;
  int r;

  if (parse_id (owner, &id))
    {
      *out_uid = (uid_t) id;
      return TRUE;
    }
  for (;;)
    {
      g_free (buffer);
      buffer = g_malloc (size);
      r = getpwnam_r (owner, &entry, buffer, size, &found);
      if (r != ERANGE || size > 1024 * 1024)
        break;
      size *= 2;
    }
  if (found == NULL)
    {
      if (r != 0)
        gcert_settings_set_error (settings, error, "owner",
                                  _("cannot look up the user “%s”: %s"), owner,
                                  g_strerror (r));
      else
        gcert_settings_set_error (settings, error, "owner", _("unknown user “%s”"), owner);
      return FALSE;
    }
  *out_uid = found->pw_uid;
  return TRUE;
}

static gboolean
resolve_group (GCertSettings  *settings,
               const char     *group,
               gid_t          *out_gid,
               GError        **error)
{
  g_autofree char *buffer = NULL;
  gsize size = passwd_buffer_size (_SC_GETGR_R_SIZE_MAX);
  struct group entry, *found = NULL;
  guint32 id;
  int r;

  if (parse_id (group, &id))
    {
      *out_gid = (gid_t) id;
      return TRUE;
    }
  for (;;)
    {
      g_free (buffer);
      buffer = g_malloc (size);
      r = getgrnam_r (group, &entry, buffer, size, &found);
      if (r != ERANGE || size > 1024 * 1024)
        break;
      size *= 2;
    }
  if (found == NULL)
    {
      if (r != 0)
        gcert_settings_set_error (settings, error, "group",
                                  _("cannot look up the group “%s”: %s"), group,
                                  g_strerror (r));
      else
        gcert_settings_set_error (settings, error, "group", _("unknown group “%s”"), group);
      return FALSE;
    }
  *out_gid = found->gr_gid;
  return TRUE;
}

static gboolean
gcert_local_deployer_setup (GCertDeployer  *deployer,
                            GCertSettings  *settings,
                            GError        **error)
{
  GCertLocalDeployer *self = GCERT_LOCAL_DEPLOYER (deployer);
  static const char * const allowed[] = {
    "path", "reload", "timeout", GCERT_DEPLOY_FILE_KEYS, NULL
  };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GCertDeployFileSpec) spec = NULL;
  g_autofree char *path = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *group = NULL;
  g_auto(GStrv) reload = NULL;
  uid_t uid = (uid_t) -1;
  gid_t gid = (gid_t) -1;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  path = gcert_settings_get_string (settings, "path", TRUE, error);
  if (path == NULL)
    return FALSE;
  if (!g_path_is_absolute (path))
    {
      gcert_settings_set_error (settings, error, "path",
                                _("“%s” is not an absolute path"), path);
      return FALSE;
    }
  for (const char *p = path; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          gcert_settings_set_error (settings, error, "path",
                                    _("the path contains a control character"));
          return FALSE;
        }
    }
  {
    /* "/etc/nginx/tls/" and "/etc/nginx/tls" name the same directory */
    gsize length = strlen (path);

    while (length > 1 && path[length - 1] == '/')
      path[--length] = '\0';
  }

  spec = gcert_deploy_file_spec_new (settings, error);
  if (spec == NULL)
    return FALSE;

  /* the spec checked their form; resolve them now so that a typing mistake
   * is a config error, not a failed deployment */
  if (!gcert_settings_get_optional_string (settings, "owner", &owner, error) ||
      !gcert_settings_get_optional_string (settings, "group", &group, error))
    return FALSE;
  if (owner != NULL && !resolve_owner (settings, owner, &uid, error))
    return FALSE;
  if (group != NULL && !resolve_group (settings, group, &gid, error))
    return FALSE;

  reload = gcert_settings_get_command (settings, "reload", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout_seconds, error))
    return FALSE;

  g_free (self->path);
  self->path = g_steal_pointer (&path);
  g_clear_pointer (&self->spec, gcert_deploy_file_spec_free);
  self->spec = g_steal_pointer (&spec);
  self->uid = uid;
  self->gid = gid;
  g_free (self->owner);
  self->owner = g_steal_pointer (&owner);
  g_free (self->group);
  self->group = g_steal_pointer (&group);
  g_strfreev (self->reload);
  self->reload = g_steal_pointer (&reload);
  self->timeout_seconds = timeout_seconds;
  return TRUE;
}

/* --- one deployment ------------------------------------------------------ */

typedef struct {
  char     *name;      /* at the target */
  char     *source;
  guint     mode;
  char     *temp;      /* the new file under its temporary name, until renamed */
  char     *backup;    /* the previous file, kept under this name; NULL: none */
  gboolean  in_place;  /* the new file carries @name */
} LocalFile;

typedef struct {
  char              *path;
  int                dirfd;
  uid_t              uid;
  gid_t              gid;
  char              *owner;
  char              *group;
  GPtrArray         *files;      /* LocalFile* */
  char              *target;
  GStrv              reload;     /* nullable */
  char              *reload_text;
  gint64             timeout_seconds;
  GCertProgressFunc  progress;
  gpointer           progress_data;
  GError            *reload_error;   /* why the first reload failed */
  gboolean           had_previous;   /* some file existed before */
} LocalDeploy;

static void
local_file_free (LocalFile *file)
{
  g_free (file->name);
  g_free (file->source);
  g_free (file->temp);
  g_free (file->backup);
  g_free (file);
}

static void
local_deploy_free (LocalDeploy *deploy)
{
  if (deploy->dirfd >= 0)
    close (deploy->dirfd);
  g_free (deploy->path);
  g_free (deploy->owner);
  g_free (deploy->group);
  g_ptr_array_unref (deploy->files);
  g_free (deploy->target);
  g_strfreev (deploy->reload);
  g_free (deploy->reload_text);
  g_clear_error (&deploy->reload_error);
  g_free (deploy);
}

static void
local_deploy_progress (LocalDeploy *deploy,
                       const char  *format,
                       ...) G_GNUC_PRINTF (2, 3);

static void
local_deploy_progress (LocalDeploy *deploy,
                       const char  *format,
                       ...)
{
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  if (deploy->progress == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("%s: %s", deploy->target, message);
  deploy->progress (line, deploy->progress_data);
}

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *format,
                 ...) G_GNUC_PRINTF (3, 4);

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;
  int code = GCERT_ERROR_FAILED;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (saved_errno == EACCES || saved_errno == EPERM)
    code = GCERT_ERROR_PERMISSION_DENIED;
  g_set_error (error, GCERT_ERROR, code, "%s: %s", message, g_strerror (saved_errno));
}

static char *
random_name (const char *kind)
{
  return g_strdup_printf (".gcert-%s-%08" G_GINT32_MODIFIER "x", kind, g_random_int ());
}

static gboolean
write_all (int           fd,
           const char   *data,
           gsize         length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* Creates a file under a fresh hidden name in the directory: @mode and the
 * owner are set before the data is written (a key is never readable by
 * anyone else, not even briefly), then the data is synced. */
static char *
create_file (LocalDeploy  *deploy,
             const char   *kind,
             const char   *for_name,
             const char   *data,
             gsize         length,
             guint         mode,
             uid_t         uid,
             gid_t         gid,
             gboolean      ignore_chown_errors,
             GError      **error)
{
  g_autofree char *temp = NULL;
  int fd = -1;
  int saved_errno;

  for (guint attempt = 0; attempt < TEMP_ATTEMPTS && fd < 0; attempt++)
    {
      g_free (temp);
      temp = random_name (kind);
      fd = openat (deploy->dirfd, temp,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST)
        break;
    }
  if (fd < 0)
    {
      set_errno_error (error, errno, _("cannot create a file in %s"), deploy->path);
      return NULL;
    }

  if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown (fd, uid, gid) != 0 &&
      !ignore_chown_errors)
    {
      saved_errno = errno;
      if (uid != (uid_t) -1 && gid != (gid_t) -1)
        set_errno_error (error, saved_errno, _("cannot give %s/%s to %s:%s"), deploy->path,
                         for_name, deploy->owner, deploy->group);
      else if (uid != (uid_t) -1)
        set_errno_error (error, saved_errno, _("cannot give %s/%s to the user %s"),
                         deploy->path, for_name, deploy->owner);
      else
        set_errno_error (error, saved_errno, _("cannot give %s/%s to the group %s"),
                         deploy->path, for_name, deploy->group);
      close (fd);
      unlinkat (deploy->dirfd, temp, 0);
      return NULL;
    }
  if (fchmod (fd, mode) != 0 || !write_all (fd, data, length) || fsync (fd) != 0)
    {
      saved_errno = errno;
      set_errno_error (error, saved_errno, _("cannot write %s/%s"), deploy->path, for_name);
      close (fd);
      unlinkat (deploy->dirfd, temp, 0);
      return NULL;
    }
  if (close (fd) != 0)
    {
      saved_errno = errno;
      set_errno_error (error, saved_errno, _("cannot write %s/%s"), deploy->path, for_name);
      unlinkat (deploy->dirfd, temp, 0);
      return NULL;
    }
  return g_steal_pointer (&temp);
}

/* Reads all of @fd into @data and closes it; 0 or an errno value. */
static int
read_and_close (int         fd,
                GByteArray *data)
{
  guint8 buffer[8192];
  int saved_errno = 0;

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          break;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, buffer, (guint) n);
    }
  close (fd);
  return saved_errno;
}

/* Keeps the current @file->name (which exists, see @st) under a backup
 * name: a hard link (of a symlink, the link itself), else a copy. */
static gboolean
keep_previous (LocalDeploy  *deploy,
               LocalFile    *file,
               struct stat  *st,
               GError      **error)
{
  g_autofree char *backup = NULL;
  int saved_errno = 0;

  for (guint attempt = 0; attempt < TEMP_ATTEMPTS; attempt++)
    {
      g_free (backup);
      backup = random_name ("old");
      if (linkat (deploy->dirfd, file->name, deploy->dirfd, backup, 0) == 0)
        {
          file->backup = g_steal_pointer (&backup);
          return TRUE;
        }
      saved_errno = errno;
      if (saved_errno != EEXIST)
        break;
    }
  g_debug ("cannot link %s/%s (%s), copying it instead", deploy->path, file->name,
           g_strerror (saved_errno));

  if (S_ISLNK (st->st_mode))
    {
      g_autofree char *target = g_malloc ((gsize) PATH_MAX + 1);
      ssize_t n = readlinkat (deploy->dirfd, file->name, target, PATH_MAX);

      if (n < 0)
        {
          set_errno_error (error, errno, _("cannot read the link %s/%s"), deploy->path,
                           file->name);
          return FALSE;
        }
      target[n] = '\0';
      for (guint attempt = 0; attempt < TEMP_ATTEMPTS; attempt++)
        {
          g_free (backup);
          backup = random_name ("old");
          if (symlinkat (target, deploy->dirfd, backup) == 0)
            {
              file->backup = g_steal_pointer (&backup);
              return TRUE;
            }
          if (errno != EEXIST)
            break;
        }
      set_errno_error (error, errno, _("cannot keep a copy of %s/%s"), deploy->path,
                       file->name);
      return FALSE;
    }
  else
    {
      g_autoptr(GByteArray) data = g_byte_array_new ();
      int fd;

      fd = openat (deploy->dirfd, file->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || (saved_errno = read_and_close (fd, data)) != 0)
        {
          set_errno_error (error, fd < 0 ? errno : saved_errno, _("cannot read %s/%s"),
                           deploy->path, file->name);
          return FALSE;
        }
      file->backup = create_file (deploy, "old", file->name, (const char *) data->data,
                                  data->len, st->st_mode & 07777, st->st_uid, st->st_gid,
                                  TRUE, error);
      if (file->backup == NULL)
        {
          g_prefix_error (error, _("keeping a copy of the previous file: "));
          return FALSE;
        }
      return TRUE;
    }
}

static void
sync_directory (LocalDeploy *deploy)
{
  if (fsync (deploy->dirfd) != 0)
    g_debug ("fsync of %s: %s", deploy->path, g_strerror (errno));
}

/* Removes what staging left behind: temporary files and the backups of
 * files that were not replaced. */
static void
discard_staged (LocalDeploy *deploy)
{
  for (guint i = 0; i < deploy->files->len; i++)
    {
      LocalFile *file = g_ptr_array_index (deploy->files, i);

      if (file->temp != NULL)
        {
          unlinkat (deploy->dirfd, file->temp, 0);
          g_clear_pointer (&file->temp, g_free);
        }
      if (file->backup != NULL && !file->in_place)
        {
          unlinkat (deploy->dirfd, file->backup, 0);
          g_clear_pointer (&file->backup, g_free);
        }
    }
}

/* Puts the previous files back (or removes the new ones where there was
 * none). Goes on after an error so that as much as possible is restored. */
static gboolean
restore_previous (LocalDeploy  *deploy,
                  GError      **error)
{
  g_autoptr(GString) failures = g_string_new (NULL);

  for (guint i = deploy->files->len; i > 0; i--)
    {
      LocalFile *file = g_ptr_array_index (deploy->files, i - 1);
      int r;

      if (!file->in_place)
        continue;
      if (file->backup != NULL)
        r = renameat (deploy->dirfd, file->backup, deploy->dirfd, file->name);
      else
        r = unlinkat (deploy->dirfd, file->name, 0);
      if (r != 0)
        {
          if (failures->len > 0)
            g_string_append (failures, "; ");
          g_string_append_printf (failures, "%s: %s", file->name, g_strerror (errno));
          continue;
        }
      g_clear_pointer (&file->backup, g_free);
      file->in_place = FALSE;
    }
  sync_directory (deploy);
  if (failures->len > 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "%s", failures->str);
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_directory (LocalDeploy  *deploy,
                GError      **error)
{
  gboolean created = FALSE;

  /* a symlinked directory is the administrator's choice: follow it */
  deploy->dirfd = open (deploy->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (deploy->dirfd < 0 && errno == ENOENT)
    {
      if (mkdir (deploy->path, 0755) == 0)
        created = TRUE;
      else if (errno == ENOENT)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                       _("cannot create the directory %s: its parent does not exist"),
                       deploy->path);
          return FALSE;
        }
      else if (errno != EEXIST)
        {
          set_errno_error (error, errno, _("cannot create the directory %s"), deploy->path);
          return FALSE;
        }
      deploy->dirfd = open (deploy->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (deploy->dirfd < 0)
    {
      set_errno_error (error, errno, _("cannot open the directory %s"), deploy->path);
      return FALSE;
    }
  /* whatever the umask: the files' own modes decide who reads them */
  if (created && fchmod (deploy->dirfd, 0755) != 0)
    g_debug ("chmod of %s: %s", deploy->path, g_strerror (errno));
  return TRUE;
}

/* Writes every new file under a temporary name and keeps the previous
 * ones; nothing visible has changed yet. */
static gboolean
stage_files (LocalDeploy   *deploy,
             GCancellable  *cancellable,
             GError       **error)
{
  for (guint i = 0; i < deploy->files->len; i++)
    {
      LocalFile *file = g_ptr_array_index (deploy->files, i);
      g_autoptr(GByteArray) data = g_byte_array_new ();
      int saved_errno = 0;
      struct stat st;
      int fd;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      fd = open (file->source, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || (saved_errno = read_and_close (fd, data)) != 0)
        {
          if (fd < 0)
            saved_errno = errno;
          g_set_error (error, GCERT_ERROR,
                       saved_errno == ENOENT ? GCERT_ERROR_NOT_FOUND : GCERT_ERROR_FAILED,
                       _("cannot read %s: %s"), file->source, g_strerror (saved_errno));
          return FALSE;
        }

      if (fstatat (deploy->dirfd, file->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (S_ISDIR (st.st_mode))
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                           _("%s/%s is a directory"), deploy->path, file->name);
              return FALSE;
            }
          /* a symlink is replaced by a file, never written through */
          if (!keep_previous (deploy, file, &st, error))
            return FALSE;
          deploy->had_previous = TRUE;
        }
      else if (errno != ENOENT)
        {
          set_errno_error (error, errno, _("cannot look at %s/%s"), deploy->path,
                           file->name);
          return FALSE;
        }

      file->temp = create_file (deploy, "new", file->name, (const char *) data->data,
                                data->len, file->mode, deploy->uid, deploy->gid, FALSE,
                                error);
      if (file->temp == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Renames the new files into place; on a failure puts back those already
 * renamed. */
static gboolean
swap_files (LocalDeploy  *deploy,
            GError      **error)
{
  for (guint i = 0; i < deploy->files->len; i++)
    {
      LocalFile *file = g_ptr_array_index (deploy->files, i);

      if (renameat (deploy->dirfd, file->temp, deploy->dirfd, file->name) != 0)
        {
          g_autoptr(GError) restore_error = NULL;

          set_errno_error (error, errno, _("cannot rename a new file to %s/%s"),
                           deploy->path, file->name);
          if (!restore_previous (deploy, &restore_error))
            g_prefix_error (error, _("putting the previous files back failed too (%s): "),
                            restore_error->message);
          return FALSE;
        }
      g_clear_pointer (&file->temp, g_free);
      file->in_place = TRUE;
    }
  sync_directory (deploy);
  return TRUE;
}

static void
install_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  LocalDeploy *deploy = task_data;
  g_autoptr(GError) error = NULL;

  if (!open_directory (deploy, &error) ||
      !stage_files (deploy, cancellable, &error) ||
      /* the last point where a cancellation leaves everything as it was */
      g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      !swap_files (deploy, &error))
    {
      if (deploy->dirfd >= 0)
        discard_staged (deploy);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  LocalDeploy *deploy = task_data;
  g_autoptr(GError) error = NULL;

  if (!restore_previous (deploy, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  LocalDeploy *deploy = task_data;

  for (guint i = 0; i < deploy->files->len; i++)
    {
      LocalFile *file = g_ptr_array_index (deploy->files, i);

      if (file->backup != NULL && unlinkat (deploy->dirfd, file->backup, 0) != 0)
        g_warning ("cannot remove %s/%s: %s", deploy->path, file->backup,
                   g_strerror (errno));
      g_clear_pointer (&file->backup, g_free);
    }
  sync_directory (deploy);
  g_task_return_boolean (task, TRUE);
}

/* Runs @func on @deploy in a worker thread; @callback gets @task back as
 * its user data. */
static void
run_in_thread (GTask              *task,
               GTaskThreadFunc     func,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback)
{
  g_autoptr(GTask) step = g_task_new (g_task_get_source_object (task), cancellable,
                                      callback, g_object_ref (task));

  g_task_set_source_tag (step, run_in_thread);
  /* what the thread returns is what happened, cancelled or not */
  g_task_set_check_cancellable (step, FALSE);
  g_task_set_task_data (step, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (step, func);
}

static void
finish_rollback (GTask       *task,
                 const char  *outcome)
{
  LocalDeploy *deploy = g_task_get_task_data (task);
  GError *first = deploy->reload_error;

  if (g_error_matches (first, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("the deployment to %s was cancelled during its reload; %s"),
                             deploy->path, outcome);
  else
    /* TRANSLATORS: "reload `systemctl reload nginx` failed (exit 1: …); the
     * previous files were put back and the reload succeeded" */
    g_task_return_new_error (task, GCERT_ERROR, first->domain == GCERT_ERROR ?
                                                first->code : GCERT_ERROR_FAILED,
                             _("reload `%s` failed (%s); %s"), deploy->reload_text,
                             first->message, outcome);
}

static void
reload_again_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalDeploy *deploy = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *outcome = NULL;

  if (gcert_subprocess_run_finish (result, NULL, NULL, &error))
    outcome = g_strdup (deploy->had_previous ?
                        _("the previous files were put back and the reload succeeded") :
                        _("the new files were removed and the reload succeeded"));
  else
    outcome = g_strdup_printf (deploy->had_previous ?
                               _("the previous files were put back but the reload failed "
                                 "again (%s)") :
                               _("the new files were removed but the reload failed again "
                                 "(%s)"),
                               error->message);
  finish_rollback (task, outcome);
}

static void
restore_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalDeploy *deploy = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *outcome = g_strdup_printf (_("putting the previous files back "
                                                    "failed (%s)"), error->message);

      finish_rollback (task, outcome);
      return;
    }

  local_deploy_progress (deploy, _("running %s again"), deploy->reload_text);
  /* not cancellable: the service must be brought back to the files it has */
  gcert_subprocess_run_async ((const char * const *) deploy->reload, NULL, NULL,
                              deploy->timeout_seconds, GCERT_SUBPROCESS_FLAGS_NONE, NULL,
                              reload_again_cb, g_steal_pointer (&task));
}

static void
commit_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_propagate_boolean (G_TASK (result), NULL);
  g_task_return_boolean (task, TRUE);
}

static void
reload_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalDeploy *deploy = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!gcert_subprocess_run_finish (result, NULL, NULL, &error))
    {
      deploy->reload_error = g_steal_pointer (&error);
      local_deploy_progress (deploy, deploy->had_previous ?
                             _("the reload failed, putting the previous files back") :
                             _("the reload failed, removing the new files"));
      run_in_thread (task, restore_thread, NULL, restore_cb);
      return;
    }
  run_in_thread (task, commit_thread, NULL, commit_cb);
}

static void
install_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalDeploy *deploy = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (deploy->reload == NULL)
    {
      run_in_thread (task, commit_thread, NULL, commit_cb);
      return;
    }
  local_deploy_progress (deploy, _("running %s"), deploy->reload_text);
  cancellable = g_task_get_cancellable (task);
  gcert_subprocess_run_async ((const char * const *) deploy->reload, NULL, NULL,
                              deploy->timeout_seconds, GCERT_SUBPROCESS_FLAGS_NONE, cancellable,
                              reload_cb, g_steal_pointer (&task));
}

static void
gcert_local_deployer_deploy_async (GCertDeployer          *deployer,
                                   const GCertDeployment  *deployment,
                                   GCertProgressFunc       progress,
                                   gpointer                progress_data,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  GCertLocalDeployer *self = GCERT_LOCAL_DEPLOYER (deployer);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GCertDeployFiles) files = NULL;
  LocalDeploy *deploy;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_local_deployer_deploy_async);
  /* a cancellation after the files were swapped and reloaded does not undo
   * them: report what happened */
  g_task_set_check_cancellable (task, FALSE);

  if (self->path == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the local deployer is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  files = gcert_deploy_file_spec_apply (self->spec, deployment);

  deploy = g_new0 (LocalDeploy, 1);
  deploy->path = g_strdup (self->path);
  deploy->dirfd = -1;
  deploy->uid = self->uid;
  deploy->gid = self->gid;
  deploy->owner = g_strdup (self->owner);
  deploy->group = g_strdup (self->group);
  deploy->files = g_ptr_array_new_with_free_func ((GDestroyNotify) local_file_free);
  deploy->target = g_strdup (deployment->target != NULL ? deployment->target : "local");
  deploy->reload = g_strdupv (self->reload);
  if (self->reload != NULL)
    deploy->reload_text = gcert_subprocess_describe_argv ((const char * const *) self->reload);
  deploy->timeout_seconds = self->timeout_seconds;
  deploy->progress = progress;
  deploy->progress_data = progress_data;
  for (guint i = 0; i < files->files->len; i++)
    {
      GCertDeployFile *spec_file = g_ptr_array_index (files->files, i);
      LocalFile *file = g_new0 (LocalFile, 1);

      file->name = g_strdup (spec_file->name);
      file->source = g_strdup (spec_file->source);
      file->mode = spec_file->mode;
      g_ptr_array_add (deploy->files, file);
    }
  g_task_set_task_data (task, deploy, (GDestroyNotify) local_deploy_free);

  local_deploy_progress (deploy,
                         g_dngettext (GETTEXT_PACKAGE, "copying %u file to %s",
                                      "copying %u files to %s", deploy->files->len),
                         deploy->files->len, deploy->path);
  run_in_thread (task, install_thread, cancellable, install_cb);
}

static gboolean
gcert_local_deployer_deploy_finish (GCertDeployer  *deployer,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, deployer), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- type ---------------------------------------------------------------- */

static void
gcert_local_deployer_finalize (GObject *object)
{
  GCertLocalDeployer *self = GCERT_LOCAL_DEPLOYER (object);

  g_free (self->path);
  g_clear_pointer (&self->spec, gcert_deploy_file_spec_free);
  g_free (self->owner);
  g_free (self->group);
  g_strfreev (self->reload);

  G_OBJECT_CLASS (gcert_local_deployer_parent_class)->finalize (object);
}

static void
gcert_local_deployer_iface_init (GCertDeployerInterface *iface)
{
  iface->setup = gcert_local_deployer_setup;
  iface->deploy_async = gcert_local_deployer_deploy_async;
  iface->deploy_finish = gcert_local_deployer_deploy_finish;
}

static void
gcert_local_deployer_class_init (GCertLocalDeployerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_local_deployer_finalize;
}

static void
gcert_local_deployer_class_finalize (GCertLocalDeployerClass *klass)
{
}

static void
gcert_local_deployer_init (GCertLocalDeployer *self)
{
  self->uid = (uid_t) -1;
  self->gid = (gid_t) -1;
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished deployment may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_local_deployer_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DEPLOYER_EXTENSION_POINT,
                                  GCERT_TYPE_LOCAL_DEPLOYER, "local", 0);
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
