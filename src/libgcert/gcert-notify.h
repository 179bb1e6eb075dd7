/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-config.h"

G_BEGIN_DECLS

/* The summary of a batch run for the admin, or NULL when there is nothing
 * to tell: failures (issuance or deployment), certificates within the
 * config's warn-before of expiry that were not renewed, and, with
 * notify-on-success, renewals. @results holds GCertRenewResult*.
 * @out_event: "failure", "expiring" or "success", the gravest one. */
char    *gcert_notify_summarize    (GCertConfig          *config,
                                    GPtrArray            *results,
                                    const char          **out_event,
                                    char                **out_subject);

/* Hands @summary to the config's notify program (on its stdin, with
 * GCERT_NOTIFY_EVENT and GCERT_NOTIFY_SUBJECT in its environment) and mails
 * it through sendmail to notify-mail; each is bounded by a timeout. */
void     gcert_notify_send_async   (GCertConfig          *config,
                                    const char           *event,
                                    const char           *subject,
                                    const char           *summary,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean gcert_notify_send_finish  (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
