/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"
#include "gcert-test-bus.h"

G_BEGIN_DECLS

/* A stand-in for systemd's manager on a private dbus-daemon: owns
 * org.freedesktop.systemd1 and implements the Subscribe, Unsubscribe,
 * ReloadUnit, RestartUnit, ReloadOrRestartUnit and TryRestartUnit methods of
 * org.freedesktop.systemd1.Manager at /org/freedesktop/systemd1 with their
 * real signatures. Each unit call returns a job path and, once the client
 * has called Subscribe, emits JobRemoved (u id, o job, s unit, s result).
 * Unknown units fail with org.freedesktop.systemd1.NoSuchUnit "Unit X not
 * found.". It answers from a thread of its own. */

typedef struct _GCertTestSystemdService GCertTestSystemdService;

typedef struct {
  char                    *tmpdir;
  char                    *address;   /* for DBUS_SYSTEM_BUS_ADDRESS */
  /* private */
  GCertTestBus            *bus;
  GCertTestSystemdService *service;
} GCertTestSystemd;

/* Starts dbus-daemon (a session-like configuration in a temporary
 * directory, listening on a unix socket there) and the fake manager;
 * returns once the name is owned. The daemon gets SIGTERM if the thread
 * that started it exits. */
GCertTestSystemd *gcert_test_systemd_start       (GError           **error);
/* The same, listening on @socket_path (removed first if it exists), so that
 * a test program can point DBUS_SYSTEM_BUS_ADDRESS at it once, before it
 * starts any thread. */
GCertTestSystemd *gcert_test_systemd_start_at    (const char        *socket_path,
                                                  GError           **error);
void              gcert_test_systemd_stop        (GCertTestSystemd  *fake);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestSystemd, gcert_test_systemd_stop)

/* Makes @unit known; every job on it ends with @result ("done", "failed",
 * "canceled", "timeout", "dependency", "skipped"), or never ends when
 * @result is NULL. */
void              gcert_test_systemd_add_unit    (GCertTestSystemd  *fake,
                                                  const char        *unit,
                                                  const char        *result);
/* Calls on @unit fail with org.freedesktop.DBus.Error.AccessDenied, as
 * for a caller polkit does not allow. */
void              gcert_test_systemd_deny_unit   (GCertTestSystemd  *fake,
                                                  const char        *unit);
/* The calls received so far, oldest first: "Subscribe",
 * "ReloadUnit nginx.service replace", … */
GStrv             gcert_test_systemd_get_calls   (GCertTestSystemd  *fake);

G_END_DECLS
