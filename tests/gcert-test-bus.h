/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A private dbus-daemon for tests: listens on a unix socket in a
 * temporary directory that every user may reach, admits every user,
 * lets root own any name and others none but the rules of the included
 * policy files, and activates services from its own service directory. */
typedef struct {
  char  *tmpdir;
  char  *address;       /* unix:path=… */
  char  *service_dir;
  char  *log_path;      /* what dbus-daemon and the services it starts print */
  /* private */
  GPid   daemon_pid;
  GPid   polkit_pid;
} GCertTestBus;

typedef struct {
  const char         *socket_path;  /* nullable: "bus" in the temporary directory */
  const char * const *policies;     /* nullable: bus policy files to <include> */
  /* nullable: NAME, COMMAND LINE pairs written as activation files */
  const char * const *services;
  /* nullable: the environment of dbus-daemon, and so of the services it
   * starts (the test's own when NULL) */
  const char * const *envp;
} GCertTestBusOptions;

GCertTestBus *gcert_test_bus_start        (const GCertTestBusOptions *options,
                                           GError                   **error);
void          gcert_test_bus_stop         (GCertTestBus              *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestBus, gcert_test_bus_stop)

/* A connection of the test's own to the bus. */
GDBusConnection *gcert_test_bus_connect   (GCertTestBus              *bus,
                                           GError                   **error);
/* Whether @name has an owner now. */
gboolean      gcert_test_bus_name_has_owner (GDBusConnection         *connection,
                                             const char              *name);
/* The PID of @name's owner, 0 when it has none. */
guint32       gcert_test_bus_get_pid      (GDBusConnection           *connection,
                                           const char                *name);

/* The properties of the gcertd job at @path (org.gcert.Gcert1.Job), as
 * a{sv}; asserts that they can be read. */
GVariant     *gcert_test_bus_get_job      (GDBusConnection           *connection,
                                           const char                *path);

/* python3-dbusmock's polkitd template as org.freedesktop.PolicyKit1 on
 * the bus; it refuses every action until told otherwise. */
gboolean      gcert_test_bus_start_polkit (GCertTestBus              *bus,
                                           GError                   **error);
void          gcert_test_bus_stop_polkit  (GCertTestBus              *bus);
/* the mock's SetAllowed, SimulateHang */
void          gcert_test_bus_polkit_allow (GCertTestBus              *bus,
                                           const char * const        *actions);
void          gcert_test_bus_polkit_hang  (GCertTestBus              *bus,
                                           gboolean                   hang);

G_END_DECLS
