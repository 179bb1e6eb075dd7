/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The powerdns DNS provider against a real PowerDNS Authoritative server,
 * and gcertctl issuing through it with Pebble validating against it. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert.h"
#include "gcert-test-pdns.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* one server for the whole program: every test uses names of its own */
static GCertTestPdns *pdns;

static const char * const zones[] = {
  "example.test", "sub.example.test", "walk.test", "e2e.test", NULL
};
static const char * const records[] = {
  "alias.example.test. 60 IN CNAME target.example.test.",
  "www.walk.test. 60 IN A 127.0.0.1",
  NULL
};

typedef struct {
  char *dir;
  char *config_path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = gcert_test_mkdtemp ("gcert-powerdns-test");
  f->config_path = g_build_filename (f->dir, "gcert.conf", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  gcert_test_pdns_check_alive (pdns, &error);
  g_assert_no_error (error);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
}

/* "[dns test]" for the fixture's server, then @extra lines */
static char *
provider_config (const char *extra)
{
  return g_strdup_printf ("[dns test]\n"
                          "plugin = powerdns\n"
                          "api-url = %s\n"
                          "api-key-file = %s\n"
                          "%s",
                          pdns->api_url, pdns->api_key_file, extra != NULL ? extra : "");
}

static GCertDnsProvider *
load_provider (Fixture    *f,
               const char *extra)
{
  g_autofree char *text = provider_config (extra);

  return gcert_test_load_dns_provider_ok (f->config_path, text, "test");
}

/* @code -1: any GCERT_ERROR code (a secret file's own checks choose theirs) */
static void
assert_bad_setup (Fixture    *f,
                  const char *text,
                  int         code,
                  guint       line,
                  const char *key,
                  const char *detail)
{
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (f->config_path, text, "dns test", code, line, key, detail);
  gcert_test_assert_no_secret (error->message, pdns->api_key);
}

static void
assert_bad_config (Fixture    *f,
                   const char *text,
                   guint       line,
                   const char *key,
                   const char *detail)
{
  assert_bad_setup (f, text, GCERT_ERROR_CONFIG, line, key, detail);
}

/* The values served at @fqdn, sorted, joined with "|". */
static char *
served (const char *fqdn)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = gcert_test_pdns_query_txt (pdns, fqdn, &error);

  g_assert_no_error (error);
  g_assert_nonnull (values);
  gcert_test_sort_strv (values);
  return g_strjoinv ("|", values);
}

static void
assert_served (const char *fqdn,
               const char *expected)
{
  g_autofree char *values = served (fqdn);

  g_assert_cmpstr (values, ==, expected);
}

/* the zone's JSON as the API returns it */
static char *
zone_json (const char *zone)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("/zones/%s.", zone);
  g_autoptr(GBytes) body = gcert_test_pdns_api (pdns, "GET", path, NULL, NULL, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* Replaces the TXT RRset at @fqdn (in example.test) through the API, with
 * @ttl and a comment, as another client of the API would. */
static void
set_commented (const char         *fqdn,
               gint64              ttl,
               const char * const *values,
               const char         *comment)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rrsets");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, fqdn);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "TXT");
  json_builder_set_member_name (builder, "changetype");
  json_builder_add_string_value (builder, "REPLACE");
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, ttl);
  json_builder_set_member_name (builder, "records");
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    {
      GString *content = g_string_new ("\"");

      for (const char *p = values[i]; *p != '\0'; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (content, '\\');
          g_string_append_c (content, *p);
        }
      g_string_append_c (content, '"');
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, content->str);
      json_builder_set_member_name (builder, "disabled");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_end_object (builder);
      g_string_free (content, TRUE);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "comments");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, comment);
  json_builder_set_member_name (builder, "account");
  json_builder_add_string_value (builder, "other");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  body = gcert_test_pdns_api (pdns, "PATCH", "/zones/example.test.", json, NULL, &error);
  g_assert_no_error (error);
}

/* --- records -------------------------------------------------------------- */

static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  const char *fqdn = "_acme-challenge.conc.example.test.";

  /* the apex and the wildcard challenge of one name, at once */
  gcert_dns_provider_create_record_async (provider, fqdn, "apex-value", NULL,
                                          gcert_test_result_cb, &first);
  gcert_dns_provider_create_record_async (provider, fqdn, "wildcard-value", NULL,
                                          gcert_test_result_cb, &second);
  g_assert_true (gcert_dns_provider_create_record_finish (provider, gcert_test_wait_for (&first),
                                                          &error));
  g_assert_no_error (error);
  g_assert_true (gcert_dns_provider_create_record_finish (provider, gcert_test_wait_for (&second),
                                                          &error));
  g_assert_no_error (error);
  assert_served (fqdn, "apex-value|wildcard-value");

  g_clear_object (&first);
  g_clear_object (&second);
  gcert_dns_provider_remove_record_async (provider, fqdn, "wildcard-value", NULL,
                                          gcert_test_result_cb, &first);
  gcert_dns_provider_remove_record_async (provider, fqdn, "apex-value", NULL,
                                          gcert_test_result_cb, &second);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, gcert_test_wait_for (&first),
                                                          &error));
  g_assert_no_error (error);
  g_assert_true (gcert_dns_provider_remove_record_finish (provider, gcert_test_wait_for (&second),
                                                          &error));
  g_assert_no_error (error);
  assert_served (fqdn, "");
}

/* more at once, so that a lost update cannot hide behind lucky timing */
static void
test_concurrent_many (Fixture       *f,
                      gconstpointer  data)
{
  static const char * const values[] = { "v1", "v2", "v3", "v4", "v5", NULL };
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  GAsyncResult *results[G_N_ELEMENTS (values)] = { NULL };
  const char *fqdn = "_acme-challenge.many.example.test.";

  for (guint round = 0; round < 2; round++)
    {
      for (guint i = 0; values[i] != NULL; i++)
        {
          if (round == 0)
            gcert_dns_provider_create_record_async (provider, fqdn, values[i], NULL,
                                                    gcert_test_result_cb, &results[i]);
          else
            gcert_dns_provider_remove_record_async (provider, fqdn, values[i], NULL,
                                                    gcert_test_result_cb, &results[i]);
        }
      for (guint i = 0; values[i] != NULL; i++)
        {
          g_autoptr(GError) error = NULL;
          GAsyncResult *result = gcert_test_wait_for (&results[i]);

          if (round == 0)
            gcert_dns_provider_create_record_finish (provider, result, &error);
          else
            gcert_dns_provider_remove_record_finish (provider, result, &error);
          g_assert_no_error (error);
          g_clear_object (&results[i]);
        }
      assert_served (fqdn, round == 0 ? "v1|v2|v3|v4|v5" : "");
    }
}

static void
test_others_kept (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  g_autoptr(GError) error = NULL;
  const char *fqdn = "_acme-challenge.keep.example.test.";
  const char * const others[] = { "someone else's", "with \"quotes\" and \\", NULL };
  g_autofree char *json = NULL;

  /* written by another client first */
  gcert_test_pdns_set_txt (pdns, fqdn, others, &error);
  g_assert_no_error (error);
  assert_served (fqdn, "someone else's|with \"quotes\" and \\");

  /* with a comment and a TTL of its own */
  set_commented (fqdn, 77, others, "kept by the other client");

  g_assert_true (gcert_test_create_record (provider, fqdn, "mine", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "mine|someone else's|with \"quotes\" and \\");
  /* the RRset kept the TTL and comment the other client gave it */
  json = zone_json ("example.test");
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"ttl\": 77"));
  g_assert_nonnull (strstr (json, "kept by the other client"));

  g_assert_true (gcert_test_remove_record (provider, fqdn, "mine", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "someone else's|with \"quotes\" and \\");

  /* removing it again changes nothing */
  g_assert_true (gcert_test_remove_record (provider, fqdn, "mine", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "someone else's|with \"quotes\" and \\");

  gcert_test_pdns_set_txt (pdns, fqdn, NULL, &error);
  g_assert_no_error (error);
}

static void
test_idempotent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, "ttl = 30s\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const char *fqdn = "_acme-challenge.idem.example.test.";

  /* nothing there at all */
  g_assert_true (gcert_test_remove_record (provider, fqdn, "never-added", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "");

  /* the same value twice is one record, with the configured TTL */
  g_assert_true (gcert_test_create_record (provider, fqdn, "once", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_create_record (provider, "_ACME-Challenge.Idem.Example.Test", "once",
                                           NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "once");
  json = zone_json ("example.test");
  g_assert_nonnull (strstr (json, "\"ttl\": 30"));

  /* another value's removal leaves it */
  g_assert_true (gcert_test_remove_record (provider, fqdn, "other", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "once");

  g_assert_true (gcert_test_remove_record (provider, fqdn, "once", NULL, &error));
  g_assert_no_error (error);
  assert_served (fqdn, "");
  g_assert_true (gcert_test_remove_record (provider, fqdn, "once", NULL, &error));
  g_assert_no_error (error);
}

static void
test_walk_up (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *walk = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *parent = NULL;

  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.deep.host.walk.test.",
                                           "walked", NULL, &error));
  g_assert_no_error (error);
  assert_served ("_acme-challenge.deep.host.walk.test.", "walked");
  walk = zone_json ("walk.test");
  g_assert_nonnull (strstr (walk, "_acme-challenge.deep.host.walk.test."));

  /* the most specific zone wins */
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.sub.example.test.", "in-sub",
                                           NULL, &error));
  g_assert_no_error (error);
  assert_served ("_acme-challenge.sub.example.test.", "in-sub");
  sub = zone_json ("sub.example.test");
  g_assert_nonnull (strstr (sub, "_acme-challenge.sub.example.test."));
  parent = zone_json ("example.test");
  g_assert_null (strstr (parent, "_acme-challenge.sub.example.test."));

  g_assert_true (gcert_test_remove_record (provider, "_acme-challenge.deep.host.walk.test.",
                                           "walked", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_remove_record (provider, "_acme-challenge.sub.example.test.", "in-sub",
                                           NULL, &error));
  g_assert_no_error (error);
  assert_served ("_acme-challenge.deep.host.walk.test.", "");
  assert_served ("_acme-challenge.sub.example.test.", "");
}

static void
test_zone_key (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = load_provider (f, "zone = Walk.Test.\nserver-id = localhost\ntimeout = 10s\n");
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.z.walk.test.", "zoned", NULL,
                                           &error));
  g_assert_no_error (error);
  assert_served ("_acme-challenge.z.walk.test.", "zoned");
  g_assert_true (gcert_test_remove_record (provider, "_acme-challenge.z.walk.test.", "zoned", NULL,
                                           &error));
  g_assert_no_error (error);
  assert_served ("_acme-challenge.z.walk.test.", "");

  /* a name outside the zone is refused before anything is sent */
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "walk.test."));
  g_assert_nonnull (strstr (error->message, "_acme-challenge.example.test."));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.cancel.example.test.", "v",
                                            cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_served ("_acme-challenge.cancel.example.test.", "");
}

/* --- errors --------------------------------------------------------------- */

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *key_file = g_build_filename (f->dir, "wrong.key", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  const char *wrong = "wrong-key-0123456789abcdef";

  gcert_test_write_file (key_file, wrong, 0600);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s/\napi-key-file = %s\n",
                          pdns->api_url, key_file);
  provider = gcert_test_load_dns_provider (f->config_path, text, "test", &error);
  g_assert_no_error (error);

  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.key.example.test.", "v",
                                            NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, key_file));
  g_assert_nonnull (strstr (error->message, "_acme-challenge.key.example.test."));
  g_assert_nonnull (strstr (error->message, pdns->api_url));
  gcert_test_assert_no_secret (error->message, wrong);
  gcert_test_assert_no_secret (error->message, pdns->api_key);
  g_clear_error (&error);

  g_assert_false (gcert_test_remove_record (provider, "_acme-challenge.key.example.test.", "v",
                                            NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  gcert_test_assert_no_secret (error->message, wrong);
}

static void
test_unknown_zone (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) walking = load_provider (f, NULL);
  g_autoptr(GCertDnsProvider) zoned = load_provider (f, "zone = nosuch.test\n");
  g_autoptr(GError) error = NULL;

  g_assert_false (gcert_test_create_record (walking, "_acme-challenge.host.nowhere.test.", "v",
                                            NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "_acme-challenge.host.nowhere.test."));
  g_assert_nonnull (strstr (error->message, pdns->api_url));
  g_clear_error (&error);

  g_assert_false (gcert_test_create_record (zoned, "_acme-challenge.nosuch.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "zone “nosuch.test.”"));
  g_assert_nonnull (strstr (error->message, "404"));
  g_clear_error (&error);

  /* an unknown server id is not mistaken for a missing zone */
  g_clear_object (&zoned);
  zoned = load_provider (f, "server-id = elsewhere\n");
  g_assert_false (gcert_test_create_record (zoned, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "server “elsewhere”"));
}

static void
test_server_error_text (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GCertDnsProvider) provider = load_provider (f, NULL);
  g_autoptr(GError) error = NULL;

  /* a TXT beside a CNAME: PowerDNS refuses it with 422 and says why */
  g_assert_false (gcert_test_create_record (provider, "alias.example.test.", "v", NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "HTTP 422"));
  g_assert_nonnull (strstr (error->message, "alias.example.test."));
  g_assert_nonnull (strstr (error->message, "Conflicts"));
}

static void
test_not_listening (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u",
                                          gcert_test_find_free_port (FALSE));
  g_autofree char *text = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\napi-key-file = %s\n",
                          url, pdns->api_key_file);
  provider = gcert_test_load_dns_provider (f->config_path, text, "test", &error);
  g_assert_no_error (error);

  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_nonnull (strstr (error->message, "_acme-challenge.example.test."));
  gcert_test_assert_no_secret (error->message, pdns->api_key);
}

/* A stand-in for the API that fails in the ways PowerDNS itself will not. */
typedef struct {
  guint requests;
  guint status;
  char *location;
  gboolean leaked;    /* a request reached the redirect's target */
} FakeApi;

static void
fake_api_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  FakeApi *fake = user_data;
  const char *body = "{\"error\": \"backend exploded\"}";

  if (g_str_has_prefix (path, "/elsewhere"))
    {
      fake->leaked = TRUE;
      soup_server_message_set_status (msg, 200, NULL);
      return;
    }
  fake->requests++;
  if (fake->status == 0)
    {
      /* accepts and never answers */
      soup_server_message_pause (msg);
      return;
    }
  if (fake->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                  fake->location);
  soup_server_message_set_status (msg, fake->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static void
test_fake_failures (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GSocket) listener = NULL;
  FakeApi fake = { 0, 500, NULL, FALSE };
  gint64 started, elapsed;
  guint16 port;

  soup_server_add_handler (server, NULL, fake_api_cb, &fake, NULL);
  listener = gcert_test_listen_loopback (G_SOCKET_TYPE_STREAM, 0, &port);
  soup_server_listen_socket (server, listener, 0, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);

  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\napi-key-file = %s\n"
                          "zone = example.test\n",
                          url, pdns->api_key_file);
  provider = gcert_test_load_dns_provider (f->config_path, text, "test", &error);
  g_assert_no_error (error);

  /* 5xx: tried a few times, then a network error with the server's words */
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "HTTP 500"));
  g_assert_nonnull (strstr (error->message, "backend exploded"));
  g_assert_cmpuint (fake.requests, ==, 3);
  g_clear_error (&error);

  /* a redirect is not followed: the key would go along */
  fake.requests = 0;
  fake.status = 302;
  fake.location = g_strconcat (url, "/elsewhere", NULL);
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "HTTP 302"));
  g_assert_cmpuint (fake.requests, ==, 1);
  g_assert_false (fake.leaked);
  g_clear_pointer (&fake.location, g_free);
  g_clear_error (&error);

  /* no answer: the operation ends at its timeout */
  fake.requests = 0;
  fake.status = 0;
  g_clear_object (&provider);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\napi-key-file = %s\n"
                          "zone = example.test\ntimeout = 1s\n",
                          url, pdns->api_key_file);
  provider = gcert_test_load_dns_provider (f->config_path, text, "test", &error);
  g_assert_no_error (error);
  started = g_get_monotonic_time ();
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v", NULL,
                                            &error));
  elapsed = g_get_monotonic_time () - started;
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* cancelled while waiting for the answer */
  cancellable = g_cancellable_new ();
  gcert_test_cancel_after (cancellable, 200);
  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.example.test.", "v",
                                            cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_object (&provider);
  soup_server_disconnect (server);
}

static void
test_bad_config (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *open_key = g_build_filename (f->dir, "open.key", NULL);
  g_autofree char *empty_key = g_build_filename (f->dir, "empty.key", NULL);
  g_autofree char *text = NULL;

  gcert_test_write_file (open_key, pdns->api_key, 0644);
  gcert_test_write_file (empty_key, "\n", 0600);

  /* missing keys are reported at the group */
  assert_bad_config (f, "\n[dns test]\nplugin = powerdns\n", 2, "api-url", NULL);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\n", pdns->api_url);
  assert_bad_config (f, text, 1, "api-key-file", NULL);
  g_clear_pointer (&text, g_free);

  /* a key file others may read */
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\napi-key-file = %s\n",
                          pdns->api_url, open_key);
  assert_bad_setup (f, text, GCERT_ERROR_PERMISSION_DENIED, 4, "api-key-file", "chmod 600");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\napi-key-file = %s\n",
                          pdns->api_url, empty_key);
  assert_bad_setup (f, text, -1, 4, "api-key-file", "empty");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s\n"
                          "api-key-file = %s/missing.key\n",
                          pdns->api_url, f->dir);
  assert_bad_setup (f, text, -1, 4, "api-key-file", "missing.key");
  g_clear_pointer (&text, g_free);

  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = ftp://127.0.0.1/\n"
                          "api-key-file = %s\n", pdns->api_key_file);
  assert_bad_config (f, text, 3, "api-url", "ftp://");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[dns test]\nplugin = powerdns\napi-url = %s/api/v1\n"
                          "api-key-file = %s\n", pdns->api_url, pdns->api_key_file);
  assert_bad_config (f, text, 3, "api-url", "/api/v1");
  g_clear_pointer (&text, g_free);

  text = provider_config ("colour = red\n");
  assert_bad_config (f, text, 5, "colour", NULL);
  g_clear_pointer (&text, g_free);
  text = provider_config ("ttl = 0\n");
  assert_bad_config (f, text, 5, "ttl", NULL);
  g_clear_pointer (&text, g_free);
  text = provider_config ("ttl = 2d\n");
  assert_bad_config (f, text, 5, "ttl", "86400");
  g_clear_pointer (&text, g_free);
  text = provider_config ("ttl = soon\n");
  assert_bad_config (f, text, 5, "ttl", "soon");
  g_clear_pointer (&text, g_free);
  text = provider_config ("timeout = 0\n");
  assert_bad_config (f, text, 5, "timeout", NULL);
  g_clear_pointer (&text, g_free);
  text = provider_config ("timeout = eventually\n");
  assert_bad_config (f, text, 5, "timeout", NULL);
  g_clear_pointer (&text, g_free);
  text = provider_config ("zone = not a zone\n");
  assert_bad_config (f, text, 5, "zone", "not a zone");
  g_clear_pointer (&text, g_free);
  text = provider_config ("server-id = ../x\n");
  assert_bad_config (f, text, 5, "server-id", NULL);
  g_clear_pointer (&text, g_free);
  text = provider_config ("ca-certificates = /nonexistent/ca.pem\n");
  assert_bad_config (f, text, 5, "ca-certificates", "/nonexistent/ca.pem");
  g_clear_pointer (&text, g_free);
}

static void
test_good_config (Fixture       *f,
                  gconstpointer  data)
{
  static const char * const names[] = { "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *text = NULL;

  g_assert_true (gcert_test_make_tls_pair (f->dir, names, &ca, &cert, &key, &error));
  g_assert_no_error (error);
  extra = g_strdup_printf ("server-id = localhost\nzone = example.test\nttl = 2m\n"
                           "timeout = 1m\nca-certificates = %s\n", ca);
  text = provider_config (extra);
  provider = gcert_test_load_dns_provider (f->config_path, text, "test", &error);
  g_assert_no_error (error);
  g_assert_true (GCERT_IS_DNS_PROVIDER (provider));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertPowerdnsProvider");
}

/* --- the fixture itself ---------------------------------------------------- */

/* nsupdate with a key file (unsigned when @key_name is NULL); TRUE when it
 * succeeded */
static gboolean
run_nsupdate (Fixture    *f,
              const char *key_name,
              const char *secret,
              const char *zone,
              const char *update)
{
  g_autofree char *key_path = g_build_filename (f->dir, "tsig.key", NULL);
  g_autofree char *key_text = NULL;
  g_autofree char *script = NULL;
  g_autofree char *host = g_strdup (pdns->server);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "nsupdate", key_name != NULL ? "-k" : NULL, key_path, NULL };
  char *colon = strrchr (host, ':');
  int wait_status = 0;

  g_assert_nonnull (colon);
  *colon = '\0';
  if (key_name != NULL)
    {
      key_text = g_strdup_printf ("key \"%s\" {\n  algorithm hmac-sha256;\n"
                                  "  secret \"%s\";\n};\n", key_name, secret);
      gcert_test_write_file (key_path, key_text, 0600);
    }
  script = g_strdup_printf ("server %s %s\nzone %s\nupdate %s\nsend\n", host, colon + 1, zone,
                            update);

  {
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GBytes) input = g_bytes_new (script, strlen (script));
    g_autoptr(GBytes) out_bytes = NULL;
    g_autoptr(GBytes) err_bytes = NULL;

    process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                       G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
    g_assert_no_error (error);
    g_subprocess_communicate (process, input, NULL, &out_bytes, &err_bytes, &error);
    g_assert_no_error (error);
    wait_status = g_subprocess_get_status (process);
    if (err_bytes != NULL)
      err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  }
  g_test_message ("nsupdate (%s): status %d: %s", update, wait_status, err != NULL ? err : "");
  return g_spawn_check_wait_status (wait_status, NULL);
}

static void
test_fixture_allow_update (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw==";
  const char *other = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMQ==";

  /* the same key for two zones: the second time it exists already */
  g_assert_true (gcert_test_pdns_allow_update (pdns, "walk.test", "gcert-test-key.",
                                               "hmac-sha256", secret, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_pdns_allow_update (pdns, "sub.example.test", "gcert-test-key",
                                               "hmac-sha256", secret, &error));
  g_assert_no_error (error);

  g_assert_true (run_nsupdate (f, "gcert-test-key", secret, "walk.test.",
                               "add nsu.walk.test. 60 TXT \"via-update\""));
  assert_served ("nsu.walk.test.", "via-update");
  g_assert_true (run_nsupdate (f, "gcert-test-key", secret, "sub.example.test.",
                               "add nsu.sub.example.test. 60 TXT \"sub-update\""));
  assert_served ("nsu.sub.example.test.", "sub-update");

  /* a wrong secret, or a zone the key is not allowed for, changes nothing */
  g_assert_false (run_nsupdate (f, "gcert-test-key", other, "walk.test.",
                                "add bad.walk.test. 60 TXT \"bad\""));
  assert_served ("bad.walk.test.", "");
  g_assert_false (run_nsupdate (f, "gcert-test-key", secret, "example.test.",
                                "add bad.example.test. 60 TXT \"bad\""));
  assert_served ("bad.example.test.", "");

  /* nor does an unsigned one */
  g_assert_false (run_nsupdate (f, NULL, NULL, "walk.test.",
                                "add bad.walk.test. 60 TXT \"bad\""));
  assert_served ("bad.walk.test.", "");
  g_assert_false (run_nsupdate (f, NULL, NULL, "e2e.test.",
                                "add bad.e2e.test. 60 TXT \"bad\""));
  assert_served ("bad.e2e.test.", "");

  g_assert_true (run_nsupdate (f, "gcert-test-key", secret, "walk.test.",
                               "delete nsu.walk.test. TXT"));
  assert_served ("nsu.walk.test.", "");
  g_assert_true (run_nsupdate (f, "gcert-test-key", secret, "sub.example.test.",
                               "delete nsu.sub.example.test. TXT"));
}

/* --- gcertctl ------------------------------------------------------------- */

typedef struct {
  char            *dir;
  char            *state;
  char            *config;
  GCertTestPebble *pebble;
  char            *root;
} E2E;

static void
e2e_setup (E2E           *e,
           gconstpointer  data)
{
  e->dir = gcert_test_mkdtemp ("gcert-powerdns-e2e");
  e->state = g_build_filename (e->dir, "state", NULL);
  e->config = g_build_filename (e->dir, "gcert.conf", NULL);
  /* Pebble's validator asks PowerDNS, and so does gcert's propagation check */
  e->pebble = gcert_test_start_pebble (pdns->server, &e->root);
}

static void
e2e_teardown (E2E           *e,
              gconstpointer  data)
{
  g_clear_pointer (&e->pebble, gcert_test_pebble_stop);
  gcert_test_rm_rf (e->dir);
  g_free (e->dir);
  g_free (e->state);
  g_free (e->config);
  g_free (e->root);
}

static void
e2e_write_config (E2E        *e,
                  const char *key_file)
{
  g_autofree char *extra = NULL;
  g_autofree char *text = NULL;

  extra = g_strdup_printf ("[dns pdns]\n"
                           "plugin = powerdns\n"
                           "api-url = %s\n"
                           "api-key-file = %s\n"
                           "timeout = 10s\n",
                           pdns->api_url, key_file);
  text = gcert_test_pebble_config (e->pebble, e->state, extra);
  gcert_test_write_file (e->config, text, 0600);
}

/* No file under @dir holds @secret. */
static void
assert_tree_lacks (const char *dir,
                   const char *secret)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          assert_tree_lacks (path, secret);
        }
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *text = NULL;
          gsize length = 0;

          if (g_file_get_contents (path, &text, &length, NULL))
            g_assert_null (g_strstr_len (text, length, secret));
        }
    }
}

static void
test_gcertctl_wildcard (E2E           *e,
                        gconstpointer  data)
{
  static const char * const names[] = { "e2e.test", "*.e2e.test", NULL };
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) chain = NULL;

  e2e_write_config (e, pdns->api_key_file);
  run = gcert_test_run_ctl (e->config, "issue", "-d", "e2e.test", "-d", "*.e2e.test", "--dns",
                            "pdns", "--name", "web");
  g_assert_cmpint (run->status, ==, 0);
  gcert_test_assert_no_secret (run->out, pdns->api_key);
  gcert_test_assert_no_secret (run->err, pdns->api_key);

  chain = gcert_test_check_live (e->state, "web", names, e->root);
  g_assert_nonnull (chain);

  /* both challenge values are gone again */
  assert_served ("_acme-challenge.e2e.test.", "");
  assert_tree_lacks (e->state, pdns->api_key);
}

static void
test_gcertctl_wrong_key (E2E           *e,
                         gconstpointer  data)
{
  g_autofree char *key_file = g_build_filename (e->dir, "wrong.key", NULL);
  g_autofree char *live = g_build_filename (e->state, "live", "fail", NULL);
  const char *wrong = "wrong-key-fedcba9876543210";
  const char *variants[][3] = {
    { NULL, NULL, NULL },
    { "--json", NULL, NULL },
    { "-v", NULL, NULL },
    { "-v", "--json", NULL },
  };

  gcert_test_write_file (key_file, wrong, 0600);
  e2e_write_config (e, key_file);

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autoptr(GCertTestRun) run = NULL;

      for (guint j = 0; variants[i][j] != NULL; j++)
        g_ptr_array_add (args, (char *) variants[i][j]);
      g_ptr_array_add (args, (char *) "issue");
      g_ptr_array_add (args, (char *) "-d");
      g_ptr_array_add (args, (char *) "fail.e2e.test");
      g_ptr_array_add (args, (char *) "-d");
      g_ptr_array_add (args, (char *) "*.fail.e2e.test");
      g_ptr_array_add (args, (char *) "--dns");
      g_ptr_array_add (args, (char *) "pdns");
      g_ptr_array_add (args, (char *) "--name");
      g_ptr_array_add (args, (char *) "fail");
      g_ptr_array_add (args, NULL);
      run = gcert_test_run_gcertctl (e->config, (const char * const *) args->pdata);

      g_assert_cmpint (run->status, !=, 0);
      g_assert_true (strstr (run->out, key_file) != NULL || strstr (run->err, key_file) != NULL);
      gcert_test_assert_no_secret (run->out, wrong);
      gcert_test_assert_no_secret (run->err, wrong);
      gcert_test_assert_no_secret (run->out, pdns->api_key);
      gcert_test_assert_no_secret (run->err, pdns->api_key);
      g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
      assert_served ("_acme-challenge.fail.e2e.test.", "");
    }
  assert_tree_lacks (e->state, wrong);
}

int
main (int    argc,
      char **argv)
{
  static const char * const proxy_variables[] = {
    "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", NULL
  };
  g_autoptr(GError) error = NULL;
  int status;

  /* every server is on loopback: a proxy of the machine's must not get in
   * the way of the plugin (which uses one when the environment sets it) */
  for (guint i = 0; proxy_variables[i] != NULL; i++)
    g_unsetenv (proxy_variables[i]);
  g_test_init (&argc, &argv, NULL);

  pdns = gcert_test_pdns_start (zones, records, &error);
  g_assert_no_error (error);

#define ADD(path, func) \
  g_test_add ("/gcert/powerdns/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("records/concurrent", test_concurrent);
  ADD ("records/concurrent-many", test_concurrent_many);
  ADD ("records/others-kept", test_others_kept);
  ADD ("records/idempotent", test_idempotent);
  ADD ("records/walk-up", test_walk_up);
  ADD ("records/zone-key", test_zone_key);
  ADD ("records/cancel", test_cancel);
  ADD ("errors/wrong-key", test_wrong_key);
  ADD ("errors/unknown-zone", test_unknown_zone);
  ADD ("errors/server-error-text", test_server_error_text);
  ADD ("errors/not-listening", test_not_listening);
  ADD ("errors/fake-failures", test_fake_failures);
  ADD ("config/bad", test_bad_config);
  ADD ("config/good", test_good_config);
  ADD ("fixture/allow-update", test_fixture_allow_update);

#undef ADD

  g_test_add ("/gcert/powerdns/gcertctl/wildcard", E2E, NULL, e2e_setup,
              test_gcertctl_wildcard, e2e_teardown);
  g_test_add ("/gcert/powerdns/gcertctl/wrong-key", E2E, NULL, e2e_setup,
              test_gcertctl_wrong_key, e2e_teardown);

  status = g_test_run ();

  g_clear_pointer (&pdns, gcert_test_pdns_stop);
  return status;
}
