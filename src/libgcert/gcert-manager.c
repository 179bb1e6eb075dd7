/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "gcert-acme-client.h"
#include "gcert-error.h"
#include "gcert-issuance.h"
#include "gcert-manager-private.h"
#include "gcert-readers.h"
#include "gcert-notify.h"
#include "gcert-plugin-loader.h"
#include "gcert-renewal.h"

#define DEFAULT_REQUEST_TIMEOUT 30


enum {
  SIGNAL_PROGRESS,
  SIGNAL_CERTIFICATE_RENEWED,
  SIGNAL_RUN_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (GCertManager, gcert_manager, G_TYPE_OBJECT)

void
gcert_renew_result_free (GCertRenewResult *result)
{
  if (result == NULL)
    return;
  g_free (result->name);
  g_free (result->reason);
  g_clear_error (&result->error);
  g_clear_error (&result->deploy_error);
  g_strfreev (result->deployed);
  g_clear_pointer (&result->not_after, g_date_time_unref);
  g_free (result);
}

static void
gcert_manager_finalize (GObject *object)
{
  GCertManager *self = GCERT_MANAGER (object);

  g_clear_object (&self->config);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->router);
  g_clear_pointer (&self->deployers, g_hash_table_unref);
  g_clear_pointer (&self->account_waiters, g_ptr_array_unref);
  G_OBJECT_CLASS (gcert_manager_parent_class)->finalize (object);
}

static void
gcert_manager_class_init (GCertManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_manager_finalize;

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CERTIFICATE_RENEWED] =
    g_signal_new ("certificate-renewed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_RUN_PROGRESS] =
    g_signal_new ("run-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
gcert_manager_init (GCertManager *self)
{

  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->jobs = 1;
  self->deployers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

GCertManager *
gcert_manager_new (GCertConfig  *config,
                   GError      **error)
{
  g_autoptr(GCertManager) self = NULL;

  g_return_val_if_fail (GCERT_IS_CONFIG (config), NULL);

  self = g_object_new (GCERT_TYPE_MANAGER, NULL);
  self->config = g_object_ref (config);
  self->router = gcert_dns_router_new (config);
  self->jobs = gcert_config_get_jobs (config);
  self->store = gcert_store_new (gcert_config_get_state_dir (config), error);
  if (self->store == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

GCertConfig *
gcert_manager_get_config (GCertManager *self)
{
  g_return_val_if_fail (GCERT_IS_MANAGER (self), NULL);
  return self->config;
}

GCertStore *
gcert_manager_get_store (GCertManager *self)
{
  g_return_val_if_fail (GCERT_IS_MANAGER (self), NULL);
  return self->store;
}

void
gcert_manager_set_verbose (GCertManager *self,
                           gboolean      verbose)
{
  g_return_if_fail (GCERT_IS_MANAGER (self));
  self->verbose = verbose;
}

void
gcert_manager_set_request_timeout (GCertManager *self,
                                   guint         seconds)
{
  g_return_if_fail (GCERT_IS_MANAGER (self));
  self->request_timeout = seconds;
}

guint
gcert_manager_get_request_count (GCertManager *self)
{
  g_return_val_if_fail (GCERT_IS_MANAGER (self), 0);
  return self->client ? gcert_acme_client_get_request_count (self->client) : 0;
}

void
gcert_manager_emit_progress (GCertManager *self,
                             const char   *name,
                             const char   *message)
{
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "GCERT_CERTIFICATE", name,
                    "GCERT_CA", gcert_config_get_directory_url (self->config),
                    "MESSAGE", "%s: %s", name, message);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, name, message);
}

/* --- how far a run has come ---------------------------------------------------- */


static void
run_progress_emit (GCertRunProgress *progress,
                   guint             percent)
{
  if (progress->ended || (progress->started && percent <= progress->percent))
    return;
  progress->started = TRUE;
  progress->percent = percent;
  g_signal_emit (progress->manager, signals[SIGNAL_RUN_PROGRESS], 0, percent);
}

void
gcert_run_progress_start (GCertRunProgress *progress,
                          GCertManager     *manager,
                          guint             total)
{
  progress->manager = manager;
  progress->total = total;
  run_progress_emit (progress, 0);
}

/* one part went on by @delta (of its 1.0) */
void
gcert_run_progress_add (GCertRunProgress *progress,
                        double            delta)
{
  double percent;

  progress->done += delta;
  if (progress->total == 0)
    return;
  percent = 100.0 * progress->done / progress->total;
  /* 100 says that the run has ended */
  run_progress_emit (progress, (guint) CLAMP (percent, 0.0, 99.0));
}

void
gcert_run_progress_end (GCertRunProgress *progress)
{
  run_progress_emit (progress, 100);
  progress->ended = TRUE;
}

/* --- the account, shared by every certificate of a run ---------------------- */

static void
account_waiters_return (GCertManager *self,
                        const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->account_waiters);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
account_registered_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GCertManager *self = user_data;
  g_autoptr(GError) error = NULL;

  if (gcert_acme_client_register_finish (self->client, result, &error) &&
      gcert_store_save_account (self->store, gcert_config_get_ca_id (self->config),
                                gcert_acme_client_get_account_key (self->client),
                                gcert_acme_client_get_account_url (self->client),
                                gcert_config_get_directory_url (self->config), &error))
    self->account_ready = TRUE;
  account_waiters_return (self, error);
  g_object_unref (self);
}

static void
account_directory_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GCertManager *self = user_data;
  g_autoptr(GError) error = NULL;

  if (gcert_acme_client_load_directory_finish (self->client, result, &error) != NULL)
    self->account_ready = TRUE;
  account_waiters_return (self, error);
  g_object_unref (self);
}

static void
account_key_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GCertManager *self = user_data;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GError) error = NULL;

  key = gcert_key_generate_finish (result, &error);
  /* kept before registering: a run killed in between finds the account
   * again by its key instead of making another one */
  if (key == NULL ||
      !gcert_store_save_account (self->store, gcert_config_get_ca_id (self->config), key,
                                 NULL, gcert_config_get_directory_url (self->config), &error))
    {
      account_waiters_return (self, error);
      g_object_unref (self);
      return;
    }
  gcert_acme_client_set_account (self->client, key, NULL);
  gcert_acme_client_register_async (self->client,
                                    gcert_config_get_contacts (self->config), FALSE,
                                    NULL, account_registered_cb, self);
}

/* Sets up the client and the account once; concurrent callers wait for the
 * first. The account key is loaded from the store, or made and registered. */
void
gcert_manager_ensure_account_async (GCertManager        *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GCertKey) key = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  GCertRetryPolicy policy = GCERT_RETRY_POLICY_DEFAULT;

  g_task_set_source_tag (task, gcert_manager_ensure_account_async);
  if (self->account_ready)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->account_waiters != NULL)
    {
      g_ptr_array_add (self->account_waiters, g_steal_pointer (&task));
      return;
    }

  if (self->client == NULL)
    {
      self->client = gcert_acme_client_new (gcert_config_get_directory_url (self->config),
                                            gcert_config_get_ca_certificates (self->config),
                                            &error);
      if (self->client == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      policy.max_retry_after = gcert_config_get_max_retry_after (self->config);
      gcert_acme_client_set_policy (self->client, &policy);
      gcert_acme_client_set_timeout (self->client, self->request_timeout);
      gcert_acme_client_set_verbose (self->client, self->verbose);
    }

  self->account_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->account_waiters, g_steal_pointer (&task));

  if (!gcert_store_load_account (self->store, gcert_config_get_ca_id (self->config),
                                 &key, &url, &error) &&
      !g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
    {
      /* never replace an account key we cannot read: say why instead */
      g_prefix_error (&error, _("loading the account: "));
      account_waiters_return (self, error);
      return;
    }
  if (key != NULL)
    {
      gcert_acme_client_set_account (self->client, key, url);
      if (url != NULL)
        gcert_acme_client_load_directory_async (self->client, NULL, account_directory_cb,
                                                g_object_ref (self));
      else
        gcert_acme_client_register_async (self->client,
                                          gcert_config_get_contacts (self->config), TRUE,
                                          NULL, account_registered_cb, g_object_ref (self));
      return;
    }
  gcert_manager_emit_progress (self, "account", _("creating an account key and registering it with the CA"));
  gcert_key_generate_async (GCERT_KEY_TYPE_EC_256, NULL, account_key_cb, g_object_ref (self));
}

gboolean
gcert_manager_ensure_account_finish (GCertManager  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- one certificate ---------------------------------------------------------- */

typedef struct _Job Job;
static void deploy_start (Job *job, gboolean all);

struct _Job {
  GCertManager           *manager;
  GCertCertificateConfig *cert;
  GCertRenewResult       *result;
  GCertStoreLock         *lock;
  GTask                  *run;      /* the batch this job belongs to */
  gboolean                no_record; /* another run holds the lock */
  GPtrArray              *targets;  /* the deploy targets still to do */
  GPtrArray              *deployed; /* targets done */
  GString                *deploy_errors;
  GCertDeployment        *deployment;
  char                   *target;   /* being deployed to */
  GError                 *issue_error; /* held while pending deployments run */
  double                  fraction; /* of the run's progress, 0.0 to 1.0 */
  guint                   deploy_total;
};

typedef struct {
  GPtrArray        *queue;     /* Job*, not yet started */
  GPtrArray        *active;    /* GCertCertificateConfig* of the running jobs */
  GPtrArray        *results;   /* GCertRenewResult* */
  GCertRenewFlags   flags;
  guint             running;
  gboolean          returned;
  GCertRunProgress  progress;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_pointer (&data->queue, g_ptr_array_unref);
  g_clear_pointer (&data->active, g_ptr_array_unref);
  g_clear_pointer (&data->results, g_ptr_array_unref);
  g_free (data);
}

static void
job_free (Job *job)
{
  g_clear_pointer (&job->targets, g_ptr_array_unref);
  g_clear_pointer (&job->deployed, g_ptr_array_unref);
  if (job->deploy_errors != NULL)
    g_string_free (job->deploy_errors, TRUE);
  g_clear_pointer (&job->deployment, gcert_deployment_free);
  g_free (job->target);
  g_clear_error (&job->issue_error);
  g_clear_pointer (&job->lock, gcert_store_lock_free);
  g_clear_object (&job->run);
  g_free (job);
}

static void run_next (GTask *run);

/* Where a certificate's work stands (0.0 to 1.0): decided 0.05, account
 * ready 0.1, the issuance's own steps up to 0.85, stored 0.9, deployed 1.0. */
#define JOB_DECIDED     0.05
#define JOB_ACCOUNT     0.10
#define JOB_ISSUED      0.85
#define JOB_STORED      0.90

static void
job_advance (Job    *job,
             double  fraction)
{
  RunData *data = g_task_get_task_data (job->run);

  if (fraction <= job->fraction)
    return;
  fraction = MIN (fraction, 1.0);
  gcert_run_progress_add (&data->progress, fraction - job->fraction);
  job->fraction = fraction;
}

static void
job_progress_cb (const char *message,
                 gpointer    user_data)
{
  Job *job = user_data;

  gcert_manager_emit_progress (job->manager, job->cert->name, message);
}

static void
job_step_cb (double   fraction,
             gpointer user_data)
{
  Job *job = user_data;

  job_advance (job, JOB_ACCOUNT + (JOB_ISSUED - JOB_ACCOUNT) * fraction);
}

/* whether the CA revoked the live version @live of @name */
static gboolean
live_is_revoked (GCertManager     *self,
                 const char       *name,
                 GCertCertificate *live)
{
  g_autoptr(GError) error = NULL;
  guint version;

  if (live == NULL)
    return FALSE;
  version = gcert_store_get_live_version (self->store, name);
  if (gcert_store_get_revoked (self->store, name, version, NULL, NULL, &error))
    return TRUE;
  if (!g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
    g_warning ("%s: %s", name, error->message);
  return FALSE;
}

static void
record_run (Job          *job,
            const GError *error)
{
  GCertManager *self = job->manager;
  g_autoptr(GCertRunRecord) record = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GError) local_error = NULL;

  record = gcert_store_load_run_record (self->store, job->cert->name, NULL);
  if (record == NULL)
    record = gcert_run_record_new ();
  g_clear_pointer (&record->last_attempt, g_date_time_unref);
  record->last_attempt = g_date_time_new_now_utc ();
  record->success = error == NULL;
  g_clear_pointer (&record->error, g_free);
  record->error = error ? g_strdup (error->message) : NULL;
  record->failures = error ? record->failures + 1 : 0;
  if (error == NULL)
    {
      g_free (record->ca);
      record->ca = g_strdup (gcert_config_get_directory_url (self->config));
    }

  live = gcert_store_load_live (self->store, job->cert->name, NULL);
  g_clear_pointer (&record->not_after, g_date_time_unref);
  g_clear_pointer (&record->next_due, g_date_time_unref);
  record->version = gcert_store_get_live_version (self->store, job->cert->name);
  if (live != NULL)
    {
      record->not_after = gcert_certificate_get_not_after (live);
      record->next_due = gcert_renewal_due_time (live, job->cert->renew_before,
                                                 job->cert->renew_every);
    }
  if (error != NULL || live == NULL || live_is_revoked (self, job->cert->name, live))
    {
      /* after a failure it stays due; the next run tries again */
      g_clear_pointer (&record->next_due, g_date_time_unref);
      record->next_due = g_date_time_new_now_utc ();
    }
  if (!gcert_store_save_run_record (self->store, job->cert->name, record, &local_error))
    g_warning ("%s: %s", job->cert->name, local_error->message);
}

static void
job_done (Job    *job,
          GError *error)
{
  GTask *run = g_object_ref (job->run);
  RunData *data = g_task_get_task_data (run);
  GCertRenewResult *result = job->result;

  if (error != NULL)
    {
      result->success = FALSE;
      result->error = error;
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                        "MESSAGE_ID", "5d0b1f6e3c8a4f6b9a4e2f7c1d3b5a91",
                        "GCERT_CERTIFICATE", job->cert->name,
                        "GCERT_CA", gcert_config_get_directory_url (job->manager->config),
                        "GCERT_STEP", "failed",
                        "MESSAGE", "%s: %s", job->cert->name, error->message);
    }
  if (result->attempted && !job->no_record)
    record_run (job, error);
  job_advance (job, 1.0);
  g_ptr_array_remove (data->active, job->cert);
  job_free (job);
  data->running--;
  run_next (run);
}

static void
issued_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Job *job = user_data;
  GCertManager *self = job->manager;
  g_autofree char *key_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  GError *error = NULL;
  guint version;

  if (!gcert_issue_finish (result, &key_pem, &chain_pem, &error))
    {
      /* the version still live may have targets waiting for it */
      job->issue_error = error;
      if (gcert_store_get_live_version (self->store, job->cert->name) > 0 &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          deploy_start (job, FALSE);
          return;
        }
      job_done (job, g_steal_pointer (&job->issue_error));
      return;
    }
  version = gcert_store_add_version (self->store, job->cert->name, key_pem, chain_pem, &error);
  if (version == 0)
    {
      job_done (job, error);
      return;
    }
  if (!gcert_store_clear_pending (self->store, job->cert->name, &error))
    {
      g_warning ("%s: %s", job->cert->name, error->message);
      g_clear_error (&error);
    }
  job_advance (job, JOB_STORED);
  live = gcert_store_load_live (self->store, job->cert->name, NULL);
  job->result->success = TRUE;
  job->result->version = version;
  if (live != NULL)
    job->result->not_after = gcert_certificate_get_not_after (live);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "MESSAGE_ID", "5d0b1f6e3c8a4f6b9a4e2f7c1d3b5a90",
                    "GCERT_CERTIFICATE", job->cert->name,
                    "GCERT_CA", gcert_config_get_directory_url (self->config),
                    "GCERT_STEP", "renewed",
                    "MESSAGE", "%s: certificate version %u is live", job->cert->name, version);
  g_signal_emit (self, signals[SIGNAL_CERTIFICATE_RENEWED], 0, job->cert->name, version);
  deploy_start (job, FALSE);
}

/* --- deployment ------------------------------------------------------------------ */

static GCertDeployer *
get_deployer (GCertManager  *self,
              const char    *target,
              GError       **error)
{
  g_autoptr(GCertSettings) settings = NULL;
  GCertDeployer *deployer = g_hash_table_lookup (self->deployers, target);

  if (deployer != NULL)
    return deployer;
  settings = gcert_config_get_deploy_settings (self->config, target);
  if (settings == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG, _("%s: there is no [deploy %s] group"),
                   gcert_config_get_path (self->config), target);
      return NULL;
    }
  deployer = gcert_plugins_new_deployer (settings, error);
  if (deployer == NULL)
    return NULL;
  g_hash_table_insert (self->deployers, g_strdup (target), deployer);
  return deployer;
}

static void deploy_next (Job *job);

static void
deploy_record (Job          *job,
               const GError *error)
{
  g_autoptr(GCertDeployRecord) record = g_new0 (GCertDeployRecord, 1);
  g_autoptr(GError) local_error = NULL;

  record->target = g_strdup (job->target);
  record->version = job->deployment->version;
  record->success = error == NULL;
  record->error = error != NULL ? g_strdup (error->message) : NULL;
  record->time = g_date_time_new_now_utc ();
  if (!gcert_store_save_deploy_record (job->manager->store, job->cert->name, record,
                                       &local_error))
    g_warning ("%s: %s", job->cert->name, local_error->message);
}

static void
deploy_failed (Job    *job,
               GError *error)
{
  gcert_manager_emit_progress (job->manager, job->cert->name, error->message);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                    "GCERT_CERTIFICATE", job->cert->name,
                    "GCERT_CA", gcert_config_get_directory_url (job->manager->config),
                    "GCERT_TARGET", job->target,
                    "GCERT_STEP", "deploy-failed",
                    "MESSAGE", "%s: %s", job->cert->name, error->message);
  if (job->deploy_errors->len > 0)
    g_string_append (job->deploy_errors, "; ");
  g_string_append (job->deploy_errors, error->message);
  g_error_free (error);
}

static void
deploy_progress_cb (const char *message,
                    gpointer    user_data)
{
  Job *job = user_data;

  gcert_manager_emit_progress (job->manager, job->cert->name, message);
}

static void
deployed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  GError *error = NULL;

  if (!gcert_deployer_deploy_finish (GCERT_DEPLOYER (source), result, &error))
    {
      g_prefix_error (&error, _("deploying version %u to %s: "), job->deployment->version,
                      job->target);
      /* a cancelled deployment says nothing about the target */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        deploy_record (job, error);
      deploy_failed (job, error);
    }
  else
    {
      deploy_record (job, NULL);
      g_autofree char *message = g_strdup_printf (_("deployed version %u to %s"),
                                                  job->deployment->version, job->target);

      g_ptr_array_add (job->deployed, g_strdup (job->target));
      gcert_manager_emit_progress (job->manager, job->cert->name, message);
    }
  deploy_next (job);
}

static void
deploy_next (Job *job)
{
  GCertManager *self = job->manager;
  GCertDeployer *deployer;
  GError *error = NULL;

  if (job->target != NULL && job->deploy_total > 0)
    job_advance (job, JOB_STORED + (1.0 - JOB_STORED) *
                                   (job->deploy_total - job->targets->len) / job->deploy_total);
  g_clear_pointer (&job->target, g_free);
  if (job->targets->len == 0)
    {
      GCertRenewResult *result = job->result;

      g_ptr_array_add (job->deployed, NULL);
      result->deployed = (GStrv) g_ptr_array_steal (job->deployed, NULL);
      if (job->deploy_errors->len > 0)
        result->deploy_error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED, "%s",
                                            job->deploy_errors->str);
      job_done (job, g_steal_pointer (&job->issue_error));
      return;
    }

  job->target = g_ptr_array_steal_index (job->targets, 0);
  deployer = get_deployer (self, job->target, &error);
  if (deployer == NULL)
    {
      g_prefix_error (&error, _("deploying to %s: "), job->target);
      deploy_record (job, error);
      deploy_failed (job, error);
      deploy_next (job);
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (_("deploying version %u to %s"),
                                                job->deployment->version, job->target);

    gcert_manager_emit_progress (self, job->cert->name, message);
  }
  g_free ((char *) job->deployment->target);
  job->deployment->target = g_strdup (job->target);
  gcert_deployer_deploy_async (deployer, job->deployment, deploy_progress_cb, job,
                               g_task_get_cancellable (job->run), deployed_cb, job);
}

static gboolean
apply_readers (Job     *job,
               GError **error)
{
  GCertManager *self = job->manager;
  g_autofree char *live = gcert_store_get_live_dir (self->store, job->cert->name);
  g_autofree char *key = g_build_filename (live, "privkey.pem", NULL);

  if (!gcert_readers_apply (gcert_store_get_path (self->store), key,
                            (const char * const *) job->cert->readers, error))
    {
      g_prefix_error (error, _("giving the readers access to the key: "));
      return FALSE;
    }
  return TRUE;
}

/* Deploys the live version to the certificate's targets: with @all to
 * every one, otherwise to those that do not have it yet or failed. */
static void
deploy_start (Job      *job,
              gboolean  all)
{
  GCertManager *self = job->manager;
  g_autoptr(GHashTable) records = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  guint version = gcert_store_get_live_version (self->store, job->cert->name);

  job->targets = g_ptr_array_new_with_free_func (g_free);
  job->deployed = g_ptr_array_new_with_free_func (g_free);
  job->deploy_errors = g_string_new (NULL);
  /* the readers' access follows the live version (and the list, which
   * may have changed) on every run, before any service is reloaded */
  if (version > 0 && !apply_readers (job, &error))
    {
      g_string_append (job->deploy_errors, error->message);
      g_clear_error (&error);
    }
  if (version == 0 || job->cert->deploy == NULL || job->cert->deploy[0] == NULL)
    {
      deploy_next (job);
      return;
    }

  records = gcert_store_load_deploy_records (self->store, job->cert->name, &error);
  if (records == NULL)
    g_warning ("%s: %s", job->cert->name, error->message);
  for (guint i = 0; job->cert->deploy[i] != NULL; i++)
    {
      GCertDeployRecord *record = records != NULL
        ? g_hash_table_lookup (records, job->cert->deploy[i]) : NULL;

      if (all || record == NULL || !record->success || record->version != version)
        g_ptr_array_add (job->targets, g_strdup (job->cert->deploy[i]));
    }
  if (job->targets->len == 0)
    {
      deploy_next (job);
      return;
    }

  job->deploy_total = job->targets->len;
  live = gcert_store_load_live (self->store, job->cert->name, NULL);
  if (live != NULL)
    not_after = gcert_certificate_get_not_after (live);
  dir = gcert_store_get_version_dir (self->store, job->cert->name, version);
  job->result->deploy_attempted = TRUE;
  {
    g_autofree char *key = g_build_filename (dir, "privkey.pem", NULL);
    g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
    g_autofree char *chain = g_build_filename (dir, "chain.pem", NULL);
    g_autofree char *fullchain = g_build_filename (dir, "fullchain.pem", NULL);
    GCertDeployment deployment = {
      .name = job->cert->name,
      .target = NULL,
      .domains = (const char * const *) job->cert->domains,
      .version = version,
      .key_path = key,
      .cert_path = cert,
      .chain_path = chain,
      .fullchain_path = fullchain,
      .not_after = not_after != NULL ? g_date_time_to_unix (not_after) : 0,
    };

    job->deployment = gcert_deployment_copy (&deployment);
  }
  deploy_next (job);
}

static void
job_account_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Job *job = user_data;
  GCertManager *self = job->manager;
  GError *error = NULL;
  GCertIssueParams params = { 0 };

  if (!gcert_manager_ensure_account_finish (self, result, &error))
    {
      job_done (job, error);
      return;
    }
  job_advance (job, JOB_ACCOUNT);
  /* a broken [dns] group fails before anything is ordered */
  if (gcert_dns_router_get_provider (self->router, job->cert->dns, &error) == NULL)
    {
      job_done (job, error);
      return;
    }
  params.client = self->client;
  params.router = self->router;
  params.dns = job->cert->dns;
  params.challenge_alias = job->cert->challenge_alias;
  params.domains = (const char * const *) job->cert->domains;
  params.key_type = job->cert->key_type;
  params.resolvers = gcert_config_get_resolvers (self->config);
  params.propagation_timeout = gcert_config_get_propagation_timeout (self->config);
  params.store = self->store;
  params.name = job->cert->name;
  params.progress = job_progress_cb;
  params.progress_data = job;
  params.step = job_step_cb;
  gcert_issue_async (&params, g_task_get_cancellable (job->run), issued_cb, job);
}

/* After failures, a renewal is retried with a doubling pause (1 h, 2 h, …
 * 12 h at most), unless less than half of renew-before is left, when every
 * run tries: the pause spares the CA, never the certificate. */
static gboolean
backing_off (const GCertCertificateConfig *cert,
             GCertCertificate             *live,
             const GCertRunRecord         *record,
             GDateTime                    *now)
{
  g_autoptr(GDateTime) not_before = gcert_certificate_get_not_before (live);
  g_autoptr(GDateTime) not_after = gcert_certificate_get_not_after (live);
  gint64 lifetime = g_date_time_difference (not_after, not_before) / G_TIME_SPAN_SECOND;
  gint64 left = g_date_time_difference (not_after, now) / G_TIME_SPAN_SECOND;
  gint64 renew_before = cert->renew_before > 0 ? cert->renew_before : lifetime / 3;
  gint64 pause = (gint64) 3600 << MIN (record->failures - 1, 4u);
  gint64 since = g_date_time_difference (now, record->last_attempt) / G_TIME_SPAN_SECOND;

  if (left < renew_before / 2)
    return FALSE;
  return since < MIN (pause, 12 * 3600);
}

/* A certificate is renewed up to a tenth of its renewal window early (at
 * most two days), by an amount fixed per name: the renewals of many
 * certificates issued together spread over several runs. */
static gboolean
spread_due (const GCertCertificateConfig *cert,
            GCertCertificate             *live,
            GDateTime                    *now)
{
  g_autoptr(GDateTime) due = gcert_renewal_due_time (live, cert->renew_before,
                                                     cert->renew_every);
  g_autoptr(GDateTime) not_after = gcert_certificate_get_not_after (live);
  gint64 window = g_date_time_difference (not_after, due) / G_TIME_SPAN_SECOND;
  gint64 spread = MIN (window / 10, 2 * 24 * 3600);
  gint64 early;

  if (spread <= 0)
    return FALSE;
  early = (gint64) (g_str_hash (cert->name) % 1000) * spread / 1000;
  return g_date_time_difference (due, now) / G_TIME_SPAN_SECOND <= early;
}

static void
job_start (Job *job)
{
  GCertManager *self = job->manager;
  RunData *data = g_task_get_task_data (job->run);
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GCertRunRecord) record = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *reason = NULL;
  GError *error = NULL;
  g_autoptr(GError) backoff_error = NULL;
  gboolean due;
  gboolean revoked;

  job->lock = gcert_store_lock (self->store, job->cert->name,
                                (data->flags & GCERT_RENEW_WAIT_LOCK) != 0, &error);
  if (job->lock == NULL)
    {
      /* the run holding the lock records its own outcome */
      job->result->attempted = TRUE;
      job->no_record = TRUE;
      job_done (job, error);
      return;
    }

  live = gcert_store_load_live (self->store, job->cert->name, NULL);
  record = gcert_store_load_run_record (self->store, job->cert->name, NULL);
  due = gcert_renewal_is_due (live, (const char * const *) job->cert->domains,
                              job->cert->key_type, job->cert->renew_before,
                              job->cert->renew_every, now, &reason);
  revoked = live_is_revoked (self, job->cert->name, live);
  if (revoked)
    {
      due = TRUE;
      g_free (reason);
      reason = g_strdup (_("revoked"));
    }
  if (!due && live != NULL && record != NULL && record->ca != NULL &&
      g_strcmp0 (record->ca, gcert_config_get_directory_url (self->config)) != 0)
    {
      due = TRUE;
      g_free (reason);
      reason = g_strdup (_("the CA changed"));
    }
  if (!due && (data->flags & GCERT_RENEW_FORCE))
    {
      due = TRUE;
      g_free (reason);
      reason = g_strdup (_("forced"));
    }
  /* a revoked certificate is as unusable as an expired one: no pause */
  if (due && !revoked && live != NULL && record != NULL && record->failures > 0 &&
      record->last_attempt != NULL && !(data->flags & GCERT_RENEW_FORCE) &&
      backing_off (job->cert, live, record, now))
    {
      due = FALSE;
      g_free (reason);
      reason = g_strdup_printf (_("the last %u attempts failed; the next one is due later"),
                                record->failures);
      /* still broken: the exit status and the notification say so */
      backoff_error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                                   _("renewal failing (%u attempts, the last: %s); waiting "
                                     "before the next attempt"),
                                   record->failures, record->error != NULL ? record->error : "?");
    }
  if (!due && live != NULL && backoff_error == NULL && !(data->flags & GCERT_RENEW_DEPLOY_ONLY) &&
      spread_due (job->cert, live, now))
    {
      due = TRUE;
      g_free (reason);
      reason = g_strdup (_("due soon; renewed early to spread the renewals"));
    }
  job->result->reason = g_steal_pointer (&reason);
  if (!due || (data->flags & GCERT_RENEW_DEPLOY_ONLY))
    {
      job->result->success = live != NULL || !(data->flags & GCERT_RENEW_DEPLOY_ONLY);
      job->result->version = gcert_store_get_live_version (self->store, job->cert->name);
      if (live != NULL)
        job->result->not_after = gcert_certificate_get_not_after (live);
      if (backoff_error != NULL)
        job->issue_error = g_steal_pointer (&backoff_error);
      job_advance (job, 1.0);
      if (live == NULL)
        {
          job_done (job, (data->flags & GCERT_RENEW_DEPLOY_ONLY)
                           ? g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                                          _("there is no live certificate to deploy"))
                           : NULL);
          return;
        }
      /* a deployment that failed earlier is retried until it succeeds */
      deploy_start (job, (data->flags & GCERT_RENEW_DEPLOY_ONLY) != 0);
      return;
    }

  job->result->attempted = TRUE;
  job_advance (job, JOB_DECIDED);
  gcert_manager_emit_progress (self, job->cert->name, job->result->reason);
  gcert_manager_ensure_account_async (self, g_task_get_cancellable (job->run), job_account_cb, job);
}

static void
notified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) run = user_data;
  RunData *data = g_task_get_task_data (run);
  GCertManager *self = g_task_get_source_object (run);
  g_autoptr(GError) error = NULL;

  if (!gcert_notify_send_finish (result, &error))
    {
      gcert_manager_emit_progress (self, "gcert", error->message);
      g_warning ("%s", error->message);
    }
  gcert_run_progress_end (&data->progress);
  g_task_return_pointer (run, g_ptr_array_ref (data->results),
                         (GDestroyNotify) g_ptr_array_unref);
}

/* The admin hears of failures and of certificates close to expiry. */
static void
run_notify (GTask *run)
{
  RunData *data = g_task_get_task_data (run);
  GCertManager *self = g_task_get_source_object (run);
  g_autofree char *summary = NULL;
  g_autofree char *subject = NULL;
  const char *event = NULL;

  if (gcert_config_get_notify (self->config) != NULL ||
      gcert_config_get_notify_mail (self->config) != NULL)
    summary = gcert_notify_summarize (self->config, data->results, &event, &subject);
  if (summary == NULL)
    {
      gcert_run_progress_end (&data->progress);
      g_task_return_pointer (run, g_ptr_array_ref (data->results),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (run);
      return;
    }
  gcert_manager_emit_progress (self, "gcert", subject);
  /* not cancellable: an interrupted run is news too */
  gcert_notify_send_async (self->config, event, subject, summary, NULL, notified_cb, run);
}

static const char *
challenge_base (const char *domain)
{
  return g_str_has_prefix (domain, "*.") ? domain + 2 : domain;
}

/* Certificates whose names share a challenge name (per-target ones, or
 * example.com next to *.example.com) are not validated at the same time:
 * their TXT values would pile up at one name, and a provider that can only
 * clear a name would pull one from under the other's validation. */
static gboolean
shares_challenge_name (GPtrArray                    *active,
                       const GCertCertificateConfig *cert)
{
  for (guint i = 0; i < active->len; i++)
    {
      const GCertCertificateConfig *other = g_ptr_array_index (active, i);

      for (guint a = 0; cert->domains[a] != NULL; a++)
        for (guint b = 0; other->domains[b] != NULL; b++)
          if (g_strcmp0 (challenge_base (cert->domains[a]),
                         challenge_base (other->domains[b])) == 0)
            return TRUE;
    }
  return FALSE;
}

static void
run_next (GTask *run)
{
  RunData *data = g_task_get_task_data (run);
  GCertManager *self = g_task_get_source_object (run);

  while (data->queue->len > 0 && data->running < MAX (self->jobs, 1))
    {
      Job *job = NULL;

      for (guint i = 0; i < data->queue->len && job == NULL; i++)
        {
          Job *candidate = g_ptr_array_index (data->queue, i);

          if (!shares_challenge_name (data->active, candidate->cert))
            job = g_ptr_array_steal_index (data->queue, i);
        }
      /* the rest waits for a certificate with the same names to finish */
      if (job == NULL)
        break;
      g_ptr_array_add (data->active, job->cert);
      data->running++;
      job_start (job);
    }
  if (data->queue->len == 0 && data->running == 0 && !data->returned)
    {
      data->returned = TRUE;
      run_notify (g_steal_pointer (&run));
      return;
    }
  g_object_unref (run);
}

/* "example.com" for "www.example.com": the last two labels. Without the
 * public suffix list this undercounts under suffixes such as co.uk, which
 * errs on the safe side of the CA's per-domain limit. */
static const char *
registered_domain (const char *domain)
{
  const char *last = strrchr (domain, '.');
  const char *p;

  if (last == NULL)
    return domain;
  for (p = last - 1; p > domain && *p != '.'; p--)
    ;
  return *p == '.' ? p + 1 : domain;
}

/* how many versions of @name were made in the last @seconds */
static guint
recent_versions (GCertManager *self,
                 const char   *name,
                 gint64        seconds)
{
  guint version = gcert_store_get_live_version (self->store, name);
  gint64 since = g_get_real_time () / G_USEC_PER_SEC - seconds;
  guint count = 0;

  for (guint v = version; v > 0; v--)
    {
      g_autofree char *dir = gcert_store_get_version_dir (self->store, name, v);
      GStatBuf st;

      if (g_stat (dir, &st) != 0 || st.st_mtime < since)
        break;
      count++;
    }
  return count;
}

static void
defer_job (GCertManager *self,
           RunData      *data,
           guint         index,
           const char   *reason)
{
  Job *job = g_ptr_array_index (data->queue, index);

  gcert_manager_emit_progress (self, job->cert->name, reason);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                    "GCERT_CERTIFICATE", job->cert->name,
                    "GCERT_CA", gcert_config_get_directory_url (self->config),
                    "GCERT_STEP", "deferred",
                    "MESSAGE", "%s: %s", job->cert->name, reason);
  job->result->success = TRUE;
  job->result->reason = g_strdup (reason);
  job->result->version = gcert_store_get_live_version (self->store, job->cert->name);
  g_ptr_array_remove_index (data->queue, index);
  gcert_run_progress_add (&data->progress, 1.0);
  job_free (job);
}

/* Keeps a batch under the CA's published limits: new certificates beyond
 * what a registered domain may get this week, renewals of a set of names
 * already issued too often, and orders beyond the 3-hour allowance wait for
 * a later run instead of failing halfway. */
static void
plan_limits (GCertManager *self,
             RunData      *data)
{
  const GCertCaLimits *limits = gcert_config_get_limits (self->config);
  g_autoptr(GHashTable) per_domain = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) known = gcert_store_list_certificates (self->store);
  guint orders = 0;
  gint64 week = 7 * 24 * 3600;

  if (limits->per_domain_per_week > 0)
    {
      /* certificates first issued this week count against their domain */
      for (guint i = 0; known[i] != NULL; i++)
        {
          GCertCertificateConfig *cert = gcert_config_lookup_certificate (self->config, known[i]);
          guint version = gcert_store_get_live_version (self->store, known[i]);

          if (cert == NULL || version == 0 || recent_versions (self, known[i], week) < version)
            continue;
          {
            const char *domain = registered_domain (cert->domains[0]);
            guint n = GPOINTER_TO_UINT (g_hash_table_lookup (per_domain, domain));

            g_hash_table_insert (per_domain, (gpointer) domain, GUINT_TO_POINTER (n + 1));
          }
        }
    }

  for (guint i = 0; i < data->queue->len;)
    {
      Job *job = g_ptr_array_index (data->queue, i);
      gboolean is_new = gcert_store_get_live_version (self->store, job->cert->name) == 0;
      const char *domain = registered_domain (job->cert->domains[0]);

      if (is_new && limits->per_domain_per_week > 0)
        {
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (per_domain, domain));

          if (n >= limits->per_domain_per_week)
            {
              g_autofree char *reason = NULL;

              reason = g_strdup_printf (_("deferred: the CA allows %u new certificates for %s "
                                          "per week and this run would exceed it; a later "
                                          "run issues it"),
                                        limits->per_domain_per_week, domain);
              defer_job (self, data, i, reason);
              continue;
            }
          g_hash_table_insert (per_domain, (gpointer) domain, GUINT_TO_POINTER (n + 1));
        }
      if (!is_new && limits->duplicates_per_week > 0 && (data->flags & GCERT_RENEW_FORCE) &&
          recent_versions (self, job->cert->name, week) >= limits->duplicates_per_week)
        {
          g_autofree char *reason = NULL;

          reason = g_strdup_printf (_("deferred: %u certificates for these names were issued "
                                      "this week, the most the CA allows"),
                                    limits->duplicates_per_week);
          defer_job (self, data, i, reason);
          continue;
        }
      if (limits->orders_per_3h > 0 && is_new && ++orders > limits->orders_per_3h)
        {
          g_autofree char *reason = NULL;

          reason = g_strdup_printf (_("deferred: the CA allows %u new orders per account in "
                                      "3 hours"), limits->orders_per_3h);
          defer_job (self, data, i, reason);
          continue;
        }
      i++;
    }
}

void
gcert_manager_renew_async (GCertManager        *self,
                           const char * const  *names,
                           GCertRenewFlags      flags,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) run = NULL;
  RunData *data;
  GPtrArray *certs;

  g_return_if_fail (GCERT_IS_MANAGER (self));

  run = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (run, gcert_manager_renew_async);
  /* a cancelled run still reports what each certificate came to */
  g_task_set_check_cancellable (run, FALSE);
  data = g_new0 (RunData, 1);
  data->flags = flags;
  data->queue = g_ptr_array_new ();
  data->active = g_ptr_array_new ();
  data->results = g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_renew_result_free);
  g_task_set_task_data (run, data, (GDestroyNotify) run_data_free);

  certs = gcert_config_get_certificates (self->config);
  if (names != NULL)
    {
      for (guint i = 0; names[i] != NULL; i++)
        {
          if (gcert_config_lookup_certificate (self->config, names[i]) == NULL)
            {
              g_task_return_new_error (run, GCERT_ERROR, GCERT_ERROR_CONFIG,
                                       _("%s: there is no [certificate %s]"),
                                       gcert_config_get_path (self->config), names[i]);
              return;
            }
        }
    }
  for (guint i = 0; i < certs->len; i++)
    {
      GCertCertificateConfig *cert = g_ptr_array_index (certs, i);
      Job *job;

      if (names != NULL && !g_strv_contains (names, cert->name))
        continue;
      job = g_new0 (Job, 1);
      job->manager = self;
      job->cert = cert;
      job->run = g_object_ref (run);
      job->result = g_new0 (GCertRenewResult, 1);
      job->result->name = g_strdup (cert->name);
      g_ptr_array_add (data->results, job->result);
      g_ptr_array_add (data->queue, job);
    }
  gcert_run_progress_start (&data->progress, self, data->queue->len);
  if (!(flags & GCERT_RENEW_DEPLOY_ONLY))
    plan_limits (self, data);
  run_next (g_steal_pointer (&run));
}

GPtrArray *
gcert_manager_renew_finish (GCertManager  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- status ------------------------------------------------------------------- */

GStrv
gcert_manager_list_names (GCertManager *self)
{
  GPtrArray *certs;
  g_auto(GStrv) stored = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (GCERT_IS_MANAGER (self), NULL);

  certs = gcert_config_get_certificates (self->config);
  stored = gcert_store_list_certificates (self->store);
  for (guint i = 0; i < certs->len; i++)
    {
      GCertCertificateConfig *cert = g_ptr_array_index (certs, i);

      if (g_hash_table_add (seen, cert->name))
        g_strv_builder_add (builder, cert->name);
    }
  for (guint i = 0; stored != NULL && stored[i] != NULL; i++)
    {
      if (g_hash_table_add (seen, stored[i]))
        g_strv_builder_add (builder, stored[i]);
    }
  return g_strv_builder_end (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          GDateTime   *time)
{
  json_builder_set_member_name (builder, member);
  if (time == NULL)
    json_builder_add_null_value (builder);
  else
    {
      g_autofree char *text = g_date_time_format_iso8601 (time);

      json_builder_add_string_value (builder, text);
    }
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

static void
add_strv (JsonBuilder        *builder,
          const char         *member,
          const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

/* "deploy": one object per target of the configuration (and any target
 * deployed to before): target, version, success, error, time; a target
 * never deployed to has version 0 */
static void
add_deployments (GCertManager                 *self,
                 JsonBuilder                  *builder,
                 const char                   *name,
                 const GCertCertificateConfig *cert)
{
  g_autoptr(GHashTable) records = gcert_store_load_deploy_records (self->store, name, NULL);
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();

  for (guint i = 0; cert != NULL && cert->deploy[i] != NULL; i++)
    g_ptr_array_add (targets, cert->deploy[i]);
  if (records != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, records);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_ptr_array_find_with_equal_func (targets, key, g_str_equal, NULL))
          g_ptr_array_add (targets, key);
    }

  json_builder_set_member_name (builder, "deploy");
  json_builder_begin_array (builder);
  for (guint i = 0; i < targets->len; i++)
    {
      const char *target = g_ptr_array_index (targets, i);
      GCertDeployRecord *record = records ? g_hash_table_lookup (records, target) : NULL;

      json_builder_begin_object (builder);
      add_string (builder, "target", target);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, record ? record->version : 0);
      json_builder_set_member_name (builder, "success");
      json_builder_add_boolean_value (builder, record ? record->success : FALSE);
      add_string (builder, "error", record ? record->error : NULL);
      add_time (builder, "time", record ? record->time : NULL);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

JsonNode *
gcert_manager_describe (GCertManager  *self,
                        const char    *name,
                        GError       **error)
{
  GCertCertificateConfig *cert;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GCertRunRecord) record = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) next_due = NULL;
  g_autoptr(GDateTime) not_before = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  g_autoptr(GDateTime) revoked = NULL;
  g_autofree char *live_dir = NULL;
  const char *status;
  guint revocation_reason = 0;

  g_return_val_if_fail (GCERT_IS_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  cert = gcert_config_lookup_certificate (self->config, name);
  live = gcert_store_load_live (self->store, name, NULL);
  record = gcert_store_load_run_record (self->store, name, NULL);
  if (cert == NULL && live == NULL && record == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   _("no certificate named “%s” in %s or %s"), name,
                   gcert_config_get_path (self->config), gcert_store_get_path (self->store));
      return NULL;
    }

  if (live != NULL)
    {
      next_due = gcert_renewal_due_time (live, cert ? cert->renew_before : 0,
                                         cert ? cert->renew_every : 0);
      not_before = gcert_certificate_get_not_before (live);
      not_after = gcert_certificate_get_not_after (live);
      if (gcert_store_get_revoked (self->store, name,
                                   gcert_store_get_live_version (self->store, name),
                                   &revoked, &revocation_reason, NULL))
        {
          /* due at once: the next renewal replaces it */
          g_clear_pointer (&next_due, g_date_time_unref);
          next_due = g_date_time_ref (revoked);
        }
    }
  if (live == NULL)
    status = record != NULL && !record->success ? "failed" : "missing";
  /* what is served matters more than how the last attempt went */
  else if (revoked != NULL)
    status = "revoked";
  else if (record != NULL && !record->success)
    status = "failed";
  else if (cert != NULL && gcert_renewal_is_due (live, (const char * const *) cert->domains,
                                                  cert->key_type, cert->renew_before,
                                                  cert->renew_every, now, NULL))
    status = "due";
  else if (not_after != NULL && g_date_time_compare (not_after, now) <= 0)
    status = "expired";
  else
    status = "valid";

  json_builder_begin_object (builder);
  add_string (builder, "name", name);
  add_string (builder, "status", status);
  if (cert != NULL)
    {
      add_strv (builder, "domains", (const char * const *) cert->domains);
      add_string (builder, "dns", cert->dns);
      add_string (builder, "key-type", gcert_key_type_to_string (cert->key_type));
    }
  else
    {
      add_strv (builder, "domains", NULL);
      add_string (builder, "dns", NULL);
      add_string (builder, "key-type", NULL);
    }
  live_dir = gcert_store_get_live_dir (self->store, name);
  if (live != NULL)
    {
      g_auto(GStrv) names = gcert_certificate_get_names (live);
      g_autofree char *serial = gcert_certificate_get_serial (live);
      g_autofree char *issuer = gcert_certificate_get_issuer (live);
      GCertKeyType key_type;
      GTimeSpan left = g_date_time_difference (not_after, now);
      g_autofree char *privkey = g_build_filename (live_dir, "privkey.pem", NULL);
      g_autofree char *certfile = g_build_filename (live_dir, "cert.pem", NULL);
      g_autofree char *chain = g_build_filename (live_dir, "chain.pem", NULL);
      g_autofree char *fullchain = g_build_filename (live_dir, "fullchain.pem", NULL);

      add_strv (builder, "names", (const char * const *) names);
      add_string (builder, "live-key-type",
                  gcert_certificate_get_key_type (live, &key_type)
                    ? gcert_key_type_to_string (key_type) : NULL);
      add_time (builder, "not-before", not_before);
      add_time (builder, "not-after", not_after);
      json_builder_set_member_name (builder, "days-left");
      json_builder_add_int_value (builder, left / G_TIME_SPAN_DAY);
      add_string (builder, "serial", serial);
      add_string (builder, "issuer", issuer);
      add_time (builder, "next-due", next_due);
      add_time (builder, "revoked", revoked);
      json_builder_set_member_name (builder, "revocation-reason");
      if (revoked != NULL)
        json_builder_add_int_value (builder, revocation_reason);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, gcert_store_get_live_version (self->store, name));
      add_string (builder, "live-dir", live_dir);
      json_builder_set_member_name (builder, "files");
      json_builder_begin_object (builder);
      add_string (builder, "privkey", privkey);
      add_string (builder, "cert", certfile);
      add_string (builder, "chain", chain);
      add_string (builder, "fullchain", fullchain);
      json_builder_end_object (builder);
    }
  else
    {
      add_time (builder, "not-after", NULL);
      add_time (builder, "next-due", now);
      add_string (builder, "live-dir", NULL);
    }
  add_time (builder, "last-attempt", record ? record->last_attempt : NULL);
  add_string (builder, "last-result",
              record == NULL ? NULL : record->success ? "success" : "failure");
  add_string (builder, "last-error", record ? record->error : NULL);
  json_builder_set_member_name (builder, "failures");
  json_builder_add_int_value (builder, record ? record->failures : 0);
  add_deployments (self, builder, name, cert);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
gcert_manager_set_jobs (GCertManager *self,
                        guint         jobs)
{
  g_return_if_fail (GCERT_IS_MANAGER (self));
  g_return_if_fail (jobs > 0);

  self->jobs = jobs;
}
