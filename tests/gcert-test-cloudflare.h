/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"
#include "gcert-test-pebble.h"

G_BEGIN_DECLS

/**
 * GCertTestCloudflare:
 *
 * A stand-in for the Cloudflare API v4 (`/client/v4`): zones, TXT records
 * and API tokens with a scope, served by a SoupServer on a loopback port in
 * a thread of its own, so that it keeps answering while a test waits for a
 * subprocess. It follows the public API's paths, query parameters, answer
 * envelope, pagination and error codes:
 *
 * - `Authorization: Bearer TOKEN` (40 characters of `[A-Za-z0-9_-]`);
 *   none: HTTP 400 code 9106; malformed: HTTP 400 code 6003 with 6111 in its
 *   `error_chain`; unknown token, or a token without the permission or the
 *   zone scope needed: HTTP 403 code 10000
 * - `GET /user/tokens/verify`
 * - `GET /zones` (`name`, `page`, `per_page` 5–50, default 20): needs
 *   Zone:Read; zones outside the token's scope are left out
 * - `GET /zones/ID`
 * - `GET /zones/ID/dns_records` (`type`, `name`, `content`, `page`,
 *   `per_page`, default 100): needs DNS:Edit (which implies DNS:Read)
 * - `POST /zones/ID/dns_records` (TXT only; answers 200; an identical record:
 *   HTTP 400 code 81058; a TTL other than 1 or 60–86400: code 1004 with 9021)
 * - `DELETE /zones/ID/dns_records/RID` (unknown: HTTP 404 code 81044)
 * - an identifier that is not 32 hexadecimal digits, or an unknown zone:
 *   HTTP 400 code 7003
 */
typedef struct _GCertTestCloudflare GCertTestCloudflare;

typedef enum {
  GCERT_TEST_CLOUDFLARE_FAULT_RATE_LIMIT,    /* 429 with Retry-After: 1 */
  GCERT_TEST_CLOUDFLARE_FAULT_SERVER_ERROR,  /* 500 with an HTML body */
  GCERT_TEST_CLOUDFLARE_FAULT_BAD_GATEWAY,   /* 502 with an HTML body */
} GCertTestCloudflareFault;

/* Starts the server on a free loopback port. With @pebble, every change of
 * a TXT record is mirrored into its challtestsrv (the values of a name are
 * cleared and the remaining ones added back), so that Pebble sees the
 * records made through the API. */
GCertTestCloudflare *gcert_test_cloudflare_start         (GCertTestPebble     *pebble,
                                                          GError             **error);
void                 gcert_test_cloudflare_stop          (GCertTestCloudflare *cf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestCloudflare, gcert_test_cloudflare_stop)

/* "http://127.0.0.1:PORT/client/v4", what the plugin's api-url takes */
const char          *gcert_test_cloudflare_get_api_url   (GCertTestCloudflare *cf);

/* Adds a zone (e.g. "example.com") and returns its new id (32 hex digits). */
char                *gcert_test_cloudflare_add_zone      (GCertTestCloudflare *cf,
                                                          const char          *name);
/* Adds an API token for every zone (@zone_id NULL) or one; DNS:Edit
 * implies DNS:Read. */
void                 gcert_test_cloudflare_add_token     (GCertTestCloudflare *cf,
                                                          const char          *token,
                                                          const char          *zone_id,
                                                          gboolean             zone_read,
                                                          gboolean             dns_edit);
/* A fresh random token in Cloudflare's format (40 characters). */
char                *gcert_test_cloudflare_make_token    (void);

/* Adds a TXT record as someone else would (mirrored like any other); @name
 * without trailing dot. Returns its id. */
char                *gcert_test_cloudflare_add_txt       (GCertTestCloudflare *cf,
                                                          const char          *zone_id,
                                                          const char          *name,
                                                          const char          *content);
/* The contents of the TXT records at @name (with or without trailing dot),
 * in the order they were created. */
GStrv                gcert_test_cloudflare_list_txt      (GCertTestCloudflare *cf,
                                                          const char          *name);
/* The id of the TXT record @name / @content, or NULL. */
char                *gcert_test_cloudflare_get_txt_id    (GCertTestCloudflare *cf,
                                                          const char          *name,
                                                          const char          *content);
/* The TTL of the TXT record @name / @content, 0 when there is none. */
guint                gcert_test_cloudflare_get_txt_ttl   (GCertTestCloudflare *cf,
                                                          const char          *name,
                                                          const char          *content);
/* The names of all records, one entry per record. */
GStrv                gcert_test_cloudflare_list_names    (GCertTestCloudflare *cf);

/* The next @count requests get @fault instead of their answer. */
void                 gcert_test_cloudflare_inject_faults (GCertTestCloudflare      *cf,
                                                          GCertTestCloudflareFault  fault,
                                                          guint                     count);

/* Every request so far as "METHOD PATH" or "METHOD PATH?QUERY", the path
 * starting with /client/v4. */
GStrv                gcert_test_cloudflare_get_request_log   (GCertTestCloudflare *cf);
guint                gcert_test_cloudflare_get_request_count (GCertTestCloudflare *cf);
void                 gcert_test_cloudflare_clear_request_log (GCertTestCloudflare *cf);

G_END_DECLS
