/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-retry.h"
#include "gcert-settings.h"

/* The HTTP API of PowerDNS Authoritative (4.x, /api/v1). A PATCH replaces
 * a whole RRset, so adding or removing one TXT value reads the RRset and
 * writes the union or the remainder. */

#define DEFAULT_SERVER_ID     "localhost"
#define DEFAULT_TTL           60
#define MAX_TTL               86400
#define DEFAULT_TIMEOUT       30
#define MAX_TIMEOUT           3600
#define MAX_ATTEMPTS          3
#define MAX_BODY_SIZE         (8 * 1024 * 1024)
#define READ_CHUNK_SIZE       65536
#define MAX_TEXT_IN_ERROR     300
#define MAX_TXT_STRING        255

#define GCERT_TYPE_POWERDNS_PROVIDER (gcert_powerdns_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertPowerdnsProvider, gcert_powerdns_provider,
                      GCERT, POWERDNS_PROVIDER, GObject)

struct _GCertPowerdnsProvider {
  GObject      parent_instance;
  char        *api_url;        /* base URL, without a trailing slash */
  char        *server_id;
  char        *zone;           /* from the config, lowercase with its dot; or NULL */
  char        *api_key;
  char        *api_key_file;   /* named in errors instead of the key */
  gint64       ttl;
  guint        timeout;
  SoupSession *session;
  GHashTable  *zones;          /* fqdn → Zone found by walking up */
  /* a read-modify-write of a name must not interleave with another one of
   * the same name: the running operation's name maps to those waiting */
  GHashTable  *busy;           /* fqdn → GQueue of GTask* */
};

static void gcert_powerdns_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertPowerdnsProvider, gcert_powerdns_provider,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_powerdns_provider_iface_init))

typedef struct {
  char *name;   /* "example.com." */
  char *id;     /* as in the API's URLs */
} Zone;

static void
zone_free (Zone *zone)
{
  g_free (zone->name);
  g_free (zone->id);
  g_free (zone);
}

static Zone *
zone_new (const char *name,
          const char *id)
{
  Zone *zone = g_new0 (Zone, 1);

  zone->name = g_strdup (name);
  zone->id = g_strdup (id != NULL ? id : name);
  return zone;
}

/* --- settings ------------------------------------------------------------- */

static gboolean
is_domain_name (const char *name)
{
  g_auto(GStrv) labels = NULL;
  g_autofree char *copy = g_strdup (name);
  gsize length = strlen (copy);

  if (length > 0 && copy[length - 1] == '.')
    copy[--length] = '\0';
  if (length == 0 || length > 253)
    return FALSE;
  labels = g_strsplit (copy, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize label_length = strlen (labels[i]);

      if (label_length == 0 || label_length > 63)
        return FALSE;
      for (const char *p = labels[i]; *p != '\0'; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
setup_api_url (GCertPowerdnsProvider  *self,
               GCertSettings          *settings,
               GError                **error)
{
  g_autofree char *url = NULL;

  url = gcert_settings_get_url (settings, "api-url", TRUE, GCERT_SETTINGS_URL_FLAGS_NONE, error);
  if (url == NULL)
    return FALSE;
  if (g_str_has_suffix (url, "/api/v1") || g_str_has_suffix (url, "/api"))
    {
      gcert_settings_set_error (settings, error, "api-url",
                                _("“%s” must be the base URL of the webserver, without /api/v1"),
                                url);
      return FALSE;
    }
  g_free (self->api_url);
  self->api_url = g_steal_pointer (&url);
  return TRUE;
}

static gboolean
setup_names (GCertPowerdnsProvider  *self,
             GCertSettings          *settings,
             GError                **error)
{
  g_autofree char *server_id = NULL;
  g_autofree char *zone = NULL;

  if (!gcert_settings_get_optional_string (settings, "server-id", &server_id, error))
    return FALSE;
  if (server_id == NULL)
    server_id = g_strdup (DEFAULT_SERVER_ID);
  if (*server_id == '\0' || strspn (server_id, "abcdefghijklmnopqrstuvwxyz"
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789._-") != strlen (server_id))
    {
      gcert_settings_set_error (settings, error, "server-id",
                                _("“%s” is not a server id (letters, digits, “.”, “_” and “-”)"),
                                server_id);
      return FALSE;
    }

  if (!gcert_settings_get_optional_string (settings, "zone", &zone, error))
    return FALSE;
  if (zone != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (zone, -1);
      gsize length = strlen (lower);

      if (length > 0 && lower[length - 1] == '.')
        lower[--length] = '\0';
      if (!is_domain_name (lower))
        {
          gcert_settings_set_error (settings, error, "zone", _("“%s” is not a domain name"),
                                    zone);
          return FALSE;
        }
      g_free (self->zone);
      self->zone = g_strconcat (lower, ".", NULL);
    }

  g_free (self->server_id);
  self->server_id = g_steal_pointer (&server_id);
  return TRUE;
}

static gboolean
setup_numbers (GCertPowerdnsProvider  *self,
               GCertSettings          *settings,
               GError                **error)
{
  gint64 ttl;
  gint64 timeout;

  if (!gcert_settings_get_duration_in_range (settings, "ttl", DEFAULT_TTL, 1, MAX_TTL, &ttl,
                                             error) ||
      !gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT, 1, MAX_TIMEOUT,
                                             &timeout, error))
    return FALSE;
  self->ttl = ttl;
  self->timeout = timeout;
  return TRUE;
}

static gboolean
setup_session (GCertPowerdnsProvider  *self,
               GCertSettings          *settings,
               GError                **error)
{
  g_autofree char *ca_file = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *user_agent = g_strdup_printf ("gcert-powerdns/%s", PACKAGE_VERSION);

  if (!gcert_settings_get_optional_path (settings, "ca-certificates", &ca_file, error))
    return FALSE;
  if (ca_file != NULL)
    {
      database = g_tls_file_database_new (ca_file, &local_error);
      if (database == NULL)
        {
          gcert_settings_set_error (settings, error, "ca-certificates",
                                    _("cannot load certificates from %s: %s"), ca_file,
                                    local_error->message);
          return FALSE;
        }
    }

  /* the default proxy resolver: a proxy only when the environment sets one */
  g_clear_object (&self->session);
  self->session = soup_session_new_with_options ("timeout", self->timeout,
                                                 "user-agent", user_agent,
                                                 NULL);
  if (database != NULL)
    soup_session_set_tls_database (self->session, database);
  return TRUE;
}

static gboolean
setup_key (GCertPowerdnsProvider  *self,
           GCertSettings          *settings,
           GError                **error)
{
  g_autoptr(GCertSecret) key = NULL;
  g_autofree char *path = NULL;

  key = gcert_settings_read_secret (settings, "api-key-file", error);
  if (key == NULL)
    return FALSE;
  path = gcert_settings_get_path (settings, "api-key-file", TRUE, error);
  if (path == NULL)
    return FALSE;
  if (*key == '\0')
    {
      gcert_settings_set_error (settings, error, "api-key-file", _("%s is empty"), path);
      return FALSE;
    }
  /* it goes into an HTTP header */
  for (const char *p = key; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
        {
          gcert_settings_set_error (settings, error, "api-key-file",
                                    _("the key in %s contains a line break or another "
                                      "control character"), path);
          return FALSE;
        }
    }

  g_free (self->api_key_file);
  self->api_key_file = g_steal_pointer (&path);
  gcert_settings_free_secret (self->api_key);
  self->api_key = g_steal_pointer (&key);
  return TRUE;
}

static gboolean
gcert_powerdns_provider_setup (GCertDnsProvider  *provider,
                               GCertSettings     *settings,
                               GError           **error)
{
  GCertPowerdnsProvider *self = GCERT_POWERDNS_PROVIDER (provider);
  static const char * const allowed[] = {
    "plugin", "api-url", "api-key-file", "server-id", "zone", "ttl", "timeout",
    "ca-certificates", NULL
  };

  return gcert_settings_check_keys (settings, allowed, error) &&
         setup_api_url (self, settings, error) &&
         setup_names (self, settings, error) &&
         setup_numbers (self, settings, error) &&
         setup_session (self, settings, error) &&
         setup_key (self, settings, error);
}

/* --- TXT contents ---------------------------------------------------------- */

/* The value of an RDATA text as PowerDNS shows it ("\"abc\"", several
 * strings for long values, \" \\ and \DDD escapes), or NULL when malformed. */
static char *
txt_decode (const char *content)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = content;

  while (*p != '\0')
    {
      gboolean quoted;

      if (g_ascii_isspace (*p))
        {
          p++;
          continue;
        }
      quoted = *p == '"';
      if (quoted)
        p++;
      while (*p != '\0' && (quoted ? *p != '"' : !g_ascii_isspace (*p)))
        {
          if (*p != '\\')
            {
              g_string_append_c (out, *p++);
              continue;
            }
          p++;
          if (g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]))
            {
              int byte = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');

              if (byte > 255)
                return NULL;
              g_string_append_c (out, (char) byte);
              p += 3;
            }
          else if (*p != '\0')
            {
              g_string_append_c (out, *p++);
            }
          else
            {
              return NULL;
            }
        }
      if (quoted)
        {
          if (*p != '"')
            return NULL;
          p++;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Quoted strings of at most 255 bytes each, as the API expects them. */
static char *
txt_encode (const char *value)
{
  GString *out = g_string_new (NULL);
  gsize length = strlen (value);

  for (gsize start = 0; start < length || start == 0; start += MAX_TXT_STRING)
    {
      if (start > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '"');
      for (gsize i = start; i < length && i < start + MAX_TXT_STRING; i++)
        {
          guchar c = value[i];

          if (c == '"' || c == '\\')
            g_string_append_printf (out, "\\%c", c);
          else if (c < 0x20 || c >= 0x7f)
            g_string_append_printf (out, "\\%03u", c);
          else
            g_string_append_c (out, c);
        }
      g_string_append_c (out, '"');
      if (length == 0)
        break;
    }
  return g_string_free (out, FALSE);
}

/* --- requests -------------------------------------------------------------- */

typedef struct {
  guint   status;
  char   *reason;
  char   *location;
  GBytes *body;
  char   *what;     /* "GET URL", for messages */
} Response;

static void
response_free (Response *response)
{
  g_free (response->reason);
  g_free (response->location);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response->what);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

typedef struct {
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *body;
  char         *what;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->message);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request->what);
  g_free (request);
}

static void request_read_next (GTask *task);

static void
request_return_error (GTask  *task,
                      GError *error)
{
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) owned = error;
  GCertError code;

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&owned));
      return;
    }
  /* a certificate that is not trusted will not go away by itself */
  code = owned->domain == G_TLS_ERROR && !gcert_retry_is_transient_error (owned) ?
         GCERT_ERROR_FAILED : GCERT_ERROR_NETWORK;
  g_task_return_new_error (task, GCERT_ERROR, code, "%s: %s", request->what, owned->message);
}

static void
request_read_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  Response *response;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);
  if (chunk == NULL)
    {
      request_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) > 0)
    {
      if (request->body->len + g_bytes_get_size (chunk) > MAX_BODY_SIZE)
        {
          g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                   _("%s: the answer is larger than %d MiB"), request->what,
                                   MAX_BODY_SIZE / (1024 * 1024));
          return;
        }
      g_byte_array_append (request->body, g_bytes_get_data (chunk, NULL),
                           g_bytes_get_size (chunk));
      request_read_next (g_steal_pointer (&task));
      return;
    }

  response = g_new0 (Response, 1);
  response->status = soup_message_get_status (request->message);
  response->reason = g_strdup (soup_message_get_reason_phrase (request->message));
  response->location = g_strdup (soup_message_headers_get_one (
                                   soup_message_get_response_headers (request->message),
                                   "Location"));
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&request->body));
  response->what = g_strdup (request->what);
  g_task_return_pointer (task, response, (GDestroyNotify) response_free);
}

static void
request_read_next (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (request->stream, READ_CHUNK_SIZE,
                                   g_task_get_priority (task), g_task_get_cancellable (task),
                                   request_read_cb, task);
}

static void
request_send_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  request->stream = soup_session_send_finish (SOUP_SESSION (source_object), result, &error);
  if (request->stream == NULL)
    {
      request_return_error (task, error);
      return;
    }
  request_read_next (g_steal_pointer (&task));
}

/* @path is below /api/v1/servers/ID and may carry a query; the answer of
 * any status is a Response, only a transport failure an error. */
static void
api_request_async (GCertPowerdnsProvider *self,
                   const char            *method,
                   const char            *path,
                   const char            *json_body,
                   GCancellable          *cancellable,
                   GAsyncReadyCallback    callback,
                   gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped_id = g_uri_escape_string (self->server_id, NULL, FALSE);
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;
  Request *request;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, api_request_async);

  url = g_strconcat (self->api_url, "/api/v1/servers/", escaped_id, path, NULL);
  request = g_new0 (Request, 1);
  request->what = g_strdup_printf ("%s %s", method, url);
  request->body = g_byte_array_new ();
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  request->message = soup_message_new (method, url);
  if (request->message == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED, _("invalid URL %s"), url);
      return;
    }
  /* a redirect would carry the key to wherever it points */
  soup_message_add_flags (request->message, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (request->message);
  soup_message_headers_replace (headers, "X-API-Key", self->api_key);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (request->message, "application/json", body);
    }
  soup_session_send_async (self->session, request->message, G_PRIORITY_DEFAULT, cancellable,
                           request_send_cb, g_steal_pointer (&task));
}

static Response *
api_request_finish (GCertPowerdnsProvider  *self,
                    GAsyncResult           *result,
                    GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
clean_text (const char *text,
            gsize       length)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", length);
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0' && out->len < MAX_TEXT_IN_ERROR; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  if (*valid != '\0' && out->len >= MAX_TEXT_IN_ERROR)
    g_string_append (out, "…");
  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

/* The server's own words: the "error" member of a JSON answer, else the
 * start of the body. */
static char *
response_text (Response *response)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);
  JsonNode *root;

  if (size > 0 && json_parser_load_from_data (parser, data, size, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonNode *member = json_object_get_member (json_node_get_object (root), "error");

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_STRING)
        {
          const char *text = json_node_get_string (member);

          return clean_text (text, strlen (text));
        }
    }
  return clean_text (data, size);
}

/* Maps a status other than 2xx to an error; @not_found says what a 404
 * means. GCERT_ERROR_NETWORK is for answers that may get better by
 * themselves. */
static gboolean
check_response (GCertPowerdnsProvider  *self,
                Response               *response,
                const char             *not_found,
                GError                **error)
{
  g_autofree char *text = NULL;
  guint status = response->status;

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    return TRUE;

  text = response_text (response);
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("%s: HTTP %u: the API refused the key in %s"), response->what, status,
                   self->api_key_file);
    }
  else if (status == SOUP_STATUS_NOT_FOUND)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND, "%s: HTTP 404: %s",
                   response->what, not_found);
    }
  else if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      g_autofree char *location = clean_text (response->location, -1);

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("%s: HTTP %u: redirected to “%s”; set api-url to the API's own address"),
                   response->what, status, location);
    }
  else if (status >= 500 || status == 429 /* Too Many Requests */)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, "%s: HTTP %u %s%s%s",
                   response->what, status, response->reason != NULL ? response->reason : "",
                   *text != '\0' ? ": " : "", text);
    }
  else
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "%s: HTTP %u%s%s",
                   response->what, status, *text != '\0' ? ": " : "", text);
    }
  return FALSE;
}

/* The answer when its status is 2xx. */
static Response *
api_request_finish_ok (GCertPowerdnsProvider  *self,
                       GAsyncResult           *result,
                       const char             *not_found,
                       GError                **error)
{
  g_autoptr(Response) response = api_request_finish (self, result, error);

  if (response == NULL || !check_response (self, response, not_found, error))
    return NULL;
  return g_steal_pointer (&response);
}

static JsonNode *
parse_json (Response  *response,
            GError   **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data != NULL ? data : "", size, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: the answer is not JSON: %s"), response->what, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: the answer is empty"), response->what);
      return NULL;
    }
  return json_node_copy (root);
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

static gboolean
get_boolean_member (JsonObject *object,
                    const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  return member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
         json_node_get_value_type (member) == G_TYPE_BOOLEAN &&
         json_node_get_boolean (member);
}

/* --- operations ------------------------------------------------------------ */

typedef enum {
  OP_CREATE,
  OP_REMOVE,
} OpKind;

typedef struct {
  char     *content;
  gboolean  disabled;
} Record;

static void
record_free (Record *record)
{
  g_free (record->content);
  g_free (record);
}

typedef struct {
  OpKind        kind;
  char         *fqdn;        /* lowercase, with its trailing dot */
  char         *value;
  Zone         *zone;
  char         *candidate;   /* walking up: the name asked about */
  GPtrArray    *records;     /* Record*: the RRset as read */
  gint64        rrset_ttl;   /* -1: there was none */
  guint         attempt;
  GError       *last_error;  /* of the previous attempt */
  /* the task's cancellable, or the timeout */
  GCancellable *cancellable;
  gulong        cancelled_id;
  GSource      *timeout_source;
  gboolean      timed_out;
} Op;

static void
op_stop_timer (Op      *op,
               GTask   *task)
{
  if (op->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), op->cancelled_id);
      op->cancelled_id = 0;
    }
  if (op->timeout_source != NULL)
    {
      g_source_destroy (op->timeout_source);
      g_clear_pointer (&op->timeout_source, g_source_unref);
    }
}

static void
op_free (Op *op)
{
  g_assert (op->cancelled_id == 0);
  if (op->timeout_source != NULL)
    {
      g_source_destroy (op->timeout_source);
      g_source_unref (op->timeout_source);
    }
  g_free (op->fqdn);
  g_free (op->value);
  g_clear_pointer (&op->zone, zone_free);
  g_free (op->candidate);
  g_clear_pointer (&op->records, g_ptr_array_unref);
  g_clear_error (&op->last_error);
  g_clear_object (&op->cancellable);
  g_free (op);
}

static void run_op (GTask *task);
static void start_op (GTask *task);

/* Ends the operation (taking over @task and @error) and starts the next
 * one waiting for the same name. */
static void
op_return (GTask  *task,
           GError *error)
{
  g_autoptr(GTask) owned = task;
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GTask) next = NULL;
  GQueue *waiting;

  op_stop_timer (op, task);
  if (error != NULL)
    {
      if (op->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GError) cancelled = error;

          error = g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                               _("no success within %u s at %s%s%s"), self->timeout,
                               self->api_url, op->last_error != NULL ? "; last error: " : "",
                               op->last_error != NULL ? op->last_error->message : "");
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, op->kind == OP_CREATE ? _("adding TXT value at %s: ")
                                                      : _("removing TXT value at %s: "),
                        op->fqdn);
      g_task_return_error (task, error);
    }
  else
    {
      g_task_return_boolean (task, TRUE);
    }

  waiting = g_hash_table_lookup (self->busy, op->fqdn);
  g_assert (waiting != NULL);
  next = g_queue_pop_head (waiting);
  if (next == NULL)
    g_hash_table_remove (self->busy, op->fqdn);
  else
    start_op (g_steal_pointer (&next));
}

static void
retry_sleep_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!gcert_retry_sleep_finish (result, &error))
    {
      op_return (g_steal_pointer (&task), error);
      return;
    }
  run_op (g_steal_pointer (&task));
}

/* Fails the operation (taking over @task and @error), or tries it again
 * from the start when the failure may go away by itself. */
static void
op_fail (GTask  *task,
         GError *error)
{
  Op *op = g_task_get_task_data (task);
  GCertRetryPolicy policy = GCERT_RETRY_POLICY_DEFAULT;

  if (!g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NETWORK) || op->attempt >= MAX_ATTEMPTS)
    {
      op_return (task, error);
      return;
    }
  g_debug ("%s (attempt %u of %u)", error->message, op->attempt, MAX_ATTEMPTS);
  g_clear_error (&op->last_error);
  op->last_error = error;
  gcert_retry_sleep_async (gcert_retry_backoff_ms (&policy, op->attempt, NULL), op->cancellable,
                           retry_sleep_cb, task);
}

static void
build_rrset (JsonBuilder *builder,
             Op          *op,
             GPtrArray   *records,
             gint64       ttl)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rrsets");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, op->fqdn);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "TXT");
  json_builder_set_member_name (builder, "changetype");
  if (records->len == 0)
    {
      json_builder_add_string_value (builder, "DELETE");
    }
  else
    {
      json_builder_add_string_value (builder, "REPLACE");
      json_builder_set_member_name (builder, "ttl");
      json_builder_add_int_value (builder, ttl);
      json_builder_set_member_name (builder, "records");
      json_builder_begin_array (builder);
      for (guint i = 0; i < records->len; i++)
        {
          Record *record = g_ptr_array_index (records, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "content");
          json_builder_add_string_value (builder, record->content);
          json_builder_set_member_name (builder, "disabled");
          json_builder_add_boolean_value (builder, record->disabled);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static char *
zone_path (Zone       *zone,
           const char *query)
{
  g_autofree char *escaped = g_uri_escape_string (zone->id, NULL, FALSE);

  return g_strconcat ("/zones/", escaped, query, NULL);
}

static char *
zone_not_found (GCertPowerdnsProvider *self,
                const char            *zone)
{
  return g_strdup_printf (_("zone “%s” not found on server “%s”"), zone, self->server_id);
}

static void
patch_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *not_found = zone_not_found (self, op->zone->name);
  g_autoptr(Response) response = NULL;
  GError *error = NULL;

  response = api_request_finish_ok (self, result, not_found, &error);
  if (response == NULL)
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  g_debug ("%s: %s %s at %s", response->what, op->kind == OP_CREATE ? "added" : "removed",
           op->value, op->fqdn);
  op_return (g_steal_pointer (&task), NULL);
}

/* The RRset as it should be, or NULL when it already is. */
static GPtrArray *
desired_records (GCertPowerdnsProvider *self,
                 Op                    *op,
                 gint64                *out_ttl)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new ();
  gboolean changed = FALSE;

  *out_ttl = op->rrset_ttl >= 0 ? op->rrset_ttl : self->ttl;
  for (guint i = 0; i < op->records->len; i++)
    {
      Record *record = g_ptr_array_index (op->records, i);
      g_autofree char *value = txt_decode (record->content);

      /* someone else's record, whatever it holds, stays as it is */
      if (value == NULL || !g_str_equal (value, op->value))
        {
          g_ptr_array_add (records, record);
          continue;
        }
      if (op->kind == OP_CREATE && !record->disabled)
        return NULL;
      /* ours, or a disabled copy of it that an enabled one replaces */
      changed = TRUE;
    }

  if (op->kind == OP_CREATE)
    {
      Record *record = g_new0 (Record, 1);

      record->content = txt_encode (op->value);
      g_ptr_array_add (op->records, record);
      g_ptr_array_add (records, record);
      changed = TRUE;
    }
  return changed ? g_steal_pointer (&records) : NULL;
}

static void
write_rrset (GTask *task)
{
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  gint64 ttl;

  records = desired_records (self, op, &ttl);
  if (records == NULL)
    {
      g_debug ("%s already %s at %s", op->value,
               op->kind == OP_CREATE ? "present" : "absent", op->fqdn);
      op_return (task, NULL);
      return;
    }

  builder = json_builder_new ();
  build_rrset (builder, op, records, ttl);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  path = zone_path (op->zone, "");
  api_request_async (self, "PATCH", path, json, op->cancellable, patch_cb, task);
}

/* Takes the TXT RRset of op->fqdn out of a zone's JSON. Servers that do not
 * know the rrset_name filter send the whole zone. */
static gboolean
read_rrset (Op        *op,
            Response  *response,
            GError   **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonNode *rrsets;
  JsonArray *array;

  root = parse_json (response, error);
  if (root == NULL)
    return FALSE;
  rrsets = JSON_NODE_HOLDS_OBJECT (root) ?
           json_object_get_member (json_node_get_object (root), "rrsets") : NULL;
  if (rrsets == NULL || !JSON_NODE_HOLDS_ARRAY (rrsets))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: the answer has no list of rrsets"), response->what);
      return FALSE;
    }

  g_clear_pointer (&op->records, g_ptr_array_unref);
  op->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  op->rrset_ttl = -1;
  array = json_node_get_array (rrsets);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *rrset;
      JsonNode *records;
      JsonNode *ttl;
      const char *name, *type;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      rrset = json_node_get_object (node);
      name = get_string_member (rrset, "name");
      type = get_string_member (rrset, "type");
      if (name == NULL || type == NULL || g_ascii_strcasecmp (name, op->fqdn) != 0 ||
          g_ascii_strcasecmp (type, "TXT") != 0)
        continue;

      ttl = json_object_get_member (rrset, "ttl");
      if (ttl != NULL && JSON_NODE_HOLDS_VALUE (ttl) &&
          json_node_get_value_type (ttl) == G_TYPE_INT64 &&
          json_node_get_int (ttl) > 0 && json_node_get_int (ttl) <= G_MAXINT32)
        op->rrset_ttl = json_node_get_int (ttl);

      records = json_object_get_member (rrset, "records");
      if (records == NULL || !JSON_NODE_HOLDS_ARRAY (records))
        continue;
      for (guint j = 0; j < json_array_get_length (json_node_get_array (records)); j++)
        {
          JsonNode *element = json_array_get_element (json_node_get_array (records), j);
          JsonObject *object;
          const char *content;
          Record *record;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            continue;
          object = json_node_get_object (element);
          content = get_string_member (object, "content");
          if (content == NULL)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("%s: a TXT record of %s has no content"), response->what,
                           op->fqdn);
              return FALSE;
            }
          record = g_new0 (Record, 1);
          record->content = g_strdup (content);
          record->disabled = get_boolean_member (object, "disabled");
          g_ptr_array_add (op->records, record);
        }
    }
  return TRUE;
}

static void
get_rrset_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *not_found = zone_not_found (self, op->zone->name);
  g_autoptr(Response) response = NULL;
  GError *error = NULL;

  response = api_request_finish_ok (self, result, not_found, &error);
  if (response == NULL || !read_rrset (op, response, &error))
    {
      /* a zone found by walking up that went away since */
      if (g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
        g_hash_table_remove (self->zones, op->fqdn);
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  write_rrset (g_steal_pointer (&task));
}

static void
get_rrset (GTask *task)
{
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *escaped = g_uri_escape_string (op->fqdn, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("?rrsets=true&rrset_name=%s&rrset_type=TXT",
                                            escaped);
  g_autofree char *path = zone_path (op->zone, query);

  api_request_async (self, "GET", path, NULL, op->cancellable, get_rrset_cb, task);
}

static void find_zone_next (GTask *task);

static void
find_zone_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *not_found = g_strdup_printf (_("server “%s” not found"), self->server_id);
  g_autoptr(Response) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;
  const char *dot;

  response = api_request_finish_ok (self, result, not_found, &error);
  if (response == NULL || (root = parse_json (response, &error)) == NULL)
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      op_return (g_steal_pointer (&task),
                 g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                              _("%s: the answer is not a list of zones"), response->what));
      return;
    }

  /* servers that ignore the zone filter list them all */
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (root), i);
      const char *name, *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      name = get_string_member (json_node_get_object (node), "name");
      id = get_string_member (json_node_get_object (node), "id");
      if (name == NULL || g_ascii_strcasecmp (name, op->candidate) != 0)
        continue;
      op->zone = zone_new (op->candidate, id);
      g_hash_table_replace (self->zones, g_strdup (op->fqdn), zone_new (op->candidate, id));
      g_debug ("%s is in zone %s", op->fqdn, op->candidate);
      get_rrset (g_steal_pointer (&task));
      return;
    }

  /* the parent, up to a top-level domain */
  dot = strchr (op->candidate, '.');
  if (dot == NULL || dot[1] == '\0')
    {
      op_return (g_steal_pointer (&task),
                 g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                              _("no zone of server “%s” at %s contains %s"),
                              self->server_id, self->api_url, op->fqdn));
      return;
    }
  {
    g_autofree char *parent = g_strdup (dot + 1);

    g_free (op->candidate);
    op->candidate = g_steal_pointer (&parent);
  }
  find_zone_next (g_steal_pointer (&task));
}

static void
find_zone_next (GTask *task)
{
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autofree char *escaped = g_uri_escape_string (op->candidate, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/zones?zone=%s", escaped);

  api_request_async (self, "GET", path, NULL, op->cancellable, find_zone_cb, task);
}

static gboolean
in_zone (const char *fqdn,
         const char *zone)
{
  gsize fqdn_length = strlen (fqdn);
  gsize zone_length = strlen (zone);

  return g_str_equal (fqdn, zone) ||
         (fqdn_length > zone_length && fqdn[fqdn_length - zone_length - 1] == '.' &&
          g_str_equal (fqdn + fqdn_length - zone_length, zone));
}

/* One attempt: from finding the zone to the PATCH. */
static void
run_op (GTask *task)
{
  GCertPowerdnsProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  Zone *known;

  if (g_cancellable_set_error_if_cancelled (op->cancellable, &error))
    {
      op_return (task, error);
      return;
    }
  op->attempt++;

  if (self->zone != NULL)
    {
      if (!in_zone (op->fqdn, self->zone))
        {
          op_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                                        _("the name is not in zone “%s” (key zone)"),
                                        self->zone));
          return;
        }
      g_clear_pointer (&op->zone, zone_free);
      op->zone = zone_new (self->zone, NULL);
      get_rrset (task);
      return;
    }

  known = g_hash_table_lookup (self->zones, op->fqdn);
  if (known != NULL)
    {
      g_clear_pointer (&op->zone, zone_free);
      op->zone = zone_new (known->name, known->id);
      get_rrset (task);
      return;
    }
  g_clear_pointer (&op->zone, zone_free);
  g_free (op->candidate);
  op->candidate = g_strdup (op->fqdn);
  find_zone_next (task);
}

static void
op_cancelled_cb (GCancellable *cancellable,
                 gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
op_timeout_cb (gpointer user_data)
{
  Op *op = user_data;

  op->timed_out = TRUE;
  g_cancellable_cancel (op->cancellable);
  g_clear_pointer (&op->timeout_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* The timeout starts once the operation's turn comes. */
static void
op_start_timer (GCertPowerdnsProvider *self,
                GTask                 *task)
{
  Op *op = g_task_get_task_data (task);

  if (g_task_get_cancellable (task) != NULL)
    op->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task),
                                              G_CALLBACK (op_cancelled_cb),
                                              g_object_ref (op->cancellable),
                                              g_object_unref);
  op->timeout_source = g_timeout_source_new_seconds (self->timeout);
  g_source_set_callback (op->timeout_source, op_timeout_cb, op, NULL);
  g_source_set_static_name (op->timeout_source, "[gcert-powerdns] timeout");
  g_source_attach (op->timeout_source, g_task_get_context (task));
}

static void
start_op (GTask *task)
{
  GCertPowerdnsProvider *self = g_task_get_source_object (task);

  op_start_timer (self, task);
  run_op (task);
}

static char *
normalize_name (const char *fqdn)
{
  g_autofree char *lower = g_ascii_strdown (fqdn, -1);

  if (g_str_has_suffix (lower, "."))
    return g_steal_pointer (&lower);
  return g_strconcat (lower, ".", NULL);
}

static void
enqueue (GCertPowerdnsProvider *self,
         OpKind                 kind,
         const char            *fqdn,
         const char            *value,
         GCancellable          *cancellable,
         GAsyncReadyCallback    callback,
         gpointer               user_data,
         gpointer               source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  GQueue *waiting;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  if (self->api_key == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the powerdns plugin is not set up"));
      return;
    }
  name = normalize_name (fqdn);
  if (!is_domain_name (name))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("“%s” is not a domain name"), fqdn);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->fqdn = g_steal_pointer (&name);
  op->value = g_strdup (value);
  op->rrset_ttl = -1;
  op->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  waiting = g_hash_table_lookup (self->busy, op->fqdn);
  if (waiting != NULL)
    {
      g_queue_push_tail (waiting, g_steal_pointer (&task));
      return;
    }
  g_hash_table_insert (self->busy, g_strdup (op->fqdn), g_queue_new ());
  start_op (g_steal_pointer (&task));
}

static void
gcert_powerdns_provider_create_record_async (GCertDnsProvider    *provider,
                                             const char          *fqdn,
                                             const char          *value,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  enqueue (GCERT_POWERDNS_PROVIDER (provider), OP_CREATE, fqdn, value, cancellable,
           callback, user_data, gcert_powerdns_provider_create_record_async);
}

static gboolean
gcert_powerdns_provider_create_record_finish (GCertDnsProvider  *provider,
                                              GAsyncResult      *result,
                                              GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_powerdns_provider_remove_record_async (GCertDnsProvider    *provider,
                                             const char          *fqdn,
                                             const char          *value,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  enqueue (GCERT_POWERDNS_PROVIDER (provider), OP_REMOVE, fqdn, value, cancellable,
           callback, user_data, gcert_powerdns_provider_remove_record_async);
}

static gboolean
gcert_powerdns_provider_remove_record_finish (GCertDnsProvider  *provider,
                                              GAsyncResult      *result,
                                              GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- type ------------------------------------------------------------------ */

static void
gcert_powerdns_provider_finalize (GObject *object)
{
  GCertPowerdnsProvider *self = GCERT_POWERDNS_PROVIDER (object);

  /* every operation holds a reference to us */
  g_assert (g_hash_table_size (self->busy) == 0);
  g_free (self->api_url);
  g_free (self->server_id);
  g_free (self->zone);
  gcert_settings_free_secret (self->api_key);
  g_free (self->api_key_file);
  g_clear_object (&self->session);
  g_clear_pointer (&self->zones, g_hash_table_unref);
  g_clear_pointer (&self->busy, g_hash_table_unref);

  G_OBJECT_CLASS (gcert_powerdns_provider_parent_class)->finalize (object);
}

static void
gcert_powerdns_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_powerdns_provider_setup;
  iface->create_record_async = gcert_powerdns_provider_create_record_async;
  iface->create_record_finish = gcert_powerdns_provider_create_record_finish;
  iface->remove_record_async = gcert_powerdns_provider_remove_record_async;
  iface->remove_record_finish = gcert_powerdns_provider_remove_record_finish;
}

static void
gcert_powerdns_provider_class_init (GCertPowerdnsProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_powerdns_provider_finalize;
}

static void
gcert_powerdns_provider_class_finalize (GCertPowerdnsProviderClass *klass)
{
}

static void
gcert_powerdns_provider_init (GCertPowerdnsProvider *self)
{
  self->ttl = DEFAULT_TTL;
  self->timeout = DEFAULT_TIMEOUT;
  self->zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) zone_free);
  self->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) g_queue_free);
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: libsoup and GLib may call back into us after an operation */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_powerdns_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_POWERDNS_PROVIDER, "powerdns", 0);
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
