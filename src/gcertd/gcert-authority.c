/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "gcert-authority.h"

/* polkit's flag CheckAuthorizationFlags.AllowUserInteraction */
#define POLKIT_ALLOW_USER_INTERACTION 1u
/* how long a user may take to type a password in an agent's dialog */
#define INTERACTIVE_TIMEOUT_SECONDS   120u

typedef struct {
  GDBusMethodInvocation *invocation;
  char                  *action_id;
  guint                  timeout_seconds;
  gboolean               interactive;
} Check;

static void
check_free (Check *check)
{
  g_object_unref (check->invocation);
  g_free (check->action_id);
  g_free (check);
}

static GDBusConnection *
task_connection (GTask *task)
{
  Check *check = g_task_get_task_data (task);

  return g_dbus_method_invocation_get_connection (check->invocation);
}

static void
check_authorization_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean authorized = FALSE, challenge = FALSE;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                 _("polkit's authority (org.freedesktop.PolicyKit1) is not "
                                   "running, so %s cannot be authorized; refusing"),
                                 check->action_id);
      else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
               g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                 _("polkit's authority did not answer about %s within %u s; "
                                   "refusing"),
                                 check->action_id, check->timeout_seconds);
      else
        {
          g_dbus_error_strip_remote_error (error);
          g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                   _("asking polkit about %s failed: %s; refusing"),
                                   check->action_id, error->message);
        }
      return;
    }

  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
  if (authorized)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (challenge && check->interactive)
    g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                             _("%s needs an administrator's password, and no polkit "
                               "authentication agent asked for it (start one, e.g. pkttyagent, "
                               "or call as root)"),
                             check->action_id);
  else if (challenge)
    g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                             _("%s needs authentication: call again allowing interactive "
                               "authorization (as gcertctl does), or as root"),
                             check->action_id);
  else
    g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                             _("not authorized: polkit refused %s to this caller"),
                             check->action_id);
}

static void
get_unix_user_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder details;
  GDBusMessageFlags flags;
  gboolean interactive;
  guint32 uid;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                               _("cannot tell which user the caller is: %s"), error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  if (uid == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  flags = g_dbus_message_get_flags (g_dbus_method_invocation_get_message (check->invocation));
  interactive = (flags & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
  check->interactive = interactive;
  if (interactive)
    check->timeout_seconds = MAX (check->timeout_seconds, INTERACTIVE_TIMEOUT_SECONDS);

  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{ss}"));
  g_dbus_connection_call (task_connection (task),
                          "org.freedesktop.PolicyKit1",
                          "/org/freedesktop/PolicyKit1/Authority",
                          "org.freedesktop.PolicyKit1.Authority",
                          "CheckAuthorization",
                          g_variant_new ("((s@a{sv})sa{ss}us)",
                                         "system-bus-name",
                                         g_variant_new_parsed ("{'name': <%s>}",
                                                               g_dbus_method_invocation_get_sender (check->invocation)),
                                         check->action_id,
                                         &details,
                                         interactive ? POLKIT_ALLOW_USER_INTERACTION : 0u,
                                         ""),
                          G_VARIANT_TYPE ("((bba{ss}))"),
                          G_DBUS_CALL_FLAGS_NONE,
                          (int) (check->timeout_seconds * 1000),
                          g_task_get_cancellable (task),
                          check_authorization_cb,
                          g_object_ref (task));
}

void
gcert_authority_check_async (GDBusMethodInvocation *invocation,
                             const char            *action_id,
                             guint                  timeout_seconds,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;

  g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));
  g_return_if_fail (action_id != NULL);

  task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, gcert_authority_check_async);
  check = g_new0 (Check, 1);
  check->invocation = g_object_ref (invocation);
  check->action_id = g_strdup (action_id);
  check->timeout_seconds = MAX (timeout_seconds, 1u);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  g_dbus_connection_call (task_connection (task),
                          "org.freedesktop.DBus",
                          "/org/freedesktop/DBus",
                          "org.freedesktop.DBus",
                          "GetConnectionUnixUser",
                          g_variant_new ("(s)", g_dbus_method_invocation_get_sender (invocation)),
                          G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE,
                          (int) (check->timeout_seconds * 1000),
                          NULL,
                          get_unix_user_cb,
                          g_object_ref (task));
}

gboolean
gcert_authority_check_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gcert_authority_check_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
