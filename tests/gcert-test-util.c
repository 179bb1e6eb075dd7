/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>

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
write_file (const char  *dir,
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

  if (!write_file (dir, "ca.pem", ca_pem, 0644, &ca_file, error) ||
      !write_file (dir, "cert.pem", leaf_pem, 0644, &cert_file, error) ||
      !write_file (dir, "key.pem", key_pem, 0600, &key_file, error))
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

/* --- running gcertctl ------------------------------------------------------ */


void
gcert_test_run_free (GCertTestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

static const char *
gcertctl_path (void)
{
  const char *path = g_getenv ("GCERTCTL");

  if (path == NULL)
    g_error ("GCERTCTL is not set; run this test with “meson test”");
  return path;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  /* an empty output has no data at all */
  return size > 0 ? g_strndup (data, size) : g_strdup ("");
}

/* Runs `gcertctl -c CONFIG ARGS…` (no -c when @config is NULL) to its end. */
GCertTestRun *
gcert_test_run_gcertctl (const char         *config,
                         const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  GCertTestRun *run;

  g_ptr_array_add (argv, (char *) gcertctl_path ());
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

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* only the configuration decides where state and trust come from */
  g_subprocess_launcher_unsetenv (launcher, "GCERT_CA_CERTIFICATES");
  g_subprocess_launcher_unsetenv (launcher, "GCERT_STATEDIR");
  g_subprocess_launcher_unsetenv (launcher, "STATE_DIRECTORY");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
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
  return run;
}

void
gcert_test_assert_exit (const GCertTestRun *run,
                        int                 expected)
{
  /* the outputs go into the log when the status is not the expected one */
  if (run->status != expected)
    g_test_message ("exit status %d\nstdout:\n%s\nstderr:\n%s",
                    run->status, run->out, run->err);
  g_assert_cmpint (run->status, ==, expected);
}

static char *
read_whole_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static char *
live_path (const char *state,
           const char *name,
           const char *file)
{
  return g_build_filename (state, "live", name, file, NULL);
}

/* The live files of @name: a key 0600 in a 0700 directory and a chain that
 * Pebble signed for exactly @names and that belongs to the key. */
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
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_cmpint (g_stat (privkey_path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  privkey_pem = read_whole_file (privkey_path);
  fullchain_pem = read_whole_file (fullchain_path);
  cert_pem = read_whole_file (cert_path);
  chain_pem = read_whole_file (chain_path);

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

