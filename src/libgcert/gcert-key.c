/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-error.h"
#include "gcert-jose.h"
#include "gcert-key.h"

struct _GCertKey
{
  GObject                parent_instance;
  GCertKeyType           type;
  gnutls_x509_privkey_t  x509;
  /* references x509, so it is released first */
  gnutls_privkey_t       privkey;
};

G_DEFINE_TYPE (GCertKey, gcert_key, G_TYPE_OBJECT)

static const struct
{
  GCertKeyType              type;
  const char               *name;
  gnutls_pk_algorithm_t     pk;
  guint                     bits;
  gnutls_ecc_curve_t        curve;
  const char               *jws_alg;
  gnutls_sign_algorithm_t   sign;
} key_types[] = {
  { GCERT_KEY_TYPE_EC_256, "ec-256", GNUTLS_PK_ECDSA, 256,
    GNUTLS_ECC_CURVE_SECP256R1, "ES256", GNUTLS_SIGN_ECDSA_SHA256 },
  { GCERT_KEY_TYPE_EC_384, "ec-384", GNUTLS_PK_ECDSA, 384,
    GNUTLS_ECC_CURVE_SECP384R1, "ES384", GNUTLS_SIGN_ECDSA_SHA384 },
  { GCERT_KEY_TYPE_RSA_2048, "rsa-2048", GNUTLS_PK_RSA, 2048,
    GNUTLS_ECC_CURVE_INVALID, "RS256", GNUTLS_SIGN_RSA_SHA256 },
  { GCERT_KEY_TYPE_RSA_3072, "rsa-3072", GNUTLS_PK_RSA, 3072,
    GNUTLS_ECC_CURVE_INVALID, "RS256", GNUTLS_SIGN_RSA_SHA256 },
  { GCERT_KEY_TYPE_RSA_4096, "rsa-4096", GNUTLS_PK_RSA, 4096,
    GNUTLS_ECC_CURVE_INVALID, "RS256", GNUTLS_SIGN_RSA_SHA256 },
};

static gboolean
key_type_is_valid (GCertKeyType type)
{
  return (guint) type < G_N_ELEMENTS (key_types);
}

static gboolean
key_type_is_ec (GCertKeyType type)
{
  return key_types[type].pk == GNUTLS_PK_ECDSA;
}

/* bytes of one coordinate, and of R and S in a JWS signature */
static gsize
key_type_field_size (GCertKeyType type)
{
  return (key_types[type].bits + 7) / 8;
}

gboolean
gcert_key_type_from_string (const char   *text,
                            GCertKeyType *out_type)
{
  g_return_val_if_fail (text != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (key_types); i++)
    {
      if (g_ascii_strcasecmp (text, key_types[i].name) == 0)
        {
          if (out_type != NULL)
            *out_type = key_types[i].type;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
gcert_key_type_to_string (GCertKeyType type)
{
  g_return_val_if_fail (key_type_is_valid (type), NULL);

  return key_types[type].name;
}

gboolean
gcert_pubkey_get_key_type (gnutls_pubkey_t  pubkey,
                           GCertKeyType    *out_type)
{
  unsigned int bits = 0;
  int pk;

  g_return_val_if_fail (pubkey != NULL, FALSE);

  pk = gnutls_pubkey_get_pk_algorithm (pubkey, &bits);
  if (pk == GNUTLS_PK_ECDSA)
    {
      gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;

      if (gnutls_pubkey_export_ecc_raw2 (pubkey, &curve, NULL, NULL, 0) < 0)
        return FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (key_types); i++)
        {
          if (key_types[i].pk == GNUTLS_PK_ECDSA && key_types[i].curve == curve)
            {
              if (out_type != NULL)
                *out_type = key_types[i].type;
              return TRUE;
            }
        }
      return FALSE;
    }
  if (pk == GNUTLS_PK_RSA)
    {
      for (guint i = 0; i < G_N_ELEMENTS (key_types); i++)
        {
          if (key_types[i].pk == GNUTLS_PK_RSA && key_types[i].bits == bits)
            {
              if (out_type != NULL)
                *out_type = key_types[i].type;
              return TRUE;
            }
        }
    }
  return FALSE;
}

static void
gcert_key_finalize (GObject *object)
{
  GCertKey *self = GCERT_KEY (object);

  g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
  g_clear_pointer (&self->x509, gnutls_x509_privkey_deinit);

  G_OBJECT_CLASS (gcert_key_parent_class)->finalize (object);
}

static void
gcert_key_class_init (GCertKeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_key_finalize;
}

static void
gcert_key_init (GCertKey *self)
{
}

/* Takes @x509 and wraps it; fails for keys that are none of ours. */
static GCertKey *
gcert_key_new_for_x509 (gnutls_x509_privkey_t   x509,
                        GError                **error)
{
  g_autoptr(gnutls_x509_privkey_int) owned = x509;
  g_autoptr(gnutls_privkey_st) privkey = NULL;
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_autoptr(GCertKey) self = NULL;
  GCertKeyType type;
  int rc;

  rc = gnutls_x509_privkey_verify_params (owned);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc,
                              _("inconsistent private key"));
      return NULL;
    }

  rc = gnutls_privkey_init (&privkey);
  if (rc >= 0)
    rc = gnutls_privkey_import_x509 (privkey, owned, 0);
  if (rc >= 0)
    rc = gnutls_pubkey_init (&pubkey);
  if (rc >= 0)
    rc = gnutls_pubkey_import_privkey (pubkey, privkey, 0, 0);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot load private key"));
      return NULL;
    }

  if (!gcert_pubkey_get_key_type (pubkey, &type))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                   _("unsupported key type, expected ec-256, ec-384, "
                     "rsa-2048, rsa-3072 or rsa-4096"));
      return NULL;
    }

  self = g_object_new (GCERT_TYPE_KEY, NULL);
  self->type = type;
  self->x509 = g_steal_pointer (&owned);
  self->privkey = g_steal_pointer (&privkey);
  return g_steal_pointer (&self);
}

GCertKey *
gcert_key_generate (GCertKeyType   type,
                    GError       **error)
{
  g_autoptr(gnutls_x509_privkey_int) x509 = NULL;
  unsigned int bits;
  int rc;

  g_return_val_if_fail (key_type_is_valid (type), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (key_type_is_ec (type))
    bits = GNUTLS_CURVE_TO_BITS (key_types[type].curve);
  else
    bits = key_types[type].bits;

  rc = gnutls_x509_privkey_init (&x509);
  if (rc >= 0)
    rc = gnutls_x509_privkey_generate2 (x509, key_types[type].pk, bits, 0,
                                        NULL, 0);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot generate private key"));
      return NULL;
    }
  return gcert_key_new_for_x509 (g_steal_pointer (&x509), error);
}

static void
gcert_key_generate_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  GCertKeyType type = GPOINTER_TO_UINT (task_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) key = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  key = gcert_key_generate (type, &error);
  if (key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&key), g_object_unref);
}

void
gcert_key_generate_async (GCertKeyType         type,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (key_type_is_valid (type));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_key_generate_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (type), NULL);
  /* generation cannot be interrupted; a cancelled caller need not wait */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, gcert_key_generate_thread);
}

GCertKey *
gcert_key_generate_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gcert_key_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GCertKey *
gcert_key_new_from_pem (const char    *pem,
                        gssize         length,
                        GError       **error)
{
  g_autoptr(gnutls_x509_privkey_int) x509 = NULL;
  gnutls_datum_t data;
  gsize len;
  int rc;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = length < 0 ? strlen (pem) : (gsize) length;
  if (len == 0 || len > G_MAXUINT || memchr (pem, '\0', len) != NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("not a PEM private key"));
      return NULL;
    }
  /* a PEM private key is plain text; refuse anything else up front */
  if (g_strstr_len (pem, len, "-----BEGIN ") == NULL ||
      g_strstr_len (pem, len, "PRIVATE KEY-----") == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("not a PEM private key"));
      return NULL;
    }
  if (g_strstr_len (pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                   _("encrypted private keys are not supported"));
      return NULL;
    }

  data.data = (unsigned char *) pem;
  data.size = (unsigned int) len;
  rc = gnutls_x509_privkey_init (&x509);
  if (rc >= 0)
    rc = gnutls_x509_privkey_import2 (x509, &data, GNUTLS_X509_FMT_PEM, NULL,
                                      GNUTLS_PKCS_PLAIN);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc,
                              _("cannot parse private key"));
      return NULL;
    }
  return gcert_key_new_for_x509 (g_steal_pointer (&x509), error);
}

char *
gcert_key_to_pem (GCertKey  *self,
                  GError   **error)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  int rc;

  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  rc = gnutls_x509_privkey_export2_pkcs8 (self->x509, GNUTLS_X509_FMT_PEM,
                                          NULL, GNUTLS_PKCS_PLAIN, &out);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot export private key"));
      return NULL;
    }
  return g_strndup ((const char *) out.data, out.size);
}

GCertKeyType
gcert_key_get_key_type (GCertKey *self)
{
  g_return_val_if_fail (GCERT_IS_KEY (self), GCERT_KEY_TYPE_DEFAULT);

  return self->type;
}

const char *
gcert_key_get_jws_algorithm (GCertKey *self)
{
  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);

  return key_types[self->type].jws_alg;
}

gnutls_sign_algorithm_t
gcert_key_get_sign_algorithm (GCertKey *self)
{
  g_return_val_if_fail (GCERT_IS_KEY (self), GNUTLS_SIGN_UNKNOWN);

  return key_types[self->type].sign;
}

gpointer
gcert_key_get_privkey (GCertKey *self)
{
  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);

  return self->privkey;
}

gnutls_pubkey_t
gcert_key_dup_pubkey (GCertKey  *self,
                      GError   **error)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  int rc;

  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);

  rc = gnutls_pubkey_init (&pubkey);
  if (rc >= 0)
    rc = gnutls_pubkey_import_privkey (pubkey, self->privkey, 0, 0);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot get public key"));
      return NULL;
    }
  return g_steal_pointer (&pubkey);
}

/* base64url of an unsigned big-endian integer, left-padded with zeros to
 * @width bytes (0: no padding); NULL if it does not fit */
static char *
encode_unsigned (const gnutls_datum_t *value,
                 gsize                 width)
{
  const guint8 *p = value->data;
  gsize len = value->size;
  g_autofree guint8 *padded = NULL;

  while (len > 1 && p[0] == 0)
    {
      p++;
      len--;
    }
  if (width == 0 || len == width)
    return gcert_base64url_encode (p, len);
  if (len > width)
    return NULL;
  padded = g_malloc0 (width);
  memcpy (padded + (width - len), p, len);
  return gcert_base64url_encode (padded, width);
}

JsonNode *
gcert_key_get_jwk (GCertKey *self)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node;

  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);

  pubkey = gcert_key_dup_pubkey (self, NULL);
  g_return_val_if_fail (pubkey != NULL, NULL);

  /* members in lexicographic order, as RFC 7638 hashes them */
  if (key_type_is_ec (self->type))
    {
      g_auto(gnutls_datum_t) x = { NULL, 0 };
      g_auto(gnutls_datum_t) y = { NULL, 0 };
      g_autofree char *x_text = NULL;
      g_autofree char *y_text = NULL;
      gnutls_ecc_curve_t curve;
      gsize size = key_type_field_size (self->type);
      int rc;

      rc = gnutls_pubkey_export_ecc_raw2 (pubkey, &curve, &x, &y,
                                          GNUTLS_EXPORT_FLAG_NO_LZ);
      g_return_val_if_fail (rc >= 0, NULL);
      json_object_set_string_member (object, "crv",
                                     self->type == GCERT_KEY_TYPE_EC_256 ?
                                     "P-256" : "P-384");
      json_object_set_string_member (object, "kty", "EC");
      x_text = encode_unsigned (&x, size);
      y_text = encode_unsigned (&y, size);
      g_return_val_if_fail (x_text != NULL && y_text != NULL, NULL);
      json_object_set_string_member (object, "x", x_text);
      json_object_set_string_member (object, "y", y_text);
    }
  else
    {
      g_auto(gnutls_datum_t) n = { NULL, 0 };
      g_auto(gnutls_datum_t) e = { NULL, 0 };
      g_autofree char *n_text = NULL;
      g_autofree char *e_text = NULL;
      int rc;

      rc = gnutls_pubkey_export_rsa_raw2 (pubkey, &n, &e,
                                          GNUTLS_EXPORT_FLAG_NO_LZ);
      g_return_val_if_fail (rc >= 0, NULL);
      e_text = encode_unsigned (&e, 0);
      n_text = encode_unsigned (&n, 0);
      json_object_set_string_member (object, "e", e_text);
      json_object_set_string_member (object, "kty", "RSA");
      json_object_set_string_member (object, "n", n_text);
    }

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

char *
gcert_key_get_thumbprint (GCertKey *self)
{
  g_autoptr(JsonNode) jwk = NULL;

  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);

  jwk = gcert_key_get_jwk (self);
  return gcert_jose_jwk_thumbprint (jwk, NULL);
}

GBytes *
gcert_key_sign (GCertKey      *self,
                const guint8  *data,
                gsize          length,
                GError       **error)
{
  g_auto(gnutls_datum_t) sig = { NULL, 0 };
  g_auto(gnutls_datum_t) r = { NULL, 0 };
  g_auto(gnutls_datum_t) s = { NULL, 0 };
  g_autofree guint8 *raw = NULL;
  gnutls_datum_t input;
  gsize size;
  int rc;

  g_return_val_if_fail (GCERT_IS_KEY (self), NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length > G_MAXUINT)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("data to sign is too large"));
      return NULL;
    }
  input.data = (unsigned char *) (data != NULL ? data : (const guint8 *) "");
  input.size = (unsigned int) length;
  rc = gnutls_privkey_sign_data2 (self->privkey, key_types[self->type].sign,
                                  0, &input, &sig);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc, _("cannot sign"));
      return NULL;
    }
  if (!key_type_is_ec (self->type))
    return g_bytes_new (sig.data, sig.size);

  /* GnuTLS gives DER (SEQUENCE of two INTEGERs); JWS wants R||S, each
   * left-padded to the size of the curve */
  rc = gnutls_decode_rs_value (&sig, &r, &s);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot decode ECDSA signature"));
      return NULL;
    }
  size = key_type_field_size (self->type);
  raw = g_malloc0 (2 * size);
  for (guint i = 0; i < 2; i++)
    {
      const gnutls_datum_t *v = i == 0 ? &r : &s;
      const guint8 *p = v->data;
      gsize len = v->size;

      while (len > 0 && p[0] == 0)
        {
          p++;
          len--;
        }
      if (len > size)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("ECDSA signature value larger than the curve"));
          return NULL;
        }
      memcpy (raw + i * size + (size - len), p, len);
    }
  return g_bytes_new_take (g_steal_pointer (&raw), 2 * size);
}
