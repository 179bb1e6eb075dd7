/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-error.h"
#include "gcert-jose.h"

char *
gcert_base64url_encode (const guint8 *data,
                        gsize         length)
{
  g_autofree char *text = NULL;
  gsize len;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    return g_strdup ("");

  text = g_base64_encode (data, length);
  len = strlen (text);
  while (len > 0 && text[len - 1] == '=')
    text[--len] = '\0';
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  return g_steal_pointer (&text);
}

static gboolean
is_base64url_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

GBytes *
gcert_base64url_decode (const char  *text,
                        GError     **error)
{
  g_autofree char *std = NULL;
  g_autofree guint8 *data = NULL;
  g_autofree char *again = NULL;
  gsize len;
  gsize unpadded;
  gsize data_len = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (text);
  /* padding is optional, but when present it must make a multiple of four */
  if (len % 4 == 0)
    {
      for (guint i = 0; i < 2 && len > 0 && text[len - 1] == '='; i++)
        len--;
    }
  for (gsize i = 0; i < len; i++)
    {
      if (!is_base64url_char (text[i]))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid base64url character at offset %zu"),
                       i);
          return NULL;
        }
    }
  if (len % 4 == 1)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid base64url length"));
      return NULL;
    }
  if (len == 0)
    return g_bytes_new (NULL, 0);
  unpadded = len;

  std = g_malloc0 (len + 4);
  memcpy (std, text, len);
  g_strdelimit (std, "-", '+');
  g_strdelimit (std, "_", '/');
  while (len % 4 != 0)
    std[len++] = '=';
  data = g_base64_decode (std, &data_len);

  /* unused trailing bits must be zero, so each value has one encoding */
  again = gcert_base64url_encode (data, data_len);
  if (strlen (again) != unpadded || strncmp (again, text, unpadded) != 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("non-canonical base64url encoding"));
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), data_len);
}

static char *
json_node_to_compact (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_pretty (generator, FALSE);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

char *
gcert_jose_sign (GCertKey    *key,
                 const char  *url,
                 const char  *nonce,
                 const char  *kid,
                 const char  *payload,
                 GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) header = NULL;
  g_autoptr(JsonNode) jws = NULL;
  g_autofree char *header_json = NULL;
  g_autofree char *protected_b64 = NULL;
  g_autofree char *payload_b64 = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *signature_b64 = NULL;
  g_autoptr(GBytes) signature = NULL;

  g_return_val_if_fail (GCERT_IS_KEY (key), NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "alg");
  json_builder_add_string_value (builder, gcert_key_get_jws_algorithm (key));
  if (kid != NULL)
    {
      json_builder_set_member_name (builder, "kid");
      json_builder_add_string_value (builder, kid);
    }
  else
    {
      json_builder_set_member_name (builder, "jwk");
      json_builder_add_value (builder, gcert_key_get_jwk (key));
    }
  if (nonce != NULL)
    {
      json_builder_set_member_name (builder, "nonce");
      json_builder_add_string_value (builder, nonce);
    }
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);
  header = json_builder_get_root (builder);

  header_json = json_node_to_compact (header);
  protected_b64 = gcert_base64url_encode ((const guint8 *) header_json,
                                          strlen (header_json));
  /* POST-as-GET (RFC 8555 §6.3) signs an empty payload */
  if (payload != NULL)
    payload_b64 = gcert_base64url_encode ((const guint8 *) payload,
                                          strlen (payload));
  else
    payload_b64 = g_strdup ("");

  signing_input = g_strconcat (protected_b64, ".", payload_b64, NULL);
  signature = gcert_key_sign (key, (const guint8 *) signing_input,
                              strlen (signing_input), error);
  if (signature == NULL)
    {
      g_prefix_error (error, _("signing request: "));
      return NULL;
    }
  signature_b64 = gcert_base64url_encode (g_bytes_get_data (signature, NULL),
                                          g_bytes_get_size (signature));

  json_builder_reset (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "protected");
  json_builder_add_string_value (builder, protected_b64);
  json_builder_set_member_name (builder, "payload");
  json_builder_add_string_value (builder, payload_b64);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, signature_b64);
  json_builder_end_object (builder);
  jws = json_builder_get_root (builder);
  return json_node_to_compact (jws);
}

static char *
sha256_base64url (const char *text)
{
  guint8 digest[32];

  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, text, strlen (text), digest) < 0)
    return NULL;
  return gcert_base64url_encode (digest, sizeof digest);
}

char *
gcert_jose_dns01_value (GCertKey   *account_key,
                        const char *token)
{
  g_autofree char *thumbprint = NULL;
  g_autofree char *key_authorization = NULL;

  g_return_val_if_fail (GCERT_IS_KEY (account_key), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  thumbprint = gcert_key_get_thumbprint (account_key);
  if (thumbprint == NULL)
    return NULL;
  key_authorization = g_strconcat (token, ".", thumbprint, NULL);
  return sha256_base64url (key_authorization);
}

char *
gcert_jose_jwk_thumbprint (JsonNode  *jwk,
                           GError   **error)
{
  static const char * const ec_members[] = { "crv", "kty", "x", "y", NULL };
  static const char * const rsa_members[] = { "e", "kty", "n", NULL };
  const char * const *members;
  g_autoptr(JsonObject) canonical = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;
  JsonNode *kty_node;
  const char *kty = NULL;

  g_return_val_if_fail (jwk != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (jwk))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("JWK is not a JSON object"));
      return NULL;
    }
  object = json_node_get_object (jwk);
  kty_node = json_object_get_member (object, "kty");
  if (kty_node != NULL && JSON_NODE_HOLDS_VALUE (kty_node) &&
      json_node_get_value_type (kty_node) == G_TYPE_STRING)
    kty = json_node_get_string (kty_node);
  if (g_strcmp0 (kty, "EC") == 0)
    members = ec_members;
  else if (g_strcmp0 (kty, "RSA") == 0)
    members = rsa_members;
  else
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                   _("unsupported JWK key type “%s”"),
                   kty != NULL ? kty : "");
      return NULL;
    }

  /* RFC 7638 §3.2: only the required members, in lexicographic order, no
   * whitespace; JsonObject keeps insertion order */
  for (guint i = 0; members[i] != NULL; i++)
    {
      JsonNode *member = json_object_get_member (object, members[i]);

      if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
          json_node_get_value_type (member) != G_TYPE_STRING)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("JWK member “%s” is missing or not a string"),
                       members[i]);
          return NULL;
        }
      json_object_set_string_member (canonical, members[i],
                                     json_node_get_string (member));
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, canonical);
  text = json_node_to_compact (node);
  return sha256_base64url (text);
}
