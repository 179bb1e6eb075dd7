/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A CA that misbehaves: a proxy between gcert and a real Pebble answers some
 * requests with faults. Issuance must still succeed within its bounds, and
 * never store a chain that does not parse, match the key and carry the names. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-proxy.h"
#include "gcert-test-util.h"

static GCertTestPebble *pebble;
static char *pebble_root;

typedef struct {
  char           *dir;
  char           *state;
  GCertTestProxy *proxy;
  GPtrArray      *results;
  GString        *progress;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = gcert_test_mkdtemp ("gcert-fault");
  fx->state = g_build_filename (fx->dir, "state", NULL);
  fx->proxy = gcert_test_proxy_new (pebble, &error);
  g_assert_no_error (error);
  fx->progress = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->proxy, gcert_test_proxy_free);
  g_clear_pointer (&fx->results, g_ptr_array_unref);
  g_string_free (fx->progress, TRUE);
  gcert_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->state);
}

static void
progress_cb (GCertManager *manager,
             const char   *name,
             const char   *message,
             Fixture      *fx)
{
  g_string_append_printf (fx->progress, "%s: %s\n", name, message);
}

static char *
replace (const char *text,
         const char *from,
         const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

/* Issues "fault.test" + "*.fault.test" through the proxy; returns the one
 * result (owned by the fixture). */
static GCertRenewResult *
issue (Fixture    *fx,
       const char *extra_gcert)
{
  g_autofree char *text = NULL;
  g_autofree char *with_proxy = NULL;
  g_autofree char *conf_path = g_build_filename (fx->dir, "gcert.conf", NULL);
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "fault", NULL };

  text = gcert_test_pebble_config (pebble, fx->state,
                                   "\n[certificate fault]\n"
                                   "domains = fault.test;*.fault.test\n"
                                   "dns = test\n");
  with_proxy = replace (text, pebble->directory_url,
                        gcert_test_proxy_get_directory_url (fx->proxy));
  if (extra_gcert != NULL)
    {
      g_autofree char *tmp = replace (with_proxy, "[gcert]\n", extra_gcert);

      g_free (with_proxy);
      with_proxy = g_steal_pointer (&tmp);
    }
  config = gcert_config_load_from_data (with_proxy, conf_path, &error);
  g_assert_no_error (error);
  manager = gcert_manager_new (config, &error);
  g_assert_no_error (error);
  /* short, so that a hung request is retried quickly */
  gcert_manager_set_request_timeout (manager, 3);
  g_signal_connect (manager, "progress", G_CALLBACK (progress_cb), fx);

  g_clear_pointer (&fx->results, g_ptr_array_unref);
  fx->results = gcert_test_renew (manager, names, GCERT_RENEW_FORCE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->results);
  g_assert_cmpuint (fx->results->len, ==, 1);
  return g_ptr_array_index (fx->results, 0);
}

/* The live files are a chain that verifies, matches its key, and names
 * exactly what was asked for. */
static void
assert_live_valid (Fixture *fx)
{
  const char *domains[] = { "fault.test", "*.fault.test", NULL };
  g_autoptr(GCertCertificate) chain = gcert_test_check_live (fx->state, "fault", domains,
                                                             pebble_root);

  g_assert_nonnull (chain);
}

static void
assert_success (Fixture          *fx,
                GCertRenewResult *result)
{
  if (result->error != NULL)
    g_printerr ("progress:\n%s", fx->progress->str);
  g_assert_no_error (result->error);
  g_assert_true (result->success);
  g_assert_true (result->attempted);
  assert_live_valid (fx);
}

static void
assert_no_live (Fixture *fx)
{
  g_autofree char *live = g_build_filename (fx->state, "live", "fault", NULL);

  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
}

static void
test_clean (Fixture       *fx,
            gconstpointer  data)
{
  assert_success (fx, issue (fx, NULL));
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (fx->proxy), ==, 0);
}

/* one fault kind at one place, a few times in a row */
typedef struct {
  const char     *method;
  const char     *path;
  GCertTestFault  fault;
  guint           count;
} FaultCase;

static void
test_fault (Fixture       *fx,
            gconstpointer  data)
{
  const FaultCase *fc = data;

  gcert_test_proxy_add_fault (fx->proxy, fc->method, fc->path, fc->fault, fc->count);
  assert_success (fx, issue (fx, NULL));
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (fx->proxy), ==, fc->count);
}

static void
test_random_faults (Fixture       *fx,
                    gconstpointer  data)
{
  /* a fifth of all requests fail in some transient way */
  gcert_test_proxy_set_random_faults (fx->proxy, 0.2, 20261128);
  assert_success (fx, issue (fx, NULL));
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (fx->proxy), >, 0);
}

static void
test_lost_finalize (Fixture       *fx,
                    gconstpointer  data)
{
  /* Pebble finalizes, the answer is lost: gcert must learn the order's
   * state instead of finalizing blindly again */
  gcert_test_proxy_add_fault (fx->proxy, "POST", "/finalize-order/", GCERT_TEST_FAULT_LOSE_ANSWER, 1);
  assert_success (fx, issue (fx, NULL));
  g_assert_cmpuint (gcert_test_proxy_get_fault_count (fx->proxy), ==, 1);
}

static void
test_chain_always_wrong (Fixture       *fx,
                         gconstpointer  data)
{
  GCertRenewResult *result;

  gcert_test_proxy_add_fault (fx->proxy, "POST", "/certZ/", GCERT_TEST_FAULT_CHAIN_OTHER, 100);
  result = issue (fx, NULL);
  g_assert_false (result->success);
  g_assert_nonnull (result->error);
  g_assert_nonnull (strstr (result->error->message, "key"));
  assert_no_live (fx);
}

static void
test_chain_always_garbage (Fixture       *fx,
                           gconstpointer  data)
{
  GCertRenewResult *result;

  gcert_test_proxy_add_fault (fx->proxy, "POST", "/certZ/", GCERT_TEST_FAULT_CHAIN_GARBAGE, 100);
  result = issue (fx, NULL);
  g_assert_false (result->success);
  g_assert_nonnull (result->error);
  assert_no_live (fx);
}

static void
test_cross_origin (Fixture       *fx,
                   gconstpointer  data)
{
  GCertRenewResult *result;

  gcert_test_proxy_add_fault (fx->proxy, "POST", "/order-plz", GCERT_TEST_FAULT_CROSS_ORIGIN, 100);
  result = issue (fx, NULL);
  g_assert_false (result->success);
  g_assert_nonnull (result->error);
  g_assert_nonnull (strstr (result->error->message, "origin"));
  /* nothing was ever sent to the other origin */
  g_assert_cmpuint (gcert_test_proxy_get_other_origin_count (fx->proxy), ==, 0);
  assert_no_live (fx);
}

static void
test_failure_keeps_live (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *chain_path = g_build_filename (fx->state, "live", "fault", "fullchain.pem", NULL);
  g_autofree char *key_path = g_build_filename (fx->state, "live", "fault", "privkey.pem", NULL);
  g_autofree char *chain_before = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *chain_after = NULL;
  g_autofree char *key_after = NULL;
  GCertRenewResult *result;

  assert_success (fx, issue (fx, NULL));
  g_assert_true (g_file_get_contents (chain_path, &chain_before, NULL, NULL));
  g_assert_true (g_file_get_contents (key_path, &key_before, NULL, NULL));

  /* the CA keeps failing: every order attempt answers 500 */
  gcert_test_proxy_add_fault (fx->proxy, "POST", "/order-plz", GCERT_TEST_FAULT_500, 1000);
  result = issue (fx, NULL);
  g_assert_false (result->success);
  g_assert_nonnull (result->error);

  g_assert_true (g_file_get_contents (chain_path, &chain_after, NULL, NULL));
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (chain_before, ==, chain_after);
  g_assert_cmpstr (key_before, ==, key_after);
  assert_live_valid (fx);
}

static void
test_wrong_types (Fixture       *fx,
                  gconstpointer  data)
{
  GCertRenewResult *result;

  /* valid JSON of the wrong shape is a broken CA, not a passing fault: a
   * clear error, and nothing stored */
  gcert_test_proxy_add_fault (fx->proxy, "POST", "/authZ/", GCERT_TEST_FAULT_WRONG_TYPES, 100);
  result = issue (fx, NULL);
  g_assert_false (result->success);
  g_assert_error (result->error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  assert_no_live (fx);
}

static const FaultCase fault_cases[] = {
  { "POST", "/order-plz", GCERT_TEST_FAULT_503_RETRY_SECONDS, 2 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_429_RETRY_DATE, 2 },
  { "POST", "/order-plz", GCERT_TEST_FAULT_503_RETRY_GARBAGE, 2 },
  { "POST", "/my-order/", GCERT_TEST_FAULT_500, 3 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_RESET, 2 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_TRUNCATE, 2 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_INVALID_JSON, 2 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_HUGE_BODY, 1 },
  { "POST", "/order-plz", GCERT_TEST_FAULT_WRONG_CONTENT_TYPE, 1 },
  { "POST", "/authZ/", GCERT_TEST_FAULT_HANG, 1 },
  { "POST", "/chalZ/", GCERT_TEST_FAULT_LOSE_ANSWER, 1 },
  { "POST", "/chalZ/", GCERT_TEST_FAULT_500, 1 },
  { "POST", "/certZ/", GCERT_TEST_FAULT_CHAIN_GARBAGE, 1 },
  { "POST", "/certZ/", GCERT_TEST_FAULT_CHAIN_OTHER, 1 },
  { "POST", "/certZ/", GCERT_TEST_FAULT_TRUNCATE, 1 },
  { "HEAD", "/nonce-plz", GCERT_TEST_FAULT_RESET, 1 },
  { "GET", "/dir", GCERT_TEST_FAULT_503_RETRY_SECONDS, 1 },
  { "POST", "/order-plz", GCERT_TEST_FAULT_BAD_NONCE_AS_HTML, 2 },
};

static const char * const fault_names[] = {
  "503-retry-seconds-order", "429-retry-date-authz", "503-retry-garbage-order",
  "500-order-poll", "reset-authz", "truncate-authz", "invalid-json-authz",
"huge-body-authz", "wrong-content-type-order", "hang-authz",
  "lost-challenge-answer", "500-challenge", "chain-garbage", "chain-other",
  "truncate-certificate", "reset-nonce", "503-directory", "bad-nonce-as-html-order",
};

int
main (int    argc,
      char **argv)
{
  int status;

  G_STATIC_ASSERT (G_N_ELEMENTS (fault_cases) == G_N_ELEMENTS (fault_names));
  g_test_init (&argc, &argv, NULL);

  /* no authorization reuse: every issuance goes through the DNS step */
  pebble = gcert_test_start_pebble (NULL, &pebble_root);

  g_test_add ("/gcert/fault/clean", Fixture, NULL, fixture_setup, test_clean, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gcert/fault/%s", fault_names[i]);

      g_test_add (path, Fixture, &fault_cases[i], fixture_setup, test_fault, fixture_teardown);
    }
  g_test_add ("/gcert/fault/random", Fixture, NULL, fixture_setup, test_random_faults, fixture_teardown);
  g_test_add ("/gcert/fault/lost-finalize", Fixture, NULL, fixture_setup, test_lost_finalize, fixture_teardown);
  g_test_add ("/gcert/fault/chain-always-other", Fixture, NULL, fixture_setup, test_chain_always_wrong, fixture_teardown);
  g_test_add ("/gcert/fault/chain-always-garbage", Fixture, NULL, fixture_setup, test_chain_always_garbage, fixture_teardown);
  g_test_add ("/gcert/fault/cross-origin", Fixture, NULL, fixture_setup, test_cross_origin, fixture_teardown);
  g_test_add ("/gcert/fault/failure-keeps-live", Fixture, NULL, fixture_setup, test_failure_keeps_live, fixture_teardown);
  g_test_add ("/gcert/fault/wrong-types", Fixture, NULL, fixture_setup, test_wrong_types, fixture_teardown);

  status = g_test_run ();
  g_free (pebble_root);
  gcert_test_pebble_stop (pebble);
  return status;
}
