/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GCertDaemon:
 *
 * Owns org.gcert.Gcert1, exports the Manager object and the jobs, and
 * authorizes calls. Holds no state of its own: every call reads the
 * configuration and the store again. Emits "exit" once it has been idle
 * for the idle timeout, or lost its name.
 */
#define GCERT_TYPE_DAEMON (gcert_daemon_get_type ())
G_DECLARE_FINAL_TYPE (GCertDaemon, gcert_daemon, GCERT, DAEMON, GObject)

typedef struct {
  GBusType    bus_type;         /* G_BUS_TYPE_SYSTEM or G_BUS_TYPE_SESSION */
  const char *config_path;      /* nullable: the default configuration */
  guint       idle_timeout;     /* seconds; 0: never exit */
  guint       polkit_timeout;   /* seconds to wait for polkit's answer */
  gboolean    verbose;
  gboolean    replace;          /* take the name over from another gcertd */
} GCertDaemonOptions;

GCertDaemon *gcert_daemon_new   (const GCertDaemonOptions *options);
/* Owns the name; "exit" (int status) tells when to stop. */
void         gcert_daemon_start (GCertDaemon              *self);
/* Cancels the running jobs (they clean up) and emits "exit" once they
 * have ended. */
void         gcert_daemon_stop  (GCertDaemon              *self);

G_END_DECLS
