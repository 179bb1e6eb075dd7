/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-deployer.h"
#include "gcert-dns-provider.h"

G_BEGIN_DECLS

/* Registers the extension points and loads the modules (once per process):
 * the installed plugin directory, unless GCERT_PLUGIN_DIR is set, which is a
 * ':'-separated list of directories scanned instead (GCERT_PLUGINDIR is an
 * alias). Thread-safe. */
void              gcert_plugins_init             (void);
/* sorted plugin names, e.g. {"challtestsrv", "exec"} */
GStrv             gcert_plugins_list_dns         (void);
/* Reads the group's `plugin` key, instantiates that provider and calls its
 * setup; errors name file, line, group and key. */
G_GNUC_WARN_UNUSED_RESULT
GCertDnsProvider *gcert_plugins_new_dns_provider (GCertSettings  *settings,
                                                  GError        **error);

/* sorted deployer plugin names, e.g. {"exec", "local", "ssh", "systemd"} */
GStrv             gcert_plugins_list_deployers   (void);
/* The same for a `[deploy NAME]` group. */
G_GNUC_WARN_UNUSED_RESULT
GCertDeployer    *gcert_plugins_new_deployer     (GCertSettings  *settings,
                                                  GError        **error);

G_END_DECLS
