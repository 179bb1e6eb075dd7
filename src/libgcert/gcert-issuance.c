/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-certificate.h"
#include "gcert-csr.h"
#include "gcert-error.h"
#include "gcert-issuance.h"
#include "gcert-jose.h"
#include "gcert-json-private.h"
#include "gcert-order.h"

/* One issuance: order → authorizations → TXT records → propagation →
 * challenges → validation → cleanup → key + CSR → finalize → certificate.
 * Authorizations are worked on in parallel; the TXT records are always
 * removed again, also when validation fails or the run is cancelled. */

#define MAX_FINALIZE_ATTEMPTS   4
#define MAX_RESPOND_ATTEMPTS    4
#define MAX_DOWNLOAD_ATTEMPTS   4
#define MAX_POLL_DELAY_MS       5000
#define MAX_POLL_RETRY_AFTER_S  30
#define DEFAULT_VALIDATION_TIMEOUT 300

/* the fractions of gcert-issuance.h */
#define STEP_ORDERED     0.15
#define STEP_RECORDS     0.30
#define STEP_PROPAGATED  0.50
#define STEP_VALIDATED   0.70
#define STEP_FINALIZED   0.85
#define STEP_DOWNLOADED  1.0

typedef struct {
  char     *identifier;     /* "example.com", or "*.example.com" for a wildcard */
  gboolean  wildcard;
  char     *authz_url;
  char     *challenge_url;
  char     *fqdn;           /* "_acme-challenge.example.com.", or where it leads */
  char     *value;
  char     *dns;            /* the [dns] group that writes the record */
  GCertDnsProvider *provider;
  gboolean  created;
  guint     respond_attempts;
  guint     polls;
} AuthzWork;

static void
authz_work_free (AuthzWork *work)
{
  g_free (work->identifier);
  g_free (work->authz_url);
  g_free (work->challenge_url);
  g_free (work->fqdn);
  g_free (work->value);
  g_free (work->dns);
  g_clear_object (&work->provider);
  g_free (work);
}

typedef struct {
  GCertAcmeClient   *client;
  GCertDnsRouter    *router;
  char              *dns;
  char              *alias;
  GStrv              domains;
  GCertKeyType       key_type;
  GStrv              resolvers;
  guint              propagation_timeout;
  guint              validation_timeout;
  GCertStore        *store;
  char              *name;
  GCertProgressFunc  progress;
  gpointer           progress_data;
  GCertIssueStepFunc step;
  double             fraction;
  guint              propagated;   /* records seen everywhere */

  char              *order_url;
  GCertOrder        *order;
  GPtrArray         *work;
  guint              outstanding;
  GError            *step_error;   /* first error of a parallel step */
  GError            *failure;      /* held while the records are cleaned up */
  gboolean           cleaned;
  gboolean           order_invalid;  /* the authorizations are asked why */
  gboolean           authz_checked;  /* validated through the authorizations */

  GStrv              stale;        /* DNS, FQDN, VALUE triples left by a killed run */
  guint              stale_next;
  GPtrArray         *stale_left;   /* triples whose removal failed again */

  GCertKey          *cert_key;
  char              *chain_pem;
  guint              finalize_attempts;
  guint              order_polls;
  guint              download_attempts;
  gint64             validation_started;
} IssueData;

static void
issue_data_free (IssueData *data)
{
  g_clear_object (&data->client);
  g_clear_object (&data->router);
  g_free (data->dns);
  g_free (data->alias);
  g_strfreev (data->domains);
  g_strfreev (data->resolvers);
  g_clear_object (&data->store);
  g_free (data->name);
  g_free (data->order_url);
  g_clear_object (&data->order);
  g_clear_pointer (&data->work, g_ptr_array_unref);
  g_clear_error (&data->step_error);
  g_clear_error (&data->failure);
  g_strfreev (data->stale);
  g_clear_pointer (&data->stale_left, g_ptr_array_unref);
  g_clear_object (&data->cert_key);
  g_free (data->chain_pem);
  g_free (data);
}

/* A callback's view of one authorization being worked on. */
typedef struct {
  GTask     *task;
  AuthzWork *work;
} WorkCall;

static WorkCall *
work_call_new (GTask     *task,
               AuthzWork *work)
{
  WorkCall *call = g_new0 (WorkCall, 1);

  call->task = g_object_ref (task);
  call->work = work;
  return call;
}

static void
progress (GTask      *task,
          const char *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
progress (GTask      *task,
          const char *format,
          ...)
{
  IssueData *data = g_task_get_task_data (task);
  g_autofree char *message = NULL;
  va_list args;

  if (data->progress == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  data->progress (message, data->progress_data);
}

static void
advance (GTask  *task,
         double  fraction)
{
  IssueData *data = g_task_get_task_data (task);

  if (fraction <= data->fraction)
    return;
  data->fraction = MIN (fraction, 1.0);
  if (data->step != NULL)
    data->step (data->fraction, data->progress_data);
}

/* Parallel steps: each branch reports here; the last one gets TRUE and
 * carries on. The first error wins. */
static gboolean
join_branch (IssueData *data,
             GError    *error)
{
  if (error != NULL)
    {
      if (data->step_error == NULL)
        data->step_error = error;
      else
        g_error_free (error);
    }
  g_assert (data->outstanding > 0);
  return --data->outstanding == 0;
}

static void fail (GTask *task, GError *error);

/* join_branch() for a branch that holds *@task: TRUE for the last branch
 * of a step that went well; when the step failed, the last branch fails
 * the run with the first error, taking *@task. */
static gboolean
join_step (GTask  **task,
           GError  *error)
{
  IssueData *data = g_task_get_task_data (*task);

  if (!join_branch (data, error))
    return FALSE;
  if (data->step_error != NULL)
    {
      fail (g_steal_pointer (task), g_steal_pointer (&data->step_error));
      return FALSE;
    }
  return TRUE;
}

static void cleanup_records (GTask *task);
static void new_order (GTask *task);
static void fetch_authorizations (GTask *task);
static void generate_key (GTask *task);
static void finalize_order (GTask *task);
static void poll_order (GTask *task, guint delay_ms);
static void download_certificate (GTask *task);

/* Fails the issuance, after removing what we created in the DNS. */
static void
fail (GTask  *task,
      GError *error)
{
  IssueData *data = g_task_get_task_data (task);

  if (data->failure == NULL)
    data->failure = error;
  else
    g_error_free (error);
  if (!data->cleaned)
    {
      cleanup_records (task);
      return;
    }
  g_task_return_error (task, g_steal_pointer (&data->failure));
  g_object_unref (task);
}

static char *
payload_from_builder (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static guint
poll_delay_ms (guint               polls,
               GCertAcmeResponse  *response)
{
  const char *retry_after = NULL;
  guint delay;

  if (response != NULL)
    retry_after = soup_message_headers_get_one (response->headers, "Retry-After");
  if (retry_after != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      gint64 seconds = gcert_retry_parse_retry_after (retry_after, now);

      if (seconds >= 0)
        return (guint) MIN (seconds, MAX_POLL_RETRY_AFTER_S) * 1000 + 50;
    }
  /* short at first (validation is usually quick), then growing */
  delay = 125u << MIN (polls, 6u);
  return MIN (delay, MAX_POLL_DELAY_MS);
}

static gboolean
validation_timed_out (IssueData *data)
{
  return g_get_monotonic_time () - data->validation_started >
         (gint64) data->validation_timeout * G_TIME_SPAN_SECOND;
}

/* --- the journal of TXT records -------------------------------------------- */

/* Writes what exists (or may exist) in the DNS because of us: the records
 * of this run still marked created, plus those a killed run left behind
 * that we could not remove. */
static void
write_journal (IssueData *data,
               gboolean   planned)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  if (data->store == NULL || data->name == NULL)
    return;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      if (!planned && !work->created)
        continue;
      g_ptr_array_add (pairs, work->dns);
      g_ptr_array_add (pairs, work->fqdn);
      g_ptr_array_add (pairs, work->value);
    }
  for (guint i = 0; data->stale_left != NULL && i < data->stale_left->len; i++)
    g_ptr_array_add (pairs, g_ptr_array_index (data->stale_left, i));
  g_ptr_array_add (pairs, NULL);
  if (!gcert_store_set_records (data->store, data->name,
                                (const char * const *) pairs->pdata, &error))
    g_warning ("%s: %s", data->name, error->message);
}

/* --- resume an order killed after finalize -------------------------------- */

static gboolean
same_names (const char * const *a,
            const char * const *b)
{
  guint n = 0;

  for (; a[n] != NULL; n++)
    {
      if (!g_strv_contains (b, a[n]))
        return FALSE;
    }
  return g_strv_length ((GStrv) b) == n;
}

static void
forget_pending (IssueData *data)
{
  g_autoptr(GError) error = NULL;

  if (data->store != NULL && data->name != NULL &&
      !gcert_store_clear_pending (data->store, data->name, &error))
    g_warning ("%s: %s", data->name, error->message);
  g_clear_object (&data->cert_key);
  g_clear_pointer (&data->order_url, g_free);
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertOrder) order = NULL;
  g_autoptr(GError) error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    order = gcert_order_new_from_json (data->order_url, response->json, &error);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (order == NULL ||
      !same_names ((const char * const *) gcert_order_get_identifiers (order),
                   (const char * const *) data->domains))
    {
      forget_pending (data);
      new_order (g_steal_pointer (&task));
      return;
    }

  switch (gcert_order_get_status (order))
    {
    case GCERT_STATUS_VALID:
    case GCERT_STATUS_PROCESSING:
      progress (task, _("resuming the order finalized by an earlier run"));
      advance (task, STEP_FINALIZED);
      g_set_object (&data->order, order);
      data->validation_started = g_get_monotonic_time ();
      data->cleaned = TRUE;
      if (gcert_order_get_status (order) == GCERT_STATUS_VALID)
        download_certificate (g_steal_pointer (&task));
      else
        poll_order (g_steal_pointer (&task), 0);
      return;
    default:
      /* not finalized (or failed): its key was never used; start afresh */
      forget_pending (data);
      new_order (g_steal_pointer (&task));
      return;
    }
}

static void issue_continue (GTask *task);
static void remove_stale_next (GTask *task);

/* kept in the journal for the next run */
static void
stale_failed (GTask  *task,
              GError *error)
{
  IssueData *data = g_task_get_task_data (task);
  const char * const *entry = (const char * const *) data->stale + data->stale_next;

  progress (task, _("warning: removing TXT record %s left by an interrupted run failed: %s"),
            entry[1], error->message);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (data->stale_left, g_strdup (entry[i]));
}

static void
stale_removed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!gcert_dns_provider_remove_record_finish (GCERT_DNS_PROVIDER (source), result, &error))
    stale_failed (task, error);
  data->stale_next += 3;
  remove_stale_next (g_steal_pointer (&task));
}

static void
remove_stale_next (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  if (data->stale[data->stale_next] == NULL)
    {
      write_journal (data, FALSE);
      issue_continue (task);
      return;
    }
  {
    const char * const *entry = (const char * const *) data->stale + data->stale_next;
    g_autoptr(GError) error = NULL;
    GCertDnsProvider *provider;

    provider = gcert_dns_router_get_provider (data->router, entry[0], &error);
    if (provider == NULL)
      {
        stale_failed (task, error);
        data->stale_next += 3;
        remove_stale_next (task);
        return;
      }
    progress (task, _("removing TXT record %s left by an interrupted run"), entry[1]);
    gcert_dns_provider_remove_record_async (provider, entry[1], entry[2], NULL,
                                            stale_removed_cb, task);
  }
}

/* Records of a run that was killed come out first: stale values at a
 * name can crowd out the new ones (and a CA's validator). */
static void
issue_start (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (data->store != NULL && data->name != NULL)
    {
      data->stale = gcert_store_get_records (data->store, data->name, &error);
      if (data->stale == NULL)
        g_warning ("%s: %s", data->name, error->message);
    }
  if (data->stale != NULL && data->stale[0] != NULL && g_strv_length (data->stale) % 3 == 0)
    {
      remove_stale_next (task);
      return;
    }
  issue_continue (task);
}

static void
issue_continue (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  g_autoptr(GCertKey) key = NULL;

  if (data->store != NULL && data->name != NULL &&
      gcert_store_load_pending (data->store, data->name, &url, &key, NULL))
    {
      data->order_url = g_steal_pointer (&url);
      data->cert_key = g_steal_pointer (&key);
      gcert_acme_client_post_async (data->client, data->order_url, NULL,
                                    GCERT_ACME_REQUEST_NONE, g_task_get_cancellable (task),
                                    resume_cb, task);
      return;
    }
  new_order (task);
}

/* --- new order ------------------------------------------------------------ */

static void
new_order_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response == NULL)
    {
      g_prefix_error (&error, _("creating the order: "));
      fail (g_steal_pointer (&task), error);
      return;
    }
  if (response->location == NULL)
    {
      fail (g_steal_pointer (&task),
            g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                         _("the CA's new order has no Location")));
      return;
    }
  data->order_url = g_strdup (response->location);
  data->order = gcert_order_new_from_json (data->order_url, response->json, &error);
  if (data->order == NULL)
    {
      fail (g_steal_pointer (&task), error);
      return;
    }
  if (gcert_order_get_status (data->order) == GCERT_STATUS_INVALID)
    {
      fail (g_steal_pointer (&task),
            gcert_acme_problem_to_error (gcert_order_get_error (data->order),
                                         _("the new order is invalid")));
      return;
    }
  advance (task, STEP_ORDERED);
  fetch_authorizations (g_steal_pointer (&task));
}

static void
new_order (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  const GCertAcmeDirectory *dir = gcert_acme_client_get_directory (data->client);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *payload = NULL;
  g_autofree char *names = g_strjoinv (", ", data->domains);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "identifiers");
  json_builder_begin_array (builder);
  for (guint i = 0; data->domains[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "dns");
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, data->domains[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  payload = payload_from_builder (builder);

  progress (task, _("ordering a certificate for %s"), names);
  gcert_acme_client_post_async (data->client, dir->new_order, payload,
                                GCERT_ACME_REQUEST_NONE,
                                g_task_get_cancellable (task), new_order_cb, task);
}

/* --- authorizations ---------------------------------------------------------- */

typedef struct {
  GTask *task;
  char  *url;
} FetchCall;

static void create_records (GTask *task);
static void route_records (GTask *task);

static void
authz_fetched_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FetchCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  g_autofree char *url = call->url;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertAuthorization) authz = NULL;
  GError *error = NULL;

  g_free (call);
  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    authz = gcert_authorization_new_from_json (url, response->json, &error);

  if (authz != NULL)
    {
      GCertStatus status = gcert_authorization_get_status (authz);
      const char *ident = gcert_authorization_get_identifier (authz);
      GCertChallenge *challenge = gcert_authorization_find_challenge (authz, "dns-01");

      if (status == GCERT_STATUS_PENDING && challenge == NULL)
        error = g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                             _("%s: the CA offers no dns-01 challenge"), ident);
      else if (status == GCERT_STATUS_PENDING)
        {
          AuthzWork *work = g_new0 (AuthzWork, 1);

          work->wildcard = gcert_authorization_get_wildcard (authz);
          work->identifier = work->wildcard ? g_strconcat ("*.", ident, NULL) : g_strdup (ident);
          work->authz_url = g_strdup (url);
          work->challenge_url = g_strdup (gcert_challenge_get_url (challenge));
          work->fqdn = g_strdup_printf ("_acme-challenge.%s.", ident);
          work->value = gcert_jose_dns01_value (gcert_acme_client_get_account_key (data->client),
                                                gcert_challenge_get_token (challenge));
          g_ptr_array_add (data->work, work);
        }
      else if (status != GCERT_STATUS_VALID)
        {
          JsonNode *problem = challenge ? gcert_challenge_get_error (challenge) : NULL;

          if (problem != NULL)
            error = gcert_acme_problem_to_error (problem, ident);
          else
            error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                                 _("%s: the authorization is %s"), ident,
                                 gcert_status_to_string (status));
        }
    }

  if (!join_step (&task, error))
    return;
  route_records (g_steal_pointer (&task));
}

static void
fetch_authorizations (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  const char * const *urls = gcert_order_get_authorizations (data->order);
  guint n = g_strv_length ((GStrv) urls);

  if (n == 0)
    {
      fail (task, g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the CA's order has no authorizations")));
      return;
    }
  data->outstanding = n;
  for (guint i = 0; i < n; i++)
    {
      FetchCall *call = g_new0 (FetchCall, 1);

      call->task = g_object_ref (task);
      call->url = g_strdup (urls[i]);
      gcert_acme_client_post_async (data->client, urls[i], NULL, GCERT_ACME_REQUEST_NONE,
                                    g_task_get_cancellable (task), authz_fetched_cb, call);
    }
  g_object_unref (task);
}

/* --- where each record goes ------------------------------------------------------ */

static void
routed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertChallengeRoute) route = NULL;
  GError *error = NULL;

  g_free (call);
  route = gcert_dns_router_route_finish (GCERT_DNS_ROUTER (source), result, &error);
  if (route != NULL)
    {
      switch (route->status)
        {
        case GCERT_CHALLENGE_ROUTE_OK:
          break;
        case GCERT_CHALLENGE_ROUTE_UNKNOWN:
          progress (task, _("warning: %s: %s"), work->identifier, route->problem);
          break;
        case GCERT_CHALLENGE_ROUTE_ALIAS_MISSING:
        case GCERT_CHALLENGE_ROUTE_ALIAS_ELSEWHERE:
          error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED, "%s: %s", work->identifier,
                               route->problem);
          break;
        }
    }
  if (route != NULL && error == NULL)
    {
      work->provider = gcert_dns_router_get_provider (data->router, route->dns, &error);
      if (work->provider != NULL)
        {
          g_object_ref (work->provider);
          if (g_strcmp0 (route->fqdn, work->fqdn) != 0)
            progress (task, _("%s: %s leads to %s; the TXT record goes there through [dns %s]"),
                      work->identifier, work->fqdn, route->fqdn, route->dns);
          g_free (work->fqdn);
          work->fqdn = g_strdup (route->fqdn);
          work->dns = g_strdup (route->dns);
        }
    }

  if (!join_step (&task, error))
    return;
  create_records (g_steal_pointer (&task));
}

/* CNAMEs at the challenge names and challenge aliases decide where each
 * record is written, and through which provider. */
static void
route_records (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  if (data->work->len == 0)
    {
      create_records (task);
      return;
    }
  data->outstanding = data->work->len;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      gcert_dns_router_route_async (data->router, work->identifier, data->dns, data->alias,
                                    g_task_get_cancellable (task), routed_cb,
                                    work_call_new (task, work));
    }
  g_object_unref (task);
}

/* --- TXT records and propagation ------------------------------------------------ */

static void wait_propagation (GTask *task);
static void respond_challenges (GTask *task);

static void
record_created_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  GError *error = NULL;

  g_free (call);
  if (gcert_dns_provider_create_record_finish (GCERT_DNS_PROVIDER (source), result, &error))
    work->created = TRUE;
  else
    g_prefix_error (&error, _("%s: creating TXT record %s: "), work->identifier, work->fqdn);

  if (!join_step (&task, error))
    return;
  advance (task, STEP_RECORDS);
  wait_propagation (g_steal_pointer (&task));
}

static void
create_records (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  if (data->work->len == 0)
    {
      /* every authorization is valid already (reused): straight to finalize */
      data->cleaned = TRUE;
      advance (task, STEP_VALIDATED);
      generate_key (task);
      return;
    }
  /* journaled before they exist, so that a kill from here on is undone */
  write_journal (data, TRUE);
  data->outstanding = data->work->len;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      progress (task, _("%s: creating TXT record %s"), work->identifier, work->fqdn);
      gcert_dns_provider_create_record_async (work->provider, work->fqdn, work->value,
                                              g_task_get_cancellable (task),
                                              record_created_cb, work_call_new (task, work));
    }
  g_object_unref (task);
}

static void
propagation_progress_cb (const char *message,
                         gpointer    user_data)
{
  GTask *task = user_data;

  progress (task, "%s", message);
}

static void
propagated_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  IssueData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!gcert_dns_wait_for_txt_finish (result, &error))
    g_prefix_error (&error, "%s: ", call->work->identifier);
  else
    {
      data->propagated++;
      advance (task, STEP_RECORDS + (STEP_PROPAGATED - STEP_RECORDS) * data->propagated /
                                    data->work->len);
    }
  g_free (call);

  if (!join_step (&task, error))
    return;
  respond_challenges (g_steal_pointer (&task));
}

static void
wait_propagation (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  data->outstanding = data->work->len;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      gcert_dns_wait_for_txt_async (work->fqdn, work->value,
                                    (const char * const *) data->resolvers,
                                    data->propagation_timeout,
                                    propagation_progress_cb, task,
                                    g_task_get_cancellable (task),
                                    propagated_cb, work_call_new (task, work));
    }
  g_object_unref (task);
}

/* --- challenges and validation ------------------------------------------------------ */

static void respond_one (GTask *task, AuthzWork *work);
static void poll_authz (GTask *task, AuthzWork *work, guint delay_ms);
static void authz_done (GTask *task, GError *error);

static void
challenge_state_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertChallenge) challenge = NULL;
  GError *error = NULL;

  g_free (call);
  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    challenge = gcert_challenge_new_from_json (response->json, &error);
  if (challenge == NULL)
    {
      g_prefix_error (&error, _("%s: learning the challenge's state: "), work->identifier);
      authz_done (g_steal_pointer (&task), error);
      return;
    }
  /* still pending: our answer never arrived, so sending it again is safe */
  if (gcert_challenge_get_status (challenge) == GCERT_STATUS_PENDING)
    {
      respond_one (g_steal_pointer (&task), work);
      return;
    }
  poll_authz (g_steal_pointer (&task), work, 0);
}

static void
responded_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  g_free (call);
  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response == NULL && g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NETWORK) &&
      work->respond_attempts < MAX_RESPOND_ATTEMPTS)
    {
      /* the answer was lost: ask the CA what it made of our request */
      g_clear_error (&error);
      gcert_acme_client_post_async (data->client, work->challenge_url, NULL,
                                    GCERT_ACME_REQUEST_NONE, g_task_get_cancellable (task),
                                    challenge_state_cb, work_call_new (task, work));
      return;
    }
  if (response == NULL)
    {
      g_prefix_error (&error, _("%s: answering the challenge: "), work->identifier);
      authz_done (g_steal_pointer (&task), error);
      return;
    }
  /* answered: once every challenge is, the order tells when all are valid
   * (one request for all of them); a failure shows in the authorization */
  {
    g_autoptr(GCertChallenge) challenge = gcert_challenge_new_from_json (response->json, NULL);

    if (challenge != NULL && gcert_challenge_get_status (challenge) == GCERT_STATUS_INVALID)
      {
        poll_authz (g_steal_pointer (&task), work, 0);
        return;
      }
  }
  authz_done (g_steal_pointer (&task), NULL);
}

static void
respond_one (GTask     *task,
             AuthzWork *work)
{
  IssueData *data = g_task_get_task_data (task);

  work->respond_attempts++;
  gcert_acme_client_post_async (data->client, work->challenge_url, "{}",
                                GCERT_ACME_REQUEST_UNSAFE, g_task_get_cancellable (task),
                                responded_cb, work_call_new (task, work));
  g_object_unref (task);
}

static void
respond_challenges (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  data->validation_started = g_get_monotonic_time ();
  data->outstanding = data->work->len;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      progress (task, _("%s: asking the CA to validate"), work->identifier);
      respond_one (g_object_ref (task), work);
    }
  g_object_unref (task);
}

static void
authz_polled_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertAuthorization) authz = NULL;
  GError *error = NULL;
  GCertStatus status;

  g_free (call);
  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    authz = gcert_authorization_new_from_json (work->authz_url, response->json, &error);
  if (authz == NULL)
    {
      g_prefix_error (&error, "%s: ", work->identifier);
      authz_done (g_steal_pointer (&task), error);
      return;
    }

  status = gcert_authorization_get_status (authz);
  if (status == GCERT_STATUS_VALID)
    {
      progress (task, _("%s: validated"), work->identifier);
      authz_done (g_steal_pointer (&task), NULL);
      return;
    }
  if (status == GCERT_STATUS_PENDING)
    {
      if (validation_timed_out (data))
        {
          authz_done (g_steal_pointer (&task),
                      g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                                   _("%s: the CA did not validate within %u s"),
                                   work->identifier, data->validation_timeout));
          return;
        }
      work->polls++;
      poll_authz (g_steal_pointer (&task), work, poll_delay_ms (work->polls, response));
      return;
    }

  {
    GCertChallenge *challenge = gcert_authorization_find_challenge (authz, "dns-01");
    JsonNode *problem = challenge ? gcert_challenge_get_error (challenge) : NULL;

    if (problem != NULL)
      error = gcert_acme_problem_to_error (problem, work->identifier);
    else
      error = g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                           _("%s: the authorization became %s"), work->identifier,
                           gcert_status_to_string (status));
    authz_done (g_steal_pointer (&task), error);
  }
}

static void
poll_authz_now (GTask     *task,
                AuthzWork *work)
{
  IssueData *data = g_task_get_task_data (task);

  gcert_acme_client_post_async (data->client, work->authz_url, NULL, GCERT_ACME_REQUEST_NONE,
                                g_task_get_cancellable (task), authz_polled_cb,
                                work_call_new (task, work));
  g_object_unref (task);
}

static void
poll_authz_sleep_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  WorkCall *call = user_data;
  GTask *task = call->task;
  AuthzWork *work = call->work;
  GError *error = NULL;

  g_free (call);
  if (!gcert_retry_sleep_finish (result, &error))
    {
      authz_done (task, error);
      return;
    }
  poll_authz_now (task, work);
}

static void
poll_authz (GTask     *task,
            AuthzWork *work,
            guint      delay_ms)
{
  if (delay_ms == 0)
    {
      poll_authz_now (task, work);
      return;
    }
  gcert_retry_sleep_async (delay_ms, g_task_get_cancellable (task),
                           poll_authz_sleep_cb, work_call_new (task, work));
  g_object_unref (task);
}

static void wait_order_ready (GTask *task, guint delay_ms);

/* one authorization is answered (or settled); the last one moves on to
 * waiting for the order */
static void
authz_done (GTask  *task,
            GError *error)
{
  IssueData *data = g_task_get_task_data (task);

  if (!join_step (&task, error))
    {
      g_clear_object (&task);
      return;
    }
  if (data->order_invalid)
    {
      fail (task, g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED, _("the order became invalid")));
      return;
    }
  if (data->authz_checked)
    {
      cleanup_records (task);
      return;
    }
  wait_order_ready (task, 0);
}

/* the order became invalid: each authorization says why */
static void
explain_invalid_order (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  data->order_invalid = TRUE;
  data->outstanding = data->work->len;
  for (guint i = 0; i < data->work->len; i++)
    poll_authz (g_object_ref (task), g_ptr_array_index (data->work, i), 0);
  g_object_unref (task);
}

static void
order_ready_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertOrder) order = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    order = gcert_order_new_from_json (data->order_url, response->json, &error);
  if (order == NULL)
    {
      g_prefix_error (&error, _("waiting for validation: "));
      fail (g_steal_pointer (&task), error);
      return;
    }
  g_set_object (&data->order, order);
  switch (gcert_order_get_status (order))
    {
    case GCERT_STATUS_PENDING:
      if (validation_timed_out (data))
        {
          fail (g_steal_pointer (&task),
                g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                             _("the CA did not validate within %u s"),
                             data->validation_timeout));
          return;
        }
      data->order_polls++;
      wait_order_ready (g_steal_pointer (&task), poll_delay_ms (data->order_polls, response));
      return;
    case GCERT_STATUS_INVALID:
      explain_invalid_order (g_steal_pointer (&task));
      return;
    default:
      progress (task, _("every name is validated"));
      advance (task, STEP_VALIDATED);
      data->order_polls = 0;
      cleanup_records (g_steal_pointer (&task));
      return;
    }
}

static void
order_ready_sleep_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  IssueData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      fail (task, error);
      return;
    }
  gcert_acme_client_post_async (data->client, data->order_url, NULL, GCERT_ACME_REQUEST_NONE,
                                g_task_get_cancellable (task), order_ready_cb, task);
}

/* Polls the order, right away and then at short growing intervals, until
 * it is ready: one request covers every authorization. */
static void
wait_order_ready (GTask *task,
                  guint  delay_ms)
{
  gcert_retry_sleep_async (delay_ms, g_task_get_cancellable (task), order_ready_sleep_cb,
                           task);
}

/* --- cleanup -------------------------------------------------------------------- */

static void
cleanup_done (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  if (data->work->len > 0)
    write_journal (data, FALSE);
  data->cleaned = TRUE;
  if (data->failure != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->failure));
      g_object_unref (task);
      return;
    }
  generate_key (task);
}

static void
record_removed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WorkCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AuthzWork *work = call->work;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_free (call);
  if (gcert_dns_provider_remove_record_finish (GCERT_DNS_PROVIDER (source), result, &error))
    work->created = FALSE;
  else
    {
      /* reported, never hidden; the certificate itself is not at stake */
      progress (task, _("warning: %s: removing TXT record %s failed: %s"),
                work->identifier, work->fqdn, error->message);
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                        "GCERT_STEP", "cleanup",
                        "MESSAGE", "%s: removing TXT record %s failed: %s",
                        work->identifier, work->fqdn, error->message);
    }

  g_assert (data->outstanding > 0);
  if (--data->outstanding > 0)
    return;
  cleanup_done (g_steal_pointer (&task));
}

static void
cleanup_records (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  guint n = 0;

  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      if (work->created)
        n++;
    }
  if (n == 0)
    {
      cleanup_done (task);
      return;
    }
  data->outstanding = n;
  for (guint i = 0; i < data->work->len; i++)
    {
      AuthzWork *work = g_ptr_array_index (data->work, i);

      if (!work->created)
        continue;
      progress (task, _("%s: removing TXT record %s"), work->identifier, work->fqdn);
      /* not cancellable: a cancelled run must still clean up */
      gcert_dns_provider_remove_record_async (work->provider, work->fqdn, work->value,
                                              NULL, record_removed_cb,
                                              work_call_new (task, work));
    }
  g_object_unref (task);
}

/* --- key, finalize, certificate --------------------------------------------------- */

static void
key_generated_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->cert_key = gcert_key_generate_finish (result, &error);
  if (data->cert_key == NULL)
    {
      g_prefix_error (&error, _("generating the certificate key: "));
      fail (g_steal_pointer (&task), error);
      return;
    }
  /* before finalize, so that a run killed from here on resumes the order */
  if (data->store != NULL && data->name != NULL &&
      !gcert_store_save_pending (data->store, data->name, data->order_url,
                                 data->cert_key, &error))
    {
      fail (g_steal_pointer (&task), error);
      return;
    }
  finalize_order (g_steal_pointer (&task));
}

static void
generate_key (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  progress (task, _("generating the certificate key (%s)"), gcert_key_type_to_string (data->key_type));
  gcert_key_generate_async (data->key_type, g_task_get_cancellable (task),
                            key_generated_cb, task);
}

static void
order_state_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data);

static void
handle_order (GTask             *task,
              GCertAcmeResponse *response)
{
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertOrder) order = NULL;
  GError *error = NULL;

  order = gcert_order_new_from_json (data->order_url, response->json, &error);
  if (order == NULL)
    {
      fail (task, error);
      return;
    }
  g_set_object (&data->order, order);
  switch (gcert_order_get_status (order))
    {
    case GCERT_STATUS_VALID:
      advance (task, STEP_FINALIZED);
      download_certificate (task);
      return;
    case GCERT_STATUS_PROCESSING:
      advance (task, STEP_FINALIZED);
      if (validation_timed_out (data))
        {
          fail (task, g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                                   _("the CA is still processing the order after %u s"),
                                   data->validation_timeout));
          return;
        }
      poll_order (task, poll_delay_ms (++data->order_polls, response));
      return;
    case GCERT_STATUS_READY:
      /* our finalize did not take effect: it is safe to send it again */
      if (data->finalize_attempts < MAX_FINALIZE_ATTEMPTS)
        {
          finalize_order (task);
          return;
        }
      fail (task, g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the CA did not accept the finalize request after %u attempts"),
                               data->finalize_attempts));
      return;
    default:
      fail (task, gcert_acme_problem_to_error (gcert_order_get_error (order),
                                               _("the order failed")));
      return;
    }
}

static void
finalized_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response == NULL && g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NETWORK))
    {
      /* outcome unknown: look at the order rather than finalize blindly */
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_clear_error (&error);
      gcert_acme_client_post_async (data->client, data->order_url, NULL,
                                    GCERT_ACME_REQUEST_NONE, cancellable,
                                    order_state_cb, g_steal_pointer (&task));
      return;
    }
  if (response == NULL)
    {
      g_prefix_error (&error, _("finalizing the order: "));
      fail (g_steal_pointer (&task), error);
      return;
    }
  handle_order (g_steal_pointer (&task), response);
}

static void
finalize_order (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *csr_text = NULL;
  g_autofree char *payload = NULL;
  GError *error = NULL;

  csr = gcert_csr_new (data->cert_key, (const char * const *) data->domains, &error);
  if (csr == NULL)
    {
      fail (task, error);
      return;
    }
  csr_text = gcert_base64url_encode (g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "csr");
  json_builder_add_string_value (builder, csr_text);
  json_builder_end_object (builder);
  payload = payload_from_builder (builder);

  data->finalize_attempts++;
  if (data->validation_started == 0)
    data->validation_started = g_get_monotonic_time ();
  progress (task, _("finalizing the order"));
  gcert_acme_client_post_async (data->client, gcert_order_get_finalize (data->order), payload,
                                GCERT_ACME_REQUEST_UNSAFE, g_task_get_cancellable (task),
                                finalized_cb, task);
}

static void
order_state_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response == NULL)
    {
      g_prefix_error (&error, _("checking the order: "));
      fail (g_steal_pointer (&task), error);
      return;
    }
  handle_order (g_steal_pointer (&task), response);
}

static void
poll_order_sleep_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      fail (g_steal_pointer (&task), error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  gcert_acme_client_post_async (data->client, data->order_url, NULL, GCERT_ACME_REQUEST_NONE,
                                cancellable, order_state_cb, g_steal_pointer (&task));
}

static void
poll_order (GTask *task,
            guint  delay_ms)
{
  gcert_retry_sleep_async (delay_ms, g_task_get_cancellable (task), poll_order_sleep_cb, task);
}

static void
download_sleep_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      fail (g_steal_pointer (&task), error);
      return;
    }
  download_certificate (g_steal_pointer (&task));
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  IssueData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GCertCertificate) chain = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (data->client, result, &error);
  if (response != NULL)
    {
      gsize len = 0;
      const char *pem = g_bytes_get_data (response->body, &len);

      chain = gcert_certificate_new_from_pem (pem, (gssize) len, &error);
    }
  if (chain != NULL && !gcert_certificate_matches_key (chain, data->cert_key))
    {
      g_clear_object (&chain);
      error = g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("the CA's certificate is not for the key we sent"));
    }
  if (chain != NULL &&
      !gcert_certificate_check_names (chain, (const char * const *) data->domains, &error))
    g_clear_object (&chain);

  if (chain == NULL)
    {
      /* a broken download is retried a few times; a broken chain is never
       * stored or reported as valid */
      if (data->download_attempts < MAX_DOWNLOAD_ATTEMPTS &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          progress (task, _("the downloaded certificate is unusable (%s); fetching it again"),
                    error->message);
          GCancellable *cancellable = g_task_get_cancellable (task);

          g_clear_error (&error);
          gcert_retry_sleep_async (500 * data->download_attempts, cancellable,
                                   download_sleep_cb, g_steal_pointer (&task));
          return;
        }
      g_prefix_error (&error, _("downloading the certificate: "));
      fail (g_steal_pointer (&task), error);
      return;
    }

  data->chain_pem = gcert_certificate_get_chain_pem (chain);
  advance (task, STEP_DOWNLOADED);
  g_task_return_boolean (task, TRUE);
}

static void
download_certificate (GTask *task)
{
  IssueData *data = g_task_get_task_data (task);
  const char *url = gcert_order_get_certificate (data->order);

  if (url == NULL)
    {
      fail (task, g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the CA's valid order has no certificate URL")));
      return;
    }
  data->download_attempts++;
  progress (task, _("downloading the certificate"));
  gcert_acme_client_post_async (data->client, url, NULL, GCERT_ACME_REQUEST_PEM,
                                g_task_get_cancellable (task), downloaded_cb, task);
}

/* --- entry points ------------------------------------------------------------------ */

void
gcert_issue_async (const GCertIssueParams *params,
                   GCancellable           *cancellable,
                   GAsyncReadyCallback     callback,
                   gpointer                user_data)
{
  GTask *task;
  IssueData *data;

  g_return_if_fail (params != NULL);
  g_return_if_fail (GCERT_IS_ACME_CLIENT (params->client));
  g_return_if_fail (GCERT_IS_DNS_ROUTER (params->router));
  g_return_if_fail (params->dns != NULL);
  g_return_if_fail (params->domains != NULL && params->domains[0] != NULL);
  g_return_if_fail (gcert_acme_client_get_directory (params->client) != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_issue_async);
  data = g_new0 (IssueData, 1);
  data->client = g_object_ref (params->client);
  data->router = g_object_ref (params->router);
  data->dns = g_strdup (params->dns);
  data->alias = g_strdup (params->challenge_alias);
  data->domains = g_strdupv ((GStrv) params->domains);
  data->key_type = params->key_type;
  data->resolvers = g_strdupv ((GStrv) params->resolvers);
  data->propagation_timeout = params->propagation_timeout ? params->propagation_timeout : 120;
  data->validation_timeout = params->validation_timeout ? params->validation_timeout
                                                        : DEFAULT_VALIDATION_TIMEOUT;
  data->store = params->store ? g_object_ref (params->store) : NULL;
  data->name = g_strdup (params->name);
  data->progress = params->progress;
  data->progress_data = params->progress_data;
  data->step = params->step;
  data->work = g_ptr_array_new_with_free_func ((GDestroyNotify) authz_work_free);
  data->stale_left = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, data, (GDestroyNotify) issue_data_free);

  issue_start (task);
}

gboolean
gcert_issue_finish (GAsyncResult  *result,
                    char         **out_key_pem,
                    char         **out_chain_pem,
                    GError       **error)
{
  IssueData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_key_pem != NULL)
    {
      *out_key_pem = gcert_key_to_pem (data->cert_key, error);
      if (*out_key_pem == NULL)
        return FALSE;
    }
  if (out_chain_pem != NULL)
    *out_chain_pem = g_strdup (data->chain_pem);
  return TRUE;
}
