/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A loopback port free for TCP (and, with @udp_too, UDP) right now. */
guint16 gcert_test_find_free_port (gboolean udp_too);

typedef struct {
  int      nonce_reject;   /* percent of good nonces rejected; -1: Pebble's default (5) */
  int      authz_reuse;    /* percent; -1: Pebble's default (50) */
  gboolean strict;         /* -strict */
  /* "HOST:PORT" Pebble's validator asks for DNS-01 TXT records (a real
   * authoritative server); NULL: the challtestsrv started with it */
  const char *dns_server;
} GCertTestPebbleOptions;

#define GCERT_TEST_PEBBLE_OPTIONS_INIT { -1, -1, FALSE, NULL }

typedef struct {
  char   *tmpdir;
  char   *directory_url;     /* https://127.0.0.1:PORT/dir */
  char   *management_url;    /* https://127.0.0.1:PORT (roots, intermediates) */
  char   *ca_certificates;   /* PEM file that signs Pebble's own TLS certificate */
  char   *challtestsrv_url;  /* http://127.0.0.1:PORT (management API) */
  char   *dns_server;        /* "127.0.0.1:PORT": challtestsrv's DNS */
  char   *validation_dns;    /* Pebble's -dnsserver: options->dns_server or @dns_server */
  /* private */
  GPid    pebble_pid;
  GPid    challtestsrv_pid;
} GCertTestPebble;

/* Starts pebble-challtestsrv (DNS and management only) and Pebble on free
 * loopback ports, with PEBBLE_VA_NOSLEEP=1 and its validator asking
 * challtestsrv for DNS-01; returns once both answer. @options may be NULL
 * (GCERT_TEST_PEBBLE_OPTIONS_INIT). The servers get SIGTERM if the thread
 * that started them exits. */
GCertTestPebble *gcert_test_pebble_start     (const GCertTestPebbleOptions *options,
                                              GError                      **error);
void             gcert_test_pebble_stop      (GCertTestPebble             *pebble);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestPebble, gcert_test_pebble_stop)

/* PEM of the root (/roots/0) that the issued chains end at */
char            *gcert_test_pebble_get_root  (GCertTestPebble             *pebble,
                                              GError                      **error);
/* Adds/removes TXT values through challtestsrv's management API
 * (@host with trailing dot). clear removes every value at @host. */
gboolean         gcert_test_pebble_set_txt   (GCertTestPebble             *pebble,
                                              const char                   *host,
                                              const char                   *value,
                                              GError                      **error);
gboolean         gcert_test_pebble_clear_txt (GCertTestPebble             *pebble,
                                              const char                   *host,
                                              GError                      **error);
/* A config file text pointing at this Pebble: [gcert] with ca,
 * ca-certificates, state-dir (@state_dir), resolvers (@validation_dns),
 * propagation-timeout,
 * and [dns test] using the challtestsrv plugin. @extra is appended. */
char            *gcert_test_pebble_config    (GCertTestPebble             *pebble,
                                              const char                   *state_dir,
                                              const char                   *extra);
/* FALSE with the server's log in @error once Pebble or challtestsrv has
 * exited (the process is then reaped) */
gboolean         gcert_test_pebble_check_alive (GCertTestPebble           *pebble,
                                                GError                   **error);
/* Pebble's own TLS certificate and key (signed by @ca_certificates, for
 * 127.0.0.1 and localhost), for servers that stand in for it */
GTlsCertificate *gcert_test_pebble_get_tls_certificate (GCertTestPebble   *pebble,
                                                        GError           **error);

G_END_DECLS
