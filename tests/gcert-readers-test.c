/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gcert-readers.h"
#include "gcert-test-util.h"

/* user nobody and group nogroup; 65533 is no account at all, so a process
 * with it has nothing but the "other" permissions */
#define NOBODY      65534u
#define NO_ACCOUNT  65533u

/* a directory that a reader searches, in the kernel's order */
#define USER_DIR_ACL  "user::rwx,user:65534:--x,group::---,mask::--x,other::---"
#define GROUP_DIR_ACL "user::rwx,group::---,group:65534:--x,mask::--x,other::---"

typedef struct {
  char *root;       /* 0700, the state directory */
  char *web_key;    /* ROOT/live/web/privkey.pem, through the link */
  char *mail_key;
} Tree;

static const char * const tree_dirs[] = {
  "",
  "accounts",
  "accounts/ca",
  "certificates",
  "certificates/web",
  "certificates/web/versions",
  "certificates/web/versions/1",
  "certificates/web/versions/2",
  "certificates/mail",
  "certificates/mail/versions",
  "certificates/mail/versions/1",
  "live",
};

static char *
tree_path (Tree       *tree,
           const char *relative)
{
  return g_build_filename (tree->root, relative, NULL);
}

static gboolean
is_world_searchable (const char *dir)
{
  g_autofree char *current = g_canonicalize_filename (dir, NULL);

  for (;;)
    {
      GStatBuf st;
      char *parent;

      if (g_stat (current, &st) != 0 || (st.st_mode & S_IXOTH) == 0)
        return FALSE;
      if (strcmp (current, "/") == 0)
        return TRUE;
      parent = g_path_get_dirname (current);
      g_free (current);
      current = parent;
    }
}

/* The store's layout in a 0700 directory whose parents other accounts
 * may search, as /var/lib is: the tree's own modes are all that keeps
 * them out. */
static void
tree_setup (Tree          *tree,
            gconstpointer  data)
{
  const char *base = g_get_tmp_dir ();
  g_autofree char *template = NULL;
  g_autofree char *web_live = NULL;
  g_autofree char *mail_live = NULL;

  (void) data;
  if (!is_world_searchable (base))
    base = "/tmp";
  g_assert_true (is_world_searchable (base));
  template = g_build_filename (base, "gcert-readers-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp_full (template, 0700));
  tree->root = g_steal_pointer (&template);

  for (gsize i = 0; i < G_N_ELEMENTS (tree_dirs); i++)
    {
      g_autofree char *dir = tree_path (tree, tree_dirs[i]);

      g_assert_true (g_mkdir (dir, 0700) == 0 || errno == EEXIST);
      g_assert_no_errno (g_chmod (dir, 0700));
    }
  g_free (gcert_test_write_file_in (tree->root, "accounts/ca/account.key", "ACCOUNT-KEY\n", 0600));
  g_free (gcert_test_write_file_in (tree->root, "certificates/web/versions/1/privkey.pem",
                                    "WEB-KEY-1\n", 0600));
  g_free (gcert_test_write_file_in (tree->root, "certificates/web/versions/1/cert.pem",
                                    "WEB-CERT-1\n", 0644));
  g_free (gcert_test_write_file_in (tree->root, "certificates/web/versions/2/privkey.pem",
                                    "WEB-KEY-2\n", 0600));
  g_free (gcert_test_write_file_in (tree->root, "certificates/web/versions/2/cert.pem",
                                    "WEB-CERT-2\n", 0644));
  g_free (gcert_test_write_file_in (tree->root, "certificates/web/run.json", "{}\n", 0600));
  g_free (gcert_test_write_file_in (tree->root, "certificates/mail/versions/1/privkey.pem",
                                    "MAIL-KEY-1\n", 0600));

  web_live = tree_path (tree, "live/web");
  mail_live = tree_path (tree, "live/mail");
  g_assert_no_errno (symlink ("../certificates/web/versions/2", web_live));
  g_assert_no_errno (symlink ("../certificates/mail/versions/1", mail_live));
  tree->web_key = g_build_filename (web_live, "privkey.pem", NULL);
  tree->mail_key = g_build_filename (mail_live, "privkey.pem", NULL);
}

static void
tree_teardown (Tree          *tree,
               gconstpointer  data)
{
  (void) data;
  gcert_test_rm_rf (tree->root);
  g_free (tree->root);
  g_free (tree->web_key);
  g_free (tree->mail_key);
}

/* ---- what the kernel lets other accounts do ---- */

/* @program @path as @uid/@gid without supplementary groups; its wait
 * status */
static int
run_as (guint        uid,
        guint        gid,
        const char  *program,
        const char  *path,
        char       **out_stdout,
        char       **out_stderr)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reuid = g_strdup_printf ("--reuid=%u", uid);
  g_autofree char *regid = g_strdup_printf ("--regid=%u", gid);
  const char *argv[] = { "setpriv", reuid, regid, "--clear-groups", program, path, NULL };
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                out_stdout, out_stderr, &status, &error);
  g_assert_no_error (error);
  return status;
}

static void
assert_can_read (guint       uid,
                 guint       gid,
                 const char *path,
                 const char *expected)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = run_as (uid, gid, "cat", path, &out, &err);

  if (status != 0)
    g_error ("%u:%u cannot read %s: %s", uid, gid, path, err);
  g_assert_cmpstr (out, ==, expected);
}

static void
assert_denied (guint       uid,
               guint       gid,
               const char *program,
               const char *path)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = run_as (uid, gid, program, path, &out, &err);

  g_assert_cmpint (status, !=, 0);
  g_assert_cmpstr (out, ==, "");
  gcert_test_assert_contains (err, "Permission denied");
}

/* ---- what is on the disk ---- */

/* The access ACL of @path as the kernel keeps it ("" when there is none
 * beyond the mode), read from the xattr so that the test does not share
 * the library's ACL code: "user::rw-,user:65534:r--,group::---,…". */
static char *
acl_text (const char *path)
{
  guint8 buffer[1024];
  g_autoptr(GString) text = g_string_new (NULL);
  ssize_t length = lgetxattr (path, "system.posix_acl_access", buffer, sizeof buffer);
  guint32 version;

  if (length < 0)
    {
      g_assert_cmpint (errno, ==, ENODATA);
      return g_strdup ("");
    }
  g_assert_cmpint (length, >=, 4);
  g_assert_cmpint ((length - 4) % 8, ==, 0);
  memcpy (&version, buffer, 4);
  g_assert_cmpuint (GUINT32_FROM_LE (version), ==, 2);

  for (ssize_t offset = 4; offset < length; offset += 8)
    {
      guint16 tag;
      guint16 perms;
      guint32 id;

      memcpy (&tag, buffer + offset, 2);
      memcpy (&perms, buffer + offset + 2, 2);
      memcpy (&id, buffer + offset + 4, 4);
      tag = GUINT16_FROM_LE (tag);
      perms = GUINT16_FROM_LE (perms);
      id = GUINT32_FROM_LE (id);

      if (text->len > 0)
        g_string_append_c (text, ',');
      switch (tag)
        {
        case 0x01: g_string_append (text, "user::"); break;
        case 0x02: g_string_append_printf (text, "user:%u:", id); break;
        case 0x04: g_string_append (text, "group::"); break;
        case 0x08: g_string_append_printf (text, "group:%u:", id); break;
        case 0x10: g_string_append (text, "mask::"); break;
        case 0x20: g_string_append (text, "other::"); break;
        default: g_assert_not_reached ();
        }
      g_string_append_c (text, (perms & 4) ? 'r' : '-');
      g_string_append_c (text, (perms & 2) ? 'w' : '-');
      g_string_append_c (text, (perms & 1) ? 'x' : '-');
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
assert_acl (Tree       *tree,
            const char *relative,
            const char *expected)
{
  g_autofree char *path = tree_path (tree, relative);
  g_autofree char *text = acl_text (path);

  if (g_strcmp0 (text, expected) != 0)
    g_error ("ACL of %s: “%s”, expected “%s”", relative, text, expected);
}

/* stat(2) of a file: what ls -l shows */
static void
assert_stat (Tree       *tree,
             const char *relative,
             guint       mode)
{
  g_autofree char *path = tree_path (tree, relative);
  GStatBuf st;

  g_assert_no_errno (g_lstat (path, &st));
  if ((st.st_mode & 07777) != mode)
    g_error ("mode of %s: %04o, expected %04o", relative, st.st_mode & 07777, mode);
  g_assert_cmpuint (st.st_uid, ==, geteuid ());
  g_assert_cmpuint (st.st_gid, ==, getegid ());
}

static void
apply_ok (Tree               *tree,
          const char         *key_file,
          const char * const *readers)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_readers_apply (tree->root, key_file, readers, &error));
  g_assert_no_error (error);
}

static void
assert_untouched (Tree *tree)
{
  for (gsize i = 0; i < G_N_ELEMENTS (tree_dirs); i++)
    {
      assert_stat (tree, tree_dirs[i], 0700);
      assert_acl (tree, tree_dirs[i], "");
    }
  assert_stat (tree, "certificates/web/versions/2/privkey.pem", 0600);
  assert_acl (tree, "certificates/web/versions/2/privkey.pem", "");
  assert_stat (tree, "certificates/web/versions/2/cert.pem", 0644);
}

/* ---- tests ---- */

static void
test_parse (void)
{
  static const struct {
    const char *entry;
    const char *detail;
  } bad[] = {
    { "gcert-no-such-user", "unknown user “gcert-no-such-user”" },
    { "@gcert-no-such-group", "unknown group “gcert-no-such-group”" },
    { "@", "“@” must be followed by a group name" },
    { "user:nobody", "“user:nobody” is not an account name" },
    { "no body", "“no body” is not an account name" },
    { "../nobody", "“../nobody” is not an account name" },
  };
  g_auto(GStrv) readers = NULL;
  g_autoptr(GError) error = NULL;

  readers = gcert_readers_parse ((const char *[]) { "nobody", " @nogroup ", "root", NULL },
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (readers, ((const char *[]) { "user:nobody", "group:nogroup",
                                                 "user:root", NULL }));
  g_clear_pointer (&readers, g_strfreev);

  readers = gcert_readers_parse ((const char *[]) { NULL }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (readers), ==, 0);
  g_clear_pointer (&readers, g_strfreev);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      readers = gcert_readers_parse ((const char *[]) { "nobody", bad[i].entry, NULL }, &error);
      g_assert_null (readers);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
      g_test_message ("%s", error->message);
      gcert_test_assert_contains (error->message, bad[i].detail);
      g_clear_error (&error);
    }

  readers = gcert_readers_parse ((const char *[]) { "nobody", "@nogroup", "nobody", NULL },
                                 &error);
  g_assert_null (readers);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  gcert_test_assert_contains (error->message, "“nobody” is listed twice");
}

/* a user reads the key through the live link, lists no directory, and
 * nobody else gains anything */
static void
test_user (Tree          *tree,
           gconstpointer  data)
{
  g_autofree char *real_key = tree_path (tree, "certificates/web/versions/2/privkey.pem");
  g_autofree char *old_key = tree_path (tree, "certificates/web/versions/1/privkey.pem");
  g_autofree char *account_key = tree_path (tree, "accounts/ca/account.key");
  g_autofree char *cert = tree_path (tree, "certificates/web/versions/2/cert.pem");
  static const char * const searched[] = {
    "", "live", "certificates", "certificates/web", "certificates/web/versions",
    "certificates/web/versions/2",
  };
  static const char * const untouched[] = {
    "accounts", "accounts/ca", "certificates/web/versions/1", "certificates/mail",
    "certificates/mail/versions", "certificates/mail/versions/1",
  };
  GStatBuf before;
  GStatBuf after;

  (void) data;
  assert_denied (NOBODY, NOBODY, "cat", tree->web_key);

  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });

  assert_can_read (NOBODY, NOBODY, tree->web_key, "WEB-KEY-2\n");
  assert_can_read (NOBODY, NOBODY, real_key, "WEB-KEY-2\n");
  /* search only: no listing, and no other file of the store */
  for (gsize i = 0; i < G_N_ELEMENTS (searched); i++)
    {
      g_autofree char *dir = tree_path (tree, searched[i]);

      assert_denied (NOBODY, NOBODY, "ls", dir);
    }
  assert_denied (NOBODY, NOBODY, "cat", old_key);
  assert_denied (NOBODY, NOBODY, "cat", tree->mail_key);
  assert_denied (NOBODY, NOBODY, "cat", account_key);
  /* an account that is not listed */
  assert_denied (NO_ACCOUNT, NO_ACCOUNT, "cat", tree->web_key);
  assert_denied (NO_ACCOUNT, NO_ACCOUNT, "cat", real_key);
  assert_denied (NO_ACCOUNT, NO_ACCOUNT, "cat", cert);
  assert_denied (NO_ACCOUNT, NOBODY, "cat", tree->web_key);

  /* owner, owning group and other entries as they were; stat(2) shows
   * the mask in the group bits */
  assert_acl (tree, "certificates/web/versions/2/privkey.pem",
              "user::rw-,user:65534:r--,group::---,mask::r--,other::---");
  assert_stat (tree, "certificates/web/versions/2/privkey.pem", 0640);
  for (gsize i = 0; i < G_N_ELEMENTS (searched); i++)
    {
      assert_acl (tree, searched[i], USER_DIR_ACL);
      assert_stat (tree, searched[i], 0710);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (untouched); i++)
    {
      assert_acl (tree, untouched[i], "");
      assert_stat (tree, untouched[i], 0700);
    }
  assert_acl (tree, "certificates/web/versions/1/privkey.pem", "");
  assert_stat (tree, "certificates/web/versions/1/privkey.pem", 0600);
  assert_stat (tree, "certificates/web/versions/2/cert.pem", 0644);
  assert_stat (tree, "accounts/ca/account.key", 0600);

  /* applying the same readers again changes nothing, not even a ctime */
  g_assert_no_errno (g_stat (real_key, &before));
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  g_assert_no_errno (g_stat (real_key, &after));
  g_assert_cmpint (before.st_ctim.tv_sec, ==, after.st_ctim.tv_sec);
  g_assert_cmpint (before.st_ctim.tv_nsec, ==, after.st_ctim.tv_nsec);
}

static void
test_group (Tree          *tree,
            gconstpointer  data)
{
  (void) data;
  apply_ok (tree, tree->web_key, (const char *[]) { "group:nogroup", NULL });

  assert_can_read (NO_ACCOUNT, NOBODY, tree->web_key, "WEB-KEY-2\n");
  assert_denied (NO_ACCOUNT, NO_ACCOUNT, "cat", tree->web_key);
  assert_denied (NOBODY, NO_ACCOUNT, "cat", tree->web_key);
  assert_denied (NO_ACCOUNT, NOBODY, "ls", tree->root);

  assert_acl (tree, "certificates/web/versions/2/privkey.pem",
              "user::rw-,group::---,group:65534:r--,mask::r--,other::---");
  assert_acl (tree, "live", GROUP_DIR_ACL);
  assert_stat (tree, "certificates/web/versions/2/privkey.pem", 0640);
}

/* removing a reader takes its access away; no reader leaves the modes as
 * they were, without any ACL */
static void
test_revoke (Tree          *tree,
             gconstpointer  data)
{
  g_autofree char *real_key = tree_path (tree, "certificates/web/versions/2/privkey.pem");

  (void) data;
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", "group:nogroup", NULL });
  assert_can_read (NOBODY, NO_ACCOUNT, tree->web_key, "WEB-KEY-2\n");
  assert_can_read (NO_ACCOUNT, NOBODY, tree->web_key, "WEB-KEY-2\n");

  apply_ok (tree, tree->web_key, (const char *[]) { "group:nogroup", NULL });
  assert_denied (NOBODY, NO_ACCOUNT, "cat", tree->web_key);
  assert_denied (NOBODY, NO_ACCOUNT, "cat", real_key);
  assert_can_read (NO_ACCOUNT, NOBODY, tree->web_key, "WEB-KEY-2\n");
  assert_acl (tree, "", GROUP_DIR_ACL);

  apply_ok (tree, tree->web_key, NULL);
  assert_denied (NO_ACCOUNT, NOBODY, "cat", tree->web_key);
  assert_denied (NOBODY, NOBODY, "cat", real_key);
  assert_untouched (tree);

  /* an empty list is the same as none */
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  apply_ok (tree, tree->web_key, (const char *[]) { NULL });
  assert_denied (NOBODY, NOBODY, "cat", tree->web_key);
  assert_untouched (tree);
}

/* What a chmod narrowed after a grant (the mask) is never widened again:
 * the owning group's entry r-- under a mask of --- stays without access. */
static void
test_never_widened (Tree          *tree,
                    gconstpointer  data)
{
  g_autofree char *real_key = tree_path (tree, "certificates/web/versions/2/privkey.pem");

  (void) data;
  g_assert_no_errno (g_chmod (real_key, 0640));
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  assert_acl (tree, "certificates/web/versions/2/privkey.pem",
              "user::rw-,user:65534:r--,group::r--,mask::r--,other::---");
  g_assert_no_errno (g_chmod (real_key, 0600));
  assert_acl (tree, "certificates/web/versions/2/privkey.pem",
              "user::rw-,user:65534:r--,group::r--,mask::---,other::---");

  apply_ok (tree, tree->web_key, (const char *[]) { "group:nogroup", NULL });
  assert_acl (tree, "certificates/web/versions/2/privkey.pem",
              "user::rw-,group::---,group:65534:r--,mask::r--,other::---");
  assert_denied (NOBODY, NO_ACCOUNT, "cat", tree->web_key);

  g_assert_no_errno (g_chmod (real_key, 0600));
  apply_ok (tree, tree->web_key, NULL);
  assert_acl (tree, "certificates/web/versions/2/privkey.pem", "");
  assert_stat (tree, "certificates/web/versions/2/privkey.pem", 0600);
}

/* the root, live and certificates directories serve every certificate:
 * one certificate's readers leave another's alone */
static void
test_shared (Tree          *tree,
             gconstpointer  data)
{
  (void) data;
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  apply_ok (tree, tree->mail_key, (const char *[]) { "group:nogroup", NULL });

  assert_can_read (NOBODY, NO_ACCOUNT, tree->web_key, "WEB-KEY-2\n");
  assert_denied (NOBODY, NO_ACCOUNT, "cat", tree->mail_key);
  assert_can_read (NO_ACCOUNT, NOBODY, tree->mail_key, "MAIL-KEY-1\n");
  assert_denied (NO_ACCOUNT, NOBODY, "cat", tree->web_key);
  assert_acl (tree, "live",
              "user::rwx,user:65534:--x,group::---,group:65534:--x,mask::--x,other::---");
  assert_acl (tree, "certificates/web", USER_DIR_ACL);
  assert_acl (tree, "certificates/mail", GROUP_DIR_ACL);

  apply_ok (tree, tree->web_key, NULL);
  assert_denied (NOBODY, NO_ACCOUNT, "cat", tree->web_key);
  assert_can_read (NO_ACCOUNT, NOBODY, tree->mail_key, "MAIL-KEY-1\n");
  assert_acl (tree, "", GROUP_DIR_ACL);
  assert_acl (tree, "live", GROUP_DIR_ACL);
  assert_acl (tree, "certificates", GROUP_DIR_ACL);
  assert_acl (tree, "certificates/web", "");
  assert_acl (tree, "certificates/web/versions", "");
  assert_acl (tree, "certificates/web/versions/2", "");
  assert_stat (tree, "certificates/web", 0700);

  apply_ok (tree, tree->mail_key, NULL);
  assert_untouched (tree);
}

/* after a renewal the older key is no way around a removed reader */
static void
test_older_versions (Tree          *tree,
                     gconstpointer  data)
{
  g_autofree char *live = tree_path (tree, "live/web");
  g_autofree char *old_key = tree_path (tree, "certificates/web/versions/1/privkey.pem");
  g_autofree char *new_key = tree_path (tree, "certificates/web/versions/2/privkey.pem");

  (void) data;
  g_assert_no_errno (g_unlink (live));
  g_assert_no_errno (symlink ("../certificates/web/versions/1", live));
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  assert_can_read (NOBODY, NOBODY, tree->web_key, "WEB-KEY-1\n");

  /* renewed: the link moves on, the readers follow */
  g_assert_no_errno (g_unlink (live));
  g_assert_no_errno (symlink ("../certificates/web/versions/2", live));
  apply_ok (tree, tree->web_key, (const char *[]) { "user:nobody", NULL });
  assert_can_read (NOBODY, NOBODY, tree->web_key, "WEB-KEY-2\n");

  apply_ok (tree, tree->web_key, (const char *[]) { "group:nogroup", NULL });
  assert_denied (NOBODY, NO_ACCOUNT, "cat", old_key);
  assert_denied (NOBODY, NO_ACCOUNT, "cat", new_key);
  assert_acl (tree, "certificates/web/versions/1/privkey.pem", "");
  assert_acl (tree, "certificates/web/versions/1", "");
  assert_stat (tree, "certificates/web/versions/1/privkey.pem", 0600);
  /* an older copy never gains a reader */
  assert_denied (NO_ACCOUNT, NOBODY, "cat", old_key);
  assert_can_read (NO_ACCOUNT, NOBODY, tree->web_key, "WEB-KEY-2\n");

  apply_ok (tree, tree->web_key, NULL);
  assert_untouched (tree);
}

static void
assert_apply_fails (Tree               *tree,
                    const char         *key_file,
                    const char * const *readers,
                    int                 code,
                    const char         *detail)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (gcert_readers_apply (tree->root, key_file, readers, &error));
  g_assert_error (error, GCERT_ERROR, code);
  g_test_message ("%s", error->message);
  gcert_test_assert_contains (error->message, detail);
}

/* bad input: a clear error, and nothing changed */
static void
test_bad_input (Tree          *tree,
                gconstpointer  data)
{
  g_autofree char *outside = gcert_test_mkdtemp ("gcert-readers-outside");
  g_autofree char *outside_key = gcert_test_write_file_in (outside, "privkey.pem", "X\n", 0600);
  g_autofree char *outside_link = g_build_filename (outside, "back", NULL);
  g_autofree char *out_link = tree_path (tree, "live/out");
  g_autofree char *missing = tree_path (tree, "live/gone/privkey.pem");
  g_autofree char *through = NULL;
  g_autofree char *version_dir = tree_path (tree, "certificates/web/versions/2");
  g_autofree char *outside_acl = NULL;
  g_autoptr(GError) error = NULL;

  (void) data;
  assert_apply_fails (tree, tree->web_key,
                      (const char *[]) { "user:nobody", "user:gcert-no-such-user", NULL },
                      GCERT_ERROR_NOT_FOUND, "unknown user “gcert-no-such-user”");
  assert_apply_fails (tree, tree->web_key, (const char *[]) { "group:gcert-no-such-group", NULL },
                      GCERT_ERROR_NOT_FOUND, "unknown group “gcert-no-such-group”");
  assert_apply_fails (tree, tree->web_key, (const char *[]) { "nobody", NULL },
                      GCERT_ERROR_INVALID_DATA, "invalid reader “nobody”");
  assert_apply_fails (tree, missing, (const char *[]) { "user:nobody", NULL },
                      GCERT_ERROR_NOT_FOUND, "live/gone");
  assert_apply_fails (tree, outside_key, (const char *[]) { "user:nobody", NULL },
                      GCERT_ERROR_INVALID_DATA, "is not under");

  /* out of the root and back in: the directories outside are not ours */
  g_assert_no_errno (symlink (outside, out_link));
  g_assert_no_errno (symlink (version_dir, outside_link));
  through = tree_path (tree, "live/out/back/privkey.pem");
  assert_apply_fails (tree, through, (const char *[]) { "user:nobody", NULL },
                      GCERT_ERROR_PERMISSION_DENIED, "leaves");
  g_assert_no_errno (g_unlink (out_link));

  g_assert_false (gcert_readers_apply (tree->web_key, tree->web_key, NULL, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
  gcert_test_assert_contains (error->message, "is not a directory");

  assert_untouched (tree);
  outside_acl = acl_text (outside_key);
  g_assert_cmpstr (outside_acl, ==, "");
  gcert_test_rm_rf (outside);
}

/* A filesystem without ACLs (ramfs, mounted in a mount namespace of a
 * child process so that nothing else sees it): the error names the path
 * and says why. */
static void
test_unsupported (void)
{
  g_autofree char *mount_point = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *root = NULL;
      g_autofree char *key = NULL;
      const char *dir = g_getenv ("GCERT_READERS_MOUNT");

      g_assert_nonnull (dir);
      g_assert_no_errno (unshare (CLONE_NEWNS));
      g_assert_no_errno (mount (NULL, "/", "none", MS_REC | MS_PRIVATE, NULL));
      g_assert_no_errno (mount ("gcert-test", dir, "ramfs", 0, "mode=0700"));

      root = g_build_filename (dir, "state", NULL);
      g_assert_no_errno (g_mkdir (root, 0700));
      key = gcert_test_write_file_in (root, "privkey.pem", "KEY\n", 0600);

      g_assert_false (gcert_readers_apply (root, key, (const char *[]) { "user:nobody", NULL },
                                           &error));
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED);
      g_printerr ("%s\n", error->message);
      gcert_test_assert_contains (error->message, key);
      gcert_test_assert_contains (error->message, "the filesystem does not support ACLs");
      g_clear_error (&error);

      /* no readers asks nothing of the filesystem */
      g_assert_true (gcert_readers_apply (root, key, NULL, &error));
      g_assert_no_error (error);
      return;
    }

  mount_point = gcert_test_mkdtemp ("gcert-readers-ramfs");
  g_setenv ("GCERT_READERS_MOUNT", mount_point, TRUE);
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("GCERT_READERS_MOUNT");
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*does not support ACLs*");
  /* the mount went with the child's namespace */
  gcert_test_assert_dir_lists (mount_point, "");
  gcert_test_rm_rf (mount_point);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* switching to other accounts and mounting need root; say so instead of
   * passing without having looked */
  if (geteuid () != 0)
    g_error ("gcert-readers-test checks access as other accounts: run it as root");

  g_test_add_func ("/gcert/readers/parse", test_parse);
  g_test_add ("/gcert/readers/user", Tree, NULL, tree_setup, test_user, tree_teardown);
  g_test_add ("/gcert/readers/group", Tree, NULL, tree_setup, test_group, tree_teardown);
  g_test_add ("/gcert/readers/revoke", Tree, NULL, tree_setup, test_revoke, tree_teardown);
  g_test_add ("/gcert/readers/never-widened", Tree, NULL, tree_setup, test_never_widened,
              tree_teardown);
  g_test_add ("/gcert/readers/shared", Tree, NULL, tree_setup, test_shared, tree_teardown);
  g_test_add ("/gcert/readers/older-versions", Tree, NULL, tree_setup, test_older_versions,
              tree_teardown);
  g_test_add ("/gcert/readers/bad-input", Tree, NULL, tree_setup, test_bad_input,
              tree_teardown);
  g_test_add_func ("/gcert/readers/unsupported", test_unsupported);

  return g_test_run ();
}
