/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-acme-client.h"
#include "gcert-dns.h"
#include "gcert-dns-router.h"
#include "gcert-store.h"

G_BEGIN_DECLS

/* How far an issuance has come, from 0.0 to 1.0 and never back, reported
 * as its steps end: the order created (0.15), the TXT records written
 * (0.3), each record seen on every nameserver (up to 0.5), the names
 * validated (0.7), the order finalized (0.85), the certificate downloaded
 * (1.0). An order resumed after finalize starts at 0.85; authorizations
 * the CA reuses skip to 0.7. */
typedef void (*GCertIssueStepFunc) (double   fraction,
                                    gpointer user_data);

/**
 * GCertIssueParams:
 *
 * What one issuance needs: an ACME client with its account set up, the
 * router that picks the DNS provider writing each TXT record (the
 * certificate's own @dns, unless a CNAME or @challenge_alias leads into a
 * zone another `[dns]` group serves), the names and key type, and where to
 * check propagation. With @store and @name set, the order being
 * finalized is kept in the store so that a run killed after finalize picks
 * up the issued certificate instead of ordering again.
 */
typedef struct {
  GCertAcmeClient     *client;
  GCertDnsRouter      *router;
  const char          *dns;                  /* the certificate's [dns] group */
  const char          *challenge_alias;      /* nullable */
  const char * const  *domains;
  GCertKeyType         key_type;
  const char * const  *resolvers;            /* nullable: authoritative */
  guint                propagation_timeout;  /* seconds */
  guint                validation_timeout;   /* seconds; 0: 300 */
  GCertStore          *store;                /* nullable */
  const char          *name;                 /* nullable */
  GCertProgressFunc    progress;
  gpointer             progress_data;        /* also for @step */
  GCertIssueStepFunc   step;                 /* nullable */
} GCertIssueParams;

void     gcert_issue_async  (const GCertIssueParams *params,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data);
/* Returns the new key (PKCS#8 PEM) and the chain (leaf first), which has
 * been checked to parse, to match the key and to carry exactly the names. */
gboolean gcert_issue_finish (GAsyncResult           *result,
                             char                  **out_key_pem,
                             char                  **out_chain_pem,
                             GError                **error);

G_END_DECLS
