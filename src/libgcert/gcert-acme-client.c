/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-acme-client.h"
#include "gcert-error.h"
#include "gcert-jose.h"
#include "gcert-json-private.h"

/* Caps on what we read from the CA: a JSON resource is a few KiB, a chain a
 * few certificates. Anything larger is an attack or a broken server. */
#define JSON_BODY_CAP       (2 * 1024 * 1024)
#define PEM_BODY_CAP        (128 * 1024)
#define EXCERPT_LENGTH      160
#define MAX_REDIRECTS       3
#define MAX_NONCE_POOL      64
#define MAX_NONCE_LENGTH    256
#define DEFAULT_TIMEOUT     30

struct _GCertAcmeClient
{
  GObject             parent_instance;

  char               *directory_url;
  GUri               *origin;
  SoupSession        *session;
  GCertRetryPolicy    policy;
  GRand              *rand;
  gboolean            verbose;

  GQueue              nonces;

  GCertAcmeDirectory *directory;
  GPtrArray          *directory_waiters;

  GCertKey           *account_key;
  char               *account_url;
  guint               request_count;
};

G_DEFINE_TYPE (GCertAcmeClient, gcert_acme_client, G_TYPE_OBJECT)

static void
gcert_acme_directory_free (GCertAcmeDirectory *dir)
{
  if (dir == NULL)
    return;
  g_free (dir->new_nonce);
  g_free (dir->new_account);
  g_free (dir->new_order);
  g_free (dir->revoke_cert);
  g_free (dir->key_change);
  g_free (dir->renewal_info);
  g_free (dir->terms_of_service);
  g_free (dir);
}

void
gcert_acme_response_free (GCertAcmeResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response->location);
  g_free (response);
}

static void
gcert_acme_client_finalize (GObject *object)
{
  GCertAcmeClient *self = GCERT_ACME_CLIENT (object);

  g_free (self->directory_url);
  g_clear_pointer (&self->origin, g_uri_unref);
  g_clear_object (&self->session);
  g_clear_pointer (&self->rand, g_rand_free);
  g_queue_clear_full (&self->nonces, g_free);
  g_clear_pointer (&self->directory, gcert_acme_directory_free);
  g_clear_pointer (&self->directory_waiters, g_ptr_array_unref);
  g_clear_object (&self->account_key);
  g_free (self->account_url);

  G_OBJECT_CLASS (gcert_acme_client_parent_class)->finalize (object);
}

static void
gcert_acme_client_class_init (GCertAcmeClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_acme_client_finalize;
}

static void
gcert_acme_client_init (GCertAcmeClient *self)
{
  GCertRetryPolicy policy = GCERT_RETRY_POLICY_DEFAULT;

  self->policy = policy;
  self->rand = g_rand_new ();
  g_queue_init (&self->nonces);
}

/* --- helpers ----------------------------------------------------------- */

/* A short, printable excerpt of a body for error messages. */
static char *
body_excerpt (GBytes *body)
{
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  GString *out;

  if (len == 0)
    return g_strdup (_("(empty body)"));
  out = g_string_new ("“");
  for (gsize i = 0; i < len && i < EXCERPT_LENGTH; i++)
    {
      char c = data[i];
      g_string_append_c (out, g_ascii_isprint (c) ? c : ' ');
    }
  if (len > EXCERPT_LENGTH)
    g_string_append (out, "…");
  g_string_append (out, "”");
  return g_string_free (out, FALSE);
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_strcmp0 (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a) ? g_uri_get_host (a) : "",
                             g_uri_get_host (b) ? g_uri_get_host (b) : "") == 0 &&
         g_uri_get_port (a) == g_uri_get_port (b);
}

/* Every URL the CA gives us must stay on the directory's origin: we never
 * sign a request for another server, nor follow one to plain http. */
static gboolean
check_url (GCertAcmeClient  *self,
           const char       *url,
           GError          **error)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA's answer lacks a URL"));
      return FALSE;
    }
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || self->origin == NULL || !same_origin (uri, self->origin))
    {
      g_autofree char *shown = g_utf8_make_valid (url, MIN (strlen (url), 200));

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent a URL outside its own origin: %s"), shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
nonce_is_valid (const char *nonce)
{
  gsize len;

  if (nonce == NULL)
    return FALSE;
  len = strlen (nonce);
  if (len == 0 || len > MAX_NONCE_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = nonce[i];
      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return FALSE;
    }
  return TRUE;
}

static void
keep_nonce (GCertAcmeClient    *self,
            SoupMessageHeaders *headers)
{
  const char *nonce = soup_message_headers_get_one (headers, "Replay-Nonce");

  if (!nonce_is_valid (nonce))
    return;
  g_queue_push_tail (&self->nonces, g_strdup (nonce));
  while (g_queue_get_length (&self->nonces) > MAX_NONCE_POOL)
    g_free (g_queue_pop_head (&self->nonces));
}

static gboolean
content_type_is (SoupMessageHeaders *headers,
                 const char         *wanted)
{
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, wanted) == 0;
}

/* --- one exchange on the wire ------------------------------------------ */

typedef struct {
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *body;
  gsize         cap;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->msg);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_free (data);
}

static void send_read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* A broken answer (over the cap) is retried like a reset: the next one may be
 * fine. Only errors of the exchange itself count, never trust errors. */
static gboolean
send_error_is_transient (const GError *error)
{
  return gcert_retry_is_transient_error (error) ||
         g_error_matches (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

static void
send_read_next (GTask *task)
{
  SendData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (data->stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task),
                                   send_read_cb, task);
}

static void
send_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  GCertAcmeResponse *response;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) > 0)
    {
      if (data->body->len + g_bytes_get_size (chunk) > data->cap)
        {
          g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                   _("the CA's answer is larger than %zu bytes"),
                                   data->cap);
          return;
        }
      g_byte_array_append (data->body, g_bytes_get_data (chunk, NULL),
                           g_bytes_get_size (chunk));
      send_read_next (g_steal_pointer (&task));
      return;
    }

  response = g_new0 (GCertAcmeResponse, 1);
  response->status = soup_message_get_status (data->msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (data->msg));
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&data->body));
  g_task_return_pointer (task, response, (GDestroyNotify) gcert_acme_response_free);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  GError *error = NULL;
  goffset length;

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (data->msg));
  if (length > 0 && (gsize) length > data->cap)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the CA's answer is larger than %zu bytes"),
                               data->cap);
      return;
    }
  data->body = g_byte_array_new ();
  send_read_next (g_steal_pointer (&task));
}

/* Sends @msg and reads at most @cap bytes of its body. */
static void
send_message_async (GCertAcmeClient     *self,
                    SoupMessage         *msg,
                    gsize                cap,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, send_message_async);
  data->msg = g_object_ref (msg);
  data->cap = cap;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  self->request_count++;
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept-Language", "en");
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                           send_cb, g_steal_pointer (&task));
}

static GCertAcmeResponse *
send_message_finish (GCertAcmeClient  *self,
                     GAsyncResult     *result,
                     GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
log_exchange (GCertAcmeClient   *self,
              const char        *method,
              const char        *url,
              GCertAcmeResponse *response,
              const GError      *error)
{
  g_autofree char *excerpt = NULL;

  if (!self->verbose)
    return;
  if (error != NULL)
    {
      g_debug ("%s %s: %s", method, url, error->message);
      return;
    }
  /* ACME bodies carry no secrets of ours (the account key never leaves;
   * tokens and nonces are public); the excerpt is bounded */
  excerpt = body_excerpt (response->body);
  g_debug ("%s %s → %u %s", method, url, response->status, excerpt);
}

/* --- problem documents -------------------------------------------------- */

static char *
identifier_text (JsonObject *problem)
{
  JsonObject *ident = gcert_json_get_object (problem, "identifier");
  const char *value = gcert_json_get_string (ident, "value");

  return value ? g_utf8_make_valid (value, MIN (strlen (value), 255)) : NULL;
}

static char *
problem_detail (JsonObject *problem)
{
  const char *detail = gcert_json_get_string (problem, "detail");
  const char *type = gcert_json_get_string (problem, "type");

  if (detail != NULL && *detail != '\0')
    return g_utf8_make_valid (detail, MIN (strlen (detail), 1024));
  if (type != NULL)
    return g_utf8_make_valid (type, MIN (strlen (type), 200));
  return g_strdup (_("unspecified problem"));
}

GError *
gcert_acme_problem_to_error (JsonNode   *problem_node,
                             const char *prefix)
{
  JsonObject *problem = gcert_json_node_get_object (problem_node);
  JsonArray *subproblems;
  g_autoptr(GString) message = g_string_new (NULL);
  g_autofree char *detail = NULL;
  g_autofree char *ident = NULL;
  GCertAcmeError code;

  if (problem == NULL)
    return g_error_new (GCERT_ACME_ERROR, GCERT_ACME_ERROR_OTHER,
                        "%s%s%s", prefix ? prefix : "", prefix ? ": " : "",
                        _("the CA reported a problem without details"));

  code = gcert_acme_error_from_type (gcert_json_get_string (problem, "type"));
  detail = problem_detail (problem);
  ident = identifier_text (problem);

  if (prefix != NULL)
    g_string_append_printf (message, "%s: ", prefix);
  else if (ident != NULL)
    g_string_append_printf (message, "%s: ", ident);
  g_string_append (message, detail);

  subproblems = gcert_json_get_array (problem, "subproblems");
  if (subproblems != NULL)
    {
      guint n = json_array_get_length (subproblems);

      for (guint i = 0; i < n && i < 50; i++)
        {
          JsonObject *sub = gcert_json_node_get_object (json_array_get_element (subproblems, i));
          g_autofree char *sub_detail = NULL;
          g_autofree char *sub_ident = NULL;

          if (sub == NULL)
            continue;
          sub_detail = problem_detail (sub);
          sub_ident = identifier_text (sub);
          g_string_append (message, i == 0 ? " — " : "; ");
          if (sub_ident != NULL)
            g_string_append_printf (message, "%s: ", sub_ident);
          g_string_append (message, sub_detail);
        }
    }

  return g_error_new_literal (GCERT_ACME_ERROR, code, message->str);
}

static JsonNode *
parse_json (GBytes  *body,
            GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                     _("the CA's answer is empty"));
      else if (error != NULL)
        {
          g_autofree char *excerpt = body_excerpt (body);
          g_autofree char *msg = g_strdup ((*error)->message);

          g_clear_error (error);
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("the CA's answer is not valid JSON (%s): %s"), msg, excerpt);
        }
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA's answer is not a JSON object"));
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* --- construction -------------------------------------------------------- */

GCertAcmeClient *
gcert_acme_client_new (const char  *directory_url,
                       const char  *ca_certificates,
                       GError     **error)
{
  g_autoptr(GCertAcmeClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *user_agent = NULL;

  g_return_val_if_fail (directory_url != NULL, NULL);

  uri = g_uri_parse (directory_url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    {
      g_prefix_error (error, _("invalid directory URL %s: "), directory_url);
      return NULL;
    }

  self = g_object_new (GCERT_TYPE_ACME_CLIENT, NULL);
  self->directory_url = g_strdup (directory_url);
  self->origin = g_steal_pointer (&uri);
  user_agent = g_strdup_printf ("gcert/%s", PACKAGE_VERSION);
  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "timeout", DEFAULT_TIMEOUT,
                                                 "idle-timeout", 60,
                                                 "max-conns-per-host", 8,
                                                 NULL);
  if (ca_certificates != NULL)
    {
      g_autoptr(GTlsDatabase) db = g_tls_file_database_new (ca_certificates, error);

      if (db == NULL)
        {
          g_prefix_error (error, _("loading CA certificates from %s: "), ca_certificates);
          return NULL;
        }
      soup_session_set_tls_database (self->session, db);
    }
  return g_steal_pointer (&self);
}

const char *
gcert_acme_client_get_directory_url (GCertAcmeClient *self)
{
  g_return_val_if_fail (GCERT_IS_ACME_CLIENT (self), NULL);
  return self->directory_url;
}

void
gcert_acme_client_set_policy (GCertAcmeClient        *self,
                              const GCertRetryPolicy *policy)
{
  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  g_return_if_fail (policy != NULL);
  self->policy = *policy;
}

void
gcert_acme_client_set_timeout (GCertAcmeClient *self,
                               guint            seconds)
{
  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  soup_session_set_timeout (self->session, seconds);
}

void
gcert_acme_client_set_verbose (GCertAcmeClient *self,
                               gboolean         verbose)
{
  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  self->verbose = verbose;
}

void
gcert_acme_client_set_account (GCertAcmeClient *self,
                               GCertKey        *key,
                               const char      *account_url)
{
  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  g_set_object (&self->account_key, key);
  g_free (self->account_url);
  self->account_url = g_strdup (account_url);
}

GCertKey *
gcert_acme_client_get_account_key (GCertAcmeClient *self)
{
  g_return_val_if_fail (GCERT_IS_ACME_CLIENT (self), NULL);
  return self->account_key;
}

const char *
gcert_acme_client_get_account_url (GCertAcmeClient *self)
{
  g_return_val_if_fail (GCERT_IS_ACME_CLIENT (self), NULL);
  return self->account_url;
}

guint
gcert_acme_client_get_request_count (GCertAcmeClient *self)
{
  g_return_val_if_fail (GCERT_IS_ACME_CLIENT (self), 0);
  return self->request_count;
}

/* --- plain GET / HEAD with retries --------------------------------------- */

typedef struct {
  char    *method;
  char    *url;
  guint    transient;
  guint    rate_limited;
  guint    redirects;
} GetData;

static void
get_data_free (GetData *data)
{
  g_free (data->method);
  g_free (data->url);
  g_free (data);
}

static void get_step (GTask *task);

static void
get_sleep_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  get_step (g_steal_pointer (&task));
}

/* Decides how long to wait before retrying an answer with @status, or
 * fails the task. Returns TRUE when a retry was scheduled. */
static gboolean
schedule_retry (GTask              *task,
                GCertAcmeClient    *self,
                guint               status,
                SoupMessageHeaders *headers,
                guint              *transient,
                guint              *rate_limited,
                GAsyncReadyCallback retry_cb,
                GError            **error)
{
  const char *retry_after = headers ? soup_message_headers_get_one (headers, "Retry-After") : NULL;
  gint64 seconds = -1;
  guint delay_ms;

  if (status == 429 || status == 503)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      seconds = gcert_retry_parse_retry_after (retry_after, now);
    }

  if (seconds >= 0)
    {
      /* a server asking for hours is clamped: we come back sooner, and the
       * bounded number of waits ends it if it keeps refusing */
      seconds = MIN (seconds, (gint64) self->policy.max_retry_after);
      if (++(*rate_limited) > self->policy.max_rate_limited)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_RATE_LIMITED,
                       _("the CA is still busy after %u waits (HTTP %u)"),
                       self->policy.max_rate_limited, status);
          return FALSE;
        }
      delay_ms = (guint) seconds * 1000;
      /* a Retry-After of 0 or a past date still gets a short pause */
      delay_ms = MAX (delay_ms, 100);
    }
  else
    {
      if (++(*transient) > self->policy.max_transient)
        return FALSE;
      delay_ms = gcert_retry_backoff_ms (&self->policy, *transient, self->rand);
    }

  if (self->verbose)
    g_debug ("retrying in %u ms", delay_ms);
  gcert_retry_sleep_async (delay_ms, g_task_get_cancellable (task), retry_cb, task);
  return TRUE;
}

static void
get_sent_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertAcmeClient *self = g_task_get_source_object (task);
  GetData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  GError *retry_error = NULL;

  response = send_message_finish (self, result, &error);
  log_exchange (self, data->method, data->url, response, error);
  if (response == NULL)
    {
      if (send_error_is_transient (error) &&
          schedule_retry (task, self, 0, NULL, &data->transient, &data->rate_limited,
                          get_sleep_cb, &retry_error))
        {
          g_steal_pointer (&task);
          return;
        }
      if (retry_error != NULL)
        g_task_return_error (task, retry_error);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  keep_nonce (self, response->headers);

  if (SOUP_STATUS_IS_REDIRECTION (response->status))
    {
      const char *location = soup_message_headers_get_one (response->headers, "Location");
      g_autoptr(GUri) base = g_uri_parse (data->url, SOUP_HTTP_URI_FLAGS, NULL);
      g_autoptr(GUri) target = NULL;

      if (location != NULL && base != NULL)
        target = g_uri_parse_relative (base, location, SOUP_HTTP_URI_FLAGS, NULL);
      if (target == NULL || ++data->redirects > MAX_REDIRECTS)
        {
          g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                   _("too many or invalid redirects from %s"), data->url);
          return;
        }
      /* never downgrade to plain http */
      if (g_strcmp0 (g_uri_get_scheme (base), "https") == 0 &&
          g_strcmp0 (g_uri_get_scheme (target), "https") != 0)
        {
          g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                   _("refusing a redirect from https to %s"),
                                   g_uri_get_scheme (target));
          return;
        }
      g_free (data->url);
      data->url = g_uri_to_string (target);
      get_step (g_steal_pointer (&task));
      return;
    }

  if (response->status == 429 || SOUP_STATUS_IS_SERVER_ERROR (response->status))
    {
      if (schedule_retry (task, self, response->status, response->headers,
                          &data->transient, &data->rate_limited, get_sleep_cb, &retry_error))
        {
          g_steal_pointer (&task);
          return;
        }
      if (retry_error != NULL)
        {
          g_task_return_error (task, retry_error);
          return;
        }
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_autofree char *excerpt = body_excerpt (response->body);

      g_task_return_new_error (task, GCERT_ERROR,
                               response->status == 429 ? GCERT_ERROR_RATE_LIMITED : GCERT_ERROR_FAILED,
                               _("%s %s answered HTTP %u: %s"), data->method, data->url,
                               response->status, excerpt);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) gcert_acme_response_free);
}

static void
get_step (GTask *task)
{
  GCertAcmeClient *self = g_task_get_source_object (task);
  GetData *data = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = soup_message_new (data->method, data->url);

  if (msg == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("invalid URL %s"), data->url);
      g_object_unref (task);
      return;
    }
  send_message_async (self, msg, JSON_BODY_CAP, g_task_get_cancellable (task),
                      get_sent_cb, task);
}

static void
get_async (GCertAcmeClient     *self,
           const char          *method,
           const char          *url,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GetData *data = g_new0 (GetData, 1);

  g_task_set_source_tag (task, get_async);
  data->method = g_strdup (method);
  data->url = g_strdup (url);
  g_task_set_task_data (task, data, (GDestroyNotify) get_data_free);
  get_step (task);
}

static GCertAcmeResponse *
get_finish (GCertAcmeClient  *self,
            GAsyncResult     *result,
            GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- directory ------------------------------------------------------------ */

static char *
directory_url_member (GCertAcmeClient  *self,
                      JsonObject       *object,
                      const char       *member,
                      gboolean          required,
                      GError          **error)
{
  const char *url = gcert_json_get_string (object, member);

  if (url == NULL)
    {
      if (required)
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                     _("the CA's directory lacks “%s”"), member);
      return NULL;
    }
  if (!check_url (self, url, error))
    return NULL;
  return g_strdup (url);
}

static GCertAcmeDirectory *
parse_directory (GCertAcmeClient  *self,
                 JsonNode         *root,
                 GError          **error)
{
  JsonObject *object = gcert_json_node_get_object (root);
  JsonObject *meta;
  GCertAcmeDirectory *dir = g_new0 (GCertAcmeDirectory, 1);
  GError *local_error = NULL;

  dir->new_nonce = directory_url_member (self, object, "newNonce", TRUE, &local_error);
  if (local_error == NULL)
    dir->new_account = directory_url_member (self, object, "newAccount", TRUE, &local_error);
  if (local_error == NULL)
    dir->new_order = directory_url_member (self, object, "newOrder", TRUE, &local_error);
  if (local_error == NULL)
    dir->revoke_cert = directory_url_member (self, object, "revokeCert", FALSE, &local_error);
  if (local_error == NULL)
    dir->key_change = directory_url_member (self, object, "keyChange", FALSE, &local_error);
  if (local_error == NULL)
    dir->renewal_info = directory_url_member (self, object, "renewalInfo", FALSE, &local_error);
  if (local_error != NULL)
    {
      gcert_acme_directory_free (dir);
      g_propagate_error (error, local_error);
      return NULL;
    }
  meta = gcert_json_get_object (object, "meta");
  dir->terms_of_service = g_strdup (gcert_json_get_string (meta, "termsOfService"));
  dir->external_account_required = gcert_json_get_boolean (meta, "externalAccountRequired");
  return dir;
}

static void
directory_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GCertAcmeClient *self = GCERT_ACME_CLIENT (source);
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->directory_waiters);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  response = get_finish (self, result, &error);
  if (response != NULL)
    root = parse_json (response->body, &error);
  if (root != NULL)
    self->directory = parse_directory (self, root, &error);
  if (error != NULL)
    g_prefix_error (&error, _("fetching the CA's directory %s: "), self->directory_url);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (self->directory != NULL)
        g_task_return_pointer (task, self->directory, NULL);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

void
gcert_acme_client_load_directory_async (GCertAcmeClient     *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gboolean first;

  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_acme_client_load_directory_async);
  if (self->directory != NULL)
    {
      g_task_return_pointer (task, self->directory, NULL);
      return;
    }
  first = self->directory_waiters == NULL;
  if (first)
    self->directory_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->directory_waiters, g_steal_pointer (&task));
  /* the first caller's cancellable bounds the shared fetch */
  if (first)
    get_async (self, "GET", self->directory_url, cancellable, directory_loaded_cb, NULL);
}

const GCertAcmeDirectory *
gcert_acme_client_load_directory_finish (GCertAcmeClient  *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const GCertAcmeDirectory *
gcert_acme_client_get_directory (GCertAcmeClient *self)
{
  g_return_val_if_fail (GCERT_IS_ACME_CLIENT (self), NULL);
  return self->directory;
}

/* --- signed POST ------------------------------------------------------------ */

typedef struct {
  char                  *url;
  char                  *payload;
  GCertAcmeRequestFlags  flags;
  guint                  bad_nonce;
  guint                  transient;
  guint                  rate_limited;
} PostData;

static void
post_data_free (PostData *data)
{
  g_free (data->url);
  g_free (data->payload);
  g_free (data);
}

static void post_step (GTask *task);

static void
post_sleep_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  post_step (g_steal_pointer (&task));
}

static void
post_unknown_outcome (GTask        *task,
                      const char   *why)
{
  PostData *data = g_task_get_task_data (task);

  g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NETWORK,
                           _("the outcome of POST %s is unknown: %s"), data->url, why);
}

/* An ACME problem document whatever its label: a proxy in front of the CA
 * may relabel error answers, and a badNonce must still be retried. */
static gboolean
looks_like_problem (GBytes *body)
{
  g_autoptr(JsonNode) node = body != NULL ? parse_json (body, NULL) : NULL;
  const char *type;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  type = gcert_json_get_string (json_node_get_object (node), "type");
  return type != NULL && g_str_has_prefix (type, "urn:ietf:params:acme:error:");
}

static void
post_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertAcmeClient *self = g_task_get_source_object (task);
  PostData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  GError *retry_error = NULL;
  gboolean is_problem;

  response = send_message_finish (self, result, &error);
  log_exchange (self, "POST", data->url, response, error);
  if (response == NULL)
    {
      if (!send_error_is_transient (error))
        {
          g_prefix_error (&error, "POST %s: ", data->url);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (data->flags & GCERT_ACME_REQUEST_UNSAFE)
        {
          post_unknown_outcome (task, error->message);
          return;
        }
      if (schedule_retry (task, self, 0, NULL, &data->transient, &data->rate_limited,
                          post_sleep_cb, &retry_error))
        {
          g_steal_pointer (&task);
          return;
        }
      if (retry_error != NULL)
        g_task_return_error (task, retry_error);
      else
        {
          g_prefix_error (&error, _("POST %s failed %u times, last: "), data->url,
                          data->transient);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      return;
    }

  keep_nonce (self, response->headers);
  is_problem = content_type_is (response->headers, "application/problem+json") ||
               (!SOUP_STATUS_IS_SUCCESSFUL (response->status) &&
                looks_like_problem (response->body));

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      GError *body_error = NULL;
      const char *location = soup_message_headers_get_one (response->headers, "Location");

      if (data->flags & GCERT_ACME_REQUEST_NO_CONTENT)
        ;  /* the status is the whole answer */
      else if (data->flags & GCERT_ACME_REQUEST_PEM)
        {
          /* the chain itself is checked by the caller, strictly */
          if (!content_type_is (response->headers, "application/pem-certificate-chain"))
            g_set_error (&body_error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                         _("the certificate has content type “%s”, not application/pem-certificate-chain"),
                         soup_message_headers_get_content_type (response->headers, NULL) ?: "");
        }
      else if (!content_type_is (response->headers, "application/json"))
        g_set_error (&body_error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                     _("the CA's answer has content type “%s”, not application/json"),
                     soup_message_headers_get_content_type (response->headers, NULL) ?: "");
      else
        response->json = parse_json (response->body, &body_error);

      if (body_error == NULL && location != NULL)
        check_url (self, location, &body_error);
      if (body_error == NULL)
        {
          response->location = g_strdup (location);
          g_task_return_pointer (task, g_steal_pointer (&response),
                                 (GDestroyNotify) gcert_acme_response_free);
          return;
        }
      /* a broken answer to a request the server did act upon */
      if (data->flags & GCERT_ACME_REQUEST_UNSAFE)
        {
          post_unknown_outcome (task, body_error->message);
          g_error_free (body_error);
          return;
        }
      if (schedule_retry (task, self, 0, NULL, &data->transient, &data->rate_limited,
                          post_sleep_cb, &retry_error))
        {
          g_error_free (body_error);
          g_steal_pointer (&task);
          return;
        }
      g_clear_error (&retry_error);
      g_prefix_error (&body_error, "POST %s: ", data->url);
      g_task_return_error (task, body_error);
      return;
    }

  if (is_problem)
    {
      g_autoptr(JsonNode) problem = parse_json (response->body, NULL);
      const char *type = gcert_json_get_string (gcert_json_node_get_object (problem), "type");
      GCertAcmeError code = gcert_acme_error_from_type (type);

      if (code == GCERT_ACME_ERROR_BAD_NONCE)
        {
          /* the error answer carries a fresh nonce: use it at once */
          if (++data->bad_nonce <= self->policy.max_bad_nonce)
            {
              post_step (g_steal_pointer (&task));
              return;
            }
          g_task_return_new_error (task, GCERT_ACME_ERROR, GCERT_ACME_ERROR_BAD_NONCE,
                                   _("the CA rejected %u nonces in a row for POST %s"),
                                   data->bad_nonce - 1, data->url);
          return;
        }
      if (response->status < 500 && response->status != 429 && problem != NULL)
        {
          g_task_return_error (task, gcert_acme_problem_to_error (problem, NULL));
          return;
        }
    }

  if (response->status == 429 || SOUP_STATUS_IS_SERVER_ERROR (response->status))
    {
      if ((data->flags & GCERT_ACME_REQUEST_UNSAFE) && response->status != 429)
        {
          g_autofree char *why = g_strdup_printf ("HTTP %u", response->status);

          post_unknown_outcome (task, why);
          return;
        }
      if (schedule_retry (task, self, response->status, response->headers,
                          &data->transient, &data->rate_limited, post_sleep_cb, &retry_error))
        {
          g_steal_pointer (&task);
          return;
        }
      if (retry_error != NULL)
        {
          g_task_return_error (task, retry_error);
          return;
        }
    }

  {
    g_autoptr(JsonNode) problem = is_problem ? parse_json (response->body, NULL) : NULL;
    g_autofree char *excerpt = body_excerpt (response->body);

    if (problem != NULL)
      {
        GError *perr = gcert_acme_problem_to_error (problem, NULL);

        g_prefix_error (&perr, "HTTP %u: ", response->status);
        g_task_return_error (task, perr);
      }
    else
      g_task_return_new_error (task, GCERT_ERROR,
                               response->status == 429 ? GCERT_ERROR_RATE_LIMITED : GCERT_ERROR_FAILED,
                               _("POST %s answered HTTP %u: %s"), data->url,
                               response->status, excerpt);
  }
}

static void
post_nonce_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertAcmeClient *self = g_task_get_source_object (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  response = get_finish (self, result, &error);
  if (response == NULL)
    {
      g_prefix_error (&error, _("getting a nonce: "));
      g_task_return_error (task, error);
      return;
    }
  /* get_sent_cb already put the nonce into the pool */
  if (g_queue_is_empty (&self->nonces))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the CA's newNonce answer carries no valid Replay-Nonce"));
      return;
    }
  post_step (g_steal_pointer (&task));
}

static void
post_step (GTask *task)
{
  GCertAcmeClient *self = g_task_get_source_object (task);
  PostData *data = g_task_get_task_data (task);
  g_autofree char *nonce = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;

  if (g_queue_is_empty (&self->nonces))
    {
      get_async (self, "HEAD", self->directory->new_nonce, g_task_get_cancellable (task),
                 post_nonce_cb, task);
      return;
    }
  nonce = g_queue_pop_head (&self->nonces);

  jws = gcert_jose_sign (self->account_key, data->url, nonce,
                         (data->flags & GCERT_ACME_REQUEST_USE_JWK) ? NULL : self->account_url,
                         data->payload, &error);
  if (jws == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  msg = soup_message_new ("POST", data->url);
  {
    gsize len = strlen (jws);

    body = g_bytes_new_take (g_steal_pointer (&jws), len);
  }
  soup_message_set_request_body_from_bytes (msg, "application/jose+json", body);
  /* libsoup opens a new connection for every POST unless told that it may
   * repeat it: it repeats a request only when an idle connection turns out
   * closed before anything was read, so the server never saw the first; and
   * a signed request cannot take effect twice, its nonce is spent */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  send_message_async (self, msg,
                      (data->flags & GCERT_ACME_REQUEST_PEM) ? PEM_BODY_CAP : JSON_BODY_CAP,
                      g_task_get_cancellable (task), post_sent_cb, task);
}

void
gcert_acme_client_post_async (GCertAcmeClient       *self,
                              const char            *url,
                              const char            *payload,
                              GCertAcmeRequestFlags  flags,
                              GCancellable          *cancellable,
                              GAsyncReadyCallback    callback,
                              gpointer               user_data)
{
  GTask *task;
  PostData *data;
  GError *error = NULL;

  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  g_return_if_fail (url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_acme_client_post_async);
  data = g_new0 (PostData, 1);
  data->url = g_strdup (url);
  data->payload = g_strdup (payload);
  data->flags = flags;
  g_task_set_task_data (task, data, (GDestroyNotify) post_data_free);

  if (self->directory == NULL || self->account_key == NULL ||
      (!(flags & GCERT_ACME_REQUEST_USE_JWK) && self->account_url == NULL))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               "internal error: POST before the directory and account are set up");
      g_object_unref (task);
      return;
    }
  if (!check_url (self, url, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  post_step (task);
}

GCertAcmeResponse *
gcert_acme_client_post_finish (GCertAcmeClient  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- account --------------------------------------------------------------- */

typedef struct {
  GStrv    contacts;
  gboolean only_existing;
} RegisterData;

static void
register_data_free (RegisterData *data)
{
  g_strfreev (data->contacts);
  g_free (data);
}

static void register_send (GTask *task);

static void
register_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertAcmeClient *self = GCERT_ACME_CLIENT (source);
  RegisterData *data = g_task_get_task_data (task);
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;
  const char *status;

  response = gcert_acme_client_post_finish (self, result, &error);
  if (response == NULL)
    {
      if (data->only_existing &&
          g_error_matches (error, GCERT_ACME_ERROR, GCERT_ACME_ERROR_ACCOUNT_DOES_NOT_EXIST))
        {
          /* the key is ours but the CA forgot it (or never had it): create */
          g_clear_error (&error);
          data->only_existing = FALSE;
          register_send (g_steal_pointer (&task));
          return;
        }
      g_prefix_error (&error, _("registering an account: "));
      g_task_return_error (task, error);
      return;
    }
  if (response->location == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the CA's newAccount answer has no Location"));
      return;
    }
  status = gcert_json_get_string (gcert_json_node_get_object (response->json), "status");
  if (g_strcmp0 (status, "valid") != 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                               _("the account %s is %s, not valid"), response->location,
                               status ? status : "(no status)");
      return;
    }
  g_free (self->account_url);
  self->account_url = g_strdup (response->location);
  g_task_return_boolean (task, TRUE);
}

static void
register_send (GTask *task)
{
  GCertAcmeClient *self = g_task_get_source_object (task);
  RegisterData *data = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *payload = NULL;

  json_builder_begin_object (builder);
  if (data->only_existing)
    {
      json_builder_set_member_name (builder, "onlyReturnExisting");
      json_builder_add_boolean_value (builder, TRUE);
    }
  else
    {
      json_builder_set_member_name (builder, "termsOfServiceAgreed");
      json_builder_add_boolean_value (builder, TRUE);
      if (data->contacts != NULL && data->contacts[0] != NULL)
        {
          json_builder_set_member_name (builder, "contact");
          json_builder_begin_array (builder);
          for (guint i = 0; data->contacts[i] != NULL; i++)
            json_builder_add_string_value (builder, data->contacts[i]);
          json_builder_end_array (builder);
        }
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  payload = json_to_string (root, FALSE);

  gcert_acme_client_post_async (self, self->directory->new_account, payload,
                                GCERT_ACME_REQUEST_USE_JWK, g_task_get_cancellable (task),
                                register_cb, task);
}

static void
register_directory_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (gcert_acme_client_load_directory_finish (GCERT_ACME_CLIENT (source), result, &error) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  register_send (g_steal_pointer (&task));
}

void
gcert_acme_client_register_async (GCertAcmeClient     *self,
                                  const char * const  *contacts,
                                  gboolean             find_existing,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  RegisterData *data;

  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  g_return_if_fail (self->account_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_acme_client_register_async);
  data = g_new0 (RegisterData, 1);
  data->contacts = g_strdupv ((GStrv) contacts);
  /* a key we had before may already own an account: ask for it first, so
   * that a lost account URL never creates a second account */
  data->only_existing = find_existing;
  g_task_set_task_data (task, data, (GDestroyNotify) register_data_free);
  gcert_acme_client_load_directory_async (self, cancellable, register_directory_cb, task);
}

gboolean
gcert_acme_client_register_finish (GCertAcmeClient  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- revocation (RFC 8555 §7.6) ---------------------------------------------- */

static void
revoked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GCertAcmeResponse) response = NULL;
  GError *error = NULL;

  response = gcert_acme_client_post_finish (GCERT_ACME_CLIENT (source), result, &error);
  if (response == NULL)
    {
      /* the CA's detail varies; this one outcome is worth a plain message */
      if (g_error_matches (error, GCERT_ACME_ERROR, GCERT_ACME_ERROR_ALREADY_REVOKED))
        {
          g_clear_error (&error);
          error = g_error_new_literal (GCERT_ACME_ERROR, GCERT_ACME_ERROR_ALREADY_REVOKED,
                                       _("the CA has already revoked this certificate"));
        }
      g_prefix_error (&error, _("revoking the certificate: "));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
revoke_directory_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertAcmeClient *self = GCERT_ACME_CLIENT (source);
  const GCertAcmeDirectory *dir;
  GCancellable *cancellable;
  const char *payload;
  GError *error = NULL;

  dir = gcert_acme_client_load_directory_finish (self, result, &error);
  if (dir == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (dir->revoke_cert == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                               _("the CA offers no revocation: its directory has no revokeCert"));
      return;
    }
  if (self->account_url == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               "internal error: revoking before the account is registered");
      return;
    }
  payload = g_task_get_task_data (task);
  cancellable = g_task_get_cancellable (task);
  gcert_acme_client_post_async (self, dir->revoke_cert, payload, GCERT_ACME_REQUEST_NO_CONTENT,
                                cancellable, revoked_cb, g_steal_pointer (&task));
}

void
gcert_acme_client_revoke_async (GCertAcmeClient     *self,
                                GBytes              *certificate_der,
                                guint                reason,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *encoded = NULL;
  gsize length = 0;
  const guint8 *der;

  g_return_if_fail (GCERT_IS_ACME_CLIENT (self));
  g_return_if_fail (certificate_der != NULL);
  g_return_if_fail (self->account_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_acme_client_revoke_async);
  der = g_bytes_get_data (certificate_der, &length);
  if (length == 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("revoking the certificate: the certificate is empty"));
      return;
    }
  encoded = gcert_base64url_encode (der, length);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificate");
  json_builder_add_string_value (builder, encoded);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_int_value (builder, reason);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  g_task_set_task_data (task, json_to_string (root, FALSE), g_free);
  gcert_acme_client_load_directory_async (self, cancellable, revoke_directory_cb,
                                          g_steal_pointer (&task));
}

gboolean
gcert_acme_client_revoke_finish (GCertAcmeClient  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
