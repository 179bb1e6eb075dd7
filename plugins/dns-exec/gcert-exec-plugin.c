/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-settings.h"
#include "gcert-subprocess.h"

/* Runs a program of the administrator's to create and remove the records:
 * `PROGRAM present FQDN VALUE` and `PROGRAM cleanup FQDN VALUE`. */

#define DEFAULT_TIMEOUT_SECONDS  60
#define MAX_TIMEOUT_SECONDS      3600

#define GCERT_TYPE_EXEC_PROVIDER (gcert_exec_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertExecProvider, gcert_exec_provider, GCERT, EXEC_PROVIDER, GObject)

struct _GCertExecProvider {
  GObject  parent_instance;
  char    *program;
  gint64   timeout_seconds;
};

static void gcert_exec_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertExecProvider, gcert_exec_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_exec_provider_iface_init))

static gboolean
gcert_exec_provider_setup (GCertDnsProvider  *provider,
                           GCertSettings     *settings,
                           GError           **error)
{
  GCertExecProvider *self = GCERT_EXEC_PROVIDER (provider);
  static const char * const allowed[] = { "plugin", "program", "timeout", NULL };
  g_autofree char *program = NULL;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  program = gcert_settings_get_program (settings, "program", TRUE, error);
  if (program == NULL)
    return FALSE;
  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout_seconds, error))
    return FALSE;

  g_free (self->program);
  self->program = g_steal_pointer (&program);
  self->timeout_seconds = timeout_seconds;
  return TRUE;
}

static void
exec_run_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  /* "PROGRAM present FQDN" */
  const char *description = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *tail = NULL;
  int status = 0;

  if (!gcert_subprocess_run_finish (result, &status, &tail, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, "%s: ", description);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (status != 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("%s: failed with exit status %d%s%s"), description, status,
                               tail != NULL ? ": " : "", tail != NULL ? tail : "");
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
exec_run_async (GCertExecProvider   *self,
                const char          *action,
                const char          *fqdn,
                const char          *value,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (self->program == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the exec plugin is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  name = g_str_has_suffix (fqdn, ".") ? g_strdup (fqdn) : g_strconcat (fqdn, ".", NULL);
  g_task_set_task_data (task, g_strdup_printf ("%s %s %s", self->program, action, name), g_free);
  gcert_subprocess_run_async ((const char * const []) { self->program, action, name, value,
                                                        NULL },
                              NULL, NULL, self->timeout_seconds,
                              GCERT_SUBPROCESS_FLAGS_EXIT_STATUS, cancellable, exec_run_cb,
                              g_steal_pointer (&task));
}

static void
gcert_exec_provider_create_record_async (GCertDnsProvider    *provider,
                                         const char          *fqdn,
                                         const char          *value,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  exec_run_async (GCERT_EXEC_PROVIDER (provider), "present", fqdn, value, cancellable,
                  callback, user_data, gcert_exec_provider_create_record_async);
}

static gboolean
gcert_exec_provider_create_record_finish (GCertDnsProvider  *provider,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_exec_provider_remove_record_async (GCertDnsProvider    *provider,
                                         const char          *fqdn,
                                         const char          *value,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  exec_run_async (GCERT_EXEC_PROVIDER (provider), "cleanup", fqdn, value, cancellable,
                  callback, user_data, gcert_exec_provider_remove_record_async);
}

static gboolean
gcert_exec_provider_remove_record_finish (GCertDnsProvider  *provider,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_exec_provider_finalize (GObject *object)
{
  GCertExecProvider *self = GCERT_EXEC_PROVIDER (object);

  g_free (self->program);

  G_OBJECT_CLASS (gcert_exec_provider_parent_class)->finalize (object);
}

static void
gcert_exec_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_exec_provider_setup;
  iface->create_record_async = gcert_exec_provider_create_record_async;
  iface->create_record_finish = gcert_exec_provider_create_record_finish;
  iface->remove_record_async = gcert_exec_provider_remove_record_async;
  iface->remove_record_finish = gcert_exec_provider_remove_record_finish;
}

static void
gcert_exec_provider_class_init (GCertExecProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_exec_provider_finalize;
}

static void
gcert_exec_provider_class_finalize (GCertExecProviderClass *klass)
{
}

static void
gcert_exec_provider_init (GCertExecProvider *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished run may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_exec_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_EXEC_PROVIDER, "exec", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DNS_PROVIDER_EXTENSION_POINT, NULL });
}
