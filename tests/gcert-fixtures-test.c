/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test fixtures themselves: Pebble and challtestsrv, and the
 * fault-injecting proxy, observed from a plain SoupSession and dig. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert-test-pebble.h"
#include "gcert-test-proxy.h"
#include "gcert-test-util.h"

/* started by the first test that needs it: the test that changes PATH
 * runs first, before any thread exists */
static GCertTestPebble *pebble;

static void
ensure_pebble (void)
{
  g_autoptr(GError) error = NULL;

  if (pebble != NULL)
    return;
  pebble = gcert_test_pebble_start (NULL, &error);
  g_assert_no_error (error);
}

/* --- a plain client on the test's main context -------------------------- */

static SoupSession *
client_new (guint timeout)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;

  ensure_pebble ();
  database = g_tls_file_database_new (pebble->ca_certificates, &error);
  g_assert_no_error (error);
  return soup_session_new_with_options ("tls-database", database,
                                        "proxy-resolver", NULL,
                                        "timeout", timeout,
                                        NULL);
}

static void
async_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The proxy serves on this thread's main context: every request is sent
 * asynchronously and the context iterated until it completes. */
static GBytes *
client_send (SoupSession  *session,
             SoupMessage  *msg,
             GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL,
                                    async_result_cb, &result);
  return soup_session_send_and_read_finish (session, wait_for_result (&result),
                                            error);
}

static GBytes *
client_get (const char   *method,
            const char   *url,
            SoupMessage **out_msg,
            GError      **error)
{
  g_autoptr(SoupSession) session = client_new (10);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  GBytes *body;

  g_assert_nonnull (msg);
  body = client_send (session, msg, error);
  if (out_msg != NULL)
    *out_msg = g_steal_pointer (&msg);
  return body;
}

static JsonObject *
parse_object (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                              g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static char *
origin_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return g_strdup_printf ("https://%s:%d/", g_uri_get_host (uri), g_uri_get_port (uri));
}

static void
assert_directory_names (JsonObject *directory,
                        const char *origin)
{
  static const char * const members[] = {
    "newNonce", "newAccount", "newOrder", "revokeCert", "keyChange",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const char *url = json_object_get_string_member (directory, members[i]);

      g_assert_nonnull (url);
      if (!g_str_has_prefix (url, origin))
        g_error ("%s is %s, not under %s", members[i], url, origin);
    }
}

static const char *
header (SoupMessage *msg,
        const char  *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (msg), name);
}

/* --- Pebble and challtestsrv -------------------------------------------- */

static void
test_free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) tcp = NULL;
  g_autoptr(GSocket) udp = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;
  guint16 port;

  port = gcert_test_find_free_port (TRUE);
  g_assert_cmpuint (port, >, 0);
  address = g_inet_socket_address_new (loopback, port);
  tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                      G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (tcp, address, FALSE, &error);
  g_assert_no_error (error);
  udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                      G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (udp, address, FALSE, &error);
  g_assert_no_error (error);
}

static void
test_pebble_directory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) directory = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *root = NULL;

  ensure_pebble ();
  origin = origin_of (pebble->directory_url);

  g_assert_true (gcert_test_pebble_check_alive (pebble, &error));
  g_assert_no_error (error);

  body = client_get ("GET", pebble->directory_url, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  directory = parse_object (body);
  assert_directory_names (directory, origin);

  root = gcert_test_pebble_get_root (pebble, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (root, "-----BEGIN CERTIFICATE-----"));
}

static void
test_pebble_config (void)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *value = NULL;

  ensure_pebble ();
  text = gcert_test_pebble_config (pebble, "/nonexistent/state", "[certificate www]\ndomains = www.example.test\n");
  g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  value = g_key_file_get_string (keyfile, "gcert", "ca", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, pebble->directory_url);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "gcert", "ca-certificates", &error);
  g_assert_cmpstr (value, ==, pebble->ca_certificates);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "gcert", "state-dir", &error);
  g_assert_cmpstr (value, ==, "/nonexistent/state");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "gcert", "resolvers", &error);
  g_assert_cmpstr (value, ==, pebble->dns_server);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "dns test", "plugin", &error);
  g_assert_cmpstr (value, ==, "challtestsrv");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "dns test", "url", &error);
  g_assert_cmpstr (value, ==, pebble->challtestsrv_url);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (keyfile, "certificate www", "domains", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "www.example.test");
}

/* the TXT values at @name as dig prints them, one quoted value a line */
static char *
dig_txt (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) dig = NULL;
  g_auto(GStrv) server = NULL;
  g_autofree char *at = NULL;
  g_autofree char *out = NULL;

  ensure_pebble ();
  server = g_strsplit (pebble->dns_server, ":", 2);
  at = g_strconcat ("@", server[0], NULL);

  dig = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                          "dig", "+short", "+time=2", "+tries=2", "-p", server[1],
                          at, name, "TXT", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (dig, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (dig));
  g_assert_cmpint (g_subprocess_get_exit_status (dig), ==, 0);
  return g_steal_pointer (&out);
}

static void
test_pebble_txt (void)
{
  const char *name = "_acme-challenge.fixture.example.test.";
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  ensure_pebble ();
  gcert_test_pebble_set_txt (pebble, name, "value-one", &error);
  g_assert_no_error (error);
  gcert_test_pebble_set_txt (pebble, name, "value-two", &error);
  g_assert_no_error (error);
  answer = dig_txt (name);
  g_assert_nonnull (strstr (answer, "\"value-one\""));
  g_assert_nonnull (strstr (answer, "\"value-two\""));
  g_clear_pointer (&answer, g_free);

  gcert_test_pebble_clear_txt (pebble, name, &error);
  g_assert_no_error (error);
  answer = dig_txt (name);
  g_assert_cmpstr (answer, ==, "");
}

static void
test_pebble_txt_bad_host (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  ensure_pebble ();
  g_assert_false (gcert_test_pebble_set_txt (pebble, "_acme-challenge.relative.example.test",
                                             "lost", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "end with a dot"));
  g_clear_error (&error);
  g_assert_false (gcert_test_pebble_clear_txt (pebble, "", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);

  answer = dig_txt ("_acme-challenge.relative.example.test.");
  g_assert_cmpstr (answer, ==, "");
}

static void
test_pebble_missing_programs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertTestPebble) broken = NULL;
  g_autofree char *path = g_strdup (g_getenv ("PATH"));
  g_autofree char *empty = gcert_test_mkdtemp ("gcert-empty-path");

  g_assert_null (pebble);
  g_setenv ("PATH", empty, TRUE);
  broken = gcert_test_pebble_start (NULL, &error);
  g_setenv ("PATH", path, TRUE);
  gcert_test_rm_rf (empty);

  g_assert_null (broken);
  g_assert_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "pebble-challtestsrv"));
}

/* --- the proxy ---------------------------------------------------------- */

static GCertTestProxy *
proxy_new (void)
{
  g_autoptr(GError) error = NULL;
  GCertTestProxy *proxy;

  ensure_pebble ();
  proxy = gcert_test_proxy_new (pebble, &error);
  g_assert_no_error (error);
  g_assert_nonnull (proxy);
  return proxy;
}

static JsonObject *
proxy_directory (GCertTestProxy *proxy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = client_get ("GET", gcert_test_proxy_get_directory_url (proxy), &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  return parse_object (body);
}

static void
test_proxy_directory (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(JsonObject) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *origin = origin_of (gcert_test_proxy_get_directory_url (proxy));
  g_autofree char *index = NULL;
  const char *link;

  g_assert_cmpstr (origin, !=, "https://127.0.0.1:0/");
  g_assert_false (g_str_has_prefix (pebble->directory_url, origin));

  directory = proxy_directory (proxy);
  assert_directory_names (directory, origin);

  body = client_get ("HEAD", json_object_get_string_member (directory, "newNonce"),
                     &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_nonnull (header (msg, "Replay-Nonce"));
  link = header (msg, "Link");
  g_assert_nonnull (link);
  index = g_strdup_printf ("<%s>;rel=\"index\"", gcert_test_proxy_get_directory_url (proxy));
  g_assert_cmpstr (link, ==, index);

  g_assert_cmpuint (gcert_test_proxy_get_request_count (proxy), ==, 2);
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 2);
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (proxy), ==, 0);
  g_assert_cmpuint (gcert_test_proxy_get_other_origin_count (proxy), ==, 0);
}

static char *
fetch_nonce (const char *new_nonce_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = client_get ("HEAD", new_nonce_url, &msg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (header (msg, "Replay-Nonce"));
  return g_strdup (header (msg, "Replay-Nonce"));
}

/* A real JWS through the proxy: Pebble accepts its "url" only if it saw
 * the proxy's own host and port. */
static void
test_proxy_new_account (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(JsonObject) directory = proxy_directory (proxy);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(SoupSession) session = client_new (10);
  g_autofree char *origin = origin_of (gcert_test_proxy_get_directory_url (proxy));
  g_autofree char *nonce = NULL;
  const char *new_account = json_object_get_string_member (directory, "newAccount");
  guint status = 0;

  key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_assert_no_error (error);
  nonce = fetch_nonce (json_object_get_string_member (directory, "newNonce"));

  /* Pebble rejects 5 % of good nonces: retry those with the fresh one */
  for (guint attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", new_account);
      g_autoptr(GBytes) request = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autofree char *jws = NULL;
      gsize length;

      jws = gcert_jose_sign (key, new_account, nonce, NULL,
                             "{\"termsOfServiceAgreed\": true}", &error);
      g_assert_no_error (error);
      length = strlen (jws);
      request = g_bytes_new_take (g_steal_pointer (&jws), length);
      soup_message_set_request_body_from_bytes (msg, "application/jose+json", request);
      body = client_send (session, msg, &error);
      g_assert_no_error (error);
      status = soup_message_get_status (msg);
      g_free (nonce);
      nonce = g_strdup (header (msg, "Replay-Nonce"));
      if (status == SOUP_STATUS_BAD_REQUEST &&
          strstr (g_bytes_get_data (body, NULL), "badNonce") != NULL)
        continue;
      if (status != SOUP_STATUS_CREATED)
        g_error ("newAccount through the proxy: HTTP %u: %.*s", status,
                 (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
      g_assert_nonnull (header (msg, "Location"));
      g_assert_true (g_str_has_prefix (header (msg, "Location"), origin));
      break;
    }
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
}

static GBytes *
faulty_get (GCertTestProxy *proxy,
            GCertTestFault  fault,
            SoupMessage   **out_msg,
            GError        **error)
{
  gcert_test_proxy_add_fault (proxy, "GET", "/dir", fault, 1);
  return client_get ("GET", gcert_test_proxy_get_directory_url (proxy), out_msg, error);
}

/* after the fault, the rule is used up and the proxy forwards again */
static void
assert_recovers (GCertTestProxy *proxy)
{
  g_autoptr(JsonObject) directory = proxy_directory (proxy);
  g_autofree char *origin = origin_of (gcert_test_proxy_get_directory_url (proxy));

  assert_directory_names (directory, origin);
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (proxy), ==, 1);
}

static void
assert_problem (SoupMessage *msg,
                GBytes      *body,
                guint        status,
                const char  *type)
{
  g_autoptr(JsonObject) problem = NULL;
  g_autofree char *full_type = g_strconcat ("urn:ietf:params:acme:error:", type, NULL);

  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  g_assert_true (g_str_has_prefix (header (msg, "Content-Type"), "application/problem+json"));
  problem = parse_object (body);
  g_assert_cmpstr (json_object_get_string_member (problem, "type"), ==, full_type);
}

static void
test_fault_503_retry_seconds (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_503_RETRY_SECONDS, &msg, &error);
  g_assert_no_error (error);
  assert_problem (msg, body, SOUP_STATUS_SERVICE_UNAVAILABLE, "serverInternal");
  g_assert_cmpstr (header (msg, "Retry-After"), ==, "1");
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 0);
  assert_recovers (proxy);
}

static void
test_fault_429_retry_date (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  GTimeSpan ahead;

  body = faulty_get (proxy, GCERT_TEST_FAULT_429_RETRY_DATE, &msg, &error);
  g_assert_no_error (error);
  assert_problem (msg, body, 429, "rateLimited");
  when = soup_date_time_new_from_http_string (header (msg, "Retry-After"));
  g_assert_nonnull (when);
  now = g_date_time_new_now_utc ();
  ahead = g_date_time_difference (when, now);
  g_assert_cmpint (ahead, >=, -2 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (ahead, <=, 2 * G_TIME_SPAN_SECOND);
  assert_recovers (proxy);
}

static void
test_fault_503_retry_garbage (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_503_RETRY_GARBAGE, &msg, &error);
  g_assert_no_error (error);
  assert_problem (msg, body, SOUP_STATUS_SERVICE_UNAVAILABLE, "serverInternal");
  g_assert_cmpstr (header (msg, "Retry-After"), ==, "soon");
  assert_recovers (proxy);
}

static void
test_fault_500 (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_500, &msg, &error);
  g_assert_no_error (error);
  assert_problem (msg, body, SOUP_STATUS_INTERNAL_SERVER_ERROR, "serverInternal");
  g_assert_null (header (msg, "Retry-After"));
  assert_recovers (proxy);
}

static void
test_fault_reset (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_RESET, &msg, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR || error->domain == G_TLS_ERROR);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_NONE);
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 0);
  assert_recovers (proxy);
}

static void
test_fault_truncate (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_TRUNCATE, &msg, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR || error->domain == G_TLS_ERROR);
  /* the headers came, the body did not */
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 1);
  assert_recovers (proxy);
}

static void
test_fault_invalid_json (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  body = faulty_get (proxy, GCERT_TEST_FAULT_INVALID_JSON, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (header (msg, "Content-Type"), ==, "application/json");
  g_assert_false (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                              g_bytes_get_size (body), &error));
  g_assert_nonnull (error);
  assert_recovers (proxy);
}

static void
test_fault_wrong_types (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_WRONG_TYPES, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  object = parse_object (body);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "newNonce")),
                   ==, G_TYPE_INT64);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "newAccount")));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "challenges")));
  assert_recovers (proxy);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_fault_huge_body (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = client_new (60);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autofree guint8 *buffer = g_malloc (256 * 1024);
  guint64 total = 0;
  guint8 last = 0;

  gcert_test_proxy_add_fault (proxy, "GET", "/dir", GCERT_TEST_FAULT_HUGE_BODY, 1);
  msg = soup_message_new ("GET", gcert_test_proxy_get_directory_url (proxy));
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, async_result_cb, &sent);
  stream = soup_session_send_finish (session, wait_for_result (&sent), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)),
                   ==, SOUP_ENCODING_CHUNKED);

  /* counted as it streams by, never held */
  while (TRUE)
    {
      g_autoptr(GAsyncResult) result = NULL;
      gssize n;

      g_input_stream_read_async (stream, buffer, 256 * 1024, G_PRIORITY_DEFAULT, NULL,
                                 read_cb, &result);
      n = g_input_stream_read_finish (stream, wait_for_result (&result), &error);
      g_assert_no_error (error);
      if (n == 0)
        break;
      total += n;
      last = buffer[n - 1];
    }
  g_assert_cmpuint (total, ==, 100 * 1024 * 1024);
  g_assert_cmpint (last, ==, '}');
  assert_recovers (proxy);
}

static void
test_fault_wrong_content_type (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) directory = NULL;
  g_autofree char *origin = origin_of (gcert_test_proxy_get_directory_url (proxy));

  body = faulty_get (proxy, GCERT_TEST_FAULT_WRONG_CONTENT_TYPE, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (header (msg, "Content-Type"), "text/html"));
  directory = parse_object (body);
  assert_directory_names (directory, origin);
  assert_recovers (proxy);
}

static void
test_fault_hang (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = client_new (1);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  gint64 start;

  gcert_test_proxy_add_fault (proxy, "GET", "/dir", GCERT_TEST_FAULT_HANG, 1);
  msg = soup_message_new ("GET", gcert_test_proxy_get_directory_url (proxy));
  start = g_get_monotonic_time ();
  body = client_send (session, msg, &error);
  g_assert_null (body);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 0);
  assert_recovers (proxy);
}

/* a client still waiting when the proxy goes gets an error, not a hang */
static void
test_fault_hang_until_free (void)
{
  GCertTestProxy *proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = client_new (30);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  gint64 start;

  gcert_test_proxy_add_fault (proxy, NULL, NULL, GCERT_TEST_FAULT_HANG, 1);
  msg = soup_message_new ("GET", gcert_test_proxy_get_directory_url (proxy));
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL,
                                    async_result_cb, &result);
  while (gcert_test_proxy_get_request_count (proxy) == 0)
    g_main_context_iteration (NULL, TRUE);
  start = g_get_monotonic_time ();
  gcert_test_proxy_free (proxy);
  body = soup_session_send_and_read_finish (session, wait_for_result (&result), &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_fault_lose_answer (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  body = faulty_get (proxy, GCERT_TEST_FAULT_LOSE_ANSWER, &msg, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_NONE);
  /* Pebble did get it */
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 1);
  assert_recovers (proxy);
}

static int
import_chain (GBytes            *body,
              gnutls_x509_crt_t **out_certs,
              unsigned int       *out_count)
{
  gnutls_datum_t data;

  data.data = (unsigned char *) g_bytes_get_data (body, NULL);
  data.size = g_bytes_get_size (body);
  return gnutls_x509_crt_list_import2 (out_certs, out_count, &data,
                                       GNUTLS_X509_FMT_PEM, 0);
}

static void
test_fault_chain_garbage (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  gnutls_x509_crt_t *certs = NULL;
  unsigned int count = 0;

  gcert_test_proxy_add_fault (proxy, NULL, "/dir", GCERT_TEST_FAULT_CHAIN_GARBAGE, 1);
  body = client_get ("GET", gcert_test_proxy_get_directory_url (proxy), &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (header (msg, "Content-Type"), ==, "application/pem-certificate-chain");
  g_assert_cmpint (import_chain (body, &certs, &count), <, 0);
  g_assert_cmpuint (count, ==, 0);
  assert_recovers (proxy);
}

static void
test_fault_chain_other (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  gnutls_x509_crt_t *certs = NULL;
  unsigned int count = 0;

  gcert_test_proxy_add_fault (proxy, NULL, "/dir", GCERT_TEST_FAULT_CHAIN_OTHER, 1);
  body = client_get ("GET", gcert_test_proxy_get_directory_url (proxy), &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (header (msg, "Content-Type"), ==, "application/pem-certificate-chain");
  g_assert_cmpint (import_chain (body, &certs, &count), ==, GNUTLS_E_SUCCESS);
  g_assert_cmpuint (count, >=, 2);
  g_assert_true (gnutls_x509_crt_check_hostname (certs[0], "other.example.test"));
  g_assert_false (gnutls_x509_crt_check_hostname (certs[0], "example.test"));
  for (unsigned int i = 0; i < count; i++)
    gnutls_x509_crt_deinit (certs[i]);
  gnutls_free (certs);
  assert_recovers (proxy);
}

static void
test_fault_cross_origin (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(SoupMessage) nonce_msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) nonce_body = NULL;
  g_autoptr(JsonObject) directory = NULL;
  g_autofree char *other = g_strconcat (gcert_test_proxy_get_other_origin (proxy), "/", NULL);
  g_autofree char *own = origin_of (gcert_test_proxy_get_directory_url (proxy));

  g_assert_cmpstr (other, !=, own);
  body = faulty_get (proxy, GCERT_TEST_FAULT_CROSS_ORIGIN, &msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  directory = parse_object (body);
  assert_directory_names (directory, other);

  /* the other origin is real: a client that follows it gets answers */
  g_assert_cmpuint (gcert_test_proxy_get_other_origin_count (proxy), ==, 0);
  nonce_body = client_get ("HEAD", json_object_get_string_member (directory, "newNonce"),
                           &nonce_msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (nonce_msg), ==, SOUP_STATUS_OK);
  g_assert_nonnull (header (nonce_msg, "Replay-Nonce"));
  g_assert_cmpuint (gcert_test_proxy_get_other_origin_count (proxy), ==, 1);
  assert_recovers (proxy);
}

static void
test_proxy_rules (void)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  g_autoptr(JsonObject) directory = NULL;
  const char *dir_url = gcert_test_proxy_get_directory_url (proxy);
  const char *nonce_url;
  guint expected[] = { 503, 200, 500, 500, 200 };

  directory = proxy_directory (proxy);
  nonce_url = json_object_get_string_member (directory, "newNonce");
  gcert_test_proxy_add_fault (proxy, "HEAD", "/nonce-plz", GCERT_TEST_FAULT_500, 2);
  gcert_test_proxy_add_fault (proxy, NULL, NULL, GCERT_TEST_FAULT_503_RETRY_SECONDS, 1);
  /* rules with a count of 0 never match */
  gcert_test_proxy_add_fault (proxy, NULL, NULL, GCERT_TEST_FAULT_HANG, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) body = NULL;

      body = client_get (i < 2 ? "GET" : "HEAD", i < 2 ? dir_url : nonce_url, &msg, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (msg), ==, expected[i]);
    }
  g_assert_cmpuint (gcert_test_proxy_get_request_count (proxy), ==, 6);
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (proxy), ==, 3);
  g_assert_cmpuint (gcert_test_proxy_get_forward_count (proxy), ==, 3);
}

/* status of each of @n GETs, 0 for a transport error */
static GArray *
random_outcomes (guint32 seed,
                 double  rate,
                 guint   n,
                 guint  *out_faults)
{
  g_autoptr(GCertTestProxy) proxy = proxy_new ();
  GArray *outcomes = g_array_new (FALSE, TRUE, sizeof (guint));

  gcert_test_proxy_set_random_faults (proxy, rate, seed);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) body = NULL;
      guint status;

      body = client_get ("GET", gcert_test_proxy_get_directory_url (proxy), &msg, &error);
      status = body != NULL ? soup_message_get_status (msg) : 0;
      g_array_append_val (outcomes, status);
    }
  g_assert_cmpuint (gcert_test_proxy_get_request_count (proxy), ==, n);
  *out_faults = gcert_test_proxy_get_fault_count (proxy);
  return outcomes;
}

static void
test_proxy_random (void)
{
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) second = NULL;
  g_autoptr(GArray) none = NULL;
  g_autoptr(GArray) all = NULL;
  guint faults_first, faults_second, faults_none, faults_all;
  guint failed = 0;

  first = random_outcomes (7, 0.5, 30, &faults_first);
  second = random_outcomes (7, 0.5, 30, &faults_second);
  g_assert_cmpuint (faults_first, ==, faults_second);
  g_assert_cmpmem (first->data, first->len * sizeof (guint),
                   second->data, second->len * sizeof (guint));
  g_assert_cmpuint (faults_first, >, 3);
  g_assert_cmpuint (faults_first, <, 27);
  for (guint i = 0; i < first->len; i++)
    {
      if (g_array_index (first, guint, i) != SOUP_STATUS_OK)
        failed++;
    }
  g_assert_cmpuint (failed, ==, faults_first);

  none = random_outcomes (7, 0.0, 5, &faults_none);
  g_assert_cmpuint (faults_none, ==, 0);
  all = random_outcomes (7, 1.0, 5, &faults_all);
  g_assert_cmpuint (faults_all, ==, 5);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/pebble/missing-programs", test_pebble_missing_programs);
  g_test_add_func ("/gcert/pebble/free-port", test_free_port);
  g_test_add_func ("/gcert/pebble/directory", test_pebble_directory);
  g_test_add_func ("/gcert/pebble/config", test_pebble_config);
  g_test_add_func ("/gcert/pebble/txt", test_pebble_txt);
  g_test_add_func ("/gcert/pebble/txt-bad-host", test_pebble_txt_bad_host);
  g_test_add_func ("/gcert/proxy/directory", test_proxy_directory);
  g_test_add_func ("/gcert/proxy/new-account", test_proxy_new_account);
  g_test_add_func ("/gcert/proxy/rules", test_proxy_rules);
  g_test_add_func ("/gcert/proxy/random", test_proxy_random);
  g_test_add_func ("/gcert/proxy/fault/503-retry-seconds", test_fault_503_retry_seconds);
  g_test_add_func ("/gcert/proxy/fault/429-retry-date", test_fault_429_retry_date);
  g_test_add_func ("/gcert/proxy/fault/503-retry-garbage", test_fault_503_retry_garbage);
  g_test_add_func ("/gcert/proxy/fault/500", test_fault_500);
  g_test_add_func ("/gcert/proxy/fault/reset", test_fault_reset);
  g_test_add_func ("/gcert/proxy/fault/truncate", test_fault_truncate);
  g_test_add_func ("/gcert/proxy/fault/invalid-json", test_fault_invalid_json);
  g_test_add_func ("/gcert/proxy/fault/wrong-types", test_fault_wrong_types);
  g_test_add_func ("/gcert/proxy/fault/huge-body", test_fault_huge_body);
  g_test_add_func ("/gcert/proxy/fault/wrong-content-type", test_fault_wrong_content_type);
  g_test_add_func ("/gcert/proxy/fault/hang", test_fault_hang);
  g_test_add_func ("/gcert/proxy/fault/hang-until-free", test_fault_hang_until_free);
  g_test_add_func ("/gcert/proxy/fault/lose-answer", test_fault_lose_answer);
  g_test_add_func ("/gcert/proxy/fault/chain-garbage", test_fault_chain_garbage);
  g_test_add_func ("/gcert/proxy/fault/chain-other", test_fault_chain_other);
  g_test_add_func ("/gcert/proxy/fault/cross-origin", test_fault_cross_origin);

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  return status;
}
