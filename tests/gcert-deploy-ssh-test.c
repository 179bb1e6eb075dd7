/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-sshd.h"
#include "gcert-test-util.h"

/* The ssh deployer against a real sshd on a loopback port: the "server" is
 * this machine, so what arrived is checked in the local file system. */

static GCertTestSshd *sshd;

typedef struct {
  char      *dir;
  char      *config_path;
  char      *target;      /* the deployer's path */
  GPtrArray *progress;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  fixture->dir = gcert_test_mkdtemp ("gcert-deploy-ssh-test");
  fixture->config_path = g_build_filename (fixture->dir, "gcert.conf", NULL);
  fixture->target = g_build_filename (fixture->dir, "srv", "tls", NULL);
  fixture->progress = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  /* every test leaves the server running */
  g_assert_true (gcert_test_sshd_check_alive (sshd, &error));
  g_assert_no_error (error);
  gcert_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
  g_free (fixture->target);
  g_ptr_array_unref (fixture->progress);
}

/* --- helpers -------------------------------------------------------------- */

/* The config's head up to the [deploy web1] group (5 lines: [deploy web1]
 * is line 4, plugin line 5). */
#define CONFIG_HEAD "[gcert]\nca = letsencrypt\n\n[deploy web1]\nplugin = ssh\n"

/* A [deploy web1] group for the fixture's server and @extra lines. */
static char *
config_for (Fixture    *fixture,
            const char *extra)
{
  return g_strdup_printf (CONFIG_HEAD
                          "host = %s\n"
                          "port = %u\n"
                          "user = %s\n"
                          "identity-file = %s\n"
                          "known-hosts-file = %s\n"
                          "timeout = 10s\n"
                          "%s",
                          sshd->host, sshd->port, sshd->user, sshd->identity_file,
                          sshd->known_hosts_file, extra);
}

/* @path quoted for the remote shell, and escaped for a key file value */
static char *
shell_arg (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_auto(GStrv) parts = g_strsplit (quoted, "\\", -1);

  return g_strjoinv ("\\\\", parts);
}

/* The deployer of config_for (@fixture, @extra) */
static GCertDeployer *
deployer_for (Fixture    *fixture,
              const char *extra)
{
  g_autofree char *text = config_for (fixture, extra);

  return gcert_test_load_deployer_ok (fixture->config_path, text, "web1");
}

/* The store files of version @version: their text names the version and
 * @marker, and the key also holds a NUL byte and a line "commit". */
static GCertDeployment *
make_deployment (Fixture    *fixture,
                 guint       version,
                 const char *marker)
{
  g_autofree char *dir = g_strdup_printf ("%s/store/v%u", fixture->dir, version);
  GCertDeployment *deployment = g_new0 (GCertDeployment, 1);
  const char *kinds[] = { "privkey", "cert", "chain", "fullchain" };
  char *paths[G_N_ELEMENTS (kinds)];

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *text = NULL;
      gsize length;

      paths[i] = g_strdup_printf ("%s/%s.pem", dir, kinds[i]);
      text = g_strdup_printf ("-----BEGIN %s-----\nversion %u %s\n%ccommit\n-----END %s-----\n",
                              kinds[i], version, marker, '\0', kinds[i]);
      length = strlen (text);
      length += 1 + strlen (text + length + 1);
      gcert_test_write_bytes (paths[i], text, (gssize) length, 0600);
    }
  deployment->name = g_strdup ("web");
  deployment->target = g_strdup ("web1");
  deployment->domains = (const char * const *) g_strsplit ("example.test", ";", -1);
  deployment->version = version;
  deployment->key_path = paths[0];
  deployment->cert_path = paths[1];
  deployment->chain_path = paths[2];
  deployment->fullchain_path = paths[3];
  deployment->not_after = g_get_real_time () / G_USEC_PER_SEC + 90 * 86400;
  return deployment;
}

static void
deploy_ok (Fixture               *fixture,
           GCertDeployer         *deployer,
           const GCertDeployment *deployment)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = gcert_test_deploy (deployer, deployment, fixture->progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* The server finishes an aborted run after ssh has gone: wait for it. */
static void
wait_dir_lists (const char *dir,
                const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (TRUE)
    {
      g_autofree char *names = gcert_test_list_dir (dir);

      if (g_strcmp0 (names, expected) == 0 || g_get_monotonic_time () > deadline)
        {
          g_assert_cmpstr (names, ==, expected);
          return;
        }
      g_usleep (20 * 1000);
    }
}

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/* --- the fixture ---------------------------------------------------------- */

static void
test_fixture (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  int status;

  status = gcert_test_sshd_run (sshd, "cat; id -un; echo oops >&2; exit 7", "in\n", &out, &err,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 7);
  expected = g_strdup_printf ("in\n%s\n", sshd->user);
  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpstr (err, ==, "oops\n");

  /* the client config alone reaches it too */
  {
    g_autoptr(GSubprocess) process = NULL;

    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "/usr/bin/ssh", "-F",
                                sshd->ssh_config_file, GCERT_TEST_SSHD_HOST_ALIAS, "true", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait_check (process, NULL, &error));
    g_assert_no_error (error);
  }
}

/* --- deploying ------------------------------------------------------------ */

static void
test_first_deploy (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *reloads = g_build_filename (fixture->dir, "reloads", NULL);
  g_autofree char *reloads_arg = shell_arg (reloads);
  g_autofree char *extra = g_strdup_printf ("path = %s\nreload = echo ok >> %s\n",
                                            fixture->target, reloads_arg);
  g_autoptr(GCertDeployer) deployer = deployer_for (fixture, extra);
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "first");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autofree char *parent = g_path_get_dirname (fixture->target);
  g_autofree char *host_name = NULL;
  GStatBuf st;

  /* an IP literal is no name for a certificate */
  host_name = gcert_deployer_get_host_name (deployer);
  g_assert_null (host_name);

  deploy_ok (fixture, deployer, deployment);

  /* created 0755, like mkdir -p with umask 022 */
  g_assert_cmpint (g_stat (fixture->target, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0755);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0755);

  gcert_test_assert_same_file (key, deployment->key_path, 0600);
  gcert_test_assert_same_file (fullchain, deployment->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "fullchain.pem privkey.pem");
  g_assert_cmpuint (count_lines (reloads), ==, 1);

  g_assert_cmpuint (fixture->progress->len, ==, 2);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->progress, 0),
                                   "127.0.0.1: copying 2 files to "));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->progress, 1),
                                   "127.0.0.1: running echo ok"));
}

static void
test_custom_files (Fixture       *fixture,
                   gconstpointer  user_data)
{
  struct passwd *daemon_user = getpwnam ("daemon");
  struct group *bin_group = getgrnam ("bin");
  g_autofree char *extra = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "custom");
  const char *names[] = { "site.key", "site.crt", "leaf.pem", "intermediates.pem" };
  const char *sources[4];
  const guint modes[] = { 0640, 0444, 0444, 0444 };

  g_assert_nonnull (daemon_user);
  g_assert_nonnull (bin_group);
  /* no reload at all */
  extra = g_strdup_printf ("path = %s/\n"
                           "key-name = site.key\n"
                           "fullchain-name = site.crt\n"
                           "cert-name = leaf.pem\n"
                           "chain-name = intermediates.pem\n"
                           "key-mode = 0640\n"
                           "chain-mode = 444\n"
                           "owner = daemon\n"
                           "group = %u\n",
                           fixture->target, (guint) bin_group->gr_gid);
  deployer = deployer_for (fixture, extra);
  deploy_ok (fixture, deployer, deployment);

  sources[0] = deployment->key_path;
  sources[1] = deployment->fullchain_path;
  sources[2] = deployment->cert_path;
  sources[3] = deployment->chain_path;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (fixture->target, names[i], NULL);
      GStatBuf st;

      gcert_test_assert_same_file (path, sources[i], modes[i]);
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpuint (st.st_uid, ==, daemon_user->pw_uid);
      g_assert_cmpuint (st.st_gid, ==, bin_group->gr_gid);
    }
  gcert_test_assert_dir_lists (fixture->target, "intermediates.pem leaf.pem site.crt site.key");
  g_assert_cmpuint (fixture->progress->len, ==, 1);
}

static void
test_redeploy (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *reloads = g_build_filename (fixture->dir, "reloads", NULL);
  g_autofree char *reloads_arg = shell_arg (reloads);
  g_autofree char *extra = g_strdup_printf ("path = %s\nreload = echo ok >> %s\n",
                                            fixture->target, reloads_arg);
  g_autoptr(GCertDeployer) deployer = deployer_for (fixture, extra);
  g_autoptr(GCertDeployment) first = make_deployment (fixture, 1, "first");
  g_autoptr(GCertDeployment) second = make_deployment (fixture, 2, "second");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  char buffer[64] = { 0 };
  int fd;

  deploy_ok (fixture, deployer, first);
  fd = g_open (fullchain, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);

  deploy_ok (fixture, deployer, second);
  gcert_test_assert_same_file (key, second->key_path, 0600);
  gcert_test_assert_same_file (fullchain, second->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "fullchain.pem privkey.pem");
  g_assert_cmpuint (count_lines (reloads), ==, 2);

  /* replaced by a rename, never rewritten in place: a reader of the old
   * file still sees all of the old one */
  g_assert_cmpint (read (fd, buffer, sizeof buffer - 1), >, 0);
  g_assert_nonnull (strstr (buffer, "version 1 first"));
  close (fd);

  /* the same files once more is fine too */
  deploy_ok (fixture, deployer, second);
  gcert_test_assert_same_file (key, second->key_path, 0600);
  g_assert_cmpuint (count_lines (reloads), ==, 3);
}

/* The reload fails while fullchain.pem holds "NEW". */
static char *
picky_reload (Fixture    *fixture,
              const char *reloads)
{
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autofree char *fullchain_arg = shell_arg (fullchain);
  g_autofree char *reloads_arg = shell_arg (reloads);

  return g_strdup_printf ("if grep -q NEW %s; then echo 'nginx: [emerg] bad certificate' >&2; "
                          "exit 1; fi; echo ok >> %s", fullchain_arg, reloads_arg);
}

static void
test_reload_fails (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *reloads = g_build_filename (fixture->dir, "reloads", NULL);
  g_autofree char *reload = picky_reload (fixture, reloads);
  g_autofree char *extra = g_strdup_printf ("path = %s\nreload = %s\ncert-name = cert.pem\n",
                                            fixture->target, reload);
  g_autoptr(GCertDeployer) deployer = deployer_for (fixture, extra);
  g_autoptr(GCertDeployment) first = make_deployment (fixture, 1, "OLD");
  g_autoptr(GCertDeployment) second = make_deployment (fixture, 2, "NEW");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autofree char *cert = g_build_filename (fixture->target, "cert.pem", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  deploy_ok (fixture, deployer, first);
  g_assert_cmpuint (count_lines (reloads), ==, 1);

  g_ptr_array_set_size (fixture->progress, 0);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  expected = g_strdup_printf ("reload `%s` on 127.0.0.1 failed (exit 1: nginx: [emerg] bad "
                              "certificate); the previous files were put back and the reload "
                              "succeeded", reload);
  g_assert_cmpstr (error->message, ==, expected);

  /* byte for byte the first version, with its modes */
  gcert_test_assert_same_file (key, first->key_path, 0600);
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
  gcert_test_assert_same_file (cert, first->cert_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "cert.pem fullchain.pem privkey.pem");
  /* the second reload ran on the old files and succeeded */
  g_assert_cmpuint (count_lines (reloads), ==, 2);
  g_assert_cmpuint (fixture->progress->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (fixture->progress, 2), ==,
                   "127.0.0.1: the reload failed, putting the previous files back");
}

static void
test_first_deploy_reload_fails (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *flag = g_build_filename (fixture->dir, "flag", NULL);
  g_autofree char *flag_arg = NULL;
  g_autofree char *extra = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "first");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fixture->target, 0755), ==, 0);

  /* fails the first time only */
  flag_arg = shell_arg (flag);
  extra = g_strdup_printf ("path = %s\nreload = test -e %s || { touch %s; echo no >&2; "
                           "exit 3; }\n", fixture->target, flag_arg, flag_arg);
  deployer = deployer_for (fixture, extra);
  g_assert_false (gcert_test_deploy (deployer, deployment, fixture->progress, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message,
                              "on 127.0.0.1 failed (exit 3: no); there were no previous "
                              "files: the new ones were removed and the reload succeeded");
  gcert_test_assert_dir_lists (fixture->target, "");
  g_clear_error (&error);
  g_clear_object (&deployer);

  /* always failing, into a directory the deploy creates: that goes too */
  g_assert_cmpint (g_rmdir (fixture->target), ==, 0);
  g_free (extra);
  extra = g_strdup_printf ("path = %s\nreload = echo broken >&2; false\n", fixture->target);
  deployer = deployer_for (fixture, extra);
  g_assert_false (gcert_test_deploy (deployer, deployment, fixture->progress, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  gcert_test_assert_contains (error->message,
                              "(exit 1: broken); there were no previous files: the new ones "
                              "were removed, but the reload failed again (exit 1: broken)");
  g_assert_false (g_file_test (fixture->target, G_FILE_TEST_EXISTS));
}

static void
test_reload_timeout (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *reloads = g_build_filename (fixture->dir, "reloads", NULL);
  g_autofree char *extra = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) first = make_deployment (fixture, 1, "OLD");
  g_autoptr(GCertDeployment) second = make_deployment (fixture, 2, "NEW");
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autofree char *fullchain_arg = shell_arg (fullchain);
  g_autofree char *reloads_arg = shell_arg (reloads);
  g_autoptr(GError) error = NULL;
  gint64 start;

  /* hangs on the new files; the later "timeout" key wins */
  extra = g_strdup_printf ("path = %s\n"
                           "reload = grep -q NEW %s && exec sleep 60; echo ok >> %s\n"
                           "timeout = 2s\n", fixture->target, fullchain_arg, reloads_arg);
  g_assert_nonnull (strstr (extra, "timeout = 2s"));
  {
    g_autofree char *text = g_strdup_printf (CONFIG_HEAD
                                             "host = %s\nport = %u\nuser = %s\n"
                                             "identity-file = %s\nknown-hosts-file = %s\n%s",
                                             sshd->host, sshd->port, sshd->user,
                                             sshd->identity_file, sshd->known_hosts_file,
                                             extra);

    deployer = gcert_test_load_deployer (fixture->config_path, text, "web1", &error);
    g_assert_no_error (error);
  }
  deploy_ok (fixture, deployer, first);

  start = g_get_monotonic_time ();
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  gcert_test_assert_contains (error->message,
                              "failed (killed after its timeout of 2 s); the previous files "
                              "were put back and the reload succeeded");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "fullchain.pem privkey.pem");
  g_assert_cmpuint (count_lines (reloads), ==, 2);
}

static void
test_odd_path (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *target = g_build_filename (fixture->dir, "it's a \"dir\" $HOME `x` \\ *",
                                              NULL);
  g_autofree char *marker = g_build_filename (target, "reloaded", NULL);
  g_autofree char *extra = NULL;
  g_autofree char *quoted = shell_arg (marker);
  g_autofree char *escaped = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "odd");
  g_autofree char *key = g_build_filename (target, "my key's.pem", NULL);
  g_autofree char *fullchain = g_build_filename (target, "full chain;.pem", NULL);

  /* a key file value: backslashes are escapes there */
  {
    g_auto(GStrv) parts = g_strsplit (target, "\\", -1);

    escaped = g_strjoinv ("\\\\", parts);
  }
  extra = g_strdup_printf ("path = %s\nreload = touch %s\nkey-name = my key's.pem\n"
                           "fullchain-name = full chain;.pem\n", escaped, quoted);
  /* ';' separates list items in key files, not plain strings */
  deployer = deployer_for (fixture, extra);
  deploy_ok (fixture, deployer, deployment);

  gcert_test_assert_same_file (key, deployment->key_path, 0600);
  gcert_test_assert_same_file (fullchain, deployment->fullchain_path, 0644);
  g_assert_true (g_file_test (marker, G_FILE_TEST_IS_REGULAR));
  gcert_test_assert_dir_lists (target, "full chain;.pem my key's.pem reloaded");
}

static void
test_ssh_config (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *extra = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "alias");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *host_name = NULL;

  /* everything from the client config, nothing on the command line */
  extra = g_strdup_printf (CONFIG_HEAD "host = %s\nssh-config = %s\npath = %s\n",
                           GCERT_TEST_SSHD_HOST_ALIAS, sshd->ssh_config_file, fixture->target);
  deployer = gcert_test_load_deployer (fixture->config_path, extra, "web1", NULL);
  g_assert_nonnull (deployer);
  host_name = gcert_deployer_get_host_name (deployer);
  g_assert_cmpstr (host_name, ==, GCERT_TEST_SSHD_HOST_ALIAS);

  deploy_ok (fixture, deployer, deployment);
  gcert_test_assert_same_file (key, deployment->key_path, 0600);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->progress, 0),
                                   GCERT_TEST_SSHD_HOST_ALIAS ": copying 2 files"));
}

static void
test_local_paths_with_spaces (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *odd = g_build_filename (fixture->dir, "keys 100% \"ours\"", NULL);
  g_autofree char *identity = g_build_filename (odd, "id key", NULL);
  g_autofree char *known_hosts = g_build_filename (odd, "known hosts", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GCertDeployer) deployer = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "spaces");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  gsize length = 0;

  g_assert_cmpint (g_mkdir_with_parents (odd, 0700), ==, 0);
  g_assert_true (g_file_get_contents (sshd->identity_file, &contents, &length, NULL));
  gcert_test_write_bytes (identity, contents, (gssize) length, 0600);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (sshd->known_hosts_file, &contents, &length, NULL));
  gcert_test_write_bytes (known_hosts, contents, (gssize) length, 0600);

  text = g_strdup_printf (CONFIG_HEAD "host = %s\nport = %u\nuser = %s\n"
                          "identity-file = %s\nknown-hosts-file = %s\npath = %s\n",
                          sshd->host, sshd->port, sshd->user, identity, known_hosts,
                          fixture->target);
  deployer = gcert_test_load_deployer (fixture->config_path, text, "web1", NULL);
  g_assert_nonnull (deployer);
  deploy_ok (fixture, deployer, deployment);
  gcert_test_assert_same_file (key, deployment->key_path, 0600);
}

/* --- failures ------------------------------------------------------------- */

static void
test_unknown_host_key (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *empty = g_build_filename (fixture->dir, "empty_known_hosts", NULL);
  g_autofree char *wrong = g_build_filename (fixture->dir, "wrong_known_hosts", NULL);
  g_autofree char *client_pub = g_strconcat (sshd->identity_file, ".pub", NULL);
  g_autofree char *pub = gcert_test_read_file (client_pub);
  g_autofree char *line = NULL;
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "never");
  const char *files[2];
  g_auto(GStrv) fields = NULL;

  gcert_test_write_bytes (empty, "", 0, 0600);
  /* another ed25519 key for the same name and port: a changed host key */
  fields = g_strsplit (pub, " ", 3);
  line = g_strdup_printf ("[%s]:%u %s %s\n", sshd->host, sshd->port, fields[0], fields[1]);
  gcert_test_write_bytes (wrong, line, -1, 0600);
  files[0] = empty;
  files[1] = wrong;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(GCertDeployer) deployer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *marker = g_build_filename (fixture->dir, "reloaded", NULL);
      g_autofree char *marker_arg = shell_arg (marker);

      text = g_strdup_printf (CONFIG_HEAD "host = %s\nport = %u\nuser = %s\n"
                              "identity-file = %s\nknown-hosts-file = %s\npath = %s\n"
                              "reload = touch %s\n",
                              sshd->host, sshd->port, sshd->user, sshd->identity_file,
                              files[i], fixture->target, marker_arg);
      deployer = gcert_test_load_deployer (fixture->config_path, text, "web1", NULL);
      g_assert_nonnull (deployer);
      g_assert_false (gcert_test_deploy (deployer, deployment, fixture->progress, NULL, &error));
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
      g_assert_cmpstr (error->message, ==,
                       "ssh 127.0.0.1: connecting: Host key verification failed");
      g_assert_false (g_file_test (fixture->target, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
    }
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GCertDeployment) deployment = make_deployment (fixture, 1, "never");
  g_autoptr(GSocket) silent = NULL;
  g_autoptr(GError) error = NULL;
  guint16 ports[2];

  /* nothing listens on the first; the second accepts (in the kernel's
   * backlog) and never says a word */
  ports[0] = gcert_test_find_free_port (FALSE);
  silent = gcert_test_listen_loopback (G_SOCKET_TYPE_STREAM, 0, &ports[1]);

  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(GCertDeployer) deployer = NULL;
      g_autofree char *expected = NULL;
      gint64 start;

      text = g_strdup_printf (CONFIG_HEAD "host = 127.0.0.1\nport = %u\nuser = %s\n"
                              "identity-file = %s\nknown-hosts-file = %s\npath = %s\n"
                              "timeout = 2s\n",
                              ports[i], sshd->user, sshd->identity_file,
                              sshd->known_hosts_file, fixture->target);
      deployer = gcert_test_load_deployer (fixture->config_path, text, "web1", NULL);
      g_assert_nonnull (deployer);
      start = g_get_monotonic_time ();
      g_assert_false (gcert_test_deploy (deployer, deployment, fixture->progress, NULL, &error));
      g_test_message ("took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - start) / 1000);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 6 * G_USEC_PER_SEC);
      if (i == 0)
        {
          g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
          expected = g_strdup_printf ("ssh 127.0.0.1: connecting: connect to host 127.0.0.1 "
                                      "port %u: Connection refused", ports[i]);
          g_assert_cmpstr (error->message, ==, expected);
        }
      else
        {
          g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
          gcert_test_assert_contains (error->message, "ssh 127.0.0.1: connecting: ");
          gcert_test_assert_contains (error->message, "timed out");
        }
      g_assert_false (g_file_test (fixture->target, G_FILE_TEST_EXISTS));
      g_clear_error (&error);
    }
}

static void
test_refusals (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *extra = g_strdup_printf ("path = %s\n", fixture->target);
  g_autoptr(GCertDeployer) deployer = deployer_for (fixture, extra);
  g_autoptr(GCertDeployment) first = make_deployment (fixture, 1, "first");
  g_autoptr(GCertDeployment) second = make_deployment (fixture, 2, "second");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autofree char *elsewhere = g_build_filename (fixture->dir, "elsewhere.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  deploy_ok (fixture, deployer, first);

  /* a symlinked key is never followed nor replaced */
  gcert_test_write_bytes (elsewhere, "precious", -1, 0600);
  g_assert_cmpint (g_unlink (key), ==, 0);
  g_assert_cmpint (symlink (elsewhere, key), ==, 0);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  expected = g_strdup_printf ("ssh 127.0.0.1: %s is a symbolic link", key);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  {
    g_autofree char *text = gcert_test_read_file (elsewhere);

    g_assert_cmpstr (text, ==, "precious");
  }
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "fullchain.pem privkey.pem");

  /* a directory in place of a file */
  g_assert_cmpint (g_unlink (key), ==, 0);
  g_assert_cmpint (g_mkdir (key, 0700), ==, 0);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  expected = g_strdup_printf ("ssh 127.0.0.1: %s is not a regular file", key);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  g_assert_cmpint (g_rmdir (key), ==, 0);
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);

  /* a directory others may write to */
  g_assert_cmpint (g_chmod (fixture->target, 0777), ==, 0);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  expected = g_strdup_printf ("ssh 127.0.0.1: %s is writable by others", fixture->target);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
  gcert_test_assert_dir_lists (fixture->target, "fullchain.pem");

  /* a path below a file cannot be created */
  g_assert_cmpint (g_chmod (fixture->target, 0755), ==, 0);
  g_clear_object (&deployer);
  g_free (extra);
  extra = g_strdup_printf ("path = %s/sub\n", fullchain);
  deployer = deployer_for (fixture, extra);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, NULL, &error));
  expected = g_strdup_printf ("ssh 127.0.0.1: creating %s/sub: mkdir: ", fullchain);
  gcert_test_assert_contains (error->message, expected);
  gcert_test_assert_contains (error->message, "Not a directory");
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
}

static void
cancel_on_copy_cb (const char *message,
                   gpointer    user_data)
{
  GCancellable *cancellable = user_data;

  if (strstr (message, ": copying ") != NULL)
    g_cancellable_cancel (cancellable);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *reloads = g_build_filename (fixture->dir, "reloads", NULL);
  g_autofree char *reloads_arg = shell_arg (reloads);
  g_autofree char *extra = g_strdup_printf ("path = %s\nreload = echo ok >> %s\n",
                                            fixture->target, reloads_arg);
  g_autoptr(GCertDeployer) deployer = deployer_for (fixture, extra);
  g_autoptr(GCertDeployment) first = make_deployment (fixture, 1, "first");
  g_autoptr(GCertDeployment) second = make_deployment (fixture, 2, "second");
  g_autofree char *key = g_build_filename (fixture->target, "privkey.pem", NULL);
  g_autofree char *fullchain = g_build_filename (fixture->target, "fullchain.pem", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  deploy_ok (fixture, deployer, first);

  /* cancelled before the call */
  g_cancellable_cancel (cancellable);
  g_assert_false (gcert_test_deploy (deployer, second, fixture->progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* cancelled while ssh runs, before the server was told to commit */
  g_cancellable_reset (cancellable);
  gcert_deployer_deploy_async (deployer, second, cancel_on_copy_cb, cancellable, cancellable,
                               gcert_test_result_cb, &result);
  gcert_test_wait_for (&result);
  g_assert_false (gcert_deployer_deploy_finish (deployer, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gcert_test_assert_contains (error->message, "the previous files are in place");

  wait_dir_lists (fixture->target, "fullchain.pem privkey.pem");
  gcert_test_assert_same_file (key, first->key_path, 0600);
  gcert_test_assert_same_file (fullchain, first->fullchain_path, 0644);
  g_assert_cmpuint (count_lines (reloads), ==, 1);
}

/* --- configuration -------------------------------------------------------- */

static void
assert_bad_config (Fixture    *fixture,
                   const char *text,
                   guint       line,
                   const char *key,
                   const char *detail)
{
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (fixture->config_path, text, "deploy web1",
                                        GCERT_ERROR_CONFIG, line, key, detail);
}

static void
test_bad_config (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *identity = NULL;

  assert_bad_config (fixture, CONFIG_HEAD "path = /etc/tls\n", 4, "host", "missing");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\n", 4, "path", "missing");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = etc/tls\n", 7, "path",
                     "not an absolute path");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nkey-mode = 999\n", 8,
                     "key-mode", "not an octal file mode");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nchain-mode = rw\n", 8,
                     "chain-mode", "not an octal file mode");
  assert_bad_config (fixture, CONFIG_HEAD "host = -oProxyCommand=sh\npath = /etc/tls\n", 6,
                     "host", "not a host name");
  assert_bad_config (fixture, CONFIG_HEAD "host = root@web1\npath = /etc/tls\n", 6, "host",
                     "user key");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nport = 70000\n", 8,
                     "port", "not a port number");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nuser = -l\n", 8,
                     "user", "not a user name");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\ntimeout = 0s\n", 8,
                     "timeout", "between 1 s and 3600 s");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nidentity-file = nope\n",
                     8, "identity-file", "does not exist");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nowner = a b\n", 8,
                     "owner", "not a user or group name");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nkey-name = a/b\n", 8,
                     "key-name", "not a plain file name");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nreload = a\\nb\n", 8,
                     "reload", "control character");
  assert_bad_config (fixture, CONFIG_HEAD "host = web1\npath = /etc/tls\nhots = x\n", 8,
                     "hots", "");

  /* a relative identity file is found beside the config */
  identity = g_build_filename (fixture->dir, "id", NULL);
  gcert_test_write_bytes (identity, "key", -1, 0600);
  {
    g_autoptr(GCertDeployer) deployer = NULL;
    g_autofree char *host_name = NULL;

    deployer = gcert_test_load_deployer (fixture->config_path,
                                         CONFIG_HEAD "host = Web1.Example.COM.\npath = /etc/tls\n"
                                         "identity-file = id\n",
                                         "web1", NULL);
    g_assert_nonnull (deployer);
    host_name = gcert_deployer_get_host_name (deployer);
    g_assert_cmpstr (host_name, ==, "web1.example.com");
  }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  sshd = gcert_test_sshd_start (&error);
  g_assert_no_error (error);
  g_assert_nonnull (sshd);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/gcert/deploy-ssh/fixture", test_fixture);
  ADD ("/gcert/deploy-ssh/first-deploy", test_first_deploy);
  ADD ("/gcert/deploy-ssh/custom-files", test_custom_files);
  ADD ("/gcert/deploy-ssh/redeploy", test_redeploy);
  ADD ("/gcert/deploy-ssh/reload-fails", test_reload_fails);
  ADD ("/gcert/deploy-ssh/first-deploy-reload-fails", test_first_deploy_reload_fails);
  ADD ("/gcert/deploy-ssh/reload-timeout", test_reload_timeout);
  ADD ("/gcert/deploy-ssh/odd-path", test_odd_path);
  ADD ("/gcert/deploy-ssh/ssh-config", test_ssh_config);
  ADD ("/gcert/deploy-ssh/local-paths-with-spaces", test_local_paths_with_spaces);
  ADD ("/gcert/deploy-ssh/unknown-host-key", test_unknown_host_key);
  ADD ("/gcert/deploy-ssh/unreachable", test_unreachable);
  ADD ("/gcert/deploy-ssh/refusals", test_refusals);
  ADD ("/gcert/deploy-ssh/cancel", test_cancel);
  ADD ("/gcert/deploy-ssh/bad-config", test_bad_config);

#undef ADD

  status = g_test_run ();
  g_clear_pointer (&sshd, gcert_test_sshd_stop);
  return status;
}
