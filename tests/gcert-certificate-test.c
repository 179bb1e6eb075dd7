/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "gcert-test-util.h"

static GCertCertificate *
parse (const char *pem)
{
  g_autoptr(GError) error = NULL;
  GCertCertificate *cert = gcert_certificate_new_from_pem (pem, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cert);
  return cert;
}

/* a leaf for @names valid from an hour ago for 90 days */
static char *
issue (GCertKey            *key,
       const char * const  *names,
       char               **out_ca_pem)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) not_before = g_date_time_add_hours (now, -1);
  g_autoptr(GDateTime) not_after = g_date_time_add_days (now, 90);

  return gcert_test_issue_certificate (key, names, not_before, not_after,
                                       out_ca_pem);
}

static void
test_certificate_parse (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *names[] = { "www.example.org", "Example.ORG", "*.example.org",
                          "example.org", NULL };
  const char *expected[] = { "*.example.org", "example.org", "www.example.org",
                             NULL };
  g_autoptr(GDateTime) not_before = g_date_time_new_utc (2024, 3, 1, 12, 0, 0);
  g_autoptr(GDateTime) not_after = g_date_time_new_utc (2099, 5, 30, 23, 59, 59);
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GCertCertificate) leaf_only = NULL;
  g_autoptr(GDateTime) nb = NULL;
  g_autoptr(GDateTime) na = NULL;
  g_auto(GStrv) cert_names = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *leaf_pem = NULL;
  g_autofree char *issuers_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *leaf_serial = NULL;
  GCertKeyType type;

  pem = gcert_test_issue_certificate (key, names, not_before, not_after, &ca_pem);
  cert = parse (pem);

  g_assert_cmpuint (gcert_certificate_get_chain_length (cert), ==, 2);
  cert_names = gcert_certificate_get_names (cert);
  g_assert_cmpstrv (cert_names, expected);

  nb = gcert_certificate_get_not_before (cert);
  na = gcert_certificate_get_not_after (cert);
  g_assert_cmpint (g_date_time_compare (nb, not_before), ==, 0);
  g_assert_cmpint (g_date_time_compare (na, not_after), ==, 0);

  serial = gcert_certificate_get_serial (cert);
  g_assert_cmpuint (strlen (serial), ==, 32);
  for (const char *p = serial; *p != '\0'; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));

  issuer = gcert_certificate_get_issuer (cert);
  g_assert_true (g_str_has_prefix (issuer, "CN=gcert test CA "));
  g_assert_true (g_str_has_suffix (issuer, ",O=gcert tests"));

  g_assert_true (gcert_certificate_get_key_type (cert, &type));
  g_assert_cmpint (type, ==, GCERT_KEY_TYPE_EC_256);

  /* the parts, re-encoded */
  leaf_pem = gcert_certificate_get_leaf_pem (cert);
  issuers_pem = gcert_certificate_get_issuers_pem (cert);
  chain_pem = gcert_certificate_get_chain_pem (cert);
  g_assert_cmpstr (issuers_pem, ==, ca_pem);
  g_assert_cmpstr (chain_pem, ==, pem);
  g_assert_true (g_str_has_prefix (pem, leaf_pem));
  leaf_only = parse (leaf_pem);
  g_assert_cmpuint (gcert_certificate_get_chain_length (leaf_only), ==, 1);
  leaf_serial = gcert_certificate_get_serial (leaf_only);
  g_assert_cmpstr (leaf_serial, ==, serial);
  g_clear_pointer (&issuers_pem, g_free);
  issuers_pem = gcert_certificate_get_issuers_pem (leaf_only);
  g_assert_cmpstr (issuers_pem, ==, "");
}

static void
test_certificate_crlf (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *names[] = { "example.org", NULL };
  g_autofree char *pem = issue (key, names, NULL);
  g_auto(GStrv) lines = g_strsplit (pem, "\n", -1);
  g_autofree char *crlf = g_strjoinv ("\r\n", lines);
  g_autofree char *padded = g_strconcat ("\n\n  ", crlf, "\n\t\n", NULL);
  g_autoptr(GCertCertificate) cert = parse (padded);

  g_assert_cmpuint (gcert_certificate_get_chain_length (cert), ==, 2);
}

static void
check_key_type (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  const char *names[] = { "example.net", NULL };
  g_autofree char *pem = issue (key, names, NULL);
  g_autoptr(GCertCertificate) cert = parse (pem);
  GCertKeyType cert_type;

  g_assert_true (gcert_certificate_get_key_type (cert, &cert_type));
  g_assert_cmpint (cert_type, ==, type);
  g_assert_true (gcert_certificate_matches_key (cert, key));
}

static void
test_certificate_matches_key (void)
{
  const char *names[] = { "example.org", NULL };
  g_autofree char *pem = issue (gcert_test_get_key (GCERT_KEY_TYPE_EC_256), names, NULL);
  g_autoptr(GCertCertificate) cert = parse (pem);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) other = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_autoptr(GCertKey) reloaded = NULL;
  g_autofree char *key_pem = NULL;

  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, gcert_test_get_key (GCERT_KEY_TYPE_EC_256)));
  g_assert_false (gcert_certificate_matches_key (cert, other));
  g_assert_false (gcert_certificate_matches_key (cert, gcert_test_get_key (GCERT_KEY_TYPE_EC_384)));
  g_assert_false (gcert_certificate_matches_key (cert, gcert_test_get_key (GCERT_KEY_TYPE_RSA_2048)));

  /* the same key read back from disk still matches */
  key_pem = gcert_key_to_pem (gcert_test_get_key (GCERT_KEY_TYPE_EC_256), &error);
  g_assert_no_error (error);
  reloaded = gcert_key_new_from_pem (key_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, reloaded));
}

static void
test_certificate_check_names (void)
{
  const char *names[] = { "a.example", "b.example", "*.c.example", NULL };
  g_autofree char *pem = issue (gcert_test_get_key (GCERT_KEY_TYPE_EC_256), names, NULL);
  g_autoptr(GCertCertificate) cert = parse (pem);
  const char *same[] = { "*.C.example", "B.EXAMPLE", "a.example", "b.example", NULL };
  const char *fewer[] = { "a.example", "b.example", NULL };
  const char *more[] = { "a.example", "b.example", "*.c.example", "d.example", NULL };
  const char *other[] = { "a.example", "x.example", NULL };
  const char *none[] = { NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_certificate_check_names (cert, same, &error));
  g_assert_no_error (error);

  g_assert_false (gcert_certificate_check_names (cert, fewer, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "*.c.example"));
  g_assert_null (strstr (error->message, "missing"));
  g_clear_error (&error);

  g_assert_false (gcert_certificate_check_names (cert, more, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "missing: d.example"));
  g_assert_null (strstr (error->message, "a.example"));
  g_clear_error (&error);

  g_assert_false (gcert_certificate_check_names (cert, other, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "missing: x.example"));
  g_assert_nonnull (strstr (error->message, "not requested: *.c.example, b.example"));
  g_clear_error (&error);

  g_assert_false (gcert_certificate_check_names (cert, none, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

static void
test_certificate_verify_chain (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *names[] = { "example.org", NULL };
  g_autofree char *ca_pem = NULL;
  g_autofree char *other_ca_pem = NULL;
  g_autofree char *pem = issue (key, names, &ca_pem);
  g_autofree char *other_pem = issue (key, names, &other_ca_pem);
  g_autofree char *both_cas = g_strconcat (other_ca_pem, ca_pem, NULL);
  g_autoptr(GCertCertificate) cert = parse (pem);
  g_autoptr(GCertCertificate) leaf_only = NULL;
  g_autoptr(GCertCertificate) mixed = NULL;
  g_autofree char *leaf_pem = gcert_certificate_get_leaf_pem (cert);
  g_autofree char *mixed_pem = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_certificate_verify_chain (cert, ca_pem, &error));
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_verify_chain (cert, both_cas, &error));
  g_assert_no_error (error);

  /* the leaf alone chains to the anchor */
  leaf_only = parse (leaf_pem);
  g_assert_true (gcert_certificate_verify_chain (leaf_only, ca_pem, &error));
  g_assert_no_error (error);

  /* another CA */
  g_assert_false (gcert_certificate_verify_chain (cert, other_ca_pem, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "issuer not trusted"));
  g_clear_error (&error);

  /* a leaf followed by a CA that did not issue it */
  mixed_pem = g_strconcat (leaf_pem, other_ca_pem, NULL);
  mixed = parse (mixed_pem);
  g_assert_false (gcert_certificate_verify_chain (mixed, other_ca_pem, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* unusable anchors */
  g_assert_false (gcert_certificate_verify_chain (cert, "", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (gcert_certificate_verify_chain (cert, "not a certificate", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "reading trust anchors: "));
}

static void
test_certificate_verify_dates (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *names[] = { "example.org", NULL };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) long_ago = g_date_time_add_days (now, -100);
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (now, 1);
  g_autoptr(GDateTime) later = g_date_time_add_days (now, 90);
  g_autofree char *expired_ca = NULL;
  g_autofree char *future_ca = NULL;
  g_autofree char *expired_pem = NULL;
  g_autofree char *future_pem = NULL;
  g_autoptr(GCertCertificate) expired = NULL;
  g_autoptr(GCertCertificate) future = NULL;
  g_autoptr(GError) error = NULL;

  expired_pem = gcert_test_issue_certificate (key, names, long_ago, yesterday,
                                              &expired_ca);
  expired = parse (expired_pem);
  g_assert_false (gcert_certificate_verify_chain (expired, expired_ca, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_clear_error (&error);

  future_pem = gcert_test_issue_certificate (key, names, tomorrow, later,
                                             &future_ca);
  future = parse (future_pem);
  g_assert_false (gcert_certificate_verify_chain (future, future_ca, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not yet valid"));
}

static void
test_certificate_tls_pair (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-certificate-test");
  const char *names[] = { "127.0.0.1", "localhost", "::1", NULL };
  const char *expected[] = { "localhost", NULL };
  g_autofree char *ca_file = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cert_names = NULL;
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(GTlsCertificate) tls_ca = NULL;
  g_autoptr(GSocketConnectable) loopback = NULL;
  GStatBuf st;

  g_assert_true (gcert_test_make_tls_pair (dir, names, &ca_file, &cert_file,
                                           &key_file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (ca_file, &ca_pem, NULL, &error));
  g_assert_true (g_file_get_contents (cert_file, &cert_pem, NULL, &error));
  g_assert_true (g_file_get_contents (key_file, &key_pem, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (key_file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  cert = parse (cert_pem);
  cert_names = gcert_certificate_get_names (cert);
  g_assert_cmpstrv (cert_names, expected);
  key = gcert_key_new_from_pem (key_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, key));
  g_assert_true (gcert_certificate_verify_chain (cert, ca_pem, &error));
  g_assert_no_error (error);

  /* GIO's TLS backend, as libsoup uses it, accepts it for the IP literal */
  tls = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  tls_ca = g_tls_certificate_new_from_file (ca_file, &error);
  g_assert_no_error (error);
  loopback = g_network_address_new ("127.0.0.1", 443);
  g_assert_cmpint (g_tls_certificate_verify (tls, loopback, tls_ca), ==, 0);
  g_clear_object (&loopback);
  loopback = g_network_address_new ("localhost", 443);
  g_assert_cmpint (g_tls_certificate_verify (tls, loopback, tls_ca), ==, 0);
  g_clear_object (&loopback);
  loopback = g_network_address_new ("example.org", 443);
  g_assert_cmpint (g_tls_certificate_verify (tls, loopback, tls_ca), ==,
                   G_TLS_CERTIFICATE_BAD_IDENTITY);

  gcert_test_rm_rf (dir);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
assert_rejected (const char *pem,
                 gssize      length,
                 const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertCertificate) cert = gcert_certificate_new_from_pem (pem, length,
                                                                     &error);

  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_null (cert);
  if (message_part != NULL)
    g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_certificate_garbage (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *names[] = { "example.org", NULL };
  g_autofree char *pem = issue (key, names, NULL);
  g_autoptr(GCertCertificate) cert = parse (pem);
  g_autofree char *leaf = gcert_certificate_get_leaf_pem (cert);
  g_autofree char *issuers = gcert_certificate_get_issuers_pem (cert);
  g_autoptr(GError) error = NULL;
  g_autofree char *key_pem = gcert_key_to_pem (key, &error);
  g_autofree char *with_key = g_strconcat (pem, key_pem, NULL);
  g_autofree char *text_before = g_strconcat ("Subject: example.org\n", pem, NULL);
  g_autofree char *text_between = g_strconcat (leaf, "junk\n", issuers, NULL);
  g_autofree char *text_after = g_strconcat (pem, "trailing", NULL);
  g_autofree char *truncated = g_strndup (pem, strlen (leaf) - 10);
  g_autofree char *corrupted = g_strdup (pem);
  g_autofree char *nested = NULL;
  char *body;

  g_assert_no_error (error);

  assert_rejected ("", -1, "no certificate");
  assert_rejected (" \n\r\n\t", -1, "no certificate");
  assert_rejected ("garbage", -1, NULL);
  assert_rejected ("\x30\x82\x01\x00", 4, NULL);
  assert_rejected (pem, strlen (pem) + 1, "NUL");
  assert_rejected (key_pem, -1, "PRIVATE KEY");
  assert_rejected (with_key, -1, "PRIVATE KEY");
  assert_rejected (text_before, -1, "offset 0");
  assert_rejected (text_between, -1, NULL);
  assert_rejected (text_after, -1, NULL);
  assert_rejected (truncated, -1, "unterminated");
  assert_rejected ("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", -1,
                   "invalid certificate 1");
  assert_rejected ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", -1,
                   "invalid certificate 1");
  assert_rejected ("-----BEGIN CERTIFICATE", -1, NULL);
  assert_rejected ("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n"
                   "-----END CERTIFICATE REQUEST-----\n", -1, "CERTIFICATE REQUEST");

  /* a certificate block that holds another PEM block */
  nested = g_strdup_printf ("-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n",
                            key_pem);
  assert_rejected (nested, -1, NULL);

  /* damage the DER of the second certificate */
  body = strstr (corrupted + strlen (leaf), "\n") + 1;
  body[0] = body[0] == 'M' ? 'N' : 'M';
  assert_rejected (corrupted, -1, "invalid certificate 2");

  /* but an explicit length may leave trailing junk out */
  {
    g_autoptr(GCertCertificate) prefix = NULL;

    prefix = gcert_certificate_new_from_pem (text_after, strlen (pem), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (gcert_certificate_get_chain_length (prefix), ==, 2);
  }
}

static void
test_certificate_long_chain (void)
{
  const char *names[] = { "example.org", NULL };
  g_autofree char *pem = issue (gcert_test_get_key (GCERT_KEY_TYPE_EC_256), names, NULL);
  g_autoptr(GString) many = g_string_new (NULL);

  for (guint i = 0; i < 20; i++)
    g_string_append (many, pem);
  assert_rejected (many->str, -1, "more than");
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/certificate/parse", test_certificate_parse);
  g_test_add_func ("/gcert/certificate/crlf", test_certificate_crlf);
  for (GCertKeyType type = GCERT_KEY_TYPE_EC_256; type <= GCERT_KEY_TYPE_RSA_3072; type++)
    {
      g_autofree char *path = g_strdup_printf ("/gcert/certificate/key-type/%s",
                                               gcert_key_type_to_string (type));

      g_test_add_data_func (path, GUINT_TO_POINTER (type), check_key_type);
    }
  g_test_add_func ("/gcert/certificate/matches-key", test_certificate_matches_key);
  g_test_add_func ("/gcert/certificate/check-names", test_certificate_check_names);
  g_test_add_func ("/gcert/certificate/verify-chain", test_certificate_verify_chain);
  g_test_add_func ("/gcert/certificate/verify-dates", test_certificate_verify_dates);
  g_test_add_func ("/gcert/certificate/tls-pair", test_certificate_tls_pair);
  g_test_add_func ("/gcert/certificate/garbage", test_certificate_garbage);
  g_test_add_func ("/gcert/certificate/long-chain", test_certificate_long_chain);

  rc = g_test_run ();

  gcert_test_clear_keys ();
  return rc;
}
