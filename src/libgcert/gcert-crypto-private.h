/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "gcert-error.h"
#include "gcert-key.h"

G_BEGIN_DECLS

/* GnuTLS handles are pointers to opaque structs; g_autoptr() needs the
 * struct as a type name, e.g. g_autoptr(gnutls_x509_crt_int) crt = NULL.
 * Repeating a typedef of the same type is valid C11, so this cannot clash
 * with a future GnuTLS header. */
typedef struct gnutls_x509_crt_int gnutls_x509_crt_int;
typedef struct gnutls_x509_crq_int gnutls_x509_crq_int;
typedef struct gnutls_x509_privkey_int gnutls_x509_privkey_int;
typedef struct gnutls_privkey_st gnutls_privkey_st;
typedef struct gnutls_pubkey_st gnutls_pubkey_st;
typedef struct gnutls_x509_trust_list_st gnutls_x509_trust_list_st;
typedef struct gnutls_subject_alt_names_st gnutls_subject_alt_names_st;

/* a trust list owns the CAs added to it */
static inline void
gcert_gnutls_x509_trust_list_free (gnutls_x509_trust_list_t list)
{
  gnutls_x509_trust_list_deinit (list, 1);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_crt_int, gnutls_x509_crt_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_crq_int, gnutls_x509_crq_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_privkey_int, gnutls_x509_privkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_privkey_st, gnutls_privkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_pubkey_st, gnutls_pubkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_trust_list_st, gcert_gnutls_x509_trust_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_subject_alt_names_st, gnutls_subject_alt_names_deinit)

/* gnutls_datum_t whose data GnuTLS allocated:
 * g_auto(gnutls_datum_t) out = { NULL, 0 }; */
static inline void
gcert_gnutls_datum_clear (gnutls_datum_t *datum)
{
  if (datum->data != NULL)
    gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (gnutls_datum_t, gcert_gnutls_datum_clear)

/* Sets @error from a GnuTLS return code: "@what: <gnutls message>" */
static inline void
gcert_gnutls_set_error (GError     **error,
                        GCertError   code,
                        int          rc,
                        const char  *what)
{
  g_autofree char *text = g_strdup (gnutls_strerror (rc));
  gsize len = strlen (text);

  /* GnuTLS writes sentences; our messages are lowercase without a full stop */
  if (len > 0 && text[len - 1] == '.')
    text[len - 1] = '\0';
  if (g_ascii_isupper (text[0]) && g_ascii_islower (text[1]))
    text[0] = g_ascii_tolower (text[0]);
  g_set_error (error, GCERT_ERROR, code, "%s: %s", what, text);
}

/* The key type of a public key; FALSE if it is none of ours. */
gboolean        gcert_pubkey_get_key_type (gnutls_pubkey_t   pubkey,
                                           GCertKeyType     *out_type);
/* A new public key for @key, never NULL for a valid key. */
gnutls_pubkey_t gcert_key_dup_pubkey      (GCertKey         *key,
                                           GError          **error);
/* The signature algorithm GCertKey uses for JWS and CSRs. */
gnutls_sign_algorithm_t gcert_key_get_sign_algorithm (GCertKey *key);

G_END_DECLS
