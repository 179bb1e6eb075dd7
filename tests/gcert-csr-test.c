/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-test-util.h"

static gnutls_x509_crq_t
parse_csr (GBytes *der)
{
  g_autoptr(gnutls_x509_crq_int) crq = NULL;
  gsize len;
  gnutls_datum_t data;

  data.data = (unsigned char *) g_bytes_get_data (der, &len);
  data.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crq_init (&crq), ==, 0);
  g_assert_cmpint (gnutls_x509_crq_import (crq, &data, GNUTLS_X509_FMT_DER), ==, 0);
  return g_steal_pointer (&crq);
}

/* The SANs of @crq in order; fails on any that is not a dNSName. */
static GStrv
csr_get_names (gnutls_x509_crq_t crq)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0;; i++)
    {
      char buf[512];
      size_t size = sizeof buf;
      unsigned int type = 0;
      int rc;

      rc = gnutls_x509_crq_get_subject_alt_name (crq, i, buf, &size, &type, NULL);
      if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      g_assert_cmpint (rc, >=, 0);
      g_assert_cmpint (type, ==, GNUTLS_SAN_DNSNAME);
      g_strv_builder_add (builder, buf);
    }
  return g_strv_builder_end (builder);
}

static void
assert_public_key_matches (gnutls_x509_crq_t  crq,
                           GCertKey          *key)
{
  g_autoptr(gnutls_pubkey_st) csr_pubkey = NULL;
  g_autoptr(gnutls_pubkey_st) key_pubkey = gcert_key_dup_pubkey (key, NULL);
  g_auto(gnutls_datum_t) a = { NULL, 0 };
  g_auto(gnutls_datum_t) b = { NULL, 0 };

  g_assert_cmpint (gnutls_pubkey_init (&csr_pubkey), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_x509_crq (csr_pubkey, crq, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (csr_pubkey, GNUTLS_X509_FMT_DER, &a), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (key_pubkey, GNUTLS_X509_FMT_DER, &b), ==, 0);
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
}

static void
check_csr (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  const char *domains[] = { "example.org", "*.example.org", "WWW.Example.ORG",
                            "xn--bcher-kva.example", NULL };
  const char *expected[] = { "example.org", "*.example.org", "www.example.org",
                             "xn--bcher-kva.example", NULL };
  static const int sign_algos[] = {
    GNUTLS_SIGN_ECDSA_SHA256, GNUTLS_SIGN_ECDSA_SHA384, GNUTLS_SIGN_RSA_SHA256,
    GNUTLS_SIGN_RSA_SHA256, GNUTLS_SIGN_RSA_SHA256,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(gnutls_x509_crq_int) crq = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(gnutls_datum_t) dn = { NULL, 0 };
  char buf[256];
  size_t size = sizeof buf;
  int rc;

  der = gcert_csr_new (key, domains, &error);
  g_assert_no_error (error);
  g_assert_nonnull (der);
  crq = parse_csr (der);

  /* a valid self-signature with the key's algorithm */
  g_assert_cmpint (gnutls_x509_crq_verify (crq, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crq_get_signature_algorithm (crq), ==,
                   sign_algos[type]);
  g_assert_cmpint (gnutls_x509_crq_get_version (crq), ==, 1);
  assert_public_key_matches (crq, key);

  /* exactly the names, and no subject at all */
  names = csr_get_names (crq);
  g_assert_cmpstrv (names, expected);
  g_assert_cmpint (gnutls_x509_crq_get_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME,
                                                  0, 0, buf, &size),
                   ==, GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
  rc = gnutls_x509_crq_get_dn3 (crq, &dn, 0);
  g_assert_true (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
                 (rc >= 0 && dn.size == 0));
}

static void
test_csr_duplicates (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *domains[] = { "b.example", "a.example", "B.EXAMPLE", "a.example", NULL };
  const char *expected[] = { "b.example", "a.example", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = gcert_csr_new (key, domains, &error);
  g_autoptr(gnutls_x509_crq_int) crq = NULL;
  g_auto(GStrv) names = NULL;

  g_assert_no_error (error);
  crq = parse_csr (der);
  g_assert_cmpint (gnutls_x509_crq_verify (crq, 0), ==, 0);
  names = csr_get_names (crq);
  g_assert_cmpstrv (names, expected);
}

static void
test_csr_many_names (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(gnutls_x509_crq_int) crq = NULL;
  g_auto(GStrv) names = NULL;

  for (guint i = 0; i < 100; i++)
    g_ptr_array_add (domains, g_strdup_printf ("host%u.example.net", i));
  g_ptr_array_add (domains, NULL);

  der = gcert_csr_new (key, (const char * const *) domains->pdata, &error);
  g_assert_no_error (error);
  crq = parse_csr (der);
  g_assert_cmpint (gnutls_x509_crq_verify (crq, 0), ==, 0);
  names = csr_get_names (crq);
  g_assert_cmpstrv (names, (const char * const *) domains->pdata);
}

static void
test_csr_invalid_names (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *empty_list[] = { NULL };
  const char * const bad[] = {
    "",
    "exa mple.org",
    "example.org\n",
    "b\xc3\xbc" "cher.example",
    "example.org/path",
    "user@example.org",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = gcert_csr_new (key, empty_list, &error);

  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_null (der);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *domains[] = { "good.example", bad[i], NULL };
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) local_der = gcert_csr_new (key, domains, &local_error);

      g_assert_error (local_error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
      g_assert_null (local_der);
    }
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);

  for (GCertKeyType type = GCERT_KEY_TYPE_EC_256; type <= GCERT_KEY_TYPE_RSA_3072; type++)
    {
      g_autofree char *path = g_strdup_printf ("/gcert/csr/names/%s",
                                               gcert_key_type_to_string (type));

      g_test_add_data_func (path, GUINT_TO_POINTER (type), check_csr);
    }
  g_test_add_func ("/gcert/csr/duplicates", test_csr_duplicates);
  g_test_add_func ("/gcert/csr/many-names", test_csr_many_names);
  g_test_add_func ("/gcert/csr/invalid-names", test_csr_invalid_names);

  rc = g_test_run ();

  gcert_test_clear_keys ();
  return rc;
}
