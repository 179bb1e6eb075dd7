/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-config.h"
#include "gcert-dns.h"
#include "gcert-dns-router.h"

G_BEGIN_DECLS

/**
 * GCertDnsCheck:
 * @certificate: the certificate's name
 * @domain: the identifier checked (a wildcard's base: one check covers both)
 * @route: where its challenge record goes and through which `[dns]` group
 * @servers: where propagation is checked: the authoritative servers of the
 *   record's zone, or the configured resolvers
 * @silent: those of @servers that gave no answer at all
 * @problems: what stops issuance, each with how to fix it
 * @notes: what is worth knowing but works
 * @write_seconds: with a write test, how long until every server served
 *   the test record; -1 otherwise
 *
 * The outcome of checking one challenge name of a certificate.
 */
typedef struct {
  char                *certificate;
  char                *domain;
  GCertChallengeRoute *route;
  GStrv                servers;
  GStrv                silent;
  GPtrArray           *problems;   /* char* */
  GPtrArray           *notes;      /* char* */
  double               write_seconds;
} GCertDnsCheck;

void gcert_dns_check_free (GCertDnsCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertDnsCheck, gcert_dns_check_free)

/* Checks, for each distinct challenge name of @certificates
 * (GCertCertificateConfig*): the CNAME and challenge alias, that the
 * provider can be set up, that the servers that will be asked for
 * propagation answer, and with @write that a test TXT record created
 * through the provider reaches every one of them (it is removed again).
 * Returns GCertDnsCheck* in order; fails only when cancelled. */
void       gcert_dns_check_async  (GCertDnsRouter      *router,
                                   GCertConfig         *config,
                                   GPtrArray           *certificates,
                                   gboolean             write,
                                   GCertProgressFunc    progress,
                                   gpointer             progress_data,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
GPtrArray *gcert_dns_check_finish (GAsyncResult        *result,
                                   GError             **error);

G_END_DECLS
