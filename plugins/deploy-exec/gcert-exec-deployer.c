/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-deployer.h"
#include "gcert-error.h"
#include "gcert-settings.h"
#include "gcert-subprocess.h"

/* Hands the deployment to a program of the administrator's, which does
 * the copying and reloading itself; the files and facts of the deployment
 * arrive in its environment. */

#define DEFAULT_TIMEOUT_SECONDS  60
#define MAX_TIMEOUT_SECONDS      3600

#define GCERT_TYPE_EXEC_DEPLOYER (gcert_exec_deployer_get_type ())
G_DECLARE_FINAL_TYPE (GCertExecDeployer, gcert_exec_deployer, GCERT, EXEC_DEPLOYER, GObject)

struct _GCertExecDeployer {
  GObject  parent_instance;
  GStrv    argv;
  char    *description;
  gint64   timeout_seconds;
};

static void gcert_exec_deployer_iface_init (GCertDeployerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertExecDeployer, gcert_exec_deployer, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DEPLOYER,
                                                               gcert_exec_deployer_iface_init))

static gboolean
gcert_exec_deployer_setup (GCertDeployer  *deployer,
                           GCertSettings  *settings,
                           GError        **error)
{
  GCertExecDeployer *self = GCERT_EXEC_DEPLOYER (deployer);
  static const char * const allowed[] = { "program", "timeout", NULL };
  g_auto(GStrv) argv = NULL;
  gint64 timeout_seconds;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;
  argv = gcert_settings_get_command (settings, "program", TRUE, error);
  if (argv == NULL)
    return FALSE;
  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout_seconds, error))
    return FALSE;

  g_strfreev (self->argv);
  self->argv = g_steal_pointer (&argv);
  g_free (self->description);
  self->description = gcert_subprocess_describe_argv ((const char * const *) self->argv);
  self->timeout_seconds = timeout_seconds;
  return TRUE;
}

static void
add_variable (GPtrArray  *env,
              const char *name,
              const char *value)
{
  g_ptr_array_add (env, g_strconcat (name, "=", value != NULL ? value : "", NULL));
}

/* The environment of one run, "KEY=VALUE" strings. */
static GStrv
deployment_environment (const GCertDeployment *deployment)
{
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *domains = NULL;
  g_autofree char *version = NULL;
  g_autofree char *not_after = NULL;
  g_autofree char *lineage = NULL;

  domains = deployment->domains != NULL ?
            g_strjoinv (" ", (char **) deployment->domains) : g_strdup ("");
  version = g_strdup_printf ("%u", deployment->version);
  not_after = g_strdup_printf ("%" G_GINT64_FORMAT, deployment->not_after);
  /* the directory holding the files, as popular clients' hooks expect */
  lineage = g_path_get_dirname (deployment->cert_path != NULL ?
                                deployment->cert_path : deployment->key_path);

  add_variable (env, "GCERT_NAME", deployment->name);
  add_variable (env, "GCERT_TARGET", deployment->target);
  add_variable (env, "GCERT_DOMAINS", domains);
  add_variable (env, "GCERT_VERSION", version);
  add_variable (env, "GCERT_KEY_FILE", deployment->key_path);
  add_variable (env, "GCERT_CERT_FILE", deployment->cert_path);
  add_variable (env, "GCERT_CHAIN_FILE", deployment->chain_path);
  add_variable (env, "GCERT_FULLCHAIN_FILE", deployment->fullchain_path);
  add_variable (env, "GCERT_NOT_AFTER", not_after);
  add_variable (env, "RENEWED_LINEAGE", lineage);
  add_variable (env, "RENEWED_DOMAINS", domains);
  g_ptr_array_add (env, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&env), FALSE);
}

static void
run_cb (GObject      *source_object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertExecDeployer *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!gcert_subprocess_run_finish (result, NULL, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, GCERT_ERROR,
                                 error->domain == GCERT_ERROR ? error->code :
                                                                GCERT_ERROR_FAILED,
                                 _("the deploy program `%s` failed (%s)"),
                                 self->description, error->message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
gcert_exec_deployer_deploy_async (GCertDeployer          *deployer,
                                  const GCertDeployment  *deployment,
                                  GCertProgressFunc       progress,
                                  gpointer                progress_data,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  GCertExecDeployer *self = GCERT_EXEC_DEPLOYER (deployer);
  g_autoptr(GTask) task = NULL;
  g_auto(GStrv) env = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_exec_deployer_deploy_async);

  if (self->argv == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the exec deployer is not set up"));
      return;
    }

  if (progress != NULL)
    {
      g_autofree char *line = g_strdup_printf (_("%s: running %s"),
                                               deployment->target != NULL ?
                                               deployment->target : "exec",
                                               self->description);

      progress (line, progress_data);
    }
  env = deployment_environment (deployment);
  gcert_subprocess_run_async ((const char * const *) self->argv, (const char * const *) env,
                              NULL, self->timeout_seconds, GCERT_SUBPROCESS_FLAGS_NONE,
                              cancellable, run_cb, g_steal_pointer (&task));
}

static gboolean
gcert_exec_deployer_deploy_finish (GCertDeployer  *deployer,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, deployer), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_exec_deployer_finalize (GObject *object)
{
  GCertExecDeployer *self = GCERT_EXEC_DEPLOYER (object);

  g_strfreev (self->argv);
  g_free (self->description);

  G_OBJECT_CLASS (gcert_exec_deployer_parent_class)->finalize (object);
}

static void
gcert_exec_deployer_iface_init (GCertDeployerInterface *iface)
{
  iface->setup = gcert_exec_deployer_setup;
  iface->deploy_async = gcert_exec_deployer_deploy_async;
  iface->deploy_finish = gcert_exec_deployer_deploy_finish;
}

static void
gcert_exec_deployer_class_init (GCertExecDeployerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_exec_deployer_finalize;
}

static void
gcert_exec_deployer_class_finalize (GCertExecDeployerClass *klass)
{
}

static void
gcert_exec_deployer_init (GCertExecDeployer *self)
{
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: callbacks of a finished run may still point into us */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_exec_deployer_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DEPLOYER_EXTENSION_POINT,
                                  GCERT_TYPE_EXEC_DEPLOYER, "exec", 0);
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
