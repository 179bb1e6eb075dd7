/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* autoptr cleanups for the GnuTLS types the library uses, in one place */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_crt_int, gnutls_x509_crt_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_crq_int, gnutls_x509_crq_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_privkey_int, gnutls_x509_privkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_privkey_st, gnutls_privkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_pubkey_st, gnutls_pubkey_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gnutls_x509_trust_list_st, gnutls_x509_trust_list_deinit_all)

static inline void
gnutls_x509_trust_list_deinit_all (gnutls_x509_trust_list_t list)
{
  gnutls_x509_trust_list_deinit (list, 1);
}

/* gnutls_datum_t whose data GnuTLS allocated */
static inline void
gcert_gnutls_datum_clear (gnutls_datum_t *datum)
{
  if (datum->data != NULL)
    gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (gnutls_datum_t, gcert_gnutls_datum_clear)

G_END_DECLS
