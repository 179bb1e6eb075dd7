/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

typedef struct {
  char         *config_path;
  gboolean      verbose;
  gboolean      quiet;
  gboolean      json;
  gboolean      system_bus;   /* --system: through gcertd on the system bus */
  gboolean      session_bus;  /* --session: through gcertd on the session bus */
  GMainLoop    *loop;
  GCancellable *cancellable;
  GPtrArray    *results;
  GError       *error;
  gint64        started;
} Ctl;

/* output shared by the in-process and the service paths */
void print_error     (Ctl          *ctl,
                      const GError *error);
void print_json      (JsonNode     *root);
void print_progress  (Ctl          *ctl,
                      const char   *line);
/* @requests: ACME requests sent, G_MAXUINT when not known */
int  report_results  (Ctl          *ctl,
                      GPtrArray    *results,
                      guint         requests);
int  report_revoked  (Ctl          *ctl,
                      GPtrArray    *results);
int  print_list      (Ctl          *ctl,
                      GPtrArray    *rows);
int  print_show      (Ctl          *ctl,
                      JsonNode     *root);

/* gcertctl-remote.c: the same commands through org.gcert.Gcert1 */
gboolean remote_wanted (Ctl                *ctl);
int      remote_list   (Ctl                *ctl);
int      remote_show   (Ctl                *ctl,
                        const char         *name);
/* @name: NULL for every certificate that is due */
int      remote_renew  (Ctl                *ctl,
                        const char * const *names,
                        GCertRenewFlags     flags,
                        guint               jobs);
int      remote_revoke (Ctl                *ctl,
                        const char         *name,
                        guint               reason);
int      remote_issue  (Ctl                *ctl,
                        const char * const *domains,
                        const char         *dns,
                        const char         *key_type,
                        const char         *name,
                        gboolean            force);

G_END_DECLS
