/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-dns-check.h"
#include "gcert-error.h"

/* One challenge name at a time: a check is for a person reading along. */

void
gcert_dns_check_free (GCertDnsCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->certificate);
  g_free (check->domain);
  gcert_challenge_route_free (check->route);
  g_strfreev (check->servers);
  g_strfreev (check->silent);
  g_clear_pointer (&check->problems, g_ptr_array_unref);
  g_clear_pointer (&check->notes, g_ptr_array_unref);
  g_free (check);
}

typedef struct {
  const GCertCertificateConfig *cert;
  char                         *domain;
} Item;

static void
item_free (Item *item)
{
  g_free (item->domain);
  g_free (item);
}

typedef struct {
  GCertDnsRouter    *router;
  GCertConfig       *config;
  GPtrArray         *certificates;   /* keeps the configs the items point into */
  GPtrArray         *items;
  guint              next;
  gboolean           write;
  GCertProgressFunc  progress;
  gpointer           progress_data;
  GPtrArray         *results;

  GCertDnsCheck     *current;
  GCertDnsProvider  *provider;       /* not owned: the router keeps it */
  GPtrArray         *silent;
  guint              pending;
  char              *value;
  gint64             write_started;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_clear_object (&data->router);
  g_clear_object (&data->config);
  g_clear_pointer (&data->certificates, g_ptr_array_unref);
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_clear_pointer (&data->results, g_ptr_array_unref);
  gcert_dns_check_free (data->current);
  g_clear_pointer (&data->silent, g_ptr_array_unref);
  g_free (data->value);
  g_free (data);
}

static void problem (CheckData *data, const char *format, ...) G_GNUC_PRINTF (2, 3);
static void note (CheckData *data, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
problem (CheckData  *data,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (data->current->problems, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
note (CheckData  *data,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (data->current->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
say (CheckData  *data,
     const char *message)
{
  if (data->progress != NULL)
    data->progress (message, data->progress_data);
}

static void check_next (GTask *task);

static void
item_done (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  g_ptr_array_add (data->results, g_steal_pointer (&data->current));
  data->provider = NULL;
  g_clear_pointer (&data->value, g_free);
  data->next++;
  check_next (task);
}

static gboolean
return_if_cancelled (GTask *task)
{
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return FALSE;
  g_task_return_error_if_cancelled (task);
  return TRUE;
}

/* --- the write test ----------------------------------------------------------- */

static void
test_record_removed_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!gcert_dns_provider_remove_record_finish (GCERT_DNS_PROVIDER (source), result, &error))
    problem (data, _("removing the test record %s TXT \"%s\" failed: %s; remove it by hand"),
             data->current->route->fqdn, data->value, error->message);
  if (return_if_cancelled (task))
    return;
  item_done (g_steal_pointer (&task));
}

static void
remove_test_record (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  /* not cancellable: the test record must not stay */
  gcert_dns_provider_remove_record_async (data->provider, data->current->route->fqdn,
                                          data->value, NULL, test_record_removed_cb, task);
}

static void
test_record_served_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (gcert_dns_wait_for_txt_finish (result, &error))
    data->current->write_seconds = (g_get_monotonic_time () - data->write_started) /
                                   (double) G_TIME_SPAN_SECOND;
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    problem (data, _("the test record did not propagate: %s"), error->message);
  remove_test_record (g_steal_pointer (&task));
}

static void
test_record_created_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const char * const *resolvers = gcert_config_get_resolvers (data->config);
  GCancellable *cancellable;

  if (!gcert_dns_provider_create_record_finish (GCERT_DNS_PROVIDER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          remove_test_record (g_steal_pointer (&task));
          return;
        }
      problem (data, _("creating a test record through [dns %s] failed: %s"),
               data->current->route->dns, error->message);
      /* it may exist all the same */
      remove_test_record (g_steal_pointer (&task));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  gcert_dns_wait_for_txt_async (data->current->route->fqdn, data->value, resolvers,
                                gcert_config_get_propagation_timeout (data->config),
                                data->progress, data->progress_data, cancellable,
                                test_record_served_cb, g_steal_pointer (&task));
}

static void
write_test (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  g_autofree char *message = NULL;

  data->value = g_strdup_printf ("gcert-check-%08x%08x", g_random_int (), g_random_int ());
  message = g_strdup_printf (_("%s: writing a test record at %s through [dns %s]"),
                             data->current->domain, data->current->route->fqdn,
                             data->current->route->dns);
  say (data, message);
  data->write_started = g_get_monotonic_time ();
  gcert_dns_provider_create_record_async (data->provider, data->current->route->fqdn,
                                          data->value, g_task_get_cancellable (task),
                                          test_record_created_cb, task);
}

/* --- servers -------------------------------------------------------------------- */

static void
servers_asked (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  GCertDnsCheck *check = data->current;
  guint total = g_strv_length (check->servers);

  g_ptr_array_add (data->silent, NULL);
  check->silent = (GStrv) g_ptr_array_steal (data->silent, NULL);
  g_clear_pointer (&data->silent, g_ptr_array_unref);

  if (total > 0 && g_strv_length (check->silent) == total &&
      gcert_config_get_resolvers (data->config) == NULL)
    note (data, _("none of the authoritative servers answers from here (is outbound port 53 "
                  "blocked?): gcert will check propagation through the system resolver, "
                  "which may cache a missing record for a while"));
  else if (total > 0 && g_strv_length (check->silent) == total)
    problem (data, _("none of the configured resolvers answers"));
  else if (check->silent[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", check->silent);

      problem (data, _("%s do not answer: propagation can never complete there"), list);
    }

  if (data->write && data->provider != NULL && check->problems->len == 0)
    {
      write_test (task);
      return;
    }
  item_done (task);
}

static void
server_answered_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  const char *server = g_object_get_data (G_OBJECT (result), "gcert-server");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  values = gcert_dns_query_txt_finish (result, &error);
  if (values == NULL && g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NETWORK))
    g_ptr_array_add (data->silent, g_strdup (server));
  else if (values == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    problem (data, "%s", error->message);

  if (--data->pending > 0)
    return;
  if (return_if_cancelled (task))
    return;
  servers_asked (g_steal_pointer (&task));
}

typedef struct {
  GTask *task;
  char  *server;
} ServerCall;

static void
server_call_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ServerCall *call = user_data;

  g_object_set_data_full (G_OBJECT (result), "gcert-server", call->server, g_free);
  server_answered_cb (source, result, call->task);
  g_free (call);
}

static void
ask_servers (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  GCertDnsCheck *check = data->current;
  guint n = g_strv_length (check->servers);

  data->silent = g_ptr_array_new_with_free_func (g_free);
  if (n == 0)
    {
      servers_asked (task);
      return;
    }
  data->pending = n;
  for (guint i = 0; i < n; i++)
    {
      ServerCall *call = g_new0 (ServerCall, 1);

      call->task = g_object_ref (task);
      call->server = g_strdup (check->servers[i]);
      gcert_dns_query_txt_async (check->servers[i], check->route->fqdn,
                                 g_task_get_cancellable (task), server_call_cb, call);
    }
  g_object_unref (task);
}

static void
authoritative_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->current->servers = gcert_dns_find_authoritative_finish (result, &error);
  if (return_if_cancelled (task))
    return;
  if (data->current->servers == NULL)
    {
      problem (data, _("cannot find the authoritative servers of %s: %s"),
               data->current->route->fqdn, error->message);
      data->current->servers = g_new0 (char *, 1);
      item_done (g_steal_pointer (&task));
      return;
    }
  ask_servers (g_steal_pointer (&task));
}

/* --- route ------------------------------------------------------------------------ */

static void
routed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GCertDnsCheck *check = data->current;
  const char * const *resolvers = gcert_config_get_resolvers (data->config);
  g_autoptr(GError) error = NULL;
  GCertChallengeRoute *route;
  GCancellable *cancellable;

  check->route = gcert_dns_router_route_finish (GCERT_DNS_ROUTER (source), result, &error);
  if (check->route == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  route = check->route;
  switch (route->status)
    {
    case GCERT_CHALLENGE_ROUTE_OK:
      if (route->chain[0] != NULL)
        note (data, _("%s is an alias of %s"), route->name, route->fqdn);
      break;
    case GCERT_CHALLENGE_ROUTE_UNKNOWN:
      note (data, "%s", route->problem);
      break;
    case GCERT_CHALLENGE_ROUTE_ALIAS_MISSING:
    case GCERT_CHALLENGE_ROUTE_ALIAS_ELSEWHERE:
      problem (data, "%s", route->problem);
      break;
    }

  data->provider = gcert_dns_router_get_provider (data->router, route->dns, &error);
  if (data->provider == NULL)
    problem (data, "%s", error->message);

  if (resolvers != NULL)
    {
      check->servers = g_strdupv ((GStrv) resolvers);
      ask_servers (g_steal_pointer (&task));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  gcert_dns_find_authoritative_async (route->fqdn, cancellable, authoritative_cb,
                                      g_steal_pointer (&task));
}

static void
check_next (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  Item *item;
  g_autofree char *message = NULL;

  if (return_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (data->next >= data->items->len)
    {
      g_task_return_pointer (task, g_steal_pointer (&data->results),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }

  item = g_ptr_array_index (data->items, data->next);
  data->current = g_new0 (GCertDnsCheck, 1);
  data->current->certificate = g_strdup (item->cert->name);
  data->current->domain = g_strdup (item->domain);
  data->current->problems = g_ptr_array_new_with_free_func (g_free);
  data->current->notes = g_ptr_array_new_with_free_func (g_free);
  data->current->write_seconds = -1;
  message = g_strdup_printf (_("%s: checking %s"), item->cert->name, item->domain);
  say (data, message);
  gcert_dns_router_route_async (data->router, item->domain, item->cert->dns,
                                item->cert->challenge_alias, g_task_get_cancellable (task),
                                routed_cb, task);
}

void
gcert_dns_check_async (GCertDnsRouter      *router,
                       GCertConfig         *config,
                       GPtrArray           *certificates,
                       gboolean             write,
                       GCertProgressFunc    progress,
                       gpointer             progress_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task;
  CheckData *data;

  g_return_if_fail (GCERT_IS_DNS_ROUTER (router));
  g_return_if_fail (GCERT_IS_CONFIG (config));
  g_return_if_fail (certificates != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_dns_check_async);
  data = g_new0 (CheckData, 1);
  data->router = g_object_ref (router);
  data->config = g_object_ref (config);
  data->certificates = g_ptr_array_ref (certificates);
  data->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  data->results = g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_dns_check_free);
  data->write = write;
  data->progress = progress;
  data->progress_data = progress_data;
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);

  /* example.com and *.example.com share one challenge name */
  for (guint i = 0; i < certificates->len; i++)
    {
      const GCertCertificateConfig *cert = g_ptr_array_index (certificates, i);
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint j = 0; cert->domains[j] != NULL; j++)
        {
          const char *base = cert->domains[j];
          Item *item;

          if (g_str_has_prefix (base, "*."))
            base += 2;
          if (!g_hash_table_add (seen, (gpointer) base))
            continue;
          item = g_new0 (Item, 1);
          item->cert = cert;
          item->domain = g_strdup (base);
          g_ptr_array_add (data->items, item);
        }
    }
  check_next (task);
}

GPtrArray *
gcert_dns_check_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_check_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
