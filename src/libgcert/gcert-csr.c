/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-crypto-private.h"
#include "gcert-csr.h"
#include "gcert-error.h"

/* Enough to keep junk out of a CSR; the CA judges the names themselves. */
static gboolean
csr_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 253)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '.' && c != '_' && c != '*')
        return FALSE;
    }
  return TRUE;
}

GBytes *
gcert_csr_new (GCertKey            *key,
               const char * const  *domains,
               GError             **error)
{
  g_autoptr(gnutls_x509_crq_int) crq = NULL;
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_auto(gnutls_datum_t) der = { NULL, 0 };
  int rc;

  g_return_val_if_fail (GCERT_IS_KEY (key), NULL);
  g_return_val_if_fail (domains != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (domains[0] == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("a certificate request needs at least one name"));
      return NULL;
    }

  pubkey = gcert_key_dup_pubkey (key, error);
  if (pubkey == NULL)
    return NULL;

  rc = gnutls_x509_crq_init (&crq);
  if (rc >= 0)
    rc = gnutls_x509_crq_set_version (crq, 1);
  if (rc >= 0)
    rc = gnutls_x509_crq_set_pubkey (crq, pubkey);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot create certificate request"));
      return NULL;
    }

  /* every name is a dNSName SAN and the subject stays empty: CAs take the
   * names from the SANs, and a CN would only repeat one of them */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autofree char *name = g_ascii_strdown (domains[i], -1);

      if (!csr_name_is_valid (name))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid name “%s” for a certificate request"),
                       domains[i]);
          return NULL;
        }
      if (g_hash_table_contains (seen, name))
        continue;
      rc = gnutls_x509_crq_set_subject_alt_name (crq, GNUTLS_SAN_DNSNAME,
                                                 name, strlen (name),
                                                 GNUTLS_FSAN_APPEND);
      if (rc < 0)
        {
          gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                                  _("cannot add name to certificate request"));
          return NULL;
        }
      g_hash_table_add (seen, g_steal_pointer (&name));
    }

  rc = gnutls_x509_crq_privkey_sign (crq, gcert_key_get_privkey (key),
                                     gcert_key_get_key_type (key) ==
                                     GCERT_KEY_TYPE_EC_384 ?
                                     GNUTLS_DIG_SHA384 : GNUTLS_DIG_SHA256, 0);
  if (rc >= 0)
    rc = gnutls_x509_crq_export2 (crq, GNUTLS_X509_FMT_DER, &der);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot sign certificate request"));
      return NULL;
    }
  return g_bytes_new (der.data, der.size);
}
