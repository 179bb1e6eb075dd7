/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-systemd.h"
#include "gcert-test-util.h"

/* The local, exec and systemd deployers, loaded from the build tree
 * (GCERT_PLUGIN_DIR); systemd's side is a fake manager on a private
 * dbus-daemon that DBUS_SYSTEM_BUS_ADDRESS points at. */

/* where every fake systemd of this program listens; set in main() before
 * any thread exists */
static char *bus_dir;
static char *bus_socket;

typedef struct {
  char            *dir;
  char            *config_path;
  char            *store;      /* the certificate's live directory */
  char            *target;     /* where the local deployer copies to */
  char            *key_path;
  char            *cert_path;
  char            *chain_path;
  char            *fullchain_path;
  GCertDeployment  deployment;
  GPtrArray       *progress;   /* char* */
} Fixture;

static const char * const test_domains[] = { "example.com", "*.example.com", NULL };

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  fixture->dir = gcert_test_mkdtemp ("gcert-deploy-test");
  fixture->config_path = g_build_filename (fixture->dir, "gcert.conf", NULL);
  fixture->store = g_build_filename (fixture->dir, "live", "web", NULL);
  fixture->target = g_build_filename (fixture->dir, "target", NULL);
  fixture->key_path = g_build_filename (fixture->store, "privkey.pem", NULL);
  fixture->cert_path = g_build_filename (fixture->store, "cert.pem", NULL);
  fixture->chain_path = g_build_filename (fixture->store, "chain.pem", NULL);
  fixture->fullchain_path = g_build_filename (fixture->store, "fullchain.pem", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->store, 0700), ==, 0);

  fixture->deployment.name = "web";
  fixture->deployment.target = "test";
  fixture->deployment.domains = test_domains;
  fixture->deployment.key_path = fixture->key_path;
  fixture->deployment.cert_path = fixture->cert_path;
  fixture->deployment.chain_path = fixture->chain_path;
  fixture->deployment.fullchain_path = fixture->fullchain_path;
  fixture->progress = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  gcert_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
  g_free (fixture->store);
  g_free (fixture->target);
  g_free (fixture->key_path);
  g_free (fixture->cert_path);
  g_free (fixture->chain_path);
  g_free (fixture->fullchain_path);
  g_ptr_array_unref (fixture->progress);
}

static char *
pem (const char *label,
     const char *what,
     guint       version)
{
  return g_strdup_printf ("-----BEGIN %s-----\n%s of version %u\n-----END %s-----\n",
                          label, what, version, label);
}

/* Puts version @version of the certificate into the store. */
static void
store_version (Fixture *fixture,
               guint    version)
{
  g_autofree char *key = pem ("PRIVATE KEY", "key", version);
  g_autofree char *cert = pem ("CERTIFICATE", "leaf", version);
  g_autofree char *chain = pem ("CERTIFICATE", "intermediate", version);
  g_autofree char *fullchain = g_strconcat (cert, chain, NULL);

  gcert_test_write_file (fixture->key_path, key, 0600);
  gcert_test_write_file (fixture->cert_path, cert, 0644);
  gcert_test_write_file (fixture->chain_path, chain, 0644);
  gcert_test_write_file (fixture->fullchain_path, fullchain, 0644);
  fixture->deployment.version = version;
  fixture->deployment.not_after = 1900000000 + version;
}

/* A [deploy test] group for the local deployer into the fixture's target,
 * with @extra keys (from line 4 on). */
static GCertDeployer *
load_local (Fixture    *fixture,
            const char *extra)
{
  g_autofree char *text = g_strdup_printf ("[deploy test]\n"
                                           "plugin = local\n"
                                           "path = %s\n"
                                           "%s",
                                           fixture->target, extra != NULL ? extra : "");

  return gcert_test_load_deployer_ok (fixture->config_path, text, "test");
}

static gboolean
progress_contains (Fixture    *fixture,
                   const char *line)
{
  return g_ptr_array_find_with_equal_func (fixture->progress, line, g_str_equal, NULL);
}

static void
deploy_ok (Fixture       *fixture,
           GCertDeployer *deployer)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_test_deploy (deployer, &fixture->deployment, fixture->progress, NULL,
                                    &error));
  g_assert_no_error (error);
}

static GError *
deploy_fails (Fixture       *fixture,
              GCertDeployer *deployer)
{
  GError *error = NULL;

  g_assert_false (gcert_test_deploy (deployer, &fixture->deployment, fixture->progress, NULL,
                                     &error));
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  return error;
}

static void
assert_bad_config (Fixture    *fixture,
                   const char *text,
                   guint       line,
                   const char *key,
                   const char *detail)
{
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (fixture->config_path, text, "deploy test",
                                        GCERT_ERROR_CONFIG, line, key, detail);
}

static char *
target_file (Fixture    *fixture,
             const char *name)
{
  return g_build_filename (fixture->target, name, NULL);
}

/* --- plugins ------------------------------------------------------------- */

static void
test_plugins_list (void)
{
  g_auto(GStrv) names = gcert_plugins_list_deployers ();

  g_assert_true (g_strv_contains ((const char * const *) names, "local"));
  g_assert_true (g_strv_contains ((const char * const *) names, "exec"));
  g_assert_true (g_strv_contains ((const char * const *) names, "systemd"));
}

/* --- local --------------------------------------------------------------- */

static void
test_local_files (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = load_local (fixture, NULL);
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *line = g_strdup_printf ("test: copying 2 files to %s", fixture->target);
  const char *names = "fullchain.pem privkey.pem";
  struct stat st;

  store_version (fixture, 1);
  g_assert_false (g_file_test (fixture->target, G_FILE_TEST_EXISTS));
  deploy_ok (fixture, deployer);

  /* created, 0755 whatever the umask */
  g_assert_cmpint (stat (fixture->target, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpuint (st.st_mode & 07777, ==, 0755);
  gcert_test_assert_same_file (key, fixture->key_path, 0600);
  gcert_test_assert_same_file (fullchain, fixture->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, names);
  g_assert_true (progress_contains (fixture, line));
  g_assert_null (gcert_deployer_get_host_name (deployer));
}

static void
test_local_owner (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) numeric = NULL;
  g_autoptr(GCertDeployer) named = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  struct passwd *pw = getpwuid (getuid ());
  struct group *gr = getgrgid (getgid ());
  struct stat st;

  store_version (fixture, 1);
  extra = g_strdup_printf ("owner = %u\ngroup = %u\nkey-mode = 0640\n", (guint) getuid (),
                           (guint) getgid ());
  numeric = load_local (fixture, extra);
  deploy_ok (fixture, numeric);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (stat (i == 0 ? key : fullchain, &st), ==, 0);
      g_assert_cmpuint (st.st_uid, ==, getuid ());
      g_assert_cmpuint (st.st_gid, ==, getgid ());
    }
  gcert_test_assert_same_file (key, fixture->key_path, 0640);

  /* by name, resolved when the group is read */
  g_assert_nonnull (pw);
  g_assert_nonnull (gr);
  g_free (extra);
  extra = g_strdup_printf ("owner = %s\ngroup = %s\n", pw->pw_name, gr->gr_name);
  named = load_local (fixture, extra);
  store_version (fixture, 2);
  deploy_ok (fixture, named);
  g_assert_cmpint (stat (key, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, getuid ());
  g_assert_cmpuint (st.st_gid, ==, getgid ());
  gcert_test_assert_same_file (key, fixture->key_path, 0600);
}

static void
test_local_replace (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = load_local (fixture, NULL);
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *old_fullchain = NULL;
  g_autofree char *seen = NULL;
  const char *names = "fullchain.pem privkey.pem";
  char buffer[4096];
  ssize_t n;
  int fd;

  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  old_fullchain = gcert_test_read_file (fullchain);

  /* a reader of the old file keeps seeing it whole: the new one is renamed
   * over it, not written into it */
  fd = open (fullchain, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  store_version (fixture, 2);
  deploy_ok (fixture, deployer);
  n = read (fd, buffer, sizeof buffer - 1);
  close (fd);
  g_assert_cmpint (n, >, 0);
  buffer[n] = '\0';
  g_assert_cmpstr (buffer, ==, old_fullchain);

  gcert_test_assert_same_file (key, fixture->key_path, 0600);
  gcert_test_assert_same_file (fullchain, fixture->fullchain_path, 0644);
  seen = gcert_test_read_file (fullchain);
  gcert_test_assert_contains (seen, "version 2");
  gcert_test_assert_dir_lists (fixture->target, names);
}

static void
test_local_names (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autofree char *key = target_file (fixture, "web.key");
  g_autofree char *fullchain = target_file (fixture, "web.crt");
  g_autofree char *cert = target_file (fixture, "leaf.pem");
  g_autofree char *chain = target_file (fixture, "ca.pem");
  g_autofree char *line = g_strdup_printf ("test: copying 4 files to %s", fixture->target);
  const char *names = "ca.pem leaf.pem web.crt web.key";

  deployer = load_local (fixture, "key-name = web.key\n"
                                  "fullchain-name = web.crt\n"
                                  "cert-name = leaf.pem\n"
                                  "chain-name = ca.pem\n"
                                  "key-mode = 0400\n"
                                  "chain-mode = 0444\n");
  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  gcert_test_assert_same_file (key, fixture->key_path, 0400);
  gcert_test_assert_same_file (fullchain, fixture->fullchain_path, 0444);
  gcert_test_assert_same_file (cert, fixture->cert_path, 0444);
  gcert_test_assert_same_file (chain, fixture->chain_path, 0444);
  gcert_test_assert_dir_lists (fixture->target, names);
  g_assert_true (progress_contains (fixture, line));

  /* a read-only file is replaced all the same */
  store_version (fixture, 2);
  deploy_ok (fixture, deployer);
  gcert_test_assert_same_file (key, fixture->key_path, 0400);
  gcert_test_assert_same_file (chain, fixture->chain_path, 0444);
}

static void
test_local_reload (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autofree char *log = g_build_filename (fixture->dir, "reload.log", NULL);
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *script = NULL;
  g_autofree char *body = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *source = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *line = NULL;
  const char *names = "fullchain.pem privkey.pem";

  /* the reload sees the new files in place, and gets its arguments unsplit */
  body = g_strdup_printf ("echo \"$1|$2\" >> '%s'\ncat '%s' >> '%s'\n", log, fullchain, log);
  script = gcert_test_write_script (fixture->dir, "reload", body, 0755);
  extra = g_strdup_printf ("reload = %s nginx 'two words'\ntimeout = 10s\n", script);
  deployer = load_local (fixture, extra);

  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  seen = gcert_test_read_file (log);
  source = gcert_test_read_file (fixture->fullchain_path);
  expected = g_strconcat ("nginx|two words\n", source, NULL);
  g_assert_cmpstr (seen, ==, expected);
  line = g_strdup_printf ("test: running %s nginx 'two words'", script);
  g_assert_true (progress_contains (fixture, line));
  /* the backups are gone once the reload succeeded */
  store_version (fixture, 2);
  deploy_ok (fixture, deployer);
  gcert_test_assert_dir_lists (fixture->target, names);
}

/* A reload that fails while the target holds version 2. */
static char *
write_picky_reload (Fixture    *fixture,
                    const char *log)
{
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *body = NULL;

  body = g_strdup_printf ("echo run >> '%s'\n"
                          "if grep -q 'version 2' '%s'; then\n"
                          "  echo 'nginx: [emerg] cannot load certificate' >&2\n"
                          "  echo 'configuration test failed' >&2\n"
                          "  exit 1\n"
                          "fi\n", log, fullchain);
  return gcert_test_write_script (fixture->dir, "reload", body, 0755);
}

static void
test_local_reload_fails (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_build_filename (fixture->dir, "reload.log", NULL);
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *chain = target_file (fixture, "chain.pem");
  g_autofree char *script = write_picky_reload (fixture, log);
  g_autofree char *extra = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *old_fullchain = NULL;
  g_autofree char *old_chain = NULL;
  g_autofree char *runs = NULL;
  g_autofree char *expected = NULL;
  const char *names = "chain.pem fullchain.pem privkey.pem";

  extra = g_strdup_printf ("reload = %s\nchain-name = chain.pem\nkey-mode = 0640\n", script);
  deployer = load_local (fixture, extra);
  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  old_key = gcert_test_read_file (key);
  old_fullchain = gcert_test_read_file (fullchain);
  old_chain = gcert_test_read_file (chain);

  store_version (fixture, 2);
  error = deploy_fails (fixture, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  expected = g_strdup_printf ("reload `%s` failed (exit 1: nginx: [emerg] cannot load "
                              "certificate; configuration test failed); the previous files "
                              "were put back and the reload succeeded", script);
  g_assert_cmpstr (error->message, ==, expected);

  /* byte for byte, with their modes, and nothing left behind */
  gcert_test_assert_file (key, old_key, -1, 0640);
  gcert_test_assert_file (fullchain, old_fullchain, -1, 0644);
  gcert_test_assert_file (chain, old_chain, -1, 0644);
  gcert_test_assert_dir_lists (fixture->target, names);
  runs = gcert_test_read_file (log);
  g_assert_cmpstr (runs, ==, "run\nrun\nrun\n");
}

static void
test_local_reload_fails_first (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_build_filename (fixture->dir, "reload.log", NULL);
  g_autofree char *script = write_picky_reload (fixture, log);
  g_autofree char *extra = g_strdup_printf ("reload = %s\n", script);

  deployer = load_local (fixture, extra);
  store_version (fixture, 2);
  error = deploy_fails (fixture, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message, "configuration test failed");
  gcert_test_assert_contains (error->message,
                              "; the new files were removed and the reload succeeded");
  gcert_test_assert_dir_lists (fixture->target, "");
}

static void
test_local_reload_fails_twice (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *script = gcert_test_write_script (fixture->dir, "reload",
                                                     "echo \"broken $GCERT_NAME\" >&2\nexit 7\n",
                                                     0755);
  g_autofree char *extra = g_strdup_printf ("reload = %s\n", script);
  g_autofree char *old_key = NULL;

  /* the first deployment has no reload */
  g_autoptr(GCertDeployer) plain = load_local (fixture, NULL);

  store_version (fixture, 1);
  deploy_ok (fixture, plain);
  old_key = gcert_test_read_file (key);

  deployer = load_local (fixture, extra);
  store_version (fixture, 2);
  error = deploy_fails (fixture, deployer);
  gcert_test_assert_contains (error->message, "failed (exit 7: broken)");
  gcert_test_assert_contains (error->message,
                              "; the previous files were put back but the reload "
                              "failed again (exit 7: broken)");
  gcert_test_assert_file (key, old_key, -1, 0600);
}

static void
test_local_reload_timeout (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *body = NULL;
  g_autofree char *script = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *old_fullchain = NULL;
  gint64 start;

  body = g_strdup_printf ("if grep -q 'version 2' '%s'; then\n"
                          "  echo 'hanging' >&2\n"
                          "  sleep 60\n"
                          "fi\n", fullchain);
  script = gcert_test_write_script (fixture->dir, "reload", body, 0755);
  extra = g_strdup_printf ("reload = %s\ntimeout = 1s\n", script);
  deployer = load_local (fixture, extra);
  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  old_fullchain = gcert_test_read_file (fullchain);

  store_version (fixture, 2);
  start = g_get_monotonic_time ();
  error = deploy_fails (fixture, deployer);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  gcert_test_assert_contains (error->message, "failed (killed after its timeout of 1 s: hanging)");
  gcert_test_assert_contains (error->message,
                              "the previous files were put back and the reload succeeded");
  gcert_test_assert_file (fullchain, old_fullchain, -1, 0644);
}

static void
test_local_symlinked_file (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = load_local (fixture, NULL);
  g_autofree char *outside = g_build_filename (fixture->dir, "elsewhere.pem", NULL);
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *outside_text = NULL;
  struct stat st;

  gcert_test_write_file (outside, "not to be touched\n", 0644);
  g_assert_cmpint (g_mkdir (fixture->target, 0755), ==, 0);
  g_assert_cmpint (symlink (outside, key), ==, 0);

  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  outside_text = gcert_test_read_file (outside);
  g_assert_cmpstr (outside_text, ==, "not to be touched\n");
  g_assert_cmpint (stat (outside, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0644);
  /* the link itself was replaced by the key */
  gcert_test_assert_same_file (key, fixture->key_path, 0600);
}

static void
test_local_symlinked_dir (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = load_local (fixture, NULL);
  g_autofree char *real = g_build_filename (fixture->dir, "real", NULL);
  g_autofree char *key = g_build_filename (real, "privkey.pem", NULL);
  struct stat st;

  g_assert_cmpint (g_mkdir (real, 0750), ==, 0);
  g_assert_cmpint (symlink (real, fixture->target), ==, 0);
  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  gcert_test_assert_same_file (key, fixture->key_path, 0600);
  g_assert_cmpint (lstat (fixture->target, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  /* an existing directory keeps its mode */
  g_assert_cmpint (stat (real, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0750);
}

static void
test_local_no_parent (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *deeper = g_build_filename (fixture->dir, "missing", "tls", NULL);
  g_autofree char *text = g_strdup_printf ("[deploy test]\nplugin = local\npath = %s\n",
                                           deeper);

  deployer = gcert_test_load_deployer_ok (fixture->config_path, text, "test");
  store_version (fixture, 1);
  error = deploy_fails (fixture, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  gcert_test_assert_contains (error->message, "its parent does not exist");
  gcert_test_assert_contains (error->message, deeper);
  g_assert_false (g_file_test (deeper, G_FILE_TEST_EXISTS));
}

/* Nothing changes at the target when the deployment cannot even start. */
static void
test_local_bad_source (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = load_local (fixture, "cert-name = cert.pem\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) dir_error = NULL;
  g_autofree char *key = target_file (fixture, "privkey.pem");
  g_autofree char *cert = target_file (fixture, "cert.pem");
  g_autofree char *old_key = NULL;
  const char *names = "cert.pem fullchain.pem privkey.pem";

  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  old_key = gcert_test_read_file (key);

  /* the third file is missing in the store */
  store_version (fixture, 2);
  g_assert_cmpint (g_unlink (fixture->cert_path), ==, 0);
  error = deploy_fails (fixture, deployer);
  gcert_test_assert_contains (error->message, fixture->cert_path);
  gcert_test_assert_file (key, old_key, -1, 0600);
  gcert_test_assert_dir_lists (fixture->target, names);

  /* a directory where a file should go */
  store_version (fixture, 3);
  g_assert_cmpint (g_unlink (cert), ==, 0);
  g_assert_cmpint (g_mkdir (cert, 0755), ==, 0);
  dir_error = deploy_fails (fixture, deployer);
  gcert_test_assert_contains (dir_error->message, "is a directory");
  gcert_test_assert_file (key, old_key, -1, 0600);
  gcert_test_assert_dir_lists (fixture->target, names);
}

static void
cancel_cb (const char *message,
           gpointer    user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_local_cancel (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) during = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) during_error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) during_result = NULL;
  g_autofree char *fullchain = target_file (fixture, "fullchain.pem");
  g_autofree char *started = g_build_filename (fixture->dir, "started", NULL);
  g_autofree char *body = NULL;
  g_autofree char *script = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *old_fullchain = NULL;
  const char *names = "fullchain.pem privkey.pem";
  gint64 deadline;

  body = g_strdup_printf ("if grep -q 'version 2' '%s'; then\n"
                          "  touch '%s'\n"
                          "  sleep 60\n"
                          "fi\n", fullchain, started);
  script = gcert_test_write_script (fixture->dir, "reload", body, 0755);
  extra = g_strdup_printf ("reload = %s\n", script);
  deployer = load_local (fixture, extra);
  store_version (fixture, 1);
  deploy_ok (fixture, deployer);
  old_fullchain = gcert_test_read_file (fullchain);

  /* cancelled as it starts: the files are never touched */
  store_version (fixture, 2);
  gcert_deployer_deploy_async (deployer, &fixture->deployment, cancel_cb, cancellable,
                               cancellable, gcert_test_result_cb, &result);
  g_assert_false (gcert_deployer_deploy_finish (deployer, gcert_test_wait_for (&result),
                                                &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gcert_test_assert_file (fullchain, old_fullchain, -1, 0644);
  gcert_test_assert_dir_lists (fixture->target, names);

  /* cancelled during the reload: the previous files go back */
  gcert_deployer_deploy_async (deployer, &fixture->deployment, NULL, NULL, during,
                               gcert_test_result_cb, &during_result);
  deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (!g_file_test (started, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_cancellable_cancel (during);
  g_assert_false (gcert_deployer_deploy_finish (deployer,
                                                gcert_test_wait_for (&during_result),
                                                &during_error));
  g_test_message ("%s", during_error->message);
  g_assert_error (during_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gcert_test_assert_contains (during_error->message, "the previous files were put back");
  gcert_test_assert_file (fullchain, old_fullchain, -1, 0644);
  gcert_test_assert_dir_lists (fixture->target, names);
}

static void
test_local_bad_config (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *text = NULL;
  g_autofree char *not_executable = g_build_filename (fixture->dir, "reload.txt", NULL);

  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = tls\n", 3, "path",
                     "“tls” is not an absolute path");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\nkey-mode = 0600\n", 1, NULL,
                     "path");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "key-mode = 999\n", 4, "key-mode", "octal");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "owner = no-such-user-gcert\n", 4, "owner",
                     "unknown user “no-such-user-gcert”");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "group = no-such-group-gcert\n", 4, "group",
                     "unknown group “no-such-group-gcert”");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "key-name = ../key.pem\n", 4, "key-name", "plain file name");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "host = web1\n", 4, "host", NULL);
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "reload = systemctl 'reload\n", 4, "reload",
                     "not a valid command line");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "reload = /nonexistent/reload-it now\n", 4, "reload",
                     "/nonexistent/reload-it does not exist");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "reload = no-such-program-gcert\n", 4, "reload",
                     "not in PATH");
  gcert_test_write_file (not_executable, "#!/bin/sh\n", 0644);
  text = g_strdup_printf ("[deploy test]\nplugin = local\npath = /srv/tls\nreload = %s\n",
                          not_executable);
  assert_bad_config (fixture, text, 4, "reload", "is not executable");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "timeout = 0\n", 4, "timeout", "between 1 s and");
  assert_bad_config (fixture, "[deploy test]\nplugin = local\npath = /srv/tls\n"
                              "timeout = soon\n", 4, "timeout", NULL);
  assert_bad_config (fixture, "[deploy test]\nplugin = nope\npath = /srv/tls\n", 2,
                     "plugin", "unknown deploy plugin “nope”");
}

/* --- exec ---------------------------------------------------------------- */

static GHashTable *
read_env_file (const char *path)
{
  g_autofree char *text = gcert_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GHashTable *env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *equals = strchr (lines[i], '=');

      if (equals == NULL)
        continue;
      *equals = '\0';
      g_hash_table_insert (env, g_strdup (lines[i]), g_strdup (equals + 1));
    }
  return env;
}

static void
test_exec_environment (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GHashTable) env = NULL;
  g_autofree char *out = g_build_filename (fixture->dir, "env.out", NULL);
  g_autofree char *args = g_build_filename (fixture->dir, "args.out", NULL);
  g_autofree char *body = NULL;
  g_autofree char *script = NULL;
  g_autofree char *text = NULL;
  g_autofree char *seen_args = NULL;
  g_autofree char *line = NULL;
  struct {
    const char *name;
    const char *value;
  } expected[] = {
    { "GCERT_NAME", "web" },
    { "GCERT_TARGET", "test" },
    { "GCERT_DOMAINS", "example.com *.example.com" },
    { "GCERT_VERSION", "3" },
    { "GCERT_KEY_FILE", fixture->key_path },
    { "GCERT_CERT_FILE", fixture->cert_path },
    { "GCERT_CHAIN_FILE", fixture->chain_path },
    { "GCERT_FULLCHAIN_FILE", fixture->fullchain_path },
    { "GCERT_NOT_AFTER", "1900000003" },
    { "RENEWED_LINEAGE", fixture->store },
    { "RENEWED_DOMAINS", "example.com *.example.com" },
  };

  body = g_strdup_printf ("env | grep -E '^(GCERT_|RENEWED_)' > '%s'\n"
                          "printf '%%s|%%s|%%s\\n' \"$#\" \"$1\" \"$2\" > '%s'\n", out, args);
  script = gcert_test_write_script (fixture->dir, "hook", body, 0755);
  text = g_strdup_printf ("[deploy test]\nplugin = exec\nprogram = %s --to 'web 1'\n"
                          "timeout = 30s\n", script);
  deployer = gcert_test_load_deployer_ok (fixture->config_path, text, "test");
  store_version (fixture, 3);
  deploy_ok (fixture, deployer);

  env = read_env_file (out);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_hash_table_lookup (env, expected[i].name), ==, expected[i].value);
  /* nothing else, apart from what this test program inherited */
  {
    GHashTableIter iter;
    gpointer name, value;

    g_hash_table_iter_init (&iter, env);
    while (g_hash_table_iter_next (&iter, &name, &value))
      {
        gboolean listed = FALSE;

        for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
          listed = listed || g_strcmp0 (name, expected[i].name) == 0;
        if (!listed)
          g_assert_cmpstr (value, ==, g_getenv (name));
      }
  }
  seen_args = gcert_test_read_file (args);
  g_assert_cmpstr (seen_args, ==, "2|--to|web 1\n");
  line = g_strdup_printf ("test: running %s --to 'web 1'", script);
  g_assert_true (progress_contains (fixture, line));
}

static void
test_exec_failure (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployer) noisy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) noisy_error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *noisy_script = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  script = gcert_test_write_script (fixture->dir, "hook",
                                    "echo 'copying to web1' >&2\n"
                                    "echo 'web1: permission denied' >&2\n"
                                    "exit 3\n",
                                    0755);
  text = g_strdup_printf ("[deploy test]\nplugin = exec\nprogram = %s\n", script);
  deployer = gcert_test_load_deployer_ok (fixture->config_path, text, "test");
  store_version (fixture, 1);
  error = deploy_fails (fixture, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  expected = g_strdup_printf ("the deploy program `%s` failed (exit 3: copying to web1; "
                              "web1: permission denied)", script);
  g_assert_cmpstr (error->message, ==, expected);

  /* only the end of a long stderr */
  noisy_script = gcert_test_write_script (fixture->dir, "noisy",
                                          "i=0\n"
                                          "while [ $i -lt 200 ]; do echo \"START line $i\" >&2; "
                                          "i=$((i+1)); done\necho 'THE END' >&2\nexit 1\n",
                                          0755);
  g_free (text);
  text = g_strdup_printf ("[deploy test]\nplugin = exec\nprogram = %s\n", noisy_script);
  noisy = gcert_test_load_deployer_ok (fixture->config_path, text, "test");
  noisy_error = deploy_fails (fixture, noisy);
  gcert_test_assert_contains (noisy_error->message, "THE END)");
  gcert_test_assert_contains (noisy_error->message, "(exit 1: …START line ");
  g_assert_null (strstr (noisy_error->message, "START line 0;"));
  g_assert_cmpuint (strlen (noisy_error->message), <, strlen (noisy_script) + 650);
}

static void
test_exec_timeout (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid_file = g_build_filename (fixture->dir, "child.pid", NULL);
  g_autofree char *body = NULL;
  g_autofree char *script = NULL;
  g_autofree char *text = NULL;
  gint64 start;

  /* it leaves a child behind that holds stderr open */
  body = g_strdup_printf ("sleep 60 &\necho $! > '%s'\necho 'uploading' >&2\nwait\n",
                          pid_file);
  script = gcert_test_write_script (fixture->dir, "hook", body, 0755);
  text = g_strdup_printf ("[deploy test]\nplugin = exec\nprogram = %s\ntimeout = 1s\n",
                          script);
  deployer = gcert_test_load_deployer_ok (fixture->config_path, text, "test");
  store_version (fixture, 1);
  start = g_get_monotonic_time ();
  error = deploy_fails (fixture, deployer);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  gcert_test_assert_contains (error->message,
                              "failed (killed after its timeout of 1 s: uploading)");

  /* its whole process group was killed */
  gcert_test_assert_process_gone (pid_file);
}

static void
test_exec_bad_config (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *not_executable = g_build_filename (fixture->dir, "hook.txt", NULL);
  g_autofree char *text = NULL;

  assert_bad_config (fixture, "[deploy test]\nplugin = exec\ntimeout = 5s\n", 1, NULL,
                     "program");
  assert_bad_config (fixture, "[deploy test]\nplugin = exec\nprogram =\n", 3,
                     "program", "empty value");
  assert_bad_config (fixture, "[deploy test]\nplugin = exec\nprogram = \"\" x\n", 3,
                     "program", "the program name is empty");
  assert_bad_config (fixture, "[deploy test]\nplugin = exec\nprogram = hooks/missing\n", 3,
                     "program", "hooks/missing does not exist");
  assert_bad_config (fixture, "[deploy test]\nplugin = exec\nprogram = /bin/true\n"
                              "path = /srv\n", 4, "path", NULL);
  assert_bad_config (fixture, "[deploy test]\nplugin = exec\nprogram = /bin/true\n"
                              "timeout = 2h\n", 4, "timeout", "between 1 s and 3600 s");
  gcert_test_write_file (not_executable, "#!/bin/sh\n", 0644);
  text = g_strdup_printf ("[deploy test]\nplugin = exec\nprogram = %s\n", not_executable);
  assert_bad_config (fixture, text, 3, "program", "is not executable");
}

/* --- systemd ------------------------------------------------------------- */

typedef struct {
  Fixture           base;
  GCertTestSystemd *systemd;
} SystemdFixture;

static void
systemd_setup (SystemdFixture *fixture,
               gconstpointer   user_data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup (&fixture->base, user_data);
  fixture->systemd = gcert_test_systemd_start_at (bus_socket, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->systemd);
  store_version (&fixture->base, 1);
}

static void
systemd_teardown (SystemdFixture *fixture,
                  gconstpointer   user_data)
{
  g_clear_pointer (&fixture->systemd, gcert_test_systemd_stop);
  fixture_teardown (&fixture->base, user_data);
}

static GCertDeployer *
load_systemd (SystemdFixture *fixture,
              const char     *keys)
{
  g_autofree char *text = g_strdup_printf ("[deploy test]\nplugin = systemd\n%s", keys);

  return gcert_test_load_deployer_ok (fixture->base.config_path, text, "test");
}

static void
assert_calls (SystemdFixture *fixture,
              const char     *expected)
{
  g_auto(GStrv) calls = gcert_test_systemd_get_calls (fixture->systemd);
  g_autofree char *joined = g_strjoinv ("; ", calls);

  g_assert_cmpstr (joined, ==, expected);
}

static void
test_systemd_reload (SystemdFixture *fixture,
                     gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = nginx.service\n");

  gcert_test_systemd_add_unit (fixture->systemd, "nginx.service", "done");
  deploy_ok (&fixture->base, deployer);
  assert_calls (fixture, "Subscribe; ReloadUnit nginx.service replace");
  g_assert_true (progress_contains (&fixture->base, "test: reloading nginx.service"));

  /* again, on a connection of its own */
  deploy_ok (&fixture->base, deployer);
  assert_calls (fixture, "Subscribe; ReloadUnit nginx.service replace; "
                         "Subscribe; ReloadUnit nginx.service replace");
}

static void
test_systemd_actions (SystemdFixture *fixture,
                      gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) restart = NULL;
  g_autoptr(GCertDeployer) either = NULL;
  g_autoptr(GCertDeployer) try_restart = NULL;

  gcert_test_systemd_add_unit (fixture->systemd, "getty@tty1.service", "done");
  restart = load_systemd (fixture, "unit = getty@tty1.service\naction = restart\n"
                                   "timeout = 30s\nbus = system\n");
  deploy_ok (&fixture->base, restart);
  assert_calls (fixture, "Subscribe; RestartUnit getty@tty1.service replace");
  g_assert_true (progress_contains (&fixture->base, "test: restarting getty@tty1.service"));

  either = load_systemd (fixture, "unit = getty@tty1.service\naction = reload-or-restart\n");
  deploy_ok (&fixture->base, either);
  try_restart = load_systemd (fixture, "unit = getty@tty1.service\naction = try-restart\n");
  deploy_ok (&fixture->base, try_restart);
  assert_calls (fixture, "Subscribe; RestartUnit getty@tty1.service replace; "
                         "Subscribe; ReloadOrRestartUnit getty@tty1.service replace; "
                         "Subscribe; TryRestartUnit getty@tty1.service replace");
}

static void
test_systemd_session_bus (SystemdFixture *fixture,
                          gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = app.service\n"
                                                             "bus = session\n");

  gcert_test_systemd_add_unit (fixture->systemd, "app.service", "done");
  deploy_ok (&fixture->base, deployer);
  assert_calls (fixture, "Subscribe; ReloadUnit app.service replace");
}

static void
test_systemd_job_failed (SystemdFixture *fixture,
                         gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = nginx.service\n");
  g_autoptr(GCertDeployer) restart = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) restart_error = NULL;

  gcert_test_systemd_add_unit (fixture->systemd, "nginx.service", "failed");
  error = deploy_fails (&fixture->base, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "systemd: reloading nginx.service failed (job result: failed)");

  gcert_test_systemd_add_unit (fixture->systemd, "nginx.service", "dependency");
  restart = load_systemd (fixture, "unit = nginx.service\naction = restart\n");
  restart_error = deploy_fails (&fixture->base, restart);
  g_assert_cmpstr (restart_error->message, ==,
                   "systemd: restarting nginx.service failed (job result: dependency)");
}

static void
test_systemd_no_such_unit (SystemdFixture *fixture,
                           gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = missing.service\n");
  g_autoptr(GError) error = NULL;

  error = deploy_fails (&fixture->base, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "systemd: reloading missing.service failed: no such unit "
                   "(org.freedesktop.systemd1.NoSuchUnit: Unit missing.service not found.)");
}

static void
test_systemd_access_denied (SystemdFixture *fixture,
                            gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = nginx.service\n");
  g_autoptr(GError) error = NULL;

  gcert_test_systemd_deny_unit (fixture->systemd, "nginx.service");
  error = deploy_fails (&fixture->base, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  gcert_test_assert_contains (error->message,
                              "systemd: reloading nginx.service failed: access denied "
                              "(org.freedesktop.DBus.Error.AccessDenied: Access denied)");
}

static void
test_systemd_timeout (SystemdFixture *fixture,
                      gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  gcert_test_systemd_add_unit (fixture->systemd, "slow.service", NULL);
  deployer = load_systemd (fixture, "unit = slow.service\ntimeout = 1s\n");
  start = g_get_monotonic_time ();
  error = deploy_fails (&fixture->base, deployer);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==,
                   "systemd: reloading slow.service did not finish within 1 s");
  assert_calls (fixture, "Subscribe; ReloadUnit slow.service replace");
}

static void
test_systemd_cancel (SystemdFixture *fixture,
                     gconstpointer   user_data)
{
  g_autoptr(GCertDeployer) deployer = load_systemd (fixture, "unit = slow.service\n");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gcert_test_systemd_add_unit (fixture->systemd, "slow.service", NULL);
  gcert_test_cancel_after (cancellable, 200);
  gcert_deployer_deploy_async (deployer, &fixture->base.deployment, NULL, NULL, cancellable,
                               gcert_test_result_cb, &result);
  g_assert_false (gcert_deployer_deploy_finish (deployer, gcert_test_wait_for (&result),
                                                &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_systemd_no_bus (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GError) error = NULL;

  /* no fake started: nothing listens there */
  g_unlink (bus_socket);
  deployer = gcert_test_load_deployer_ok (fixture->config_path,
                                          "[deploy test]\nplugin = systemd\n"
                                          "unit = nginx.service\n",
                                          "test");
  store_version (fixture, 1);
  error = deploy_fails (fixture, deployer);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message,
                              "systemd: reloading nginx.service failed "
                              "(connecting to the bus): ");
}

static void
test_systemd_bad_config (Fixture       *fixture,
                         gconstpointer  user_data)
{
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\naction = reload\n", 1, NULL,
                     "unit");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx.service\n"
                              "action = bounce\n", 4, "action",
                     "unknown action “bounce” (expected reload, restart, "
                     "reload-or-restart or try-restart)");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx\n", 3, "unit",
                     "“nginx” is not a unit name such as nginx.service");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = getty@.service\n", 3,
                     "unit", "not a unit name");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx.servic\n", 3,
                     "unit", "not a unit name");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = ngi nx.service\n", 3,
                     "unit", "not a unit name");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx.service\n"
                              "bus = user\n", 4, "bus", "unknown bus “user”");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx.service\n"
                              "timeout = 0s\n", 4, "timeout", "between 1 s and");
  assert_bad_config (fixture, "[deploy test]\nplugin = systemd\nunit = nginx.service\n"
                              "reload = systemctl reload nginx\n", 4, "reload", NULL);
}

int
main (int    argc,
      char **argv)
{
  int status;

  /* before any thread exists: GIO reads these when a deployment connects */
  bus_dir = gcert_test_mkdtemp ("gcert-deploy-bus");
  bus_socket = g_build_filename (bus_dir, "system_bus_socket", NULL);
  {
    g_autofree char *address = g_strconcat ("unix:path=", bus_socket, NULL);

    g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/deploy/plugins/list", test_plugins_list);

#define ADD_TEST(path, func) \
  g_test_add ("/gcert/deploy/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD_TEST ("local/files", test_local_files);
  ADD_TEST ("local/owner", test_local_owner);
  ADD_TEST ("local/replace", test_local_replace);
  ADD_TEST ("local/names", test_local_names);
  ADD_TEST ("local/reload", test_local_reload);
  ADD_TEST ("local/reload-fails", test_local_reload_fails);
  ADD_TEST ("local/reload-fails-first", test_local_reload_fails_first);
  ADD_TEST ("local/reload-fails-twice", test_local_reload_fails_twice);
  ADD_TEST ("local/reload-timeout", test_local_reload_timeout);
  ADD_TEST ("local/symlinked-file", test_local_symlinked_file);
  ADD_TEST ("local/symlinked-dir", test_local_symlinked_dir);
  ADD_TEST ("local/no-parent", test_local_no_parent);
  ADD_TEST ("local/bad-source", test_local_bad_source);
  ADD_TEST ("local/cancel", test_local_cancel);
  ADD_TEST ("local/bad-config", test_local_bad_config);
  ADD_TEST ("exec/environment", test_exec_environment);
  ADD_TEST ("exec/failure", test_exec_failure);
  ADD_TEST ("exec/timeout", test_exec_timeout);
  ADD_TEST ("exec/bad-config", test_exec_bad_config);
  ADD_TEST ("systemd/no-bus", test_systemd_no_bus);
  ADD_TEST ("systemd/bad-config", test_systemd_bad_config);
#undef ADD_TEST

#define ADD_SYSTEMD_TEST(path, func) \
  g_test_add ("/gcert/deploy/" path, SystemdFixture, NULL, systemd_setup, func, \
              systemd_teardown)
  ADD_SYSTEMD_TEST ("systemd/reload", test_systemd_reload);
  ADD_SYSTEMD_TEST ("systemd/actions", test_systemd_actions);
  ADD_SYSTEMD_TEST ("systemd/session-bus", test_systemd_session_bus);
  ADD_SYSTEMD_TEST ("systemd/job-failed", test_systemd_job_failed);
  ADD_SYSTEMD_TEST ("systemd/no-such-unit", test_systemd_no_such_unit);
  ADD_SYSTEMD_TEST ("systemd/access-denied", test_systemd_access_denied);
  ADD_SYSTEMD_TEST ("systemd/timeout", test_systemd_timeout);
  ADD_SYSTEMD_TEST ("systemd/cancel", test_systemd_cancel);
#undef ADD_SYSTEMD_TEST

  status = g_test_run ();
  gcert_test_rm_rf (bus_dir);
  g_free (bus_socket);
  g_free (bus_dir);
  return status;
}
