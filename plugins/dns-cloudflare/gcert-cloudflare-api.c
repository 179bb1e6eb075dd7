/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-cloudflare-api.h"
#include "gcert-error.h"
#include "gcert-retry.h"
#include "gcert-settings.h"

/* One request to the Cloudflare API v4: the answer envelope read, 429
 * answers retried after Retry-After and 5xx answers and network failures
 * with a growing pause, every server string cleaned of our tokens. */

#define MAX_BODY              (8 * 1024 * 1024)
#define READ_CHUNK            65536
/* 429: three tries in all, waiting Retry-After (at most this) between */
#define MAX_RATE_LIMITED      3
#define MAX_RETRY_AFTER       60
/* 5xx and transport errors: two retries */
#define MAX_FAILURES          3
#define MAX_ERRORS_SHOWN      8
#define MAX_SERVER_TEXT       200
#define MAX_ID_LENGTH         64
/* not among the constants of libsoup 3.2 */
#define HTTP_TOO_MANY_REQUESTS 429

void
gcert_cloudflare_token_clear (GCertCloudflareToken *token)
{
  g_clear_pointer (&token->secret, gcert_settings_free_secret);
  g_clear_pointer (&token->origin, g_free);
}

/* --- one API call ------------------------------------------------------------ */

void
gcert_cloudflare_reply_free (GCertCloudflareReply *reply)
{
  g_clear_pointer (&reply->root, json_node_unref);
  g_clear_pointer (&reply->codes, g_array_unref);
  g_free (reply->errors);
  g_free (reply->method);
  g_free (reply->url);
  g_free (reply);
}

typedef struct {
  SoupSession                *session;
  char                       *method;
  char                       *url;
  GBytes                     *body;
  /* borrowed: the provider outlives its calls */
  const GCertCloudflareToken *token;
  const GCertCloudflareToken *other;
  SoupMessage                *message;
  GInputStream               *stream;
  GByteArray                 *data;
  guint                       rate_limited;
  guint                       failures;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->session);
  g_free (call->method);
  g_free (call->url);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_object (&call->message);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->data, g_byte_array_unref);
  g_free (call);
}

/* A server string made fit for a message: valid UTF-8, one line, short,
 * and without our tokens should the server ever echo one. */
static char *
server_text (const Call *call,
             const char *text,
             gssize      length)
{
  g_autofree char *valid = NULL;
  const GCertCloudflareToken *tokens[] = { call->token, call->other };
  GString *out;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, length);
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      const char *secret = tokens[i] != NULL ? tokens[i]->secret : NULL;
      char *found;

      while (secret != NULL && (found = strstr (valid, secret)) != NULL)
        memset (found, '*', strlen (secret));
    }
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0' && out->len < MAX_SERVER_TEXT; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  if (*valid != '\0' && out->len >= MAX_SERVER_TEXT)
    g_string_append (out, "…");
  return g_strstrip (g_string_free (out, FALSE));
}

static void
collect_errors (const Call *call,
                JsonArray  *array,
                GArray     *codes,
                GString    *text,
                guint       depth)
{
  guint length = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < length && codes->len < MAX_ERRORS_SHOWN; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *object;
      JsonNode *member;
      guint code = 0;
      g_autofree char *message = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      member = json_object_get_member (object, "code");
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_INT64)
        code = (guint) CLAMP (json_node_get_int (member), 0, G_MAXUINT);
      member = json_object_get_member (object, "message");
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_STRING)
        message = server_text (call, json_node_get_string (member), -1);

      g_array_append_val (codes, code);
      if (text->len > 0)
        g_string_append (text, "; ");
      g_string_append_printf (text, "code %u: %s", code, message != NULL ? message : "");

      member = json_object_get_member (object, "error_chain");
      if (depth < 2 && member != NULL && JSON_NODE_HOLDS_ARRAY (member))
        collect_errors (call, json_node_get_array (member), codes, text, depth + 1);
    }
}

gboolean
gcert_cloudflare_reply_has_code (const GCertCloudflareReply *reply,
                                 guint                       code)
{
  for (guint i = 0; i < reply->codes->len; i++)
    {
      if (g_array_index (reply->codes, guint, i) == code)
        return TRUE;
    }
  return FALSE;
}

static void call_send (GTask *task);

static void
call_retry_cb (GObject      *source_object,
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
  call_send (task);
}

static void
call_retry_later (GTask *task,
                  guint  delay_ms)
{
  Call *call = g_task_get_task_data (task);

  g_debug ("%s %s: trying again in %u ms", call->method, call->url, delay_ms);
  g_clear_object (&call->message);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->data, g_byte_array_unref);
  gcert_retry_sleep_async (delay_ms, g_task_get_cancellable (task), call_retry_cb,
                           g_object_ref (task));
}

static guint
backoff_ms (guint attempt)
{
  static const GCertRetryPolicy policy = { 0, MAX_FAILURES, MAX_RATE_LIMITED, 500, 4000,
                                           MAX_RETRY_AFTER };

  return gcert_retry_backoff_ms (&policy, attempt, NULL);
}

/* A transport error: retried while it may go away, else the call fails. */
static void
call_transport_error (GTask  *task,
                      GError *error)
{
  Call *call = g_task_get_task_data (task);
  gboolean transient = gcert_retry_is_transient_error (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  if (transient && ++call->failures < MAX_FAILURES)
    {
      g_debug ("%s %s: %s", call->method, call->url, error->message);
      g_error_free (error);
      call_retry_later (task, backoff_ms (call->failures));
      return;
    }
  g_task_return_new_error (task, GCERT_ERROR, transient ? GCERT_ERROR_NETWORK : GCERT_ERROR_FAILED,
                           "%s %s: %s", call->method, call->url, error->message);
  g_error_free (error);
}

static void
call_done (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GCertCloudflareReply) reply = NULL;
  g_autoptr(GString) errors = NULL;
  g_autofree char *snippet = NULL;
  guint status = soup_message_get_status (call->message);
  const char *reason = soup_message_get_reason_phrase (call->message);
  JsonNode *root = NULL;
  JsonNode *success;

  g_debug ("%s %s: HTTP %u", call->method, call->url, status);
  if (reason == NULL)
    reason = soup_status_get_phrase (status) != NULL ? soup_status_get_phrase (status) : "";

  if (status == HTTP_TOO_MANY_REQUESTS)
    {
      if (++call->rate_limited < MAX_RATE_LIMITED)
        {
          SoupMessageHeaders *headers = soup_message_get_response_headers (call->message);
          g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
          gint64 seconds;

          seconds = gcert_retry_parse_retry_after (soup_message_headers_get_one (headers,
                                                                                 "Retry-After"),
                                                   now);
          call_retry_later (task, seconds < 0 ?
                                    backoff_ms (call->rate_limited) :
                                    (guint) MIN (seconds, MAX_RETRY_AFTER) * 1000);
          return;
        }
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_RATE_LIMITED,
                               _("%s %s answered HTTP 429 %s %u times; try again later"),
                               call->method, call->url, reason, call->rate_limited);
      return;
    }

  snippet = server_text (call, (const char *) call->data->data, call->data->len);
  if (status >= 500 && status <= 599)
    {
      if (++call->failures < MAX_FAILURES)
        {
          call_retry_later (task, backoff_ms (call->failures));
          return;
        }
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NETWORK,
                               _("%s %s answered HTTP %u %s %u times in a row (last answer: %s)"),
                               call->method, call->url, status, reason, call->failures,
                               *snippet != '\0' ? snippet : _("empty"));
      return;
    }

  if (json_parser_load_from_data (parser, (const char *) call->data->data, call->data->len, NULL))
    root = json_parser_get_root (parser);
  success = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ?
              json_object_get_member (json_node_get_object (root), "success") : NULL;
  if (success == NULL || !JSON_NODE_HOLDS_VALUE (success) ||
      json_node_get_value_type (success) != G_TYPE_BOOLEAN)
    {
      if (SOUP_STATUS_IS_SUCCESSFUL (status))
        g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                 _("%s %s: the answer is not one of the Cloudflare API: %s"),
                                 call->method, call->url, snippet);
      else
        g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                                 _("%s %s answered HTTP %u %s: %s"),
                                 call->method, call->url, status, reason, snippet);
      return;
    }

  reply = g_new0 (GCertCloudflareReply, 1);
  reply->status = status;
  reply->root = json_node_ref (root);
  reply->envelope = json_node_get_object (reply->root);
  reply->success = json_node_get_boolean (success) && SOUP_STATUS_IS_SUCCESSFUL (status);
  reply->codes = g_array_new (FALSE, FALSE, sizeof (guint));
  reply->method = g_strdup (call->method);
  reply->url = g_strdup (call->url);
  errors = g_string_new (NULL);
  if (json_object_has_member (reply->envelope, "errors") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (reply->envelope, "errors")))
    collect_errors (call, json_object_get_array_member (reply->envelope, "errors"),
                    reply->codes, errors, 0);
  if (errors->len == 0)
    g_string_append_printf (errors, "HTTP %u %s", status, reason);
  reply->errors = g_string_free (g_steal_pointer (&errors), FALSE);
  g_task_return_pointer (task, g_steal_pointer (&reply),
                         (GDestroyNotify) gcert_cloudflare_reply_free);
}

static void
call_read_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);
  if (bytes == NULL)
    {
      call_transport_error (task, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      call_done (task);
      return;
    }
  if (call->data->len + g_bytes_get_size (bytes) > MAX_BODY)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("%s %s: the answer is larger than %u bytes"),
                               call->method, call->url, MAX_BODY);
      return;
    }
  g_byte_array_append (call->data, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (call->stream, READ_CHUNK, g_task_get_priority (task),
                                   g_task_get_cancellable (task), call_read_cb,
                                   g_object_ref (task));
}

static void
call_sent_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;

  call->stream = soup_session_send_finish (call->session, result, &error);
  if (call->stream == NULL)
    {
      call_transport_error (task, error);
      return;
    }
  call->data = g_byte_array_new ();
  g_input_stream_read_bytes_async (call->stream, READ_CHUNK, g_task_get_priority (task),
                                   g_task_get_cancellable (task), call_read_cb,
                                   g_object_ref (task));
}

static void
call_send (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(GCertSecret) authorization = NULL;
  SoupMessageHeaders *headers;

  g_clear_object (&call->message);
  call->message = soup_message_new (call->method, call->url);
  if (call->message == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("invalid URL %s"), call->url);
      return;
    }
  headers = soup_message_get_request_headers (call->message);
  authorization = g_strconcat ("Bearer ", call->token->secret, NULL);
  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (call->message, "application/json", call->body);

  g_debug ("%s %s", call->method, call->url);
  soup_session_send_async (call->session, call->message, g_task_get_priority (task),
                           g_task_get_cancellable (task), call_sent_cb, g_object_ref (task));
}

/* One request with the retries of 429 and 5xx; the reply, whatever its
 * status, unless the transport failed or the answer is no API envelope. */
void
gcert_cloudflare_call_async (SoupSession                *session,
                             const GCertCloudflareToken *token,
                             const GCertCloudflareToken *other,
                             const char                 *method,
                             const char                 *url,
                             JsonNode                   *body,
                             GCancellable               *cancellable,
                             GAsyncReadyCallback         callback,
                             gpointer                    user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, gcert_cloudflare_call_async);
  call->session = g_object_ref (session);
  call->method = g_strdup (method);
  call->url = g_strdup (url);
  call->token = token;
  call->other = other;
  if (body != NULL)
    {
      char *text = json_to_string (body, FALSE);

      call->body = g_bytes_new_take (text, strlen (text));
      g_debug ("%s %s: %s", method, url, text);
    }
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  call_send (task);
}

GCertCloudflareReply *
gcert_cloudflare_call_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- reading answers ------------------------------------------------------- */

const char *
gcert_cloudflare_object_get_string (JsonObject *object,
                                    const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* an id we are willing to put into a URL */
gboolean
gcert_cloudflare_is_safe_id (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > MAX_ID_LENGTH)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p))
        return FALSE;
    }
  return TRUE;
}

JsonArray *
gcert_cloudflare_reply_get_result_array (const GCertCloudflareReply  *reply,
                                         GError                     **error)
{
  JsonNode *node = json_object_get_member (reply->envelope, "result");

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s %s: the answer has no list of results"), reply->method, reply->url);
      return NULL;
    }
  return json_node_get_array (node);
}

/* result_info.total_pages; 1 when it is missing */
guint
gcert_cloudflare_reply_get_total_pages (const GCertCloudflareReply *reply)
{
  JsonNode *node = json_object_get_member (reply->envelope, "result_info");
  JsonNode *pages;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 1;
  pages = json_object_get_member (json_node_get_object (node), "total_pages");
  if (pages == NULL || !JSON_NODE_HOLDS_VALUE (pages) ||
      json_node_get_value_type (pages) != G_TYPE_INT64)
    return 1;
  return (guint) CLAMP (json_node_get_int (pages), 0, GCERT_CLOUDFLARE_MAX_PAGES);
}

gboolean
gcert_cloudflare_reply_is_auth_error (const GCertCloudflareReply *reply)
{
  static const guint codes[] = { 1000, 6003, 6111, 9106, 9109, 10000 };

  if (reply->status == SOUP_STATUS_UNAUTHORIZED || reply->status == SOUP_STATUS_FORBIDDEN)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (gcert_cloudflare_reply_has_code (reply, codes[i]))
        return TRUE;
    }
  return FALSE;
}

