/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A line of progress for the user ("waiting for TXT … at 2 of 3 servers, 12 s") */
typedef void (*GCertProgressFunc) (const char *message,
                                   gpointer    user_data);

/* Asks @server ("HOST", "HOST:PORT", "[V6]:PORT"; default port 53) directly,
 * with recursion off (or, when NULL, the system's resolver with recursion), over UDP with TCP fallback on truncation. No record
 * (NXDOMAIN, NODATA) is an empty array, not an error. */
void     gcert_dns_query_txt_async           (const char           *server,
                                              const char           *fqdn,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GStrv    gcert_dns_query_txt_finish          (GAsyncResult         *result,
                                              GError              **error);

/* The CNAME chain that starts at @fqdn, asked of @server ("HOST:PORT") or,
 * when NULL, the system's resolver: the names it leads through, in order,
 * lowercase with trailing dots; empty when @fqdn is no alias (NXDOMAIN
 * included). At most 8 hops; a loop is an error. */
void     gcert_dns_resolve_cname_async       (const char           *fqdn,
                                              const char           *server,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GStrv    gcert_dns_resolve_cname_finish      (GAsyncResult         *result,
                                              GError              **error);

/* The authoritative servers of the zone @fqdn is in, found from the DNS
 * (SOA/NS through the system's resolver), as "ADDRESS:53" strings. */
void     gcert_dns_find_authoritative_async  (const char           *fqdn,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GStrv    gcert_dns_find_authoritative_finish (GAsyncResult         *result,
                                              GError              **error);

/* Polls until every server (or, when @servers is NULL, every authoritative
 * server of the zone) serves @value at @fqdn, with a short, growing interval;
 * returns as soon as they all do. When none of the authoritative servers
 * answers at all (outbound port 53 blocked), falls back to the system's
 * resolver and says so through @progress. After @timeout_seconds fails with
 * GCERT_ERROR_TIMED_OUT naming the name and the servers still lacking it. */
void     gcert_dns_wait_for_txt_async        (const char           *fqdn,
                                              const char           *value,
                                              const char * const   *servers,
                                              guint                 timeout_seconds,
                                              GCertProgressFunc     progress,
                                              gpointer              progress_data,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean gcert_dns_wait_for_txt_finish       (GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
