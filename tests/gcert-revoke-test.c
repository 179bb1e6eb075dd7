/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Revocation (RFC 8555 §7.6) through GCertManager against a real Pebble:
 * the CA revokes, the store remembers, the next renewal replaces the
 * certificate; bad requests change nothing. And the run's progress in
 * percent. */
#include "config.h"

#include <string.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

static GCertTestPebble *pebble;

typedef struct {
  char    *dir;
  char    *state;
  char    *conf_path;
  GString *progress;   /* "NAME: MESSAGE" lines */
  GArray  *percents;   /* guint, as "run-progress" gave them */
  GPtrArray *events;   /* both in order: "P PERCENT", "M NAME: MESSAGE" */
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->dir = gcert_test_mkdtemp ("gcert-revoke");
  fx->state = g_build_filename (fx->dir, "state", NULL);
  fx->conf_path = g_build_filename (fx->dir, "gcert.conf", NULL);
  fx->progress = g_string_new (NULL);
  fx->percents = g_array_new (FALSE, FALSE, sizeof (guint));
  fx->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  gcert_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->state);
  g_free (fx->conf_path);
  g_string_free (fx->progress, TRUE);
  g_array_unref (fx->percents);
  g_ptr_array_unref (fx->events);
}

static void
progress_cb (GCertManager *manager,
             const char   *name,
             const char   *message,
             Fixture      *fx)
{
  g_string_append_printf (fx->progress, "%s: %s\n", name, message);
  g_ptr_array_add (fx->events, g_strdup_printf ("M %s: %s", name, message));
}

static void
run_progress_cb (GCertManager *manager,
                 guint         percent,
                 Fixture      *fx)
{
  g_array_append_val (fx->percents, percent);
  g_ptr_array_add (fx->events, g_strdup_printf ("P %u", percent));
}

/* A manager for Pebble with the certificates "rev" (rev.test) and "other"
 * (other.test), and "never", which no test issues. */
static GCertManager *
manager_new_full (Fixture    *fx,
                  const char *dns_url,
                  const char *extra)
{
  g_autofree char *text = NULL;
  g_autofree char *certificates = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  GCertManager *manager;

  certificates = g_strconcat ("[certificate rev]\ndomains = rev.test\ndns = test\n\n"
                              "[certificate other]\ndomains = other.test\ndns = test\n\n"
                              "[certificate never]\ndomains = never.test\ndns = test\n\n",
                              extra, NULL);
  text = gcert_test_pebble_config (pebble, fx->state, certificates);
  if (dns_url != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (text, pebble->challtestsrv_url, -1);

      g_free (text);
      text = g_strjoinv (dns_url, parts);
    }
  config = gcert_config_load_from_data (text, fx->conf_path, &error);
  g_assert_no_error (error);
  manager = gcert_manager_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (manager, "progress", G_CALLBACK (progress_cb), fx);
  g_signal_connect (manager, "run-progress", G_CALLBACK (run_progress_cb), fx);
  return manager;
}

static GCertManager *
manager_new (Fixture *fx)
{
  return manager_new_full (fx, NULL, NULL);
}

static GPtrArray *
renew (Fixture            *fx,
       GCertManager       *manager,
       const char * const *names)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *results;

  g_array_set_size (fx->percents, 0);
  results = gcert_test_renew (manager, names, GCERT_RENEW_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (results);
  return results;
}

static GCertRenewResult *
find_result (GPtrArray  *results,
             const char *name)
{
  for (guint i = 0; i < results->len; i++)
    {
      GCertRenewResult *result = g_ptr_array_index (results, i);

      if (g_strcmp0 (result->name, name) == 0)
        return result;
    }
  g_assert_not_reached ();
  return NULL;
}

static gboolean
do_revoke (Fixture       *fx,
           GCertManager  *manager,
           const char    *name,
           guint          reason,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_array_set_size (fx->percents, 0);
  gcert_manager_revoke_async (manager, name, reason, NULL, gcert_test_result_cb, &result);
  return gcert_manager_revoke_finish (manager, gcert_test_wait_for (&result), error);
}

static JsonObject *
describe (GCertManager *manager,
          const char   *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = gcert_manager_describe (manager, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* The run's percentages: 0 first, never smaller than the one before, 100
 * last and only there. Returns how many lay strictly between. */
static guint
assert_run_progress (Fixture *fx)
{
  g_autoptr(GString) shown = g_string_new (NULL);
  guint between = 0;

  for (guint i = 0; i < fx->percents->len; i++)
    g_string_append_printf (shown, " %u", g_array_index (fx->percents, guint, i));
  g_test_message ("run-progress:%s", shown->str);

  g_assert_cmpuint (fx->percents->len, >=, 2);
  g_assert_cmpuint (g_array_index (fx->percents, guint, 0), ==, 0);
  g_assert_cmpuint (g_array_index (fx->percents, guint, fx->percents->len - 1), ==, 100);
  for (guint i = 1; i < fx->percents->len; i++)
    {
      guint value = g_array_index (fx->percents, guint, i);

      g_assert_cmpuint (value, >=, g_array_index (fx->percents, guint, i - 1));
      if (i < fx->percents->len - 1)
        g_assert_cmpuint (value, <, 100);
      if (value > 0 && value < 100)
        between++;
    }
  return between;
}

/* What Pebble says of the certificate with @serial (hex), from its
 * management interface: {"Status": "Valid"|"Revoked", "Reason": …, …} */
static JsonObject *
pebble_cert_status (const char *serial)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  gsize length = 0;
  const char *text;

  session = gcert_test_session_new (pebble->ca_certificates, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("%s/cert-status-by-serial/%s", pebble->management_url, serial);
  body = gcert_test_http_request (session, "GET", url, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  text = g_bytes_get_data (body, &length);
  g_test_message ("%s: %.*s", url, (int) length, text);
  g_assert_true (json_parser_load_from_data (parser, text, (gssize) length, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
live_serial (GCertManager *manager,
             const char   *name)
{
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GError) error = NULL;

  live = gcert_store_load_live (gcert_manager_get_store (manager), name, &error);
  g_assert_no_error (error);
  return gcert_certificate_get_serial (live);
}

static GBytes *
live_der (GCertManager *manager,
          const char   *name)
{
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) base64 = g_string_new (NULL);
  gsize length = 0;
  guchar *der;

  live = gcert_store_load_live (gcert_manager_get_store (manager), name, &error);
  g_assert_no_error (error);
  pem = gcert_certificate_get_leaf_pem (live);
  lines = g_strsplit (pem, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (!g_str_has_prefix (lines[i], "-----"))
        g_string_append (base64, lines[i]);
    }
  der = g_base64_decode (base64->str, &length);
  return g_bytes_new_take (der, length);
}

/* Everything a revocation must leave alone when it fails: the live link,
 * each file of the certificate's directories, and the run record. */
static char *
snapshot (Fixture    *fx,
          const char *name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *live = g_build_filename (fx->state, "live", name, NULL);
  g_autofree char *link = g_file_read_link (live, NULL);
  g_autofree char *cert_dir = g_build_filename (fx->state, "certificates", name, NULL);
  g_autofree char *listing = gcert_test_list_dir (cert_dir);
  const char *files[] = { "privkey.pem", "cert.pem", "chain.pem", "fullchain.pem" };

  g_string_append_printf (out, "live -> %s\n%s: %s\n", link ? link : "(none)", cert_dir,
                          listing);
  for (gsize i = 0; link != NULL && i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (live, files[i], NULL);
      g_autofree char *text = gcert_test_read_file (path);

      g_string_append_printf (out, "%s:\n%s", files[i], text);
    }
  {
    g_autofree char *run = g_build_filename (cert_dir, "run.json", NULL);
    g_autofree char *text = NULL;

    if (g_file_get_contents (run, &text, NULL, NULL))
      g_string_append_printf (out, "run.json:\n%s", text);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Issue, revoke with reason 4, see the CA and the store agree, and let the
 * next ordinary renewal replace it. */
static void
test_revoke_and_renew (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GCertManager) manager = manager_new (fx);
  const char * const both[] = { "rev", "other", NULL };
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) revoked_at = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *revoked_text = NULL;
  g_autofree char *new_serial = NULL;
  GCertRenewResult *result;

  first = renew (fx, manager, both);
  g_assert_true (find_result (first, "rev")->success);
  g_assert_true (find_result (first, "other")->success);
  g_assert_cmpuint (find_result (first, "rev")->version, ==, 1);
  /* two issuances: the steps of each show between 0 and 100 */
  g_assert_cmpuint (assert_run_progress (fx), >=, 4);

  serial = live_serial (manager, "rev");
  status = pebble_cert_status (serial);
  g_assert_cmpstr (json_object_get_string_member (status, "Status"), ==, "Valid");
  g_clear_pointer (&status, json_object_unref);

  g_string_truncate (fx->progress, 0);
  g_assert_true (do_revoke (fx, manager, "rev", 4, &error));
  g_assert_no_error (error);
  assert_run_progress (fx);
  gcert_test_assert_contains (fx->progress->str, "rev: revoking version 1");
  gcert_test_assert_contains (fx->progress->str, "superseded");
  gcert_test_assert_contains (fx->progress->str, "version 1 is revoked");

  /* the CA's own view */
  status = pebble_cert_status (serial);
  g_assert_cmpstr (json_object_get_string_member (status, "Status"), ==, "Revoked");
  g_assert_cmpint (json_object_get_int_member (status, "Reason"), ==, 4);

  /* the CA refuses to revoke it again, with its own problem type */
  {
    g_autoptr(GCertAcmeClient) client = NULL;
    g_autoptr(GCertKey) key = NULL;
    g_autoptr(GBytes) der = live_der (manager, "rev");
    g_autoptr(GAsyncResult) res = NULL;
    g_autofree char *url = NULL;
    GCertConfig *config = gcert_manager_get_config (manager);

    g_assert_true (gcert_store_load_account (gcert_manager_get_store (manager),
                                             gcert_config_get_ca_id (config), &key, &url,
                                             &error));
    g_assert_no_error (error);
    client = gcert_acme_client_new (pebble->directory_url, pebble->ca_certificates, &error);
    g_assert_no_error (error);
    gcert_acme_client_set_account (client, key, url);
    gcert_acme_client_revoke_async (client, der, 4, NULL, gcert_test_result_cb, &res);
    g_assert_false (gcert_acme_client_revoke_finish (client, gcert_test_wait_for (&res),
                                                     &error));
    g_assert_error (error, GCERT_ACME_ERROR, GCERT_ACME_ERROR_ALREADY_REVOKED);
    g_assert_cmpstr (error->message, ==,
                     "revoking the certificate: the CA has already revoked this certificate");
    g_clear_error (&error);

    /* bad input: nothing to send, and bytes that are no certificate */
    {
      g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
      g_autoptr(GBytes) garbage = g_bytes_new_static ("not a certificate", 17);

      g_clear_object (&res);
      gcert_acme_client_revoke_async (client, empty, 4, NULL, gcert_test_result_cb, &res);
      g_assert_false (gcert_acme_client_revoke_finish (client, gcert_test_wait_for (&res),
                                                       &error));
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
      g_clear_error (&error);
      g_clear_object (&res);
      gcert_acme_client_revoke_async (client, garbage, 4, NULL, gcert_test_result_cb, &res);
      g_assert_false (gcert_acme_client_revoke_finish (client, gcert_test_wait_for (&res),
                                                       &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == GCERT_ACME_ERROR);
      g_assert_true (g_str_has_prefix (error->message, "revoking the certificate: "));
      g_test_message ("garbage: %s", error->message);
      g_clear_error (&error);
    }
  }

  /* the store says so */
  info = describe (manager, "rev");
  g_assert_cmpstr (json_object_get_string_member (info, "status"), ==, "revoked");
  revoked_text = g_strdup (json_object_get_string_member (info, "revoked"));
  revoked_at = g_date_time_new_from_iso8601 (revoked_text, NULL);
  g_assert_nonnull (revoked_at);
  g_assert_cmpint (json_object_get_int_member (info, "revocation-reason"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (info, "next-due"), ==, revoked_text);
  /* the files stay where they are */
  g_assert_cmpint (json_object_get_int_member (info, "version"), ==, 1);
  g_clear_pointer (&info, json_object_unref);

  /* a second revocation is a success: the CA's alreadyRevoked is the
   * outcome asked for, and the first time stays */
  g_string_truncate (fx->progress, 0);
  g_assert_true (do_revoke (fx, manager, "rev", 1, &error));
  g_assert_no_error (error);
  gcert_test_assert_contains (fx->progress->str, "already revoked");
  info = describe (manager, "rev");
  g_assert_cmpstr (json_object_get_string_member (info, "revoked"), ==, revoked_text);
  g_assert_cmpint (json_object_get_int_member (info, "revocation-reason"), ==, 4);
  g_clear_pointer (&info, json_object_unref);

  /* an ordinary renewal replaces it; the other certificate is not due */
  second = renew (fx, manager, NULL);
  result = find_result (second, "rev");
  g_assert_true (result->attempted);
  g_assert_no_error (result->error);
  g_assert_true (result->success);
  g_assert_cmpstr (result->reason, ==, "revoked");
  g_assert_cmpuint (result->version, ==, 2);
  g_assert_false (find_result (second, "other")->attempted);
  g_assert_cmpuint (assert_run_progress (fx), >=, 2);

  info = describe (manager, "rev");
  g_assert_cmpstr (json_object_get_string_member (info, "status"), ==, "valid");
  g_assert_true (json_object_get_null_member (info, "revoked"));
  g_assert_true (json_object_get_null_member (info, "revocation-reason"));
  g_assert_cmpint (json_object_get_int_member (info, "version"), ==, 2);
  g_clear_pointer (&info, json_object_unref);
  new_serial = live_serial (manager, "rev");
  g_assert_cmpstr (new_serial, !=, serial);
  g_clear_pointer (&status, json_object_unref);
  status = pebble_cert_status (new_serial);
  g_assert_cmpstr (json_object_get_string_member (status, "Status"), ==, "Valid");

  /* and the next run leaves it alone */
  g_clear_pointer (&second, g_ptr_array_unref);
  second = renew (fx, manager, NULL);
  g_assert_false (find_result (second, "rev")->attempted);
  g_assert_cmpuint (find_result (second, "rev")->version, ==, 2);
}

/* A revoked certificate whose renewal fails stays "revoked" (what is
 * served matters most) and is tried again at the next run, without the
 * pause that spares the CA after failures. */
static void
test_renewal_fails (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GCertManager) manager = manager_new (fx);
  g_autoptr(GCertManager) broken = NULL;
  const char * const rev[] = { "rev", NULL };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) dead = NULL;
  g_autofree char *dead_url = NULL;
  guint16 port = 0;

  results = renew (fx, manager, rev);
  g_assert_true (find_result (results, "rev")->success);
  g_assert_true (do_revoke (fx, manager, "rev", 5, &error));
  g_assert_no_error (error);

  /* the DNS provider's API refuses every connection */
  dead = gcert_test_listen_loopback (G_SOCKET_TYPE_STREAM, 0, &port);
  g_socket_close (dead, NULL);
  dead_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  broken = manager_new_full (fx, dead_url, NULL);
  for (guint attempt = 1; attempt <= 2; attempt++)
    {
      GCertRenewResult *result;

      g_clear_pointer (&results, g_ptr_array_unref);
      results = renew (fx, broken, rev);
      result = find_result (results, "rev");
      g_assert_true (result->attempted);
      g_assert_false (result->success);
      g_assert_nonnull (result->error);
      g_assert_cmpstr (result->reason, ==, "revoked");
      assert_run_progress (fx);

      info = describe (broken, "rev");
      g_assert_cmpstr (json_object_get_string_member (info, "status"), ==, "revoked");
      g_assert_cmpstr (json_object_get_string_member (info, "last-result"), ==, "failure");
      g_assert_cmpint (json_object_get_int_member (info, "failures"), ==, attempt);
      g_assert_cmpint (json_object_get_int_member (info, "revocation-reason"), ==, 5);
      g_clear_pointer (&info, json_object_unref);
    }

  /* with the DNS back, the next run replaces it */
  g_clear_pointer (&results, g_ptr_array_unref);
  results = renew (fx, manager, rev);
  g_assert_true (find_result (results, "rev")->success);
  g_assert_cmpuint (find_result (results, "rev")->version, ==, 2);
  info = describe (manager, "rev");
  g_assert_cmpstr (json_object_get_string_member (info, "status"), ==, "valid");
}

static void
assert_refused (Fixture      *fx,
                GCertManager *manager,
                const char   *name,
                guint         reason,
                int           code,
                const char   *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (do_revoke (fx, manager, name, reason, &error));
  g_assert_error (error, GCERT_ERROR, code);
  gcert_test_assert_contains (error->message, message);
  /* a refused run ends too */
  assert_run_progress (fx);
}

/* Unknown names, a name without a live version, unsupported reasons, a
 * certificate locked by a renewal: clear errors, and nothing changes, at
 * the CA or in the store. */
static void
test_bad_input (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GCertManager) manager = manager_new (fx);
  const char * const rev[] = { "rev", NULL };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *never_dir = g_build_filename (fx->state, "certificates", "never", NULL);
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  const guint unsupported[] = { 2, 6, 7, 8, 9, 10, 11, 4294967295u };

  results = renew (fx, manager, rev);
  g_assert_true (find_result (results, "rev")->success);
  serial = live_serial (manager, "rev");
  before = snapshot (fx, "rev");

  message = g_strdup_printf ("%s: there is no [certificate unknown]", fx->conf_path);
  assert_refused (fx, manager, "unknown", 4, GCERT_ERROR_CONFIG, message);
  assert_refused (fx, manager, "../rev", 4, GCERT_ERROR_CONFIG, "there is no [certificate ../rev]");
  assert_refused (fx, manager, "", 4, GCERT_ERROR_CONFIG, "there is no [certificate ]");
  assert_refused (fx, manager, "never", 4, GCERT_ERROR_NOT_FOUND,
                  "certificate never has no live version");
  g_assert_false (g_file_test (never_dir, G_FILE_TEST_EXISTS));
  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    {
      g_autofree char *expected = g_strdup_printf ("unsupported revocation reason %u",
                                                   unsupported[i]);

      assert_refused (fx, manager, "rev", unsupported[i], GCERT_ERROR_CONFIG, expected);
    }

  /* a renewal of it is running (its lock is held) */
  {
    g_autoptr(GCertStoreLock) lock = NULL;

    lock = gcert_store_lock (gcert_manager_get_store (manager), "rev", FALSE, &error);
    g_assert_no_error (error);
    assert_refused (fx, manager, "rev", 4, GCERT_ERROR_LOCKED, "certificate rev is locked");
  }

  after = snapshot (fx, "rev");
  g_assert_cmpstr (after, ==, before);
  status = pebble_cert_status (serial);
  g_assert_cmpstr (json_object_get_string_member (status, "Status"), ==, "Valid");
  info = describe (manager, "rev");
  g_assert_cmpstr (json_object_get_string_member (info, "status"), ==, "valid");
  g_assert_true (json_object_get_null_member (info, "revoked"));
}

/* The CA that issued the live version is the one to ask: with the config
 * pointing at another CA, the revocation is refused before any request. */
static void
test_other_ca (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GCertManager) manager = manager_new (fx);
  const char * const rev[] = { "rev", NULL };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GCertRunRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GCertStore *store = gcert_manager_get_store (manager);
  guint requests;

  results = renew (fx, manager, rev);
  g_assert_true (find_result (results, "rev")->success);
  record = gcert_store_load_run_record (store, "rev", &error);
  g_assert_no_error (error);
  g_free (record->ca);
  record->ca = g_strdup ("https://ca.invalid/directory");
  g_assert_true (gcert_store_save_run_record (store, "rev", record, &error));
  g_assert_no_error (error);
  before = snapshot (fx, "rev");
  requests = gcert_manager_get_request_count (manager);

  g_assert_false (do_revoke (fx, manager, "rev", 0, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message, "https://ca.invalid/directory");
  g_assert_cmpuint (gcert_manager_get_request_count (manager), ==, requests);
  after = snapshot (fx, "rev");
  g_assert_cmpstr (after, ==, before);
}

static gint
find_event (Fixture    *fx,
            const char *needle)
{
  for (guint i = 0; i < fx->events->len; i++)
    {
      if (strstr (g_ptr_array_index (fx->events, i), needle) != NULL)
        return (gint) i;
    }
  g_assert_not_reached ();
  return -1;
}

/* the percentages among @fx's events from @first to before @last */
static guint
count_percents_between (Fixture *fx,
                        gint     first,
                        gint     last,
                        guint    low,
                        guint    high)
{
  guint count = 0;

  for (gint i = first; i < last; i++)
    {
      const char *event = g_ptr_array_index (fx->events, i);

      if (g_str_has_prefix (event, "P "))
        {
          guint percent = (guint) g_ascii_strtoull (event + 2, NULL, 10);

          g_assert_cmpuint (percent, >, low);
          g_assert_cmpuint (percent, <, high);
          count++;
        }
    }
  return count;
}

/* "run-progress" moves on inside an issuance, between its first request
 * and its download, and with each deployment; each certificate counts
 * equally: one not due is half of a run of two once that is decided. */
static void
test_run_progress (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GCertManager) manager = NULL;
  const char * const rev[] = { "rev", NULL };
  const char * const both[] = { "rev", "other", NULL };
  const char * const deployed[] = { "dep", NULL };
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *extra = NULL;
  gint ordering, downloading;
  guint inside = 0;
  guint last = 0;

  extra = g_strdup_printf ("[deploy one]\nplugin = exec\nprogram = %s\n\n"
                           "[deploy two]\nplugin = exec\nprogram = %s\n\n"
                           "[certificate dep]\ndomains = dep.test\ndns = test\n"
                           "deploy = one;two\n", "true", "true");
  manager = manager_new_full (fx, NULL, extra);

  g_ptr_array_set_size (fx->events, 0);
  results = renew (fx, manager, rev);
  g_assert_true (find_result (results, "rev")->success);
  g_assert_cmpuint (assert_run_progress (fx), >=, 5);
  ordering = find_event (fx, "M rev: ordering a certificate");
  downloading = find_event (fx, "M rev: downloading the certificate");
  g_assert_cmpint (ordering, <, downloading);
  for (gint i = ordering; i < downloading; i++)
    {
      const char *event = g_ptr_array_index (fx->events, i);

      if (g_str_has_prefix (event, "P "))
        {
          guint percent = (guint) g_ascii_strtoull (event + 2, NULL, 10);

          g_assert_cmpuint (percent, >, 0);
          g_assert_cmpuint (percent, <, 100);
          g_assert_cmpuint (percent, >, last);
          last = percent;
          inside++;
        }
    }
  /* order created, records written, propagation seen, validated, finalized */
  g_assert_cmpuint (inside, >=, 4);

  /* "other" is new, "rev" not due: decided at once, it is half the run */
  g_clear_pointer (&results, g_ptr_array_unref);
  g_ptr_array_set_size (fx->events, 0);
  results = renew (fx, manager, both);
  g_assert_false (find_result (results, "rev")->attempted);
  g_assert_true (find_result (results, "other")->success);
  assert_run_progress (fx);
  g_assert_cmpstr (g_ptr_array_index (fx->events, 1), ==, "P 50");

  /* each of two targets moves it on, after the certificate is stored */
  g_clear_pointer (&results, g_ptr_array_unref);
  g_ptr_array_set_size (fx->events, 0);
  results = renew (fx, manager, deployed);
  g_assert_true (find_result (results, "dep")->success);
  g_assert_cmpuint (g_strv_length (find_result (results, "dep")->deployed), ==, 2);
  assert_run_progress (fx);
  g_assert_cmpuint (count_percents_between (fx, find_event (fx, "M dep: deploying version 1 to one"),
                                            find_event (fx, "M dep: deployed version 1 to two"),
                                            89, 100), ==, 1);
}

/* Names and numbers of the reasons a caller may give. */
static void
test_reasons (void)
{
  const struct {
    const char *text;
    guint       code;
  } good[] = {
    { "0", 0 }, { "unspecified", 0 }, { "1", 1 }, { "keyCompromise", 1 },
    { "3", 3 }, { "affiliationchanged", 3 }, { "4", 4 }, { "SUPERSEDED", 4 },
    { "5", 5 }, { "cessationOfOperation", 5 },
  };
  const char *bad[] = { "2", "6", "8", "9", "10", "-1", "", "4x", "certificateHold",
                        "removeFromCRL", "99999999999999999999" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      guint code = 77;

      g_assert_true (gcert_revocation_reason_from_string (good[i].text, &code, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (code, ==, good[i].code);
      g_assert_nonnull (gcert_revocation_reason_to_string (code));
    }
  g_assert_cmpstr (gcert_revocation_reason_to_string (4), ==, "superseded");
  g_assert_null (gcert_revocation_reason_to_string (2));
  g_assert_null (gcert_revocation_reason_to_string (6));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint code = 77;

      g_assert_false (gcert_revocation_reason_from_string (bad[i], &code, &error));
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
      gcert_test_assert_contains (error->message, "unsupported revocation reason");
      g_assert_cmpuint (code, ==, 77);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  pebble = gcert_test_start_pebble (NULL, NULL);

  g_test_add_func ("/gcert/revoke/reasons", test_reasons);
  g_test_add ("/gcert/revoke/revoke-and-renew", Fixture, NULL, fixture_setup,
              test_revoke_and_renew, fixture_teardown);
  g_test_add ("/gcert/revoke/renewal-fails", Fixture, NULL, fixture_setup,
              test_renewal_fails, fixture_teardown);
  g_test_add ("/gcert/revoke/bad-input", Fixture, NULL, fixture_setup,
              test_bad_input, fixture_teardown);
  g_test_add ("/gcert/revoke/other-ca", Fixture, NULL, fixture_setup,
              test_other_ca, fixture_teardown);
  g_test_add ("/gcert/revoke/run-progress", Fixture, NULL, fixture_setup,
              test_run_progress, fixture_teardown);

  status = g_test_run ();
  gcert_test_pebble_stop (pebble);
  return status;
}
