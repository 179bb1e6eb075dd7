/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "gcert-config.h"
#include "gcert-store.h"

G_BEGIN_DECLS

typedef enum {
  GCERT_RENEW_FLAGS_NONE = 0,
  GCERT_RENEW_FORCE      = 1 << 0,  /* renew even when not due */
  GCERT_RENEW_WAIT_LOCK  = 1 << 1,  /* wait for another run's lock */
  GCERT_RENEW_DEPLOY_ONLY = 1 << 2, /* no issuance: deploy the live version to every target */
} GCertRenewFlags;

typedef struct {
  char      *name;
  gboolean   attempted;   /* FALSE: not due, nothing done */
  gboolean   success;
  char      *reason;      /* why it was (not) due */
  GError    *error;       /* nullable */
  guint      version;     /* the live version afterwards */
  GDateTime *not_after;   /* nullable */
  gboolean   deploy_attempted;
  GStrv      deployed;    /* nullable: the targets deployed to in this run */
  GError    *deploy_error; /* nullable: what failed; retried on the next run */
} GCertRenewResult;

void gcert_renew_result_free (GCertRenewResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertRenewResult, gcert_renew_result_free)

/**
 * GCertManager:
 *
 * Turns the configuration into work: decides what is due, issues it through
 * the ACME client and the DNS plugins, stores the result and records every
 * run. Signals:
 *  - "progress" (const char *name, const char *message): what is being done
 *    or waited for
 *  - "certificate-renewed" (const char *name, guint version)
 *  - "run-progress" (guint percent): how far the current renew or revoke
 *    run has come, 0 to 100. A run emits 0 when it starts, then only
 *    larger values, and 100 once, when it ends (whatever its outcome),
 *    just before its callback. Each certificate of the run counts
 *    equally: one that is not due counts as done when that is decided;
 *    in an issuance the steps advance it (order created, TXT records
 *    written, propagation seen, validated, finalized, stored, deployed).
 *    Runs of one manager at the same time share the signal: use one
 *    manager per run to follow each.
 */
#define GCERT_TYPE_MANAGER (gcert_manager_get_type ())
G_DECLARE_FINAL_TYPE (GCertManager, gcert_manager, GCERT, MANAGER, GObject)

G_GNUC_WARN_UNUSED_RESULT
GCertManager *gcert_manager_new          (GCertConfig   *config,
                                          GError       **error);
GCertConfig  *gcert_manager_get_config   (GCertManager  *self);
GCertStore   *gcert_manager_get_store    (GCertManager  *self);
void          gcert_manager_set_verbose  (GCertManager  *self,
                                          gboolean       verbose);
/* seconds of silence before an ACME request is retried (default 30) */
void          gcert_manager_set_request_timeout (GCertManager *self,
                                                 guint         seconds);
/* how many certificates are worked on at once (default: the config's jobs) */
void          gcert_manager_set_jobs     (GCertManager  *self,
                                          guint          jobs);
/* total ACME requests sent so far, retries included */
guint         gcert_manager_get_request_count (GCertManager *self);

/* Renews the named certificates of the config (all when @names is NULL)
 * that are due (or all of them with GCERT_RENEW_FORCE). Fails only when the
 * whole run cannot start (bad names, store unusable); each certificate's
 * outcome is in the returned array of GCertRenewResult. */
void       gcert_manager_renew_async   (GCertManager        *self,
                                        const char * const  *names,
                                        GCertRenewFlags      flags,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GPtrArray *gcert_manager_renew_finish  (GCertManager        *self,
                                        GAsyncResult        *result,
                                        GError             **error);

/* The names of the configuration's certificates, in its order, then
 * those only the store knows (issued by name, or dropped from the
 * configuration). */
GStrv      gcert_manager_list_names    (GCertManager        *self);

/* The state of one certificate as a JSON object: name, domains, dns,
 * key-type, status ("valid", "due", "missing", "failed", "expired",
 * "revoked"), not-before, not-after, days-left, serial, issuer, next-due,
 * revoked (ISO 8601 time the live version was revoked, or null),
 * revocation-reason (its CRL reason code, or null), version, live-dir,
 * files, last-attempt, last-result, last-error, failures, deploy. A
 * revoked live version is "revoked" (before "failed") and due now. */
JsonNode  *gcert_manager_describe      (GCertManager        *self,
                                        const char          *name,
                                        GError             **error);

/* The CRL reason codes (RFC 5280) a revocation may give: 0 unspecified,
 * 1 keyCompromise, 3 affiliationChanged, 4 superseded, 5
 * cessationOfOperation, the ones ACME CAs accept from a subscriber. */
/* the name of @reason ("superseded"), NULL when it is not one of those */
const char *gcert_revocation_reason_to_string   (guint         reason);
/* a name (any case) or a number of those; else GCERT_ERROR_CONFIG
 * "unsupported revocation reason TEXT (…)" */
gboolean    gcert_revocation_reason_from_string (const char   *text,
                                                 guint        *out_reason,
                                                 GError      **error);

/* Asks the CA of the configuration to revoke the live version of @name
 * (RFC 8555 §7.6) with the CRL reason code @reason, signed with the
 * account of that CA (found or created as for renewals), holding the
 * certificate's lock. The files stay in place; the store records the
 * revocation, so gcert_manager_describe() says "revoked" and the next
 * renewal replaces it (reason "revoked"). Emits "progress" and
 * "run-progress".
 *
 * Errors: GCERT_ERROR_CONFIG for an unsupported @reason ("unsupported
 * revocation reason N …") or a name neither configured nor in the store
 * (as renewals say); GCERT_ERROR_NOT_FOUND "certificate NAME has no live
 * version"; GCERT_ERROR_LOCKED when a renewal holds it; the CA's problem
 * (GCERT_ACME_ERROR) otherwise. None of them changes the store. A
 * certificate the CA had already revoked counts as success and is
 * recorded as revoked. */
void       gcert_manager_revoke_async  (GCertManager        *self,
                                        const char          *name,
                                        guint                reason,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean   gcert_manager_revoke_finish (GCertManager        *self,
                                        GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
