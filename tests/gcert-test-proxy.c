/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "gcert-test-proxy.h"
#include "gcert-test-util.h"

#define HUGE_BODY_SIZE   (100 * 1024 * 1024)
#define HUGE_CHUNK_SIZE  (64 * 1024)
#define UPSTREAM_TIMEOUT 60

typedef struct {
  char           *method;     /* NULL: any */
  char           *path_part;  /* NULL: any */
  GCertTestFault  fault;
  guint           remaining;
} FaultRule;

struct _GCertTestProxy
{
  GMainContext *context;
  SoupServer   *server;
  SoupSession  *session;        /* to Pebble */
  GCancellable *cancellable;    /* cancelled when the proxy goes */
  guint16       port;
  guint16       other_port;
  char         *directory_url;
  char         *other_origin;

  GPtrArray    *rules;          /* FaultRule */
  GRand        *rand;
  double        random_rate;

  GPtrArray    *hung;           /* SoupServerMessage, paused for ever */
  GPtrArray    *sources;        /* pending GSource */
  guint         pending_forwards;

  guint         request_count;
  guint         fault_count;
  guint         forward_count;
  guint         other_origin_count;
};

static void
fault_rule_free (FaultRule *rule)
{
  g_free (rule->method);
  g_free (rule->path_part);
  g_free (rule);
}

/* --- closing connections ------------------------------------------------ */

typedef struct {
  GCertTestProxy    *proxy;
  SoupServerMessage *msg;
  GSource           *source;
} Deferred;

static void
deferred_free (Deferred *deferred)
{
  g_object_unref (deferred->msg);
  g_free (deferred);
}

/* Closes the client's connection with a TCP reset: no answer at all. */
static void
reset_connection (SoupServerMessage *msg)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;

  socket = soup_server_message_get_socket (msg);
  if (socket != NULL)
    {
      struct linger linger = { 1, 0 };

      g_object_ref (socket);
      setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
                  &linger, sizeof linger);
    }
  stream = soup_server_message_steal_connection (msg);
  if (socket != NULL)
    g_socket_close (socket, NULL);
}

static gboolean
deferred_reset_cb (gpointer user_data)
{
  Deferred *deferred = user_data;

  g_ptr_array_remove_fast (deferred->proxy->sources, deferred->source);
  reset_connection (deferred->msg);
  return G_SOURCE_REMOVE;
}

/* The connection is stolen from an idle callback, never from inside
 * libsoup's own I/O callbacks. */
static void
schedule_reset (GCertTestProxy    *self,
                SoupServerMessage *msg)
{
  Deferred *deferred = g_new0 (Deferred, 1);
  GSource *source = g_idle_source_new ();

  deferred->proxy = self;
  deferred->msg = g_object_ref (msg);
  deferred->source = source;
  g_source_set_callback (source, deferred_reset_cb, deferred,
                         (GDestroyNotify) deferred_free);
  g_ptr_array_add (self->sources, source);
  g_source_attach (source, self->context);
}

/* --- answers made up by the proxy --------------------------------------- */

static void
respond_problem_as (SoupServerMessage *msg,
                    guint              status,
                    const char        *content_type,
                    const char        *type,
                    const char        *detail)
{
  g_autofree char *body = NULL;
  gsize length;

  body = g_strdup_printf ("{\n  \"type\": \"urn:ietf:params:acme:error:%s\",\n"
                          "  \"detail\": \"%s\",\n  \"status\": %u\n}\n",
                          type, detail, status);
  length = strlen (body);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&body), length);
}

static void
respond_problem (SoupServerMessage *msg,
                 guint              status,
                 const char        *type,
                 const char        *detail)
{
  respond_problem_as (msg, status, "application/problem+json", type, detail);
}

static void
respond_retry_after (SoupServerMessage *msg,
                     GCertTestFault     fault)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  switch (fault)
    {
    case GCERT_TEST_FAULT_503_RETRY_SECONDS:
      respond_problem (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "serverInternal",
                       "service unavailable, retry in a second");
      soup_message_headers_replace (headers, "Retry-After", "1");
      break;
    case GCERT_TEST_FAULT_429_RETRY_DATE:
      {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
        g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 1.0);
        g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);

        respond_problem (msg, 429 /* Too Many Requests */, "rateLimited",
                         "too many requests");
        soup_message_headers_replace (headers, "Retry-After", date);
      }
      break;
    case GCERT_TEST_FAULT_503_RETRY_GARBAGE:
      respond_problem (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "serverInternal",
                       "service unavailable");
      soup_message_headers_replace (headers, "Retry-After", "soon");
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *content_type,
              const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_STATIC,
                                    text, strlen (text));
}

/* Every chunk of the huge body is the same static run of spaces, so that
 * 100 MiB go out without being allocated (and form valid JSON with the
 * closing "{}"). */
static const char *
huge_chunk (void)
{
  static char chunk[HUGE_CHUNK_SIZE];
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      memset (chunk, ' ', sizeof chunk);
      g_once_init_leave (&initialized, 1);
    }
  return chunk;
}

typedef struct {
  gsize remaining;
} HugeBody;

static void
huge_append_next (SoupServerMessage *msg,
                  HugeBody          *huge)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (huge->remaining == 0)
    {
      soup_message_body_complete (body);
    }
  else if (huge->remaining <= 2)
    {
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "{}", huge->remaining);
      huge->remaining = 0;
    }
  else
    {
      gsize length = MIN (huge->remaining - 2, HUGE_CHUNK_SIZE);

      soup_message_body_append (body, SOUP_MEMORY_STATIC, huge_chunk (), length);
      huge->remaining -= length;
    }
}

static void
huge_wrote_chunk_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  huge_append_next (msg, user_data);
}

static void
respond_huge (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  HugeBody *huge = g_new0 (HugeBody, 1);

  huge->remaining = HUGE_BODY_SIZE;
  g_object_set_data_full (G_OBJECT (msg), "gcert-test-huge-body", huge, g_free);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg),
                                    FALSE);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (huge_wrote_chunk_cb), huge);
  huge_append_next (msg, huge);
}

/* --- forwarding to Pebble ----------------------------------------------- */

typedef struct {
  GCertTestProxy    *proxy;
  SoupServerMessage *msg;
  SoupMessage       *upstream;
  GCancellable      *cancellable;
  gboolean           has_fault;
  GCertTestFault     fault;
} Forward;

static void
forward_free (Forward *forward)
{
  g_object_unref (forward->msg);
  g_object_unref (forward->upstream);
  g_object_unref (forward->cancellable);
  g_free (forward);
}

/* hop-by-hop headers, and those libsoup sets itself from the body */
static gboolean
is_not_forwarded (const char *name)
{
  static const char * const names[] = {
    "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
    "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    "Host", "Content-Length", "Content-Encoding", "Accept-Encoding", "Expect",
    "Content-Type", "Date",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (name, names[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
copy_headers (SoupMessageHeaders *from,
              SoupMessageHeaders *to)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (!is_not_forwarded (name))
        soup_message_headers_append (to, name, value);
    }
}

/* "https://HOST:PORT" as the client named us, which is how Pebble spells
 * its URLs in the answer */
static char *
client_origin (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *host = g_uri_get_host (uri);

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("https://[%s]:%d", host, g_uri_get_port (uri));
  return g_strdup_printf ("https://%s:%d", host, g_uri_get_port (uri));
}

static char *
replace_all (const char *text,
             const char *from,
             const char *to)
{
  GString *result = g_string_new (text);

  g_string_replace (result, from, to, 0);
  return g_string_free (result, FALSE);
}

static GBytes *
chain_for_other_names (void)
{
  static const char * const names[] = { "other.example.test", "*.other.example.test", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) not_before = g_date_time_add_hours (now, -1);
  g_autoptr(GDateTime) not_after = g_date_time_add_days (now, 90);
  char *chain;

  key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_assert_no_error (error);
  chain = gcert_test_issue_certificate (key, names, not_before, not_after, NULL);
  g_assert_nonnull (chain);
  return g_bytes_new_take (chain, strlen (chain));
}

static void
truncated_wrote_chunk_cb (SoupServerMessage *msg,
                          gpointer           user_data)
{
  g_signal_handlers_disconnect_by_func (msg, truncated_wrote_chunk_cb, user_data);
  schedule_reset (user_data, msg);
}

static void
send_answer (Forward *forward,
             GBytes  *body)
{
  GCertTestProxy *self = forward->proxy;
  SoupServerMessage *msg = forward->msg;
  SoupMessageHeaders *upstream_headers;
  SoupMessageHeaders *headers;
  g_autoptr(GBytes) answer = g_bytes_ref (body);
  g_autofree char *content_type = NULL;
  guint status;

  if (forward->has_fault && forward->fault == GCERT_TEST_FAULT_LOSE_ANSWER)
    {
      schedule_reset (self, msg);
      return;
    }

  status = soup_message_get_status (forward->upstream);
  upstream_headers = soup_message_get_response_headers (forward->upstream);
  headers = soup_server_message_get_response_headers (msg);
  content_type = g_strdup (soup_message_headers_get_one (upstream_headers,
                                                         "Content-Type"));

  if (forward->has_fault)
    {
      switch (forward->fault)
        {
        case GCERT_TEST_FAULT_WRONG_CONTENT_TYPE:
          g_free (content_type);
          content_type = g_strdup ("text/html; charset=utf-8");
          break;
        case GCERT_TEST_FAULT_CHAIN_GARBAGE:
          status = SOUP_STATUS_OK;
          g_free (content_type);
          content_type = g_strdup ("application/pem-certificate-chain");
          g_bytes_unref (answer);
          answer = g_bytes_new_static ("this is not a certificate chain\n",
                                       strlen ("this is not a certificate chain\n"));
          break;
        case GCERT_TEST_FAULT_CHAIN_OTHER:
          status = SOUP_STATUS_OK;
          g_free (content_type);
          content_type = g_strdup ("application/pem-certificate-chain");
          g_bytes_unref (answer);
          answer = chain_for_other_names ();
          break;
        case GCERT_TEST_FAULT_CROSS_ORIGIN:
          {
            g_autofree char *origin = client_origin (msg);
            g_autofree char *text = g_strndup (g_bytes_get_data (answer, NULL),
                                               g_bytes_get_size (answer));
            g_autofree char *rewritten = replace_all (text, origin, self->other_origin);
            g_autoptr(SoupMessageHeaders) rewritten_headers = NULL;
            SoupMessageHeadersIter iter;
            const char *name, *value;
            gsize length = strlen (rewritten);

            g_bytes_unref (answer);
            answer = g_bytes_new_take (g_steal_pointer (&rewritten), length);
            rewritten_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
            soup_message_headers_iter_init (&iter, upstream_headers);
            while (soup_message_headers_iter_next (&iter, &name, &value))
              {
                g_autofree char *new_value = replace_all (value, origin,
                                                          self->other_origin);

                soup_message_headers_append (rewritten_headers, name, new_value);
              }
            copy_headers (rewritten_headers, headers);
            upstream_headers = NULL;
          }
          break;
        default:
          break;
        }
    }

  if (upstream_headers != NULL)
    copy_headers (upstream_headers, headers);
  soup_server_message_set_status (msg, status, NULL);

  if (forward->has_fault && forward->fault == GCERT_TEST_FAULT_TRUNCATE)
    {
      gsize full = g_bytes_get_size (answer);
      g_autoptr(GBytes) half = g_bytes_new_from_bytes (answer, 0, full / 2);

      /* promise the whole body, send half of it, then hang up */
      soup_message_headers_set_content_length (headers, full);
      if (content_type != NULL)
        soup_message_headers_replace (headers, "Content-Type", content_type);
      if (g_bytes_get_size (half) > 0)
        soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
                                        half);
      if (g_bytes_get_size (half) == 0)
        schedule_reset (self, msg);
      else
        g_signal_connect (msg, "wrote-chunk", G_CALLBACK (truncated_wrote_chunk_cb), self);
      soup_server_message_unpause (msg);
      return;
    }

  if (content_type != NULL || g_bytes_get_size (answer) > 0)
    {
      gsize length;
      const char *data = g_bytes_get_data (answer, &length);

      soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY,
                                        data, length);
    }
  soup_server_message_unpause (msg);
}

static void
forward_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Forward *forward = user_data;
  GCertTestProxy *self = forward->proxy;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  self->pending_forwards--;

  if (g_cancellable_is_cancelled (forward->cancellable))
    {
      /* the proxy is going away */
    }
  else if (body == NULL)
    {
      g_autofree char *text = g_strdup_printf ("proxy: Pebble unreachable: %s\n",
                                               error->message);
      gsize length = strlen (text);

      soup_server_message_set_status (forward->msg, SOUP_STATUS_BAD_GATEWAY, NULL);
      soup_server_message_set_response (forward->msg, "text/plain",
                                        SOUP_MEMORY_TAKE, g_steal_pointer (&text),
                                        length);
      soup_server_message_unpause (forward->msg);
    }
  else
    {
      send_answer (forward, body);
    }
  forward_free (forward);
}

static void
forward_request (GCertTestProxy    *self,
                 SoupServerMessage *msg,
                 gboolean           has_fault,
                 GCertTestFault     fault)
{
  Forward *forward;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = NULL;
  const char *method = soup_server_message_get_method (msg);

  forward = g_new0 (Forward, 1);
  forward->proxy = self;
  forward->msg = g_object_ref (msg);
  forward->cancellable = g_object_ref (self->cancellable);
  forward->has_fault = has_fault;
  forward->fault = fault;
  /* The URL keeps the client's host and port: the session connects to
   * Pebble anyway (remote-connectable), and Pebble builds its URLs and
   * checks the JWS "url" against the Host it sees. */
  forward->upstream = soup_message_new_from_uri (method,
                                                 soup_server_message_get_uri (msg));
  copy_headers (request_headers,
                soup_message_get_request_headers (forward->upstream));
  body = soup_message_body_flatten (request_body);
  if (g_bytes_get_size (body) > 0 || g_strcmp0 (method, "POST") == 0)
    {
      soup_message_set_request_body_from_bytes (forward->upstream,
                                                soup_message_headers_get_one (request_headers,
                                                                              "Content-Type"),
                                                body);
    }

  soup_server_message_pause (msg);
  self->forward_count++;
  self->pending_forwards++;
  soup_session_send_and_read_async (self->session, forward->upstream,
                                    G_PRIORITY_DEFAULT, self->cancellable,
                                    forward_cb, forward);
}

/* --- dispatch ----------------------------------------------------------- */

static gboolean
pick_fault (GCertTestProxy *self,
            const char     *method,
            const char     *path,
            GCertTestFault *out_fault)
{
  static const GCertTestFault transient[] = {
    GCERT_TEST_FAULT_503_RETRY_SECONDS,
    GCERT_TEST_FAULT_429_RETRY_DATE,
    GCERT_TEST_FAULT_RESET,
    GCERT_TEST_FAULT_TRUNCATE,
    GCERT_TEST_FAULT_500,
  };

  for (guint i = 0; i < self->rules->len; i++)
    {
      FaultRule *rule = g_ptr_array_index (self->rules, i);

      if (rule->remaining == 0)
        continue;
      if (rule->method != NULL && g_ascii_strcasecmp (rule->method, method) != 0)
        continue;
      if (rule->path_part != NULL && strstr (path, rule->path_part) == NULL)
        continue;
      rule->remaining--;
      *out_fault = rule->fault;
      return TRUE;
    }

  if (self->random_rate > 0.0 && g_rand_double (self->rand) < self->random_rate)
    {
      *out_fault = transient[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (transient))];
      return TRUE;
    }
  return FALSE;
}

static guint16
local_port (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_local_address (msg);

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static void
server_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  GCertTestProxy *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  GCertTestFault fault = 0;
  gboolean has_fault;

  self->request_count++;
  if (local_port (msg) == self->other_port)
    self->other_origin_count++;

  has_fault = pick_fault (self, method, path, &fault);
  if (!has_fault)
    {
      forward_request (self, msg, FALSE, 0);
      return;
    }

  self->fault_count++;
  g_debug ("proxy: %s %s gets fault %d", method, path, fault);
  switch (fault)
    {
    case GCERT_TEST_FAULT_503_RETRY_SECONDS:
    case GCERT_TEST_FAULT_429_RETRY_DATE:
    case GCERT_TEST_FAULT_503_RETRY_GARBAGE:
      respond_retry_after (msg, fault);
      break;
    case GCERT_TEST_FAULT_500:
      respond_problem (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "serverInternal",
                       "internal error");
      break;
    case GCERT_TEST_FAULT_BAD_NONCE_AS_HTML:
      /* what a front end that rewrites error pages' types sends */
      respond_problem_as (msg, SOUP_STATUS_BAD_REQUEST, "text/html; charset=utf-8",
                          "badNonce", "JWS has an invalid anti-replay nonce");
      break;
    case GCERT_TEST_FAULT_RESET:
      soup_server_message_pause (msg);
      schedule_reset (self, msg);
      break;
    case GCERT_TEST_FAULT_INVALID_JSON:
      respond_text (msg, SOUP_STATUS_OK, "application/json",
                    "{\"status\": \"valid\", this is not JSON");
      break;
    case GCERT_TEST_FAULT_WRONG_TYPES:
      /* wrong for a directory, an account, an order, an authorization and a
       * challenge alike */
      respond_text (msg, SOUP_STATUS_OK, "application/json",
                    "{\"newNonce\": 42, \"newAccount\": [\"x\"], \"newOrder\": {\"a\": 1},"
                    " \"revokeCert\": true, \"keyChange\": null, \"meta\": \"none\","
                    " \"status\": 7, \"orders\": 3, \"identifiers\": \"example.test\","
                    " \"authorizations\": \"none\", \"finalize\": false,"
                    " \"certificate\": 12, \"expires\": [], \"identifier\": 5,"
                    " \"challenges\": {}, \"token\": 99, \"url\": {}, \"type\": 1}");
      break;
    case GCERT_TEST_FAULT_HUGE_BODY:
      respond_huge (msg);
      break;
    case GCERT_TEST_FAULT_HANG:
      soup_server_message_pause (msg);
      g_ptr_array_add (self->hung, g_object_ref (msg));
      break;
    case GCERT_TEST_FAULT_TRUNCATE:
    case GCERT_TEST_FAULT_WRONG_CONTENT_TYPE:
    case GCERT_TEST_FAULT_LOSE_ANSWER:
    case GCERT_TEST_FAULT_CHAIN_GARBAGE:
    case GCERT_TEST_FAULT_CHAIN_OTHER:
    case GCERT_TEST_FAULT_CROSS_ORIGIN:
      forward_request (self, msg, TRUE, fault);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* --- life cycle --------------------------------------------------------- */

static guint16
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_return_val_if_fail (uri != NULL, 0);
  return (guint16) g_uri_get_port (uri);
}

GCertTestProxy *
gcert_test_proxy_new (GCertTestPebble  *pebble,
                      GError          **error)
{
  g_autoptr(GCertTestProxy) self = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) pebble_address = NULL;
  g_autoptr(GSocket) main_socket = NULL;
  g_autoptr(GSocket) other_socket = NULL;

  g_return_val_if_fail (pebble != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (GCertTestProxy, 1);
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_rule_free);
  self->hung = g_ptr_array_new_with_free_func (g_object_unref);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->rand = g_rand_new_with_seed (0);

  certificate = gcert_test_pebble_get_tls_certificate (pebble, error);
  if (certificate == NULL)
    {
      g_prefix_error (error, "loading Pebble's TLS certificate: ");
      return NULL;
    }
  database = g_tls_file_database_new (pebble->ca_certificates, error);
  if (database == NULL)
    return NULL;

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  pebble_address = g_inet_socket_address_new (loopback, url_port (pebble->directory_url));
  self->session = soup_session_new_with_options ("remote-connectable", pebble_address,
                                                 "tls-database", database,
                                                 "proxy-resolver", NULL,
                                                 "timeout", UPSTREAM_TIMEOUT,
                                                 "max-conns", 64,
                                                 "max-conns-per-host", 32,
                                                 "user-agent", "gcert-test-proxy",
                                                 NULL);

  self->server = soup_server_new ("tls-certificate", certificate,
                                  "server-header", "gcert-test-proxy",
                                  NULL);
  soup_server_add_handler (self->server, NULL, server_handler, self, NULL);
  main_socket = gcert_test_try_listen_loopback (G_SOCKET_TYPE_STREAM, 0, &self->port, error);
  if (main_socket == NULL ||
      !soup_server_listen_socket (self->server, main_socket,
                                  SOUP_SERVER_LISTEN_HTTPS, error))
    return NULL;
  other_socket = gcert_test_try_listen_loopback (G_SOCKET_TYPE_STREAM, 0, &self->other_port,
                                                 error);
  if (other_socket == NULL ||
      !soup_server_listen_socket (self->server, other_socket,
                                  SOUP_SERVER_LISTEN_HTTPS, error))
    return NULL;

  self->directory_url = g_strdup_printf ("https://127.0.0.1:%u/dir", self->port);
  self->other_origin = g_strdup_printf ("https://127.0.0.1:%u", self->other_port);
  return g_steal_pointer (&self);
}

void
gcert_test_proxy_free (GCertTestProxy *self)
{
  if (self == NULL)
    return;

  /* let cancelled forwards finish: their callbacks still point at us */
  g_cancellable_cancel (self->cancellable);
  while (self->pending_forwards > 0)
    g_main_context_iteration (self->context, TRUE);

  for (guint i = 0; i < self->sources->len; i++)
    g_source_destroy (g_ptr_array_index (self->sources, i));
  g_ptr_array_unref (self->sources);

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->hung);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->rules);
  g_rand_free (self->rand);
  g_free (self->directory_url);
  g_free (self->other_origin);
  g_main_context_unref (self->context);
  g_free (self);
}

const char *
gcert_test_proxy_get_directory_url (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->directory_url;
}

const char *
gcert_test_proxy_get_other_origin (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->other_origin;
}

void
gcert_test_proxy_add_fault (GCertTestProxy *self,
                            const char     *method,
                            const char     *path_part,
                            GCertTestFault  fault,
                            guint           count)
{
  FaultRule *rule;

  g_return_if_fail (self != NULL);
  g_return_if_fail (fault <= GCERT_TEST_FAULT_BAD_NONCE_AS_HTML);

  rule = g_new0 (FaultRule, 1);
  rule->method = g_strdup (method);
  rule->path_part = g_strdup (path_part);
  rule->fault = fault;
  rule->remaining = count;
  g_ptr_array_add (self->rules, rule);
}

void
gcert_test_proxy_set_random_faults (GCertTestProxy *self,
                                    double          rate,
                                    guint32         seed)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (rate >= 0.0 && rate <= 1.0);

  self->random_rate = rate;
  g_rand_set_seed (self->rand, seed);
}

guint
gcert_test_proxy_get_request_count (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->request_count;
}

guint
gcert_test_proxy_get_fault_count (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->fault_count;
}

guint
gcert_test_proxy_get_forward_count (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->forward_count;
}

guint
gcert_test_proxy_get_other_origin_count (GCertTestProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->other_origin_count;
}
