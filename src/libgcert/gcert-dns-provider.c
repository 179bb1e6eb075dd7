/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"

G_DEFINE_INTERFACE (GCertDnsProvider, gcert_dns_provider, G_TYPE_OBJECT)

static void
gcert_dns_provider_default_init (GCertDnsProviderInterface *iface)
{
}

/**
 * gcert_dns_provider_setup:
 * @self: a #GCertDnsProvider
 * @settings: the provider's `[dns NAME]` group
 * @error: return location for a #GError
 *
 * Reads and validates the provider's settings. Called once, before any
 * record is created.
 *
 * Returns: %TRUE when the settings are valid
 */
gboolean
gcert_dns_provider_setup (GCertDnsProvider  *self,
                          GCertSettings     *settings,
                          GError           **error)
{
  GCertDnsProviderInterface *iface;

  g_return_val_if_fail (GCERT_IS_DNS_PROVIDER (self), FALSE);
  g_return_val_if_fail (GCERT_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = GCERT_DNS_PROVIDER_GET_IFACE (self);
  if (iface->setup == NULL)
    return TRUE;
  return iface->setup (self, settings, error);
}

static gboolean
check_record_args (GCertDnsProvider    *self,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data,
                   gpointer             source_tag,
                   gboolean             implemented)
{
  if (implemented)
    return TRUE;

  g_task_report_new_error (self, callback, user_data, source_tag,
                           GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                           _("the DNS provider %s cannot change records"),
                           G_OBJECT_TYPE_NAME (self));
  return FALSE;
}

/**
 * gcert_dns_provider_create_record_async:
 * @self: a #GCertDnsProvider
 * @fqdn: the record's name, with its trailing dot
 * @value: the TXT value
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Adds the TXT value @value at @fqdn, leaving other values at that name alone.
 */
void
gcert_dns_provider_create_record_async (GCertDnsProvider    *self,
                                        const char          *fqdn,
                                        const char          *value,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GCertDnsProviderInterface *iface;

  g_return_if_fail (GCERT_IS_DNS_PROVIDER (self));
  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = GCERT_DNS_PROVIDER_GET_IFACE (self);
  if (!check_record_args (self, callback, user_data,
                          gcert_dns_provider_create_record_async,
                          iface->create_record_async != NULL &&
                          iface->create_record_finish != NULL))
    return;
  iface->create_record_async (self, fqdn, value, cancellable, callback, user_data);
}

/**
 * gcert_dns_provider_create_record_finish:
 * @self: a #GCertDnsProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the record was added
 */
gboolean
gcert_dns_provider_create_record_finish (GCertDnsProvider  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  g_return_val_if_fail (GCERT_IS_DNS_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_async_result_is_tagged (result, gcert_dns_provider_create_record_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return GCERT_DNS_PROVIDER_GET_IFACE (self)->create_record_finish (self, result, error);
}

/**
 * gcert_dns_provider_remove_record_async:
 * @self: a #GCertDnsProvider
 * @fqdn: the record's name, with its trailing dot
 * @value: the TXT value
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Removes exactly the TXT value @value at @fqdn.
 */
void
gcert_dns_provider_remove_record_async (GCertDnsProvider    *self,
                                        const char          *fqdn,
                                        const char          *value,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GCertDnsProviderInterface *iface;

  g_return_if_fail (GCERT_IS_DNS_PROVIDER (self));
  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = GCERT_DNS_PROVIDER_GET_IFACE (self);
  if (!check_record_args (self, callback, user_data,
                          gcert_dns_provider_remove_record_async,
                          iface->remove_record_async != NULL &&
                          iface->remove_record_finish != NULL))
    return;
  iface->remove_record_async (self, fqdn, value, cancellable, callback, user_data);
}

/**
 * gcert_dns_provider_remove_record_finish:
 * @self: a #GCertDnsProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the record was removed
 */
gboolean
gcert_dns_provider_remove_record_finish (GCertDnsProvider  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  g_return_val_if_fail (GCERT_IS_DNS_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_async_result_is_tagged (result, gcert_dns_provider_remove_record_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return GCERT_DNS_PROVIDER_GET_IFACE (self)->remove_record_finish (self, result, error);
}
