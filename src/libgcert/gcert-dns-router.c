/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-dns-router.h"
#include "gcert-dns.h"
#include "gcert-error.h"
#include "gcert-plugin-loader.h"

struct _GCertDnsRouter {
  GObject      parent_instance;
  GCertConfig *config;
  GHashTable  *providers;   /* dns name → GCertDnsProvider */
};

G_DEFINE_TYPE (GCertDnsRouter, gcert_dns_router, G_TYPE_OBJECT)

void
gcert_challenge_route_free (GCertChallengeRoute *route)
{
  if (route == NULL)
    return;
  g_free (route->domain);
  g_free (route->name);
  g_free (route->fqdn);
  g_free (route->dns);
  g_strfreev (route->chain);
  g_free (route->problem);
  g_free (route);
}

static void
gcert_dns_router_finalize (GObject *object)
{
  GCertDnsRouter *self = GCERT_DNS_ROUTER (object);

  g_clear_object (&self->config);
  g_clear_pointer (&self->providers, g_hash_table_unref);

  G_OBJECT_CLASS (gcert_dns_router_parent_class)->finalize (object);
}

static void
gcert_dns_router_class_init (GCertDnsRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gcert_dns_router_finalize;
}

static void
gcert_dns_router_init (GCertDnsRouter *self)
{
  self->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

GCertDnsRouter *
gcert_dns_router_new (GCertConfig *config)
{
  GCertDnsRouter *self;

  g_return_val_if_fail (GCERT_IS_CONFIG (config), NULL);

  self = g_object_new (GCERT_TYPE_DNS_ROUTER, NULL);
  self->config = g_object_ref (config);
  return self;
}

GCertDnsProvider *
gcert_dns_router_get_provider (GCertDnsRouter  *self,
                               const char      *dns,
                               GError         **error)
{
  g_autoptr(GCertSettings) settings = NULL;
  GCertDnsProvider *provider;

  g_return_val_if_fail (GCERT_IS_DNS_ROUTER (self), NULL);
  g_return_val_if_fail (dns != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  provider = g_hash_table_lookup (self->providers, dns);
  if (provider != NULL)
    return provider;
  settings = gcert_config_get_dns_settings (self->config, dns);
  if (settings == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("%s: there is no [dns %s] group"),
                   gcert_config_get_path (self->config), dns);
      return NULL;
    }
  provider = gcert_plugins_new_dns_provider (settings, error);
  if (provider == NULL)
    return NULL;
  g_hash_table_insert (self->providers, g_strdup (dns), provider);
  return provider;
}

typedef struct {
  GCertChallengeRoute *route;
  char                *dns;     /* the certificate's */
  char                *alias;   /* nullable */
} RouteData;

static void
route_data_free (RouteData *data)
{
  gcert_challenge_route_free (data->route);
  g_free (data->dns);
  g_free (data->alias);
  g_free (data);
}

/* the [dns] group for @fqdn: by `zones`, else @fallback */
static char *
choose_dns (GCertDnsRouter *self,
            const char     *fqdn,
            const char     *fallback)
{
  const char *dns = gcert_config_find_dns_for_name (self->config, fqdn);

  return g_strdup (dns != NULL ? dns : fallback);
}

static void
route_resolved_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertDnsRouter *self = g_task_get_source_object (task);
  RouteData *data = g_task_get_task_data (task);
  GCertChallengeRoute *route = data->route;
  const char *alias = data->alias;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) chain = NULL;

  chain = gcert_dns_resolve_cname_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (alias != NULL)
    route->fqdn = g_strdup_printf ("_acme-challenge.%s.", alias);
  else if (chain != NULL && chain[0] != NULL)
    route->fqdn = g_strdup (chain[g_strv_length (chain) - 1]);
  else
    route->fqdn = g_strdup (route->name);

  if (chain == NULL)
    {
      route->status = GCERT_CHALLENGE_ROUTE_UNKNOWN;
      route->chain = g_new0 (char *, 1);
      route->problem = g_strdup_printf (_("cannot look up the CNAME at %s: %s"),
                                        route->name, error->message);
    }
  else
    {
      route->chain = g_steal_pointer (&chain);
      if (alias == NULL)
        route->status = GCERT_CHALLENGE_ROUTE_OK;
      else if (route->chain[0] == NULL)
        {
          route->status = GCERT_CHALLENGE_ROUTE_ALIAS_MISSING;
          route->problem = g_strdup_printf (_("%s is no CNAME, but the challenge alias %s is "
                                              "configured; add this record to the zone of "
                                              "%s: %s CNAME %s"),
                                            route->name, alias, route->domain, route->name,
                                            route->fqdn);
        }
      else if (!g_strv_contains ((const char * const *) route->chain, route->fqdn))
        {
          route->status = GCERT_CHALLENGE_ROUTE_ALIAS_ELSEWHERE;
          route->problem = g_strdup_printf (_("%s is a CNAME to %s, not to %s as the "
                                              "challenge alias %s requires; change it to: "
                                              "%s CNAME %s"),
                                            route->name, route->chain[0], route->fqdn, alias,
                                            route->name, route->fqdn);
        }
      else
        route->status = GCERT_CHALLENGE_ROUTE_OK;
    }

  route->dns = choose_dns (self, route->fqdn, data->dns);
  g_task_return_pointer (task, g_steal_pointer (&data->route),
                         (GDestroyNotify) gcert_challenge_route_free);
}

/**
 * gcert_dns_router_route_async:
 * @self: a #GCertDnsRouter
 * @domain: "example.com" or "*.example.com"
 * @dns: the certificate's `[dns]` group
 * @alias: (nullable): the certificate's challenge alias
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Finds where the challenge record of @domain is written, and by whom.
 */
void
gcert_dns_router_route_async (GCertDnsRouter      *self,
                              const char          *domain,
                              const char          *dns,
                              const char          *alias,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GCertChallengeRoute *route;
  RouteData *data;
  const char * const *resolvers;
  const char *base;

  g_return_if_fail (GCERT_IS_DNS_ROUTER (self));
  g_return_if_fail (domain != NULL);
  g_return_if_fail (dns != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_dns_router_route_async);

  base = g_str_has_prefix (domain, "*.") ? domain + 2 : domain;
  route = g_new0 (GCertChallengeRoute, 1);
  route->domain = g_ascii_strdown (base, -1);
  if (g_str_has_suffix (route->domain, "."))
    route->domain[strlen (route->domain) - 1] = '\0';
  route->name = g_strdup_printf ("_acme-challenge.%s.", route->domain);
  data = g_new0 (RouteData, 1);
  data->route = route;
  data->dns = g_strdup (dns);
  data->alias = g_strdup (alias);
  g_task_set_task_data (task, data, (GDestroyNotify) route_data_free);

  resolvers = gcert_config_get_resolvers (self->config);
  gcert_dns_resolve_cname_async (route->name,
                                 resolvers != NULL ? resolvers[0] : NULL,
                                 cancellable, route_resolved_cb, g_steal_pointer (&task));
}

GCertChallengeRoute *
gcert_dns_router_route_finish (GCertDnsRouter  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_router_route_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
