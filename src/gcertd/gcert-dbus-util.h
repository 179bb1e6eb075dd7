/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "gcert.h"

G_BEGIN_DECLS

#define GCERT_DBUS_NAME          "org.gcert.Gcert1"
#define GCERT_DBUS_PATH          "/org/gcert/Gcert1"
#define GCERT_DBUS_JOB_PATH      "/org/gcert/Gcert1/job"
#define GCERT_DBUS_MANAGER_IFACE "org.gcert.Gcert1.Manager"
#define GCERT_DBUS_JOB_IFACE     "org.gcert.Gcert1.Job"

/* A JSON object as a{sv}: strings s, integers x, booleans b, doubles d,
 * arrays of strings as, other arrays av, objects a{sv}; null members are
 * left out. */
GVariant  *gcert_dbus_json_to_vardict      (JsonNode   *object);
/* The reverse, for any of those types (unsigned and 32-bit integers become
 * JSON integers). */
JsonNode  *gcert_dbus_variant_to_json      (GVariant   *value);

/* GCertRenewResult array <-> aa{sv} (the Job's Results property) */
GVariant  *gcert_dbus_results_to_variant   (GPtrArray  *results);
GPtrArray *gcert_dbus_results_from_variant (GVariant   *value);

/* The exit status gcertctl gives for a run's results: 0 all succeeded, 3
 * some failed, otherwise the most telling status of the failures. */
int        gcert_renew_results_exit_status (GPtrArray  *results);

G_END_DECLS
