/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "gcert.h"
#include "gcert-authority.h"
#include "gcert-daemon.h"
#include "gcert-daemon-job.h"
#include "gcert-dbus-generated.h"
#include "gcert-dbus-util.h"

/* how long a finished job stays on the bus for its outcome to be read */
#define FINISHED_JOB_LINGER_SECONDS 300

struct _GCertDaemon
{
  GObject           parent_instance;

  GBusType          bus_type;
  char             *config_path;
  guint             idle_timeout;
  guint             polkit_timeout;
  gboolean          verbose;
  gboolean          replace;

  guint             owner_id;
  gboolean          name_acquired;
  GDBusConnection  *connection;
  GCertDBusManager *skeleton;
  GHashTable       *jobs;         /* path → GCertDaemonJob */
  guint             next_job;
  guint             pending;      /* calls being authorized or answered */
  guint             idle_id;
  gboolean          exiting;
  gboolean          quitting;
};

enum {
  SIGNAL_EXIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GCertDaemon, gcert_daemon, G_TYPE_OBJECT)

/* @data: what the method checked before authorization, or NULL */
typedef void (*AuthorizedFunc) (GCertDaemon           *self,
                                GDBusMethodInvocation *invocation,
                                gpointer               data);

/* --- idle exit ---------------------------------------------------------- */

static guint
count_running_jobs (GCertDaemon *self)
{
  GHashTableIter iter;
  gpointer job;
  guint running = 0;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    running += gcert_daemon_job_is_running (job) ? 1 : 0;
  return running;
}

static void
quit (GCertDaemon *self,
      int          status)
{
  if (self->quitting)
    return;
  self->quitting = TRUE;
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->owner_id != 0)
    {
      g_bus_unown_name (self->owner_id);
      self->owner_id = 0;
    }
  g_signal_emit (self, signals[SIGNAL_EXIT], 0, status);
}

static void schedule_idle_exit (GCertDaemon *self);

static gboolean
idle_cb (gpointer user_data)
{
  GCertDaemon *self = user_data;

  self->idle_id = 0;
  if (count_running_jobs (self) > 0 || self->pending > 0)
    {
      schedule_idle_exit (self);
      return G_SOURCE_REMOVE;
    }
  g_message (_("idle for %u s, exiting"), self->idle_timeout);
  quit (self, 0);
  return G_SOURCE_REMOVE;
}

/* (Re)starts the idle countdown; it runs out only while nothing runs. */
static void
schedule_idle_exit (GCertDaemon *self)
{
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->idle_timeout == 0 || self->exiting)
    return;
  self->idle_id = g_timeout_add_seconds (self->idle_timeout, idle_cb, self);
}

static void
call_begin (GCertDaemon *self)
{
  self->pending++;
  schedule_idle_exit (self);
}

static void
call_end (GCertDaemon *self)
{
  g_return_if_fail (self->pending > 0);
  self->pending--;
  schedule_idle_exit (self);
}

/* --- helpers -------------------------------------------------------------- */

static void
return_error (GCertDaemon           *self,
              GDBusMethodInvocation *invocation,
              const GError          *error)
{
  g_debug ("%s: %s", g_dbus_method_invocation_get_method_name (invocation), error->message);
  g_dbus_method_invocation_return_gerror (invocation, error);
  call_end (self);
}

typedef struct {
  const char *key;
  const char *type;
} OptionSpec;

/* Every key of @options must be one of @specs, with its type. */
static gboolean
check_options (GVariant         *options,
               const OptionSpec *specs,
               const char       *method,
               GError          **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      const OptionSpec *spec = NULL;

      for (guint i = 0; specs[i].key != NULL && spec == NULL; i++)
        if (g_strcmp0 (specs[i].key, key) == 0)
          spec = &specs[i];
      if (spec == NULL)
        {
          g_autoptr(GString) known = g_string_new (NULL);

          for (guint i = 0; specs[i].key != NULL; i++)
            g_string_append_printf (known, "%s%s (%s)", i > 0 ? ", " : "", specs[i].key,
                                    specs[i].type);
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       _("%s: unknown option “%s” (known options: %s)"), method, key,
                       known->len > 0 ? known->str : _("none"));
          g_variant_unref (value);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (spec->type)))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       _("%s: option “%s” must be of type %s, not %s"), method, key,
                       spec->type, g_variant_get_type_string (value));
          g_variant_unref (value);
          return FALSE;
        }
    }
  return TRUE;
}

static GCertManager *
open_manager (GCertDaemon  *self,
              GCertConfig **out_config,
              GError      **error)
{
  g_autofree char *path = self->config_path ? g_strdup (self->config_path)
                                            : gcert_config_default_path ();
  g_autoptr(GCertConfig) config = gcert_config_load (path, error);
  g_autoptr(GCertManager) manager = NULL;
  const char *timeout = g_getenv ("GCERT_REQUEST_TIMEOUT");

  if (config == NULL)
    return NULL;
  manager = gcert_manager_new (config, error);
  if (manager == NULL)
    return NULL;
  gcert_manager_set_verbose (manager, self->verbose);
  if (timeout != NULL)
    gcert_manager_set_request_timeout (manager, (guint) g_ascii_strtoull (timeout, NULL, 10));
  if (out_config != NULL)
    *out_config = g_steal_pointer (&config);
  return g_steal_pointer (&manager);
}

/* --- jobs ------------------------------------------------------------------- */

static gboolean
forget_job_cb (gpointer user_data)
{
  GCertDaemonJob *job = user_data;
  GCertDaemon *self = g_object_get_data (G_OBJECT (job), "gcert-daemon");

  gcert_daemon_job_unexport (job);
  g_hash_table_remove (self->jobs, gcert_daemon_job_get_path (job));
  return G_SOURCE_REMOVE;
}

static void
job_finished_cb (GCertDaemonJob *job,
                 GCertDaemon    *self)
{
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, FINISHED_JOB_LINGER_SECONDS, forget_job_cb,
                              g_object_ref (job), g_object_unref);
  if (self->exiting && count_running_jobs (self) == 0)
    quit (self, 0);
  else
    schedule_idle_exit (self);
}

static void
certificate_renewed_cb (GCertManager *manager,
                        const char   *name,
                        guint         version,
                        GCertDaemon  *self)
{
  g_autoptr(JsonNode) described = gcert_manager_describe (manager, name, NULL);
  GVariantBuilder info;

  g_variant_builder_init (&info, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&info, "{sv}", "version", g_variant_new_uint32 (version));
  if (described != NULL)
    {
      g_autoptr(GVariant) all = g_variant_ref_sink (gcert_dbus_json_to_vardict (described));
      const char *keys[] = { "not-after", "live-dir", "files", "names" };

      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          g_autoptr(GVariant) value = g_variant_lookup_value (all, keys[i], NULL);

          if (value != NULL)
            g_variant_builder_add (&info, "{sv}", keys[i], value);
        }
    }
  gcert_dbus_manager_emit_certificate_renewed (self->skeleton, name,
                                               g_variant_builder_end (&info));
}

/* Exports a job for @manager and answers @invocation with its path. */
static GCertDaemonJob *
start_job (GCertDaemon           *self,
           GDBusMethodInvocation *invocation,
           const char            *kind,
           GCertManager          *manager)
{
  g_autoptr(GCertDaemonJob) job = gcert_daemon_job_new (kind,
                                                        g_dbus_method_invocation_get_sender (invocation),
                                                        manager);
  g_autofree char *path = g_strdup_printf ("%s/%u", GCERT_DBUS_JOB_PATH, ++self->next_job);
  g_autoptr(GError) error = NULL;

  if (!gcert_daemon_job_export (job, self->connection, path, &error))
    {
      return_error (self, invocation, error);
      return NULL;
    }
  g_object_set_data (G_OBJECT (job), "gcert-daemon", self);
  g_signal_connect (job, "finished", G_CALLBACK (job_finished_cb), self);
  g_signal_connect (manager, "certificate-renewed", G_CALLBACK (certificate_renewed_cb), self);
  g_hash_table_insert (self->jobs, g_strdup (path), g_object_ref (job));
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
  call_end (self);
  return job;
}

/* --- authorization ---------------------------------------------------------- */

typedef struct {
  GCertDaemon           *daemon;
  GDBusMethodInvocation *invocation;
  AuthorizedFunc         func;
  gpointer               data;
  GDestroyNotify         destroy;
} Authorization;

static void
authorized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Authorization *auth = user_data;
  g_autoptr(GError) error = NULL;

  if (gcert_authority_check_finish (result, &error))
    auth->func (auth->daemon, auth->invocation, auth->data);
  else
    {
      g_message (_("%s from %s refused: %s"),
                 g_dbus_method_invocation_get_method_name (auth->invocation),
                 g_dbus_method_invocation_get_sender (auth->invocation), error->message);
      return_error (auth->daemon, auth->invocation, error);
    }
  if (auth->destroy != NULL && auth->data != NULL)
    auth->destroy (auth->data);
  g_object_unref (auth->invocation);
  g_object_unref (auth->daemon);
  g_free (auth);
}

/* Runs @func once the caller may do @action_id: on the session bus the bus
 * itself admits only its user; on the system bus polkit decides. */
static void
authorize (GCertDaemon           *self,
           GDBusMethodInvocation *invocation,
           const char            *action_id,
           AuthorizedFunc         func,
           gpointer               data,
           GDestroyNotify         destroy)
{
  Authorization *auth;

  if (self->bus_type == G_BUS_TYPE_SESSION)
    {
      func (self, invocation, data);
      if (destroy != NULL && data != NULL)
        destroy (data);
      return;
    }
  auth = g_new0 (Authorization, 1);
  auth->daemon = g_object_ref (self);
  auth->invocation = g_object_ref (invocation);
  auth->func = func;
  auth->data = data;
  auth->destroy = destroy;
  gcert_authority_check_async (invocation, action_id, self->polkit_timeout, authorized_cb, auth);
}

/* --- reading ---------------------------------------------------------------- */

static gboolean
handle_list_certificates (GCertDBusManager      *skeleton,
                          GDBusMethodInvocation *invocation,
                          GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_auto(GStrv) names = NULL;
  GVariantBuilder builder;

  call_begin (self);
  manager = open_manager (self, NULL, &error);
  if (manager == NULL)
    {
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  names = gcert_manager_list_names (manager);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sa{sv}}"));
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(JsonNode) described = gcert_manager_describe (manager, names[i], &error);

      if (described == NULL)
        {
          g_variant_builder_clear (&builder);
          return_error (self, invocation, error);
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
      g_variant_builder_add (&builder, "{s@a{sv}}", names[i],
                             gcert_dbus_json_to_vardict (described));
    }
  gcert_dbus_manager_complete_list_certificates (skeleton, invocation,
                                                 g_variant_builder_end (&builder));
  call_end (self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_certificate (GCertDBusManager      *skeleton,
                        GDBusMethodInvocation *invocation,
                        const char            *name,
                        GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_autoptr(JsonNode) described = NULL;

  call_begin (self);
  manager = open_manager (self, NULL, &error);
  if (manager != NULL)
    described = gcert_manager_describe (manager, name, &error);
  if (described == NULL)
    {
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  gcert_dbus_manager_complete_get_certificate (skeleton, invocation,
                                               gcert_dbus_json_to_vardict (described));
  call_end (self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- renew ------------------------------------------------------------------- */

static const OptionSpec renew_options[] = {
  { "force", "b" },
  { "wait", "b" },
  { NULL, NULL }
};

static const OptionSpec renew_due_options[] = {
  { "force", "b" },
  { "wait", "b" },
  { "jobs", "u" },
  { "names", "as" },
  { NULL, NULL }
};

static GCertRenewFlags
renew_flags (GVariant *options)
{
  GCertRenewFlags flags = GCERT_RENEW_FLAGS_NONE;
  gboolean value = FALSE;

  if (g_variant_lookup (options, "force", "b", &value) && value)
    flags |= GCERT_RENEW_FORCE;
  if (g_variant_lookup (options, "wait", "b", &value) && value)
    flags |= GCERT_RENEW_WAIT_LOCK;
  return flags;
}

static void
renew_authorized (GCertDaemon           *self,
                  GDBusMethodInvocation *invocation,
                  gpointer               data)
{
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  const char *name = NULL;
  const char *names[2] = { NULL, NULL };
  GCertDaemonJob *job;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s@a{sv})",
                 &name, &options);
  manager = open_manager (self, &config, &error);
  if (manager == NULL)
    {
      return_error (self, invocation, error);
      return;
    }
  if (gcert_config_lookup_certificate (config, name) == NULL)
    {
      g_set_error (&error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   _("there is no [certificate %s] in %s"), name, gcert_config_get_path (config));
      return_error (self, invocation, error);
      return;
    }
  job = start_job (self, invocation, "renew", manager);
  if (job == NULL)
    return;
  names[0] = name;
  gcert_daemon_job_start_renew (job, names, renew_flags (options));
}

static gboolean
handle_renew (GCertDBusManager      *skeleton,
              GDBusMethodInvocation *invocation,
              const char            *name,
              GVariant              *options,
              GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;

  call_begin (self);
  if (!check_options (options, renew_options, "Renew", &error) ||
      !gcert_name_validate (name, &error))
    {
      if (error->domain != G_DBUS_ERROR)
        {
          g_autofree char *message = g_strdup_printf (_("Renew: %s"), error->message);

          g_clear_error (&error);
          g_set_error_literal (&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, message);
        }
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, GCERT_ACTION_RENEW, renew_authorized, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
renew_due_authorized (GCertDaemon           *self,
                      GDBusMethodInvocation *invocation,
                      gpointer               data)
{
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_autofree const char **names = NULL;
  GCertDaemonJob *job;
  guint32 jobs = 0;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(@a{sv})", &options);
  manager = open_manager (self, NULL, &error);
  if (manager == NULL)
    {
      return_error (self, invocation, error);
      return;
    }
  if (g_variant_lookup (options, "jobs", "u", &jobs) && jobs > 0)
    gcert_manager_set_jobs (manager, MIN (jobs, 256u));
  /* unknown names fail the job as they fail "gcertctl renew NAME" */
  g_variant_lookup (options, "names", "^a&s", &names);
  job = start_job (self, invocation, "renew-due", manager);
  if (job != NULL)
    gcert_daemon_job_start_renew (job, names != NULL && names[0] != NULL ? names : NULL,
                                  renew_flags (options));
}

static gboolean
handle_renew_due (GCertDBusManager      *skeleton,
                  GDBusMethodInvocation *invocation,
                  GVariant              *options,
                  GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;

  call_begin (self);
  if (!check_options (options, renew_due_options, "RenewDue", &error))
    {
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, GCERT_ACTION_RENEW, renew_due_authorized, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- issue ------------------------------------------------------------------- */

static const OptionSpec issue_options[] = {
  { "dns", "s" },
  { "name", "s" },
  { "key-type", "s" },
  { "force", "b" },
  { NULL, NULL }
};

/* An Issue call, checked before authorization. */
typedef struct {
  GStrv         domains;   /* validated, lowercase */
  char         *name;      /* the name it is stored under */
  char         *dns;
  char         *key_type;  /* nullable: the configuration's default */
  gboolean      force;
} IssueRequest;

static void
issue_request_free (IssueRequest *request)
{
  g_strfreev (request->domains);
  g_free (request->name);
  g_free (request->dns);
  g_free (request->key_type);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IssueRequest, issue_request_free)

static IssueRequest *
check_issue (GVariant  *parameters,
             GError   **error)
{
  g_autoptr(IssueRequest) request = g_new0 (IssueRequest, 1);
  g_autoptr(GVariant) options = NULL;
  g_autofree const char **domains = NULL;
  g_autoptr(GStrvBuilder) normalized = g_strv_builder_new ();
  g_autoptr(GError) local_error = NULL;
  const char *name = NULL;
  GCertKeyType type;

  g_variant_get (parameters, "(^a&s@a{sv})", &domains, &options);
  if (!check_options (options, issue_options, "Issue", error))
    return NULL;
  if (domains[0] == NULL)
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           _("Issue: malformed domain list: the list is empty"));
      return NULL;
    }
  /* before anything costs more than a glance at the message */
  if (g_strv_length ((char **) domains) > GCERT_CONFIG_MAX_DOMAINS)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   _("Issue: malformed domain list: %u names, at most %u"),
                   g_strv_length ((char **) domains), GCERT_CONFIG_MAX_DOMAINS);
      return NULL;
    }
  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autofree char *domain = NULL;

      if (!gcert_domain_validate (domains[i], &domain, &local_error))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       _("Issue: malformed domain list: %s"), local_error->message);
          return NULL;
        }
      g_strv_builder_add (normalized, domain);
    }
  if (!g_variant_lookup (options, "dns", "s", &request->dns))
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           _("Issue: the option “dns” (the [dns PROVIDER] group to use) is "
                             "needed"));
      return NULL;
    }
  if (g_variant_lookup (options, "key-type", "s", &request->key_type) &&
      !gcert_key_type_from_string (request->key_type, &type))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   _("Issue: unknown key type “%s” (ec-256, ec-384, rsa-2048, rsa-3072, "
                     "rsa-4096)"), request->key_type);
      return NULL;
    }
  g_variant_lookup (options, "force", "b", &request->force);
  request->domains = g_strv_builder_end (normalized);
  if (g_variant_lookup (options, "name", "&s", &name))
    request->name = g_strdup (name);
  else
    request->name = g_strdup (g_str_has_prefix (request->domains[0], "*.")
                              ? request->domains[0] + 2 : request->domains[0]);
  if (!gcert_name_validate (request->name, &local_error))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, _("Issue: %s"),
                   local_error->message);
      return NULL;
    }
  return g_steal_pointer (&request);
}

static void
issue_authorized (GCertDaemon           *self,
                  GDBusMethodInvocation *invocation,
                  gpointer               data)
{
  IssueRequest *request = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  const char *names[2] = { NULL, NULL };
  GCertKeyType key_type = GCERT_KEY_TYPE_DEFAULT;
  GCertDaemonJob *job;

  if (request->key_type != NULL)
    gcert_key_type_from_string (request->key_type, &key_type);
  manager = open_manager (self, &config, &error);
  if (manager == NULL)
    {
      return_error (self, invocation, error);
      return;
    }
  if (gcert_config_lookup_certificate (config, request->name) != NULL)
    {
      g_set_error (&error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("%s already has a [certificate %s]; call Renew, or give another “name”"),
                   gcert_config_get_path (config), request->name);
      return_error (self, invocation, error);
      return;
    }
  if (gcert_config_add_certificate (config, request->name,
                                    (const char * const *) request->domains, request->dns,
                                    request->key_type ? (int) key_type : -1, &error) == NULL)
    {
      return_error (self, invocation, error);
      return;
    }
  job = start_job (self, invocation, "issue", manager);
  if (job == NULL)
    return;
  names[0] = request->name;
  gcert_daemon_job_start_renew (job, names,
                                request->force ? GCERT_RENEW_FORCE : GCERT_RENEW_FLAGS_NONE);
}

static gboolean
handle_issue (GCertDBusManager      *skeleton,
              GDBusMethodInvocation *invocation,
              const char * const    *domains,
              GVariant              *options,
              GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;
  IssueRequest *request;

  call_begin (self);
  request = check_issue (g_dbus_method_invocation_get_parameters (invocation), &error);
  if (request == NULL)
    {
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, GCERT_ACTION_ISSUE, issue_authorized, request,
             (GDestroyNotify) issue_request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- revoke ------------------------------------------------------------------ */

static const OptionSpec revoke_options[] = {
  { "reason", "u" },
  { NULL, NULL }
};

static void
revoke_authorized (GCertDaemon           *self,
                   GDBusMethodInvocation *invocation,
                   gpointer               data)
{
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  const char *name = NULL;
  guint32 reason = 0;
  GCertDaemonJob *job;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s@a{sv})",
                 &name, &options);
  g_variant_lookup (options, "reason", "u", &reason);
  manager = open_manager (self, NULL, &error);
  if (manager == NULL)
    {
      return_error (self, invocation, error);
      return;
    }
  if (gcert_store_get_live_version (gcert_manager_get_store (manager), name) == 0)
    {
      g_set_error (&error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   _("certificate “%s” has no live version to revoke"), name);
      return_error (self, invocation, error);
      return;
    }
  job = start_job (self, invocation, "revoke", manager);
  if (job != NULL)
    gcert_daemon_job_start_revoke (job, name, reason);
}

static gboolean
handle_revoke (GCertDBusManager      *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *name,
               GVariant              *options,
               GCertDaemon           *self)
{
  g_autoptr(GError) error = NULL;
  guint32 reason = 0;

  call_begin (self);
  if (!check_options (options, revoke_options, "Revoke", &error))
    {
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (g_variant_lookup (options, "reason", "u", &reason) &&
      reason != 0 && reason != 1 && reason != 3 && reason != 4 && reason != 5)
    {
      g_set_error (&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   _("Revoke: unsupported reason %u (0 unspecified, 1 keyCompromise, "
                     "3 affiliationChanged, 4 superseded, 5 cessationOfOperation)"), reason);
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!gcert_name_validate (name, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Revoke: %s"), error->message);

      g_clear_error (&error);
      g_set_error_literal (&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, message);
      return_error (self, invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, GCERT_ACTION_REVOKE, revoke_authorized, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- the bus name --------------------------------------------------------------- */

static void
bus_acquired_cb (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  GCertDaemon *self = user_data;
  g_autoptr(GError) error = NULL;

  self->connection = g_object_ref (connection);
  /* a signal or two may be lost on the way out, but the daemon must not be
   * killed by a vanished bus while a renewal runs */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                         connection, GCERT_DBUS_PATH, &error))
    {
      g_warning (_("cannot export %s: %s"), GCERT_DBUS_PATH, error->message);
      quit (self, 1);
    }
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  GCertDaemon *self = user_data;

  self->name_acquired = TRUE;
  g_message (_("gcertd %s owns %s on the %s bus"), PACKAGE_VERSION, name,
             self->bus_type == G_BUS_TYPE_SESSION ? "session" : "system");
  schedule_idle_exit (self);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  GCertDaemon *self = user_data;

  if (connection == NULL)
    g_warning (_("cannot connect to the %s bus"),
               self->bus_type == G_BUS_TYPE_SESSION ? "session" : "system");
  else if (!self->name_acquired)
    g_warning (_("cannot own %s: another gcertd has it, or the bus policy "
                 "(org.gcert.Gcert1.conf) does not allow this user to own it"), name);
  else
    g_message (_("lost %s to another owner"), name);
  /* running jobs finish first: a renewal is never abandoned halfway */
  self->exiting = TRUE;
  if (count_running_jobs (self) == 0)
    quit (self, self->name_acquired ? 0 : 1);
}

void
gcert_daemon_start (GCertDaemon *self)
{
  GBusNameOwnerFlags flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT;

  g_return_if_fail (GCERT_IS_DAEMON (self));

  if (self->replace)
    flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  self->owner_id = g_bus_own_name (self->bus_type, GCERT_DBUS_NAME, flags,
                                   bus_acquired_cb, name_acquired_cb, name_lost_cb,
                                   self, NULL);
}

/* --- object ------------------------------------------------------------------- */

static void
gcert_daemon_dispose (GObject *object)
{
  GCertDaemon *self = GCERT_DAEMON (object);

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->owner_id != 0)
    {
      g_bus_unown_name (self->owner_id);
      self->owner_id = 0;
    }
  if (self->skeleton != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->skeleton, self);
      if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)))
        g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
    }
  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_object (&self->skeleton);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (gcert_daemon_parent_class)->dispose (object);
}

static void
gcert_daemon_finalize (GObject *object)
{
  GCertDaemon *self = GCERT_DAEMON (object);

  g_free (self->config_path);
  G_OBJECT_CLASS (gcert_daemon_parent_class)->finalize (object);
}

static void
gcert_daemon_class_init (GCertDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gcert_daemon_dispose;
  object_class->finalize = gcert_daemon_finalize;

  signals[SIGNAL_EXIT] =
    g_signal_new ("exit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
gcert_daemon_init (GCertDaemon *self)
{
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->skeleton = gcert_dbus_manager_skeleton_new ();
  gcert_dbus_manager_set_version (self->skeleton, PACKAGE_VERSION);
  g_signal_connect (self->skeleton, "handle-list-certificates",
                    G_CALLBACK (handle_list_certificates), self);
  g_signal_connect (self->skeleton, "handle-get-certificate",
                    G_CALLBACK (handle_get_certificate), self);
  g_signal_connect (self->skeleton, "handle-renew", G_CALLBACK (handle_renew), self);
  g_signal_connect (self->skeleton, "handle-renew-due", G_CALLBACK (handle_renew_due), self);
  g_signal_connect (self->skeleton, "handle-issue", G_CALLBACK (handle_issue), self);
  g_signal_connect (self->skeleton, "handle-revoke", G_CALLBACK (handle_revoke), self);
}

GCertDaemon *
gcert_daemon_new (const GCertDaemonOptions *options)
{
  GCertDaemon *self;

  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (GCERT_TYPE_DAEMON, NULL);
  self->bus_type = options->bus_type;
  self->config_path = g_strdup (options->config_path);
  self->idle_timeout = options->idle_timeout;
  self->polkit_timeout = options->polkit_timeout;
  self->verbose = options->verbose;
  self->replace = options->replace;
  return self;
}

/* Cancels every running job (they remove their TXT records) and exits once
 * they have ended. */
void
gcert_daemon_stop (GCertDaemon *self)
{
  GHashTableIter iter;
  gpointer job;

  g_return_if_fail (GCERT_IS_DAEMON (self));

  self->exiting = TRUE;
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    gcert_daemon_job_cancel (job);
  if (count_running_jobs (self) == 0)
    quit (self, 0);
}
