/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcert-test-util.h"

static const char *web_names[] = { "example.com", "*.example.com", NULL };

typedef struct {
  char       *dir;     /* scratch space */
  char       *state;   /* the store's directory, inside dir */
  GCertStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = gcert_test_mkdtemp ("gcert-store-test");
  fixture->state = g_build_filename (fixture->dir, "state", NULL);
  fixture->store = gcert_store_new (fixture->state, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->store);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  gcert_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->state);
}

static guint
file_mode (const char *path)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static guint
mode_of (const char *first,
         ...)
{
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, first);
  path = g_build_filename_valist (first, &args);
  va_end (args);
  return file_mode (path);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
write_text (const char *path,
            const char *text,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static char *
read_in (const char *dir,
         const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return read_text (path);
}

static void
write_in (const char *dir,
          const char *name,
          const char *text,
          int         mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  write_text (path, text, mode);
}

static gboolean
exists_in (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* names in @dir that start with '.', i.e. leftover temporary files */
static guint
count_hidden (const char *dir)
{
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (gdir);
  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      if (name[0] == '.')
        {
          g_test_message ("leftover: %s/%s", dir, name);
          count++;
        }
    }
  return count;
}

static char *
make_chain (GCertKey            *key,
            const char * const  *names)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) not_before = g_date_time_add_hours (now, -1);
  g_autoptr(GDateTime) not_after = g_date_time_add_days (now, 89);

  return gcert_test_issue_certificate (key, names, not_before, not_after, NULL);
}

static GCertKey *
make_key (void)
{
  g_autoptr(GError) error = NULL;
  GCertKey *key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);

  g_assert_no_error (error);
  return key;
}

static char *
key_pem (GCertKey *key)
{
  g_autoptr(GError) error = NULL;
  char *pem = gcert_key_to_pem (key, &error);

  g_assert_no_error (error);
  return pem;
}

/* ---- fileutil ---- */

static void
test_write_atomic (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "file.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  mode_t old_umask;

  g_assert_true (gcert_file_write_atomic (path, "one", 3, 0600, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  text = read_text (path);
  g_assert_cmpstr (text, ==, "one");
  g_clear_pointer (&text, g_free);

  /* the mode asked for, whatever the umask */
  old_umask = umask (0077);
  g_assert_true (gcert_file_write_atomic (path, "two!", 4, 0644, &error));
  umask (old_umask);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0644);
  text = read_text (path);
  g_assert_cmpstr (text, ==, "two!");
  g_clear_pointer (&text, g_free);

  /* an empty file is fine */
  g_assert_true (gcert_file_write_atomic (path, "", 0, 0600, &error));
  text = read_text (path);
  g_assert_cmpstr (text, ==, "");

  g_assert_cmpuint (count_hidden (fixture->dir), ==, 0);
}

static void
test_write_atomic_symlink (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *victim = g_build_filename (fixture->dir, "victim", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "link", NULL);
  g_autofree char *dangling = g_build_filename (fixture->dir, "dangling", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "no-such-dir", "file", NULL);
  g_autofree char *subdir = g_build_filename (fixture->dir, "subdir", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  write_text (victim, "precious", 0644);
  g_assert_cmpint (symlink (victim, link), ==, 0);
  g_assert_false (gcert_file_write_atomic (link, "evil", 4, 0644, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, link));
  g_clear_error (&error);
  text = read_text (victim);
  g_assert_cmpstr (text, ==, "precious");

  g_assert_cmpint (symlink ("/nonexistent/target", dangling), ==, 0);
  g_assert_false (gcert_file_write_atomic (dangling, "evil", 4, 0644, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (g_file_test (dangling, G_FILE_TEST_IS_SYMLINK));

  g_assert_false (gcert_file_write_atomic (missing, "x", 1, 0644, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  g_assert_false (gcert_file_write_atomic (subdir, "x", 1, 0644, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_cmpuint (count_hidden (fixture->dir), ==, 0);
}

static void
test_dir_private (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *deep = g_build_filename (fixture->dir, "a", "b", "c", NULL);
  g_autofree char *open_dir = g_build_filename (fixture->dir, "open", NULL);
  g_autofree char *group_dir = g_build_filename (fixture->dir, "group", NULL);
  g_autofree char *readable = g_build_filename (fixture->dir, "readable", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "link", NULL);
  g_autofree char *file = g_build_filename (fixture->dir, "file", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_dir_ensure_private (deep, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (deep), ==, 0700);
  g_assert_cmpuint (mode_of (fixture->dir, "a", NULL), ==, 0700);
  /* again: it exists now */
  g_assert_true (gcert_dir_ensure_private (deep, &error));

  g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
  g_assert_false (gcert_dir_ensure_private (open_dir, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, open_dir));
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (group_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (group_dir, 0770), ==, 0);
  g_assert_false (gcert_dir_ensure_private (group_dir, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* readable by others is allowed, as for /var/lib */
  g_assert_cmpint (g_mkdir (readable, 0755), ==, 0);
  g_assert_cmpint (g_chmod (readable, 0755), ==, 0);
  g_assert_true (gcert_dir_ensure_private (readable, &error));
  g_assert_no_error (error);

  g_assert_cmpint (symlink (deep, link), ==, 0);
  g_assert_false (gcert_dir_ensure_private (link, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  write_text (file, "x", 0600);
  g_assert_false (gcert_dir_ensure_private (file, &error));
  g_assert_nonnull (error);
}

static void
test_read_secret (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *secret_text = "Zm9vYmFyLXNlY3JldC10b2tlbg";
  g_autofree char *path = g_build_filename (fixture->dir, "token", NULL);
  g_autofree char *fifo = g_build_filename (fixture->dir, "fifo", NULL);
  g_autofree char *empty = g_build_filename (fixture->dir, "empty", NULL);
  g_autofree char *big = g_build_filename (fixture->dir, "big", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  g_autofree char *contents = g_strdup_printf ("%s \n\n", secret_text);
  g_autofree char *hint = g_strdup_printf ("chmod 600 %s", path);
  g_autofree char *secret = NULL;
  g_autofree char *big_text = g_strnfill (2000, 'x');
  g_autoptr(GError) error = NULL;
  const int bad_modes[] = { 0644, 0640, 0604, 0660, 0602 };

  write_text (path, contents, 0600);
  secret = gcert_file_read_secret (path, 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, secret_text);
  g_clear_pointer (&secret, g_free);

  write_text (path, contents, 0400);
  secret = gcert_file_read_secret (path, 1024, &error);
  g_assert_no_error (error);
  g_clear_pointer (&secret, g_free);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_modes); i++)
    {
      g_assert_cmpint (g_chmod (path, bad_modes[i]), ==, 0);
      secret = gcert_file_read_secret (path, 1024, &error);
      g_assert_null (secret);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, hint));
      g_assert_null (strstr (error->message, secret_text));
      g_assert_null (strstr (error->message, "Zm9v"));
      g_clear_error (&error);
    }

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_null (gcert_file_read_secret (fifo, 1024, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_assert_null (gcert_file_read_secret (fixture->dir, 1024, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  write_text (empty, " \n", 0600);
  g_assert_null (gcert_file_read_secret (empty, 1024, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  write_text (big, big_text, 0600);
  g_assert_null (gcert_file_read_secret (big, 1024, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_null (strstr (error->message, "xxxx"));
  g_clear_error (&error);

  g_assert_null (gcert_file_read_secret (missing, 1024, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
}

/* ---- the store ---- */

static void
test_new (Fixture       *fixture,
          gconstpointer  data)
{
  g_autofree char *open_dir = g_build_filename (fixture->dir, "open", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "link", NULL);
  g_autofree char *file = g_build_filename (fixture->dir, "file", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertStore) store = NULL;

  g_assert_cmpstr (gcert_store_get_path (fixture->store), ==, fixture->state);
  g_assert_cmpuint (file_mode (fixture->state), ==, 0700);
  g_assert_cmpuint (mode_of (fixture->state, "accounts", NULL), ==, 0700);
  g_assert_cmpuint (mode_of (fixture->state, "certificates", NULL), ==, 0700);
  g_assert_cmpuint (mode_of (fixture->state, "live", NULL), ==, 0700);

  /* opening it again is fine */
  store = gcert_store_new (fixture->state, &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
  store = gcert_store_new (open_dir, &error);
  g_assert_null (store);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_assert_cmpint (symlink (fixture->state, link), ==, 0);
  store = gcert_store_new (link, &error);
  g_assert_null (store);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  write_text (file, "x", 0600);
  store = gcert_store_new (file, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
}

static void
test_add_version (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GCertKey) key1 = make_key ();
  g_autoptr(GCertKey) key2 = make_key ();
  g_autofree char *key1_pem = key_pem (key1);
  g_autofree char *key2_pem = key_pem (key2);
  g_autofree char *chain1 = make_chain (key1, web_names);
  g_autofree char *chain2 = make_chain (key2, web_names);
  g_autofree char *live = gcert_store_get_live_dir (fixture->store, "web");
  g_autofree char *live_link = NULL;
  g_autofree char *v1 = g_build_filename (fixture->state, "certificates", "web",
                                          "versions", "1", NULL);
  g_autofree char *live_key = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *full_pem = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *live_dir = g_build_filename (fixture->state, "live", NULL);
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  guint version;

  g_assert_cmpuint (gcert_store_get_live_version (fixture->store, "web"), ==, 0);
  cert = gcert_store_load_live (fixture->store, "web", &error);
  g_assert_null (cert);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  version = gcert_store_add_version (fixture->store, "web", key1_pem, chain1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (version, ==, 1);
  g_assert_cmpuint (gcert_store_get_live_version (fixture->store, "web"), ==, 1);

  g_assert_true (g_str_has_suffix (live, "/live/web"));
  g_assert_true (g_str_has_prefix (live, fixture->state));
  live_link = g_file_read_link (live, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (live_link, ==, "../certificates/web/versions/1");

  g_assert_cmpuint (mode_of (fixture->state, "certificates", "web", NULL), ==, 0700);
  g_assert_cmpuint (mode_of (fixture->state, "certificates", "web", "versions", NULL), ==, 0700);
  g_assert_cmpuint (file_mode (v1), ==, 0700);
  g_assert_cmpuint (mode_of (v1, "privkey.pem", NULL), ==, 0600);
  g_assert_cmpuint (mode_of (v1, "cert.pem", NULL), ==, 0644);
  g_assert_cmpuint (mode_of (v1, "chain.pem", NULL), ==, 0644);
  g_assert_cmpuint (mode_of (v1, "fullchain.pem", NULL), ==, 0644);

  live_key = read_in (live, "privkey.pem");
  g_assert_cmpstr (live_key, ==, key1_pem);
  cert_pem = read_in (live, "cert.pem");
  chain_pem = read_in (live, "chain.pem");
  full_pem = read_in (live, "fullchain.pem");
  joined = g_strconcat (cert_pem, chain_pem, NULL);
  g_assert_cmpstr (joined, ==, full_pem);
  g_assert_true (g_str_has_prefix (cert_pem, "-----BEGIN CERTIFICATE-----"));
  g_assert_true (g_str_has_prefix (chain_pem, "-----BEGIN CERTIFICATE-----"));

  cert = gcert_store_load_live (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, key1));
  names = gcert_certificate_get_names (cert);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_clear_object (&cert);

  version = gcert_store_add_version (fixture->store, "web", key2_pem, chain2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (version, ==, 2);
  g_assert_cmpuint (gcert_store_get_live_version (fixture->store, "web"), ==, 2);
  cert = gcert_store_load_live (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, key2));
  /* the old version stays for the record */
  g_assert_true (g_file_test (v1, G_FILE_TEST_IS_DIR));

  g_assert_cmpuint (count_hidden (live_dir), ==, 0);
  g_assert_cmpuint (count_hidden (v1), ==, 0);
}

static void
assert_live_is_v1 (Fixture  *fixture,
                   GCertKey *key)
{
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *v2 = g_build_filename (fixture->state, "certificates", "web",
                                          "versions", "2", NULL);
  g_autofree char *live_dir = g_build_filename (fixture->state, "live", NULL);

  g_assert_cmpuint (gcert_store_get_live_version (fixture->store, "web"), ==, 1);
  cert = gcert_store_load_live (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_true (gcert_certificate_matches_key (cert, key));
  g_assert_false (g_file_test (v2, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_hidden (live_dir), ==, 0);
}

static void
test_add_version_bad_input (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GCertKey) key1 = make_key ();
  g_autoptr(GCertKey) key2 = make_key ();
  g_autofree char *key1_pem = key_pem (key1);
  g_autofree char *key2_pem = key_pem (key2);
  g_autofree char *chain1 = make_chain (key1, web_names);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", key1_pem, chain1, &error),
                    ==, 1);
  g_assert_no_error (error);

  /* a chain that is not PEM */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", key1_pem,
                                             "-----BEGIN CERTIFICATE-----\ngarbage\n",
                                             &error), ==, 0);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  assert_live_is_v1 (fixture, key1);

  /* a chain for another key */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", key2_pem, chain1, &error),
                    ==, 0);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  assert_live_is_v1 (fixture, key1);

  /* a key that is not PEM */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", "not a key", chain1, &error),
                    ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);
  assert_live_is_v1 (fixture, key1);

  /* names that would escape the store */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "../web", key1_pem, chain1, &error),
                    ==, 0);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "a/b", key1_pem, chain1, &error),
                    ==, 0);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

/* The child half of /gcert/store/add-version-disk-full: the disk "fills"
 * after 1200 bytes, in the middle of writing the version. */
static void
disk_full_child (void)
{
  const char *dir = g_getenv ("GCERT_STORE_TEST_DIR");
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *key = read_in (dir, "new-key.pem");
  g_autofree char *chain = read_in (dir, "new-chain.pem");
  g_autoptr(GCertStore) store = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit limit = { 1200, 1200 };
  guint version;

  store = gcert_store_new (state, &error);
  g_assert_no_error (error);

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  version = gcert_store_add_version (store, "web", key, chain, &error);
  g_assert_cmpuint (version, ==, 0);
  g_assert_nonnull (error);
  g_printerr ("%s\n", error->message);
}

static void
test_add_version_disk_full (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GCertKey) key1 = make_key ();
  g_autoptr(GCertKey) key2 = make_key ();
  g_autofree char *key1_pem = key_pem (key1);
  g_autofree char *key2_pem = key_pem (key2);
  g_autofree char *chain1 = make_chain (key1, web_names);
  g_autofree char *chain2 = make_chain (key2, web_names);
  g_autofree char *versions = g_build_filename (fixture->state, "certificates", "web",
                                                "versions", NULL);
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      disk_full_child ();
      return;
    }

  g_assert_cmpuint (strlen (chain2), >, 1200);
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", key1_pem, chain1, &error),
                    ==, 1);
  g_assert_no_error (error);

  write_in (fixture->dir, "new-key.pem", key2_pem, 0600);
  write_in (fixture->dir, "new-chain.pem", chain2, 0600);
  g_setenv ("GCERT_STORE_TEST_DIR", fixture->dir, TRUE);
  g_test_trap_subprocess (NULL, 0,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*File too large*");
  g_unsetenv ("GCERT_STORE_TEST_DIR");

  assert_live_is_v1 (fixture, key1);
  g_assert_cmpuint (count_hidden (versions), ==, 0);

  /* and the next attempt, with room again, takes version 2 */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", key2_pem, chain2, &error),
                    ==, 2);
  g_assert_no_error (error);
}

static void
test_add_version_swap_fails (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GCertKey) key = make_key ();
  g_autofree char *pem = key_pem (key);
  g_autofree char *chain = make_chain (key, web_names);
  g_autofree char *blocker = g_build_filename (fixture->state, "live", "web", NULL);
  g_autofree char *inside = g_build_filename (blocker, "keep", NULL);
  g_autofree char *versions = g_build_filename (fixture->state, "certificates", "web",
                                                "versions", NULL);
  g_autofree char *live_dir = g_build_filename (fixture->state, "live", NULL);
  g_autofree char *kept = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;

  /* something that rename(2) cannot replace with a symlink */
  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  write_text (inside, "kept", 0600);

  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", pem, chain, &error), ==, 0);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);

  kept = read_text (inside);
  g_assert_cmpstr (kept, ==, "kept");
  /* the partial version is gone */
  dir = g_dir_open (versions, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
  g_assert_cmpuint (count_hidden (live_dir), ==, 0);
}

static void
test_lock (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GCertStoreLock) lock = NULL;
  g_autoptr(GCertStoreLock) again = NULL;
  g_autoptr(GCertStoreLock) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lock_path = g_build_filename (fixture->state, "certificates", "web",
                                                 "lock", NULL);
  g_autofree char *expected = g_strdup_printf ("certificate web is locked by PID %d",
                                               (int) getpid ());
  g_autofree char *contents = NULL;
  g_autofree char *pid_line = g_strdup_printf ("%d\n", (int) getpid ());

  lock = gcert_store_lock (fixture->store, "web", FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
  g_assert_cmpuint (file_mode (lock_path), ==, 0600);
  contents = read_text (lock_path);
  g_assert_cmpstr (contents, ==, pid_line);
  g_clear_pointer (&contents, g_free);

  /* flock(2) locks belong to the open file, so this conflicts too */
  again = gcert_store_lock (fixture->store, "web", FALSE, &error);
  g_assert_null (again);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_LOCKED);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* locks are per certificate */
  other = gcert_store_lock (fixture->store, "api", FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (other);

  g_clear_pointer (&lock, gcert_store_lock_free);
  again = gcert_store_lock (fixture->store, "web", FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);

  g_assert_null (gcert_store_lock (fixture->store, "../web", FALSE, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

/* in a child process: takes the lock, says so, and keeps it until told */
static int
hold_lock (const char *state,
           int         ready_fd,
           int         release_fd)
{
  g_autoptr(GCertStore) store = NULL;
  g_autoptr(GCertStoreLock) lock = NULL;
  char byte;

  store = gcert_store_new (state, NULL);
  if (store == NULL)
    return 2;
  lock = gcert_store_lock (store, "web", FALSE, NULL);
  if (lock == NULL)
    return 3;
  if (write (ready_fd, "r", 1) != 1)
    return 4;
  if (read (release_fd, &byte, 1) < 0)
    return 5;
  /* a little longer, so that the parent really waits */
  g_usleep (300 * 1000);
  return 0;
}

static void
test_lock_other_process (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GCertStoreLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  int ready[2];
  int release[2];
  char byte = 0;
  pid_t child;
  int status = 0;
  gint64 start;

  g_assert_cmpint (pipe (ready), ==, 0);
  g_assert_cmpint (pipe (release), ==, 0);

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      close (ready[0]);
      close (release[1]);
      _exit (hold_lock (fixture->state, ready[1], release[0]));
    }

  close (ready[1]);
  close (release[0]);
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);

  lock = gcert_store_lock (fixture->store, "web", FALSE, &error);
  g_assert_null (lock);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_LOCKED);
  expected = g_strdup_printf ("certificate web is locked by PID %d", (int) child);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* waiting returns once the child lets go */
  start = g_get_monotonic_time ();
  g_assert_cmpint (write (release[1], "g", 1), ==, 1);
  lock = gcert_store_lock (fixture->store, "web", TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 200 * 1000);

  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  close (ready[0]);
  close (release[1]);
}

static void
test_run_record (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GCertRunRecord) record = gcert_run_record_new ();
  g_autoptr(GCertRunRecord) loaded = NULL;
  g_autoptr(GCertRunRecord) empty = gcert_run_record_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->state, "certificates", "web",
                                            "run.json", NULL);

  loaded = gcert_store_load_run_record (fixture->store, "web", &error);
  g_assert_null (loaded);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  record->last_attempt = g_date_time_new_utc (2024, 5, 1, 10, 30, 15);
  record->success = FALSE;
  record->error = g_strdup ("finalizing order: urn:ietf:params:acme:error:rateLimited “quoted”");
  record->not_after = g_date_time_new_utc (2024, 7, 30, 0, 0, 0);
  record->next_due = g_date_time_new_utc (2024, 5, 1, 22, 30, 15);
  record->version = 3;
  record->ca = g_strdup ("https://acme-v02.api.letsencrypt.org/directory");
  record->failures = 2;

  g_assert_true (gcert_store_save_run_record (fixture->store, "web", record, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0644);

  loaded = gcert_store_load_run_record (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_true (g_date_time_equal (loaded->last_attempt, record->last_attempt));
  g_assert_false (loaded->success);
  g_assert_cmpstr (loaded->error, ==, record->error);
  g_assert_true (g_date_time_equal (loaded->not_after, record->not_after));
  g_assert_true (g_date_time_equal (loaded->next_due, record->next_due));
  g_assert_cmpuint (loaded->version, ==, 3);
  g_assert_cmpstr (loaded->ca, ==, record->ca);
  g_assert_cmpuint (loaded->failures, ==, 2);
  g_clear_pointer (&loaded, gcert_run_record_free);

  /* all the optional parts missing */
  empty->success = TRUE;
  g_assert_true (gcert_store_save_run_record (fixture->store, "web", empty, &error));
  loaded = gcert_store_load_run_record (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_null (loaded->last_attempt);
  g_assert_null (loaded->error);
  g_assert_null (loaded->ca);
  g_assert_true (loaded->success);
  g_assert_cmpuint (loaded->version, ==, 0);
  g_clear_pointer (&loaded, gcert_run_record_free);

  /* damaged files are reported, not trusted */
  write_text (path, "{\"success\": tru", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  write_text (path, "[1, 2]", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  write_text (path, "{\"version\": \"three\"}", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  write_text (path, "{\"version\": -1}", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  write_text (path, "{\"last-attempt\": \"yesterday\"}", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);

  write_text (path, "{\"success\": \"yes\"}", 0644);
  g_assert_null (gcert_store_load_run_record (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

static void
test_run_record_symlink (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GCertRunRecord) record = gcert_run_record_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *outside = g_build_filename (fixture->dir, "outside", NULL);
  g_autofree char *cert_dir = g_build_filename (fixture->state, "certificates", "web", NULL);
  g_autofree char *path = g_build_filename (cert_dir, "run.json", NULL);
  g_autofree char *text = NULL;

  write_text (outside, "do not touch", 0644);
  g_assert_cmpint (g_mkdir (cert_dir, 0700), ==, 0);
  g_assert_cmpint (symlink (outside, path), ==, 0);

  g_assert_false (gcert_store_save_run_record (fixture->store, "web", record, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  text = read_text (outside);
  g_assert_cmpstr (text, ==, "do not touch");
}

static void
test_pending (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GCertKey) key = make_key ();
  g_autoptr(GCertKey) loaded_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *thumb1 = NULL;
  g_autofree char *thumb2 = NULL;
  g_autofree char *dir = g_build_filename (fixture->state, "certificates", "web", NULL);

  g_assert_false (gcert_store_load_pending (fixture->store, "web", &url, &loaded_key, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* nothing to clear is fine */
  g_assert_true (gcert_store_clear_pending (fixture->store, "web", &error));
  g_assert_no_error (error);

  g_assert_true (gcert_store_save_pending (fixture->store, "web",
                                           "https://ca.example/order/42", key, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (dir, "pending.key", NULL), ==, 0600);
  g_assert_cmpuint (mode_of (dir, "pending.json", NULL), ==, 0600);

  g_assert_true (gcert_store_load_pending (fixture->store, "web", &url, &loaded_key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://ca.example/order/42");
  thumb1 = gcert_key_get_thumbprint (key);
  thumb2 = gcert_key_get_thumbprint (loaded_key);
  g_assert_cmpstr (thumb1, ==, thumb2);
  g_clear_object (&loaded_key);
  g_clear_pointer (&url, g_free);

  g_assert_true (gcert_store_clear_pending (fixture->store, "web", &error));
  g_assert_no_error (error);
  g_assert_false (exists_in (dir, "pending.key"));
  g_assert_false (gcert_store_load_pending (fixture->store, "web", &url, &loaded_key, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_assert_null (url);
  g_assert_null (loaded_key);
  g_assert_cmpuint (count_hidden (dir), ==, 0);
}

static void
test_account (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GCertKey) key = make_key ();
  g_autoptr(GCertKey) loaded_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *thumb1 = NULL;
  g_autofree char *thumb2 = NULL;
  g_autofree char *dir = g_build_filename (fixture->state, "accounts", "letsencrypt", NULL);
  g_autofree char *key_path = g_build_filename (dir, "account.key", NULL);
  g_autofree char *key_text = NULL;
  g_autofree char *hint = g_strdup_printf ("chmod 600 %s", key_path);
  g_auto(GStrv) key_lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json_text = NULL;
  JsonObject *object;

  g_assert_false (gcert_store_load_account (fixture->store, "letsencrypt", &loaded_key,
                                            &url, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (gcert_store_save_account (fixture->store, "letsencrypt", key,
                                           "https://ca.example/acct/7",
                                           "https://ca.example/directory", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpuint (file_mode (key_path), ==, 0600);

  json_text = read_in (dir, "account.json");
  json_parser_load_from_data (parser, json_text, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "url"), ==,
                   "https://ca.example/acct/7");
  g_assert_cmpstr (json_object_get_string_member (object, "directory"), ==,
                   "https://ca.example/directory");

  g_assert_true (gcert_store_load_account (fixture->store, "letsencrypt", &loaded_key,
                                           &url, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://ca.example/acct/7");
  thumb1 = gcert_key_get_thumbprint (key);
  thumb2 = gcert_key_get_thumbprint (loaded_key);
  g_assert_cmpstr (thumb1, ==, thumb2);
  g_clear_object (&loaded_key);
  g_clear_pointer (&url, g_free);

  /* a key others can read is refused, and never quoted */
  g_assert_cmpint (g_chmod (key_path, 0644), ==, 0);
  g_assert_false (gcert_store_load_account (fixture->store, "letsencrypt", &loaded_key,
                                            &url, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, hint));
  key_text = read_text (key_path);
  key_lines = g_strsplit (key_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (key_lines), >=, 3);
  g_assert_null (strstr (error->message, key_lines[1]));
  g_assert_null (loaded_key);
  g_assert_null (url);
  g_clear_error (&error);

  g_assert_false (gcert_store_save_account (fixture->store, "../x", key, "u", NULL, &error));
  g_assert_nonnull (error);
}

static void
test_list (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GCertKey) key = make_key ();
  g_autofree char *pem = key_pem (key);
  g_autofree char *chain = make_chain (key, web_names);
  g_autoptr(GCertRunRecord) record = gcert_run_record_new ();
  g_autoptr(GCertStoreLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  names = gcert_store_list_certificates (fixture->store);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
  g_clear_pointer (&names, g_strfreev);

  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", pem, chain, &error), ==, 1);
  g_assert_true (gcert_store_save_run_record (fixture->store, "api", record, &error));
  g_assert_true (gcert_store_save_run_record (fixture->store, "web", record, &error));
  /* a lock alone does not make a certificate */
  lock = gcert_store_lock (fixture->store, "idle", FALSE, &error);
  g_assert_no_error (error);

  names = gcert_store_list_certificates (fixture->store);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "api");
  g_assert_cmpstr (names[1], ==, "web");
}

static void
test_records (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) none = NULL;
  g_auto(GStrv) got = NULL;
  g_auto(GStrv) after = NULL;
  g_autofree char *dir = g_build_filename (fixture->state, "certificates", "web", NULL);
  g_autofree char *path = g_build_filename (dir, "records.json", NULL);
  const char *records[] = { "main", "_acme-challenge.example.com.", "value-one",
                            "alias", "_acme-challenge.alias.example.net.", "value-two",
                            NULL };
  const char *empty[] = { NULL };

  none = gcert_store_get_records (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  g_assert_true (gcert_store_set_records (fixture->store, "web", records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (dir, "records.json", NULL), ==, 0600);
  got = gcert_store_get_records (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) got, records));

  g_assert_true (gcert_store_set_records (fixture->store, "web", empty, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  after = gcert_store_get_records (fixture->store, "web", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (after), ==, 0);

  /* a broken journal is an error, not silently empty */
  g_assert_true (g_file_set_contents (path, "{\"not\": \"an array\"}", -1, NULL));
  g_assert_null (gcert_store_get_records (fixture->store, "web", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
}

/* A revocation belongs to one version: a new version is not revoked, and
 * one that reuses the number of a removed version does not inherit it. */
static void
test_revoked (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GCertKey) key = make_key ();
  g_autofree char *pem = key_pem (key);
  g_autofree char *chain = make_chain (key, web_names);
  g_autofree char *dir = g_build_filename (fixture->state, "certificates", "web", NULL);
  g_autofree char *path = g_build_filename (dir, "revoked.json", NULL);
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 5, 6, 7, 8, 9);
  g_autoptr(GDateTime) got = NULL;
  g_autoptr(GError) error = NULL;
  guint reason = 0;

  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", pem, chain, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_false (gcert_store_get_revoked (fixture->store, "web", 1, NULL, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (gcert_store_set_revoked (fixture->store, "web", 1, 4, when, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (dir, "revoked.json", NULL), ==, 0644);
  g_assert_true (gcert_store_get_revoked (fixture->store, "web", 1, &got, &reason, &error));
  g_assert_no_error (error);
  g_assert_true (g_date_time_equal (got, when));
  g_assert_cmpuint (reason, ==, 4);
  g_clear_pointer (&got, g_date_time_unref);

  /* the new version is not revoked; the old one stays so */
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", pem, chain, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_false (gcert_store_get_revoked (fixture->store, "web", 2, NULL, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (gcert_store_get_revoked (fixture->store, "web", 1, NULL, NULL, &error));
  g_assert_no_error (error);

  /* a stale entry for the number the next version gets is dropped */
  g_assert_true (gcert_store_set_revoked (fixture->store, "web", 3, 1, when, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gcert_store_add_version (fixture->store, "web", pem, chain, &error), ==, 3);
  g_assert_no_error (error);
  g_assert_false (gcert_store_get_revoked (fixture->store, "web", 3, NULL, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (gcert_store_get_revoked (fixture->store, "web", 1, NULL, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reason, ==, 4);

  /* bad input: a name that is no name, a broken file */
  g_assert_false (gcert_store_set_revoked (fixture->store, "../web", 1, 4, when, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "{\"1\": {\"revoked\": 12}}", -1, NULL));
  g_assert_false (gcert_store_get_revoked (fixture->store, "web", 1, NULL, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "[]", -1, NULL));
  g_assert_false (gcert_store_get_revoked (fixture->store, "web", 1, NULL, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* and a broken file is never overwritten as if it were empty */
  g_assert_false (gcert_store_set_revoked (fixture->store, "web", 2, 4, when, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  {
    g_autofree char *text = read_text (path);

    g_assert_cmpstr (text, ==, "[]");
  }
}

int
main (int    argc,
      char **argv)
{
  umask (0022);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/gcert/fileutil/write-atomic", Fixture, NULL,
              fixture_set_up, test_write_atomic, fixture_tear_down);
  g_test_add ("/gcert/fileutil/write-atomic-symlink", Fixture, NULL,
              fixture_set_up, test_write_atomic_symlink, fixture_tear_down);
  g_test_add ("/gcert/fileutil/dir-private", Fixture, NULL,
              fixture_set_up, test_dir_private, fixture_tear_down);
  g_test_add ("/gcert/fileutil/read-secret", Fixture, NULL,
              fixture_set_up, test_read_secret, fixture_tear_down);
  g_test_add ("/gcert/store/new", Fixture, NULL,
              fixture_set_up, test_new, fixture_tear_down);
  g_test_add ("/gcert/store/add-version", Fixture, NULL,
              fixture_set_up, test_add_version, fixture_tear_down);
  g_test_add ("/gcert/store/add-version-bad-input", Fixture, NULL,
              fixture_set_up, test_add_version_bad_input, fixture_tear_down);
  g_test_add ("/gcert/store/add-version-disk-full", Fixture, NULL,
              fixture_set_up, test_add_version_disk_full, fixture_tear_down);
  g_test_add ("/gcert/store/add-version-swap-fails", Fixture, NULL,
              fixture_set_up, test_add_version_swap_fails, fixture_tear_down);
  g_test_add ("/gcert/store/lock", Fixture, NULL,
              fixture_set_up, test_lock, fixture_tear_down);
  g_test_add ("/gcert/store/lock-other-process", Fixture, NULL,
              fixture_set_up, test_lock_other_process, fixture_tear_down);
  g_test_add ("/gcert/store/run-record", Fixture, NULL,
              fixture_set_up, test_run_record, fixture_tear_down);
  g_test_add ("/gcert/store/run-record-symlink", Fixture, NULL,
              fixture_set_up, test_run_record_symlink, fixture_tear_down);
  g_test_add ("/gcert/store/pending", Fixture, NULL,
              fixture_set_up, test_pending, fixture_tear_down);
  g_test_add ("/gcert/store/records", Fixture, NULL,
              fixture_set_up, test_records, fixture_tear_down);
  g_test_add ("/gcert/store/account", Fixture, NULL,
              fixture_set_up, test_account, fixture_tear_down);
  g_test_add ("/gcert/store/list", Fixture, NULL,
              fixture_set_up, test_list, fixture_tear_down);
  g_test_add ("/gcert/store/revoked", Fixture, NULL,
              fixture_set_up, test_revoked, fixture_tear_down);

  return g_test_run ();
}
