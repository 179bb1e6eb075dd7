/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-config.h"
#include "gcert-dns-provider.h"

G_BEGIN_DECLS

/**
 * GCertChallengeRouteStatus:
 * @GCERT_CHALLENGE_ROUTE_OK: the challenge name leads where it should
 * @GCERT_CHALLENGE_ROUTE_ALIAS_MISSING: a challenge alias is configured but
 *   the challenge name is no CNAME
 * @GCERT_CHALLENGE_ROUTE_ALIAS_ELSEWHERE: a challenge alias is configured
 *   but the challenge name's CNAME leads elsewhere
 * @GCERT_CHALLENGE_ROUTE_UNKNOWN: the DNS could not be asked; the route
 *   assumes no CNAME (or the configured alias)
 */
typedef enum {
  GCERT_CHALLENGE_ROUTE_OK,
  GCERT_CHALLENGE_ROUTE_ALIAS_MISSING,
  GCERT_CHALLENGE_ROUTE_ALIAS_ELSEWHERE,
  GCERT_CHALLENGE_ROUTE_UNKNOWN,
} GCertChallengeRouteStatus;

/**
 * GCertChallengeRoute:
 * @domain: the identifier, without a wildcard label
 * @name: "_acme-challenge.DOMAIN."
 * @fqdn: where the TXT record is written: @name, where its CNAME chain
 *   ends, or "_acme-challenge.ALIAS." with a challenge alias
 * @dns: the `[dns]` group that writes it: the one whose `zones` hold
 *   @fqdn, else the certificate's own
 * @chain: the CNAMEs found at @name, in order
 * @status: see #GCertChallengeRouteStatus
 * @problem: (nullable): what is wrong and how to fix it
 */
typedef struct {
  char                      *domain;
  char                      *name;
  char                      *fqdn;
  char                      *dns;
  GStrv                      chain;
  GCertChallengeRouteStatus  status;
  char                      *problem;
} GCertChallengeRoute;

void gcert_challenge_route_free (GCertChallengeRoute *route);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertChallengeRoute, gcert_challenge_route_free)

/**
 * GCertDnsRouter:
 *
 * Decides which DNS provider writes each challenge record, following the
 * CNAME at `_acme-challenge` names and the configured challenge aliases,
 * and keeps one provider per `[dns]` group.
 */
#define GCERT_TYPE_DNS_ROUTER (gcert_dns_router_get_type ())
G_DECLARE_FINAL_TYPE (GCertDnsRouter, gcert_dns_router, GCERT, DNS_ROUTER, GObject)

GCertDnsRouter   *gcert_dns_router_new          (GCertConfig          *config);
/* (transfer none) the provider of the [dns @dns] group, set up on first use */
GCertDnsProvider *gcert_dns_router_get_provider (GCertDnsRouter       *self,
                                                 const char           *dns,
                                                 GError              **error);
/* Where the challenge TXT record of @domain ("example.com" or
 * "*.example.com") goes, for a certificate using [dns @dns] and, when not
 * NULL, the challenge alias @alias. CNAMEs are looked up through the first
 * configured resolver, else the system's. Fails only on bad arguments or
 * cancellation: a failed lookup gives GCERT_CHALLENGE_ROUTE_UNKNOWN. */
void              gcert_dns_router_route_async  (GCertDnsRouter       *self,
                                                 const char           *domain,
                                                 const char           *dns,
                                                 const char           *alias,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GCertChallengeRoute *gcert_dns_router_route_finish (GCertDnsRouter    *self,
                                                    GAsyncResult      *result,
                                                    GError           **error);

G_END_DECLS
