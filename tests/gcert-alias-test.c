/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "gcert.h"
#include "gcert-test-pdns.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* Challenge aliases and CNAME following, end to end: PowerDNS serves the
 * zone of the names (example.test, written through its HTTP API) and the
 * alias zone (alias.test, written with RFC 2136); Pebble's validator asks
 * PowerDNS, which follows the CNAME from one zone into the other. */

#define KEY_NAME   "gcert-alias-key."
#define KEY_SECRET "c2VjcmV0IG9mIHRoZSBhbGlhcyB6b25lIGtleSwgMzIgYnl0ZXM="

static GCertTestPdns *pdns;
static GCertTestPebble *pebble;
static char *pebble_root;

typedef struct {
  char *dir;
  char *state;
  char *config;
} Fixture;

static const char * const zones[] = { "example.test", "alias.test", "elsewhere.test", NULL };
static const char * const records[] = {
  "_acme-challenge.example.test. 60 IN CNAME _acme-challenge.alias.test.",
  "_acme-challenge.www.example.test. 60 IN CNAME _acme-challenge.www.alias.test.",
  "_acme-challenge.wrong.example.test. 60 IN CNAME _acme-challenge.elsewhere.test.",
  NULL
};

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *secret = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *text = NULL;

  f->dir = gcert_test_mkdtemp ("gcert-alias-test");
  f->state = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "gcert.conf", NULL);
  secret = g_build_filename (f->dir, "alias.secret", NULL);
  gcert_test_write_file (secret, KEY_SECRET "\n", 0600);

  extra = g_strdup_printf ("[dns main]\n"
                           "plugin = powerdns\n"
                           "api-url = %s\n"
                           "api-key-file = %s\n"
                           "zones = example.test\n"
                           "\n"
                           "[dns alias]\n"
                           "plugin = rfc2136\n"
                           "server = %s\n"
                           "key-name = " KEY_NAME "\n"
                           "key-secret-file = %s\n"
                           "zones = alias.test\n"
                           "\n"
                           "[certificate aliased]\n"
                           "domains = example.test;*.example.test\n"
                           "dns = main\n"
                           "challenge-alias = alias.test\n"
                           "\n"
                           "[certificate followed]\n"
                           "domains = www.example.test\n"
                           "dns = main\n"
                           "\n"
                           "[certificate missing]\n"
                           "domains = other.example.test\n"
                           "dns = main\n"
                           "challenge-alias = alias.test\n"
                           "\n"
                           "[certificate wrong]\n"
                           "domains = wrong.example.test\n"
                           "dns = main\n"
                           "challenge-alias = alias.test\n",
                           pdns->api_url, pdns->api_key_file, pdns->server, secret);
  text = gcert_test_pebble_config (pebble, f->state, extra);
  gcert_test_write_file (f->config, text, 0600);
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
  g_free (f->state);
  g_free (f->config);
}

static void
assert_no_txt (const char *fqdn)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = gcert_test_pdns_query_txt (pdns, fqdn, &error);

  g_assert_no_error (error);
  if (values[0] != NULL)
    g_test_message ("left at %s: %s", fqdn, values[0]);
  g_assert_cmpuint (g_strv_length (values), ==, 0);
}

/* no TXT RRset at all in the zone of the names: everything went to the
 * alias zone */
static void
assert_zone_has_no_txt (const char *zone)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("/zones/%s.", zone);
  g_autoptr(GBytes) body = gcert_test_pdns_api (pdns, "GET", path, NULL, NULL, &error);
  gsize size;
  const char *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (body, &size);
  g_assert_null (g_strstr_len (data, size, "\"type\": \"TXT\""));
  g_assert_null (g_strstr_len (data, size, "\"type\":\"TXT\""));
}

static JsonObject *
find_check (JsonArray  *array,
            const char *domain)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "domain"), domain) == 0)
        return object;
    }
  g_error ("no check of %s", domain);
  return NULL;
}

static char *
joined_problems (JsonObject *check)
{
  JsonArray *problems = json_object_get_array_member (check, "problems");
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (problems); i++)
    g_string_append_printf (text, "%s\n", json_array_get_string_element (problems, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* gcertctl check names the CNAMEs that are missing or point elsewhere,
 * and which provider writes where */
static void
test_check (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *wrong = NULL;
  JsonArray *array;
  JsonObject *check;

  run = gcert_test_run_ctl (f->config, "check", "--json");
  gcert_test_assert_exit (run, 1);
  json_parser_load_from_data (parser, run->out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 4);

  /* example.test and *.example.test share one challenge name: one check */
  check = find_check (array, "example.test");
  g_assert_true (json_object_get_boolean_member (check, "ok"));
  g_assert_cmpstr (json_object_get_string_member (check, "record-name"), ==,
                   "_acme-challenge.alias.test.");
  g_assert_cmpstr (json_object_get_string_member (check, "dns"), ==, "alias");

  /* no alias configured: the CNAME is followed into the zone [dns alias]
   * serves */
  check = find_check (array, "www.example.test");
  g_assert_true (json_object_get_boolean_member (check, "ok"));
  g_assert_cmpstr (json_object_get_string_member (check, "record-name"), ==,
                   "_acme-challenge.www.alias.test.");
  g_assert_cmpstr (json_object_get_string_member (check, "dns"), ==, "alias");

  check = find_check (array, "other.example.test");
  g_assert_false (json_object_get_boolean_member (check, "ok"));
  missing = joined_problems (check);
  g_assert_nonnull (strstr (missing, "_acme-challenge.other.example.test. CNAME "
                                     "_acme-challenge.alias.test."));

  check = find_check (array, "wrong.example.test");
  g_assert_false (json_object_get_boolean_member (check, "ok"));
  wrong = joined_problems (check);
  g_assert_nonnull (strstr (wrong, "_acme-challenge.elsewhere.test."));

  /* the human form says the same */
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "check", "missing");
  gcert_test_assert_exit (run, 1);
  g_assert_nonnull (strstr (run->out, "FAIL"));
  g_assert_nonnull (strstr (run->out, "is no CNAME"));

  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "check", "aliased", "followed");
  gcert_test_assert_exit (run, 0);
}

/* --write: a test record goes through the alias zone's provider and
 * reaches the server, and is gone afterwards */
static void
test_check_write (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *check;

  run = gcert_test_run_ctl (f->config, "check", "--write", "--json", "aliased");
  gcert_test_assert_exit (run, 0);
  json_parser_load_from_data (parser, run->out, -1, &error);
  g_assert_no_error (error);
  check = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  g_assert_true (json_object_has_member (check, "propagation-seconds"));
  g_assert_cmpfloat (json_object_get_double_member (check, "propagation-seconds"), >=, 0);
  assert_no_txt ("_acme-challenge.alias.test.");
}

static void
test_issue_through_alias (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) aliased = NULL;
  g_autoptr(GCertCertificate) followed = NULL;
  const char *aliased_names[] = { "example.test", "*.example.test", NULL };
  const char *followed_names[] = { "www.example.test", NULL };

  run = gcert_test_run_ctl (f->config, "renew", "aliased", "followed");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->err, "leads to _acme-challenge.alias.test."));
  g_assert_nonnull (strstr (run->err, "[dns alias]"));

  aliased = gcert_test_check_live (f->state, "aliased", aliased_names, pebble_root);
  followed = gcert_test_check_live (f->state, "followed", followed_names, pebble_root);
  g_assert_nonnull (aliased);
  g_assert_nonnull (followed);

  /* cleaned up, and the names' own zone was never written */
  assert_no_txt ("_acme-challenge.alias.test.");
  assert_no_txt ("_acme-challenge.www.alias.test.");
  assert_zone_has_no_txt ("example.test");
}

/* a missing or wrong CNAME fails before any record is written, with the
 * record to add */
static void
test_issue_without_cname (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autofree char *live = g_build_filename (f->state, "live", "missing", NULL);
  g_autofree char *live_wrong = g_build_filename (f->state, "live", "wrong", NULL);

  run = gcert_test_run_ctl (f->config, "renew", "missing", "wrong");
  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpint (run->status, !=, 2);
  g_assert_nonnull (strstr (run->err, "_acme-challenge.other.example.test. CNAME "
                                      "_acme-challenge.alias.test."));
  g_assert_nonnull (strstr (run->err, "is a CNAME to _acme-challenge.elsewhere.test."));
  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (live_wrong, G_FILE_TEST_EXISTS));
  assert_no_txt ("_acme-challenge.alias.test.");
  assert_zone_has_no_txt ("example.test");
  assert_zone_has_no_txt ("elsewhere.test");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  pdns = gcert_test_pdns_start (zones, records, &error);
  g_assert_no_error (error);
  g_assert_true (gcert_test_pdns_allow_update (pdns, "alias.test", KEY_NAME, "hmac-sha256",
                                               KEY_SECRET, &error));
  g_assert_no_error (error);

  /* every authorization answered through the DNS, none reused */
  pebble = gcert_test_start_pebble (pdns->server, &pebble_root);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/gcert/alias/check", test_check);
  ADD ("/gcert/alias/check-write", test_check_write);
  ADD ("/gcert/alias/issue", test_issue_through_alias);
  ADD ("/gcert/alias/missing-cname", test_issue_without_cname);

#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  g_clear_pointer (&pdns, gcert_test_pdns_stop);
  g_free (pebble_root);
  return status;
}
