/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  GCERT_KEY_TYPE_EC_256,
  GCERT_KEY_TYPE_EC_384,
  GCERT_KEY_TYPE_RSA_2048,
  GCERT_KEY_TYPE_RSA_3072,
  GCERT_KEY_TYPE_RSA_4096,
} GCertKeyType;

#define GCERT_KEY_TYPE_DEFAULT GCERT_KEY_TYPE_EC_256

/* "ec-256", "ec-384", "rsa-2048", "rsa-3072", "rsa-4096" */
gboolean    gcert_key_type_from_string (const char   *text,
                                        GCertKeyType *out_type);
const char *gcert_key_type_to_string   (GCertKeyType  type);

#define GCERT_TYPE_KEY (gcert_key_get_type ())
G_DECLARE_FINAL_TYPE (GCertKey, gcert_key, GCERT, KEY, GObject)

G_GNUC_WARN_UNUSED_RESULT
GCertKey     *gcert_key_generate          (GCertKeyType   type,
                                           GError       **error);
void          gcert_key_generate_async    (GCertKeyType         type,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
G_GNUC_WARN_UNUSED_RESULT
GCertKey     *gcert_key_generate_finish   (GAsyncResult  *result,
                                           GError       **error);
/* PKCS#8 or traditional (SEC1 / PKCS#1) PEM */
G_GNUC_WARN_UNUSED_RESULT
GCertKey     *gcert_key_new_from_pem      (const char    *pem,
                                           gssize         length,
                                           GError       **error);
/* unencrypted PKCS#8 PEM, NUL-terminated */
char         *gcert_key_to_pem            (GCertKey      *self,
                                           GError       **error);
GCertKeyType  gcert_key_get_key_type      (GCertKey      *self);
/* "ES256", "ES384" or "RS256" */
const char   *gcert_key_get_jws_algorithm (GCertKey      *self);
/* the public key as a JWK object: {"crv","kty","x","y"} or {"e","kty","n"} */
JsonNode     *gcert_key_get_jwk           (GCertKey      *self);
/* RFC 7638 thumbprint: base64url (no padding) of SHA-256 of the canonical JWK */
char         *gcert_key_get_thumbprint    (GCertKey      *self);
/* A JWS signature over @data: raw R||S for ECDSA (RFC 7518 §3.4),
 * PKCS#1 v1.5 for RSA */
GBytes       *gcert_key_sign              (GCertKey      *self,
                                           const guint8  *data,
                                           gsize          length,
                                           GError       **error);
/* For GnuTLS users inside the library (gcert-crypto-private.h). */
gpointer      gcert_key_get_privkey       (GCertKey      *self);

G_END_DECLS
