/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-key.h"

G_BEGIN_DECLS

/* base64url without padding (RFC 4648 §5, RFC 7515 §2) */
char   *gcert_base64url_encode (const guint8  *data,
                                gsize          length);
/* accepts input with or without padding; rejects any other character */
GBytes *gcert_base64url_decode (const char    *text,
                                GError       **error);

/**
 * gcert_jose_sign:
 * @key: the account key
 * @url: the request URL, goes into the protected header
 * @nonce: (nullable): the anti-replay nonce
 * @kid: (nullable): the account URL; %NULL puts the public `jwk` in the header
 * @payload: (nullable): the JSON payload text; %NULL means POST-as-GET
 *   (an empty payload)
 *
 * Returns: the JWS in flattened JSON serialization (RFC 7515 §7.2.2):
 *   `{"protected":…,"payload":…,"signature":…}`
 */
char *gcert_jose_sign (GCertKey    *key,
                       const char  *url,
                       const char  *nonce,
                       const char  *kid,
                       const char  *payload,
                       GError     **error);

/* RFC 8555 §8.1 key authorization for dns-01: base64url(SHA-256(token "." thumbprint)) */
char *gcert_jose_dns01_value (GCertKey   *account_key,
                              const char *token);

/* RFC 7638 thumbprint of a public JWK (EC or RSA members only), base64url */
char *gcert_jose_jwk_thumbprint (JsonNode  *jwk,
                                 GError   **error);

G_END_DECLS
