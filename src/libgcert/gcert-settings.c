/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-config.h"
#include "gcert-error.h"
#include "gcert-fileutil.h"
#include "gcert-settings.h"

#define GCERT_SETTINGS_SECRET_MAX (64 * 1024)

struct _GCertSettings
{
  GObject     parent_instance;

  GKeyFile   *keyfile;
  char       *group;
  char       *file;
  guint       group_line;
  GHashTable *origins;   /* key -> "FILE:LINE" */
  char       *base_dir;
  GStrv       common_keys;  /* read by the core, allowed in every check */
};

G_DEFINE_TYPE (GCertSettings, gcert_settings, G_TYPE_OBJECT)

static void
gcert_settings_finalize (GObject *object)
{
  GCertSettings *self = GCERT_SETTINGS (object);

  g_clear_pointer (&self->keyfile, g_key_file_unref);
  g_clear_pointer (&self->origins, g_hash_table_unref);
  g_free (self->group);
  g_free (self->file);
  g_free (self->base_dir);
  g_strfreev (self->common_keys);

  G_OBJECT_CLASS (gcert_settings_parent_class)->finalize (object);
}

static void
gcert_settings_class_init (GCertSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_settings_finalize;
}

static void
gcert_settings_init (GCertSettings *self)
{
}

GCertSettings *
gcert_settings_new (GKeyFile   *keyfile,
                    const char *group,
                    const char *file,
                    guint       group_line,
                    GHashTable *origins)
{
  GCertSettings *self;

  g_return_val_if_fail (keyfile != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);
  g_return_val_if_fail (file != NULL, NULL);

  self = g_object_new (GCERT_TYPE_SETTINGS, NULL);
  self->keyfile = g_key_file_ref (keyfile);
  self->group = g_strdup (group);
  self->file = g_strdup (file);
  self->group_line = group_line;
  if (origins != NULL)
    self->origins = g_hash_table_ref (origins);
  else
    self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->base_dir = g_path_get_dirname (file);
  return self;
}

void
gcert_settings_set_base_dir (GCertSettings *self,
                             const char    *base_dir)
{
  g_return_if_fail (GCERT_IS_SETTINGS (self));
  g_return_if_fail (base_dir != NULL);

  g_free (self->base_dir);
  self->base_dir = g_strdup (base_dir);
}

void
gcert_settings_set_common_keys (GCertSettings      *self,
                                const char * const *keys)
{
  g_return_if_fail (GCERT_IS_SETTINGS (self));

  g_strfreev (self->common_keys);
  self->common_keys = g_strdupv ((GStrv) keys);
}

const char *
gcert_settings_get_group (GCertSettings *self)
{
  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  return self->group;
}

const char *
gcert_settings_get_name (GCertSettings *self)
{
  const char *space;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);

  space = strchr (self->group, ' ');
  return space != NULL ? space + 1 : self->group;
}

const char *
gcert_settings_get_base_dir (GCertSettings *self)
{
  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  return self->base_dir;
}

gboolean
gcert_settings_has_key (GCertSettings *self,
                        const char    *key)
{
  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return g_key_file_has_key (self->keyfile, self->group, key, NULL);
}

char *
gcert_settings_describe (GCertSettings *self,
                         const char    *key)
{
  const char *origin = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);

  if (key != NULL)
    origin = g_hash_table_lookup (self->origins, key);
  if (origin != NULL)
    return g_strdup_printf ("%s: [%s] %s", origin, self->group, key);

  /* a missing key is reported at the group's header */
  if (self->group_line > 0)
    {
      if (key != NULL)
        return g_strdup_printf ("%s:%u: [%s] %s", self->file, self->group_line,
                                self->group, key);
      return g_strdup_printf ("%s:%u: [%s]", self->file, self->group_line,
                              self->group);
    }
  if (key != NULL)
    return g_strdup_printf ("%s: [%s] %s", self->file, self->group, key);
  return g_strdup_printf ("%s: [%s]", self->file, self->group);
}

void
gcert_settings_set_error (GCertSettings  *self,
                          GError        **error,
                          const char     *key,
                          const char     *format,
                          ...)
{
  g_autofree char *where = NULL;
  g_autofree char *message = NULL;
  va_list args;

  g_return_if_fail (GCERT_IS_SETTINGS (self));
  g_return_if_fail (format != NULL);

  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  where = gcert_settings_describe (self, key);
  g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG, "%s: %s", where, message);
}

/* the same, keeping the code of @inner and adding the place to its text */
static void
propagate_with_place (GCertSettings  *self,
                      GError        **error,
                      const char     *key,
                      GError         *inner)
{
  g_autofree char *where = gcert_settings_describe (self, key);

  g_prefix_error (&inner, "%s: ", where);
  g_propagate_error (error, inner);
}

gboolean
gcert_settings_check_keys (GCertSettings      *self,
                           const char * const *allowed,
                           GError            **error)
{
  g_auto(GStrv) keys = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (allowed != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  keys = g_key_file_get_keys (self->keyfile, self->group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      if (!g_strv_contains (allowed, keys[i]) &&
          (self->common_keys == NULL ||
           !g_strv_contains ((const char * const *) self->common_keys, keys[i])))
        {
          g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
          g_auto(GStrv) known = NULL;
          g_autofree char *list = NULL;

          g_strv_builder_addv (builder, (const char **) allowed);
          for (guint j = 0; self->common_keys != NULL && self->common_keys[j] != NULL; j++)
            {
              if (!g_strv_contains (allowed, self->common_keys[j]))
                g_strv_builder_add (builder, self->common_keys[j]);
            }
          known = g_strv_builder_end (builder);
          list = g_strjoinv (", ", known);

          gcert_settings_set_error (self, error, keys[i],
                                    _("unknown key (known keys: %s)"), list);
          return FALSE;
        }
    }
  return TRUE;
}

char *
gcert_settings_get_string (GCertSettings  *self,
                           const char     *key,
                           gboolean        required,
                           GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_key_file_has_key (self->keyfile, self->group, key, NULL))
    {
      if (required)
        gcert_settings_set_error (self, error, key, _("missing required key"));
      return NULL;
    }

  value = g_key_file_get_string (self->keyfile, self->group, key, &local_error);
  if (value == NULL)
    {
      gcert_settings_set_error (self, error, key, "%s", local_error->message);
      return NULL;
    }
  g_strstrip (value);
  if (*value == '\0')
    {
      if (required)
        gcert_settings_set_error (self, error, key, _("empty value"));
      return NULL;
    }
  return g_steal_pointer (&value);
}

GStrv
gcert_settings_get_string_list (GCertSettings *self,
                                const char    *key,
                                gboolean       required,
                                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) values = NULL;
  g_auto(GStrv) result = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_key_file_has_key (self->keyfile, self->group, key, NULL))
    {
      if (required)
        gcert_settings_set_error (self, error, key, _("missing required key"));
      return NULL;
    }

  values = g_key_file_get_string_list (self->keyfile, self->group, key,
                                       NULL, &local_error);
  if (local_error != NULL)
    {
      gcert_settings_set_error (self, error, key, "%s", local_error->message);
      return NULL;
    }

  builder = g_strv_builder_new ();
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_strstrip (values[i]);
      if (*values[i] != '\0')
        g_strv_builder_add (builder, values[i]);
    }
  result = g_strv_builder_end (builder);
  if (result[0] == NULL)
    {
      if (required)
        gcert_settings_set_error (self, error, key, _("empty value"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

char *
gcert_settings_get_path (GCertSettings  *self,
                         const char     *key,
                         gboolean        required,
                         GError        **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  value = gcert_settings_get_string (self, key, required, error);
  if (value == NULL)
    return NULL;
  if (g_path_is_absolute (value))
    return g_steal_pointer (&value);
  return g_build_filename (self->base_dir, value, NULL);
}

gboolean
gcert_settings_get_boolean (GCertSettings  *self,
                            const char     *key,
                            gboolean        default_value,
                            gboolean       *out_value,
                            GError        **error)
{
  static const char *true_words[] = { "true", "yes", "on", "1", NULL };
  static const char *false_words[] = { "false", "no", "off", "0", NULL };
  g_autofree char *value = NULL;
  g_autofree char *lower = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean result;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  value = gcert_settings_get_string (self, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (value == NULL)
    {
      result = default_value;
    }
  else
    {
      lower = g_ascii_strdown (value, -1);
      if (g_strv_contains (true_words, lower))
        result = TRUE;
      else if (g_strv_contains (false_words, lower))
        result = FALSE;
      else
        {
          gcert_settings_set_error (self, error, key,
                                    _("invalid boolean “%s” (use true or false)"),
                                    value);
          return FALSE;
        }
    }
  if (out_value != NULL)
    *out_value = result;
  return TRUE;
}

gboolean
gcert_settings_get_duration (GCertSettings  *self,
                             const char     *key,
                             gint64          default_seconds,
                             gint64         *out_seconds,
                             GError        **error)
{
  g_autofree char *value = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 seconds;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  value = gcert_settings_get_string (self, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (value == NULL)
    {
      seconds = default_seconds;
    }
  else if (!gcert_duration_parse (value, &seconds, &local_error))
    {
      gcert_settings_set_error (self, error, key, "%s", local_error->message);
      return FALSE;
    }
  if (out_seconds != NULL)
    *out_seconds = seconds;
  return TRUE;
}

char *
gcert_settings_read_secret (GCertSettings  *self,
                            const char     *key,
                            GError        **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;
  char *secret;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = gcert_settings_get_path (self, key, TRUE, error);
  if (path == NULL)
    return NULL;
  secret = gcert_file_read_secret (path, GCERT_SETTINGS_SECRET_MAX, &local_error);
  if (secret == NULL)
    {
      propagate_with_place (self, error, key, g_steal_pointer (&local_error));
      return NULL;
    }
  return secret;
}

void
gcert_settings_free_secret (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

gboolean
gcert_settings_get_duration_in_range (GCertSettings  *self,
                                      const char     *key,
                                      gint64          default_seconds,
                                      gint64          min_seconds,
                                      gint64          max_seconds,
                                      gint64         *out_seconds,
                                      GError        **error)
{
  gint64 seconds;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (min_seconds <= max_seconds, FALSE);

  if (!gcert_settings_get_duration (self, key, default_seconds, &seconds, error))
    return FALSE;
  if (seconds < min_seconds || seconds > max_seconds)
    {
      gcert_settings_set_error (self, error, key,
                                _("must be between %" G_GINT64_FORMAT " s and %"
                                  G_GINT64_FORMAT " s"), min_seconds, max_seconds);
      return FALSE;
    }
  if (out_seconds != NULL)
    *out_seconds = seconds;
  return TRUE;
}

/* @path must be a program we can run. */
static gboolean
check_program (GCertSettings  *self,
               const char     *key,
               const char     *path,
               GError        **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      gcert_settings_set_error (self, error, key, _("%s does not exist"), path);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      gcert_settings_set_error (self, error, key, _("%s is not a regular file"), path);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      gcert_settings_set_error (self, error, key, _("%s is not executable"), path);
      return FALSE;
    }
  return TRUE;
}

char *
gcert_settings_get_program (GCertSettings  *self,
                            const char     *key,
                            gboolean        required,
                            GError        **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = gcert_settings_get_path (self, key, required, error);
  if (path == NULL || !check_program (self, key, path, error))
    return NULL;
  return g_steal_pointer (&path);
}

GStrv
gcert_settings_get_command (GCertSettings  *self,
                            const char     *key,
                            gboolean        required,
                            GError        **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *program = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text = gcert_settings_get_string (self, key, required, error);
  if (text == NULL)
    return NULL;
  if (!g_shell_parse_argv (text, NULL, &argv, &local_error))
    {
      if (g_error_matches (local_error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING))
        gcert_settings_set_error (self, error, key, _("the command line is empty"));
      else
        gcert_settings_set_error (self, error, key,
                                  _("“%s” is not a valid command line: %s"), text,
                                  local_error->message);
      return NULL;
    }

  if (*argv[0] == '\0')
    {
      gcert_settings_set_error (self, error, key, _("the program name is empty"));
      return NULL;
    }
  if (strchr (argv[0], '/') == NULL)
    {
      program = g_find_program_in_path (argv[0]);
      if (program == NULL)
        {
          gcert_settings_set_error (self, error, key, _("the program “%s” is not in PATH"),
                                    argv[0]);
          return NULL;
        }
    }
  else
    {
      if (g_path_is_absolute (argv[0]))
        program = g_strdup (argv[0]);
      else
        program = g_build_filename (self->base_dir, argv[0], NULL);
      if (!check_program (self, key, program, error))
        return NULL;
    }

  g_free (argv[0]);
  argv[0] = g_steal_pointer (&program);
  return g_steal_pointer (&argv);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
gcert_settings_url_is_loopback (const char *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return uri != NULL && g_uri_get_host (uri) != NULL && host_is_loopback (g_uri_get_host (uri));
}

char *
gcert_settings_get_url (GCertSettings          *self,
                        const char             *key,
                        gboolean                required,
                        GCertSettingsUrlFlags   flags,
                        GError                **error)
{
  gboolean https_only = (flags & GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK) != 0;
  gboolean allow_userinfo = (flags & GCERT_SETTINGS_URL_FLAGS_ALLOW_USERINFO) != 0;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  const char *host;
  gsize length;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  url = gcert_settings_get_string (self, key, required, error);
  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL)
    {
      gcert_settings_set_error (self, error, key, _("invalid URL “%s”: %s"), url,
                                local_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) ||
      host == NULL || *host == '\0')
    {
      gcert_settings_set_error (self, error, key,
                                https_only ? _("“%s” is not an https:// URL with a host") :
                                             _("“%s” is not an http:// or https:// URL with a "
                                               "host"),
                                url);
      return NULL;
    }
  /* credentials must not travel in clear text beyond this machine */
  if (https_only && g_ascii_strcasecmp (scheme, "http") == 0 && !host_is_loopback (host))
    {
      gcert_settings_set_error (self, error, key,
                                _("“%s”: http:// is only allowed for localhost; use https://"),
                                url);
      return NULL;
    }
  if ((!allow_userinfo && g_uri_get_userinfo (uri) != NULL) ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      gcert_settings_set_error (self, error, key,
                                allow_userinfo ?
                                _("“%s” must not have a query or fragment") :
                                _("“%s” must not have user information, a query or a fragment"),
                                url);
      return NULL;
    }

  length = strlen (url);
  while (length > 0 && url[length - 1] == '/')
    url[--length] = '\0';
  return g_steal_pointer (&url);
}

/* The value of an optional key as @get reads it, telling a missing key
 * (%NULL) from an error. */
static gboolean
get_optional (GCertSettings  *self,
              const char     *key,
              char         *(*get) (GCertSettings *, const char *, gboolean, GError **),
              char          **out_value,
              GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  char *value;

  g_return_val_if_fail (GCERT_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);

  value = get (self, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_free (*out_value);
  *out_value = value;
  return TRUE;
}

gboolean
gcert_settings_get_optional_string (GCertSettings  *self,
                                    const char     *key,
                                    char          **out_value,
                                    GError        **error)
{
  return get_optional (self, key, gcert_settings_get_string, out_value, error);
}

gboolean
gcert_settings_get_optional_path (GCertSettings  *self,
                                  const char     *key,
                                  char          **out_value,
                                  GError        **error)
{
  return get_optional (self, key, gcert_settings_get_path, out_value, error);
}
