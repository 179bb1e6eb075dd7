/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcert-config.h"
#include "gcert-error.h"
#include "gcert-fileutil.h"
#include "gcert-store.h"

/* state files are small; anything bigger is not ours */
#define STORE_FILE_MAX (1024 * 1024)

struct _GCertStore
{
  GObject  parent_instance;

  char    *path;
};

struct _GCertStoreLock
{
  int   fd;
  char *path;
};

G_DEFINE_TYPE (GCertStore, gcert_store, G_TYPE_OBJECT)

static void
gcert_store_finalize (GObject *object)
{
  GCertStore *self = GCERT_STORE (object);

  g_free (self->path);

  G_OBJECT_CLASS (gcert_store_parent_class)->finalize (object);
}

static void
gcert_store_class_init (GCertStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_store_finalize;
}

static void
gcert_store_init (GCertStore *self)
{
}

/* ---- run records ---- */

GCertRunRecord *
gcert_run_record_new (void)
{
  return g_new0 (GCertRunRecord, 1);
}

void
gcert_run_record_free (GCertRunRecord *record)
{
  if (record == NULL)
    return;
  g_clear_pointer (&record->last_attempt, g_date_time_unref);
  g_clear_pointer (&record->not_after, g_date_time_unref);
  g_clear_pointer (&record->next_due, g_date_time_unref);
  g_free (record->error);
  g_free (record->ca);
  g_free (record);
}

/* ---- helpers ---- */

static gboolean
check_name (const char  *name,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!gcert_name_validate (name, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid certificate name: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static char *
cert_path (GCertStore *self,
           const char *name,
           const char *file)
{
  return g_build_filename (self->path, "certificates", name, file, NULL);
}

static char *
ensure_cert_dir (GCertStore  *self,
                 const char  *name,
                 GError     **error)
{
  g_autofree char *dir = NULL;

  if (!check_name (name, error))
    return NULL;
  dir = g_build_filename (self->path, "certificates", name, NULL);
  if (!gcert_dir_ensure_private (dir, error))
    return NULL;
  return g_steal_pointer (&dir);
}

static gboolean
sync_dir (const char  *path,
          GError     **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd < 0 || fsync (fd) < 0)
    {
      errsv = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("syncing directory %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Removes the file @path; it not being there is no error. */
static gboolean
remove_if_there (const char  *path,
                 GError     **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      int errsv = errno;

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot remove %s: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* the contents of @path, NOT_FOUND when it does not exist */
static char *
read_small_file (const char  *path,
                 gsize       *out_length,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  struct stat st;
  gsize length;

  if (lstat (path, &st) < 0)
    {
      int errsv = errno;

      g_set_error (error, GCERT_ERROR,
                   errsv == ENOENT ? GCERT_ERROR_NOT_FOUND : GCERT_ERROR_FAILED,
                   _("cannot read %s: %s"), path, g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > STORE_FILE_MAX)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("cannot read %s: not a regular file of at most %d bytes"),
                   path, STORE_FILE_MAX);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, GCERT_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                     ? GCERT_ERROR_NOT_FOUND : GCERT_ERROR_FAILED,
                   "%s", local_error->message);
      return NULL;
    }
  if (out_length != NULL)
    *out_length = length;
  return g_steal_pointer (&contents);
}

/* The root of a small JSON file of ours, which must be of @type. */
static JsonNode *
read_json (const char  *path,
           JsonNodeType type,
           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  JsonNode *root;

  contents = read_small_file (path, &length, error);
  if (contents == NULL)
    return NULL;
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s is not valid JSON: %s"), path, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != type)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   type == JSON_NODE_ARRAY ? _("%s does not hold a JSON array")
                                           : _("%s does not hold a JSON object"),
                   path);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

static JsonObject *
read_json_object (const char  *path,
                  GError     **error)
{
  g_autoptr(JsonNode) root = read_json (path, JSON_NODE_OBJECT, error);

  return root ? json_object_ref (json_node_get_object (root)) : NULL;
}

static gboolean
write_json_node (const char  *path,
                 JsonNode    *root,
                 int          mode,
                 GError     **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *data = NULL;
  gsize length = 0;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, &length);
  return gcert_file_write_atomic (path, data, length, mode, error);
}

static gboolean
write_json (const char  *path,
            JsonBuilder *builder,
            int          mode,
            GError     **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return write_json_node (path, root, mode, error);
}

/* NULL when @member is absent or null; an error when it is not a string */
static gboolean
get_json_string (JsonObject  *object,
                 const char  *path,
                 const char  *member,
                 const char **out_value,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out_value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: “%s” is not a string"), path, member);
      return FALSE;
    }
  *out_value = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_json_date (JsonObject  *object,
               const char  *path,
               const char  *member,
               GDateTime  **out_value,
               GError     **error)
{
  const char *text;

  *out_value = NULL;
  if (!get_json_string (object, path, member, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  *out_value = g_date_time_new_from_iso8601 (text, NULL);
  if (*out_value == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: “%s” is not a date"), path, member);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_json_uint (JsonObject  *object,
               const char  *path,
               const char  *member,
               guint       *out_value,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 value;

  *out_value = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: “%s” is not a number"), path, member);
      return FALSE;
    }
  value = json_node_get_int (node);
  if (value < 0 || value > G_MAXUINT)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: “%s” is out of range"), path, member);
      return FALSE;
    }
  *out_value = (guint) value;
  return TRUE;
}

static GCertKey *
read_key (const char  *path,
          GError     **error)
{
  g_autofree char *pem = NULL;
  GCertKey *key;

  pem = gcert_file_read_secret (path, STORE_FILE_MAX, error);
  if (pem == NULL)
    return NULL;
  key = gcert_key_new_from_pem (pem, -1, error);
  explicit_bzero (pem, strlen (pem));
  if (key == NULL)
    g_prefix_error (error, "%s: ", path);
  return key;
}

static gboolean
write_key (const char  *path,
           GCertKey    *key,
           GError     **error)
{
  g_autofree char *pem = gcert_key_to_pem (key, error);
  gboolean ret;

  if (pem == NULL)
    return FALSE;
  ret = gcert_file_write_atomic (path, pem, strlen (pem), 0600, error);
  explicit_bzero (pem, strlen (pem));
  return ret;
}

/* a version directory holds plain files only */
static void
remove_version_dir (const char *dir)
{
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *name;

  if (gdir != NULL)
    {
      while ((name = g_dir_read_name (gdir)) != NULL)
        {
          g_autofree char *file = g_build_filename (dir, name, NULL);

          if (g_unlink (file) < 0)
            g_debug ("cannot remove %s: %s", file, g_strerror (errno));
        }
    }
  if (g_rmdir (dir) < 0)
    g_debug ("cannot remove %s: %s", dir, g_strerror (errno));
}

static gboolean
parse_version (const char *text,
               guint      *out_version)
{
  guint64 value;

  if (text == NULL || *text == '\0' || strlen (text) > 9)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  value = g_ascii_strtoull (text, NULL, 10);
  if (value == 0)
    return FALSE;
  *out_version = (guint) value;
  return TRUE;
}

/* ---- the store ---- */

GCertStore *
gcert_store_new (const char  *path,
                 GError     **error)
{
  g_autoptr(GCertStore) self = NULL;
  static const char *subdirs[] = { "accounts", "certificates", "live" };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!gcert_dir_ensure_private (path, error))
    {
      g_prefix_error (error, _("state directory: "));
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (path, subdirs[i], NULL);

      if (!gcert_dir_ensure_private (dir, error))
        {
          g_prefix_error (error, _("state directory: "));
          return NULL;
        }
    }

  self = g_object_new (GCERT_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  return g_steal_pointer (&self);
}

const char *
gcert_store_get_path (GCertStore *self)
{
  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  return self->path;
}

/* ---- accounts ---- */

gboolean
gcert_store_load_account (GCertStore  *self,
                          const char  *ca_id,
                          GCertKey   **out_key,
                          char       **out_url,
                          GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *url;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (ca_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gcert_name_validate (ca_id, error))
    return FALSE;
  dir = g_build_filename (self->path, "accounts", ca_id, NULL);
  json_path = g_build_filename (dir, "account.json", NULL);
  key_path = g_build_filename (dir, "account.key", NULL);

  /* the key is the account: without account.json (lost, or a run killed
   * before registration finished) it is still ours, and the CA finds the
   * account by it */
  key = read_key (key_path, error);
  if (key == NULL)
    return FALSE;

  object = read_json_object (json_path, &local_error);
  if (object == NULL && !g_error_matches (local_error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  url = NULL;
  if (object != NULL && !get_json_string (object, json_path, "url", &url, error))
    return FALSE;

  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  if (out_url != NULL)
    *out_url = g_strdup (url);
  return TRUE;
}

gboolean
gcert_store_save_account (GCertStore  *self,
                          const char  *ca_id,
                          GCertKey    *key,
                          const char  *url,
                          const char  *directory_url,
                          GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *dir = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *key_path = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (ca_id != NULL, FALSE);
  g_return_val_if_fail (GCERT_IS_KEY (key), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gcert_name_validate (ca_id, error))
    return FALSE;
  dir = g_build_filename (self->path, "accounts", ca_id, NULL);
  if (!gcert_dir_ensure_private (dir, error))
    return FALSE;
  json_path = g_build_filename (dir, "account.json", NULL);
  key_path = g_build_filename (dir, "account.key", NULL);

  /* the key first: account.json is what says an account exists */
  if (!write_key (key_path, key, error))
    return FALSE;

  json_builder_begin_object (builder);
  if (url != NULL)
    {
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, url);
    }
  if (directory_url != NULL)
    {
      json_builder_set_member_name (builder, "directory");
      json_builder_add_string_value (builder, directory_url);
    }
  json_builder_end_object (builder);
  return write_json (json_path, builder, 0600, error);
}

/* ---- locking ---- */

void
gcert_store_lock_free (GCertStoreLock *lock)
{
  if (lock == NULL)
    return;
  if (lock->fd >= 0)
    {
      /* still holding the lock, so no one else's PID is erased */
      if (ftruncate (lock->fd, 0) < 0)
        g_debug ("cannot truncate %s: %s", lock->path, g_strerror (errno));
      close (lock->fd);
    }
  g_free (lock->path);
  g_free (lock);
}

static gint64
read_lock_pid (int fd)
{
  char buf[32];
  gssize n = pread (fd, buf, sizeof buf - 1, 0);
  gint64 pid;
  char *end = NULL;

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  pid = g_ascii_strtoll (buf, &end, 10);
  if (end == buf || pid <= 0)
    return 0;
  return pid;
}

GCertStoreLock *
gcert_store_lock (GCertStore  *self,
                  const char  *name,
                  gboolean     wait,
                  GError     **error)
{
  g_autoptr(GCertStoreLock) lock = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pid = NULL;
  int errsv;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = ensure_cert_dir (self, name, error);
  if (dir == NULL)
    return NULL;

  lock = g_new0 (GCertStoreLock, 1);
  lock->path = g_build_filename (dir, "lock", NULL);
  lock->fd = open (lock->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (lock->fd < 0)
    {
      errsv = errno;
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot open lock file %s: %s"), lock->path, g_strerror (errsv));
      return NULL;
    }

  while (flock (lock->fd, LOCK_EX | LOCK_NB) < 0)
    {
      errsv = errno;
      if (errsv == EINTR)
        continue;
      if (errsv != EWOULDBLOCK)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot lock %s: %s"), lock->path, g_strerror (errsv));
          return NULL;
        }
      if (!wait)
        {
          gint64 holder = read_lock_pid (lock->fd);

          if (holder > 0)
            g_set_error (error, GCERT_ERROR, GCERT_ERROR_LOCKED,
                         _("certificate %s is locked by PID %lld"),
                         name, (long long) holder);
          else
            g_set_error (error, GCERT_ERROR, GCERT_ERROR_LOCKED,
                         _("certificate %s is locked by another process"), name);
          return NULL;
        }
      /* the caller asked to wait */
      while (flock (lock->fd, LOCK_EX) < 0)
        {
          errsv = errno;
          if (errsv != EINTR)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                           _("cannot lock %s: %s"), lock->path, g_strerror (errsv));
              return NULL;
            }
        }
      break;
    }

  pid = g_strdup_printf ("%ld\n", (long) getpid ());
  if (ftruncate (lock->fd, 0) < 0 ||
      pwrite (lock->fd, pid, strlen (pid), 0) != (gssize) strlen (pid))
    g_debug ("cannot record the PID in %s: %s", lock->path, g_strerror (errno));
  return g_steal_pointer (&lock);
}

/* ---- revocations ---- */

/* certificates/NAME/revoked.json: {"N": {"revoked": TIME, "reason": R}, …}
 * for each version the CA revoked; an empty object when there is none */
static JsonObject *
load_revocations (GCertStore  *self,
                  const char  *name,
                  GError     **error)
{
  g_autofree char *path = cert_path (self, name, "revoked.json");
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *copy;

  object = read_json_object (path, &local_error);
  if (object == NULL && !g_error_matches (local_error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* what the parser gives is sealed; the caller may change the copy */
  copy = json_object_new ();
  if (object != NULL)
    members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (copy, l->data,
                            json_node_copy (json_object_get_member (object, l->data)));
  return copy;
}

static gboolean
save_revocations (GCertStore  *self,
                  const char  *name,
                  JsonObject  *object,
                  GError     **error)
{
  g_autofree char *dir = ensure_cert_dir (self, name, error);
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "revoked.json", NULL);
  if (json_object_get_size (object) == 0)
    {
      if (!remove_if_there (path, error))
        return FALSE;
      return sync_dir (dir, error);
    }
  root = json_node_init_object (json_node_alloc (), object);
  return write_json_node (path, root, 0644, error);
}

/* A new version never inherits the revocation of an earlier one that had
 * its number (a version directory removed by hand). */
static gboolean
forget_revoked (GCertStore  *self,
                const char  *name,
                guint        version,
                GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *key = g_strdup_printf ("%u", version);

  object = load_revocations (self, name, error);
  if (object == NULL)
    return FALSE;
  if (!json_object_has_member (object, key))
    return TRUE;
  json_object_remove_member (object, key);
  return save_revocations (self, name, object, error);
}

gboolean
gcert_store_set_revoked (GCertStore  *self,
                         const char  *name,
                         guint        version,
                         guint        reason,
                         GDateTime   *time,
                         GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;
  JsonObject *entry;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (version > 0, FALSE);
  g_return_val_if_fail (time != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, error))
    return FALSE;
  object = load_revocations (self, name, error);
  if (object == NULL)
    return FALSE;
  utc = g_date_time_to_utc (time);
  key = g_strdup_printf ("%u", version);
  entry = json_object_new ();
  text = g_date_time_format_iso8601 (utc);
  json_object_set_string_member (entry, "revoked", text);
  json_object_set_int_member (entry, "reason", reason);
  json_object_set_object_member (object, key, entry);
  return save_revocations (self, name, object, error);
}

gboolean
gcert_store_get_revoked (GCertStore  *self,
                         const char  *name,
                         guint        version,
                         GDateTime  **out_time,
                         guint       *out_reason,
                         GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  JsonNode *node;
  guint reason = 0;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, error))
    return FALSE;
  object = load_revocations (self, name, error);
  if (object == NULL)
    return FALSE;
  key = g_strdup_printf ("%u", version);
  node = json_object_get_member (object, key);
  if (version == 0 || node == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   _("version %u of %s is not revoked"), version, name);
      return FALSE;
    }
  path = cert_path (self, name, "revoked.json");
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: “%s” is not an object"), path, key);
      return FALSE;
    }
  if (!get_json_date (json_node_get_object (node), path, "revoked", &time, error) ||
      !get_json_uint (json_node_get_object (node), path, "reason", &reason, error))
    return FALSE;
  if (time == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: version %s has no revocation time"), path, key);
      return FALSE;
    }
  if (out_time != NULL)
    *out_time = g_steal_pointer (&time);
  if (out_reason != NULL)
    *out_reason = reason;
  return TRUE;
}

/* ---- versions ---- */

static guint
next_version (const char *versions_dir)
{
  g_autoptr(GDir) dir = g_dir_open (versions_dir, 0, NULL);
  const char *name;
  guint max = 0;

  if (dir == NULL)
    return 1;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint version;

      if (parse_version (name, &version) && version > max)
        max = version;
    }
  return max + 1;
}

static gboolean
write_version_files (const char  *dir,
                     const char  *key_pem,
                     const char  *leaf_pem,
                     const char  *issuers_pem,
                     const char  *chain_pem,
                     GError     **error)
{
  const struct {
    const char *name;
    const char *data;
    int mode;
  } files[] = {
    { "privkey.pem", key_pem, 0600 },
    { "cert.pem", leaf_pem, 0644 },
    { "chain.pem", issuers_pem, 0644 },
    { "fullchain.pem", chain_pem, 0644 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].name, NULL);

      if (!gcert_file_write_atomic (path, files[i].data, strlen (files[i].data),
                                    files[i].mode, error))
        return FALSE;
    }
  return sync_dir (dir, error);
}

guint
gcert_store_add_version (GCertStore  *self,
                         const char  *name,
                         const char  *key_pem,
                         const char  *fullchain_pem,
                         GError     **error)
{
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autofree char *cert_dir = NULL;
  g_autofree char *versions_dir = NULL;
  g_autofree char *version_dir = NULL;
  g_autofree char *leaf_pem = NULL;
  g_autofree char *issuers_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *target = NULL;
  g_autofree char *live_path = NULL;
  guint version = 0;

  g_return_val_if_fail (GCERT_IS_STORE (self), 0);
  g_return_val_if_fail (name != NULL, 0);
  g_return_val_if_fail (key_pem != NULL, 0);
  g_return_val_if_fail (fullchain_pem != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!check_name (name, error))
    return 0;

  /* never make live something that cannot serve */
  cert = gcert_certificate_new_from_pem (fullchain_pem, -1, error);
  if (cert == NULL)
    {
      g_prefix_error (error, _("new certificate for %s: "), name);
      return 0;
    }
  key = gcert_key_new_from_pem (key_pem, -1, error);
  if (key == NULL)
    {
      g_prefix_error (error, _("new private key for %s: "), name);
      return 0;
    }
  if (!gcert_certificate_matches_key (cert, key))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("new certificate for %s does not belong to its private key"),
                   name);
      return 0;
    }
  leaf_pem = gcert_certificate_get_leaf_pem (cert);
  issuers_pem = gcert_certificate_get_issuers_pem (cert);
  chain_pem = gcert_certificate_get_chain_pem (cert);

  cert_dir = ensure_cert_dir (self, name, error);
  if (cert_dir == NULL)
    return 0;
  versions_dir = g_build_filename (cert_dir, "versions", NULL);
  if (!gcert_dir_ensure_private (versions_dir, error))
    return 0;

  for (guint attempt = 0; attempt < 100 && version_dir == NULL; attempt++)
    {
      g_autofree char *candidate = NULL;

      version = next_version (versions_dir);
      candidate = g_strdup_printf ("%s/%u", versions_dir, version);
      if (g_mkdir (candidate, 0700) == 0)
        version_dir = g_steal_pointer (&candidate);
      else if (errno != EEXIST)
        {
          int errsv = errno;

          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot create %s: %s"), candidate, g_strerror (errsv));
          return 0;
        }
    }
  if (version_dir == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot create a new version in %s"), versions_dir);
      return 0;
    }

  if (!write_version_files (version_dir, key_pem, leaf_pem, issuers_pem, chain_pem, error) ||
      !sync_dir (versions_dir, error) ||
      !forget_revoked (self, name, version, error))
    {
      remove_version_dir (version_dir);
      g_prefix_error (error, _("storing version %u of %s: "), version, name);
      return 0;
    }

  /* one rename makes key and chain change together */
  target = g_strdup_printf ("../certificates/%s/versions/%u", name, version);
  live_path = g_build_filename (self->path, "live", name, NULL);
  if (!gcert_symlink_replace_atomic (target, live_path, error))
    {
      remove_version_dir (version_dir);
      g_prefix_error (error, _("making version %u of %s live: "), version, name);
      return 0;
    }
  return version;
}

char *
gcert_store_get_live_dir (GCertStore *self,
                          const char *name)
{
  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_build_filename (self->path, "live", name, NULL);
}

GCertCertificate *
gcert_store_load_live (GCertStore  *self,
                       const char  *name,
                       GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  GCertCertificate *cert;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_name (name, error))
    return NULL;
  path = g_build_filename (self->path, "live", name, "fullchain.pem", NULL);
  if (!g_file_get_contents (path, &pem, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                     _("certificate %s has no live version"), name);
      else
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                     "%s", local_error->message);
      return NULL;
    }
  cert = gcert_certificate_new_from_pem (pem, length, error);
  if (cert == NULL)
    g_prefix_error (error, "%s: ", path);
  return cert;
}

guint
gcert_store_get_live_version (GCertStore *self,
                              const char *name)
{
  g_autofree char *path = NULL;
  g_autofree char *target = NULL;
  g_autofree char *basename = NULL;
  guint version = 0;

  g_return_val_if_fail (GCERT_IS_STORE (self), 0);
  g_return_val_if_fail (name != NULL, 0);

  if (!gcert_name_validate (name, NULL))
    return 0;
  path = g_build_filename (self->path, "live", name, NULL);
  target = g_file_read_link (path, NULL);
  if (target == NULL)
    return 0;
  basename = g_path_get_basename (target);
  if (!parse_version (basename, &version))
    return 0;
  return version;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GStrv
gcert_store_list_certificates (GCertStore *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *live = NULL;
  g_autofree char *certificates = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);

  live = g_build_filename (self->path, "live", NULL);
  dir = g_dir_open (live, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!gcert_name_validate (name, NULL) || g_hash_table_contains (seen, name))
        continue;
      g_ptr_array_add (names, g_strdup (name));
      g_hash_table_add (seen, g_ptr_array_index (names, names->len - 1));
    }
  g_clear_pointer (&dir, g_dir_close);

  certificates = g_build_filename (self->path, "certificates", NULL);
  dir = g_dir_open (certificates, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *run = NULL;

      if (!gcert_name_validate (name, NULL) || g_hash_table_contains (seen, name))
        continue;
      run = g_build_filename (certificates, name, "run.json", NULL);
      if (!g_file_test (run, G_FILE_TEST_IS_REGULAR))
        continue;
      g_ptr_array_add (names, g_strdup (name));
      g_hash_table_add (seen, g_ptr_array_index (names, names->len - 1));
    }

  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_steal (names, NULL);
}

/* ---- pending orders ---- */

gboolean
gcert_store_save_pending (GCertStore  *self,
                          const char  *name,
                          const char  *order_url,
                          GCertKey    *key,
                          GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *dir = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *key_path = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (order_url != NULL, FALSE);
  g_return_val_if_fail (GCERT_IS_KEY (key), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = ensure_cert_dir (self, name, error);
  if (dir == NULL)
    return FALSE;
  json_path = g_build_filename (dir, "pending.json", NULL);
  key_path = g_build_filename (dir, "pending.key", NULL);

  /* the key first: pending.json is what says an order is pending */
  if (!write_key (key_path, key, error))
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "order-url");
  json_builder_add_string_value (builder, order_url);
  json_builder_end_object (builder);
  return write_json (json_path, builder, 0600, error);
}

gboolean
gcert_store_load_pending (GCertStore  *self,
                          const char  *name,
                          char       **out_order_url,
                          GCertKey   **out_key,
                          GError     **error)
{
  g_autofree char *json_path = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GCertKey) key = NULL;
  const char *url;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, error))
    return FALSE;
  json_path = cert_path (self, name, "pending.json");
  key_path = cert_path (self, name, "pending.key");

  object = read_json_object (json_path, error);
  if (object == NULL)
    return FALSE;
  if (!get_json_string (object, json_path, "order-url", &url, error))
    return FALSE;
  if (url == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("%s: the order URL is missing"), json_path);
      return FALSE;
    }
  key = read_key (key_path, error);
  if (key == NULL)
    return FALSE;

  if (out_order_url != NULL)
    *out_order_url = g_strdup (url);
  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  return TRUE;
}

gboolean
gcert_store_clear_pending (GCertStore  *self,
                           const char  *name,
                           GError     **error)
{
  g_autofree char *dir = NULL;
  const char *files[] = { "pending.json", "pending.key" };

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, error))
    return FALSE;
  dir = g_build_filename (self->path, "certificates", name, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);

      if (!remove_if_there (path, error))
        return FALSE;
    }
  return sync_dir (dir, error);
}

/* ---- the journal of challenge records ---- */

gboolean
gcert_store_set_records (GCertStore          *self,
                         const char          *name,
                         const char * const  *records,
                         GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  guint n;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n = records ? g_strv_length ((GStrv) records) : 0;
  g_return_val_if_fail (n % 3 == 0, FALSE);

  dir = ensure_cert_dir (self, name, error);
  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "records.json", NULL);
  if (n == 0)
    {
      if (!remove_if_there (path, error))
        return FALSE;
      return sync_dir (dir, error);
    }

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i += 3)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dns");
      json_builder_add_string_value (builder, records[i]);
      json_builder_set_member_name (builder, "fqdn");
      json_builder_add_string_value (builder, records[i + 1]);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, records[i + 2]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return write_json (path, builder, 0600, error);
}

GStrv
gcert_store_get_records (GCertStore  *self,
                         const char  *name,
                         GError     **error)
{
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = NULL;
  JsonArray *array;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_name (name, error))
    return NULL;
  path = g_build_filename (self->path, "certificates", name, "records.json", NULL);
  root = read_json (path, JSON_NODE_ARRAY, &local_error);
  if (root == NULL)
    {
      if (g_error_matches (local_error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
        return g_strv_builder_end (out);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *dns = NULL;
      const char *fqdn = NULL;
      const char *value = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element) ||
          !get_json_string (json_node_get_object (element), path, "dns", &dns, error) ||
          !get_json_string (json_node_get_object (element), path, "fqdn", &fqdn, error) ||
          !get_json_string (json_node_get_object (element), path, "value", &value, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                         _("%s: an entry is not an object"), path);
          return NULL;
        }
      if (dns == NULL || fqdn == NULL || value == NULL)
        continue;
      g_strv_builder_add (out, dns);
      g_strv_builder_add (out, fqdn);
      g_strv_builder_add (out, value);
    }
  return g_strv_builder_end (out);
}

/* ---- run records ---- */

static void
add_date_member (JsonBuilder *builder,
                 const char  *member,
                 GDateTime   *value)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *text = NULL;

  if (value == NULL)
    return;
  utc = g_date_time_to_utc (value);
  text = g_date_time_format_iso8601 (utc);
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, text);
}

gboolean
gcert_store_save_run_record (GCertStore            *self,
                             const char            *name,
                             const GCertRunRecord  *record,
                             GError               **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = ensure_cert_dir (self, name, error);
  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "run.json", NULL);

  json_builder_begin_object (builder);
  add_date_member (builder, "last-attempt", record->last_attempt);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, record->success);
  if (record->error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, record->error);
    }
  add_date_member (builder, "not-after", record->not_after);
  add_date_member (builder, "next-due", record->next_due);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, record->version);
  if (record->ca != NULL)
    {
      json_builder_set_member_name (builder, "ca");
      json_builder_add_string_value (builder, record->ca);
    }
  json_builder_set_member_name (builder, "failures");
  json_builder_add_int_value (builder, record->failures);
  json_builder_end_object (builder);

  return write_json (path, builder, 0644, error);
}

GCertRunRecord *
gcert_store_load_run_record (GCertStore  *self,
                             const char  *name,
                             GError     **error)
{
  g_autoptr(GCertRunRecord) record = gcert_run_record_new ();
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *path = NULL;
  const char *text;
  JsonNode *node;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_name (name, error))
    return NULL;
  path = cert_path (self, name, "run.json");
  object = read_json_object (path, error);
  if (object == NULL)
    return NULL;

  if (!get_json_date (object, path, "last-attempt", &record->last_attempt, error) ||
      !get_json_date (object, path, "not-after", &record->not_after, error) ||
      !get_json_date (object, path, "next-due", &record->next_due, error) ||
      !get_json_uint (object, path, "version", &record->version, error) ||
      !get_json_uint (object, path, "failures", &record->failures, error))
    return NULL;

  if (!get_json_string (object, path, "error", &text, error))
    return NULL;
  record->error = g_strdup (text);
  if (!get_json_string (object, path, "ca", &text, error))
    return NULL;
  record->ca = g_strdup (text);

  node = json_object_get_member (object, "success");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("%s: “%s” is not a boolean"), path, "success");
          return NULL;
        }
      record->success = json_node_get_boolean (node);
    }
  return g_steal_pointer (&record);
}

/* ---- deployments ---- */

void
gcert_deploy_record_free (GCertDeployRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->target);
  g_free (record->error);
  g_clear_pointer (&record->time, g_date_time_unref);
  g_free (record);
}

GHashTable *
gcert_store_load_deploy_records (GCertStore  *self,
                                 const char  *name,
                                 GError     **error)
{
  g_autoptr(GHashTable) records = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GList) members = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_name (name, error))
    return NULL;
  records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) gcert_deploy_record_free);
  path = cert_path (self, name, "deploy.json");
  object = read_json_object (path, &local_error);
  if (object == NULL)
    {
      if (g_error_matches (local_error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND))
        return g_steal_pointer (&records);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);
      g_autoptr(GCertDeployRecord) record = g_new0 (GCertDeployRecord, 1);
      JsonObject *entry;
      const char *text = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("%s: “%s” is not an object"), path, (const char *) l->data);
          return NULL;
        }
      entry = json_node_get_object (node);
      record->target = g_strdup (l->data);
      if (!get_json_uint (entry, path, "version", &record->version, error) ||
          !get_json_date (entry, path, "time", &record->time, error) ||
          !get_json_string (entry, path, "error", &text, error))
        return NULL;
      record->error = g_strdup (text);
      record->success = json_object_get_boolean_member_with_default (entry, "success", FALSE);
      {
        char *key = record->target;

        g_hash_table_replace (records, key, g_steal_pointer (&record));
      }
    }
  return g_steal_pointer (&records);
}

gboolean
gcert_store_save_deploy_record (GCertStore               *self,
                                const char               *name,
                                const GCertDeployRecord  *record,
                                GError                  **error)
{
  g_autoptr(GHashTable) records = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GList) targets = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (record != NULL && record->target != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  records = gcert_store_load_deploy_records (self, name, error);
  if (records == NULL)
    return FALSE;
  dir = ensure_cert_dir (self, name, error);
  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "deploy.json", NULL);

  {
    GCertDeployRecord *copy = g_new0 (GCertDeployRecord, 1);

    copy->target = g_strdup (record->target);
    copy->version = record->version;
    copy->success = record->success;
    copy->error = g_strdup (record->error);
    copy->time = record->time != NULL ? g_date_time_ref (record->time) : NULL;
    g_hash_table_replace (records, copy->target, copy);
  }

  targets = g_hash_table_get_keys (records);
  targets = g_list_sort (targets, (GCompareFunc) g_strcmp0);
  json_builder_begin_object (builder);
  for (GList *l = targets; l != NULL; l = l->next)
    {
      GCertDeployRecord *entry = g_hash_table_lookup (records, l->data);

      json_builder_set_member_name (builder, entry->target);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, entry->version);
      json_builder_set_member_name (builder, "success");
      json_builder_add_boolean_value (builder, entry->success);
      if (entry->error != NULL)
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, entry->error);
        }
      add_date_member (builder, "time", entry->time);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return write_json (path, builder, 0644, error);
}

char *
gcert_store_get_version_dir (GCertStore *self,
                             const char *name,
                             guint       version)
{
  g_autofree char *number = NULL;

  g_return_val_if_fail (GCERT_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  number = g_strdup_printf ("%u", version);
  return g_build_filename (self->path, "certificates", name, "versions", number, NULL);
}
