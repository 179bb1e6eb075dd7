/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "gcert-cloudflare-api.h"
#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-settings.h"

/* TXT records through the Cloudflare API v4 with an API token
 * (Authorization: Bearer). Each value is one record: it is created with
 * POST /zones/ID/dns_records, and removed by the id the API gave it, or,
 * after a restart, by the id of the one record with that exact content. */

#define DEFAULT_API_URL       "https://api.cloudflare.com/client/v4"
#define TOKEN_ENV             "CF_Token"
#define DEFAULT_TTL           60
#define DEFAULT_TIMEOUT       30
#define MAX_TIMEOUT           600
#define MAX_TOKEN_LENGTH      1024

#define GCERT_TYPE_CLOUDFLARE_PROVIDER (gcert_cloudflare_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertCloudflareProvider, gcert_cloudflare_provider,
                      GCERT, CLOUDFLARE_PROVIDER, GObject)

typedef struct {
  char *zone_id;
  char *zone_label;
  char *record_id;
} Remembered;

struct _GCertCloudflareProvider {
  GObject               parent_instance;
  char                 *api_url;     /* without a trailing slash */
  GCertCloudflareToken  token;
  GCertCloudflareToken  zone_token;  /* secret NULL: the main token finds zones too */
  char                 *zone_id;     /* from the configuration: no lookup */
  guint                 ttl;
  SoupSession          *session;
  GHashTable           *zones;       /* candidate name → zone id, "" when it is none */
  GHashTable           *records;     /* "NAME\nVALUE" → Remembered* */
  /* operations on one name run one after the other, so that a lookup by
   * content never races with our own create or delete there */
  GHashTable           *queues;      /* name → GQueue of GTask*, the head running */
};

static void gcert_cloudflare_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertCloudflareProvider, gcert_cloudflare_provider,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_cloudflare_provider_iface_init))

static void
remembered_free (Remembered *remembered)
{
  g_free (remembered->zone_id);
  g_free (remembered->zone_label);
  g_free (remembered->record_id);
  g_free (remembered);
}

/* --- setup ----------------------------------------------------------------- */

/* RFC 6750 b64token: what may follow "Bearer " */
static gboolean
is_bearer_token (const char *text)
{
  gsize len = strlen (text);

  if (len == 0 || len > MAX_TOKEN_LENGTH)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("-._~+/=", *p) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_token_file (GCertSettings         *settings,
                 const char            *key,
                 GCertCloudflareToken  *token,
                 GError               **error)
{
  g_autofree char *path = NULL;
  char *secret;

  path = gcert_settings_get_path (settings, key, TRUE, error);
  if (path == NULL)
    return FALSE;
  secret = gcert_settings_read_secret (settings, key, error);
  if (secret == NULL)
    return FALSE;
  token->secret = secret;
  /* TRANSLATORS: %s is a file name */
  token->origin = g_strdup_printf (_("the API token in %s"), path);
  if (!is_bearer_token (token->secret))
    {
      gcert_settings_set_error (settings, error, key,
                                _("%s is not an API token: expected one line of letters, "
                                  "digits and -._~+/="), path);
      gcert_cloudflare_token_clear (token);
      return FALSE;
    }
  return TRUE;
}

static gboolean
setup_api_url (GCertCloudflareProvider  *self,
               GCertSettings            *settings,
               GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;

  url = gcert_settings_get_url (settings, "api-url", FALSE,
                                GCERT_SETTINGS_URL_FLAGS_HTTPS_UNLESS_LOOPBACK, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_free (self->api_url);
  self->api_url = url != NULL ? g_steal_pointer (&url) : g_strdup (DEFAULT_API_URL);
  return TRUE;
}

/* 1 is Cloudflare's "automatic"; otherwise 60 s to a day */
static gboolean
setup_ttl (GCertCloudflareProvider  *self,
           GCertSettings            *settings,
           GError                  **error)
{
  gint64 ttl;

  if (!gcert_settings_get_duration (settings, "ttl", DEFAULT_TTL, &ttl, error))
    return FALSE;
  if (ttl != 1 && (ttl < 60 || ttl > 86400))
    {
      gcert_settings_set_error (settings, error, "ttl",
                                _("must be 1 (automatic) or between 60s and 86400s"));
      return FALSE;
    }
  self->ttl = ttl;
  return TRUE;
}

static gboolean
is_zone_id (const char *text)
{
  if (strlen (text) != 32)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return FALSE;
    }
  return TRUE;
}

static gboolean
gcert_cloudflare_provider_setup (GCertDnsProvider  *provider,
                                 GCertSettings     *settings,
                                 GError           **error)
{
  GCertCloudflareProvider *self = GCERT_CLOUDFLARE_PROVIDER (provider);
  static const char * const allowed[] = {
    "plugin", "token-file", "zone-id", "zone-token-file", "api-url", "ttl", "timeout", NULL
  };
  g_autofree char *zone_id = NULL;
  gint64 timeout;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;
  if (!setup_api_url (self, settings, error))
    return FALSE;
  if (!setup_ttl (self, settings, error))
    return FALSE;
  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT, 1, MAX_TIMEOUT,
                                             &timeout, error))
    return FALSE;

  if (!gcert_settings_get_optional_string (settings, "zone-id", &zone_id, error))
    return FALSE;
  if (zone_id != NULL && !is_zone_id (zone_id))
    {
      gcert_settings_set_error (settings, error, "zone-id",
                                _("“%s” is not a Cloudflare zone ID (32 hexadecimal digits, "
                                  "shown on the zone's overview page)"), zone_id);
      return FALSE;
    }

  gcert_cloudflare_token_clear (&self->token);
  gcert_cloudflare_token_clear (&self->zone_token);
  if (gcert_settings_has_key (settings, "token-file"))
    {
      if (!read_token_file (settings, "token-file", &self->token, error))
        return FALSE;
    }
  else
    {
      const char *env = g_getenv (TOKEN_ENV);

      if (env == NULL || *env == '\0')
        {
          gcert_settings_set_error (settings, error, NULL,
                                    _("no Cloudflare API token: set token-file, or the "
                                      "environment variable %s"), TOKEN_ENV);
          return FALSE;
        }
      if (!is_bearer_token (env))
        {
          gcert_settings_set_error (settings, error, NULL,
                                    _("the environment variable %s does not hold an API token: "
                                      "expected letters, digits and -._~+/="), TOKEN_ENV);
          return FALSE;
        }
      self->token.secret = g_strdup (env);
      self->token.origin = g_strdup_printf (_("the API token in the environment variable %s"),
                                            TOKEN_ENV);
    }
  if (gcert_settings_has_key (settings, "zone-token-file") &&
      !read_token_file (settings, "zone-token-file", &self->zone_token, error))
    return FALSE;

  g_free (self->zone_id);
  self->zone_id = zone_id != NULL ? g_ascii_strdown (zone_id, -1) : NULL;

  g_clear_object (&self->session);
  /* a local API (tests, a relay) is never reached through a proxy */
  if (gcert_settings_url_is_loopback (self->api_url))
    self->session = soup_session_new_with_options ("timeout", (guint) timeout,
                                                   "user-agent", "gcert/" PACKAGE_VERSION,
                                                   "proxy-resolver", NULL,
                                                   NULL);
  else
    self->session = soup_session_new_with_options ("timeout", (guint) timeout,
                                                   "user-agent", "gcert/" PACKAGE_VERSION,
                                                   NULL);
  return TRUE;
}

typedef enum {
  NEED_ZONE_READ,
  NEED_DNS_EDIT,
} Need;

/* The error for an answer with success = false: what the server said, and
 * for a refused token which permission it lacks. */
static GError *
reply_to_error (GCertCloudflareProvider    *self,
                const GCertCloudflareReply *reply,
                const GCertCloudflareToken *token,
                Need                        need,
                const char                 *zone_label)
{
  if (token->secret == NULL)
    token = &self->token;

  if (gcert_cloudflare_reply_is_auth_error (reply))
    {
      if (need == NEED_ZONE_READ)
        return g_error_new (GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                            _("%s %s: %s was refused (%s); the token needs Zone:Read on the "
                              "zone, or set zone-id"),
                            reply->method, reply->url, token->origin, reply->errors);
      return g_error_new (GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                          _("%s %s: %s was refused (%s); the token needs DNS:Edit on %s"),
                          reply->method, reply->url, token->origin, reply->errors, zone_label);
    }
  if (need == NEED_DNS_EDIT && (gcert_cloudflare_reply_has_code (reply, 7003) ||
                                gcert_cloudflare_reply_has_code (reply, 7000)))
    {
      if (self->zone_id != NULL)
        return g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                            _("%s %s answered HTTP %u (%s); is zone-id %s right?"),
                            reply->method, reply->url, reply->status, reply->errors,
                            self->zone_id);
      return g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                          _("%s %s answered HTTP %u (%s)"),
                          reply->method, reply->url, reply->status, reply->errors);
    }
  return g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED, _("%s %s answered HTTP %u (%s)"),
                      reply->method, reply->url, reply->status, reply->errors);
}

/* --- operations ------------------------------------------------------------ */

typedef enum {
  OP_CREATE,
  OP_REMOVE,
} OpKind;

typedef struct {
  OpKind    kind;
  char     *fqdn;         /* lowercase, with its trailing dot */
  char     *name;         /* without it, as the API writes names */
  char     *value;
  char     *key;          /* NAME "\n" VALUE */
  GStrv     candidates;   /* where the zone may start, longest first */
  guint     candidate;
  guint     page;
  char     *zone_id;
  char     *zone_label;   /* "zone example.com" or "zone ID …" */
  char     *duplicate;    /* the errors of a POST that found an identical record */
} Op;

static void
op_free (Op *op)
{
  g_free (op->fqdn);
  g_free (op->name);
  g_free (op->value);
  g_free (op->key);
  g_strfreev (op->candidates);
  g_free (op->zone_id);
  g_free (op->zone_label);
  g_free (op->duplicate);
  g_free (op);
}

static void run_op (GTask *task);

/* Ends the operation and starts the next one queued for its name. */
static void
op_return (GTask  *task,
           GError *error)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GQueue *queue = g_hash_table_lookup (self->queues, op->name);
  g_autoptr(GTask) done = NULL;
  GTask *next;

  g_assert (queue != NULL && g_queue_peek_head (queue) == task);
  done = g_queue_pop_head (queue);
  next = g_queue_peek_head (queue);
  if (next == NULL)
    g_hash_table_remove (self->queues, op->name);

  if (error != NULL)
    {
      g_prefix_error (&error, op->kind == OP_CREATE ? _("adding TXT value at %s: ") :
                                                      _("removing TXT value at %s: "),
                      op->fqdn);
      g_task_return_error (task, error);
    }
  else
    {
      g_task_return_boolean (task, TRUE);
    }
  if (next != NULL)
    run_op (next);
}

static void
remember (GCertCloudflareProvider *self,
          Op                      *op,
          const char              *record_id)
{
  Remembered *remembered = g_new0 (Remembered, 1);

  remembered->zone_id = g_strdup (op->zone_id);
  remembered->zone_label = g_strdup (op->zone_label);
  remembered->record_id = g_strdup (record_id);
  g_hash_table_replace (self->records, g_strdup (op->key), remembered);
}

/* TXT content as the API shows it may be quoted */
static gboolean
content_matches (const char *content,
                 const char *value)
{
  gsize len = strlen (content);

  if (g_strcmp0 (content, value) == 0)
    return TRUE;
  return len >= 2 && content[0] == '"' && content[len - 1] == '"' &&
         strlen (value) == len - 2 && strncmp (content + 1, value, len - 2) == 0;
}

static void delete_record (GTask *task, const char *record_id);

static void
delete_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GCertCloudflareReply) reply = NULL;
  GError *error = NULL;

  reply = gcert_cloudflare_call_finish (result, &error);
  if (reply == NULL)
    {
      op_return (task, error);
      return;
    }
  /* gone already: removing is idempotent */
  if (reply->success || gcert_cloudflare_reply_has_code (reply, 81044) ||
      reply->status == SOUP_STATUS_NOT_FOUND)
    {
      g_hash_table_remove (self->records, op->key);
      op_return (task, NULL);
      return;
    }
  op_return (task, reply_to_error (self, reply, &self->token, NEED_DNS_EDIT, op->zone_label));
}

static void
delete_record (GTask      *task,
               const char *record_id)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *url = g_strdup_printf ("%s/zones/%s/dns_records/%s", self->api_url,
                                          op->zone_id, record_id);

  gcert_cloudflare_call_async (self->session, &self->token, &self->zone_token, "DELETE", url, NULL,
                               g_task_get_cancellable (task), delete_cb, g_object_ref (task));
}

static void list_records (GTask *task);

static void
list_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GCertCloudflareReply) reply = NULL;
  GError *error = NULL;
  JsonArray *array;
  const char *found = NULL;

  reply = gcert_cloudflare_call_finish (result, &error);
  if (reply == NULL)
    {
      op_return (task, error);
      return;
    }
  if (!reply->success)
    {
      op_return (task, reply_to_error (self, reply, &self->token, NEED_DNS_EDIT, op->zone_label));
      return;
    }
  array = gcert_cloudflare_reply_get_result_array (reply, &error);
  if (array == NULL)
    {
      op_return (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array) && found == NULL; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *record;
      const char *type, *name, *content, *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      record = json_node_get_object (node);
      type = gcert_cloudflare_object_get_string (record, "type");
      name = gcert_cloudflare_object_get_string (record, "name");
      content = gcert_cloudflare_object_get_string (record, "content");
      id = gcert_cloudflare_object_get_string (record, "id");
      /* only the record with our value, never another one at this name */
      if (g_strcmp0 (type, "TXT") == 0 && name != NULL &&
          g_ascii_strcasecmp (name, op->name) == 0 && content != NULL &&
          content_matches (content, op->value) && gcert_cloudflare_is_safe_id (id))
        found = id;
    }

  if (found != NULL && op->kind == OP_CREATE)
    {
      remember (self, op, found);
      op_return (task, NULL);
      return;
    }
  if (found != NULL)
    {
      delete_record (task, found);
      return;
    }
  if (op->page < gcert_cloudflare_reply_get_total_pages (reply) &&
      op->page < GCERT_CLOUDFLARE_MAX_PAGES)
    {
      op->page++;
      list_records (task);
      return;
    }
  if (op->kind == OP_CREATE)
    {
      op_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                                    _("POST %s/zones/%s/dns_records answered that an identical "
                                      "record exists (%s), but %s lists no TXT record with this "
                                      "value"),
                                    self->api_url, op->zone_id, op->duplicate, reply->url));
      return;
    }
  /* not there: nothing to remove */
  op_return (task, NULL);
}

static void
list_records (GTask *task)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *name = g_uri_escape_string (op->name, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/zones/%s/dns_records?type=TXT&name=%s&page=%u",
                                          self->api_url, op->zone_id, name, op->page);

  gcert_cloudflare_call_async (self->session, &self->token, &self->zone_token, "GET", url, NULL,
                               g_task_get_cancellable (task), list_cb, g_object_ref (task));
}

static void
post_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GCertCloudflareReply) reply = NULL;
  GError *error = NULL;
  JsonNode *node;
  const char *id = NULL;

  reply = gcert_cloudflare_call_finish (result, &error);
  if (reply == NULL)
    {
      op_return (task, error);
      return;
    }
  /* ours from an earlier try, or someone else's with our value */
  if (!reply->success && gcert_cloudflare_reply_has_code (reply, 81058))
    {
      op->duplicate = g_strdup (reply->errors);
      op->page = 1;
      list_records (task);
      return;
    }
  if (!reply->success)
    {
      op_return (task, reply_to_error (self, reply, &self->token, NEED_DNS_EDIT, op->zone_label));
      return;
    }

  node = json_object_get_member (reply->envelope, "result");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    id = gcert_cloudflare_object_get_string (json_node_get_object (node), "id");
  if (!gcert_cloudflare_is_safe_id (id))
    {
      op_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                    _("%s %s: the answer has no valid record id"),
                                    reply->method, reply->url));
      return;
    }
  remember (self, op, id);
  op_return (task, NULL);
}

static void
post_record (GTask *task)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *url = g_strdup_printf ("%s/zones/%s/dns_records", self->api_url, op->zone_id);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "TXT");
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, op->name);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, op->value);
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, self->ttl);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  gcert_cloudflare_call_async (self->session, &self->token, &self->zone_token, "POST", url, body,
                               g_task_get_cancellable (task), post_cb, g_object_ref (task));
}

static void
zone_found (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  g_debug ("%s is in %s", op->fqdn, op->zone_label);
  op->page = 1;
  if (op->kind == OP_CREATE)
    post_record (task);
  else
    list_records (task);
}

static void
set_zone (Op         *op,
          const char *zone_id,
          const char *zone_name)
{
  g_free (op->zone_id);
  op->zone_id = g_strdup (zone_id);
  g_free (op->zone_label);
  /* TRANSLATORS: %s is a domain name such as example.com */
  op->zone_label = zone_name != NULL ? g_strdup_printf (_("zone %s"), zone_name) :
                                       g_strdup_printf (_("zone ID %s"), zone_id);
}

static void zone_lookup_next (GTask *task);

static void
zone_list_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  const char *candidate = op->candidates[op->candidate];
  g_autoptr(GCertCloudflareReply) reply = NULL;
  GError *error = NULL;
  JsonArray *array;

  reply = gcert_cloudflare_call_finish (result, &error);
  if (reply == NULL)
    {
      op_return (task, error);
      return;
    }
  if (!reply->success)
    {
      error = reply_to_error (self, reply, &self->zone_token, NEED_ZONE_READ, NULL);
      g_prefix_error (&error, _("looking up the zone: "));
      op_return (task, error);
      return;
    }
  array = gcert_cloudflare_reply_get_result_array (reply, &error);
  if (array == NULL)
    {
      op_return (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *name, *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      name = gcert_cloudflare_object_get_string (json_node_get_object (node), "name");
      id = gcert_cloudflare_object_get_string (json_node_get_object (node), "id");
      if (name != NULL && g_ascii_strcasecmp (name, candidate) == 0 &&
          gcert_cloudflare_is_safe_id (id))
        {
          g_hash_table_replace (self->zones, g_strdup (candidate), g_strdup (id));
          set_zone (op, id, candidate);
          zone_found (task);
          return;
        }
    }

  if (op->page < gcert_cloudflare_reply_get_total_pages (reply) &&
      op->page < GCERT_CLOUDFLARE_MAX_PAGES)
    {
      op->page++;
      zone_lookup_next (task);
      return;
    }
  g_hash_table_replace (self->zones, g_strdup (candidate), g_strdup (""));
  op->candidate++;
  op->page = 1;
  zone_lookup_next (task);
}

/* Asks for each candidate in turn, from the record's own name upwards:
 * the longest one that is a zone is where the record goes. */
static void
zone_lookup_next (GTask *task)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  const GCertCloudflareToken *token = self->zone_token.secret != NULL ? &self->zone_token :
                                                                        &self->token;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  const char *candidate;

  for (; op->candidates[op->candidate] != NULL; op->candidate++)
    {
      const char *cached = g_hash_table_lookup (self->zones, op->candidates[op->candidate]);

      if (cached == NULL)
        break;
      if (*cached != '\0')
        {
          set_zone (op, cached, op->candidates[op->candidate]);
          zone_found (task);
          return;
        }
    }

  candidate = op->candidates[op->candidate];
  if (candidate == NULL)
    {
      g_autofree char *asked = g_strjoinv (", ", op->candidates);

      op_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                                    _("no Cloudflare zone at %s holds this name (looked for %s); "
                                      "is the zone in this account, and may %s read it "
                                      "(Zone:Read)? Or set zone-id"),
                                    self->api_url, asked, token->origin));
      return;
    }

  escaped = g_uri_escape_string (candidate, NULL, FALSE);
  url = g_strdup_printf ("%s/zones?name=%s&page=%u", self->api_url, escaped, op->page);
  gcert_cloudflare_call_async (self->session, token, &self->token, "GET", url, NULL,
                               g_task_get_cancellable (task), zone_list_cb, g_object_ref (task));
}

static void
find_zone (GTask *task)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);

  if (self->zone_id != NULL)
    {
      set_zone (op, self->zone_id, NULL);
      zone_found (task);
      return;
    }
  op->candidate = 0;
  op->page = 1;
  zone_lookup_next (task);
}

static void
run_op (GTask *task)
{
  GCertCloudflareProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  Remembered *remembered;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      op_return (task, error);
      return;
    }

  remembered = g_hash_table_lookup (self->records, op->key);
  if (op->kind == OP_REMOVE && remembered != NULL)
    {
      set_zone (op, remembered->zone_id, NULL);
      g_free (op->zone_label);
      op->zone_label = g_strdup (remembered->zone_label);
      delete_record (task, remembered->record_id);
      return;
    }
  find_zone (task);
}

/* "a.b.example.com" → a.b.example.com, b.example.com, example.com */
static GStrv
zone_candidates (const char *name)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = name;

  while (strchr (p, '.') != NULL)
    {
      g_strv_builder_add (builder, p);
      p = strchr (p, '.') + 1;
    }
  return g_strv_builder_end (builder);
}

static gboolean
is_record_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.' ||
      strstr (name, "..") != NULL || strchr (name, '.') == NULL)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.' && *p != '*')
        return FALSE;
    }
  return TRUE;
}

static void
enqueue (GCertCloudflareProvider *self,
         OpKind                   kind,
         const char              *fqdn,
         const char              *value,
         GCancellable            *cancellable,
         GAsyncReadyCallback      callback,
         gpointer                 user_data,
         gpointer                 source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  GQueue *queue;
  Op *op;
  gsize len;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  if (self->session == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the cloudflare plugin is not set up"));
      return;
    }

  name = g_ascii_strdown (fqdn, -1);
  len = strlen (name);
  if (len > 0 && name[len - 1] == '.')
    name[len - 1] = '\0';
  if (!is_record_name (name))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("“%s” is not a DNS name of at least two labels"), fqdn);
      return;
    }
  if (*value == '\0' || strlen (value) > 2048 || !g_utf8_validate (value, -1, NULL))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("invalid TXT value for %s"), fqdn);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->fqdn = g_strconcat (name, ".", NULL);
  op->name = g_steal_pointer (&name);
  op->value = g_strdup (value);
  op->key = g_strconcat (op->name, "\n", value, NULL);
  op->candidates = zone_candidates (op->name);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  queue = g_hash_table_lookup (self->queues, op->name);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->queues, g_strdup (op->name), queue);
    }
  g_queue_push_tail (queue, g_object_ref (task));
  if (g_queue_get_length (queue) == 1)
    run_op (task);
}

static void
gcert_cloudflare_provider_create_record_async (GCertDnsProvider    *provider,
                                               const char          *fqdn,
                                               const char          *value,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  enqueue (GCERT_CLOUDFLARE_PROVIDER (provider), OP_CREATE, fqdn, value, cancellable,
           callback, user_data, gcert_cloudflare_provider_create_record_async);
}

static gboolean
gcert_cloudflare_provider_create_record_finish (GCertDnsProvider  *provider,
                                                GAsyncResult      *result,
                                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_cloudflare_provider_remove_record_async (GCertDnsProvider    *provider,
                                               const char          *fqdn,
                                               const char          *value,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  enqueue (GCERT_CLOUDFLARE_PROVIDER (provider), OP_REMOVE, fqdn, value, cancellable,
           callback, user_data, gcert_cloudflare_provider_remove_record_async);
}

static gboolean
gcert_cloudflare_provider_remove_record_finish (GCertDnsProvider  *provider,
                                                GAsyncResult      *result,
                                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_cloudflare_provider_finalize (GObject *object)
{
  GCertCloudflareProvider *self = GCERT_CLOUDFLARE_PROVIDER (object);

  /* every queued task holds a reference to us */
  g_assert (g_hash_table_size (self->queues) == 0);
  g_free (self->api_url);
  gcert_cloudflare_token_clear (&self->token);
  gcert_cloudflare_token_clear (&self->zone_token);
  g_free (self->zone_id);
  g_clear_object (&self->session);
  g_clear_pointer (&self->zones, g_hash_table_unref);
  g_clear_pointer (&self->records, g_hash_table_unref);
  g_clear_pointer (&self->queues, g_hash_table_unref);

  G_OBJECT_CLASS (gcert_cloudflare_provider_parent_class)->finalize (object);
}

static void
gcert_cloudflare_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_cloudflare_provider_setup;
  iface->create_record_async = gcert_cloudflare_provider_create_record_async;
  iface->create_record_finish = gcert_cloudflare_provider_create_record_finish;
  iface->remove_record_async = gcert_cloudflare_provider_remove_record_async;
  iface->remove_record_finish = gcert_cloudflare_provider_remove_record_finish;
}

static void
gcert_cloudflare_provider_class_init (GCertCloudflareProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_cloudflare_provider_finalize;
}

static void
gcert_cloudflare_provider_class_finalize (GCertCloudflareProviderClass *klass)
{
}

static void
gcert_cloudflare_provider_init (GCertCloudflareProvider *self)
{
  self->zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) remembered_free);
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_queue_free);
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: libsoup and GLib may call back into us after an operation */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_cloudflare_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_CLOUDFLARE_PROVIDER, "cloudflare", 0);
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
