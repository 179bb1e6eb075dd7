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
/* An optional key: *@out_value is %NULL (and %TRUE returned) when it is
 * missing or empty, %FALSE only on an error. *@out_value is replaced (the
 * old value freed) only on success. */
gboolean    gcert_settings_get_optional_string (GCertSettings  *self,
                                                const char     *key,
                                                char          **out_value,
                                                GError        **error);
gboolean    gcert_settings_get_optional_path  (GCertSettings  *self,
                                                const char     *key,
                                                char          **out_value,
                                                GError        **error);
/* Wipes @secret (from gcert_settings_read_secret(), or any other secret
 * string) and frees it; %NULL is ignored. */
void        gcert_settings_free_secret    (char           *secret);
/* a string that g_autoptr() wipes: g_autoptr(GCertSecret) key = … */
typedef char GCertSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertSecret, gcert_settings_free_secret)
/* A duration (see gcert_settings_get_duration()) that must lie between
 * @min_seconds and @max_seconds. */
gboolean    gcert_settings_get_duration_in_range (GCertSettings  *self,
                                                  const char     *key,
                                                  gint64          default_seconds,
                                                  gint64          min_seconds,
                                                  gint64          max_seconds,
                                                  gint64         *out_seconds,
                                                  GError        **error);
/* A program to run: a path (see gcert_settings_get_path()) that must be an
 * existing, executable regular file. */
char       *gcert_settings_get_program    (GCertSettings  *self,
                                           const char     *key,
                                           gboolean        required,
                                           GError        **error);
/* A command line, split as a shell would but never run by one. Its
 * program must exist: an absolute path, a path relative to the base dir,
 * or a name found in PATH; argv[0] is replaced by the full path. */
GStrv       gcert_settings_get_command    (GCertSettings  *self,
                                           const char     *key,
                                           gboolean        required,
                                           GError        **error);

/**
 * GCertSettingsUrlFlags:
 * @GCERT_SETTINGS_URL_FLAGS_NONE: http:// or https://, with a host, without
 *   user information, a query or a fragment
 * @GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK: http:// only to this
 *   machine (localhost or a loopback address), for URLs that credentials
 *   travel to
 * @GCERT_SETTINGS_URL_FLAGS_ALLOW_USERINFO: user information is allowed
 */
typedef enum {
  GCERT_SETTINGS_URL_FLAGS_NONE                  = 0,
  GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK = 1 << 0,
  GCERT_SETTINGS_URL_FLAGS_ALLOW_USERINFO        = 1 << 1,
} GCertSettingsUrlFlags;

/* The base URL of an API, checked as @flags say, without its trailing
 * slashes, so that paths starting with '/' can be appended. */
char       *gcert_settings_get_url        (GCertSettings          *self,
                                           const char             *key,
                                           gboolean                required,
                                           GCertSettingsUrlFlags   flags,
                                           GError                **error);
/* Whether @url names localhost or a loopback address. */
gboolean    gcert_settings_url_is_loopback (const char            *url);

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
