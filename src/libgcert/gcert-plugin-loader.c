/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-error.h"
#include "gcert-plugin-loader.h"

static GStrv
plugin_directories (void)
{
  const char *env = g_getenv ("GCERT_PLUGIN_DIR");

  if (env == NULL || *env == '\0')
    env = g_getenv ("GCERT_PLUGINDIR");
  if (env != NULL && *env != '\0')
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          if (*parts[i] != '\0')
            g_strv_builder_add (builder, parts[i]);
        }
      return g_strv_builder_end (builder);
    }
  return g_strdupv ((GStrv) (const char * const []) { GCERT_PLUGINDIR, NULL });
}

static gpointer
plugins_init_once (gpointer user_data)
{
  GIOExtensionPoint *point;
  GIOModuleScope *scope;
  g_auto(GStrv) dirs = plugin_directories ();

  point = g_io_extension_point_register (GCERT_DNS_PROVIDER_EXTENSION_POINT);
  g_io_extension_point_set_required_type (point, GCERT_TYPE_DNS_PROVIDER);
  point = g_io_extension_point_register (GCERT_DEPLOYER_EXTENSION_POINT);
  g_io_extension_point_set_required_type (point, GCERT_TYPE_DEPLOYER);

  /* a plugin found in an earlier directory wins over one of the same name */
  scope = g_io_module_scope_new (G_IO_MODULE_SCOPE_BLOCK_DUPLICATES);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_debug ("scanning %s for plugins", dirs[i]);
      g_io_modules_scan_all_in_directory_with_scope (dirs[i], scope);
    }
  g_io_module_scope_free (scope);
  return NULL;
}

/**
 * gcert_plugins_init:
 *
 * Registers the extension points and finds the plugin modules, once per
 * process. Modules are loaded when a plugin is first asked for.
 */
void
gcert_plugins_init (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, plugins_init_once, NULL);
}

/* g_ptr_array_sort() passes pointers to the elements */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GStrv
list_extensions (const char *point_name)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GIOExtensionPoint *point;
  GList *extensions;

  gcert_plugins_init ();
  point = g_io_extension_point_lookup (point_name);
  extensions = g_io_extension_point_get_extensions (point);
  for (GList *l = extensions; l != NULL; l = l->next)
    g_ptr_array_add (names, g_strdup (g_io_extension_get_name (l->data)));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_steal (names, NULL);
}

/**
 * gcert_plugins_list_dns:
 *
 * Returns: (transfer full): the names of the DNS provider plugins, sorted
 */
GStrv
gcert_plugins_list_dns (void)
{
  return list_extensions (GCERT_DNS_PROVIDER_EXTENSION_POINT);
}

/**
 * gcert_plugins_list_deployers:
 *
 * Returns: (transfer full): the names of the deployer plugins, sorted
 */
GStrv
gcert_plugins_list_deployers (void)
{
  return list_extensions (GCERT_DEPLOYER_EXTENSION_POINT);
}

/* An instance of the extension the group's `plugin` key names; @kind is
 * "DNS" or "deploy" for messages. */
static GObject *
new_plugin_object (GCertSettings  *settings,
                   const char     *point_name,
                   const char     *kind,
                   GError        **error)
{
  g_autofree char *name = NULL;
  GIOExtensionPoint *point;
  GIOExtension *extension;

  gcert_plugins_init ();

  name = gcert_settings_get_string (settings, "plugin", TRUE, error);
  if (name == NULL)
    return NULL;

  point = g_io_extension_point_lookup (point_name);
  extension = *name != '\0' ? g_io_extension_point_get_extension_by_name (point, name) : NULL;
  if (extension == NULL)
    {
      g_auto(GStrv) available = list_extensions (point_name);

      if (available[0] == NULL)
        {
          g_auto(GStrv) dirs = plugin_directories ();
          g_autofree char *where = g_strjoinv (", ", dirs);

          /* TRANSLATORS: the first %s is "DNS" or "deploy" */
          gcert_settings_set_error (settings, error, "plugin",
                                    _("unknown %s plugin “%s” (no plugins found in %s)"),
                                    kind, name, where);
        }
      else
        {
          g_autofree char *list = g_strjoinv (", ", available);

          gcert_settings_set_error (settings, error, "plugin",
                                    _("unknown %s plugin “%s” (available: %s)"),
                                    kind, name, list);
        }
      return NULL;
    }
  return g_object_new (g_io_extension_get_type (extension), NULL);
}

/**
 * gcert_plugins_new_dns_provider:
 * @settings: a `[dns NAME]` group
 * @error: return location for a #GError
 *
 * Instantiates the provider the group's `plugin` key names and lets it read
 * and check its settings.
 *
 * Returns: (transfer full): the provider, or %NULL with @error set
 */
GCertDnsProvider *
gcert_plugins_new_dns_provider (GCertSettings  *settings,
                                GError        **error)
{
  g_autoptr(GObject) provider = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  provider = new_plugin_object (settings, GCERT_DNS_PROVIDER_EXTENSION_POINT, "DNS", error);
  if (provider == NULL)
    return NULL;
  if (!gcert_dns_provider_setup (GCERT_DNS_PROVIDER (provider), settings, error))
    return NULL;
  return GCERT_DNS_PROVIDER (g_steal_pointer (&provider));
}

/**
 * gcert_plugins_new_deployer:
 * @settings: a `[deploy NAME]` group
 * @error: return location for a #GError
 *
 * Instantiates the deployer the group's `plugin` key names and lets it read
 * and check its settings.
 *
 * Returns: (transfer full): the deployer, or %NULL with @error set
 */
GCertDeployer *
gcert_plugins_new_deployer (GCertSettings  *settings,
                            GError        **error)
{
  g_autoptr(GObject) deployer = NULL;

  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  deployer = new_plugin_object (settings, GCERT_DEPLOYER_EXTENSION_POINT, "deploy", error);
  if (deployer == NULL)
    return NULL;
  if (!gcert_deployer_setup (GCERT_DEPLOYER (deployer), settings, error))
    return NULL;
  return GCERT_DEPLOYER (g_steal_pointer (&deployer));
}
