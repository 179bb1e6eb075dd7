/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GCERT_ACTION_RENEW  "org.gcert.Gcert1.renew"
#define GCERT_ACTION_ISSUE  "org.gcert.Gcert1.issue"
#define GCERT_ACTION_REVOKE "org.gcert.Gcert1.revoke"

/* Whether the caller of @invocation may do @action_id. Root is always
 * allowed; everybody else is asked about at polkit's authority (found on
 * the connection of @invocation), which may ask the user for a password
 * when the caller allowed interactive authorization. The check fails
 * closed with G_DBUS_ERROR_ACCESS_DENIED: refused, authority missing, or no
 * answer within @timeout_seconds. */
void     gcert_authority_check_async  (GDBusMethodInvocation  *invocation,
                                       const char             *action_id,
                                       guint                   timeout_seconds,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data);
gboolean gcert_authority_check_finish (GAsyncResult           *result,
                                       GError                **error);

G_END_DECLS
