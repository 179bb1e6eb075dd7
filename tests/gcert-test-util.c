/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/xattr.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcert-crypto-private.h"
#include "gcert-test-util.h"

char *
gcert_test_mkdtemp (const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpl = NULL;
  char *path;

  tmpl = g_strdup_printf ("%s-XXXXXX", prefix != NULL ? prefix : "gcert-test");
  path = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);
  return path;
}

void
gcert_test_rm_rf (const char *path)
{
  GStatBuf st;

  g_return_if_fail (path != NULL);

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = NULL;
      const char *name;

      /* a directory we may not read (mode 0) still has to go */
      g_chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          gcert_test_rm_rf (child);
        }
      if (g_rmdir (path) != 0)
        g_warning ("cannot remove %s: %s", path, g_strerror (errno));
    }
  else if (g_unlink (path) != 0)
    {
      g_warning ("cannot remove %s: %s", path, g_strerror (errno));
    }
}

static gboolean
test_set_gnutls_error (GError     **error,
                       int          rc,
                       const char  *what)
{
  if (rc >= 0)
    return TRUE;
  g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "%s: %s", what,
               gnutls_strerror (rc));
  return FALSE;
}

static gboolean
set_serial (gnutls_x509_crt_t   crt,
            GError            **error)
{
  guint8 serial[16];
  int rc;

  rc = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  if (!test_set_gnutls_error (error, rc, "random serial"))
    return FALSE;
  /* positive and without a leading zero byte */
  serial[0] = (serial[0] & 0x7f) | 0x10;
  rc = gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  return test_set_gnutls_error (error, rc, "setting serial");
}

static gboolean
set_key_ids (gnutls_x509_crt_t   crt,
             gnutls_pubkey_t     pubkey,
             gnutls_x509_crt_t   issuer,
             GError            **error)
{
  guint8 id[64];
  size_t id_size = sizeof id;
  int rc;

  rc = gnutls_pubkey_get_key_id (pubkey, GNUTLS_KEYID_USE_SHA1, id, &id_size);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_subject_key_id (crt, id, id_size);
  if (rc >= 0 && issuer != NULL)
    {
      unsigned int critical = 0;

      id_size = sizeof id;
      rc = gnutls_x509_crt_get_subject_key_id (issuer, id, &id_size, &critical);
      if (rc >= 0)
        rc = gnutls_x509_crt_set_authority_key_id (crt, id, id_size);
    }
  return test_set_gnutls_error (error, rc, "setting key identifiers");
}

/* A self-signed CA certificate valid from @not_before to @not_after. */
static gnutls_x509_crt_t
make_ca (GCertKey   *key,
         time_t      not_before,
         time_t      not_after,
         GError    **error)
{
  g_autoptr(gnutls_x509_crt_int) crt = NULL;
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  g_autofree char *dn = NULL;
  int rc;

  pubkey = gcert_key_dup_pubkey (key, error);
  if (pubkey == NULL)
    return NULL;

  /* a unique name, so no two test CAs can be confused */
  dn = g_strdup_printf ("CN=gcert test CA %08x%08x,O=gcert tests",
                        g_random_int (), g_random_int ());
  rc = gnutls_x509_crt_init (&crt);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_version (crt, 3);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_dn (crt, dn, NULL);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_pubkey (crt, pubkey);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_activation_time (crt, not_before);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_expiration_time (crt, not_after);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_basic_constraints (crt, 1, -1);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN |
                                             GNUTLS_KEY_CRL_SIGN |
                                             GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (!test_set_gnutls_error (error, rc, "building CA certificate"))
    return NULL;
  if (!set_serial (crt, error) || !set_key_ids (crt, pubkey, NULL, error))
    return NULL;
  rc = gnutls_x509_crt_privkey_sign (crt, crt, gcert_key_get_privkey (key),
                                     GNUTLS_DIG_SHA256, 0);
  if (!test_set_gnutls_error (error, rc, "signing CA certificate"))
    return NULL;
  return g_steal_pointer (&crt);
}

/* A leaf for @key issued by @ca; IP literals in @names become IP SANs. */
static gnutls_x509_crt_t
make_leaf (GCertKey            *key,
           const char * const  *names,
           time_t               not_before,
           time_t               not_after,
           gboolean             tls_server,
           gnutls_x509_crt_t    ca,
           GCertKey            *ca_key,
           GError             **error)
{
  g_autoptr(gnutls_x509_crt_int) crt = NULL;
  g_autoptr(gnutls_pubkey_st) pubkey = NULL;
  unsigned int usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
  int rc;

  pubkey = gcert_key_dup_pubkey (key, error);
  if (pubkey == NULL)
    return NULL;
  if (gcert_key_get_key_type (key) >= GCERT_KEY_TYPE_RSA_2048)
    usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;

  rc = gnutls_x509_crt_init (&crt);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_version (crt, 3);
  /* like public CAs, the first name as CN; names come from the SANs */
  if (rc >= 0 && names[0] != NULL)
    rc = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                        names[0], strlen (names[0]));
  if (rc >= 0)
    rc = gnutls_x509_crt_set_pubkey (crt, pubkey);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_activation_time (crt, not_before);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_expiration_time (crt, not_after);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_basic_constraints (crt, 0, -1);
  if (rc >= 0)
    rc = gnutls_x509_crt_set_key_usage (crt, usage);
  if (rc >= 0 && tls_server)
    rc = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  for (guint i = 0; rc >= 0 && names[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (names[i]);

      if (address != NULL)
        rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS,
                                                   g_inet_address_to_bytes (address),
                                                   g_inet_address_get_native_size (address),
                                                   GNUTLS_FSAN_APPEND);
      else
        rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME,
                                                   names[i], strlen (names[i]),
                                                   GNUTLS_FSAN_APPEND);
    }
  if (!test_set_gnutls_error (error, rc, "building leaf certificate"))
    return NULL;
  if (!set_serial (crt, error) || !set_key_ids (crt, pubkey, ca, error))
    return NULL;
  rc = gnutls_x509_crt_privkey_sign (crt, ca, gcert_key_get_privkey (ca_key),
                                     GNUTLS_DIG_SHA256, 0);
  if (!test_set_gnutls_error (error, rc, "signing leaf certificate"))
    return NULL;
  return g_steal_pointer (&crt);
}

static char *
crt_to_pem (gnutls_x509_crt_t crt)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  int rc;

  rc = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out);
  g_assert_cmpint (rc, >=, 0);
  return g_strndup ((const char *) out.data, out.size);
}

static gboolean
write_pem_file (const char  *dir,
                const char  *name,
                const char  *contents,
                int          mode,
                char       **out_path,
                GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, mode, error))
    return FALSE;
  if (out_path != NULL)
    *out_path = g_steal_pointer (&path);
  return TRUE;
}

gboolean
gcert_test_make_tls_pair (const char          *dir,
                          const char * const  *names,
                          char               **out_ca_file,
                          char               **out_cert_file,
                          char               **out_key_file,
                          GError             **error)
{
  g_autoptr(GCertKey) ca_key = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(gnutls_x509_crt_int) ca = NULL;
  g_autoptr(gnutls_x509_crt_int) leaf = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *leaf_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  time_t now = time (NULL);

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (names != NULL && names[0] != NULL, FALSE);

  ca_key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, error);
  if (ca_key == NULL)
    return FALSE;
  key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, error);
  if (key == NULL)
    return FALSE;

  /* back-dated an hour for clock skew; a week outlives any test run */
  ca = make_ca (ca_key, now - 3600, now + 7 * 86400, error);
  if (ca == NULL)
    return FALSE;
  leaf = make_leaf (key, names, now - 3600, now + 7 * 86400, TRUE, ca, ca_key,
                    error);
  if (leaf == NULL)
    return FALSE;

  ca_pem = crt_to_pem (ca);
  leaf_pem = crt_to_pem (leaf);
  key_pem = gcert_key_to_pem (key, error);
  if (key_pem == NULL)
    return FALSE;

  if (!write_pem_file (dir, "ca.pem", ca_pem, 0644, &ca_file, error) ||
      !write_pem_file (dir, "cert.pem", leaf_pem, 0644, &cert_file, error) ||
      !write_pem_file (dir, "key.pem", key_pem, 0600, &key_file, error))
    return FALSE;

  if (out_ca_file != NULL)
    *out_ca_file = g_steal_pointer (&ca_file);
  if (out_cert_file != NULL)
    *out_cert_file = g_steal_pointer (&cert_file);
  if (out_key_file != NULL)
    *out_key_file = g_steal_pointer (&key_file);
  return TRUE;
}

char *
gcert_test_issue_certificate (GCertKey            *key,
                              const char * const  *names,
                              GDateTime           *not_before,
                              GDateTime           *not_after,
                              char               **out_ca_pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertKey) ca_key = NULL;
  g_autoptr(gnutls_x509_crt_int) ca = NULL;
  g_autoptr(gnutls_x509_crt_int) leaf = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *leaf_pem = NULL;
  time_t now = time (NULL);
  time_t start;
  time_t end;

  g_return_val_if_fail (GCERT_IS_KEY (key), NULL);
  g_return_val_if_fail (names != NULL, NULL);

  start = not_before != NULL ? g_date_time_to_unix (not_before) : now - 3600;
  end = not_after != NULL ? g_date_time_to_unix (not_after) : now + 90 * 86400;

  ca_key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_assert_no_error (error);
  /* the CA covers both the leaf's validity and now, so only the leaf's
   * dates decide whether the chain is valid */
  ca = make_ca (ca_key, MIN (start, now) - 3600, MAX (end, now) + 86400, &error);
  g_assert_no_error (error);
  leaf = make_leaf (key, names, start, end, TRUE, ca, ca_key, &error);
  g_assert_no_error (error);

  ca_pem = crt_to_pem (ca);
  leaf_pem = crt_to_pem (leaf);
  if (out_ca_pem != NULL)
    *out_ca_pem = g_strdup (ca_pem);
  return g_strconcat (leaf_pem, ca_pem, NULL);
}

static GCertKey *test_keys[GCERT_KEY_TYPE_RSA_4096 + 1];

GCertKey *
gcert_test_get_key (GCertKeyType type)
{
  g_assert_cmpuint (type, <, G_N_ELEMENTS (test_keys));
  if (test_keys[type] == NULL)
    {
      g_autoptr(GError) error = NULL;

      test_keys[type] = gcert_key_generate (type, &error);
      g_assert_no_error (error);
      g_assert_nonnull (test_keys[type]);
    }
  return test_keys[type];
}

void
gcert_test_clear_keys (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (test_keys); i++)
    g_clear_object (&test_keys[i]);
}

/* --- files ---------------------------------------------------------------- */

void
gcert_test_write_bytes (const char *path,
                        const char *data,
                        gssize      length,
                        int         mode)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (data != NULL);

  g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, mode, &error);
  g_assert_no_error (error);
  /* the file was created through the umask */
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

void
gcert_test_write_file (const char *path,
                       const char *contents,
                       int         mode)
{
  gcert_test_write_bytes (path, contents, -1, mode);
}

char *
gcert_test_write_file_in (const char *dir,
                          const char *name,
                          const char *contents,
                          int         mode)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  path = g_build_filename (dir, name, NULL);
  gcert_test_write_file (path, contents, mode);
  return g_steal_pointer (&path);
}

char *
gcert_test_write_script (const char *dir,
                         const char *name,
                         const char *body,
                         int         mode)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (body != NULL, NULL);

  text = g_strconcat ("#!/bin/sh\n", body, NULL);
  return gcert_test_write_file_in (dir, name, text, mode);
}

char *
gcert_test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

void
gcert_test_assert_file (const char *path,
                        const char *contents,
                        gssize      length,
                        guint       mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actual = NULL;
  gsize actual_length = 0;
  GStatBuf st;

  g_return_if_fail (path != NULL);
  g_return_if_fail (contents != NULL);

  if (length < 0)
    length = strlen (contents);
  g_file_get_contents (path, &actual, &actual_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (actual, actual_length, contents, length);
  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

void
gcert_test_assert_same_file (const char *path,
                             const char *source,
                             guint       mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  gsize length = 0;

  g_return_if_fail (source != NULL);

  g_file_get_contents (source, &expected, &length, &error);
  g_assert_no_error (error);
  gcert_test_assert_file (path, expected, length, mode);
}

char *
gcert_test_list_dir (const char *dir)
{
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_null_terminated (8, g_free, TRUE);
  const char *name;

  g_return_val_if_fail (dir != NULL, NULL);

  handle = g_dir_open (dir, 0, NULL);
  if (handle == NULL)
    return g_strdup ("(missing)");
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  gcert_test_sort_strv ((char **) names->pdata);
  return g_strjoinv (" ", (char **) names->pdata);
}

void
gcert_test_assert_dir_lists (const char *dir,
                             const char *expected)
{
  g_autofree char *names = gcert_test_list_dir (dir);

  g_assert_cmpstr (names, ==, expected);
}

/* --- text ----------------------------------------------------------------- */

void
gcert_test_assert_contains (const char *haystack,
                            const char *needle)
{
  g_return_if_fail (needle != NULL);

  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_test_message ("“%s” not found in:\n%s", needle, haystack != NULL ? haystack : "(null)");
  g_assert_nonnull (haystack);
  g_assert_nonnull (strstr (haystack, needle));
}

void
gcert_test_assert_not_contains (const char *haystack,
                                const char *needle)
{
  g_return_if_fail (needle != NULL);

  if (haystack != NULL && strstr (haystack, needle) != NULL)
    g_test_message ("“%s” unexpectedly found in:\n%s", needle, haystack);
  g_assert_true (haystack == NULL || strstr (haystack, needle) == NULL);
}

void
gcert_test_assert_no_secrets (const char         *text,
                              const char * const *secrets,
                              gsize               head)
{
  g_return_if_fail (secrets != NULL);

  if (text == NULL)
    return;
  for (guint i = 0; secrets[i] != NULL; i++)
    {
      g_autofree char *part = head > 0 ? g_strndup (secrets[i], head) : g_strdup (secrets[i]);

      if (strstr (text, part) != NULL)
        g_test_message ("a secret shows in:\n%s", text);
      g_assert_null (strstr (text, part));
    }
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

void
gcert_test_sort_strv (char **strv)
{
  g_return_if_fail (strv != NULL);

  qsort (strv, g_strv_length (strv), sizeof (char *), compare_strings);
}

/* --- configuration -------------------------------------------------------- */

/* The provider (@kind "dns") or deployer ("deploy") of [@kind @name] in
 * @text, read as if from @config_path */
static GObject *
load_plugin (const char  *config_path,
             const char  *text,
             const char  *kind,
             const char  *name,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  gboolean dns = g_str_equal (kind, "dns");

  g_return_val_if_fail (config_path != NULL && text != NULL && name != NULL, NULL);

  config = gcert_config_load_from_data (text, config_path, &local_error);
  g_assert_no_error (local_error);
  g_assert_nonnull (config);
  settings = dns ? gcert_config_get_dns_settings (config, name)
                 : gcert_config_get_deploy_settings (config, name);
  if (settings == NULL)
    g_error ("no group [%s %s] in:\n%s", kind, name, text);
  if (dns)
    return G_OBJECT (gcert_plugins_new_dns_provider (settings, error));
  return G_OBJECT (gcert_plugins_new_deployer (settings, error));
}

static GObject *
load_plugin_ok (const char *config_path,
                const char *text,
                const char *kind,
                const char *name)
{
  g_autoptr(GError) error = NULL;
  GObject *plugin = load_plugin (config_path, text, kind, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plugin);
  return plugin;
}

GCertDnsProvider *
gcert_test_load_dns_provider (const char  *config_path,
                              const char  *text,
                              const char  *name,
                              GError     **error)
{
  return GCERT_DNS_PROVIDER (load_plugin (config_path, text, "dns", name, error));
}

GCertDnsProvider *
gcert_test_load_dns_provider_ok (const char *config_path,
                                 const char *text,
                                 const char *name)
{
  return GCERT_DNS_PROVIDER (load_plugin_ok (config_path, text, "dns", name));
}

GCertDeployer *
gcert_test_load_deployer (const char  *config_path,
                          const char  *text,
                          const char  *name,
                          GError     **error)
{
  return GCERT_DEPLOYER (load_plugin (config_path, text, "deploy", name, error));
}

GCertDeployer *
gcert_test_load_deployer_ok (const char *config_path,
                             const char *text,
                             const char *name)
{
  return GCERT_DEPLOYER (load_plugin_ok (config_path, text, "deploy", name));
}

void
gcert_test_assert_config_error (const GError *error,
                                int           code,
                                const char   *config_path,
                                guint         line,
                                const char   *group,
                                const char   *key,
                                const char   *detail)
{
  g_autofree char *where = NULL;

  g_return_if_fail (config_path != NULL && group != NULL);

  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  if (code >= 0)
    g_assert_error (error, GCERT_ERROR, code);
  else
    g_assert_true (error->domain == GCERT_ERROR);
  if (key != NULL)
    where = g_strdup_printf ("%s:%u: [%s] %s", config_path, line, group, key);
  else
    where = g_strdup_printf ("%s:%u: [%s]", config_path, line, group);
  gcert_test_assert_contains (error->message, where);
  if (detail != NULL)
    gcert_test_assert_contains (error->message, detail);
}

GError *
gcert_test_assert_bad_config (const char *config_path,
                              const char *text,
                              const char *group,
                              int         code,
                              guint       line,
                              const char *key,
                              const char *detail)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) loaded = NULL;
  g_auto(GStrv) kind_name = NULL;

  g_return_val_if_fail (group != NULL, NULL);

  kind_name = g_strsplit (group, " ", 2);
  g_return_val_if_fail (g_strv_length (kind_name) == 2, NULL);
  loaded = load_plugin (config_path, text, kind_name[0], kind_name[1], &error);
  g_assert_null (loaded);
  gcert_test_assert_config_error (error, code, config_path, line, group, key, detail);
  return g_steal_pointer (&error);
}

/* --- asynchronous calls --------------------------------------------------- */

void
gcert_test_result_cb (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

GAsyncResult *
gcert_test_wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

guint
gcert_test_cancel_after (GCancellable *cancellable,
                         guint         ms)
{
  g_return_val_if_fail (G_IS_CANCELLABLE (cancellable), 0);

  return g_timeout_add_full (G_PRIORITY_DEFAULT, ms, cancel_cb, g_object_ref (cancellable),
                             g_object_unref);
}

/* creates (@create) or removes the record, to the end */
static gboolean
change_record (GCertDnsProvider  *provider,
               gboolean           create,
               const char        *fqdn,
               const char        *value,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (GCERT_IS_DNS_PROVIDER (provider), FALSE);

  if (create)
    gcert_dns_provider_create_record_async (provider, fqdn, value, cancellable,
                                            gcert_test_result_cb, &result);
  else
    gcert_dns_provider_remove_record_async (provider, fqdn, value, cancellable,
                                            gcert_test_result_cb, &result);
  gcert_test_wait_for (&result);
  if (create)
    return gcert_dns_provider_create_record_finish (provider, result, error);
  return gcert_dns_provider_remove_record_finish (provider, result, error);
}

gboolean
gcert_test_create_record (GCertDnsProvider  *provider,
                          const char        *fqdn,
                          const char        *value,
                          GCancellable      *cancellable,
                          GError           **error)
{
  return change_record (provider, TRUE, fqdn, value, cancellable, error);
}

gboolean
gcert_test_remove_record (GCertDnsProvider  *provider,
                          const char        *fqdn,
                          const char        *value,
                          GCancellable      *cancellable,
                          GError           **error)
{
  return change_record (provider, FALSE, fqdn, value, cancellable, error);
}

GStrv
gcert_test_query_txt (const char  *server,
                      const char  *fqdn,
                      GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gcert_dns_query_txt_async (server, fqdn, NULL, gcert_test_result_cb, &result);
  return gcert_dns_query_txt_finish (gcert_test_wait_for (&result), error);
}

static void
progress_cb (const char *message,
             gpointer    user_data)
{
  GPtrArray *progress = user_data;

  g_test_message ("progress: %s", message);
  if (progress != NULL)
    g_ptr_array_add (progress, g_strdup (message));
}

gboolean
gcert_test_deploy (GCertDeployer          *deployer,
                   const GCertDeployment  *deployment,
                   GPtrArray              *progress,
                   GCancellable           *cancellable,
                   GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (GCERT_IS_DEPLOYER (deployer), FALSE);

  gcert_deployer_deploy_async (deployer, deployment, progress_cb, progress, cancellable,
                               gcert_test_result_cb, &result);
  return gcert_deployer_deploy_finish (deployer, gcert_test_wait_for (&result), error);
}

GPtrArray *
gcert_test_renew (GCertManager        *manager,
                  const char * const  *names,
                  GCertRenewFlags      flags,
                  GCancellable        *cancellable,
                  GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (GCERT_IS_MANAGER (manager), NULL);

  gcert_manager_renew_async (manager, names, flags, cancellable, gcert_test_result_cb, &result);
  return gcert_manager_renew_finish (manager, gcert_test_wait_for (&result), error);
}

/* --- processes and sockets ------------------------------------------------ */

/* Whether the process is gone, or a zombie nobody reaped yet. */
static gboolean
process_gone (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat_text = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat_text, NULL, NULL))
    return TRUE;
  /* the state follows the name, which may itself hold parentheses */
  paren = strrchr (stat_text, ')');
  return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

void
gcert_test_assert_process_gone (const char *pid_file)
{
  g_autofree char *pid_text = gcert_test_read_file (pid_file);
  int pid = atoi (pid_text);
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  g_assert_cmpint (pid, >, 1);
  while (!process_gone (pid) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_true (process_gone (pid));
}

GSocket *
gcert_test_try_listen_loopback (GSocketType   type,
                                guint16       port,
                                guint16      *out_port,
                                GError      **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  gboolean stream = type == G_SOCKET_TYPE_STREAM;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type,
                         stream ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  if (!g_socket_bind (socket, address, stream, error))
    return NULL;
  if (stream && !g_socket_listen (socket, error))
    return NULL;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return NULL;
  if (out_port != NULL)
    *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return g_steal_pointer (&socket);
}

GSocket *
gcert_test_listen_loopback (GSocketType  type,
                            guint16      port,
                            guint16     *out_port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;

  socket = gcert_test_try_listen_loopback (type, port, out_port, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&socket);
}

gboolean
gcert_test_dns_probe (const char *server,
                      const char *name,
                      guint16     qtype,
                      guint      *out_rcode,
                      guint      *out_answers)
{
  /* id "gc", no flags, one question */
  static const guint8 header[] = { 0x67, 0x63, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
  const guint8 tail[4] = { qtype >> 8, qtype & 0xff, 0x00, 0x01 /* IN */ };
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GByteArray) query = g_byte_array_new ();
  g_auto(GStrv) labels = NULL;
  guint8 answer[4096];
  gssize received;

  g_return_val_if_fail (server != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  g_byte_array_append (query, header, sizeof header);
  labels = g_strsplit (name, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      guint8 length = MIN (strlen (labels[i]), 63);

      if (length == 0)
        continue;
      g_byte_array_append (query, &length, 1);
      g_byte_array_append (query, (const guint8 *) labels[i], length);
    }
  g_byte_array_append (query, (const guint8 *) "", 1);
  g_byte_array_append (query, tail, sizeof tail);

  connectable = g_network_address_parse (server, 53, NULL);
  if (connectable == NULL)
    return FALSE;
  enumerator = g_socket_connectable_enumerate (connectable);
  address = g_socket_address_enumerator_next (enumerator, NULL, NULL);
  if (address == NULL)
    return FALSE;
  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL)
    return FALSE;
  g_socket_set_timeout (socket, 1);
  if (g_socket_send_to (socket, address, (const char *) query->data, query->len,
                        NULL, NULL) != (gssize) query->len)
    return FALSE;
  received = g_socket_receive (socket, (char *) answer, sizeof answer, NULL, NULL);
  if (received < 12 || answer[0] != header[0] || answer[1] != header[1])
    return FALSE;
  if (out_rcode != NULL)
    *out_rcode = answer[3] & 0x0f;
  if (out_answers != NULL)
    *out_answers = (answer[6] << 8) | answer[7];
  return TRUE;
}

/* --- talking to test servers --------------------------------------------- */

#define ERROR_BODY_BYTES  1000

SoupSession *
gcert_test_session_new (const char  *ca_file,
                        GError     **error)
{
  g_autoptr(SoupSession) session = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* a test server on loopback: never through a proxy */
  session = soup_session_new_with_options ("proxy-resolver", NULL,
                                           "timeout", 10,
                                           "user-agent", "gcert-test-fixture",
                                           NULL);
  if (ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, error);

      if (database == NULL)
        return NULL;
      soup_session_set_tls_database (session, database);
    }
  return g_steal_pointer (&session);
}

GBytes *
gcert_test_http_request (SoupSession  *session,
                         const char   *method,
                         const char   *url,
                         const char   *header,
                         const char   *value,
                         const char   *json_body,
                         guint        *out_status,
                         GError      **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (header == NULL || value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (out_status != NULL)
    *out_status = 0;
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA, "invalid URL %s", url);
      return NULL;
    }
  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  if (json_body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    {
      g_prefix_error (error, "%s %s: ", method, url);
      return NULL;
    }
  status = soup_message_get_status (msg);
  if (out_status != NULL)
    *out_status = status;
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "%s %s: HTTP %u: %.*s",
                   method, url, status, (int) MIN (g_bytes_get_size (body), ERROR_BODY_BYTES),
                   (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return g_steal_pointer (&body);
}

/* --- server processes ----------------------------------------------------- */

#define START_ATTEMPTS    5
#define POLL_INTERVAL_US  (20 * 1000)
#define STOP_TIMEOUT_US   (5 * G_USEC_PER_SEC)
#define LOG_TAIL_BYTES    6000

char *
gcert_test_find_program (const char *name)
{
  char *path;

  g_return_val_if_fail (name != NULL, NULL);

  path = g_find_program_in_path (name);
  if (path != NULL)
    return path;
  return g_build_filename ("/usr/sbin", name, NULL);
}

static void
server_child_setup (gpointer user_data)
{
  /* a server must not outlive a test that aborts */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

gboolean
gcert_test_spawn_logged (const char          *workdir,
                         const char * const  *argv,
                         const char * const  *envp,
                         const char          *log_path,
                         int                 *out_stdout_fd,
                         GPid                *out_pid,
                         GError             **error)
{
  gboolean ok;
  int fd;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  g_return_val_if_fail (log_path != NULL, FALSE);
  g_return_val_if_fail (out_pid != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", log_path, g_strerror (saved_errno));
      return FALSE;
    }
  ok = g_spawn_async_with_pipes_and_fds (workdir, argv, envp,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                                         server_child_setup, NULL,
                                         -1, out_stdout_fd != NULL ? -1 : fd, fd,
                                         NULL, NULL, 0, out_pid,
                                         NULL, out_stdout_fd, NULL, error);
  close (fd);
  if (!ok)
    g_prefix_error (error, "starting %s: ", argv[0]);
  return ok;
}

gboolean
gcert_test_reap_if_exited (GPid *pid)
{
  int status;
  pid_t rc;

  g_return_val_if_fail (pid != NULL, TRUE);

  if (*pid <= 0)
    return TRUE;
  do
    rc = waitpid (*pid, &status, WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return FALSE;
  /* rc is the pid, or ECHILD: somebody else reaped it */
  g_spawn_close_pid (*pid);
  *pid = 0;
  return TRUE;
}

void
gcert_test_terminate (GPid *pid)
{
  gint64 deadline;

  g_return_if_fail (pid != NULL);

  if (*pid <= 0)
    return;
  kill (*pid, SIGTERM);
  deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  while (!gcert_test_reap_if_exited (pid))
    {
      if (g_get_monotonic_time () > deadline)
        {
          int status;

          kill (*pid, SIGKILL);
          while (waitpid (*pid, &status, 0) < 0 && errno == EINTR)
            ;
          g_spawn_close_pid (*pid);
          *pid = 0;
          return;
        }
      g_usleep (10 * 1000);
    }
}

char *
gcert_test_read_log (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (path == NULL || !g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("(no log)");
  if (length > LOG_TAIL_BYTES)
    return g_strdup (contents + length - LOG_TAIL_BYTES);
  return g_steal_pointer (&contents);
}

gboolean
gcert_test_log_contains (const char *path,
                         const char *needle)
{
  g_autofree char *contents = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (needle != NULL, FALSE);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  return strstr (contents, needle) != NULL;
}

gboolean
gcert_test_log_says_port_taken (const char *path)
{
  g_autofree char *contents = NULL;
  g_autofree char *lower = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* Go, OpenSSH, Knot and PowerDNS say "address already in use", named
   * "address in use" */
  lower = g_ascii_strdown (contents, -1);
  return strstr (lower, "already in use") != NULL ||
         strstr (lower, "address in use") != NULL;
}

gboolean
gcert_test_error_with_log (GError     **error,
                           GCertError   code,
                           const char  *log_path,
                           const char  *format,
                           ...)
{
  g_autofree char *what = NULL;
  g_autofree char *tail = gcert_test_read_log (log_path);
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GCERT_ERROR, code, "%s; its log:\n%s", what, tail);
  return FALSE;
}

gboolean
gcert_test_process_check_alive (const GCertTestProcess  *process,
                                GError                 **error)
{
  g_return_val_if_fail (process != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (gcert_test_reap_if_exited (process->pid))
    return gcert_test_error_with_log (error, GCERT_ERROR_FAILED, process->log_path,
                                      "%s is not running", process->name);
  return TRUE;
}

static gboolean
ready_timed_out (const GCertTestProcess  *processes,
                 guint                    n_processes,
                 guint                    timeout_s,
                 const char              *waiting_for,
                 GError                 **error)
{
  g_autoptr(GString) what = g_string_new (NULL);
  g_autofree char *tail = NULL;

  if (n_processes > 1)
    g_string_append (what, "the servers");
  else
    g_string_append (what, processes[0].name);
  g_string_append_printf (what, " did not answer within %u s", timeout_s);
  if (waiting_for != NULL)
    g_string_append_printf (what, " (waiting for %s)", waiting_for);

  if (n_processes == 1)
    return gcert_test_error_with_log (error, GCERT_ERROR_TIMED_OUT, processes[0].log_path,
                                      "%s", what->str);
  for (guint i = 0; i < n_processes; i++)
    {
      g_autofree char *log = gcert_test_read_log (processes[i].log_path);

      g_string_append_printf (what, "\n%s log:\n%s", processes[i].name, log);
    }
  g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT, what->str);
  return FALSE;
}

gboolean
gcert_test_wait_ready (const GCertTestProcess  *processes,
                       guint                    n_processes,
                       guint                    timeout_s,
                       GCertTestProbeFunc       probe,
                       gpointer                 user_data,
                       gboolean                *retry,
                       GError                 **error)
{
  gint64 deadline;

  g_return_val_if_fail (processes != NULL && n_processes > 0, FALSE);
  g_return_val_if_fail (probe != NULL, FALSE);
  g_return_val_if_fail (retry != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *retry = FALSE;
  deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  while (TRUE)
    {
      const char *waiting_for = NULL;

      for (guint i = 0; i < n_processes; i++)
        {
          if (gcert_test_reap_if_exited (processes[i].pid))
            {
              *retry = gcert_test_log_says_port_taken (processes[i].log_path);
              return gcert_test_error_with_log (error, GCERT_ERROR_FAILED,
                                                processes[i].log_path,
                                                "%s exited during start", processes[i].name);
            }
        }
      /* some servers keep running when one of their ports is taken */
      for (guint i = 0; i < n_processes; i++)
        {
          if (gcert_test_log_says_port_taken (processes[i].log_path))
            {
              *retry = TRUE;
              return gcert_test_error_with_log (error, GCERT_ERROR_FAILED,
                                                processes[i].log_path,
                                                "%s could not listen", processes[i].name);
            }
        }

      if (probe (user_data, &waiting_for))
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        return ready_timed_out (processes, n_processes, timeout_s, waiting_for, error);
      g_usleep (POLL_INTERVAL_US);
    }
}

gboolean
gcert_test_start_retrying (const char          *what,
                           GCertTestStartFunc   start,
                           GCertTestStopFunc    stop,
                           gpointer             user_data,
                           GError             **error)
{
  g_return_val_if_fail (what != NULL, FALSE);
  g_return_val_if_fail (start != NULL, FALSE);
  g_return_val_if_fail (stop != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean retry = FALSE;

      if (start (user_data, &retry, &local_error))
        return TRUE;
      stop (user_data);
      if (!retry || attempt >= START_ATTEMPTS)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "starting %s: ", what);
          return FALSE;
        }
    }
}

/* --- servers -------------------------------------------------------------- */

GCertTestPebble *
gcert_test_start_pebble (const char  *dns_server,
                         char       **out_root)
{
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;
  g_autoptr(GCertTestPebble) pebble = NULL;
  g_autoptr(GError) error = NULL;

  options.authz_reuse = 0;
  options.dns_server = dns_server;
  pebble = gcert_test_pebble_start (&options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pebble);
  if (out_root != NULL)
    {
      *out_root = gcert_test_pebble_get_root (pebble, &error);
      g_assert_no_error (error);
    }
  return g_steal_pointer (&pebble);
}

/* --- running gcertctl ----------------------------------------------------- */

void
gcert_test_run_free (GCertTestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

const char *
gcert_test_gcertctl_path (void)
{
  const char *path = g_getenv ("GCERTCTL");

  if (path == NULL)
    g_error ("GCERTCTL is not set; run this test with “meson test”");
  return path;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  /* an empty output has no data at all */
  return size > 0 ? g_strndup (data, size) : g_strdup ("");
}

static GSubprocess *
spawn_gcertctl (const char          *config,
                GSubprocessFlags     flags,
                const char          *out_path,
                const char          *err_path,
                const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (char *) gcert_test_gcertctl_path ());
  if (config != NULL)
    {
      g_ptr_array_add (argv, (char *) "-c");
      g_ptr_array_add (argv, (char *) config);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  command = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("$ %s", command);

  launcher = g_subprocess_launcher_new (flags);
  if (out_path != NULL)
    g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  if (err_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  /* only the configuration decides where state, trust and secrets come
   * from */
  g_subprocess_launcher_unsetenv (launcher, "GCERT_CA_CERTIFICATES");
  g_subprocess_launcher_unsetenv (launcher, "GCERT_STATEDIR");
  g_subprocess_launcher_unsetenv (launcher, "STATE_DIRECTORY");
  g_subprocess_launcher_unsetenv (launcher, "CF_Token");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

GSubprocess *
gcert_test_spawn_gcertctl (const char         *config,
                           const char         *out_path,
                           const char         *err_path,
                           const char * const *args)
{
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_NONE;

  g_return_val_if_fail (args != NULL, NULL);

  if (out_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  if (err_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  return spawn_gcertctl (config, flags, out_path, err_path, args);
}

GCertTestRun *
gcert_test_run_gcertctl (const char         *config,
                         const char * const *args)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  GCertTestRun *run;

  g_return_val_if_fail (args != NULL, NULL);

  process = spawn_gcertctl (config, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                    G_SUBPROCESS_FLAGS_STDERR_PIPE, NULL, NULL, args);
  g_subprocess_communicate (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  run = g_new0 (GCertTestRun, 1);
  run->out = bytes_to_string (out);
  run->err = bytes_to_string (err);
  if (!g_subprocess_get_if_exited (process))
    {
      g_test_message ("stdout:\n%s\nstderr:\n%s", run->out, run->err);
      g_error ("gcertctl did not exit normally (signal %d)",
               g_subprocess_get_term_sig (process));
    }
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit status %d\nstdout:\n%s\nstderr:\n%s", run->status, run->out, run->err);
  return run;
}

void
gcert_test_assert_exit (const GCertTestRun *run,
                        int                 expected)
{
  g_assert_cmpint (run->status, ==, expected);
}

static char *
live_path (const char *state,
           const char *name,
           const char *file)
{
  return g_build_filename (state, "live", name, file, NULL);
}

GCertCertificate *
gcert_test_check_live (const char         *state,
                       const char         *name,
                       const char * const *names,
                       const char         *root_pem)
{
  g_autofree char *dir = g_build_filename (state, "live", name, NULL);
  g_autofree char *privkey_path = live_path (state, name, "privkey.pem");
  g_autofree char *fullchain_path = live_path (state, name, "fullchain.pem");
  g_autofree char *cert_path = live_path (state, name, "cert.pem");
  g_autofree char *chain_path = live_path (state, name, "chain.pem");
  g_autofree char *privkey_pem = NULL;
  g_autofree char *fullchain_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *leaf_serial = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GCertCertificate) fullchain = NULL;
  g_autoptr(GCertCertificate) leaf = NULL;
  g_autoptr(GCertCertificate) issuers = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  /* with "readers", a POSIX ACL's mask shows in the group bits: search
   * on the directory, read on the key, for the named accounts only */
  if (getxattr (dir, "system.posix_acl_access", NULL, 0) > 0)
    g_assert_cmpint (st.st_mode & 07777, ==, 0710);
  else
    g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_cmpint (g_stat (privkey_path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  if (getxattr (privkey_path, "system.posix_acl_access", NULL, 0) > 0)
    g_assert_cmpint (st.st_mode & 07777, ==, 0640);
  else
    g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  privkey_pem = gcert_test_read_file (privkey_path);
  fullchain_pem = gcert_test_read_file (fullchain_path);
  cert_pem = gcert_test_read_file (cert_path);
  chain_pem = gcert_test_read_file (chain_path);

  key = gcert_key_new_from_pem (privkey_pem, -1, &error);
  g_assert_no_error (error);
  fullchain = gcert_certificate_new_from_pem (fullchain_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcert_certificate_get_chain_length (fullchain), >=, 2);
  g_assert_true (gcert_certificate_matches_key (fullchain, key));
  gcert_certificate_check_names (fullchain, names, &error);
  g_assert_no_error (error);
  gcert_certificate_verify_chain (fullchain, root_pem, &error);
  g_assert_no_error (error);

  /* cert.pem is the leaf alone, chain.pem its issuers */
  leaf = gcert_certificate_new_from_pem (cert_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcert_certificate_get_chain_length (leaf), ==, 1);
  serial = gcert_certificate_get_serial (fullchain);
  leaf_serial = gcert_certificate_get_serial (leaf);
  g_assert_cmpstr (serial, ==, leaf_serial);
  issuers = gcert_certificate_new_from_pem (chain_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcert_certificate_get_chain_length (issuers), ==,
                    gcert_certificate_get_chain_length (fullchain) - 1);

  return g_steal_pointer (&fullchain);
}

