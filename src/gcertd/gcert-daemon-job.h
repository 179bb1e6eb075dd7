/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/**
 * GCertDaemonJob:
 *
 * One org.gcert.Gcert1.Job object: runs a renewal, an issuance or a
 * revocation through its own GCertManager, publishes its progress and
 * result as properties, and ends with the Finished signal. It does not
 * watch its caller: a job goes on to the end when the caller leaves.
 * GObject signal "finished" fires once the job has ended.
 */
#define GCERT_TYPE_DAEMON_JOB (gcert_daemon_job_get_type ())
G_DECLARE_FINAL_TYPE (GCertDaemonJob, gcert_daemon_job, GCERT, DAEMON_JOB, GObject)

/* @kind: "renew", "renew-due", "issue" or "revoke"; @owner: the unique bus
 * name of the caller, the only one that may cancel it */
GCertDaemonJob *gcert_daemon_job_new          (const char          *kind,
                                               const char          *owner,
                                               GCertManager        *manager);
gboolean        gcert_daemon_job_export       (GCertDaemonJob      *self,
                                               GDBusConnection     *connection,
                                               const char          *object_path,
                                               GError             **error);
void            gcert_daemon_job_unexport     (GCertDaemonJob      *self);
const char     *gcert_daemon_job_get_path     (GCertDaemonJob      *self);
gboolean        gcert_daemon_job_is_running   (GCertDaemonJob      *self);
/* Cancels a running job: it removes its TXT records and ends failed. */
void            gcert_daemon_job_cancel       (GCertDaemonJob      *self);

/* Starts the work; the job must be exported. */
void            gcert_daemon_job_start_renew  (GCertDaemonJob      *self,
                                               const char * const  *names,
                                               GCertRenewFlags      flags);
void            gcert_daemon_job_start_revoke (GCertDaemonJob      *self,
                                               const char          *name,
                                               guint                reason);

G_END_DECLS
