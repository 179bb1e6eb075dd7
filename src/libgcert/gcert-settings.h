/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GCertSettings:
 *
 * One group of the merged configuration (e.g. `[dns cf]`), with the file and
 * line each key came from, handed to plugins so that they can validate their
 * own keys with errors that name file, line, group and key.
 */
#define GCERT_TYPE_SETTINGS (gcert_settings_get_type ())
G_DECLARE_FINAL_TYPE (GCertSettings, gcert_settings, GCERT, SETTINGS, GObject)

/* "dns cf" */
const char *gcert_settings_get_group      (GCertSettings  *self);
/* "cf" (the part after the kind) */
const char *gcert_settings_get_name       (GCertSettings  *self);
/* the directory relative paths are resolved against */
const char *gcert_settings_get_base_dir   (GCertSettings  *self);
gboolean    gcert_settings_has_key        (GCertSettings  *self,
                                           const char     *key);
/* "FILE:LINE: [GROUP] KEY" (or "FILE: [GROUP]" without a key) */
char       *gcert_settings_describe       (GCertSettings  *self,
                                           const char     *key);
/* Fails (GCERT_ERROR_CONFIG) on any key not in @allowed (NULL-terminated). */
gboolean    gcert_settings_check_keys     (GCertSettings      *self,
                                           const char * const *allowed,
                                           GError            **error);
/* %NULL and a GCERT_ERROR_CONFIG error naming file/group/key when the key is
 * missing and @required; %NULL without error when missing and optional. */
char       *gcert_settings_get_string     (GCertSettings  *self,
                                           const char     *key,
                                           gboolean        required,
                                           GError        **error);
/* A ';'-separated list; empty elements dropped. */
GStrv       gcert_settings_get_string_list (GCertSettings *self,
                                            const char    *key,
                                            gboolean       required,
                                            GError       **error);
/* A path: relative paths are resolved against the base dir. */
char       *gcert_settings_get_path       (GCertSettings  *self,
                                           const char     *key,
                                           gboolean        required,
                                           GError        **error);
gboolean    gcert_settings_get_boolean    (GCertSettings  *self,
                                           const char     *key,
                                           gboolean        default_value,
                                           gboolean       *out_value,
                                           GError        **error);
gboolean    gcert_settings_get_duration   (GCertSettings  *self,
                                           const char     *key,
                                           gint64          default_seconds,
                                           gint64         *out_seconds,
                                           GError        **error);
/* Reads the secret file named by @key (e.g. "token-file"): refused when the
 * file is readable or writable by group or others, is not a regular file, or
 * is larger than 64 KiB; trailing whitespace is stripped. The secret never
 * appears in the error. */
char       *gcert_settings_read_secret    (GCertSettings  *self,
                                           const char     *key,
                                           GError        **error);
/* Sets a GCERT_ERROR_CONFIG error prefixed with gcert_settings_describe(). */
void        gcert_settings_set_error      (GCertSettings  *self,
                                           GError        **error,
                                           const char     *key,
                                           const char     *format,
                                           ...) G_GNUC_PRINTF (4, 5);

/* Private to the library: built by GCertConfig. @origins maps
 * "KEY" to "FILE:LINE" for every key of the group. */
GCertSettings *gcert_settings_new (GKeyFile   *keyfile,
                                   const char *group,
                                   const char *file,
                                   guint       group_line,
                                   GHashTable *origins);
/* Private to the library: relative paths resolve against @base_dir (the
 * directory of the main config file) instead of the directory of @file. */
void           gcert_settings_set_base_dir (GCertSettings *self,
                                            const char    *base_dir);

/* Private to the library: keys the core reads from this group (such as
 * `plugin` and `zones` of a [dns] group), which gcert_settings_check_keys()
 * allows whatever a plugin lists. */
void           gcert_settings_set_common_keys (GCertSettings      *self,
                                               const char * const *keys);

G_END_DECLS
