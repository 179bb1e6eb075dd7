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
