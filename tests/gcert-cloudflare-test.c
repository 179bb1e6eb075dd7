/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cloudflare DNS plugin against a stand-in for the Cloudflare API v4,
 * and gcertctl issuing through it with Pebble. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert.h"
#include "gcert-test-cloudflare.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

#define NAME  "_acme-challenge.example.com"
#define FQDN  NAME "."

typedef struct {
  char                *dir;
  char                *config_path;
  GCertTestCloudflare *cf;
  char                *zone_id;      /* example.com */
  char                *token;        /* every zone, Zone:Read + DNS:Edit */
  char                *token_path;
  GPtrArray           *secrets;      /* every token of the test, NULL-terminated */
} Fixture;

static char *
write_token (Fixture    *fixture,
             const char *file,
             const char *token,
             int         mode)
{
  g_autofree char *text = g_strconcat (token, "\n", NULL);

  return gcert_test_write_file_in (fixture->dir, file, text, mode);
}

/* A token known to the fake, and remembered as a secret to look for. */
static char *
add_token (Fixture    *fixture,
           const char *zone_id,
           gboolean    zone_read,
           gboolean    dns_edit)
{
  char *token = gcert_test_cloudflare_make_token ();

  gcert_test_cloudflare_add_token (fixture->cf, token, zone_id, zone_read, dns_edit);
  g_ptr_array_add (fixture->secrets, g_strdup (token));
  return token;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = gcert_test_mkdtemp ("gcert-cloudflare-test");
  fixture->config_path = g_build_filename (fixture->dir, "gcert.conf", NULL);
  fixture->secrets = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  fixture->cf = gcert_test_cloudflare_start (NULL, &error);
  g_assert_no_error (error);
  fixture->zone_id = gcert_test_cloudflare_add_zone (fixture->cf, "example.com");
  fixture->token = add_token (fixture, NULL, TRUE, TRUE);
  fixture->token_path = write_token (fixture, "cf.token", fixture->token, 0600);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_pointer (&fixture->cf, gcert_test_cloudflare_stop);
  gcert_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
  g_free (fixture->zone_id);
  g_free (fixture->token);
  g_free (fixture->token_path);
  g_ptr_array_unref (fixture->secrets);
}

/* --- helpers --------------------------------------------------------------- */

/* No token of the test in @text. */
static void
assert_no_secret (Fixture    *fixture,
                  const char *text)
{
  gcert_test_assert_no_secrets (text, (const char * const *) fixture->secrets->pdata, 0);
}

static void
assert_error (Fixture    *fixture,
              GError     *error,
              int         code,
              const char *detail)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, code);
  assert_no_secret (fixture, error->message);
  if (detail != NULL)
    gcert_test_assert_contains (error->message, detail);
}

/* "[dns test]" with the plugin, the fake's URL, @token_line (NULL: the
 * fixture's token file) and @extra */
static char *
config_text (Fixture    *fixture,
             const char *token_line,
             const char *extra)
{
  g_autofree char *default_line = g_strdup_printf ("token-file = %s\n", fixture->token_path);

  return g_strdup_printf ("[dns test]\n"
                          "plugin = cloudflare\n"
                          "api-url = %s\n"
                          "%s"
                          "%s",
                          gcert_test_cloudflare_get_api_url (fixture->cf),
                          token_line != NULL ? token_line : default_line,
                          extra != NULL ? extra : "");
}

static GCertDnsProvider *
new_provider (Fixture    *fixture,
              const char *token_line,
              const char *extra)
{
  g_autofree char *text = config_text (fixture, token_line, extra);

  return gcert_test_load_dns_provider_ok (fixture->config_path, text, "test");
}

static void
assert_txt (Fixture            *fixture,
            const char         *name,
            const char * const *expected)
{
  g_auto(GStrv) values = gcert_test_cloudflare_list_txt (fixture->cf, name);
  const char * const none[] = { NULL };

  g_assert_cmpstrv (values, expected != NULL ? expected : none);
}

/* how many requests in the log start with @prefix */
static guint
count_requests (Fixture    *fixture,
                const char *prefix)
{
  g_auto(GStrv) log = gcert_test_cloudflare_get_request_log (fixture->cf);
  guint count = 0;

  for (guint i = 0; log[i] != NULL; i++)
    {
      if (g_str_has_prefix (log[i], prefix))
        count++;
    }
  return count;
}

static gboolean
log_contains (Fixture    *fixture,
              const char *needle)
{
  g_auto(GStrv) log = gcert_test_cloudflare_get_request_log (fixture->cf);

  for (guint i = 0; log[i] != NULL; i++)
    {
      if (strstr (log[i], needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
dump_log (Fixture *fixture)
{
  g_auto(GStrv) log = gcert_test_cloudflare_get_request_log (fixture->cf);
  g_autofree char *text = g_strjoinv ("\n", log);

  g_test_message ("requests:\n%s", text);
}

/* --- the fake itself ------------------------------------------------------- */

typedef struct {
  guint       status;
  JsonNode   *root;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->root, json_node_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

static Answer
fake_request (Fixture    *fixture,
              const char *method,
              const char *path,
              const char *authorization,
              const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autofree char *url = g_strconcat (gcert_test_cloudflare_get_api_url (fixture->cf), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  Answer answer = { 0, NULL };

  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  answer.status = soup_message_get_status (msg);
  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              &error);
  g_assert_no_error (error);
  answer.root = json_node_ref (json_parser_get_root (parser));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (answer.root));
  return answer;
}

static JsonObject *
envelope (const Answer *answer)
{
  return json_node_get_object (answer->root);
}

/* success = false with @code first in errors[] */
static void
assert_api_error (const Answer *answer,
                  guint         status,
                  gint64        code)
{
  JsonObject *object = envelope (answer);
  JsonArray *errors = json_object_get_array_member (object, "errors");

  g_assert_cmpuint (answer->status, ==, status);
  g_assert_false (json_object_get_boolean_member (object, "success"));
  g_assert_cmpuint (json_array_get_length (errors), >=, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (errors, 0), "code"),
                   ==, code);
  g_assert_true (json_object_has_member (object, "messages"));
  g_assert_true (json_object_has_member (object, "result"));
}

static JsonObject *
result_info (const Answer *answer)
{
  return json_object_get_object_member (envelope (answer), "result_info");
}

static void
test_fake_api (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *bearer = g_strconcat ("Bearer ", fixture->token, NULL);
  g_autofree char *unknown = gcert_test_cloudflare_make_token ();
  g_autofree char *unknown_bearer = g_strconcat ("Bearer ", unknown, NULL);
  g_autofree char *other_zone = gcert_test_cloudflare_add_zone (fixture->cf, "example.org");
  g_autofree char *scoped = add_token (fixture, fixture->zone_id, TRUE, TRUE);
  g_autofree char *scoped_bearer = g_strconcat ("Bearer ", scoped, NULL);
  g_autofree char *path = NULL;
  g_autofree char *record_path = NULL;
  JsonObject *error_object;
  JsonArray *array;

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *name = g_strdup_printf ("zone%02u.example.net", i);
      g_autofree char *id = gcert_test_cloudflare_add_zone (fixture->cf, name);
    }

  /* authentication */
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones", NULL, NULL);
    assert_api_error (&answer, 400, 9106);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones", "Bearer short", NULL);
    assert_api_error (&answer, 400, 6003);
    error_object = json_array_get_object_element (
      json_object_get_array_member (envelope (&answer), "errors"), 0);
    array = json_object_get_array_member (error_object, "error_chain");
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "code"),
                     ==, 6111);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones", unknown_bearer, NULL);
    assert_api_error (&answer, 403, 10000);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/user/tokens/verify", bearer, NULL);
    JsonObject *result;

    g_assert_cmpuint (answer.status, ==, 200);
    g_assert_true (json_object_get_boolean_member (envelope (&answer), "success"));
    result = json_object_get_object_member (envelope (&answer), "result");
    g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "active");
    g_assert_cmpuint (strlen (json_object_get_string_member (result, "id")), ==, 32);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/user/tokens/verify", unknown_bearer,
                                          NULL);
    assert_api_error (&answer, 401, 1000);
  }

  /* zones: pages of 20, at most 50 */
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones", bearer, NULL);
    g_assert_cmpuint (answer.status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (envelope (&answer),
                                                                           "result")), ==, 20);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "total_count"), ==, 27);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "total_pages"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "per_page"), ==, 20);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones?page=2", bearer, NULL);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "count"), ==, 7);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "page"), ==, 2);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones?per_page=500", bearer, NULL);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "per_page"), ==, 50);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "count"), ==, 27);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones?name=example.org", bearer, NULL);
    array = json_object_get_array_member (envelope (&answer), "result");
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "id"),
                     ==, other_zone);
  }
  /* a token for one zone sees that zone only */
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones?name=example.org", scoped_bearer,
                                          NULL);
    g_assert_cmpuint (answer.status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "total_count"), ==, 0);
  }
  path = g_strdup_printf ("/zones/%s/dns_records", other_zone);
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", path, scoped_bearer, NULL);
    assert_api_error (&answer, 403, 10000);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones/nothex/dns_records", bearer, NULL);
    assert_api_error (&answer, 400, 7003);
  }

  /* records */
  g_free (path);
  path = g_strdup_printf ("/zones/%s/dns_records", fixture->zone_id);
  {
    g_auto(Answer) answer = fake_request (fixture, "POST", path, bearer,
                                          "{\"type\":\"TXT\",\"name\":\"x.example.com\","
                                          "\"content\":\"v\",\"ttl\":30}");
    assert_api_error (&answer, 400, 1004);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "POST", path, bearer,
                                          "{\"type\":\"TXT\",\"name\":\"x.example.com\","
                                          "\"content\":\"v\",\"ttl\":60}");
    JsonObject *result = json_object_get_object_member (envelope (&answer), "result");

    g_assert_cmpuint (answer.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (result, "name"), ==, "x.example.com");
    g_assert_cmpint (json_object_get_int_member (result, "ttl"), ==, 60);
    record_path = g_strdup_printf ("%s/%s", path, json_object_get_string_member (result, "id"));
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "POST", path, bearer,
                                          "{\"type\":\"TXT\",\"name\":\"x.example.com\","
                                          "\"content\":\"v\",\"ttl\":1}");
    assert_api_error (&answer, 400, 81058);
  }
  {
    g_autofree char *query = g_strconcat (path, "?type=TXT&name=x.example.com", NULL);
    g_auto(Answer) answer = fake_request (fixture, "GET", query, bearer, NULL);

    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "count"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (result_info (&answer), "per_page"), ==, 100);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "DELETE", record_path, bearer, NULL);
    g_assert_cmpuint (answer.status, ==, 200);
  }
  {
    g_auto(Answer) answer = fake_request (fixture, "DELETE", record_path, bearer, NULL);
    assert_api_error (&answer, 404, 81044);
  }
  /* faults come first, whatever the request */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT, 1);
  {
    g_auto(Answer) answer = fake_request (fixture, "GET", "/zones", bearer, NULL);
    assert_api_error (&answer, 429, 971);
  }
  g_assert_true (log_contains (fixture, "GET /client/v4/zones?per_page=500"));
  g_assert_cmpuint (gcert_test_cloudflare_get_request_count (fixture->cf), ==, 19);
}

/* --- the plugin ------------------------------------------------------------ */

typedef struct {
  GAsyncResult *first;
  GAsyncResult *second;
} Pair;

static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = new_provider (fixture, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *foreign_id = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *delete_first = NULL;
  g_autofree char *delete_second = NULL;
  Pair pair = { NULL, NULL };
  const char *both[] = { "foreign", "value-1", "value-2", NULL };
  const char *one[] = { "foreign", "value-2", NULL };
  const char *foreign[] = { "foreign", NULL };

  foreign_id = gcert_test_cloudflare_add_txt (fixture->cf, fixture->zone_id, NAME, "foreign");

  /* the apex and the wildcard challenge at once */
  gcert_dns_provider_create_record_async (provider, FQDN, "value-1", NULL, gcert_test_result_cb,
                                          &pair.first);
  gcert_dns_provider_create_record_async (provider, FQDN, "value-2", NULL, gcert_test_result_cb,
                                          &pair.second);
  g_assert_true (gcert_dns_provider_create_record_finish (provider,
                                                          gcert_test_wait_for (&pair.first),
                                                          &error));
  g_assert_no_error (error);
  g_assert_true (gcert_dns_provider_create_record_finish (provider,
                                                          gcert_test_wait_for (&pair.second),
                                                          &error));
  g_assert_no_error (error);
  g_clear_object (&pair.first);
  g_clear_object (&pair.second);
  assert_txt (fixture, NAME, both);
  g_assert_cmpuint (gcert_test_cloudflare_get_txt_ttl (fixture->cf, NAME, "value-1"), ==, 60);

  first_id = gcert_test_cloudflare_get_txt_id (fixture->cf, NAME, "value-1");
  second_id = gcert_test_cloudflare_get_txt_id (fixture->cf, NAME, "value-2");
  delete_first = g_strdup_printf ("DELETE /client/v4/zones/%s/dns_records/%s", fixture->zone_id,
                                  first_id);
  delete_second = g_strdup_printf ("DELETE /client/v4/zones/%s/dns_records/%s", fixture->zone_id,
                                   second_id);
  gcert_test_cloudflare_clear_request_log (fixture->cf);

  /* exactly the remembered id goes, with one request */
  g_assert_true (gcert_test_remove_record (provider, FQDN, "value-1", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, one);
  dump_log (fixture);
  g_assert_cmpuint (gcert_test_cloudflare_get_request_count (fixture->cf), ==, 1);
  g_assert_cmpuint (count_requests (fixture, delete_first), ==, 1);

  g_assert_true (gcert_test_remove_record (provider, FQDN, "value-2", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, foreign);
  g_assert_cmpuint (count_requests (fixture, delete_second), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 2);

  /* once more: already gone is success, and the foreign record stays */
  g_assert_true (gcert_test_remove_record (provider, FQDN, "value-2", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, foreign);
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 2);
  g_free (first_id);
  first_id = gcert_test_cloudflare_get_txt_id (fixture->cf, NAME, "foreign");
  g_assert_cmpstr (foreign_id, ==, first_id);
}

static void
test_remove_by_lookup (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) first = new_provider (fixture, NULL, NULL);
  g_autoptr(GCertDnsProvider) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *delete = NULL;
  const char *both[] = { "someone-else", "ours", NULL };
  const char *foreign[] = { "someone-else", NULL };

  g_free (gcert_test_cloudflare_add_txt (fixture->cf, fixture->zone_id, NAME, "someone-else"));
  g_assert_true (gcert_test_create_record (first, FQDN, "ours", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, both);
  ours = gcert_test_cloudflare_get_txt_id (fixture->cf, NAME, "ours");
  delete = g_strdup_printf ("DELETE /client/v4/zones/%s/dns_records/%s", fixture->zone_id, ours);
  /* a crash: the next process knows nothing of the id */
  g_clear_object (&first);

  gcert_test_cloudflare_clear_request_log (fixture->cf);
  second = new_provider (fixture, NULL, NULL);
  g_assert_true (gcert_test_remove_record (second, FQDN, "ours", NULL, &error));
  g_assert_no_error (error);
  dump_log (fixture);
  assert_txt (fixture, NAME, foreign);
  g_assert_true (log_contains (fixture, "GET /client/v4/zones/"));
  g_assert_true (log_contains (fixture, "type=TXT"));
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, delete), ==, 1);

  /* a value that is not there: nothing is deleted */
  g_assert_true (gcert_test_remove_record (second, FQDN, "never-created", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, foreign);
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 1);
}

static void
test_pagination (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GCertDnsProvider) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *deep_id = NULL;
  g_autofree char *deep_post = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *delete = NULL;
  g_auto(GStrv) values = NULL;
  g_auto(GStrv) deep_values = NULL;

  /* more zones than one page, and a delegated sub-zone */
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *name = g_strdup_printf ("zone%02u.example.net", i);

      g_free (gcert_test_cloudflare_add_zone (fixture->cf, name));
    }
  deep_id = gcert_test_cloudflare_add_zone (fixture->cf, "deep.example.com");
  /* more records at the name than one page */
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *value = g_strdup_printf ("foreign-%03u", i);

      g_free (gcert_test_cloudflare_add_txt (fixture->cf, fixture->zone_id, NAME, value));
    }

  provider = new_provider (fixture, NULL, NULL);
  g_assert_true (gcert_test_create_record (provider, FQDN, "ours", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.deep.example.com.", "deep",
                                           NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_test_create_record (provider, "_acme-challenge.www.example.com.", "www",
                                           NULL, &error));
  g_assert_no_error (error);
  dump_log (fixture);
  /* the longest name that is a zone wins, and each name is asked once */
  deep_values = gcert_test_cloudflare_list_txt (fixture->cf, "_acme-challenge.deep.example.com");
  g_assert_cmpuint (g_strv_length (deep_values), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "GET /client/v4/zones?name=example.com&"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "GET /client/v4/zones?name=deep.example.com&"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "GET /client/v4/zones?name=www.example.com&"), ==, 1);
  deep_post = g_strdup_printf ("POST /client/v4/zones/%s/dns_records", deep_id);
  g_assert_cmpuint (count_requests (fixture, deep_post), ==, 1);
  g_clear_object (&provider);

  /* a fresh provider finds "ours" on the second page */
  ours = gcert_test_cloudflare_get_txt_id (fixture->cf, NAME, "ours");
  delete = g_strdup_printf ("DELETE /client/v4/zones/%s/dns_records/%s", fixture->zone_id, ours);
  gcert_test_cloudflare_clear_request_log (fixture->cf);
  fresh = new_provider (fixture, NULL, NULL);
  g_assert_true (gcert_test_remove_record (fresh, FQDN, "ours", NULL, &error));
  g_assert_no_error (error);
  dump_log (fixture);
  g_assert_true (log_contains (fixture, "page=2"));
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, delete), ==, 1);
  values = gcert_test_cloudflare_list_txt (fixture->cf, NAME);
  g_assert_cmpuint (g_strv_length (values), ==, 150);
  g_assert_false (g_strv_contains ((const char * const *) values, "ours"));
  g_clear_pointer (&values, g_strfreev);

  /* a value already there (a retry after a lost answer): 81058, then it
   * is found on the second page and removed by its id */
  g_free (ours);
  ours = gcert_test_cloudflare_add_txt (fixture->cf, fixture->zone_id, NAME, "again");
  g_free (delete);
  delete = g_strdup_printf ("DELETE /client/v4/zones/%s/dns_records/%s", fixture->zone_id, ours);
  gcert_test_cloudflare_clear_request_log (fixture->cf);
  g_assert_true (gcert_test_create_record (fresh, FQDN, "again", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (log_contains (fixture, "page=2"));
  g_assert_true (gcert_test_remove_record (fresh, FQDN, "again", NULL, &error));
  g_assert_no_error (error);
  dump_log (fixture);
  g_assert_cmpuint (count_requests (fixture, delete), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "DELETE"), ==, 1);
  values = gcert_test_cloudflare_list_txt (fixture->cf, NAME);
  g_assert_cmpuint (g_strv_length (values), ==, 150);
}

static void
test_zone_id (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *token = add_token (fixture, fixture->zone_id, FALSE, TRUE);
  g_autofree char *path = write_token (fixture, "zone.token", token, 0400);
  g_autofree char *token_line = g_strdup_printf ("token-file = %s\n", path);
  g_autofree char *zone_line = g_strdup_printf ("zone-id = %s\n", fixture->zone_id);
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "v", NULL };

  /* without zone-id, the token cannot list zones */
  provider = new_provider (fixture, token_line, NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "Zone:Read");
  g_assert_nonnull (strstr (error->message, "zone-id"));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "10000"));
  g_assert_nonnull (strstr (error->message, FQDN));
  g_clear_error (&error);
  g_clear_object (&provider);

  gcert_test_cloudflare_clear_request_log (fixture->cf);
  provider = new_provider (fixture, token_line, zone_line);
  g_assert_true (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, expected);
  g_clear_object (&provider);

  /* removal by lookup works with the zone's id too */
  provider = new_provider (fixture, token_line, zone_line);
  g_assert_true (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, NULL);
  dump_log (fixture);
  g_assert_cmpuint (count_requests (fixture, "GET /client/v4/zones?"), ==, 0);
}

static void
test_zone_token (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *edit = add_token (fixture, fixture->zone_id, FALSE, TRUE);
  g_autofree char *read = add_token (fixture, NULL, TRUE, FALSE);
  g_autofree char *edit_path = write_token (fixture, "edit.token", edit, 0600);
  g_autofree char *read_path = write_token (fixture, "read.token", read, 0600);
  g_autofree char *token_line = g_strdup_printf ("token-file = %s\n", edit_path);
  g_autofree char *zone_line = g_strdup_printf ("zone-token-file = %s\n", read_path);
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "v", NULL };

  /* neither token alone could do it: the read-only one finds the zone,
   * the other edits */
  provider = new_provider (fixture, token_line, zone_line);
  g_assert_true (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, expected);
  g_clear_object (&provider);

  provider = new_provider (fixture, token_line, zone_line);
  g_assert_true (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, NULL);
  dump_log (fixture);
  /* one lookup per provider */
  g_assert_cmpuint (count_requests (fixture, "GET /client/v4/zones?name=_acme-challenge"), ==, 2);

  /* the other way round, the records are refused: DNS:Edit is missing */
  g_clear_object (&provider);
  g_free (token_line);
  g_free (zone_line);
  token_line = g_strdup_printf ("token-file = %s\n", read_path);
  zone_line = g_strdup_printf ("zone-token-file = %s\n", edit_path);
  provider = new_provider (fixture, token_line, NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "DNS:Edit on zone example.com");
  g_assert_nonnull (strstr (error->message, read_path));
}

static void
test_env_token (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *expected[] = { "from-env", NULL };

  g_setenv ("CF_Token", fixture->token, TRUE);
  provider = new_provider (fixture, "", "ttl = 1\n");
  g_assert_true (gcert_test_create_record (provider, FQDN, "from-env", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, expected);
  /* automatic */
  g_assert_cmpuint (gcert_test_cloudflare_get_txt_ttl (fixture->cf, NAME, "from-env"), ==, 1);
  g_assert_true (gcert_test_remove_record (provider, FQDN, "from-env", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, NULL);
  g_clear_object (&provider);

  /* token-file wins over the environment */
  g_setenv ("CF_Token", "not-a-token-at-all", TRUE);
  provider = new_provider (fixture, NULL, "ttl = 2m\n");
  g_assert_true (gcert_test_create_record (provider, FQDN, "from-file", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gcert_test_cloudflare_get_txt_ttl (fixture->cf, NAME, "from-file"), ==, 120);
  g_clear_object (&provider);

  /* a refused token from the environment says so */
  g_ptr_array_add (fixture->secrets, g_strdup ("NotKnownToTheAPI0123456789abcdefghijklmn"));
  g_setenv ("CF_Token", "NotKnownToTheAPI0123456789abcdefghijklmn", TRUE);
  provider = new_provider (fixture, "", NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "CF_Token");
  g_assert_null (strstr (error->message, "NotKnownToTheAPI"));
  g_clear_error (&error);
  g_clear_object (&provider);

  g_unsetenv ("CF_Token");
  text = config_text (fixture, "", NULL);
  provider = gcert_test_load_dns_provider (fixture->config_path, text, "test", &error);
  g_assert_null (provider);
  assert_error (fixture, error, GCERT_ERROR_CONFIG, "token-file");
  g_assert_nonnull (strstr (error->message, "CF_Token"));
  g_assert_nonnull (strstr (error->message, "[dns test]"));
}

static void
test_rate_limited (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = new_provider (fixture, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *expected[] = { "v", NULL };
  gint64 start;

  /* two 429s, then the answer: the waits follow Retry-After */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT, 2);
  start = g_get_monotonic_time ();
  g_assert_true (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC - 100000);
  assert_txt (fixture, NAME, expected);

  /* three in a row: given up */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT, 3);
  g_assert_false (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_RATE_LIMITED, "429");
  g_assert_nonnull (strstr (error->message, gcert_test_cloudflare_get_api_url (fixture->cf)));
  g_clear_error (&error);
  assert_txt (fixture, NAME, expected);

  /* a wait is cancellable */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT, 1);
  gcert_test_cancel_after (cancellable, 200);
  start = g_get_monotonic_time ();
  g_assert_false (gcert_test_remove_record (provider, FQDN, "v", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC * 9 / 10);
  g_clear_error (&error);

  /* and afterwards all is well */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT, 0);
  g_assert_true (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, NULL);
}

static void
test_server_error (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = new_provider (fixture, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "v", NULL };
  guint before;

  /* twice, then the answer */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_SERVER_ERROR, 2);
  g_assert_true (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, expected);

  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_BAD_GATEWAY, 2);
  g_assert_true (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  g_assert_no_error (error);
  assert_txt (fixture, NAME, NULL);

  /* for ever: three tries, then a clear error */
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_SERVER_ERROR, 1000);
  before = gcert_test_cloudflare_get_request_count (fixture->cf);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_NETWORK, "HTTP 500");
  g_assert_nonnull (strstr (error->message, FQDN));
  g_assert_nonnull (strstr (error->message, gcert_test_cloudflare_get_api_url (fixture->cf)));
  g_assert_cmpuint (gcert_test_cloudflare_get_request_count (fixture->cf) - before, ==, 3);
  gcert_test_cloudflare_inject_faults (fixture->cf, GCERT_TEST_CLOUDFLARE_FAULT_SERVER_ERROR, 0);
  assert_txt (fixture, NAME, NULL);
}

static void
test_bad_token (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *unknown = gcert_test_cloudflare_make_token ();
  g_autofree char *unknown_path = NULL;
  g_autofree char *unknown_line = NULL;
  g_autofree char *read_only = add_token (fixture, NULL, TRUE, FALSE);
  g_autofree char *read_path = write_token (fixture, "read.token", read_only, 0600);
  g_autofree char *read_line = g_strdup_printf ("token-file = %s\n", read_path);
  g_autofree char *short_path = write_token (fixture, "short.token", "abc123", 0600);
  g_autofree char *short_line = g_strdup_printf ("token-file = %s\n", short_path);
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  /* a token the API does not know */
  g_ptr_array_add (fixture->secrets, g_strdup (unknown));
  unknown_path = write_token (fixture, "unknown.token", unknown, 0600);
  unknown_line = g_strdup_printf ("token-file = %s\n", unknown_path);
  provider = new_provider (fixture, unknown_line, NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "Zone:Read");
  g_assert_nonnull (strstr (error->message, unknown_path));
  g_assert_nonnull (strstr (error->message, "Authentication error"));
  g_clear_error (&error);
  g_clear_object (&provider);

  /* the API refuses its format: 6003 and 6111 */
  provider = new_provider (fixture, short_line, NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "6003");
  g_assert_nonnull (strstr (error->message, "6111"));
  g_assert_null (strstr (error->message, "abc123"));
  g_clear_error (&error);
  g_clear_object (&provider);

  /* it may read zones but not edit records */
  provider = new_provider (fixture, read_line, NULL);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "DNS:Edit on zone example.com");
  g_assert_nonnull (strstr (error->message, read_path));
  g_assert_nonnull (strstr (error->message, FQDN));
  g_clear_error (&error);
  g_assert_false (gcert_test_remove_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_PERMISSION_DENIED, "DNS:Edit on zone example.com");
  assert_txt (fixture, NAME, NULL);
}

static void
test_unknown_zone (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = new_provider (fixture, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *zone_line = NULL;

  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.www.example.org.", "v", NULL,
                                            &error));
  assert_error (fixture, error, GCERT_ERROR_NOT_FOUND, "www.example.org, example.org");
  g_assert_nonnull (strstr (error->message, "_acme-challenge.www.example.org."));
  g_assert_nonnull (strstr (error->message, gcert_test_cloudflare_get_api_url (fixture->cf)));
  g_clear_error (&error);
  g_clear_object (&provider);

  /* a zone-id that the API does not know */
  zone_line = g_strdup_printf ("zone-id = %s\n", "0123456789abcdef0123456789abcdef");
  provider = new_provider (fixture, NULL, zone_line);
  g_assert_false (gcert_test_create_record (provider, FQDN, "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_NOT_FOUND, "7003");
  g_assert_nonnull (strstr (error->message, "zone-id"));
}

static void
assert_bad_config (Fixture    *fixture,
                   const char *token_line,
                   const char *extra,
                   int         code,
                   const char *key,
                   const char *detail)
{
  g_autofree char *text = config_text (fixture, token_line, extra);
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = g_strdup_printf ("%s:", fixture->config_path);
  g_autofree char *group_key = g_strdup_printf ("[dns test] %s", key);

  provider = gcert_test_load_dns_provider (fixture->config_path, text, "test", &error);
  g_assert_null (provider);
  assert_error (fixture, error, code, detail);
  g_assert_true (g_str_has_prefix (error->message, where));
  g_assert_nonnull (strstr (error->message, group_key));
}

static void
test_config (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.token", NULL);
  g_autofree char *missing_line = g_strdup_printf ("token-file = %s\n", missing);
  g_autofree char *open_path = write_token (fixture, "open.token", fixture->token, 0644);
  g_autofree char *open_line = g_strdup_printf ("token-file = %s\n", open_path);
  g_autofree char *garbage_path = write_token (fixture, "garbage.token", "two words", 0600);
  g_autofree char *garbage_line = g_strdup_printf ("token-file = %s\n", garbage_path);
  g_autofree char *zone_open_line = g_strdup_printf ("zone-token-file = %s\n", open_path);
  g_autofree char *chmod = g_strdup_printf ("chmod 600 %s", open_path);
  g_autoptr(GCertDnsProvider) provider = NULL;

  assert_bad_config (fixture, missing_line, NULL, GCERT_ERROR_NOT_FOUND, "token-file", missing);
  assert_bad_config (fixture, open_line, NULL, GCERT_ERROR_PERMISSION_DENIED, "token-file", chmod);
  assert_bad_config (fixture, NULL, zone_open_line, GCERT_ERROR_PERMISSION_DENIED,
                     "zone-token-file", chmod);
  assert_bad_config (fixture, garbage_line, NULL, GCERT_ERROR_CONFIG, "token-file",
                     "is not an API token");
  assert_bad_config (fixture, NULL, "ttl = 30\n", GCERT_ERROR_CONFIG, "ttl", "60");
  assert_bad_config (fixture, NULL, "ttl = soon\n", GCERT_ERROR_CONFIG, "ttl", NULL);
  assert_bad_config (fixture, NULL, "timeout = 0\n", GCERT_ERROR_CONFIG, "timeout", NULL);
  assert_bad_config (fixture, NULL, "zone-id = example.com\n", GCERT_ERROR_CONFIG, "zone-id",
                     "32 hexadecimal");
  assert_bad_config (fixture, NULL, "colour = orange\n", GCERT_ERROR_CONFIG, "colour", NULL);

  /* api-url: https, or http on this machine only */
  {
    g_autofree char *text = g_strdup_printf ("[dns test]\nplugin = cloudflare\n"
                                             "token-file = %s\n"
                                             "api-url = http://api.example.com/client/v4\n",
                                             fixture->token_path);
    g_autoptr(GError) error = NULL;

    provider = gcert_test_load_dns_provider (fixture->config_path, text, "test", &error);
    g_assert_null (provider);
    assert_error (fixture, error, GCERT_ERROR_CONFIG, "[dns test] api-url");
    g_assert_nonnull (strstr (error->message, "https://"));
  }
  {
    g_autofree char *text = g_strdup_printf ("[dns test]\nplugin = cloudflare\n"
                                             "token-file = %s\n"
                                             "api-url = https://api.example.com/v4?x=1\n",
                                             fixture->token_path);
    g_autoptr(GError) error = NULL;

    provider = gcert_test_load_dns_provider (fixture->config_path, text, "test", &error);
    g_assert_null (provider);
    assert_error (fixture, error, GCERT_ERROR_CONFIG, "[dns test] api-url");
  }
  /* the defaults: the public API */
  {
    g_autofree char *text = g_strdup_printf ("[dns test]\nplugin = cloudflare\n"
                                             "token-file = %s\nttl = 1\ntimeout = 2m\n",
                                             fixture->token_path);
    g_autoptr(GError) error = NULL;

    provider = gcert_test_load_dns_provider (fixture->config_path, text, "test", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertCloudflareProvider");
  }
}

/* data/examples/dns-cloudflare.conf loads, with its token file here */
static void
test_example_config (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "examples",
                                                 "dns-cloudflare.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GString) edited = NULL;
  g_autoptr(GCertDnsProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  edited = g_string_new (text);
  g_assert_cmpuint (g_string_replace (edited, "/etc/gcert/secrets/cloudflare.token",
                                      fixture->token_path, 0), >=, 1);
  provider = gcert_test_load_dns_provider_ok (fixture->config_path, edited->str, "cf");
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (provider), ==, "GCertCloudflareProvider");
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GCertDnsProvider) provider = new_provider (fixture, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (gcert_test_create_record (provider, "com.", "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_INVALID_DATA, "com.");
  g_clear_error (&error);
  g_assert_false (gcert_test_create_record (provider, "a..example.com.", "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_INVALID_DATA, NULL);
  g_clear_error (&error);
  g_assert_false (gcert_test_create_record (provider, "a/b.example.com.", "v", NULL, &error));
  assert_error (fixture, error, GCERT_ERROR_INVALID_DATA, NULL);
  g_assert_cmpuint (gcert_test_cloudflare_get_request_count (fixture->cf), ==, 0);
}

/* --- gcertctl with Pebble -------------------------------------------------- */

static GCertTestPebble *pebble;

static GCertTestPebble *
get_pebble (void)
{
  if (pebble == NULL)
    {
      g_autoptr(GError) error = NULL;

      pebble = gcert_test_pebble_start (NULL, &error);
      g_assert_no_error (error);
    }
  return pebble;
}


typedef struct {
  char                *dir;
  char                *state;
  char                *config;
  GCertTestCloudflare *cf;
  char                *zone_id;
} E2E;

static void
e2e_setup (E2E           *e2e,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  e2e->dir = gcert_test_mkdtemp ("gcert-cloudflare-e2e");
  e2e->state = g_build_filename (e2e->dir, "state", NULL);
  e2e->config = g_build_filename (e2e->dir, "gcert.conf", NULL);
  e2e->cf = gcert_test_cloudflare_start (get_pebble (), &error);
  g_assert_no_error (error);
  e2e->zone_id = gcert_test_cloudflare_add_zone (e2e->cf, "example.test");
}

static void
e2e_teardown (E2E           *e2e,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  gcert_test_pebble_check_alive (pebble, &error);
  g_assert_no_error (error);
  g_clear_pointer (&e2e->cf, gcert_test_cloudflare_stop);
  gcert_test_rm_rf (e2e->dir);
  g_free (e2e->dir);
  g_free (e2e->state);
  g_free (e2e->config);
  g_free (e2e->zone_id);
}

/* Pebble's configuration plus [dns cf] with @token in a 0600 file */
static void
e2e_write_config (E2E        *e2e,
                  const char *token)
{
  g_autofree char *token_path = gcert_test_write_file_in (e2e->dir, "cf.token", token, 0600);
  g_autofree char *extra = NULL;
  g_autofree char *text = NULL;

  extra = g_strdup_printf ("[dns cf]\n"
                           "plugin = cloudflare\n"
                           "token-file = %s\n"
                           "api-url = %s\n",
                           token_path, gcert_test_cloudflare_get_api_url (e2e->cf));
  text = gcert_test_pebble_config (pebble, e2e->state, extra);
  gcert_test_write_file (e2e->config, text, 0600);
}

static void
assert_no_challenge_record (GCertTestCloudflare *cf)
{
  g_auto(GStrv) names = gcert_test_cloudflare_list_names (cf);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_test_message ("record left: %s", names[i]);
      g_assert_false (g_str_has_prefix (names[i], "_acme-challenge"));
    }
}

static void
test_gcertctl_wildcard (E2E           *e2e,
                        gconstpointer  user_data)
{
  static const char * const names[] = { "example.test", "*.example.test", NULL };
  g_autofree char *token = gcert_test_cloudflare_make_token ();
  g_autofree char *other_id = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GCertCertificate) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  g_auto(GStrv) log = NULL;
  guint posts = 0, deletes = 0;

  gcert_test_cloudflare_add_token (e2e->cf, token, e2e->zone_id, TRUE, TRUE);
  /* someone else's record in the zone stays */
  g_free (gcert_test_cloudflare_add_txt (e2e->cf, e2e->zone_id, "www.example.test", "other"));
  e2e_write_config (e2e, token);

  run = gcert_test_run_ctl (e2e->config, "issue", "-d", "example.test", "-d", "*.example.test",
                            "--dns", "cf", "--name", "web");
  g_assert_cmpint (run->status, ==, 0);
  gcert_test_assert_no_secret (run->out, token);
  gcert_test_assert_no_secret (run->err, token);

  root = gcert_test_pebble_get_root (pebble, &error);
  g_assert_no_error (error);
  chain = gcert_test_check_live (e2e->state, "web", names, root);
  g_assert_nonnull (chain);

  /* both challenges went through the API and were cleaned up */
  log = gcert_test_cloudflare_get_request_log (e2e->cf);
  for (guint i = 0; log[i] != NULL; i++)
    {
      g_test_message ("%s", log[i]);
      posts += g_str_has_prefix (log[i], "POST ");
      deletes += g_str_has_prefix (log[i], "DELETE ");
    }
  g_assert_cmpuint (posts, >=, 2);
  g_assert_cmpuint (deletes, ==, posts);
  assert_no_challenge_record (e2e->cf);
  other_id = gcert_test_cloudflare_get_txt_id (e2e->cf, "www.example.test", "other");
  g_assert_nonnull (other_id);
}

/* a run that fails for the missing DNS:Edit, with @flag (or none) */
static void
check_refused (E2E        *e2e,
               const char *token,
               const char *flag)
{
  g_autofree char *live = g_build_filename (e2e->state, "live", "web", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char * const rest[] = { "issue", "-d", "example.test", "-d", "*.example.test",
                                "--dns", "cf", "--name", "web", NULL };
  g_autoptr(GCertTestRun) run = NULL;

  if (flag != NULL)
    g_ptr_array_add (args, (char *) flag);
  for (guint i = 0; rest[i] != NULL; i++)
    g_ptr_array_add (args, (char *) rest[i]);
  g_ptr_array_add (args, NULL);

  run = gcert_test_run_gcertctl (e2e->config, (const char * const *) args->pdata);
  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpint (run->status, !=, 2);
  gcert_test_assert_no_secret (run->out, token);
  gcert_test_assert_no_secret (run->err, token);
  g_assert_true (strstr (run->out, "DNS:Edit") != NULL || strstr (run->err, "DNS:Edit") != NULL);
  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
}

static void
test_gcertctl_refused (E2E           *e2e,
                       gconstpointer  user_data)
{
  g_autofree char *token = gcert_test_cloudflare_make_token ();

  /* may read the zone, not edit it */
  gcert_test_cloudflare_add_token (e2e->cf, token, e2e->zone_id, TRUE, FALSE);
  e2e_write_config (e2e, token);

  check_refused (e2e, token, NULL);
  check_refused (e2e, token, "-v");
  check_refused (e2e, token, "--json");
  assert_no_challenge_record (e2e->cf);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/gcert/cloudflare/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("fake/api", test_fake_api);
  ADD ("concurrent", test_concurrent);
  ADD ("remove-by-lookup", test_remove_by_lookup);
  ADD ("pagination", test_pagination);
  ADD ("zone-id", test_zone_id);
  ADD ("zone-token", test_zone_token);
  ADD ("env-token", test_env_token);
  ADD ("rate-limited", test_rate_limited);
  ADD ("server-error", test_server_error);
  ADD ("bad-token", test_bad_token);
  ADD ("unknown-zone", test_unknown_zone);
  ADD ("config", test_config);
  ADD ("bad-input", test_bad_input);
  ADD ("example-config", test_example_config);
#undef ADD
  g_test_add ("/gcert/cloudflare/gcertctl/wildcard", E2E, NULL, e2e_setup,
              test_gcertctl_wildcard, e2e_teardown);
  g_test_add ("/gcert/cloudflare/gcertctl/refused", E2E, NULL, e2e_setup,
              test_gcertctl_refused, e2e_teardown);

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  return status;
}
