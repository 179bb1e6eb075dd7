/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-certificate.h"
#include "gcert-key.h"

G_BEGIN_DECLS

typedef struct {
  GDateTime *last_attempt;   /* nullable */
  gboolean   success;
  char      *error;          /* nullable: the last error's text */
  GDateTime *not_after;      /* nullable: of the live certificate */
  GDateTime *next_due;       /* nullable */
  guint      version;        /* live version, 0 = none */
  char      *ca;             /* nullable: directory URL of the live version */
  guint      failures;       /* consecutive failed attempts */
} GCertRunRecord;

GCertRunRecord *gcert_run_record_new  (void);
void            gcert_run_record_free (GCertRunRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertRunRecord, gcert_run_record_free)

typedef struct _GCertStoreLock GCertStoreLock;
void gcert_store_lock_free (GCertStoreLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertStoreLock, gcert_store_lock_free)

/**
 * GCertStore:
 *
 * Layout under the state directory (all directories 0700):
 *   accounts/CA_ID/account.key        0600
 *   accounts/CA_ID/account.json       {"url": …, "directory": …}
 *   certificates/NAME/versions/N/     privkey.pem 0600, cert.pem, chain.pem,
 *                                     fullchain.pem 0644
 *   certificates/NAME/run.json        the run record
 *   certificates/NAME/pending.json    an order being finalized (resume)
 *   certificates/NAME/pending.key     its key, 0600
 *   certificates/NAME/records.json    TXT records created and not yet
 *                                     removed (cleaned up by the next run)
 *   certificates/NAME/deploy.json     the last deployment to each target
 *   certificates/NAME/revoked.json    the versions the CA revoked
 *   certificates/NAME/lock            flock(2) target
 *   live/NAME -> ../certificates/NAME/versions/N   (symlink, swapped
 *                                     atomically with rename(2))
 */
#define GCERT_TYPE_STORE (gcert_store_get_type ())
G_DECLARE_FINAL_TYPE (GCertStore, gcert_store, GCERT, STORE, GObject)

G_GNUC_WARN_UNUSED_RESULT
GCertStore *gcert_store_new      (const char  *path,
                                  GError     **error);
const char *gcert_store_get_path (GCertStore  *self);

/* accounts */
gboolean    gcert_store_load_account      (GCertStore   *self,
                                           const char   *ca_id,
                                           GCertKey    **out_key,
                                           char        **out_url,
                                           GError      **error);
gboolean    gcert_store_save_account      (GCertStore   *self,
                                           const char   *ca_id,
                                           GCertKey     *key,
                                           const char   *url,
                                           const char   *directory_url,
                                           GError      **error);

/* locking: a GCERT_ERROR_LOCKED error "certificate NAME is locked by PID N"
 * when another process holds it and @wait is FALSE */
GCertStoreLock *gcert_store_lock          (GCertStore   *self,
                                           const char   *name,
                                           gboolean      wait,
                                           GError      **error);

/* versions: writes a new version directory and then swaps live/NAME to it.
 * @fullchain_pem is the leaf followed by its issuers. Returns the version
 * number, 0 on error (the live view is then unchanged). */
guint       gcert_store_add_version       (GCertStore   *self,
                                           const char   *name,
                                           const char   *key_pem,
                                           const char   *fullchain_pem,
                                           GError      **error);
/* path of live/NAME (may not exist) */
char       *gcert_store_get_live_dir      (GCertStore   *self,
                                           const char   *name);
/* the live certificate (GCERT_ERROR_NOT_FOUND when none) */
GCertCertificate *gcert_store_load_live   (GCertStore   *self,
                                           const char   *name,
                                           GError      **error);
guint       gcert_store_get_live_version  (GCertStore   *self,
                                           const char   *name);
/* names with a live version or a run record, sorted */
GStrv       gcert_store_list_certificates (GCertStore   *self);

/* the order being finalized, so that a run killed after finalize resumes */
gboolean    gcert_store_save_pending      (GCertStore   *self,
                                           const char   *name,
                                           const char   *order_url,
                                           GCertKey     *key,
                                           GError      **error);
gboolean    gcert_store_load_pending      (GCertStore   *self,
                                           const char   *name,
                                           char        **out_order_url,
                                           GCertKey    **out_key,
                                           GError      **error);
gboolean    gcert_store_clear_pending     (GCertStore   *self,
                                           const char   *name,
                                           GError      **error);

/* The journal of challenge TXT records: @records is a flat list of
 * DNS, FQDN, VALUE triples (the [dns] group that wrote the record, its
 * name and value; NULL-terminated); an empty list removes the journal.
 * Written before the records are created, so that a run killed while they
 * exist lets the next run remove them. */
gboolean    gcert_store_set_records       (GCertStore          *self,
                                           const char          *name,
                                           const char * const  *records,
                                           GError             **error);
/* the journal as written; an empty list when there is none */
GStrv       gcert_store_get_records       (GCertStore          *self,
                                           const char          *name,
                                           GError             **error);

/* run records (GCERT_ERROR_NOT_FOUND when none) */
gboolean        gcert_store_save_run_record (GCertStore           *self,
                                             const char           *name,
                                             const GCertRunRecord *record,
                                             GError              **error);
GCertRunRecord *gcert_store_load_run_record (GCertStore           *self,
                                             const char           *name,
                                             GError              **error);

/* Revocations: that the CA revoked version @version of @name at @time with
 * the CRL reason code @reason. The live files stay as they are; a new
 * version is not revoked. */
gboolean        gcert_store_set_revoked     (GCertStore           *self,
                                             const char           *name,
                                             guint                 version,
                                             guint                 reason,
                                             GDateTime            *time,
                                             GError              **error);
/* TRUE when @version of @name is recorded revoked, with its time and
 * reason (both optional); GCERT_ERROR_NOT_FOUND when it is not */
gboolean        gcert_store_get_revoked     (GCertStore           *self,
                                             const char           *name,
                                             guint                 version,
                                             GDateTime           **out_time,
                                             guint                *out_reason,
                                             GError              **error);

/* The last deployment of a certificate to one [deploy] target. */
typedef struct {
  char      *target;
  guint      version;   /* the version it was about */
  gboolean   success;
  char      *error;     /* nullable */
  GDateTime *time;      /* nullable */
} GCertDeployRecord;

void gcert_deploy_record_free (GCertDeployRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertDeployRecord, gcert_deploy_record_free)

/* certificates/NAME/deploy.json: target → GCertDeployRecord (owned by the
 * table); an empty table when nothing was deployed yet */
GHashTable     *gcert_store_load_deploy_records (GCertStore               *self,
                                                 const char               *name,
                                                 GError                  **error);
/* replaces the record of @record->target; the others stay */
gboolean        gcert_store_save_deploy_record  (GCertStore               *self,
                                                 const char               *name,
                                                 const GCertDeployRecord  *record,
                                                 GError                  **error);
/* certificates/NAME/versions/N, which never changes once written */
char           *gcert_store_get_version_dir     (GCertStore               *self,
                                                 const char               *name,
                                                 guint                     version);

G_END_DECLS
