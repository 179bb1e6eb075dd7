/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-certificate.h"
#include "gcert-crypto-private.h"
#include "gcert-error.h"

/* more than any real chain; bounds the work a hostile answer can cause */
#define GCERT_CERTIFICATE_MAX_CHAIN 16

#define PEM_BEGIN "-----BEGIN "
#define PEM_DASHES "-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

struct _GCertCertificate
{
  GObject    parent_instance;
  /* gnutls_x509_crt_t, the leaf first */
  GPtrArray *chain;
  GStrv      names;
};

G_DEFINE_TYPE (GCertCertificate, gcert_certificate, G_TYPE_OBJECT)

static void
gcert_certificate_finalize (GObject *object)
{
  GCertCertificate *self = GCERT_CERTIFICATE (object);

  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_strfreev);

  G_OBJECT_CLASS (gcert_certificate_parent_class)->finalize (object);
}

static void
gcert_certificate_class_init (GCertCertificateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_certificate_finalize;
}

static void
gcert_certificate_init (GCertCertificate *self)
{
}

static gboolean
is_pem_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses a sequence of "CERTIFICATE" PEM blocks separated only by
 * whitespace into a new array of gnutls_x509_crt_t. */
static GPtrArray *
parse_pem_certificates (const char  *pem,
                        gsize        len,
                        GError     **error)
{
  g_autoptr(GPtrArray) certs = NULL;
  const char *p = pem;
  const char *end = pem + len;

  certs = g_ptr_array_new_with_free_func ((GDestroyNotify) gnutls_x509_crt_deinit);
  if (memchr (pem, '\0', len) != NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("PEM data contains a NUL byte"));
      return NULL;
    }

  for (;;)
    {
      g_autoptr(gnutls_x509_crt_int) crt = NULL;
      g_autofree char *label = NULL;
      const char *label_start;
      const char *label_end;
      const char *block_end;
      const char *dashes;
      gnutls_datum_t block;
      int rc;

      while (p < end && is_pem_space (*p))
        p++;
      if (p == end)
        break;

      if ((gsize) (end - p) < strlen (PEM_BEGIN) ||
          memcmp (p, PEM_BEGIN, strlen (PEM_BEGIN)) != 0)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("unexpected data at offset %zu"
                         ", expected a PEM certificate"),
                       (gsize) (p - pem));
          return NULL;
        }
      label_start = p + strlen (PEM_BEGIN);
      label_end = g_strstr_len (label_start, end - label_start, PEM_DASHES);
      if (label_end == NULL || memchr (label_start, '\n', label_end - label_start))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("malformed PEM header at offset %zu"),
                       (gsize) (p - pem));
          return NULL;
        }
      label = g_strndup (label_start, label_end - label_start);
      if (g_strcmp0 (label, "CERTIFICATE") != 0)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("unexpected PEM block “%s”, expected a certificate"),
                       g_str_is_ascii (label) ? label : "?");
          return NULL;
        }

      /* the next dashes must be the matching end line */
      dashes = g_strstr_len (label_end + strlen (PEM_DASHES),
                             end - label_end - strlen (PEM_DASHES), PEM_DASHES);
      if (dashes == NULL ||
          (gsize) (end - dashes) < strlen (PEM_CERT_END) ||
          memcmp (dashes, PEM_CERT_END, strlen (PEM_CERT_END)) != 0)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("unterminated PEM certificate at offset %zu"),
                       (gsize) (p - pem));
          return NULL;
        }
      block_end = dashes + strlen (PEM_CERT_END);

      if (certs->len == GCERT_CERTIFICATE_MAX_CHAIN)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("more than %u certificates in a chain"),
                       GCERT_CERTIFICATE_MAX_CHAIN);
          return NULL;
        }

      block.data = (unsigned char *) p;
      block.size = (unsigned int) (block_end - p);
      rc = gnutls_x509_crt_init (&crt);
      if (rc >= 0)
        rc = gnutls_x509_crt_import (crt, &block, GNUTLS_X509_FMT_PEM);
      if (rc < 0)
        {
          g_autofree char *what = g_strdup_printf (_("invalid certificate %u"),
                                                   certs->len + 1);

          gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc, what);
          return NULL;
        }
      g_ptr_array_add (certs, g_steal_pointer (&crt));
      p = block_end;
    }

  if (certs->len == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("no certificate in PEM data"));
      return NULL;
    }
  return g_steal_pointer (&certs);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* an IA5String without controls: anything else is not a DNS name */
static gboolean
dns_name_is_printable (const guint8 *data,
                       gsize         size)
{
  if (size == 0)
    return FALSE;
  for (gsize i = 0; i < size; i++)
    {
      if (data[i] <= 0x20 || data[i] >= 0x7f)
        return FALSE;
    }
  return TRUE;
}

/* dNSName SANs, lowercase, sorted, unique */
static GStrv
crt_get_dns_names (gnutls_x509_crt_t   crt,
                   GError            **error)
{
  g_autoptr(gnutls_subject_alt_names_st) sans = NULL;
  g_auto(gnutls_datum_t) ext = { NULL, 0 };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) unique = NULL;
  unsigned int critical = 0;
  int rc;

  rc = gnutls_x509_crt_get_extension_by_oid2 (crt, GNUTLS_X509EXT_OID_SAN, 0,
                                              &ext, &critical);
  if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return g_new0 (char *, 1);
  if (rc >= 0)
    rc = gnutls_subject_alt_names_init (&sans);
  if (rc >= 0)
    rc = gnutls_x509_ext_import_subject_alt_names (&ext, sans, 0);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc,
                              _("invalid subject alternative names"));
      return NULL;
    }

  for (unsigned int i = 0;; i++)
    {
      gnutls_datum_t san = { NULL, 0 };
      unsigned int type = 0;

      rc = gnutls_subject_alt_names_get (sans, i, &type, &san, NULL);
      if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (rc < 0)
        {
          gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc,
                                  _("invalid subject alternative names"));
          return NULL;
        }
      if (type != GNUTLS_SAN_DNSNAME)
        continue;
      if (!dns_name_is_printable (san.data, san.size))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid DNS name in subject alternative names"));
          return NULL;
        }
      g_ptr_array_add (names, g_ascii_strdown ((const char *) san.data, san.size));
    }

  g_ptr_array_sort (names, compare_strings);
  unique = g_ptr_array_new_null_terminated (names->len, g_free, TRUE);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (unique->len > 0 &&
          strcmp (g_ptr_array_index (unique, unique->len - 1), name) == 0)
        continue;
      g_ptr_array_add (unique, g_strdup (name));
    }
  return (GStrv) g_ptr_array_free (g_steal_pointer (&unique), FALSE);
}

GCertCertificate *
gcert_certificate_new_from_pem (const char  *pem,
                                gssize       length,
                                GError     **error)
{
  g_autoptr(GCertCertificate) self = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_auto(GStrv) names = NULL;
  gsize len;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = length < 0 ? strlen (pem) : (gsize) length;
  if (len > G_MAXUINT)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("PEM data too large"));
      return NULL;
    }
  chain = parse_pem_certificates (pem, len, error);
  if (chain == NULL)
    return NULL;
  names = crt_get_dns_names (g_ptr_array_index (chain, 0), error);
  if (names == NULL)
    return NULL;

  self = g_object_new (GCERT_TYPE_CERTIFICATE, NULL);
  self->chain = g_steal_pointer (&chain);
  self->names = g_steal_pointer (&names);
  return g_steal_pointer (&self);
}

static gnutls_x509_crt_t
get_leaf (GCertCertificate *self)
{
  return g_ptr_array_index (self->chain, 0);
}

guint
gcert_certificate_get_chain_length (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), 0);

  return self->chain->len;
}

GStrv
gcert_certificate_get_names (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return g_strdupv (self->names);
}

static GDateTime *
date_time_from_time_t (time_t t)
{
  if (t == (time_t) -1)
    return NULL;
  return g_date_time_new_from_unix_utc ((gint64) t);
}

GDateTime *
gcert_certificate_get_not_before (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return date_time_from_time_t (gnutls_x509_crt_get_activation_time (get_leaf (self)));
}

GDateTime *
gcert_certificate_get_not_after (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return date_time_from_time_t (gnutls_x509_crt_get_expiration_time (get_leaf (self)));
}

char *
gcert_certificate_get_serial (GCertCertificate *self)
{
  guint8 serial[64];
  size_t size = sizeof serial;
  GString *hex;

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  if (gnutls_x509_crt_get_serial (get_leaf (self), serial, &size) < 0)
    return NULL;
  hex = g_string_sized_new (2 * size);
  for (gsize i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", serial[i]);
  return g_string_free (hex, FALSE);
}

char *
gcert_certificate_get_issuer (GCertCertificate *self)
{
  g_auto(gnutls_datum_t) dn = { NULL, 0 };

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  if (gnutls_x509_crt_get_issuer_dn3 (get_leaf (self), &dn, 0) < 0)
    return g_strdup ("");
  return g_strndup ((const char *) dn.data, dn.size);
}

static gnutls_pubkey_t
crt_get_pubkey (gnutls_x509_crt_t crt)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;

  if (gnutls_pubkey_init (&pubkey) < 0 ||
      gnutls_pubkey_import_x509 (pubkey, crt, 0) < 0)
    return NULL;
  return g_steal_pointer (&pubkey);
}

gboolean
gcert_certificate_get_key_type (GCertCertificate *self,
                                GCertKeyType     *out_type)
{
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), FALSE);

  pubkey = crt_get_pubkey (get_leaf (self));
  if (pubkey == NULL)
    return FALSE;
  return gcert_pubkey_get_key_type (pubkey, out_type);
}

static void
append_pem (GString           *out,
            gnutls_x509_crt_t  crt)
{
  g_auto(gnutls_datum_t) pem = { NULL, 0 };

  /* exporting a certificate GnuTLS parsed only fails when out of memory */
  if (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
    g_error ("cannot export certificate");
  g_string_append_len (out, (const char *) pem.data, pem.size);
}

static char *
chain_to_pem (GCertCertificate *self,
              guint             from,
              guint             to)
{
  GString *out = g_string_new (NULL);

  for (guint i = from; i < to; i++)
    append_pem (out, g_ptr_array_index (self->chain, i));
  return g_string_free (out, FALSE);
}

char *
gcert_certificate_get_leaf_pem (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return chain_to_pem (self, 0, 1);
}

char *
gcert_certificate_get_issuers_pem (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return chain_to_pem (self, 1, self->chain->len);
}

char *
gcert_certificate_get_chain_pem (GCertCertificate *self)
{
  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), NULL);

  return chain_to_pem (self, 0, self->chain->len);
}

gboolean
gcert_certificate_matches_key (GCertCertificate *self,
                               GCertKey         *key)
{
  g_autoptr(gnutls_pubkey_st) cert_pubkey = NULL;
  g_autoptr(gnutls_pubkey_st) key_pubkey = NULL;
  g_auto(gnutls_datum_t) cert_spki = { NULL, 0 };
  g_auto(gnutls_datum_t) key_spki = { NULL, 0 };

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (GCERT_IS_KEY (key), FALSE);

  cert_pubkey = crt_get_pubkey (get_leaf (self));
  key_pubkey = gcert_key_dup_pubkey (key, NULL);
  if (cert_pubkey == NULL || key_pubkey == NULL)
    return FALSE;
  /* the DER SubjectPublicKeyInfo is the key's public material, canonically */
  if (gnutls_pubkey_export2 (cert_pubkey, GNUTLS_X509_FMT_DER, &cert_spki) < 0 ||
      gnutls_pubkey_export2 (key_pubkey, GNUTLS_X509_FMT_DER, &key_spki) < 0)
    return FALSE;
  return cert_spki.size == key_spki.size &&
         memcmp (cert_spki.data, key_spki.data, cert_spki.size) == 0;
}

gboolean
gcert_certificate_check_names (GCertCertificate    *self,
                               const char * const  *domains,
                               GError             **error)
{
  g_autoptr(GHashTable) wanted = NULL;
  g_autoptr(GHashTable) have = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(GPtrArray) extra = NULL;
  g_autoptr(GString) message = NULL;

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (domains != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  have = g_hash_table_new (g_str_hash, g_str_equal);
  missing = g_ptr_array_new_null_terminated (0, NULL, TRUE);
  extra = g_ptr_array_new_null_terminated (0, NULL, TRUE);

  for (guint i = 0; self->names[i] != NULL; i++)
    g_hash_table_add (have, self->names[i]);
  /* in the order given, so the message lists them as the user wrote them */
  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autofree char *name = g_ascii_strdown (domains[i], -1);

      if (g_hash_table_contains (wanted, name))
        continue;
      if (!g_hash_table_contains (have, name))
        g_ptr_array_add (missing, name);
      g_hash_table_add (wanted, g_steal_pointer (&name));
    }
  for (guint i = 0; self->names[i] != NULL; i++)
    {
      if (!g_hash_table_contains (wanted, self->names[i]))
        g_ptr_array_add (extra, self->names[i]);
    }

  if (missing->len == 0 && extra->len == 0)
    return TRUE;

  message = g_string_new (_("certificate names do not match the request"));
  if (missing->len > 0)
    {
      g_autofree char *list = g_strjoinv (", ", (GStrv) missing->pdata);

      g_string_append (message, "; ");
      /* TRANSLATORS: followed by a list of names */
      g_string_append_printf (message, _("missing: %s"), list);
    }
  if (extra->len > 0)
    {
      g_autofree char *list = g_strjoinv (", ", (GStrv) extra->pdata);

      g_string_append (message, "; ");
      /* TRANSLATORS: followed by a list of names */
      g_string_append_printf (message, _("not requested: %s"), list);
    }
  g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       message->str);
  return FALSE;
}

static char *
describe_verify_status (unsigned int status)
{
  static const struct
  {
    unsigned int flag;
    const char *text;
  } reasons[] = {
    { GNUTLS_CERT_SIGNER_NOT_FOUND, N_("issuer not trusted") },
    { GNUTLS_CERT_SIGNATURE_FAILURE, N_("bad signature") },
    { GNUTLS_CERT_EXPIRED, N_("expired") },
    { GNUTLS_CERT_NOT_ACTIVATED, N_("not yet valid") },
    { GNUTLS_CERT_SIGNER_NOT_CA, N_("issuer is not a CA") },
    { GNUTLS_CERT_INSECURE_ALGORITHM, N_("insecure algorithm") },
    { GNUTLS_CERT_REVOKED, N_("revoked") },
    { GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, N_("issuer constraints violated") },
    { GNUTLS_CERT_UNEXPECTED_OWNER, N_("unexpected owner") },
  };
  g_autoptr(GPtrArray) texts = g_ptr_array_new_null_terminated (0, NULL, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      if (status & reasons[i].flag)
        g_ptr_array_add (texts, (gpointer) _(reasons[i].text));
    }
  if (texts->len == 0)
    g_ptr_array_add (texts, (gpointer) _("not trusted"));
  return g_strjoinv (", ", (GStrv) texts->pdata);
}

gboolean
gcert_certificate_verify_chain (GCertCertificate  *self,
                                const char        *trust_anchors_pem,
                                GError           **error)
{
  g_autoptr(gnutls_x509_trust_list_st) list = NULL;
  g_autoptr(GPtrArray) anchors = NULL;
  g_autofree gpointer *cas = NULL;
  g_autofree char *reasons = NULL;
  unsigned int status = 0;
  gsize n_cas = 0;
  gsize len;
  int rc;

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (trust_anchors_pem != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (trust_anchors_pem);
  anchors = len <= G_MAXUINT ?
            parse_pem_certificates (trust_anchors_pem, len, error) : NULL;
  if (anchors == NULL)
    {
      g_prefix_error (error, _("reading trust anchors: "));
      return FALSE;
    }

  rc = gnutls_x509_trust_list_init (&list, 0);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot create trust list"));
      return FALSE;
    }
  /* the list takes the certificates */
  g_ptr_array_set_free_func (anchors, NULL);
  cas = g_ptr_array_steal (anchors, &n_cas);
  rc = gnutls_x509_trust_list_add_cas (list, (gnutls_x509_crt_t *) cas,
                                       (unsigned int) n_cas, 0);
  if (rc < 0)
    {
      for (gsize i = 0; i < n_cas; i++)
        gnutls_x509_crt_deinit (cas[i]);
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot add trust anchors"));
      return FALSE;
    }

  /* the chain must be in order, leaf first */
  rc = gnutls_x509_trust_list_verify_crt2 (list,
                                           (gnutls_x509_crt_t *) self->chain->pdata,
                                           self->chain->len, NULL, 0,
                                           GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN,
                                           &status, NULL);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_FAILED, rc,
                              _("cannot verify certificate chain"));
      return FALSE;
    }
  if (status != 0)
    {
      reasons = describe_verify_status (status);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("certificate chain does not verify: %s"), reasons);
      return FALSE;
    }
  return TRUE;
}
