/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A real authoritative DNS server (Knot or BIND) for one test, on a free
 * loopback port, that accepts DNS UPDATE signed with a TSIG key. */
typedef struct {
  char  *tmpdir;
  char  *server;           /* "127.0.0.1:PORT", UDP and TCP */
  char  *key_name;         /* "gcert-test-key." */
  char  *key_algorithm;    /* "hmac-sha256" */
  char  *key_secret;       /* base64 */
  char  *key_secret_file;  /* the base64 secret alone, mode 0600 */
  char  *key_file;         /* BIND key-file format: key "NAME" { algorithm ...; secret "..."; }; mode 0600 */
  /* private */
  GPid   pid;
  char  *kind;             /* "knot" or "bind" */
} GCertTestDnsServer;

/* Starts knotd (or named) on a free loopback port serving @zones
 * ("example.test", no trailing dot), each with SOA, NS ns.ZONE. and
 * ns.ZONE. A 127.0.0.1, TTL 60, and @records (nullable; zone-file lines with
 * absolute owner names, e.g. "_acme-challenge.www.example.test. 60 IN CNAME
 * _acme-challenge.alias.test.", each put into the zone its owner belongs to,
 * longest match). DNS UPDATE signed with the key is allowed in every zone.
 * Returns once the server answers an SOA query. A start that fails carries
 * the server's log in @error.
 *
 * Besides key_name, the server knows one key per TSIG algorithm, named
 * "gcert-test-ALGORITHM." (e.g. "gcert-test-hmac-sha512."), with the same
 * secret and the same rights: see GCERT_TEST_DNS_ALGORITHMS. */
GCertTestDnsServer *gcert_test_knot_start (const char * const  *zones,
                                           const char * const  *records,
                                           GError             **error);
GCertTestDnsServer *gcert_test_bind_start (const char * const  *zones,
                                           const char * const  *records,
                                           GError             **error);
/* SIGTERM, waitpid, rm -rf tmpdir */
void                gcert_test_dns_server_stop (GCertTestDnsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestDnsServer, gcert_test_dns_server_stop)

/* Synchronous direct query (for test assertions): the TXT values at @fqdn
 * (each RR's strings joined), empty array when none. */
GStrv gcert_test_dns_server_query_txt (GCertTestDnsServer  *server,
                                       const char          *fqdn,
                                       GError             **error);

/* The TSIG algorithms the servers have a key for, NULL-terminated. */
#define GCERT_TEST_DNS_ALGORITHMS \
  ((const char * const []) { "hmac-sha1", "hmac-sha224", "hmac-sha256", \
                             "hmac-sha384", "hmac-sha512", NULL })

/* "gcert-test-ALGORITHM.": the server's key for @algorithm */
char     *gcert_test_dns_server_key_name_for (const char *algorithm);

/* FALSE with the server's log in @error once it has exited (it is then
 * reaped). */
gboolean  gcert_test_dns_server_check_alive  (GCertTestDnsServer  *server,
                                              GError             **error);

/* Private to the Knot and BIND fixtures: writes the server's
 * configuration into server->tmpdir for @port and @zones (whose zone files
 * are in ZONES_DIR/ZONE.zone) and returns the command line. */
typedef GStrv (*GCertTestDnsConfigureFunc) (GCertTestDnsServer  *server,
                                            guint16              port,
                                            const char          *zones_dir,
                                            const char * const  *zones,
                                            GError             **error);

GCertTestDnsServer *gcert_test_dns_server_start_with (const char                *kind,
                                                      const char                *ready_marker,
                                                      GCertTestDnsConfigureFunc  configure,
                                                      const char * const        *zones,
                                                      const char * const        *records,
                                                      GError                   **error);

G_END_DECLS
