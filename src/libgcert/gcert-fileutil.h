/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes @path atomically: a temporary file in the same directory, @mode set
 * before any data is written, fsync, rename, fsync of the directory. Refuses
 * when @path is a symlink. */
gboolean gcert_file_write_atomic (const char  *path,
                                  const void  *data,
                                  gsize        length,
                                  int          mode,
                                  GError     **error);
/* Points the symlink @link_path at @target by creating a temporary symlink
 * beside it and renaming it over the old one, so readers see either the old
 * or the new target; then fsyncs the directory. Fails when @link_path
 * exists and is a directory. */
gboolean gcert_symlink_replace_atomic (const char  *target,
                                       const char  *link_path,
                                       GError     **error);
/* Creates @path (and parents) with mode 0700 if missing; refuses a symlink,
 * a non-directory, and a directory writable by group or others. */
gboolean gcert_dir_ensure_private (const char  *path,
                                   GError     **error);
/* Reads a secret file: refused (GCERT_ERROR_PERMISSION_DENIED) when readable
 * or writable by group or others (the message says `chmod 600 FILE`), when
 * not a regular file, or above @max_size bytes. Strips trailing whitespace. */
char    *gcert_file_read_secret  (const char  *path,
                                  gsize        max_size,
                                  GError     **error);

G_END_DECLS
