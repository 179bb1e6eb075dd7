/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-key.h"

G_BEGIN_DECLS

#define GCERT_TYPE_CERTIFICATE (gcert_certificate_get_type ())
G_DECLARE_FINAL_TYPE (GCertCertificate, gcert_certificate, GCERT, CERTIFICATE, GObject)

/* A parsed PEM chain: the leaf first, then the issuers as given. Any
 * non-certificate PEM block or garbage between blocks is an error. */
G_GNUC_WARN_UNUSED_RESULT
GCertCertificate *gcert_certificate_new_from_pem     (const char        *pem,
                                                      gssize             length,
                                                      GError           **error);
guint             gcert_certificate_get_chain_length (GCertCertificate  *self);
/* dNSName SANs of the leaf, lowercase, sorted, duplicates removed */
GStrv             gcert_certificate_get_names        (GCertCertificate  *self);
GDateTime        *gcert_certificate_get_not_before   (GCertCertificate  *self);
GDateTime        *gcert_certificate_get_not_after    (GCertCertificate  *self);
/* lowercase hex, no separators */
char             *gcert_certificate_get_serial       (GCertCertificate  *self);
/* RFC 4514 string of the leaf's issuer */
char             *gcert_certificate_get_issuer       (GCertCertificate  *self);
/* key type of the leaf's public key; FALSE if it is none of ours */
gboolean          gcert_certificate_get_key_type     (GCertCertificate  *self,
                                                      GCertKeyType      *out_type);
/* PEM of the leaf only, of the issuers only, and of all */
char             *gcert_certificate_get_leaf_pem     (GCertCertificate  *self);
char             *gcert_certificate_get_issuers_pem  (GCertCertificate  *self);
char             *gcert_certificate_get_chain_pem    (GCertCertificate  *self);
/* TRUE when the leaf's public key is the public half of @key */
gboolean          gcert_certificate_matches_key      (GCertCertificate  *self,
                                                      GCertKey          *key);
/* TRUE when the leaf's names are exactly @domains (as a set, case-insensitive);
 * the error says which names are missing or extra */
gboolean          gcert_certificate_check_names      (GCertCertificate  *self,
                                                      const char * const *domains,
                                                      GError           **error);
/* Verifies the chain (each certificate signed by the next, the last by one of
 * the PEM @trust_anchors) at the current time. */
gboolean          gcert_certificate_verify_chain     (GCertCertificate  *self,
                                                      const char        *trust_anchors_pem,
                                                      GError           **error);

G_END_DECLS
