/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "gcert-deployer.h"
#include "gcert-error.h"

G_DEFINE_INTERFACE (GCertDeployer, gcert_deployer, G_TYPE_OBJECT)

static void
gcert_deployer_default_init (GCertDeployerInterface *iface)
{
}

/**
 * gcert_deployer_setup:
 * @self: a #GCertDeployer
 * @settings: the deployer's `[deploy NAME]` group
 * @error: return location for a #GError
 *
 * Reads and validates the deployer's settings. Called once, before any
 * deployment.
 *
 * Returns: %TRUE when the settings are valid
 */
gboolean
gcert_deployer_setup (GCertDeployer  *self,
                      GCertSettings  *settings,
                      GError        **error)
{
  GCertDeployerInterface *iface;

  g_return_val_if_fail (GCERT_IS_DEPLOYER (self), FALSE);
  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = GCERT_DEPLOYER_GET_IFACE (self);
  if (iface->setup == NULL)
    return TRUE;
  return iface->setup (self, settings, error);
}

void
gcert_deployer_deploy_async (GCertDeployer          *self,
                             const GCertDeployment  *deployment,
                             GCertProgressFunc       progress,
                             gpointer                progress_data,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  GCertDeployerInterface *iface;

  g_return_if_fail (GCERT_IS_DEPLOYER (self));
  g_return_if_fail (deployment != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = GCERT_DEPLOYER_GET_IFACE (self);
  if (iface->deploy_async == NULL)
    {
      g_task_report_new_error (self, callback, user_data, gcert_deployer_deploy_async,
                               GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                               _("the deployer %s cannot deploy"),
                               G_OBJECT_TYPE_NAME (self));
      return;
    }
  iface->deploy_async (self, deployment, progress, progress_data, cancellable,
                       callback, user_data);
}

gboolean
gcert_deployer_deploy_finish (GCertDeployer  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  GCertDeployerInterface *iface;

  g_return_val_if_fail (GCERT_IS_DEPLOYER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_async_result_is_tagged (result, gcert_deployer_deploy_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  iface = GCERT_DEPLOYER_GET_IFACE (self);
  return iface->deploy_finish (self, result, error);
}

char *
gcert_deployer_get_host_name (GCertDeployer *self)
{
  GCertDeployerInterface *iface;

  g_return_val_if_fail (GCERT_IS_DEPLOYER (self), NULL);

  iface = GCERT_DEPLOYER_GET_IFACE (self);
  if (iface->get_host_name == NULL)
    return NULL;
  return iface->get_host_name (self);
}

GCertDeployment *
gcert_deployment_copy (const GCertDeployment *deployment)
{
  GCertDeployment *copy;

  g_return_val_if_fail (deployment != NULL, NULL);

  copy = g_new0 (GCertDeployment, 1);
  copy->name = g_strdup (deployment->name);
  copy->target = g_strdup (deployment->target);
  copy->domains = (const char * const *) g_strdupv ((GStrv) deployment->domains);
  copy->version = deployment->version;
  copy->key_path = g_strdup (deployment->key_path);
  copy->cert_path = g_strdup (deployment->cert_path);
  copy->chain_path = g_strdup (deployment->chain_path);
  copy->fullchain_path = g_strdup (deployment->fullchain_path);
  copy->not_after = deployment->not_after;
  return copy;
}

void
gcert_deployment_free (GCertDeployment *deployment)
{
  if (deployment == NULL)
    return;
  g_free ((char *) deployment->name);
  g_free ((char *) deployment->target);
  g_strfreev ((GStrv) deployment->domains);
  g_free ((char *) deployment->key_path);
  g_free ((char *) deployment->cert_path);
  g_free ((char *) deployment->chain_path);
  g_free ((char *) deployment->fullchain_path);
  g_free (deployment);
}

/* --- the common file keys ------------------------------------------------ */

struct _GCertDeployFileSpec {
  char  *key_name;
  char  *fullchain_name;
  char  *cert_name;    /* nullable */
  char  *chain_name;   /* nullable */
  guint  key_mode;
  guint  chain_mode;
  char  *owner;
  char  *group;
};

void
gcert_deploy_file_spec_free (GCertDeployFileSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->key_name);
  g_free (spec->fullchain_name);
  g_free (spec->cert_name);
  g_free (spec->chain_name);
  g_free (spec->owner);
  g_free (spec->group);
  g_free (spec);
}

/* a plain file name: no directory part, not "." or "..", no control chars */
static gboolean
read_file_name (GCertSettings  *settings,
                const char     *key,
                const char     *default_value,
                char          **out_name,
                GError        **error)
{
  g_autofree char *name = NULL;
  g_autoptr(GError) local_error = NULL;

  name = gcert_settings_get_string (settings, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (name == NULL)
    {
      *out_name = g_strdup (default_value);
      return TRUE;
    }
  if (*name == '\0' || strchr (name, '/') != NULL || g_strcmp0 (name, ".") == 0 ||
      g_strcmp0 (name, "..") == 0 || strlen (name) > 255)
    {
      gcert_settings_set_error (settings, error, key,
                                _("“%s” is not a plain file name"), name);
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          gcert_settings_set_error (settings, error, key,
                                    _("the file name contains a control character"));
          return FALSE;
        }
    }
  *out_name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
read_mode (GCertSettings  *settings,
           const char     *key,
           guint           default_mode,
           guint          *out_mode,
           GError        **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  char *end = NULL;
  guint64 mode;

  text = gcert_settings_get_string (settings, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    {
      *out_mode = default_mode;
      return TRUE;
    }
  mode = g_ascii_strtoull (text, &end, 8);
  if (*text == '\0' || end == NULL || *end != '\0' || mode > 0777)
    {
      gcert_settings_set_error (settings, error, key,
                                _("“%s” is not an octal file mode such as 0640"), text);
      return FALSE;
    }
  *out_mode = (guint) mode;
  return TRUE;
}

static gboolean
read_account (GCertSettings  *settings,
              const char     *key,
              char          **out_value,
              GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  value = gcert_settings_get_string (settings, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (value != NULL)
    {
      for (const char *p = value; *p != '\0'; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
            {
              gcert_settings_set_error (settings, error, key,
                                        _("“%s” is not a user or group name or number"),
                                        value);
              return FALSE;
            }
        }
      if (*value == '\0' || *value == '-')
        {
          gcert_settings_set_error (settings, error, key,
                                    _("“%s” is not a user or group name or number"), value);
          return FALSE;
        }
    }
  *out_value = g_steal_pointer (&value);
  return TRUE;
}

/**
 * gcert_deploy_file_spec_new:
 * @settings: a `[deploy NAME]` group
 * @error: return location for a #GError
 *
 * Reads the common file keys (see #GCertDeployFile).
 *
 * Returns: (transfer full): the spec, or %NULL with @error naming the key
 */
GCertDeployFileSpec *
gcert_deploy_file_spec_new (GCertSettings  *settings,
                            GError        **error)
{
  g_autoptr(GCertDeployFileSpec) spec = g_new0 (GCertDeployFileSpec, 1);

  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_file_name (settings, "key-name", "privkey.pem", &spec->key_name, error) ||
      !read_file_name (settings, "fullchain-name", "fullchain.pem", &spec->fullchain_name,
                       error) ||
      !read_file_name (settings, "cert-name", NULL, &spec->cert_name, error) ||
      !read_file_name (settings, "chain-name", NULL, &spec->chain_name, error) ||
      !read_mode (settings, "key-mode", 0600, &spec->key_mode, error) ||
      !read_mode (settings, "chain-mode", 0644, &spec->chain_mode, error) ||
      !read_account (settings, "owner", &spec->owner, error) ||
      !read_account (settings, "group", &spec->group, error))
    return NULL;

  {
    const char *names[] = { spec->key_name, spec->fullchain_name, spec->cert_name,
                            spec->chain_name };
    const char *keys[] = { "key-name", "fullchain-name", "cert-name", "chain-name" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      for (guint j = i + 1; j < G_N_ELEMENTS (names); j++)
        if (names[i] != NULL && g_strcmp0 (names[i], names[j]) == 0)
          {
            gcert_settings_set_error (settings, error, keys[j],
                                      _("“%s” is also the %s"), names[j], keys[i]);
            return NULL;
          }
  }
  return g_steal_pointer (&spec);
}

static void
deploy_file_free (GCertDeployFile *file)
{
  g_free (file->source);
  g_free (file->name);
  g_free (file);
}

static void
add_file (GPtrArray  *files,
          const char *source,
          const char *name,
          guint       mode)
{
  GCertDeployFile *file;

  if (name == NULL)
    return;
  file = g_new0 (GCertDeployFile, 1);
  file->source = g_strdup (source);
  file->name = g_strdup (name);
  file->mode = mode;
  g_ptr_array_add (files, file);
}

GCertDeployFiles *
gcert_deploy_file_spec_apply (const GCertDeployFileSpec *spec,
                              const GCertDeployment     *deployment)
{
  GCertDeployFiles *files;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (deployment != NULL, NULL);

  files = g_new0 (GCertDeployFiles, 1);
  files->files = g_ptr_array_new_with_free_func ((GDestroyNotify) deploy_file_free);
  add_file (files->files, deployment->key_path, spec->key_name, spec->key_mode);
  add_file (files->files, deployment->fullchain_path, spec->fullchain_name, spec->chain_mode);
  add_file (files->files, deployment->cert_path, spec->cert_name, spec->chain_mode);
  add_file (files->files, deployment->chain_path, spec->chain_name, spec->chain_mode);
  files->owner = g_strdup (spec->owner);
  files->group = g_strdup (spec->group);
  return files;
}

void
gcert_deploy_files_free (GCertDeployFiles *files)
{
  if (files == NULL)
    return;
  g_ptr_array_unref (files->files);
  g_free (files->owner);
  g_free (files->group);
  g_free (files);
}
