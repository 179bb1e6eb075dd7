/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of the manager (gcert-manager.c, gcert-manager-revoke.c)
 * share; not installed. */

#include "gcert-acme-client.h"
#include "gcert-dns-router.h"
#include "gcert-manager.h"

G_BEGIN_DECLS

struct _GCertManager
{
  GObject          parent_instance;

  GCertConfig     *config;
  GCertStore      *store;
  GCertAcmeClient *client;
  GCertDnsRouter  *router;
  gboolean         account_ready;
  GPtrArray       *account_waiters;  /* GTask */
  gboolean         verbose;
  guint            request_timeout;
  guint            jobs;
  GHashTable      *deployers;        /* target → GCertDeployer */
};

/* Each of a run's @total parts (certificates) counts from 0.0 to 1.0;
 * "run-progress" gets the percentage of the sum, only when it grew, and 100
 * only once the run ends. */
typedef struct {
  GCertManager *manager;
  guint         total;
  double        done;
  guint         percent;
  gboolean      started;
  gboolean      ended;
} GCertRunProgress;

void     gcert_run_progress_start            (GCertRunProgress     *progress,
                                              GCertManager         *manager,
                                              guint                 total);
/* one part went on by @delta (of its 1.0) */
void     gcert_run_progress_add              (GCertRunProgress     *progress,
                                              double                delta);
void     gcert_run_progress_end              (GCertRunProgress     *progress);

/* "progress" and the journal */
void     gcert_manager_emit_progress         (GCertManager         *self,
                                              const char           *name,
                                              const char           *message);

/* The account of the configuration's CA, loaded or registered once and
 * shared by the callers that wait for it. */
void     gcert_manager_ensure_account_async  (GCertManager         *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean gcert_manager_ensure_account_finish (GCertManager         *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
