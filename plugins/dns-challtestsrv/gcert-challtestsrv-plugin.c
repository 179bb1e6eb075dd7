/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-settings.h"

/* Pebble's challenge test server (pebble-challtestsrv): its management API
 * adds TXT values (/set-txt) and removes every value of a name (/clear-txt). */

#define HTTP_TIMEOUT_SECONDS 30
#define MAX_BODY_IN_ERROR    200

#define GCERT_TYPE_CHALLTESTSRV_PROVIDER (gcert_challtestsrv_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertChalltestsrvProvider, gcert_challtestsrv_provider,
                      GCERT, CHALLTESTSRV_PROVIDER, GObject)

struct _GCertChalltestsrvProvider {
  GObject      parent_instance;
  char        *base_url;     /* without a trailing slash */
  SoupSession *session;
  /* the values we added, per name: a clear removes them all, so the
   * others are added back after one is removed */
  GHashTable  *values;       /* host → GPtrArray of char* */
  /* one operation at a time, so that a clear and its re-adds never
   * interleave with another change of the same name */
  GQueue       queue;        /* GTask* */
  GTask       *current;
};

static void gcert_challtestsrv_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertChalltestsrvProvider, gcert_challtestsrv_provider,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_challtestsrv_provider_iface_init))

static gboolean
gcert_challtestsrv_provider_setup (GCertDnsProvider  *provider,
                                   GCertSettings     *settings,
                                   GError           **error)
{
  GCertChalltestsrvProvider *self = GCERT_CHALLTESTSRV_PROVIDER (provider);
  static const char * const allowed[] = { "plugin", "url", NULL };
  g_autofree char *url = NULL;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  url = gcert_settings_get_url (settings, "url", TRUE, GCERT_SETTINGS_URL_FLAGS_ALLOW_USERINFO,
                                error);
  if (url == NULL)
    return FALSE;
  g_free (self->base_url);
  self->base_url = g_steal_pointer (&url);
  return TRUE;
}

typedef enum {
  OP_CREATE,
  OP_REMOVE,
} OpKind;

typedef struct {
  OpKind       kind;
  char        *host;      /* lowercase, with its trailing dot */
  char        *value;
  GPtrArray   *readd;     /* after a clear: the values to add back */
  guint        next;
  SoupMessage *message;   /* the request in flight */
  char        *url;
} Op;

static void
op_free (Op *op)
{
  g_free (op->host);
  g_free (op->value);
  g_clear_pointer (&op->readd, g_ptr_array_unref);
  g_clear_object (&op->message);
  g_free (op->url);
  g_free (op);
}

static char *
normalize_host (const char *fqdn)
{
  g_autofree char *lower = g_ascii_strdown (fqdn, -1);

  if (g_str_has_suffix (lower, "."))
    return g_steal_pointer (&lower);
  return g_strconcat (lower, ".", NULL);
}

static void run_next (GCertChalltestsrvProvider *self);

/* Ends the current operation and starts the next one. */
static void
op_return (GTask  *task,
           GError *error)
{
  GCertChalltestsrvProvider *self = g_task_get_source_object (task);
  g_autoptr(GTask) current = g_steal_pointer (&self->current);

  g_assert (current == task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  run_next (self);
}

static void
post_async (GTask               *task,
            const char          *path,
            const char          *value,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback)
{
  GCertChalltestsrvProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) body = NULL;
  char *text;
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, op->host);
  if (value != NULL)
    {
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  length = strlen (text);
  body = g_bytes_new_take (text, length);

  g_clear_object (&op->message);
  g_free (op->url);
  op->url = g_strconcat (self->base_url, path, NULL);
  op->message = soup_message_new (SOUP_METHOD_POST, op->url);
  soup_message_set_request_body_from_bytes (op->message, "application/json", body);
  /* setting and clearing are safe to repeat: reuse the connection */
  soup_message_add_flags (op->message, SOUP_MESSAGE_IDEMPOTENT);
  soup_session_send_and_read_async (self->session, op->message, g_task_get_priority (task),
                                    cancellable, callback, g_object_ref (task));
}

static gboolean
post_finish (GTask         *task,
             GAsyncResult  *result,
             GError       **error)
{
  GCertChalltestsrvProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  guint status;

  body = soup_session_send_and_read_finish (self->session, result, &local_error);
  if (body == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, _("POST %s: %s"), op->url,
                   local_error->message);
      return FALSE;
    }

  status = soup_message_get_status (op->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      gsize size = 0;
      const char *data = g_bytes_get_data (body, &size);
      g_autofree char *snippet = g_utf8_make_valid (data != NULL ? data : "",
                                                    MIN (size, MAX_BODY_IN_ERROR));

      g_strstrip (snippet);
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("POST %s answered HTTP %u %s%s%s"), op->url, status,
                   soup_message_get_reason_phrase (op->message) != NULL ?
                     soup_message_get_reason_phrase (op->message) : "",
                   *snippet != '\0' ? ": " : "", snippet);
      return FALSE;
    }
  return TRUE;
}

static void
create_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertChalltestsrvProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GPtrArray *values;

  if (!post_finish (task, result, &error))
    {
      g_prefix_error (&error, _("adding TXT value at %s: "), op->host);
      op_return (task, g_steal_pointer (&error));
      return;
    }

  values = g_hash_table_lookup (self->values, op->host);
  if (values == NULL)
    {
      values = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->values, g_strdup (op->host), values);
    }
  if (!g_ptr_array_find_with_equal_func (values, op->value, g_str_equal, NULL))
    g_ptr_array_add (values, g_strdup (op->value));
  op_return (task, NULL);
}

static void readd_next (GTask *task);

static void
readd_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!post_finish (task, result, &error))
    {
      g_prefix_error (&error, _("adding back TXT value at %s: "), op->host);
      op_return (task, g_steal_pointer (&error));
      return;
    }
  op->next++;
  readd_next (task);
}

static void
readd_next (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  if (op->next >= op->readd->len)
    {
      op_return (task, NULL);
      return;
    }
  /* once cleared, the other values go back even if we are cancelled */
  post_async (task, "/set-txt", g_ptr_array_index (op->readd, op->next), NULL, readd_cb);
}

static void
clear_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!post_finish (task, result, &error))
    {
      g_prefix_error (&error, _("removing TXT value at %s: "), op->host);
      op_return (task, g_steal_pointer (&error));
      return;
    }
  readd_next (task);
}

static void
run_op (GTask *task)
{
  GCertChalltestsrvProvider *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  GPtrArray *values;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      op_return (task, error);
      return;
    }

  if (op->kind == OP_CREATE)
    {
      post_async (task, "/set-txt", op->value, g_task_get_cancellable (task), create_cb);
      return;
    }

  /* what should stay, recorded before the clear: if the clear fails, a
   * retry still converges */
  op->readd = g_ptr_array_new_with_free_func (g_free);
  values = g_hash_table_lookup (self->values, op->host);
  if (values != NULL)
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (values, op->value, g_str_equal, &index))
        g_ptr_array_remove_index (values, index);
      for (guint i = 0; i < values->len; i++)
        g_ptr_array_add (op->readd, g_strdup (g_ptr_array_index (values, i)));
      if (values->len == 0)
        g_hash_table_remove (self->values, op->host);
    }
  post_async (task, "/clear-txt", NULL, g_task_get_cancellable (task), clear_cb);
}

static void
run_next (GCertChalltestsrvProvider *self)
{
  if (self->current != NULL)
    return;
  self->current = g_queue_pop_head (&self->queue);
  if (self->current != NULL)
    run_op (self->current);
}

static void
enqueue (GCertChalltestsrvProvider *self,
         OpKind                     kind,
         const char                *fqdn,
         const char                *value,
         GCancellable              *cancellable,
         GAsyncReadyCallback        callback,
         gpointer                   user_data,
         gpointer                   source_tag)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  if (self->base_url == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the challtestsrv plugin is not set up"));
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->host = normalize_host (fqdn);
  op->value = g_strdup (value);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  g_queue_push_tail (&self->queue, g_steal_pointer (&task));
  run_next (self);
}

static void
gcert_challtestsrv_provider_create_record_async (GCertDnsProvider    *provider,
                                                 const char          *fqdn,
                                                 const char          *value,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  enqueue (GCERT_CHALLTESTSRV_PROVIDER (provider), OP_CREATE, fqdn, value, cancellable,
           callback, user_data, gcert_challtestsrv_provider_create_record_async);
}

static gboolean
gcert_challtestsrv_provider_create_record_finish (GCertDnsProvider  *provider,
                                                  GAsyncResult      *result,
                                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_challtestsrv_provider_remove_record_async (GCertDnsProvider    *provider,
                                                 const char          *fqdn,
                                                 const char          *value,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  enqueue (GCERT_CHALLTESTSRV_PROVIDER (provider), OP_REMOVE, fqdn, value, cancellable,
           callback, user_data, gcert_challtestsrv_provider_remove_record_async);
}

static gboolean
gcert_challtestsrv_provider_remove_record_finish (GCertDnsProvider  *provider,
                                                  GAsyncResult      *result,
                                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_challtestsrv_provider_finalize (GObject *object)
{
  GCertChalltestsrvProvider *self = GCERT_CHALLTESTSRV_PROVIDER (object);

  /* every queued task holds a reference to us */
  g_assert (self->current == NULL);
  g_assert (g_queue_is_empty (&self->queue));
  g_free (self->base_url);
  g_clear_object (&self->session);
  g_clear_pointer (&self->values, g_hash_table_unref);

  G_OBJECT_CLASS (gcert_challtestsrv_provider_parent_class)->finalize (object);
}

static void
gcert_challtestsrv_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_challtestsrv_provider_setup;
  iface->create_record_async = gcert_challtestsrv_provider_create_record_async;
  iface->create_record_finish = gcert_challtestsrv_provider_create_record_finish;
  iface->remove_record_async = gcert_challtestsrv_provider_remove_record_async;
  iface->remove_record_finish = gcert_challtestsrv_provider_remove_record_finish;
}

static void
gcert_challtestsrv_provider_class_init (GCertChalltestsrvProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_challtestsrv_provider_finalize;
}

static void
gcert_challtestsrv_provider_class_finalize (GCertChalltestsrvProviderClass *klass)
{
}

static void
gcert_challtestsrv_provider_init (GCertChalltestsrvProvider *self)
{
  /* a test server on loopback: never through a proxy */
  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_SECONDS,
                                                 "proxy-resolver", NULL,
                                                 NULL);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->queue);
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: libsoup and GLib may call back into us after an operation */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_challtestsrv_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_CHALLTESTSRV_PROVIDER, "challtestsrv", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DNS_PROVIDER_EXTENSION_POINT, NULL });
}
