/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-test-util.h"

/* RFC 7638 §3.1 */
#define RFC7638_N \
  "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_" \
  "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_" \
  "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-" \
  "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static GBytes *
decode (const char *text)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = gcert_base64url_decode (text, &error);

  g_assert_no_error (error);
  return bytes;
}

static char *
decode_string (const char *text)
{
  g_autoptr(GBytes) bytes = decode (text);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_null (memchr (data, '\0', len));
  return g_strndup (data, len);
}

static void
datum_from_member (JsonObject     *object,
                   const char     *name,
                   GBytes        **out_bytes,
                   gnutls_datum_t *out_datum)
{
  gsize len;

  *out_bytes = decode (json_object_get_string_member (object, name));
  out_datum->data = (unsigned char *) g_bytes_get_data (*out_bytes, &len);
  out_datum->size = (unsigned int) len;
}

/* A GnuTLS public key made from the members of a public JWK. */
static gnutls_pubkey_t
pubkey_from_jwk (JsonObject *jwk)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  const char *kty = json_object_get_string_member (jwk, "kty");

  g_assert_cmpint (gnutls_pubkey_init (&pubkey), ==, 0);
  if (g_strcmp0 (kty, "EC") == 0)
    {
      g_autoptr(GBytes) xb = NULL;
      g_autoptr(GBytes) yb = NULL;
      gnutls_datum_t x;
      gnutls_datum_t y;
      const char *crv = json_object_get_string_member (jwk, "crv");
      gnutls_ecc_curve_t curve = g_strcmp0 (crv, "P-256") == 0 ?
                                 GNUTLS_ECC_CURVE_SECP256R1 :
                                 GNUTLS_ECC_CURVE_SECP384R1;

      g_assert_cmpuint (json_object_get_size (jwk), ==, 4);
      datum_from_member (jwk, "x", &xb, &x);
      datum_from_member (jwk, "y", &yb, &y);
      g_assert_cmpint (gnutls_pubkey_import_ecc_raw (pubkey, curve, &x, &y), ==, 0);
    }
  else
    {
      g_autoptr(GBytes) nb = NULL;
      g_autoptr(GBytes) eb = NULL;
      gnutls_datum_t n;
      gnutls_datum_t e;

      g_assert_cmpstr (kty, ==, "RSA");
      g_assert_cmpuint (json_object_get_size (jwk), ==, 3);
      datum_from_member (jwk, "n", &nb, &n);
      datum_from_member (jwk, "e", &eb, &e);
      g_assert_cmpint (gnutls_pubkey_import_rsa_raw (pubkey, &n, &e), ==, 0);
    }
  return g_steal_pointer (&pubkey);
}

/* Checks a JWS as an ACME server would; returns the protected header. */
static JsonObject *
check_jws (const char   *jws_text,
           GCertKey     *key,
           const char   *url,
           const char   *nonce,
           const char   *kid,
           const char   *payload)
{
  g_autoptr(JsonNode) jws = parse_json (jws_text);
  g_autoptr(JsonNode) header_node = NULL;
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *header_text = NULL;
  g_autofree char *signing_input = NULL;
  g_auto(gnutls_datum_t) der = { NULL, 0 };
  JsonObject *object;
  JsonObject *header;
  const char *protected_b64;
  const char *payload_b64;
  gnutls_datum_t input;
  gnutls_datum_t sig;
  gnutls_sign_algorithm_t sign_algo;
  const char *alg;
  gsize sig_len;
  const guint8 *sig_data;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (jws));
  object = json_node_get_object (jws);
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  protected_b64 = json_object_get_string_member (object, "protected");
  payload_b64 = json_object_get_string_member (object, "payload");
  g_assert_nonnull (protected_b64);
  g_assert_nonnull (payload_b64);
  g_assert_nonnull (json_object_get_string_member (object, "signature"));

  /* the header */
  header_text = decode_string (protected_b64);
  header_node = parse_json (header_text);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (header_node));
  header = json_node_get_object (header_node);
  alg = json_object_get_string_member (header, "alg");
  g_assert_cmpstr (alg, ==, gcert_key_get_jws_algorithm (key));
  g_assert_cmpstr (json_object_get_string_member (header, "url"), ==, url);
  if (nonce != NULL)
    g_assert_cmpstr (json_object_get_string_member (header, "nonce"), ==, nonce);
  else
    g_assert_false (json_object_has_member (header, "nonce"));
  g_assert_cmpuint (json_object_get_size (header), ==, nonce != NULL ? 4 : 3);
  if (kid != NULL)
    {
      g_assert_cmpstr (json_object_get_string_member (header, "kid"), ==, kid);
      g_assert_false (json_object_has_member (header, "jwk"));
      pubkey = gcert_key_dup_pubkey (key, NULL);
    }
  else
    {
      JsonObject *jwk = json_object_get_object_member (header, "jwk");
      g_autoptr(JsonNode) jwk_node = json_node_init_object (json_node_alloc (), jwk);
      g_autofree char *thumb = NULL;
      g_autofree char *key_thumb = gcert_key_get_thumbprint (key);

      g_assert_false (json_object_has_member (header, "kid"));
      thumb = gcert_jose_jwk_thumbprint (jwk_node, NULL);
      g_assert_cmpstr (thumb, ==, key_thumb);
      /* verify with the key the header carries, as the server does */
      pubkey = pubkey_from_jwk (jwk);
    }

  /* the payload */
  if (payload == NULL)
    {
      g_assert_cmpstr (payload_b64, ==, "");
    }
  else
    {
      g_autofree char *decoded = decode_string (payload_b64);

      g_assert_cmpstr (decoded, ==, payload);
    }

  /* the signature */
  signature = decode (json_object_get_string_member (object, "signature"));
  sig_data = g_bytes_get_data (signature, &sig_len);
  if (g_strcmp0 (alg, "RS256") == 0)
    {
      sign_algo = GNUTLS_SIGN_RSA_SHA256;
      sig.data = (unsigned char *) sig_data;
      sig.size = (unsigned int) sig_len;
    }
  else
    {
      gsize size = g_strcmp0 (alg, "ES256") == 0 ? 32 : 48;
      gnutls_datum_t r = { (unsigned char *) sig_data, (unsigned int) size };
      gnutls_datum_t s = { (unsigned char *) sig_data + size, (unsigned int) size };

      sign_algo = size == 32 ? GNUTLS_SIGN_ECDSA_SHA256 : GNUTLS_SIGN_ECDSA_SHA384;
      g_assert_cmpuint (sig_len, ==, 2 * size);
      g_assert_cmpint (gnutls_encode_rs_value (&der, &r, &s), ==, 0);
      sig = der;
    }
  signing_input = g_strconcat (protected_b64, ".", payload_b64, NULL);
  input.data = (unsigned char *) signing_input;
  input.size = (unsigned int) strlen (signing_input);
  g_assert_cmpint (gnutls_pubkey_verify_data2 (pubkey, sign_algo, 0, &input,
                                               &sig), >=, 0);

  /* and a changed signing input does not verify */
  signing_input[strlen (signing_input) - 1] ^= 1;
  g_assert_cmpint (gnutls_pubkey_verify_data2 (pubkey, sign_algo, 0, &input,
                                               &sig), <, 0);

  return json_object_ref (header);
}

static void
check_sign_jwk (gconstpointer data)
{
  GCertKey *key = gcert_test_get_key (GPOINTER_TO_UINT (data));
  const char *url = "https://acme.example/acme/new-account";
  const char *payload = "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:a@example.org\"]}";
  g_autoptr(GError) error = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(JsonObject) header = NULL;

  jws = gcert_jose_sign (key, url, "nonce-AbC_12", NULL, payload, &error);
  g_assert_no_error (error);
  header = check_jws (jws, key, url, "nonce-AbC_12", NULL, payload);
}

static void
check_sign_kid (gconstpointer data)
{
  GCertKey *key = gcert_test_get_key (GPOINTER_TO_UINT (data));
  const char *url = "https://acme.example/acme/new-order";
  const char *kid = "https://acme.example/acme/acct/1234";
  const char *payload = "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.example.org\"}]}";
  g_autoptr(GError) error = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(JsonObject) header = NULL;

  jws = gcert_jose_sign (key, url, "n1", kid, payload, &error);
  g_assert_no_error (error);
  header = check_jws (jws, key, url, "n1", kid, payload);
}

static void
test_jose_post_as_get (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *url = "https://acme.example/acme/order/1";
  const char *kid = "https://acme.example/acme/acct/1";
  g_autoptr(GError) error = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(JsonObject) header = NULL;

  jws = gcert_jose_sign (key, url, "nonce", kid, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (jws, "\"payload\":\"\""));
  header = check_jws (jws, key, url, "nonce", kid, NULL);

  /* an empty JSON object is not POST-as-GET */
  g_clear_pointer (&jws, g_free);
  g_clear_pointer (&header, json_object_unref);
  jws = gcert_jose_sign (key, url, "nonce", kid, "{}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (jws, "\"payload\":\"e30\""));
  header = check_jws (jws, key, url, "nonce", kid, "{}");
}

static void
test_jose_no_nonce (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  g_autoptr(GError) error = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(JsonObject) header = NULL;

  jws = gcert_jose_sign (key, "https://acme.example/x", NULL, NULL, "{}", &error);
  g_assert_no_error (error);
  header = check_jws (jws, key, "https://acme.example/x", NULL, NULL, "{}");
}

/* strings that need JSON escaping survive into the header intact */
static void
test_jose_escaping (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *url = "https://acme.example/a\"b\\c?d=1&e=\xc3\xa9";
  const char *nonce = "n\"once";
  g_autoptr(GError) error = NULL;
  g_autofree char *jws = NULL;
  g_autoptr(JsonObject) header = NULL;

  jws = gcert_jose_sign (key, url, nonce, NULL, "{\"a\":\"\\u00e9\"}", &error);
  g_assert_no_error (error);
  header = check_jws (jws, key, url, nonce, NULL, "{\"a\":\"\\u00e9\"}");
}

static void
test_jose_thumbprint_rfc7638 (void)
{
  /* the example as printed, with its optional members, in its order */
  g_autoptr(JsonNode) jwk = parse_json ("{\n"
                                        "  \"kty\": \"RSA\",\n"
                                        "  \"n\": \"" RFC7638_N "\",\n"
                                        "  \"e\": \"AQAB\",\n"
                                        "  \"alg\": \"RS256\",\n"
                                        "  \"kid\": \"2011-04-29\"\n"
                                        "}");
  g_autoptr(GError) error = NULL;
  g_autofree char *thumb = gcert_jose_jwk_thumbprint (jwk, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (thumb, ==, RFC7638_THUMBPRINT);
}

static char *
sha256_b64url (const char *text)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) text, -1);
  g_checksum_get_digest (checksum, digest, &len);
  return gcert_base64url_encode (digest, len);
}

/* the canonical form is built from the members, whatever their order */
static void
test_jose_thumbprint_ec (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_384);
  g_autoptr(JsonNode) jwk = gcert_key_get_jwk (key);
  JsonObject *object = json_node_get_object (jwk);
  const char *x = json_object_get_string_member (object, "x");
  const char *y = json_object_get_string_member (object, "y");
  g_autofree char *canonical = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *shuffled_text = NULL;
  g_autoptr(JsonNode) shuffled = NULL;
  g_autofree char *thumb = NULL;
  g_autofree char *thumb_shuffled = NULL;
  g_autoptr(GError) error = NULL;

  canonical = g_strdup_printf ("{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                               x, y);
  expected = sha256_b64url (canonical);

  thumb = gcert_jose_jwk_thumbprint (jwk, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (thumb, ==, expected);

  shuffled_text = g_strdup_printf ("{ \"y\" : \"%s\", \"use\": \"sig\", \"x\": \"%s\",\n"
                                   "  \"kty\": \"EC\", \"crv\": \"P-384\" }", y, x);
  shuffled = parse_json (shuffled_text);
  thumb_shuffled = gcert_jose_jwk_thumbprint (shuffled, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (thumb_shuffled, ==, expected);
}

static void
test_jose_thumbprint_invalid (void)
{
  static const struct
  {
    const char *json;
    gint code;
  } cases[] = {
    { "[]", GCERT_ERROR_INVALID_DATA },
    { "\"RSA\"", GCERT_ERROR_INVALID_DATA },
    { "{}", GCERT_ERROR_NOT_SUPPORTED },
    { "{\"kty\":\"oct\",\"k\":\"AAAA\"}", GCERT_ERROR_NOT_SUPPORTED },
    { "{\"kty\":7,\"e\":\"AQAB\",\"n\":\"AAAA\"}", GCERT_ERROR_NOT_SUPPORTED },
    { "{\"kty\":\"RSA\",\"e\":\"AQAB\"}", GCERT_ERROR_INVALID_DATA },
    { "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":null}", GCERT_ERROR_INVALID_DATA },
    { "{\"kty\":\"RSA\",\"e\":65537,\"n\":\"AAAA\"}", GCERT_ERROR_INVALID_DATA },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\"}", GCERT_ERROR_INVALID_DATA },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":{}}", GCERT_ERROR_INVALID_DATA },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) jwk = parse_json (cases[i].json);
      g_autoptr(GError) error = NULL;
      g_autofree char *thumb = gcert_jose_jwk_thumbprint (jwk, &error);

      g_assert_error (error, GCERT_ERROR, cases[i].code);
      g_assert_null (thumb);
    }
}

static void
test_jose_dns01 (void)
{
  GCertKey *key = gcert_test_get_key (GCERT_KEY_TYPE_EC_256);
  const char *token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
  g_autofree char *thumb = gcert_key_get_thumbprint (key);
  g_autofree char *key_authz = g_strconcat (token, ".", thumb, NULL);
  g_autofree char *expected = sha256_b64url (key_authz);
  g_autofree char *value = gcert_jose_dns01_value (key, token);
  g_autofree char *other = NULL;

  g_assert_cmpstr (value, ==, expected);
  g_assert_cmpuint (strlen (value), ==, 43);

  other = gcert_jose_dns01_value (gcert_test_get_key (GCERT_KEY_TYPE_RSA_2048), token);
  g_assert_cmpstr (other, !=, value);
}

int
main (int    argc,
      char **argv)
{
  static const struct
  {
    const char *name;
    GCertKeyType type;
  } algs[] = {
    { "es256", GCERT_KEY_TYPE_EC_256 },
    { "es384", GCERT_KEY_TYPE_EC_384 },
    { "rs256", GCERT_KEY_TYPE_RSA_2048 },
  };
  int rc;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (algs); i++)
    {
      g_autofree char *jwk_path = g_strdup_printf ("/gcert/jose/sign-jwk/%s", algs[i].name);
      g_autofree char *kid_path = g_strdup_printf ("/gcert/jose/sign-kid/%s", algs[i].name);

      g_test_add_data_func (jwk_path, GUINT_TO_POINTER (algs[i].type), check_sign_jwk);
      g_test_add_data_func (kid_path, GUINT_TO_POINTER (algs[i].type), check_sign_kid);
    }
  g_test_add_func ("/gcert/jose/post-as-get", test_jose_post_as_get);
  g_test_add_func ("/gcert/jose/no-nonce", test_jose_no_nonce);
  g_test_add_func ("/gcert/jose/escaping", test_jose_escaping);
  g_test_add_func ("/gcert/jose/thumbprint-rfc7638", test_jose_thumbprint_rfc7638);
  g_test_add_func ("/gcert/jose/thumbprint-ec", test_jose_thumbprint_ec);
  g_test_add_func ("/gcert/jose/thumbprint-invalid", test_jose_thumbprint_invalid);
  g_test_add_func ("/gcert/jose/dns01", test_jose_dns01);

  rc = g_test_run ();

  gcert_test_clear_keys ();
  return rc;
}
