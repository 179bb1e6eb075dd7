/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gcert-test-bus.h"
#include "gcert-test-systemd.h"
#include "gcert-test-util.h"

#define SYSTEMD_NAME     "org.freedesktop.systemd1"
#define SYSTEMD_PATH     "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER  "org.freedesktop.systemd1.Manager"
#define START_TIMEOUT_MS 10000

static const char manager_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.systemd1.Manager'>"
  "    <method name='Subscribe'/>"
  "    <method name='Unsubscribe'/>"
  "    <method name='ReloadUnit'>"
  "      <arg type='s' name='name' direction='in'/>"
  "      <arg type='s' name='mode' direction='in'/>"
  "      <arg type='o' name='job' direction='out'/>"
  "    </method>"
  "    <method name='RestartUnit'>"
  "      <arg type='s' name='name' direction='in'/>"
  "      <arg type='s' name='mode' direction='in'/>"
  "      <arg type='o' name='job' direction='out'/>"
  "    </method>"
  "    <method name='ReloadOrRestartUnit'>"
  "      <arg type='s' name='name' direction='in'/>"
  "      <arg type='s' name='mode' direction='in'/>"
  "      <arg type='o' name='job' direction='out'/>"
  "    </method>"
  "    <method name='TryRestartUnit'>"
  "      <arg type='s' name='name' direction='in'/>"
  "      <arg type='s' name='mode' direction='in'/>"
  "      <arg type='o' name='job' direction='out'/>"
  "    </method>"
  "    <signal name='JobRemoved'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='o' name='job'/>"
  "      <arg type='s' name='unit'/>"
  "      <arg type='s' name='result'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

static const char * const job_modes[] = {
  "replace", "fail", "isolate", "ignore-dependencies", "ignore-requirements", "flush",
  "triggering", NULL
};

typedef struct {
  char     *result;   /* NULL: its jobs never end */
  gboolean  denied;
} FakeUnit;

struct _GCertTestSystemdService {
  GMainContext    *context;
  GMainLoop       *loop;
  GThread         *thread;
  GDBusConnection *connection;
  guint            registration;
  GMutex           lock;
  GHashTable      *units;        /* name -> FakeUnit* */
  GPtrArray       *calls;        /* char* */
  guint32          next_job;
  gboolean         subscribed;
};

typedef struct {
  GCertTestSystemdService *service;
  guint32                  id;
  char                    *path;
  char                    *unit;
  char                    *result;
} JobEnd;

static void
fake_unit_free (FakeUnit *unit)
{
  g_free (unit->result);
  g_free (unit);
}

static void
job_end_free (JobEnd *end)
{
  g_free (end->path);
  g_free (end->unit);
  g_free (end->result);
  g_free (end);
}

static gboolean
emit_job_removed_cb (gpointer user_data)
{
  JobEnd *end = user_data;
  g_autoptr(GError) error = NULL;

  /* stopping drains what is still queued */
  if (g_dbus_connection_is_closed (end->service->connection))
    return G_SOURCE_REMOVE;
  if (!g_dbus_connection_emit_signal (end->service->connection, NULL, SYSTEMD_PATH,
                                      SYSTEMD_MANAGER, "JobRemoved",
                                      g_variant_new ("(uoss)", end->id, end->path,
                                                     end->unit, end->result),
                                      &error))
    g_warning ("fake systemd: emitting JobRemoved: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  GCertTestSystemdService *service = user_data;
  const char *unit_name = NULL;
  const char *mode = NULL;
  g_autofree char *result = NULL;
  g_autofree char *path = NULL;
  FakeUnit *unit;
  gboolean known, denied, subscribed;
  guint32 id;

  if (g_strcmp0 (method_name, "Subscribe") == 0 || g_strcmp0 (method_name, "Unsubscribe") == 0)
    {
      g_mutex_lock (&service->lock);
      g_ptr_array_add (service->calls, g_strdup (method_name));
      service->subscribed = g_strcmp0 (method_name, "Subscribe") == 0;
      g_mutex_unlock (&service->lock);
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  /* the four unit methods, all (ss) -> (o) */
  g_variant_get (parameters, "(&s&s)", &unit_name, &mode);

  g_mutex_lock (&service->lock);
  g_ptr_array_add (service->calls, g_strdup_printf ("%s %s %s", method_name, unit_name, mode));
  unit = g_hash_table_lookup (service->units, unit_name);
  known = unit != NULL;
  denied = unit != NULL && unit->denied;
  result = unit != NULL ? g_strdup (unit->result) : NULL;
  subscribed = service->subscribed;
  id = ++service->next_job;
  g_mutex_unlock (&service->lock);

  if (!g_strv_contains (job_modes, mode))
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.InvalidArgs",
                                                  "Job mode invalid");
      return;
    }
  if (!known)
    {
      g_autofree char *message = g_strdup_printf ("Unit %s not found.", unit_name);

      g_dbus_method_invocation_return_dbus_error (invocation, SYSTEMD_NAME ".NoSuchUnit",
                                                  message);
      return;
    }
  if (denied)
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Access denied");
      return;
    }

  path = g_strdup_printf (SYSTEMD_PATH "/job/%u", id);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));

  /* like systemd: the job ends after the reply, and only subscribers hear of it */
  if (result != NULL && subscribed)
    {
      JobEnd *end = g_new0 (JobEnd, 1);
      g_autoptr(GSource) source = g_idle_source_new ();

      end->service = service;
      end->id = id;
      end->path = g_steal_pointer (&path);
      end->unit = g_strdup (unit_name);
      end->result = g_steal_pointer (&result);
      g_source_set_callback (source, emit_job_removed_cb, end, (GDestroyNotify) job_end_free);
      g_source_attach (source, service->context);
    }
}

static const GDBusInterfaceVTable manager_vtable = { method_call_cb, NULL, NULL, { 0 } };

static gpointer
service_thread (gpointer user_data)
{
  GCertTestSystemdService *service = user_data;

  g_main_context_push_thread_default (service->context);
  g_main_loop_run (service->loop);
  g_main_context_pop_thread_default (service->context);
  return NULL;
}

static void
service_free (GCertTestSystemdService *service)
{
  if (service->thread != NULL)
    {
      g_main_loop_quit (service->loop);
      g_thread_join (service->thread);
    }
  if (service->connection != NULL)
    {
      if (service->registration != 0)
        g_dbus_connection_unregister_object (service->connection, service->registration);
      g_dbus_connection_close_sync (service->connection, NULL, NULL);
      g_object_unref (service->connection);
    }
  /* what is still queued (a pending JobRemoved, the last unref of the
   * registration's closure) goes with the context */
  while (g_main_context_iteration (service->context, FALSE))
    ;
  g_main_loop_unref (service->loop);
  g_main_context_unref (service->context);
  g_hash_table_unref (service->units);
  g_ptr_array_unref (service->calls);
  g_mutex_clear (&service->lock);
  g_free (service);
}

static GCertTestSystemdService *
service_start (const char  *address,
               GError     **error)
{
  GCertTestSystemdService *service = g_new0 (GCertTestSystemdService, 1);
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 owned = 0;

  service->context = g_main_context_new ();
  service->loop = g_main_loop_new (service->context, FALSE);
  g_mutex_init (&service->lock);
  service->units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) fake_unit_free);
  service->calls = g_ptr_array_new_with_free_func (g_free);

  info = g_dbus_node_info_new_for_xml (manager_xml, error);
  g_assert_nonnull (info);

  /* method calls are dispatched in the context current at registration */
  g_main_context_push_thread_default (service->context);
  service->connection =
    g_dbus_connection_new_for_address_sync (address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, error);
  if (service->connection != NULL)
    service->registration =
      g_dbus_connection_register_object (service->connection, SYSTEMD_PATH,
                                         info->interfaces[0], &manager_vtable, service,
                                         NULL, error);
  g_main_context_pop_thread_default (service->context);
  if (service->registration == 0)
    {
      service_free (service);
      return NULL;
    }

  /* DBUS_NAME_FLAG_DO_NOT_QUEUE; 1: DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
  reply = g_dbus_connection_call_sync (service->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", SYSTEMD_NAME, 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       START_TIMEOUT_MS, NULL, error);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &owned);
  if (reply == NULL || owned != 1)
    {
      if (reply != NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "cannot own %s (RequestName answered %u)", SYSTEMD_NAME, owned);
      service_free (service);
      return NULL;
    }

  service->thread = g_thread_new ("fake-systemd", service_thread, service);
  return service;
}

GCertTestSystemd *
gcert_test_systemd_start_at (const char  *socket_path,
                             GError     **error)
{
  g_autoptr(GCertTestSystemd) fake = g_new0 (GCertTestSystemd, 1);
  GCertTestBusOptions options = { socket_path, NULL, NULL, NULL };

  fake->bus = gcert_test_bus_start (&options, error);
  if (fake->bus == NULL)
    return NULL;
  fake->tmpdir = g_strdup (fake->bus->tmpdir);
  fake->address = g_strdup (fake->bus->address);
  fake->service = service_start (fake->address, error);
  if (fake->service == NULL)
    return NULL;
  return g_steal_pointer (&fake);
}

GCertTestSystemd *
gcert_test_systemd_start (GError **error)
{
  return gcert_test_systemd_start_at (NULL, error);
}

void
gcert_test_systemd_stop (GCertTestSystemd *fake)
{
  if (fake == NULL)
    return;
  g_clear_pointer (&fake->service, service_free);
  g_clear_pointer (&fake->bus, gcert_test_bus_stop);
  g_free (fake->tmpdir);
  g_free (fake->address);
  g_free (fake);
}

static FakeUnit *
lookup_or_add (GCertTestSystemdService *service,
               const char              *name)
{
  FakeUnit *unit = g_hash_table_lookup (service->units, name);

  if (unit == NULL)
    {
      unit = g_new0 (FakeUnit, 1);
      g_hash_table_insert (service->units, g_strdup (name), unit);
    }
  return unit;
}

void
gcert_test_systemd_add_unit (GCertTestSystemd *fake,
                             const char       *unit,
                             const char       *result)
{
  FakeUnit *entry;

  g_return_if_fail (fake != NULL && fake->service != NULL);
  g_return_if_fail (unit != NULL);

  g_mutex_lock (&fake->service->lock);
  entry = lookup_or_add (fake->service, unit);
  g_free (entry->result);
  entry->result = g_strdup (result);
  g_mutex_unlock (&fake->service->lock);
}

void
gcert_test_systemd_deny_unit (GCertTestSystemd *fake,
                              const char       *unit)
{
  g_return_if_fail (fake != NULL && fake->service != NULL);
  g_return_if_fail (unit != NULL);

  g_mutex_lock (&fake->service->lock);
  lookup_or_add (fake->service, unit)->denied = TRUE;
  g_mutex_unlock (&fake->service->lock);
}

GStrv
gcert_test_systemd_get_calls (GCertTestSystemd *fake)
{
  GStrv calls;

  g_return_val_if_fail (fake != NULL && fake->service != NULL, NULL);

  g_mutex_lock (&fake->service->lock);
  calls = g_new0 (char *, fake->service->calls->len + 1);
  for (guint i = 0; i < fake->service->calls->len; i++)
    calls[i] = g_strdup (g_ptr_array_index (fake->service->calls, i));
  g_mutex_unlock (&fake->service->lock);
  return calls;
}
