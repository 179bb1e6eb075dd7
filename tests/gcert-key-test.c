/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-test-util.h"

static GBytes *
decode_member (JsonObject *object,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  const char *text = json_object_get_string_member (object, name);
  GBytes *bytes;

  g_assert_nonnull (text);
  bytes = gcert_base64url_decode (text, &error);
  g_assert_no_error (error);
  return bytes;
}

/* Verifies a JWS-format signature (raw R||S for ECDSA) with GnuTLS. */
static gboolean
verify_signature (GCertKey     *key,
                  const guint8 *data,
                  gsize         length,
                  GBytes       *signature)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_auto(gnutls_datum_t) der = { NULL, 0 };
  gnutls_datum_t input = { (unsigned char *) data, (unsigned int) length };
  gnutls_datum_t sig;
  gsize sig_len;
  const guint8 *sig_data = g_bytes_get_data (signature, &sig_len);

  pubkey = gcert_key_dup_pubkey (key, NULL);
  g_assert_nonnull (pubkey);

  if (gcert_key_get_key_type (key) <= GCERT_KEY_TYPE_EC_384)
    {
      gnutls_datum_t r = { (unsigned char *) sig_data, (unsigned int) sig_len / 2 };
      gnutls_datum_t s = { (unsigned char *) sig_data + sig_len / 2,
                           (unsigned int) sig_len / 2 };

      g_assert_cmpint (gnutls_encode_rs_value (&der, &r, &s), ==, 0);
      sig = der;
    }
  else
    {
      sig.data = (unsigned char *) sig_data;
      sig.size = (unsigned int) sig_len;
    }
  return gnutls_pubkey_verify_data2 (pubkey,
                                     gcert_key_get_sign_algorithm (key),
                                     0, &input, &sig) >= 0;
}

static void
test_key_type_strings (void)
{
  static const char * const names[] = {
    "ec-256", "ec-384", "rsa-2048", "rsa-3072", "rsa-4096",
  };
  static const char * const bad[] = {
    "", "ec", "ec-521", "rsa-1024", "rsa", "ed25519", "ec-256 ", NULL,
  };
  GCertKeyType type;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (gcert_key_type_from_string (names[i], &type));
      g_assert_cmpint (type, ==, (GCertKeyType) i);
      g_assert_cmpstr (gcert_key_type_to_string (type), ==, names[i]);
    }
  g_assert_true (gcert_key_type_from_string ("EC-384", &type));
  g_assert_cmpint (type, ==, GCERT_KEY_TYPE_EC_384);
  for (guint i = 0; bad[i] != NULL; i++)
    g_assert_false (gcert_key_type_from_string (bad[i], &type));
  g_assert_cmpint (GCERT_KEY_TYPE_DEFAULT, ==, GCERT_KEY_TYPE_EC_256);
}

static void
check_generated (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  static const char * const algs[] = {
    "ES256", "ES384", "RS256", "RS256", "RS256",
  };
  static const guint bits[] = { 256, 384, 2048, 3072, 4096 };
  unsigned int pk_bits = 0;
  int pk;

  g_assert_cmpint (gcert_key_get_key_type (key), ==, type);
  g_assert_cmpstr (gcert_key_get_jws_algorithm (key), ==, algs[type]);
  g_assert_nonnull (gcert_key_get_privkey (key));

  pubkey = gcert_key_dup_pubkey (key, NULL);
  g_assert_nonnull (pubkey);
  pk = gnutls_pubkey_get_pk_algorithm (pubkey, &pk_bits);
  g_assert_cmpint (pk, ==, type <= GCERT_KEY_TYPE_EC_384 ? GNUTLS_PK_ECDSA :
                                                          GNUTLS_PK_RSA);
  g_assert_cmpuint (pk_bits, ==, bits[type]);
}

static void
test_key_generate_distinct (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) a = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_autoptr(GCertKey) b = NULL;
  g_autofree char *ta = NULL;
  g_autofree char *tb = NULL;

  g_assert_no_error (error);
  b = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_assert_no_error (error);
  ta = gcert_key_get_thumbprint (a);
  tb = gcert_key_get_thumbprint (b);
  g_assert_cmpstr (ta, !=, tb);
}

static void
generate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (source);
  *out = g_object_ref (result);
}

static void
test_key_generate_async (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = NULL;

  gcert_key_generate_async (GCERT_KEY_TYPE_EC_384, NULL, generate_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  key = gcert_key_generate_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (GCERT_IS_KEY (key));
  g_assert_cmpint (gcert_key_get_key_type (key), ==, GCERT_KEY_TYPE_EC_384);
}

static void
test_key_generate_async_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = NULL;

  g_cancellable_cancel (cancellable);
  gcert_key_generate_async (GCERT_KEY_TYPE_RSA_2048, cancellable, generate_cb,
                            &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  key = gcert_key_generate_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (key);
}

static void
check_pem_roundtrip (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) again = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *pem_again = NULL;
  g_autofree char *thumb = NULL;
  g_autofree char *thumb_again = NULL;
  static const guint8 message[] = "signed after a round trip";
  g_autoptr(GBytes) signature = NULL;

  pem = gcert_key_to_pem (key, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN PRIVATE KEY-----\n"));
  g_assert_true (g_str_has_suffix (pem, "-----END PRIVATE KEY-----\n"));

  again = gcert_key_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gcert_key_get_key_type (again), ==, type);
  pem_again = gcert_key_to_pem (again, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pem, ==, pem_again);

  thumb = gcert_key_get_thumbprint (key);
  thumb_again = gcert_key_get_thumbprint (again);
  g_assert_cmpstr (thumb, ==, thumb_again);

  /* the loaded key signs, and the original's public key verifies */
  signature = gcert_key_sign (again, message, sizeof message, &error);
  g_assert_no_error (error);
  g_assert_true (verify_signature (key, message, sizeof message, signature));

  /* an explicit length that excludes trailing bytes */
  {
    g_autofree char *padded = g_strconcat (pem, "trailing junk", NULL);
    g_autoptr(GCertKey) third = gcert_key_new_from_pem (padded, strlen (pem),
                                                        &error);

    g_assert_no_error (error);
    g_assert_nonnull (third);
  }
}

/* SEC1 "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY", as older tools write */
static void
check_pem_traditional (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  g_autoptr(gnutls_x509_privkey_int) x509 = NULL;
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) again = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *thumb = NULL;
  g_autofree char *thumb_again = NULL;

  g_assert_cmpint (gnutls_privkey_export_x509 (gcert_key_get_privkey (key),
                                               &x509), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2 (x509, GNUTLS_X509_FMT_PEM,
                                                &out), ==, 0);
  pem = g_strndup ((const char *) out.data, out.size);
  if (type <= GCERT_KEY_TYPE_EC_384)
    g_assert_true (g_str_has_prefix (pem, "-----BEGIN EC PRIVATE KEY-----"));
  else
    g_assert_true (g_str_has_prefix (pem, "-----BEGIN RSA PRIVATE KEY-----"));

  again = gcert_key_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gcert_key_get_key_type (again), ==, type);
  thumb = gcert_key_get_thumbprint (key);
  thumb_again = gcert_key_get_thumbprint (again);
  g_assert_cmpstr (thumb, ==, thumb_again);
}

static void
assert_pem_rejected (const char *pem,
                     gssize      length,
                     gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = gcert_key_new_from_pem (pem, length, &error);

  g_assert_error (error, GCERT_ERROR, code);
  g_assert_null (key);
  g_assert_nonnull (error->message);
  g_assert_false (g_ascii_isupper (error->message[0]));
}

static char *
generate_other_key_pem (gnutls_pk_algorithm_t pk,
                        unsigned int          bits)
{
  g_autoptr(gnutls_x509_privkey_int) x509 = NULL;
  g_auto(gnutls_datum_t) out = { NULL, 0 };

  g_assert_cmpint (gnutls_x509_privkey_init (&x509), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate2 (x509, pk, bits, 0, NULL, 0),
                   ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_PEM,
                                                      NULL, GNUTLS_PKCS_PLAIN,
                                                      &out), ==, 0);
  return g_strndup ((const char *) out.data, out.size);
}

static void
test_key_pem_garbage (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = gcert_key_to_pem (key, &error);
  g_autofree char *truncated = NULL;
  g_autofree char *corrupted = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *p521 = NULL;
  g_autofree char *ed25519 = NULL;
  g_autofree char *rsa1024 = NULL;
  g_autofree char *encrypted = NULL;
  const char *names[] = { "example.org", NULL };
  char *body;

  g_assert_no_error (error);

  assert_pem_rejected ("", -1, GCERT_ERROR_INVALID_DATA);
  assert_pem_rejected ("garbage", -1, GCERT_ERROR_INVALID_DATA);
  assert_pem_rejected ("\x01\x02\x03\xff", 4, GCERT_ERROR_INVALID_DATA);
  assert_pem_rejected ("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                       "-----END PRIVATE KEY-----\n", -1,
                       GCERT_ERROR_INVALID_DATA);
  /* a NUL inside the given length */
  assert_pem_rejected (pem, strlen (pem) + 1, GCERT_ERROR_INVALID_DATA);

  truncated = g_strndup (pem, strlen (pem) / 2);
  assert_pem_rejected (truncated, -1, GCERT_ERROR_INVALID_DATA);

  /* damage the DER inside the base64 */
  corrupted = g_strdup (pem);
  body = corrupted + strlen ("-----BEGIN PRIVATE KEY-----\n");
  body[0] = body[0] == 'A' ? 'B' : 'A';
  body[1] = body[1] == 'A' ? 'B' : 'A';
  assert_pem_rejected (corrupted, -1, GCERT_ERROR_INVALID_DATA);

  /* a certificate where a key is expected */
  cert_pem = gcert_test_issue_certificate (key, names, NULL, NULL, NULL);
  assert_pem_rejected (cert_pem, -1, GCERT_ERROR_INVALID_DATA);

  /* keys GnuTLS reads but gcert does not use */
  p521 = generate_other_key_pem (GNUTLS_PK_ECDSA,
                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP521R1));
  assert_pem_rejected (p521, -1, GCERT_ERROR_NOT_SUPPORTED);
  ed25519 = generate_other_key_pem (GNUTLS_PK_EDDSA_ED25519,
                                    GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_ED25519));
  assert_pem_rejected (ed25519, -1, GCERT_ERROR_NOT_SUPPORTED);
  rsa1024 = generate_other_key_pem (GNUTLS_PK_RSA, 1024);
  assert_pem_rejected (rsa1024, -1, GCERT_ERROR_NOT_SUPPORTED);

  /* an encrypted key has no password to open it with */
  {
    g_autoptr(gnutls_x509_privkey_int) x509 = NULL;
    g_auto(gnutls_datum_t) out = { NULL, 0 };

    g_assert_cmpint (gnutls_privkey_export_x509 (gcert_key_get_privkey (key),
                                                 &x509), ==, 0);
    g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (x509,
                                                        GNUTLS_X509_FMT_PEM,
                                                        "secret",
                                                        GNUTLS_PKCS_PBES2_AES_256,
                                                        &out), ==, 0);
    encrypted = g_strndup ((const char *) out.data, out.size);
    assert_pem_rejected (encrypted, -1, GCERT_ERROR_NOT_SUPPORTED);
  }
}

static void
check_jwk (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  g_autoptr(JsonNode) jwk = gcert_key_get_jwk (key);
  g_autoptr(gnutls_pubkey_st) pubkey = gcert_key_dup_pubkey (key, NULL);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *thumb = NULL;
  g_autofree char *thumb_jwk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (jwk));
  object = json_node_get_object (jwk);
  members = json_object_get_members (object);

  if (type <= GCERT_KEY_TYPE_EC_384)
    {
      gsize size = type == GCERT_KEY_TYPE_EC_256 ? 32 : 48;
      g_auto(gnutls_datum_t) x = { NULL, 0 };
      g_auto(gnutls_datum_t) y = { NULL, 0 };
      g_autoptr(GBytes) jx = decode_member (object, "x");
      g_autoptr(GBytes) jy = decode_member (object, "y");
      gnutls_ecc_curve_t curve;

      g_assert_cmpuint (json_object_get_size (object), ==, 4);
      g_assert_cmpstr (json_object_get_string_member (object, "kty"), ==, "EC");
      g_assert_cmpstr (json_object_get_string_member (object, "crv"), ==,
                       type == GCERT_KEY_TYPE_EC_256 ? "P-256" : "P-384");
      g_assert_cmpuint (g_bytes_get_size (jx), ==, size);
      g_assert_cmpuint (g_bytes_get_size (jy), ==, size);

      /* GnuTLS's own export, without leading zeros, ends the same way */
      g_assert_cmpint (gnutls_pubkey_export_ecc_raw2 (pubkey, &curve, &x, &y,
                                                      GNUTLS_EXPORT_FLAG_NO_LZ),
                       ==, 0);
      g_assert_cmpuint (x.size, <=, size);
      g_assert_cmpmem ((const guint8 *) g_bytes_get_data (jx, NULL) + size - x.size,
                       x.size, x.data, x.size);
      g_assert_cmpmem ((const guint8 *) g_bytes_get_data (jy, NULL) + size - y.size,
                       y.size, y.data, y.size);
    }
  else
    {
      static const guint modulus[] = { 0, 0, 256, 384, 512 };
      g_autoptr(GBytes) n = decode_member (object, "n");
      const guint8 *n_data;

      g_assert_cmpuint (json_object_get_size (object), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (object, "kty"), ==, "RSA");
      g_assert_cmpstr (json_object_get_string_member (object, "e"), ==, "AQAB");
      g_assert_cmpuint (g_bytes_get_size (n), ==, modulus[type]);
      n_data = g_bytes_get_data (n, NULL);
      g_assert_cmpuint (n_data[0], !=, 0);
    }

  /* no private members */
  g_assert_false (json_object_has_member (object, "d"));

  thumb = gcert_key_get_thumbprint (key);
  thumb_jwk = gcert_jose_jwk_thumbprint (jwk, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (thumb, ==, thumb_jwk);
  g_assert_cmpuint (strlen (thumb), ==, 43);
}

/* Coordinates are zero-padded to the curve size (RFC 7518 §6.2.1.2):
 * about one P-256 key in 128 has a coordinate with a leading zero byte. */
static void
test_key_jwk_leading_zero (void)
{
  gboolean found = FALSE;

  for (guint i = 0; i < 5000 && !found; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GCertKey) key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
      g_autoptr(JsonNode) jwk = NULL;
      g_autoptr(GBytes) x = NULL;
      g_autoptr(GBytes) y = NULL;
      const guint8 *xd;
      const guint8 *yd;

      g_assert_no_error (error);
      jwk = gcert_key_get_jwk (key);
      x = decode_member (json_node_get_object (jwk), "x");
      y = decode_member (json_node_get_object (jwk), "y");
      g_assert_cmpuint (g_bytes_get_size (x), ==, 32);
      g_assert_cmpuint (g_bytes_get_size (y), ==, 32);
      xd = g_bytes_get_data (x, NULL);
      yd = g_bytes_get_data (y, NULL);
      found = xd[0] == 0 || yd[0] == 0;
    }
  g_assert_true (found);
}

static void
check_sign (gconstpointer data)
{
  GCertKeyType type = GPOINTER_TO_UINT (data);
  GCertKey *key = gcert_test_get_key (type);
  static const gsize sizes[] = { 64, 96, 256, 384, 512 };
  static const guint8 message[] = "eyJhbGciOiJFUzI1NiJ9.eyJmb28iOiJiYXIifQ";
  guint8 tampered[sizeof message];

  memcpy (tampered, message, sizeof message);
  tampered[0] ^= 1;

  /* several rounds: random ECDSA nonces give R and S of varying length */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) signature = NULL;

      signature = gcert_key_sign (key, message, sizeof message - 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (signature), ==, sizes[type]);
      g_assert_true (verify_signature (key, message, sizeof message - 1,
                                       signature));
      g_assert_false (verify_signature (key, tampered, sizeof message - 1,
                                        signature));
      if (type > GCERT_KEY_TYPE_EC_384)
        break;
    }

  /* an empty message can be signed too */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) signature = gcert_key_sign (key, NULL, 0, &error);

    g_assert_no_error (error);
    g_assert_true (verify_signature (key, (const guint8 *) "", 0, signature));
  }
}

static void
test_key_sign_other_key (void)
{
  GCertKey *a = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) b = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_autoptr(GBytes) signature = NULL;
  static const guint8 message[] = "message";

  g_assert_no_error (error);
  signature = gcert_key_sign (a, message, sizeof message, &error);
  g_assert_no_error (error);
  g_assert_true (verify_signature (a, message, sizeof message, signature));
  g_assert_false (verify_signature (b, message, sizeof message, signature));
}

static void
add_per_type (const char *name,
              GTestDataFunc func)
{
  for (GCertKeyType type = GCERT_KEY_TYPE_EC_256;
       type <= GCERT_KEY_TYPE_RSA_4096; type++)
    {
      g_autofree char *path = g_strdup_printf ("/gcert/key/%s/%s", name,
                                               gcert_key_type_to_string (type));

      g_test_add_data_func (path, GUINT_TO_POINTER (type), func);
    }
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/key/type-strings", test_key_type_strings);
  add_per_type ("generate", check_generated);
  g_test_add_func ("/gcert/key/generate-distinct", test_key_generate_distinct);
  g_test_add_func ("/gcert/key/generate-async", test_key_generate_async);
  g_test_add_func ("/gcert/key/generate-async-cancelled",
                   test_key_generate_async_cancelled);
  add_per_type ("pem-roundtrip", check_pem_roundtrip);
  add_per_type ("pem-traditional", check_pem_traditional);
  g_test_add_func ("/gcert/key/pem-garbage", test_key_pem_garbage);
  add_per_type ("jwk", check_jwk);
  g_test_add_func ("/gcert/key/jwk-leading-zero", test_key_jwk_leading_zero);
  add_per_type ("sign", check_sign);
  g_test_add_func ("/gcert/key/sign-other-key", test_key_sign_other_key);

  rc = g_test_run ();

  gcert_test_clear_keys ();
  return rc;
}
