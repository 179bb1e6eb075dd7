/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A PowerDNS Authoritative server (gsqlite3 backend, HTTP API on) for tests. */
typedef struct {
  char  *tmpdir;
  char  *server;        /* "127.0.0.1:PORT": DNS, UDP and TCP */
  char  *api_url;       /* "http://127.0.0.1:PORT" (the webserver base URL) */
  char  *api_key;
  char  *api_key_file;  /* the key alone, mode 0600 */
  /* private */
  GPid   pid;
  GStrv  zones;         /* with their trailing dot */
} GCertTestPdns;

/* Starts pdns_server (gsqlite3 backend, API on) on free loopback ports,
 * creates @zones ("example.test", no trailing dot) through the API, each with
 * SOA, NS ns.ZONE. and ns.ZONE. A 127.0.0.1, TTL 60, and @records (nullable;
 * "OWNER. TTL IN TYPE RDATA" lines with absolute owner names, each in the
 * zone its owner belongs to). Returns once DNS and API answer. Caches are
 * off, so a change is served at once. RFC 2136 updates (dnsupdate=yes,
 * allow-dnsupdate-from=127.0.0.0/8) are refused until
 * gcert_test_pdns_allow_update() allows a key for the zone: each zone starts
 * with a TSIG-ALLOW-DNSUPDATE key whose secret nobody knows, since PowerDNS
 * would take unsigned updates for a zone without that metadata. A failed
 * start gives the server's log in @error. */
GCertTestPdns *gcert_test_pdns_start        (const char * const  *zones,
                                             const char * const  *records,
                                             GError             **error);
/* SIGTERM, waitpid, rm -rf */
void           gcert_test_pdns_stop         (GCertTestPdns       *pdns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestPdns, gcert_test_pdns_stop)

/* Allows RFC 2136 updates signed with this TSIG key to @zone (POST /tsigkeys,
 * TSIG-ALLOW-DNSUPDATE metadata). @algorithm as "hmac-sha256"; a key of that
 * name is replaced when it exists already, and other keys allowed for @zone
 * stay. */
gboolean       gcert_test_pdns_allow_update (GCertTestPdns       *pdns,
                                             const char          *zone,
                                             const char          *key_name,
                                             const char          *algorithm,
                                             const char          *secret_base64,
                                             GError             **error);

/* Synchronous direct DNS query (for assertions): the TXT values at @fqdn,
 * empty array when none. */
GStrv          gcert_test_pdns_query_txt    (GCertTestPdns       *pdns,
                                             const char          *fqdn,
                                             GError             **error);

/* A request to the API below /api/v1/servers/localhost (@path starts with
 * "/"), with the key; @json_body may be NULL. Returns the body of a 2xx
 * answer (empty for 204), else an error with the status and the body.
 * @out_status (nullable) gets the HTTP status whenever there was one. */
GBytes        *gcert_test_pdns_api          (GCertTestPdns       *pdns,
                                             const char          *method,
                                             const char          *path,
                                             const char          *json_body,
                                             guint               *out_status,
                                             GError             **error);

/* Replaces the TXT RRset at @fqdn (trailing dot optional; in one of the
 * fixture's zones) through the API by @values (plain, unquoted), with TTL 60;
 * NULL or empty @values deletes it. The way "someone else" writes records. */
gboolean       gcert_test_pdns_set_txt      (GCertTestPdns       *pdns,
                                             const char          *fqdn,
                                             const char * const  *values,
                                             GError             **error);

/* FALSE with the server's log in @error once pdns_server has exited. */
gboolean       gcert_test_pdns_check_alive  (GCertTestPdns       *pdns,
                                             GError             **error);

G_END_DECLS
