/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert-test-cloudflare.h"

#define API_PREFIX          "/client/v4"
#define ZONES_PER_PAGE      20
#define ZONES_MAX_PER_PAGE  50
#define RECORDS_PER_PAGE    100
#define RECORDS_MAX_PER_PAGE 5000000
#define MIN_PER_PAGE        5
#define TOKEN_LENGTH        40
#define MAX_TXT_CONTENT     2048
#define HTTP_TOO_MANY_REQUESTS 429

typedef struct {
  char *id;
  char *name;
} Zone;

typedef struct {
  char   *id;
  Zone   *zone;
  char   *name;
  char   *content;
  guint   ttl;
  char   *created_on;
} Record;

typedef struct {
  char     *id;
  char     *token;
  char     *zone_id;   /* NULL: every zone */
  gboolean  zone_read;
  gboolean  dns_edit;
} Token;

struct _GCertTestCloudflare {
  GMutex            mutex;
  GCond             cond;
  GThread          *thread;
  GMainContext     *context;
  gint              stopping;
  gboolean          started;
  GError           *start_error;
  char             *api_url;
  GCertTestPebble  *pebble;

  /* under the mutex */
  GPtrArray        *zones;     /* Zone* */
  GPtrArray        *records;   /* Record* */
  GPtrArray        *tokens;    /* Token* */
  GPtrArray        *log;       /* char* */
  guint             request_count;
  GCertTestCloudflareFault fault;
  guint             fault_count;
};

static void
zone_free (Zone *zone)
{
  g_free (zone->id);
  g_free (zone->name);
  g_free (zone);
}

static void
record_free (Record *record)
{
  g_free (record->id);
  g_free (record->name);
  g_free (record->content);
  g_free (record->created_on);
  g_free (record);
}

static void
token_free (Token *token)
{
  g_free (token->id);
  g_free (token->token);
  g_free (token->zone_id);
  g_free (token);
}

static char *
new_id (void)
{
  return g_strdup_printf ("%08x%08x%08x%08x", g_random_int (), g_random_int (),
                          g_random_int (), g_random_int ());
}

static gboolean
is_id (const char *text)
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

/* lowercase, without a trailing dot: how the API writes names */
static char *
normalize_name (const char *name)
{
  char *lower = g_ascii_strdown (name, -1);
  gsize len = strlen (lower);

  if (len > 0 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  return lower;
}

static gboolean
name_in_zone (const char *name,
              const char *zone)
{
  gsize name_len = strlen (name);
  gsize zone_len = strlen (zone);

  if (g_strcmp0 (name, zone) == 0)
    return TRUE;
  return name_len > zone_len && g_str_has_suffix (name, zone) &&
         name[name_len - zone_len - 1] == '.';
}

/* --- answers --------------------------------------------------------------- */

typedef struct {
  guint        status;
  JsonBuilder *builder;   /* inside the envelope, before "result" */
} Answer;

static void
add_message (JsonBuilder *builder,
             guint        code,
             const char  *message,
             guint        chain_code,
             const char  *chain_message)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  if (chain_message != NULL)
    {
      json_builder_set_member_name (builder, "error_chain");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_int_value (builder, chain_code);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, chain_message);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
send_json (SoupServerMessage *msg,
           guint              status,
           JsonNode          *root)
{
  char *text = json_to_string (root, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text,
                                    strlen (text));
}

/* {"success":false,"errors":[{code,message[,error_chain]}],...} */
static void
send_error_chain (SoupServerMessage *msg,
                  guint              status,
                  guint              code,
                  const char        *message,
                  guint              chain_code,
                  const char        *chain_message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  add_message (builder, code, message, chain_code, chain_message);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "result");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  send_json (msg, status, root);
}

static void
send_error (SoupServerMessage *msg,
            guint              status,
            guint              code,
            const char        *message)
{
  send_error_chain (msg, status, code, message, 0, NULL);
}

static void
send_auth_error (SoupServerMessage *msg)
{
  send_error (msg, SOUP_STATUS_FORBIDDEN, 10000, "Authentication error");
}

/* Starts a successful envelope; the caller adds "result" (and
 * "result_info") and passes the builder to send_success(). */
static JsonBuilder *
begin_success (void)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  return builder;
}

static void
send_success (SoupServerMessage *msg,
              JsonBuilder       *builder)
{
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  send_json (msg, SOUP_STATUS_OK, root);
}

static void
add_result_info (JsonBuilder *builder,
                 guint        page,
                 guint        per_page,
                 guint        count,
                 guint        total)
{
  json_builder_set_member_name (builder, "result_info");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_add_int_value (builder, page);
  json_builder_set_member_name (builder, "per_page");
  json_builder_add_int_value (builder, per_page);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, count);
  json_builder_set_member_name (builder, "total_count");
  json_builder_add_int_value (builder, total);
  json_builder_set_member_name (builder, "total_pages");
  json_builder_add_int_value (builder, (total + per_page - 1) / per_page);
  json_builder_end_object (builder);
}

static void
add_zone (JsonBuilder *builder,
          const Zone  *zone)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, zone->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, zone->name);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "active");
  json_builder_set_member_name (builder, "paused");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "full");
  json_builder_set_member_name (builder, "name_servers");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "ada.ns.cloudflare.com");
  json_builder_add_string_value (builder, "bob.ns.cloudflare.com");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_record (JsonBuilder  *builder,
            const Record *record)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "zone_id");
  json_builder_add_string_value (builder, record->zone->id);
  json_builder_set_member_name (builder, "zone_name");
  json_builder_add_string_value (builder, record->zone->name);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, record->name);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "TXT");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, record->content);
  json_builder_set_member_name (builder, "proxiable");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "proxied");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, record->ttl);
  json_builder_set_member_name (builder, "locked");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "comment");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "tags");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "created_on");
  json_builder_add_string_value (builder, record->created_on);
  json_builder_set_member_name (builder, "modified_on");
  json_builder_add_string_value (builder, record->created_on);
  json_builder_end_object (builder);
}

/* page and per_page as the API reads them: garbage means the default, and
 * per_page is held to its range */
static void
parse_paging (GHashTable *query,
              guint       default_per_page,
              guint       max_per_page,
              guint      *out_page,
              guint      *out_per_page)
{
  const char *page = query != NULL ? g_hash_table_lookup (query, "page") : NULL;
  const char *per_page = query != NULL ? g_hash_table_lookup (query, "per_page") : NULL;
  guint64 value;

  *out_page = 1;
  *out_per_page = default_per_page;
  if (page != NULL && g_ascii_string_to_unsigned (page, 10, 1, G_MAXUINT, &value, NULL))
    *out_page = value;
  if (per_page != NULL && g_ascii_string_to_unsigned (per_page, 10, 0, G_MAXUINT, &value, NULL))
    *out_per_page = CLAMP (value, MIN_PER_PAGE, max_per_page);
}

/* --- challtestsrv mirror --------------------------------------------------- */

/* challtestsrv can only clear every value of a name: clear it and add back
 * what the fake still holds there. Called with the mutex held. */
static gboolean
mirror_name (GCertTestCloudflare  *cf,
             const char           *name,
             gboolean              clear,
             GError              **error)
{
  g_autofree char *host = g_strconcat (name, ".", NULL);

  if (cf->pebble == NULL)
    return TRUE;
  if (clear && !gcert_test_pebble_clear_txt (cf->pebble, host, error))
    return FALSE;
  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (g_strcmp0 (record->name, name) == 0 &&
          !gcert_test_pebble_set_txt (cf->pebble, host, record->content, error))
        return FALSE;
    }
  return TRUE;
}

/* --- requests -------------------------------------------------------------- */

typedef struct {
  GCertTestCloudflare *cf;
  SoupServerMessage   *msg;
  GHashTable          *query;
  Token               *token;
} Request;

/* Called with the mutex held. */
static Token *
find_token (GCertTestCloudflare *cf,
            const char          *secret)
{
  for (guint i = 0; i < cf->tokens->len; i++)
    {
      Token *token = g_ptr_array_index (cf->tokens, i);

      if (g_strcmp0 (token->token, secret) == 0)
        return token;
    }
  return NULL;
}

static Zone *
find_zone (GCertTestCloudflare *cf,
           const char          *id)
{
  for (guint i = 0; i < cf->zones->len; i++)
    {
      Zone *zone = g_ptr_array_index (cf->zones, i);

      if (g_ascii_strcasecmp (zone->id, id) == 0)
        return zone;
    }
  return NULL;
}

static gboolean
token_covers (const Token *token,
              const Zone  *zone)
{
  return token->zone_id == NULL || g_ascii_strcasecmp (token->zone_id, zone->id) == 0;
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* Checks the Authorization header and sets req->token; FALSE when an error
 * was sent. */
static gboolean
authenticate (Request *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  const char *secret;

  if (auth == NULL)
    {
      send_error (req->msg, SOUP_STATUS_BAD_REQUEST, 9106,
                  "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
      return FALSE;
    }
  if (!g_str_has_prefix (auth, "Bearer "))
    {
      send_error_chain (req->msg, SOUP_STATUS_BAD_REQUEST, 6003, "Invalid request headers",
                        6111, "Invalid format for Authorization header");
      return FALSE;
    }
  secret = auth + strlen ("Bearer ");
  if (strlen (secret) != TOKEN_LENGTH)
    {
      send_error_chain (req->msg, SOUP_STATUS_BAD_REQUEST, 6003, "Invalid request headers",
                        6111, "Invalid format for Authorization header");
      return FALSE;
    }
  for (const char *p = secret; *p != '\0'; p++)
    {
      if (!is_token_char (*p))
        {
          send_error_chain (req->msg, SOUP_STATUS_BAD_REQUEST, 6003, "Invalid request headers",
                            6111, "Invalid format for Authorization header");
          return FALSE;
        }
    }
  req->token = find_token (req->cf, secret);
  return TRUE;
}

static void
handle_verify (Request *req)
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (req->token == NULL)
    {
      send_error (req->msg, SOUP_STATUS_UNAUTHORIZED, 1000, "Invalid API Token");
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  add_message (builder, 10000, "This API Token is valid and active", 0, NULL);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "result");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, req->token->id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "active");
  json_builder_end_object (builder);
  send_success (req->msg, builder);
}

static void
handle_list_zones (Request *req)
{
  GCertTestCloudflare *cf = req->cf;
  const char *name_filter = g_hash_table_lookup (req->query, "name");
  g_autofree char *name = name_filter != NULL ? normalize_name (name_filter) : NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  guint page, per_page, first, count;

  if (req->token == NULL || !req->token->zone_read)
    {
      send_auth_error (req->msg);
      return;
    }
  parse_paging (req->query, ZONES_PER_PAGE, ZONES_MAX_PER_PAGE, &page, &per_page);

  /* zones the token cannot read are not there for it */
  for (guint i = 0; i < cf->zones->len; i++)
    {
      Zone *zone = g_ptr_array_index (cf->zones, i);

      if (!token_covers (req->token, zone))
        continue;
      if (name != NULL && g_strcmp0 (zone->name, name) != 0)
        continue;
      g_ptr_array_add (matches, zone);
    }

  first = MIN ((guint64) (page - 1) * per_page, matches->len);
  count = MIN (per_page, matches->len - first);
  builder = begin_success ();
  json_builder_set_member_name (builder, "result");
  json_builder_begin_array (builder);
  for (guint i = first; i < first + count; i++)
    add_zone (builder, g_ptr_array_index (matches, i));
  json_builder_end_array (builder);
  add_result_info (builder, page, per_page, count, matches->len);
  send_success (req->msg, builder);
}

static void
send_route_error (Request    *req,
                  const char *path)
{
  g_autofree char *message =
    g_strdup_printf ("Could not route to %s, perhaps your object identifier is invalid?", path);

  send_error (req->msg, SOUP_STATUS_BAD_REQUEST, 7003, message);
}

static void
handle_get_zone (Request    *req,
                 Zone       *zone)
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (req->token == NULL || !req->token->zone_read || !token_covers (req->token, zone))
    {
      send_auth_error (req->msg);
      return;
    }
  builder = begin_success ();
  json_builder_set_member_name (builder, "result");
  add_zone (builder, zone);
  send_success (req->msg, builder);
}

static void
handle_list_records (Request *req,
                     Zone    *zone)
{
  GCertTestCloudflare *cf = req->cf;
  const char *type = g_hash_table_lookup (req->query, "type");
  const char *name_filter = g_hash_table_lookup (req->query, "name");
  const char *content = g_hash_table_lookup (req->query, "content");
  g_autofree char *name = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  guint page, per_page, first, count;

  if (name_filter == NULL)
    name_filter = g_hash_table_lookup (req->query, "name.exact");
  if (content == NULL)
    content = g_hash_table_lookup (req->query, "content.exact");
  name = name_filter != NULL ? normalize_name (name_filter) : NULL;
  parse_paging (req->query, RECORDS_PER_PAGE, RECORDS_MAX_PER_PAGE, &page, &per_page);

  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (record->zone != zone)
        continue;
      if (type != NULL && g_strcmp0 (type, "TXT") != 0)
        continue;
      if (name != NULL && g_strcmp0 (record->name, name) != 0)
        continue;
      if (content != NULL && g_strcmp0 (record->content, content) != 0)
        continue;
      g_ptr_array_add (matches, record);
    }

  first = MIN ((guint64) (page - 1) * per_page, matches->len);
  count = MIN (per_page, matches->len - first);
  builder = begin_success ();
  json_builder_set_member_name (builder, "result");
  json_builder_begin_array (builder);
  for (guint i = first; i < first + count; i++)
    add_record (builder, g_ptr_array_index (matches, i));
  json_builder_end_array (builder);
  add_result_info (builder, page, per_page, count, matches->len);
  send_success (req->msg, builder);
}

static void
send_validation_error (Request    *req,
                       guint       code,
                       const char *message)
{
  send_error_chain (req->msg, SOUP_STATUS_BAD_REQUEST, 1004, "DNS Validation Error",
                    code, message);
}

/* Adds a record; called with the mutex held. */
static Record *
insert_record (GCertTestCloudflare  *cf,
               Zone                 *zone,
               const char           *name,
               const char           *content,
               guint                 ttl,
               GError              **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  Record *record = g_new0 (Record, 1);

  record->id = new_id ();
  record->zone = zone;
  record->name = g_strdup (name);
  record->content = g_strdup (content);
  record->ttl = ttl;
  record->created_on = g_date_time_format_iso8601 (now);
  g_ptr_array_add (cf->records, record);
  if (!mirror_name (cf, name, FALSE, error))
    return NULL;
  return record;
}

static void
handle_create_record (Request *req,
                      Zone    *zone)
{
  GCertTestCloudflare *cf = req->cf;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (req->msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *node;
  const char *type, *content;
  gint64 ttl = 1;
  Record *record;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      send_error (req->msg, SOUP_STATUS_BAD_REQUEST, 9207, "Request body is invalid.");
      return;
    }
  object = json_node_get_object (root);

  node = json_object_get_member (object, "type");
  type = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
  if (type == NULL)
    {
      send_validation_error (req, 9000, "DNS record type is invalid.");
      return;
    }
  if (g_strcmp0 (type, "TXT") != 0)
    {
      /* this stand-in keeps TXT records only */
      send_validation_error (req, 9000, "DNS record type is invalid.");
      return;
    }

  node = json_object_get_member (object, "name");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING || *json_node_get_string (node) == '\0')
    {
      send_validation_error (req, 9007, "DNS record name is required.");
      return;
    }
  name = normalize_name (json_node_get_string (node));
  /* a name outside the zone is taken as relative to it */
  if (g_strcmp0 (name, "@") == 0)
    {
      g_free (name);
      name = g_strdup (zone->name);
    }
  else if (!name_in_zone (name, zone->name))
    {
      char *full = g_strconcat (name, ".", zone->name, NULL);

      g_free (name);
      name = full;
    }

  node = json_object_get_member (object, "content");
  content = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
            json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
  if (content == NULL || *content == '\0' || strlen (content) > MAX_TXT_CONTENT)
    {
      send_validation_error (req, 9005, "Content for TXT record is invalid.");
      return;
    }

  node = json_object_get_member (object, "ttl");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        ttl = -1;
      else
        ttl = json_node_get_int (node);
    }
  if (ttl != 1 && (ttl < 60 || ttl > 86400))
    {
      send_validation_error (req, 9021,
                             "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.");
      return;
    }

  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *other = g_ptr_array_index (cf->records, i);

      if (other->zone == zone && g_strcmp0 (other->name, name) == 0 &&
          g_strcmp0 (other->content, content) == 0)
        {
          send_error (req->msg, SOUP_STATUS_BAD_REQUEST, 81058,
                      "An identical record already exists.");
          return;
        }
    }

  record = insert_record (cf, zone, name, content, ttl, &error);
  if (record == NULL)
    {
      send_error (req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, 1000, error->message);
      return;
    }
  builder = begin_success ();
  json_builder_set_member_name (builder, "result");
  add_record (builder, record);
  send_success (req->msg, builder);
}

static void
handle_delete_record (Request    *req,
                      Zone       *zone,
                      const char *record_id)
{
  GCertTestCloudflare *cf = req->cf;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (record->zone != zone || g_ascii_strcasecmp (record->id, record_id) != 0)
        continue;

      name = g_strdup (record->name);
      g_ptr_array_remove_index (cf->records, i);
      if (!mirror_name (cf, name, TRUE, &error))
        {
          send_error (req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, 1000, error->message);
          return;
        }
      builder = begin_success ();
      json_builder_set_member_name (builder, "result");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, record_id);
      json_builder_end_object (builder);
      send_success (req->msg, builder);
      return;
    }
  send_error (req->msg, SOUP_STATUS_NOT_FOUND, 81044, "Record does not exist.");
}

static void
send_method_not_allowed (Request *req)
{
  send_error (req->msg, SOUP_STATUS_METHOD_NOT_ALLOWED, 10405, "Method not allowed");
}

/* /zones/ID[/dns_records[/RID]] */
static void
handle_zone_path (Request    *req,
                  const char *path,
                  const char *rest)
{
  const char *method = soup_server_message_get_method (req->msg);
  g_auto(GStrv) parts = g_strsplit (rest, "/", -1);
  guint n = g_strv_length (parts);
  Zone *zone;

  if (n == 0 || n > 3 || (n >= 2 && g_strcmp0 (parts[1], "dns_records") != 0))
    {
      send_error (req->msg, SOUP_STATUS_BAD_REQUEST, 7000, "No route for that URI");
      return;
    }
  if (!is_id (parts[0]) || (n == 3 && !is_id (parts[2])))
    {
      send_route_error (req, path);
      return;
    }
  zone = find_zone (req->cf, parts[0]);
  if (zone == NULL)
    {
      /* a token for one zone may not even learn that another is missing */
      if (req->token != NULL && req->token->zone_id == NULL)
        send_route_error (req, path);
      else
        send_auth_error (req->msg);
      return;
    }

  if (n == 1)
    {
      if (g_strcmp0 (method, "GET") != 0)
        send_method_not_allowed (req);
      else
        handle_get_zone (req, zone);
      return;
    }

  if (req->token == NULL || !req->token->dns_edit || !token_covers (req->token, zone))
    {
      send_auth_error (req->msg);
      return;
    }

  if (n == 2 && g_strcmp0 (method, "GET") == 0)
    handle_list_records (req, zone);
  else if (n == 2 && g_strcmp0 (method, "POST") == 0)
    handle_create_record (req, zone);
  else if (n == 3 && g_strcmp0 (method, "DELETE") == 0)
    handle_delete_record (req, zone, parts[2]);
  else
    send_method_not_allowed (req);
}

/* the faults look like what Cloudflare's edge sends */
static void
send_fault (SoupServerMessage        *msg,
            GCertTestCloudflareFault  fault)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  guint status;
  const char *reason;
  char *html;

  if (fault == GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT)
    {
      soup_message_headers_replace (headers, "Retry-After", "1");
      send_error (msg, HTTP_TOO_MANY_REQUESTS, 971,
                  "Please wait and consider throttling your request speed");
      return;
    }

  if (fault == GCERT_TEST_CLOUDFLARE_FAULT_SERVER_ERROR)
    {
      status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      reason = "Internal Server Error";
    }
  else
    {
      status = SOUP_STATUS_BAD_GATEWAY;
      reason = "Bad Gateway";
    }
  html = g_strdup_printf ("<html>\r\n<head><title>%u %s</title></head>\r\n<body>\r\n"
                          "<center><h1>%u %s</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                          "</body>\r\n</html>\r\n", status, reason, status, reason);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_TAKE, html, strlen (html));
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  GCertTestCloudflare *cf = user_data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cf->mutex);
  g_autoptr(GHashTable) empty = NULL;
  const char *method = soup_server_message_get_method (msg);
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  Request req = { cf, msg, query, NULL };
  const char *rest;

  cf->request_count++;
  g_ptr_array_add (cf->log, raw_query != NULL ?
                              g_strdup_printf ("%s %s?%s", method, path, raw_query) :
                              g_strdup_printf ("%s %s", method, path));

  if (cf->fault_count > 0)
    {
      cf->fault_count--;
      send_fault (msg, cf->fault);
      return;
    }

  if (req.query == NULL)
    {
      empty = g_hash_table_new (g_str_hash, g_str_equal);
      req.query = empty;
    }

  if (!g_str_has_prefix (path, API_PREFIX "/"))
    {
      send_error (msg, SOUP_STATUS_BAD_REQUEST, 7000, "No route for that URI");
      return;
    }
  if (!authenticate (&req))
    return;

  rest = path + strlen (API_PREFIX);
  if (g_strcmp0 (rest, "/user/tokens/verify") == 0)
    {
      if (g_strcmp0 (method, "GET") != 0)
        send_method_not_allowed (&req);
      else
        handle_verify (&req);
      return;
    }
  if (g_strcmp0 (rest, "/zones") == 0)
    {
      if (g_strcmp0 (method, "GET") != 0)
        send_method_not_allowed (&req);
      else
        handle_list_zones (&req);
      return;
    }
  if (g_str_has_prefix (rest, "/zones/"))
    {
      handle_zone_path (&req, path, rest + strlen ("/zones/"));
      return;
    }
  send_error (msg, SOUP_STATUS_BAD_REQUEST, 7000, "No route for that URI");
}

/* --- the server thread ------------------------------------------------------ */

static gpointer
server_thread (gpointer data)
{
  GCertTestCloudflare *cf = data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;
  gboolean ok;

  g_main_context_push_thread_default (cf->context);
  server = soup_server_new ("server-header", "cloudflare", NULL);
  soup_server_add_handler (server, "/", server_callback, cf, NULL);
  ok = soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);

  g_mutex_lock (&cf->mutex);
  if (ok)
    {
      uris = soup_server_get_uris (server);
      cf->api_url = g_strdup_printf ("http://127.0.0.1:%d" API_PREFIX,
                                     g_uri_get_port (uris->data));
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    }
  else
    {
      cf->start_error = g_steal_pointer (&error);
    }
  cf->started = TRUE;
  g_cond_signal (&cf->cond);
  g_mutex_unlock (&cf->mutex);

  /* a flag rather than a GMainLoop: a stop that comes before the loop
   * would start must not be lost */
  while (ok && !g_atomic_int_get (&cf->stopping))
    g_main_context_iteration (cf->context, TRUE);

  soup_server_disconnect (server);
  g_clear_object (&server);
  /* let the closed connections go: their closing completes in later
   * iterations */
  for (guint i = 0; i < 50; i++)
    {
      while (g_main_context_pending (cf->context))
        g_main_context_iteration (cf->context, FALSE);
      g_usleep (1000);
    }
  g_main_context_pop_thread_default (cf->context);
  return NULL;
}

static void
cloudflare_free (GCertTestCloudflare *cf)
{
  g_clear_pointer (&cf->context, g_main_context_unref);
  g_clear_error (&cf->start_error);
  g_free (cf->api_url);
  g_clear_pointer (&cf->records, g_ptr_array_unref);
  g_clear_pointer (&cf->zones, g_ptr_array_unref);
  g_clear_pointer (&cf->tokens, g_ptr_array_unref);
  g_clear_pointer (&cf->log, g_ptr_array_unref);
  g_mutex_clear (&cf->mutex);
  g_cond_clear (&cf->cond);
  g_free (cf);
}

GCertTestCloudflare *
gcert_test_cloudflare_start (GCertTestPebble  *pebble,
                             GError          **error)
{
  GCertTestCloudflare *cf;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cf = g_new0 (GCertTestCloudflare, 1);
  g_mutex_init (&cf->mutex);
  g_cond_init (&cf->cond);
  cf->pebble = pebble;
  cf->context = g_main_context_new ();
  cf->zones = g_ptr_array_new_with_free_func ((GDestroyNotify) zone_free);
  cf->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  cf->tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) token_free);
  cf->log = g_ptr_array_new_with_free_func (g_free);

  cf->thread = g_thread_new ("cloudflare-fake", server_thread, cf);
  g_mutex_lock (&cf->mutex);
  while (!cf->started)
    g_cond_wait (&cf->cond, &cf->mutex);
  g_mutex_unlock (&cf->mutex);

  if (cf->start_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&cf->start_error),
                                  "starting the Cloudflare API stand-in: ");
      g_thread_join (g_steal_pointer (&cf->thread));
      cloudflare_free (cf);
      return NULL;
    }
  return cf;
}

void
gcert_test_cloudflare_stop (GCertTestCloudflare *cf)
{
  if (cf == NULL)
    return;
  g_atomic_int_set (&cf->stopping, TRUE);
  g_main_context_wakeup (cf->context);
  g_thread_join (g_steal_pointer (&cf->thread));
  cloudflare_free (cf);
}

const char *
gcert_test_cloudflare_get_api_url (GCertTestCloudflare *cf)
{
  g_return_val_if_fail (cf != NULL, NULL);
  return cf->api_url;
}

char *
gcert_test_cloudflare_add_zone (GCertTestCloudflare *cf,
                                const char          *name)
{
  g_autoptr(GMutexLocker) locker = NULL;
  Zone *zone;

  g_return_val_if_fail (cf != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  zone = g_new0 (Zone, 1);
  zone->id = new_id ();
  zone->name = normalize_name (name);
  g_ptr_array_add (cf->zones, zone);
  return g_strdup (zone->id);
}

void
gcert_test_cloudflare_add_token (GCertTestCloudflare *cf,
                                 const char          *token,
                                 const char          *zone_id,
                                 gboolean             zone_read,
                                 gboolean             dns_edit)
{
  g_autoptr(GMutexLocker) locker = NULL;
  Token *entry;

  g_return_if_fail (cf != NULL);
  g_return_if_fail (token != NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  entry = g_new0 (Token, 1);
  entry->id = new_id ();
  entry->token = g_strdup (token);
  entry->zone_id = g_strdup (zone_id);
  entry->zone_read = zone_read;
  entry->dns_edit = dns_edit;
  g_ptr_array_add (cf->tokens, entry);
}

char *
gcert_test_cloudflare_make_token (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *token = g_malloc (TOKEN_LENGTH + 1);

  for (guint i = 0; i < TOKEN_LENGTH; i++)
    token[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  token[TOKEN_LENGTH] = '\0';
  return token;
}

char *
gcert_test_cloudflare_add_txt (GCertTestCloudflare *cf,
                               const char          *zone_id,
                               const char          *name,
                               const char          *content)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *normalized = NULL;
  g_autoptr(GError) error = NULL;
  Record *record;
  Zone *zone;

  g_return_val_if_fail (cf != NULL, NULL);
  g_return_val_if_fail (zone_id != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (content != NULL, NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  zone = find_zone (cf, zone_id);
  g_assert_nonnull (zone);
  normalized = normalize_name (name);
  g_assert_true (name_in_zone (normalized, zone->name));
  record = insert_record (cf, zone, normalized, content, 1, &error);
  g_assert_no_error (error);
  return g_strdup (record->id);
}

GStrv
gcert_test_cloudflare_list_txt (GCertTestCloudflare *cf,
                                const char          *name)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (cf != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  normalized = normalize_name (name);
  locker = g_mutex_locker_new (&cf->mutex);
  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (g_strcmp0 (record->name, normalized) == 0)
        g_strv_builder_add (builder, record->content);
    }
  return g_strv_builder_end (builder);
}

char *
gcert_test_cloudflare_get_txt_id (GCertTestCloudflare *cf,
                                  const char          *name,
                                  const char          *content)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (cf != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (content != NULL, NULL);

  normalized = normalize_name (name);
  locker = g_mutex_locker_new (&cf->mutex);
  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (g_strcmp0 (record->name, normalized) == 0 && g_strcmp0 (record->content, content) == 0)
        return g_strdup (record->id);
    }
  return NULL;
}

guint
gcert_test_cloudflare_get_txt_ttl (GCertTestCloudflare *cf,
                                   const char          *name,
                                   const char          *content)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (cf != NULL, 0);
  g_return_val_if_fail (name != NULL, 0);
  g_return_val_if_fail (content != NULL, 0);

  normalized = normalize_name (name);
  locker = g_mutex_locker_new (&cf->mutex);
  for (guint i = 0; i < cf->records->len; i++)
    {
      Record *record = g_ptr_array_index (cf->records, i);

      if (g_strcmp0 (record->name, normalized) == 0 && g_strcmp0 (record->content, content) == 0)
        return record->ttl;
    }
  return 0;
}

GStrv
gcert_test_cloudflare_list_names (GCertTestCloudflare *cf)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (cf != NULL, NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  for (guint i = 0; i < cf->records->len; i++)
    g_strv_builder_add (builder, ((Record *) g_ptr_array_index (cf->records, i))->name);
  return g_strv_builder_end (builder);
}

void
gcert_test_cloudflare_inject_faults (GCertTestCloudflare      *cf,
                                     GCertTestCloudflareFault  fault,
                                     guint                     count)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (cf != NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  cf->fault = fault;
  cf->fault_count = count;
}

GStrv
gcert_test_cloudflare_get_request_log (GCertTestCloudflare *cf)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (cf != NULL, NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  for (guint i = 0; i < cf->log->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (cf->log, i));
  return g_strv_builder_end (builder);
}

guint
gcert_test_cloudflare_get_request_count (GCertTestCloudflare *cf)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (cf != NULL, 0);

  locker = g_mutex_locker_new (&cf->mutex);
  return cf->request_count;
}

void
gcert_test_cloudflare_clear_request_log (GCertTestCloudflare *cf)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (cf != NULL);

  locker = g_mutex_locker_new (&cf->mutex);
  g_ptr_array_set_size (cf->log, 0);
  cf->request_count = 0;
}
