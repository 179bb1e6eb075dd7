/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcert-error.h"
#include "gcert-fileutil.h"

static GCertError
error_code_from_errno (int errsv)
{
  switch (errsv)
    {
    case EACCES:
    case EPERM:
    case EROFS:
      return GCERT_ERROR_PERMISSION_DENIED;
    case ENOENT:
    case ENOTDIR:
      return GCERT_ERROR_NOT_FOUND;
    default:
      return GCERT_ERROR_FAILED;
    }
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length,
           int          *out_errno)
{
  while (length > 0)
    {
      gssize n = write (fd, data, MIN (length, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

/* the temporary name starts with '.' so that directory listings of the
 * store skip it, and carries random letters so that O_EXCL rarely collides */
static char *
make_temp_name (const char *basename)
{
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char suffix[9];

  for (gsize i = 0; i < sizeof suffix - 1; i++)
    suffix[i] = letters[g_random_int_range (0, sizeof letters - 1)];
  suffix[sizeof suffix - 1] = '\0';
  return g_strdup_printf (".%s.tmp-%s", basename, suffix);
}

gboolean
gcert_file_write_atomic (const char  *path,
                         const void  *data,
                         gsize        length,
                         int          mode,
                         GError     **error)
{
  g_autofree char *dirname = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *tmpname = NULL;
  struct stat st;
  int dirfd = -1;
  int fd = -1;
  int errsv = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (lstat (path, &st) == 0)
    {
      if (S_ISLNK (st.st_mode))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                       _("refusing to write %s: it is a symbolic link"), path);
          return FALSE;
        }
      if (!S_ISREG (st.st_mode))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("refusing to write %s: it is not a regular file"), path);
          return FALSE;
        }
    }
  else if (errno != ENOENT)
    {
      errsv = errno;
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot access %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  dirname = g_path_get_dirname (path);
  basename = g_path_get_basename (path);
  dirfd = open (dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      errsv = errno;
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot open directory %s: %s"), dirname, g_strerror (errsv));
      return FALSE;
    }

  for (guint attempt = 0; attempt < 100 && fd < 0; attempt++)
    {
      g_free (tmpname);
      tmpname = make_temp_name (basename);
      fd = openat (dirfd, tmpname,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   mode);
      if (fd < 0 && errno != EEXIST)
        break;
    }
  if (fd < 0)
    {
      errsv = errno;
      close_fd (&dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot create a temporary file in %s: %s"),
                   dirname, g_strerror (errsv));
      return FALSE;
    }

  /* the umask must not widen or narrow the mode asked for, and the mode is
   * in place before any byte of a key reaches the disk */
  if (fchmod (fd, mode) < 0 ||
      !write_all (fd, data, length, &errsv) ||
      fsync (fd) < 0)
    {
      if (errsv == 0)
        errsv = errno;
      close_fd (&fd);
      unlinkat (dirfd, tmpname, 0);
      close_fd (&dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("writing %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  if (close (fd) < 0)
    {
      errsv = errno;
      fd = -1;
      unlinkat (dirfd, tmpname, 0);
      close_fd (&dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("writing %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  fd = -1;

  /* rename(2) replaces a symlink that appeared meanwhile instead of
   * following it */
  if (renameat (dirfd, tmpname, dirfd, basename) < 0)
    {
      errsv = errno;
      unlinkat (dirfd, tmpname, 0);
      close_fd (&dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("replacing %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  if (fsync (dirfd) < 0)
    {
      errsv = errno;
      close_fd (&dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("syncing directory %s: %s"), dirname, g_strerror (errsv));
      return FALSE;
    }
  close_fd (&dirfd);
  return TRUE;
}

gboolean
gcert_symlink_replace_atomic (const char  *target,
                              const char  *link_path,
                              GError     **error)
{
  g_autofree char *dirname = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *tmpname = NULL;
  int dirfd;
  int rc = -1;
  int errsv;

  g_return_val_if_fail (target != NULL, FALSE);
  g_return_val_if_fail (link_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dirname = g_path_get_dirname (link_path);
  basename = g_path_get_basename (link_path);
  dirfd = open (dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      errsv = errno;
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot open directory %s: %s"), dirname, g_strerror (errsv));
      return FALSE;
    }

  for (guint attempt = 0; attempt < 100 && rc < 0; attempt++)
    {
      g_free (tmpname);
      tmpname = make_temp_name (basename);
      rc = symlinkat (target, dirfd, tmpname);
      if (rc < 0 && errno != EEXIST)
        break;
    }
  if (rc < 0)
    {
      errsv = errno;
      close (dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot create a symbolic link in %s: %s"),
                   dirname, g_strerror (errsv));
      return FALSE;
    }

  if (renameat (dirfd, tmpname, dirfd, basename) < 0)
    {
      errsv = errno;
      unlinkat (dirfd, tmpname, 0);
      close (dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("replacing %s: %s"), link_path, g_strerror (errsv));
      return FALSE;
    }
  if (fsync (dirfd) < 0)
    {
      errsv = errno;
      close (dirfd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("syncing directory %s: %s"), dirname, g_strerror (errsv));
      return FALSE;
    }
  close (dirfd);
  return TRUE;
}

static gboolean
check_private_dir (const char  *path,
                   GError     **error)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    {
      int errsv = errno;

      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot access %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  if (S_ISLNK (st.st_mode))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("refusing to use %s: it is a symbolic link"), path);
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("refusing to use %s: it is not a directory"), path);
      return FALSE;
    }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("refusing to use %s: it is writable by group or others "
                     "(run `chmod go-w %s`)"), path, path);
      return FALSE;
    }
  /* whoever owns it can change its mode at any time */
  if (st.st_uid != geteuid () && st.st_uid != 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("refusing to use %s: it is owned by another user (uid %u)"),
                   path, (guint) st.st_uid);
      return FALSE;
    }
  return TRUE;
}

gboolean
gcert_dir_ensure_private (const char  *path,
                          GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
      !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      if (g_mkdir_with_parents (path, 0700) < 0)
        {
          int errsv = errno;

          g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                       _("cannot create directory %s: %s"), path, g_strerror (errsv));
          return FALSE;
        }
    }
  return check_private_dir (path, error);
}

char *
gcert_file_read_secret (const char  *path,
                        gsize        max_size,
                        GError     **error)
{
  g_autoptr(GString) buf = NULL;
  struct stat st;
  int fd;
  int errsv;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* O_NONBLOCK: a FIFO in place of the file must not hang us; it is
   * refused below as not a regular file */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      errsv = errno;
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot open secret file %s: %s"), path, g_strerror (errsv));
      return NULL;
    }
  if (fstat (fd, &st) < 0)
    {
      errsv = errno;
      close (fd);
      g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                   _("cannot access secret file %s: %s"), path, g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("secret file %s is not a regular file"), path);
      return NULL;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      close (fd);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("secret file %s is accessible by group or others "
                     "(mode %04o); run `chmod 600 %s`"),
                   path, (guint) (st.st_mode & 07777), path);
      return NULL;
    }
  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("secret file %s is larger than %zu bytes"),
                   path, max_size);
      return NULL;
    }

  buf = g_string_sized_new (st.st_size + 1);
  for (;;)
    {
      char chunk[4096];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          errsv = errno;
          close (fd);
          explicit_bzero (buf->str, buf->allocated_len);
          g_set_error (error, GCERT_ERROR, error_code_from_errno (errsv),
                       _("reading secret file %s: %s"), path, g_strerror (errsv));
          return NULL;
        }
      if (n == 0)
        break;
      g_string_append_len (buf, chunk, n);
      explicit_bzero (chunk, n);
      /* the file may have grown since fstat */
      if (buf->len > max_size)
        {
          close (fd);
          explicit_bzero (buf->str, buf->allocated_len);
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("secret file %s is larger than %zu bytes"),
                       path, max_size);
          return NULL;
        }
    }
  close (fd);

  if (memchr (buf->str, '\0', buf->len) != NULL)
    {
      explicit_bzero (buf->str, buf->allocated_len);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("secret file %s contains a NUL byte"), path);
      return NULL;
    }
  while (buf->len > 0 && g_ascii_isspace (buf->str[buf->len - 1]))
    {
      buf->str[buf->len - 1] = '\0';
      buf->len--;
    }
  if (buf->len == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("secret file %s is empty"), path);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&buf), FALSE);
}
