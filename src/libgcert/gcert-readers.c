/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Readers of a private key: local accounts that may read a live key file
 * without it becoming group- or world-readable. gcertd never sends keys
 * over the bus; it gives their paths, and the `readers` key of a
 * [certificate] group decides who may open them.
 *
 * The grants are POSIX ACL entries:
 *  - the key file gets user:NAME:r-- (group:NAME:r-- for "@NAME") and a
 *    mask;
 *  - every directory under the root that a reader's lookup of the key goes
 *    through gets user:NAME:--x: search, never read (list) or write. With
 *    the store's live/NAME -> ../certificates/NAME/versions/N symlink that
 *    is the directories on both sides of the link.
 *
 * gcert manages the named (user:NAME, group:NAME) entries of these paths.
 * The key file ends up with exactly the readers; a directory keeps the
 * search entry of an account only while some file under the root grants
 * that account access through it, so that one certificate's readers do not
 * take another's away from the shared directories (root, live,
 * certificates). Older copies of the key beside the live version's
 * directory lose the entries of accounts no longer listed. Owner, owning
 * group and other entries are never widened; modes stay 0600 and 0700,
 * although stat(2) shows the ACL mask in the group bits (-rw-r-----+ and
 * drwx--x---+).
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcert-error.h"
#include "gcert-readers.h"

#define MAX_SYMLINKS      40
#define MAX_WALK_DEPTH    64
#define MAX_WALK_ENTRIES  100000
#define MAX_NAME_LENGTH   256
#define MAX_NSS_BUFFER    (1024 * 1024)

typedef struct {
  acl_tag_t  tag;     /* ACL_USER or ACL_GROUP */
  id_t       id;
  acl_perm_t perms;
} Grant;

static void
acl_free_func (acl_t acl)
{
  acl_free (acl);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (acl_t, acl_free_func, NULL)

typedef int ReadersFd;

static void
readers_fd_close (ReadersFd fd)
{
  close (fd);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (ReadersFd, readers_fd_close, -1)

static int
code_from_errno (int errsv)
{
  switch (errsv)
    {
    case ENOENT:
    case ENOTDIR:
      return GCERT_ERROR_NOT_FOUND;
    case EACCES:
    case EPERM:
      return GCERT_ERROR_PERMISSION_DENIED;
    case EOPNOTSUPP:
      return GCERT_ERROR_NOT_SUPPORTED;
    default:
      return GCERT_ERROR_FAILED;
    }
}

/* ---- accounts ---- */

static gboolean
account_name_is_valid (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > MAX_NAME_LENGTH || !g_utf8_validate (name, length, NULL))
    return FALSE;
  /* ':' separates the normalised form; the rest never occur in names */
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == ':' || *p == '/' || g_ascii_isspace (*p) || g_ascii_iscntrl (*p))
        return FALSE;
    }
  return TRUE;
}

/* FALSE only when the lookup itself failed; *@out_found says whether the
 * account exists */
static gboolean
lookup_account (gboolean     is_group,
                const char  *name,
                id_t        *out_id,
                gboolean    *out_found,
                GCertError   code,
                GError     **error)
{
  long hint = sysconf (is_group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
  gsize size = hint > 0 ? (gsize) hint : 1024;

  *out_found = FALSE;
  for (;;)
    {
      g_autofree char *buffer = g_malloc (size);
      int ret;

      if (is_group)
        {
          struct group group;
          struct group *result = NULL;

          ret = getgrnam_r (name, &group, buffer, size, &result);
          if (ret == 0 && result != NULL)
            {
              *out_id = result->gr_gid;
              *out_found = TRUE;
              return TRUE;
            }
        }
      else
        {
          struct passwd passwd;
          struct passwd *result = NULL;

          ret = getpwnam_r (name, &passwd, buffer, size, &result);
          if (ret == 0 && result != NULL)
            {
              *out_id = result->pw_uid;
              *out_found = TRUE;
              return TRUE;
            }
        }

      if (ret == ERANGE && size < MAX_NSS_BUFFER)
        {
          size *= 2;
          continue;
        }
      /* NSS modules report a missing account in more than one way */
      if (ret == 0 || ret == ENOENT || ret == ESRCH || ret == EBADF || ret == EPERM)
        return TRUE;
      if (is_group)
        g_set_error (error, GCERT_ERROR, code, _("cannot look up group “%s”: %s"),
                     name, g_strerror (ret));
      else
        g_set_error (error, GCERT_ERROR, code, _("cannot look up user “%s”: %s"),
                     name, g_strerror (ret));
      return FALSE;
    }
}

static void
set_unknown_account_error (GError     **error,
                           GCertError   code,
                           gboolean     is_group,
                           const char  *name)
{
  if (is_group)
    g_set_error (error, GCERT_ERROR, code, _("unknown group “%s”"), name);
  else
    g_set_error (error, GCERT_ERROR, code,
                 _("unknown user “%s” (a group is written “@NAME”)"), name);
}

GStrv
gcert_readers_parse (const char * const  *entries,
                     GError             **error)
{
  g_autoptr(GPtrArray) result = NULL;

  g_return_val_if_fail (entries != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_autofree char *entry = g_strstrip (g_strdup (entries[i]));
      g_autofree char *normalized = NULL;
      gboolean is_group = entry[0] == '@';
      const char *name = is_group ? entry + 1 : entry;
      gboolean found = FALSE;
      id_t id;

      if (is_group && *name == '\0')
        {
          g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                               _("“@” must be followed by a group name"));
          return NULL;
        }
      if (!account_name_is_valid (name))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("“%s” is not an account name (write a user name, "
                         "or @GROUP for a group)"), entry);
          return NULL;
        }
      if (!lookup_account (is_group, name, &id, &found, GCERT_ERROR_CONFIG, error))
        return NULL;
      if (!found)
        {
          set_unknown_account_error (error, GCERT_ERROR_CONFIG, is_group, name);
          return NULL;
        }

      normalized = g_strconcat (is_group ? "group:" : "user:", name, NULL);
      if (g_ptr_array_find_with_equal_func (result, normalized, g_str_equal, NULL))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("“%s” is listed twice"), entry);
          return NULL;
        }
      g_ptr_array_add (result, g_steal_pointer (&normalized));
    }
  g_ptr_array_add (result, NULL);
  return (GStrv) g_ptr_array_steal (result, NULL);
}

static gboolean
grant_find (GArray    *grants,
            acl_tag_t  tag,
            id_t       id)
{
  for (guint i = 0; i < grants->len; i++)
    {
      const Grant *grant = &g_array_index (grants, Grant, i);

      if (grant->tag == tag && grant->id == id)
        return TRUE;
    }
  return FALSE;
}

static gboolean
grants_from_readers (const char * const  *readers,
                     GArray              *grants,
                     GError             **error)
{
  for (guint i = 0; readers[i] != NULL; i++)
    {
      const char *reader = readers[i];
      gboolean is_group;
      const char *name;
      gboolean found = FALSE;
      Grant grant = { 0, 0, ACL_READ };

      if (g_str_has_prefix (reader, "user:"))
        {
          is_group = FALSE;
          name = reader + strlen ("user:");
        }
      else if (g_str_has_prefix (reader, "group:"))
        {
          is_group = TRUE;
          name = reader + strlen ("group:");
        }
      else
        {
          name = NULL;
          is_group = FALSE;
        }
      if (name == NULL || !account_name_is_valid (name))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid reader “%s” (expected “user:NAME” or “group:NAME”)"),
                       reader);
          return FALSE;
        }
      if (!lookup_account (is_group, name, &grant.id, &found, GCERT_ERROR_FAILED, error))
        return FALSE;
      if (!found)
        {
          set_unknown_account_error (error, GCERT_ERROR_NOT_FOUND, is_group, name);
          return FALSE;
        }
      grant.tag = is_group ? ACL_GROUP : ACL_USER;
      if (!grant_find (grants, grant.tag, grant.id))
        g_array_append_val (grants, grant);
    }
  return TRUE;
}

/* ---- paths ---- */

static gboolean
is_under (const char *path,
          const char *root)
{
  gsize length = strlen (root);

  if (strcmp (root, "/") == 0)
    return TRUE;
  return strncmp (path, root, length) == 0 &&
         (path[length] == '\0' || path[length] == '/');
}

static void
push_components (GPtrArray  *todo,
                 const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);

  for (guint i = g_strv_length (parts); i > 0; i--)
    {
      const char *part = parts[i - 1];

      if (*part != '\0' && strcmp (part, ".") != 0)
        g_ptr_array_add (todo, g_strdup (part));
    }
}

/* Resolves @path the way the kernel does, following every symbolic link.
 * @lookups receives each directory a name is looked up in: where a reader
 * needs search permission. @out_links counts the links followed that lie
 * under @root. */
static char *
resolve_path (const char  *path,
              const char  *root,
              GPtrArray   *lookups,
              guint       *out_links,
              GError     **error)
{
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *current = g_strdup ("/");
  guint links = 0;

  if (!g_path_is_absolute (path))
    {
      g_autofree char *cwd = g_get_current_dir ();

      push_components (todo, path);
      push_components (todo, cwd);
    }
  else
    {
      push_components (todo, path);
    }

  while (todo->len > 0)
    {
      g_autofree char *name = g_ptr_array_steal_index (todo, todo->len - 1);
      g_autofree char *next = NULL;
      struct stat st;

      g_ptr_array_add (lookups, g_strdup (current));
      if (strcmp (name, "..") == 0)
        {
          char *parent = g_path_get_dirname (current);

          g_free (current);
          current = parent;
          continue;
        }

      next = g_build_filename (current, name, NULL);
      if (lstat (next, &st) < 0)
        {
          int errsv = errno;

          g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
                       _("cannot access %s: %s"), next, g_strerror (errsv));
          return NULL;
        }
      if (S_ISLNK (st.st_mode))
        {
          g_autoptr(GError) local_error = NULL;
          g_autofree char *target = NULL;

          if (++links > MAX_SYMLINKS)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                           _("cannot resolve %s: %s"), path, g_strerror (ELOOP));
              return NULL;
            }
          if (root != NULL && out_links != NULL && is_under (current, root))
            (*out_links)++;
          target = g_file_read_link (next, &local_error);
          if (target == NULL)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                           "%s", local_error->message);
              return NULL;
            }
          if (g_path_is_absolute (target))
            {
              g_free (current);
              current = g_strdup ("/");
            }
          push_components (todo, target);
          continue;
        }
      if (todo->len > 0 && !S_ISDIR (st.st_mode))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                       _("cannot resolve %s: %s is not a directory"), path, next);
          return NULL;
        }
      g_free (current);
      current = g_steal_pointer (&next);
    }
  return g_steal_pointer (&current);
}

/* ---- ACLs ---- */

typedef enum {
  ENTRIES_EXACT,      /* the named entries become exactly the grants */
  ENTRIES_INTERSECT,  /* named entries of accounts not granted are dropped */
} EntriesMode;

static gboolean
set_acl_error (GError     **error,
               const char  *path)
{
  int errsv = errno;

  g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
               _("cannot build the ACL of %s: %s"), path, g_strerror (errsv));
  return FALSE;
}

static gboolean
set_unsupported_error (GError     **error,
                       const char  *path)
{
  g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
               _("cannot give readers access to %s: the filesystem does not "
                 "support ACLs (the readers key needs them)"), path);
  return FALSE;
}

/* what the old mask took away stays away */
static gboolean
limit_by_mask (acl_entry_t    entry,
               acl_permset_t  mask)
{
  static const acl_perm_t all[] = { ACL_READ, ACL_WRITE, ACL_EXECUTE };
  acl_permset_t perms;

  if (mask == NULL)
    return TRUE;
  if (acl_get_permset (entry, &perms) < 0)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (acl_get_perm (mask, all[i]) != 1 && acl_delete_perm (perms, all[i]) < 0)
        return FALSE;
    }
  return acl_set_permset (entry, perms) == 0;
}

static gboolean
add_grant_entry (acl_t       *acl,
                 const Grant *grant)
{
  acl_entry_t entry;
  acl_permset_t perms;
  id_t id = grant->id;

  return acl_create_entry (acl, &entry) == 0 &&
         acl_set_tag_type (entry, grant->tag) == 0 &&
         acl_set_qualifier (entry, &id) == 0 &&
         acl_get_permset (entry, &perms) == 0 &&
         acl_clear_perms (perms) == 0 &&
         acl_add_perm (perms, grant->perms) == 0 &&
         acl_set_permset (entry, perms) == 0;
}

/* Rewrites the named entries of the access ACL of @path as @mode says; the
 * owner, owning group and other entries are kept, never widened. */
static gboolean
set_named_entries (const char   *path,
                   gboolean      is_dir,
                   GArray       *grants,
                   EntriesMode   mode,
                   GError      **error)
{
  g_auto(ReadersFd) fd = -1;
  g_auto(acl_t) old_acl = NULL;
  g_auto(acl_t) new_acl = NULL;
  g_autoptr(GPtrArray) limited = g_ptr_array_new ();
  acl_permset_t mask = NULL;
  acl_entry_t entry;
  gboolean named = FALSE;
  struct stat st;
  int ret;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
                   (is_dir ? O_DIRECTORY : O_NONBLOCK));
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int errsv = errno;

      g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
                   _("cannot open %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  if (is_dir ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode))
    {
      if (is_dir)
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                     _("%s is not a directory"), path);
      else
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                     _("%s is not a regular file"), path);
      return FALSE;
    }

  old_acl = acl_get_fd (fd);
  if (old_acl == NULL)
    {
      int errsv = errno;

      /* without ACLs there are no named entries to take away */
      if (errsv == EOPNOTSUPP && (mode != ENTRIES_EXACT || grants->len == 0))
        return TRUE;
      if (errsv == EOPNOTSUPP)
        return set_unsupported_error (error, path);
      g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
                   _("cannot read the ACL of %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  new_acl = acl_init (8);
  if (new_acl == NULL)
    return set_acl_error (error, path);

  for (ret = acl_get_entry (old_acl, ACL_FIRST_ENTRY, &entry);
       ret == 1;
       ret = acl_get_entry (old_acl, ACL_NEXT_ENTRY, &entry))
    {
      acl_entry_t copy;
      acl_tag_t tag;

      if (acl_get_tag_type (entry, &tag) < 0)
        return set_acl_error (error, path);
      if (tag == ACL_MASK)
        {
          if (acl_get_permset (entry, &mask) < 0)
            return set_acl_error (error, path);
          continue;
        }
      if (tag == ACL_USER || tag == ACL_GROUP)
        {
          id_t *qualifier;
          gboolean keep;

          if (mode == ENTRIES_EXACT)
            continue;
          qualifier = acl_get_qualifier (entry);
          if (qualifier == NULL)
            return set_acl_error (error, path);
          keep = grant_find (grants, tag, *qualifier);
          acl_free (qualifier);
          if (!keep)
            continue;
          named = TRUE;
        }
      if (acl_create_entry (&new_acl, &copy) < 0 || acl_copy_entry (copy, entry) < 0)
        return set_acl_error (error, path);
      if (tag != ACL_USER_OBJ && tag != ACL_OTHER)
        g_ptr_array_add (limited, copy);
    }
  if (ret < 0)
    return set_acl_error (error, path);

  /* the mask may have held the owning group (or a kept entry) below its
   * entry; recomputing the mask must not hand that back */
  for (guint i = 0; i < limited->len; i++)
    {
      if (!limit_by_mask (g_ptr_array_index (limited, i), mask))
        return set_acl_error (error, path);
    }

  if (mode == ENTRIES_EXACT)
    {
      for (guint i = 0; i < grants->len; i++)
        {
          if (!add_grant_entry (&new_acl, &g_array_index (grants, Grant, i)))
            return set_acl_error (error, path);
          named = TRUE;
        }
    }
  if (named && acl_calc_mask (&new_acl) < 0)
    return set_acl_error (error, path);
  if (acl_valid (new_acl) < 0)
    return set_acl_error (error, path);

  /* unchanged: leave the inode (and its ctime) alone */
  if (acl_cmp (old_acl, new_acl) == 0)
    return TRUE;

  if (acl_set_fd (fd, new_acl) < 0)
    {
      int errsv = errno;

      if (errsv == EOPNOTSUPP)
        return set_unsupported_error (error, path);
      g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
                   _("cannot set the ACL of %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* ---- which accounts need search permission where ---- */

typedef struct {
  Grant       grant;
  GHashTable *dirs;     /* directories it searches, a set */
} Need;

static void
need_free (Need *need)
{
  g_hash_table_unref (need->dirs);
  g_free (need);
}

typedef struct {
  const char *root;
  GHashTable *needs;     /* "u:ID" / "g:ID" → Need */
  GPtrArray  *searched;  /* the directories the current entry was reached through */
  GPtrArray  *walking;   /* the directories being listed, against loops */
  guint       entries;
} NeedWalk;

static gboolean
record_file (NeedWalk    *walk,
             const char  *path,
             GError     **error)
{
  g_auto(acl_t) acl = acl_get_file (path, ACL_TYPE_ACCESS);
  acl_entry_t entry;
  int ret;

  if (acl == NULL)
    {
      int errsv = errno;

      /* removed while we looked, or a filesystem without ACLs */
      if (errsv == ENOENT || errsv == EOPNOTSUPP)
        return TRUE;
      g_set_error (error, GCERT_ERROR, code_from_errno (errsv),
                   _("cannot read the ACL of %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  for (ret = acl_get_entry (acl, ACL_FIRST_ENTRY, &entry);
       ret == 1;
       ret = acl_get_entry (acl, ACL_NEXT_ENTRY, &entry))
    {
      g_autofree char *key = NULL;
      acl_tag_t tag;
      id_t *qualifier;
      id_t id;
      Need *need;

      if (acl_get_tag_type (entry, &tag) < 0)
        return set_acl_error (error, path);
      if (tag != ACL_USER && tag != ACL_GROUP)
        continue;
      qualifier = acl_get_qualifier (entry);
      if (qualifier == NULL)
        return set_acl_error (error, path);
      id = *qualifier;
      acl_free (qualifier);

      key = g_strdup_printf ("%c:%lu", tag == ACL_USER ? 'u' : 'g', (gulong) id);
      need = g_hash_table_lookup (walk->needs, key);
      if (need == NULL)
        {
          need = g_new0 (Need, 1);
          need->grant.tag = tag;
          need->grant.id = id;
          need->grant.perms = ACL_EXECUTE;
          need->dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_insert (walk->needs, g_steal_pointer (&key), need);
        }
      for (guint i = 0; i < walk->searched->len; i++)
        g_hash_table_add (need->dirs, g_strdup (g_ptr_array_index (walk->searched, i)));
    }
  if (ret < 0)
    return set_acl_error (error, path);
  return TRUE;
}

static gboolean walk_dir (NeedWalk    *walk,
                          const char  *dir,
                          GError     **error);

static gboolean
walk_link (NeedWalk    *walk,
           const char  *path,
           GError     **error)
{
  g_autoptr(GPtrArray) lookups = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *target = NULL;
  guint mark = walk->searched->len;
  gboolean ok = TRUE;
  struct stat st;

  /* dangling links and links out of the root lead to nothing granted here */
  target = resolve_path (path, NULL, lookups, NULL, NULL);
  if (target == NULL || !is_under (target, walk->root) || stat (target, &st) < 0)
    return TRUE;

  for (guint i = 0; i < lookups->len; i++)
    {
      const char *dir = g_ptr_array_index (lookups, i);

      if (is_under (dir, walk->root))
        g_ptr_array_add (walk->searched, g_strdup (dir));
    }
  if (S_ISDIR (st.st_mode))
    ok = walk_dir (walk, target, error);
  else if (S_ISREG (st.st_mode))
    ok = record_file (walk, target, error);
  g_ptr_array_set_size (walk->searched, mark);
  return ok;
}

static gboolean
walk_dir (NeedWalk    *walk,
          const char  *dir,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) gdir = NULL;
  guint mark = walk->searched->len;
  const char *name;
  gboolean ok = TRUE;

  /* a link back up would go round for ever */
  if (g_ptr_array_find_with_equal_func (walk->walking, dir, g_str_equal, NULL))
    return TRUE;
  if (walk->walking->len >= MAX_WALK_DEPTH)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot check the grants under %s: %s is nested too deeply"),
                   walk->root, dir);
      return FALSE;
    }
  gdir = g_dir_open (dir, 0, &local_error);
  if (gdir == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot check the grants under %s: %s"),
                   walk->root, local_error->message);
      return FALSE;
    }

  g_ptr_array_add (walk->walking, g_strdup (dir));
  g_ptr_array_add (walk->searched, g_strdup (dir));
  while (ok && (name = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      if (++walk->entries > MAX_WALK_ENTRIES)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot check the grants under %s: more than %u entries"),
                       walk->root, (guint) MAX_WALK_ENTRIES);
          ok = FALSE;
          break;
        }
      if (lstat (path, &st) < 0)
        continue;
      if (S_ISREG (st.st_mode))
        ok = record_file (walk, path, error);
      else if (S_ISDIR (st.st_mode))
        ok = walk_dir (walk, path, error);
      else if (S_ISLNK (st.st_mode))
        ok = walk_link (walk, path, error);
    }
  g_ptr_array_set_size (walk->searched, mark);
  g_ptr_array_set_size (walk->walking, walk->walking->len - 1);
  return ok;
}

/* Each directory of @dirs gets search entries for exactly the accounts that
 * some file under @root grants access through it. */
static gboolean
set_directory_entries (const char  *root,
                       GPtrArray   *dirs,
                       GError     **error)
{
  g_autoptr(GHashTable) needs = NULL;
  g_autoptr(GPtrArray) searched = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) walking = g_ptr_array_new_with_free_func (g_free);
  NeedWalk walk = { root, NULL, searched, walking, 0 };

  needs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) need_free);
  walk.needs = needs;
  if (!walk_dir (&walk, root, error))
    return FALSE;

  for (guint i = 0; i < dirs->len; i++)
    {
      const char *dir = g_ptr_array_index (dirs, i);
      g_autoptr(GArray) grants = g_array_new (FALSE, FALSE, sizeof (Grant));
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, needs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Need *need = value;

          if (g_hash_table_contains (need->dirs, dir))
            g_array_append_val (grants, need->grant);
        }
      if (!set_named_entries (dir, TRUE, grants, ENTRIES_EXACT, error))
        return FALSE;
    }
  return TRUE;
}

/* The directories under @root that the lookup of the key searches, once
 * each; a lookup that leaves @root again is refused. */
static gboolean
collect_key_dirs (const char  *root,
                  const char  *key_file,
                  GPtrArray   *lookups,
                  GPtrArray   *dirs,
                  GError     **error)
{
  gboolean inside = FALSE;

  for (guint i = 0; i < lookups->len; i++)
    {
      const char *dir = g_ptr_array_index (lookups, i);

      if (!is_under (dir, root))
        {
          if (inside)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                           _("refusing to grant access to %s: its path leaves %s "
                             "through a symbolic link"), key_file, root);
              return FALSE;
            }
          continue;
        }
      inside = TRUE;
      if (!g_ptr_array_find_with_equal_func (dirs, dir, g_str_equal, NULL))
        g_ptr_array_add (dirs, g_strdup (dir));
    }
  return TRUE;
}

/* The live key's directory is a version reached through a link: the same
 * file in the other versions beside it keeps no account that is no longer
 * listed, or removing a reader would leave it the older keys. */
static gboolean
strip_older_copies (const char  *root,
                    const char  *key_real,
                    GArray      *grants,
                    GPtrArray   *dirs,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *key_dir = g_path_get_dirname (key_real);
  g_autofree char *own = g_path_get_basename (key_dir);
  g_autofree char *base = g_path_get_basename (key_real);
  g_autofree char *parent = g_path_get_dirname (key_dir);
  g_autoptr(GDir) gdir = NULL;
  const char *name;

  if (strcmp (key_dir, root) == 0 || !is_under (parent, root))
    return TRUE;
  gdir = g_dir_open (parent, 0, &local_error);
  if (gdir == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot read directory %s: %s"), parent, local_error->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *dir = NULL;
      g_autofree char *copy = NULL;
      struct stat st;

      if (strcmp (name, own) == 0)
        continue;
      dir = g_build_filename (parent, name, NULL);
      copy = g_build_filename (dir, base, NULL);
      if (lstat (dir, &st) < 0 || !S_ISDIR (st.st_mode) ||
          lstat (copy, &st) < 0 || !S_ISREG (st.st_mode))
        continue;
      if (!set_named_entries (copy, FALSE, grants, ENTRIES_INTERSECT, error))
        return FALSE;
      g_ptr_array_add (dirs, g_steal_pointer (&dir));
    }
  return TRUE;
}

gboolean
gcert_readers_apply (const char          *root,
                     const char          *key_file,
                     const char * const  *readers,
                     GError             **error)
{
  g_autoptr(GArray) grants = g_array_new (FALSE, FALSE, sizeof (Grant));
  g_autoptr(GPtrArray) lookups = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *root_real = NULL;
  g_autofree char *key_real = NULL;
  guint links = 0;
  struct stat st;

  g_return_val_if_fail (root != NULL, FALSE);
  g_return_val_if_fail (key_file != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* every account is known before anything changes */
  if (readers != NULL && !grants_from_readers (readers, grants, error))
    return FALSE;

  root_real = resolve_path (root, NULL, lookups, NULL, error);
  if (root_real == NULL)
    return FALSE;
  if (stat (root_real, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   _("%s is not a directory"), root);
      return FALSE;
    }

  /* nothing was ever granted under @root (every grant puts an entry on
   * it) and nothing is to be: the common case costs one look */
  if ((readers == NULL || readers[0] == NULL) && acl_extended_file (root_real) == 0)
    return TRUE;

  g_ptr_array_set_size (lookups, 0);
  key_real = resolve_path (key_file, root_real, lookups, &links, error);
  if (key_real == NULL)
    return FALSE;
  if (!is_under (key_real, root_real) || strcmp (key_real, root_real) == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("refusing to grant access to %s: it is not under %s"),
                   key_file, root);
      return FALSE;
    }
  if (!collect_key_dirs (root_real, key_file, lookups, dirs, error))
    return FALSE;

  if (!set_named_entries (key_real, FALSE, grants, ENTRIES_EXACT, error))
    return FALSE;
  if (links > 0 && !strip_older_copies (root_real, key_real, grants, dirs, error))
    return FALSE;
  return set_directory_entries (root_real, dirs, error);
}
