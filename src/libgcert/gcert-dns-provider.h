/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include "gcert-settings.h"

G_BEGIN_DECLS

/* The GIO extension point DNS provider plugins implement; the number is the
 * plugin ABI and changes only with an incompatible change of this interface. */
#define GCERT_DNS_PROVIDER_EXTENSION_POINT "gcert-dns-provider-1"

#define GCERT_TYPE_DNS_PROVIDER (gcert_dns_provider_get_type ())
G_DECLARE_INTERFACE (GCertDnsProvider, gcert_dns_provider, GCERT, DNS_PROVIDER, GObject)

/**
 * GCertDnsProviderInterface:
 * @setup: reads and validates the plugin's keyfile group; errors name the
 *   file, group and key (gcert_settings_set_error())
 * @create_record_async: adds the TXT value @value at @fqdn (with its trailing
 *   dot), leaving any other value at that name alone
 * @remove_record_async: removes exactly that value again
 */
struct _GCertDnsProviderInterface {
  GTypeInterface parent_iface;

  gboolean (*setup)                (GCertDnsProvider     *self,
                                    GCertSettings        *settings,
                                    GError              **error);
  void     (*create_record_async)  (GCertDnsProvider     *self,
                                    const char           *fqdn,
                                    const char           *value,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  gboolean (*create_record_finish) (GCertDnsProvider     *self,
                                    GAsyncResult         *result,
                                    GError              **error);
  void     (*remove_record_async)  (GCertDnsProvider     *self,
                                    const char           *fqdn,
                                    const char           *value,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  gboolean (*remove_record_finish) (GCertDnsProvider     *self,
                                    GAsyncResult         *result,
                                    GError              **error);
};

gboolean gcert_dns_provider_setup                (GCertDnsProvider     *self,
                                                  GCertSettings        *settings,
                                                  GError              **error);
void     gcert_dns_provider_create_record_async  (GCertDnsProvider     *self,
                                                  const char           *fqdn,
                                                  const char           *value,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean gcert_dns_provider_create_record_finish (GCertDnsProvider     *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void     gcert_dns_provider_remove_record_async  (GCertDnsProvider     *self,
                                                  const char           *fqdn,
                                                  const char           *value,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean gcert_dns_provider_remove_record_finish (GCertDnsProvider     *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
